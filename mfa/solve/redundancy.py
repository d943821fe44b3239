"""Which reduced equations the reconciliation keeps: those that check only exact data must hold and are
dropped, and so are combinations of others (a group of processes whose every flow across its border is
exact); contradictions are reported with the processes involved."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import scipy.sparse as sp

from mfa.errors import MfaError
from mfa.solve import _triangular
from mfa.solve.elimination import Elimination, same_pattern
from mfa.solve.model import Model

__all__ = ["drop_redundant_rows", "drop_dependent_rows"]


def drop_redundant_rows(A: sp.csr_matrix, rhs: np.ndarray, el: Elimination, model: Model, v: np.ndarray,
                        labels_eq: np.ndarray, independent: list | None, Jx: sp.csr_matrix,
                        ) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray]:
    """The reduced equations the reconciliation keeps. Those that involve no measured variable only check
    exact data: they must hold, and are dropped; so are those that are combinations of others
    (:func:`drop_dependent_rows`).

    Parameters
    ----------
    A : scipy.sparse.csr_matrix
        The reduced equations' Jacobian of the measured variables, ``P J_x`` (n_red × n_x).
    rhs : numpy.ndarray
        Their right-hand sides.
    el : Elimination
        The elimination that gave ``P``.
    model : Model
    v : numpy.ndarray
        The linearisation point.
    labels_eq : numpy.ndarray
        The equations' labels (for messages).
    independent : list or None
        Patterns of reduced systems already found independent (filled in; bilinear iterations reuse it).
    Jx : scipy.sparse.csr_matrix
        The Jacobian of the measured variables.

    Returns
    -------
    tuple of (scipy.sparse.csr_matrix, numpy.ndarray, numpy.ndarray)
        ``A`` and ``rhs`` of the kept equations, and the mask of kept rows of ``P``.

    Raises
    ------
    mfa.errors.MfaError
        The exact data contradict the equations, with the processes involved.

    Examples
    --------
    >>> from mfa.solve.elimination import eliminate
    >>> from mfa.solve.model import example_park, model_from_park
    >>> m = model_from_park(example_park())
    >>> v = np.array([100.0, 60.0, 0.0])
    >>> J = m.jacobian(v)
    >>> el = eliminate(J[:, [2]])
    >>> A = (el.P @ J[:, [0, 1]]).tocsr()   # no reduced equation: the unknown absorbs the balance
    >>> drop_redundant_rows(A, np.zeros(0), el, m, v, m.equation_labels(), [], J[:, [0, 1]])[0].shape
    (0, 2)
    """
    norms = np.sqrt(np.asarray(A.multiply(A).sum(axis=1)).ravel())
    scale_memo: list[np.ndarray] = []

    def scale_of() -> np.ndarray:
        # yardstick: the same combination applied to each equation's throughput; only the tests below that
        # can fail need it (a Jacobian and a product with |P| every Gauss–Newton pass otherwise)
        if not scale_memo:
            scale_memo.append(abs(el.P) @ model.row_scale(v, rows=np.unique(el.P.indices)))
        return scale_memo[0]
    # A row is empty when what is left of it is rounding of the entries that went into it: measured
    # against |P|·|J_x| of that row, so the size of other rows' entries (a transfer coefficient's column
    # holds its source's whole input, 10¹² t/a at province scale) never makes a ±1 row look empty.
    ref = abs(el.P) @ abs(Jx)
    ref_norm = np.sqrt(np.asarray(ref.multiply(ref).sum(axis=1)).ravel())
    empty = norms <= 1e-12 * ref_norm
    # |rhs| ≤ 1e-9 passes whatever the scale (at least 1)
    bad = empty & (np.abs(rhs) > 1e-9)
    if bad.any():
        bad &= np.abs(rhs) > 1e-9 * np.maximum(scale_of(), 1.0)
    if bad.any():
        lines = []
        for i in np.flatnonzero(bad)[:10]:
            eqs = np.flatnonzero(el.comp_of_row == el.P_comp[i])
            names = ", ".join(labels_eq[eqs][:6]) + (" …" if len(eqs) > 6 else "")
            lines.append(f"{names}: off by {abs(rhs[i]):.6g} t/a")
        raise MfaError("the exact data contradict the model equations (no measured value can absorb the "
                       "difference):\n  - " + "\n  - ".join(lines) +
                       "\n(give one of the flows involved a sigma, or correct the values)")
    keep = ~empty
    if empty.any():
        A, rhs = A[keep], rhs[keep]
    dep = drop_dependent_rows(A, rhs, el.P[keep] if empty.any() else el.P, lambda: scale_of()[keep], labels_eq,
                               independent)
    if dep is not None:
        kept = np.flatnonzero(keep)
        keep[kept[~dep]] = False
        A, rhs = A[dep], rhs[dep]
    return A, rhs, keep


def drop_dependent_rows(A: sp.csr_matrix, rhs: np.ndarray, P: sp.csr_matrix,
                        scale: np.ndarray | Callable[[], np.ndarray],
                        labels_eq: np.ndarray, independent: list | None = None) -> np.ndarray | None:
    """Reduced equations that are combinations of others (a group of processes whose every flow across
    its border is exact: their joint balance only checks exact data). Each such combination must hold; it
    is then dropped, so that A Q Aᵀ is non-singular. Returns the mask of rows to keep, or None if all are
    independent. Contradictions are reported with the processes involved.

    Parameters
    ----------
    A : scipy.sparse.csr_matrix
        The reduced equations' Jacobian of the measured variables.
    rhs : numpy.ndarray
        Their right-hand sides.
    P : scipy.sparse.csr_matrix
        Their rows of the left null space (to name the original equations).
    scale : numpy.ndarray or callable
        Their throughputs (the yardstick of 'holds'), or a function giving them (called only when some rows
        are dependent).
    labels_eq : numpy.ndarray
        The original equations' labels.
    independent : list or None
        Systems found independent before, as (matrix, pivots): one of the same pattern skips the test, and
        so do pivots that pivot every row of this one too (filled in).

    Returns
    -------
    numpy.ndarray or None
        The mask of rows to keep, or None when all are independent.

    Raises
    ------
    mfa.errors.MfaError
        A dependent combination that does not hold.

    Examples
    --------
    >>> A = sp.csr_matrix(np.array([[1.0, -1.0], [-1.0, 1.0]]))   # the same equation twice
    >>> drop_dependent_rows(A, np.zeros(2), sp.identity(2, format="csr"), np.ones(2),
    ...                     np.array(["a", "b"])).sum().item()
    1
    """

    if not A.shape[0]:
        return None
    M = _triangular.clean(A)
    if independent is not None:
        if any(same_pattern(M, B) for B, _ in independent):
            return None                             # a matrix of this pattern was found independent
        suit = next((pe for B, pe in independent[::-1] if B.shape == M.shape and _triangular.pivots_suit(M, pe)),
                    None)
        if suit is not None:
            independent.append((M, suit))
            return None                             # an earlier pass's pivots pivot every row of this one too
    pe = _triangular.peel(M)
    if not len(pe.rest_rows):
        if independent is not None:
            independent.append((M, pe))             # every row pivoted: independent (the usual case)
        return None
    red = _triangular.reduce(M)
    if red.rank == A.shape[0]:
        return None
    L, _ = red.left_null()                          # dependent combinations of the reduced equations
    off = np.abs(L @ rhs)
    yard = abs(L) @ np.maximum(scale() if callable(scale) else scale, 1.0)
    bad = np.flatnonzero(off > 1e-9 * yard)
    if len(bad):
        eqs = (abs(L[bad]) @ abs(P)).tocsr()
        lines = []
        for i, b in enumerate(bad[:10]):
            e = eqs.indices[eqs.indptr[i]:eqs.indptr[i + 1]]
            e = np.sort(e)
            names = ", ".join(labels_eq[e][:8]) + (f" … ({len(e)} equations)" if len(e) > 8 else "")
            lines.append(f"{names}: off by {off[b]:.6g} t/a")
        raise MfaError("the exact data contradict the model equations: these processes exchange only exact "
                       "flows with the rest of the park, and their joint balance does not hold (no measured "
                       "value can absorb the difference):\n  - " + "\n  - ".join(lines) +
                       "\n(give one of the flows across their border a sigma, or correct the values)")
    return red.independent_rows()
