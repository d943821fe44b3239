"""The one table validator: columns of a raw table (every cell a string, every row located) checked into
typed arrays and located :class:`~mfa.errors.Issue` objects.

Every table mfa reads goes through here: the park's tables (:mod:`mfa.io.frames`), the shipped and park
coefficient tables (:mod:`mfa.generation`), the targets (:mod:`mfa.targets`) and the symbiosis catalogue
and prices (:mod:`mfa.catalogue`). Two ways in, one machinery:

* :func:`check_columns` takes a declarative list of :class:`Column` specs (number ranges, choices,
  patterns, years, required cells) and returns the parsed columns and the rows that failed;
* :class:`TableChecker` holds the checks the park tables combine by hand (numbers with inline units,
  ids, choices, booleans), and :meth:`TableChecker.add` is how every failing mask becomes issues.

Identical problems are grouped: one issue per column, message and distinct value, naming its first row and
listing every other (:attr:`Issue.more`), with at most :data:`MAX_DISTINCT` distinct values spelled out per
column and message (the rest are one issue that still lists each row). A million rows naming a thousand
unknown processes are a thousand issues and a thousand suggestions, built with array operations.

>>> import pandas as pd
>>> from mfa.errors import RawTable
>>> raw = RawTable("prices", "prices.csv", pd.DataFrame({"fee": ["12", "x", "-3", "x"]}), [2, 3, 4, 5])
>>> issues = []
>>> checked = check_columns(raw, [Column("fee", "number", low=0)], issues)
>>> checked.values["fee"].tolist()
[12.0, nan, nan, nan]
>>> for i in issues: print(i)
prices.csv, row 3 (and 1 more: rows 5), column 'fee': not a number (value: 'x')
prices.csv, row 4, column 'fee': must be ≥ 0 (value: -3.0)
"""

from __future__ import annotations

import re
from array import array
from dataclasses import dataclass, field
from typing import Any, Callable, Collection, Sequence

import numpy as np
import pandas as pd

from mfa.errors import Issue, Message, RawTable, suggest

__all__ = ["Column", "Checked", "TableChecker", "check_columns", "grouped_issues", "cell_text", "in_set", "row_of",
           "already_used", "number_hint", "use_one_of"]

MAX_SUGGESTIONS = 50  # distinct values per check that get a fuzzy 'did you mean' (each scans every choice)
MAX_DISTINCT = 1000  # distinct values per check spelled out as their own issue; the rest are one issue

TRUE_WORDS = frozenset({"true", "1", "yes", "y", "t", "是", "√", "x"})
FALSE_WORDS = frozenset({"false", "0", "no", "n", "f", "否", ""})
MISSING_MARKERS = ("nan", "na", "n/a", "null", "none", "-")
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$")
VALUE_WITH_UNIT = re.compile(r"^\s*([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)\s*(\S.*)$")
# What may follow a number in a value cell as its unit: it starts like a unit (a letter, 万/亿/吨…, or %)
# — "80,5", "1 000", "5\0" or a date are malformed numbers, not a number with a unit.
_UNIT_START = re.compile(r"^[^\W\d_]")
_DATE = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}([ T].*)?$|^\d{1,2}/\d{1,2}/\d{2,4}$")
_DECIMAL_COMMA = re.compile(r"^[+-]?\d+,\d+$")
_SPACED = re.compile(r"^[+-]?\d{1,3}( \d{3})+(\.\d*)?$")


def cell_text(v: Any) -> str:
    """The text of one cell as a reader gives it: blank for None/NaN/NA, ``repr`` of a float, ``true``/
    ``false`` for booleans.

    Parameters
    ----------
    v : object
        A cell from a DataFrame or a YAML/Excel reader.

    Returns
    -------
    str

    Examples
    --------
    >>> [cell_text(v) for v in (None, float("nan"), 2.5, 3, True, " a ")]
    ['', '', '2.5', '3', 'true', ' a ']
    """
    if v is None:
        return ""
    if isinstance(v, float):
        return "" if v != v else repr(v)
    if isinstance(v, (bool, np.bool_)):
        return "true" if v else "false"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, np.floating):
        return "" if np.isnan(v) else repr(float(v))
    if v is pd.NA or v is pd.NaT:
        return ""
    return str(v)


