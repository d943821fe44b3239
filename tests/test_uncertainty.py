"""Monte Carlo: agreement with the analytic propagation, distributions, reproducibility across executors."""

from __future__ import annotations

import json
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import numpy as np
import pytest

import mfa
from mfa.errors import MfaError
from mfa.solve import reconcile
from mfa.uncertainty import draw_samples, monte_carlo

MATS = [{"id": "m", "name": "M", "category": "other"},
        {"id": "fly_ash", "name": "Fly ash", "category": "industrial_solid_waste", "bulk": True},
        {"id": "raw_coal", "name": "Coal", "category": "fuel"}]


def proc(pid, kind):
    return {"id": pid, "name": pid, "kind": kind}


def flow(src, tgt, value=None, sigma=None, tc=None, tc_sigma=None, material="m"):
    return {"source": src, "target": tgt, "material": material, "value": value, "sigma": sigma, "tc": tc,
            "tc_sigma": tc_sigma}


@pytest.fixture(scope="module")
def redundant_park():
    # two measurements on one balance plus a computed flow: MC σ must match the analytic σ
    return mfa.Park.from_frames(
        processes=[proc("in", "import"), proc("p", "production"), proc("q", "treatment"), proc("out", "export"),
                   proc("ld", "landfill")],
        flows=[flow("in", "p", 100, 5), flow("p", "q", 90, 4), flow("q", "out", 50, 3), flow("q", "ld"),
               flow("p", "ld", 12, 1)],
        materials=MATS)


@pytest.fixture(scope="module")
def waste_park():
    # the utilisation rate 60/(60+40) depends on two independent measurements
    return mfa.Park.from_frames(
        processes=[proc("mine", "import"), proc("plant", "production"), proc("cement", "production"),
                   proc("dump", "landfill"), proc("market", "export"), proc("air", "environment")],
        flows=[flow("mine", "plant", material="raw_coal"), flow("plant", "cement", 60, 6, material="fly_ash"),
               flow("plant", "dump", 40, 4, material="fly_ash"), flow("plant", "air", 500, material="m"),
               flow("cement", "market", material="m")],
        materials=MATS)


def test_monte_carlo_matches_analytic_propagation(redundant_park):
    r = reconcile(redundant_park)
    mc = monte_carlo(redundant_park, samples=40000, seed=7, progress=False, indicators=False)
    a = r.flows.set_index("id")
    b = mc.flows.set_index("id")
    for fid in a.index:
        if a.loc[fid, "sigma"] > 0:
            assert b.loc[fid, "std"] == pytest.approx(a.loc[fid, "sigma"], rel=0.03), fid
            assert b.loc[fid, "mean"] == pytest.approx(a.loc[fid, "value"], abs=4 * a.loc[fid, "sigma"] / 200)
    assert mc.failed_samples == 0


def test_bilinear_monte_carlo_samples_satisfy_the_equations():
    park = mfa.Park.from_frames(
        processes=[proc("imp1", "import"), proc("imp2", "import"), proc("p1", "production"),
                   proc("p2", "treatment"), proc("p3", "collection"), proc("out", "export")],
        flows=[flow("imp1", "p1", 100, 10), flow("imp2", "p1", 50), flow("p1", "p2", 300, 30),
               flow("p2", "p1", tc=0.5, tc_sigma=0.05), flow("p2", "p3", 160, 16), flow("p3", "out")],
        materials=MATS)
    mc = monte_carlo(park, samples=3000, seed=1, progress=False, indicators=False, keep_samples=True)
    f = mc.flow_samples  # rows in park order
    assert mc.failed_samples == 0
    # balance of p1: imp1 + imp2 + recycle = p1→p2, per sample
    assert np.allclose(f[0] + f[1] + f[3], f[2], rtol=1e-9)
    assert np.allclose(f[2], f[3] + f[4], rtol=1e-9)
    r = reconcile(park).flows.set_index("id")
    assert mc.flows.set_index("id").loc["p2>p1:m", "std"] == pytest.approx(r.loc["p2>p1:m", "sigma"], rel=0.06)


