"""Readers for the three file formats: a folder of CSV files, one YAML file, one Excel workbook.

Each reader only turns cells into strings and remembers where each row came from (the row number as a
spreadsheet shows it, or the YAML path); :mod:`mfa.io.frames` does all the checking.

CSV files may be UTF-8 (with or without BOM) or GBK/GB18030 as saved by Chinese Excel; other text is
decoded by detection (Windows-1252, Latin-1) with a warning naming the encoding. Rows whose first cell is
exactly ``#`` or starts with ``# `` are notes and skipped (the template's notes row); any other cell
starting with ``#`` is data (an id such as ``#5``, or an Excel error value such as ``#REF!``, which the
checks refuse). Excel formulas are never evaluated: a workbook's formula cells give the value the spreadsheet
program saved with them; a formula saved without a value (a workbook written by a program) is a located error
asking to open and save it in Excel, WPS or LibreOffice. A CSV cell holding a formula is an error where a
number is expected.

Every reader checks its limits before the work that they bound (see :mod:`mfa.io.limits`): YAML aliases,
nesting depth and integer size; rows and cell length; a workbook's uncompressed size, shared strings and
sheet dimensions; so that a few hostile bytes can neither hang mfa nor exhaust the memory.
"""

from __future__ import annotations

import io
import re
import warnings
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd

from mfa.errors import Issue, Message, ParkError, RawTable, suggest
from mfa.io.limits import check_file_size, check_rows

TABLES = ("processes", "flows", "materials", "stocks", "activities", "coefficients", "lifetimes")
#: The substance layer's tables (read and checked by :mod:`mfa.substance`, not part of the goods Park).
SUBSTANCE_TABLES = ("concentrations", "substance_tc")
SECTIONS = ("park",) + TABLES + SUBSTANCE_TABLES


EMPTY_FILE = Message("empty file", "read.empty_file")
GIVE_HEADER = Message("give a header row with the column names", "hint.give_header")
DUPLICATE_COLUMN = Message("duplicate column", "read.duplicate_column")
GIVE_COLUMN_ONCE = Message("give each column once", "hint.column_once")
QUOTE_COMMAS = Message("a row has more cells than the header: a comma inside a value needs quotes", "hint.quote_commas")
_ENCODING_NAMES = {"cp1252": "Windows-1252 (Western European)", "latin_1": "Latin-1 (ISO-8859-1)"}


