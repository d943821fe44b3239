"""The park as the commands see it: every unknown flow that the balances and transfer coefficients determine is
computed first, measured values are kept as given.

Why: a blank landfill flow that a plant's balance fixes at 50 t/a is 50 t/a of landfilled waste, not a gap in
the accounting. Tracing, the utilisation rates, Sankeys, the report, network metrics, coupling search and
``mfa check`` therefore work on the *solved* park unless told ``--as-given`` (``solve=False`` in Python).

Conventions
    * unknown flows (blank ``value``) that the equations determine get the value :func:`mfa.solve.reconcile`
      computes for them, and are listed in :attr:`SolvedPark.computed` with their σ (t/a, NaN where not
      propagated);
    * measured and exact flows keep their values (``reconcile=True`` also adjusts measured ones, as
      ``mfa reconcile`` does);
    * unknown flows that the equations do not determine stay blank and are listed in
      :attr:`SolvedPark.undetermined`; the accounting counts them as unresolved, with bounds;
    * when the data contradict each other so that no solution exists (or a computed flow would be
      negative), the park is used as given and :attr:`SolvedPark.messages` says why.

>>> import mfa
>>> park = mfa.Park.from_frames(
...     processes=[{"id": "plant", "name": "Plant", "kind": "production"},
...                {"id": "coal", "name": "Coal", "kind": "import"},
...                {"id": "cement", "name": "Cement", "kind": "production"},
...                {"id": "dump", "name": "Dump", "kind": "landfill"},
...                {"id": "air", "name": "Air", "kind": "environment"}],
...     flows=[{"source": "coal", "target": "plant", "material": "raw_coal", "value": 120},
...            {"source": "plant", "target": "cement", "material": "fly_ash", "value": 70},
...            {"source": "plant", "target": "dump", "material": "fly_ash"},
...            {"source": "cement", "target": "air", "material": "fly_ash", "value": 70}])
>>> s = solve_park(park)
>>> s.computed[["id", "value"]].to_dict("records")
[{'id': 'plant>dump:fly_ash', 'value': 50.0}]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from mfa.results import Result, frame_records

if TYPE_CHECKING:  # pragma: no cover
    from mfa.park import Park

__all__ = ["solve_park", "SolvedPark"]


@dataclass(frozen=True, eq=False)
class SolvedPark(Result, title="Solved park", main_table="computed"):
    """A park with its determinable unknowns computed.

    ``park``: the park used by the commands. ``computed``: one row per flow the solver computed (id, value,
    sigma in t/a). ``undetermined``: ids of the unknown flows that stay blank. ``messages``: :class:`~mfa.errors.Issue`
    objects for the user (what was computed — info; why the park is used as given — warning), each with a
    stable ``code``. ``reconciled``: whether measured values were
    adjusted too.

    Examples
    --------
    >>> from mfa.solve.model import example_park
    >>> s = solve_park(example_park())
    >>> s.undetermined, s.reconciled, s.note
    ([], False, '1 of 1 unknown flow(s) computed from the balances (measured values kept as given)')
    """

    computed: pd.DataFrame  # the main table first, as in every result
    park: "Park"
    undetermined: list[str] = field(default_factory=list)
    reconciled: bool = False

    @property
    def note(self) -> str:
        """One sentence on what the solver did (empty when there was nothing to do).

        Returns
        -------
        str

        Examples
        --------
        >>> from mfa.solve.model import example_park
        >>> solve_park(example_park()).note
        '1 of 1 unknown flow(s) computed from the balances (measured values kept as given)'
        """
        return "; ".join(m.message for m in self.messages)

    @property
    def summary(self) -> dict:
        """Flows computed, flows left undetermined, whether measured values were reconciled.

        Returns
        -------
        dict

        Examples
        --------
        >>> from mfa.solve.model import example_park
        >>> s = solve_park(example_park())
        >>> s.summary
        {'computed': 1, 'undetermined': 0, 'reconciled': False}
        """
        return {"computed": len(self.computed), "undetermined": len(self.undetermined),
                "reconciled": self.reconciled}

    def to_dict(self) -> dict:
        """The summary, the note, the computed flows and the messages as plain data.

        Returns
        -------
        dict
            Plain data (JSON-serialisable).

        Examples
        --------
        >>> from mfa.solve.model import example_park
        >>> s = solve_park(example_park())
        >>> list(s.to_dict())
        ['computed', 'undetermined', 'reconciled', 'note', 'computed_flows', 'undetermined_flows', 'messages']
        """
        return {**self.summary, "note": self.note, "computed_flows": frame_records(self.computed),
                "undetermined_flows": list(self.undetermined),
                "messages": [m.to_dict() for m in self.messages]}


#: messages that mean the park is used (partly) as given
_WARNINGS = frozenset({"solved.failed", "solved.negative"})


def _as_issues(messages: list) -> tuple:
    from mfa.errors import Issue

    return tuple(Issue.note(m, severity="warning" if m.code in _WARNINGS else "info") for m in messages)


def _empty_computed() -> pd.DataFrame:
    return pd.DataFrame({"id": pd.Series(dtype=object), "value": pd.Series(dtype=float),
                         "sigma": pd.Series(dtype=float)})


def solve_park(park: "Park", *, reconcile: bool = False) -> SolvedPark:
    """``park`` with every unknown flow that the balances and transfer coefficients determine computed.

    Parameters
    ----------
    park : mfa.Park
        Values in t/a; blank ``value`` = unknown.
    reconcile : bool
        Also adjust measured values (those with a ``sigma``) to satisfy the balances, as ``mfa reconcile``;
        by default they are kept as given and only the unknowns are filled in.

    Returns
    -------
    SolvedPark
        ``.park`` (the solved park), ``.computed`` (id, value, sigma of each computed flow), ``.undetermined``
        (ids of flows that stay unknown), ``.messages``.

    Examples
    --------
    >>> from mfa.solve.model import example_park
    >>> s = solve_park(example_park())
    >>> s.computed.round(3).to_dict("records")
    [{'id': 'plant>dump:coal_gangue', 'value': 40.0, 'sigma': 5.831}]
    >>> solve_park(example_park(), reconcile=True).park.flows["value"].tolist()
    [100.0, 60.0, 40.0]
    """
    from mfa.errors import Message, MfaError

    from mfa.park import require_park

    require_park(park, "solve_park")
    flows = park.flows
    unknown = flows["value"].isna().to_numpy()
    if not unknown.any() and not reconcile:
        return SolvedPark(park=park, computed=_empty_computed())
    if reconcile and not unknown.any() and not flows["sigma"].notna().any():
        return SolvedPark(park=park, computed=_empty_computed(), reconciled=True)
    from mfa.solve import reconcile as _reconcile

    ids = flows["id"].to_numpy(dtype=object)

    def as_given(exc: MfaError) -> SolvedPark:
        first = str(exc).splitlines()[0]
        return SolvedPark(park=park, computed=_empty_computed(), undetermined=list(ids[unknown]),
                          messages=_as_issues([Message(f"the unknown flows could not be solved ({first}); the park "
                                                       "is used as given", "solved.failed", error=first)]))

    try:
        res = _reconcile(park)
    except MfaError as exc:
        return as_given(exc)
    r = res.flows.set_index("id")
    # measured values kept as given: the unknowns are computed from them, not from the reconciled values
    # (else the balance that fixes an unknown would miss by the adjustments of its neighbours)
    value = (r.loc[ids, "value"].to_numpy(dtype=float) if reconcile
             else res.linear_model.as_given()[:len(flows)][r.index.get_indexer(ids)])
    sigma = r.loc[ids, "sigma"].to_numpy(dtype=float)
    status = r.loc[ids, "status"].to_numpy(dtype=object)
    computed = unknown & (status == "computed") & np.isfinite(value)
    messages: list[Message] = []
    if reconcile:
        # the reconciled park as mfa reconcile forms it (flows, sigmas and transfer coefficients), which refuses
        # values outside their physical range
        try:
            solved = res.park
        except MfaError as exc:
            return as_given(exc)
    else:
        negative = computed & (value < -1e-9 * max(1.0, float(np.nanmax(np.abs(value), initial=0.0))))
        if negative.any():
            bad = ", ".join(f"'{i}' ({v:,.6g} t/a)" for i, v in zip(ids[negative][:5], value[negative][:5]))
            messages.append(Message(f"{int(negative.sum())} unknown flow(s) would come out negative from the "
                                    f"balances, so the data contradict each other there; left unknown: {bad}",
                                    "solved.negative", n=int(negative.sum()), flows=list(ids[negative][:5])))
            computed &= ~negative
        solved = park
        if computed.any():
            filled = flows["value"].to_numpy(dtype=float, copy=True)
            filled[computed] = np.clip(value[computed], 0.0, None)
            if len(park.years) <= 1:
                # only values change, and they are checked as a column: validating every table again cost
                # ``mfa check wuhai`` 40 ms
                solved = park.with_values(filled)
            else:
                new = flows.copy()
                new["value"] = filled
                solved = park.replace(flows=new)
    undetermined = list(ids[unknown & ~computed])
    n_c = int(computed.sum())
    if n_c:
        messages.insert(0, Message(f"{n_c} of {int(unknown.sum())} unknown flow(s) computed from the balances"
                                   + (" (measured values reconciled)" if reconcile
                                      else " (measured values kept as given)"),
                                   "solved.reconciled" if reconcile else "solved.computed", n=n_c,
                                   total=int(unknown.sum())))
    elif reconcile:
        messages.insert(0, Message("measured values reconciled", "solved.reconciled_only"))
    if undetermined:
        messages.append(Message(f"{len(undetermined)} unknown flow(s) not determined by the data: "
                                + ", ".join(f"'{i}'" for i in undetermined[:8])
                                + (" …" if len(undetermined) > 8 else ""), "solved.undetermined",
                                n=len(undetermined), flows=list(undetermined[:8])))
    table = pd.DataFrame({"id": ids[computed], "value": np.clip(value[computed], 0.0, None),
                          "sigma": sigma[computed]})
    return SolvedPark(park=solved, computed=table.reset_index(drop=True), undetermined=undetermined,
                      messages=_as_issues(messages), reconciled=reconcile)
