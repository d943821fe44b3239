"""The reconciliation at one active set: Gauss–Newton on the park's equations (Cencic 2016).

Linearise the equations at the current estimate, eliminate the unknowns (:mod:`mfa.solve.elimination`),
reconcile the measurements subject to the reduced equations ``P J_x Δx = −P F`` (weighted least squares, weights
1/σ², through the normal matrix of :mod:`mfa.solve.linear_algebra`), solve the unknowns from the rest, iterate.
Linear equations (no measured transfer coefficient) need one pass and at most two refinements with the same
factors.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from mfa.errors import MfaError
from mfa.solve.elimination import Elimination, eliminate, same_pattern
from mfa.solve.linear_algebra import Gather, NormalMatrix, entry_positions
from mfa.solve.model import EXACT, MEASURED, UNKNOWN, Model
from mfa.solve.redundancy import drop_redundant_rows

__all__ = ["Linearisation", "Solution", "JacobianColumns", "linearise", "iterate"]


class _Labels:
    """The model's equation labels, made on first use: only messages quote them (10⁵ strings to build)."""

    def __init__(self, model: Model) -> None:
        self._model = model
        self._labels: np.ndarray | None = None

    def _get(self) -> np.ndarray:
        if self._labels is None:
            self._labels = self._model.equation_labels()
        return self._labels

    def __getitem__(self, index):
        return self._get()[index]

    def __len__(self) -> int:
        return len(self._get())


class JacobianColumns:
    """The columns of the measured and of the unknown variables of Jacobians of one pattern (every pass of
    one Gauss–Newton run): where they sit in ``J.data`` is found once, then gathered.

    Parameters
    ----------
    x_idx, y_idx : numpy.ndarray
        Indices of the measured and unknown variables.

    Examples
    --------
    >>> J = sp.csr_matrix(np.array([[1.0, -1.0, -1.0]]))
    >>> Jx, Jy = JacobianColumns(np.array([0, 1]), np.array([2]))(J)
    >>> Jx.toarray().tolist(), Jy.toarray().tolist()
    ([[1.0, -1.0]], [[-1.0]])
    """

    def __init__(self, x_idx: np.ndarray, y_idx: np.ndarray) -> None:
        self.x_idx, self.y_idx = x_idx, y_idx
        self._pattern: sp.csr_matrix | None = None
        self._x: Gather | None = None
        self._y: Gather | None = None

    def __call__(self, J: sp.csr_matrix) -> tuple[sp.csr_matrix, sp.csr_matrix]:
        J = sp.csr_matrix(J)
        if self._pattern is None or not same_pattern(self._pattern, J):
            pos = entry_positions(J)
            self._x, self._y = Gather(pos[:, self.x_idx]), Gather(pos[:, self.y_idx])
            self._pattern = J
        return self._x.take(J), self._y.take(J)