def test_indicators_get_percentiles(waste_park):
    mc = monte_carlo(waste_park, samples=300, seed=2, progress=False, indicator_samples=80)
    row = mc.indicators.set_index("id").loc["industrial_solid_waste_utilisation_rate"]
    assert row["value"] == pytest.approx(0.6)
    assert row["n"] == 80
    # first order, the rate 60/(60+40) has σ = sqrt((0.4·6)² + (0.6·4)²)/100 = 0.0339 (its second-order bias,
    # -0.0005, is far below the tolerances). With n samples the Monte Carlo estimates have standard errors
    # σ/√n (mean) and σ/√(2(n−1)) (standard deviation, normal case); the tolerance is 3 of them (0.011 and
    # 0.008 at n = 80), and the draws are seeded, so the check cannot flake.
    sigma = np.hypot(0.4 * 6, 0.6 * 4) / 100
    n = row["n"]
    assert row["mean"] == pytest.approx(0.6, abs=3 * sigma / np.sqrt(n))
    assert row["std"] == pytest.approx(sigma, abs=3 * sigma / np.sqrt(2 * (n - 1)))
    assert row["p2_5"] < 0.6 < row["p97_5"]


def test_same_seed_byte_identical_whatever_the_executor(redundant_park):
    kw = dict(samples=2500, seed=11, progress=False, indicators=False, chunk_size=400)
    base = monte_carlo(redundant_park, **kw).to_json()
    assert monte_carlo(redundant_park, **kw).to_json() == base
    with ThreadPoolExecutor(2) as ex:
        assert monte_carlo(redundant_park, executor=ex, **kw).to_json() == base
    with ProcessPoolExecutor(2) as ex:
        assert monte_carlo(redundant_park, executor=ex, **kw).to_json() == base
    assert monte_carlo(redundant_park, **{**kw, "seed": 12}).to_json() != base


def test_dask_local_cluster_executor(waste_park):
    distributed = pytest.importorskip("distributed")
    kw = dict(samples=600, seed=5, progress=False, chunk_size=100, indicator_samples=30)
    base = monte_carlo(waste_park, **kw).to_json()
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        res = monte_carlo(waste_park, executor=client.get_executor(), **kw)
    assert res.to_json() == base


@pytest.mark.parametrize("dist", ["normal", "lognormal", "uniform", "triangular"])
def test_distributions_have_the_requested_moments(dist):
    code = np.array([["normal", "lognormal", "uniform", "triangular"].index(dist)], dtype=np.int8)
    rng = np.random.default_rng(0)
    x = draw_samples(rng, code, np.array([10.0]), np.array([2.0]), 200000)[0]
    assert x.mean() == pytest.approx(10, rel=0.005)
    assert x.std() == pytest.approx(2, rel=0.01)
    if dist == "uniform":
        assert x.min() >= 10 - np.sqrt(3) * 2 and x.max() <= 10 + np.sqrt(3) * 2
    if dist == "triangular":
        assert x.min() >= 10 - np.sqrt(6) * 2 and x.max() <= 10 + np.sqrt(6) * 2


@pytest.mark.parametrize("dist", ["normal", "lognormal", "uniform", "triangular"])
def test_samples_stay_non_negative(dist):
    park = mfa.Park.from_frames(
        processes=[proc("in", "import"), proc("p", "production"), proc("out", "export")],
        flows=[flow("in", "p", 1, 2), flow("p", "out")], materials=MATS)
    mc = monte_carlo(park, samples=2000, seed=0, progress=False, indicators=False, distribution=dist,
                     keep_samples=True)
    assert (mc.flow_samples >= 0).all()


def test_bad_arguments_raise_mfa_error(redundant_park):
    with pytest.raises(MfaError, match="unknown distribution"):
        monte_carlo(redundant_park, samples=10, distribution="gamma", progress=False)
    with pytest.raises(MfaError, match="not a measured flow.*did you mean"):
        monte_carlo(redundant_park, samples=10, distributions={"in>p:n": "uniform"}, progress=False)


def test_cli_uncertainty_json_and_workers(tmp_path, capsys, waste_park):
    from mfa.cli import main

    path = tmp_path / "p.yaml"
    mfa.write_park(waste_park, path)
    argv = ["uncertainty", str(path), "--samples", "400", "--seed", "3", "--indicator-samples", "20", "--json"]
    assert main(argv) == 0
    one = capsys.readouterr().out
    assert main(argv + ["--workers", "2"]) == 0
    two = capsys.readouterr().out
    assert one == two
    d = json.loads(one)
    assert d["samples"] == 400 and d["seed"] == 3
    assert {"id", "mean", "std", "p2_5", "p97_5"} <= set(d["flows"][0])
    assert any(r["id"] == "industrial_solid_waste_utilisation_rate" for r in d["indicators"])
    assert main(["uncertainty", str(path), "--samples", "0"]) == 2
    assert "--samples" in capsys.readouterr().err
