"""Waste generation from activity data: straw from crop output, manure from livestock, ashes and slags from
industrial output.

A park declares **activities** (``activities.csv``, a YAML ``activities:`` list or an ``activities`` sheet)::

    id,process,activity,value,unit,material,target,route,fate,sigma,note
    maize,farms,crop_output:maize,1.2,万t/a,,straw_collection,,,,grain output 2023
    cows,dairy_farms,livestock_head:dairy_cow,2.5,万头,,biogas_plant,,,,year-end stock
    boiler,power_plant,coal_burned,300,万t/a,fly_ash,cement_plant,,,,

Columns: ``process`` (the production process that generates the waste — the flow's source), ``activity``
(``name`` or ``name:key``, e.g. ``crop_output:maize``), ``value`` and ``unit`` (a mass flow such as ``t/a``,
``万t/a``; or a head count ``head``, ``头``, ``只``, ``万头``, ``万只`` for ``livestock_head``), ``target``
(the process receiving the waste), optional ``material`` (generate only this output of the activity; blank =
every output, e.g. both fly ash and boiler slag from ``coal_burned``), ``route``, ``fate``, ``year``,
``sigma`` (uncertainty of the activity value, same unit) and ``note``.

Every output is ``activity value × Π coefficients`` with coefficients from the shipped tables in
``flows/coefficients/`` (straw, manure, industrial; one row per activity, key, material and parameter with
low / central / high and a ``source``) or the park's own ``coefficients`` (same columns plus an optional
``process`` that limits an override to one process). Precedence, highest first: park row for this process,
park row, shipped row; a row for the key (``maize``) beats a row for all keys; a row for the material beats
a row for every material of the activity. Formulas this gives:

* straw (collectable resource, 可收集资源量) = crop output × straw_to_grain (草谷比) × collectable_coef
  (可收集系数). The generated flow is the **collectable** straw, the denominator of the official straw
  utilisation rate; the theoretical resource (output × 草谷比) is stated in the note.
* manure (粪污) = head × manure_per_head (kg/head/d) × days.
* fly ash = coal burned × ash_content × fly_ash_share; boiler slag = coal × ash_content × bottom_ash_share
  (``ash_content`` has no shipped default: the park gives its coal's A_ar).
* FGD gypsum = SO₂ removed × gypsum_per_so2; steel slag, BF slag, ferroalloy slag, carbide slag, red mud,
  coal gangue = output × the slag ratio.

**Uncertainty.** A coefficient with both ``low`` and ``high`` is read as uniform on [low, high]:
σ = (high − low)/√12. With one bound only, as uniform and symmetric about the central value:
σ = |central − bound|/√3. With no bound the coefficient carries no uncertainty (σ = 0; the note says
"no range"). A blank central with both bounds takes the midpoint. The output's relative standard uncertainty
is the root sum of squares of the factors' relative uncertainties (first-order propagation of a product of
independent factors), plus the activity's own ``sigma``. Generated flows are marked ``estimated=True`` and
carry ``activity=<activity id>``; their id is ``<activity id>:<material>``.

>>> import pandas as pd
>>> from mfa.errors import RawTable
>>> acts = RawTable("activities", "activities.csv", pd.DataFrame({
...     "id": ["m"], "process": ["farms"], "activity": ["crop_output:maize"], "value": ["1"],
...     "unit": ["万t/a"], "target": ["yard"]}), [2])
>>> procs = pd.DataFrame({"id": ["farms", "yard"], "kind": ["production", "collection"]})
>>> flows, issues = generate(acts, None, procs, None)
>>> flows.loc[0, ["id", "material"]].tolist(), round(float(flows.loc[0, "value"]), 1)
(['m:straw_maize', 'straw_maize'], 9910.1)
"""

from __future__ import annotations

import functools
import math
import re
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from mfa.errors import Issue, Message, MfaError, RawTable, suggest

if TYPE_CHECKING:
    from mfa.park import Park

__all__ = ["generate", "generated_flows", "shipped_coefficients", "coefficient_table", "COEFFICIENT_COLUMNS",
           "ACTIVITY_COLUMNS"]

