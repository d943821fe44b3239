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

from typing import TYPE_CHECKING, Any, Iterable

import numpy as np
import pandas as pd

from mfa.conventions import BOUNDARY_KINDS, PROCESS_COLUMNS, WASTE_CATEGORIES
from mfa.errors import MfaError, suggest
from mfa.results import LegacyResult

if TYPE_CHECKING:  # pragma: no cover
    from mfa.park import Park

__all__ = ["remove_processes", "resilience", "ResilienceResult"]


def _pick(flows: pd.DataFrame, kinds: dict[str, str], kind: str, column: str) -> str | None:
    ids = [p for p, k in kinds.items() if k == kind]
    if not ids:
        return None
    v = flows.groupby(column)["value"].sum()
    return max(sorted(ids), key=lambda p: float(v.get(p, 0.0)))


def remove_processes(park: "Park", ids: Iterable[str]) -> tuple["Park", dict[str, Any]]:
    """``park`` without the processes ``ids`` (module docstring: who takes their place), and a dict with
    what changed: links and tonnes lost, producers now landfilling, consumers now on outside supply."""
    ids = list(dict.fromkeys(str(i) for i in ids))
    procs = park.processes
    kinds = dict(zip(procs["id"], procs["kind"]))
    for i in ids:
        if i not in kinds:
            hint = suggest(i, list(kinds))
            raise MfaError(f"unknown process {i!r} in park {park.info.name!r}" + (f" — {hint}" if hint else ""))
        if kinds[i] in BOUNDARY_KINDS:
            raise MfaError(f"{i!r} is a {kinds[i]} process (system boundary); only internal processes "
                           f"(production, collection, treatment, storage) can be removed")
    gone = set(ids)
    flows = park.flows.reset_index(drop=True).copy()
    cat = dict(zip(park.materials["id"], park.materials["category"]))
    src_in = flows["source"].isin(gone).to_numpy()
    tgt_in = flows["target"].isin(gone).to_numpy()
    skind = flows["source"].map(kinds).to_numpy(dtype=object)
    tkind = flows["target"].map(kinds).to_numpy(dtype=object)
    s_int = ~np.isin(skind, list(BOUNDARY_KINDS))
    t_int = ~np.isin(tkind, list(BOUNDARY_KINDS))
    waste = flows["material"].map(cat).isin(WASTE_CATEGORIES).to_numpy()
    value = flows["value"].to_numpy(dtype=float)
    known = ~np.isnan(value)
    own = flows["fate"].fillna("").astype(str).to_numpy()
    utilised = np.where(own != "", own == "utilised", tkind == "production")

    internal_link = s_int & t_int & (flows["source"] != flows["target"]).to_numpy()
    touch = internal_link & (src_in | tgt_in)
    links = set(zip(flows["source"][touch], flows["target"][touch]))
    into = ~src_in & tgt_in & s_int  # survivor → removed
    out_of = src_in & ~tgt_in & t_int  # removed → survivor
    to_landfill = into & waste
    to_export = into & ~waste
    new_procs = []
    landfill = _pick(flows, kinds, "landfill", "target")
    export = _pick(flows, kinds, "export", "target")
    imp = _pick(flows, kinds, "import", "source")
    if to_landfill.any() and landfill is None:
        landfill = "landfill_fallback"
        new_procs.append({"id": landfill, "name": "Landfill (added: waste of a removed user)",
                          "kind": "landfill"})
    if to_export.any() and export is None:
        export = "export_fallback"
        new_procs.append({"id": export, "name": "Export (added: sales to a removed process)", "kind": "export"})
    if out_of.any() and imp is None:
        imp = "import_fallback"
        new_procs.append({"id": imp, "name": "Import (added: supply of a removed process)", "kind": "import"})
    tag = "+".join(ids)
    out = flows.copy()
    out.loc[to_landfill, "target"] = landfill
    out.loc[to_export, "target"] = export
    out.loc[out_of, "source"] = imp
    for mask, what in ((to_landfill, "landfilled"), (to_export, "exported"), (out_of, "supplied from outside")):
        if mask.any():
            out.loc[mask, "note"] = f"resilience: {tag} removed, {what}"
            out.loc[mask, "fate"] = ""
            out.loc[mask, "id"] = ""  # ids follow the new ends
            out.loc[mask, "tc"] = np.nan
    drop = (src_in & tgt_in) | (src_in & ~t_int) | (tgt_in & ~s_int)
    out = out[~drop].reset_index(drop=True)
    new_p = procs[~procs["id"].isin(gone)]
    if new_procs:
        add = pd.DataFrame(new_procs).reindex(columns=list(PROCESS_COLUMNS))
        new_p = pd.concat([new_p, add], ignore_index=True)
    stocks = park.stocks
    stocks = stocks[~stocks["process"].isin(gone)]
    changes: dict[str, Any] = {"processes": new_p, "flows": out, "stocks": stocks}
    if (out["activity"].fillna("").astype(str) != "").any() and len(park.activities):
        # generated flows of survivors stay as data; activities of removed processes would regenerate them
        out["activity"] = ""
        changes["flows"] = out
        changes["activities"] = park.activities.iloc[0:0]
    from mfa.symbiosis import _check_residuals_kept

    # survivors keep their balance; removed processes and boundary processes (no balance) are not compared
    boundary = {p for p, k in kinds.items() if k in BOUNDARY_KINDS} | {x["id"] for x in new_procs}
    _check_residuals_kept(flows, park.stocks, out, stocks, f"removing {tag}", skip=gone | boundary)
    if not len(out):
        raise MfaError(f"removing {tag} leaves no flow in the park")
    new = park.replace(**changes)
    lost_util = to_landfill & utilised & known
    info = {
        "exchanges_lost": len(links),
        "tonnes_exchanged_lost": float(value[touch & known].sum()),
        "tonnes_no_longer_utilised": float(value[lost_util].sum()),
        "lost_utilised_flows": flows.loc[lost_util, ["source", "target", "material", "value"]],
        "producers_to_landfill": sorted(set(flows["source"][to_landfill])),
        "consumers_on_outside_supply": sorted(set(flows["target"][out_of])),
        "tonnes_replaced_by_imports": float(value[out_of & known].sum()),
    }
    return new, info


