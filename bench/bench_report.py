"""Bench: the park report of wuhai (issue 14), in English and in Chinese: time and size.

Prints, per language, with the ratio to a baseline measured in the same run:

* the report in this process (warm: imports, the cut CJK font and plotly.js ready; median of 3 runs);
* the baseline: the engines whose results the report shows, run alone on the same park (solve_park,
  balance, indicators, trace, symbiosis.discover and the two Sankey layouts) — the ratio is what writing the
  page (tables, charts, Sankey figures and SVGs, font subset, template) costs on top of the computation;
* ``mfa report wuhai`` in a fresh process (cold, as a user runs it: Python start and imports included);
* the size of the HTML file.

Targets (issue 14): report < 3 s, HTML < 6 MB. The figures depend on the load of the shared machine: the
load average is printed with them.

Run: python -m bench.bench_report
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.timing import median_time

TARGET_S = 3.0
TARGET_MB = 6.0


def engines(park) -> None:
    """What the report computes, without writing anything."""
    from mfa.mass_balance import balance
    from mfa.report import waste_categories
    from mfa.sankey_diagram import sankey
    from mfa.solved import solve_park
    from mfa.symbiosis import discover
    from mfa.tracing import trace
    from mfa.utilisation import indicators

    solved = solve_park(park).park
    balance(solved)
    indicators(solved)
    trace(solved)
    discover(solved)
    sankey(solved).layout
    sankey(solved, category=waste_categories(solved)).layout


def cold(lang: str, out: Path) -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "mfa", "report", "wuhai", "-o", str(out), "--lang", lang],
                   check=True, capture_output=True)
    return time.perf_counter() - t0


def main() -> None:
    import mfa
    from mfa.report import write_report

    park = mfa.read_park("wuhai")
    out = Path(tempfile.mkdtemp())
    write_report(park, out / "warm.html", lang="zh")  # imports, fonts, plotly.js
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print("wuhai report         time [s]   ratio to the engines alone   size [MB]   targets")
    t_base, _ = median_time(lambda: engines(park), repeat=3)
    print(f"  engines (baseline)  {t_base:8.2f}   1.0×")
    for lang in ("en", "zh"):
        path = out / f"report-{lang}.html"
        t_rep, _ = median_time(lambda: write_report(park, path, lang=lang), repeat=3)
        size = path.stat().st_size / 1e6
        t_cold = cold(lang, out / f"cold-{lang}.html")
        ok = ("met" if t_rep < TARGET_S else "NOT met") + " / " + ("met" if size < TARGET_MB else "NOT met")
        print(f"  report {lang} (warm)    {t_rep:8.2f}   {t_rep / t_base:4.2f}×"
              f"                       {size:6.2f}      < {TARGET_S:g} s, < {TARGET_MB:g} MB: {ok}")
        print(f"  mfa report {lang} (cold){t_cold:8.2f}   {t_cold / t_base:4.2f}×")


if __name__ == "__main__":
    main()
