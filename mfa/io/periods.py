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

import math
from collections import Counter
from typing import Any, Mapping

from mfa.errors import Issue, RawTable

__all__ = ["select_period", "PERIOD_TABLES"]

#: Tables whose rows may carry a ``year`` (stocks only if the file has the column).
PERIOD_TABLES: tuple[str, ...] = ("flows", "activities", "stocks")
_BAD = object()  # a cell that is not a whole year: kept, reported by the column checks
_SHOWN = 6  # locations listed per period in a message


def _year(text: Any) -> int | None | object:
    t = str(text).strip()
    if not t:
        return None
    try:
        v = float(t)
    except ValueError:
        return _BAD
    if not math.isfinite(v) or v != round(v):
        return _BAD
    return int(v)


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
    """
    out = dict(tables)
    issues: list[Issue] = []
    park_year = getattr(info, "year", None)
    if year is not None:
        if isinstance(year, bool) or not isinstance(year, int) or not 1900 <= year <= 2200:
            return out, info, [Issue(source, "the selected period must be a year between 1900 and 2200",
                                     column="year", value=year, suggestion="e.g. --year 2023")]
    # every dated or undated row: (table, position, period: int | None | _BAD)
    rows: list[tuple[RawTable, int, Any]] = []
    for name in PERIOD_TABLES:
        raw = tables.get(name)
        if raw is None or len(raw.frame) == 0:
            continue
        cells = raw.frame["year"].tolist() if "year" in raw.frame.columns else [""] * len(raw.frame)
        rows.extend((raw, i, _year(c)) for i, c in enumerate(cells))

    if year is not None:
        undated_is_y = park_year is None or park_year == year
        keep: dict[str, list[int]] = {}
        for raw, i, p in rows:
            if p is _BAD or p == year or (p is None and undated_is_y):
                keep.setdefault(raw.name, []).append(i)
        found = sorted({p for _, _, p in rows if isinstance(p, int)}
                       | ({park_year} if park_year is not None and any(p is None for _, _, p in rows) else set()))
        if rows and not any(keep.get(n) for n in ("flows", "activities")):
            # Nothing of period Y: say so once, with the periods there are (the tables stay whole, so
            # that the column checks do not add "no flows" for rows the user did give).
            flows = tables.get("flows")
            issues.append(Issue(flows.file if flows is not None else source, f"no flow of period {year}",
                                column="year", value=year,
                                suggestion=("periods found: " + ", ".join(map(str, found))) if found
                                else "the rows carry no year"))
            return out, info, issues
        for name in PERIOD_TABLES:
            raw = tables.get(name)
            if raw is None or len(raw.frame) == 0:
                continue
            idx = keep.get(name, [])
            out[name] = RawTable(raw.name, raw.file, raw.frame.iloc[idx].reset_index(drop=True),
                                 [raw.rows[i] for i in idx])
        return out, info.model_copy(update={"year": year}), issues

    dated = Counter(p for _, _, p in rows if isinstance(p, int))
    periods = set(dated) | ({park_year} if park_year is not None else set())
    if len(periods) <= 1:
        return out, info, issues
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
    suggestion = (f"a park model is one period: select one with {' or '.join(f'--year {y}' for y in others)} "
                  f"(Python: read_park(path, year={others[0]})); if the year is when a figure was published, "
                  f"write it in 'note' and leave 'year' blank")
    for raw, i, p in rows:
        if isinstance(p, int) and p != ref:
            issues.append(raw.issue(i, "year",
                                    f"rows of {len(periods)} periods would be summed into one balance: "
                                    f"this row is of {p}, the park's "
                                    f"{'reporting year is' if ref == park_year else 'other rows are of'} {ref}; "
                                    f"periods found: {summary}",
                                    raw.frame["year"].iat[i], suggestion))
    return out, info, issues