def _decode(data: bytes, file: str, issues: list[Issue] | None = None) -> str:
    """Text of a file: UTF-8 (BOM or not), else GB18030 (Chinese Excel) or a Western code page, chosen by
    detection; decoding GB18030 blindly would turn "électrique" into "閘ectrique" without a word."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    return _decode_other(data, file, issues)


def _decode_other(data: bytes, file: str, issues: list[Issue] | None) -> str:
    try:
        # Simplified Chinese as Chinese Excel saves it lies within GB2312, whose trail bytes are never ASCII;
        # Latin-1 "é" + "l" is not GB2312, though it is a valid (wrong) GB18030 character.
        data.decode("gb2312")
        return data.decode("gb18030")
    except UnicodeDecodeError:
        pass
    try:
        from charset_normalizer import from_bytes
    except ImportError:  # pragma: no cover - a dependency; keep the old behaviour if it is missing
        best = "gb18030"
    else:
        match = from_bytes(data, cp_isolation=["gb18030", "cp1252", "latin_1"]).best()
        best = match.encoding if match is not None else None
    if best is not None:
        try:
            text = data.decode(best)
        except UnicodeDecodeError:
            text = None
        if text is not None:
            if best != "gb18030" and issues is not None:
                encoding = _ENCODING_NAMES.get(best, best)
                issues.append(Issue(file, Message(f"the file is not UTF-8; read as {encoding}", "read.not_utf8",
                                                  encoding=encoding), severity="warning",
                                    suggestion=Message("check the accented letters, or save it as 'CSV UTF-8' from "
                                                       "Excel", "hint.check_accents")))
            return text
    raise ParkError([Issue(file, Message("cannot read the file as text (tried UTF-8, GB18030 and Western "
                                         "encodings)", "read.not_text"),
                           suggestion=Message("save it as 'CSV UTF-8' from Excel", "hint.save_utf8"))])


def is_note(first: pd.Series) -> pd.Series:
    """Note rows: a first cell that is exactly "#" or starts with "# " (as in the template). "#5" is an id
    and "#REF!" an Excel error value: data, checked like any other cell.

    Parameters
    ----------
    first : Series of str
        The first cell of each row.

    Returns
    -------
    Series of bool

    Examples
    --------
    >>> is_note(pd.Series(["#", "# a note", "#5", "#REF!", "mine"])).tolist()
    [True, True, False, False, False]
    """
    return (first == "#") | first.str.startswith("# ")


def _drop_notes(frame: pd.DataFrame, rows: Sequence[int]) -> tuple[pd.DataFrame, Sequence[int]]:
    if len(frame) == 0 or len(frame.columns) == 0:
        return frame, rows
    first = frame.iloc[:, 0].astype(str)
    # column by column, stopping at the first that leaves no row blank (usually the first: the ids)
    blank = np.ones(len(frame), dtype=bool)
    for col in frame.columns:
        blank &= (frame[col] == "").to_numpy(dtype=bool)
        if not blank.any():
            break
    keep = ~(is_note(first).to_numpy(dtype=bool) | blank)
    if keep.all():
        return frame, rows
    kept_rows = [r for r, k in zip(rows, keep.tolist()) if k]
    return frame[keep].reset_index(drop=True), kept_rows


def _unneutralise(s: pd.Series) -> pd.Series:
    """Strip a cell, and take off the quote that mfa's CSV writer puts before a formula-leading cell."""
    s = s.str.strip()
    # a vectorised startswith first: the full pattern runs a Python regular expression per cell
    quote = s.str.startswith("'")
    if not quote.any():
        return s
    quoted = pd.Series(False, index=s.index)
    quoted[quote] = s[quote].str.match(r"^'+[=+\-@\t\r]")
    return s.where(~quoted, s.str.slice(1)) if quoted.any() else s


_CSV_LINE = re.compile(r"(?:line|row) (\d+)")


MAX_LINE = 1_000_000
CSV_CHUNK_ROWS = 100_000
_LONG_LINE = re.compile(r"[^\n]{%d}" % MAX_LINE)


def _refuse_long_rows(text: str, file: str) -> None:
    """Locate the rows with more cells than the header (pandas only warns, and drops the surplus)."""
    import csv

    reader = csv.reader(io.StringIO(text))
    width = len(next(reader, []))
    issues = []
    try:
        for cells in reader:
            if len(cells) > width and any(c.strip() for c in cells[width:]):
                issues.append(Issue(file, Message(f"{len(cells)} cells in a row under a header of {width}",
                                                  "read.too_many_cells", n=len(cells), width=width),
                                    row=reader.line_num, suggestion=QUOTE_COMMAS))
    except csv.Error:
        pass
    if issues:
        raise ParkError(issues)


def _has_long_line(data: bytes, limit: int) -> bool:
    """Whether a line holds more than ``limit`` bytes (an upper bound of its characters). Each step searches
    back from ``limit`` bytes ahead for the last line end: a few steps per ``limit`` bytes of file, where
    the regular expression that locates a long line takes a second per 25 MB."""
    start = 0  # the start of a line
    while len(data) - start > limit:
        end = data.rfind(b"\n", start, start + limit + 1)
        if end < 0:
            return True
        start = end + 1
    return False