class ResilienceResult(LegacyResult):
    """Scenarios of removed processes. ``table``: one row per scenario with the measures of the module
    docstring and ``keystone_rank``; ``baseline``: the intact park's metrics and rates; ``notes``."""

    title = "Resilience"

    def __init__(self, park_name: str, table: pd.DataFrame, baseline: dict[str, Any], notes: list[str]):
        self.park_name = park_name
        self.table = table
        self.baseline = baseline
        self.notes = notes

    def keystones(self, n: int = 5) -> pd.DataFrame:
        """The ``n`` most critical scenarios (keystone rank 1 first)."""
        return self.table.sort_values("keystone_rank").head(n).reset_index(drop=True)

    def to_dict(self) -> dict[str, Any]:
        from mfa.results import jsonable

        return jsonable({"park": self.park_name, "baseline": self.baseline, "scenarios": self.table,
                         "notes": self.notes})

    def _tables(self) -> dict[str, pd.DataFrame]:
        return {"scenarios": self.table}


def _co2_factor(compat: pd.DataFrame, material: str, category: str, user: str, group: str,
                user_inputs: set[str]) -> float:
    from mfa.symbiosis import _matches

    for r in compat.itertuples():
        w = r.waste
        if not (w == material or (w.startswith("category:") and w.split(":", 1)[1] == category)):
            continue
        if np.isnan(r.co2_avoided):
            continue
        if r.accepting_group and not _matches(r.accepting_group, pd.Series([group]), pd.Series([user]))[0]:
            continue
        if r.substitutes and r.substitutes not in user_inputs:
            continue
        return float(r.co2_avoided)
    return 0.0


TARGETING: tuple[str, ...] = ("all", "throughflow", "degree", "random")


