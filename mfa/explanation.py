"""Why a computed flow has its value: the symbolic expression (sympy) in terms of the known flows.

A computed flow (status ``computed`` in :func:`mfa.solve.reconcile`) follows from the balances and transfer
coefficient equations of its block of unknowns. :func:`explain` picks a set of independent equations of that
block that determines it, solves them symbolically for the unknowns and returns the expression in terms of
the measured and exact flows (symbols named by flow id, ``tc[<flow id>]`` for coefficients, ``Δstock[<process>]``
for stock changes), with the value at the reconciled data. Meant for parks up to a few hundred flows (the
block is solved by sympy).

Identifiers are used as symbol *names* only; no user text is ever parsed (no ``sympify``).

>>> import mfa
>>> from mfa.explanation import explain
>>> park = mfa.Park.from_frames(
...     processes=[{"id": "in", "name": "Supply", "kind": "import"},
...                {"id": "plant", "name": "Plant", "kind": "production"},
...                {"id": "out", "name": "Customers", "kind": "export"},
...                {"id": "dump", "name": "Dump", "kind": "landfill"}],
...     flows=[{"source": "in", "target": "plant", "material": "coal_gangue", "value": 100, "sigma": 5},
...            {"source": "plant", "target": "out", "material": "coal_gangue", "value": 60},
...            {"source": "plant", "target": "dump", "material": "coal_gangue"}])
>>> e = explain(park, "plant>dump:coal_gangue")
>>> e.expression, e.value
('in>plant:coal_gangue - plant>out:coal_gangue', 40.0)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from mfa.errors import MfaError, suggest
from mfa.results import Result, frame_records

if TYPE_CHECKING:  # pragma: no cover
    from mfa.park import Park

__all__ = ["explain", "Explanation"]


@dataclass(frozen=True, eq=False)
class Explanation(Result, title="Explanation", main_table="terms"):
    """Why a flow has its value.

    Attributes
    ----------
    flow : str
        The flow id.
    status : str
        Its status in the reconciliation (exact, measured, reconciled, computed, unobservable).
    expression : str or None
        The expression of a computed flow in terms of the data (symbols named by flow id).
    sympy : sympy.Expr or None
        The same, as a sympy expression.
    value, sigma : float or None
        t/a.
    equations : tuple of str
        The equations used, as text.
    terms : DataFrame
        The main table (``.table``): symbol, status, value of every symbol in the expression.
    note : str or None
        Why a flow that is not computed has no expression.

    Examples
    --------
    >>> from mfa.solve.model import example_park
    >>> e = explain(example_park(), "in>plant:coal_gangue")
    >>> e.status, e.note, e.table.empty
    ('measured', 'measured and not redundant: no equation checks it, so it keeps its value', True)
    """

    flow: str
    status: str
    expression: str | None
    sympy: Any
    value: float | None
    sigma: float | None
    equations: tuple[str, ...]
    terms: pd.DataFrame
    note: str | None

    @property
    def summary(self) -> dict[str, Any]:
        """The flow, its status, expression, value and σ.

        Examples
        --------
        >>> from mfa.solve.model import example_park
        >>> s = explain(example_park(), "plant>dump:coal_gangue").summary
        >>> s["status"], s["expression"], s["value"], round(s["sigma"], 2)
        ('computed', 'in>plant:coal_gangue - plant>out:coal_gangue', 40.0, 5.83)
        """
        return {"flow": self.flow, "status": self.status, "expression": self.expression, "value": self.value,
                "sigma": self.sigma}

    def to_dict(self) -> dict:
        """The ``--json`` document.

        Returns
        -------
        dict

        Examples
        --------
        >>> from mfa.solve.model import example_park
        >>> list(explain(example_park(), "plant>dump:coal_gangue").to_dict())
        ['flow', 'status', 'expression', 'value', 'sigma', 'equations', 'terms', 'note']
        """
        return {**self.summary, "equations": list(self.equations), "terms": frame_records(self.terms),
                "note": self.note}

    def __str__(self) -> str:
        lines = [f"{self.flow}  [{self.status}]"]
        if self.expression:
            lines.append(f"  = {self.expression}")
        if self.value is not None and self.value == self.value:
            sig = f" ± {self.sigma:.6g}" if self.sigma is not None and self.sigma == self.sigma else ""
            lines.append(f"  = {self.value:.6g}{sig} t/a")
        if self.note:
            lines.append(f"  {self.note}")
        if self.equations:
            lines.append("from the equations:")
            lines += [f"  {e}" for e in self.equations]
        return "\n".join(lines)


def explain(park: "Park", flow: str, *, max_block: int = 400) -> Explanation:
    """The expression of ``flow`` in terms of the measured and exact data of ``park``.

    Parameters
    ----------
    park : mfa.Park
    flow : str
        A flow id.
    max_block : int
        Largest block of equations solved symbolically.

    Returns
    -------
    Explanation

    Raises
    ------
    mfa.errors.MfaError
        An unknown flow id (with a suggestion), or a block of unknowns with more than ``max_block``
        equations (too big for symbolic algebra).

    Examples
    --------
    >>> from mfa.solve.model import example_park
    >>> e = explain(example_park(), "plant>dump:coal_gangue")
    >>> e.expression, e.terms["symbol"].tolist()
    ('in>plant:coal_gangue - plant>out:coal_gangue', ['in>plant:coal_gangue', 'plant>out:coal_gangue'])
    """
    from mfa.park import require_park

    require_park(park, "explain")
    import sympy

    from mfa.solve import reconcile
    from mfa.solve.elimination import components

    ids = [str(i) for i in park.flows["id"]]
    if flow not in ids:
        hint = suggest(flow, ids)
        raise MfaError(f"no flow {flow!r} in the park" + (f" — {hint}" if hint else ""))
    res = reconcile(park)
    row = res.flows.set_index("id").loc[flow]
    status = str(row["status"])
    value = float(row["value"]) if row["value"] == row["value"] else None
    sigma = float(row["sigma"]) if row["sigma"] == row["sigma"] else None
    empty_terms = pd.DataFrame({"symbol": pd.Series([], dtype=object), "status": pd.Series([], dtype=object),
                                "value": pd.Series([], dtype=float)})
    if status != "computed":
        notes = {
            "exact": "given without uncertainty: a constant of the model",
            "measured": "measured and not redundant: no equation checks it, so it keeps its value",
            "reconciled": f"measured ({row['measured']:.6g} ± {row['measured_sigma']:.6g} t/a) and adjusted by "
                          "the reconciliation",
            "unobservable": "not determined by the equations (no value)",
        }
        note = notes[status]
        if status == "unobservable" and len(res.combinations):
            hits = [e for e, t in zip(res.combinations["expression"], res.combinations["terms"])
                    if any(name == flow for _, name in t)]
            if hits:
                note += "; determined combinations: " + "; ".join(
                    f"{e} = {v:.6g}" for e, v in zip(res.combinations["expression"], res.combinations["value"])
                    if e in hits)
        return Explanation(flow=flow, status=status, expression=None, sympy=None, value=value, sigma=sigma,
                           equations=(), terms=empty_terms, note=note)

    model = res.linear_model.model
    lin = res.linear_model
    v = lin.v_hat
    y_idx = lin.y_idx
    J = model.jacobian(v)
    Jy = J[:, y_idx].tocsr()
    _, comp_of_row, comp_of_y = components(Jy)
    k = int(np.flatnonzero(model.flow_ids == flow)[0])
    yk = int(np.flatnonzero(y_idx == k)[0])
    comp = comp_of_y[yk]
    rows = np.flatnonzero(comp_of_row == comp)
    cols = np.flatnonzero(comp_of_y == comp)
    if len(rows) > max_block:
        raise MfaError(f"flow {flow!r} is determined by a block of {len(rows)} equations; symbolic "
                       f"explanation is limited to {max_block} (raise max_block)")
    # independent equations of the block: pivoted QR on the block's transpose
    import scipy.linalg as la

    B = Jy[rows][:, cols].toarray()
    _, R, piv = la.qr(B.T, pivoting=True, mode="economic")
    d = np.abs(np.diag(R)) if R.size else np.zeros(0)
    rank = int((d > 1e-10 * max(d.max(initial=0.0), 1e-300)).sum())
    use = np.sort(rows[piv[:rank]])

    labels = [str(s) for s in model.variable_labels()]
    symbols = {i: sympy.Symbol(labels[i]) for i in range(model.n_v)}
    kinds = lin.model.kind
    unknowns = [symbols[y_idx[c]] for c in cols]
    eq_text = model.equation_labels()
    eqs, used_text = [], []
    n_f, n_t, n_b = model.n_f, model.n_t, model.n_b
    total_in = {}
    for r in use:
        if r < n_b:
            p = model.balance_proc[r]
            ins = np.flatnonzero(model.tgt == p)
            outs = np.flatnonzero(model.src == p)
            expr = sum((symbols[i] for i in ins), sympy.Integer(0)) - sum((symbols[i] for i in outs),
                                                                           sympy.Integer(0))
            ds_pos = np.flatnonzero(model.ds_var == r)
            if len(ds_pos):
                expr -= symbols[n_f + n_t + int(ds_pos[0])]
            elif model.ds_known[r]:
                expr -= sympy.Float(model.ds_known[r], 15)
        else:
            t = r - n_b
            kf = int(model.tc_flow[t])
            p = model.src[kf]
            if p not in total_in:
                total_in[p] = sum((symbols[i] for i in np.flatnonzero(model.tgt == p)), sympy.Integer(0))
            expr = symbols[kf] - symbols[n_f + t] * total_in[p]
        eqs.append(expr)
        used_text.append(f"{eq_text[r]}: {sympy.sstr(expr)} = 0")
    sol = sympy.solve(eqs, unknowns, dict=True, rational=False)
    target = symbols[k]
    if not sol or target not in sol[0]:
        raise MfaError(f"could not solve the block of flow {flow!r} symbolically")
    expr = sympy.simplify(sol[0][target])
    free = sorted(expr.free_symbols, key=lambda s: s.name)
    pos = {labels[i]: i for i in range(model.n_v)}
    vals = res.flows.set_index("id")["value"]
    tcv = res.transfer_coefficients.set_index("flow")["value"]

    def value_of(name: str) -> float:
        i = pos[name]
        if i < n_f:
            return float(vals.loc[name])
        if i < n_f + n_t:
            return float(tcv.loc[name[3:-1]])
        return float(v[i])

    status_of = {}
    for s in free:
        i = pos[s.name]
        status_of[s.name] = ("exact", "measured", "computed")[int(kinds[i])]
        if i < n_f:
            status_of[s.name] = str(res.flows.set_index("id").loc[s.name, "status"])
    terms = pd.DataFrame({"symbol": [s.name for s in free], "status": [status_of[s.name] for s in free],
                          "value": [value_of(s.name) for s in free]})
    numeric = float(expr.subs({s: value_of(s.name) for s in free})) if free else float(expr)
    if value is not None and abs(numeric - value) > 1e-6 * max(1.0, abs(value)):
        raise MfaError(f"internal check failed: the expression of {flow!r} gives {numeric:.6g}, "
                       f"the solver {value:.6g}")
    return Explanation(flow=flow, status=status, expression=sympy.sstr(expr), sympy=expr, value=value,
                       sigma=sigma, equations=tuple(used_text), terms=terms, note=None)