def _longest_cell(text: str, start: int, end: int) -> str | None:
    """The header of the longest cell of the line ``text[start:end]``, so that a refused line names its
    column as well as its row (None for the header line itself or a line that does not parse)."""
    import csv

    if start == 0:
        return None
    header = _csv_header(text) or []
    limit = csv.field_size_limit()
    try:
        csv.field_size_limit(max(limit, end - start + 1))
        cells = next(csv.reader([text[start:end]]), [])
    except csv.Error:
        return None
    finally:
        csv.field_size_limit(limit)
    if not cells:
        return None
    k = max(range(len(cells)), key=lambda j: len(cells[j]))
    return header[k].strip().lstrip("\ufeff") if k < len(header) else None


def _csv_header(text: str) -> list[str] | None:
    import csv

    try:
        return next(csv.reader(io.StringIO(text[: 1 << 20])), None)
    except csv.Error:
        return None


def _arrow_cells(payload: bytes, header: list[str] | None) -> tuple[pd.DataFrame, list[int]] | None:
    """Every cell as stripped text through Arrow's CSV reader (several times faster than pandas' C parser
    asked for text: no Python string per cell), and the positions of the columns with a cell that starts
    with a quote (for :func:`_unneutralise`); or None when the file is not a plain rectangle of cells — a
    header that pandas would rename (blank, duplicate, quoted), a row of another width, a line of blanks, an
    odd number of quotes — which pandas' parser then reads and locates as before. On the files Arrow accepts
    both give the same frame (tests/test_io_csv.py)."""
    if not header or len(set(header)) != len(header) or not all(h.strip() for h in header):
        return None
    if b'"' in payload[:payload.find(b"\n")] or payload.count(b'"') % 2:
        return None  # a quoted header, or a quote not closed: Arrow would take the rest of the file as one cell
    import pyarrow as pa
    import pyarrow.csv as pcsv

    names = [f"c{i}" for i in range(len(header))]
    try:
        table = pcsv.read_csv(
            io.BytesIO(payload), read_options=pcsv.ReadOptions(skip_rows=1, column_names=names, use_threads=False),
            # blank lines stay rows (row numbers stay the spreadsheet's); blank cells are "", never null
            parse_options=pcsv.ParseOptions(newlines_in_values=True, ignore_empty_lines=False),
            convert_options=pcsv.ConvertOptions(column_types=dict.fromkeys(names, pa.large_string()),
                                                strings_can_be_null=False, quoted_strings_can_be_null=False))
    except pa.ArrowException:
        return None
    import pyarrow.compute as pc

    # stripped here (the kernel pandas' str.strip calls), without a pandas Series around each step
    columns = [pc.utf8_trim_whitespace(col) for col in table.combine_chunks().columns]
    quoted = [i for i, col in enumerate(columns) if pc.any(pc.starts_with(col, "'")).as_py()]
    frame = pa.table(columns, names=names).to_pandas()
    frame.columns = header
    return frame, quoted


def _pandas_cells(payload: bytes, file: str) -> pd.DataFrame:
    """Every cell as text through pandas' C parser, which locates what Arrow's reader only refuses (a row
    with more cells than the header, a quote not closed)."""
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", pd.errors.ParserWarning)
            # index_col=False: a row with more cells than the header must not turn column A into an index
            # in chunks: the parser makes a Python string per cell before the column becomes Arrow text,
            # so a whole million-row file at once would hold them all
            chunks = pd.read_csv(io.BytesIO(payload), dtype=str, keep_default_na=False, skip_blank_lines=False,
                                 na_filter=False, skipinitialspace=False, engine="c", index_col=False,
                                 encoding="utf-8-sig", chunksize=CSV_CHUNK_ROWS)
            parts = list(chunks)
            frame = parts[0] if len(parts) == 1 else pd.concat(parts, ignore_index=True)
            del parts
        if any(issubclass(w.category, pd.errors.ParserWarning) for w in caught):
            _refuse_long_rows(payload.decode("utf-8"), file)
    except (pd.errors.ParserError, ValueError, OverflowError) as e:
        msg = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        m = _CSV_LINE.search(msg)
        row = int(m.group(1)) if m else None
        hint = (QUOTE_COMMAS if "fields" in msg
                else Message("a quote is not closed", "hint.unclosed_quote") if "EOF" in msg or "quote" in msg.lower()
                else None)
        raise ParkError([Issue(file, Message(f"not a valid CSV file: {msg[:200]}", "read.invalid_csv",
                                             detail=msg[:200]), row=row, suggestion=hint)]) from None
    return frame


