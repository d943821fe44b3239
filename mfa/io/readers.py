"""Readers for the three file formats: a folder of CSV files, one YAML file, one Excel workbook.

Each reader only turns cells into strings and remembers where each row came from (the row number as a
spreadsheet shows it, or the YAML path); :mod:`mfa.io.frames` does all the checking.

CSV files may be UTF-8 (with or without BOM) or GBK/GB18030 as saved by Chinese Excel. Rows whose first
cell starts with ``#`` are notes and skipped (the template's notes row). Excel formulas are read as text,
never evaluated (and reported as errors where a number is expected).
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pandas as pd

from mfa.errors import Issue, ParkError, RawTable, suggest

TABLES = ("processes", "flows", "materials", "stocks", "activities", "coefficients")
SECTIONS = ("park",) + TABLES


def _decode(data: bytes, file: str) -> str:
    for enc in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    raise ParkError([Issue(file, "cannot read the file as text (tried UTF-8 and GB18030)",
                           suggestion="save it as 'CSV UTF-8' from Excel")])


def _drop_notes(frame: pd.DataFrame, rows: list[int]) -> tuple[pd.DataFrame, list[int]]:
    if len(frame) == 0 or len(frame.columns) == 0:
        return frame, rows
    first = frame.iloc[:, 0].astype(str)
    blank = (frame == "").all(axis=1)
    keep = ~(first.str.startswith("#") | blank)
    kept_rows = [r for r, k in zip(rows, keep.tolist()) if k]
    return frame[keep].reset_index(drop=True), kept_rows


def _unneutralise(s: pd.Series) -> pd.Series:
    """Strip a cell, and take off the quote that mfa's CSV writer puts before a formula-leading cell."""
    s = s.str.strip()
    quoted = s.str.match(r"^'[=+\-@\t\r]")
    return s.where(~quoted, s.str.slice(1)) if quoted.any() else s


def read_csv_table(path: Path, name: str) -> RawTable | None:
    data = path.read_bytes()
    file = str(path)
    if not data.strip():
        raise ParkError([Issue(file, "empty file", suggestion="give a header row with the column names")])
    text = _decode(data, file)
    frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, skip_blank_lines=False,
                        na_filter=False, skipinitialspace=False)
    frame.columns = [str(c).strip().lstrip("\ufeff") for c in frame.columns]
    frame = frame.apply(_unneutralise) if len(frame) else frame
    rows = list(range(2, len(frame) + 2))
    frame, rows = _drop_notes(frame, rows)
    return RawTable(name, file, frame, rows)


def read_csv_folder(folder: Path):
    issues: list[Issue] = []
    tables: dict[str, RawTable | None] = {}
    for name in TABLES:
        p = folder / f"{name}.csv"
        if p.is_file():
            try:
                tables[name] = read_csv_table(p, name)
            except ParkError as e:
                issues.extend(e.issues)
        elif name in ("processes", "flows"):
            issues.append(Issue(str(p), "missing file", suggestion=f"a park folder needs {name}.csv"))
    info = None
    p = folder / "park.csv"
    if p.is_file():
        try:
            info = read_csv_table(p, "park")
        except ParkError as e:
            issues.extend(e.issues)
    extra = sorted(q.name for q in folder.glob("*.csv") if q.stem not in SECTIONS)
    for q in extra:
        issues.append(Issue(str(folder / q), "unknown table file",
                            suggestion=suggest(Path(q).stem, SECTIONS) or
                            f"known files: {', '.join(s + '.csv' for s in SECTIONS)}", severity="warning"))
    return tables, info, issues


def _yaml_cell(v: Any) -> str:
    from mfa.io.frames import _cell_text

    if isinstance(v, (dict, list)):
        return "\x00structure"
    return _cell_text(v)