ACTIVITY_COLUMNS: tuple[str, ...] = (
    "id", "process", "activity", "value", "unit", "material", "target", "route", "fate", "year", "sigma",
    "note",
)
COEFFICIENT_COLUMNS: tuple[str, ...] = (
    "activity", "key", "material", "parameter", "low", "central", "high", "unit", "source", "process", "note",
)
_TABLES = ("straw.csv", "manure.csv", "industrial.csv")

# Multiplier turning a coefficient in its unit into t per activity unit (t or head), with the unit's
# "dimension": how many per-head and per-day terms it carries, so a product can be checked to give t/a.
_COEF_UNITS: dict[str, tuple[float, int, int]] = {
    "t/t": (1.0, 0, 0), "kg/kg": (1.0, 0, 0), "-": (1.0, 0, 0), "": (1.0, 0, 0), "1": (1.0, 0, 0),
    "%": (0.01, 0, 0), "kg/t": (1e-3, 0, 0),
    "kg/head/d": (1e-3, 1, 1), "t/head/d": (1.0, 1, 1),
    "kg/head/a": (1e-3, 1, 0), "t/head/a": (1.0, 1, 0), "kg/head": (1e-3, 1, 0), "t/head": (1.0, 1, 0),
    "d": (1.0, 0, -1), "d/a": (1.0, 0, -1),
}
# Head counts: the unit of livestock numbers.
_COUNT_UNITS: dict[str, float] = {
    "head": 1.0, "heads": 1.0, "头": 1.0, "只": 1.0, "头只": 1.0, "羽": 1.0,
    "万头": 1e4, "万只": 1e4, "万头只": 1e4, "万羽": 1e4, "10^4 head": 1e4, "1e4 head": 1e4,
}
_VALUE_WITH_UNIT = re.compile(r"^\s*([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)\s*(\S.*)$")
_ACTIVITY_RE = re.compile(r"^([A-Za-z][A-Za-z0-9_]*)(?::([A-Za-z0-9_]+))?$")
_SQRT12 = math.sqrt(12.0)
_SQRT3 = math.sqrt(3.0)


# -- coefficient tables -------------------------------------------------------------------------------
def _read_csv(path) -> pd.DataFrame:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    return frame.apply(lambda s: s.str.strip())


@functools.lru_cache(maxsize=1)
def _shipped_raw() -> tuple[RawTable, ...]:
    from mfa.catalogue import data_path

    out = []
    for name in _TABLES:
        path = data_path("flows", "coefficients", name)
        if not path.is_file():
            continue
        frame = _read_csv(path)
        out.append(RawTable("coefficients", str(path), frame, list(range(2, len(frame) + 2))))
    return tuple(out)


