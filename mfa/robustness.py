"""Resilience of a park's exchange web: what is lost when an enterprise stops.

A scenario removes one or more internal processes (production, collection, treatment, storage). The rest of
the park is kept as it is — no cascade — and every surviving process still balances:

* flows between removed processes vanish, and so do the removed processes' flows to and from the boundary
  and their stocks;
* a **waste** flow (material category in :data:`mfa.conventions.WASTE_CATEGORIES`) from a survivor to a
  removed process now goes to the park's landfill (the landfill process receiving most; a process
  ``landfill_fallback`` is added if the park has none) — its producer is listed in
  ``producers_to_landfill``;
* any other flow from a survivor to a removed process (a product sold to it) leaves the park through its
  export process (``export_fallback`` if none);
* a flow from a removed process to a survivor is replaced by the same tonnes of the same material from
  outside the park (the import process supplying most; ``import_fallback`` if none): the survivor is now on
  outside (virgin) supply — listed in ``consumers_on_outside_supply``.

Measures per scenario (t/a unless stated): ``exchanges_lost`` (distinct directed links between internal
processes that touch a removed process) and ``tonnes_exchanged_lost``; ``tonnes_no_longer_utilised`` (waste
that survivors sent to the removed processes with fate utilised, now landfilled); ``extra_landfill`` (change
of the total flow into landfill processes — it can be negative when the removed process itself landfilled
waste); ``tonnes_replaced_by_imports``; the change of the utilisation rate of every waste category
(``delta_<category>``, from :func:`mfa.symbiosis.utilisation_rates`); FCI, cyclicity and relative ascendency
after removal and their change (total-mass network, :mod:`mfa.network`); ``largest_component_after`` (size
of the largest weakly connected set of internal processes); ``co2_benefit_lost`` (t CO₂/a: avoided CO₂ per
t of the matching row of ``flows/compatibility.csv`` × tonnes no longer utilised; 0 when no row matches).

**Keystone ranking** (``keystone_rank``, 1 = most critical): by tonnes no longer utilised, then exchanges
lost, then |ΔFCI|, then process id.

``tonnes_no_longer_utilised`` is traced (:func:`mfa.trace`): the utilised waste of every surviving
producer, followed through collection and storage, before minus after — so removing a collection centre
counts the fly ash it dispatched to users. Waste the removed processes generated themselves is not counted
(it is no longer generated). ``co2_benefit_lost`` counts the waste the removed processes used directly.

>>> import mfa
>>> park = mfa.Park.from_frames(
...     processes=[{"id": "coal", "name": "Coal supply", "kind": "import"},
...                {"id": "power", "name": "Power plant", "kind": "production"},
...                {"id": "cement", "name": "Cement plant", "kind": "production"},
...                {"id": "dump", "name": "Ash yard", "kind": "landfill"},
...                {"id": "market", "name": "Market", "kind": "export"}],
...     flows=[{"source": "coal", "target": "power", "material": "raw_coal", "value": 100},
...            {"source": "power", "target": "cement", "material": "fly_ash", "value": 30},
...            {"source": "power", "target": "market", "material": "raw_coal", "value": 70},
...            {"source": "cement", "target": "market", "material": "cement", "value": 30}],
...     materials=[{"id": "raw_coal", "name": "Raw coal", "category": "raw_material"},
...                {"id": "fly_ash", "name": "Fly ash", "category": "industrial_solid_waste"},
...                {"id": "cement", "name": "Cement", "category": "product"}])
>>> r = resilience(park)
>>> row = r.table.set_index("scenario").loc["cement"]
>>> float(row["tonnes_no_longer_utilised"]), row["producers_to_landfill"], int(row["keystone_rank"])
(30.0, 'power', 1)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterable

import numpy as np
import pandas as pd

from mfa.coupling_candidates import matches_group
from mfa.errors import Issue, MfaError, suggest
from mfa.park_editing import remove_processes
from mfa.results import Result, jsonable

if TYPE_CHECKING:  # pragma: no cover
    from mfa.park import Park

__all__ = ["remove_processes", "resilience", "ResilienceResult", "TARGETING"]


@dataclass(frozen=True, eq=False)
class ResilienceResult(Result, title="Resilience", main_table="scenarios"):
    """Scenarios of removed processes.

    Attributes
    ----------
    park_name : str
        The park's name.
    scenarios : pandas.DataFrame
        The main table (``.table``): one row per scenario with the measures of the module docstring and
        ``keystone_rank`` (1 = most critical).
    baseline : dict
        The intact park's FCI, cyclicity, relative ascendency, links, t/a landfilled, largest component and
        utilisation rates.
    messages : tuple of Issue
        Which processes were removed and why some were not assessed (``.notes``: their texts).

    Examples
    --------
    >>> import mfa
    >>> park = mfa.Park.from_frames(
    ...     processes=[{"id": "coal", "name": "Coal", "kind": "import"},
    ...                {"id": "power", "name": "Power", "kind": "production"},
    ...                {"id": "cement", "name": "Cement", "kind": "production"},
    ...                {"id": "market", "name": "Market", "kind": "export"}],
    ...     flows=[{"source": "coal", "target": "power", "material": "raw_coal", "value": 50},
    ...            {"source": "power", "target": "cement", "material": "fly_ash", "value": 20},
    ...            {"source": "power", "target": "market", "material": "raw_coal", "value": 30},
    ...            {"source": "cement", "target": "market", "material": "cement", "value": 20}])
    >>> r = resilience(park)
    >>> r.summary["keystone"], r.table["scenario"].tolist()
    ('cement', ['cement', 'power'])
    """

    park_name: str
    scenarios: pd.DataFrame
    baseline: dict[str, Any]

    @property
    def summary(self) -> dict[str, Any]:
        """Number of scenarios, the keystone (rank 1) and its t/a no longer utilised, the intact FCI.

        Returns
        -------
        dict
            Name → number or text.

        Examples
        --------
        >>> import mfa
        >>> park = mfa.Park.from_frames(
        ...     processes=[{"id": "coal", "name": "Coal", "kind": "import"},
        ...                {"id": "power", "name": "Power", "kind": "production"},
        ...                {"id": "cement", "name": "Cement", "kind": "production"},
        ...                {"id": "market", "name": "Market", "kind": "export"}],
        ...     flows=[{"source": "coal", "target": "power", "material": "raw_coal", "value": 50},
        ...            {"source": "power", "target": "cement", "material": "fly_ash", "value": 20},
        ...            {"source": "power", "target": "market", "material": "raw_coal", "value": 30},
        ...            {"source": "cement", "target": "market", "material": "cement", "value": 20}])
        >>> r = resilience(park)
        >>> r.summary["scenarios"], r.summary["keystone"]
        (2, 'cement')
        """
        top = self.keystones(1)
        return {"scenarios": int(len(self.scenarios)),
                "keystone": str(top["scenario"].iloc[0]) if len(top) else None,
                "keystone_tonnes_no_longer_utilised": (float(top["tonnes_no_longer_utilised"].iloc[0])
                                                       if len(top) else None),
                "fci": self.baseline.get("fci")}

    notes = Result.message_texts  # the name earlier versions used

    def keystones(self, n: int = 5) -> pd.DataFrame:
        """The ``n`` most critical scenarios.

        Parameters
        ----------
        n : int
            How many.

        Returns
        -------
        pandas.DataFrame
            Scenario rows, keystone rank 1 first.

        Examples
        --------
        >>> import mfa
        >>> park = mfa.Park.from_frames(
        ...     processes=[{"id": "coal", "name": "Coal", "kind": "import"},
        ...                {"id": "power", "name": "Power", "kind": "production"},
        ...                {"id": "cement", "name": "Cement", "kind": "production"},
        ...                {"id": "market", "name": "Market", "kind": "export"}],
        ...     flows=[{"source": "coal", "target": "power", "material": "raw_coal", "value": 50},
        ...            {"source": "power", "target": "cement", "material": "fly_ash", "value": 20},
        ...            {"source": "power", "target": "market", "material": "raw_coal", "value": 30},
        ...            {"source": "cement", "target": "market", "material": "cement", "value": 20}])
        >>> r = resilience(park)
        >>> r.keystones(1)["scenario"].tolist()
        ['cement']
        """
        return self.scenarios.sort_values("keystone_rank").head(n).reset_index(drop=True)

    def to_dict(self) -> dict[str, Any]:
        """The ``--json`` document: park, baseline, scenarios (records) and notes.

        Returns
        -------
        dict
            Plain data (JSON-serialisable).

        Examples
        --------
        >>> import mfa
        >>> park = mfa.Park.from_frames(
        ...     processes=[{"id": "coal", "name": "Coal", "kind": "import"},
        ...                {"id": "power", "name": "Power", "kind": "production"},
        ...                {"id": "cement", "name": "Cement", "kind": "production"},
        ...                {"id": "market", "name": "Market", "kind": "export"}],
        ...     flows=[{"source": "coal", "target": "power", "material": "raw_coal", "value": 50},
        ...            {"source": "power", "target": "cement", "material": "fly_ash", "value": 20},
        ...            {"source": "power", "target": "market", "material": "raw_coal", "value": 30},
        ...            {"source": "cement", "target": "market", "material": "cement", "value": 20}])
        >>> r = resilience(park)
        >>> list(r.to_dict())
        ['park', 'baseline', 'scenarios', 'notes']
        """
        return jsonable({"park": self.park_name, "baseline": self.baseline, "scenarios": self.scenarios,
                         "notes": self.notes})


def _co2_factors(compat: pd.DataFrame, lost: pd.DataFrame, park: "Park") -> np.ndarray:
    """t CO₂ avoided per t of each lost utilised flow: the first catalogue row with a sourced factor that
    matches the material (or its category), the user's group and, for a substitution, one of its inputs."""
    c = park.compiled
    cat_of = c.category_of
    group_of = dict(zip(park.processes["id"], park.processes["group"].fillna("").astype(str)))
    inputs_of = park.flows.groupby("target")["material"].agg(set).to_dict()
    rules = compat[~compat["co2_avoided"].isna()]
    out = np.zeros(len(lost))
    for i, (user, mat) in enumerate(zip(lost["target"], lost["material"])):
        for r in rules.itertuples():
            w = r.waste
            if not (w == mat or (w.startswith("category:") and w.split(":", 1)[1] == cat_of.get(mat, ""))):
                continue
            if r.accepting_group and not matches_group(r.accepting_group, pd.Series([group_of.get(user, "")]),
                                                       pd.Series([user]))[0]:
                continue
            if r.substitutes and r.substitutes not in inputs_of.get(user, set()):
                continue
            out[i] = float(r.co2_avoided)
            break
    return out


