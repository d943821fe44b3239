"""Turn raw tables (every cell a string, every row located) into a validated :class:`~mfa.park.Park`.

Every reader (CSV folder, YAML, Excel, DataFrames) ends here, so every format gets the same checks and
the same located messages. Checks are vectorised over columns; only rows that fail are visited one by one
to build their messages. All problems are collected and raised together as :class:`~mfa.errors.ParkError`.
"""

from __future__ import annotations

import re
from typing import Any, Mapping

import numpy as np
import pandas as pd

from mfa.conventions import (CATEGORIES, FATES, FLOW_COLUMNS, MATERIAL_COLUMNS,
                             PROCESS_COLUMNS, PROCESS_KINDS, STOCK_COLUMNS)
from mfa.errors import Issue, ParkError, RawTable, suggest

__all__ = ["build_park", "park_from_frames", "raw_from_frame"]

REQUIRED = {
    "processes": ("id", "name", "kind"),
    "flows": ("source", "target", "material", "value"),
    "materials": ("id", "name", "category"),
    "stocks": ("process", "material", "opening", "closing"),
}
KNOWN_COLUMNS = {
    "processes": PROCESS_COLUMNS,
    "flows": tuple(c for c in FLOW_COLUMNS if c != "activity") + ("unit",),
    "materials": MATERIAL_COLUMNS,
    "stocks": STOCK_COLUMNS + ("unit",),
}
_TRUE = {"true", "1", "yes", "y", "t", "是", "√", "x"}
_FALSE = {"false", "0", "no", "n", "f", "否", ""}
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$")
_VALUE_WITH_UNIT = re.compile(r"^\s*([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)\s*(\S.*)$")
_HW = re.compile(r"^HW\d{2}$")
# What may follow a number in a value cell as its unit: it starts like a unit (a letter, 万/亿/吨…, or %)
# — "80,5", "1 000", "5\0" or a date are malformed numbers, not a number with a unit.
_UNIT_START = re.compile(r"^[^\W\d_]")
_DATE = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}([ T].*)?$|^\d{1,2}/\d{1,2}/\d{2,4}$")
_DECIMAL_COMMA = re.compile(r"^[+-]?\d+,\d+$")
_SPACED = re.compile(r"^[+-]?\d{1,3}( \d{3})+(\.\d*)?$")
MAX_SUGGESTIONS = 50
MAX_TONNES = 1e13  # t/a or t: a thousand times the world's yearly material extraction


# -- raw tables from DataFrames -------------------------------------------------------------------
def _cell_text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        if v != v:
            return ""
        return repr(v)
    if isinstance(v, (bool, np.bool_)):
        return "true" if v else "false"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, np.floating):
        return "" if np.isnan(v) else repr(float(v))
    if v is pd.NA or v is pd.NaT:
        return ""
    return str(v)


def raw_from_frame(name: str, frame: pd.DataFrame, file: str | None = None) -> RawTable:
    """A :class:`RawTable` from a DataFrame, rows located as ``name[label]``."""
    file = file or f"{name} (DataFrame)"
    text = pd.DataFrame({str(c): [_cell_text(v) for v in frame[c].tolist()] for c in frame.columns},
                        index=pd.RangeIndex(len(frame)))
    text = text.apply(lambda s: s.str.strip()) if len(text.columns) else text
    rows = [f"{name}[{label}]" for label in frame.index]
    return RawTable(name, file, text, rows)