def in_set(values: pd.Series, allowed: Collection[str]) -> np.ndarray:
    """Whether each value is one of ``allowed``, as ``values.isin(allowed)`` (NaN is never in it).

    ``Series.isin`` on Arrow text converts every allowed value to an Arrow scalar, one by one (20,000 process
    ids against 10⁵ flows: 50 ms a column); here Arrow text is probed in Arrow's hash of the allowed values,
    and other cells are looked up once per distinct value in a set.

    Parameters
    ----------
    values : pandas.Series
        The cells (text).
    allowed : collection of str
        The accepted values.

    Returns
    -------
    numpy.ndarray of bool

    Examples
    --------
    >>> in_set(pd.Series(["a", "b", "a", None]), ["a", "c"]).tolist()
    [True, False, True, False]
    """
    if getattr(values.dtype, "storage", None) == "pyarrow":
        import pyarrow as pa
        import pyarrow.compute as pc

        cells = pa.array(values.array)
        if len(allowed) > 64:  # many allowed values (ids, names): only the cells' own distinct ones are looked up
            allowed = allowed if isinstance(allowed, (set, frozenset, dict)) else set(allowed)
            accepted = [u for u in pc.unique(cells).to_pylist() if u in allowed]
        else:
            accepted = [a for a in allowed if isinstance(a, str)]
        # Arrow hashes the accepted values and probes each cell
        return pc.is_in(cells, value_set=pa.array(accepted, type=cells.type)).to_numpy(zero_copy_only=False)
    codes, uniques = pd.factorize(values)
    allowed = allowed if isinstance(allowed, (set, frozenset, dict)) else set(allowed)
    hit = np.fromiter((u in allowed for u in uniques.tolist()), dtype=bool, count=len(uniques))
    # factorize marks NaN with -1: the extra False at the end answers it
    return np.append(hit, False)[codes]


def row_of(values: pd.Series, keys: pd.Series) -> np.ndarray:
    """The row of each value in ``keys`` (its first, if a key repeats), -1 where it is not a key.

    Arrow text is probed in Arrow's hash of the keys (the ends of 10⁵ flows among 2·10⁴ process ids: 1 ms);
    other cells are looked up once per distinct value.

    Parameters
    ----------
    values : pandas.Series
        The cells looked up (text).
    keys : pandas.Series
        The ids.

    Returns
    -------
    numpy.ndarray of int64

    Examples
    --------
    >>> row_of(pd.Series(["b", "x", "a", None]), pd.Series(["a", "b", "a"])).tolist()
    [1, -1, 0, -1]
    >>> row_of(pd.Series(["b", "x", "a", None], dtype="str"), pd.Series(["a", "b", "a"], dtype="str")).tolist()
    [1, -1, 0, -1]
    """
    arrow = "pyarrow"
    if getattr(values.dtype, "storage", None) == arrow and getattr(keys.dtype, "storage", None) == arrow:
        import pyarrow as pa
        import pyarrow.compute as pc

        # Arrow hashes the keys once and probes each cell: no factorisation of the cells themselves
        found = pc.index_in(pa.array(values.array), value_set=pa.array(keys.array))
        return found.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
    codes, uniques = pd.factorize(values)
    index = pd.Index(keys)
    first = np.arange(len(index))
    if not index.is_unique:
        first = np.flatnonzero(~index.duplicated(keep="first"))
        index = index[first]
    at = index.get_indexer(uniques)
    rows = np.where(at >= 0, first[np.maximum(at, 0)] if len(first) else -1, -1)
    return np.append(rows, -1)[codes].astype(np.int64)


