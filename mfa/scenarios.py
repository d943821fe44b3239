"""Scenarios through time (issue 16, item 4): what it takes to meet each target in its year, and sweeps and
Monte Carlo draws of scenarios run on an executor (local processes, threads or a dask cluster).

A sweep runs :func:`mfa.project` once per scenario and keeps the rates and the stocks of every year. Each
Monte Carlo draw gets its own random stream, spawned from one seed by :class:`numpy.random.SeedSequence`, so
the draws — and the results — do not depend on how many workers run them or in which order they finish.

>>> import mfa
>>> r = mfa.what_it_takes(mfa.read_park("farm_film"), targets=[
...     {"id": "t", "indicator": "farm_film_recovery_rate", "comparison": ">=", "value": 0.85, "year": 2023}])
>>> int(r.table["year"].iat[0]), float(r.table["extra_t"].iat[0])
(2023, 183.0)
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterable, Mapping

import numpy as np
import pandas as pd

from mfa.errors import MfaError
from mfa.results import Result

if TYPE_CHECKING:
    from mfa.park import Park

__all__ = ["what_it_takes", "WhatItTakes", "sweep", "SweepResult", "perturb_scenario", "WHAT_IT_TAKES_COLUMNS"]

#: The columns of :attr:`WhatItTakes.table`.
WHAT_IT_TAKES_COLUMNS: tuple[str, ...] = ("year", "indicator", "target_id", "comparison", "target", "value",
                                          "numerator", "denominator", "extra_t", "met", "target_source")

#: Scenarios run per task: enough to amortise sending the park to a worker, few enough to share the work out.
BATCH = 10


@dataclass(frozen=True, eq=False)
class WhatItTakes(Result, title="What it takes to meet each target", main_table="table_"):
    """For each target of a year of the park, the tonnes that would meet it in that year (``table``, columns
    :data:`WHAT_IT_TAKES_COLUMNS`): ``extra_t`` is how many more tonnes the rate's numerator needs (a ``>=``
    target: more utilised, recovered …) or how many fewer (a ``<=`` target: less disposed), the rate's
    denominator (the tonnes generated, used …) held; 0 where the target is met.

    Examples
    --------
    >>> import mfa
    >>> what_it_takes(mfa.read_park("farm_film")).summary["extra_t"]
    0.0
    """

    table_: pd.DataFrame

    @property
    def summary(self) -> dict[str, Any]:
        """The targets evaluated, those missed, and the extra tonnes over all years.

        Examples
        --------
        >>> import mfa
        >>> what_it_takes(mfa.read_park("farm_film")).summary["targets"]
        2
        """
        t = self.table_
        return {"targets": int(len(t)), "missed": int((~t["met"].astype(bool)).sum()),
                "extra_t": float(t["extra_t"].sum())}

    def to_dict(self) -> dict[str, Any]:
        """``{"what_it_takes": [one record per target and year], "summary": {...}, "messages": [...]}``.

        Examples
        --------
        >>> import mfa
        >>> sorted(what_it_takes(mfa.read_park("farm_film")).to_dict())
        ['messages', 'summary', 'what_it_takes']
        """
        from mfa.results import frame_records, jsonable

        return {"what_it_takes": frame_records(self.table_), "summary": jsonable(self.summary),
                "messages": [m.to_dict() for m in self.messages]}


def what_it_takes(park: "Park", *, targets: Any = None) -> WhatItTakes:
    """The tonnes of extra utilisation (or of less disposal), per year, that would meet each target in its
    year: for a target ``rate >= r`` of a year with numerator N and denominator D, ``max(0, r·D − N)``; for
    ``rate <= r``, ``max(0, N − r·D)``. Targets of a year the park does not hold, or of a rate whose
    denominator is 0 that year (nothing to utilise), are left out.

    Parameters
    ----------
    park : Park
        One year or several: a park, or a trajectory from :func:`mfa.project`.
    targets : path, DataFrame or iterable of dict, optional
        As for :func:`mfa.indicator_series` (default: ``flows/targets.csv`` and ``flows/film_targets.csv``).

    Returns
    -------
    WhatItTakes

    Examples
    --------
    The farm-film park at the demonstration counties' 85 % in 2023: 0.85 × 6 100 t used = 5 185 t to
    recover, 5 002 t recovered, 183 t more; in 2025 85 % of 6 200 t = 5 270 t are recovered: met.

    >>> import mfa
    >>> t = [{"id": f"demo_{y}", "indicator": "farm_film_recovery_rate", "comparison": ">=", "value": 0.85,
    ...       "year": y} for y in (2023, 2025)]
    >>> what_it_takes(mfa.read_park("farm_film"), targets=t).table[["year", "extra_t", "met"]].values.tolist()
    [[2023, 183.0, False], [2025, 0.0, True]]
    """
    from mfa.time_series import indicator_series

    if targets is None:
        s = indicator_series(park).series
    else:
        s = indicator_series(park, targets=False).series.drop(
            columns=["target_id", "comparison", "target", "target_source"])
        s = s.merge(_own_targets(targets), on=["id", "year"], how="inner")
    s = s[s["target"].notna() & (s["denominator"] > 0)]
    ge = s["comparison"].isin([">=", ">"]).to_numpy()
    le = s["comparison"].isin(["<=", "<"]).to_numpy()
    goal = s["target"].to_numpy(dtype=float) * s["denominator"].to_numpy(dtype=float)
    num = s["numerator"].to_numpy(dtype=float)
    gap = np.where(ge, goal - num, np.where(le, num - goal, 0.0))
    # a gap within rounding of the rate's own tonnes is met (the rates are computed from the same floats)
    gap = np.where(gap > 1e-9 * np.maximum(np.abs(goal), 1.0), gap, 0.0)
    table = pd.DataFrame({"year": s["year"].astype("Int64").to_numpy(), "indicator": s["id"].to_numpy(),
                          "target_id": s["target_id"].to_numpy(), "comparison": s["comparison"].to_numpy(),
                          "target": s["target"].to_numpy(dtype=float), "value": s["value"].to_numpy(dtype=float),
                          "numerator": num, "denominator": s["denominator"].to_numpy(dtype=float),
                          "extra_t": np.round(gap, 6), "met": gap == 0,
                          "target_source": s["target_source"].to_numpy()})
    table = table.sort_values(["year", "indicator"], kind="stable").reset_index(drop=True)
    return WhatItTakes(table_=table[list(WHAT_IT_TAKES_COLUMNS)])


def _own_targets(targets: Any) -> pd.DataFrame:
    """A user's targets (a CSV file, a DataFrame or dicts: indicator, comparison, value, year, id, source),
    each applied to its year of the park; every problem located."""
    from mfa.errors import Issue, ParkError
    from mfa.projection import read_rows
    from mfa.validation import TableChecker

    raw = read_rows(targets, "targets")
    issues: list[Issue] = []
    c = TableChecker(raw, issues)
    if not c.required(("indicator", "comparison", "value", "year")):
        raise ParkError(issues)
    comparison = c.choice("comparison", (">=", ">", "<=", "<"), "comparison")
    value, _ = c.numbers("value", what="a rate (a share)")
    year, _ = c.numbers("year", what="a year")
    c.add(~np.isfinite(year) | (year != np.round(year)), "year", "a target's year is a whole year")
    c.add(~np.isfinite(value), "value", "a target needs its rate")
    if issues:
        raise ParkError(issues)
    ids = c.text("id").to_numpy()
    ids = np.where(ids == "", [f"target_{i + 1}" for i in range(c.n)], ids)
    return pd.DataFrame({"id": c.text("indicator").to_numpy(), "year": year.astype(int), "target_id": ids,
                         "comparison": np.asarray(comparison), "target": value,
                         "target_source": c.text("source").to_numpy()}).astype({"year": "Int64"})


@dataclass(frozen=True, eq=False)
class SweepResult(Result, title="Scenario sweep", main_table="indicators"):
    """The rates (``indicators``: scenario, year, indicator, value) and stocks (``stocks``: scenario, process,
    material, year, stock) of every scenario of a sweep, in the order of the scenarios.

    Examples
    --------
    >>> import mfa
    >>> r = sweep(mfa.read_park("farm_film"), 2027, {"held": None}, workers=1)
    >>> r.summary
    {'scenarios': 1, 'years': [2021, 2022, 2023, 2024, 2025, 2026, 2027]}
    """

    indicators: pd.DataFrame
    stocks: pd.DataFrame

    @property
    def summary(self) -> dict[str, Any]:
        """The number of scenarios and the years.

        Examples
        --------
        >>> import mfa
        >>> sweep(mfa.read_park("farm_film"), 2026, [None, None], workers=1).summary["scenarios"]
        2
        """
        return {"scenarios": int(self.indicators["scenario"].nunique()),
                "years": sorted(int(y) for y in self.indicators["year"].unique())}


def perturb_scenario(scenario: pd.DataFrame, rng: np.random.Generator, spread: float) -> pd.DataFrame:
    """A Monte Carlo draw of a scenario: each known value times (1 + spread · z), z standard normal, a
    transfer coefficient kept within [0, 1] and a value at least 0.

    Parameters
    ----------
    scenario : DataFrame
        Rows flow, column, year, value (:func:`mfa.projection.read_scenario`).
    rng : numpy.random.Generator
        The draw's own random stream.
    spread : float
        The relative standard deviation of every value.

    Returns
    -------
    DataFrame

    Examples
    --------
    >>> s = pd.DataFrame({"flow": ["a>b:x"], "column": ["tc"], "year": [2030], "value": [0.9]})
    >>> float(perturb_scenario(s, np.random.default_rng(0), 0.0)["value"].iat[0])
    0.9
    """
    out = scenario.copy()
    v = out["value"].to_numpy(dtype=float)
    drawn = v * (1 + spread * rng.standard_normal(len(v)))
    hi = np.where(out["column"].to_numpy() == "tc", 1.0, np.inf)
    out["value"] = np.where(np.isnan(v), np.nan, np.clip(drawn, 0.0, hi))
    return out


def _rates(p: "Park", years: list[int] | None) -> pd.DataFrame:
    """The rates of the years of ``p`` (all: None): year, indicator, value."""
    from mfa.time_series import indicator_series

    s = indicator_series(p, targets=False, years=years).series
    return s.loc[s["value"].notna(), ["year", "id", "value"]].rename(columns={"id": "indicator"})


def _run_batch(park: "Park", until: int, items: list[tuple[Any, Any, Any, float]],
               held_rates: pd.DataFrame | None = None) -> list[tuple[Any, ...]]:
    """Project the park under each (name, scenario, seed sequence or None, spread); the rates and stocks.
    ``held_rates``: the rates of the park's own years (None: each projection's own)."""
    from mfa.projection import project

    held_years = list(park.years) if held_rates is not None else []
    out = []
    for name, scenario, seed, spread in items:
        if seed is not None:
            scenario = perturb_scenario(scenario, np.random.default_rng(seed), spread)
        p = project(park, until, scenario)
        if not held_years:
            s = _rates(p, None)
        else:
            s = pd.concat([held_rates, _rates(p, [y for y in p.years if y not in held_years])],
                          ignore_index=True)
        # the projected park carries every closing stock already (its lifetimes ran when it was read)
        held = p.stocks.rename(columns={"closing": "stock"})[["process", "material", "year", "stock"]]
        held = held.astype({"year": int}).sort_values(["process", "material", "year"]).reset_index(drop=True)
        out.append((name, s.assign(scenario=name), held.assign(scenario=name)))
    return out


def _is_dask(executor: Any) -> bool:
    return hasattr(executor, "scatter") and hasattr(executor, "gather")


def sweep(park: "Park", until: int, scenarios: Mapping[Any, Any] | Iterable[Any] | None = None, *,
          draws: int = 0, spread: float = 0.1, seed: int = 0, executor: Any = None,
          workers: int | None = None) -> SweepResult:
    """Project the park to ``until`` under many scenarios, in parallel.

    Parameters
    ----------
    park : Park
        The park (its last year is continued).
    until : int
        The last projected year.
    scenarios : mapping name → scenario, or iterable of scenarios, optional
        Each as :func:`mfa.project` takes it (None: the last year held). With ``draws``, exactly one scenario,
        the one drawn around.
    draws : int
        Monte Carlo: this many draws of the one scenario, each value times (1 + spread · z).
    spread : float
        The relative standard deviation of the drawn values.
    seed : int
        The root of every draw's random stream (``numpy.random.SeedSequence(seed).spawn(draws)``).
    executor : concurrent.futures.Executor or dask.distributed.Client, optional
        Where the scenarios run; default a local process pool of ``workers`` processes.
    workers : int, optional
        The processes of the default pool (default: the CPUs); 1 runs in this process.

    Returns
    -------
    SweepResult
        Identical for any executor and number of workers.

    Raises
    ------
    mfa.errors.MfaError
        No scenario, or draws with more or fewer than one scenario; a scenario's problems as
        :class:`mfa.errors.ParkError` (checked before anything runs).

    Examples
    --------
    >>> import mfa
    >>> park = mfa.read_park("farm_film")
    >>> target = "parks/farm_film/scenarios/recovery_90_by_2030.csv"
    >>> r = sweep(park, 2030, {"held": None, "90% by 2030": target}, workers=1)
    >>> soil = r.stocks.query("process == 'soil' and year == 2030").set_index("scenario")["stock"]
    >>> soil.round().to_dict()
    {'held': 25389.0, '90% by 2030': 24492.0}
    >>> mc = sweep(park, 2030, [target], draws=3, spread=0.02, seed=1, workers=1)
    >>> mc.stocks.query("process == 'soil' and year == 2030")["scenario"].tolist()
    [0, 1, 2]
    """
    from mfa.projection import read_scenario

    if scenarios is None:
        scenarios = [None]
    named = dict(scenarios) if isinstance(scenarios, Mapping) else dict(enumerate(scenarios))
    if not named:
        raise MfaError("sweep() needs at least one scenario")
    # read (and so check) every scenario here, once, before any worker starts
    read = {k: (None if v is None else read_scenario(v, park, until)) for k, v in named.items()}
    if draws:
        if len(read) != 1 or not isinstance(draws, (int, np.integer)) or draws < 0:
            raise MfaError(f"sweep(draws=…) draws around exactly one scenario, got {len(read)} (draws={draws!r})")
        base = next(iter(read.values()))
        if base is None:
            raise MfaError("sweep(draws=…) needs a scenario to draw around: the held park has nothing to vary")
        seeds = np.random.SeedSequence(seed).spawn(int(draws))
        items = [(i, base, s, float(spread)) for i, s in enumerate(seeds)]
    else:
        items = [(k, v, None, 0.0) for k, v in read.items()]
    batches = [items[i:i + BATCH] for i in range(0, len(items), BATCH)]
    # a projection keeps the park's own years as they are (it only continues them, and a stock's lifetime
    # looks back, never ahead): their rates are the same in every scenario, computed once here
    held_rates = _rates(park, list(park.years)) if park.years else None
    results = _run(park, until, batches, executor, workers, held_rates)
    ind = pd.concat([r[1] for b in results for r in b], ignore_index=True)
    held = pd.concat([r[2] for b in results for r in b], ignore_index=True)
    return SweepResult(indicators=ind[["scenario", "year", "indicator", "value"]],
                       stocks=held[["scenario", "process", "material", "year", "stock"]])


def _run(park: "Park", until: int, batches: list, executor: Any, workers: int | None,
         held_rates: pd.DataFrame | None = None) -> list:
    """Each batch's results, in the order of the batches, whatever runs them."""
    if executor is None and workers == 1:
        return [_run_batch(park, until, b, held_rates) for b in batches]
    if executor is None:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(max_workers=workers or os.cpu_count() or 1) as pool:
            return _run(park, until, batches, pool, None, held_rates)
    if _is_dask(executor):
        # the park goes to every worker once; pure=False: two equal batches are still two tasks
        [shared] = executor.scatter([park], broadcast=True)
        futures = [executor.submit(_run_batch, shared, until, b, held_rates, pure=False) for b in batches]
        return executor.gather(futures)
    futures = [executor.submit(_run_batch, park, until, b, held_rates) for b in batches]
    return [f.result() for f in futures]