# -- column helpers ---------------------------------------------------------------------------------
class _Checker:
    """Validates the columns of one raw table, collecting issues."""

    def __init__(self, raw: RawTable, issues: list[Issue]):
        self.raw = raw
        self.f = raw.frame
        self.issues = issues
        self.n = len(raw.frame)

    def add(self, mask: np.ndarray, column: str, message: str, values: pd.Series | None = None,
            suggestion=None) -> None:
        idx = np.flatnonzero(np.asarray(mask))
        if not len(idx):
            return
        vals = values if values is not None else self.text(column)
        # A suggestion is computed once per distinct value, and only for the first few: 10⁵ rows naming
        # 10³ unknown processes must not cost 10⁵ (or 10³) fuzzy searches over every id.
        cache: dict = {}
        for i in idx:
            v = vals.iat[i]
            if callable(suggestion):
                if v not in cache:
                    cache[v] = suggestion(v) if len(cache) < MAX_SUGGESTIONS else None
                s = cache[v]
            else:
                s = suggestion
            self.issues.append(self.raw.issue(int(i), column, message, v, s))

    def has(self, column: str) -> bool:
        return column in self.f.columns

    def text(self, column: str) -> pd.Series:
        if column in self.f.columns:
            return self.f[column].astype(str)
        return pd.Series([""] * self.n, index=self.f.index, dtype=object)

    def required(self, columns: tuple[str, ...]) -> bool:
        ok = True
        present = list(self.f.columns)
        for c in columns:
            if c not in present:
                ok = False
                self.issues.append(Issue(self.raw.file, f"missing required column '{c}'", column=c,
                                         suggestion=suggest(c, present)
                                         or f"add a column '{c}' (columns found: {', '.join(present) or 'none'})",
                                         path=(f"{self.raw.name}[*].{c}" if self.raw.rows
                                               and isinstance(self.raw.rows[0], str) else None)))
        return ok

    def numbers(self, column: str, *, nonnegative: bool = True, what: str = "a number",
                allow_unit: bool = False) -> tuple[np.ndarray, pd.Series]:
        """Parsed floats (NaN where blank or bad) and, with ``allow_unit``, any unit written in the cell."""
        s = self.text(column)
        blank = s == ""
        formula = s.str.startswith("=")
        cleaned = s.where(~s.str.match(_THOUSANDS), s.str.replace(",", "", regex=False))
        num = pd.to_numeric(cleaned.where(~blank & ~formula, None), errors="coerce").astype(float)
        inline_unit = pd.Series([""] * self.n, index=s.index, dtype=object)
        bad = (~blank & num.isna()).to_numpy().copy()
        if allow_unit and bad.any():
            m = s[bad].str.extract(_VALUE_WITH_UNIT)
            ok = m[0].notna() & (~formula[bad]) & m[1].fillna("").str.match(_UNIT_START)
            if ok.any():
                num.loc[m.index[ok]] = m.loc[ok, 0].astype(float)
                inline_unit.loc[m.index[ok]] = m.loc[ok, 1].str.strip()
                bad = (~blank & num.isna()).to_numpy().copy()
        values = num.to_numpy(dtype=float, copy=True)
        if formula.any():
            self.add(formula.to_numpy(), column, "Excel formulas are not evaluated",
                     suggestion="enter the number itself (copy, paste as values)")
            bad &= ~formula.to_numpy()
        literal_nan = bad & s.str.lower().isin(["nan", "na", "n/a", "null", "none", "-"]).to_numpy()
        self.add(literal_nan, column, f"'{what}' expected, not a missing-value marker",
                 suggestion="leave the cell blank if the value is unknown")
        self.add(bad & ~literal_nan, column, f"not {what}", suggestion=_number_hint)
        inf = np.isinf(values)
        self.add(inf, column, "infinite value")
        values[inf] = np.nan
        if nonnegative:
            neg = values < 0
            self.add(neg, column, "negative value; flows and stocks are never negative",
                     suggestion="reverse the flow (swap source and target) if it runs the other way")
        return values, inline_unit

    def ids(self, column: str, table: str) -> pd.Series:
        s = self.text(column)
        self.add((s == "").to_numpy(), column, f"blank {column}")
        dup = s.duplicated(keep=False) & (s != "")
        if dup.any():
            first = {}
            for i in np.flatnonzero(dup.to_numpy()):
                v = s.iat[i]
                if v in first:
                    self.issues.append(self.raw.issue(int(i), column, f"duplicate {table} id", v,
                                                      f"already used at {self._loc(first[v])}"))
                else:
                    first[v] = int(i)
        return s

    def _loc(self, i: int) -> str:
        loc = self.raw.rows[i]
        return loc if isinstance(loc, str) else f"row {loc}"

    def choice(self, column: str, allowed, what: str, *, blank_ok: bool = False) -> pd.Series:
        s = self.text(column)
        bad = ~s.isin(list(allowed))
        if blank_ok:
            bad &= s != ""
        self.add(bad.to_numpy(), column, f"unknown {what}",
                 suggestion=lambda v: suggest(v, allowed) or f"use one of: {', '.join(sorted(allowed))}")
        return s

    def booleans(self, column: str) -> np.ndarray:
        s = self.text(column).str.lower()
        bad = ~s.isin(_TRUE | _FALSE)
        self.add(bad.to_numpy(), column, "not true/false", suggestion="write true or false")
        return s.isin(_TRUE).to_numpy()