TARGETING: tuple[str, ...] = ("all", "throughflow", "degree", "random")


@dataclass
class _Figures:
    """What a scenario is compared on: network metrics, rates, t/a landfilled, traced utilisation, the
    largest weakly connected set of internal processes."""

    metrics: dict[str, Any]
    rates: dict[str, float | None]
    landfill: float
    utilised: pd.Series
    largest_component: int

    @classmethod
    def of(cls, park: "Park") -> "_Figures":
        from mfa.network import metrics
        from mfa.symbiosis import landfilled_tonnes, utilisation_rates

        return cls(metrics(park).metrics, utilisation_rates(park), landfilled_tonnes(park),
                   _utilised_by_origin(park), _largest_component(park))


def _scenarios(park: "Park", remove: Iterable[str] | None, target: str, limit: int | None,
               seed: int) -> tuple[list[list[str]], list[Issue]]:
    if remove is not None:
        scenarios = [list(dict.fromkeys(str(i) for i in remove))]
        if not scenarios[0]:
            raise MfaError("give at least one process to remove")
    else:
        scenarios = [[p] for p in _targets(park, target, limit, seed)]
    if not scenarios:
        raise MfaError("the park has no internal process to remove (production, collection, treatment or "
                       "storage); resilience measures what is lost when one stops")
    if not park.flows["value"].notna().any():
        raise MfaError("no flow of the park has a known value; compute them first (mfa reconcile PARK -o OUT)")
    notes = []
    if remove is None and target != "all":
        notes.append(Issue.note(f"{len(scenarios)} process(es) removed in turn, chosen by {target}"
                                + (f" (seed {seed})" if target == "random" else "")))
    return scenarios, notes


