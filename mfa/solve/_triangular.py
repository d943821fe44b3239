"""Rank-revealing sparse elimination by triangular pivots, for the equations of a park.

The unknowns of a reconciliation enter the balance equations through an incidence matrix (one column per
unknown flow, ±1 in the balances of the processes it joins; boundary processes have no row, so a flow to or
from the boundary has a single entry), plus a few transfer-coefficient rows. For an incidence matrix a
spanning forest rooted at the boundary is a maximal non-singular triangular block: its rank is the matrix's
rank, the leftover columns (the edges that close cycles) span the null space and the leftover rows (one root
per connected part without a boundary flow) the left null space. :func:`peel` finds such a block for any
sparse matrix, by rounds of *singleton columns* (a column with one remaining row is pivoted on that row:
breadth first from the boundary, so the forest stays shallow) and, when none is left, one *root row* per
connected part is set aside. No fill-in happens, and pivots are the matrix's own entries.

For other matrices (transfer-coefficient rows) the triangular block may fall short of the rank; the
Schur complement on the leftover rows and columns ``S = N₂ − E B⁻¹ N₁`` is then not zero, and the caller
resolves it (it is small: only where coefficient rows close cycles). :class:`Peel` solves with the
triangular block level by level (one sparse product per level), for dense or sparse right-hand sides.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

# An entry this much smaller than the largest of its row is rounding, not structure.
_ZERO_RTOL = 1e-14


def _ranges(indptr: np.ndarray, which: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Storage positions of the compressed rows (or columns) ``which``, concatenated, and the index into
    ``which`` that owns each."""
    starts = indptr[which]
    lens = indptr[which + 1] - starts
    owner = np.repeat(np.arange(len(which)), lens)
    offset = np.repeat(starts - (np.cumsum(lens) - lens), lens)
    return np.arange(int(lens.sum())) + offset, owner


def clean(M: sp.spmatrix, keep_zeros: bool = False) -> sp.csr_matrix:
    """CSR copy of M without explicit zeros and without entries below 1e-14 of their row's largest.

    Parameters
    ----------
    M : scipy.sparse matrix
    keep_zeros : bool
        Set those entries to zero but keep them in the pattern (which then stays M's from one Gauss–Newton
        pass to the next, while its numbers round to zero and back).

    Returns
    -------
    scipy.sparse.csr_matrix

    Examples
    --------
    >>> clean(sp.csr_matrix(np.array([[1.0, 1e-16, 0.0]]))).nnz
    1
    >>> clean(sp.csr_matrix(np.array([[1.0, 1e-16, 0.0]])), keep_zeros=True).data.tolist()
    [1.0, 0.0]
    """
    M = sp.csr_matrix(M, dtype=float, copy=True)
    M.sum_duplicates()
    if M.nnz:
        a = np.abs(M.data)
        # only an entry below 1e-14 of the largest of all can be below 1e-14 of its row's: their rows alone
        cand = np.flatnonzero((a <= _ZERO_RTOL * a.max()) & (a > 0))
        if len(cand):
            row = np.searchsorted(M.indptr, cand, side="right") - 1
            rows = np.unique(row)
            pos, owner = _ranges(M.indptr, rows)
            rowmax = np.zeros(len(rows))
            np.maximum.at(rowmax, owner, a[pos])
            small = a[cand] <= _ZERO_RTOL * rowmax[np.searchsorted(rows, row)]
            M.data[cand[small]] = 0.0
    if not keep_zeros:
        M.eliminate_zeros()
    return M