def _number_hint(v: str) -> str | None:
    """What is wrong with a cell that is not a number, where it is obvious."""
    if _DECIMAL_COMMA.match(v):
        return f"write the decimal separator as a point: {v.replace(',', '.')}"
    if _SPACED.match(v):
        return f"write the number without spaces: {v.replace(' ', '')}"
    if _DATE.match(v):
        return "this looks like a date; enter the number itself (format the cell as a number)"
    if any(ord(ch) < 32 for ch in v):
        return "the cell holds a control character; type the number again"
    return None


def _out_of_range(c: "_Checker", values: np.ndarray, column: str, unit: str) -> np.ndarray:
    """Flag values that overflow, or exceed any plausible amount, once converted; they become NaN."""
    with np.errstate(invalid="ignore", over="ignore"):
        bad = ~np.isfinite(values) & ~np.isnan(values) | (np.abs(values) > MAX_TONNES)
    c.add(bad, column, f"value out of range once converted to {unit} (more than {MAX_TONNES:.0e} {unit})",
          suggestion="check the number and its unit")
    out = values.copy()
    out[bad] = np.nan
    return out


# -- tables -----------------------------------------------------------------------------------------
def _info(raw_info: Any, issues: list[Issue], file: str):
    from pydantic import ValidationError

    from mfa.park import ParkInfo

    if raw_info is None:
        return ParkInfo()
    if isinstance(raw_info, ParkInfo):
        return raw_info
    if isinstance(raw_info, RawTable):
        data, where = {}, {}
        f = raw_info.frame
        if not {"key", "value"} <= set(f.columns):
            issues.append(Issue(raw_info.file, "park metadata needs the columns 'key' and 'value'"))
            return ParkInfo()
        for i, (k, v) in enumerate(zip(f["key"], f["value"])):
            if k == "":
                continue
            if k in where:
                issues.append(raw_info.issue(i, "key", "duplicate park setting", k,
                                             f"already given at {_where(raw_info, where[k])}"))
                continue
            if v != "":
                data[k] = v
            where[k] = i
        loc = lambda key: raw_info.issue(where.get(key), "value" if key in where else "key", "")  # noqa: E731
    else:
        data = {str(k): v for k, v in dict(raw_info).items() if v is not None}
        where = {}
        loc = None
    try:
        info = ParkInfo(**data)
    except ValidationError as exc:
        for err in exc.errors():
            key = str(err["loc"][0]) if err["loc"] else ""
            msg = err["msg"]
            sugg = None
            if err["type"] == "extra_forbidden":
                msg = f"unknown park setting '{key}'"
                sugg = suggest(key, ParkInfo.model_fields) or "known settings: " + ", ".join(ParkInfo.model_fields)
            if isinstance(raw_info, RawTable):
                base = loc(key)
                issues.append(Issue(base.file, msg, row=base.row, column=base.column, value=data.get(key),
                                    suggestion=sugg, path=base.path))
            else:
                issues.append(Issue(file, msg, value=data.get(key), suggestion=sugg, path=f"park.{key}"))
        info = ParkInfo(**{k: v for k, v in data.items()
                           if k in ParkInfo.model_fields and not any(
                               str(e["loc"][0]) == k for e in exc.errors() if e["loc"])})
    from mfa.units import UnitError, flow_factor

    try:
        flow_factor(info.unit, info.days_per_year)
    except UnitError as e:
        issues.append(Issue(file, f"park default unit: {e}", column="unit", value=info.unit,
                            path="park.unit"))
        info = info.model_copy(update={"unit": "t/a"})
    return info


def _where(raw: RawTable, i: int) -> str:
    loc = raw.rows[i]
    return loc if isinstance(loc, str) else f"row {loc}"


# Values Excel shows for a formula that failed; in a cell they are never an id, a name or a number.
EXCEL_ERRORS = frozenset({"#REF!", "#N/A", "#VALUE!", "#DIV/0!", "#NAME?", "#NUM!", "#NULL!", "#SPILL!",
                          "#CALC!", "#GETTING_DATA", "#FIELD!", "#BLOCKED!", "#CONNECT!", "#BUSY!", "#UNKNOWN!",
                          "#N/A!"})


