"""The official utilisation rates of a park, each with its numerator, denominator, formula and source, in two
conventions.

Every rate is computed from :func:`mfa.trace`, so waste passing through collection points, storage and
loops is counted at its final fate — twice: ``value`` in the **official** convention (enterprise reporting:
waste handed to a user counts as utilised where it arises, a user's or handler's residue is its own
generation) and ``traced`` in the **traced** one (each tonne followed to where it finally ends; a process that
receives waste and sends waste on utilises only the difference). ``lower``/``upper`` bound both over every
tonne whose fate is unresolved; ``unresolved`` gives those tonnes. The unknown flows that the balances
determine are computed first (``solve=False``: as given). Terms (t/a, for the materials in the indicator's
scope):

* **generated** (产生量) — official: waste leaving production, treatment and consumption processes (a
  handler's residues and post-consumer waste included) and a collection point's surplus; traced: waste a
  process sends out beyond the waste it receives. For straw it is the collectable resource (可收集资源量)
  when the straw is generated from crop output (see :mod:`mfa.generation`).
* **prior-year storage drawn** (往年贮存量) — max(0, opening − closing) of each store; it continues to its
  own fate. ``prior_utilised`` / ``prior_disposed`` are the parts of it that end utilised / disposed.
* **utilised, disposed, stored, discarded, exported, unresolved** — tonnes from generated waste *and*
  prior-year storage ending in each fate; "utilised" therefore includes prior-year storage utilised, as in the
  official definitions. ``exported`` is waste leaving the park with no declared fate: it is unresolved too.
  Waste arriving from outside the park (import) is reported in ``by_material`` but is in no rate.
* **landfilled** — every tonne reaching a landfill process, treatment residues included.

Formulas, exactly as computed (value is a fraction; ``null`` with a ``reason`` when the denominator is 0):

============================================  =================================================================
industrial_solid_waste_utilisation_rate       utilised ÷ (generated + prior_utilised)      (S01, S02)
industrial_solid_waste_disposal_rate          disposed ÷ (generated + prior_disposed)      (S03, inferred)
bulk_solid_waste_utilisation_rate             as the first, over materials with bulk=True (S12, S50)
straw_utilisation_rate                        utilised ÷ generated (collectable resource)  (S27)
manure_utilisation_rate                       utilised ÷ generated                         (S27, S22)
hazardous_waste_utilisation_disposal_rate     (utilised + disposed) ÷ (generated + prior_utilised +
                                              prior_disposed) — an assumption (no official formula found;
                                              S36, S90, S08)
renewable_resource_recovery_rate              utilised ÷ generated — assumption (S28)
construction_waste_utilisation_rate           utilised ÷ generated                         (S27, S11)
landfill_diversion_rate                       (total − landfilled) ÷ total, total = generated + prior-year
                                              storage drawn — assumption
resource_productivity                         value added ÷ raw materials and fuels entering from imports
                                              (2007 definition, S29); unit = the park's value_added_unit per t
============================================  =================================================================

The straw, manure, construction-waste and renewable-resource formulas are the printed ones, computed
literally: their numerator includes prior-year storage utilised and their denominator does not, so they can
exceed 1 when a stock is drawn down.

>>> import mfa
>>> park = mfa.Park.from_frames(
...     processes=[{"id": "plant", "name": "Plant", "kind": "production"},
...                {"id": "yard", "name": "Yard", "kind": "storage"},
...                {"id": "cement", "name": "Cement", "kind": "production"}],
...     flows=[{"source": "plant", "target": "cement", "material": "fly_ash", "value": 60},
...            {"source": "plant", "target": "yard", "material": "fly_ash", "value": 40},
...            {"source": "yard", "target": "cement", "material": "fly_ash", "value": 10}],
...     materials=[{"id": "fly_ash", "name": "Fly ash", "category": "industrial_solid_waste", "bulk": True}])
>>> row = indicators(park, targets=False).get("industrial_solid_waste_utilisation_rate")
>>> row["numerator"], row["denominator"], round(row["value"], 4)    # the yard's stock grew by 30: 10 passed on
(70.0, 100.0, 0.7)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd

from mfa.indicator_specs import (CONVENTION_NOTE, CONVENTION_NOTE_ZH, INDICATOR_IDS, INDICATORS,
                                 RESOURCE_PRODUCTIVITY, SCOPE_ZH, STRAW_ROUTES)
from mfa.errors import Issue, Message
from mfa.results import Result, frame_records
from mfa.tracing import GENERATED_STAGES, trace

if TYPE_CHECKING:
    from mfa.park import Park

__all__ = ["indicators", "IndicatorResult", "INDICATORS", "STRAW_ROUTES", "CONVENTION_NOTE"]

_FATES = ("utilised", "disposed", "stored", "discarded", "exported", "unresolved")
#: Stages of origins counted in the rates: this year's generation and prior-year storage drawn.
_COUNTED = ("generated", "treatment_residue", "collection_excess", "prior_year_storage")
_TERMS = ("generated", "prior_year_drawn", "prior_utilised", "prior_disposed") + _FATES + (
    "landfilled", "imported", "imported_utilised", "treatment_residue", "collection_excess", "prior_unresolved")
#: Terms of the traced view added to by_material / by_category (prefixed ``traced_``).
_TRACED_TERMS = ("generated", "prior_year_drawn", "prior_utilised", "prior_disposed") + _FATES + (
    "landfilled", "prior_unresolved")


@dataclass(frozen=True, eq=False)
class IndicatorResult(Result, title="Indicators", main_table="indicators"):
    """Utilisation rates of a park.

    Attributes
    ----------
    indicators : pandas.DataFrame
        The main table (``.table``): one row per indicator: id, name, name_zh, value (official convention,
        fraction 0–1, NaN when the denominator is 0), numerator, denominator (t/a), unit, formula,
        formula_zh, scope, materials, source, assumption, reason, and traced (the traced convention's
        value), traced_numerator, traced_denominator, lower, upper (bounds over every unresolved tonne and
        both conventions), unresolved (t/a in scope whose fate is unknown: exported without a declared fate,
        not passed on, or on flows that stay unknown).
    by_material, by_category : pandas.DataFrame
        One row per waste material / category with the official terms (generated, prior_year_drawn,
        prior_utilised, prior_disposed, utilised, disposed, stored, discarded, exported, unresolved,
        landfilled, imported, imported_utilised, treatment_residue, collection_excess; t/a), the rates
        utilisation_rate, disposal_rate, utilisation_disposal_rate, and the traced terms ``traced_*``.
    targets : pandas.DataFrame
        Each target evaluated (see :mod:`mfa.targets`), or empty.
    by_route : pandas.DataFrame
        Tonnes per category, material, fate and route (official view, counted stages), e.g. the straw
        utilised by each of the five uses.
    solver_note : str
        What computing the determinable unknowns first did (blank: nothing, or as given).
    coefficients : pandas.DataFrame or None
        The generation coefficients in force, when asked for (``mfa indicators --coefficients``).
    messages : tuple of mfa.Issue
        Warnings (waste leaving the park with no declared fate, kinds that look wrong, flows that stay
        unknown …); ``.issues`` gives their texts.

    Examples
    --------
    >>> import mfa
    >>> r = mfa.indicators(mfa.read_park("wuhai"), targets=False)
    >>> round(r.summary["industrial_solid_waste_utilisation_rate"], 4), r.table is r.indicators
    (0.5511, True)
    """

    convention_note: ClassVar[str] = CONVENTION_NOTE
    indicators: pd.DataFrame
    by_material: pd.DataFrame
    by_category: pd.DataFrame
    by_route: pd.DataFrame
    targets: pd.DataFrame = field(default_factory=pd.DataFrame)  # none asked for: empty
    solver_note: str = ""
    coefficients: pd.DataFrame | None = None

    issues = Result.message_texts  # the name earlier versions used

    @property
    def summary(self) -> dict[str, Any]:
        """Headline figures: indicator id → value (official convention; NaN when it has none).

        Returns
        -------
        dict
            Indicator id → value.

        Examples
        --------
        >>> import mfa
        >>> r = mfa.indicators(mfa.read_park("wuhai"), targets=False)
        >>> round(r.summary["industrial_solid_waste_utilisation_rate"], 4)
        0.5511
        """
        return dict(zip(self.indicators["id"].tolist(), self.indicators["value"].astype(float).tolist()))

    def get(self, indicator_id: str) -> dict:
        """One indicator as a dict (id, value, numerator, denominator, traced, lower, upper, …).

        Parameters
        ----------
        indicator_id : str
            An id of :data:`mfa.indicator_specs.INDICATOR_IDS`.

        Returns
        -------
        dict
            The indicator's row, JSON-ready (NaN as None).

        Examples
        --------
        >>> import mfa
        >>> r = mfa.indicators(mfa.read_park("wuhai"), targets=False)
        >>> r.get("straw_rate")
        Traceback (most recent call last):
        mfa.errors.MfaError: unknown indicator 'straw_rate' — did you mean 'straw_utilisation_rate'?
        """
        rows = self.indicators[self.indicators["id"] == indicator_id]
        if not len(rows):
            from mfa.errors import MfaError, suggest

            hint = suggest(indicator_id, self.indicators["id"])
            raise MfaError(f"unknown indicator '{indicator_id}'" + (f" — {hint}" if hint else ""))
        return frame_records(rows)[0]

    def to_dict(self) -> dict:
        """The ``mfa indicators --json`` document: indicators, by_material, by_category, by_route, targets,
        issues, conventions, warnings, solver (and coefficients when given).

        Returns
        -------
        dict
            Plain data (JSON-serialisable).

        Examples
        --------
        >>> import mfa
        >>> r = mfa.indicators(mfa.read_park("wuhai"), targets=False)
        >>> list(r.to_dict())[:4]
        ['indicators', 'by_material', 'by_category', 'by_route']
        """
        return {
            "indicators": frame_records(self.indicators),
            "by_material": frame_records(self.by_material),
            "by_category": frame_records(self.by_category),
            "by_route": frame_records(self.by_route),
            "targets": frame_records(self.targets),
            "issues": self.issues,
            "conventions": {"value": "official", "traced": "traced", "note": self.convention_note},
            "warnings": self.issues,
            "solver": self.solver_note,
            **({} if self.coefficients is None else {"coefficients": frame_records(self.coefficients)}),
        }


def _terms(tr, materials: pd.DataFrame) -> pd.DataFrame:
    """Per material: the tonnes in each term (see module docstring), summed with bincount on the trace's
    categorical codes (this runs once per Monte Carlo sample in mfa.uncertainty)."""
    r, o = tr.by_route, tr.origins
    names = np.asarray(o["material"].cat.categories, dtype=object)
    n = len(names)
    om = o["material"].cat.codes.to_numpy()
    otonnes = o["tonnes"].to_numpy(dtype=float)
    rm = r["material"].cat.codes.to_numpy()
    tonnes = r["tonnes"].to_numpy(dtype=float)

    def is_(col, names) -> np.ndarray:
        """Rows whose categorical ``col`` is one of ``names``: decided once per category, then by code (no
        string comparison per row; 10⁵ rows per call at province scale)."""
        cats = np.asarray(col.cat.categories, dtype=object)
        return np.isin(cats, list(names))[col.cat.codes.to_numpy()] if len(cats) else np.zeros(len(col), bool)

    def total(mask, codes=rm, weights=tonnes):
        return np.bincount(codes[mask], weights=weights[mask], minlength=n)

    stage, fate, kind, ost = r["stage"], r["fate"], r["target_kind"], o["stage"]
    counted = is_(stage, _COUNTED)
    prior = is_(stage, ("prior_year_storage",))
    fate_is = {f: is_(fate, (f,)) for f in _FATES}
    cols = {f: total(counted & fate_is[f]) for f in _FATES}
    cols["prior_utilised"] = total(prior & fate_is["utilised"])
    cols["prior_disposed"] = total(prior & fate_is["disposed"])
    # prior-year tonnes whose fate is unknown: were they utilised or disposed, they would join the denominator
    cols["prior_unresolved"] = total(prior & (fate_is["exported"] | fate_is["unresolved"]))
    cols["landfilled"] = total(counted & is_(kind, ("landfill",)))
    cols["imported_utilised"] = total(is_(stage, ("imported",)) & fate_is["utilised"])
    cols["generated"] = total(is_(ost, GENERATED_STAGES), om, otonnes)
    for st, term in (("prior_year_storage", "prior_year_drawn"), ("imported", "imported"),
                     ("treatment_residue", "treatment_residue"), ("collection_excess", "collection_excess")):
        cols[term] = total(is_(ost, (st,)), om, otonnes)
    present = np.bincount(om, minlength=n) > 0
    out = pd.DataFrame({"material": names[present]})
    meta = materials.set_index("id")
    out["name"] = out["material"].map(meta["name"]).fillna("").to_numpy(dtype=object)
    out["name_zh"] = out["material"].map(meta["name_zh"]).fillna("").to_numpy(dtype=object)
    out["category"] = out["material"].map(meta["category"]).fillna("").to_numpy(dtype=object)
    out["bulk"] = out["material"].map(meta["bulk"]).fillna(False).astype(bool).to_numpy()
    for term in _TERMS:
        out[term] = cols[term][present]
    return out


def _rates(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    frame["utilisation_rate"] = _ratio(frame["utilised"], frame["generated"] + frame["prior_utilised"])
    frame["disposal_rate"] = _ratio(frame["disposed"], frame["generated"] + frame["prior_disposed"])
    frame["utilisation_disposal_rate"] = _ratio(
        frame["utilised"] + frame["disposed"],
        frame["generated"] + frame["prior_utilised"] + frame["prior_disposed"])
    return frame


def _ratio(num, den) -> np.ndarray:
    num = np.asarray(num, dtype=float)
    den = np.asarray(den, dtype=float)
    return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def indicators(park: Park, targets: str | Path | pd.DataFrame | bool | None = None, *,
               solve: bool = True) -> IndicatorResult:
    """The utilisation rates of ``park`` for the park, per material and per category, in both conventions.

    Parameters
    ----------
    park : mfa.Park
        Values in t/a.
    targets : None, path, DataFrame or False
        None = the shipped national / regional targets (``flows/targets.csv``), applied where they fit the
        park; a path = the park's own targets file (same columns); a DataFrame from
        :func:`mfa.targets.load_targets`; False = no targets.
    solve : bool
        Compute the determinable unknown flows first (:func:`mfa.solved.solve_park`); False = as given.

    Returns
    -------
    IndicatorResult
        ``value`` is the official convention, ``traced`` the traced one, ``lower``/``upper`` bound both over
        every unresolved tonne. Formulas, terms and conventions are in the module docstring and
        ``docs/indicators.md``.

    Examples
    --------
    >>> import mfa
    >>> r = indicators(mfa.read_park("wuhai"), targets=False)
    >>> round(r.get("industrial_solid_waste_utilisation_rate")["value"], 4)
    0.5511
    >>> indicators("wuhai")
    Traceback (most recent call last):
    mfa.errors.MfaError: indicators() needs a Park, not the name or path 'wuhai': read it first, park = mfa.read_park('wuhai'); mfa.indicators(park)
    """
    from mfa.park import require_park

    require_park(park, "indicators")
    solver_note = ""
    undetermined: list[str] = list(park.flows.loc[park.flows["value"].isna(), "id"])  # as given: every blank
    if solve:
        from mfa.solved import solve_park

        s = solve_park(park)
        park, solver_note, undetermined = s.park, s.note, s.undetermined
    mats = park.materials
    views = {}
    issues: list[str] = []
    for convention in ("official", "traced"):
        tr = trace(park, convention=convention, solve=False)
        terms = _terms(tr, mats)
        views[convention] = (tr, terms)
        issues += [Message(m.message, m.code, **m.params) if m.code else m.message  # the code travels on
                   for m in tr.messages if m.message not in issues]
    tr, by_material = views["official"]
    by_material = _rates(by_material)
    traced_terms = views["traced"][1].set_index("material")
    for term in _TRACED_TERMS:
        by_material["traced_" + term] = by_material["material"].map(traced_terms[term]).fillna(0.0).to_numpy()
    sum_cols = list(_TERMS) + ["traced_" + t for t in _TRACED_TERMS]
    by_category = _rates(by_material.groupby("category", sort=True)[sum_cols].sum().reset_index())
    by_category = by_category[["category"] + list(_TERMS) + ["utilisation_rate", "disposal_rate",
                                                              "utilisation_disposal_rate"]
                              + ["traced_" + t for t in _TRACED_TERMS]]

    category = by_material["category"].to_numpy(dtype=object)
    bulk = by_material["bulk"].to_numpy(dtype=bool)
    material_ids = by_material["material"].to_numpy(dtype=object)
    official = by_material[list(_TERMS)].to_numpy(dtype=float)
    traced_v = by_material[["traced_" + t for t in _TRACED_TERMS]].to_numpy(dtype=float)
    ub = _undetermined_bounds(park, undetermined)
    rows = []
    for spec in INDICATORS:
        scope = spec["scope"]
        if scope == "bulk":
            mask = bulk
        elif scope == "waste":
            mask = np.ones(len(bulk), dtype=bool)
        else:
            mask = category == scope
        sel_ids = material_ids[mask]
        row = {"id": spec["id"], "name": spec["name"], "name_zh": spec["name_zh"]}
        off = _evaluate(spec, dict(zip(_TERMS, official[mask].sum(axis=0))) if mask.any()
                        else dict.fromkeys(_TERMS, 0.0))
        trc = _evaluate(spec, dict(zip(_TRACED_TERMS, traced_v[mask].sum(axis=0))) if mask.any()
                        else dict.fromkeys(_TRACED_TERMS, 0.0))
        extra = float(sum(ub.get(m, 0.0) for m in sel_ids))
        lo_o, hi_o = _bounds(spec, off, extra)
        lo_t, hi_t = _bounds(spec, trc, extra)
        reason = reason_zh = None
        if off["den"] <= 0:
            what = "bulk" if scope == "bulk" else scope.replace("_", " ")
            reason = (f"no {what} waste generated in the park (denominator 0)" if len(sel_ids)
                      else f"the park has no {what} materials")
            what_zh = SCOPE_ZH.get(scope, scope)
            reason_zh = (f"园区未产生{what_zh}（分母为0）" if len(sel_ids) else f"园区没有{what_zh}类物质")
        row.update({
            "value": off["value"], "numerator": off["num"], "denominator": off["den"],
            "unit": "t/t", "numerator_unit": "t/a", "formula": spec["formula"], "formula_zh": spec["formula_zh"],
            "scope": scope, "materials": ";".join(sel_ids), "source": spec["source"],
            "assumption": spec["assumption"], "reason": reason, "reason_zh": reason_zh,
            "traced": trc["value"], "traced_numerator": trc["num"], "traced_denominator": trc["den"],
            "lower": float(np.nanmin([lo_o, lo_t])) if not (np.isnan(lo_o) and np.isnan(lo_t)) else np.nan,
            "upper": float(np.nanmax([hi_o, hi_t])) if not (np.isnan(hi_o) and np.isnan(hi_t)) else np.nan,
            "unresolved": max(off["unresolved"], trc["unresolved"]) + (extra if np.isfinite(extra) else 0.0),
        })
        rows.append(row)
    rp = _resource_productivity(park)
    rp.update({"traced": rp["value"], "traced_numerator": rp["numerator"], "traced_denominator": rp["denominator"],
               "lower": rp["value"], "upper": rp["value"], "unresolved": 0.0})
    rows.append(rp)
    table = pd.DataFrame(rows)

    target_table = _evaluate_targets(table, targets, park.info)
    r = tr.by_route
    counted = r[r["stage"].isin(_COUNTED)]
    by_route = (counted.groupby(["category", "material", "fate", "route"], observed=True, sort=True)["tonnes"]
                .sum().reset_index())
    by_route = by_route.astype({c: object for c in ("category", "material", "fate", "route")})
    odd = by_route[(by_route["category"] == "straw") & (by_route["fate"] == "utilised")
                   & ~by_route["route"].isin(STRAW_ROUTES)]
    for _, row in odd.iterrows():
        issues.append(Message(f"{row['tonnes']:,.6g} t/a of {row['material']} utilised by route '{row['route']}', "
                              f"which is not one of the five straw uses ({', '.join(STRAW_ROUTES)}): set the "
                              "flow's route", "indicators.straw_route", tonnes=float(row["tonnes"]),
                              material=str(row["material"]), route=str(row["route"])))
    for m, b in ub.items():
        if not np.isfinite(b):
            issues.append(Message(f"unknown flows of {m} are not determined by the data and cannot be bounded by "
                                  "the balances: the rates in its scope are bounded by 0 and 1",
                                  "indicators.unbounded", material=str(m)))
    return IndicatorResult(indicators=table, by_material=by_material, by_category=by_category,
                           targets=target_table, by_route=by_route, solver_note=solver_note,
                           messages=tuple(Issue.note(i, severity="warning") for i in issues))


def _evaluate(spec: dict, sums: dict) -> dict:
    """The numerator, denominator, value and unresolved tonnes of one indicator from its scope's terms."""
    sums = dict(sums)
    total = sums["generated"] + sums["prior_year_drawn"]
    sums["total"] = total
    sums["diverted"] = total - sums["landfilled"]
    num = float(sum(sums[t] for t in spec["num"]))
    den = float(sum(sums[t] for t in spec["den"]))
    # Rounding residue of the chain solve (1e-11 t on a 10⁶ t park) is no unresolved tonne.
    unresolved = float(sums["exported"] + sums["unresolved"])
    if abs(unresolved) <= 1e-9 * max(1.0, total):
        unresolved = 0.0
    return {"num": num, "den": den, "value": num / den if den > 0 else np.nan, "unresolved": unresolved,
            "diversion": spec["num"] == ("diverted",),
            "prior_unresolved": float(sums.get("prior_unresolved", 0.0)),
            "prior_in_den": any(t_.startswith("prior_") for t_ in spec["den"])}