def _parse_coefficients(raw: RawTable, issues: list[Issue], origin: int,
                        process_ids: set[str] | None) -> pd.DataFrame:
    """Typed coefficient rows (low, central, high, factor, sigma_rel) with their location; bad rows
    become issues. ``origin`` 0 = shipped, 1 = park."""
    f = raw.frame
    for col in ("activity", "parameter", "source"):
        if col not in f.columns:
            columns = ",".join(COEFFICIENT_COLUMNS[:-2])
            issues.append(raw.issue(None, col, Message(f"coefficient table has no '{col}' column",
                                                       "coefficients.missing_column", column=col),
                                    suggestion=Message("columns: " + columns, "hint.columns", columns=columns)))
            return pd.DataFrame()
    from mfa.validation import Column, check_columns, grouped_issues

    finite = Message("a coefficient must be a finite number ≥ 0", "coefficients.finite")
    not_name = Message("not an activity name (letters, digits, _)", "coefficients.not_activity_name")
    example = Message("e.g. crop_output with key maize", "hint.activity_name")
    units = ", ".join(x for x in _COEF_UNITS if x)
    checked = check_columns(raw, [
        *(Column(c, "number", low=0.0, range_message=finite) for c in ("low", "central", "high")),
        Column("activity", "pattern", required=True, pattern=_ACTIVITY_RE.pattern.strip("^$"),
               message=not_name, blank_message=not_name, suggestion=example, blank_suggestion=example),
        Column("parameter", required=True, blank_message=Message("missing parameter name", "coefficients.parameter"),
               blank_suggestion=Message("e.g. straw_to_grain", "hint.parameter_name")),
        Column("unit", "choice", choices=tuple(_COEF_UNITS),
               message=Message("unknown coefficient unit", "coefficients.unit"),
               suggestion=lambda u: suggest(u, _COEF_UNITS) or Message("use one of " + units, "hint.use_one_of",
                                                                       choices=units)),
    ], issues)
    bad = checked.bad
    lo, ce, hi = (checked.values[c] for c in ("low", "central", "high"))
    text = {c: (f[c].astype(str).str.strip() if c in f.columns else pd.Series("", index=f.index, dtype="str"))
            for c in COEFFICIENT_COLUMNS}

    def flag(mask: np.ndarray, column: str, message: str, values: Any = None, hint: Any = None) -> None:
        issues.extend(grouped_issues(raw, mask, column, message, values, hint))
        bad[mask] = True

    has_value = ~(np.isnan(lo) & np.isnan(ce) & np.isnan(hi))
    flag(has_value & (text["source"] == "").to_numpy(), "source",
         Message("a coefficient needs its source", "coefficients.source"),
         pd.Series(None, index=f.index, dtype=object),
         Message("a source id from flows/sources.csv, e.g. S60, or a reference", "hint.source_id"))
    with np.errstate(invalid="ignore"):
        flag(~bad & (lo > hi), "low", Message("low is above high", "coefficients.low_above_high"),
             pd.Series([f"{x} > {y}" for x, y in zip(lo, hi)]))
        flag(~bad & ((ce < lo) | (ce > hi)), "central",
             Message("central value outside [low, high]", "coefficients.central_outside"), text["central"])
    if origin == 1 and process_ids is not None:
        flag(((text["process"] != "") & ~text["process"].isin(list(process_ids))).to_numpy(), "process",
             Message("unknown process", "input.unknown_choice", what="process"), text["process"],
             lambda v: suggest(v, process_ids))
    ok = ~bad
    lo, ce, hi = lo[ok], ce[ok], hi[ok]
    both = ~np.isnan(lo) & ~np.isnan(hi)
    ce = np.where(np.isnan(ce) & both, 0.5 * (lo + hi), ce)
    one = np.isnan(lo) ^ np.isnan(hi)
    bound = np.where(np.isnan(lo), hi, lo)
    # uniform on [low, high]; one bound only: uniform and symmetric about the central value; none: exact
    sd = np.where(both, (hi - lo) / _SQRT12, np.where(one, np.abs(ce - bound) / _SQRT3, 0.0))
    unit = text["unit"][ok]
    scale = unit.map({u: v[0] for u, v in _COEF_UNITS.items()}).to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        rel = np.where((ce != 0) & ~np.isnan(ce) & ~np.isnan(sd), sd / ce, 0.0)
    out = pd.DataFrame({
        **{c: text[c][ok].to_numpy() for c in ("activity", "key", "material", "parameter", "unit", "source",
                                                "note")},
        "low": lo, "central": ce, "high": hi,
        "process": text["process"][ok].to_numpy() if origin == 1 else np.full(int(ok.sum()), "", dtype=object),
        "factor": ce * scale, "rel_sigma": rel, "origin": origin, "file": raw.file,
        "row_index": np.flatnonzero(ok),
    })
    out = out[["activity", "key", "material", "parameter", "low", "central", "high", "unit", "source",
               "process", "note", "factor", "rel_sigma", "origin", "file", "row_index"]]
    if len(out):
        # One row per (activity, key, material, parameter, process) in one table.
        keys = ["activity", "key", "material", "parameter", "process"]
        dup = out.duplicated(keys, keep="first")
        for j in np.flatnonzero(dup.to_numpy()):
            r = out.iloc[j]
            issues.append(raw.issue(int(r["row_index"]), "parameter",
                                    Message("duplicate coefficient (same activity, key, material, parameter, process)",
                                            "coefficients.duplicate"),
                                    r["parameter"], Message("keep one row and put the other sources in its note",
                                                            "hint.other_sources_in_note")))
        out = out[~dup].reset_index(drop=True)
    return out


