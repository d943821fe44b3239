"""Reconciliation of a park: the active set of bounds around Gauss–Newton, then the classification,
uncertainties and tests that make the result (see the package :mod:`mfa.solve`)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

import pandas as pd

from mfa.errors import Issue, MfaError
from mfa.solve.gauss_newton import Solution, iterate
from mfa.solve.model import EXACT, MEASURED, UNKNOWN, Model, model_from_park
from mfa.solve.propagation import (COMBINATION_LIMIT, Combinations, LinearModel, Uncertainty,
                                   determined_combinations, propagate)
from mfa.solve.result import ReconcileResult, expression

if TYPE_CHECKING:  # pragma: no cover
    from mfa.park import Park

__all__ = ["reconcile", "estimate", "Estimate", "build_result", "chi2_pvalue"]


def chi2_pvalue(chi2: float, dof: int) -> float:
    """P(χ² ≥ ``chi2``) for ``dof`` degrees of freedom (as ``scipy.special.chdtrc``), from ``math`` and numpy.

    Why: scipy.special costs ``mfa check`` a few tens of milliseconds to import for one number. For an integer
    dof the regularised upper gamma function has a closed form, a sum of positive terms (so relative accuracy
    holds in the tails), taken in logarithms so that large dof and χ² do not overflow.

    Parameters
    ----------
    chi2 : float
        The test statistic (≥ 0; NaN gives NaN).
    dof : int
        Degrees of freedom, ≥ 1.

    Returns
    -------
    float

    Examples
    --------
    >>> round(chi2_pvalue(3.841458820694124, 1), 12)
    0.05
    >>> round(chi2_pvalue(2.0, 2), 12) == round(math.exp(-1.0), 12)
    True
    """
    dof = int(dof)
    if dof < 1:
        raise ValueError(f"chi2_pvalue: dof must be ≥ 1, got {dof}")
    if not math.isfinite(chi2):
        return float("nan") if math.isnan(chi2) else 0.0
    if chi2 <= 0.0:
        return 1.0
    half = chi2 / 2.0
    # Q(k/2, x/2) = e^(−x/2) Σ_{i<k/2} (x/2)^i / i!  (k even);
    #             = erfc(√(x/2)) + e^(−x/2) Σ_{i<(k−1)/2} (x/2)^(i+½) / Γ(i+3/2)  (k odd)
    odd = dof % 2
    i = np.arange(dof // 2, dtype=float) + (0.5 if odd else 0.0)
    log_terms = -half + i * math.log(half) - np.array([math.lgamma(v + 1.0) for v in i])
    tail = float(np.exp(log_terms).sum()) if len(i) else 0.0
    return min(1.0, tail + (math.erfc(math.sqrt(half)) if odd else 0.0))


@dataclass(frozen=True, eq=False)
class Estimate:
    """Everything the reconciliation computes before it is written up as a :class:`ReconcileResult`.

    Attributes
    ----------
    solution : Solution
        The Gauss–Newton solution at the settled active set.
    fixed_at_bound : numpy.ndarray
        Per variable: fixed at a bound by the active set.
    combinations : Combinations
        Determined combinations of unobservable unknowns.
    uncertainty : Uncertainty
        Variances (NaN when not propagated).
    chi2 : float
        Σ (x̂ − x)² / σ² over the measured variables.

    Examples
    --------
    >>> from mfa.solve.model import example_park
    >>> e = estimate(model_from_park(example_park()))
    >>> e.solution.dof, e.uncertainty.propagated, e.chi2
    (0, True, 0.0)
    """

    solution: Solution
    fixed_at_bound: np.ndarray
    combinations: Combinations
    uncertainty: Uncertainty
    chi2: float


def reconcile(park: "Park", bounds: bool = False, *, alpha: float = 0.05, max_iter: int = 100,
              tol: float = 1e-10, covariance: bool | None = None) -> ReconcileResult:
    """Solve the unknown flows of ``park`` and reconcile its measured flows and transfer coefficients.

    Parameters
    ----------
    park : mfa.Park
        Flow values in t/a; ``value`` NaN = unknown; ``sigma`` NaN (or 0) = exact, else the standard
        uncertainty in t/a; ``tc`` = share of the source process's total input leaving through the flow,
        ``tc_sigma`` its standard uncertainty (NaN = exact).
    bounds : bool
        Keep reconciled flows ≥ 0 and coefficients in [0, 1] (active set: violators are fixed at the bound,
        variables whose KKT multiplier has the wrong sign are released); a computed flow that comes out
        negative raises :class:`mfa.errors.MfaError`.
    alpha : float
        Significance level of the gross-error test on normalised adjustments (two-sided, default 0.05:
        |adjustment / σ_adjustment| > 1.96 flags a gross error).
    max_iter, tol
        Iteration limit and relative step tolerance of the iterative linearisation. Non-convergence raises
        :class:`mfa.errors.MfaError` with the last step and residual.
    covariance : bool or None
        Propagate uncertainties (σ of every reconciled and computed variable, first order, with
        covariances). None (default) = unless the predicted cost is prohibitive: small systems use a dense
        Cholesky; large ones a supernodal sparse Cholesky (AMD order) whose *projected inverse* gives the σ of
        every measured flow and one batched triangular solve per computed variable (see ``mfa.solve._chordal``).
        The cost is predicted from the symbolic factorisation; above about 10¹² floating-point operations or
        1.5·10⁸ non-zeros in the factor (expander-like random networks of several 10⁵ flows) propagation is
        skipped, ``uncertainty_propagated`` is False, ``uncertainty_skipped`` says why and what it would
        cost, and sigma is NaN for reconciled and computed values. True forces it; False skips it.

    Returns
    -------
    ReconcileResult
        ``.flows``, ``.transfer_coefficients``, ``.stock_changes``, ``.combinations`` (DataFrames),
        ``.chi2``, ``.dof``, ``.p_value``, ``.converged``, ``.iterations``, ``.max_residual``, ``.park``,
        ``.to_dict()`` / ``.to_json()``.

    Raises
    ------
    mfa.errors.MfaError
        Contradictory exact data (with the equations involved), no convergence, or bounds that cannot hold.

    Notes
    -----
    χ² = Σ (x̂ − x)² / σ² over measured variables, with dof = number of independent
    redundancy equations; p_value = P(χ²_dof ≥ χ²) (1.0 when dof = 0). A park without redundancy is solved,
    not rejected (dof 0).

    Examples
    --------
    >>> from mfa.solve.model import example_park
    >>> r = reconcile(example_park())
    >>> r.flows[["id", "value", "sigma", "status"]].round(3).to_dict("records")[2]
    {'id': 'plant>dump:coal_gangue', 'value': 40.0, 'sigma': 5.831, 'status': 'computed'}
    """
    from mfa.park import require_park

    require_park(park, "reconcile")
    model = model_from_park(park)
    return build_result(park, model, estimate(model, bounds=bounds, max_iter=max_iter, tol=tol,
                                              covariance=covariance), alpha=alpha)


def estimate(model: Model, *, bounds: bool = False, max_iter: int = 100, tol: float = 1e-10,
             covariance: bool | None = None, combinations: bool = True) -> Estimate:
    """Reconcile ``model``: the Gauss–Newton solution (with bounds, at the active set that settles), the
    determined combinations of unobservable unknowns, the uncertainties and χ².

    Parameters
    ----------
    model : Model
    bounds : bool
        Keep measured flows ≥ 0 and coefficients in [0, 1] (active set).
    max_iter : int
        Iteration limit of each Gauss–Newton run.
    tol : float
        Relative step tolerance.
    covariance : bool or None
        Propagate uncertainties: True, False, or None = unless the predicted cost is prohibitive.
    combinations : bool
        Find the determined combinations of unobservable unknowns (False: for callers that do not report
        them; ``combinations.rows`` is then None).

    Returns
    -------
    Estimate

    Raises
    ------
    mfa.errors.MfaError
        No convergence, contradictory exact data, computed values negative under bounds, or an active set
        that does not settle.

    Examples
    --------
    >>> from mfa.solve.model import example_park
    >>> e = estimate(model_from_park(example_park()))
    >>> e.solution.v.round(6).tolist(), e.chi2
    ([100.0, 60.0, 40.0], 0.0)
    """
    kind = model.kind.copy()
    v_m = model.value0.copy()
    lb = np.zeros(model.n_v)
    ub = np.full(model.n_v, np.inf)
    ub[model.n_f:model.n_f + model.n_t] = 1.0
    lb[model.n_f + model.n_t:] = -np.inf  # stock changes may be negative

    # Bounds by an active set: violators are fixed at their bound; a fixed variable whose KKT multiplier has
    # the wrong sign (the objective would fall by moving it back inside) is released, one at a time.
    at_lower = np.zeros(model.n_v, dtype=bool)
    at_upper = np.zeros(model.n_v, dtype=bool)
    settled = False
    for _ in range(2 * model.n_v + 10):
        sol = iterate(model, kind, v_m, max_iter=max_iter, tol=tol)
        if not bounds:
            settled = True
            break
        v = sol.v
        x_idx = sol.x_idx
        low = x_idx[v[x_idx] < lb[x_idx] - 1e-12 * np.maximum(1, np.abs(model.value0[x_idx]))]
        high = x_idx[v[x_idx] > ub[x_idx] + 1e-12]
        if len(low) or len(high):
            kind[low] = EXACT
            v_m[low] = lb[low]
            at_lower[low] = True
            kind[high] = EXACT
            v_m[high] = ub[high]
            at_upper[high] = True
            continue
        fixed = np.flatnonzero(at_lower | at_upper)
        if len(fixed):
            lin = sol.linearisation
            A, normal = lin.A, lin.normal
            xm = model.value0[x_idx]
            lam = normal.solve(A @ (xm - v[x_idx])) if A.shape[0] else np.zeros(0)
            a = (lin.P_kept @ model.jacobian(v)[:, fixed]).tocsc() if A.shape[0] else None
            alam = (a.T @ lam) if a is not None else np.zeros(len(fixed))
            grad = (v[fixed] - model.value0[fixed]) / model.sigma[fixed] ** 2
            mu = np.where(at_lower[fixed], grad + alam, -grad - alam)
            scale = np.maximum(np.abs(grad), np.abs(alam)) + 1e-300
            worst = int(np.argmin(mu / scale))
            if mu[worst] < -1e-9 * scale[worst]:
                i = fixed[worst]
                kind[i] = MEASURED
                v_m[i] = model.value0[i]
                at_lower[i] = at_upper[i] = False
                continue
        y_idx = sol.y_idx
        neg = y_idx[sol.observable & (v[y_idx] < lb[y_idx] - 1e-9 * np.maximum(1.0, np.abs(v[y_idx])))]
        if len(neg):
            labels = model.variable_labels()
            lines = [f"{labels[i]} = {v[i]:.6g}" for i in neg[:20]]
            raise MfaError("with bounds, these computed values are still negative (the exact and "
                           "reconciled data force them below zero):\n  - " + "\n  - ".join(lines))
        settled = True
        break
    if not settled:
        raise MfaError("the bounded reconciliation did not settle (active set cycling); try without bounds")
    # the determined combinations of unobservable flows, whether or not their σ is propagated
    comb = determined_combinations(model, sol) if combinations else Combinations(rows=None)
    if covariance is False:
        unc = Uncertainty.none(model.n_v)
    else:
        unc = propagate(model, sol, comb.rows, only_if_affordable=covariance is None)
    # χ² on the original measurements (variables fixed at a bound count with their full adjustment)
    m = model.kind == MEASURED
    d = sol.v[m] - model.value0[m]
    return Estimate(solution=sol, fixed_at_bound=at_lower | at_upper, combinations=comb, uncertainty=unc,
                    chi2=float(np.sum(d * d / model.sigma[m] ** 2)))


def build_result(park: "Park", model: Model, est: Estimate, *, alpha: float = 0.05) -> ReconcileResult:
    """The result of a reconciliation: statuses, σ, adjustments and gross-error tests per variable, the
    χ² test, and the tables.

    Parameters
    ----------
    park : mfa.Park
        The park reconciled.
    model : Model
        Its equations.
    est : Estimate
        What :func:`~mfa.solve.reconciliation.estimate` computed.
    alpha : float
        Significance level of the gross-error test (two-sided).

    Returns
    -------
    ReconcileResult

    Examples
    --------
    >>> from mfa.solve.model import example_park, model_from_park
    >>> from mfa.solve.reconciliation import estimate
    >>> park = example_park()
    >>> model = model_from_park(park)
    >>> build_result(park, model, estimate(model)).flows["status"].tolist()
    ['measured', 'measured', 'computed']
    """
    from statistics import NormalDist

    z_crit = NormalDist().inv_cdf(1 - alpha / 2)
    sol, unc = est.solution, est.uncertainty
    lin = sol.linearisation
    n_f, n_t = model.n_f, model.n_t
    v = sol.v.copy()
    var = unc.var
    y_idx = sol.y_idx
    observable = sol.observable
    unobs = np.zeros(model.n_v, dtype=bool)
    unobs[y_idx[~observable]] = True
    v[unobs] = np.nan

    # status per variable
    status = np.empty(model.n_v, dtype=object)
    status[model.kind == EXACT] = "exact"
    status[model.kind == UNKNOWN] = "computed"
    status[unobs] = "unobservable"
    x_idx = sol.x_idx
    A = lin.A
    col_norm = np.sqrt(np.asarray(A.multiply(A).sum(axis=0)).ravel()) if A.shape[0] else np.zeros(len(x_idx))
    # a measurement is redundant if some reduced equation involves it (relative to its own size)
    jcol = np.sqrt(np.asarray(lin.Jx.multiply(lin.Jx).sum(axis=0)).ravel())
    redundant = col_norm > 1e-10 * np.maximum(jcol, 1e-300)
    meas = model.kind == MEASURED
    status[meas] = "measured"
    status[x_idx[redundant]] = "reconciled"
    status[meas & est.fixed_at_bound] = "reconciled"

    sigma = np.sqrt(var)
    sigma[unobs] = np.nan
    sigma[model.kind == EXACT] = np.nan
    # non-redundant measurements keep their σ
    nonred = meas & (status == "measured")
    sigma[nonred] = model.sigma[nonred]
    if np.isnan(var).all():
        sigma[(status == "reconciled") | (status == "computed")] = np.nan

    adj = np.where(meas, v - model.value0, np.nan)
    sd_adj = np.sqrt(unc.var_adj)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(meas & (sd_adj > 1e-12 * np.maximum(model.sigma, 1e-300)), adj / sd_adj, np.nan)
    z = np.where(meas & (status == "measured"), 0.0, z)
    gross = np.nan_to_num(np.abs(z)) > z_crit

    flows_in = park.flows
    flows = pd.DataFrame({
        "id": flows_in["id"], "source": flows_in["source"], "target": flows_in["target"],
        "material": flows_in["material"],
        "value": v[:n_f], "sigma": sigma[:n_f], "status": status[:n_f],
        "measured": model.value0[:n_f], "measured_sigma": model.sigma[:n_f],
        "adjustment": adj[:n_f], "normalised_adjustment": z[:n_f], "gross_error": gross[:n_f],
    })
    sl = slice(n_f, n_f + n_t)
    tcs = pd.DataFrame({
        "flow": model.flow_ids[model.tc_flow], "value": v[sl], "sigma": sigma[sl], "status": status[sl],
        "measured": model.value0[sl], "measured_sigma": model.sigma[sl], "adjustment": adj[sl],
        "normalised_adjustment": z[sl], "gross_error": gross[sl],
    })
    ss = slice(n_f + n_t, model.n_v)
    stocks = pd.DataFrame({
        "process": model.process_ids[model.balance_proc[model.ds_var]], "value": v[ss], "sigma": sigma[ss],
        "status": status[ss],
    })
    comb = est.combinations
    combinations = pd.DataFrame({
        "expression": pd.Series([expression(t) for t in comb.terms], dtype=object),
        "terms": pd.Series(comb.terms, dtype=object),
        "value": pd.Series(comb.values, dtype=float),
        "sigma": (np.sqrt(unc.comb_var) if unc.comb_var is not None else np.full(len(comb.terms), np.nan)),
    })
    dof = sol.dof
    messages = []
    if not unc.propagated and unc.skipped:
        messages.append(Issue.note(f"uncertainties not propagated: {unc.skipped}"))
    if comb.skipped:
        messages.append(Issue.note(f"{comb.skipped} connected part(s) with more than {COMBINATION_LIMIT} "
                                   "unobservable flows: their determined combinations are not listed"))
    n_gross = int(gross[:n_f + n_t].sum())
    if n_gross:
        messages.append(Issue.note(f"{n_gross} measurement(s) flagged as gross errors (alpha = {alpha})",
                                   severity="warning"))
    return ReconcileResult(
        flows=flows, transfer_coefficients=tcs, stock_changes=stocks, combinations=combinations,
        converged=sol.converged, iterations=sol.iterations, chi2=est.chi2, dof=dof,
        p_value=chi2_pvalue(est.chi2, dof) if dof > 0 else 1.0, max_residual=sol.max_residual,
        max_residual_rel=sol.max_residual_rel, alpha=alpha, uncertainty_propagated=unc.propagated,
        uncertainty_skipped=unc.skipped, combinations_skipped=comb.skipped,
        linear_model=LinearModel.at(model, sol), input_park=park, messages=tuple(messages))
