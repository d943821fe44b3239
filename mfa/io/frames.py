"""Turn raw tables (every cell a string, every row located) into a validated :class:`~mfa.park.Park`.

Every reader (CSV folder, YAML, Excel, DataFrames) ends here, so every format gets the same checks and
the same located messages. Checks are vectorised over columns; only rows that fail are visited one by one
to build their messages. All problems are collected and raised together as :class:`~mfa.errors.ParkError`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable, Collection, Mapping

import numpy as np
import pandas as pd

from mfa.conventions import (CATEGORIES, FATES, FLOW_COLUMNS, LIFETIME_COLUMNS, MATERIAL_COLUMNS,
                             PROCESS_COLUMNS, PROCESS_KINDS, STOCK_COLUMNS)
from mfa.errors import Issue, Message, ParkError, RawTable, suggest
from mfa.validation import TableChecker, cell_text, grouped_issues, in_set, row_of, use_one_of


__all__ = ["ParkTables", "validate_tables", "prepare_series", "park_from_frames", "park_settings", "raw_from_frame",
           "raw_tables_from_frames"]

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
    "stocks": STOCK_COLUMNS + ("unit", "year"),
    "lifetimes": LIFETIME_COLUMNS,
}
_HW = re.compile(r"^HW\d{2}$")
_TEXT = pd.Series([], dtype=str).astype(str).dtype  # what ``astype(str)`` makes
MAX_TONNES = 1e13  # t/a or t: a thousand times the world's yearly material extraction
DEFINE_PROCESS = Message("define it in processes", "hint.define_process")
FLOW_UNITS_HINT = Message("use t/a, t/d, kt/a, 万t/a, 万吨/年, kg/h …", "hint.flow_units")


# -- raw tables from DataFrames -------------------------------------------------------------------
def raw_from_frame(name: str, frame: pd.DataFrame, file: str | None = None) -> RawTable:
    """A :class:`RawTable` from a DataFrame, rows located as ``name[label]``.

    Parameters
    ----------
    name : str
        The table (``flows``…).
    frame : DataFrame
        Any cells; numbers become their text.
    file : str, optional
        The name in messages (default ``"<name> (DataFrame)"``).

    Returns
    -------
    RawTable

    Examples
    --------
    >>> raw = raw_from_frame("flows", pd.DataFrame({"value": [1.5, None]}))
    >>> raw.frame["value"].tolist(), raw.rows
    (['1.5', ''], ['flows[0]', 'flows[1]'])
    """
    file = file or f"{name} (DataFrame)"
    cells = {str(c): _column_text(frame[c]) for c in frame.columns}
    text = pd.DataFrame({c: v for c, (v, _) in cells.items()}, index=pd.RangeIndex(len(frame)))
    for c, (_, written) in cells.items():
        if written and len(text):  # the text of a number or a bool has no blanks around it; written text may
            text[c] = text[c].str.strip()
    rows = [f"{name}[{label}]" for label in frame.index]
    return RawTable(name, file, text, rows)


def _column_text(column: pd.Series) -> tuple[Any, bool]:
    """The cells of one column as :func:`~mfa.validation.cell_text` gives them, and whether they are text as
    written (which may need stripping): a column at a time where its dtype says what every cell is (float64,
    int64, bool, text); cell by cell only for mixed objects."""
    kind = column.dtype.kind if isinstance(column.dtype, np.dtype) else None
    if kind == "b":
        return np.where(column.to_numpy(), "true", "false"), False
    if kind == "i" or kind == "u":
        return _distinct_text(column, str), False
    if column.dtype == np.float64:  # repr of a float: the shortest text that reads back the same
        text = _distinct_text(column, repr)
        values = column.to_numpy()
        text[(values == 0) & np.signbit(values)] = "-0.0"  # factorize takes -0.0 for 0.0
        return text, False
    if column.dtype == _TEXT:  # Arrow text stays Arrow: no object per cell
        return (column.fillna("").array if column.hasnans else column.array), True
    values = column.to_numpy()
    if kind == "O" or isinstance(column.dtype, pd.StringDtype):
        if pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty"):
            return np.where(pd.isna(values), "", values), True
    return np.array([cell_text(v) for v in column.tolist()], dtype=object), True


def _distinct_text(column: pd.Series, fmt) -> np.ndarray:
    """The text of a numeric column, each distinct number formatted once (the years of a multi-year park, the
    repeated coefficients and uncertainties); NaN is blank."""
    codes, uniques = pd.factorize(column.to_numpy(), use_na_sentinel=True)
    text = np.array([fmt(v) for v in uniques.tolist()] + [""], dtype=object)
    return text[codes]  # code -1 (NaN) takes the trailing blank


def _out_of_range(c: "TableChecker", values: np.ndarray, column: str, unit: str) -> np.ndarray:
    """Flag values that overflow, or exceed any plausible amount, once converted; they become NaN."""
    with np.errstate(invalid="ignore", over="ignore"):
        bad = ~np.isfinite(values) & ~np.isnan(values) | (np.abs(values) > MAX_TONNES)
    c.add(bad, column, Message(f"value out of range once converted to {unit} (more than {MAX_TONNES:.0e} {unit})",
                               "park.out_of_range", unit=unit, limit=f"{MAX_TONNES:.0e}"),
          suggestion=Message("check the number and its unit", "hint.check_unit"))
    out = values.copy()
    out[bad] = np.nan
    return out


# -- tables -----------------------------------------------------------------------------------------
def _info(raw_info: Any, issues: list[Issue], file: str):
    from mfa.park_info import ParkInfo, ParkInfoError

    if raw_info is None:
        return ParkInfo()
    if isinstance(raw_info, ParkInfo):
        return raw_info
    if isinstance(raw_info, RawTable):
        data, where = {}, {}
        f = raw_info.frame
        if not {"key", "value"} <= set(f.columns):
            issues.append(Issue(raw_info.file, Message("park metadata needs the columns 'key' and 'value'",
                                                       "park.key_value_columns")))
            return ParkInfo()
        for i, (k, v) in enumerate(zip(f["key"], f["value"])):
            if k == "":
                continue
            if k in where:
                issues.append(raw_info.issue(i, "key", Message("duplicate park setting", "park.duplicate_setting"),
                                             k, _already_given(raw_info.rows[where[k]])))
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
    except ParkInfoError as exc:
        for err in exc.errors():
            key = str(err["loc"][0]) if err["loc"] else ""
            msg = err["msg"]
            sugg = None
            if err["type"] == "extra_forbidden":
                msg = Message(f"unknown park setting '{key}'", "park.unknown_setting", key=key)
                known = ", ".join(ParkInfo.model_fields)
                sugg = suggest(key, ParkInfo.model_fields) or Message("known settings: " + known,
                                                                      "hint.known_settings", settings=known)
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
        issues.append(Issue(file, Message(f"park default unit: {e}", "park.default_unit", error=e.message),
                            column="unit", value=info.unit,
                            path="park.unit"))
        info = info.model_copy(update={"unit": "t/a"})
    return info


def _already_given(loc: Any) -> Message:
    if isinstance(loc, str):
        return Message(f"already given at {loc}", "hint.already_given_at", path=loc)
    return Message(f"already given at row {loc}", "hint.already_given_row", row=int(loc))


# Values Excel shows for a formula that failed; in a cell they are never an id, a name or a number.
EXCEL_ERRORS = frozenset({"#REF!", "#N/A", "#VALUE!", "#DIV/0!", "#NAME?", "#NUM!", "#NULL!", "#SPILL!",
                          "#CALC!", "#GETTING_DATA", "#FIELD!", "#BLOCKED!", "#CONNECT!", "#BUSY!", "#UNKNOWN!",
                          "#N/A!"})


def _starting_with(text: pd.Series, prefix: str) -> np.ndarray:
    """The cells that start with ``prefix``; Arrow text answers "none" in one pass, without a Series."""
    if getattr(text.dtype, "storage", None) == "pyarrow":
        import pyarrow as pa
        import pyarrow.compute as pc

        if not pc.any(pc.starts_with(pa.array(text.array), prefix)).as_py():
            return np.zeros(len(text), dtype=bool)
    return text.str.startswith(prefix).to_numpy(dtype=bool)


def _longer_than(text: pd.Series, limit: int) -> np.ndarray:
    """The cells of more than ``limit`` characters. Arrow text first bounds them by its byte lengths (one pass
    over the offsets): a column whose longest cell holds at most ``limit`` bytes is not measured."""
    if getattr(text.dtype, "storage", None) == "pyarrow":
        import pyarrow as pa
        import pyarrow.compute as pc

        longest = pc.max(pc.binary_length(pa.array(text.array))).as_py()
        if longest is None or longest <= limit:
            return np.zeros(len(text), dtype=bool)
    return (text.str.len() > limit).to_numpy(dtype=bool)


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
        text = s if isinstance(s.dtype, pd.StringDtype) else s.astype(str)
        err = _starting_with(text, "#")
        if err.any():
            err = err & in_set(text.where(err, "").str.upper(), EXCEL_ERRORS)
            issues.extend(grouped_issues(raw, err, str(col), Message("an Excel error value, not data",
                                                                     "park.excel_error"), text,
                                         Message("correct the formula in the original sheet, then paste the values",
                                                 "hint.correct_formula")))
        long = _longer_than(text, MAX_CELL)
        for i in np.flatnonzero(long):  # a handful at most: the file-size limit bounds them
            n = len(text.iat[i])
            issues.append(raw.issue(int(i), str(col), Message(f"a cell of {n:,} characters: more than a cell holds "
                                                              f"({MAX_CELL:,})", "park.long_cell", n=n, limit=MAX_CELL),
                                    text.iat[i]))
        bad = err | long
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
    c = TableChecker(raw, issues)
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
    c.add(bad_hw.to_numpy(), "hw_code", Message("hazardous-waste code must look like HW08", "park.hw_code"),
          suggestion=Message("use the category code of the National Hazardous Waste List (2021), HW01–HW50",
                             "hint.hw_code"))
    return out


def _processes(raw: RawTable | None, issues: list[Issue], refused: bool = False) -> pd.DataFrame:
    cols = list(PROCESS_COLUMNS)
    if raw is None:
        if not refused:  # a refused file has its own message already
            issues.append(Issue("processes", Message("no processes given", "park.no_processes")))
        return pd.DataFrame({col: pd.Series(dtype=object) for col in cols})
    c = TableChecker(raw, issues)
    if c.n == 0:
        issues.append(Issue(raw.file, Message("no processes: the table has no rows", "park.no_process_rows")))
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


def _process_fates(c: "TableChecker") -> pd.Series:
    """The optional ``fate`` of a process: what happens to waste it receives (another park's cement plant:
    utilised; a licensed handler: disposed). Only kinds that end waste may carry one."""
    from mfa.conventions import FATE_PROCESS_KINDS, FATES

    fate = c.choice("fate", FATES, "fate", blank_ok=True)
    kind = c.text("kind")
    wrong = ((fate != "") & kind.isin(PROCESS_KINDS) & ~kind.isin(FATE_PROCESS_KINDS)).to_numpy()
    c.add(wrong, "fate", Message("a fate is for processes that end waste (export, landfill, treatment, environment, "
                                 "production, consumption); collection and storage pass their waste on",
                                 "park.fate_of_passing_process"),
          suggestion=Message("leave it blank, or put the fate on the flows leaving this process", "hint.fate_on_flows"))
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


def _material_hint(value: str, known: set[str]) -> Message:
    """A suggestion for an unknown material: the close ids and the close Chinese names (粉煤灰 (fly_ash))."""
    from mfa.catalogue import material_aliases

    by_name = suggest(value, known)
    names = material_aliases()
    close = [n for n in names if value and (value in n or n in value)][:5]
    zh = ", ".join(f"{n} ({names[n]})" for n in close)
    if by_name and zh:
        return Message(f"{by_name}; Chinese names: {zh}", "hint.material_both", hint=by_name, names=zh)
    if zh:
        return Message(f"Chinese names: {zh}", "hint.material_names", names=zh)
    return by_name or Message("define it in materials, or give its catalogue id or Chinese name "
                              "(flows/materials.csv)", "hint.define_material")


def _repeats(ids: pd.Series) -> bool:
    """Whether a non-blank id occurs twice (the distinct values counted: a tenth of ``duplicated`` on Arrow
    text)."""
    uniques = ids.unique()
    filled = int((ids != "").sum())
    return filled > len(uniques) - int((uniques == "").any())


#: The columns that make a flow what it is; the others (value, unit, sigma, tc, tc_sigma, year, note,
#: estimated) are its numbers of a year.
_STRUCTURE = ("id", "source", "target", "material", "route", "fate")


def _flows(raw: RawTable | None, issues: list[Issue], processes: pd.DataFrame,
           known_materials: set[str] | None, info: Any, check_processes: bool = True,
           shared: dict | None = None) -> tuple[pd.DataFrame, tuple[np.ndarray, np.ndarray] | None]:
    """The flows table, and the rows of each flow's source and target among ``processes`` (None when there
    are no flows to locate). ``check_processes`` False / ``known_materials`` None: the table they are checked
    against was refused, so checking them would only repeat its refusal on every row.

    ``shared`` (the years of a multi-year park) keeps what the structure columns (:data:`_STRUCTURE`) gave when
    they raised no problem: a year whose structure cells are those, row for row, against the same processes
    and materials, reuses it and checks only its numbers (a problem found once is found again each year, at
    that year's rows)."""
    cols = list(FLOW_COLUMNS)
    empty = pd.DataFrame({col: pd.Series(dtype=object) for col in cols})
    if raw is None:
        issues.append(Issue("flows", Message("no flows given", "park.no_flows")))
        return empty, None, False
    c = TableChecker(raw, issues)
    if c.n == 0:
        issues.append(Issue(raw.file, Message("no flows: the table has no rows", "park.no_flow_rows")))
    if not c.required(REQUIRED["flows"]):
        return empty, None, False
    cells = {col: c.text(col) for col in _STRUCTURE}
    memo = shared.setdefault("numbers", {}) if shared is not None else None
    # the same tables checked against (the objects themselves: validated once for every year)
    against = (processes, known_materials, check_processes)
    known = shared.get("flows") if shared is not None else None
    if known is not None and all(a is b for a, b in zip(known["against"], against)) and all(
            c.has(col) == known["has"][col] and known["cells"][col].equals(cells[col]) for col in _STRUCTURE):
        return _flow_frame(c, issues, known, _years_of(c, issues, known["source"], *_values(c, issues, info, memo)))
    before = len(issues)
    source, target, material = cells["source"], cells["target"], cells["material"]
    pids = processes["id"] if len(processes) else pd.Series([], dtype=object)
    kinds = processes["kind"].to_numpy(dtype=object) if len(processes) else np.array([], dtype=object)
    # each end is looked up once: the row of its process (-1: none), whose kind the checks below read
    ends = {"source": row_of(source, pids), "target": row_of(target, pids)}
    for col, s, what in (("source", source, "process"), ("target", target, "process"),
                         ("material", material, "material")):
        blank = (s == "").to_numpy()
        c.add(blank, col, Message(f"blank {col}", "input.blank", column=col))
        if what == "process":
            if not check_processes:
                continue
            unknown = ~blank & (ends[col] < 0)
        elif known_materials is None:
            continue
        else:
            unknown = ~blank & ~in_set(s, known_materials)
        if unknown.any():
            choices = pids.tolist() if what == "process" else known_materials
            c.add(unknown, col, Message(f"unknown {what}", "input.unknown_choice", what=what),
                  suggestion=(lambda v, ch=choices, w=what: (_material_hint(v, ch) if w == "material"
                                                              else suggest(v, ch) or DEFINE_PROCESS)))
    c.add(((source == target) & (source != "")).to_numpy(), "target",
          Message("self-loop: source and target are the same process", "park.self_loop"))
    kind_at = np.append(kinds, "")  # row -1 (no such process) has no kind
    if pids.is_unique:
        into_import, out_of_export = kind_at[ends["target"]] == "import", kind_at[ends["source"]] == "export"
    else:  # the checks name every process of that id (the duplicate itself is reported with the processes)
        into_import = in_set(target, set(pids[kinds == "import"]))
        out_of_export = in_set(source, set(pids[kinds == "export"]))
    c.add(into_import, "target", Message("a flow into an import process", "park.into_import"),
          suggestion=Message("imports only send material into the park; use an export or landfill process instead",
                             "hint.into_import"))
    c.add(out_of_export, "source", Message("a flow out of an export process", "park.out_of_export"),
          suggestion=Message("exports only receive material; use an import process as the source",
                             "hint.out_of_export"))
    clean = len(issues) == before
    value, sigma, tc, tc_sigma = _values(c, issues, info, memo)
    before = len(issues)
    fate = c.choice("fate", FATES, "fate", blank_ok=True)
    clean = clean and len(issues) == before
    numbers = _years_of(c, issues, source, value, sigma, tc, tc_sigma)
    before = len(issues)
    given = cells["id"]
    repeats = c.has("id") and _repeats(given)
    if repeats:
        c.ids("id", "flow")  # reports the duplicates among explicit ids with their first place
    # With errors no park is built: the default ids (a string join per row) are not worth making.
    errors = any(i.severity == "error" for i in issues)
    structure = {"source": source, "target": target, "material": material, "route": cells["route"],
                 "fate": fate, "given": given, "ends": ends,
                 "ids": None if errors else _flow_ids(source, target, material, cells["route"], given),
                 # every id given and none repeated: the park's ids need no second look (generated flows aside)
                 "unique": c.has("id") and not repeats and not (given == "").any()}
    if shared is not None and clean and len(issues) == before and not errors:
        shared["flows"] = dict(structure, against=against, cells=cells, has={col: c.has(col) for col in _STRUCTURE})
    return _flow_frame(c, issues, structure, numbers)


def _flow_frame(c: TableChecker, issues: list[Issue], structure: dict, numbers: dict):
    """The flows table of a year, its flows' ends, and whether its ids are unique: ``structure`` (the
    structure columns validated, see :func:`_flows`) and ``numbers`` (:func:`_years_of`)."""
    ids = structure["ids"]
    if ids is None or any(i.severity == "error" for i in issues):
        ids = structure["given"]
    frame = pd.DataFrame({
        "id": ids, "source": structure["source"], "target": structure["target"],
        "material": structure["material"], "value": numbers["value"], "sigma": numbers["sigma"],
        "tc": numbers["tc"], "tc_sigma": numbers["tc_sigma"], "route": structure["route"],
        "fate": structure["fate"], "year": numbers["year"], "note": c.text("note"),
        "estimated": numbers["estimated"], "activity": pd.Series("", index=pd.RangeIndex(c.n), dtype="str"),
    })
    ends = structure["ends"]
    return frame, (ends["source"], ends["target"]), structure["unique"]


def _values(c: TableChecker, issues: list[Issue], info: Any, memo: dict | None = None) -> tuple[np.ndarray, ...]:
    """The flows' value, sigma, tc and tc_sigma, checked; value and sigma in t/a. ``memo`` (the years of a
    park): the units, uncertainties and coefficients of a year whose cells are the previous year's, read
    once (see :func:`_reused`)."""
    from mfa.units import UnitError, flow_factor

    raw = c.raw
    value, inline = c.numbers("value", allow_unit=True)

    def units() -> tuple[np.ndarray]:
        unit = c.text("unit")
        unit = unit.where(unit != "", inline)
        both = (c.text("unit") != "") & (inline != "")
        c.add(both.to_numpy(), "value", Message("a unit is written both in 'value' and in 'unit'", "park.two_units"),
              suggestion=Message("keep one", "hint.keep_one"))
        unit = unit.where(unit != "", info.unit)
        factors = np.ones(c.n)
        codes, uniques = pd.factorize(unit, sort=False)
        for k, u in enumerate(uniques):
            try:
                factors[codes == k] = flow_factor(u, info.days_per_year)
            except UnitError as e:
                factors[codes == k] = np.nan
                c.add(codes == k, "unit", e.short, suggestion=FLOW_UNITS_HINT)
        return (factors,)

    def sigmas() -> tuple[np.ndarray, np.ndarray]:
        sigma_text = c.text("sigma")
        pct = sigma_text.str.endswith("%")
        sigma_num = sigma_text.where(~pct, sigma_text.str.rstrip("%").str.strip())
        sig_raw = RawTable(raw.name, raw.file, pd.DataFrame({"sigma": sigma_num}), raw.rows)
        sig, _ = TableChecker(sig_raw, issues).numbers("sigma", nonnegative=False, what="a standard uncertainty")
        neg = sig < 0
        c.add(neg, "sigma", Message("negative standard uncertainty", "park.negative_sigma"))
        sig[neg] = np.nan
        return sig, pct.to_numpy()

    (factors,) = _reused(c, memo, ("unit", info.unit, info.days_per_year), (c.text("unit"), inline), units)
    sig, pct_np = _reused(c, memo, ("sigma",), (c.text("sigma"),), sigmas)
    no_base = pct_np & np.isnan(value) & ~np.isnan(sig)
    c.add(no_base, "sigma", Message("a percentage uncertainty needs a value", "park.percent_sigma"),
          suggestion=Message("give sigma in t/a for an unknown flow, or give the value", "hint.percent_sigma"))
    with np.errstate(invalid="ignore", over="ignore"):
        sigma = np.where(pct_np, sig / 100.0 * value * factors, sig * factors)
        value = value * factors
    value = _out_of_range(c, value, "value", "t/a")
    sigma = _out_of_range(c, sigma, "sigma", "t/a")

    def coefficients() -> tuple[np.ndarray, np.ndarray]:
        tc, _ = c.numbers("tc", what="a transfer coefficient")
        c.add(tc > 1, "tc", Message("transfer coefficient outside [0, 1]", "park.tc_range"),
              suggestion=Message("tc is a share of the source's input, e.g. 0.35", "hint.tc_share"))
        tc_sigma, _ = c.numbers("tc_sigma", what="a standard uncertainty")
        return tc, tc_sigma

    tc, tc_sigma = _reused(c, memo, ("tc",), (c.text("tc"), c.text("tc_sigma")), coefficients)
    return value, sigma, tc, tc_sigma


def _reused(c: TableChecker, memo: dict | None, key: tuple, cells: tuple[pd.Series, ...],
            read: Callable[[], tuple[np.ndarray, ...]]) -> tuple[np.ndarray, ...]:
    """``read()`` of ``cells``, or what it gave the previous year when its cells were these and reading them
    raised no problem (then it raises none again). The arrays are read-only: the years share them."""
    if memo is not None:
        known = memo.get(key[0])
        if known is not None and known[0] == key and all(a.equals(b) for a, b in zip(known[1], cells)):
            return known[2]
    before = len(c.issues)
    out = read()
    if memo is not None and len(c.issues) == before:
        for a in out:
            a.flags.writeable = False
        memo[key[0]] = (key, cells, out)
    return out


def _years_of(c: TableChecker, issues: list[Issue], source: pd.Series, value: np.ndarray, sigma: np.ndarray,
              tc: np.ndarray, tc_sigma: np.ndarray) -> dict:
    """The flows' numbers (:func:`_values`) with the sum of the transfer coefficients of each source checked,
    and their year and estimated flag."""
    tc_given = ~np.isnan(tc)
    if tc_given.any():
        by_source = source.to_numpy()
        sums = pd.Series(np.where(tc_given, tc, 0.0)).groupby(by_source).transform("sum").to_numpy()
        # measured coefficients may sum a little above 1 (reconciliation adjusts them): allow 3 σ of the sum
        var = np.where(tc_given & ~np.isnan(tc_sigma), np.nan_to_num(tc_sigma) ** 2, 0.0)
        allowance = 3 * np.sqrt(pd.Series(var).groupby(by_source).transform("sum").to_numpy())
        over = tc_given & (sums > 1 + allowance + 1e-9)
        c.add(over, "tc", Message("transfer coefficients of this flow's source add up to more than 1", "park.tc_sum"),
              values=pd.Series([f"{v:g} (sum {t:.6g})" for v, t in zip(tc, sums)]) if over.any() else None,
              suggestion=Message("the tc of a process's outgoing flows are shares of its input; together at most 1",
                                 "hint.tc_sum"))
    year_num, _ = c.numbers("year", nonnegative=False, what="a year")
    bad_year = ~np.isnan(year_num) & (year_num != np.round(year_num))
    c.add(bad_year, "year", Message("not a whole year", "park.not_whole_year"))
    far = ~np.isnan(year_num) & ~bad_year & ((year_num < 1900) | (year_num > 2200))
    c.add(far, "year", Message("year outside 1900–2200", "park.year_range"))
    year_num[bad_year | far] = np.nan
    est = c.booleans("estimated") if c.has("estimated") else np.zeros(c.n, dtype=bool)
    return {"value": value, "sigma": sigma, "tc": tc, "tc_sigma": tc_sigma, "estimated": est,
            "year": pd.arrays.IntegerArray(np.nan_to_num(year_num).astype(np.int64), np.isnan(year_num))}


def _stocks(raw: RawTable | None, issues: list[Issue], processes: pd.DataFrame,
            known_materials: set[str] | None, check_processes: bool = True) -> pd.DataFrame:
    cols = list(STOCK_COLUMNS)
    if raw is None or len(raw.frame.columns) == 0:
        return pd.DataFrame({c: pd.Series(dtype=float if c in ("opening", "closing") else object) for c in cols})
    c = TableChecker(raw, issues)
    if not c.required(REQUIRED["stocks"]):
        return pd.DataFrame({col: pd.Series(dtype=object) for col in cols})
    from mfa.units import UnitError, stock_factor

    proc = c.text("process")
    if check_processes:  # as the ends of the flows: one look-up in the process ids, no list of them
        unknown = (row_of(proc, processes["id"] if len(processes) else pd.Series([], dtype=object)) < 0)
        if unknown.any():
            pids = processes["id"].tolist() if len(processes) else []
            c.add(unknown, "process", Message("unknown process", "input.unknown_choice", what="process"),
                  suggestion=lambda v: suggest(v, pids) or use_one_of(pids))
    mat = c.choice("material", known_materials, "material") if known_materials is not None else c.text("material")
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
            c.add(codes == k, "unit", e.message)
    key = proc + "\x00" + mat
    dup = key.duplicated(keep="first")
    c.add(dup.to_numpy(), "material", Message("duplicate stock row for this process and material",
                                              "park.duplicate_stock"),
          suggestion=Message("give one row per process and material", "hint.one_row_per_process_material"))
    with np.errstate(invalid="ignore", over="ignore"):
        opening, closing, sigma = opening * factors, closing * factors, sigma * factors
    opening = _out_of_range(c, opening, "opening", "t")
    closing = _out_of_range(c, closing, "closing", "t")
    sigma = _out_of_range(c, sigma, "sigma", "t")
    return pd.DataFrame({"process": proc, "material": mat, "opening": opening,
                         "closing": closing, "note": c.text("note"), "sigma": sigma})


#: The last (park materials, materials used, result): the years of a multi-year park share their materials
#: table (validated once) and mostly use the same materials.
_LAST_EFFECTIVE: list[tuple[pd.DataFrame, set[str], pd.DataFrame]] = []


def _effective_materials(own: pd.DataFrame, used: set[str]) -> pd.DataFrame:
    from mfa.catalogue import materials as catalogue

    last = _LAST_EFFECTIVE[-1] if _LAST_EFFECTIVE else None
    if last is not None and last[0] is own and last[1] == used:
        return last[2]  # a park's frames are never modified in place: sharing it is safe
    out = _effective_of(own, used, catalogue())
    _LAST_EFFECTIVE[:] = [(own, used, out)]
    return out


def _effective_of(own: pd.DataFrame, used: set[str], cat: pd.DataFrame) -> pd.DataFrame:
    cat = cat[cat["id"].isin(used) & ~cat["id"].isin(set(own["id"]))]
    out = pd.concat([cat[list(MATERIAL_COLUMNS)], own[list(MATERIAL_COLUMNS)]], ignore_index=True)
    out["bulk"] = out["bulk"].astype(bool)
    return out.sort_values("id", kind="stable").reset_index(drop=True)


_NUMERIC = {"x", "y", "capacity", "value", "sigma", "tc", "tc_sigma", "opening", "closing"}
_YEAR = pd.Int64Dtype()


def _canonical(frame: pd.DataFrame, columns) -> pd.DataFrame:
    """Fixed column order and dtypes (float for numbers, bool, Int64 year, str for text) so that equal
    parks compare equal whatever format they came from."""
    out = {}
    n = len(frame)
    for c in columns:
        s = frame[c] if c in frame.columns else pd.Series([None] * n, index=frame.index)
        # a column the validator already made canonical is kept (each conversion copies 10⁵ cells)
        if c in _NUMERIC:
            out[c] = s if s.dtype == np.float64 else s.astype(float)
        elif c in ("estimated", "bulk"):
            out[c] = s if s.dtype == bool else s.fillna(False).astype(bool)
        elif c == "year":
            out[c] = s if s.dtype == _YEAR else s.astype("Int64")
        else:
            out[c] = s if s.dtype == _TEXT and not s.hasnans else s.fillna("").astype(str)
    return pd.DataFrame(out, index=frame.index).reset_index(drop=True)


#: The last canonical processes and materials (frame, result): the years of a multi-year park share them.
_LAST_CANONICAL: list[tuple[pd.DataFrame, pd.DataFrame]] = []


def _shared_canonical(frame: pd.DataFrame, columns) -> pd.DataFrame:
    """:func:`_canonical` of a table that the years of a park share, made once (frames are never modified in
    place: sharing the result is safe)."""
    for given, out in _LAST_CANONICAL:
        if given is frame:
            return out
    out = _canonical(frame, columns)
    _LAST_CANONICAL[:] = [*_LAST_CANONICAL[-1:], (frame, out)]
    return out


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
        hit = in_set(stripped, mapping)
        if not hit.any():  # the usual table: no name to translate, and no need to look for ids
            return raw
        hit &= ~in_set(stripped, keep)
        if not hit.any():
            return raw
        frame = raw.frame.copy()
        frame.loc[hit, column] = stripped[hit].map(mapping)
        return RawTable(raw.name, raw.file, frame, raw.rows)

    out["processes"] = translate(out.get("processes"), "kind", kinds, set(PROCESS_KINDS))
    for name in ("flows", "stocks", "activities"):
        out[name] = translate(out.get(name), "material", names, ids)
    return out


@dataclass
class ParkTables:
    """What the reader found: the validated tables of a park (canonical frames, values in t/a and t), its
    :class:`~mfa.park_info.ParkInfo`, the raw activity and coefficient tables that the generation engine
    (:mod:`mfa.generation`) turns into flows, and every problem (``issues``, errors and warnings).

    The reader only reads and validates; :func:`mfa.park.assemble_park` runs generation on these tables and
    builds the :class:`~mfa.park.Park`.

    Examples
    --------
    >>> t = park_from_frames(pd.DataFrame({"id": ["a", "b"], "name": ["A", "B"], "kind": ["import", "production"]}),
    ...                      pd.DataFrame({"source": ["a"], "target": ["b"], "material": ["raw_coal"],
    ...                                    "value": ["2 万t/a"]}))
    >>> t.source, t.issues, t.flows[["id", "value"]].to_dict("records")
    ('DataFrames', [], [{'id': 'a>b:raw_coal', 'value': 20000.0}])
    """

    processes: pd.DataFrame
    flows: pd.DataFrame
    materials: pd.DataFrame
    stocks: pd.DataFrame
    info: Any
    source: str
    activities: RawTable | None = None
    coefficients: RawTable | None = None
    known_materials: set[str] = field(default_factory=set)
    issues: list[Issue] = field(default_factory=list)
    # per flow, the rows of its source and target in ``processes``, as validation found them: compiling the
    # park reuses them instead of hashing every id again
    endpoints: tuple[np.ndarray, np.ndarray] | None = None
    unique_flow_ids: bool = False  # validation saw every flow's id given, none twice

    @property
    def errors(self) -> list[Issue]:
        """The issues of severity ``error``.

        Examples
        --------
        >>> t = park_from_frames(pd.DataFrame({"id": ["a"], "name": ["A"], "kind": ["import"]}),
        ...                      pd.DataFrame({"source": ["a"], "target": ["a"], "material": ["coal"], "value": [1]}))
        >>> [i.message for i in t.errors]
        ['self-loop: source and target are the same process', 'a flow into an import process']
        """
        return [i for i in self.issues if i.severity == "error"]

    def park_frames(self, generated: pd.DataFrame | None = None) -> dict[str, Any]:
        """The keyword arguments of :class:`~mfa.park.Park`: canonical tables, with ``generated`` flows (from
        :mod:`mfa.generation`) after the park's own. Raises :class:`ParkError` if a generated flow takes the
        id of another flow.

        Parameters
        ----------
        generated : pandas.DataFrame, optional
            Flows generated from activity data, with the flow columns.

        Returns
        -------
        dict
            processes, flows, materials, stocks, info, activities and coefficients.

        Raises
        ------
        ParkError
            If a generated flow has the id of another flow.

        Examples
        --------
        >>> t = park_from_frames(pd.DataFrame({"id": ["a", "b"], "name": ["A", "B"], "kind": ["import", "production"]}),
        ...                      pd.DataFrame({"source": ["a"], "target": ["b"], "material": ["raw_coal"],
        ...                                    "value": [1]}))
        >>> frames = t.park_frames()
        >>> sorted(frames), frames["flows"]["id"].tolist()
        (['activities', 'coefficients', 'flows', 'info', 'materials', 'processes', 'stocks'], ['a>b:raw_coal'])
        >>> t.park_frames(frames["flows"])  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        mfa.errors.ParkError: 1 problem in the input:
          - DataFrames, column 'id': duplicate flow id (a generated flow has the id of another flow) ...
        """
        flows = self.flows
        if generated is not None and len(generated):
            flows = pd.concat([flows, generated.reindex(columns=list(FLOW_COLUMNS))], ignore_index=True)
        checked = self.unique_flow_ids and flows is self.flows
        dup = pd.Series(False) if checked or flows["id"].is_unique else flows["id"].duplicated(keep="first")
        if dup.any():
            raise ParkError([Issue(self.source, Message("duplicate flow id (a generated flow has the id of another "
                                                        "flow)", "park.duplicate_generated_flow"),
                                   column="id", value=v) for v in flows.loc[dup, "id"]])
        used = set(flows["material"].unique()) | set(self.stocks["material"].unique())
        frame = lambda raw: raw.frame if raw is not None else pd.DataFrame()  # noqa: E731
        return dict(processes=_shared_canonical(self.processes, PROCESS_COLUMNS),
                    flows=_canonical(flows, FLOW_COLUMNS),
                    materials=_shared_canonical(_effective_materials(self.materials, used), MATERIAL_COLUMNS),
                    stocks=_canonical(self.stocks, STOCK_COLUMNS), info=self.info,
                    activities=_tidy_free_table(frame(self.activities)),
                    coefficients=_tidy_free_table(frame(self.coefficients)))

    def flow_endpoints(self, generated: pd.DataFrame | None = None) -> tuple[np.ndarray, np.ndarray] | None:
        """Per flow of :meth:`park_frames` (``generated`` ones last), the rows of its source and target in
        ``processes``; None when validation did not locate them.

        Parameters
        ----------
        generated : pandas.DataFrame, optional
            The flows generated from activity data, as given to :meth:`park_frames`.

        Returns
        -------
        tuple of two int64 arrays, or None

        Examples
        --------
        >>> t = park_from_frames(pd.DataFrame({"id": ["a", "b"], "name": ["A", "B"], "kind": ["import", "production"]}),
        ...                      pd.DataFrame({"source": ["a"], "target": ["b"], "material": ["raw_coal"],
        ...                                    "value": [1]}))
        >>> [e.tolist() for e in t.flow_endpoints()]
        [[0], [1]]
        """
        if self.endpoints is None:
            return None
        src, tgt = self.endpoints
        if generated is not None and len(generated):
            ids = self.processes["id"]
            src = np.concatenate([src, row_of(generated["source"], ids)])
            tgt = np.concatenate([tgt, row_of(generated["target"], ids)])
        return src, tgt


def park_settings(info: Any, source: str = "park") -> Any:
    """The park's settings (a :class:`~mfa.park_info.ParkInfo`) as :func:`validate_tables` reads them — bad
    ones left at their defaults, their problems not reported — without reading the tables.

    Parameters
    ----------
    info : RawTable, mapping, ParkInfo or None
        ``park.csv``, the YAML ``park:`` mapping…
    source : str
        The file or folder read.

    Returns
    -------
    ParkInfo

    Examples
    --------
    >>> park_settings({"year": "2021", "name": "x"}).year
    2021
    """
    issues: list[Issue] = []
    if isinstance(info, RawTable):
        info = _check_cells(info, issues)
    return _info(info, issues, source)


def prepare_series(tables: Mapping[str, RawTable | None], shared: dict) -> dict[str, RawTable | None]:
    """The raw tables of every year of a park, with what :func:`validate_tables` does cell by cell done once
    for all the years' rows: when no cell is an Excel error or too long, the Chinese names of kinds and
    materials translated, and ``shared`` marked so that validating each year's rows skips both. With such a
    cell the tables are returned as they are: each year reports its own, as when read alone.

    Parameters
    ----------
    tables : mapping of str to RawTable or None
        The raw tables of the park (every year).
    shared : dict
        What :func:`validate_tables` keeps from one year to the next (updated).

    Returns
    -------
    dict of str to RawTable or None

    Examples
    --------
    >>> raw = {"flows": raw_from_frame("flows", pd.DataFrame({"material": ["粉煤灰"], "year": [2021]}))}
    >>> shared = {}
    >>> prepare_series(raw, shared)["flows"].frame["material"].tolist(), shared
    (['fly_ash'], {'prepared': True})
    """
    probe: list[Issue] = []
    if any(raw is not None and (_check_cells(raw, probe) is not raw or probe) for raw in tables.values()):
        return dict(tables)
    shared["prepared"] = True
    return _chinese_names(dict(tables))


def validate_tables(tables: Mapping[str, RawTable | None], info: Any, source: str, year: int | None = None,
                    refused: Collection[str] = (), shared: dict | None = None) -> ParkTables:
    """Validate the raw tables of a park: every problem of every table, located, in ``.issues``.

    Parameters
    ----------
    tables : mapping of str to RawTable or None
        processes, flows, materials, stocks, activities, coefficients, as read (every cell text).
    info : RawTable, mapping, ParkInfo or None
        The park's settings (``park.csv``, the YAML ``park:`` mapping…).
    source : str
        The file or folder read, for messages about the whole park.
    year : int, optional
        Keep only the rows of that period and make it the reporting year; without it, rows of more than one
        period are an error (see :mod:`mfa.io.periods`).
    refused : collection of str
        Tables refused whole while reading: what is checked against them is not checked.
    shared : dict, optional
        Kept from one call to the next on the same processes and materials tables (the years of a multi-year
        park, :func:`mfa.io.years.series_tables`): they are validated once, their problems reported once; the
        cells of tables that :func:`prepare_series` prepared are not checked again.

    Returns
    -------
    ParkTables
        Never raises for a located problem: the caller decides (see :func:`mfa.park.assemble_park`).

    Examples
    --------
    >>> raw = {"processes": raw_from_frame("processes", pd.DataFrame(
    ...            {"id": ["a", "b"], "name": ["A", "B"], "kind": ["import", "landfill"]})),
    ...        "flows": raw_from_frame("flows", pd.DataFrame(
    ...            {"source": ["a"], "target": ["c"], "material": ["fly_ash"], "value": ["5"]}))}
    >>> [str(i) for i in validate_tables(raw, None, "DataFrames").errors]
    ["flows (DataFrame), flows[0].target: unknown process (value: 'c') — define it in processes"]
    """
    from mfa.catalogue import materials as catalogue
    from mfa.io.periods import select_period

    issues: list[Issue] = []
    prepared = shared is not None and shared.get("prepared", False)
    if not prepared:
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
                        issues.append(Issue(raw.file, Message(f"unknown column '{col}'", "park.unknown_column",
                                                              column=col), column=col,
                                            suggestion=close))
    park_info = _info(info, issues, source)
    if not prepared:
        tables = _chinese_names(tables)
    tables, park_info, period_issues = select_period(tables, park_info, year, source)
    issues.extend(period_issues)
    check_processes = "processes" not in refused
    key = (tables.get("processes"), tables.get("materials"))
    if shared is not None and shared.get("key") is not None and all(
            a is b for a, b in zip(shared["key"], key)):
        own, known, processes = shared["own"], shared["known"], shared["processes"]
    else:
        own = _materials(tables.get("materials"), issues)
        known = set(catalogue()["id"]) | set(own["id"])
        # A refused file (unreadable, a 1 MB line…) is reported once; what is checked against it is not.
        processes = _processes(tables.get("processes"), issues, refused=not check_processes)
        if shared is not None:
            shared.update(key=key, own=own, known=known, processes=processes)
    checkable = known if "materials" not in refused else None
    flows, endpoints, unique_ids = _flows(tables.get("flows"), issues, processes, checkable, park_info,
                                          check_processes, shared)
    stocks = _stocks(tables.get("stocks"), issues, processes, checkable, check_processes)
    return ParkTables(processes=processes, flows=flows, materials=own, stocks=stocks, info=park_info,
                      source=source, activities=tables.get("activities"), coefficients=tables.get("coefficients"),
                      known_materials=known, issues=issues, endpoints=endpoints, unique_flow_ids=unique_ids)


def park_from_frames(processes: pd.DataFrame | None, flows: pd.DataFrame | None,
                     materials: pd.DataFrame | None = None, stocks: pd.DataFrame | None = None,
                     info: Any = None, activities: pd.DataFrame | None = None,
                     coefficients: pd.DataFrame | None = None, year: int | None = None) -> ParkTables:
    """Validate DataFrames as the tables of a park (see :meth:`mfa.park.Park.from_frames`).

    Parameters
    ----------
    processes, flows, materials, stocks, activities, coefficients : DataFrame or None
        The tables with the file columns (values may carry units).
    info : mapping, ParkInfo or None
        The park's settings.
    year : int, optional
        The period to keep (see :func:`validate_tables`).

    Returns
    -------
    ParkTables

    Examples
    --------
    >>> t = park_from_frames(pd.DataFrame({"id": ["a"], "name": ["A"], "kind": ["import"]}),
    ...                      pd.DataFrame({"source": ["a"], "target": ["a"], "material": ["coal"], "value": [1]}))
    >>> [i.message for i in t.errors]
    ['self-loop: source and target are the same process', 'a flow into an import process']
    """
    tables, info = raw_tables_from_frames(processes, flows, materials, stocks, info, activities, coefficients)
    return validate_tables(tables, info, "DataFrames", year=year)


def raw_tables_from_frames(processes: pd.DataFrame | None, flows: pd.DataFrame | None,
                           materials: pd.DataFrame | None = None, stocks: pd.DataFrame | None = None,
                           info: Any = None, activities: pd.DataFrame | None = None,
                           coefficients: pd.DataFrame | None = None,
                           lifetimes: pd.DataFrame | None = None) -> tuple[dict[str, RawTable | None], Any]:
    """DataFrames as the raw tables of a park (every cell text, rows located as ``flows[3]``) and the info
    as a mapping, ready for :func:`validate_tables`.

    Parameters
    ----------
    processes, flows, materials, stocks, activities, coefficients, lifetimes : DataFrame or None
        The tables with the file columns (flows generated from activity data are left out).
    info : mapping, ParkInfo or None

    Returns
    -------
    tables : dict of str to RawTable or None
    info : mapping or None

    Examples
    --------
    >>> tables, info = raw_tables_from_frames(pd.DataFrame({"id": ["a"]}), pd.DataFrame({"value": [1.5]}))
    >>> tables["flows"].frame["value"].tolist(), tables["stocks"], info
    (['1.5'], None, None)
    """
    tables: dict[str, RawTable | None] = {}
    for name, frame in (("processes", processes), ("flows", flows), ("materials", materials),
                        ("stocks", stocks), ("activities", activities), ("coefficients", coefficients),
                        ("lifetimes", lifetimes)):
        if frame is None or (len(frame) == 0 and len(frame.columns) == 0 and name not in ("processes", "flows")):
            tables[name] = None
            continue
        if name == "flows" and "activity" in frame.columns:
            frame = frame[frame["activity"].fillna("").astype(str) == ""].drop(columns=["activity"])
        tables[name] = raw_from_frame(name, frame)
    if info is not None and not isinstance(info, Mapping):
        info = info.model_dump() if hasattr(info, "model_dump") else dict(info)
    return tables, info