def read_csv_table(path: Path, name: str, issues: list[Issue] | None = None) -> RawTable | None:
    """One CSV file as a :class:`RawTable` (every cell stripped text, note and blank rows dropped, rows
    numbered as a spreadsheet shows them), within the limits of :mod:`mfa.io.limits`.

    Parameters
    ----------
    path : Path
        The file (UTF-8 with or without BOM, GB18030, or a detected Western encoding).
    name : str
        The table it holds (``flows``…).
    issues : list of Issue, optional
        Where a warning about the encoding goes.

    Returns
    -------
    RawTable

    Raises
    ------
    mfa.errors.ParkError
        When the file is refused whole (empty, too large, a line of more than 1,000,000 characters, not
        CSV, a duplicate column, a row with more cells than the header).

    Examples
    --------
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "flows.csv"
    >>> _ = path.write_text("source,target\\n# a note\\nmine , plant\\n", encoding="utf-8")
    >>> raw = read_csv_table(path, "flows")
    >>> raw.frame.values.tolist(), list(raw.rows)
    ([['mine', 'plant']], [3])
    """
    file = str(path)
    check_file_size(path)
    data = path.read_bytes()
    if not data[:4096].strip() and not data.strip():  # the first bytes tell, unless the file starts blank
        raise ParkError([Issue(file, EMPTY_FILE, suggestion=GIVE_HEADER)])
    try:
        text = data.decode("utf-8-sig")
        utf8 = True
    except UnicodeDecodeError:
        text, utf8 = _decode_other(data, file, issues), False
    m = None
    if _has_long_line(data, MAX_LINE):
        del data  # the long line is located in the text; the bytes are read again only if it passes
        data, utf8 = None, False
        m = _LONG_LINE.search(text)
    if m:  # before pandas, which would hold several copies of a 50 MB cell
        end = text.find("\n", m.start())
        length = (len(text) if end < 0 else end) - m.start()
        raise ParkError([Issue(file, Message(f"a line of {length:,} characters: more than a row of cells holds "
                                             f"({MAX_LINE:,})", "read.long_line", n=length, limit=MAX_LINE),
                               row=text.count("\n", 0, m.start()) + 1,
                               column=_longest_cell(text, m.start(), len(text) if end < 0 else end))])
    header = _csv_header(text)
    # UTF-8 bytes, not a StringIO: the C parser reads them directly, where a StringIO of the text would
    # hold four bytes per character (a 24 MB file cost 100 MB more).
    payload = data if utf8 else text.encode("utf-8")
    del text, data
    cells = _arrow_cells(payload, header)
    if cells is None:
        frame, quoted = _pandas_cells(payload, file), None
    else:
        frame, quoted = cells
    del payload
    if header is not None and len(header) == len(frame.columns):
        names = [h.strip().lstrip("\ufeff") for h in header]
        seen: set[str] = set()
        dup = [h for h in names if h and (h in seen or seen.add(h))]
        if dup:  # pandas would rename the second 'value' to 'value.1' and read on
            raise ParkError([Issue(file, DUPLICATE_COLUMN, row=1, column=c, suggestion=GIVE_COLUMN_ONCE)
                             for c in dup])
    frame.columns = [str(c).strip().lstrip("\ufeff") for c in frame.columns]
    check_rows(file, len(frame))
    if quoted is None:  # pandas' cells are neither stripped nor looked at yet
        frame = frame.apply(_unneutralise) if len(frame) else frame
    elif quoted:
        frame = frame.copy()
        for i in quoted:
            frame.isetitem(i, _unneutralise(frame.iloc[:, i]))
    rows = range(2, len(frame) + 2)  # a range, not a million ints, unless note rows are dropped
    frame, rows = _drop_notes(frame, rows)
    return RawTable(name, file, frame, rows)


