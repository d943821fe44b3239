"""The period of a park: one year, never several summed (issue 10, item 8).

A row's ``year`` (flows, activities, and stocks if the table has such a column) is the **period the row
belongs to**; a blank cell means the park's reporting year (``park.year``). The year a figure was *published*
is a source note and belongs in ``note``. A park model is one period: rows of two periods would be summed
into one balance, so such a park is refused with one located issue per row outside the park's period
(file, row as the spreadsheet shows it or YAML path, column ``year``, value), naming every period found and
suggesting ``--year Y``. The park's reporting year counts as a period when it is set, so a park of 2015
whose rows all say 2014 is refused too (its titles and targets would name the wrong year). Without a
reporting year, undated rows go with the one dated period.

Selecting a period (``read_park(path, year=Y)``, ``Park.from_frames(..., year=Y)``, ``--year Y``) keeps the
rows of year Y and the undated rows when they are of Y (``park.year`` is Y or not set), and makes Y the
park's reporting year. Multi-year models are a later issue.

Cells that are not a whole year are left in place for :mod:`mfa.io.frames` to report.
"""

from __future__ import annotations

import numbers
from collections import Counter
from typing import Any, Mapping

import numpy as np
import pandas as pd

from mfa.errors import Issue, Message, RawTable

__all__ = ["select_period", "PERIOD_TABLES", "row_periods", "periods_of", "rows_of"]

#: Tables whose rows may carry a ``year`` (stocks only if the file has the column).
PERIOD_TABLES: tuple[str, ...] = ("flows", "activities", "stocks")
_BAD = object()  # a cell that is not a whole year: kept, reported by the column checks
_SHOWN = 6  # locations listed per period in a message


#: The periods of the last tables read: a multi-year park's rows are dated by several steps (is it a series,
#: which years, which rows of each year), and the rows of each year are a table of known periods. Tables are
#: never modified in place, so a table's periods stay what they were.
_KNOWN: list[tuple[RawTable, tuple[np.ndarray, np.ndarray, np.ndarray]]] = []
_KEEP = 8


def _periods(raw: RawTable) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The year of each row (meaningful where dated), the dated rows, the undated (blank) rows."""
    for known, periods in _KNOWN:
        if known is raw:
            return periods
    periods = _read_periods(raw)
    _KNOWN[:] = [*_KNOWN[1 - _KEEP:], (raw, periods)]
    return periods


def _read_periods(raw: RawTable) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n = len(raw.frame)
    if "year" not in raw.frame.columns:
        return np.zeros(n, dtype=np.int64), np.zeros(n, dtype=bool), np.ones(n, dtype=bool)
    text = raw.frame["year"].astype(str).str.strip()
    undated = (text == "").to_numpy()
    if undated.all():  # the usual park: one period, no year on its rows
        return np.zeros(n, dtype=np.int64), np.zeros(n, dtype=bool), undated
    # a park has a few distinct years on many rows: each distinct text is read as a number once
    codes, uniques = pd.factorize(text.where(~undated, None))
    num = np.append(pd.to_numeric(pd.Series(np.asarray(uniques, dtype=object), dtype=object), errors="coerce")
                    .to_numpy(dtype=float), np.nan)[codes]
    with np.errstate(invalid="ignore"):
        dated = np.isfinite(num) & (num == np.round(num)) & ~undated
    return np.where(dated, num, 0).astype(np.int64), dated, undated


def row_periods(raw: RawTable) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The period of each row of ``raw``: its year (meaningful where dated), the dated rows, the undated
    (blank) rows. A cell that is not a whole year is neither dated nor undated.

    Parameters
    ----------
    raw : RawTable

    Returns
    -------
    years, dated, undated : numpy.ndarray

    Examples
    --------
    >>> raw = RawTable("flows", "flows.csv", pd.DataFrame({"year": ["2020", "", "x"]}), [2, 3, 4])
    >>> [a.tolist() for a in row_periods(raw)]
    [[2020, 0, 0], [True, False, False], [False, True, False]]
    """
    return _periods(raw)


def rows_of(raw: RawTable, at: "slice | np.ndarray") -> RawTable:
    """The rows ``at`` of ``raw`` (a slice or row indices), located as in ``raw``: the rows of one period,
    whose periods are then known without reading their years again.

    Parameters
    ----------
    raw : RawTable
    at : slice or numpy.ndarray of int

    Returns
    -------
    RawTable

    Examples
    --------
    >>> raw = RawTable("flows", "flows.csv", pd.DataFrame({"year": ["2020", "2021", "2021"]}), [2, 3, 4])
    >>> part = rows_of(raw, slice(1, 3))
    >>> part.rows, row_periods(part)[0].tolist()
    ([3, 4], [2021, 2021])
    """
    part = RawTable(raw.name, raw.file, raw.frame.iloc[at].reset_index(drop=True), raw.locations()[at].tolist())
    periods = tuple(a[at] for a in _periods(raw))
    _KNOWN[:] = [*_KNOWN[1 - _KEEP:], (part, periods)]
    return part