@dataclass(frozen=True, eq=False)
class Linearisation:
    """The reduced least-squares problem at one point: ``min (x − x_m)ᵀ Q⁻¹ (x − x_m)`` subject to
    ``A x = rhs``, with ``A = P J_x`` (rows that check only exact data or repeat others dropped).

    Attributes
    ----------
    Jx : scipy.sparse.csr_matrix
        The Jacobian of the measured variables (n_c × n_x).
    elimination : Elimination
        The elimination of the unknowns at this point.
    A : scipy.sparse.csr_matrix
        The kept reduced equations (n_a × n_x).
    rhs : numpy.ndarray
        Their right-hand sides.
    keep : numpy.ndarray
        Mask of the rows of ``P`` kept.
    QAt : scipy.sparse.csr_matrix
        ``Q Aᵀ``.
    normal : NormalMatrix
        ``A Q Aᵀ`` with its solver.

    Examples
    --------
    >>> from mfa.solve.model import example_park, model_from_park
    >>> m = model_from_park(example_park())
    >>> lin = linearise(m, np.array([100.0, 60.0, 40.0]), np.array([0, 1]), np.array([2]), np.array([25.0, 9.0]))
    >>> lin.A.shape, lin.normal.n
    ((0, 2), 0)
    """

    Jx: sp.csr_matrix
    elimination: Elimination
    A: sp.csr_matrix
    rhs: np.ndarray
    keep: np.ndarray
    QAt: sp.csr_matrix
    normal: NormalMatrix

    @property
    def P_kept(self) -> sp.csr_matrix:
        """The kept rows of ``P``.

        Returns
        -------
        scipy.sparse.csr_matrix
            One row per kept reduced equation, one column per equation.

        Examples
        --------
        >>> import mfa
        >>> park = mfa.Park.from_frames(
        ...     processes=[{"id": "in", "name": "Supply", "kind": "import"},
        ...                {"id": "plant", "name": "Plant", "kind": "production"},
        ...                {"id": "dump", "name": "Dump", "kind": "landfill"}],
        ...     flows=[{"source": "in", "target": "plant", "material": "coal_gangue", "value": 100, "sigma": 5},
        ...            {"source": "plant", "target": "dump", "material": "coal_gangue", "value": 90, "sigma": 4}])
        >>> from mfa.solve.model import model_from_park
        >>> m = model_from_park(park)
        >>> s = iterate(m, m.kind, m.value0, max_iter=100, tol=1e-10)
        >>> s.linearisation.P_kept.shape, s.v.round(1).tolist()
        ((1, 1), [93.9, 93.9])
        """
        P = self.elimination.P
        return P[self.keep] if not self.keep.all() else P


def linearise(model: Model, v: np.ndarray, x_idx: np.ndarray, y_idx: np.ndarray, q: np.ndarray, *,
              elimination: Elimination | None = None, previous: Elimination | None = None,
              independent: list | None = None, labels_eq: np.ndarray | None = None,
              columns: JacobianColumns | None = None) -> Linearisation:
    """The reduced problem at ``v``.

    Parameters
    ----------
    model : Model
    v : numpy.ndarray
        The point (n_v, no NaN).
    x_idx, y_idx : numpy.ndarray
        Indices of the measured and unknown variables.
    q : numpy.ndarray
        Variances of the measured variables.
    elimination : Elimination, optional
        An elimination already done at ``v`` (the first pass).
    previous : Elimination, optional
        The previous point's elimination (pattern reuse).
    independent : list, optional
        Patterns of reduced systems found independent (see :func:`~mfa.solve.redundancy.drop_dependent_rows`).
    labels_eq : numpy.ndarray, optional
        ``model.equation_labels()``, when the caller has them already.
    columns : JacobianColumns, optional
        Splits the Jacobian into its measured and unknown columns (reused from pass to pass).

    Returns
    -------
    Linearisation

    Examples
    --------
    >>> from mfa.solve.model import example_park, model_from_park
    >>> m = model_from_park(example_park())
    >>> lin = linearise(m, np.array([100.0, 60.0, 40.0]), np.array([0, 1]), np.array([2]), np.array([25.0, 9.0]))
    >>> lin.elimination.observable.tolist()
    [True]
    """
    Jx, Jy = (columns or JacobianColumns(x_idx, y_idx))(model.jacobian(v))
    el = elimination if elimination is not None else eliminate(Jy, previous=previous)
    F = model.residual(v)
    A = (el.P @ Jx).tocsr()
    rhs = A @ v[x_idx] - el.P @ F
    if labels_eq is None:
        labels_eq = _Labels(model)
    A, rhs, keep = drop_redundant_rows(A, rhs, el, model, v, labels_eq, independent, Jx)
    QAt = (sp.diags(q) @ A.T).tocsr()
    return Linearisation(Jx=Jx, elimination=el, A=A, rhs=rhs, keep=keep, QAt=QAt,
                         normal=NormalMatrix((A @ QAt).tocsr()))