def read_folder_tables(folder: Path, names: tuple[str, ...], issues: list[Issue],
                       refused: set[str] | None = None) -> dict[str, RawTable | None]:
    """The tables ``names`` of a park folder that have a file (``<name>.csv``), as text cells with rows
    located; problems go to ``issues`` and the names of tables refused whole to ``refused``.

    Parameters
    ----------
    folder : Path
    names : tuple of str
    issues : list of Issue
        Appended to.
    refused : set of str, optional
        Added to.

    Returns
    -------
    dict of str to RawTable or None

    Examples
    --------
    >>> from mfa.catalogue import example_park_path
    >>> found: list = []
    >>> sorted(read_folder_tables(example_park_path("hazardous"), ("flows", "substance_tc", "nothing"), found))
    ['flows', 'substance_tc']
    """
    tables: dict[str, RawTable | None] = {}
    for name in names:
        p = folder / f"{name}.csv"
        if not p.is_file():
            continue
        try:
            tables[name] = read_csv_table(p, name, issues)
        except ParkError as e:
            issues.extend(e.issues)
            if refused is not None:
                refused.add(name)
    return tables


def read_csv_folder(folder: Path) -> tuple[dict[str, RawTable | None], RawTable | None, list[Issue], set[str]]:
    """The raw tables of a park folder, its ``park.csv``, the problems found while reading, and the names
    of the tables that were refused whole (their checks against other tables are then skipped).

    Parameters
    ----------
    folder : Path
        A park folder (processes.csv, flows.csv, …).

    Returns
    -------
    tables : dict of str to RawTable or None
        The park's tables as text cells, rows located.
    info : RawTable, dict or None
        The park's settings.
    issues : list of Issue
        Problems met while reading (the validation of the cells is :func:`mfa.io.frames.validate_tables`'s).
    refused : set of str
        Tables refused whole.

    Examples
    --------
    >>> from mfa.catalogue import example_park_path
    >>> tables, info, issues, refused = read_csv_folder(example_park_path("wuhai"))
    >>> sorted(t for t in tables if tables[t] is not None)[:2], issues, refused
    (['flows', 'processes'], [], set())
    """
    issues: list[Issue] = []
    refused: set[str] = set()
    tables = read_folder_tables(folder, TABLES, issues, refused)
    for name in ("processes", "flows"):
        p = folder / f"{name}.csv"
        if not p.is_file():
            issues.append(Issue(str(p), Message("missing file", "read.missing_file"),
                                suggestion=Message(f"a park folder needs {name}.csv", "hint.folder_needs",
                                                   file=f"{name}.csv")))
    info = None
    p = folder / "park.csv"
    if p.is_file():
        try:
            info = read_csv_table(p, "park", issues)
        except ParkError as e:
            issues.extend(e.issues)
    extra = sorted(q.name for q in folder.glob("*.csv") if q.stem not in SECTIONS)
    for q in extra:
        known = ", ".join(s + ".csv" for s in SECTIONS)
        issues.append(Issue(str(folder / q), Message("unknown table file", "read.unknown_file"),
                            suggestion=suggest(Path(q).stem, SECTIONS) or
                            Message(f"known files: {known}", "hint.known_files", files=known), severity="warning"))
    return tables, info, issues, refused


def _yaml_cell(v: Any) -> str:
    from mfa.validation import cell_text

    if isinstance(v, (dict, list)):
        return "\x00structure"
    if isinstance(v, float) and v != v:
        return "nan"  # .nan is refused as in CSV and Excel, not taken for a blank (unknown) cell
    return cell_text(v)