@functools.lru_cache(maxsize=1)
def _shipped() -> pd.DataFrame:
    issues: list[Issue] = []
    frames = [_parse_coefficients(raw, issues, 0, None) for raw in _shipped_raw()]
    if issues:  # a packaging error, not a user error: fail loudly
        raise MfaError("invalid shipped coefficient table:\n" + "\n".join(f"  - {i}" for i in issues))
    frames = [f for f in frames if len(f)]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=list(COEFFICIENT_COLUMNS))


def shipped_coefficients() -> pd.DataFrame:
    """The shipped coefficient tables (``flows/coefficients/*.csv``) as one tidy frame: activity, key,
    material, parameter, low, central, high, unit, source, note, plus ``sigma`` (standard uncertainty in the
    coefficient's unit, by the rule in the module docstring).

    Returns
    -------
    DataFrame

    Examples
    --------
    >>> c = shipped_coefficients()
    >>> c.loc[(c.key == "maize") & (c.parameter == "straw_to_grain"), "central"].item()
    1.147
    """
    s = _shipped()
    out = s[["activity", "key", "material", "parameter", "low", "central", "high", "unit", "source", "note"]]
    out = out.copy()
    out["sigma"] = s["rel_sigma"] * s["central"]
    return out.reset_index(drop=True)


def coefficient_table(park: "Park") -> pd.DataFrame:
    """The coefficients in force for a park: the shipped tables with the park's overrides (column
    ``origin`` = ``shipped`` or ``park``), one row each.

    Parameters
    ----------
    park : mfa.park.Park

    Returns
    -------
    DataFrame
        The coefficient columns plus ``origin``.

    Examples
    --------
    >>> import mfa
    >>> table = coefficient_table(mfa.read_park("bayannur"))
    >>> sorted(set(table["origin"]))
    ['park', 'shipped']
    """
    issues: list[Issue] = []
    parts = [_shipped()]
    own = park.coefficients
    if len(own):
        from mfa.io.frames import raw_from_frame

        parts.append(_parse_coefficients(raw_from_frame("coefficients", own), issues, 1,
                                         set(park.processes["id"])))
    out = pd.concat([p for p in parts if len(p)], ignore_index=True)
    out["origin"] = np.where(out["origin"] == 1, "park", "shipped")
    return out[list(COEFFICIENT_COLUMNS) + ["origin"]].reset_index(drop=True)


# -- generation -------------------------------------------------------------------------------------
def _resolve(coefs: pd.DataFrame, activity: str, key: str, process: str) -> dict[str, dict[str, dict]]:
    """Per output material: the coefficient row in force for each parameter (by the precedence rule).

    Returns {material: {parameter: row}}; parameters given for every material (material blank) are merged
    into each material's set unless the material has its own row for that parameter."""
    sub = coefs[(coefs["activity"] == activity) & coefs["key"].isin(["", key])
                & coefs["process"].isin(["", process])]
    if not len(sub):
        return {}
    # Higher rank wins: park+process (4) > park (2) > shipped (0); +1 for a key-specific row.
    rank = sub["origin"] * 2 + (sub["process"] != "").astype(int) * 2 + (sub["key"] != "").astype(int)
    sub = sub.assign(_rank=rank).sort_values("_rank", ascending=False, kind="stable")
    best = sub.drop_duplicates(["material", "parameter"], keep="first")
    records = best.to_dict("records")  # plain dicts: read once per row of activity data, many times
    common = {r["parameter"]: r for r in records if r["material"] == ""}
    out: dict[str, dict[str, dict]] = {}
    for m in sorted(set(best["material"]) - {""}):
        params = dict(common)
        for r in records:
            if r["material"] == m:
                params[r["parameter"]] = r
        out[m] = params
    return out


def _fmt(x: float) -> str:
    return f"{x:.6g}"


