"""The sparse elimination reused from one Gauss–Newton pass to the next (mfa.solve._triangular): triangular
solves from the right, pivots kept while they suit the new numbers, and the reduction of a matrix whose
entries rounded to zero still spanning its null spaces."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from mfa.solve import _triangular
from mfa.solve.linear_algebra import Gather, entry_positions
from tests.test_solve_patterns import _random_matrix


def _tc_like(rng, m=60, n=80):
    """An incidence matrix with a few coefficient-like rows (−share × inputs): not all of it triangular."""
    M = _random_matrix(rng, m, n, incidence=True).tolil()
    for r in rng.choice(m, 6, replace=False):
        M[r, rng.choice(n, 3, replace=False)] = -rng.uniform(0.1, 0.9, 3)
    return M.tocsr()


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_solves_from_the_right_equal_dense_triangular_solves(seed):
    rng = np.random.default_rng(seed)
    M = _triangular.clean(_tc_like(rng))
    pe = _triangular.peel(M)
    B = M[pe.rows][:, pe.cols].toarray()
    E = sp.random(7, pe.size, density=0.2, random_state=seed, format="csr")
    R = sp.random(pe.size, 5, density=0.2, random_state=seed + 10, format="csr")
    np.testing.assert_allclose(pe.solve_right(E).toarray(), E.toarray() @ np.linalg.inv(B), atol=1e-12)
    np.testing.assert_allclose(pe.solve_right(E, transpose=True).toarray(), E.toarray() @ np.linalg.inv(B.T),
                               atol=1e-12)
    np.testing.assert_allclose(pe.solve(R).toarray(), np.linalg.solve(B, R.toarray()), atol=1e-12)
    np.testing.assert_allclose(pe.solve(R, transpose=True).toarray(), np.linalg.solve(B.T, R.toarray()),
                               atol=1e-12)
    # the absolute recurrence bounds every term: |B⁻¹ R| ≤ its result, entry by entry
    bound = pe.solve(abs(R), absolute=True).toarray()
    assert (np.abs(np.linalg.solve(B, R.toarray())) <= bound + 1e-12).all()


def _check(red, D):
    rank = np.linalg.matrix_rank(D)
    L, _ = red.left_null()
    N, _ = red.null()
    assert red.rank == rank
    assert L.shape[0] == D.shape[0] - rank and N.shape[1] == D.shape[1] - rank
    assert np.abs(L @ D).max(initial=0.0) < 1e-10 and np.abs(D @ N).max(initial=0.0) < 1e-10
    np.testing.assert_allclose(D @ (red.pinv() @ D), D, atol=1e-10)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_pivots_are_kept_while_entries_round_to_zero_and_back(seed):
    rng = np.random.default_rng(seed)
    M1 = _tc_like(rng)
    first = _triangular.reduce(M1)
    # the next pass: other numbers, and some entries off the pivots at (almost) zero: the pattern stays
    M2 = M1.copy()
    M2.data = M2.data * rng.uniform(0.5, 1.5, M2.nnz)
    B = entry_positions(M1)[first.pe.rows][:, first.pe.cols].tocoo()
    pivot_at = set((B.data[B.row == B.col] - 1).astype(int).tolist())
    off_pivot = np.array([k for k in range(M2.nnz) if k not in pivot_at])
    M2.data[rng.choice(off_pivot, 5, replace=False)] = 1e-18
    second = _triangular.reduce(M2, like=first)
    assert np.array_equal(second.pe.rows, first.pe.rows) and np.array_equal(second.pe.cols, first.pe.cols)
    assert second.pe.plan is first.pe.plan                      # gathered, not indexed again
    D2 = _triangular.clean(M2).toarray()
    _check(second, D2)
    # a pivot at zero: fresh pivots, and still an exact elimination
    M3 = M2.copy()
    M3.data[sorted(pivot_at)[0]] = 0.0
    third = _triangular.reduce(M3, like=first)
    assert third.pe.plan is not first.pe.plan
    _check(third, M3.toarray())


def test_pivots_suit_only_a_triangular_block_of_the_non_zeros():
    M = sp.csr_matrix(np.array([[1.0, -1.0, 0.0], [0.0, 1.0, -1.0]]))   # a chain: 2 balances, 3 flows
    pe = _triangular.peel(M)
    assert _triangular.pivots_suit(3 * M, pe)
    # an entry against the level order makes B non-triangular in that order
    back = M.toarray()
    back[pe.rows[-1], pe.cols[0]] = 0.5
    assert not _triangular.pivots_suit(sp.csr_matrix(back), pe)
    assert not _triangular.pivots_suit(sp.csr_matrix(np.zeros((2, 3))), pe)


def test_gather_takes_the_same_entries_as_indexing():
    rng = np.random.default_rng(4)
    M = sp.random(40, 50, density=0.1, random_state=4, format="csr")
    rows, cols = rng.permutation(40)[:25], np.sort(rng.permutation(50)[:30])
    g = Gather(entry_positions(M)[rows][:, cols])
    M2 = M.copy()
    M2.data = rng.normal(size=M2.nnz)
    np.testing.assert_array_equal(g.take(M2).toarray(), M2[rows][:, cols].toarray())


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4, 5])
def test_an_entry_that_was_zero_sets_its_pivot_aside(seed):
    # a coefficient at zero at the start point (a content started at 0) is in the pattern but not in B's
    # triangle; when it moves, only its row's pivot goes to the Schur complement
    rng = np.random.default_rng(seed)
    M1 = _tc_like(rng)
    at = rng.choice(M1.nnz, M1.nnz // 5, replace=False)
    M1.data[at] = 0.0                                          # explicit zeros: kept in the pattern
    first = _triangular.reduce(M1)
    plan = first.pe.plan
    backward = plan.off.at[plan.backward]
    if not len(backward):
        pytest.skip("no zero entry against the level order in this draw")
    M2 = M1.copy()
    M2.data[backward[0]] = 0.7
    second = _triangular.reduce(M2, like=first)
    kept = np.isin(first.pe.rows, second.pe.rows)
    assert kept.sum() == first.pe.size - 1 and len(second.pe.rest_rows) == len(first.pe.rest_rows) + 1
    _check(second, M2.toarray())


def test_dependent_rows_yardstick_computed_only_when_rows_are_dependent():
    """The throughputs (a Jacobian and a product with |P| per pass) are asked for only when some reduced
    equations are combinations of others; the dependent one is still found and dropped."""
    from mfa.solve.redundancy import drop_dependent_rows

    calls = []

    def scale():
        calls.append(1)
        return np.ones(3)

    labels = np.array(["a", "b", "c"])
    A = sp.csr_matrix(np.array([[1.0, -1.0, 0.0], [0.0, 1.0, -1.0], [1.0, 0.0, -1.0]]))
    P = sp.identity(3, format="csr")
    keep = drop_dependent_rows(A, np.zeros(3), P, scale, labels)
    assert calls == [1] and keep.sum() == 2        # row 3 = row 1 + row 2
    calls.clear()
    assert drop_dependent_rows(A[:2], np.zeros(2), P[:2], scale, labels) is None and calls == []
