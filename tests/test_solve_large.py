"""Uncertainty propagation for large parks: the supernodal sparse Cholesky with projected inverse
(mfa._chordal) against the dense inverse and the sparse-LU path, the strategies it picks between, the
default decision on cost, and pickling for executors."""

from __future__ import annotations

import json
import pickle

import numpy as np
import pytest
import scipy.sparse as sp

import mfa.solve.linear_algebra as linear_algebra
from mfa.solve import _chordal
from mfa.solve import reconcile

pytestmark = pytest.mark.skipif(not _chordal.available(), reason="chompack is a dependency; not installed")


def _park(n: int, structure: str):
    from bench.bench_reconcile import measured_park

    return measured_park(n, seed=3, structure=structure)


def _sigmas(r):
    return np.concatenate([r.flows["sigma"].to_numpy(), r.transfer_coefficients["sigma"].to_numpy(),
                           r.stock_changes["sigma"].to_numpy(), r.combinations["sigma"].to_numpy()])


@pytest.mark.parametrize("structure", ["regional", "random"])
def test_sparse_paths_give_the_dense_uncertainties(structure, monkeypatch):
    park = _park(600, structure)
    dense = reconcile(park)
    assert dense.uncertainty_propagated
    # every reduced system goes to the sparse Cholesky ...
    monkeypatch.setattr(linear_algebra, "DENSE_LIMIT", 0)
    chordal = reconcile(park)
    # ... or, without chompack, to the sparse LU
    monkeypatch.setattr(_chordal, "available", lambda: False)
    lu = reconcile(park)
    ref = _sigmas(dense)
    assert np.isfinite(ref).sum() > 0.8 * len(park.flows)
    for r in (chordal, lu):
        assert r.uncertainty_propagated
        got = _sigmas(r)
        assert (np.isnan(got) == np.isnan(ref)).all()
        ok = ~np.isnan(ref)
        np.testing.assert_allclose(got[ok], ref[ok], rtol=1e-7, atol=1e-9 * np.nanmax(ref))
        np.testing.assert_allclose(r.flows["normalised_adjustment"], dense.flows["normalised_adjustment"],
                                   rtol=1e-6, atol=1e-8)
        assert r.chi2 == pytest.approx(dense.chi2, rel=1e-9)
        assert (r.flows["status"] == dense.flows["status"]).all()


def _random_spd(n: int, rng) -> sp.csc_matrix:
    """A sparse SPD matrix shaped like a reduced normal matrix: A Q Aᵀ of a random incidence-like A."""
    m = 4 * n
    rows = np.concatenate([rng.integers(0, n, m), rng.integers(0, n, m)])
    cols = np.concatenate([np.arange(m), np.arange(m)])
    vals = np.concatenate([np.ones(m), -np.ones(m)])
    A = sp.csr_matrix((vals, (rows, cols)), shape=(n, m))
    A = A + sp.csr_matrix((np.ones(n), (np.arange(n), rng.integers(0, m, n))), shape=(n, m))
    q = rng.uniform(0.1, 10.0, m)
    return (A @ sp.diags(q) @ A.T).tocsc()


@pytest.mark.parametrize("widen", [False, True])
def test_inverse_quadratic_with_and_without_the_widened_pattern(widen):
    rng = np.random.default_rng(7)
    n = 300
    M = _random_spd(n, rng)
    # columns with 1, 2, a few, and more non-zeros than the pair limit (solved directly)
    blocks = [sp.random(n, 40, density=k / n, random_state=int(rng.integers(1 << 30)), format="csc")
              for k in (1, 2, 6, 20)]
    blocks.append(sp.random(n, 3, density=0.5, random_state=1, format="csc"))
    H = sp.hstack(blocks).tocsc()
    if widen:
        Hw = H.copy()
        Hw.data[:] = 1.0
        chol = _chordal.ChordalCholesky(M, extra=Hw @ Hw.T)
    else:
        chol = _chordal.ChordalCholesky(M)
    got = chol.inverse_quadratic(H)
    Hd = H.toarray()
    ref = np.einsum("ij,ij->j", Hd, np.linalg.solve(M.toarray(), Hd))
    np.testing.assert_allclose(got, ref, rtol=1e-9, atol=1e-12)
    # the factor is still usable for solves after the projected inverse
    b = rng.normal(size=(n, 3))
    np.testing.assert_allclose(M @ chol.solve(b), b, atol=1e-9)
    assert chol.flops(10) > chol.flops(0) > 0


def test_not_positive_definite_is_reported_as_arithmetic_error():
    M = sp.csc_matrix(np.array([[1.0, 1.0, 0.0], [1.0, 1.0, 0.0], [0.0, 0.0, 2.0]]))
    with pytest.raises(ArithmeticError):
        _chordal.ChordalCholesky(M).factor()