def _check_cells(raw: RawTable, issues: list[Issue]) -> RawTable:
    """Refuse Excel error values and cells longer than MAX_CELL (blanked, so that no later check spends
    time on them)."""
    from mfa.io.limits import MAX_CELL

    frame = raw.frame
    changed = False
    for col in frame.columns:
        s = frame[col]
        if not len(s):
            continue
        text = s.astype(str)
        err = text.str.startswith("#")
        if err.any():
            err &= text.where(err, "").str.upper().isin(EXCEL_ERRORS)
        for i in np.flatnonzero(err.to_numpy()):
            issues.append(raw.issue(int(i), str(col), "an Excel error value, not data", text.iat[i],
                                    "correct the formula in the original sheet, then paste the values"))
        long = (text.str.len() > MAX_CELL).to_numpy()
        for i in np.flatnonzero(long):
            issues.append(raw.issue(int(i), str(col), f"a cell of {len(text.iat[i]):,} characters: more than "
                                    f"a cell holds ({MAX_CELL:,})", text.iat[i]))
        bad = err.to_numpy() | long
        if bad.any():
            if not changed:
                frame = frame.copy()
                changed = True
            frame[col] = s.where(~bad, "")
    return RawTable(raw.name, raw.file, frame, raw.rows) if changed else raw


def _materials(raw: RawTable | None, issues: list[Issue]) -> pd.DataFrame:
    cols = list(MATERIAL_COLUMNS)
    if raw is None or len(raw.frame.columns) == 0:
        return pd.DataFrame({c: pd.Series(dtype=bool if c == "bulk" else object) for c in cols})
    c = _Checker(raw, issues)
    if not c.required(REQUIRED["materials"]):
        return pd.DataFrame({col: pd.Series(dtype=object) for col in cols})
    out = pd.DataFrame({
        "id": c.ids("id", "material"),
        "name": c.text("name"),
        "name_zh": c.text("name_zh"),
        "category": c.choice("category", CATEGORIES, "material category"),
        "bulk": c.booleans("bulk"),
        "hw_code": c.text("hw_code").str.upper(),
        "source": c.text("source"),
        "note": c.text("note"),
    })
    bad_hw = (out["hw_code"] != "") & ~out["hw_code"].str.match(_HW)
    c.add(bad_hw.to_numpy(), "hw_code", "hazardous-waste code must look like HW08",
          suggestion="use the category code of the National Hazardous Waste List (2021), HW01–HW50")
    return out


def _processes(raw: RawTable | None, issues: list[Issue]) -> pd.DataFrame:
    cols = list(PROCESS_COLUMNS)
    if raw is None:
        issues.append(Issue("processes", "no processes given"))
        return pd.DataFrame({col: pd.Series(dtype=object) for col in cols})
    c = _Checker(raw, issues)
    if c.n == 0:
        issues.append(Issue(raw.file, "no processes: the table has no rows"))
    if not c.required(REQUIRED["processes"]):
        return pd.DataFrame({col: pd.Series(dtype=object) for col in cols})
    ids = c.ids("id", "process")
    name = c.text("name")
    x, _ = c.numbers("x", nonnegative=False, what="a coordinate")
    y, _ = c.numbers("y", nonnegative=False, what="a coordinate")
    cap, _ = c.numbers("capacity", what="a capacity in t/a")
    cap = _out_of_range(c, cap, "capacity", "t/a")
    return pd.DataFrame({
        "id": ids, "name": name.where(name != "", ids), "name_zh": c.text("name_zh"),
        "kind": c.choice("kind", PROCESS_KINDS, "process kind"), "group": c.text("group"),
        "x": x, "y": y, "capacity": cap, "note": c.text("note"), "fate": _process_fates(c),
    })


def _process_fates(c: "_Checker") -> pd.Series:
    """The optional ``fate`` of a process: what happens to waste it receives (another park's cement plant:
    utilised; a licensed handler: disposed). Only kinds that end waste may carry one."""
    from mfa.conventions import FATE_PROCESS_KINDS, FATES

    fate = c.choice("fate", FATES, "fate", blank_ok=True)
    kind = c.text("kind")
    wrong = ((fate != "") & kind.isin(PROCESS_KINDS) & ~kind.isin(FATE_PROCESS_KINDS)).to_numpy()
    c.add(wrong, "fate", "a fate is for processes that end waste (export, landfill, treatment, environment, "
          "production, consumption); collection and storage pass their waste on",
          suggestion="leave it blank, or put the fate on the flows leaving this process")
    return fate