def grouped_issues(raw: RawTable, mask: np.ndarray, column: str, message: str, values: Sequence | None = None,
                   suggestion: "str | Callable[[Any], str | None] | None" = None,
                   severity: str = "error") -> list[Issue]:
    """Located issues for the rows of ``raw`` where ``mask`` holds: one per distinct value.

    Parameters
    ----------
    raw : RawTable
        The table the rows belong to (its ``rows`` locate them).
    mask : array of bool
        The failing rows (one entry per row of ``raw.frame``).
    column, message : str
        Where and what.
    values : sequence, optional
        The value echoed for each row (default: the column's text).
    suggestion : str or callable, optional
        A fixed hint, or a function of the value called once per distinct value (for the first
        :data:`MAX_SUGGESTIONS` of them).
    severity : str
        ``"error"`` or ``"warning"``.

    Returns
    -------
    list of Issue
        In the order of each value's first row; each issue names that row and lists the others in ``more``.
        Past :data:`MAX_DISTINCT` distinct values, one last issue lists every remaining row.

    Examples
    --------
    >>> raw = RawTable("flows", "flows.csv", pd.DataFrame({"source": ["a", "b", "a"]}), [2, 3, 4])
    >>> [str(i) for i in grouped_issues(raw, np.array([True, True, True]), "source", "unknown process")]
    ["flows.csv, row 2 (and 1 more: rows 4), column 'source': unknown process (value: 'a')", \
"flows.csv, row 3, column 'source': unknown process (value: 'b')"]
    """
    idx = np.flatnonzero(np.asarray(mask))
    if not len(idx):
        return []
    if values is None:
        values = raw.frame[column] if column in raw.frame.columns else pd.Series("", index=raw.frame.index)
    if not isinstance(values, pd.Series):
        values = pd.Series(np.asarray(values, dtype=object))
    # factorised in the column's own (Arrow) storage: no Python object per failing row
    codes, uniques = pd.factorize(values.iloc[idx], sort=False, use_na_sentinel=False)
    n_values = len(uniques)
    shown = min(n_values, MAX_DISTINCT)
    uniques = [None if isinstance(v, float) and v != v else v for v in uniques[:shown]]  # a blank: no value
    codes = np.asarray(codes)
    # rows of each shown value, by one stable sort; past MAX_DISTINCT values only a mask (no array per value)
    head = codes < shown
    order = idx[head][np.argsort(codes[head], kind="stable")]
    bounds = np.concatenate([[0], np.cumsum(np.bincount(codes[head], minlength=shown))])
    locs = raw.locations()
    out: list[Issue] = []
    for k in range(shown):
        value = uniques[k]
        hint = (suggestion(value) if k < MAX_SUGGESTIONS else None) if callable(suggestion) else suggestion
        out.append(_issue(raw, locs, order[bounds[k]:bounds[k + 1]], column, message, value, hint, severity))
    if n_values > shown:
        rest = idx[~head]
        more = Message(f"{message} ({n_values - shown:,} more distinct values in {len(rest):,} rows)",
                       "input.more_values", message=message, n=n_values - shown, rows=len(rest))
        out.append(_issue(raw, locs, rest, column, more, None, None, severity))
    return out


def _issue(raw: RawTable, locs: np.ndarray, rows: np.ndarray, column: str, message: str, value: Any,
           hint: str | None, severity: str) -> Issue:
    first = raw.issue(int(rows[0]), column, message, value, hint, severity)
    if len(rows) == 1:
        return first
    rest = locs[rows[1:]]
    if rest.dtype == np.int64:  # spreadsheet rows: 8 bytes each, where a tuple of ints takes 36
        more: Sequence = array("q")
        more.frombytes(rest.tobytes())
    else:  # YAML paths
        more = tuple(rest.tolist())
    return Issue(first.file, first.message, row=first.row, column=first.column, value=first.value,
                 suggestion=first.suggestion, path=first.path, severity=severity, more=more)


@dataclass(frozen=True)
class Column:
    """How one column of a table is checked by :func:`check_columns`.

    ``kind``: ``"text"`` (any text), ``"number"`` (finite float, within ``low``/``high``; ``percent``
    reads ``60%`` as 0.6), ``"year"`` (a whole number), ``"choice"`` (one of ``choices``) or ``"pattern"``
    (matches the regular expression ``pattern``). ``required``: a blank cell is an error
    (``blank_message``). ``default`` replaces a blank before the check. ``message`` replaces the default
    message for a bad value (and, for numbers, ``range_message`` for one out of range); ``suggestion`` is
    a hint or a function of the value. ``when``: only rows where this other column is not blank.

    Examples
    --------
    >>> Column("value", "number", low=0, high=1, percent=True).kind
    'number'
    """

    name: str
    kind: str = "text"
    required: bool = False
    low: float | None = None
    high: float | None = None
    percent: bool = False
    choices: Collection[str] | None = None
    pattern: str | None = None
    default: str = ""
    message: str | None = None
    range_message: str | None = None
    blank_message: str | None = None
    suggestion: "str | Callable[[Any], str | None] | None" = None
    blank_suggestion: str | None = None
    when: str | None = None


@dataclass
class Checked:
    """What :func:`check_columns` found: ``values`` (column → float array for numbers and years, text
    Series otherwise; NaN or "" where bad) and ``bad`` (rows with at least one error).

    Examples
    --------
    >>> raw = RawTable("flows", "flows.csv", pd.DataFrame({"value": ["1", "x"]}), [2, 3])
    >>> checked = check_columns(raw, [Column("value", kind="number")], [])
    >>> checked.values["value"].tolist(), checked.bad.tolist()
    ([1.0, nan], [False, True])
    """

    values: dict[str, Any] = field(default_factory=dict)
    bad: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))