def _bounds(spec: dict, e: dict, extra: float) -> tuple[float, float]:
    """Lowest and highest value over every way the unresolved tonnes (``e['unresolved']``, in the
    denominator already) and the tonnes of undetermined flows (``extra``, up to their bound from the
    balances) could end."""
    num, den, u = e["num"], e["den"], e["unresolved"]
    if not np.isfinite(extra):
        return (0.0, 1.0) if den > 0 or extra > 0 else (np.nan, np.nan)
    d = den + extra
    if d <= 0:
        return np.nan, np.nan
    if e["diversion"]:
        lo, hi = (num - u) / d, (num + extra) / d
    else:
        # unresolved prior-year tonnes, once utilised (or disposed), also enter a denominator that holds the
        # prior-year terms (prior_utilised, prior_disposed)
        # (prior-year unresolved tonnes are part of the unresolved ones: never more, also once rounding residue
        # has been taken off those)
        grow = min(e["prior_unresolved"], u) if e["prior_in_den"] else 0.0
        lo, hi = num / d, (num + u + extra) / (d + grow)
    # Not capped at 1: a literal formula (utilised incl. prior-year ÷ generated) can exceed 1.
    return float(max(lo, 0.0)), float(max(hi, 0.0))


def _undetermined_bounds(park: Park, undetermined: list[str]) -> dict:
    """For waste flows that stay unknown: the most each could carry, by material (t/a), from the balance of
    its source (known inputs − known outputs) or its target (known outputs − known inputs); inf when neither
    bounds it."""
    if not undetermined:
        return {}
    cp = park.compiled
    inp, out, n_in, n_out = cp.known_totals()
    unk_in, unk_out = n_in > 0, n_out > 0
    internal = ~cp.is_boundary
    ds = np.nan_to_num(cp.delta_stock)
    from_src = np.where(internal & ~unk_in, np.maximum(inp - out - ds, 0.0), np.inf)
    from_tgt = np.where(internal & ~unk_out, np.maximum(out - inp + ds, 0.0), np.inf)
    pos = pd.Index(cp.flow_ids).get_indexer(undetermined)
    pos = pos[pos >= 0]
    waste = cp.is_waste_material[cp.material_codes[pos]]
    b = np.minimum(from_src[cp.src[pos]], from_tgt[cp.tgt[pos]])
    by_material = pd.Series(b[waste]).groupby(cp.material[pos][waste], sort=False).sum()
    return {m: float(x) for m, x in by_material.items()}


