"""Monte Carlo uncertainty of flows and indicators, propagated through the reconciliation.

Every measured flow (``value`` with ``sigma``) and measured transfer coefficient (``tc`` with ``tc_sigma``)
is sampled from a distribution with the given mean and standard deviation; exact values stay fixed. Each
sample is reconciled and the unknowns computed (:mod:`mfa.solve`), then the indicators
(:func:`mfa.indicators`) are evaluated. Percentiles of every flow and indicator are reported.

Distributions (mean μ = the value, standard deviation σ):

* ``normal`` — N(μ, σ);
* ``lognormal`` — log-normal with mean μ and standard deviation σ (needs μ > 0; normal otherwise);
* ``uniform`` — U(μ − √3σ, μ + √3σ);
* ``triangular`` — symmetric triangle on μ ± √6σ.

Samples are kept physical: flows ≥ 0 and coefficients in [0, 1]; a draw outside is drawn again (a
truncated distribution, whose mean can then differ slightly from μ).

Speed: the reconciliation is linearised and factored once at its solution; all samples of a chunk are mapped
with one multi-right-hand-side solve (exact for linear equations; with measured coefficients, a few chord
iterations per chunk make every sample satisfy the equations). Indicators need a trace of the park per
sample (tens of ms), so by default they are evaluated on the first 200 samples only (``indicator_samples``).

Reproducibility: the stream is split by chunk index (``numpy.random.SeedSequence(seed).spawn``), chunks have
a fixed size, and BLAS runs single-threaded inside a chunk, so the same seed gives byte-identical results
whatever the number of workers or the executor.

>>> import mfa
>>> from mfa.uncertainty import monte_carlo
>>> park = mfa.Park.from_frames(
...     processes=[{"id": "in", "name": "Supply", "kind": "import"},
...                {"id": "plant", "name": "Plant", "kind": "production"},
...                {"id": "out", "name": "Customers", "kind": "export"},
...                {"id": "dump", "name": "Dump", "kind": "landfill"}],
...     flows=[{"source": "in", "target": "plant", "material": "coal_gangue", "value": 100, "sigma": 5},
...            {"source": "plant", "target": "out", "material": "coal_gangue", "value": 60, "sigma": 3},
...            {"source": "plant", "target": "dump", "material": "coal_gangue"}])
>>> mc = monte_carlo(park, samples=2000, seed=1, progress=False, indicators=False)
>>> row = mc.table.set_index("id").loc["plant>dump:coal_gangue"]
>>> float(round(row["value"], 1)), bool(abs(row["std"] - 34 ** 0.5) < 0.3)
(40.0, True)
"""

from __future__ import annotations

import sys
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Mapping

import numpy as np
import pandas as pd

from mfa.errors import MfaError
from mfa.results import Result, frame_records

if TYPE_CHECKING:  # pragma: no cover
    from mfa.park import Park
    from mfa.solve import LinearModel

__all__ = ["monte_carlo", "UncertaintyResult", "DISTRIBUTIONS", "draw_samples"]

DISTRIBUTIONS = ("normal", "lognormal", "uniform", "triangular")
PERCENTILES = (2.5, 5.0, 25.0, 50.0, 75.0, 95.0, 97.5)
_MAX_REDRAWS = 200


def _pct_name(p: float) -> str:
    return "p" + (f"{p:g}".replace(".", "_"))


@dataclass(frozen=True, eq=False)
class UncertaintyResult(Result, title="Monte Carlo uncertainty", main_table="flows"):
    """Monte Carlo percentiles.

    Attributes
    ----------
    samples : int
    seed : int or None
    distribution : str
        The default distribution.
    failed_samples : int
        Samples whose equations could not be satisfied (excluded).
    indicator_samples : int
        Samples the indicators were evaluated on.
    flows : DataFrame
        The main table (``.table``): id, source, target, material, status, value (reconciled, t/a), mean,
        std, p2_5, p5, p25, p50, p75, p95, p97_5 (t/a); statistics are NaN for unobservable flows.
    indicators : DataFrame
        id, name, value (at the reconciled values), mean, std, percentiles, n (samples evaluated).
    flow_samples : numpy.ndarray or None
        The sampled flows (n_flows × samples, park order) with ``keep_samples=True``.

    Examples
    --------
    >>> import mfa
    >>> from mfa.solve.model import example_park
    >>> mc = monte_carlo(example_park(), samples=50, seed=0, progress=False, indicators=False)
    >>> mc.table is mc.flows, mc.summary["samples"], list(mc.tables)
    (True, 50, ['flows', 'indicators'])
    """

    # how the run was made, then what it found
    samples: int
    seed: int | None
    distribution: str
    failed_samples: int
    indicator_samples: int
    flows: pd.DataFrame
    indicators: pd.DataFrame
    flow_samples: np.ndarray | None = field(default=None, repr=False)

    @property
    def summary(self) -> dict[str, Any]:
        """Headline figures: samples, seed, distribution, failed samples.

        Returns
        -------
        dict
            Name → number or text.

        Examples
        --------
        >>> from mfa.solve.model import example_park
        >>> mc = monte_carlo(example_park(), samples=5, seed=0, progress=False, indicators=False)
        >>> mc.summary["samples"], mc.summary["seed"]
        (5, 0)
        """
        return {"samples": int(self.samples), "seed": self.seed, "distribution": self.distribution,
                "failed_samples": int(self.failed_samples), "indicator_samples": int(self.indicator_samples)}

    def to_dict(self) -> dict:
        """The ``--json`` document: the summary, the percentiles, then both tables as records.

        Returns
        -------
        dict

        Examples
        --------
        >>> from mfa.solve.model import example_park
        >>> list(monte_carlo(example_park(), samples=5, progress=False, indicators=False).to_dict())
        ['samples', 'seed', 'distribution', 'failed_samples', 'indicator_samples', 'percentiles', 'flows', \
'indicators']
        """
        return {**self.summary, "percentiles": list(PERCENTILES), "flows": frame_records(self.flows),
                "indicators": frame_records(self.indicators)}