def generate(activities: RawTable, coefficients: RawTable | None, processes: pd.DataFrame,
             info: Any) -> tuple[pd.DataFrame, list[Issue]]:
    """Flows generated from activity data, and every problem found in the activity and coefficient tables.

    ``activities`` and ``coefficients`` are raw tables (every cell a string, rows located); ``processes`` is
    the park's validated process table (id, kind); ``info`` the :class:`~mfa.park.ParkInfo` (its
    ``days_per_year`` converts per-day activity units; its ``year`` fills a blank ``year``) or None.
    Returns the generated flows (park flow columns, values in t/a, ``estimated`` True, ``activity`` = the
    activity id) and the issues (errors and warnings), all at once. See the module docstring for the columns,
    formulas and the uncertainty rule.

    Parameters
    ----------
    activities : RawTable
        The activity table.
    coefficients : RawTable or None
        The park's coefficient overrides.
    processes : DataFrame
        The validated processes (id, kind).
    info : ParkInfo or None

    Returns
    -------
    flows : DataFrame
    issues : list of Issue

    Examples
    --------
    >>> acts = RawTable("activities", "activities.csv", pd.DataFrame({
    ...     "id": ["c"], "process": ["farm"], "activity": ["livestock_head:dairy_cow"], "value": ["100"],
    ...     "unit": ["头"], "target": ["pit"]}), [2])
    >>> flows, issues = generate(acts, None, pd.DataFrame({"id": ["farm", "pit"], "kind": ["production",
    ...                          "treatment"]}), None)
    >>> flows["material"].tolist(), issues
    (['manure_dairy_cow'], [])
    """
    from mfa.units import UnitError, flow_factor

    issues: list[Issue] = []
    _normalise_raw(activities)
    f = activities.frame
    days_per_year = float(getattr(info, "days_per_year", 365.0) or 365.0)
    year_default = getattr(info, "year", None)
    process_ids = set(processes["id"]) if "id" in processes.columns else set()
    kind_of = dict(zip(processes["id"], processes["kind"])) if "kind" in processes.columns else {}

    coefs = _shipped()
    if coefficients is not None and len(coefficients.frame):
        for col in coefficients.frame.columns:
            if col not in COEFFICIENT_COLUMNS and not col.startswith("_"):
                columns = ",".join(COEFFICIENT_COLUMNS)
                issues.append(coefficients.issue(None, col, Message(f"unknown column '{col}'", "park.unknown_column",
                                                                    column=col),
                                                 suggestion=suggest(col, COEFFICIENT_COLUMNS)
                                                 or Message("columns: " + columns, "hint.columns", columns=columns)))
        own = _parse_coefficients(coefficients, issues, 1, process_ids)
        if len(own):
            coefs = pd.concat([coefs, own], ignore_index=True)
    known_activities = sorted(set(coefs["activity"]))
    keys_of = {a: sorted(set(coefs.loc[(coefs["activity"] == a) & (coefs["key"] != ""), "key"]))
               for a in known_activities}

    for col in f.columns:
        if col not in ACTIVITY_COLUMNS and not col.startswith("_"):
            issues.append(activities.issue(None, col, Message(f"unknown column '{col}'", "park.unknown_column",
                                                              column=col),
                                           suggestion=suggest(col, ACTIVITY_COLUMNS) or ACTIVITY_COLUMNS_HINT))
    for col in ("process", "activity", "value", "target"):
        if col not in f.columns:
            issues.append(activities.issue(None, col, Message(f"activity table has no '{col}' column",
                                                              "activities.missing_column", column=col),
                                           suggestion=ACTIVITY_COLUMNS_HINT))
    if any(c not in f.columns for c in ("process", "activity", "value", "target")):
        return pd.DataFrame(columns=_FLOW_OUT), issues

    def _text(v) -> str:
        return "" if v is None or (isinstance(v, float) and v != v) or v is pd.NA else str(v).strip()

    # Plain lists: one conversion per column instead of a DataFrame lookup per cell.
    columns = {c: [_text(v) for v in f[c].tolist()] for c in f.columns}

    def cell(i: int, col: str) -> str:
        values = columns.get(col)
        return values[i] if values is not None else ""

    out_rows: list[dict] = []
    seen_ids: dict[str, int] = {}
    resolved: dict[tuple[str, str, str], dict] = {}
    for i in range(len(f)):
        aid = cell(i, "id") or f"activity{i + 1}"
        if aid in seen_ids:
            issues.append(activities.issue(i, "id", Message("duplicate activity id", "input.duplicate_id",
                                                            what="activity"), aid,
                                           Message(f"first used in data row {seen_ids[aid] + 1}",
                                                   "hint.first_used_data_row", row=seen_ids[aid] + 1)))
            continue
        seen_ids[aid] = i
        bad = False
        proc, target = cell(i, "process"), cell(i, "target")
        for col, pid in (("process", proc), ("target", target)):
            if pid == "":
                issues.append(activities.issue(i, col, Message(f"missing {col}", "input.blank", column=col),
                                               suggestion=Message("the id of a process in processes",
                                                                  "hint.process_id")))
                bad = True
            elif pid not in process_ids:
                issues.append(activities.issue(i, col, Message("unknown process", "input.unknown_choice",
                                                               what="process"), pid, suggest(pid, process_ids)))
                bad = True
        if proc in kind_of and kind_of[proc] not in ("production", "consumption", "treatment"):
            issues.append(activities.issue(
                i, "process", Message(f"generating process is of kind '{kind_of[proc]}', not production, consumption "
                                      "or treatment: its waste will not count as generated in the utilisation rates",
                                      "activities.generating_kind", kind=kind_of[proc]), proc,
                severity="warning"))
        text = cell(i, "activity")
        m = _ACTIVITY_RE.match(text)
        if not m:
            issues.append(activities.issue(i, "activity", Message("not an activity (name or name:key)",
                                                                  "activities.not_activity"), text,
                                           Message("e.g. crop_output:maize, livestock_head:dairy_cow, coal_burned",
                                                   "hint.activity_examples")))
            continue
        act, key = m.group(1), m.group(2) or ""
        if act not in keys_of:
            known = ", ".join(known_activities)
            issues.append(activities.issue(i, "activity", Message("unknown activity", "activities.unknown"), act,
                                           suggest(act, known_activities) or
                                           Message("known: " + known, "hint.known_activities", activities=known)))
            continue
        if keys_of[act] and key not in keys_of[act]:
            keys = ", ".join(act + ":" + k for k in keys_of[act])
            issues.append(activities.issue(
                i, "activity", Message(f"unknown key '{key}' for activity '{act}'", "activities.unknown_key", key=key,
                                       activity=act) if key else
                Message(f"activity '{act}' needs a key", "activities.needs_key", activity=act), text,
                suggest(key, keys_of[act]) or Message(f"one of {keys}; or define the key's coefficients in "
                                                      "coefficients.csv", "hint.activity_keys", keys=keys)))
            continue
        value_text, unit = cell(i, "value"), cell(i, "unit")
        inline = _VALUE_WITH_UNIT.match(value_text)
        if inline and not unit:  # "1.2 万t/a" in the value column, as flows allow
            value_text, unit = inline.group(1), inline.group(2).strip()
        try:
            value = float(value_text)
            if not math.isfinite(value) or value < 0:
                raise ValueError
        except ValueError:
            issues.append(activities.issue(i, "value", Message("activity value must be a number ≥ 0",
                                                               "activities.value"), cell(i, "value"),
                                           Message("e.g. 1.2 with unit 万t/a", "hint.activity_value")))
            continue
        sigma_act = math.nan
        if cell(i, "sigma"):
            try:
                sigma_act = float(cell(i, "sigma"))
                if sigma_act < 0:
                    raise ValueError
            except ValueError:
                issues.append(activities.issue(i, "sigma", Message("uncertainty must be a number ≥ 0",
                                                                   "activities.sigma"), cell(i, "sigma")))
                bad = True
        # Rows share few (activity, key, process) combinations: resolve each once.
        rkey = (act, key, proc)
        if rkey not in resolved:
            resolved[rkey] = _resolve(coefs, act, key, proc)
        outputs = resolved[rkey]
        per_head = any(_COEF_UNITS[r["unit"]][1] for params in outputs.values() for r in params.values())
        if per_head:
            if unit not in _COUNT_UNITS:
                issues.append(activities.issue(i, "unit", Message(f"'{act}' counts animals: the unit is a head count",
                                                                  "activities.head_count", activity=act),
                                               unit, Message("use head, 头, 只, 万头 or 万只", "hint.head_units")))
                continue
            scale = _COUNT_UNITS[unit]
        else:
            try:
                scale = flow_factor(unit or getattr(info, "unit", "t/a") or "t/a", days_per_year)
            except UnitError as e:
                issues.append(activities.issue(i, "unit", e.clause, unit,
                                               Message("use t/a, 万t/a, kt/a, t/d …", "hint.activity_units")))
                continue
        material = cell(i, "material")
        if material and material not in outputs:
            generated = ", ".join(sorted(outputs))
            issues.append(activities.issue(i, "material", Message(f"'{text}' does not generate this material",
                                                                  "activities.not_generated", activity=text),
                                           material, suggest(material, outputs)
                                           or Message("one of " + generated, "hint.one_of", choices=generated)))
            continue
        if bad:
            continue
        year_text = cell(i, "year")
        year: Any = year_default
        if year_text:
            try:
                year = int(float(year_text))
            except ValueError:
                issues.append(activities.issue(i, "year", Message("not a year", "input.not_year"), year_text))
                continue
        if cell(i, "fate"):
            _check_fate(activities, i, cell(i, "fate"), issues)
        base = value * scale
        base_rel = (sigma_act / value) if value and not math.isnan(sigma_act) else 0.0
        for mat in ([material] if material else sorted(outputs)):
            params = outputs[mat]
            missing = [p for p, r in params.items() if math.isnan(r["factor"])]
            if missing:
                p = missing[0]
                r = params[p]
                where = f"{r['activity']}{':' + r['key'] if r['key'] else ''}"
                note = f" ({r['note']})" if r["note"] else ""
                row = (f"activity={r['activity']}, key={r['key']}, material={r['material']}, parameter={p}, "
                       f"central=…, unit={r['unit']}, source=…")
                issues.append(activities.issue(
                    i, "activity", Message(f"no value for coefficient '{p}' of {where} → {mat}{note}",
                                           "activities.no_coefficient", parameter=p, activity=where, material=mat,
                                           note=note), text,
                    Message(f"add a row to the park's coefficients: {row}", "hint.add_coefficient", row=row)))
                continue
            heads = sum(_COEF_UNITS[r["unit"]][1] for r in params.values())
            per_day = sum(_COEF_UNITS[r["unit"]][2] for r in params.values())
            if heads != (1 if per_head else 0) or per_day != 0:
                units = ", ".join(r["parameter"] + " [" + r["unit"] + "]" for r in params.values())
                issues.append(activities.issue(
                    i, "activity", Message(f"coefficient units of {text} → {mat} do not multiply to t/a ({units})",
                                           "activities.units_product", activity=text, material=mat, units=units),
                    text, Message("a per-day coefficient needs a 'days' coefficient (unit d)",
                                  "hint.days_coefficient")))
                continue
            factor = 1.0
            rel2 = base_rel ** 2
            parts = []
            for p in sorted(params):
                r = params[p]
                factor *= r["factor"]
                rel2 += r["rel_sigma"] ** 2
                rng = "no range" if r["rel_sigma"] == 0 else f"σ {_fmt(r['rel_sigma'] * 100)}%"
                parts.append(f"{p} {_fmt(r['central'])} {r['unit']} [{r['source']}; {rng}]")
            val = base * factor
            note = f"estimated from {text} = {_fmt(value)} {unit or 't/a'}: " + " × ".join(parts)
            if act == "crop_output" and "collectable_coef" in params and params["collectable_coef"]["factor"]:
                note += f"; theoretical resource {_fmt(val / params['collectable_coef']['factor'])} t/a"
            if cell(i, "note"):
                note += f"; {cell(i, 'note')}"
            out_rows.append({
                "id": f"{aid}:{mat}", "source": proc, "target": target, "material": mat, "value": val,
                "sigma": val * math.sqrt(rel2), "tc": math.nan, "tc_sigma": math.nan,
                "route": cell(i, "route"), "fate": cell(i, "fate"), "year": year, "note": note,
                "estimated": True, "activity": aid,
            })
    flows = pd.DataFrame(out_rows, columns=_FLOW_OUT)
    flows["year"] = pd.array(flows["year"].tolist(), dtype="Int64") if len(flows) else pd.array([], "Int64")
    for col in ("value", "sigma", "tc", "tc_sigma"):
        flows[col] = flows[col].astype(float)
    flows["estimated"] = flows["estimated"].astype(bool)
    return flows, issues


