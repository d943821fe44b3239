"""Network metrics: a published ecosystem model (Cone Spring), hand-computed small networks, the sparse path
against dense linear algebra, the Park conventions (boundary, stocks, residual closure, currency) and the CLI."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import numpy as np
import pytest
import scipy.sparse as sp

import mfa
from mfa.errors import MfaError
from mfa.network import ORIENTATIONS, FlowNetwork, analyse, flow_network, metrics
from tests.conftest import P, park_csv

FUEL = [{"id": "coal", "name": "Coal", "category": "fuel"}]


def cone_spring() -> FlowNetwork:
    """Cone Spring (Tilly 1968) energy flows in kcal m⁻² y⁻¹ as used by Finn (1976), Ulanowicz and enaR's
    ``troModels``: Plants, Detritus, Bacteria, Detritus feeders, Carnivores."""
    F = np.zeros((5, 5))
    F[0, 1] = 8881
    F[1, 2] = 5205
    F[1, 3] = 2309
    F[2, 1] = 1600
    F[2, 3] = 75
    F[3, 1] = 200
    F[3, 4] = 370
    F[4, 1] = 167
    z = [11184, 635, 0, 0, 0]
    export = [300, 860, 255, 0, 0]
    respiration = [2003, 3109, 3275, 1814, 203]
    return FlowNetwork.from_arrays(F, z, export, respiration,
                                   nodes=["plants", "detritus", "bacteria", "detritivores", "carnivores"])


def test_cone_spring_published_values():
    m, nodes, notes = analyse(cone_spring())
    # every node balances in the published model: nothing is closed at the boundary
    assert m["max_residual"] == 0
    # TST = 30 626 kcal m⁻² y⁻¹ and FCI ≈ 0.092 (Finn 1976; enaR enaFlow on troModels "Cone Spring")
    assert m["tst"] == pytest.approx(30626.0)
    assert m["fci"] == pytest.approx(0.092, abs=5e-4)
    # A/C = 0.418 for Cone Spring (Ulanowicz, Goerner, Lietaer & Gomez 2009, Ecol. Complexity 6:27-36)
    assert m["relative_ascendency"] == pytest.approx(0.418, abs=5e-4)
    # TSTp = internal 18 807 + inputs 11 819 + outputs 11 819
    assert m["tstp"] == pytest.approx(42445.0)
    assert m["apl"] == pytest.approx(30626 / 11819)
    assert m["n_links"] == 8 and m["n_nodes"] == 5
    # bacteria ⇄ detritus and detritivores → detritus, carnivores → detritus: interlocking cycles
    assert m["cyclicity"] > 1
    # BFI + DFI + IFI = 1 (partition of TST)
    assert m["bfi"] + m["dfi"] + m["ifi"] == pytest.approx(1.0)
    assert m["robustness"] == pytest.approx(-m["relative_ascendency"] * math.log(m["relative_ascendency"]))


def oyster_reef() -> FlowNetwork:
    """Oyster Reef (Dame & Patten 1981) energy flows in kcal m⁻² d⁻¹ as used by enaR (Borrett & Lau 2014, the
    ``oyster`` model): filter feeders, microbiota, meiofauna, deposit feeders, predators, deposited detritus.
    Not at steady state: residuals +0.0005, +0.0001, −0.0001, 0, 0, −0.0005."""
    F = np.zeros((6, 6))
    F[5, 1] = 8.1721
    F[1, 2], F[5, 2] = 1.2060, 7.2745
    F[1, 3], F[2, 3], F[5, 3] = 1.2060, 0.6609, 0.6431
    F[0, 4], F[3, 4] = 0.5135, 0.1721
    F[0, 5], F[2, 5], F[3, 5], F[4, 5] = 15.7910, 4.2403, 1.9076, 0.3262
    z = [41.47, 0, 0, 0, 0, 0]
    respiration = [25.1650, 5.76, 3.5794, 0.4303, 0.3594, 6.1759]
    return FlowNetwork.from_arrays(F, z, None, respiration, nodes=["filter_feeders", "microbiota", "meiofauna",
                                                                  "deposit_feeders", "predators", "detritus"])


def test_oyster_reef_published_values_under_the_default_orientation():
    m, nodes, notes = analyse(oyster_reef())
    # TST = 83.5833 kcal m⁻² d⁻¹ (enaR enaFlow on the oyster model, Borrett & Lau 2014)
    assert round(m["tst"], 4) == 83.5833
    # hand-computed from the published data: TSTp = internal 42.1133 + inputs 41.47 + outputs 41.47;
    # APL = TST / Σz; BFI = Σz / TST; nothing closed, so Σz stays 41.47
    assert m["tstp"] == pytest.approx(42.1133 + 41.47 + 41.47, abs=1e-9)
    assert m["boundary_input"] == pytest.approx(41.47, abs=1e-12)
    assert m["apl"] == pytest.approx(83.5833 / 41.47, abs=1e-6)
    assert m["bfi"] == pytest.approx(41.47 / 83.5833, abs=1e-6)
    assert m["max_residual"] == pytest.approx(0.0005, abs=1e-9)
    assert nodes["closure_in"].sum() == 0 and nodes["closure_out"].sum() == 0
    assert any("output side" in n.message for n in notes)
    # enaR's own enaFlow formulas (input side of the data as given, g_ij = f_ij / T_i, N = (I − G)⁻¹) give
    # every flow statistic to the published 4 decimals
    net = oyster_reef()
    F, z = net.F.toarray(), net.boundary("output")[0]
    T = F.sum(axis=0) + z
    G = F / T[:, None]
    N = np.linalg.inv(np.eye(6) - G)
    d = np.diag(N)
    direct, indirect = (z @ G).sum(), (z @ (N - np.eye(6) - G)).sum()
    enar = {"tst": T.sum(), "fci": ((d - 1) / d * T).sum() / T.sum(), "dfi": direct / T.sum(),
            "ifi": indirect / T.sum(), "id_ratio": indirect / direct}
    assert {k: round(m[k], 4) for k in enar} == {k: round(float(v), 4) for k, v in enar.items()}


def test_oyster_reef_input_orientation_closes_the_residuals():
    m, nodes, _ = analyse(oyster_reef(), "input")
    # the 0.0006 of negative residuals (meiofauna 0.0001, detritus 0.0005) enter as closure inputs
    assert round(m["tst"], 4) == 83.5839
    assert m["boundary_input"] == pytest.approx(41.47 + 0.0006, abs=1e-9)
    assert nodes["closure_in"].sum() == pytest.approx(0.0006, abs=1e-9)
    # cycling barely moves: FCI agrees with the default orientation to 4 decimals
    assert round(m["fci"], 4) == round(analyse(oyster_reef())[0]["fci"], 4)


def test_orientation_is_checked_and_named_in_the_result(capsys):
    from mfa.cli import main

    with pytest.raises(MfaError, match="did you mean 'input'"):
        analyse(oyster_reef(), "inputs")
    r = metrics(small_park(), orientation="input")
    assert r.summary["orientation"] == "input" and r.to_dict()["orientation"] == "input"
    assert main(["network", "hazardous", "--orientation", "input"]) == 0
    assert "throughflow: input side" in capsys.readouterr().out


def test_indirect_flow_matches_the_dense_definition():
    net = cone_spring()
    m, _, _ = analyse(net)
    F = net.F.toarray()
    T = net.throughflow()
    G = F / T[:, None]
    N = np.linalg.inv(np.eye(5) - G)
    z = net.z
    assert m["direct_flow"] == pytest.approx(float(z @ G.sum(axis=1)))
    assert m["indirect_flow"] == pytest.approx(float(z @ (N - np.eye(5) - G).sum(axis=1)))
    d = np.diag(N)
    assert m["tstc"] == pytest.approx(float(((d - 1) / d * T).sum()))


def test_chain_is_acyclic_with_hand_values():
    # z = 10 → A → B → C → y: T = 30, direct 10, indirect 10 (the A→B→C path), ID = 1
    F = sp.csr_matrix(([10.0, 10.0], ([0, 1], [1, 2])), shape=(3, 3))
    m, _, notes = analyse(FlowNetwork.from_arrays(F, [10, 0, 0], None, [0, 0, 10]))
    assert m["tst"] == 30 and m["fci"] == 0 and m["cyclicity"] == 0
    assert m["apl"] == 3
    assert m["direct_flow"] == pytest.approx(10) and m["indirect_flow"] == pytest.approx(10)
    assert m["id_ratio"] == pytest.approx(1.0)
    assert m["connectance"] == pytest.approx(2 / 9) and m["link_density"] == pytest.approx(2 / 3)
    assert m["n_prey"] == 2 and m["n_predators"] == 2 and m["specialised_predators"] == 1.0
    assert any("acyclic" in n for n in map(str, notes))


def test_self_loop_and_two_node_cycle():
    # a self-loop: T = 15, g = 1/3, n_aa = 1.5, TSTc = 5 → FCI = 1/3, λ₁ = 1
    m, _, _ = analyse(FlowNetwork.from_arrays([[5.0]], [10], None, [10]))
    assert m["fci"] == pytest.approx(1 / 3) and m["cyclicity"] == 1.0
    # food-web measures ignore self-loops
    assert m["n_prey"] == 0 and m["generalisation"] is None
    # a ⇄ b: T_a = T_b = 150; n_aa = 1/(1 − 1·1/3) = 1.5 → FCI = 1/3
    m, _, _ = analyse(FlowNetwork.from_arrays([[0, 150.0], [50.0, 0]], [100, 0], [0, 100], None))
    assert m["fci"] == pytest.approx(1 / 3) and m["cyclicity"] == pytest.approx(1.0)


def test_interlocking_cycles_spectral_radius():
    # complete digraph on 3 nodes without self-loops: λ₁ = 2
    A = np.ones((3, 3)) - np.eye(3)
    m, _, _ = analyse(FlowNetwork.from_arrays(A * 10, [30, 0, 0], None, [10, 10, 10]))
    assert m["cyclicity"] == pytest.approx(2.0)


def test_empty_network_is_reported_not_crashing():
    m, _, notes = analyse(FlowNetwork.from_arrays(np.zeros((0, 0)), [], None, None))
    assert m["n_nodes"] == 0 and m["fci"] is None and m["apl"] is None
    assert any("undefined" in n for n in map(str, notes))


def test_sparse_components_match_dense_linear_algebra(monkeypatch):
    import mfa.network as network

    # force the sparse paths (ARPACK on A + I, splu in column blocks) on a component of 400 nodes
    monkeypatch.setattr(network, "_EIG_DENSE_LIMIT", 50)
    monkeypatch.setattr(network, "_INV_DENSE_LIMIT", 100)
    rng = np.random.default_rng(7)
    n = 400
    rows = np.concatenate([np.arange(n), rng.integers(0, n, 3 * n)])
    cols = np.concatenate([(np.arange(n) + 1) % n, rng.integers(0, n, 3 * n)])
    vals = rng.uniform(1, 10, len(rows))
    F = sp.csr_matrix((vals, (rows, cols)), shape=(n, n))
    F.sum_duplicates()
    z = rng.uniform(0, 50, n)
    out = np.asarray(F.sum(axis=1)).ravel()
    inn = np.asarray(F.sum(axis=0)).ravel() + z
    r = np.maximum(inn - out, 0) + rng.uniform(1, 5, n)  # every node loses something: (I − G) invertible
    net = FlowNetwork.from_arrays(F, z, None, r)
    m, nodes, _ = analyse(net)
    T = net.throughflow()
    Fd = F.toarray()
    G = Fd / T[:, None]
    N = np.linalg.inv(np.eye(n) - G)
    d = np.diag(N)
    assert m["fci"] == pytest.approx(float(((d - 1) / d * T).sum() / T.sum()), rel=1e-8)
    A = (Fd > 0).astype(float)
    assert m["cyclicity"] == pytest.approx(float(np.max(np.abs(np.linalg.eigvals(A)))), rel=1e-8)
    np.testing.assert_allclose(nodes["n_jj"].to_numpy(), d, rtol=1e-8)


def small_park(extra: str = "") -> mfa.Park:
    """a ⇄ b with an import, air drawn from the environment, an export, a landfill and a yard whose stock grows
    by 30 t; ``extra`` adds flow rows."""
    return park_csv("""id,kind
        mine,import
        air,environment
        a,production
        b,production
        yard,storage
        market,export
        fill,landfill""", """source,target,material,value
        mine,a,coal,100
        air,a,coal,20
        a,b,coal,90
        b,a,coal,10
        b,market,coal,40
        b,yard,coal,40
        yard,fill,coal,10
        a,fill,coal,40
        """ + extra, stocks="""process,material,opening,closing
        yard,coal,100,130""")


def test_park_conventions_boundary_and_stock():
    park = small_park()
    net = flow_network(park)
    nodes = list(net.nodes)
    assert nodes == ["a", "b", "yard"]
    # z: import and environment flows into internal nodes
    assert net.z[nodes.index("a")] == pytest.approx(120)
    # e: flows to export; r: landfill + stock accumulation (yard +30)
    assert net.e[nodes.index("b")] == 40
    assert net.r[nodes.index("yard")] == pytest.approx(10 + 30)
    r = metrics(park)
    assert r.metrics["max_residual"] == pytest.approx(0)
    assert r.metrics["tst"] == pytest.approx(130 + 90 + 40)
    assert r.metrics["cyclicity"] == pytest.approx(1.0)
    assert 0 < r.metrics["fci"] < 1


@pytest.mark.parametrize("orientation,closure_out,tst", [
    # b receives 90 + 25 and passes on 10 + 40 + 40: residual 25. Output side as given: T = a 130, b 90,
    # yard 40; input side after closing the 25 as dissipation: b 115
    ("output", 0.0, 130 + 90 + 40), ("input", 25.0, 130 + 115 + 40)])
def test_unbalanced_node_is_reported_and_closed_only_on_the_input_side(orientation, closure_out, tst):
    park = small_park(extra="mine,b,coal,25")
    r = metrics(park, orientation=orientation)
    row = r.nodes.set_index("process").loc["b"]
    assert row["residual"] == pytest.approx(25)
    assert row["closure_out"] == pytest.approx(closure_out) and row["closure_in"] == 0
    assert r.metrics["tst"] == pytest.approx(tst) and r.orientation == orientation
    assert any("not balanced" in n and f"{orientation} side" in n for n in r.notes)
    assert any("imbalanced" in n for n in r.notes)  # mfa.balance agrees


def test_unknown_flow_noted_and_currency_selection():
    park = mfa.Park.from_frames(
        processes=[P("mine", "import"), P("a", "production"), P("b", "production"), P("market", "export")],
        flows=[{"source": "mine", "target": "a", "material": "coal", "value": 100},
               {"source": "a", "target": "b", "material": "fly_ash", "value": 30},
               {"source": "a", "target": "market", "material": "coal", "value": ""},
               {"source": "b", "target": "market", "material": "cement", "value": 30}],
        materials=FUEL + [{"id": "fly_ash", "name": "Fly ash", "category": "industrial_solid_waste"},
                          {"id": "cement", "name": "Cement", "category": "product"}])
    r = metrics(park)
    assert any("unknown flow" in n for n in r.notes)
    ash = metrics(park, material="fly_ash")
    assert ash.currency == "material fly_ash" and ash.metrics["n_links"] == 1
    # in one material a is a source (conversion) and b a sink: closed at the boundary (orientation input, the
    # default in one material or category), a's 30 come in from outside and b's 30 are dissipated; as given
    # (orientation output) only a's 30 t/a leave a node and nothing enters from outside
    assert ash.orientation == "input" and ash.metrics["tst"] == pytest.approx(60)
    as_given = metrics(park, material="fly_ash", orientation="output").metrics
    assert as_given["tst"] == pytest.approx(30) and as_given["boundary_input"] == 0
    cat = metrics(park, category="industrial_solid_waste")
    assert cat.orientation == "input" and cat.metrics["tst"] == pytest.approx(60)
    assert r.orientation == "output"  # total mass: enaR's convention
    with pytest.raises(MfaError, match="did you mean 'fly_ash'"):
        metrics(park, material="flyash")
    with pytest.raises(MfaError, match="category"):
        metrics(park, category="straw")


def test_result_json_and_html():
    r = metrics(small_park())
    d = json.loads(r.to_json())
    assert set(d) >= {"park", "currency", "metrics", "nodes", "notes"}
    for key in ("n_nodes", "n_links", "connectance", "link_density", "cyclicity", "tst", "tstp", "fci", "apl",
                "id_ratio", "n_prey", "n_predators", "generalisation", "vulnerability", "ascendency",
                "robustness"):
        assert key in d["metrics"]
    assert "NaN" not in r.to_json()
    html = r._repr_html_()
    assert "fci" in html and "<script" not in html


def test_cli_network(tmp_path, capsys):
    from mfa.cli import main

    park_dir = tmp_path / "p"
    mfa.write_park(small_park(), park_dir)
    assert main(["network", str(park_dir), "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["metrics"]["n_nodes"] == 3
    assert main(["network", str(park_dir), "--nodes", "--material", "coal"]) == 0
    text = capsys.readouterr().out
    assert "Finn cycling index" in text and "n_jj" in text and "material coal" in text
    # the installed entry point: a user error exits 2 with a message, never a traceback
    bad = subprocess.run([sys.executable, "-m", "mfa", "network", str(park_dir), "--material", "coall"],
                         capture_output=True, text=True)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr and "did you mean" in bad.stderr


def test_cone_spring_as_a_park():
    """The same published model through the Park path: sun = import, respiration = environment, export."""
    names = ["plants", "detritus", "bacteria", "detritivores", "carnivores"]
    processes = [P("sun", "import"), P("respiration", "environment"), P("export", "export")] + [
        P(n, "production") for n in names]
    net = cone_spring()
    Fc = net.F.tocoo()
    E = [{"id": "energy", "name": "Energy (as mass units)", "category": "other"}]
    flows = [{"source": names[i], "target": names[j], "material": "energy", "value": v}
             for i, j, v in zip(Fc.row, Fc.col, Fc.data)]
    flows += [{"source": "sun", "target": names[0], "material": "energy", "value": 11184},
              {"source": "sun", "target": names[1], "material": "energy", "value": 635}]
    flows += [{"source": n, "target": "respiration", "material": "energy", "value": v}
              for n, v in zip(names, [2003, 3109, 3275, 1814, 203])]
    flows += [{"source": n, "target": "export", "material": "energy", "value": v}
              for n, v in zip(names, [300, 860, 255, 0, 0]) if v]
    park = mfa.Park.from_frames(processes=processes, flows=flows, materials=E)
    r = metrics(park)
    assert r.metrics["tst"] == pytest.approx(30626.0)
    assert r.metrics["fci"] == pytest.approx(0.0919, abs=1e-4)
    assert r.metrics["relative_ascendency"] == pytest.approx(0.418, abs=5e-4)
    assert r.metrics["max_residual"] == pytest.approx(0.0, abs=1e-9)


def test_reconcile_first_fills_unknown_flows():
    park = small_park()
    flows = park.flows
    flows.loc[(flows["source"] == "b") & (flows["target"] == "market"), "value"] = np.nan
    flows["unit"] = "t/a"
    park = park.replace(flows=flows)
    plain = metrics(park)
    assert any("unknown flow" in n for n in plain.notes)
    assert plain.metrics["max_residual"] == pytest.approx(40)
    r = metrics(park, reconcile=True)
    assert any("reconciled first" in n for n in r.notes)
    assert r.metrics["max_residual"] == pytest.approx(0, abs=1e-6)
    assert r.metrics["tst"] == pytest.approx(metrics(small_park()).metrics["tst"])


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@st.composite
def random_networks(draw):
    n = draw(st.integers(1, 12))
    k = draw(st.integers(0, 3 * n))
    rows = draw(st.lists(st.integers(0, n - 1), min_size=k, max_size=k))
    cols = draw(st.lists(st.integers(0, n - 1), min_size=k, max_size=k))
    vals = draw(st.lists(st.floats(0.1, 1000), min_size=k, max_size=k))
    z = draw(st.lists(st.one_of(st.just(0.0), st.floats(1e-3, 500)), min_size=n, max_size=n))
    r = draw(st.lists(st.floats(0.1, 500), min_size=n, max_size=n))
    F = sp.csr_matrix((vals, (rows, cols)), shape=(n, n))
    return F, np.array(z), np.array(r)


@settings(max_examples=60, deadline=None)
@given(random_networks(), st.floats(0.01, 100), st.randoms(use_true_random=False), st.sampled_from(ORIENTATIONS))
def test_metrics_invariant_to_scale_and_node_order(data, c, rnd, orientation):
    F, z, r = data
    m, nodes, _ = analyse(FlowNetwork.from_arrays(F, z, None, r), orientation)
    # throughflow is the output side (after closure, in orientation input, both sides are equal)
    T = nodes["throughflow"].to_numpy()
    out = np.asarray(F.sum(axis=1)).ravel() + nodes["export"].to_numpy() + nodes["dissipation"].to_numpy()
    np.testing.assert_allclose(T, out, rtol=1e-9, atol=1e-9)
    if m["tst"] > 0 and m["bfi"] is not None:
        # BFI + DFI + IFI = Σ zᵀN / TST: 1 where every node balances (always after closure)
        G = F.toarray() / np.where(T > 0, T, 1)[:, None]
        reached = float(nodes["z"].to_numpy() @ np.linalg.inv(np.eye(len(T)) - G).sum(axis=1))
        assert m["bfi"] + m["dfi"] + m["ifi"] == pytest.approx(reached / m["tst"])
        if orientation == "input":
            assert reached == pytest.approx(m["tst"])
    assert m["fci"] is None or 0.0 <= m["fci"] < 1.0
    # the currency's unit does not matter: ratios unchanged, totals scale
    ms, _, _ = analyse(FlowNetwork.from_arrays(F * c, z * c, None, r * c), orientation)
    assert ms["tst"] == pytest.approx(c * m["tst"])
    for key in ("fci", "cyclicity", "apl", "id_ratio", "relative_ascendency", "connectance"):
        if m[key] is None:
            assert ms[key] is None
        else:
            assert ms[key] == pytest.approx(m[key], rel=1e-7, abs=1e-9)
    # renaming (permuting) the nodes changes nothing
    n = F.shape[0]
    perm = list(range(n))
    rnd.shuffle(perm)
    p = np.array(perm)
    Fp = F[p][:, p]
    mp, _, _ = analyse(FlowNetwork.from_arrays(Fp, z[p], None, r[p]), orientation)
    for key in ("tst", "tstp", "fci", "cyclicity", "n_links", "ascendency", "id_ratio"):
        if m[key] is None:
            assert mp[key] is None
        else:
            assert mp[key] == pytest.approx(m[key], rel=1e-7, abs=1e-9)
