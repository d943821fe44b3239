"""Projections (issue 16, item 4, a first part): a park continued year by year to a later year, as a scenario
says, its stocks with lifetimes running on.

Each projected year repeats the park's last year: its own flows (values, transfer coefficients), its stocks
(the opening carried from the year before, the closing held), and a stock with a lifetime takes the inflows
of the new years and releases what its lifetime says. A **scenario** changes flows over the years: a table of
rows ``flow, column, year, value`` (``column`` = ``value``, ``tc`` or ``growth``) gives the flow's value, or its
transfer coefficient, in a year, or its growth in %/a from that year on (compounded, held until the flow's next
growth row); between two years of a flow the change is linear, after the last one it is held, and
before the first one it starts from the last year's own figure. A blank ``value`` makes the flow unknown from
that year on (the balances then compute it); a ``tc`` makes the flow's value unknown (the transfer coefficient
decides it). The projected park is read and checked like any multi-year park (:mod:`mfa.io.years`).

>>> import mfa
>>> from mfa.projection import project
>>> p = project(mfa.read_park("farm_film"), 2030)
>>> p.years[-1], round(mfa.stocks(p).table.query("process == 'soil'")["stock"].iat[-1])
(2030, 25389)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from mfa.errors import Issue, MfaError, ParkError, RawTable

if TYPE_CHECKING:
    from mfa.park import Park

__all__ = ["project", "read_scenario", "read_rows", "SCENARIO_COLUMNS"]

#: The columns of a scenario table.
SCENARIO_COLUMNS: tuple[str, ...] = ("flow", "column", "year", "value", "note")


def read_rows(source: Any, name: str) -> RawTable:
    """A small table given as a CSV file, a DataFrame or an iterable of dicts, every cell as text with its
    location (the file's rows, or ``name[i]``), ready for :class:`mfa.validation.TableChecker`.

    Parameters
    ----------
    source : path, DataFrame or iterable of dict
    name : str
        What the table is (``scenario``, ``targets``): named in its problems.

    Returns
    -------
    RawTable

    Raises
    ------
    mfa.errors.ParkError
        An unreadable or empty file.

    Examples
    --------
    >>> read_rows([{"flow": "a>b:m", "year": 2030}], "scenario").frame.values.tolist()
    [['a>b:m', '2030']]
    """
    from mfa.io.frames import raw_from_frame

    if isinstance(source, (str, bytes)) or hasattr(source, "__fspath__"):
        from pathlib import Path

        from mfa.io.readers import read_csv_table

        issues: list[Issue] = []
        raw = read_csv_table(Path(source), name, issues)
        if issues or raw is None:
            raise ParkError(issues or [Issue(str(source), f"empty {name} file")])
        return raw
    frame = source if isinstance(source, pd.DataFrame) else pd.DataFrame(list(source))
    return raw_from_frame(name, frame)


def read_scenario(scenario: Any, park: "Park", until: int) -> pd.DataFrame:
    """A scenario table (a CSV file, a DataFrame or a list of dicts) validated against ``park``: every problem
    located (file, row, column, value) and raised at once.

    Parameters
    ----------
    scenario : path, DataFrame or iterable of dict
    park : Park
        The park it changes (its flow ids, its last year).
    until : int
        The last projected year.

    Returns
    -------
    DataFrame
        flow, column (``value`` or ``tc``), year (int), value (float, NaN = unknown).

    Raises
    ------
    mfa.errors.ParkError

    Examples
    --------
    >>> import mfa
    >>> park = mfa.read_park("farm_film")
    >>> s = read_scenario([{"flow": "fields>collection:farm_film", "column": "tc", "year": 2030, "value": 0.9}],
    ...                   park, 2030)
    >>> s[["column", "year", "value"]].values.tolist()
    [['tc', 2030, 0.9]]
    >>> read_scenario([{"flow": "fields>colection:farm_film", "column": "tc", "year": 2031, "value": 1.5}],
    ...               park, 2030)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    mfa.errors.ParkError: 3 problems in the input:
      - scenario (DataFrame), scenario[0].flow: unknown flow (value: 'fields>colection:farm_film') — did you mean ...
    """
    from mfa.validation import TableChecker

    raw = read_rows(scenario, "scenario")
    issues: list[Issue] = []
    c = TableChecker(raw, issues)
    empty = pd.DataFrame({"flow": [], "column": [], "year": [], "value": []})
    if not c.required(("flow", "column", "year", "value")):
        raise ParkError(issues)
    ids = park.flows["id"].drop_duplicates().tolist()
    # a flow the park lacks, between two of its processes, may be switched on by its values (a new coupling)
    parts = c.text("flow").str.extract(r"^([^>]+)>([^:]+):(.+)$")
    procs = set(park.processes["id"])
    added = parts[0].isin(procs) & parts[1].isin(procs) & parts[2].notna() & (c.text("column") == "value")
    flow = c.choice("flow", ids + sorted(set(c.text("flow")[added.to_numpy()]) - set(ids)), "flow")
    column = c.choice("column", ("value", "tc", "growth"), "scenario column")
    year, _ = c.numbers("year", what="a year")
    last = park.years[-1] if park.years else None
    bad_year = ~np.isfinite(year) | (year != np.round(year)) | (year <= (last or 0)) | (year > until)
    c.add(bad_year & (c.text("year") != "").to_numpy(), "year",
          f"a scenario year is a projected year, {last + 1 if last else '…'}–{until}",
          suggestion="the park's own years are its data; a scenario changes the years after them")
    c.add((c.text("year") == "").to_numpy(), "year", "blank year")
    value, _ = c.numbers("value", nonnegative=False, what="a value in t/a, a transfer coefficient or a growth in %/a")
    c.add((column == "tc").to_numpy() & (value > 1), "value", "a transfer coefficient is a share, at most 1")
    is_growth = (column == "growth").to_numpy()
    c.add(~is_growth & (value < 0), "value", "a flow's value or share is not negative")
    c.add(is_growth & (value <= -100), "value", "a growth in %/a above −100 (−100 % would remove the flow)")
    c.add(is_growth & (c.text("value") == "").to_numpy(), "value", "a growth rate needs its %/a (0 stops it)")
    dup = pd.Series(list(zip(flow, column, year))).duplicated().to_numpy()
    c.add(dup, "year", "the same flow, column and year twice", suggestion="give one row per flow, column and year")
    if issues:
        raise ParkError(issues)
    if not c.n:
        return empty
    return pd.DataFrame({"flow": flow, "column": column, "year": year.astype(int), "value": value})


def _ramp(start: float, points: pd.DataFrame, years: list[int], last: int) -> np.ndarray:
    """The value of each projected year: linear between the points, from the last year's ``start``, held after."""
    xs = np.concatenate([[last], points["year"].to_numpy(dtype=float)])
    ys = np.concatenate([[start], points["value"].to_numpy(dtype=float)])
    out = np.interp(years, xs, ys)
    # a blank point: unknown from that year on
    blank = points.loc[points["value"].isna(), "year"]
    if len(blank):
        out[np.asarray(years) >= blank.min()] = np.nan
        known = points["value"].notna()
        if known.any():
            xs = np.concatenate([[last], points.loc[known, "year"].to_numpy(dtype=float)])
            ys = np.concatenate([[start], points.loc[known, "value"].to_numpy(dtype=float)])
            keep = np.asarray(years) < blank.min()
            out[keep] = np.interp(np.asarray(years)[keep], xs, ys)
    return out


def _switched_on(changes: pd.DataFrame, base: pd.DataFrame, steps: list[int]) -> pd.DataFrame:
    """The rows of each flow a scenario adds (a coupling switched on) in every year of ``steps`` (the park's own
    years too: a multi-year park gives every flow in every year): 0 t/a before its first year, its values from
    then on (linear between them, held after the last)."""
    fresh = changes[~changes["flow"].isin(base["id"])]
    rows = []
    for fid, points in fresh.sort_values("year").groupby("flow", sort=False):
        source, rest = fid.split(">", 1)
        target, material = rest.split(":", 1)
        xs, ys = points["year"].to_numpy(dtype=float), points["value"].to_numpy(dtype=float)
        values = np.where(np.asarray(steps) < xs[0], 0.0, np.interp(steps, xs, ys))
        rows.append(pd.DataFrame({"id": fid, "source": source, "target": target, "material": material,
                                  "value": values, "year": steps, "note": "switched on by the scenario"}))
    if not rows:
        return base.iloc[:0]
    return pd.concat(rows, ignore_index=True).reindex(columns=base.columns)


def _grow(new: pd.DataFrame, growth: pd.DataFrame, steps: list[int]) -> None:
    """Scale the projected flows of each growth row by (1 + g/100) a year from the row's year on, the rate
    held until the flow's next growth row (compounded on the flow's value path)."""
    years = np.asarray(steps)
    for fid, points in growth.sort_values("year").groupby("flow", sort=False):
        idx = np.searchsorted(points["year"].to_numpy(), years, side="right") - 1
        rate = np.where(idx >= 0, points["value"].to_numpy(dtype=float)[np.maximum(idx, 0)], 0.0)
        factor = np.cumprod(1 + rate / 100)
        rows = new.index[new["id"] == fid]
        new.loc[rows, "value"] = new.loc[rows, "value"].to_numpy(dtype=float) * factor[
            new.loc[rows, "year"].to_numpy(dtype=int) - steps[0]]


def project(park: "Park", until: int, scenario: Any = None) -> "Park":
    """The park continued year by year to ``until`` (see the module docstring).

    Parameters
    ----------
    park : Park
        One year or several; its last year is repeated.
    until : int
        The last projected year (after the park's last year).
    scenario : path, DataFrame or iterable of dict, optional
        Rows ``flow, column, year, value`` (:func:`read_scenario`).

    Returns
    -------
    Park
        A multi-year park: the park's own years, then the projected ones.

    Raises
    ------
    mfa.errors.MfaError
        A park without a year, with activity data, or ``until`` not after its last year; a scenario's
        problems as :class:`mfa.errors.ParkError`.

    Examples
    --------
    The farm-film park at a recovery rate rising from 85 % (2025) to 90 % in 2030: the residue left in the
    fields comes from the fields' balance, the landfilled film from the collection network's.

    >>> import mfa
    >>> target = [{"flow": "fields>collection:farm_film", "column": "tc", "year": 2030, "value": 0.90},
    ...           {"flow": "fields>soil:farm_film", "column": "value", "year": 2026, "value": None},
    ...           {"flow": "collection>landfill:farm_film", "column": "value", "year": 2026, "value": None}]
    >>> p = project(mfa.read_park("farm_film"), 2030, target)
    >>> soil = mfa.stocks(p).table.query("process == 'soil' and year >= 2026")
    >>> soil["inflow"].round(1).tolist()
    [868.0, 806.0, 744.0, 682.0, 620.0]
    """
    from mfa.io.years import LIFETIME_COLUMNS
    from mfa.park import Park, require_park

    if not isinstance(park, Park):
        require_park(park, "project")
    years = park.years
    if not years:
        raise MfaError("project() needs a park with a year: set the park's year (park.csv, 'year')")
    last = years[-1]
    if not isinstance(until, (int, np.integer)) or isinstance(until, bool) or not last < int(until) <= 2200:
        raise MfaError(f"project until a year after the park's last year {last} (at most 2200), not {until!r}")
    until = int(until)
    if len(park.activities):
        raise MfaError("project(): a park with activity data is not projected yet (its generated flows would be "
                       "repeated without their activities); give the flows themselves")
    steps = list(range(last + 1, until + 1))
    changes = read_scenario(scenario, park, until) if scenario is not None else None
    lifetimes = park.lifetimes
    flows = park.flows
    flows = flows[flows["activity"] == ""].drop(columns=["activity", "estimated"])
    flows["year"] = flows["year"].fillna(last if len(years) == 1 else pd.NA)
    base = flows[flows["year"] == last]
    new = pd.concat([base.assign(year=y) for y in steps], ignore_index=True)
    # a stock with a lifetime releases what its lifetime says: its one computed outflow is blank again
    for p_, m in zip(lifetimes["process"], lifetimes["material"]):
        out = (new["source"] == p_) & (new["material"] == m)
        if out.any():
            last_out = new[out].groupby("year").tail(1).index
            new.loc[last_out, "value"] = np.nan
    if changes is not None:
        new = pd.concat([new, _switched_on(changes, base, list(years) + steps)], ignore_index=True)
        changes = changes[changes["flow"].isin(base["id"])]
    growth = changes[changes["column"] == "growth"] if changes is not None else None
    if changes is not None:
        changes = changes[changes["column"] != "growth"]
    if changes is not None and len(changes):
        for (fid, col), points in changes.groupby(["flow", "column"], sort=False):
            rows = new.index[new["id"] == fid]
            row = base[base["id"] == fid]
            start = float(row[col].iat[0]) if len(row) else np.nan
            if col == "tc" and len(row) and np.isnan(start):
                # the share the flow had in the last year: its value over its source's total input
                total = base.loc[base["target"] == row["source"].iat[0], "value"].sum()
                start = float(row["value"].iat[0]) / total if total > 0 else np.nan
            ramp = _ramp(start, points.sort_values("year"), steps, last)
            new.loc[rows, col] = ramp[new.loc[rows, "year"].to_numpy(dtype=int) - steps[0]]
            if col == "tc":
                new.loc[rows, "value"] = np.nan  # the transfer coefficient decides the value
    if growth is not None and len(growth):
        _grow(new, growth, steps)
    stocks = park.stocks
    if "year" not in stocks.columns:
        stocks = stocks.assign(year=last)
    stocks["year"] = stocks["year"].fillna(last)
    with_lifetime = set(zip(lifetimes["process"], lifetimes["material"]))
    is_lt = np.array([(p_, m) in with_lifetime for p_, m in zip(stocks["process"], stocks["material"])], dtype=bool)
    first = stocks["year"] == stocks["year"].min()
    # stocks with a lifetime: only the first opening is data, the rest is the model's
    kept = stocks[~is_lt | first.to_numpy()].copy()
    kept.loc[is_lt[~is_lt | first.to_numpy()], "closing"] = np.nan
    held = stocks[~is_lt & (stocks["year"] == last).to_numpy()]
    more = pd.concat([held.assign(year=y, opening=np.nan) for y in steps], ignore_index=True) if len(held) else None
    all_stocks = pd.concat([kept] + ([more] if more is not None else []), ignore_index=True)
    info = park.info.model_copy(update={"year": years[0]}) if park.info.year is None else park.info
    return Park.from_frames(processes=park.processes, flows=pd.concat([flows, new], ignore_index=True).assign(
                                unit="t/a"),
                            materials=park.materials, stocks=all_stocks.assign(unit="t"), info=info.model_dump(),
                            coefficients=park.coefficients,
                            lifetimes=lifetimes[list(LIFETIME_COLUMNS)] if len(lifetimes) else None)
