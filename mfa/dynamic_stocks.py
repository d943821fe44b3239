"""The stocks of a park through its years: inflow, outflow, stock and stock change of every stock, and the
lifetime models that compute a stock's outflows from its past inflows (inflow-driven) or its inflows from its
stock path (stock-driven), with cohort tables (issue 16, item 2).

A stock is a material held by a storage or consumption process: a row of the park's ``stocks`` table, or a
row of its ``lifetimes`` table. For a stock with a lifetime, the reader (:mod:`mfa.io.years`) calls
:func:`lifetime_model` with the inflows of every year and fills the outflow left blank and the stock rows, or,
when the closing of every year is given and an inflow left blank, :func:`stock_driven_model` with that path
and fills the blank inflow and outflow; :func:`stocks` then lists every stock, year by year, as the park holds
it, and :meth:`StockResult.cohorts` what is left of each year's inflow (see docs/time.md).

>>> import mfa
>>> s = mfa.stocks(mfa.read_park("farm_film"))
>>> list(s.table.columns)
['process', 'material', 'year', 'inflow', 'outflow', 'stock', 'stock_change']
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Mapping

import numpy as np
import pandas as pd

from mfa.errors import Issue, Message
from mfa.results import Result

if TYPE_CHECKING:
    from mfa.park import Park

__all__ = ["lifetime_model", "stock_driven_model", "solved_values", "stocks", "StockResult", "STOCK_KEYS", "COHORT_KEYS",
           "LEGACY_YEARS"]

#: The keys of each row of ``mfa stocks --json`` (a public contract: never renamed or removed).
STOCK_KEYS: tuple[str, ...] = ("process", "material", "year", "inflow", "outflow", "stock", "stock_change")
#: The columns of :meth:`StockResult.cohorts`.
COHORT_KEYS: tuple[str, ...] = ("process", "material", "year", "cohort", "stock", "outflow")
#: Years of constant inflow behind a legacy (first opening) stock: long enough for any lifetime the tables
#: take to have aged out its oldest cohorts (a lognormal of mean 100 a keeps < 10⁻⁶ after 600 a).
LEGACY_YEARS = 600


def lifetime_model(inflow: np.ndarray, row: Mapping[str, Any], opening: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """The outflow and the stock of each year of a stock with a lifetime, from its inflows.

    The opening stock of the first year (a legacy stock) is taken as what a **constant inflow in every
    earlier year** would have left (its cohorts aged as the lifetime says); it leaves over the following
    years with the same lifetime. Without it the stock starts empty.

    Parameters
    ----------
    inflow : ndarray, shape (n_years,)
        What enters the stock each year (t/a).
    row : mapping
        A row of the lifetimes table: model, mean, std, shape, scale (NaN = not given), timing.
    opening : float
        The stock at the start of the first year (t).

    Returns
    -------
    outflow : ndarray
        t/a, per year.
    stock : ndarray
        t at the end of each year.

    Examples
    --------
    A fixed lifetime of 2 years, entering at the end of the year: each inflow leaves two years later.

    >>> row = {"model": "fixed", "mean": 2, "timing": "end"}
    >>> [a.tolist() for a in lifetime_model(np.array([10.0, 20.0, 30.0]), row)]
    [[0.0, 0.0, 10.0], [10.0, 30.0, 50.0]]

    A legacy stock of 40 t as left by 20 t/a in every earlier year: 20 t/a leave each year.

    >>> [a.tolist() for a in lifetime_model(np.zeros(3), row, opening=40.0)]
    [[20.0, 20.0, 0.0], [20.0, 0.0, 0.0]]
    """
    from mfa.lifetime import inflow_driven

    lt = _lifetime_of(row)
    x = np.asarray(inflow, dtype=float)
    if opening > 0:
        legacy = _legacy_inflows(lt, opening)
        m = inflow_driven(np.concatenate([legacy, x]), lt)
        return m.outflow[LEGACY_YEARS:], m.stock[LEGACY_YEARS:]
    m = inflow_driven(x, lt)
    return m.outflow, m.stock


def stock_driven_model(closing: np.ndarray, row: Mapping[str, Any],
                       opening: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """The inflow and the outflow of each year that keep a stock with a lifetime on a given path (the
    stock-driven model, :func:`mfa.lifetime.stock_driven`).

    The opening stock of the first year is a legacy stock as in :func:`lifetime_model` (left by a constant
    inflow in every earlier year, leaving with the same lifetime); the inflow of each year is what the stock
    needs on 31 December beyond what is left of the legacy and of the earlier years' inflows.

    Parameters
    ----------
    closing : ndarray, shape (n_years,)
        The stock at the end of each year (t).
    row, opening
        As for :func:`lifetime_model`.

    Returns
    -------
    inflow : ndarray
        t/a, per year (negative where the path falls faster than its cohorts leave).
    outflow : ndarray
        t/a, per year.

    Raises
    ------
    ValueError
        A lifetime that keeps nothing of a cohort to the end of its own year (no inflow can build a stock), or
        one that cannot hold the opening stock.

    Examples
    --------
    A fixed lifetime of 2 years, entering at the end of the year: a stock of 10, 30, 50 t needs 10, 20, 30 t/a,
    and the 10 t of the first year leave in the third.

    >>> row = {"model": "fixed", "mean": 2, "timing": "end"}
    >>> [a.tolist() for a in stock_driven_model(np.array([10.0, 30.0, 50.0]), row)]
    [[10.0, 20.0, 30.0], [0.0, 0.0, 10.0]]

    A legacy stock of 40 t left by 20 t/a, held at 40 t: 20 t/a leave and 20 t/a must enter.

    >>> [a.tolist() for a in stock_driven_model(np.array([40.0, 40.0]), row, opening=40.0)]
    [[20.0, 20.0], [20.0, 20.0]]
    """
    from mfa.lifetime import stock_driven

    lt = _lifetime_of(row)
    path = np.asarray(closing, dtype=float)
    if opening > 0:
        legacy = _legacy_inflows(lt, opening)
        m = stock_driven(np.concatenate([np.full(LEGACY_YEARS, np.nan), path]), lt, initial_inflow=legacy)
        return m.inflow[LEGACY_YEARS:], m.outflow[LEGACY_YEARS:]
    m = stock_driven(path, lt)
    return m.inflow, m.outflow


def _lifetime_of(row: Mapping[str, Any]) -> Any:
    """The :class:`mfa.lifetime.Lifetime` of a row of the lifetimes table."""
    from mfa.lifetime import MODELS, Lifetime

    params = {k: float(row[k]) for k in ("mean", "std", "shape", "scale")
              if row.get(k) is not None and not np.isnan(float(row[k]))}
    return Lifetime(row["model"], timing=row.get("timing") or "middle", **{k: params[k] for k in MODELS[row["model"]]})


def _legacy_inflows(lt: Any, opening: float) -> np.ndarray:
    """The constant inflow of :data:`LEGACY_YEARS` earlier years that leaves ``opening`` at the start of the
    first year."""
    from mfa.lifetime import inflow_driven

    unit = inflow_driven(np.ones(LEGACY_YEARS), lt)
    left = float(unit.stock[LEGACY_YEARS - 1])
    if left <= 0:
        # nothing of any cohort survives a year: a stock cannot be left by past inflows
        raise ValueError("a lifetime that keeps nothing to the end of a year cannot hold an opening stock")
    return np.full(LEGACY_YEARS, opening / left)


def solved_values(park: "Park") -> np.ndarray:
    """The flow values of a one-year park with the unknowns that the balances and transfer coefficients
    determine computed (:func:`mfa.solve_park`), in the order of ``park.flows``; NaN where still unknown.
    The reader takes a stock's blank inflow from it before running the stock's lifetime.

    Parameters
    ----------
    park : Park
        One year.

    Returns
    -------
    ndarray

    Examples
    --------
    >>> from mfa.solve.model import example_park
    >>> solved_values(example_park()).tolist()
    [100.0, 60.0, 40.0]
    """
    from mfa.solved import solve_park

    return solve_park(park).park.flows["value"].to_numpy(dtype=float)


@dataclass(frozen=True, eq=False)
class StockResult(Result, title="Stocks", main_table="stocks"):
    """The stocks of a park, one row per stock and year (``stocks``): process, material, year, inflow,
    outflow (t/a), stock (t at 31 December), stock_change (t/a), and the lifetimes behind them.

    Examples
    --------
    >>> r = StockResult(stocks=pd.DataFrame(columns=list(STOCK_KEYS)), lifetimes=pd.DataFrame())
    >>> r.to_dict()
    {'stocks': []}
    """

    stocks: pd.DataFrame
    lifetimes: pd.DataFrame

    @property
    def summary(self) -> dict[str, Any]:
        """Number of stocks, first and last year, and the stock at the end of the last year (t).

        Examples
        --------
        >>> import mfa
        >>> mfa.stocks(mfa.read_park("farm_film")).summary["stocks"]   # the fields and the soil
        2
        """
        s = self.stocks
        if not len(s):
            return {"stocks": 0}
        last = s[s["year"] == s["year"].max()]
        return {"stocks": int(len(s.drop_duplicates(["process", "material"]))), "first_year": int(s["year"].min()),
                "last_year": int(s["year"].max()), "final_stock": float(last["stock"].sum())}

    def to_dict(self) -> dict[str, Any]:
        """The ``--json`` document: ``{"stocks": [rows with exactly the keys of STOCK_KEYS]}``.

        Returns
        -------
        dict

        Examples
        --------
        >>> import mfa
        >>> sorted(mfa.stocks(mfa.read_park("farm_film")).to_dict()["stocks"][0])
        ['inflow', 'material', 'outflow', 'process', 'stock', 'stock_change', 'year']
        """
        from mfa.results import jsonable

        return {"stocks": jsonable(self.stocks[list(STOCK_KEYS)])}

    def cohorts(self) -> pd.DataFrame:
        """The cohort table of every stock with a lifetime: process, material, year, cohort, stock (what is left
        on 31 December of what entered in year ``cohort``, t) and outflow (what left of it during the year,
        t/a). Cohort ``<NA>`` is the legacy stock (every cohort before the first year). Summed over the
        cohorts of a year, stock and outflow are those of :attr:`table`.

        Returns
        -------
        DataFrame
            One row per stock, year and cohort entered by then; columns :data:`COHORT_KEYS`.

        Examples
        --------
        >>> import mfa
        >>> c = mfa.stocks(mfa.read_park("farm_film")).cohorts()
        >>> c.query("year == 2022")[["cohort", "stock"]].round(2).values.tolist()
        [[<NA>, 19215.79], [2021, 1164.53], [2022, 1128.66]]
        """
        from mfa.lifetime import inflow_driven

        frames = [pd.DataFrame(columns=list(COHORT_KEYS))]
        for lt in self.lifetimes.to_dict("records"):
            rows = self.stocks[(self.stocks["process"] == lt["process"]) & (self.stocks["material"] == lt["material"])]
            inflow = rows["inflow"].to_numpy(dtype=float)
            if not len(rows) or np.isnan(inflow).any():
                continue  # an inflow still unknown: no cohorts to follow
            years = rows["year"].to_numpy(dtype=int)
            opening = float(rows["stock"].iat[0] - rows["stock_change"].iat[0])
            life = _lifetime_of(lt)
            legacy = _legacy_inflows(life, opening) if opening > 0 else np.zeros(0)
            k, n = len(legacy), len(inflow)
            m = inflow_driven(np.concatenate([legacy, inflow]), life)
            stock, out = m.stock_by_cohort[k:], m.outflow_by_cohort[k:]
            t, c = np.tril_indices(n)
            cohort = pd.array(years[c], dtype="Int64")
            parts = [pd.DataFrame({"year": years[t], "cohort": cohort, "stock": stock[t, k + c],
                                   "outflow": out[t, k + c]})]
            if k:
                parts.insert(0, pd.DataFrame({"year": years, "cohort": pd.array([pd.NA] * n, dtype="Int64"),
                                              "stock": stock[:, :k].sum(axis=1), "outflow": out[:, :k].sum(axis=1)}))
            both = pd.concat(parts, ignore_index=True).sort_values(["year", "cohort"], kind="stable",
                                                                   na_position="first")
            frames.append(both.assign(process=lt["process"], material=lt["material"]))
        table = pd.concat(frames, ignore_index=True)[list(COHORT_KEYS)]
        return table.astype({"year": "Int64", "cohort": "Int64", "stock": float, "outflow": float})


def stocks(park: "Park", *, solve: bool = True) -> StockResult:
    """Every stock of the park, year by year: what entered, what left, what is held at the end of the year.

    A stock is a process and material of the ``stocks`` table (or of the ``lifetimes`` table: its rows are
    computed when the park is read). Inflow and outflow are the flows of the material into and out of the
    process in that year; stock is the closing stock; stock_change is closing − opening. Unknown flows that
    the balances determine are computed first (``solve``); a flow that stays unknown leaves its sum NaN.

    Parameters
    ----------
    park : Park
        One year or several (:attr:`mfa.Park.years`).
    solve : bool
        Compute the determinable unknown flows of each year first (as every command does).

    Returns
    -------
    StockResult

    Examples
    --------
    >>> import mfa
    >>> s = mfa.stocks(mfa.read_park("farm_film"))
    >>> row = s.table.iloc[0]
    >>> bool(abs(row.inflow - row.outflow - row.stock_change) < 1e-6)
    True
    """
    from mfa.park import Park, require_park

    if not isinstance(park, Park):
        require_park(park, "stocks")
    rows = []
    messages: list[Issue] = []
    from mfa.time_series import year_parks

    for year, p in year_parks(park, solve):
        s = p.stocks
        if not len(s):
            continue
        f = p.flows
        keys = pd.MultiIndex.from_frame(s[["process", "material"]])
        inflow = f.groupby(["target", "material"])["value"].sum(min_count=1)
        outflow = f.groupby(["source", "material"])["value"].sum(min_count=1)
        # a sum with an unknown flow is unknown, not the sum of the known ones
        unknown_in = f["value"].isna().groupby([f["target"], f["material"]]).any()
        unknown_out = f["value"].isna().groupby([f["source"], f["material"]]).any()
        i = np.array(inflow.reindex(keys).fillna(0.0), dtype=float)
        o = np.array(outflow.reindex(keys).fillna(0.0), dtype=float)
        i[unknown_in.reindex(keys, fill_value=False).to_numpy(dtype=bool)] = np.nan
        o[unknown_out.reindex(keys, fill_value=False).to_numpy(dtype=bool)] = np.nan
        rows.append(pd.DataFrame({"process": s["process"].to_numpy(), "material": s["material"].to_numpy(),
                                  "year": year if year is not None else pd.NA, "inflow": i, "outflow": o,
                                  "stock": s["closing"].to_numpy(dtype=float),
                                  "stock_change": (s["closing"] - s["opening"]).to_numpy(dtype=float)}))
    table = (pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=list(STOCK_KEYS)))
    if len(table):
        table["year"] = table["year"].astype("Int64")
        table = table.sort_values(["process", "material", "year"], kind="stable").reset_index(drop=True)
        off = (table["inflow"] - table["outflow"] - table["stock_change"]).abs()
        scale = table[["inflow", "outflow"]].abs().max(axis=1).fillna(0)
        for r in table[off > np.maximum(0.01, 0.01 * scale)].itertuples():
            text = (f"{r.material} in {r.process} in {r.year}: inflow − outflow = {r.inflow - r.outflow:,.6g} t/a, "
                    f"the stock changes by {r.stock_change:,.6g} t")
            messages.append(Issue.note(Message(text, "stocks.imbalanced", material=r.material, process=r.process,
                                               year=r.year, net=r.inflow - r.outflow, change=r.stock_change),
                                       severity="warning"))
    return StockResult(stocks=table, lifetimes=park.lifetimes, messages=tuple(messages))
