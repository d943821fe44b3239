"""Indicators through the years of a multi-year park (issue 16, item 1): each year's rates, each with the
targets of its year.

Every year of the park (:meth:`mfa.Park.for_year`) is solved and its indicators computed on their own
(:func:`mfa.indicators`); the series stacks them, one row per year and indicator, with the target of that year
from the targets table (the strictest one that applies to the park's region and level). Besides the rates of
:mod:`mfa.indicator_specs`, the series gives the farm-film recovery rate (地膜回收率, S27) when the park uses
farm film: recovered ÷ used, where *used* is the ``farm_film`` entering consumption processes (the fields)
and *recovered* what of it leaves them for collection, treatment or production (what stays in the field, is
burnt or dumped is not recovered). Its targets are in ``flows/film_targets.csv``.

>>> import mfa
>>> s = mfa.indicator_series(mfa.read_park("farm_film"))
>>> s.get("farm_film_recovery_rate")["value"].round(2).tolist()
[0.8, 0.81, 0.82, 0.84, 0.85]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterable, Iterator

import numpy as np
import pandas as pd

from mfa.results import Result

if TYPE_CHECKING:
    from mfa.park import Park

__all__ = ["indicator_series", "trace_series", "reconcile_series", "ReconcileSeries", "year_parks", "film_recovery", "SeriesResult", "FateSeries", "FILM_RATE",
           "SERIES_COLUMNS"]

#: The farm-film recovery rate (地膜回收率): recovered ÷ used (S27).
FILM_RATE: dict[str, str] = {
    "id": "farm_film_recovery_rate", "name": "Farm film recovery rate", "name_zh": "地膜回收率",
    "formula": "recovered ÷ used: farm film leaving consumption processes (the fields) for collection, treatment "
               "or production ÷ farm film entering them",
    "formula_zh": "地膜回收量 ÷ 地膜使用量", "source": "S27",
}
#: The columns of the series table.
SERIES_COLUMNS: tuple[str, ...] = ("year", "id", "name", "name_zh", "value", "traced", "numerator", "denominator",
                                   "unit", "target_id", "comparison", "target", "passed", "target_source")
_RECOVERED_KINDS = ("collection", "treatment", "production")


def film_recovery(park: "Park") -> pd.DataFrame:
    """The farm-film recovery rate of a one-year park (地膜回收率 = recovered ÷ used, S27), as a row of the
    indicator table (id, name, name_zh, value, traced, numerator, denominator, unit, formula, source).

    Parameters
    ----------
    park : Park
        One year.

    Returns
    -------
    DataFrame
        One row; value NaN when the park uses no farm film.

    Examples
    --------
    >>> import mfa
    >>> row = film_recovery(mfa.read_park("farm_film").for_year(2021)).iloc[0]
    >>> float(row["numerator"]), float(row["denominator"]), float(row["value"])
    (4800.0, 6000.0, 0.8)
    """
    from mfa.park import require_park

    require_park(park, "film_recovery")
    c = park.compiled
    film = c.material == "farm_film"
    value = np.where(np.isnan(c.value), 0.0, c.value)
    into = film & (c.kind[c.tgt] == "consumption")
    out = film & (c.kind[c.src] == "consumption") & np.isin(c.kind[c.tgt], _RECOVERED_KINDS)
    used, recovered = float(value[into].sum()), float(value[out].sum())
    return pd.DataFrame([{"id": FILM_RATE["id"], "name": FILM_RATE["name"], "name_zh": FILM_RATE["name_zh"],
                          "value": recovered / used if used > 0 else np.nan,
                          "traced": recovered / used if used > 0 else np.nan, "numerator": recovered,
                          "denominator": used, "unit": "t/t", "formula": FILM_RATE["formula"],
                          "source": FILM_RATE["source"]}])


def year_parks(park: "Park", solve: bool = True,
               years: "Iterable[int] | None" = None) -> "Iterator[tuple[int | None, Park]]":
    """Each year of the park and its one-year park, with the unknowns the balances determine computed
    (``solve``): what every series function runs its engine on.

    Parameters
    ----------
    park : Park
        One year (its year may be None) or several.
    solve : bool
        Compute each year's determinable unknown flows (:func:`mfa.solve_park`).
    years : iterable of int, optional
        Only these years (default: every year of the park).

    Returns
    -------
    iterator of (int or None, Park)

    Examples
    --------
    >>> import mfa
    >>> [y for y, _ in year_parks(mfa.read_park("farm_film"), solve=False)]
    [2021, 2022, 2023, 2024, 2025]
    """
    wanted = None if years is None else set(years)
    for year in park.years or (None,):
        if wanted is not None and year not in wanted:
            continue
        p = park.for_year(year) if year is not None else park
        if solve:
            from mfa.solved import solve_park

            p = solve_park(p).park
        yield year, p


def _film_targets() -> pd.DataFrame:
    from mfa.catalogue import data_path
    from mfa.targets import load_targets

    return load_targets(data_path("flows", "film_targets.csv"), indicator_ids={FILM_RATE["id"]})


@dataclass(frozen=True, eq=False)
class SeriesResult(Result, title="Indicators by year", main_table="series"):
    """The indicators of every year (``series``: one row per year and indicator, columns
    :data:`SERIES_COLUMNS`), and every target evaluated in every year (``targets``).

    Examples
    --------
    >>> import mfa
    >>> s = mfa.indicator_series(mfa.read_park("farm_film"))
    >>> s.summary["years"]
    [2021, 2022, 2023, 2024, 2025]
    """

    series: pd.DataFrame
    targets: pd.DataFrame

    @property
    def summary(self) -> dict[str, Any]:
        """The years and, per indicator with a value, its first and last value.

        Examples
        --------
        >>> import mfa
        >>> mfa.indicator_series(mfa.read_park("farm_film")).summary["farm_film_recovery_rate"]
        [0.8, 0.85]
        """
        s = self.series.dropna(subset=["value"])
        out: dict[str, Any] = {"years": sorted(int(y) for y in self.series["year"].unique())}
        for ind, rows in s.groupby("id", sort=False):
            out[str(ind)] = [round(float(rows["value"].iloc[0]), 6), round(float(rows["value"].iloc[-1]), 6)]
        return out

    def get(self, indicator: str) -> pd.DataFrame:
        """The rows of one indicator, one per year.

        Parameters
        ----------
        indicator : str
            An indicator id.

        Returns
        -------
        DataFrame

        Examples
        --------
        >>> import mfa
        >>> s = mfa.indicator_series(mfa.read_park("farm_film"))
        >>> s.get("farm_film_recovery_rate")["target"].tolist()[:3]
        [0.8, nan, 0.81]
        """
        return self.series[self.series["id"] == indicator].reset_index(drop=True)

    def wide(self, column: str = "value") -> pd.DataFrame:
        """One column per indicator (those with a value in some year), one row per year.

        Parameters
        ----------
        column : str
            Which figure (value, traced, target …).

        Returns
        -------
        DataFrame

        Examples
        --------
        >>> import mfa
        >>> w = mfa.indicator_series(mfa.read_park("farm_film")).wide()
        >>> w.index.tolist()[:2], "farm_film_recovery_rate" in w.columns
        ([2021, 2022], True)
        """
        has = self.series.groupby("id", sort=False)["value"].transform(lambda v: v.notna().any())
        s = self.series[has.astype(bool)]
        order = list(dict.fromkeys(s["id"]))
        return s.pivot(index="year", columns="id", values=column)[order]


def _year_targets(rows: pd.DataFrame, evaluated: pd.DataFrame, year: int) -> pd.DataFrame:
    """Per indicator, the strictest target of ``year`` that applies (its id, comparison, value, passed)."""
    t = evaluated[evaluated["applies"].astype(bool) & (pd.to_numeric(evaluated["year"], errors="coerce") == year)]
    picked = {}
    for ind, g in t.groupby("indicator", sort=False):
        # a target proper before a baseline, then the highest bar for ≥ (lowest for ≤)
        g = g.assign(_k=(g["kind"] != "target").astype(int),
                     _v=np.where(g["comparison"] == ">=", -g["target"], g["target"]))
        best = g.sort_values(["_k", "_v"], kind="stable").iloc[0]
        picked[ind] = best
    ids = rows["id"]
    get = lambda col: [picked[i][col] if i in picked else None for i in ids]  # noqa: E731
    return rows.assign(target_id=get("id"), comparison=get("comparison"),
                       target=pd.array([np.nan if v is None else float(v) for v in get("target")], dtype=float),
                       passed=pd.array([None if (v is None or pd.isna(v)) else bool(v) for v in get("passed")],
                                       dtype="boolean"),
                       target_source=get("source"))


def indicator_series(park: "Park", *, targets: Any = None, solve: bool = True,
                     years: "Iterable[int] | None" = None) -> SeriesResult:
    """The indicators of every year of the park, each with the target of its year.

    Parameters
    ----------
    park : Park
        One year or several (:attr:`mfa.Park.years`).
    targets : None, False or path
        As in :func:`mfa.indicators`: the shipped targets (None), none (False) or a targets CSV file. The
        farm-film rate's targets are ``flows/film_targets.csv`` unless ``targets`` is False.
    solve : bool
        Compute each year's determinable unknown flows first.
    years : iterable of int, optional
        Only these years of the park (default: every year).

    Returns
    -------
    SeriesResult

    Examples
    --------
    >>> import mfa
    >>> s = mfa.indicator_series(mfa.read_park("farm_film"))
    >>> r = s.get("farm_film_recovery_rate").iloc[2]
    >>> int(r.year), float(r.value), float(r.target), r.target_id, bool(r.passed)
    (2023, 0.82, 0.81, 'im_2023_film', True)
    >>> mfa.indicator_series(mfa.read_park("farm_film"), years=[2024]).series["year"].unique().tolist()
    [2024]
    """
    from mfa.park import Park, require_park
    from mfa.targets import evaluate
    from mfa.utilisation import indicators

    if not isinstance(park, Park):
        require_park(park, "indicator_series")
    rows, evaluated, messages = [], [], []
    film_targets = _film_targets() if targets is not False else None
    for year, p in year_parks(park, solve, years):
        year = year if year is not None else p.info.year
        r = indicators(p, targets=targets, solve=False)
        table = r.table[[c for c in ("id", "name", "name_zh", "value", "traced", "numerator", "denominator", "unit")
                         if c in r.table.columns]]
        tg = r.targets
        film = film_recovery(p)
        if film["denominator"].iat[0] > 0:
            table = pd.concat([table, film[table.columns]], ignore_index=True)
            if film_targets is not None:
                tg = pd.concat([tg, evaluate(film, film_targets, p.info)], ignore_index=True) if len(tg) else \
                    evaluate(film, film_targets, p.info)
        if len(tg):
            evaluated.append(tg.assign(evaluated_year=year))
        rows.append(_year_targets(table.assign(year=year), tg, year) if len(tg) and year is not None
                    else table.assign(year=year, target_id=None, comparison=None, target=np.nan,
                                      passed=pd.array([None] * len(table), dtype="boolean"), target_source=None))
        messages.extend(r.messages)
    series = pd.concat(rows, ignore_index=True)[list(SERIES_COLUMNS)]
    series["year"] = series["year"].astype("Int64")
    for c in ("target_id", "comparison", "target_source"):  # None, not NaN, where no target applies
        series[c] = series[c].astype(object).where(series[c].notna(), None)
    return SeriesResult(series=series, targets=pd.concat(evaluated, ignore_index=True) if evaluated
                        else pd.DataFrame(), messages=tuple({str(m): m for m in messages}.values()))


@dataclass(frozen=True, eq=False)
class FateSeries(Result, title="Fates by year", main_table="fates"):
    """Where each waste ends, year by year (``fates``: year, material, fate, tonnes, share of the material's
    tonnes of that year), from :func:`mfa.trace` of each year.

    Examples
    --------
    >>> import mfa
    >>> f = trace_series(mfa.read_park("farm_film"))
    >>> f.summary["years"]
    [2021, 2022, 2023, 2024, 2025]
    """

    fates: pd.DataFrame

    @property
    def summary(self) -> dict[str, Any]:
        """The years and the tonnes per fate over all of them.

        Examples
        --------
        >>> import mfa
        >>> round(trace_series(mfa.read_park("farm_film"), convention="traced").summary["utilised"])
        16515
        """
        out: dict[str, Any] = {"years": sorted(int(y) for y in self.fates["year"].unique())}
        out.update({str(k): float(v) for k, v in self.fates.groupby("fate")["tonnes"].sum().items()})
        return out


def trace_series(park: "Park", *, convention: str = "official", solve: bool = True) -> FateSeries:
    """The fate of every waste in every year of the park: :func:`mfa.trace` of each year, summed by material
    and fate.

    Parameters
    ----------
    park : Park
        One year or several.
    convention : {"official", "traced"}
        As for :func:`mfa.trace`.
    solve : bool
        Compute each year's determinable unknown flows first.

    Returns
    -------
    FateSeries

    Examples
    --------
    Each tonne of film followed to where it finally ends: of the 6 000 t of 2021, the pellets (3 060 t) are
    utilised, the film landfilled by the collection network and the plant's washing residue (1 740 t)
    disposed, the soil's growth (792 t) stored.

    >>> import mfa
    >>> f = trace_series(mfa.read_park("farm_film"), convention="traced").table
    >>> f[f.year == 2021].set_index("fate")["tonnes"].round(1).to_dict()  # doctest: +NORMALIZE_WHITESPACE
    {'utilised': 3060.0, 'disposed': 1740.0, 'stored': 792.0, 'discarded': 408.0, 'unresolved': 0.0}
    """
    from mfa.park import Park, require_park
    from mfa.tracing import trace

    if not isinstance(park, Park):
        require_park(park, "trace_series")
    rows = []
    for year, p in year_parks(park, solve):
        t = trace(p, convention=convention, solve=False).table
        g = t.groupby(["material", "fate"], sort=True)["tonnes"].sum().reset_index()
        g["share"] = g["tonnes"] / g.groupby("material")["tonnes"].transform("sum")
        rows.append(g.assign(year=year))
    fates = pd.concat(rows, ignore_index=True)[["year", "material", "fate", "tonnes", "share"]]
    fates["year"] = fates["year"].astype("Int64")
    return FateSeries(fates=fates)


@dataclass(frozen=True, eq=False)
class ReconcileSeries(Result, title="Reconciliation by year", main_table="years"):
    """The reconciliation of every year (issue 16, item 3): ``years`` (one row per year: chi2, dof, p_value,
    iterations, gross_errors, max_residual) and ``flows`` (each year's reconciled flows, with their year).

    Examples
    --------
    >>> import mfa
    >>> r = reconcile_series(mfa.read_park("farm_film"))
    >>> r.summary["years"]
    [2021, 2022, 2023, 2024, 2025]
    """

    years: pd.DataFrame
    flows: pd.DataFrame

    @property
    def summary(self) -> dict[str, Any]:
        """The years, the largest chi2 and the gross errors over all years.

        Examples
        --------
        >>> import mfa
        >>> reconcile_series(mfa.read_park("farm_film")).summary["gross_errors"]
        0
        """
        return {"years": [int(y) for y in self.years["year"]],
                "max_chi2": float(self.years["chi2"].max()) if len(self.years) else 0.0,
                "gross_errors": int(self.years["gross_errors"].sum())}


def reconcile_series(park: "Park", **options: Any) -> ReconcileSeries:
    """:func:`mfa.reconcile` of every year of the park, each year on its own (its unknown flows, its transfer
    coefficients of that year, its measured flows reconciled against that year's balances).

    Parameters
    ----------
    park : Park
        One year or several.
    **options
        Passed to :func:`mfa.reconcile` (``bounds``, ``alpha``, ``max_iter``, ``covariance``).

    Returns
    -------
    ReconcileSeries

    Examples
    --------
    The soil's outflow of each year is unknown in ``flows.csv`` (its lifetime gives it when the park is read);
    the recycled film of 2021 is exact data:

    >>> import mfa
    >>> r = reconcile_series(mfa.read_park("farm_film"))
    >>> f = r.flows.set_index(["year", "id"])["value"]
    >>> round(float(f[(2021, "soil>degraded:farm_film")]), 2), float(f[(2021, "collection>pellet_plant:farm_film")])
    (407.97, 3400.0)
    """
    from mfa.park import Park, require_park
    from mfa.solve import reconcile

    if not isinstance(park, Park):
        require_park(park, "reconcile_series")
    rows, flows = [], []
    for year in park.years or (None,):
        r = reconcile(park.for_year(year) if year is not None else park, **options)
        s = r.summary
        rows.append({"year": year, "chi2": s["chi2"], "dof": s["dof"], "p_value": s["p_value"],
                     "iterations": s["iterations"], "gross_errors": s["gross_errors"],
                     "max_residual": s["max_residual"]})
        flows.append(r.flows.assign(year=year))
    table = pd.DataFrame(rows)
    table["year"] = table["year"].astype("Int64")
    all_flows = pd.concat(flows, ignore_index=True)
    all_flows = all_flows[["year"] + [c for c in all_flows.columns if c != "year"]]
    return ReconcileSeries(years=table, flows=all_flows)