def resilience(park: "Park", remove: Iterable[str] | None = None, *, target: str = "all",
               limit: int | None = None, seed: int = 0) -> ResilienceResult:
    """Remove each internal process in turn (or, with ``remove``, the given set at once) and measure what
    the park loses (module docstring for every convention; t/a).

    Large parks: ``target`` chooses whom to remove one by one — ``"all"`` (default), the ``limit`` processes
    with the largest ``"throughflow"`` (t/a, input side) or ``"degree"`` (internal links in and out), or a
    ``"random"`` sample of ``limit`` processes drawn with ``seed`` (reproducible).

    >>> import mfa
    >>> r = resilience(mfa.read_park("wuhai"), target="degree", limit=2)   # doctest: +SKIP
    >>> r.keystones(1)["scenario"].tolist()                              # doctest: +SKIP
    ['cement_plant']
    """
    from mfa.park import require_park

    require_park(park, "resilience")
    from mfa.network import metrics
    from mfa.symbiosis import compatibility, utilisation_rates

    procs = park.processes
    kinds = dict(zip(procs["id"], procs["kind"]))
    groups = dict(zip(procs["id"], procs["group"].fillna("").astype(str)))
    cat = dict(zip(park.materials["id"], park.materials["category"]))
    if remove is not None:
        scenarios = [list(dict.fromkeys(str(i) for i in remove))]
        if not scenarios[0]:
            raise MfaError("give at least one process to remove")
    else:
        scenarios = [[p] for p in _targets(park, target, limit, seed)]
    notes: list[str] = []
    if not scenarios:
        raise MfaError("the park has no internal process to remove (production, collection, treatment or "
                       "storage); resilience measures what is lost when one stops")
    if not park.flows["value"].notna().any():
        raise MfaError("no flow of the park has a known value; compute them first (mfa reconcile PARK -o OUT)")
    if remove is None and target != "all":
        notes.append(f"{len(scenarios)} process(es) removed in turn, chosen by {target}"
                     + (f" (seed {seed})" if target == "random" else ""))
    base_m = metrics(park).metrics
    base_rates = utilisation_rates(park)
    base_landfill = _landfill_in(park)
    base_lcc = _largest_component(park)
    base_util = _utilised_by_origin(park)
    compat = compatibility()
    inputs_of = park.flows.groupby("target")["material"].agg(lambda s: set(s)).to_dict()
    rows = []
    for sc in scenarios:
        try:
            new, info = remove_processes(park, sc)
        except MfaError as e:
            if remove is not None:
                raise
            notes.append(f"{'+'.join(sc)} not assessed: {e}")
            continue
        m = metrics(new).metrics
        rates = utilisation_rates(new)
        lost = info.pop("lost_utilised_flows")
        co2 = 0.0
        for s_, t_, mat_, v_ in lost.itertuples(index=False):
            co2 += v_ * _co2_factor(compat, mat_, cat.get(mat_, ""), t_, groups.get(t_, ""),
                                    inputs_of.get(t_, set()))
        row: dict[str, Any] = {
            "scenario": "+".join(sc), "kind": "+".join(sorted({kinds[p] for p in sc})),
            "exchanges_lost": info["exchanges_lost"],
            "tonnes_exchanged_lost": info["tonnes_exchanged_lost"],
            "tonnes_no_longer_utilised": _lost_utilisation(base_util, _utilised_by_origin(new), set(sc)),
            "producers_to_landfill": ";".join(info["producers_to_landfill"]),
            "consumers_on_outside_supply": ";".join(info["consumers_on_outside_supply"]),
            "tonnes_replaced_by_imports": info["tonnes_replaced_by_imports"],
            "extra_landfill": _landfill_in(new) - base_landfill,
            "co2_benefit_lost": co2,
        }
        for c_ in sorted(set(base_rates) | set(rates)):
            b0, b1 = base_rates.get(c_), rates.get(c_)
            row[f"delta_{c_}"] = (b1 - b0) if (b0 is not None and b1 is not None) else np.nan
        row["fci_after"] = m["fci"]
        row["delta_fci"] = (m["fci"] or 0.0) - (base_m["fci"] or 0.0)
        row["cyclicity_after"] = m["cyclicity"]
        row["delta_cyclicity"] = m["cyclicity"] - base_m["cyclicity"]
        ra0, ra1 = base_m.get("relative_ascendency"), m.get("relative_ascendency")
        row["delta_relative_ascendency"] = (ra1 - ra0) if ra0 is not None and ra1 is not None else np.nan
        row["largest_component_after"] = _largest_component(new)
        rows.append(row)
    if not rows:
        raise MfaError("no process could be assessed: " + "; ".join(notes))
    table = pd.DataFrame(rows)
    table["_abs_dfci"] = table["delta_fci"].abs()
    order = table.sort_values(["tonnes_no_longer_utilised", "exchanges_lost", "_abs_dfci", "scenario"],
                              ascending=[False, False, False, True], kind="mergesort").index
    table.loc[order, "keystone_rank"] = np.arange(1, len(table) + 1)
    table["keystone_rank"] = table["keystone_rank"].astype(int)
    table = table.drop(columns="_abs_dfci")
    baseline = {"fci": base_m["fci"], "cyclicity": base_m["cyclicity"],
                "relative_ascendency": base_m.get("relative_ascendency"), "n_links": base_m["n_links"],
                "landfill": base_landfill, "largest_component": base_lcc, "utilisation_rates": base_rates}
    if remove is None and target == "all":
        notes.append("each internal process removed in turn; no cascade (survivors keep their other flows)")
    return ResilienceResult(park.info.name, table, baseline, notes)


def _targets(park, target: str, limit: int | None, seed: int) -> list[str]:
    from mfa.network import flow_network

    kinds = dict(zip(park.processes["id"], park.processes["kind"]))
    internal = sorted(p for p, k in kinds.items() if k not in BOUNDARY_KINDS)
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


def _utilised_by_origin(park) -> pd.Series:
    """Utilised t/a of every (origin, material), traced through collection and storage (mfa.trace)."""
    from mfa.tracing import trace

    t = trace(park).table
    t = t[t["fate"].astype(str) == "utilised"]
    return t.groupby([t["origin"].astype(str), t["material"].astype(str)])["tonnes"].sum()


def _lost_utilisation(before: pd.Series, after: pd.Series, removed: set[str]) -> float:
    keep = [o not in removed for o in before.index.get_level_values(0)]
    b = before[keep]
    a = after.reindex(b.index).fillna(0.0)
    return float(np.clip(b - a, 0.0, None).sum())


def _landfill_in(park) -> float:
    kinds = dict(zip(park.processes["id"], park.processes["kind"]))
    f = park.flows
    return float(f.loc[f["target"].map(kinds) == "landfill", "value"].sum())


def _largest_component(park) -> int:
    from scipy.sparse.csgraph import connected_components

    from mfa.network import flow_network

    net = flow_network(park)
    if net.n == 0:
        return 0
    _, labels = connected_components(net.F, directed=True, connection="weak")
    return int(np.bincount(labels).max())