def read_yaml(path: Path):
    import yaml

    file = str(path)
    data = path.read_bytes()
    if not data.strip():
        raise ParkError([Issue(file, "empty file", suggestion="a park file has sections park, processes, flows…")])
    try:
        doc = yaml.safe_load(_decode(data, file))
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ParkError([Issue(file, f"not valid YAML{where}: {getattr(e, 'problem', e)}")]) from None
    if not isinstance(doc, dict):
        raise ParkError([Issue(file, "the file must be a mapping with sections park, processes, flows…")])
    issues: list[Issue] = []
    for key in doc:
        if key not in SECTIONS:
            issues.append(Issue(file, f"unknown section '{key}'", path=str(key),
                                suggestion=suggest(str(key), SECTIONS) or "sections: " + ", ".join(SECTIONS)))
    tables: dict[str, RawTable | None] = {}
    for name in TABLES:
        items = doc.get(name)
        if items is None:
            tables[name] = None
            if name in ("processes", "flows"):
                issues.append(Issue(file, f"missing section '{name}'", path=name))
            continue
        if not isinstance(items, list):
            issues.append(Issue(file, f"section '{name}' must be a list of rows", path=name))
            tables[name] = None
            continue
        cols: list[str] = []
        for it in items:
            if isinstance(it, dict):
                for k in it:
                    if str(k) not in cols:
                        cols.append(str(k))
        records, rows = [], []
        for i, it in enumerate(items):
            if not isinstance(it, dict):
                issues.append(Issue(file, "each row must be a mapping of column: value", path=f"{name}[{i}]",
                                    value=it))
                continue
            rec = {c: "" for c in cols}
            for k, v in it.items():
                cell = _yaml_cell(v)
                if cell == "\x00structure":
                    issues.append(Issue(file, "a cell must be a single value", path=f"{name}[{i}].{k}"))
                    cell = ""
                rec[str(k)] = cell.strip()
            records.append(rec)
            rows.append(f"{name}[{i}]")
        frame = pd.DataFrame(records, columns=cols) if records else pd.DataFrame(columns=cols)
        tables[name] = RawTable(name, file, frame.astype(object), rows)
    info = doc.get("park")
    if info is not None and not isinstance(info, dict):
        issues.append(Issue(file, "section 'park' must be a mapping", path="park"))
        info = None
    return tables, info, issues


def _excel_cell(v: Any) -> str:
    import datetime as dt

    from mfa.io.frames import _cell_text

    if isinstance(v, (dt.datetime, dt.date)):
        return v.isoformat()
    return _cell_text(v).strip()


def read_excel(path: Path):
    import warnings

    from openpyxl import load_workbook

    file = str(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            wb = load_workbook(path, read_only=True, data_only=False)
    except Exception as e:  # openpyxl raises many types for a damaged or non-xlsx file
        raise ParkError([Issue(file, f"cannot open the workbook: {e}",
                               suggestion="save it as an Excel workbook (.xlsx)")]) from None
    issues: list[Issue] = []
    tables: dict[str, RawTable | None] = {}
    info = None
    try:
        names = wb.sheetnames
        for sheet in names:
            if sheet not in SECTIONS and not sheet.startswith("_") and sheet.lower() not in ("notes", "lists", "readme"):
                issues.append(Issue(file, f"unknown sheet '{sheet}'", severity="warning",
                                    suggestion=suggest(sheet, SECTIONS)))
        for name in SECTIONS:
            if name not in names:
                if name in ("processes", "flows"):
                    issues.append(Issue(file, f"missing sheet '{name}'", suggestion=suggest(name, names)))
                tables[name] = None
                continue
            ws = wb[name]
            it = ws.iter_rows(values_only=True)
            header = next(it, None)
            sheet_file = f"{file} [sheet {name}]"
            if header is None or all(h is None for h in header):
                issues.append(Issue(sheet_file, "empty sheet", suggestion="give a header row with the column names"))
                tables[name] = None
                continue
            cols = [_excel_cell(h) for h in header]
            width = max(i for i, h in enumerate(cols) if h) + 1
            cols = cols[:width]
            records, rows = [], []
            for r, values in enumerate(it, start=2):
                cells = [_excel_cell(v) for v in values[:width]] + [""] * max(0, width - len(values))
                if not any(cells) or cells[0].startswith("#"):
                    continue
                records.append(cells)
                rows.append(r)
            frame = pd.DataFrame(records, columns=cols).astype(object) if records else pd.DataFrame(columns=cols)
            raw = RawTable(name, sheet_file, frame, rows)
            if name == "park":
                info = raw
            else:
                tables[name] = raw
    finally:
        wb.close()
    return tables, info, issues