def generated_flows(tables: Any) -> tuple[pd.DataFrame, list[Issue]]:
    """The generation engine run on a validated park's tables (:class:`mfa.io.frames.ParkTables`): the
    flows its activity data generate and every problem found in the activity and coefficient tables, plus
    one for each generated material that is neither in the catalogue nor in the park's materials.

    Parameters
    ----------
    tables : mfa.io.frames.ParkTables
        What :func:`mfa.io.read_tables` or :func:`mfa.io.frames.park_from_frames` returned.

    Returns
    -------
    flows : DataFrame
        Park flow columns (empty when the park has no activity data).
    issues : list of Issue

    Examples
    --------
    >>> import pandas as pd
    >>> from mfa.io.frames import park_from_frames
    >>> tables = park_from_frames(
    ...     pd.DataFrame({"id": ["farms", "yard"], "name": ["F", "Y"], "kind": ["production", "collection"]}),
    ...     pd.DataFrame({"source": [], "target": [], "material": [], "value": []}),
    ...     activities=pd.DataFrame({"id": ["m"], "process": ["farms"], "activity": ["crop_output:maize"],
    ...                              "value": ["1 万t/a"], "target": ["yard"]}))
    >>> flows, issues = generated_flows(tables)
    >>> flows["id"].tolist(), [i.message for i in issues]
    (['m:straw_maize'], [])
    """
    activities = tables.activities
    if activities is None or not len(activities.frame):
        return pd.DataFrame(columns=_FLOW_OUT), []
    flows, issues = generate(activities, tables.coefficients, tables.processes, tables.info)
    if len(flows):
        for m in sorted(set(flows.loc[~flows["material"].isin(tables.known_materials), "material"])):
            issues.append(Issue(activities.file, Message(f"activity data generate the material '{m}', which is "
                                                         "neither in the catalogue nor in materials",
                                                         "activities.unknown_material", material=m)))
    return flows, issues


