"""Benchmark: a multi-year park (issue 16): 20 years of a park of ~10⁴ flows per year, against one year.

The one-year park is :func:`bench.synthetic.synthetic_frames` (2 000 processes, ~10⁴ flows); the 20-year park
repeats its flows with a ``year`` column, each year's values scaled by a few per cent (so that each year is
its own data). Timed in one process, the median of 15 runs for one year and of 5 for all years (one year takes tens of ms, where a scheduler's hiccup would move a median of 3): building the park from its frames and reading it
from a CSV folder (the reader's validation: the flows' structure once for the years that repeat it, their
numbers once per year), and balancing and tracing every year
(``park.for_year(Y)``), against the same for the one-year park. The issue's bar: within 20× of one year's time.
Each figure is given in wall-clock and in CPU time of this process (``time.process_time``, median of the same
runs): on the shared machine the CPU ratios are the ones that repeat. The load average is printed before and
after.

Run from the repository root: ``python -m bench.bench_years [n_processes] [n_years]``.
"""

from __future__ import annotations

import os
import sys

import numpy as np
import pandas as pd

from bench.synthetic import synthetic_frames


def median_time(fn, repeat: int = 3) -> tuple[float, float, object]:
    """The median wall and CPU time of ``repeat`` calls of ``fn`` (s) and the last result."""
    import statistics
    import time

    wall, cpu, out = [], [], None
    for _ in range(repeat):
        w, c = time.perf_counter(), time.process_time()
        out = fn()
        cpu.append(time.process_time() - c)
        wall.append(time.perf_counter() - w)
    return statistics.median(wall), statistics.median(cpu), out


def year_frames(n_processes: int, n_years: int, seed: int = 0) -> tuple[dict, dict]:
    """The frames of one year (its year set) and of ``n_years`` years from 2001."""
    one = synthetic_frames(n_processes, seed)
    info = dict(one.get("info") or {}, year=2001)
    one = dict(one, info=info)
    flows = one["flows"]
    rng = np.random.default_rng(seed)
    years = []
    for k in range(n_years):
        f = flows.copy()
        f["value"] = pd.to_numeric(f["value"], errors="coerce") * (1 + 0.02 * k + 0.01 * rng.random(len(f)))
        f["year"] = 2001 + k
        years.append(f)
    return one, dict(one, flows=pd.concat(years, ignore_index=True))


def main(n_processes: int = 2000, n_years: int = 20) -> None:
    import tempfile

    import mfa

    one_frames, many_frames = year_frames(n_processes, n_years)
    load0 = os.getloadavg()[0]
    t = {}
    t["read1"] = median_time(lambda: mfa.Park.from_frames(**one_frames), 15)
    t["readn"] = median_time(lambda: mfa.Park.from_frames(**many_frames), 5)
    one, many = t["read1"][2], t["readn"][2]
    assert many.years == tuple(range(2001, 2001 + n_years))
    assert many.for_year(2001 + n_years - 1).flows["value"].notna().all()

    folder = tempfile.mkdtemp()
    mfa.write_park(one, os.path.join(folder, "one"))
    mfa.write_park(many, os.path.join(folder, "many"))
    t["csv1"] = median_time(lambda: mfa.read_park(os.path.join(folder, "one")), 15)
    t["csvn"] = median_time(lambda: mfa.read_park(os.path.join(folder, "many")), 5)
    assert t["csvn"][2].years == many.years

    def engines(park):
        return mfa.balance(park), mfa.trace(park)

    t["eng1"] = median_time(lambda: engines(one), 15)
    t["engn"] = median_time(lambda: [engines(many.for_year(y)) for y in many.years], 5)
    print(f"{len(one.flows):,} flows per year, {n_years} years (load average {load0:.1f} → "
          f"{os.getloadavg()[0]:.1f}, {os.cpu_count()} CPUs); wall s / CPU s, ratio wall / CPU")

    def line(label: str, a: str, b: str) -> None:
        (w1, c1, _), (wn, cn, _) = t[a], t[b]
        print(f"  {label:<17} 1 year {w1:.3f} / {c1:.3f} s, {n_years} years {wn:.3f} / {cn:.3f} s "
              f"({wn / w1:.1f}× / {cn / c1:.1f}×)")

    line("read:", "read1", "readn")
    line("balance + trace:", "eng1", "engn")
    line("read CSV folder:", "csv1", "csvn")
    for label, r1, rn in (("DataFrames", "read1", "readn"), ("CSV folder", "csv1", "csvn")):
        wall = (t[rn][0] + t["engn"][0]) / (t[r1][0] + t["eng1"][0])
        cpu = (t[rn][1] + t["engn"][1]) / (t[r1][1] + t["eng1"][1])
        print(f"  together ({label}): {wall:.1f}× wall, {cpu:.1f}× CPU one year's time (bar: 20×)")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