def _delta(after: float | None, before: float | None) -> float:
    return (after - before) if after is not None and before is not None else np.nan


def _scenario_row(park: "Park", sc: list[str], new: "Park", info: dict[str, Any], base: _Figures,
                  compat: pd.DataFrame) -> dict[str, Any]:
    """The measures of one scenario (module docstring)."""
    after = _Figures.of(new)
    lost = info["lost_utilised_flows"]
    co2 = sum(v * f for v, f in zip(lost["value"], _co2_factors(compat, lost, park)))
    kind_of = park.compiled.kind_of
    row: dict[str, Any] = {
        "scenario": "+".join(sc), "kind": "+".join(sorted({kind_of[p] for p in sc})),
        "exchanges_lost": info["exchanges_lost"],
        "tonnes_exchanged_lost": info["tonnes_exchanged_lost"],
        "tonnes_no_longer_utilised": _lost_utilisation(base.utilised, after.utilised, set(sc)),
        "producers_to_landfill": ";".join(info["producers_to_landfill"]),
        "consumers_on_outside_supply": ";".join(info["consumers_on_outside_supply"]),
        "tonnes_replaced_by_imports": info["tonnes_replaced_by_imports"],
        "extra_landfill": after.landfill - base.landfill,
        "co2_benefit_lost": float(co2),
    }
    for c_ in sorted(set(base.rates) | set(after.rates)):
        row[f"delta_{c_}"] = _delta(after.rates.get(c_), base.rates.get(c_))
    m, m0 = after.metrics, base.metrics
    row["fci_after"] = m["fci"]
    row["delta_fci"] = (m["fci"] or 0.0) - (m0["fci"] or 0.0)
    row["cyclicity_after"] = m["cyclicity"]
    row["delta_cyclicity"] = m["cyclicity"] - m0["cyclicity"]
    row["delta_relative_ascendency"] = _delta(m.get("relative_ascendency"), m0.get("relative_ascendency"))
    row["largest_component_after"] = after.largest_component
    return row