def _normalise_raw(activities: RawTable) -> None:
    """Tidy the raw activity table in place: an inline unit ("1.2 万t/a") moves to ``unit``; blank numeric
    cells become missing.

    Work-around for the core reader, which stores ``park.activities`` by casting ``value``/``sigma`` to float
    and ``year`` to Int64 and fails on blank cells and inline units (reported to the lead)."""
    f = activities.frame
    if "value" in f.columns:
        text = f["value"].astype(str)
        parts = text.str.extract(_VALUE_WITH_UNIT)
        has_unit = parts[0].notna()
        if "unit" not in f.columns:
            f["unit"] = ""
        move = has_unit & (f["unit"].astype(str).str.strip() == "")
        if move.any():
            f.loc[move, "value"] = parts.loc[move, 0]
            f.loc[move, "unit"] = parts.loc[move, 1].str.strip()
    for col in ("value", "sigma", "year"):
        if col in f.columns:
            blank = f[col].astype(str).str.strip() == ""
            if blank.any():
                f[col] = f[col].where(~blank, None)


_FLOW_OUT = ["id", "source", "target", "material", "value", "sigma", "tc", "tc_sigma", "route", "fate", "year",
             "note", "estimated", "activity"]


ACTIVITY_COLUMNS_HINT = Message("columns: " + ",".join(ACTIVITY_COLUMNS), "hint.columns",
                                columns=",".join(ACTIVITY_COLUMNS))


def _check_fate(raw: RawTable, i: int, fate: str, issues: list[Issue]) -> None:
    from mfa.conventions import FATES

    if fate and fate not in FATES:
        issues.append(raw.issue(i, "fate", Message("unknown fate", "input.unknown_choice", what="fate"), fate,
                                suggest(fate, FATES) or Message("one of " + ", ".join(FATES), "hint.one_of",
                                                                choices=", ".join(FATES))))