def _flow_ids(source: pd.Series, target: pd.Series, material: pd.Series, route: pd.Series,
              given: pd.Series) -> pd.Series:
    """Stable default ids: ``source>target:material``, then ``:route``, then ``#k`` for repeats."""
    auto = (given == "").to_numpy()
    if not auto.any():
        return given
    ids = given.to_numpy(dtype=object).copy()
    a = np.flatnonzero(auto)
    base = (source.iloc[a] + ">" + target.iloc[a] + ":" + material.iloc[a]).to_numpy(dtype=object)
    ids[a] = base
    out = pd.Series(ids, index=given.index, dtype=object)
    taken = set(given[~auto])
    dup = auto & (out.duplicated(keep=False).to_numpy() | out.isin(taken).to_numpy())
    if dup.any():
        d = np.flatnonzero(dup)
        r = route.iloc[d].to_numpy(dtype=object)
        with_route = np.where(r != "", out.iloc[d].to_numpy(dtype=object) + ":" + r, out.iloc[d].to_numpy(dtype=object))
        out.iloc[d] = with_route
        dup = auto & (out.duplicated(keep=False).to_numpy() | out.isin(taken).to_numpy())
        if dup.any():
            d = np.flatnonzero(dup)
            sub = out.iloc[d]
            k = sub.groupby(sub).cumcount() + 1
            out.iloc[d] = sub + "#" + k.astype(str)
    return out


def _material_hint(value: str, known: set[str]) -> str:
    """A suggestion for an unknown material: the close ids and the close Chinese names (粉煤灰 (fly_ash))."""
    from mfa.catalogue import material_aliases

    by_name = suggest(value, known)
    names = material_aliases()
    close = [n for n in names if value and (value in n or n in value)][:5]
    zh = ", ".join(f"{n} ({names[n]})" for n in close)
    hints = [h for h in (by_name, ("Chinese names: " + zh) if zh else "") if h]
    return "; ".join(hints) or ("define it in materials, or give its catalogue id or Chinese name "
                                "(flows/materials.csv)")