def _keystone_ranked(table: pd.DataFrame) -> pd.DataFrame:
    """``keystone_rank``: by tonnes no longer utilised, then exchanges lost, then |ΔFCI|, then id."""
    key = table.assign(_abs_dfci=table["delta_fci"].abs())
    order = key.sort_values(["tonnes_no_longer_utilised", "exchanges_lost", "_abs_dfci", "scenario"],
                            ascending=[False, False, False, True], kind="mergesort").index
    rank = pd.Series(np.arange(1, len(table) + 1), index=order)
    return table.assign(keystone_rank=rank.reindex(table.index).astype(int))


def resilience(park: "Park", remove: Iterable[str] | None = None, *, target: str = "all",
               limit: int | None = None, seed: int = 0) -> ResilienceResult:
    """Remove each internal process in turn (or, with ``remove``, the given set at once) and measure what
    the park loses (module docstring for every convention; t/a).

    Parameters
    ----------
    park : Park
        The park (flows of known value; solve or reconcile first).
    remove : iterable of str, optional
        Remove these internal processes together, as one scenario.
    target : {"all", "throughflow", "degree", "random"}
        Whom to remove one by one: every internal process (default), the ``limit`` ones with the largest
        throughflow (t/a, input side) or degree (internal links in and out), or a random sample of
        ``limit`` drawn with ``seed`` (reproducible).
    limit : int, optional
        How many processes ``target`` chooses (large parks).
    seed : int
        Seed of the random sample.

    Returns
    -------
    ResilienceResult
        One row per scenario with the keystone rank, the intact park's baseline and messages.

    Raises
    ------
    MfaError
        For an unknown or boundary process, an unknown target, or a park without known flows.

    Examples
    --------
    >>> import mfa
    >>> park = mfa.Park.from_frames(
    ...     processes=[{"id": "coal", "name": "Coal", "kind": "import"},
    ...                {"id": "power", "name": "Power", "kind": "production"},
    ...                {"id": "cement", "name": "Cement", "kind": "production"},
    ...                {"id": "dump", "name": "Ash yard", "kind": "landfill"},
    ...                {"id": "market", "name": "Market", "kind": "export"}],
    ...     flows=[{"source": "coal", "target": "power", "material": "raw_coal", "value": 100},
    ...            {"source": "power", "target": "cement", "material": "fly_ash", "value": 30},
    ...            {"source": "power", "target": "dump", "material": "fly_ash", "value": 10},
    ...            {"source": "power", "target": "market", "material": "raw_coal", "value": 60},
    ...            {"source": "cement", "target": "market", "material": "cement", "value": 30}])
    >>> row = resilience(park, remove=["cement"]).table.iloc[0]
    >>> float(row["tonnes_no_longer_utilised"]), float(row["extra_landfill"])
    (30.0, 30.0)
    >>> round(float(row["delta_industrial_solid_waste"]), 4)  # 30 of 40 t/a utilised before, none after
    -0.75
    """
    from mfa.park import require_park

    require_park(park, "resilience")
    from mfa.catalogue import compatibility

    scenarios, notes = _scenarios(park, remove, target, limit, seed)
    base = _Figures.of(park)
    compat = compatibility()
    rows = []
    for sc in scenarios:
        try:
            new, info = remove_processes(park, sc)
        except MfaError as e:
            if remove is not None:
                raise
            notes.append(Issue.note(f"{'+'.join(sc)} not assessed: {e}", severity="warning"))
            continue
        rows.append(_scenario_row(park, sc, new, info, base, compat))
    if not rows:
        raise MfaError("no process could be assessed: " + "; ".join(n.message for n in notes))
    m0 = base.metrics
    baseline = {"fci": m0["fci"], "cyclicity": m0["cyclicity"],
                "relative_ascendency": m0.get("relative_ascendency"), "n_links": m0["n_links"],
                "landfill": base.landfill, "largest_component": base.largest_component,
                "utilisation_rates": base.rates}
    if remove is None and target == "all":
        notes.append(Issue.note("each internal process removed in turn; no cascade (survivors keep their other "
                                "flows)"))
    return ResilienceResult(park.info.name, _keystone_ranked(pd.DataFrame(rows)), baseline,
                            messages=tuple(notes))


