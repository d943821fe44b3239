"""Multi-year parks (issue 16, item 1): a park whose rows carry several years is a time series of one-year
parks, each validated and balanced on its own.

A row's ``year`` is its period (blank = the park's reporting year, see :mod:`mfa.io.periods`). When the rows
of a park carry more than one year, :func:`series_tables` validates the raw tables once per year and checks
what ties the years together, every problem located:

- the years are consecutive (a gap is an error: stocks and lifetimes run year by year);
- a park of several years has a reporting year, or every row is dated (an undated row would otherwise
  belong to no year in particular);
- every flow (by id, ``source>target:material`` by default) is given in every year: a flow missing in some
  years is an error naming the flow and the missing years, never a zero;
- a store's closing stock of one year is the next year's opening: a blank opening is carried forward from
  the previous closing, a different one is an error;
- a ``lifetimes`` table (process, material, model, mean, std, shape, scale, timing) attaches a lifetime
  model to the stock of a material in a storage or consumption process: the outflow of the material left
  blank in each year is computed from the past inflows, and the stock rows (opening, closing) come from the
  model. The model itself is an engine (:func:`mfa.dynamic_stocks.lifetime_model`) passed in by
  :func:`mfa.park.read_park`: the data layer never imports an engine.

The tables of one year are exactly those :func:`mfa.read_park(path, year=Y) <mfa.park.read_park>` reads, so
``--year Y`` prints the one-year document.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import numpy as np
import pandas as pd

from mfa.conventions import LIFETIME_COLUMNS
from mfa.errors import Issue, Message, RawTable
from mfa.io.periods import PERIOD_TABLES, periods_of, row_periods, rows_of
from mfa.validation import TableChecker, grouped_issues

__all__ = ["LIFETIME_COLUMNS", "LIFETIME_MODELS", "LIFETIME_TIMINGS", "YearSeries", "needs_series",
           "series_tables", "lifetimes_table", "park_year_of", "unique_issues", "tie_years"]

#: The lifetime models (:class:`mfa.lifetime.Lifetime`).
LIFETIME_MODELS: tuple[str, ...] = ("fixed", "normal", "foldednormal", "lognormal", "weibull")
#: When in its year a cohort enters; blank = ``middle`` (docs/time.md).
LIFETIME_TIMINGS: tuple[str, ...] = ("start", "middle", "end")
#: The parameters each model needs.
_NEEDS = {"fixed": ("mean",), "normal": ("mean", "std"), "foldednormal": ("mean", "std"),
          "lognormal": ("mean", "std"), "weibull": ("shape", "scale")}
#: Kinds of process that hold a stock with a lifetime: an in-use stock, a store.
_STOCK_KINDS = ("storage", "consumption")

#: ``model(inflow, lifetime_row, opening) -> (outflow, stock)``: the lifetime engine (arrays per year).
LifetimeModel = Callable[[np.ndarray, Mapping[str, Any], float], "tuple[np.ndarray, np.ndarray]"]


@dataclass
class YearSeries:
    """The validated tables of every year of a park (:class:`mfa.io.frames.ParkTables` by year), its
    lifetimes table, and the problems that tie the years together (``issues``).

    Examples
    --------
    >>> YearSeries({}, pd.DataFrame(), []).years
    []
    """

    tables: dict
    lifetimes: pd.DataFrame
    issues: list[Issue] = field(default_factory=list)

    @property
    def years(self) -> list[int]:
        """The years, in order.

        Returns
        -------
        list of int

        Examples
        --------
        >>> YearSeries({2021: None, 2020: None}, pd.DataFrame()).years
        [2020, 2021]
        """
        return sorted(self.tables, key=lambda y: -1 if y is None else y)


def park_year_of(info: Any, source: str = "park") -> int | None:
    """The reporting year of a park's raw settings (``park.csv``, the YAML ``park:`` mapping, a ParkInfo).

    Parameters
    ----------
    info : RawTable, mapping, ParkInfo or None
    source : str

    Returns
    -------
    int or None

    Examples
    --------
    >>> park_year_of({"year": "2021", "name": "x"})
    2021
    >>> park_year_of(None) is None
    True
    """
    from mfa.io.frames import park_settings

    return park_settings(info, source).year


def needs_series(tables: Mapping[str, RawTable | None], info: Any) -> bool:
    """Whether a park is read as a time series: its rows carry more than one year, or it has a lifetimes
    table (whose outflows come from the inflows of every year).

    Parameters
    ----------
    tables : mapping of str to RawTable or None
    info : RawTable, mapping, ParkInfo or None

    Returns
    -------
    bool

    Examples
    --------
    >>> flows = RawTable("flows", "flows.csv", pd.DataFrame({"year": ["2021", "2022"]}), [2, 3])
    >>> needs_series({"flows": flows}, None), needs_series({"flows": flows}, {"year": 2021})
    (True, True)
    """
    lifetimes = tables.get("lifetimes")
    if lifetimes is not None and len(lifetimes.frame):
        return True
    from mfa.park_info import ParkInfo

    return len(periods_of(tables, ParkInfo(year=park_year_of(info)))) > 1


class _Rows:
    """Which raw rows are of which year: each table's row periods computed once (reading them is the
    expensive part), then the rows of a year by integer comparisons."""

    def __init__(self, park_year: int | None):
        self.park_year = park_year
        self._periods: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}

    def kept(self, raw: RawTable, year: int | None) -> np.ndarray:
        """The rows of ``raw`` that the one-year reader keeps for ``year`` (as :func:`select_period` does)."""
        if year is None:
            return np.arange(len(raw.frame))
        if raw.name not in self._periods:
            self._periods[raw.name] = row_periods(raw)
        years, dated, undated = self._periods[raw.name]
        undated_is_y = self.park_year is None or self.park_year == year
        return np.flatnonzero((dated & (years == year)) | (undated & undated_is_y) | ~(dated | undated))


def _rows_of_year(tables: Mapping[str, RawTable | None], rows: _Rows,
                  year: int | None) -> dict[str, RawTable | None]:
    """The raw tables with only the rows of ``year`` in the dated tables, so that each year validates its own
    rows and not every row of every year (the rows keep their locations)."""
    if year is None:
        return dict(tables)
    out = dict(tables)
    for name in PERIOD_TABLES:
        raw = tables.get(name)
        if raw is None or not len(raw.frame):
            continue
        idx = rows.kept(raw, year)
        if len(idx) < len(raw.frame):
            # the rows of a year usually follow each other: a slice copies no cell
            at = slice(int(idx[0]), int(idx[-1]) + 1) if len(idx) and idx[-1] - idx[0] + 1 == len(idx) else idx
            out[name] = rows_of(raw, at)
    return out


def lifetimes_table(raw: RawTable | None, processes: pd.DataFrame, known_materials: set[str] | None,
                    issues: list[Issue]) -> pd.DataFrame:
    """The ``lifetimes`` table, validated (every problem located, in ``issues``).

    Parameters
    ----------
    raw : RawTable or None
        The table as read.
    processes : DataFrame
        The park's processes (id, kind).
    known_materials : set of str or None
        Every material id the park may use (None: not checked).
    issues : list of Issue
        Where problems go.

    Returns
    -------
    DataFrame
        process, material, model, mean, std, shape, scale (floats, NaN blank), timing, note; one row per
        process and material.

    Examples
    --------
    >>> procs = pd.DataFrame({"id": ["soil"], "kind": ["storage"]})
    >>> raw = RawTable("lifetimes", "lifetimes.csv", pd.DataFrame(
    ...     {"process": ["soil", "soil"], "material": ["farm_film", "farm_film"], "model": ["weibull", "lognormal"],
    ...      "shape": ["1.5", ""], "scale": ["20", ""], "mean": ["", "30"]}), [2, 3])
    >>> issues = []
    >>> lifetimes_table(raw, procs, {"farm_film"}, issues)[["model", "shape", "timing"]].values.tolist()
    [['weibull', 1.5, 'middle'], ['lognormal', nan, 'middle']]
    >>> [i.message for i in issues]
    ['the lognormal model needs std', 'duplicate lifetime for this process and material']
    """
    cols = list(LIFETIME_COLUMNS)
    empty = pd.DataFrame({c: pd.Series(dtype=float if c in ("mean", "std", "shape", "scale") else object)
                          for c in cols})
    if raw is None or len(raw.frame) == 0:
        return empty
    c = TableChecker(raw, issues)
    if not c.required(("process", "material", "model")):
        return empty
    kinds = dict(zip(processes["id"], processes["kind"])) if len(processes) else {}
    proc = c.choice("process", list(kinds), "process")
    wrong = proc.map(lambda p: p in kinds and kinds[p] not in _STOCK_KINDS).to_numpy(dtype=bool)
    c.add(wrong, "process", Message("a lifetime is for the stock of a storage or consumption process",
                                    "years.lifetime_process"),
          suggestion=Message("attach it to the store or the in-use stock (kind storage or consumption)",
                             "hint.lifetime_process"))
    mat = c.choice("material", known_materials, "material") if known_materials is not None else c.text("material")
    model = c.choice("model", LIFETIME_MODELS, "lifetime model")
    timing = c.choice("timing", LIFETIME_TIMINGS, "timing", blank_ok=True)
    params = {p: c.numbers(p, what=f"a lifetime {p} in years" if p != "shape" else "a Weibull shape")[0]
              for p in ("mean", "std", "shape", "scale")}
    for name, needs in _NEEDS.items():
        rows = (model == name).to_numpy()
        for p in needs:
            c.add(rows & np.isnan(params[p]), p, Message(f"the {name} model needs {p}", "years.model_needs",
                                                         model=name, param=p),
                  suggestion=Message(f"{name}: give {', '.join(needs)}", "hint.model_needs", model=name,
                                     params=", ".join(needs)))
    positive = {"std": (model.isin(["normal", "foldednormal", "lognormal"])).to_numpy(),
                "shape": (model == "weibull").to_numpy()}
    for p, rows in positive.items():
        c.add(rows & (params[p] == 0), p, Message(f"{p} must be more than 0", "years.positive", param=p),
              suggestion=Message("a sharp lifetime is the fixed model", "hint.sharp_lifetime") if p == "std" else None)
    dup = (proc + "\x00" + mat).duplicated(keep="first").to_numpy()
    c.add(dup, "material", Message("duplicate lifetime for this process and material", "years.duplicate_lifetime"),
          suggestion=Message("give one row per process and material", "hint.one_row_per_process_material"))
    return pd.DataFrame({"process": proc, "material": mat, "model": model, **params,
                         "timing": timing.where(timing != "", "middle"), "note": c.text("note")})


def unique_issues(issues: list[Issue]) -> list[Issue]:
    """The issues once each: the settings and the undated rows are validated once per year.

    Parameters
    ----------
    issues : list of Issue

    Returns
    -------
    list of Issue
        In their first order.

    Examples
    --------
    >>> len(unique_issues([Issue("f", "bad"), Issue("f", "bad")]))
    1
    """
    seen: set[tuple] = set()
    out = []
    for i in issues:
        key = (i.file, i.row, i.path, i.column, i.message, str(i.value), i.severity)
        if key not in seen:
            seen.add(key)
            out.append(i)
    return out


def series_tables(tables: Mapping[str, RawTable | None], info: Any, source: str, refused: set[str] = frozenset(),
                  model: LifetimeModel | None = None,
                  solve: Callable[[Any], "np.ndarray | None"] | None = None,
                  stock_model: LifetimeModel | None = None) -> YearSeries:
    """Validate a park's raw tables once per year and check what ties the years together.

    Parameters
    ----------
    tables : mapping of str to RawTable or None
        The raw tables (:func:`mfa.io.read_raw`).
    info : RawTable, mapping, ParkInfo or None
        The park's settings.
    source : str
        The file or folder, for messages.
    refused : set of str
        Tables refused whole while reading.
    model : callable, optional
        The lifetime engine, ``model(inflow, lifetime_row, opening) -> (outflow, stock)``; needed when
        the park has a lifetimes table.
    solve : callable, optional
        ``solve(tables_of_a_year) -> values`` (the flow values with the unknowns the balances determine
        computed, in the order of the year's flows, or None): a blank inflow of a stock with a lifetime is
        taken from it (the flow itself stays blank for the commands' own solving).
    stock_model : callable, optional
        The stock-driven lifetime engine, ``stock_model(closing, lifetime_row, opening) -> (inflow, outflow)``:
        a stock with a lifetime whose closing is given in every year and an inflow left blank takes its
        inflows from that stock path.

    Returns
    -------
    YearSeries
        The tables of each year (their issues included) and the issues of the series; no issue is raised.

    Examples
    --------
    >>> procs = pd.DataFrame({"id": ["a", "b"], "name": ["A", "B"], "kind": ["import", "landfill"]})
    >>> flows = pd.DataFrame({"source": ["a", "a", "a"], "target": ["b"] * 3, "material": ["fly_ash"] * 3,
    ...                       "value": [1, 2, 3], "year": [2020, 2021, 2023]})
    >>> from mfa.io.frames import raw_tables_from_frames
    >>> raw, info = raw_tables_from_frames(procs, flows)
    >>> s = series_tables(raw, info, "DataFrames")
    >>> s.years, [i.message for i in s.issues]
    ([2020, 2021, 2023], ['the years of a multi-year park follow each other: 2022 is missing'])
    """
    from mfa.io.frames import prepare_series, validate_tables
    from mfa.park_info import ParkInfo

    park_year = park_year_of(info, source)
    years = periods_of(tables, ParkInfo(year=park_year))
    issues: list[Issue] = []
    missing = sorted(set(range(years[0], years[-1] + 1)) - set(years)) if years else []
    if missing:
        listed = ", ".join(map(str, missing))
        issues.append(Issue(source, Message("the years of a multi-year park follow each other: "
                                            f"{listed} {'is' if len(missing) == 1 else 'are'} missing",
                                            "years.missing_years", years=listed),
                            column="year", suggestion=Message("give the rows of every year from the first to the last",
                                                              "hint.every_year")))
    if park_year is None and len(years) > 1:
        for name in ("flows", "stocks", "activities"):
            raw = tables.get(name)
            if raw is not None and len(raw.frame) and "year" in raw.frame.columns:
                undated = row_periods(raw)[2]
                issues.extend(grouped_issues(raw, undated, "year", Message(
                    "a row without a year in a park of several years that has no reporting year", "years.undated_row"),
                    raw.frame["year"], Message("give the row's year, or the park's year (the year of undated rows)",
                                               "hint.give_year")))
    # a park of one period without any year (no reporting year, no dated row) is one series year, None
    rows = _Rows(park_year)
    # the processes and materials, the same every year, validated once; the cells of every year checked at
    # once; a flow structure that the years repeat validated once
    shared: dict = {}
    prepared = prepare_series(tables, shared) if len(years) > 1 else tables
    per_year = {y: validate_tables(_rows_of_year(prepared, rows, y), info, source, year=y, refused=refused,
                                   shared=shared)
                for y in years or [None]}
    first = next(iter(per_year.values()))
    lifetimes = lifetimes_table(tables.get("lifetimes"), first.processes,
                                first.known_materials if "materials" not in refused else None, issues)
    series = YearSeries(per_year, lifetimes, issues)
    # the ties between years are checked on years that read well, one by one and as a run
    if not issues and not any(t.errors for t in per_year.values()):
        _missing_flows(series, tables.get("flows"), rows)
        # openings first: a year's balances (which may give a lifetime's inflow) need its stocks
        _carry_stocks(series, tables.get("stocks"), rows)
        if len(lifetimes) and not issues:
            if model is None:
                raise TypeError("series_tables: a park with a lifetimes table needs the lifetime model")
            _apply_lifetimes(series, tables.get("flows"), tables.get("stocks"), rows, model, solve,
                             tables.get("lifetimes"), stock_model)
    series.issues = unique_issues(issues)
    return series


def tie_years(series: YearSeries, model: LifetimeModel | None = None,
              solve: Callable[[Any], "np.ndarray | None"] | None = None) -> None:
    """Tie together years whose tables are already validated (a trusted path: a projection continuing a read
    park): each store's blank opening carried from the previous closing, and the stocks with a lifetime run
    over every year, as :func:`series_tables` does after validating. Problems go to ``series.issues``,
    located by the park's source (there are no raw rows).

    Parameters
    ----------
    series : YearSeries
        The tables of every year (objects with ``flows``, ``stocks``, ``info`` and ``source``), and the
        lifetimes; the tables' ``flows`` and ``stocks`` are replaced, never modified in place.
    model : callable, optional
        The lifetime engine, as for :func:`series_tables`; needed when ``series.lifetimes`` has rows.
    solve : callable, optional
        As for :func:`series_tables`.

    Examples
    --------
    >>> from types import SimpleNamespace as Y
    >>> stock = lambda o, c: pd.DataFrame({"process": ["yard"], "material": ["fly_ash"], "opening": [o],
    ...                                    "closing": [c]})
    >>> s = YearSeries({2020: Y(stocks=stock(5.0, 8.0), flows=None, info=None, source="x"),
    ...                 2021: Y(stocks=stock(np.nan, 9.0), flows=None, info=None, source="x")}, pd.DataFrame())
    >>> tie_years(s)
    >>> float(s.tables[2021].stocks["opening"].iat[0]), s.issues
    (8.0, [])
    """
    rows = _Rows(None)
    _carry_stocks(series, None, rows)
    if len(series.lifetimes) and not series.issues:
        if model is None:
            raise TypeError("tie_years: a park with a lifetimes table needs the lifetime model")
        _apply_lifetimes(series, None, None, rows, model, solve)


def _missing_flows(series: YearSeries, raw: RawTable | None, rows: _Rows) -> None:
    """A flow given in some years and not in others: one issue per flow, at its first row."""
    if raw is None or len(series.tables) < 2:
        return
    years = series.years
    first = series.tables[years[0]].flows["id"]
    if all(t.flows["id"].equals(first) for t in series.tables.values()):
        return  # the same flows, in the same order, every year (their structure validated once)
    ids, at, of = [], [], []
    for y, t in series.tables.items():
        kept = rows.kept(raw, y)
        own = t.flows["id"].to_numpy(dtype=object)  # the park's own rows, in the order of the raw rows kept
        ids.append(own)
        at.append(kept[:len(own)])
        of.append(np.full(len(own), y))
    frame = pd.DataFrame({"id": np.concatenate(ids), "row": np.concatenate(at), "year": np.concatenate(of)})
    counts = frame.drop_duplicates(["id", "year"]).groupby("id", sort=False)["year"]
    short = counts.size()
    short = short[short < len(years)]
    if not len(short):
        return
    for fid, g in frame[frame["id"].isin(short.index)].groupby("id", sort=False):
        where = sorted(set(g["year"].tolist()))
        lacking = [y for y in years if y not in where]
        first = int(g["row"].min())
        series.issues.append(raw.issue(
            first, "year", Message(f"flow {fid} is given for {_span(where)} but not for {_span(lacking)}: a "
                                   "multi-year park gives every flow in every year", "years.flow_not_every_year",
                                   flow=fid, given=_span(where), lacking=_span(lacking)),
            raw.frame["year"].iat[first] if "year" in raw.frame.columns else "",
            Message("add its rows for the missing years (0 if it stopped, blank if unknown)", "hint.missing_years")))


def _span(years: list[int]) -> str:
    """2020, 2021, 2022, 2024 → '2020–2022, 2024'."""
    out: list[str] = []
    for y in years:
        if out and out[-1][1] == y - 1:
            out[-1][1] = y
        else:
            out.append([y, y])
    return ", ".join(f"{a}–{b}" if b > a else f"{a}" for a, b in out)


def _stock_rows(series: YearSeries, raw: RawTable | None, rows: _Rows) -> dict[int, np.ndarray]:
    """The raw row of each validated stock row, per year."""
    if raw is None:
        return {y: np.zeros(0, dtype=np.int64) for y in series.tables}
    return {y: rows.kept(raw, y) for y in series.tables}


def _tolerance(info: Any, *values: float) -> float:
    return max(getattr(info, "abs_tol", 0.01), getattr(info, "rel_tol", 0.01) * max(map(abs, values), default=0))


def _carry_stocks(series: YearSeries, raw: RawTable | None, kept: _Rows) -> None:
    """Closing of year Y = opening of Y + 1: a blank opening is carried forward, a different one refused."""
    rows = _stock_rows(series, raw, kept)
    years = series.years
    for prev, year in zip(years, years[1:]):
        before, t = series.tables[prev].stocks, series.tables[year].stocks
        if not len(before) or not len(t):
            continue
        closing = dict(zip(zip(before["process"], before["material"]), before["closing"]))
        opening = t["opening"].to_numpy(dtype=float).copy()
        for i, key in enumerate(zip(t["process"], t["material"])):
            c = closing.get(key)
            if c is None or np.isnan(c):
                continue
            if np.isnan(opening[i]):
                opening[i] = c
            elif abs(opening[i] - c) > _tolerance(series.tables[year].info, c, opening[i]):
                where = int(rows[year][i]) if i < len(rows[year]) else None
                issue = (raw.issue(where, "opening", "", opening[i]) if raw is not None and where is not None
                         else Issue(series.tables[year].source, "", column="opening"))
                series.issues.append(Issue(
                    issue.file, Message(f"opening stock of {key[1]} in {key[0]} in {year} is {opening[i]:,.6g} t, "
                                        f"the closing of {prev} is {c:,.6g} t: a closing stock is the next year's "
                                        "opening", "years.opening_not_closing", material=key[1], process=key[0],
                                        year=year, opening=f"{opening[i]:,.6g}", prev=prev, closing=f"{c:,.6g}"),
                    row=issue.row, column="opening", value=opening[i], path=issue.path,
                    suggestion=Message(f"leave the opening of {year} blank (it is carried forward) or correct one of "
                                       "them", "hint.opening_blank", year=year)))
        t = t.copy()
        t["opening"] = opening
        series.tables[year].stocks = t


def _apply_lifetimes(series: YearSeries, flows_raw: RawTable | None, stocks_raw: RawTable | None,
                     kept: _Rows, model: LifetimeModel, solve: Callable[[Any], Any] | None = None,
                     lifetimes_raw: RawTable | None = None, stock_model: LifetimeModel | None = None) -> None:
    """Fill the blank outflows and the stock rows of every stock with a lifetime, year by year (and the blank
    inflow of a stock-driven one: its closing given in every year)."""
    years = series.years
    n = len(years)
    flow_rows = {y: kept.kept(flows_raw, y) for y in years} if flows_raw is not None else {}
    stock_rows = _stock_rows(series, stocks_raw, kept)

    def locate(y: int, i: int, column: str, message: str, value: Any, suggestion: str | None = None) -> Issue:
        t = series.tables[y]
        if flows_raw is not None and i < len(flow_rows[y]):
            return flows_raw.issue(int(flow_rows[y][i]), column, message, value, suggestion)
        return Issue(t.source, message, column=column, value=value, suggestion=suggestion)

    solved: dict[Any, np.ndarray] = {}

    def values_of(y: Any) -> np.ndarray:
        """The year's flow values, its unknowns computed (once) when a lifetime needs one of them."""
        if y not in solved:
            got = solve(series.tables[y]) if solve is not None else None
            solved[y] = (np.asarray(got, dtype=float) if got is not None
                         else series.tables[y].flows["value"].to_numpy(dtype=float))
        return solved[y]

    def model_issue(row: int, lt: Mapping[str, Any], error: ValueError) -> Issue:
        msg = f"the lifetime of {lt['material']} in {lt['process']}: {error}"
        return (lifetimes_raw.issue(row, "model", msg, lt["model"], "check the lifetime's parameters and the "
                                    "stock's opening") if lifetimes_raw is not None
                else Issue(series.tables[years[0]].source, msg))

    for row, lt in enumerate(series.lifetimes.to_dict("records")):
        p, m = lt["process"], lt["material"]
        first = series.tables[years[0]].stocks
        at = np.flatnonzero(((first["process"] == p) & (first["material"] == m)).to_numpy())
        legacy = float(first["opening"].iat[at[0]]) if len(at) and not np.isnan(first["opening"].iat[at[0]]) else 0.0
        path = _closing_path(series, p, m)
        if stock_model is not None and np.isfinite(path).all() and _blank_inflow(series, p, m):
            try:
                needed, outflow = stock_model(path, lt, legacy)
            except ValueError as e:
                series.issues.append(model_issue(row, lt, e))
                continue
            if not _fill_inflows(series, p, m, needed, locate):
                continue
            _fill_outflows(series, p, m, outflow, path, legacy, locate, stocks_raw, stock_rows, lt)
            continue
        inflow = np.zeros(n)
        bad = False
        for k, y in enumerate(years):
            f = series.tables[y].flows
            into = np.flatnonzero(((f["target"] == p) & (f["material"] == m)).to_numpy())
            v = f["value"].to_numpy(dtype=float)[into]
            if np.isnan(v).any():
                v = values_of(y)[into]
            for i in into[np.isnan(v)]:
                bad = True
                series.issues.append(locate(y, int(i), "value", f"the inflow of {m} to {p} (a stock with a "
                                            f"lifetime) in {y} is blank and the balances do not determine it: "
                                            "its outflows are computed from it", "",
                                            "give the inflow, or the flows that determine it"))
            inflow[k] = np.nansum(v)
        if bad:
            continue
        try:
            outflow, stock = model(inflow, lt, legacy)
        except ValueError as e:  # parameters the table allows but the model cannot use with this stock
            series.issues.append(model_issue(row, lt, e))
            continue
        _fill_outflows(series, p, m, outflow, stock, legacy, locate, stocks_raw, stock_rows, lt)


def _closing_path(series: YearSeries, process: str, material: str) -> np.ndarray:
    """The closing stock given for a process and material in each year (NaN where not given)."""
    out = np.full(len(series.years), np.nan)
    for k, y in enumerate(series.years):
        s = series.tables[y].stocks
        here = np.flatnonzero(((s["process"] == process) & (s["material"] == material)).to_numpy())
        if len(here):
            out[k] = float(s["closing"].iat[int(here[0])])
    return out


def _blank_inflow(series: YearSeries, process: str, material: str) -> bool:
    """Whether an inflow of the material into the process is left blank in some year."""
    for y in series.years:
        f = series.tables[y].flows
        into = ((f["target"] == process) & (f["material"] == material)).to_numpy()
        if np.isnan(f["value"].to_numpy(dtype=float)[into]).any():
            return True
    return False


def _year_flows(series: YearSeries, year: int, end: str, p: str, m: str) -> tuple:
    """A year's tables, flows, the flows of ``m`` whose ``end`` (source or target) is ``p``, a copy of every
    value, those of them left blank and the sum of the others."""
    t = series.tables[year]
    f = t.flows
    at = np.flatnonzero(((f[end] == p) & (f["material"] == m)).to_numpy())
    values = f["value"].to_numpy(dtype=float).copy()
    return t, f, at, values, at[np.isnan(values[at])], float(np.nansum(values[at]))


def _fill_inflows(series: YearSeries, p: str, m: str, needed: np.ndarray, locate: Callable[..., Issue]) -> bool:
    """A stock-driven stock: the one blank inflow of each year gets what the stock path needs less the inflows
    given (a year without a blank inflow must give what the path needs); False after any problem."""
    ok = True
    for k, y in enumerate(series.years):
        t, f, into, values, blank, known = _year_flows(series, y, "target", p, m)
        tol = _tolerance(t.info, needed[k], known)
        path = f"its stock path (the closing of every year) needs {needed[k]:,.6g} t/a in {y}"
        if len(blank) > 1:
            series.issues.append(locate(y, int(blank[1]), "value", f"{len(blank)} blank inflows of {m} to {p} in "
                                        f"{y}: {path}, only their total", "", "give all of them but one"))
        elif not len(blank) and len(into) and abs(known - needed[k]) > tol:
            series.issues.append(locate(y, int(into[0]), "value", f"the inflows of {m} to {p} add up to "
                                        f"{known:,.6g} t/a, but {path}", values[into[0]],
                                        "leave the inflow blank (the stock path gives it) or correct the closing"))
        elif len(blank) and needed[k] - known < -tol:
            series.issues.append(locate(y, int(blank[0]), "value", f"{path}, less than the other inflows given "
                                        f"({known:,.6g} t/a): the stock falls faster than its lifetime releases",
                                        "", "check the closing stocks, the inflows given or the lifetime"))
        else:
            if len(blank):
                values[blank[0]] = max(needed[k] - known, 0.0)
                t.flows = f.assign(value=values)
            continue
        ok = False
    return ok


def _fill_outflows(series: YearSeries, p: str, m: str, outflow: np.ndarray, stock: np.ndarray, legacy: float,
                   locate: Callable[..., Issue], stocks_raw: RawTable | None, stock_rows: dict[int, np.ndarray],
                   lt: Mapping[str, Any]) -> None:
    """The one blank outflow of each year gets the model's outflow less the outflows given; the stock rows
    (opening, closing) come from the model (a closing given that differs from it is an issue)."""
    years = series.years
    opening = np.concatenate([[legacy], stock[:-1]])
    for k, y in enumerate(years):
        t, f, out, values, blank, known = _year_flows(series, y, "source", p, m)
        tol = _tolerance(t.info, outflow[k])
        if len(blank) > 1:
            series.issues.append(locate(y, int(blank[1]), "value", f"{len(blank)} blank outflows of {m} from "
                                        f"{p} in {y}: the lifetime gives only their total, "
                                        f"{outflow[k]:,.6g} t/a", "", "give all of them but one"))
        elif len(blank) == 1:
            rest = outflow[k] - known
            if rest < -tol:
                series.issues.append(locate(y, int(blank[0]), "value", f"the lifetime of {m} in {p} releases "
                                            f"{outflow[k]:,.6g} t/a in {y}, less than the other outflows "
                                            f"given ({known:,.6g} t/a)", "", "check the outflows or the lifetime"))
                continue
            values[blank[0]] = max(rest, 0.0)
            t.flows = f.assign(value=values)
        s = t.stocks
        here = np.flatnonzero(((s["process"] == p) & (s["material"] == m)).to_numpy())
        if len(here):
            i = int(here[0])
            given = float(s["closing"].iat[i])
            if not np.isnan(given) and abs(given - stock[k]) > _tolerance(t.info, given, stock[k]):
                where = stock_rows[y][i] if i < len(stock_rows[y]) else None
                msg = (f"closing stock {given:,.6g} t of {m} in {p} in {y}, but its lifetime model gives "
                       f"{stock[k]:,.6g} t")
                series.issues.append(stocks_raw.issue(int(where), "closing", msg, given,
                                                      "leave the closing of a stock with a lifetime blank")
                                     if stocks_raw is not None and where is not None
                                     else Issue(t.source, msg, column="closing", value=given))
                continue
            s = s.copy()
            s.loc[s.index[i], ["opening", "closing"]] = [opening[k], stock[k]]
        else:
            row = {c: "" for c in s.columns}
            row.update(process=p, material=m, opening=opening[k], closing=stock[k],
                       note=f"lifetime model ({lt['model']})", sigma=np.nan)
            s = pd.concat([s, pd.DataFrame([row])], ignore_index=True)
        t.stocks = s
