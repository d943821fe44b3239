"""Bench: the static Sankey layout and the report.

Prints each figure with its ratio to a baseline measured in the same run:

* layout of random layered flow networks with return loops (n nodes, 3n links): the full layout (feedback
  arcs, 8 barycentre sweeps, 12 relaxation passes) against the same layout without sweeps and relaxation,
  and the weighted crossings each leaves;
* the report of the example park wuhai against writing the Sankey alone as a full HTML page;
* ``mfa sankey wuhai -o x.html`` and ``-o x.png`` as a user runs them (fresh process, median of 3) against
  ``mfa check wuhai`` (reading and validating the park, which every command does first). Before the SVG
  drawing of issue 14 (plotly page, air and flue gas drawn) these took 6.7 s and 7.9 s on the bench
  machine;
* ``mfa report`` of synthetic parks of 10⁴ and 10⁵ flows (regional structure), each in a fresh process (cold:
  as a user runs it) with its peak RSS, against ``pandas.read_csv`` + ``DataFrame.to_html`` of the same flows
  table in the same kind of process (what writing any HTML table of the flows costs). Targets: 10⁴ flows
  < 15 s, 10⁵ flows < 60 s and < 2 GB. The page's size is printed with the part that embeds every flow and
  process (the full-detail table and filterable diagram) and the ``.flows.csv`` written beside it;
* crossing counts of 10⁴ edge pairs: the sweep against the k × k comparison.

Run: python -m bench.bench_sankey
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np


def network(n: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    n_layers = max(3, int(np.sqrt(n)))
    layer = np.sort(rng.integers(0, n_layers, n))
    layer[0], layer[-1] = 0, n_layers - 1
    src, tgt = [], []
    for _ in range(3 * n):
        u = int(rng.integers(0, n))
        later = np.flatnonzero(layer > layer[u])
        if len(later) and rng.random() > 0.1:
            v = int(rng.choice(later))
        else:  # a return flow
            earlier = np.flatnonzero(layer < layer[u])
            if not len(earlier):
                continue
            v = int(rng.choice(earlier))
        src.append(u)
        tgt.append(v)
    value = rng.lognormal(8, 1.5, len(src))
    pin = np.where(layer == 0, -1, np.where(layer == n_layers - 1, 1, 0))
    return np.array(src), np.array(tgt), value, pin


def weighted_crossings(lay) -> float:
    """Crossings of straight segments between consecutive stations of forward links (loops excluded)."""
    from mfa.sankey_diagram.layout import crossings

    segs = {}
    for li, pts in enumerate(lay.paths):
        if lay.links.loc[li, "loop"] or not pts:
            continue
        w = lay.links.loc[li, "width"]
        for (xa, ya), (xb, yb) in zip(pts[:-1], pts[1:]):
            if xb - xa > 1e-6 and abs(xb - xa) > lay.node_width + 1e-6:
                segs.setdefault(round(xa, 3), []).append((ya, yb, w))
    total = 0.0
    for rows in segs.values():
        a = np.array(rows)
        total += crossings(a[:, 0], a[:, 1], a[:, 2])
    return total


def bench_layout() -> None:
    from mfa.sankey_diagram.layout import layout_sankey

    print("layout (n nodes, 3n links)      full [s]  no-sweeps [s]  ratio   crossings full / no-sweeps")
    for n in (25, 50, 100, 200):
        src, tgt, value, pin = network(n)
        labels = [f"process {i}" for i in range(n)]
        t0 = time.perf_counter()
        base = layout_sankey(labels, src, tgt, value, pin=pin, sweeps=0, relax=0)
        t_base = time.perf_counter() - t0
        t0 = time.perf_counter()
        full = layout_sankey(labels, src, tgt, value, pin=pin)
        t_full = time.perf_counter() - t0
        c_full, c_base = weighted_crossings(full), weighted_crossings(base)
        print(f"  n={n:4d} links={len(src):4d}            {t_full:8.3f}  {t_base:12.3f}  "
              f"{t_full / t_base:5.1f}×  {c_full / c_base if c_base else float('nan'):.2f}")


def bench_report() -> None:
    import mfa
    from mfa.report import write_report
    from mfa.sankey_diagram import sankey

    park = mfa.read_park("wuhai")
    write_report(park, Path(tempfile.mkdtemp()) / "warm.html")  # fonts, imports, caches
    out = Path(tempfile.mkdtemp())
    t0 = time.perf_counter()
    sankey(park).save(out / "sankey.html")
    t_base = time.perf_counter() - t0
    t0 = time.perf_counter()
    write_report(park, out / "report.html")
    t_rep = time.perf_counter() - t0
    t0 = time.perf_counter()
    sankey(park).save(out / "sankey.png")
    t_png = time.perf_counter() - t0
    print("report of wuhai                   time [s]  ratio to the Sankey page alone")
    print(f"  Sankey page (baseline)          {t_base:8.2f}  1.0×")
    print(f"  static Sankey PNG               {t_png:8.2f}  {t_png / t_base:.1f}×")
    print(f"  full report                     {t_rep:8.2f}  {t_rep / t_base:.1f}×  "
          f"({(out / 'report.html').stat().st_size / 1e6:.1f} MB)")


def bench_cli() -> None:
    import statistics
    import subprocess
    import sys

    out = Path(tempfile.mkdtemp())

    def cold(*args: str) -> float:
        times = []
        for _ in range(3):
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-m", "mfa", *args], check=True, capture_output=True)
            times.append(time.perf_counter() - t0)
        return statistics.median(times)

    base = cold("check", "wuhai")
    print("mfa sankey wuhai, fresh process   time [s]  ratio to mfa check wuhai")
    print(f"  mfa check wuhai (baseline)      {base:8.2f}  1.0×")
    for ext in ("html", "png"):
        t = cold("sankey", "wuhai", "-o", str(out / f"x.{ext}"))
        print(f"  mfa sankey wuhai -o x.{ext:4s}      {t:8.2f}  {t / base:.1f}×  "
              f"({(out / f'x.{ext}').stat().st_size / 1e3:.0f} kB)")


def _timed_process(code: str) -> tuple[float, float]:
    """Wall time and peak RSS (MB, the child's own high-water mark) of ``python -c code`` in a fresh
    process."""
    import subprocess
    import sys

    code += "\nfrom bench.bench_reconcile import peak_rss_mb; print('RSS', peak_rss_mb())"
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    seconds = time.perf_counter() - t0
    rss = [line for line in out.splitlines() if line.startswith("RSS ")][-1]
    return seconds, float(rss.split()[1])


def bench_large_reports() -> None:
    import mfa
    from bench.synthetic import synthetic_park

    print("mfa report, fresh process       time [s]  peak RSS   baseline read_csv+to_html [s]  ratio  target")
    tmp = Path(tempfile.mkdtemp())
    for n, target in ((2000, 15), (20000, 60)):
        park = synthetic_park(n, seed=1, structure="regional")
        folder = tmp / f"park{n}"
        mfa.write_park(park, folder)
        out = tmp / f"report{n}.html"
        base, _ = _timed_process(f"import pandas as pd; pd.read_csv({str(folder / 'flows.csv')!r}).to_html("
                                 f"{str(tmp / 'table.html')!r})")
        t, rss = _timed_process(f"import sys; from mfa.cli import main; sys.argv = ['mfa', 'report', "
                                f"{str(folder)!r}, '-o', {str(out)!r}]; main()")
        ok = t < target and (n < 20000 or rss < 2048)
        print(f"  {len(park.flows):>7} flows                {t:8.2f}  {rss:6.0f} MB  {base:27.2f}  {t / base:5.1f}×  "
              f"< {target} s{' and < 2 GB' if n >= 20000 else ''}: {'holds' if ok else 'FAILS'}")
        page = out.read_text(encoding="utf-8")
        start = page.find('id="mfa-detail-data">')
        detail = len(page[start:page.find("</script>", start)].encode()) if start >= 0 else 0
        csv = out.with_name(out.stem + ".flows.csv")
        print(f"      page {out.stat().st_size / 1e6:.1f} MB, of which the embedded detail (every flow and process) "
              f"{detail / 1e6:.1f} MB ({detail / (folder / 'flows.csv').stat().st_size:.2f}× the park's flows.csv); "
              f"{csv.name} {csv.stat().st_size / 1e6:.1f} MB")
        from mfa.report.detail import detail_section, write_flows_csv

        b = mfa.balance(park).processes
        t0 = time.perf_counter()
        sec = detail_section(park, park, b, "en", "t", csv.name)
        write_flows_csv(sec["flow_table"], tmp / "detail-alone.flows.csv")
        t_detail = time.perf_counter() - t0
        print(f"      the full detail alone (rows, JSON, CSV), in this process: {t_detail:.2f} s = "
              f"{t_detail / t:.0%} of the report")


def bench_crossings() -> None:
    from mfa.sankey_diagram.layout import crossings

    rng = np.random.default_rng(0)
    k = 10000
    u, lo, w = rng.integers(0, 300, k).astype(float), rng.integers(0, 300, k).astype(float), rng.random(k)
    t0 = time.perf_counter()
    fast = crossings(u, lo, w)
    t_fast = time.perf_counter() - t0
    t0 = time.perf_counter()
    cross = ((u[:, None] - u[None, :]) * (lo[:, None] - lo[None, :])) < 0
    dense = float((np.outer(w, w) * cross).sum() / 2.0)
    t_dense = time.perf_counter() - t0
    print(f"crossings of {k} edges: ours {t_fast:.3f} s, k×k comparison {t_dense:.3f} s "
          f"({t_dense / t_fast:.1f}×, {3 * k * k * 8 / 1e9:.1f} GB of temporaries); same count to "
          f"{abs(fast - dense) / dense:.0e}")


if __name__ == "__main__":
    bench_cli()
    bench_layout()
    bench_report()
    bench_crossings()
    bench_large_reports()