def _targets(park: "Park", target: str, limit: int | None, seed: int) -> list[str]:
    from mfa.network import flow_network

    c = park.compiled
    internal = sorted(c.process_ids[~c.is_boundary].tolist())
    if target not in TARGETING:
        hint = suggest(target, TARGETING)
        raise MfaError(f"unknown target {target!r}; use one of {', '.join(TARGETING)}"
                       + (f" — {hint}" if hint else ""))
    if limit is not None and limit < 1:
        raise MfaError("limit must be at least 1")
    if target == "all":
        return internal if limit is None else internal[:limit]
    k = len(internal) if limit is None else min(limit, len(internal))
    if target == "random":
        rng = np.random.default_rng(seed)
        return sorted(rng.choice(np.array(internal, dtype=object), size=k, replace=False).tolist())
    net = flow_network(park)
    if target == "throughflow":
        score = pd.Series(net.throughflow(), index=net.nodes)
    else:
        A = net.F.copy()
        A.data[:] = 1.0
        A.setdiag(0)
        A.eliminate_zeros()
        score = pd.Series(np.asarray(A.sum(axis=0)).ravel() + np.asarray(A.sum(axis=1)).ravel(), index=net.nodes)
    score = score.reindex(internal).fillna(0.0)
    order = sorted(internal, key=lambda p: (-score[p], p))
    return order[:k]


def _utilised_by_origin(park: "Park") -> pd.Series:
    """Utilised t/a of every (origin, material), traced through collection and storage (mfa.trace)."""
    from mfa.tracing import trace

    t = trace(park).table
    t = t[t["fate"].astype(str) == "utilised"]
    return t.groupby([t["origin"].astype(str), t["material"].astype(str)])["tonnes"].sum()


def _lost_utilisation(before: pd.Series, after: pd.Series, removed: set[str]) -> float:
    keep = ~before.index.get_level_values(0).isin(list(removed))
    b = before[keep]
    a = after.reindex(b.index).fillna(0.0)
    return float(np.clip(b - a, 0.0, None).sum())


def _largest_component(park: "Park") -> int:
    from scipy.sparse.csgraph import connected_components

    from mfa.network import flow_network

    net = flow_network(park)
    if net.n == 0:
        return 0
    _, labels = connected_components(net.F, directed=True, connection="weak")
    return int(np.bincount(labels).max())
