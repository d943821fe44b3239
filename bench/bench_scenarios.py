"""Benchmark: a Monte Carlo sweep of scenarios (issue 16, item 4) on 1 and 2 local worker processes.

``n`` draws (default 10³) of ``parks/farm_film/scenarios/recovery_90_by_2030.csv`` (each value × (1 + 0.05·z))
projected to 2030 by :func:`mfa.sweep`, first on a process pool of one worker, then of two, in one process;
the results of the two runs must be identical (each draw has its own spawned seed). Prints both times, their
ratio, the time per scenario, the CPU time the workers used (on a machine shared with other work, two workers
only help when two cores are free: the CPU time says whether the work itself grew) and the load average (before
and after each run).

Baseline, in the same process: ``k`` draws (default 10) in this process with the full path of
:func:`mfa.project` (every row of every year validated again, :meth:`mfa.Park.from_frames`) and every year's
rates computed for each draw — what a scenario cost before the trusted path — against the same ``k`` draws
by the sweep in this process; the two must give the same numbers.

Run from the repository root: ``python -m bench.bench_scenarios [n] [k]`` (n = 0: the baseline only).
"""

from __future__ import annotations

import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor

SCENARIO = os.path.join("parks", "farm_film", "scenarios", "recovery_90_by_2030.csv")


def _full_path(park, until: int, k: int, spread: float, seed: int):
    """The k draws one by one, as before: full validation of the projected park, rates of every year."""
    import numpy as np
    import pandas as pd

    import mfa.park
    from mfa.projection import project, read_scenario
    from mfa.scenarios import perturb_scenario

    base = read_scenario(SCENARIO, park, until)
    trusted = mfa.park.extended_park
    mfa.park.extended_park = lambda *a: None  # project() falls back to Park.from_frames of every row
    try:
        stocks = []
        for i, s in enumerate(np.random.SeedSequence(seed).spawn(k)):
            p = project(park, until, perturb_scenario(base, np.random.default_rng(s), spread))
            mfa.indicator_series(p, targets=False)
            st = p.stocks.rename(columns={"closing": "stock"})[["process", "material", "year", "stock"]]
            stocks.append(st.astype({"year": int}).sort_values(["process", "material", "year"]).assign(scenario=i))
    finally:
        mfa.park.extended_park = trusted
    return pd.concat(stocks, ignore_index=True)


def main(n: int = 1000, k: int = 10) -> None:
    import numpy as np
    import pandas as pd

    import mfa

    park = mfa.read_park("farm_film")
    mfa.sweep(park, 2030, [SCENARIO], draws=1, spread=0.05, seed=0, workers=1)  # imports, catalogues
    load0 = os.getloadavg()[0]
    t0, c0 = time.perf_counter(), time.process_time()
    old = _full_path(park, 2030, k, 0.05, 0)
    t_old, c_old = time.perf_counter() - t0, time.process_time() - c0
    t0, c0 = time.perf_counter(), time.process_time()
    new = mfa.sweep(park, 2030, [SCENARIO], draws=k, spread=0.05, seed=0, workers=1)
    t_new, c_new = time.perf_counter() - t0, time.process_time() - c0
    np.testing.assert_allclose(new.stocks["stock"].to_numpy(), old["stock"].to_numpy(), rtol=1e-12)
    print(f"baseline, {k} draws in this process (load average {load0:.1f} → {os.getloadavg()[0]:.1f}): full "
          f"validation {t_old / k:.3f} s per scenario (CPU {c_old / k:.3f} s), sweep {t_new / k:.3f} s "
          f"(CPU {c_new / k:.3f} s): {t_old / t_new:.1f}× faster wall, {c_old / c_new:.1f}× CPU; same stocks")
    if not n:
        return

    import resource

    def children_cpu() -> float:  # of the worker processes that have ended (the pool's are, after its block)
        r = resource.getrusage(resource.RUSAGE_CHILDREN)
        return r.ru_utime + r.ru_stime

    times, results, loads, cpu = {}, {}, {}, {}
    for workers in (1, 2):
        c0 = children_cpu()
        with ProcessPoolExecutor(workers) as pool:
            before = os.getloadavg()[0]
            t0 = time.perf_counter()
            results[workers] = mfa.sweep(park, 2030, [SCENARIO], draws=n, spread=0.05, seed=0, executor=pool)
            times[workers] = time.perf_counter() - t0
            loads[workers] = (before, os.getloadavg()[0])
        cpu[workers] = children_cpu() - c0
    pd.testing.assert_frame_equal(results[1].stocks, results[2].stocks)
    pd.testing.assert_frame_equal(results[1].indicators, results[2].indicators)
    assert results[1].summary["scenarios"] == n
    soil = results[1].stocks.query("process == 'soil' and year == 2030")["stock"]
    print(f"{n} scenarios of farm_film to 2030 ({os.cpu_count()} CPUs)")
    for w in (1, 2):
        print(f"  {w} worker{'s' if w > 1 else ' '} {times[w]:.1f} s ({times[w] / n:.3f} s per scenario; load "
              f"average {loads[w][0]:.1f} → {loads[w][1]:.1f}); CPU of the workers {cpu[w]:.1f} s "
              f"({cpu[w] / n:.3f} s per scenario)")
    print(f"  1 / 2 workers = {times[1] / times[2]:.2f}×; results identical "
          f"({len(results[1].indicators):,} rates, {len(results[1].stocks):,} stocks)")
    print(f"  soil 2030: median {soil.median():,.0f} t, 5–95 % {soil.quantile(0.05):,.0f}–"
          f"{soil.quantile(0.95):,.0f} t")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