@dataclass(frozen=True, eq=False)
class Solution:
    """The reconciled point at one active set, with the problem linearised there.

    Attributes
    ----------
    v : numpy.ndarray
        All variables (n_v; unobservable unknowns hold an arbitrary solution).
    x_idx, y_idx, z_idx : numpy.ndarray
        Indices of the measured, unknown and exact variables.
    q : numpy.ndarray
        Variances of the measured variables.
    linearisation : Linearisation
        The reduced problem at ``v``.
    iterations : int
    converged : bool
    max_residual : float
        Largest equation residual (t/a).
    max_residual_rel : float
        Largest residual relative to its equation's throughput.

    Examples
    --------
    >>> from mfa.solve.model import example_park, model_from_park
    >>> m = model_from_park(example_park())
    >>> s = iterate(m, m.kind, m.value0, max_iter=100, tol=1e-10)
    >>> s.v.round(6).tolist(), s.dof, s.observable.tolist()
    ([100.0, 60.0, 40.0], 0, [True])
    """

    v: np.ndarray
    x_idx: np.ndarray
    y_idx: np.ndarray
    z_idx: np.ndarray
    q: np.ndarray
    linearisation: Linearisation
    iterations: int
    converged: bool
    max_residual: float
    max_residual_rel: float

    @property
    def elimination(self) -> Elimination:
        """The elimination of the unknowns at the solution.

        Returns
        -------
        Elimination

        Examples
        --------
        >>> from mfa.solve.model import example_park, model_from_park
        >>> m = model_from_park(example_park())
        >>> s = iterate(m, m.kind, m.value0, max_iter=100, tol=1e-10)
        >>> s.elimination.P.shape, s.elimination.observable.tolist()
        ((0, 1), [True])
        """
        return self.linearisation.elimination

    @property
    def observable(self) -> np.ndarray:
        """Per unknown: whether the equations determine it.

        Returns
        -------
        numpy.ndarray of bool
            One per unknown (here the landfill flow).

        Examples
        --------
        >>> from mfa.solve.model import example_park, model_from_park
        >>> m = model_from_park(example_park())
        >>> s = iterate(m, m.kind, m.value0, max_iter=100, tol=1e-10)
        >>> s.observable.tolist()
        [True]
        """
        return self.linearisation.elimination.observable

    @property
    def dof(self) -> int:
        """Degrees of freedom of the χ² test: independent reduced equations.

        Returns
        -------
        int

        Examples
        --------
        >>> import mfa
        >>> park = mfa.Park.from_frames(
        ...     processes=[{"id": "in", "name": "Supply", "kind": "import"},
        ...                {"id": "plant", "name": "Plant", "kind": "production"},
        ...                {"id": "dump", "name": "Dump", "kind": "landfill"}],
        ...     flows=[{"source": "in", "target": "plant", "material": "coal_gangue", "value": 100, "sigma": 5},
        ...            {"source": "plant", "target": "dump", "material": "coal_gangue", "value": 90, "sigma": 4}])
        >>> from mfa.solve.model import model_from_park
        >>> m = model_from_park(park)
        >>> s = iterate(m, m.kind, m.value0, max_iter=100, tol=1e-10)
        >>> s.dof
        1
        """
        return int(self.linearisation.normal.rank)


