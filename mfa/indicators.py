"""The official utilisation rates of a park, each with its numerator, denominator, formula and source.

Every rate is computed from :func:`mfa.trace.trace`, so waste passing through collection points, storage and
loops is counted at its final fate. Terms (t/a, for the materials in the indicator's scope):

* **generated** — waste leaving processes of kind production (产生量). For straw it is the collectable
  resource (可收集资源量) when the straw is generated from crop output (see :mod:`mfa.generation`).
* **prior-year storage** — waste drawn out of storage processes this year (往年贮存量); it continues to its
  own fate. ``prior_utilised`` / ``prior_disposed`` are the parts of it that end utilised / disposed.
* **utilised, disposed, stored, discarded, exported** — tonnes from generated waste *and* prior-year
  storage ending in each fate (see :mod:`mfa.fate`); "utilised" therefore includes prior-year storage
  utilised, as in the official definition. Waste arriving from outside the park (import), residues of
  treatment plants and material appearing at collection processes (collection_excess) are reported in
  ``by_material`` but are not in any rate.

Formulas (value is a fraction 0–1; ``null`` with a ``reason`` when the denominator is 0):

============================================  =================================================================
industrial_solid_waste_utilisation_rate       utilised ÷ (generated + prior_utilised)      (S01, S02)
industrial_solid_waste_disposal_rate          disposed ÷ (generated + prior_disposed)      (S03, inferred)
bulk_solid_waste_utilisation_rate             as the first, over materials with bulk=True (S12, S50)
straw_utilisation_rate                        utilised ÷ (generated + prior_utilised)      (S27)
manure_utilisation_rate                       utilised ÷ (generated + prior_utilised)      (S27, S22)
hazardous_waste_utilisation_disposal_rate     (utilised + disposed) ÷ (generated + prior_utilised +
                                              prior_disposed) — an assumption (no official formula found;
                                              S36, S90, S08)
renewable_resource_recovery_rate              utilised ÷ (generated + prior_utilised) — assumption (S28)
construction_waste_utilisation_rate           utilised ÷ (generated + prior_utilised)      (S27, S11)
landfill_diversion_rate                       (total − landfilled) ÷ total, total = generated + prior-year
                                              storage, landfilled = reaching a landfill process — assumption
resource_productivity                         value added ÷ raw materials and fuels entering from imports
                                              (2007 definition, S29); unit = the park's value_added_unit per t
============================================  =================================================================

The official straw and manure formulas have no storage term; with no straw or manure drawn out of storage
they are exactly ``utilised ÷ generated``.

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
>>> row["numerator"], row["denominator"], round(row["value"], 4)
(70.0, 110.0, 0.6364)
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mfa.results import Result, frame_records

__all__ = ["indicators", "IndicatorResult", "INDICATORS", "STRAW_ROUTES"]

#: The five uses of straw counted as utilised (五料化, S27): fertiliser (incl. return to the field), feed, fuel,
#: substrate, raw material. A utilised straw flow's ``route`` should be one of them.
STRAW_ROUTES: tuple[str, ...] = ("fertiliser", "feed", "fuel", "substrate", "raw_material")

_UTIL = "utilised ÷ (generated + prior-year stored waste utilised)"
_UTIL_ZH = "综合利用量 ÷ (产生量 + 综合利用往年贮存量)"

#: The indicators, in output order. ``scope`` selects materials: a category, "bulk" or "waste".
INDICATORS: tuple[dict[str, Any], ...] = (
    {"id": "industrial_solid_waste_utilisation_rate", "name": "General industrial solid waste utilisation rate",
     "name_zh": "一般工业固体废物综合利用率", "scope": "industrial_solid_waste", "num": ("utilised",),
     "den": ("generated", "prior_utilised"), "formula": _UTIL, "formula_zh": _UTIL_ZH, "source": "S01;S02",
     "assumption": False},
    {"id": "industrial_solid_waste_disposal_rate", "name": "General industrial solid waste disposal rate",
     "name_zh": "一般工业固体废物处置率", "scope": "industrial_solid_waste", "num": ("disposed",),
     "den": ("generated", "prior_disposed"),
     "formula": "disposed ÷ (generated + prior-year stored waste disposed)",
     "formula_zh": "处置量 ÷ (产生量 + 处置往年贮存量)", "source": "S03", "assumption": False},
    {"id": "bulk_solid_waste_utilisation_rate", "name": "Bulk solid waste utilisation rate",
     "name_zh": "大宗固废综合利用率", "scope": "bulk", "num": ("utilised",),
     "den": ("generated", "prior_utilised"), "formula": _UTIL + " over the bulk wastes (straw included)",
     "formula_zh": _UTIL_ZH + "（煤矸石、粉煤灰、尾矿、冶炼渣、工业副产石膏、建筑垃圾、农作物秸秆）",
     "source": "S12;S50", "assumption": False},
    {"id": "straw_utilisation_rate", "name": "Crop straw utilisation rate", "name_zh": "秸秆综合利用率",
     "scope": "straw", "num": ("utilised",), "den": ("generated", "prior_utilised"),
     "formula": "utilised ÷ collectable straw resource (generated)",
     "formula_zh": "秸秆综合利用量 ÷ 秸秆可收集资源量", "source": "S27", "assumption": False},
    {"id": "manure_utilisation_rate", "name": "Livestock manure utilisation rate",
     "name_zh": "畜禽粪污综合利用率", "scope": "manure", "num": ("utilised",),
     "den": ("generated", "prior_utilised"), "formula": "utilised ÷ generated",
     "formula_zh": "畜禽粪污综合利用量 ÷ 畜禽粪污产生量", "source": "S27;S22", "assumption": False},
    {"id": "hazardous_waste_utilisation_disposal_rate", "name": "Hazardous waste utilisation and disposal rate",
     "name_zh": "危险废物利用处置率", "scope": "hazardous_waste", "num": ("utilised", "disposed"),
     "den": ("generated", "prior_utilised", "prior_disposed"),
     "formula": "(utilised + disposed) ÷ (generated + prior-year stored waste utilised or disposed)",
     "formula_zh": "(利用量 + 处置量) ÷ (产生量 + 利用处置往年贮存量)", "source": "S36;S90;S08",
     "assumption": True},
    {"id": "renewable_resource_recovery_rate", "name": "Main renewable resources recovery rate",
     "name_zh": "主要再生资源回收率", "scope": "renewable_resource", "num": ("utilised",),
     "den": ("generated", "prior_utilised"), "formula": "recovered (utilised) ÷ generated",
     "formula_zh": "回收利用量 ÷ 产生量", "source": "S28", "assumption": True},
    {"id": "construction_waste_utilisation_rate", "name": "Construction waste utilisation rate",
     "name_zh": "建筑垃圾综合利用率", "scope": "construction_waste", "num": ("utilised",),
     "den": ("generated", "prior_utilised"), "formula": _UTIL, "formula_zh": "建筑垃圾综合利用量 ÷ 建筑垃圾产生量",
     "source": "S27;S11", "assumption": False},
    {"id": "landfill_diversion_rate", "name": "Landfill diversion rate", "name_zh": "填埋减量率",
     "scope": "waste", "num": ("diverted",), "den": ("total",),
     "formula": "(generated + prior-year storage − landfilled) ÷ (generated + prior-year storage)",
     "formula_zh": "(产生量 + 往年贮存量 − 填埋量) ÷ (产生量 + 往年贮存量)", "source": "derived",
     "assumption": True},
)
_RESOURCE_PRODUCTIVITY = {
    "id": "resource_productivity", "name": "Resource productivity", "name_zh": "资源产出率",
    "scope": "raw_material+fuel", "formula": "value added ÷ raw materials and fuels entering the park",
    "formula_zh": "工业增加值 ÷ 主要资源消耗量", "source": "S29", "assumption": True,
}
_FATES = ("utilised", "disposed", "stored", "discarded", "exported", "unresolved")
_COUNTED = ("generated", "prior_year_storage")
_TERMS = ("generated", "prior_year_drawn", "prior_utilised", "prior_disposed") + _FATES + (
    "landfilled", "imported", "imported_utilised", "treatment_residue", "collection_excess")


@dataclass
class IndicatorResult(Result):
    """Utilisation rates of a park.

    ``table``: one row per indicator: id, name, name_zh, value (fraction 0–1, NaN when the denominator is
    0), numerator, denominator (t/a), unit, formula, formula_zh, scope, materials, source, assumption, reason.
    ``by_material`` / ``by_category``: one row per waste material / category with the terms (generated,
    prior_year_drawn, prior_utilised, prior_disposed, utilised, disposed, stored, discarded, exported,
    unresolved, landfilled, imported, imported_utilised, treatment_residue, collection_excess; t/a) and the rates
    utilisation_rate, disposal_rate, utilisation_disposal_rate.
    ``by_route``: tonnes per category, material, fate and route (from generated waste and prior-year storage),
    e.g. the straw utilised by each of the five uses.
    ``targets``: each target evaluated (see :mod:`mfa.targets`), or empty.
    """

    table: pd.DataFrame
    by_material: pd.DataFrame
    by_category: pd.DataFrame
    targets: pd.DataFrame
    by_route: pd.DataFrame = field(default_factory=pd.DataFrame)
    issues: list[str] = field(default_factory=list)
    title: str = "Indicators"

    def get(self, indicator_id: str) -> dict:
        """One indicator as a dict (id, value, numerator, denominator, …)."""
        rows = self.table[self.table["id"] == indicator_id]
        if not len(rows):
            from mfa.errors import MfaError, suggest

            hint = suggest(indicator_id, self.table["id"])
            raise MfaError(f"unknown indicator '{indicator_id}'" + (f" — {hint}" if hint else ""))
        return frame_records(rows)[0]

    def to_dict(self) -> dict:
        return {
            "indicators": frame_records(self.table),
            "by_material": frame_records(self.by_material),
            "by_category": frame_records(self.by_category),
            "by_route": frame_records(self.by_route),
            "targets": frame_records(self.targets),
            "issues": list(self.issues),
        }

    def _repr_html_(self) -> str:
        show = self.table[["id", "name_zh", "value", "numerator", "denominator", "formula"]]
        parts = ["<div class='mfa-indicators'><b>Indicators</b>",
                 show.to_html(index=False, escape=True, na_rep="null", float_format=lambda x: f"{x:,.4g}")]
        if len(self.targets):
            parts.append(self.targets[["id", "indicator", "target", "value", "passed", "gap_t"]].to_html(
                index=False, escape=True, na_rep="", float_format=lambda x: f"{x:,.4g}"))
        parts += [f"<p>{html.escape(i)}</p>" for i in self.issues]
        return "".join(parts) + "</div>"


def _terms(tr, materials: pd.DataFrame) -> pd.DataFrame:
    """Per material: the tonnes in each term (see module docstring), summed with bincount on the trace's
    categorical codes (this runs once per Monte Carlo sample in mfa.uncertainty)."""
    r, o = tr.by_route, tr.origins
    names = np.asarray(o["material"].cat.categories, dtype=object)
    n = len(names)
    om = o["material"].cat.codes.to_numpy()
    ostage = o["stage"].to_numpy(dtype=object)
    otonnes = o["tonnes"].to_numpy(dtype=float)
    rm = r["material"].cat.codes.to_numpy()
    stage = r["stage"].to_numpy(dtype=object)
    fate = r["fate"].to_numpy(dtype=object)
    kind = r["target_kind"].to_numpy(dtype=object)
    tonnes = r["tonnes"].to_numpy(dtype=float)

    def total(mask, codes=rm, weights=tonnes):
        return np.bincount(codes[mask], weights=weights[mask], minlength=n)

    counted = np.isin(stage, _COUNTED)
    prior = stage == "prior_year_storage"
    cols = {f: total(counted & (fate == f)) for f in _FATES}
    cols["prior_utilised"] = total(prior & (fate == "utilised"))
    cols["prior_disposed"] = total(prior & (fate == "disposed"))
    cols["landfilled"] = total(counted & (kind == "landfill"))
    cols["imported_utilised"] = total((stage == "imported") & (fate == "utilised"))
    for st, term in (("generated", "generated"), ("prior_year_storage", "prior_year_drawn"),
                     ("imported", "imported"), ("treatment_residue", "treatment_residue"),
                     ("collection_excess", "collection_excess")):
        cols[term] = total(ostage == st, om, otonnes)
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
    def ratio(num, den):
        num = np.asarray(num, dtype=float)
        den = np.asarray(den, dtype=float)
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)

    frame = frame.copy()
    frame["utilisation_rate"] = ratio(frame["utilised"], frame["generated"] + frame["prior_utilised"])
    frame["disposal_rate"] = ratio(frame["disposed"], frame["generated"] + frame["prior_disposed"])
    frame["utilisation_disposal_rate"] = ratio(
        frame["utilised"] + frame["disposed"],
        frame["generated"] + frame["prior_utilised"] + frame["prior_disposed"])
    return frame


def indicators(park, targets: "str | Path | pd.DataFrame | bool | None" = None) -> IndicatorResult:
    """The utilisation rates of ``park`` for the park, per material and per category.

    ``targets``: None = the shipped national / Inner Mongolia targets (``flows/targets.csv``); a path =
    the park's own targets file (same columns); a DataFrame from :func:`mfa.targets.load_targets`; False =
    no targets. Formulas, terms and conventions are in the module docstring; values in t/a.
    """
    from mfa.trace import trace

    tr = trace(park)
    mats = park.materials
    by_material = _rates(_terms(tr, mats))
    by_category = _rates(by_material.groupby("category", sort=True)[list(_TERMS)].sum().reset_index())

    values = by_material[list(_TERMS)].to_numpy(dtype=float)
    category = by_material["category"].to_numpy(dtype=object)
    bulk = by_material["bulk"].to_numpy(dtype=bool)
    material_ids = by_material["material"].to_numpy(dtype=object)
    rows = []
    for spec in INDICATORS:
        scope = spec["scope"]
        if scope == "bulk":
            mask = bulk
        elif scope == "waste":
            mask = np.ones(len(bulk), dtype=bool)
        else:
            mask = category == scope
        sums = dict(zip(_TERMS, values[mask].sum(axis=0))) if mask.any() else dict.fromkeys(_TERMS, 0.0)
        total = sums["generated"] + sums["prior_year_drawn"]
        sums["total"] = total
        sums["diverted"] = total - sums["landfilled"]
        num = float(sum(sums[t] for t in spec["num"]))
        den = float(sum(sums[t] for t in spec["den"]))
        sel_ids = material_ids[mask]
        reason = None
        if den <= 0:
            what = "bulk" if scope == "bulk" else scope.replace("_", " ")
            reason = (f"no {what} waste generated in the park (denominator 0)" if len(sel_ids)
                      else f"the park has no {what} materials")
        rows.append({
            "id": spec["id"], "name": spec["name"], "name_zh": spec["name_zh"],
            "value": num / den if den > 0 else np.nan, "numerator": num, "denominator": den,
            "unit": "t/t", "numerator_unit": "t/a", "formula": spec["formula"], "formula_zh": spec["formula_zh"],
            "scope": scope, "materials": ";".join(sel_ids), "source": spec["source"],
            "assumption": spec["assumption"], "reason": reason,
        })
    rows.append(_resource_productivity(park))
    table = pd.DataFrame(rows)

    target_table = _evaluate_targets(table, targets, park.info)
    r = tr.by_route
    counted = r[r["stage"].isin(_COUNTED)]
    by_route = (counted.groupby(["category", "material", "fate", "route"], observed=True, sort=True)["tonnes"]
                .sum().reset_index())
    by_route = by_route.astype({c: object for c in ("category", "material", "fate", "route")})
    issues = list(tr.issues)
    odd = by_route[(by_route["category"] == "straw") & (by_route["fate"] == "utilised")
                   & ~by_route["route"].isin(STRAW_ROUTES)]
    for _, row in odd.iterrows():
        issues.append(f"{row['tonnes']:,.6g} t/a of {row['material']} utilised by route '{row['route']}', which is "
                      f"not one of the five straw uses ({', '.join(STRAW_ROUTES)}): set the flow's route")
    return IndicatorResult(table=table, by_material=by_material, by_category=by_category,
                           targets=target_table, by_route=by_route, issues=issues)


def _resource_productivity(park) -> dict:
    spec = _RESOURCE_PRODUCTIVITY
    cp = park.compiled
    cat = dict(zip(park.materials["id"], park.materials["category"]))
    primary_code = np.array([cat.get(m, "") in ("raw_material", "fuel") for m in cp.material_ids], dtype=bool)
    keep = (cp.kind[cp.src] == "import") & primary_code[cp.material_codes] if len(primary_code) else []
    den = float(np.nansum(cp.value[keep])) if len(primary_code) else 0.0
    va = park.info.value_added
    unit = f"{park.info.value_added_unit or 'value added'}/t"
    reason = None
    if va is None:
        reason = "the park gives no value_added (park.csv key value_added)"
    elif den <= 0:
        reason = "no raw materials or fuels enter the park from import processes (denominator 0)"
    value = va / den if va is not None and den > 0 else np.nan
    return {"id": spec["id"], "name": spec["name"], "name_zh": spec["name_zh"], "value": value,
            "numerator": np.nan if va is None else float(va), "denominator": den, "unit": unit,
            "numerator_unit": park.info.value_added_unit or "", "formula": spec["formula"],
            "formula_zh": spec["formula_zh"], "scope": spec["scope"], "materials": "", "source": spec["source"],
            "assumption": spec["assumption"], "reason": reason}


def _evaluate_targets(table: pd.DataFrame, targets, info=None) -> pd.DataFrame:
    from mfa.targets import evaluate, load_targets

    if targets is False:
        frame = None
    elif targets is None or isinstance(targets, (str, Path)):
        frame = load_targets(targets, {s["id"] for s in INDICATORS} | {"resource_productivity"})
    else:
        frame = targets
    if frame is None or not len(frame):
        return pd.DataFrame(columns=["id", "indicator", "kind", "region", "level", "year", "comparison", "target",
                                     "value", "passed", "gap_t", "source", "note", "applies", "why"])
    return evaluate(table, frame, info)

