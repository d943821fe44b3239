"""Elimination of the unknowns: a basis ``P`` of the left null space of their Jacobian ``J_y`` (the reduced
equations, free of unknowns), a generalised inverse of ``J_y`` (the unknowns from the rest) and its null space
(which unknowns the equations do not determine).

Sparse: triangular pivots on a spanning forest of the unknown flows rooted at the boundary
(:mod:`mfa.solve._triangular`); only what transfer-coefficient rows leave over is resolved densely, block by
block. :func:`eliminate_dense` is the dense block-SVD reference the tests compare with.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import scipy.sparse as sp

from mfa.solve import _triangular

__all__ = ["Elimination", "NullSpace", "components", "eliminate", "eliminate_dense", "same_pattern"]

# Ranks and zero tests. The Jacobian of the unknowns holds ±1, −tc and −1 (stock), so it is well scaled.
_RANK_RTOL = 1e-10
NULL_TOL = 1e-8


@dataclass(frozen=True, eq=False)
class NullSpace:
    """The null space of ``J_y``: which unknowns the equations leave free.

    Attributes
    ----------
    basis : scipy.sparse.csc_matrix
        n_y × k, columns span the null space.
    rep : numpy.ndarray
        A representative unknown of each column (its connected component is the column's:
        :attr:`Elimination.null_comp`).
    observable : numpy.ndarray
        Per unknown: True when no null-space direction moves it (the equations determine it).

    Examples
    --------
    >>> ns = eliminate(sp.csr_matrix(np.array([[1.0, 1.0]]))).null
    >>> ns.basis.shape, ns.observable.tolist()
    ((2, 1), [False, False])
    """

    basis: sp.csc_matrix
    rep: np.ndarray
    observable: np.ndarray


@dataclass(eq=False)
class Elimination:
    """What the elimination of the unknowns gives.

    The null space (observability) and the connected components are computed on first use: iterations of
    a bilinear park only need ``P`` and ``Yplus``, the components only serve messages and the combinations
    of unobservable unknowns.

    Attributes
    ----------
    P : scipy.sparse.csr_matrix
        n_red × n_c; rows span the left null space of J_y.
    Yplus : scipy.sparse.csr_matrix or GeneralisedInverse
        A generalised inverse of J_y (n_y × n_c, applied with ``@``).
    null_space : NullSpace or callable
        The null space, or a function giving ``(basis, representative unknown of each column)``.
    reduction : Reduction or None
        The triangular reduction (reused by the next iteration's :func:`eliminate`).
    jacobian : scipy.sparse.csr_matrix or None
        The J_y eliminated (its pattern is compared by the next iteration; its components found from it).
    P_rep : numpy.ndarray or None
        A representative equation of each row of P (its component is the row's).
    labels : tuple of numpy.ndarray or None
        ``(comp_of_row, comp_of_y)`` when known (else found from ``jacobian`` on first use).

    Examples
    --------
    >>> el = eliminate(sp.csr_matrix(np.array([[1.0, -1.0], [0.0, 1.0], [0.0, 1.0]])))
    >>> el.P.shape, el.observable.tolist(), el.comp_of_row.tolist()
    ((1, 3), [True, True], [0, 0, 0])
    """

    P: sp.csr_matrix
    Yplus: Any
    null_space: NullSpace | Callable[[], tuple[sp.csc_matrix, np.ndarray]]
    reduction: _triangular.Reduction | None = None
    jacobian: sp.csr_matrix | None = None
    P_rep: np.ndarray | None = None
    labels: tuple[np.ndarray, np.ndarray] | None = None
    _null: NullSpace | None = field(default=None, init=False, repr=False)

    def _labels(self) -> tuple[np.ndarray, np.ndarray]:
        if self.labels is None:
            _, lab_r, lab_c = components(self.jacobian)
            self.labels = (lab_r, lab_c)
        return self.labels

    @property
    def comp_of_row(self) -> np.ndarray:
        """Component label (of the equation–unknown graph) of each equation.

        Returns
        -------
        numpy.ndarray

        Examples
        --------
        >>> eliminate(sp.csr_matrix(np.array([[1.0, 0.0], [0.0, 1.0]]))).comp_of_row.tolist()
        [0, 1]
        """
        return self._labels()[0]

    @property
    def comp_of_y(self) -> np.ndarray:
        """Component label of each unknown.

        Returns
        -------
        numpy.ndarray

        Examples
        --------
        >>> eliminate(sp.csr_matrix(np.array([[1.0, 0.0], [0.0, 1.0]]))).comp_of_y.tolist()
        [0, 1]
        """
        return self._labels()[1]

    @property
    def P_comp(self) -> np.ndarray:
        """Component label of each row of P.

        Returns
        -------
        numpy.ndarray

        Examples
        --------
        >>> eliminate(sp.csr_matrix(np.array([[1.0, -1.0], [1.0, -1.0]]))).P_comp.tolist()
        [0]
        """
        rep = self.P_rep if self.P_rep is not None else np.zeros(0, dtype=np.int64)
        return self.comp_of_row[rep] if len(rep) else np.zeros(0, dtype=np.int64)

    @property
    def null(self) -> NullSpace:
        """The null space of J_y (computed once, on first use).

        Returns
        -------
        NullSpace
            Basis, component of each column, and which unknowns it leaves determined.

        Examples
        --------
        >>> el = eliminate(sp.csr_matrix(np.array([[1.0, -1.0, 1.0]])))
        >>> el.null.basis.shape
        (3, 2)
        """
        if self._null is None:
            ns = self.null_space
            self._null = ns if isinstance(ns, NullSpace) else self._observability(*ns())
        return self._null

    def _observability(self, N: sp.csc_matrix, rep_c: np.ndarray) -> NullSpace:
        # one per unknown (N is n_y × k): not len(comp_of_y), which would find the components only to count them
        observable = np.ones(N.shape[0], dtype=bool)
        if N.shape[1]:
            # a null-space direction moves the unknown: unobservable (relative to each direction's largest)
            colmax = np.asarray(abs(N).max(axis=0).todense()).ravel()
            Nn = N @ sp.diags(1.0 / np.maximum(colmax, 1e-300))
            rowmax = np.asarray(abs(Nn).max(axis=1).todense()).ravel()
            observable = rowmax <= NULL_TOL
        return NullSpace(basis=N, rep=np.asarray(rep_c, dtype=np.int64), observable=observable)

    @property
    def null_comp(self) -> np.ndarray:
        """Component of each null-space column.

        Returns
        -------
        numpy.ndarray

        Examples
        --------
        >>> el = eliminate(sp.csr_matrix(np.array([[1.0, -1.0, 1.0]])))
        >>> el.null_comp.tolist()
        [0, 0]
        """
        rep = self.null.rep
        return self.comp_of_y[rep] if len(rep) else np.zeros(0, dtype=np.int64)

    @property
    def observable(self) -> np.ndarray:
        """Per unknown: whether the equations determine it.

        Returns
        -------
        numpy.ndarray of bool

        Examples
        --------
        >>> el = eliminate(sp.csr_matrix(np.array([[1.0, -1.0, 1.0]])))
        >>> el.observable.tolist()
        [False, False, False]
        >>> eliminate(sp.csr_matrix(np.array([[1.0, -1.0], [0.0, 1.0]]))).observable.tolist()
        [True, True]
        """
        return self.null.observable


def components(Jy: sp.csr_matrix) -> tuple[int, np.ndarray, np.ndarray]:
    """Connected components of the equation–unknown graph.

    Parameters
    ----------
    Jy : scipy.sparse.csr_matrix
        The Jacobian of the equations with respect to the unknowns (n_c × n_y).

    Returns
    -------
    tuple of (int, numpy.ndarray, numpy.ndarray)
        The number of components, the label of each equation, the label of each unknown.

    Examples
    --------
    >>> n, rows, cols = components(sp.csr_matrix(np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 1.0]])))
    >>> n, rows.tolist(), cols.tolist()
    (2, [0, 1, 1], [0, 1])
    """
    from mfa.solve.linear_algebra import connected_components

    n_c, n_y = Jy.shape
    pattern = Jy.copy()
    pattern.data = np.ones_like(pattern.data)
    graph = sp.bmat([[None, pattern], [pattern.T, None]], format="csr") if n_y else sp.csr_matrix((n_c, n_c))
    if graph.shape[0] == 0:
        n_comp, labels = 0, np.zeros(0, dtype=np.int64)
    else:
        n_comp, labels = connected_components(graph)
    return n_comp, labels[:n_c], labels[n_c:]


def eliminate(Jy: sp.csr_matrix, previous: Elimination | None = None) -> Elimination:
    """Left null space, a generalised inverse and the null space (observability) of J_y, by sparse
    triangular elimination: O(non-zeros) for balance equations; only what transfer-coefficient rows leave
    over is resolved densely, block by block.

    Parameters
    ----------
    Jy : scipy.sparse.csr_matrix
        The Jacobian of the equations with respect to the unknowns (n_c × n_y).
    previous : Elimination, optional
        The previous iteration's elimination: its components and pivot order are reused when J_y has the
        same pattern.

    Returns
    -------
    Elimination

    Examples
    --------
    A plant with one measured input and two unknown outputs, one of them fixed by a second equation:

    >>> Jy = sp.csr_matrix(np.array([[1.0, -1.0], [0.0, 1.0], [0.0, 1.0]]))
    >>> el = eliminate(Jy)
    >>> bool(abs(el.P @ Jy).max() < 1e-12), el.P.shape
    (True, (1, 3))
    """
    Jy = sp.csr_matrix(Jy)
    labels = None
    if previous is not None and previous.labels is not None and same_pattern(previous.jacobian, Jy):
        labels = previous.labels            # the next iteration's Jacobian: same graph
    red = _triangular.reduce(Jy, like=previous.reduction if previous is not None else None)
    P, rep_r = red.left_null()
    return Elimination(P=P, Yplus=red.pinv(), null_space=red.null, reduction=red, jacobian=Jy, P_rep=rep_r,
                       labels=labels)


def same_pattern(a: sp.csr_matrix, b: sp.csr_matrix) -> bool:
    """Whether two CSR matrices have the same sparsity pattern (shape, index arrays).

    Parameters
    ----------
    a, b : scipy.sparse.csr_matrix

    Returns
    -------
    bool

    Examples
    --------
    >>> a = sp.csr_matrix(np.array([[1.0, 0.0], [2.0, 3.0]]))
    >>> same_pattern(a, a * 2), same_pattern(a, a.T.tocsr())
    (True, False)
    """
    return (a.shape == b.shape and a.nnz == b.nnz and np.array_equal(a.indptr, b.indptr)
            and np.array_equal(a.indices, b.indices))


def eliminate_dense(Jy: sp.csr_matrix, previous: Elimination | None = None) -> Elimination:
    """The reference for :func:`eliminate` (tests): J_y split into independent blocks, each with a dense
    SVD (left null space, pseudo-inverse, orthonormal null space), blocks of equal shape batched.

    Parameters
    ----------
    Jy : scipy.sparse.csr_matrix
        The Jacobian of the equations with respect to the unknowns (n_c × n_y).
    previous : Elimination, optional
        Ignored (the signature of :func:`eliminate`).

    Returns
    -------
    Elimination

    Examples
    --------
    >>> Jy = sp.csr_matrix(np.array([[1.0, -1.0], [0.0, 1.0], [0.0, 1.0]]))
    >>> el = eliminate_dense(Jy)
    >>> bool(abs(el.P @ Jy).max() < 1e-12), el.P.shape, el.observable.tolist()
    (True, (1, 3), [True, True])
    """
    n_c, n_y = Jy.shape
    n_comp, lab_r, lab_c = components(Jy)
    m_of = np.bincount(lab_r, minlength=n_comp)
    n_of = np.bincount(lab_c, minlength=n_comp)

    # position of every equation / unknown inside its component
    order_r = np.argsort(lab_r, kind="stable")
    start_r = np.concatenate([[0], np.cumsum(m_of)])[:-1]
    pos_r = np.empty(n_c, dtype=np.int64)
    pos_r[order_r] = np.arange(n_c) - start_r[lab_r[order_r]]
    order_c = np.argsort(lab_c, kind="stable")
    start_c = np.concatenate([[0], np.cumsum(n_of)])[:-1]
    pos_c = np.empty(n_y, dtype=np.int64)
    pos_c[order_c] = np.arange(n_y) - start_c[lab_c[order_c]]

    coo = Jy.tocoo()
    nz_comp = lab_r[coo.row]

    P_rows, P_cols, P_vals, P_rep = [], [], [], []
    Y_rows, Y_cols, Y_vals = [], [], []
    observable = np.ones(n_y, dtype=bool)
    null_blocks: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    next_row = 0

    shapes = np.stack([m_of, n_of], axis=1) if n_comp else np.zeros((0, 2), dtype=np.int64)
    uniq, group_of = (np.unique(shapes, axis=0, return_inverse=True) if n_comp
                      else (np.zeros((0, 2), dtype=np.int64), np.zeros(0, dtype=np.int64)))
    group_of = np.asarray(group_of).ravel()
    for gi, (m, n) in enumerate(uniq):
        comps = np.flatnonzero(group_of == gi)
        G = len(comps)
        slot = np.full(n_comp, -1)
        slot[comps] = np.arange(G)
        R = start_r[comps][:, None] + np.arange(m)[None, :]
        R = order_r[R] if m else np.zeros((G, 0), dtype=np.int64)   # equation indices (G × m)
        C = order_c[start_c[comps][:, None] + np.arange(n)[None, :]] if n else np.zeros((G, 0), dtype=np.int64)
        if n == 0:
            # equations without unknowns: each is its own reduced equation
            rows = R.ravel()
            P_rows.append(next_row + np.arange(len(rows)))
            P_cols.append(rows)
            P_vals.append(np.ones(len(rows)))
            P_rep.append(rows)
            next_row += len(rows)
            continue
        if m == 0:
            # unknowns in no equation: unobservable, free
            observable[C.ravel()] = False
            for g, comp in enumerate(comps):
                null_blocks[int(comp)] = (C[g], np.eye(n))
            continue
        sel = slot[nz_comp] >= 0
        blocks = np.zeros((G, m, n))
        np.add.at(blocks, (slot[nz_comp[sel]], pos_r[coo.row[sel]], pos_c[coo.col[sel]]), coo.data[sel])
        U, S, Vt = np.linalg.svd(blocks, full_matrices=True)
        k = min(m, n)
        smax = S[:, :1] if k else np.zeros((G, 1))
        rank = (S > _RANK_RTOL * max(m, n) * np.maximum(smax, 1e-300)).sum(axis=1)
        for r in np.unique(rank):
            sub = np.flatnonzero(rank == r)
            Gs = len(sub)
            if m - r > 0:
                Pn = np.swapaxes(U[sub][:, :, r:], 1, 2)            # Gs × (m−r) × m
                new = next_row + np.arange(Gs * (m - r)).reshape(Gs, m - r)
                P_rows.append(np.repeat(new[:, :, None], m, axis=2).ravel())
                P_cols.append(np.repeat(R[sub][:, None, :], m - r, axis=1).ravel())
                P_vals.append(Pn.ravel())
                P_rep.append(np.repeat(R[sub][:, 0], m - r))     # the first equation of each block
                next_row += Gs * (m - r)
            if r > 0:
                # pseudo-inverse V_r S_r⁻¹ U_rᵀ: Gs × n × m
                Vr = np.swapaxes(Vt[sub][:, :r, :], 1, 2)
                Ur = U[sub][:, :, :r]
                pinv = np.einsum("gnr,gr,gmr->gnm", Vr, 1.0 / S[sub][:, :r], Ur)
                Y_rows.append(np.repeat(C[sub][:, :, None], m, axis=2).ravel())
                Y_cols.append(np.repeat(R[sub][:, None, :], n, axis=1).ravel())
                Y_vals.append(pinv.ravel())
            if n - r > 0:
                N = np.swapaxes(Vt[sub][:, r:, :], 1, 2)             # Gs × n × (n−r)
                unobs = np.linalg.norm(N, axis=2) > NULL_TOL        # Gs × n
                observable[C[sub][unobs]] = False
                for g in np.flatnonzero(unobs.any(axis=1)):
                    null_blocks[int(comps[sub][g])] = (C[sub][g], N[g])

    def _cat(parts, dtype=float):
        return np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)

    P = sp.csr_matrix((_cat(P_vals), (_cat(P_rows, np.int64), _cat(P_cols, np.int64))), shape=(next_row, n_c))
    Yplus = sp.csr_matrix((_cat(Y_vals), (_cat(Y_rows, np.int64), _cat(Y_cols, np.int64))), shape=(n_y, n_c))
    Yplus.eliminate_zeros()
    nr, nc, nv, ncomp = [], [], [], []
    k = 0
    for comp, (cols, N) in sorted(null_blocks.items()):
        nr.append(np.repeat(cols, N.shape[1]))
        nc.append(np.tile(k + np.arange(N.shape[1]), len(cols)))
        nv.append(N.ravel())
        ncomp.append(np.full(N.shape[1], cols[0]))
        k += N.shape[1]
    null = sp.csc_matrix((_cat(nv), (_cat(nr, np.int64), _cat(nc, np.int64))), shape=(n_y, k))
    return Elimination(P=P, Yplus=Yplus, P_rep=_cat(P_rep, np.int64), labels=(lab_r, lab_c),
                       null_space=NullSpace(basis=null, rep=_cat(ncomp, np.int64), observable=observable))