@dataclass
class _Task:
    """Everything a worker needs for one chunk (picklable)."""

    lin: "LinearModel"
    mean: np.ndarray
    sd: np.ndarray
    dist: np.ndarray
    upper: np.ndarray
    seed: Any
    samples: int
    chunk_size: int
    indicator_samples: int
    park: "Park | None"
    n_f: int


def draw_samples(rng: np.random.Generator, code: np.ndarray, mean: np.ndarray, sd: np.ndarray,
                 n: int) -> np.ndarray:
    """One block of draws, each row from its distribution with the given mean and standard deviation.

    Parameters
    ----------
    rng : numpy.random.Generator
    code : numpy.ndarray
        Per row, the index of its distribution in ``DISTRIBUTIONS`` (0 normal, 1 lognormal, 2 uniform,
        3 triangular); lognormal needs a positive mean (normal otherwise).
    mean, sd : numpy.ndarray
        Per row.
    n : int
        Draws per row.

    Returns
    -------
    numpy.ndarray
        n_rows × n (not truncated to the physical range).

    Examples
    --------
    >>> x = draw_samples(np.random.default_rng(0), np.array([2]), np.array([10.0]), np.array([1.0]), 1000)
    >>> x.shape, bool(x.min() >= 10 - 3 ** 0.5), bool(x.max() <= 10 + 3 ** 0.5)
    ((1, 1000), True, True)
    """
    m = mean[:, None]
    s = sd[:, None]
    out = np.empty((len(mean), n))
    z = rng.standard_normal((len(mean), n))
    u = rng.random((len(mean), n))
    v = rng.random((len(mean), n))
    out[:] = m + s * z
    logn = (code == 1) & (mean > 0)
    if logn.any():
        s2 = np.log1p((sd[logn] / mean[logn]) ** 2)
        mu = np.log(mean[logn]) - s2 / 2
        out[logn] = np.exp(mu[:, None] + np.sqrt(s2)[:, None] * z[logn])
    uni = code == 2
    if uni.any():
        h = np.sqrt(3.0) * sd[uni]
        out[uni] = mean[uni][:, None] + h[:, None] * (2 * u[uni] - 1)
    tri = code == 3
    if tri.any():
        # symmetric triangle on μ ± h with h = √6 σ: the sum of two uniforms on ±h/2
        h = np.sqrt(6.0) * sd[tri]
        out[tri] = mean[tri][:, None] + h[:, None] * (u[tri] + v[tri] - 1)
    return out


def _sample(rng: np.random.Generator, task: _Task, n: int) -> np.ndarray:
    xs = draw_samples(rng, task.dist, task.mean, task.sd, n)
    bad = (xs < 0) | (xs > task.upper[:, None])
    for _ in range(_MAX_REDRAWS):
        if not bad.any():
            break
        redo = draw_samples(rng, task.dist, task.mean, task.sd, n)
        xs = np.where(bad, redo, xs)
        bad = (xs < 0) | (xs > task.upper[:, None])
    # a distribution almost entirely outside the physical range: clip what is left (documented truncation)
    return np.clip(xs, 0.0, task.upper[:, None])


