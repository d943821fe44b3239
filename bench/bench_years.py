"""Benchmark: a multi-year park (issue 16): 20 years of a park of ~10⁴ flows per year, against one year.

The one-year park is :func:`bench.synthetic.synthetic_frames` (2 000 processes, ~10⁴ flows); the 20-year park
repeats its flows with a ``year`` column, each year's values scaled by a few per cent (so that each year is
its own data). Timed, median of 3 runs, in one process: building the park from its frames and reading it
from a CSV folder (the reader's validation: once per year), and balancing and tracing every year
(``park.for_year(Y)``), against the same for the one-year park. The issue's bar: within 20× of one year's time.

Run from the repository root: ``python -m bench.bench_years [n_processes] [n_years]``.
"""

from __future__ import annotations

import os
import sys

import numpy as np
import pandas as pd

from bench.synthetic import synthetic_frames
from bench.timing import median_time


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
    import mfa

    one_frames, many_frames = year_frames(n_processes, n_years)
    t_read1, one = median_time(lambda: mfa.Park.from_frames(**one_frames), 3)
    t_readn, many = median_time(lambda: mfa.Park.from_frames(**many_frames), 3)
    assert many.years == tuple(range(2001, 2001 + n_years))

    import tempfile

    folder = tempfile.mkdtemp()
    mfa.write_park(one, os.path.join(folder, "one"))
    mfa.write_park(many, os.path.join(folder, "many"))
    t_csv1, _ = median_time(lambda: mfa.read_park(os.path.join(folder, "one")), 3)
    t_csvn, again = median_time(lambda: mfa.read_park(os.path.join(folder, "many")), 3)
    assert again.years == many.years

    def engines(park):
        return mfa.balance(park), mfa.trace(park)

    t_eng1, _ = median_time(lambda: engines(one), 3)
    t_engn, _ = median_time(lambda: [engines(many.for_year(y)) for y in many.years], 3)
    load = os.getloadavg()[0]
    print(f"{len(one.flows):,} flows per year, {n_years} years (load average {load:.1f})")
    print(f"  read:             1 year {t_read1:.2f} s, {n_years} years {t_readn:.2f} s ({t_readn / t_read1:.1f}×)")
    print(f"  balance + trace:  1 year {t_eng1:.2f} s, {n_years} years {t_engn:.2f} s ({t_engn / t_eng1:.1f}×)")
    print(f"  read CSV folder:  1 year {t_csv1:.2f} s, {n_years} years {t_csvn:.2f} s ({t_csvn / t_csv1:.1f}×)")
    total1, totaln = t_read1 + t_eng1, t_readn + t_engn
    print(f"  together (DataFrames): {totaln / total1:.1f}× one year's time (bar: 20×)")
    total1, totaln = t_csv1 + t_eng1, t_csvn + t_engn
    print(f"  together (CSV folder): {totaln / total1:.1f}× one year's time (bar: 20×)")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