def read_yaml(path: Path) -> tuple[dict[str, RawTable | None], Any, list[Issue]]:
    """A park YAML file as raw tables (rows located by YAML path, ``flows[3]``), read by the fast reader
    when it is plain block YAML as mfa writes it, else by PyYAML within :func:`mfa.io.limits.load_yaml`.

    Parameters
    ----------
    path : Path
        The .yaml file.

    Returns
    -------
    tables : dict of str to RawTable or None
        The park's tables as text cells, rows located.
    info : RawTable, dict or None
        The park's settings.
    issues : list of Issue
        Problems met while reading (the validation of the cells is :func:`mfa.io.frames.validate_tables`'s).

    Raises
    ------
    mfa.errors.ParkError
        When the file is refused whole (not YAML, an alias, too deep, a duplicate key…).

    Examples
    --------
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "p.yaml"
    >>> _ = path.write_text("park: {name: x}\\nflows:\\n- {source: a, target: b}\\n", encoding="utf-8")
    >>> tables, info, issues = read_yaml(path)
    >>> tables["flows"].rows, info
    (['flows[0]'], {'name': 'x'})
    """
    import yaml

    from mfa.io.limits import load_yaml

    file = str(path)
    check_file_size(path)
    data = path.read_bytes()
    if not data.strip():
        raise ParkError([Issue(file, EMPTY_FILE, suggestion=Message("a park file has sections park, processes, flows…",
                                                                    "hint.yaml_sections"))])
    issues: list[Issue] = []
    text = _decode(data, file, issues)
    del data
    from mfa.io.fastyaml import fast_tables

    try:
        fast = fast_tables(text, TABLES + SUBSTANCE_TABLES)
        if fast is None:
            doc = load_yaml(text)
        else:
            park_text = fast.pop("park")
            doc = dict(fast)
            if park_text is not None:
                doc["park"] = load_yaml(park_text)["park"]
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = str(getattr(e, "problem", None) or e)
        raise ParkError([Issue(file, Message(f"not valid YAML{where}: {problem[:300]}",
                                             "read.invalid_yaml_at" if mark else "read.invalid_yaml",
                                             line=mark.line + 1 if mark else None,
                                             col=mark.column + 1 if mark else None, detail=problem[:300]))]) from None
    del text
    if not isinstance(doc, dict):
        raise ParkError([Issue(file, Message("the file must be a mapping with sections park, processes, flows…",
                                             "read.yaml_not_mapping"))])
    for key in doc:
        if key not in SECTIONS:
            sections = ", ".join(SECTIONS)
            issues.append(Issue(file, Message(f"unknown section '{key}'", "read.unknown_section", section=str(key)),
                                path=str(key), suggestion=suggest(str(key), SECTIONS)
                                or Message("sections: " + sections, "hint.sections", sections=sections)))
    tables: dict[str, RawTable | None] = {}
    for name in TABLES + SUBSTANCE_TABLES:
        items = doc.get(name)
        if items is None:
            tables[name] = None
            if name in ("processes", "flows"):
                issues.append(Issue(file, Message(f"missing section '{name}'", "read.missing_section",
                                                  section=name), path=name))
            continue
        if isinstance(items, pd.DataFrame):  # from the fast reader: cells already as text
            check_rows(f"{file} [{name}]", len(items))
            tables[name] = RawTable(name, file, items, [f"{name}[{i}]" for i in range(len(items))])
            continue
        if not isinstance(items, list):
            issues.append(Issue(file, Message(f"section '{name}' must be a list of rows", "read.section_not_list",
                                              section=name), path=name))
            tables[name] = None
            continue
        check_rows(f"{file} [{name}]", len(items))
        cols: list[str] = []
        for it in items:
            if isinstance(it, dict):
                for k in it:
                    if str(k) not in cols:
                        cols.append(str(k))
        records, rows = [], []
        for i, it in enumerate(items):
            if not isinstance(it, dict):
                issues.append(Issue(file, Message("each row must be a mapping of column: value",
                                                  "read.row_not_mapping"), path=f"{name}[{i}]",
                                    value=it))
                continue
            rec = {c: "" for c in cols}
            for k, v in it.items():
                cell = _yaml_cell(v)
                if cell == "\x00structure":
                    issues.append(Issue(file, Message("a cell must be a single value", "read.cell_not_value"),
                                        path=f"{name}[{i}].{k}"))
                    cell = ""
                rec[str(k)] = cell.strip()
            records.append(rec)
            rows.append(f"{name}[{i}]")
        frame = pd.DataFrame(records, columns=cols) if records else pd.DataFrame(columns=cols)
        tables[name] = RawTable(name, file, frame.astype(object), rows)
    info = doc.get("park")
    if info is not None and not isinstance(info, dict):
        issues.append(Issue(file, Message("section 'park' must be a mapping", "read.park_not_mapping"), path="park"))
        info = None
    elif info is not None:
        for k, v in list(info.items()):
            if isinstance(v, (dict, list)):
                issues.append(Issue(file, Message("a park setting must be a single value", "read.setting_not_value"),
                                    path=f"park.{str(k)[:40]}"))
                del info[k]
        info = {str(k): v for k, v in info.items()}
    return tables, info, issues