def _run_chunk(task: _Task, index: int) -> tuple[int, np.ndarray, np.ndarray, np.ndarray]:
    """Flows (n_f × s), per-sample success (s) and indicator values (n_ind × s_ind) of chunk ``index``."""
    from threadpoolctl import threadpool_limits

    start = index * task.chunk_size
    n = min(task.chunk_size, task.samples - start)
    rng = np.random.Generator(np.random.PCG64(task.seed))
    with threadpool_limits(1):
        xs = _sample(rng, task, n)
        V, ok = task.lin.apply(xs)
    flows = V[:task.n_f]
    ind = np.zeros((0, 0))
    n_ind = max(0, min(n, task.indicator_samples - start))
    if task.park is not None and n_ind > 0:
        ind = _indicator_samples(task.park, flows[:, :n_ind], ok[:n_ind])
    return index, flows, ok, ind


def _indicator_samples(park: "Park", flows: np.ndarray, ok: np.ndarray) -> np.ndarray:
    from mfa.utilisation import indicators

    cols = []
    for j in range(flows.shape[1]):
        if not ok[j]:
            cols.append(None)
            continue
        t = indicators(park.with_values(np.maximum(flows[:, j], 0.0)), targets=False).table
        cols.append(t["value"].to_numpy(dtype=float))
    width = next((len(c) for c in cols if c is not None), 0)
    return np.column_stack([c if c is not None else np.full(width, np.nan) for c in cols]) if width else \
        np.zeros((0, flows.shape[1]))


