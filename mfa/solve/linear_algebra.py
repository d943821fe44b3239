"""The reduced normal matrix ``M = A Q Aᵀ`` of a reconciliation and the ways of solving with it.

Every reconciliation step solves ``M λ = r``; propagating uncertainties needs ``diag(Hᵀ M⁻¹ H)`` for a sparse
``H`` with one column per output. :class:`NormalMatrix` scales ``M`` to unit diagonal (flows span many orders
of magnitude, and pivots are only comparable after scaling) and picks one strategy, each a small class with
the same two methods, ``solve(b)`` and ``inverse_quadratic(H)``:

* :class:`DenseCholesky` — small systems (up to ``DENSE_LIMIT`` equations);
* :class:`DensePseudoInverse` — small systems with dependent equations (eigen-decomposition, rank revealed);
* :class:`~mfa.solve._chordal.ChordalCholesky` — large systems: supernodal sparse Cholesky (chompack) whose
  projected inverse gives the uncertainties for about the price of the factorisation;
* :class:`SparseLU` — large systems without chompack, or not positive definite (SuperLU);
* :func:`conjugate_gradients` — one right-hand side before anything is factored (tens to a few hundred
  iterations on a unit-diagonal balance network), so that values alone never pay for a factorisation.
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np
import scipy.sparse as sp

from mfa.errors import MfaError
from mfa.solve import _chordal

__all__ = ["NormalMatrix", "Factor", "DenseCholesky", "DensePseudoInverse", "SparseLU", "dense_factor",
           "conjugate_gradients", "connected_components", "entry_positions", "Gather", "DENSE_LIMIT"]

# Above this many reduced equations the normal matrix is factored sparse instead of dense.
DENSE_LIMIT = 500
# Up to this many equations the dense Cholesky is numpy's: scipy.linalg costs about 0.1 s to import, more than
# a small park's whole reconciliation; above it, scipy's O(n²) triangular solves beat numpy's general solve.
NUMPY_CHOLESKY_LIMIT = 100
# Dependent equations are resolved densely up to this many reduced equations.
DEPENDENT_LIMIT = 10_000
# Uncertainty propagation by default (reconcile(covariance=None)) while its predicted cost stays within
# these: floating-point operations of the sparse Cholesky, projected inverse and direct solves (about a
# minute on one core), and non-zeros of the factor (8 bytes each, held twice). Without chompack: up to this
# many reduced equations.
AUTO_COVARIANCE_FLOPS = 1e12
AUTO_COVARIANCE_NNZ = 1.5e8
AUTO_COVARIANCE_LIMIT = 5000


def _example_matrix() -> sp.csr_matrix:
    """A small normal matrix (two balances sharing a flow) for the doctests."""
    return sp.csr_matrix(np.array([[4.0, -1.0], [-1.0, 3.0]]))


class Factor(Protocol):
    """What every strategy offers, on the scaled matrix: :class:`DenseCholesky`, :class:`DensePseudoInverse`,
    :class:`SparseLU` and :class:`~mfa.solve._chordal.ChordalCholesky` follow it.

    Examples
    --------
    >>> f: Factor = dense_factor(np.eye(2))
    >>> f.solve(np.ones(2)).tolist(), f.inverse_quadratic(sp.csc_matrix(np.ones((2, 1)))).tolist()
    ([1.0, 1.0], [2.0])
    """

    def solve(self, b: np.ndarray) -> np.ndarray:
        """M⁻¹ b.

        Parameters
        ----------
        b : numpy.ndarray
            A vector or an n × k matrix.

        Returns
        -------
        numpy.ndarray

        Examples
        --------
        >>> dense_factor(np.eye(2)).solve(np.ones(2)).tolist()
        [1.0, 1.0]
        """

    def inverse_quadratic(self, H: sp.csc_matrix) -> np.ndarray:
        """diag(Hᵀ M⁻¹ H).

        Parameters
        ----------
        H : scipy.sparse.csc_matrix
            n × k.

        Returns
        -------
        numpy.ndarray
            k values.

        Examples
        --------
        >>> dense_factor(np.eye(2)).inverse_quadratic(sp.csc_matrix(np.ones((2, 1)))).tolist()
        [2.0]
        """


def _explicit_inverse_quadratic(inv: np.ndarray, H: sp.csc_matrix) -> np.ndarray:
    """diag(Hᵀ M⁻¹ H) from the explicit (pseudo-)inverse: only n·nnz(H) work, Σ_i H_ij (M⁻¹H)_ij, in
    chunks of columns that bound the temporaries."""
    n = inv.shape[0]
    out = np.zeros(H.shape[1])
    Ht = H.T.tocsr()
    chunk = max(1, int(1e7 // max(n, 1)))
    for s in range(0, Ht.shape[0], chunk):
        Hc = Ht[s:s + chunk]
        Z = np.asarray(Hc @ inv)
        out[s:s + chunk] = np.asarray(Hc.multiply(Z).sum(axis=1)).ravel()
    return out


class DenseCholesky:
    """``M = L Lᵀ``, dense (small positive definite systems); the explicit inverse is formed once, when
    uncertainties are propagated.

    Parameters
    ----------
    factor : tuple
        ``(L, True)``: the lower factor as :func:`scipy.linalg.cho_factor` (lower) gives it, or, up to
        ``NUMPY_CHOLESKY_LIMIT`` equations, as :func:`numpy.linalg.cholesky` gives it (zero above the diagonal).

    Examples
    --------
    >>> f = dense_factor(_example_matrix().toarray())
    >>> type(f).__name__, f.solve(np.array([3.0, 2.0])).round(6).tolist()
    ('DenseCholesky', [1.0, 1.0])
    """

    def __init__(self, factor: tuple) -> None:
        self.factor = factor
        self.rank = factor[0].shape[0]
        self._inverse: np.ndarray | None = None

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
        >>> dense_factor(np.eye(2) * 2).solve(np.array([2.0, 4.0])).round(12).tolist()
        [1.0, 2.0]
        """
        if self.rank <= NUMPY_CHOLESKY_LIMIT:
            L = self.factor[0]
            return np.linalg.solve(L.T, np.linalg.solve(L, b))
        import scipy.linalg as la

        return la.cho_solve(self.factor, b, check_finite=False)

    def inverse_quadratic(self, H: sp.csc_matrix) -> np.ndarray:
        """diag(Hᵀ M⁻¹ H) through the explicit inverse (n³ once).

        Parameters
        ----------
        H : scipy.sparse.csc_matrix
            n × k.

        Returns
        -------
        numpy.ndarray
            k values.

        Examples
        --------
        >>> dense_factor(np.eye(2) * 2).inverse_quadratic(sp.csc_matrix(np.ones((2, 1)))).round(12).tolist()
        [1.0]
        """
        if self._inverse is None:
            self._inverse = self.solve(np.eye(self.rank))
        return _explicit_inverse_quadratic(self._inverse, H)