def check_columns(raw: RawTable, columns: Sequence[Column], issues: list[Issue]) -> Checked:
    """Check ``columns`` of ``raw`` (missing columns read as blank), appending located issues.

    Parameters
    ----------
    raw : RawTable
        The table, every cell text.
    columns : sequence of Column
        The specs, checked in this order (the issues follow it).
    issues : list of Issue
        Where problems go (grouped per distinct value, see :func:`grouped_issues`).

    Returns
    -------
    Checked
        The parsed columns and the rows with errors.

    Examples
    --------
    >>> raw = RawTable("targets", "t.csv", pd.DataFrame({"value": ["60%", "2"], "comparison": ["", "<"]}), [2, 3])
    >>> issues = []
    >>> c = check_columns(raw, [Column("value", "number", low=0, high=1, percent=True),
    ...                         Column("comparison", "choice", choices=(">=", "<="), default=">=")], issues)
    >>> c.values["value"].tolist(), c.values["comparison"].tolist(), c.bad.tolist()
    ([0.6, nan], ['>=', '<'], [False, True])
    >>> [i.location() for i in issues]
    ["t.csv, row 3, column 'value'", "t.csv, row 3, column 'comparison'"]
    """
    n = len(raw.frame)
    bad = np.zeros(n, dtype=bool)
    out = Checked(bad=bad)

    def report(mask: np.ndarray, spec: Column, message: str, values: Sequence | None = None,
               hint: Any = None) -> None:
        if mask.any():
            issues.extend(grouped_issues(raw, mask, spec.name, message, values, hint))
            bad[mask] = True

    for spec in columns:
        text = _text(raw, spec.name)
        if spec.default:
            text = text.where(text != "", spec.default)
        blank = (text == "").to_numpy()
        active = np.ones(n, dtype=bool) if spec.when is None else (_text(raw, spec.when) != "").to_numpy()
        if spec.required:  # a blank cell echoes no value
            report(blank & active, spec, spec.blank_message or Message("missing value", "input.missing_value"),
                   pd.Series(None, index=text.index,
                   dtype=object), spec.blank_suggestion)
        check = ~blank & active
        if spec.kind in ("number", "year"):
            values, not_number, out_of_range = _parse_numbers(text, spec)
            report(not_number & check, spec, spec.message or (
                Message("not a year", "input.not_year") if spec.kind == "year"
                else Message("not a number", "input.not_what", what="a number")), text, spec.suggestion)
            if spec.range_message:
                report(out_of_range & check, spec, spec.range_message, text, spec.suggestion)
            else:
                finite = np.isfinite(values)
                for bound, word, side in ((spec.low, "≥", -1), (spec.high, "≤", 1)):
                    if bound is not None:
                        with np.errstate(invalid="ignore"):
                            wrong = finite & (side * (values - bound) > 0)
                        report(wrong & check, spec, Message(f"must be {word} {bound:g}", "input.bound", op=word,
                                                            bound=bound), values, spec.suggestion)
                report(np.isinf(values) & check, spec, Message("not a finite number", "input.not_finite"), text,
                       spec.suggestion)
            values = np.where(not_number | out_of_range, np.nan, values)
            out.values[spec.name] = values
            continue
        if spec.kind == "choice":
            report(~text.isin(list(spec.choices or ())).to_numpy() & check, spec,
                   spec.message or Message(f"unknown {spec.name}", "input.unknown_value", column=spec.name), text,
                   spec.suggestion)
        elif spec.kind == "pattern":
            report(~text.str.fullmatch(spec.pattern or "").fillna(False).to_numpy(dtype=bool) & check, spec,
                   spec.message or Message(f"not a valid {spec.name}", "input.not_valid", column=spec.name), text,
                   spec.suggestion)
        out.values[spec.name] = text
    return out


def _text(raw: RawTable, column: str) -> pd.Series:
    if column in raw.frame.columns:
        return raw.frame[column].astype(str).str.strip()
    return pd.Series([""] * len(raw.frame), index=raw.frame.index, dtype=object)


