"""Supernodal sparse Cholesky with selected inversion, for the uncertainties of large parks.

Propagating uncertainties through a reconciliation needs ``diag(Hᵀ M⁻¹ H)`` for a symmetric positive
definite ``M`` (the reduced normal matrix ``A Q Aᵀ``) and one sparse column of ``H`` per output. Solving once
per column costs ``n_outputs × nnz(L)``. Most columns (one per measured flow) only touch pairs of equations
that share a flow, and every such pair lies in the sparsity pattern of ``M`` and therefore of its Cholesky
factor ``L``. The *projected inverse* (the entries of ``M⁻¹`` on the pattern of ``L``; Takahashi's
recurrences, done supernode by supernode) gives all of them for about the price of the factorisation.
The remaining columns, whose pairs of equations fall outside the pattern (computed flows, whose support
spans the neighbourhood of their block), are solved directly, in batches, with the supernodal triangular
solve.

The factorisation, the projected inverse and the batched solves are those of chompack (Andersen &
Vandenberghe, *Chordal Graphs and Semidefinite Optimization*, 2015; Andersen, Dahl & Vandenberghe, *Logarithmic
barriers for sparse matrix cones*, 2013), ordered by AMD (SuiteSparse, through cvxopt). This module only
arranges the inputs and reads the supernodal storage back with numpy, vectorised.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

# Columns with more non-zeros than this are solved directly: their pairs would outnumber a solve.
_MAX_PAIRS_COLUMN = 64
# Right-hand sides per batched triangular solve (n × batch doubles in memory).
_BATCH_BYTES = 64e6


def available() -> bool:
    """Whether chompack (and cvxopt) can be imported.

    Returns
    -------
    bool

    Examples
    --------
    >>> isinstance(available(), bool)
    True
    """
    try:
        import chompack  # noqa: F401
        import cvxopt  # noqa: F401
    except ImportError:
        return False
    return True


def _cvx_lower(S: sp.spmatrix, ones: bool = False):
    import cvxopt

    S = sp.tril(S).tocoo()
    data = np.ones(S.nnz) if ones else np.asarray(S.data, dtype=float)
    return cvxopt.spmatrix(cvxopt.matrix(np.ascontiguousarray(data)),
                           cvxopt.matrix(S.row.astype(np.int64)), cvxopt.matrix(S.col.astype(np.int64)),
                           S.shape)


def _ints(a) -> np.ndarray:
    return np.asarray(a, dtype=np.int64).ravel()


class ChordalCholesky:
    """``P M Pᵀ = L Lᵀ`` of a sparse symmetric positive definite matrix (AMD order ``P``, supernodal ``L``).

    ``ChordalCholesky(M)`` runs only the symbolic analysis (cheap): :attr:`nnz` and :meth:`flops` tell what
    the numeric work will cost before :meth:`factor` does it. :meth:`factor` raises ``ArithmeticError`` when
    ``M`` is not positive definite (linearly dependent equations). ``extra`` adds positions to the pattern
    (explicit zeros), so that the projected inverse also holds those entries of ``M⁻¹``.
    :attr:`predicted_flops` is the cost :func:`for_inverse_quadratic` predicted for the use it chose this
    factor for.

    Parameters
    ----------
    M : scipy.sparse matrix
        Symmetric positive definite (only its lower triangle is read).
    extra : scipy.sparse matrix, optional
        Positions to add to the pattern.

    Examples
    --------
    >>> M = sp.csc_matrix(np.array([[4.0, -1.0, 0.0], [-1.0, 4.0, -1.0], [0.0, -1.0, 4.0]]))
    >>> c = ChordalCholesky(M)
    >>> c.nnz, bool(np.allclose(M @ c.solve(np.ones(3)), 1.0))
    (5, True)
    """

    def __init__(self, M: sp.spmatrix, extra: sp.spmatrix | None = None):
        import chompack
        from cvxopt import amd

        M = sp.csc_matrix(M)
        self.n = M.shape[0]
        pattern = abs(M)
        pattern.data[:] = 1.0   # explicit zeros stay in the pattern
        if extra is not None:
            extra = abs(sp.csc_matrix(extra))
            extra.data[:] = 1.0
            pattern = (pattern + extra).tocsc()
        # AMD order applied here with scipy: chompack's own permutation of a cvxopt matrix is slow
        self._p = _ints(amd.order(_cvx_lower(pattern, ones=True)))
        p = self._p
        self._Mp = M[p][:, p].tocsc()
        self.symb = chompack.symbolic(_cvx_lower(pattern[p][:, p], ones=True))
        s = self.symb
        self._snptr, self._snode = _ints(s.snptr), _ints(s.snode)
        self._sncolptr, self._snrowidx = _ints(s.sncolptr), _ints(s.snrowidx)
        self._blkptr, self._relptr = _ints(s.blkptr), _ints(s.relptr)
        # position of every original row in the factor's order (AMD, then chompack's postorder)
        self._ip = np.empty(self.n, dtype=np.int64)
        self._ip[p[_ints(s.p)]] = np.arange(self.n)
        self.L = None
        self.predicted_flops = self.flops()

    @property
    def nnz(self) -> int:
        """Non-zeros of the factor's lower triangle (after fill).

        Returns
        -------
        int
        """
        return int(self.symb.nnz)

    def flops(self, n_solves: int = 0) -> float:
        """Floating-point operations of factor + projected inverse + ``n_solves`` forward solves.

        Parameters
        ----------
        n_solves : int

        Returns
        -------
        float

        Examples
        --------
        >>> M = sp.csc_matrix(np.array([[4.0, -1.0, 0.0], [-1.0, 4.0, -1.0], [0.0, -1.0, 4.0]]))
        >>> c = ChordalCholesky(M)
        >>> c.flops(10) > c.flops(0) > 0
        True
        """
        nn = np.diff(self._snptr).astype(float)
        na = np.diff(self._relptr).astype(float)
        chol = float(np.sum(nn ** 3 / 3 + nn ** 2 * na + nn * na ** 2))
        return 3.0 * chol + 2.0 * self.nnz * n_solves

    def factor(self) -> "ChordalCholesky":
        """The numeric factorisation (once).

        Returns
        -------
        ChordalCholesky
            Itself.

        Raises
        ------
        ArithmeticError
            M is not positive definite.

        Examples
        --------
        >>> ChordalCholesky(sp.csc_matrix(np.eye(2))).factor().L is not None
        True
        """
        import chompack

        if self.L is None:
            L = chompack.cspmatrix(self.symb) + _cvx_lower(self._Mp)
            chompack.cholesky(L)   # ArithmeticError if not positive definite
            self.L = L
        return self

    # ----------------------------------------------------------------------------------------------------
    def solve(self, b: np.ndarray) -> np.ndarray:
        """M⁻¹ b for a vector or an n × k matrix.

        Parameters
        ----------
        b : numpy.ndarray

        Returns
        -------
        numpy.ndarray

        Examples
        --------
        >>> ChordalCholesky(sp.csc_matrix(np.eye(2) * 2)).solve(np.array([2.0, 4.0])).round(12).tolist()
        [1.0, 2.0]
        """
        import chompack
        import cvxopt

        self.factor()
        B = np.asarray(b, dtype=float)
        vec = B.ndim == 1
        Bc = cvxopt.matrix(np.asfortranarray(B.reshape(self.n, -1)[self._p]))
        chompack.trsm(self.L, Bc, trans="N")
        chompack.trsm(self.L, Bc, trans="T")
        X = np.empty((self.n, Bc.size[1]))
        X[self._p] = np.asarray(Bc)
        return X.ravel() if vec else X

    def _forward_norms(self, H: sp.csc_matrix) -> np.ndarray:
        """‖L⁻¹ P h‖² = hᵀ M⁻¹ h for every column h of H, in batches."""
        import chompack
        import cvxopt

        out = np.zeros(H.shape[1])
        batch = max(1, int(_BATCH_BYTES // (8 * max(self.n, 1))))
        for s in range(0, H.shape[1], batch):
            Bc = cvxopt.matrix(np.asfortranarray(H[:, s:s + batch].toarray()[self._p]))
            chompack.trsm(self.L, Bc, trans="N")
            X = np.asarray(Bc)
            out[s:s + batch] = np.einsum("ij,ij->j", X, X)
        return out

    def _pairs(self, H: sp.csc_matrix):
        """Every pair of non-zeros within each column of H: the entry of M⁻¹ it needs (as a position in
        the supernodal storage, −1 where the pair is outside the factor's pattern), the product of the two
        values and the column."""
        n = self.n
        k = np.diff(H.indptr)
        col_of = np.repeat(np.arange(H.shape[1]), k)
        rep = k[col_of]
        e1 = np.repeat(np.arange(H.nnz), rep)
        within = np.arange(len(e1)) - np.repeat(np.cumsum(rep) - rep, rep)
        e2 = np.repeat(H.indptr[:-1][col_of], rep) + within
        a, b = self._ip[H.indices[e1]], self._ip[H.indices[e2]]
        c, r = np.minimum(a, b), np.maximum(a, b)
        # supernode of each column of L, and its place inside the supernode
        snptr, snode, sncolptr = self._snptr, self._snode, self._sncolptr
        n_sn = len(snptr) - 1
        width = np.diff(snptr)
        sn_of = np.empty(n, dtype=np.int64)
        sn_of[snode] = np.repeat(np.arange(n_sn), width)
        local = np.empty(n, dtype=np.int64)
        local[snode] = np.arange(n) - np.repeat(snptr[:-1], width)
        height = np.diff(sncolptr)
        row_key = np.repeat(np.arange(n_sn), height) * n + self._snrowidx
        row_pos = np.arange(len(row_key)) - np.repeat(sncolptr[:-1], height)
        order = np.argsort(row_key, kind="stable")
        row_key, row_pos = row_key[order], row_pos[order]
        sn = sn_of[c]
        key = sn * n + r
        q = np.minimum(np.searchsorted(row_key, key), max(len(row_key) - 1, 0))
        found = row_key[q] == key if len(row_key) else np.zeros(len(key), dtype=bool)
        # blkval holds each supernode as a column-major block (rows × own columns)
        where = np.where(found, self._blkptr[sn] + local[c] * height[sn] + row_pos[q], -1)
        return where, H.data[e1] * H.data[e2], col_of[e1]

    def inverse_quadratic(self, H: sp.spmatrix) -> np.ndarray:
        """diag(Hᵀ M⁻¹ H) for a sparse n × k matrix H.

        Parameters
        ----------
        H : scipy.sparse matrix

        Returns
        -------
        numpy.ndarray
            k values.

        Examples
        --------
        >>> M = sp.csc_matrix(np.array([[4.0, -1.0, 0.0], [-1.0, 4.0, -1.0], [0.0, -1.0, 4.0]]))
        >>> H = sp.csc_matrix(np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]]))
        >>> got = ChordalCholesky(M).inverse_quadratic(H)
        >>> bool(np.allclose(got, np.diag(H.T @ np.linalg.solve(M.toarray(), H.toarray()))))
        True
        """
        import chompack

        H = sp.csc_matrix(H)
        H.sort_indices()
        out = np.zeros(H.shape[1])
        if H.nnz == 0:
            return out
        self.factor()
        k = np.diff(H.indptr)
        small = np.flatnonzero((k > 0) & (k <= _MAX_PAIRS_COLUMN))
        Hp = H[:, small]
        where, prod, col = self._pairs(Hp)
        missing = np.zeros(len(small), dtype=bool)
        missing[col[where < 0]] = True
        direct = np.concatenate([np.flatnonzero(k > _MAX_PAIRS_COLUMN), small[missing]])
        direct.sort()
        if len(direct):
            out[direct] = self._forward_norms(H[:, direct])
        # the projected inverse overwrites its argument: keep the factor for later solves
        Z = self.L.copy()
        chompack.projected_inverse(Z)
        z = np.asarray(Z.blkval).ravel()
        ok = ~missing[col]
        vals = np.bincount(col[ok], weights=prod[ok] * z[where[ok]], minlength=len(small))
        out[small[~missing]] = vals[~missing]
        return out


# Below this many operations the factor with every column's pairs in its pattern is taken without
# comparing (no direct solves; a second symbolic analysis would cost more than it could save).
_CHEAP_FLOPS = 2e10


def for_inverse_quadratic(M: sp.spmatrix, H: sp.spmatrix) -> ChordalCholesky:
    """The factor to compute ``diag(Hᵀ M⁻¹ H)`` with: the pattern widened by every column's pairs of
    non-zeros, so that the projected inverse holds all the entries needed (networks with local structure:
    little extra fill), unless that fills in more than the direct solves it saves would cost (expander-like
    networks).

    Parameters
    ----------
    M : scipy.sparse matrix
        Symmetric positive definite.
    H : scipy.sparse matrix
        n × k.

    Returns
    -------
    ChordalCholesky
        Symbolic analysis only; ``predicted_flops`` is its predicted cost for ``H``.

    Examples
    --------
    >>> M = sp.csc_matrix(np.array([[4.0, -1.0, 0.0], [-1.0, 4.0, -1.0], [0.0, -1.0, 4.0]]))
    >>> plan = for_inverse_quadratic(M, sp.csc_matrix(np.array([[1.0], [0.0], [1.0]])))
    >>> plan.nnz        # the pair (0, 2) added to the pattern
    6
    """
    H = sp.csc_matrix(H)
    k = np.diff(H.indptr)
    wide = np.flatnonzero((k > 1) & (k <= _MAX_PAIRS_COLUMN))
    Hw = H[:, wide].copy()
    Hw.data[:] = 1.0
    widened = ChordalCholesky(M, extra=Hw @ Hw.T)
    n_long = int(np.sum(k > _MAX_PAIRS_COLUMN))
    f_widened = widened.flops(n_long)
    widened.predicted_flops = f_widened
    if f_widened <= _CHEAP_FLOPS:
        return widened
    plain = ChordalCholesky(M)
    # columns over more than two equations rarely have all their pairs in M's own pattern
    plain.predicted_flops = plain.flops(int(np.sum(k > 2)))
    return widened if f_widened <= plain.predicted_flops else plain