class DensePseudoInverse:
    """The pseudo-inverse of a small matrix with dependent equations (eigen-decomposition; eigenvalues below
    1e-11 of the largest are dropped, and :attr:`rank` counts the others).

    Parameters
    ----------
    pinv : numpy.ndarray
        The pseudo-inverse (n × n).
    rank : int
        The numerical rank of the matrix.

    Examples
    --------
    >>> f = dense_factor(np.array([[1.0, 1.0], [1.0, 1.0]]))
    >>> type(f).__name__, f.rank, f.solve(np.array([2.0, 2.0])).round(12).tolist()
    ('DensePseudoInverse', 1, [1.0, 1.0])
    """

    def __init__(self, pinv: np.ndarray, rank: int) -> None:
        self.pinv = pinv
        self.rank = rank

    def solve(self, b: np.ndarray) -> np.ndarray:
        """M⁺ b for a vector or an n × k matrix.

        Parameters
        ----------
        b : numpy.ndarray

        Returns
        -------
        numpy.ndarray

        Examples
        --------
        >>> DensePseudoInverse(np.eye(2) / 2, 2).solve(np.array([2.0, 4.0])).tolist()
        [1.0, 2.0]
        """
        return self.pinv @ b

    def inverse_quadratic(self, H: sp.csc_matrix) -> np.ndarray:
        """diag(Hᵀ M⁺ H).

        Parameters
        ----------
        H : scipy.sparse.csc_matrix
            n × k.

        Returns
        -------
        numpy.ndarray
            k values.

        Examples
        --------
        >>> DensePseudoInverse(np.eye(2) / 2, 2).inverse_quadratic(sp.csc_matrix(np.ones((2, 1)))).tolist()
        [1.0]
        """
        return _explicit_inverse_quadratic(self.pinv, H)