def _flows(raw: RawTable | None, issues: list[Issue], processes: pd.DataFrame, known_materials: set[str],
           info) -> pd.DataFrame:
    cols = list(FLOW_COLUMNS)
    empty = pd.DataFrame({col: pd.Series(dtype=object) for col in cols})
    if raw is None:
        issues.append(Issue("flows", "no flows given"))
        return empty
    c = _Checker(raw, issues)
    if c.n == 0:
        issues.append(Issue(raw.file, "no flows: the table has no rows"))
    if not c.required(REQUIRED["flows"]):
        return empty
    from mfa.units import UnitError, flow_factor

    pids = processes["id"].tolist() if len(processes) else []
    kind_of = dict(zip(processes["id"], processes["kind"])) if len(processes) else {}
    source = c.text("source")
    target = c.text("target")
    material = c.text("material")
    for col, s, choices, what in (("source", source, pids, "process"), ("target", target, pids, "process"),
                                  ("material", material, known_materials, "material")):
        blank = s == ""
        c.add(blank.to_numpy(), col, f"blank {col}")
        unknown = ~blank & ~s.isin(list(choices))
        if unknown.any():
            c.add(unknown.to_numpy(), col, f"unknown {what}",
                  suggestion=(lambda v, ch=choices, w=what: (_material_hint(v, ch) if w == "material"
                                                              else suggest(v, ch) or "define it in processes")))
    c.add(((source == target) & (source != "")).to_numpy(), "target", "self-loop: source and target are the same process")
    skind = source.map(kind_of).fillna("")
    tkind = target.map(kind_of).fillna("")
    c.add((tkind == "import").to_numpy(), "target", "a flow into an import process",
          suggestion="imports only send material into the park; use an export or landfill process instead")
    c.add((skind == "export").to_numpy(), "source", "a flow out of an export process",
          suggestion="exports only receive material; use an import process as the source")

    value, inline = c.numbers("value", allow_unit=True)
    unit = c.text("unit")
    unit = unit.where(unit != "", inline)
    both = (c.text("unit") != "") & (inline != "")
    c.add(both.to_numpy(), "value", "a unit is written both in 'value' and in 'unit'", suggestion="keep one")
    unit = unit.where(unit != "", info.unit)
    factors = np.ones(c.n)
    codes, uniques = pd.factorize(unit, sort=False)
    for k, u in enumerate(uniques):
        try:
            factors[codes == k] = flow_factor(u, info.days_per_year)
        except UnitError as e:
            factors[codes == k] = np.nan
            msg = str(e)
            c.add(codes == k, "unit", msg.split(" (")[0] if "unknown" in msg else msg,
                  suggestion="use t/a, t/d, kt/a, 万t/a, 万吨/年, kg/h …")

    sigma_text = c.text("sigma")
    pct = sigma_text.str.endswith("%")
    sigma_num = sigma_text.where(~pct, sigma_text.str.rstrip("%").str.strip())
    sig_raw = RawTable(raw.name, raw.file, pd.DataFrame({"sigma": sigma_num}), raw.rows)
    sig, _ = _Checker(sig_raw, issues).numbers("sigma", nonnegative=False, what="a standard uncertainty")
    neg = sig < 0
    c.add(neg, "sigma", "negative standard uncertainty")
    sig[neg] = np.nan
    pct_np = pct.to_numpy()
    no_base = pct_np & np.isnan(value) & ~np.isnan(sig)
    c.add(no_base, "sigma", "a percentage uncertainty needs a value", suggestion="give sigma in t/a for an unknown flow, or give the value")
    with np.errstate(invalid="ignore", over="ignore"):
        sigma = np.where(pct_np, sig / 100.0 * value * factors, sig * factors)
        value = value * factors
    value = _out_of_range(c, value, "value", "t/a")
    sigma = _out_of_range(c, sigma, "sigma", "t/a")

    tc, _ = c.numbers("tc", what="a transfer coefficient")
    c.add(tc > 1, "tc", "transfer coefficient outside [0, 1]", suggestion="tc is a share of the source's input, e.g. 0.35")
    tc_sigma, _ = c.numbers("tc_sigma", what="a standard uncertainty")
    fate = c.choice("fate", FATES, "fate", blank_ok=True)
    tc_given = ~np.isnan(tc)
    if tc_given.any():
        by_source = source.to_numpy()
        sums = pd.Series(np.where(tc_given, tc, 0.0)).groupby(by_source).transform("sum").to_numpy()
        # measured coefficients may sum a little above 1 (reconciliation adjusts them): allow 3 σ of the sum
        var = np.where(tc_given & ~np.isnan(tc_sigma), np.nan_to_num(tc_sigma) ** 2, 0.0)
        allowance = 3 * np.sqrt(pd.Series(var).groupby(by_source).transform("sum").to_numpy())
        over = tc_given & (sums > 1 + allowance + 1e-9)
        c.add(over, "tc", "transfer coefficients of this flow's source add up to more than 1",
              values=pd.Series([f"{v:g} (sum {t:.6g})" for v, t in zip(tc, sums)]) if over.any() else None,
              suggestion="the tc of a process's outgoing flows are shares of its input; together at most 1")
    year_num, _ = c.numbers("year", nonnegative=False, what="a year")
    bad_year = ~np.isnan(year_num) & (year_num != np.round(year_num))
    c.add(bad_year, "year", "not a whole year")
    far = ~np.isnan(year_num) & ~bad_year & ((year_num < 1900) | (year_num > 2200))
    c.add(far, "year", "year outside 1900–2200")
    year_num[bad_year | far] = np.nan
    route = c.text("route")
    est = c.booleans("estimated") if c.has("estimated") else np.zeros(c.n, dtype=bool)
    ids = _flow_ids(source, target, material, route, c.text("id"))
    explicit = c.text("id") != ""
    dup = ids.duplicated(keep=False) & explicit
    if dup.any():
        c.ids("id", "flow")  # reports the duplicates among explicit ids with their first place
    return pd.DataFrame({
        "id": ids, "source": source, "target": target, "material": material,
        "value": value, "sigma": sigma, "tc": tc, "tc_sigma": tc_sigma, "route": route,
        "fate": fate, "year": pd.array(np.where(np.isnan(year_num), None, year_num), dtype="Int64"),
        "note": c.text("note"), "estimated": est, "activity": pd.Series([""] * c.n, dtype=object),
    })