def _resource_productivity(park: Park) -> dict:
    spec = RESOURCE_PRODUCTIVITY
    cp = park.compiled
    primary = np.isin(cp.material_category, ["raw_material", "fuel"])[cp.material_codes]
    keep = (cp.kind[cp.src] == "import") & primary
    den = float(np.nansum(cp.value[keep]))
    va = park.info.value_added
    unit = f"{park.info.value_added_unit or 'value added'}/t"
    reason = reason_zh = None
    if va is None:
        reason = "the park gives no value_added (park.csv key value_added)"
        reason_zh = "园区基本信息中未填写工业增加值"
    elif den <= 0:
        reason = "no raw materials or fuels enter the park from import processes (denominator 0)"
        reason_zh = "没有原材料和燃料从输入过程进入园区（分母为0）"
    value = va / den if va is not None and den > 0 else np.nan
    return {"id": spec["id"], "name": spec["name"], "name_zh": spec["name_zh"], "value": value,
            "numerator": np.nan if va is None else float(va), "denominator": den, "unit": unit,
            "numerator_unit": park.info.value_added_unit or "", "formula": spec["formula"],
            "formula_zh": spec["formula_zh"], "scope": spec["scope"], "materials": "", "source": spec["source"],
            "assumption": spec["assumption"], "reason": reason, "reason_zh": reason_zh}


def _evaluate_targets(table: pd.DataFrame, targets, info=None) -> pd.DataFrame:
    from mfa.targets import evaluate, load_targets

    if targets is False:
        frame = None
    elif targets is None or isinstance(targets, (str, Path)):
        frame = load_targets(targets, set(INDICATOR_IDS))
    else:
        frame = targets
    if frame is None or not len(frame):
        return pd.DataFrame(columns=["id", "indicator", "kind", "region", "level", "year", "comparison", "target",
                                     "value", "passed", "gap_t", "source", "note", "applies", "why"])
    return evaluate(table, frame, info)