def dense_factor(M: np.ndarray) -> DenseCholesky | DensePseudoInverse:
    """The dense strategy for a small symmetric matrix: Cholesky when it is safely positive definite, else
    the pseudo-inverse (dependent equations).

    Parameters
    ----------
    M : numpy.ndarray
        Symmetric positive semi-definite, scaled to unit diagonal.

    Returns
    -------
    DenseCholesky or DensePseudoInverse

    Examples
    --------
    >>> type(dense_factor(np.eye(3))).__name__
    'DenseCholesky'
    """
    try:
        if M.shape[0] <= NUMPY_CHOLESKY_LIMIT:
            c = (np.linalg.cholesky(M), True)
        else:
            import scipy.linalg as la

            c = la.cho_factor(M, lower=True, check_finite=False)
        d = np.abs(np.diag(c[0]))
        if d.min() ** 2 > 1e-12:
            return DenseCholesky(c)
    except np.linalg.LinAlgError:
        pass
    w, V = np.linalg.eigh(M)
    keep = w > 1e-11 * max(w.max(), 1e-300)
    return DensePseudoInverse((V[:, keep] / w[keep]) @ V[:, keep].T, int(keep.sum()))


class SparseLU:
    """SuperLU of a large scaled normal matrix (symmetric mode, minimum-degree order on ``M + Mᵀ``); the
    strategy when chompack is missing or the matrix is not positive definite.

    Parameters
    ----------
    lu : scipy.sparse.linalg.SuperLU

    Examples
    --------
    >>> f = SparseLU.of(_example_matrix().tocsc())
    >>> f.solve(np.array([3.0, 2.0])).round(6).tolist()
    [1.0, 1.0]
    """

    def __init__(self, lu: Any) -> None:
        self.lu = lu

    @classmethod
    def of(cls, M: sp.csc_matrix) -> "SparseLU | None":
        """The factor of ``M``, or None when SuperLU finds it (numerically) singular.

        Parameters
        ----------
        M : scipy.sparse.csc_matrix
            Scaled to unit diagonal.

        Returns
        -------
        SparseLU or None

        Examples
        --------
        >>> SparseLU.of(sp.csc_matrix(np.ones((2, 2)))) is None
        True
        """
        from scipy.sparse.linalg import splu

        try:
            lu = splu(M, permc_spec="MMD_AT_PLUS_A", diag_pivot_thresh=0.0, options={"SymmetricMode": True})
        except RuntimeError:
            return None
        return cls(lu) if np.abs(lu.U.diagonal()).min() > 1e-12 else None

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
        >>> SparseLU.of(sp.csc_matrix(np.eye(2) * 2)).solve(np.array([2.0, 4.0])).tolist()
        [1.0, 2.0]
        """
        return self.lu.solve(b)

    def inverse_quadratic(self, H: sp.csc_matrix) -> np.ndarray:
        """diag(Hᵀ M⁻¹ H) by solves on the non-empty columns, in chunks that bound the dense temporaries.

        Parameters
        ----------
        H : scipy.sparse.csc_matrix
            n × k.

        Returns
        -------
        numpy.ndarray
            k values.

        Examples
        --------
        >>> f = SparseLU.of(sp.csc_matrix(np.eye(2) * 2))
        >>> f.inverse_quadratic(sp.csc_matrix(np.array([[1.0, 0.0], [1.0, 0.0]]))).tolist()
        [1.0, 0.0]
        """
        n = H.shape[0]
        out = np.zeros(H.shape[1])
        chunk = max(1, int(2e7 // max(n, 1)))
        for s in range(0, H.shape[1], chunk):
            Hc = H[:, s:s + chunk]
            nz = np.flatnonzero(np.diff(Hc.indptr))
            if not len(nz):
                continue
            Hd = Hc[:, nz].toarray()
            out[s + nz] = np.einsum("ij,ij->j", Hd, self.lu.solve(Hd))
        return out


def conjugate_gradients(M: sp.spmatrix, b: np.ndarray, x0: np.ndarray | None = None) -> np.ndarray | None:
    """M⁻¹ b by conjugate gradients for one right-hand side, on a unit-diagonal matrix (well conditioned for
    balance networks: tens to a few hundred iterations).

    Parameters
    ----------
    M : scipy.sparse matrix
        Symmetric positive definite, scaled to unit diagonal.
    b : numpy.ndarray
        One right-hand side.
    x0 : numpy.ndarray, optional
        A starting guess (the previous Gauss–Newton pass's solution): fewer iterations, the same stopping
        test on the residual.

    Returns
    -------
    numpy.ndarray or None
        The solution, or None when it does not reach 1e-12 of ``|b|``.

    Examples
    --------
    >>> conjugate_gradients(sp.csr_matrix(np.array([[1.0, 0.5], [0.5, 1.0]])), np.array([1.5, 1.5])).round(9)
    array([1., 1.])
    """
    from scipy.sparse.linalg import cg

    nb = float(np.linalg.norm(b))
    if nb == 0:
        return np.zeros_like(b)
    x, info = cg(M, b, x0=x0, rtol=1e-14, atol=0.0, maxiter=max(1000, 2 * M.shape[0]))
    if info != 0 and np.linalg.norm(M @ x - b) > 1e-12 * nb:
        return None
    return x


class NormalMatrix:
    """``M = A Q Aᵀ`` scaled to unit diagonal (``D M D``, ``D = diag(M)^-½``) with the strategy that solves
    with it, chosen by size and on failure (dependent equations): dense when small; otherwise conjugate
    gradients for single right-hand sides until a factor is needed, then the sparse Cholesky, SuperLU, and
    the dense pseudo-inverse.

    Parameters
    ----------
    M : scipy.sparse matrix
        Symmetric positive semi-definite (n × n).
    sparse_cholesky : bool
        Allow the supernodal sparse Cholesky (when chompack is installed); False forces SuperLU for large
        systems (the benchmark's baseline).

    Attributes
    ----------
    n : int
        Number of reduced equations.
    rank : int
        Number of independent ones (below ``n`` only once a pseudo-inverse was needed).
    factor : Factor or None
        The strategy in use (None until a factor is needed).

    Examples
    --------
    >>> M = NormalMatrix(_example_matrix())
    >>> M.solve(np.array([3.0, 2.0])).round(6).tolist(), M.rank
    ([1.0, 1.0], 2)
    >>> M.inverse_quadratic(sp.csc_matrix(np.array([[1.0], [0.0]]))).round(6).tolist()   # (M⁻¹)₀₀ = 3/11
    [0.272727]
    """

    def __init__(self, M: sp.spmatrix, *, sparse_cholesky: bool = True) -> None:
        n = M.shape[0]
        self.n = n
        self.rank = n
        self.factor: Factor | None = None
        self._sparse_cholesky = sparse_cholesky
        self._plan: _chordal.ChordalCholesky | None = None   # chosen by quadratic_cost for inverse_quadratic
        diag = M.diagonal() if n else np.ones(0)
        self.scale = 1.0 / np.sqrt(np.where(diag > 0, diag, 1.0))
        self.scaled = (sp.diags(self.scale) @ M @ sp.diags(self.scale)).tocsc() if n else sp.csc_matrix(M)
        if 0 < n <= DENSE_LIMIT:
            self._use(dense_factor(self.scaled.toarray()))

    def _use(self, factor: Factor) -> None:
        self.factor = factor
        self.rank = getattr(factor, "rank", self.n)

    def uses_sparse_cholesky(self) -> bool:
        """Whether large-system work goes to the supernodal sparse Cholesky.

        Returns
        -------
        bool
            False for small systems (dense), without chompack, or once the matrix was found not positive
            definite.

        Examples
        --------
        >>> NormalMatrix(_example_matrix()).uses_sparse_cholesky()
        False
        """
        return self.n > DENSE_LIMIT and self._sparse_cholesky and _chordal.available()

    def factorise(self) -> None:
        """Factor the scaled matrix once (needed for many right-hand sides: uncertainty, Monte Carlo).

        Raises
        ------
        mfa.errors.MfaError
            Dependent equations too many to resolve densely.

        Examples
        --------
        >>> M = NormalMatrix(_example_matrix())
        >>> M.factorise(); type(M.factor).__name__
        'DenseCholesky'
        """
        if self.factor is not None or self.n == 0:
            return
        if self.uses_sparse_cholesky():
            try:
                self._use(_chordal.ChordalCholesky(self.scaled).factor())
                return
            except ArithmeticError:
                # not positive definite: dependent equations; the rank-revealing paths below handle them
                self._sparse_cholesky = False
        lu = SparseLU.of(self.scaled)
        if lu is not None:
            self._use(lu)
            return
        if self.n > DEPENDENT_LIMIT:
            raise MfaError(f"the {self.n} reduced balance equations are numerically dependent (ill-conditioned "
                           "transfer coefficients?) and too many to resolve densely")
        self._use(dense_factor(self.scaled.toarray()))

    def solve(self, b: np.ndarray, guess: np.ndarray | None = None) -> np.ndarray:
        """M⁻¹ b for a vector or a matrix of right-hand sides.

        Parameters
        ----------
        b : numpy.ndarray
            n or n × k.
        guess : numpy.ndarray, optional
            An approximate solution (n), the start of conjugate gradients when nothing is factored.

        Returns
        -------
        numpy.ndarray

        Examples
        --------
        >>> NormalMatrix(_example_matrix()).solve(np.array([[3.0], [2.0]])).round(6).tolist()
        [[1.0], [1.0]]
        """
        if self.n == 0:
            return np.zeros_like(b)
        d = self.scale if b.ndim == 1 else self.scale[:, None]
        bs = np.asarray(b, dtype=float) * d
        if self.factor is None and bs.ndim == 1:
            z = conjugate_gradients(self.scaled, bs, None if guess is None else guess / self.scale)
            if z is not None:
                return z * d
        self.factorise()
        return self.factor.solve(bs) * d

    def quadratic_cost(self, H: sp.spmatrix) -> tuple[float, int] | None:
        """What :meth:`inverse_quadratic` will spend on ``H`` with the sparse Cholesky, from symbolic
        analyses only (the factor chosen is kept for it).

        Parameters
        ----------
        H : scipy.sparse matrix
            n × k.

        Returns
        -------
        tuple of (float, int) or None
            Floating-point operations and factor non-zeros; None on the dense path (cheap by construction)
            or without chompack.

        Examples
        --------
        >>> NormalMatrix(_example_matrix()).quadratic_cost(sp.csc_matrix(np.eye(2))) is None
        True
        """
        if not self.uses_sparse_cholesky():
            return None
        Hs = (sp.diags(self.scale) @ sp.csc_matrix(H)).tocsc()
        plan = self._plan = _chordal.for_inverse_quadratic(self.scaled, Hs)
        return plan.predicted_flops, plan.nnz

    def unaffordable(self, H: sp.spmatrix) -> str | None:
        """Why propagating uncertainties by default would cost too much (the predicted cost), or None.

        Parameters
        ----------
        H : scipy.sparse matrix
            n × k, as for :meth:`inverse_quadratic`.

        Returns
        -------
        str or None

        Examples
        --------
        >>> NormalMatrix(_example_matrix()).unaffordable(sp.csc_matrix(np.eye(2))) is None
        True
        """
        cost = self.quadratic_cost(H)
        if cost is None:
            if self.n <= DENSE_LIMIT or self.n <= AUTO_COVARIANCE_LIMIT:
                return None
            return (f"{self.n} reduced equations and no sparse Cholesky (install chompack); "
                    "pass covariance=True (--covariance) to propagate anyway")
        flops, nnz = cost
        if flops <= AUTO_COVARIANCE_FLOPS and nnz <= AUTO_COVARIANCE_NNZ:
            return None
        return (f"propagating would take about {flops:.2g} floating-point operations and a factor of "
                f"{nnz:.3g} non-zeros ({16 * nnz / 1e9:.1f} GB); pass covariance=True (--covariance) "
                "to propagate anyway")

    def inverse_quadratic(self, H: sp.spmatrix) -> np.ndarray:
        """diag(Hᵀ M⁻¹ H) for a sparse H: dense inverse when small, else the sparse Cholesky's projected
        inverse, else (no chompack, or dependent equations) sparse LU solves in chunks of columns.

        Parameters
        ----------
        H : scipy.sparse matrix
            n × k.

        Returns
        -------
        numpy.ndarray
            k values.

        Examples
        --------
        >>> NormalMatrix(sp.csr_matrix(np.eye(2) * 4)).inverse_quadratic(sp.csc_matrix(np.ones((2, 1)))).tolist()
        [0.5]
        """
        H = sp.csc_matrix(H)
        if self.n == 0 or H.nnz == 0:
            return np.zeros(H.shape[1])
        Hs = (sp.diags(self.scale) @ H).tocsc()
        if self.uses_sparse_cholesky():
            plan, self._plan = self._plan or _chordal.for_inverse_quadratic(self.scaled, Hs), None
            try:
                out = plan.inverse_quadratic(Hs)
            except ArithmeticError:
                self._sparse_cholesky = False      # dependent equations: the rank-revealing paths below
                if isinstance(self.factor, _chordal.ChordalCholesky):
                    self.factor = None
            else:
                if self.factor is None:
                    self._use(plan)                # later solves (Monte Carlo, covariance) reuse it
                return out
        self.factorise()
        return self.factor.inverse_quadratic(Hs)

    def __getstate__(self) -> dict:
        # Neither SuperLU nor chompack factors can be pickled (executors in other processes): the
        # receiving process factors again.
        state = dict(self.__dict__)
        state["_plan"] = None
        if isinstance(self.factor, (SparseLU, _chordal.ChordalCholesky)):
            state["factor"] = None
            state["_refactor"] = True
        return state

    def __setstate__(self, state: dict) -> None:
        refactor = state.pop("_refactor", False)
        self.__dict__.update(state)
        if refactor:
            self.factorise()


# Up to this many nodes connected components are labelled with numpy alone: scipy.sparse.csgraph costs about
# 0.1 s to import (it pulls in scipy.sparse.linalg), more than a small park's whole reconciliation.
CSGRAPH_ABOVE = 5000


def connected_components(graph: sp.spmatrix) -> tuple[int, np.ndarray]:
    """Connected components of an undirected graph, labelled as :func:`scipy.sparse.csgraph.connected_components`
    labels them (in the order of each component's lowest node).

    Parameters
    ----------
    graph : scipy.sparse matrix
        n × n; a non-zero (i, j) joins nodes i and j (either triangle, or both).

    Returns
    -------
    tuple of (int, numpy.ndarray)
        The number of components and the component of each node (int64).

    Examples
    --------
    >>> g = sp.csr_matrix(np.array([[0, 0, 1, 0], [0, 0, 0, 0], [0, 0, 0, 1], [0, 0, 0, 0]]))
    >>> n, labels = connected_components(g)
    >>> n, labels.tolist()
    (2, [0, 1, 0, 0])
    """
    n = graph.shape[0]
    if n > CSGRAPH_ABOVE:
        from scipy.sparse.csgraph import connected_components as csgraph_components

        n_comp, labels = csgraph_components(graph, directed=False)
        return int(n_comp), labels.astype(np.int64, copy=False)
    coo = graph.tocoo()
    i, j = coo.row.astype(np.int64), coo.col.astype(np.int64)
    root = np.arange(n, dtype=np.int64)
    # union-find, vectorised: every edge hooks the larger of its two roots under the smaller, then paths are
    # compressed by pointer jumping; roots only decrease, so this ends with each node under its component's
    # lowest node
    while True:
        ri, rj = root[i], root[j]
        if np.array_equal(ri, rj):
            break
        low = np.minimum(ri, rj)
        np.minimum.at(root, ri, low)
        np.minimum.at(root, rj, low)
        while True:
            up = root[root]
            if np.array_equal(up, root):
                break
            root = up
    if not n:
        return 0, root
    _, labels = np.unique(root, return_inverse=True)
    return int(labels.max()) + 1, labels.astype(np.int64).reshape(-1)


def entry_positions(M: sp.spmatrix) -> sp.csr_matrix:
    """M's pattern with each entry's position in ``M.data`` (plus one, so that none is zero) as its value:
    select rows, columns or entries of it as of M, then :class:`Gather` the same from any matrix of M's pattern.

    Parameters
    ----------
    M : scipy.sparse matrix
        CSR (others are converted).

    Returns
    -------
    scipy.sparse.csr_matrix
        Float positions, exact below 2⁵³ entries.

    Examples
    --------
    >>> entry_positions(sp.csr_matrix(np.array([[0.0, 7.0], [5.0, 6.0]]))).toarray().tolist()
    [[0.0, 1.0], [2.0, 3.0]]
    """
    M = sp.csr_matrix(M)
    return sp.csr_matrix((np.arange(1, M.nnz + 1, dtype=float), M.indices, M.indptr), shape=M.shape)


class Gather:
    """A sub-matrix (rows, columns, entries) of sparse matrices of one pattern, taken by positions: found once
    by indexing :func:`entry_positions`, then one gather per matrix instead of fancy indexing again — the
    Jacobian of the next Gauss–Newton pass has the pattern of the last.

    Parameters
    ----------
    P : scipy.sparse matrix
        Selected from ``entry_positions(M)`` (indexing, transposing, dropping entries: no arithmetic).

    Examples
    --------
    >>> M = sp.csr_matrix(np.array([[1.0, 2.0, 0.0], [0.0, 3.0, 4.0]]))
    >>> cols = Gather(entry_positions(M)[:, [2, 1]])
    >>> cols.take(M * 10).toarray().tolist()
    [[0.0, 20.0], [40.0, 30.0]]
    """

    def __init__(self, P: sp.spmatrix) -> None:
        P = sp.csr_matrix(P)
        P.sort_indices()
        self.shape = P.shape
        self.at = P.data.astype(np.int64) - 1
        self.indices, self.indptr = P.indices, P.indptr

    def take(self, M: sp.csr_matrix) -> sp.csr_matrix:
        """The entries of M (of the pattern the positions came from) at their places.

        Parameters
        ----------
        M : scipy.sparse.csr_matrix

        Returns
        -------
        scipy.sparse.csr_matrix
            With index arrays of its own (scipy sorts some in place).

        Examples
        --------
        >>> M = sp.csr_matrix(np.array([[1.0, 2.0]]))
        >>> Gather(entry_positions(M).T).take(M).toarray().ravel().tolist()
        [1.0, 2.0]
        """
        return sp.csr_matrix((M.data[self.at], self.indices.copy(), self.indptr.copy()), shape=self.shape)