def _stocks(raw: RawTable | None, issues: list[Issue], processes: pd.DataFrame,
            known_materials: set[str]) -> pd.DataFrame:
    cols = list(STOCK_COLUMNS)
    if raw is None or len(raw.frame.columns) == 0:
        return pd.DataFrame({c: pd.Series(dtype=float if c in ("opening", "closing") else object) for c in cols})
    c = _Checker(raw, issues)
    if not c.required(REQUIRED["stocks"]):
        return pd.DataFrame({col: pd.Series(dtype=object) for col in cols})
    from mfa.units import UnitError, stock_factor

    proc = c.choice("process", processes["id"].tolist() if len(processes) else [], "process")
    mat = c.choice("material", known_materials, "material")
    opening, _ = c.numbers("opening", what="a stock in t")
    closing, _ = c.numbers("closing", what="a stock in t")
    sigma, _ = c.numbers("sigma", what="a standard uncertainty of the stock in t")
    unit = c.text("unit")
    unit = unit.where(unit != "", "t")
    factors = np.ones(c.n)
    codes, uniques = pd.factorize(unit, sort=False)
    for k, u in enumerate(uniques):
        try:
            factors[codes == k] = stock_factor(u)
        except UnitError as e:
            c.add(codes == k, "unit", str(e))
    key = proc + "\x00" + mat
    dup = key.duplicated(keep="first")
    c.add(dup.to_numpy(), "material", "duplicate stock row for this process and material",
          suggestion="give one row per process and material")
    with np.errstate(invalid="ignore", over="ignore"):
        opening, closing, sigma = opening * factors, closing * factors, sigma * factors
    opening = _out_of_range(c, opening, "opening", "t")
    closing = _out_of_range(c, closing, "closing", "t")
    sigma = _out_of_range(c, sigma, "sigma", "t")
    return pd.DataFrame({"process": proc, "material": mat, "opening": opening,
                         "closing": closing, "note": c.text("note"), "sigma": sigma})


def _effective_materials(own: pd.DataFrame, used: set[str]) -> pd.DataFrame:
    from mfa.catalogue import materials as catalogue

    cat = catalogue()
    cat = cat[cat["id"].isin(used) & ~cat["id"].isin(set(own["id"]))]
    out = pd.concat([cat[list(MATERIAL_COLUMNS)], own[list(MATERIAL_COLUMNS)]], ignore_index=True)
    out["bulk"] = out["bulk"].astype(bool)
    return out.sort_values("id", kind="stable").reset_index(drop=True)


_NUMERIC = {"x", "y", "capacity", "value", "sigma", "tc", "tc_sigma", "opening", "closing"}


def _canonical(frame: pd.DataFrame, columns) -> pd.DataFrame:
    """Fixed column order and dtypes (float for numbers, bool, Int64 year, str for text) so that equal
    parks compare equal whatever format they came from."""
    out = {}
    n = len(frame)
    for c in columns:
        s = frame[c] if c in frame.columns else pd.Series([None] * n, index=frame.index)
        if c in _NUMERIC:
            out[c] = s.astype(float)
        elif c in ("estimated", "bulk"):
            out[c] = s.fillna(False).astype(bool)
        elif c == "year":
            out[c] = s.astype("Int64")
        else:
            out[c] = s.fillna("").astype(str)
    return pd.DataFrame(out, index=frame.index).reset_index(drop=True)