@dataclass
class Peel:
    """Triangular pivots of an m × n sparse matrix M.

    ``rows[k]``, ``cols[k]``: the k-th pivot; pivots are grouped in levels (``starts``: the first pivot of
    each level, plus the end). ``B = M[rows][:, cols]`` is upper triangular: row k holds its pivot and
    columns pivoted in later levels only. ``rest_rows`` / ``rest_cols``: the rows and columns left over.

    Examples
    --------
    >>> M = sp.csr_matrix(np.array([[1.0, -1.0, 0.0], [0.0, 1.0, -1.0]]))   # a chain: 2 balances, 3 flows
    >>> pe = peel(M)
    >>> pe.size, pe.rest_cols.tolist(), pe.rest_rows.tolist()
    (2, [1], [])
    """

    shape: tuple[int, int]
    rows: np.ndarray
    cols: np.ndarray
    starts: np.ndarray
    rest_rows: np.ndarray
    rest_cols: np.ndarray
    diag: np.ndarray
    off: sp.csr_matrix        # B without its diagonal (upper, CSR)
    off_t: sp.csr_matrix      # its transpose (lower, CSR)
    level_of: np.ndarray      # level of each pivot position
    plan: "_Plan | None" = None   # where B, E, N₁, N₂ take their entries in M (pattern reuse)

    @property
    def size(self) -> int:
        """Number of pivots."""
        return len(self.rows)

    def solve(self, R: np.ndarray | sp.spmatrix, transpose: bool = False,
              absolute: bool = False) -> np.ndarray | sp.csr_matrix:
        """B⁻¹ R (or B⁻ᵀ R) for R with one row per pivot (dense 1-d/2-d array or sparse matrix). With
        ``absolute``, the same recurrence on absolute values (|B| with its off-diagonal negated, |R|): the
        sum of the magnitudes of every term, the yardstick of cancellation.

        Parameters
        ----------
        R : numpy.ndarray or scipy.sparse matrix
            One row per pivot.
        transpose : bool
            Solve with Bᵀ.
        absolute : bool
            The recurrence on absolute values.

        Returns
        -------
        numpy.ndarray or scipy.sparse.csr_matrix
            Like ``R``.

        Examples
        --------
    >>> M = sp.csr_matrix(np.array([[1.0, -1.0, 0.0], [0.0, 1.0, -1.0]]))   # a chain: 2 balances, 3 flows
        >>> pe = peel(M)
        >>> B = M[pe.rows][:, pe.cols].toarray()
        >>> bool(np.allclose(B @ pe.solve(np.array([1.0, 2.0])), [1.0, 2.0]))
        True
        """
        Off = self.off_t if transpose else self.off
        diag = self.diag
        if absolute:
            Off = -abs(Off)
            diag = np.abs(diag)
            R = abs(R)
        n_lev = len(self.starts) - 1
        levels = range(n_lev) if transpose else range(n_lev - 1, -1, -1)
        if not sp.issparse(R):
            R = np.asarray(R, dtype=float)
            Y = np.zeros_like(R)
            if R.ndim == 1:
                # one vector: each level's rows summed straight from Off's arrays (no slice per level)
                owner = np.repeat(np.arange(Off.shape[0]), np.diff(Off.indptr))
                for lv in levels:
                    s, e = self.starts[lv], self.starts[lv + 1]
                    lo, hi = Off.indptr[s], Off.indptr[e]
                    acc = R[s:e]
                    if hi > lo:
                        acc = acc - np.bincount(owner[lo:hi] - s, weights=Off.data[lo:hi] * Y[Off.indices[lo:hi]],
                                                minlength=e - s)
                    Y[s:e] = acc / diag[s:e]
                return Y
            for lv in levels:
                s, e = self.starts[lv], self.starts[lv + 1]
                block = Off[s:e]
                acc = R[s:e] - block @ Y if block.nnz else R[s:e]
                Y[s:e] = acc / diag[s:e, None]
            return Y
        # Sparse right-hand sides: from the right, on the transpose (B Y = R ⇔ Yᵀ Bᵀ = Rᵀ).
        R = sp.csr_matrix(R, dtype=float)
        if not n_lev:
            return sp.csr_matrix((0, R.shape[1]))
        Yt = self.solve_right(R.T.tocsr(), transpose=not transpose, absolute=absolute)
        return Yt.T.tocsr()

    def solve_right(self, E: sp.spmatrix, transpose: bool = False, absolute: bool = False) -> sp.csr_matrix:
        """E B⁻¹ (or E B⁻ᵀ) for sparse E with one column per pivot; ``absolute`` as for :meth:`solve`.

        Parameters
        ----------
        E : scipy.sparse matrix
            One column per pivot.
        transpose : bool
            With Bᵀ.
        absolute : bool
            The recurrence on absolute values.

        Returns
        -------
        scipy.sparse.csr_matrix
            Like ``E`` (sorted indices, no explicit zeros).

        Examples
        --------
        >>> M = sp.csr_matrix(np.array([[1.0, -1.0, 0.0], [0.0, 1.0, -1.0]]))   # a chain: 2 balances, 3 flows
        >>> pe = peel(M)
        >>> B = M[pe.rows][:, pe.cols].toarray()
        >>> X = pe.solve_right(sp.csr_matrix(np.array([[1.0, 2.0]]))).toarray()
        >>> bool(np.allclose(X @ B, [[1.0, 2.0]]))
        True
        """
        # X (D + Off) = E ⇔ X = Σₖ Zₖ, Z₀ = E D⁻¹, Zₖ₊₁ = −Zₖ Off D⁻¹: Off is strictly triangular by levels, so
        # the series ends after at most one term per level, and each term holds only what reaches one level
        # further. Products with E's rows on the left cost the terms' own non-zeros, not a sweep over B.
        Off = self.off_t if transpose else self.off
        diag = self.diag
        E = sp.csr_matrix(E, dtype=float)
        if absolute:
            Off = -abs(Off)
            diag = np.abs(diag)
            E = abs(E)
        dinv = 1.0 / diag
        Z = E.copy()
        Z.data = Z.data * dinv[Z.indices]
        Z.eliminate_zeros()
        terms = [Z]
        for _ in range(len(self.starts) - 1):
            if not Z.nnz or not Off.nnz:
                break
            Z = (Z @ Off).tocsr()
            Z.data = -Z.data * dinv[Z.indices]
            Z.eliminate_zeros()
            if Z.nnz:
                terms.append(Z)
        if len(terms) == 1:
            X = terms[0]
        else:
            # one sum of all the terms, each entry's added up in the order of the terms, as adding the terms
            # one by one would (which copies the growing sum each time)
            n_rows, n_cols = E.shape
            keys = [np.repeat(np.arange(n_rows, dtype=np.int64), np.diff(Z.indptr)) * n_cols + Z.indices
                    for Z in terms]
            places, slot = np.unique(np.concatenate(keys), return_inverse=True)
            slot = slot.ravel()
            data = np.zeros(len(places))
            at = 0
            for Z in terms:
                data[slot[at:at + Z.nnz]] += Z.data       # a place at most once per term
                at += Z.nnz
            X = sp.csr_matrix((data, (places // n_cols, places % n_cols)), shape=E.shape)
        X.eliminate_zeros()
        X.sort_indices()
        return X


def peel(M: sp.spmatrix, like: Peel | None = None, like_matrix: sp.csr_matrix | None = None) -> Peel:
    """Triangular pivots of M (see the module docstring); M should be :func:`clean` (explicit zeros are
    kept in the pattern but never pivots). With ``like`` (the pivots of ``like_matrix``) and M of the same
    sparsity pattern, the same pivots are used again while they suit M's numbers (no pivot zero, B still
    triangular by levels on its non-zeros): only the numbers change (the Jacobian of the next iteration),
    gathered where ``like`` found them.

    Parameters
    ----------
    M : scipy.sparse matrix
    like : Peel, optional
    like_matrix : scipy.sparse.csr_matrix, optional

    Returns
    -------
    Peel

    Examples
    --------
    >>> M = sp.csr_matrix(np.array([[1.0, -1.0, 0.0], [0.0, 1.0, -1.0]]))   # a chain: 2 balances, 3 flows
    >>> peel(M, peel(M), M).rows.tolist() == peel(M).rows.tolist()
    True
    """
    Mr = sp.csr_matrix(M)
    if (like is not None and like_matrix is not None and like_matrix.shape == Mr.shape
            and like_matrix.nnz == Mr.nnz and np.array_equal(like_matrix.indptr, Mr.indptr)
            and np.array_equal(like_matrix.indices, Mr.indices)):
        # The next pass: same pattern, other numbers. Its pivots still serve while none of them is zero and
        # no entry that rounded to zero before (and so was not in the way) now breaks B's triangle.
        pe = _assemble(Mr, like.rows, like.cols, np.diff(like.starts), like.rest_rows, like.rest_cols, like.plan)
        if pe is not None:
            return pe
        # A few pivots no longer suit (an entry that was zero at the start point is not any more): set them
        # aside for the Schur complement instead of searching all pivots again.
        fewer = _without_unsuited(Mr, like)
        if fewer is not None:
            pe = _assemble(Mr, *fewer)
            if pe is not None:
                return pe
    nonzero = Mr.copy() if Mr.nnz and not Mr.data.all() else Mr
    nonzero.eliminate_zeros()
    pe = _assemble(Mr, *_pivots(nonzero))
    assert pe is not None   # pivots found on M's non-zeros
    return pe


# At most this many pivots are set aside for the Schur complement when they no longer suit the next pass's
# numbers; more, and the pivots are searched again.
_UNSUITED_LIMIT = 200


def _without_unsuited(Mr: sp.csr_matrix, like: Peel) -> tuple | None:
    """The pivots of ``like`` (found on a matrix of Mr's pattern) without those that do not suit Mr's numbers:
    a zero pivot, or a row with a non-zero against the level order. B loses their rows and columns, so it
    stays triangular; their rows and columns join the rest. None when there are too many."""
    plan = like.plan
    if plan is None or (plan.diag < 0).any():
        return None
    bad = Mr.data[plan.diag] == 0
    owner = np.repeat(np.arange(like.size), np.diff(plan.off.indptr))
    bad[owner[plan.backward & (Mr.data[plan.off.at] != 0)]] = True
    n_bad = int(bad.sum())
    if not n_bad or n_bad > _UNSUITED_LIMIT:
        return None
    keep = ~bad
    sizes = np.bincount(like.level_of[keep], minlength=len(like.starts) - 1)
    return (like.rows[keep], like.cols[keep], sizes, np.sort(np.concatenate([like.rest_rows, like.rows[bad]])),
            np.sort(np.concatenate([like.rest_cols, like.cols[bad]])))


def pivots_suit(M: sp.spmatrix, pe: Peel) -> bool:
    """Whether the pivots of ``pe`` (found on a matrix of M's shape) are a non-singular triangular block of
    M's non-zeros too: every pivot non-zero, no entry against the level order.

    Parameters
    ----------
    M : scipy.sparse matrix
    pe : Peel

    Returns
    -------
    bool

    Examples
    --------
    >>> M = sp.csr_matrix(np.array([[1.0, -1.0, 0.0], [0.0, 1.0, -1.0]]))   # a chain: 2 balances, 3 flows
    >>> pe = peel(M)
    >>> pivots_suit(2 * M, pe), pivots_suit(sp.csr_matrix(np.array([[0.0, -1.0, 0.0], [0.0, 1.0, -1.0]])), pe)
    (True, False)
    """
    if M.shape != pe.shape:
        return False
    B = sp.csr_matrix(M)[pe.rows][:, pe.cols].tocoo()
    nz = B.data != 0
    r, c = B.row[nz], B.col[nz]
    on = r == c
    if np.count_nonzero(on) != pe.size:
        return False
    return not (pe.level_of[c[~on]] <= pe.level_of[r[~on]]).any()


def _pivots(Mr: sp.csr_matrix) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The pivot search of :func:`peel` on the entries of Mr (no explicit zeros): pivot rows and columns,
    the size of each level, the rows and columns left over."""
    Mc = Mr.tocsc()
    m, n = Mr.shape
    row_alive = np.ones(m, dtype=bool)
    col_alive = np.ones(n, dtype=bool)
    col_count = np.diff(Mc.indptr).astype(np.int64)
    piv_r: list[np.ndarray] = []
    piv_c: list[np.ndarray] = []

    def drop_rows(rows: np.ndarray) -> None:
        row_alive[rows] = False
        pos, _ = _ranges(Mr.indptr, rows)
        col_count[:] -= np.bincount(Mr.indices[pos], minlength=n)

    while True:
        col_alive &= col_count > 0
        single = np.flatnonzero(col_alive & (col_count == 1))
        if len(single):
            pos, owner = _ranges(Mc.indptr, single)
            r = Mc.indices[pos]
            ok = row_alive[r]
            r, c, a = r[ok], single[owner[ok]], np.abs(Mc.data[pos[ok]])
            # one pivot per row: its largest singleton entry (then the lowest column, for determinism)
            order = np.lexsort((c, -a, r))
            r, c = r[order], c[order]
            first = np.r_[True, r[1:] != r[:-1]]
            pr, pc = r[first], c[first]
            piv_r.append(pr)
            piv_c.append(pc)
            col_alive[pc] = False
            drop_rows(pr)
            continue
        alive_c = np.flatnonzero(col_alive)
        if not len(alive_c):
            break
        # Stuck: every remaining column has two or more remaining rows (cycles without a boundary flow).
        # Set aside one root row per connected part: the row with the most remaining columns.
        from mfa.solve.linear_algebra import connected_components

        sub = Mc[:, alive_c].tocsr()
        alive_r = np.flatnonzero(row_alive & (np.diff(sub.indptr) > 0))
        sub = sub[alive_r]
        pat = sp.csr_matrix((np.ones(sub.nnz), sub.indices, sub.indptr), shape=sub.shape)
        k = len(alive_r)
        graph = sp.bmat([[None, pat], [pat.T, None]], format="csr")
        _, lab = connected_components(graph)
        lab_r = lab[:k]
        deg = np.diff(pat.indptr)
        order = np.lexsort((alive_r, -deg, lab_r))
        lr = lab_r[order]
        first = np.r_[True, lr[1:] != lr[:-1]]
        drop_rows(alive_r[order][first])

    rows = np.concatenate(piv_r) if piv_r else np.zeros(0, dtype=np.int64)
    cols = np.concatenate(piv_c) if piv_c else np.zeros(0, dtype=np.int64)
    sizes = np.array([len(p) for p in piv_r], dtype=np.int64)
    is_piv_r = np.zeros(m, dtype=bool)
    is_piv_r[rows] = True
    is_piv_c = np.zeros(n, dtype=bool)
    is_piv_c[cols] = True
    return rows, cols, sizes, np.flatnonzero(~is_piv_r), np.flatnonzero(~is_piv_c)


@dataclass
class _Plan:
    """Where the pieces of a reduction take their entries in M: the pivots (``diag``, positions in ``M.data``),
    B's off-diagonal and its transpose, ``E``, ``N1``, ``N2``. A matrix of the same pattern fills them by one
    gather each instead of fancy indexing again (the next Gauss–Newton pass)."""

    diag: np.ndarray
    off: Any
    off_t: Any
    E: Any
    N1: Any
    N2: Any
    backward: np.ndarray      # entries of ``off`` against the level order: allowed only while zero

    @classmethod
    def of(cls, Mr: sp.csr_matrix, rows: np.ndarray, cols: np.ndarray, level_of: np.ndarray,
           rest_rows: np.ndarray, rest_cols: np.ndarray) -> "_Plan":
        from mfa.solve.linear_algebra import Gather, entry_positions

        pos = entry_positions(Mr)
        by_rows, rest_by_rows = pos[rows], pos[rest_rows]
        B = by_rows[:, cols].tocsr()
        diag = B.diagonal()
        off = (B - sp.diags(diag)).tocsr()   # positions are ≥ 1: only the diagonal drops out
        off.eliminate_zeros()
        off_g = Gather(off)
        r_lev = np.repeat(level_of, np.diff(off_g.indptr))
        return cls(diag=diag.astype(np.int64) - 1, off=off_g, off_t=Gather(off.T),
                   E=Gather(rest_by_rows[:, cols]), N1=Gather(by_rows[:, rest_cols]),
                   N2=Gather(rest_by_rows[:, rest_cols]), backward=level_of[off_g.indices] <= r_lev)


def _assemble(Mr: sp.csr_matrix, rows: np.ndarray, cols: np.ndarray, sizes: np.ndarray, rest_rows: np.ndarray,
              rest_cols: np.ndarray, plan: _Plan | None = None) -> Peel | None:
    """The Peel of Mr at these pivots (``plan``: where they found their entries in a matrix of Mr's
    pattern); None when they do not suit Mr's numbers (a pivot zero, or a non-zero against B's triangle)."""
    starts = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    level_of = np.repeat(np.arange(len(sizes)), sizes)
    if plan is None:
        plan = _Plan.of(Mr, rows, cols, level_of, rest_rows, rest_cols)
    if (plan.diag < 0).any():
        return None
    diag = Mr.data[plan.diag]
    off = plan.off.take(Mr)
    if not diag.all() or off.data[plan.backward].any():
        return None
    return Peel(shape=Mr.shape, rows=rows, cols=cols, starts=starts, rest_rows=rest_rows, rest_cols=rest_cols,
                diag=diag, off=off, off_t=plan.off_t.take(Mr), level_of=level_of, plan=plan)


def _block_basis(n: int, groups: list[tuple[np.ndarray, np.ndarray]]) -> tuple[sp.csr_matrix, np.ndarray]:
    """Basis vectors over n positions, one per row: for each group of blocks (their positions, G × p, and
    their null vectors, G × k × p) their vectors, then a unit vector per position in no block; and a
    representative position (a block's first) per vector."""
    in_block = np.zeros(n, dtype=bool)
    rows, cols, vals, reps = [], [], [], []
    nxt = 0
    for where, Z in groups:
        in_block[where.ravel()] = True
        G, k, p = Z.shape
        if k:
            rows.append(np.repeat(nxt + np.arange(G * k), p))
            cols.append(np.repeat(where[:, None, :], k, axis=1).ravel())
            vals.append(Z.ravel())
            reps.append(np.repeat(where[:, 0], k))
            nxt += G * k
    plain = np.flatnonzero(~in_block)
    rows.append(nxt + np.arange(len(plain)))
    cols.append(plain)
    vals.append(np.ones(len(plain)))
    reps.append(plain)
    nxt += len(plain)
    Z = sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(nxt, n))
    return Z, np.concatenate(reps).astype(np.int64)


# Relative rank tolerance of the dense SVDs of Schur-complement blocks (as for the blocks of J_y before).
_RANK_RTOL = 1e-10
# Schur-complement entries this much smaller than the terms they come from are cancellation, not structure.
_CANCEL_RTOL = 1e-9


@dataclass
class _Blocks:
    """Connected blocks of the Schur complement of one shape and rank, with their SVDs (batched)."""

    rows: np.ndarray      # G × m positions in rest_rows (ascending in each block)
    cols: np.ndarray      # G × n positions in rest_cols
    U: np.ndarray         # G × m × m
    s: np.ndarray         # G × min(m, n)
    Vt: np.ndarray        # G × n × n
    rank: int


@dataclass
class Reduction:
    """Triangular pivots of M and the dense resolution of what they leave (see :func:`reduce`).

    Examples
    --------
    >>> M = sp.csr_matrix(np.array([[1.0, -1.0, 0.0], [0.0, 1.0, -1.0]]))   # a chain: 2 balances, 3 flows
    >>> red = reduce(M)
    >>> red.shape, red.rank, red.left_null()[0].shape, red.null()[0].shape
    ((2, 3), 2, (0, 2), (3, 1))
    """

    M: sp.csr_matrix
    pe: Peel
    T: sp.csr_matrix          # E B⁻¹: rest rows × pivots
    N1: sp.csr_matrix         # M[pivot rows][:, rest cols]
    blocks: list

    @property
    def shape(self) -> tuple[int, int]:
        """The shape of M."""
        return self.M.shape

    @property
    def rank(self) -> int:
        """The rank of M."""
        return self.pe.size + sum(b.rank * len(b.rows) for b in self.blocks)

    def _rest_row_basis(self) -> tuple[sp.csr_matrix, np.ndarray]:
        """Left null basis of S over the rest rows (k × |rest rows|) and a representative rest row per
        basis vector."""
        Z, rep = _block_basis(len(self.pe.rest_rows),
                              [(b.rows, np.swapaxes(b.U[:, :, b.rank:], 1, 2)) for b in self.blocks])
        # the plain rows last, in row order; blocks first: sort every basis vector by its representative
        order = np.argsort(self.pe.rest_rows[rep], kind="stable")
        return Z[order], rep[order]

    def left_null(self) -> tuple[sp.csr_matrix, np.ndarray]:
        """Rows spanning the left null space of M and a representative row of M for each.

        Returns
        -------
        tuple of (scipy.sparse.csr_matrix, numpy.ndarray)
            k × m, and k row indices.

        Examples
        --------
        >>> L, rep = reduce(sp.csr_matrix(np.array([[1.0, -1.0], [-1.0, 1.0]]))).left_null()
        >>> L.toarray().tolist(), rep.tolist()
        ([[1.0, 1.0]], [0])
        """
        m = self.M.shape[0]
        pe = self.pe
        Z, rep = self._rest_row_basis()
        n_r = len(pe.rest_rows)
        # [−T | I] over the original rows
        ident = sp.csr_matrix((np.ones(n_r), (np.arange(n_r), pe.rest_rows)), shape=(n_r, m))
        to_rows = sp.csr_matrix((np.ones(pe.size), (np.arange(pe.size), pe.rows)), shape=(pe.size, m))
        L = (Z @ (ident - self.T @ to_rows)).tocsr()
        L.eliminate_zeros()
        return L, pe.rest_rows[rep]

    def null(self) -> tuple[sp.csr_matrix, np.ndarray]:
        """Columns spanning the null space of M and a representative column for each.

        Returns
        -------
        tuple of (scipy.sparse.csc_matrix, numpy.ndarray)
            n × k, and k column indices.

        Examples
        --------
        >>> M = sp.csr_matrix(np.array([[1.0, -1.0, 0.0], [0.0, 1.0, -1.0]]))   # a chain: 2 balances, 3 flows
        >>> N, rep = reduce(M).null()
        >>> N.toarray().ravel().tolist(), rep.tolist()
        ([1.0, 1.0, 1.0], [1])
        """
        n = self.M.shape[1]
        pe = self.pe
        Z, rep = _block_basis(len(pe.rest_cols), [(b.cols, b.Vt[:, b.rank:, :]) for b in self.blocks])
        NS = Z.T.tocsc()
        order = np.argsort(pe.rest_cols[rep], kind="stable")
        NS = NS[:, order].tocsr()
        rep = rep[order]
        if pe.size:
            W = pe.solve((self.N1 @ NS).tocsr())
            if self.blocks and W.nnz:
                # entries left by cancellation (coefficient rows) are rounding, not structure
                W_abs = pe.solve((abs(self.N1) @ abs(NS)).tocsr(), absolute=True)
                W = W.multiply((abs(W) - _CANCEL_RTOL * W_abs) > 0).tocsr()
        else:
            W = sp.csr_matrix((0, NS.shape[1]))
        N = sp.vstack([-W, NS], format="csr")
        perm = np.concatenate([pe.cols, pe.rest_cols])
        N = sp.csr_matrix(N)[np.argsort(perm)].tocsc()
        N.eliminate_zeros()
        return N, pe.rest_cols[rep]

    def independent_rows(self) -> np.ndarray:
        """A bool mask of rows of M that form a basis of its row space.

        Returns
        -------
        numpy.ndarray

        Examples
        --------
        >>> reduce(sp.csr_matrix(np.array([[1.0, -1.0], [-1.0, 1.0]]))).independent_rows().sum().item()
        1
        """
        keep = np.zeros(self.M.shape[0], dtype=bool)
        keep[self.pe.rows] = True
        import scipy.linalg as la

        for b in self.blocks:
            r = b.rank
            for U, sv, Vt, rows in zip(b.U, b.s, b.Vt, b.rows) if r else ():
                S = (U[:, :r] * sv[:r]) @ Vt[:r]
                _, _, piv = la.qr(S.T, pivoting=True, mode="economic")
                keep[self.pe.rest_rows[rows[np.sort(piv[:r])]]] = True
        return keep

    def pinv(self) -> "GeneralisedInverse":
        """A generalised inverse G of M (M G M = M).

        Returns
        -------
        GeneralisedInverse

        Examples
        --------
        >>> M = sp.csr_matrix(np.array([[1.0, -1.0, 0.0], [0.0, 1.0, -1.0]]))   # a chain: 2 balances, 3 flows
        >>> G = reduce(M).pinv()
        >>> bool(np.allclose(M @ (G @ M.toarray()), M.toarray()))
        True
        """
        pe = self.pe
        n_r, n_c = len(pe.rest_rows), len(pe.rest_cols)
        rows, cols, vals = [], [], []
        for b in self.blocks:
            r = b.rank
            if r:
                # V_r S_r⁻¹ U_rᵀ of every block of the group: G × |cols| × |rows|
                G = (np.swapaxes(b.Vt[:, :r, :], 1, 2) / b.s[:, None, :r]) @ np.swapaxes(b.U[:, :, :r], 1, 2)
                m, n = b.rows.shape[1], b.cols.shape[1]
                rows.append(np.repeat(b.cols[:, :, None], m, axis=2).ravel())
                cols.append(np.repeat(b.rows[:, None, :], n, axis=1).ravel())
                vals.append(G.ravel())
        cat = (lambda p: np.concatenate(p)) if rows else (lambda p: np.zeros(0))
        Splus = sp.csr_matrix((cat(vals), (cat(rows).astype(np.int64), cat(cols).astype(np.int64))),
                              shape=(n_c, n_r))
        return GeneralisedInverse(shape=(self.M.shape[1], self.M.shape[0]), pe=pe, T=self.T, N1=self.N1,
                                  Splus=Splus)


@dataclass
class GeneralisedInverse:
    """G with M G M = M, as an operator (``G @ r`` for dense or sparse r): pivoted unknowns by the
    triangular solve, the rest from the Schur complement's pseudo-inverse (zero where S is zero).

    Examples
    --------
    >>> M = sp.csr_matrix(np.array([[1.0, -1.0, 0.0], [0.0, 1.0, -1.0]]))   # a chain: 2 balances, 3 flows
    >>> (reduce(M).pinv() @ np.array([1.0, 2.0])).tolist()       # the left-over flow taken as 0
    [1.0, 0.0, -2.0]
    """

    shape: tuple[int, int]
    pe: Peel
    T: sp.csr_matrix
    N1: sp.csr_matrix
    Splus: sp.csr_matrix

    def __matmul__(self, R):
        pe = self.pe
        n = self.shape[0]
        if sp.issparse(R):
            R = sp.csr_matrix(R)
            r1, r2 = R[pe.rows], R[pe.rest_rows]
            if self.Splus.nnz:
                y2 = (self.Splus @ (r2 - self.T @ r1)).tocsr()
                y1 = pe.solve((r1 - self.N1 @ y2).tocsr())
            else:
                y2 = sp.csr_matrix((len(pe.rest_cols), R.shape[1]))
                y1 = pe.solve(r1)
            Y = sp.vstack([y1, y2], format="csr")
            perm = np.concatenate([pe.cols, pe.rest_cols])
            return Y[np.argsort(perm)]
        R = np.asarray(R, dtype=float)
        r1, r2 = R[pe.rows], R[pe.rest_rows]
        out = np.zeros((n,) + R.shape[1:])
        if self.Splus.nnz:
            y2 = self.Splus @ (r2 - self.T @ r1)
            out[pe.rest_cols] = y2
            r1 = r1 - self.N1 @ y2
        out[pe.cols] = pe.solve(r1)
        return out


def _left_solve(pe: Peel, E: sp.csr_matrix, absolute: bool = False) -> sp.csr_matrix:
    """E B⁻¹ (rows × pivots, sparse) for E with one column per pivot."""
    E = sp.csr_matrix(E)
    if not E.nnz or not pe.size:
        return sp.csr_matrix(E.shape)
    return pe.solve_right(E, absolute=absolute)


def reduce(M: sp.spmatrix, like: Reduction | None = None) -> Reduction:
    """Triangular pivots of M (:func:`peel`) and, on the rows and columns they leave, the Schur complement
    ``S = N₂ − E B⁻¹ N₁`` resolved by a dense SVD per connected block (S is zero for incidence matrices).
    ``like``: the reduction of a matrix of the same pattern (or one whose pivots still suit M: see
    :func:`peel`), whose pivots are used again.

    Parameters
    ----------
    M : scipy.sparse matrix
    like : Reduction, optional

    Returns
    -------
    Reduction

    Examples
    --------
    >>> M = sp.csr_matrix(np.array([[1.0, -0.5, -0.5], [0.0, 1.0, -2.0], [2.0, -1.0, -1.0]]))
    >>> red = reduce(M)
    >>> red.rank, red.left_null()[0].shape[0]
    (2, 1)
    """
    # rounding set to zero but kept in the pattern: the next pass's matrix has the same, its pivots serve again
    M = clean(M, keep_zeros=True)
    pe = peel(M, like.pe if like is not None else None, like.M if like is not None else None)
    plan = pe.plan
    E = plan.E.take(M)
    T = _left_solve(pe, E)
    N1 = plan.N1.take(M)
    N2 = plan.N2.take(M)
    S = (N2 - T @ N1).tocsr()
    S.eliminate_zeros()
    if S.nnz:
        T_abs = _left_solve(pe, abs(E), absolute=True) if T.nnz else T
        S_abs = (abs(N2) + T_abs @ abs(N1)).tocsr()
        S = S.multiply((abs(S) - _CANCEL_RTOL * S_abs) > 0).tocsr()
        S.eliminate_zeros()
    return Reduction(M=M, pe=pe, T=T, N1=N1, blocks=_schur_blocks(S) if S.nnz else [])


def _schur_blocks(S: sp.csr_matrix) -> list[_Blocks]:
    """The dense SVD of each connected block of S (rows and columns ascending in each), blocks of one shape
    in one batched call and grouped by rank, instead of one sparse slice and SVD per block."""
    from mfa.solve.linear_algebra import connected_components

    coo = S.tocoo()
    nr, nc = S.shape
    pat = sp.csr_matrix((np.ones(S.nnz), (coo.row, coo.col)), shape=S.shape)
    graph = sp.bmat([[None, pat], [pat.T, None]], format="csr")
    _, lab = connected_components(graph)
    lab_r, lab_c = lab[:nr], lab[nr:]
    ur = np.flatnonzero(np.diff(pat.indptr) > 0)
    uc = np.flatnonzero(np.bincount(coo.col, minlength=nc) > 0)
    ur = ur[np.argsort(lab_r[ur], kind="stable")]         # grouped by block, ascending inside
    uc = uc[np.argsort(lab_c[uc], kind="stable")]
    comps, r0, m_of = np.unique(lab_r[ur], return_index=True, return_counts=True)
    _, c0, n_of = np.unique(lab_c[uc], return_index=True, return_counts=True)
    slot = np.zeros(int(lab.max()) + 1, dtype=np.int64)
    slot[comps] = np.arange(len(comps))
    pos_r = np.zeros(nr, dtype=np.int64)
    pos_r[ur] = np.arange(len(ur)) - np.repeat(r0, m_of)
    pos_c = np.zeros(nc, dtype=np.int64)
    pos_c[uc] = np.arange(len(uc)) - np.repeat(c0, n_of)
    blk = slot[lab_r[coo.row]]
    blocks: list[_Blocks] = []
    uniq, group = np.unique(np.stack([m_of, n_of], axis=1), axis=0, return_inverse=True)
    group = np.asarray(group).ravel()
    for gi, (m, n) in enumerate(uniq):
        members = np.flatnonzero(group == gi)
        at = np.full(len(comps), -1)
        at[members] = np.arange(len(members))
        sel = at[blk] >= 0
        D = np.zeros((len(members), m, n))
        D[at[blk[sel]], pos_r[coo.row[sel]], pos_c[coo.col[sel]]] = coo.data[sel]
        U, sv, Vt = np.linalg.svd(D, full_matrices=True)
        smax = sv.max(axis=1, initial=0.0)
        ranks = (sv > _RANK_RTOL * max(m, n) * np.maximum(smax, 1e-300)[:, None]).sum(axis=1)
        rows = ur[r0[members][:, None] + np.arange(m)]
        cols = uc[c0[members][:, None] + np.arange(n)]
        for r in np.unique(ranks):
            k = ranks == r
            blocks.append(_Blocks(rows=rows[k], cols=cols[k], U=U[k], s=sv[k], Vt=Vt[k], rank=int(r)))
    return blocks