def iterate(model: Model, kind: np.ndarray, v_m: np.ndarray, *, max_iter: int, tol: float) -> Solution:
    """Reconcile the measured variables of ``model`` and compute its unknowns, with the variables' kinds
    and measured values given (the active set fixes some at a bound).

    Parameters
    ----------
    model : Model
    kind : numpy.ndarray
        ``EXACT``, ``MEASURED`` or ``UNKNOWN`` per variable.
    v_m : numpy.ndarray
        Measured and exact values (NaN for unknowns).
    max_iter : int
        Iteration limit (bilinear equations).
    tol : float
        Relative step tolerance.

    Returns
    -------
    Solution

    Raises
    ------
    mfa.errors.MfaError
        No convergence, with the last step and the largest residual.

    Examples
    --------
    >>> from mfa.solve.model import example_park, model_from_park
    >>> m = model_from_park(example_park())
    >>> iterate(m, m.kind, m.value0, max_iter=100, tol=1e-10).v[2].round(6).item()
    40.0
    """
    x_idx = np.flatnonzero(kind == MEASURED)
    y_idx = np.flatnonzero(kind == UNKNOWN)
    z_idx = np.flatnonzero(kind == EXACT)
    q = model.sigma[x_idx] ** 2
    xm = v_m[x_idx]
    v = np.where(kind == UNKNOWN, 0.0, v_m)
    labels_eq = _Labels(model)
    independent: list = []          # patterns of reduced systems found independent (bilinear iterations)
    columns = JacobianColumns(x_idx, y_idx)

    el = eliminate(columns(model.jacobian(v))[1])
    # Starting unknowns from the measurements as given (exact where the unknowns enter linearly).
    v[y_idx] = el.Yplus @ (-model.residual(v))
    bilinear = model.bilinear

    converged = False
    it = 0
    last_step = np.inf
    unobs_v = np.zeros(model.n_v, dtype=bool)

    def residuals(v: np.ndarray, el: Elimination) -> tuple[np.ndarray, np.ndarray]:
        unobs_v[:] = False
        unobs_v[y_idx[~el.observable]] = True
        F = model.residual(v)
        row_scale = model.row_scale(np.where(unobs_v, 0.0, v))
        # a floor of 1e-10 of the largest throughput: below that, rounding of the big flows dominates
        floor = 1e-10 * max(float(np.max(row_scale, initial=0.0)), 1e-300)
        return F, np.abs(F) / np.maximum(row_scale, floor)

    refine = 0
    lin: Linearisation | None = None
    lam: np.ndarray | None = None
    for it in range(1, max_iter + 1):
        if it == 1 or bilinear:
            # (re-)linearise; for linear equations once: later passes only refine with the same factors
            lin = linearise(model, v, x_idx, y_idx, q, elimination=el if it == 1 else None, previous=el,
                            independent=independent, labels_eq=labels_eq, columns=columns)
            el = lin.elimination
            F = model.residual(v)
            rhs = lin.rhs
        else:
            F = model.residual(v)
            rhs = lin.A @ v[x_idx] - lin.P_kept @ F
        x = v[x_idx]
        # the previous pass's multipliers start conjugate gradients (a poor guess costs iterations, not accuracy)
        lam = lin.normal.solve(lin.A @ xm - rhs, guess=lam if lam is not None and len(lam) == lin.normal.n
                               else None)
        x_new = xm - lin.QAt @ lam
        y_new = v[y_idx] + el.Yplus @ (-F - lin.Jx @ (x_new - x))
        step = max(np.max(np.abs(x_new - x), initial=0.0), np.max(np.abs(y_new - v[y_idx]), initial=0.0))
        if not np.isfinite(step):
            break
        v[x_idx] = x_new
        v[y_idx] = y_new
        scale = max(np.max(np.abs(v), initial=0.0), 1.0)
        last_step = step
        if bilinear:
            if step <= tol * scale:
                converged = True
                break
        else:
            # linear: the first pass is the solution; refine rounding (at most twice) with the same factors
            converged = True
            _, rel = residuals(v, el)
            if float(np.max(rel, initial=0.0)) <= 1e-12 or refine >= 2:
                break
            refine += 1
    if bilinear and converged:
        # re-linearise at the solution for classification and uncertainty
        lin = linearise(model, v, x_idx, y_idx, q, previous=el, independent=independent, labels_eq=labels_eq,
                        columns=columns)
        el = lin.elimination

    F, rel = residuals(v, el)
    max_res = float(np.max(np.abs(F), initial=0.0))
    max_rel = float(np.max(rel, initial=0.0))
    if not bilinear:
        it = 1
    if not converged or max_rel > 1e-6:
        worst = int(np.argmax(rel)) if len(rel) else 0
        raise MfaError(
            f"reconciliation did not converge after {it} iteration(s) (limit {max_iter}): last step "
            f"{last_step:.3g}, largest constraint residual {max_res:.3g} t/a ({max_rel:.3g} of the throughput, "
            f"in the {labels_eq[worst] if len(labels_eq) else '-'}). The data may be contradictory or the "
            "transfer coefficients ill-posed; try bounds=True (--bounds), check σ larger than the values, "
            "or fix gross errors first.")
    return Solution(v=v, x_idx=x_idx, y_idx=y_idx, z_idx=z_idx, q=q, linearisation=lin, iterations=it,
                    converged=converged, max_residual=max_res, max_residual_rel=max_rel)
