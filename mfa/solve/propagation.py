"""From the solution to what the user reads besides the values: the σ of every reconciled and computed
variable (first order, ``Cov(x̂) = Q − Q Aᵀ M⁻¹ A Q`` and its image through the unknowns' generalised inverse;
only the diagonals are formed), the determined combinations of unobservable unknowns (such as their sum),
covariances on request, and the linear model the Monte Carlo maps samples through."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp

from mfa.errors import MfaError
from mfa.solve.elimination import NULL_TOL
from mfa.solve.gauss_newton import Solution
from mfa.solve.linear_algebra import NormalMatrix
from mfa.solve.model import Model

__all__ = ["Combinations", "Uncertainty", "determined_combinations", "propagate", "LinearModel",
           "COMBINATION_LIMIT"]

# Determined combinations of unobservable unknowns are listed (in echelon form) for components with up to
# this many unobservable unknowns.
COMBINATION_LIMIT = 2000


def _example() -> tuple[Model, Solution]:
    """Two unknown outputs of a measured plant: unobservable, their sum determined (the doctests' case)."""
    import mfa
    from mfa.solve.gauss_newton import iterate
    from mfa.solve.model import model_from_park

    park = mfa.Park.from_frames(
        processes=[{"id": "in", "name": "Supply", "kind": "import"},
                   {"id": "plant", "name": "Plant", "kind": "production"},
                   {"id": "out", "name": "Customers", "kind": "export"},
                   {"id": "dump", "name": "Dump", "kind": "landfill"}],
        flows=[{"source": "in", "target": "plant", "material": "coal_gangue", "value": 100, "sigma": 5},
               {"source": "plant", "target": "out", "material": "coal_gangue"},
               {"source": "plant", "target": "dump", "material": "coal_gangue"}])
    model = model_from_park(park)
    return model, iterate(model, model.kind, model.value0, max_iter=100, tol=1e-10)


@dataclass(frozen=True, eq=False)
class Combinations:
    """Determined combinations ``cᵀ y`` of unobservable unknowns.

    Attributes
    ----------
    rows : scipy.sparse.csr_matrix or None
        One row ``c`` per combination, over the unknowns (None: no combination).
    terms : list
        Per combination, its (coefficient, variable label) pairs.
    values : list of float
        Per combination, its value.
    skipped : int
        Connected parts with more than ``COMBINATION_LIMIT`` unobservable unknowns (not listed).

    Examples
    --------
    >>> c = determined_combinations(*_example())
    >>> c.terms, c.values
    ([[(1.0, 'plant>out:coal_gangue'), (1.0, 'plant>dump:coal_gangue')]], [100.0])
    """

    rows: sp.csr_matrix | None
    terms: list = field(default_factory=list)
    values: list = field(default_factory=list)
    skipped: int = 0


@dataclass(frozen=True, eq=False)
class Uncertainty:
    """Variances of every variable, of the adjustments and of the combinations.

    Attributes
    ----------
    var : numpy.ndarray
        Per variable (n_v; NaN when not propagated or unobservable, 0 for exact values).
    var_adj : numpy.ndarray
        Per variable: variance of its adjustment (measured variables; NaN otherwise).
    comb_var : numpy.ndarray or None
        Per determined combination.
    propagated : bool
    skipped : str or None
        Why it was not propagated by default (the predicted cost).

    Examples
    --------
    >>> model, solution = _example()
    >>> u = propagate(model, solution, determined_combinations(model, solution).rows)
    >>> u.propagated, u.var.tolist(), u.comb_var.tolist()
    (True, [25.0, nan, nan], [25.0])
    """

    var: np.ndarray
    var_adj: np.ndarray
    comb_var: np.ndarray | None
    propagated: bool
    skipped: str | None = None

    @classmethod
    def none(cls, n_v: int, skipped: str | None = None) -> "Uncertainty":
        """No propagation: every variance NaN.

        Parameters
        ----------
        n_v : int
            Number of variables.
        skipped : str, optional
            Why.

        Returns
        -------
        Uncertainty

        Examples
        --------
        >>> Uncertainty.none(2).var.tolist()
        [nan, nan]
        """
        return cls(var=np.full(n_v, np.nan), var_adj=np.full(n_v, np.nan), comb_var=None, propagated=False,
                   skipped=skipped)


def propagate(model: Model, solution: Solution, comb_rows: sp.csr_matrix | None,
              only_if_affordable: bool = False) -> Uncertainty:
    """σ² of every reconciled and computed variable: ``Cov(x̂) = Q − Q Aᵀ M⁻¹ A Q``, computed values by
    first-order propagation through the generalised inverse; only the diagonals are formed.

    Parameters
    ----------
    model : Model
    solution : Solution
    comb_rows : scipy.sparse.csr_matrix or None
        The determined combinations of unobservable unknowns (:func:`determined_combinations`).
    only_if_affordable : bool
        Skip (saying why) when the predicted cost is too high (see :meth:`NormalMatrix.unaffordable`).

    Returns
    -------
    Uncertainty

    Examples
    --------
    >>> model, solution = _example()
    >>> propagate(model, solution, None).var_adj.tolist()
    [0.0, nan, nan]
    """
    x_idx, y_idx = solution.x_idx, solution.y_idx
    lin = solution.linearisation
    el = lin.elimination
    q = solution.q
    n_x = len(x_idx)
    # Sensitivities of the outputs to the measurements: x̂ itself, observable unknowns, combinations.
    K = -(el.Yplus @ lin.Jx).tocsr()                        # n_y × n_x
    Kc = comb_rows @ K if comb_rows is not None else None
    O = sp.vstack([sp.identity(n_x, format="csr"), K] + ([Kc.tocsr()] if Kc is not None else []),
                  format="csr")
    prior = np.asarray((O.multiply(O)) @ q).ravel()        # diag(O Q Oᵀ)
    H = (O @ lin.QAt).T.tocsc()                             # n_a × n_o
    if only_if_affordable:
        why = lin.normal.unaffordable(H)
        if why is not None:
            return Uncertainty.none(model.n_v, skipped=why)
    red = lin.normal.inverse_quadratic(H)
    var = prior - red
    # Cancellation: Q − QAᵀM⁻¹AQ loses digits when a value is (almost) fixed by exact data; a posterior
    # variance below 1e-8 of the prior (σ below 1e-4 of the prior σ) is rounding and reported as 0.
    var[var <= 1e-8 * prior] = 0.0
    out_var = np.full(model.n_v, np.nan)
    out_var[x_idx] = var[:n_x]
    out_var[y_idx] = np.where(el.observable, var[n_x:n_x + len(y_idx)], np.nan)
    out_var[solution.z_idx] = 0.0
    var_adj = np.full(model.n_v, np.nan)
    var_adj[x_idx] = np.maximum(red[:n_x], 0.0)
    return Uncertainty(var=out_var, var_adj=var_adj, propagated=True,
                       comb_var=var[n_x + len(y_idx):] if Kc is not None else None)


def determined_combinations(model: Model, solution: Solution) -> Combinations:
    """Determined combinations cᵀy of unobservable unknowns, per component: c ⟂ null space restricted to
    the unobservable unknowns, in reduced row echelon form (canonical: the same whatever basis the null
    space came in). Components with more than ``COMBINATION_LIMIT`` unobservable unknowns are counted
    instead (their echelon form is dense).

    Parameters
    ----------
    model : Model
    solution : Solution

    Returns
    -------
    Combinations

    Examples
    --------
    >>> c = determined_combinations(*_example())
    >>> c.rows.toarray().tolist(), c.skipped
    ([[1.0, 1.0]], 0)
    """
    el = solution.elimination
    y_idx = solution.y_idx
    labels = model.variable_labels()
    rows, terms, values = [], [], []
    skipped = 0
    N = el.null.basis.tocsc()
    unobs = np.flatnonzero(~el.observable)
    if not len(unobs) or not N.shape[1]:
        return Combinations(rows=None)
    comp_u = el.comp_of_y[unobs]
    order_u = np.argsort(comp_u, kind="stable")
    order_n = np.argsort(el.null_comp, kind="stable")
    comps, start_u = np.unique(comp_u[order_u], return_index=True)
    end_u = np.r_[start_u[1:], len(order_u)]
    nsorted = el.null_comp[order_n]
    Nr = N.tocsr()
    for comp, s0, s1 in zip(comps, start_u, end_u):
        yi = unobs[order_u[s0:s1]]                            # ascending unknown index
        if len(yi) < 2:
            continue
        if len(yi) > COMBINATION_LIMIT:
            skipped += 1
            continue
        a, b = np.searchsorted(nsorted, [comp, comp + 1])
        NU = Nr[yi][:, order_n[a:b]].toarray()                # u × k
        NU = NU / np.maximum(np.abs(NU).max(axis=0), 1e-300)
        # combinations c with cᵀ NU = 0
        Uc, Sc, Vc = np.linalg.svd(NU.T, full_matrices=True)
        r = int((Sc > NULL_TOL * max(Sc.max(initial=0), 1e-300)).sum())
        basis = Vc[r:]                                        # (u − r) × u
        if not len(basis):
            continue
        basis = _rref(basis)
        for c in basis:
            nz = np.flatnonzero(np.abs(c) > 1e-9)
            c = c / np.max(np.abs(c[nz]))
            c = np.where(np.abs(c - np.round(c)) < 1e-9, np.round(c), c)
            yk = yi[nz]
            row = sp.csr_matrix((c[nz], (np.zeros(len(nz), dtype=int), yk)), shape=(1, len(y_idx)))
            rows.append(row)
            terms.append([(float(a), str(labels[y_idx[j]])) for a, j in zip(c[nz], yk)])
            values.append(float(np.dot(c[nz], solution.v[y_idx[yk]])))
    if not rows:
        return Combinations(rows=None, skipped=skipped)
    return Combinations(rows=sp.vstack(rows, format="csr"), terms=terms, values=values, skipped=skipped)


def _rref(B: np.ndarray) -> np.ndarray:
    """Reduced row echelon form of a small full-row-rank matrix (readable combinations)."""
    B = B.copy()
    rows, cols = B.shape
    r = 0
    for c in range(cols):
        if r >= rows:
            break
        p = r + int(np.argmax(np.abs(B[r:, c])))
        if abs(B[p, c]) < 1e-9:
            continue
        B[[r, p]] = B[[p, r]]
        B[r] /= B[r, c]
        for i in range(rows):
            if i != r:
                B[i] -= B[i, c] * B[r]
        r += 1
    return B[:r]


@dataclass
class LinearModel:
    """The reconciliation linearised at its solution: everything the Monte Carlo needs to map sampled
    measurements to reconciled and computed values without refactoring (factor once, many right-hand sides).

    For measured values ``x_s`` (n_x × S): ``x = x_s − Q Aᵀ M⁻¹ (A x_s − b)`` and the unknowns follow from
    :meth:`apply`; exact for linear equations, first-order otherwise (then :meth:`apply` iterates with the
    fixed Jacobian until the equations hold).

    Attributes
    ----------
    model : Model
    x_idx, y_idx : numpy.ndarray
        Indices of the measured and unknown variables.
    A, QAt : scipy.sparse.csr_matrix
        The kept reduced equations and ``Q Aᵀ``.
    normal : NormalMatrix
        ``A Q Aᵀ`` with its solver.
    P : scipy.sparse.csr_matrix
        The kept rows of the left null space.
    Yplus : scipy.sparse.csr_matrix or GeneralisedInverse
        A generalised inverse of the unknowns' Jacobian.
    Jx : scipy.sparse.csr_matrix
        The measured variables' Jacobian.
    v_hat : numpy.ndarray
        The solution.
    observable : numpy.ndarray
        Per unknown: whether the equations determine it.

    Examples
    --------
    >>> from mfa.solve.model import example_park, model_from_park
    >>> from mfa.solve.gauss_newton import iterate
    >>> m = model_from_park(example_park())
    >>> lin = LinearModel.at(m, iterate(m, m.kind, m.value0, max_iter=100, tol=1e-10))
    >>> V, ok = lin.apply(np.array([[100.0, 110.0], [60.0, 50.0]]))
    >>> V[2].round(6).tolist(), ok.tolist()
    ([40.0, 60.0], [True, True])
    """

    model: Model
    x_idx: np.ndarray
    y_idx: np.ndarray
    A: sp.csr_matrix
    QAt: sp.csr_matrix
    normal: NormalMatrix
    P: sp.csr_matrix
    Yplus: sp.csr_matrix
    Jx: sp.csr_matrix
    v_hat: np.ndarray
    observable: np.ndarray

    @classmethod
    def at(cls, model: Model, solution: Solution) -> "LinearModel":
        """The linear model of ``solution``.

        Parameters
        ----------
        model : Model
        solution : Solution

        Returns
        -------
        LinearModel

        Examples
        --------
        >>> from mfa.solve.model import example_park, model_from_park
        >>> from mfa.solve.gauss_newton import iterate
        >>> m = model_from_park(example_park())
        >>> LinearModel.at(m, iterate(m, m.kind, m.value0, max_iter=100, tol=1e-10)).x_idx.tolist()
        [0, 1]
        """
        lin = solution.linearisation
        return cls(model=model, x_idx=solution.x_idx, y_idx=solution.y_idx, A=lin.A, QAt=lin.QAt,
                   normal=lin.normal, P=lin.P_kept, Yplus=lin.elimination.Yplus, Jx=lin.Jx,
                   v_hat=solution.v.copy(), observable=solution.observable)

    def apply(self, xs: np.ndarray, max_iter: int = 50, tol: float = 1e-10) -> tuple[np.ndarray, np.ndarray]:
        """Variables for sampled measurements, and whether the equations hold for each sample.

        Parameters
        ----------
        xs : numpy.ndarray
            Sampled measured values (n_x × S).
        max_iter : int
            Chord iterations (bilinear equations).
        tol : float
            Relative step tolerance.

        Returns
        -------
        tuple of (numpy.ndarray, numpy.ndarray)
            Variables (n_v × S; unobservable unknowns NaN) and, per sample, whether the equations hold to
            ``1e-9`` of their throughput.

        Examples
        --------
        >>> from mfa.solve.model import example_park, model_from_park
        >>> from mfa.solve.gauss_newton import iterate
        >>> m = model_from_park(example_park())
        >>> lin = LinearModel.at(m, iterate(m, m.kind, m.value0, max_iter=100, tol=1e-10))
        >>> lin.apply(np.array([[90.0], [60.0]]))[0][2].round(6).tolist()
        [30.0]
        """
        S = xs.shape[1]
        V = np.repeat(self.v_hat[:, None], S, axis=1)
        V[self.x_idx] = xs
        scale = max(float(np.max(np.abs(self.v_hat), initial=0.0)), 1.0)
        ok = np.zeros(S, dtype=bool)
        for _ in range(max_iter if self.model.bilinear else 1):
            F = self.model.residual(V)
            x = V[self.x_idx]
            # A x = A x̃ − P F, linearised at the current iterate with the Jacobian of the solution (chord)
            rhs = self.A @ x - self.P @ F
            lam = self.normal.solve(self.A @ xs - rhs)
            x_new = xs - self.QAt @ lam
            y_new = V[self.y_idx] + self.Yplus @ (-F - self.Jx @ (x_new - x))
            step = np.maximum(np.max(np.abs(x_new - x), axis=0, initial=0.0),
                              np.max(np.abs(y_new - V[self.y_idx]), axis=0, initial=0.0))
            V[self.x_idx] = x_new
            V[self.y_idx] = y_new
            if np.all(step <= tol * scale):
                break
        F = self.model.residual(np.where(np.isnan(V), 0.0, V))
        unobs = self.y_idx[~self.observable]
        Vz = V.copy()
        Vz[unobs] = 0.0
        row_scale = abs(self.model.jacobian(np.nan_to_num(self.v_hat))) @ np.abs(Vz)
        row_scale[:self.model.n_b] += np.abs(self.model.ds_known)[:, None]
        touched = np.zeros(self.model.n_c, dtype=bool)
        if len(unobs):
            touched = np.asarray(abs(self.model.jacobian(np.nan_to_num(self.v_hat))[:, unobs]).sum(axis=1)
                                 ).ravel() > 0
        rel = np.abs(F[~touched]) / np.maximum(row_scale[~touched], 1e-300)
        ok = np.all(rel <= 1e-9, axis=0) & np.all(np.isfinite(V[self.x_idx]), axis=0)
        V[unobs] = np.nan
        return V, ok

    def as_given(self, max_iter: int = 50, tol: float = 1e-10) -> np.ndarray:
        """Variables with every measured value kept as given and the determined unknowns computed from
        them (not from the reconciled values): each unknown from the equation it is pivoted on, so that
        the balance that fixes it closes exactly; what the data leave over stays on the equations that only
        check given values. The step is the generalised inverse of the unknowns' Jacobian at the solution
        (a chord iteration for bilinear equations; one step for linear ones).

        Parameters
        ----------
        max_iter : int
            Chord iterations (bilinear equations).
        tol : float
            Relative step tolerance.

        Returns
        -------
        numpy.ndarray
            All variables (n_v); unobservable unknowns NaN.

        Examples
        --------
        Two measured inputs (100 and 60, σ 5 and 3) of a plant whose only output is unknown: reconciled and
        as given agree (nothing is redundant); with a measured output that conflicts, the unknown still
        closes the plant's balance with the inputs as given.

        >>> from mfa.solve.model import example_park, model_from_park
        >>> from mfa.solve.gauss_newton import iterate
        >>> m = model_from_park(example_park())
        >>> LinearModel.at(m, iterate(m, m.kind, m.value0, max_iter=100, tol=1e-10)).as_given().tolist()
        [100.0, 60.0, 40.0]
        """
        model = self.model
        V = self.v_hat.copy()
        V[self.x_idx] = model.value0[self.x_idx]
        unobs = self.y_idx[~self.observable]
        scale = max(float(np.max(np.abs(self.v_hat), initial=0.0)), 1.0)
        for _ in range(max_iter if model.bilinear else 1):
            step = self.Yplus @ (-model.residual(V))
            V[self.y_idx] += step
            step[~self.observable] = 0.0
            if np.max(np.abs(step), initial=0.0) <= tol * scale:
                break
        V[unobs] = np.nan
        return V

    def covariance(self, ids: list[str]) -> pd.DataFrame:
        """Covariance matrix of reconciled or computed variables (first order).

        Parameters
        ----------
        ids : list of str
            Flow ids, ``tc[<flow id>]`` for coefficients, ``Δstock[<process>]`` for stock changes.

        Returns
        -------
        pandas.DataFrame
            (t/a)², indexed both ways by ``ids``.

        Raises
        ------
        mfa.errors.MfaError
            An unknown or unobservable variable.

        Examples
        --------
        >>> from mfa.solve.model import example_park, model_from_park
        >>> from mfa.solve.gauss_newton import iterate
        >>> m = model_from_park(example_park())
        >>> lin = LinearModel.at(m, iterate(m, m.kind, m.value0, max_iter=100, tol=1e-10))
        >>> lin.covariance(["plant>dump:coal_gangue"]).round(6).to_numpy().tolist()   # 5² + 3²
        [[34.0]]
        """
        model = self.model
        labels = model.variable_labels()
        pos = {str(l): i for i, l in enumerate(labels)}
        missing = [i for i in ids if i not in pos]
        if missing:
            from mfa.errors import suggest

            hint = suggest(missing[0], pos)
            raise MfaError(f"unknown variable {missing[0]!r}" + (f" — {hint}" if hint else ""))
        x_idx, y_idx = self.x_idx, self.y_idx
        xpos = np.full(model.n_v, -1)
        xpos[x_idx] = np.arange(len(x_idx))
        ypos = np.full(model.n_v, -1)
        ypos[y_idx] = np.arange(len(y_idx))
        K = -(self.Yplus @ self.Jx).tocsr()
        rows = []
        for name in ids:
            i = pos[name]
            if xpos[i] >= 0:
                rows.append(sp.csr_matrix(([1.0], ([0], [xpos[i]])), shape=(1, len(x_idx))))
            elif ypos[i] >= 0 and self.observable[ypos[i]]:
                rows.append(K[ypos[i]])
            elif ypos[i] >= 0:
                raise MfaError(f"{name!r} is unobservable: it has no value and no covariance")
            else:
                rows.append(sp.csr_matrix((1, len(x_idx))))
        O = sp.vstack(rows, format="csr")
        q = model.sigma[x_idx] ** 2
        prior = (O @ sp.diags(q) @ O.T).toarray()
        H = (O @ self.QAt).T.toarray()
        C = prior - H.T @ self.normal.solve(H) if H.shape[0] else prior
        return pd.DataFrame(C, index=ids, columns=ids)
