"""Timing helpers shared by the benchmark scripts."""

from __future__ import annotations

import statistics
import time


def median_time(fn, repeat: int = 5) -> tuple[float, object]:
    """The median wall time of ``repeat`` calls of ``fn`` (s) and the last result."""
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out