def periods_of(tables: Mapping[str, RawTable | None], info: Any) -> list[int]:
    """The periods of a park's rows: every year a row carries, and the park's reporting year when it is set
    (the period of the undated rows).

    Parameters
    ----------
    tables : mapping of str to RawTable or None
    info : ParkInfo

    Returns
    -------
    list of int
        Sorted.

    Examples
    --------
    >>> from mfa.park_info import ParkInfo
    >>> flows = RawTable("flows", "flows.csv", pd.DataFrame({"year": ["2021", "", "2023"]}), [2, 3, 4])
    >>> periods_of({"flows": flows}, ParkInfo(year=2022))
    [2021, 2022, 2023]
    """
    found: set[int] = set()
    for name in PERIOD_TABLES:
        raw = tables.get(name)
        if raw is None or len(raw.frame) == 0:
            continue
        years, dated, _ = _periods(raw)
        found.update(int(y) for y in np.unique(years[dated]))
    park_year = getattr(info, "year", None)
    if park_year is not None:
        found.add(int(park_year))
    return sorted(found)


def _ranges(rows: list[int]) -> str:
    """2, 3, 4, 7 → '2–4, 7'."""
    out: list[str] = []
    start = prev = None
    for r in sorted(rows):
        if start is None:
            start = prev = r
        elif r == prev + 1:
            prev = r
        else:
            out.append(f"{start}–{prev}" if prev != start else f"{start}")
            start = prev = r
    if start is not None:
        out.append(f"{start}–{prev}" if prev != start else f"{start}")
    return ", ".join(out)


def _where(places: list[tuple[RawTable, int]]) -> str:
    """'flows rows 2–4, 7; activities row 3' or 'flows[0], flows[3]' (YAML and DataFrame paths)."""
    parts: list[str] = []
    by_table: dict[str, tuple[RawTable, list]] = {}
    for raw, i in places:
        by_table.setdefault(raw.name, (raw, []))[1].append(raw.rows[i])
    for name, (raw, locs) in by_table.items():
        ints = [loc for loc in locs if isinstance(loc, int)]
        paths = [str(loc) for loc in locs if not isinstance(loc, int)]
        if ints:
            text = _ranges(ints)
            if text.count(",") >= _SHOWN:
                text = ", ".join(text.split(", ")[:_SHOWN]) + ", …"
            parts.append(f"{name} row{'s' if len(ints) > 1 else ''} {text}")
        if paths:
            shown = paths[:_SHOWN] + (["…"] if len(paths) > _SHOWN else [])
            parts.append(", ".join(shown))
    return "; ".join(parts)