def _excel_cell(v: Any) -> str:
    import datetime as dt

    from mfa.validation import cell_text

    if isinstance(v, (dt.datetime, dt.date)):
        return v.isoformat()
    return cell_text(v).strip()


def read_excel(path: Path) -> tuple[dict[str, RawTable | None], Any, list[Issue]]:
    """A park workbook as raw tables (one sheet per table, rows numbered as Excel shows them; the values
    saved with formulas, never the formulas), after :func:`mfa.io.limits.check_workbook`.

    Parameters
    ----------
    path : Path
        The .xlsx file.

    Returns
    -------
    tables : dict of str to RawTable or None
        The park's tables as text cells, rows located.
    info : RawTable, dict or None
        The park's settings.
    issues : list of Issue
        Problems met while reading (the validation of the cells is :func:`mfa.io.frames.validate_tables`'s).

    Raises
    ------
    mfa.errors.ParkError
        When the workbook is refused whole.

    Examples
    --------
    >>> import tempfile, mfa
    >>> path = Path(tempfile.mkdtemp()) / "p.xlsx"
    >>> _ = mfa.write_park(mfa.read_park("hazardous"), path)
    >>> tables, info, issues = read_excel(path)
    >>> tables["flows"].rows[0], issues
    (2, [])
    """
    import warnings

    from openpyxl import load_workbook

    from mfa.io.limits import MAX_COLUMNS, MAX_ROWS, check_workbook

    file = str(path)
    check_workbook(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            wb = load_workbook(path, read_only=True, data_only=False)
            # the values the spreadsheet program saved with its formulas (never evaluated here)
            saved = load_workbook(path, read_only=True, data_only=True)
    except Exception as e:  # openpyxl raises many types for a damaged or non-xlsx file
        raise ParkError([Issue(file, Message(f"cannot open the workbook: {str(e)[:200]}", "read.bad_workbook",
                                             detail=str(e)[:200]),
                               suggestion=Message("save it as an Excel workbook (.xlsx)", "hint.save_xlsx"))]) from None
    issues: list[Issue] = []
    tables: dict[str, RawTable | None] = {}
    info = None
    try:
        names = wb.sheetnames
        for sheet in names:
            if sheet not in SECTIONS and not sheet.startswith("_") and sheet.lower() not in ("notes", "lists", "readme"):
                issues.append(Issue(file, Message(f"unknown sheet '{sheet}'", "read.unknown_sheet", sheet=sheet),
                                    severity="warning",
                                    suggestion=suggest(sheet, SECTIONS)))
        for name in SECTIONS:
            if name not in names:
                if name in ("processes", "flows"):
                    issues.append(Issue(file, Message(f"missing sheet '{name}'", "read.missing_sheet", sheet=name),
                                        suggestion=suggest(name, names)))
                tables[name] = None
                continue
            ws = wb[name]
            it = _saved_values(ws.iter_rows(max_col=MAX_COLUMNS),
                               saved[name].iter_rows(values_only=True, max_col=MAX_COLUMNS))
            header = next(it, None)
            sheet_file = f"{file} [sheet {name}]"
            if header is None or all(h is None for h in header):
                issues.append(Issue(sheet_file, Message("empty sheet", "read.empty_sheet"), suggestion=GIVE_HEADER))
                tables[name] = None
                continue
            cols = [_excel_cell(h) for h in header]
            width = max(i for i, h in enumerate(cols) if h) + 1
            cols = cols[:width]
            seen: set[str] = set()
            dup_cols = [c for c in cols if c and (c in seen or seen.add(c))]
            if dup_cols:
                issues.extend(Issue(sheet_file, DUPLICATE_COLUMN, row=1, column=c, suggestion=GIVE_COLUMN_ONCE)
                              for c in dup_cols)
                tables[name] = None
                continue
            records, rows = [], []
            no_value: list[tuple[int, int, str]] = []
            for r, values in enumerate(it, start=2):
                if r > MAX_ROWS + 1:
                    raise ParkError([Issue(sheet_file, Message(f"more than {MAX_ROWS:,} rows: more than mfa reads in "
                                                               "one table", "read.too_many_rows", limit=MAX_ROWS))])
                if not any(v is not None for v in values[:width]):
                    continue
                for j, v in enumerate(values[:width]):
                    if isinstance(v, _Unsaved):
                        no_value.append((r, j, v.formula))
                cells = [_excel_cell(v) for v in values[:width]] + [""] * max(0, width - len(values))
                if not any(cells) or cells[0] == "#" or cells[0].startswith("# "):
                    continue
                records.append(cells)
                rows.append(r)
            for r, j, formula in no_value[:200]:
                issues.append(Issue(sheet_file, Message("a formula without a saved value: the workbook was written "
                                                        "by a program that does not calculate", "read.unsaved_formula"),
                                    row=r, column=cols[j], value=formula[:60],
                                    suggestion=Message("open the workbook in Excel, WPS or LibreOffice and save it, so "
                                                       "that each formula's value is stored with it (mfa never "
                                                       "evaluates formulas)", "hint.save_in_excel")))
            frame = pd.DataFrame(records, columns=cols).astype(object) if records else pd.DataFrame(columns=cols)
            raw = RawTable(name, sheet_file, frame, rows)
            if name == "park":
                info = raw
            else:
                tables[name] = raw
    finally:
        wb.close()
        saved.close()
    return tables, info, issues


class _Unsaved(str):
    """A formula cell whose workbook holds no saved value (reported, read as blank)."""

    def __new__(cls, formula: str):
        obj = super().__new__(cls, "")
        obj.formula = formula
        return obj


def _saved_values(cells, values):
    """Rows of cell values where every formula cell is replaced by the value the spreadsheet program saved
    with it (Excel, WPS and LibreOffice store it in the file); a formula with no saved value becomes an
    :class:`_Unsaved` marker. A text cell that merely starts with '=' stays text."""
    for row, vals in zip(cells, values):
        out = []
        for j, cell in enumerate(row):
            v = getattr(cell, "value", None)
            if getattr(cell, "data_type", None) == "f":
                v = vals[j] if j < len(vals) else None
                if v is None:
                    v = _Unsaved(str(cell.value))
            out.append(v)
        yield tuple(out)