def test_default_skips_only_what_is_predicted_too_costly(monkeypatch, tmp_path, capsys):
    park = _park(300, "regional")
    monkeypatch.setattr(linear_algebra, "DENSE_LIMIT", 0)
    monkeypatch.setattr(linear_algebra, "AUTO_COVARIANCE_FLOPS", 0.0)
    r = reconcile(park)
    assert not r.uncertainty_propagated
    assert "floating-point operations" in r.uncertainty_skipped and "--covariance" in r.uncertainty_skipped
    rec = r.flows["status"].isin(["reconciled", "computed"])
    assert r.flows.loc[rec, "sigma"].isna().all()
    forced = reconcile(park, covariance=True)
    assert forced.uncertainty_propagated and forced.flows.loc[rec, "sigma"].notna().all()
    # the determined combinations of unobservable flows do not depend on it
    assert len(r.combinations) == len(forced.combinations)
    # the CLI says why, and --json carries it
    import mfa
    from mfa.cli import main

    path = tmp_path / "park.yaml"
    mfa.write_park(park, path)
    assert main(["reconcile", str(path), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["uncertainty_propagated"] is False and "floating-point" in out["uncertainty_skipped"]
    assert main(["reconcile", str(path)]) == 0
    assert "uncertainties not propagated: propagating would take" in capsys.readouterr().out


def test_factor_survives_pickling_for_executors(monkeypatch):
    park = _park(300, "random")
    monkeypatch.setattr(linear_algebra, "DENSE_LIMIT", 0)
    r = reconcile(park)
    normal = r.linear_model.normal
    assert isinstance(normal.factor, _chordal.ChordalCholesky) and normal.factor.L is not None
    b = np.random.default_rng(0).normal(size=(normal.n, 4))
    again = pickle.loads(pickle.dumps(normal))
    np.testing.assert_allclose(again.solve(b), normal.solve(b), rtol=1e-10, atol=1e-12)


def test_every_strategy_of_the_normal_matrix_gives_the_same_answers(monkeypatch):
    """Dense Cholesky, the chordal sparse Cholesky, SuperLU and conjugate gradients (one right-hand side before
    anything is factored) against numpy on the same matrix: M⁻¹b and diag(Hᵀ M⁻¹ H)."""
    from mfa.solve.linear_algebra import DenseCholesky, NormalMatrix, SparseLU

    rng = np.random.default_rng(11)
    n = 700                                             # above DENSE_LIMIT: sparse by default
    M = _random_spd(n, rng)
    b = rng.normal(size=n)
    H = sp.random(n, 25, density=0.02, random_state=4, format="csc")
    Md = M.toarray()
    x_ref = np.linalg.solve(Md, b)
    q_ref = np.einsum("ij,ij->j", H.toarray(), np.linalg.solve(Md, H.toarray()))

    cg = NormalMatrix(M)
    np.testing.assert_allclose(cg.solve(b), x_ref, rtol=1e-9, atol=1e-12 * np.abs(x_ref).max())
    assert cg.factor is None                           # values alone never factor
    chol = NormalMatrix(M)
    np.testing.assert_allclose(chol.inverse_quadratic(H), q_ref, rtol=1e-9)
    assert isinstance(chol.factor, _chordal.ChordalCholesky)
    np.testing.assert_allclose(chol.solve(b[:, None])[:, 0], x_ref, rtol=1e-9)
    lu = NormalMatrix(M, sparse_cholesky=False)
    np.testing.assert_allclose(lu.inverse_quadratic(H), q_ref, rtol=1e-9)
    assert isinstance(lu.factor, SparseLU)
    monkeypatch.setattr(linear_algebra, "DENSE_LIMIT", 10 * n)
    dense = NormalMatrix(M)
    assert isinstance(dense.factor, DenseCholesky) and dense.rank == n
    np.testing.assert_allclose(dense.inverse_quadratic(H), q_ref, rtol=1e-9)
    np.testing.assert_allclose(dense.solve(b), x_ref, rtol=1e-9)


def test_dependent_equations_fall_back_to_the_pseudo_inverse_and_report_the_rank():
    from mfa.solve.linear_algebra import DensePseudoInverse, NormalMatrix

    rng = np.random.default_rng(5)
    n = 600
    A = sp.random(n - 1, 3 * n, density=0.01, random_state=6, format="csr") + sp.eye(n - 1, 3 * n)
    A = sp.vstack([A, A[:1] + A[1:2]]).tocsr()          # the last equation is the sum of the first two
    M = (A @ A.T).tocsr()
    normal = NormalMatrix(M)
    normal.factorise()
    assert isinstance(normal.factor, DensePseudoInverse) and normal.rank == n - 1
    b = M @ rng.normal(size=n)                          # consistent right-hand side
    np.testing.assert_allclose(M @ normal.solve(b[:, None])[:, 0], b, rtol=1e-8, atol=1e-8 * np.abs(b).max())