def select_period(tables: Mapping[str, RawTable | None], info: Any, year: int | None = None,
                  source: str = "park") -> tuple[dict[str, RawTable | None], Any, list[Issue]]:
    """Check that the rows of ``tables`` are of one period, or keep those of period ``year``.

    ``info`` is the park's :class:`~mfa.park.ParkInfo`. Returns the tables (rows of other periods dropped
    when ``year`` is given), the info (reporting year set to ``year`` when given) and the issues (errors).

    Parameters
    ----------
    tables : mapping of str to RawTable or None
    info : ParkInfo
    year : int, optional
        The period to keep.
    source : str
        The park's file or folder, for messages.

    Returns
    -------
    tables : dict of str to RawTable or None
    info : ParkInfo
    issues : list of Issue

    Examples
    --------
    >>> import pandas as pd
    >>> from mfa.park_info import ParkInfo
    >>> flows = RawTable("flows", "flows.csv", pd.DataFrame({"value": ["1", "2"], "year": ["2020", "2021"]}),
    ...                  [2, 3])
    >>> kept, info, issues = select_period({"flows": flows}, ParkInfo(), year=2021)
    >>> kept["flows"].frame["value"].tolist(), info.year, issues
    (['2'], 2021, [])
    """
    out = dict(tables)
    issues: list[Issue] = []
    park_year = getattr(info, "year", None)
    if year is not None:
        # numpy integers (a year taken from a DataFrame) are years too; True is not
        if isinstance(year, bool) or not isinstance(year, numbers.Integral) or not 1900 <= int(year) <= 2200:
            return out, info, [Issue(source, Message("the selected period must be a year between 1900 and 2200",
                                                     "periods.bad_year"),
                                     column="year", value=year, suggestion=Message("e.g. --year 2023",
                                                                                   "hint.year_option"))]
        year = int(year)
    # Per table, vectorised: the period of each row (valid where dated), dated / undated masks. Cells that
    # are not a whole year are neither: they are kept for the column checks to report.
    cols: list[tuple[RawTable, np.ndarray, np.ndarray, np.ndarray]] = []
    for name in PERIOD_TABLES:
        raw = tables.get(name)
        if raw is None or len(raw.frame) == 0:
            continue
        cols.append((raw, *_periods(raw)))
    if year is not None:
        undated_is_y = park_year is None or park_year == year
        kept = {raw.name: np.flatnonzero((dated & (years == year)) | (undated & undated_is_y)
                                         | ~(dated | undated))
                for raw, years, dated, undated in cols}
        if cols and not any(len(kept.get(n, ())) for n in ("flows", "activities")):
            # Nothing of period Y: say so once, with the periods there are (the tables stay whole, so
            # that the column checks do not add "no flows" for rows the user did give).
            found = sorted({int(y) for _, years, dated, _ in cols for y in np.unique(years[dated])}
                           | ({park_year} if park_year is not None and any(u.any() for *_, u in cols) else set()))
            flows = tables.get("flows")
            listed = ", ".join(map(str, found))
            issues.append(Issue(flows.file if flows is not None else source,
                                Message(f"no flow of period {year}", "periods.no_flow", year=year),
                                column="year", value=year,
                                suggestion=Message("periods found: " + listed, "hint.periods_found", years=listed)
                                if found else Message("the rows carry no year", "hint.no_year")))
            return out, info, issues
        for raw, *_ in cols:
            idx = kept[raw.name]
            if len(idx) < len(raw.frame):
                out[raw.name] = RawTable(raw.name, raw.file, raw.frame.iloc[idx].reset_index(drop=True),
                                         [raw.rows[i] for i in idx])
        return out, info.model_copy(update={"year": year}), issues

    counts: Counter = Counter()
    for _, years, dated, _ in cols:
        counts.update(dict(zip(*(a.tolist() for a in np.unique(years[dated], return_counts=True)))))
    if len(set(counts) | ({park_year} if park_year is not None else set())) <= 1:
        return out, info, issues
    # Refused: the rows one by one, only now (messages, not speed).
    rows: list[tuple[RawTable, int, Any]] = [
        (raw, int(i), int(years[i]) if dated[i] else (None if undated[i] else _BAD))
        for raw, years, dated, undated in cols for i in range(len(raw.frame))]
    dated = counts
    periods = set(counts) | ({park_year} if park_year is not None else set())
    # The park's own year is the reference; without one, the period most rows carry (the earliest of a tie).
    ref = park_year if park_year is not None else min(dated, key=lambda y: (-dated[y], y))
    undated = [(raw, i) for raw, i, p in rows if p is None]
    parts = []
    for y in sorted(periods):
        places = [(raw, i) for raw, i, p in rows if p == y]
        if y == park_year:
            per_table = Counter(raw.name for raw, _ in undated)
            what = "park year" + (("; undated: " + ", ".join(f"{n} {k} row{'s' if k != 1 else ''}"
                                                              for n, k in per_table.items())) if undated else "")
            where = _where(places)
            parts.append(f"{y} ({what}{'; ' + where if where else ''})")
        else:
            parts.append(f"{y} ({_where(places)})")
    summary = "; ".join(parts)
    others = [y for y in sorted(periods)]
    options = tuple(f"--year {y}" for y in others)
    suggestion = Message(f"a park model is one period: select one with {' or '.join(options)} "
                         f"(Python: read_park(path, year={others[0]})); if the year is when a figure was published, "
                         f"write it in 'note' and leave 'year' blank", "hint.one_period", options=options,
                         first=others[0])
    for raw, i, p in rows:
        if isinstance(p, int) and p != ref:
            by_year = ref == park_year
            message = Message(f"rows of {len(periods)} periods would be summed into one balance: "
                              f"this row is of {p}, the park's "
                              f"{'reporting year is' if by_year else 'other rows are of'} {ref}; "
                              f"periods found: {summary}",
                              "periods.mixed_reporting_year" if by_year else "periods.mixed",
                              n=len(periods), year=p, ref=ref, summary=summary)
            issues.append(raw.issue(i, "year", message, raw.frame["year"].iat[i], suggestion))
    return out, info, issues