def monte_carlo(park: "Park", samples: int = 1000, seed: int | None = 0, *, distribution: str = "normal",
                distributions: Mapping[str, str] | None = None, executor: Executor | None = None,
                chunk_size: int = 500, indicators: bool = True, indicator_samples: int | None = 200,
                progress: bool = True, keep_samples: bool = False) -> UncertaintyResult:
    """Propagate the uncertainty of measured flows and coefficients of ``park`` by Monte Carlo.

    Parameters
    ----------
    park : mfa.Park
        Measured values carry a ``sigma`` (t/a) or ``tc_sigma``; exact values stay fixed.
    samples : int
        Number of samples.
    seed : int or None
        Seed of ``numpy.random.SeedSequence``; the same seed gives a byte-identical result.
    distribution : str
        Default distribution of every measured value (normal, lognormal, uniform, triangular).
    distributions : mapping, optional
        Per-variable overrides ``{flow id or "tc[<flow id>]": distribution}``.
    executor : concurrent.futures.Executor, optional
        A process or thread pool, or a dask ``client.get_executor()``; chunks of ``chunk_size`` samples run
        on it. None = in this process.
    chunk_size : int
        Samples per chunk (fixed, so results do not depend on the executor).
    indicators : bool
        Also propagate to :func:`mfa.indicators`.
    indicator_samples : int or None
        Evaluate the indicators on the first this many samples (None = all).
    progress : bool
        Show a progress bar on stderr.
    keep_samples : bool
        Keep the sampled flows (n_flows × samples) as ``result.flow_samples``.

    Returns
    -------
    UncertaintyResult
        ``.flows`` (the main table) and ``.indicators`` (t/a; rates as fractions).

    Raises
    ------
    mfa.errors.MfaError
        Bad arguments (with a suggestion for an unknown variable), or a park that cannot be reconciled.

    Examples
    --------
    >>> from mfa.solve.model import example_park
    >>> mc = monte_carlo(example_park(), samples=4000, seed=3, progress=False, indicators=False)
    >>> row = mc.flows.set_index("id").loc["plant>dump:coal_gangue"]
    >>> bool(abs(row["std"] - 34 ** 0.5) < 0.3)       # √(5² + 3²), the first-order σ
    True
    """
    from mfa.park import require_park

    require_park(park, "monte_carlo")
    from mfa.solve import reconcile

    if samples < 1:
        raise MfaError(f"samples must be at least 1, got {samples}")
    if distribution not in DISTRIBUTIONS:
        raise MfaError(f"unknown distribution {distribution!r}; choose one of {', '.join(DISTRIBUTIONS)}")
    if chunk_size < 1:
        raise MfaError(f"chunk_size must be at least 1, got {chunk_size}")
    rec = reconcile(park, covariance=False)
    lin = rec.linear_model
    lin.normal.factorise()  # one factorisation shared by every chunk
    model = lin.model
    labels = model.variable_labels()
    x_idx = lin.x_idx
    code = np.full(len(x_idx), DISTRIBUTIONS.index(distribution), dtype=np.int8)
    if distributions:
        pos = {str(l): i for i, l in enumerate(labels[x_idx])}
        for name, d in distributions.items():
            if d not in DISTRIBUTIONS:
                raise MfaError(f"distribution for {name!r}: unknown {d!r}; choose one of {', '.join(DISTRIBUTIONS)}")
            if name not in pos:
                from mfa.errors import suggest

                hint = suggest(name, pos)
                raise MfaError(f"distribution given for {name!r}, which is not a measured flow or coefficient"
                               + (f" — {hint}" if hint else ""))
            code[pos[name]] = DISTRIBUTIONS.index(d)
    upper = np.where(x_idx >= model.n_f, 1.0, np.inf)
    upper[x_idx >= model.n_f + model.n_t] = np.inf
    n_ind_samples = samples if indicator_samples is None else min(int(indicator_samples), samples)
    # indicators at the reconciled values (clipped at 0: without bounds a reconciled flow can dip below)
    base_park = (park.with_values(np.maximum(rec.flows["value"].to_numpy(dtype=float), 0.0)) if indicators
                 else None)
    n_chunks = -(-samples // chunk_size)
    seeds = np.random.SeedSequence(seed).spawn(n_chunks)

    def task_for(i: int) -> _Task:
        return _Task(lin=lin, mean=model.value0[x_idx], sd=model.sigma[x_idx], dist=code, upper=upper,
                     seed=seeds[i], samples=samples, chunk_size=chunk_size, indicator_samples=n_ind_samples,
                     park=base_park, n_f=model.n_f)

    results: dict[int, tuple] = {}
    bar = _Progress(samples, enabled=progress)
    try:
        if executor is None:
            for i in range(n_chunks):
                idx, f, ok, ind = _run_chunk(task_for(i), i)
                results[idx] = (f, ok, ind)
                bar.advance(f.shape[1])
        else:
            from concurrent.futures import as_completed

            futures = [executor.submit(_run_chunk, task_for(i), i) for i in range(n_chunks)]
            for fut in as_completed(futures):
                idx, f, ok, ind = fut.result()
                results[idx] = (f, ok, ind)
                bar.advance(f.shape[1])
    finally:
        bar.close()

    flows_s = np.concatenate([results[i][0] for i in range(n_chunks)], axis=1)
    ok = np.concatenate([results[i][1] for i in range(n_chunks)])
    good = flows_s[:, ok]
    fl = rec.flows
    stats = _stats(good)
    out_flows = pd.concat([fl[["id", "source", "target", "material", "status", "value"]].reset_index(drop=True),
                           stats], axis=1)
    unobs = (fl["status"] == "unobservable").to_numpy()
    out_flows.loc[unobs, stats.columns] = np.nan

    ind_table = pd.DataFrame(columns=["id", "name", "value", "n", "mean", "std"] +
                             [_pct_name(p) for p in PERCENTILES])
    if indicators:
        from mfa.utilisation import indicators as compute

        base = compute(base_park, targets=False).table
        blocks = [results[i][2] for i in range(n_chunks) if results[i][2].size]
        ind = np.concatenate(blocks, axis=1) if blocks else np.zeros((len(base), 0))
        ind_ok = ind[:, ~np.isnan(ind).all(axis=0)] if ind.size else ind
        st = _stats(ind_ok)
        ind_table = pd.concat([base[["id", "name", "value"]].reset_index(drop=True),
                               pd.DataFrame({"n": np.full(len(base), ind_ok.shape[1], dtype=np.int64)}), st],
                              axis=1)
    return UncertaintyResult(flows=out_flows, indicators=ind_table, samples=samples, seed=seed,
                             distribution=distribution, failed_samples=int((~ok).sum()),
                             indicator_samples=n_ind_samples, flow_samples=flows_s if keep_samples else None)


def _stats(a: np.ndarray) -> pd.DataFrame:
    """mean, std and percentiles per row of a (n × s), NaN-aware (NaN rows → NaN)."""
    n = a.shape[0]
    cols = {"mean": np.full(n, np.nan), "std": np.full(n, np.nan)}
    cols.update({_pct_name(p): np.full(n, np.nan) for p in PERCENTILES})
    if a.shape[1] == 0 or n == 0:
        return pd.DataFrame(cols)
    with np.errstate(all="ignore"):
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            cols["mean"] = np.nanmean(a, axis=1)
            cols["std"] = np.nanstd(a, axis=1, ddof=1) if a.shape[1] > 1 else np.zeros(n)
            q = np.nanpercentile(a, PERCENTILES, axis=1)
    for p, row in zip(PERCENTILES, q):
        cols[_pct_name(p)] = row
    return pd.DataFrame(cols)


class _Progress:
    """A rich progress bar on stderr (one final line when stderr is not a terminal)."""

    def __init__(self, total: int, enabled: bool):
        self._p = None
        if not enabled:
            return
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self._p = Progress(TextColumn("Monte Carlo"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                           console=Console(file=sys.stderr), transient=False)
        self._p.start()
        self._task = self._p.add_task("mc", total=total)

    def advance(self, n: int) -> None:
        if self._p is not None:
            self._p.advance(self._task, n)

    def close(self) -> None:
        if self._p is not None:
            self._p.stop()
