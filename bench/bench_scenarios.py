"""Benchmark: a Monte Carlo sweep of scenarios (issue 16, item 4) on 1 and 2 local worker processes.

``n`` draws (default 10³) of ``parks/farm_film/scenarios/recovery_90_by_2030.csv`` (each value × (1 + 0.05·z))
projected to 2030 by :func:`mfa.sweep`, first on a process pool of one worker, then of two, in one process;
the results of the two runs must be identical (each draw has its own spawned seed). Prints both times, their
ratio, the time per scenario and the load average.

Run from the repository root: ``python -m bench.bench_scenarios [n]``.
"""

from __future__ import annotations

import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor


def main(n: int = 1000) -> None:
    import pandas as pd

    import mfa

    park = mfa.read_park("farm_film")
    scenario = os.path.join("parks", "farm_film", "scenarios", "recovery_90_by_2030.csv")
    times, results = {}, {}
    for workers in (1, 2):
        with ProcessPoolExecutor(workers) as pool:
            t0 = time.perf_counter()
            results[workers] = mfa.sweep(park, 2030, [scenario], draws=n, spread=0.05, seed=0, executor=pool)
            times[workers] = time.perf_counter() - t0
    pd.testing.assert_frame_equal(results[1].stocks, results[2].stocks)
    pd.testing.assert_frame_equal(results[1].indicators, results[2].indicators)
    soil = results[1].stocks.query("process == 'soil' and year == 2030")["stock"]
    print(f"{n} scenarios of farm_film to 2030 (load average {os.getloadavg()[0]:.1f}, {os.cpu_count()} CPUs)")
    print(f"  1 worker  {times[1]:.1f} s ({times[1] / n:.2f} s per scenario)")
    print(f"  2 workers {times[2]:.1f} s ({times[2] / n:.2f} s per scenario); 1 / 2 workers = "
          f"{times[1] / times[2]:.2f}×; results identical")
    print(f"  soil 2030: median {soil.median():,.0f} t, 5–95 % {soil.quantile(0.05):,.0f}–"
          f"{soil.quantile(0.95):,.0f} t")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:2]))