def _tidy_free_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Free-form tables (activities, coefficients) keep the dtypes their engine gave them; text columns
    get "" for blanks, so that the same table read from any format compares equal."""
    out = frame.reset_index(drop=True).copy()
    for c in out.columns:
        if not (pd.api.types.is_numeric_dtype(out[c]) or pd.api.types.is_bool_dtype(out[c])):
            out[c] = out[c].fillna("").astype(str)
    return out


def _chinese_names(tables: dict) -> dict:
    """Process kinds and materials typed in Chinese become their ids: 生产 → production, 粉煤灰 → fly_ash
    (a catalogue ``name_zh``, or a park material's own ``name_zh``, or a common name of
    ``flows/material_aliases.csv``). An id is never re-read as a name."""
    from mfa.catalogue import material_aliases, materials as catalogue
    from mfa.conventions import KIND_NAMES_ZH

    kinds = {zh: kind for kind, names in KIND_NAMES_ZH.items() for zh in names}
    names = material_aliases()
    ids = set(catalogue()["id"])
    own = tables.get("materials")
    if own is not None and {"id", "name_zh"} <= set(own.frame.columns):
        ids |= set(own.frame["id"].astype(str).str.strip())
        zh = own.frame["name_zh"].astype(str).str.strip()
        names.update({z: i for z, i in zip(zh, own.frame["id"].astype(str).str.strip()) if z})
    out = dict(tables)

    def translate(raw: RawTable | None, column: str, mapping: dict, keep: set) -> RawTable | None:
        if raw is None or column not in raw.frame.columns:
            return raw
        col = raw.frame[column].astype(str)
        stripped = col.str.strip()
        hit = ~stripped.isin(keep) & stripped.isin(list(mapping))
        if not hit.any():
            return raw
        frame = raw.frame.copy()
        frame.loc[hit, column] = stripped[hit].map(mapping)
        return RawTable(raw.name, raw.file, frame, raw.rows)

    out["processes"] = translate(out.get("processes"), "kind", kinds, set(PROCESS_KINDS))
    for name in ("flows", "stocks", "activities"):
        out[name] = translate(out.get(name), "material", names, ids)
    return out


def build_park(tables: Mapping[str, RawTable | None], info: Any, source: str, year: int | None = None):
    """Validate raw tables and build a Park, or raise :class:`ParkError` with every problem.

    ``year``: keep only the rows of that period and make it the reporting year; without it, rows of more
    than one period are an error (see :mod:`mfa.io.periods`)."""
    from mfa.io.periods import select_period
    from mfa.catalogue import materials as catalogue
    from mfa.park import Park

    issues: list[Issue] = []
    tables = {name: (_check_cells(raw, issues) if raw is not None else None) for name, raw in tables.items()}
    if isinstance(info, RawTable):
        info = _check_cells(info, issues)
    for name, raw in tables.items():
        if raw is None:
            continue
        if len(raw.frame.columns) and name in KNOWN_COLUMNS:
            for col in raw.frame.columns:
                if col not in KNOWN_COLUMNS[name] and not col.startswith("_"):
                    close = suggest(col, KNOWN_COLUMNS[name])
                    if close:
                        issues.append(Issue(raw.file, f"unknown column '{col}'", column=col,
                                            suggestion=close))
    park_info = _info(info, issues, source)
    tables = _chinese_names(tables)
    tables, park_info, period_issues = select_period(tables, park_info, year, source)
    issues.extend(period_issues)
    own = _materials(tables.get("materials"), issues)
    known = set(catalogue()["id"]) | set(own["id"])
    processes = _processes(tables.get("processes"), issues)
    flows = _flows(tables.get("flows"), issues, processes, known, park_info)
    stocks = _stocks(tables.get("stocks"), issues, processes, known)
    activities = tables.get("activities")
    coefficients = tables.get("coefficients")
    act_frame = activities.frame if activities is not None else pd.DataFrame()
    coef_frame = coefficients.frame if coefficients is not None else pd.DataFrame()
    if activities is not None and len(activities.frame):
        try:
            from mfa.generation import generate
        except ImportError:  # the generation engine is optional for the core
            issues.append(Issue(activities.file, "activity data given but mfa.generation is not available"))
        else:
            generated, gen_issues = generate(activities, coefficients, processes, park_info)
            issues.extend(gen_issues)
            if len(generated):
                generated = generated.reindex(columns=list(FLOW_COLUMNS))
                bad_mat = ~generated["material"].isin(known)
                for m in sorted(set(generated.loc[bad_mat, "material"])):
                    issues.append(Issue(activities.file, f"activity data generate the material '{m}', "
                                        "which is neither in the catalogue nor in materials"))
                flows = pd.concat([flows, generated], ignore_index=True)
    errors = [i for i in issues if i.severity == "error"]
    if errors:
        raise ParkError(errors)
    dup = flows["id"].duplicated(keep="first")
    if dup.any():
        raise ParkError([Issue(source, "duplicate flow id (a generated flow has the id of another flow)",
                               column="id", value=v) for v in flows.loc[dup, "id"]])
    used = set(flows["material"]) | set(stocks["material"])
    park = Park(processes=_canonical(processes, PROCESS_COLUMNS), flows=_canonical(flows, FLOW_COLUMNS),
                materials=_canonical(_effective_materials(own, used), MATERIAL_COLUMNS),
                stocks=_canonical(stocks, STOCK_COLUMNS), info=park_info,
                activities=_tidy_free_table(act_frame), coefficients=_tidy_free_table(coef_frame))
    park._cache["warnings"] = [i for i in issues if i.severity != "error"]
    return park


def park_from_frames(processes, flows, materials=None, stocks=None, info=None, activities=None,
                     coefficients=None, year=None):
    """Validate DataFrames and build a Park (see :meth:`mfa.park.Park.from_frames`)."""
    tables: dict[str, RawTable | None] = {}
    for name, frame in (("processes", processes), ("flows", flows), ("materials", materials),
                        ("stocks", stocks), ("activities", activities), ("coefficients", coefficients)):
        if frame is None or (len(frame) == 0 and len(frame.columns) == 0 and name not in ("processes", "flows")):
            tables[name] = None
            continue
        if name == "flows" and "activity" in frame.columns:
            frame = frame[frame["activity"].fillna("").astype(str) == ""].drop(columns=["activity"])
        tables[name] = raw_from_frame(name, frame)
    if info is not None and not isinstance(info, Mapping):
        info = info.model_dump() if hasattr(info, "model_dump") else dict(info)
    return build_park(tables, info, "DataFrames", year=year)
