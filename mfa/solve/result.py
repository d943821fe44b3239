"""The result of a reconciliation (:class:`ReconcileResult`): the flows table with every flow's status, value
and σ, the transfer coefficients, stock changes and determined combinations, the χ² test, and the reconciled
park."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd

from mfa.errors import MfaError
from mfa.results import Result, frame_records
from mfa.solve.propagation import LinearModel

if TYPE_CHECKING:  # pragma: no cover
    from mfa.park import Park

__all__ = ["ReconcileResult", "STATUSES", "expression"]

STATUSES = ("exact", "measured", "reconciled", "computed", "unobservable")


@dataclass(frozen=True, eq=False)
class ReconcileResult(Result):
    """Reconciled and computed values with their uncertainties and the statistical tests.

    Attributes
    ----------
    flows : DataFrame
        The main table (``.table``): id, source, target, material, value (t/a; NaN if unobservable), sigma
        (t/a; NaN if exact or unobservable), status, measured, measured_sigma, adjustment,
        normalised_adjustment, gross_error.
    transfer_coefficients : DataFrame
        flow, value, sigma, status, measured, measured_sigma, adjustment, normalised_adjustment, gross_error.
    stock_changes : DataFrame
        process, value, sigma, status — storage processes without stock data (Δstock unknown).
    combinations : DataFrame
        determined combinations of unobservable variables: expression, terms (list of (coefficient, id)),
        value, sigma.
    converged, iterations, chi2, dof, p_value, max_residual, max_residual_rel, alpha
        The iteration and the χ² test (dof = independent redundancy equations; p = P(χ²_dof ≥ χ²)).
    uncertainty_propagated : bool
    uncertainty_skipped : str or None
        Why σ was not propagated by default (the predicted cost).
    combinations_skipped : int
        Connected parts with more than 2 000 unobservable unknowns, whose combinations are not listed.
    linear_model : LinearModel
        The reconciliation linearised at its solution (Monte Carlo, covariances).
    input_park : mfa.Park
        The park as given.
    park : mfa.Park
        The reconciled park (computed values filled in, reconciled values and σ written back).

    Examples
    --------
    >>> import mfa
    >>> from mfa.solve import reconcile
    >>> from mfa.solve.model import example_park
    >>> r = reconcile(example_park())
    >>> r.table is r.flows, r.summary["status_counts"]["computed"], r.dof
    (True, 1, 0)
    """

    title = "Data reconciliation"
    main_table: ClassVar[str] = "flows"

    flows: pd.DataFrame
    transfer_coefficients: pd.DataFrame
    stock_changes: pd.DataFrame
    combinations: pd.DataFrame
    converged: bool
    iterations: int
    chi2: float
    dof: int
    p_value: float
    max_residual: float
    max_residual_rel: float
    alpha: float
    uncertainty_propagated: bool
    uncertainty_skipped: str | None
    combinations_skipped: int
    linear_model: LinearModel = field(repr=False)
    input_park: "Park" = field(repr=False)

    @cached_property
    def park(self) -> "Park":
        """The reconciled park (computed values filled in, reconciled values and σ written back).

        Raises
        ------
        mfa.errors.MfaError
            A reconciled value outside its physical range (reconcile with bounds).

        Returns
        -------
        mfa.Park

        Examples
        --------
        >>> from mfa.solve import reconcile
        >>> from mfa.solve.model import example_park
        >>> r = reconcile(example_park())
        >>> float(r.park.flows.set_index("id").loc["plant>dump:coal_gangue", "value"])
        40.0
        """
        return _reconciled_park(self)

    def covariance(self, ids: list[str]) -> pd.DataFrame:
        """Covariance matrix of reconciled or computed variables.

        Parameters
        ----------
        ids : list of str
            Flow ids, ``tc[<flow id>]`` for coefficients, ``Δstock[<process>]`` for unknown stock changes.

        Returns
        -------
        pandas.DataFrame
            (t/a)², indexed both ways by ``ids``.

        Examples
        --------
        >>> from mfa.solve import reconcile
        >>> from mfa.solve.model import example_park
        >>> reconcile(example_park()).covariance(["in>plant:coal_gangue"]).to_numpy().tolist()
        [[25.0]]
        """
        return self.linear_model.covariance(list(ids))

    @property
    def summary(self) -> dict[str, Any]:
        """Headline figures: convergence, the χ² test, residuals, gross errors and status counts.

        Returns
        -------
        dict
            Name → number, text or dict.

        Examples
        --------
        >>> from mfa.solve import reconcile
        >>> from mfa.solve.model import example_park
        >>> r = reconcile(example_park())
        >>> s = r.summary
        >>> s["converged"], s["dof"], s["status_counts"]
        (True, 0, {'exact': 0, 'measured': 2, 'reconciled': 0, 'computed': 1, 'unobservable': 0})
        """
        counts = self.flows["status"].value_counts()
        return {
            "converged": bool(self.converged), "iterations": int(self.iterations), "chi2": float(self.chi2),
            "dof": int(self.dof), "p_value": float(self.p_value), "max_residual": float(self.max_residual),
            "max_residual_rel": float(self.max_residual_rel), "alpha": float(self.alpha),
            "uncertainty_propagated": bool(self.uncertainty_propagated),
            "uncertainty_skipped": self.uncertainty_skipped,
            "combinations_skipped": int(self.combinations_skipped),
            "gross_errors": int(self.flows["gross_error"].sum() + self.transfer_coefficients["gross_error"].sum()),
            "status_counts": {s: int(counts.get(s, 0)) for s in STATUSES},
        }

    def to_dict(self) -> dict:
        """The ``--json`` document: the summary, then every table as records.

        Returns
        -------
        dict

        Examples
        --------
        >>> from mfa.solve import reconcile
        >>> from mfa.solve.model import example_park
        >>> list(reconcile(example_park()).to_dict())[-4:]
        ['flows', 'transfer_coefficients', 'stock_changes', 'combinations']
        """
        out = self.summary
        out["flows"] = frame_records(self.flows)
        out["transfer_coefficients"] = frame_records(self.transfer_coefficients)
        out["stock_changes"] = frame_records(self.stock_changes)
        comb = self.combinations.copy()
        if len(comb):
            comb["terms"] = [[{"coefficient": float(a), "variable": str(b)} for a, b in t] for t in comb["terms"]]
        out["combinations"] = frame_records(comb)
        return out


def _reconciled_park(res: ReconcileResult) -> "Park":
    """The park with the reconciled values and σ written back (refused outside the physical range)."""
    neg = res.flows[res.flows["value"] < 0]
    neg_tc = res.transfer_coefficients[(res.transfer_coefficients["value"] < 0) |
                                       (res.transfer_coefficients["value"] > 1)]
    if len(neg) or len(neg_tc):
        lines = [f"flow '{i}' = {v:.6g} t/a" for i, v in zip(neg["id"][:10], neg["value"][:10])]
        lines += [f"tc of flow '{i}' = {v:.6g}" for i, v in zip(neg_tc["flow"][:10], neg_tc["value"][:10])]
        more = len(neg) + len(neg_tc) - len(lines)
        raise MfaError("the reconciled values leave their physical range, so they cannot form a park:\n  - "
                       + "\n  - ".join(lines) + (f"\n  … and {more} more" if more > 0 else "")
                       + "\n(reconcile with bounds: bounds=True / --bounds)")
    flows = res.input_park.flows
    r = res.flows.set_index("id")
    flows["value"] = r.loc[flows["id"], "value"].to_numpy()
    sig = r.loc[flows["id"], "sigma"].to_numpy(dtype=float)
    flows["sigma"] = np.where(sig > 0, sig, np.nan)
    if len(res.transfer_coefficients):
        t = res.transfer_coefficients.set_index("flow")
        has = flows["id"].isin(t.index)
        ids = flows.loc[has, "id"]
        flows.loc[has, "tc"] = t.loc[ids, "value"].to_numpy()
        ts = t.loc[ids, "sigma"].to_numpy(dtype=float)
        flows.loc[has, "tc_sigma"] = np.where(ts > 0, ts, np.nan)
    return res.input_park.replace(flows=flows)


def expression(terms: list[tuple[float, str]]) -> str:
    """A determined combination as text.

    Parameters
    ----------
    terms : list of (float, str)
        Coefficient and variable label of each term.

    Returns
    -------
    str

    Examples
    --------
    >>> expression([(1.0, "a"), (-0.5, "b"), (-1.0, "c")])
    'a - 0.5·b - c'
    """
    parts = []
    for i, (a, name) in enumerate(terms):
        sign = "-" if a < 0 else "+"
        mag = abs(a)
        coef = "" if abs(mag - 1) < 1e-12 else f"{mag:.6g}·"
        parts.append((("-" if sign == "-" else "") if i == 0 else f" {sign} ") + coef + name)
    return "".join(parts)