def _parse_numbers(text: pd.Series, spec: Column) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Floats, the cells that are not numbers, and the numbers outside [low, high] or infinite."""
    body = text
    if spec.percent:
        pct = text.str.endswith("%")
        body = text.where(~pct, text.str[:-1].str.strip())
    values = pd.to_numeric(body.where(body != "", None), errors="coerce").to_numpy(dtype=float, copy=True)
    if spec.percent:
        values = np.where(pct.to_numpy(), values / 100.0, values)
    not_number = (text != "").to_numpy() & np.isnan(values)
    if spec.kind == "year":
        not_number |= ~np.isnan(values) & (np.isinf(values) | (values != np.round(values)))
    with np.errstate(invalid="ignore"):
        out_of_range = np.isinf(values)
        if spec.low is not None:
            out_of_range |= values < spec.low
        if spec.high is not None:
            out_of_range |= values > spec.high
    return values, not_number, out_of_range


def _arrow_floats(text: pd.Series) -> np.ndarray | None:
    """The cells of Arrow text as floats (NaN where blank) when every filled cell is a number Arrow reads,
    else None (then pandas parses the column and the checks locate each bad cell). Arrow's cast is ten
    times faster than ``pd.to_numeric`` and gives the same doubles (both round correctly); where both
    accept a cell they agree, and every cell Arrow refuses is one the slower path looks at."""
    if getattr(text.dtype, "storage", None) != "pyarrow":
        return None
    import pyarrow as pa
    import pyarrow.compute as pc

    cells = pa.array(text.array)
    cells = pc.if_else(pc.equal(cells, ""), pa.scalar(None, cells.type), cells)
    try:
        floats = pc.cast(cells, pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    return floats.to_numpy(zero_copy_only=False).copy()


# -- the checks the park tables combine -------------------------------------------------------------------
class TableChecker:
    """Validates the columns of one raw table of a park, collecting located issues.

    Parameters
    ----------
    raw : RawTable
        The table.
    issues : list of Issue
        Where problems go.

    Examples
    --------
    >>> raw = RawTable("flows", "flows.csv", pd.DataFrame({"value": ["1,5", "2 t/d"]}), [2, 3])
    >>> issues = []
    >>> values, units = TableChecker(raw, issues).numbers("value", allow_unit=True)
    >>> values.tolist(), units.tolist()
    ([nan, 2.0], ['', 't/d'])
    >>> print(issues[0])
    flows.csv, row 2, column 'value': not a number (value: '1,5') — write the decimal separator as a point: 1.5
    """

    def __init__(self, raw: RawTable, issues: list[Issue]):
        self.raw = raw
        self.f = raw.frame
        self.issues = issues
        self.n = len(raw.frame)

    def add(self, mask: np.ndarray, column: str, message: str, values: pd.Series | None = None,
            suggestion: "str | Callable[[Any], str | None] | None" = None, severity: str = "error") -> None:
        """Issues for the rows where ``mask`` holds (see :func:`grouped_issues`).

        Parameters
        ----------
        mask : numpy.ndarray of bool
            The rows with the problem.
        column : str
            The column.
        message : str
            What is wrong.
        values : pandas.Series, optional
            The cell values shown (default: the column's text).
        suggestion : str or callable, optional
            A fix, or a function of the value giving one.
        severity : str
            ``"error"`` or ``"warning"``.

        Returns
        -------
        None

        Examples
        --------
        >>> frame = pd.DataFrame({"id": ["a", "a", ""], "kind": ["import", "mine", "export"],
        ...                       "value": ["1", "-2", "x"]})
        >>> raw = RawTable("processes", "processes.csv", frame, [2, 3, 4])
        >>> issues = []
        >>> c = TableChecker(raw, issues)
        >>> c.add(np.array([False, True, False]), "kind", "unknown kind")
        >>> print(issues[0])
        processes.csv, row 3, column 'kind': unknown kind (value: 'mine')
        """
        mask = np.asarray(mask, dtype=bool)
        if mask.any():
            self.issues.extend(grouped_issues(self.raw, mask, column, message,
                                              values if values is not None else self.text(column),
                                              suggestion, severity))

    def has(self, column: str) -> bool:
        """Whether the table has ``column``.

        Parameters
        ----------
        column : str

        Returns
        -------
        bool

        Examples
        --------
        >>> frame = pd.DataFrame({"id": ["a", "a", ""], "kind": ["import", "mine", "export"],
        ...                       "value": ["1", "-2", "x"]})
        >>> raw = RawTable("processes", "processes.csv", frame, [2, 3, 4])
        >>> issues = []
        >>> c = TableChecker(raw, issues)
        >>> c.has("kind"), c.has("name")
        (True, False)
        """
        return column in self.f.columns

    def text(self, column: str) -> pd.Series:
        """The column's text ("" for every row if the table lacks it).

        Parameters
        ----------
        column : str

        Returns
        -------
        pandas.Series
            One str per row.

        Examples
        --------
        >>> frame = pd.DataFrame({"id": ["a", "a", ""], "kind": ["import", "mine", "export"],
        ...                       "value": ["1", "-2", "x"]})
        >>> raw = RawTable("processes", "processes.csv", frame, [2, 3, 4])
        >>> issues = []
        >>> c = TableChecker(raw, issues)
        >>> c.text("kind").tolist(), c.text("name").tolist()
        (['import', 'mine', 'export'], ['', '', ''])
        """
        if column in self.f.columns:
            s = self.f[column]
            # a text column is returned as it is (astype would go through pandas' conversion machinery)
            return s if isinstance(s.dtype, pd.StringDtype) else s.astype(str)
        return pd.Series("", index=self.f.index, dtype="str")

    def required(self, columns: tuple[str, ...]) -> bool:
        """Whether every column in ``columns`` is present; an issue for each missing one.

        Parameters
        ----------
        columns : tuple of str

        Returns
        -------
        bool

        Examples
        --------
        >>> frame = pd.DataFrame({"id": ["a", "a", ""], "kind": ["import", "mine", "export"],
        ...                       "value": ["1", "-2", "x"]})
        >>> raw = RawTable("processes", "processes.csv", frame, [2, 3, 4])
        >>> issues = []
        >>> c = TableChecker(raw, issues)
        >>> c.required(("id", "name"))
        False
        >>> print(issues[0])
        processes.csv, column 'name': missing required column 'name' — add a column 'name' (columns found: id,
        kind, value)
        """
        ok = True
        present = list(self.f.columns)
        for c in columns:
            if c not in present:
                ok = False
                found = ", ".join(present) or "none"
                self.issues.append(Issue(self.raw.file, Message(f"missing required column '{c}'",
                                                                "input.missing_column", column=c), column=c,
                                         suggestion=suggest(c, present)
                                         or Message(f"add a column '{c}' (columns found: {found})", "hint.add_column",
                                                    column=c, found=found),
                                         path=(f"{self.raw.name}[*].{c}" if self.raw.rows
                                               and isinstance(self.raw.rows[0], str) else None)))
        return ok

    def numbers(self, column: str, *, nonnegative: bool = True, what: str = "a number",
                allow_unit: bool = False) -> tuple[np.ndarray, pd.Series]:
        """Parsed floats (NaN where blank or bad) and, with ``allow_unit``, any unit written in the cell.

        A bad cell — not a number, a formula, a missing-value marker, infinite, or negative where
        ``nonnegative`` — is reported once as an issue and read as NaN, so that no later check of the same
        column reports it again (e.g. as out of range).

        Parameters
        ----------
        column : str
            The column.
        nonnegative : bool
            Whether negative values are issues.
        what : str
            What the cells should be, for the messages.
        allow_unit : bool
            Whether a unit may follow the number in the cell.

        Returns
        -------
        values : numpy.ndarray
            Floats, NaN where blank or bad (negative included, where ``nonnegative``).
        units : pandas.Series
            The unit written in each cell ("" where none).

        Examples
        --------
        >>> frame = pd.DataFrame({"id": ["a", "a", ""], "kind": ["import", "mine", "export"],
        ...                       "value": ["1", "-2", "x"]})
        >>> raw = RawTable("processes", "processes.csv", frame, [2, 3, 4])
        >>> issues = []
        >>> c = TableChecker(raw, issues)
        >>> values, units = c.numbers("value")
        >>> values.tolist()
        [1.0, nan, nan]
        >>> [i.message for i in issues]
        ['not a number', 'negative value; flows and stocks are never negative']
        >>> c.numbers("value", nonnegative=False)[0].tolist()
        [1.0, -2.0, nan]
        """
        values = np.full(self.n, np.nan)
        inline_unit = pd.Series("", index=self.f.index, dtype="str")
        if column not in self.f.columns:
            return values, inline_unit
        s = self.text(column)
        filled = (s != "").to_numpy()
        if not filled.any():
            return values, inline_unit
        values = _arrow_floats(s)
        if values is None:
            # only cells that start like a number go to the (slower) number parser: a column of a million
            # words is refused without parsing each
            numeric = filled & s.str.match(r"^ *[-+]?([0-9.]|[iI][nN][fF])").to_numpy(dtype=bool)
            values = np.full(self.n, np.nan)
            if numeric.all():
                values = pd.to_numeric(s, errors="coerce").to_numpy(dtype=float, copy=True)
            elif numeric.any():
                values[numeric] = pd.to_numeric(s[numeric], errors="coerce").to_numpy(dtype=float)
        # Only the cells that are not plain numbers get the slower looks (thousands separators, formulas,
        # a unit in the cell): a valid million-row column never pays for them.
        bad = filled & np.isnan(values)
        formula = np.zeros(self.n, dtype=bool)
        if bad.any():
            at = np.flatnonzero(bad)
            sub = s.iloc[at]
            formula[at] = sub.str.startswith("=").to_numpy()
            thousands = sub.str.contains(",", regex=False).to_numpy(copy=True)  # vectorised, then the pattern
            thousands[thousands] = sub[thousands].str.match(_THOUSANDS).to_numpy()
            if thousands.any():
                values[at[thousands]] = pd.to_numeric(sub[thousands].str.replace(",", "", regex=False),
                                                      errors="coerce").to_numpy(dtype=float)
            if allow_unit:
                rest = np.isnan(values[at]) & ~formula[at]
                # only cells that start like a number can be a number with its unit (a vectorised test
                # first: the extraction itself runs a regular expression per cell)
                rest[rest] = sub[rest].str.match(r"^ *[+-]?\.?[0-9]").to_numpy()
                if rest.any():
                    m = sub[rest].str.extract(VALUE_WITH_UNIT)
                    ok = (m[0].notna() & m[1].fillna("").str.match(_UNIT_START)).to_numpy()
                    if ok.any():
                        where = at[rest][ok]
                        values[where] = m[0].to_numpy()[ok].astype(float)
                        inline_unit.iloc[where] = m[1].to_numpy()[ok].astype(str)
                        inline_unit = inline_unit.str.strip()
            bad = filled & np.isnan(values)
        if formula.any():
            self.add(formula, column, Message("Excel formulas are not evaluated", "input.formula"),
                     suggestion=Message("enter the number itself (copy, paste as values)", "hint.paste_values"))
            bad &= ~formula
        literal_nan = np.zeros(self.n, dtype=bool)
        if bad.any():
            literal_nan[bad] = s[bad].str.lower().isin(list(MISSING_MARKERS)).to_numpy()
        self.add(literal_nan, column, Message(f"'{what}' expected, not a missing-value marker",
                                              "input.missing_marker", what=what),
                 suggestion=Message("leave the cell blank if the value is unknown", "hint.leave_blank"))
        self.add(bad & ~literal_nan, column, Message(f"not {what}", "input.not_what", what=what),
                 suggestion=number_hint)
        inf = np.isinf(values)
        self.add(inf, column, Message("infinite value", "input.infinite"))
        values[inf] = np.nan
        if nonnegative:
            neg = values < 0
            self.add(neg, column, Message("negative value; flows and stocks are never negative", "input.negative"),
                     suggestion=Message("reverse the flow (swap source and target) if it runs the other way",
                                        "hint.reverse_flow"))
            values[neg] = np.nan
        return values, inline_unit

    def ids(self, column: str, table: str) -> pd.Series:
        """The id column; blanks and duplicates (each after its first use) are issues.

        Parameters
        ----------
        column : str
            The id column.
        table : str
            The table's name, for the messages.

        Returns
        -------
        pandas.Series
            The ids' text.

        Examples
        --------
        >>> frame = pd.DataFrame({"id": ["a", "a", ""], "kind": ["import", "mine", "export"],
        ...                       "value": ["1", "-2", "x"]})
        >>> raw = RawTable("processes", "processes.csv", frame, [2, 3, 4])
        >>> issues = []
        >>> c = TableChecker(raw, issues)
        >>> c.ids("id", "process").tolist()
        ['a', 'a', '']
        >>> [i.message for i in issues]
        ['blank id', 'duplicate process id']
        """
        s = self.text(column)
        self.add((s == "").to_numpy(), column, Message(f"blank {column}", "input.blank", column=column))
        dup = (s.duplicated(keep="first") & (s != "")).to_numpy()
        if dup.any():
            first = pd.Series(np.arange(self.n), index=s.to_numpy()).groupby(level=0).min()
            locs = self.raw.locations()
            self.add(dup, column, Message(f"duplicate {table} id", "input.duplicate_id", what=table),
                     suggestion=lambda v: already_used(locs[first[v]]))
        return s

    def choice(self, column: str, allowed: Collection[str], what: str, *, blank_ok: bool = False) -> pd.Series:
        """The column, with an issue for every value not in ``allowed`` (and blank unless ``blank_ok``).

        Parameters
        ----------
        column : str
        allowed : collection of str
        what : str
            What the values are, for the messages.
        blank_ok : bool
            Whether blank cells are allowed.

        Returns
        -------
        pandas.Series
            The column's text.

        Examples
        --------
        >>> frame = pd.DataFrame({"id": ["a", "a", ""], "kind": ["import", "mine", "export"],
        ...                       "value": ["1", "-2", "x"]})
        >>> raw = RawTable("processes", "processes.csv", frame, [2, 3, 4])
        >>> issues = []
        >>> c = TableChecker(raw, issues)
        >>> c.choice("kind", {"import", "export", "production"}, "process kind").tolist()
        ['import', 'mine', 'export']
        >>> print(issues[0])
        processes.csv, row 3, column 'kind': unknown process kind (value: 'mine') — use one of: export, import,
        production
        """
        s = self.text(column)
        bad = ~in_set(s, allowed)
        if blank_ok:
            bad &= (s != "").to_numpy(dtype=bool)
        self.add(bad, column, Message(f"unknown {what}", "input.unknown_choice", what=what),
                 suggestion=lambda v: suggest(v, allowed) or use_one_of(allowed))
        return s

    def booleans(self, column: str) -> np.ndarray:
        """True/false cells (true, 1, yes, 是 … / false, 0, no, 否, blank) as bools.

        Parameters
        ----------
        column : str

        Returns
        -------
        numpy.ndarray of bool
            True where the cell says true (bad cells are False).

        Examples
        --------
        >>> raw = RawTable("processes", "processes.csv", pd.DataFrame({"ok": ["yes", "0", "maybe"]}), [2, 3, 4])
        >>> issues = []
        >>> TableChecker(raw, issues).booleans("ok").tolist()
        [True, False, False]
        >>> [i.message for i in issues]
        ['not true/false']
        """
        s = self.text(column).str.lower()
        bad = ~in_set(s, TRUE_WORDS | FALSE_WORDS)
        self.add(bad, column, Message("not true/false", "input.not_boolean"),
                 suggestion=Message("write true or false", "hint.true_false"))
        return in_set(s, TRUE_WORDS)


def already_used(loc: Any) -> Message:
    """The hint of a repeated id: where it was first used (a spreadsheet row or a YAML path).

    Parameters
    ----------
    loc : int or str
        The first place: a spreadsheet row number, or a YAML path.

    Returns
    -------
    Message

    Examples
    --------
    >>> already_used(4), already_used("flows[2]")
    ('already used at row 4', 'already used at flows[2]')
    """
    if isinstance(loc, str):
        return Message(f"already used at {loc}", "hint.already_used_at", path=loc)
    return Message(f"already used at row {loc}", "hint.already_used_row", row=int(loc))


def use_one_of(allowed: Collection[str]) -> Message:
    """The hint of a value outside a closed list: the list, sorted.

    Parameters
    ----------
    allowed : collection of str

    Returns
    -------
    Message

    Examples
    --------
    >>> use_one_of({"b", "a"})
    'use one of: a, b'
    """
    choices = tuple(sorted(allowed))
    return Message(f"use one of: {', '.join(choices)}", "hint.use_one_of", choices=choices)


def number_hint(v: str) -> str | None:
    """What is wrong with a cell that is not a number, where it is obvious.

    Parameters
    ----------
    v : str
        The cell's text.

    Returns
    -------
    Message or None

    Examples
    --------
    >>> number_hint("80,5"), number_hint("1 000"), number_hint("abc")
    ('write the decimal separator as a point: 80.5', 'write the number without spaces: 1000', None)
    """
    if _DECIMAL_COMMA.match(v):
        fixed = v.replace(",", ".")
        return Message(f"write the decimal separator as a point: {fixed}", "hint.decimal_point", fixed=fixed)
    if _SPACED.match(v):
        fixed = v.replace(" ", "")
        return Message(f"write the number without spaces: {fixed}", "hint.no_spaces", fixed=fixed)
    if _DATE.match(v):
        return Message("this looks like a date; enter the number itself (format the cell as a number)",
                       "hint.date")
    if any(ord(ch) < 32 for ch in v):
        return Message("the cell holds a control character; type the number again", "hint.control_character")
    return None
