"""Reconciliation by sparse triangular elimination (mfa._triangular) against the dense block-SVD reference
(mfa.solve.elimination.eliminate_dense), on the data patterns of issue 13, and dependent balances."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

import mfa
import mfa.solve.gauss_newton as gauss_newton
import mfa.solve.propagation as propagation
from mfa.solve import _triangular
from mfa.solve.elimination import eliminate_dense
from mfa.solve.model import model_from_park
from mfa.errors import MfaError
from mfa.solve import reconcile

PATTERNS = {"30/50/20": (0.30, 0.50, 0.20), "5/85/10": (0.05, 0.85, 0.10), "5/50/45": (0.05, 0.50, 0.45)}


def _park(structure: str, pattern: str, tc_share: float = 0.02, seed: int = 5):
    from bench.bench_reconcile import measured_park

    return measured_park(200, seed=seed, structure=structure, pattern=PATTERNS[pattern], tc_share=tc_share)


def _dense(park, monkeypatch):
    with monkeypatch.context() as m:
        m.setattr(gauss_newton, "eliminate", eliminate_dense)
        return reconcile(park)


def _assert_same(new, ref):
    for table in ("flows", "transfer_coefficients", "stock_changes"):
        a, b = getattr(new, table), getattr(ref, table)
        assert (a["status"].to_numpy() == b["status"].to_numpy()).all(), table
        for col in ("value", "sigma"):
            x, y = a[col].to_numpy(dtype=float), b[col].to_numpy(dtype=float)
            assert (np.isnan(x) == np.isnan(y)).all(), (table, col)
            ok = ~np.isnan(y)
            scale = max(float(np.max(np.abs(y[ok]), initial=0.0)), 1.0)
            if col == "sigma":
                # A variance below 1e-8 of its prior is reported as 0 (rounding of Q − QAᵀM⁻¹AQ). The prior
                # depends on the generalised inverse: the dense pseudo-inverse spreads a computed flow over
                # its whole block (large prior), the triangular one keeps it local, so a small σ that the
                # reference rounds to 0 may survive here — never above 1e-4 of the largest σ.
                zero = ok & ((x == 0) != (y == 0))
                assert np.all(np.maximum(x[zero], y[zero]) <= 1e-4 * scale), (table, col)
                ok &= ~zero
            np.testing.assert_allclose(x[ok], y[ok], rtol=1e-7, atol=1e-10 * scale, err_msg=f"{table}.{col}")
    np.testing.assert_allclose(new.flows["normalised_adjustment"], ref.flows["normalised_adjustment"],
                               rtol=1e-6, atol=1e-8)
    assert (new.flows["gross_error"] == ref.flows["gross_error"]).all()
    assert new.chi2 == pytest.approx(ref.chi2, rel=1e-9)
    assert new.dof == ref.dof
    assert new.combinations["expression"].tolist() == ref.combinations["expression"].tolist()
    np.testing.assert_allclose(new.combinations["value"], ref.combinations["value"], rtol=1e-7, atol=1e-9)
    if not new.linear_model.model.bilinear:
        # With measured coefficients the linearisation point includes the values of unobservable flows,
        # which are arbitrary (the dense reference takes the least-norm ones); the σ of a combination
        # that feeds a coefficient's process depends on it to first order, so only linear parks compare.
        np.testing.assert_allclose(new.combinations["sigma"], ref.combinations["sigma"], rtol=1e-6,
                                   atol=1e-9)


@pytest.mark.parametrize("pattern", list(PATTERNS))
@pytest.mark.parametrize("structure", ["regional", "random"])
def test_patterns_equal_the_dense_reference(structure, pattern, monkeypatch):
    park = _park(structure, pattern)
    new = reconcile(park)
    assert new.uncertainty_propagated
    ref = _dense(park, monkeypatch)
    counts = new.summary["status_counts"]
    assert counts["reconciled"] > 0 and counts["computed"] > 0
    if pattern == "30/50/20":
        assert counts["unobservable"] > 0 and len(new.combinations) > 0
    _assert_same(new, ref)


def test_combinations_of_a_linear_park_equal_the_dense_reference(monkeypatch):
    park = _park("regional", "30/50/20", tc_share=0.0)
    new = reconcile(park)
    assert not new.linear_model.model.bilinear and len(new.combinations) > 10
    _assert_same(new, _dense(park, monkeypatch))


def test_coefficient_rows_that_close_cycles(monkeypatch):
    """Many measured coefficients: the triangular pivots leave a non-zero Schur complement, resolved densely."""
    park = _park("regional", "30/50/20", tc_share=0.3, seed=7)
    model = model_from_park(park)
    v = np.nan_to_num(model.value0, nan=1.0)
    Jy = model.jacobian(v)[:, model.kind == 2]
    assert _triangular.reduce(Jy).blocks, "the case must exercise the Schur-complement blocks"
    _assert_same(reconcile(park), _dense(park, monkeypatch))


def _random_matrix(rng, m: int, n: int, incidence: bool) -> sp.csr_matrix:
    if incidence:
        # columns of an incidence matrix with a boundary (rows ≥ m are the boundary: dropped)
        a = rng.integers(0, m + m // 4, n)
        b = rng.integers(0, m + m // 4, n)
        rows = np.concatenate([a, b])
        cols = np.concatenate([np.arange(n), np.arange(n)])
        vals = np.concatenate([np.ones(n), -np.ones(n)])
        keep = (rows < m) & np.concatenate([a != b, a != b])
        return sp.csr_matrix((vals[keep], (rows[keep], cols[keep])), shape=(m, n))
    M = sp.random(m, n, density=3.0 / n, random_state=np.random.RandomState(int(rng.integers(1 << 30))),
                  format="csr")
    # a few dependent rows and columns
    M = sp.vstack([M, M[:3] + M[3:6]]).tocsr()
    return sp.hstack([M, M[:, :2] - M[:, 2:4]]).tocsr()


@pytest.mark.parametrize("incidence", [True, False])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_reduction_spans_the_null_spaces(incidence, seed):
    rng = np.random.default_rng(seed)
    M = _random_matrix(rng, 60, 80, incidence)
    D = M.toarray()
    rank = np.linalg.matrix_rank(D)
    red = _triangular.reduce(M)
    assert red.rank == rank
    L, _ = red.left_null()
    N, _ = red.null()
    assert L.shape[0] == D.shape[0] - rank and N.shape[1] == D.shape[1] - rank
    assert np.abs(L @ D).max(initial=0.0) < 1e-10
    assert np.abs(D @ N).max(initial=0.0) < 1e-10
    assert np.linalg.matrix_rank(L.toarray()) == L.shape[0]
    assert np.linalg.matrix_rank(N.toarray()) == N.shape[1]
    G = red.pinv()
    np.testing.assert_allclose(D @ (G @ D), D, atol=1e-10)
    np.testing.assert_allclose((G @ sp.csr_matrix(D)).toarray(), G @ D, atol=1e-12)
    keep = red.independent_rows()
    assert keep.sum() == rank and np.linalg.matrix_rank(D[keep]) == rank


def _group_park(out_value: float):
    """Processes a and b trade measured flows with each other; everything across their border is exact."""
    return mfa.Park.from_frames(
        processes=[{"id": "imp", "name": "Supply", "kind": "import"},
                   {"id": "a", "name": "A", "kind": "production"},
                   {"id": "b", "name": "B", "kind": "production"},
                   {"id": "c", "name": "C", "kind": "production"},
                   {"id": "exp", "name": "Customers", "kind": "export"}],
        flows=[{"source": "imp", "target": "a", "material": "coal_gangue", "value": 100},
               {"source": "a", "target": "b", "material": "coal_gangue", "value": 150, "sigma": 10},
               {"source": "b", "target": "a", "material": "coal_gangue", "value": 45, "sigma": 5},
               {"source": "b", "target": "exp", "material": "coal_gangue", "value": out_value},
               {"source": "imp", "target": "c", "material": "fly_ash", "value": 20, "sigma": 1},
               {"source": "c", "target": "exp", "material": "fly_ash", "value": 22, "sigma": 1}])


def test_dependent_balances_that_hold_are_dropped(monkeypatch):
    park = _group_park(100)
    r = reconcile(park)
    # a's and b's balances say the same about the measured loop: one independent equation, plus c's
    assert r.dof == 2
    flows = r.flows.set_index("id")
    assert flows.loc["a>b:coal_gangue", "value"] - flows.loc["b>a:coal_gangue", "value"] == pytest.approx(100)
    _assert_same(r, _dense(park, monkeypatch))


def test_dependent_balances_that_contradict_name_the_processes():
    with pytest.raises(MfaError) as e:
        reconcile(_group_park(90))
    msg = str(e.value)
    assert "balance of process 'a'" in msg and "balance of process 'b'" in msg
    assert "process 'c'" not in msg
    assert "off by 10" in msg
    assert "loop" not in msg


def test_combinations_of_very_large_parts_are_counted_not_listed(monkeypatch):
    park = _park("regional", "30/50/20", tc_share=0.0)
    full = reconcile(park)
    assert len(full.combinations) and full.summary["combinations_skipped"] == 0
    monkeypatch.setattr(propagation, "COMBINATION_LIMIT", 1)
    r = reconcile(park)
    assert len(r.combinations) == 0 and r.summary["combinations_skipped"] > 0
    assert r.to_dict()["combinations_skipped"] == r.summary["combinations_skipped"]
    # everything else is unchanged
    assert (r.flows["status"] == full.flows["status"]).all()
    np.testing.assert_allclose(r.flows["sigma"], full.flows["sigma"], rtol=1e-12)


@pytest.mark.parametrize("tc_share", [0.0, 0.02])
@pytest.mark.parametrize("pattern", list(PATTERNS))
def test_the_benchmark_kkt_baseline_reaches_our_answer(pattern, tc_share):
    # bench/bench_reconcile.py times ours against this baseline: it must solve the same problem. Linear
    # parks: one factorisation; bilinear ones: Gauss–Newton passes, as many as ours give or take two.
    from bench.bench_reconcile import kkt_baseline

    park = _park("regional", pattern, tc_share=tc_share)
    ours = reconcile(park, covariance=False)
    model = model_from_park(park)
    kkt = kkt_baseline(model)
    assert kkt.converged and kkt.pivoted == 0
    assert kkt.passes == 1 if tc_share == 0 else abs(kkt.passes - ours.iterations) <= 2
    assert kkt.chi2 == pytest.approx(ours.chi2, rel=1e-6)
    x = model.kind == 1
    v = np.concatenate([ours.flows["value"], ours.transfer_coefficients["value"], ours.stock_changes["value"]])
    assert np.max(np.abs(kkt.v[x] - v[x]) / model.sigma[x]) < 1e-4
