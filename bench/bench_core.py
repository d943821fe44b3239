"""Benchmark of the core (issue 2): load a park from CSV and balance it, for synthetic parks of
N = 10³, 10⁴, 10⁵ processes (about 5N flows) and for the 10⁵-flow target size.

Each figure is printed with its ratio to baselines measured in the same run on the same park:
(a) a per-node Python loop over a networkx MultiDiGraph (sum of in- and out-edge values per node);
(b) one bare scipy.sparse mat-vec with the same incidence matrix;
(c) pandas.read_csv of the same CSV files (what reading cannot beat).
Targets at 10⁵ flows: load < 2 s and within 5× of (c); balance ≥ 20× faster than (a) and within 20× of (b);
balance of a freshly read park (compiling included: "cold") within 30× of (b).

    python -m bench.bench_core            # all sizes
    python -m bench.bench_core 1000 20000 # chosen N
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path



def best_of(fn, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def networkx_balance(G) -> dict:
    out = {}
    for node in G.nodes:
        inputs = sum(d["value"] for _, _, d in G.in_edges(node, data=True))
        outputs = sum(d["value"] for _, _, d in G.out_edges(node, data=True))
        out[node] = inputs - outputs
    return out


def main(sizes: list[int]) -> None:
    import networkx as nx

    import mfa
    from bench.synthetic import synthetic_park
    from mfa.mass_balance import balance

    mfa.read_park  # noqa: B018  (import cost outside the timings)
    import pandas as pd

    print(f"{'N':>7} {'flows':>8} | {'load s':>7} {'read_csv':>8} {'ratio':>6} | {'balance s':>9} {'cold s':>7} "
          f"| {'nx loop s':>9} {'nx/bal':>7} | {'matvec s':>9} {'bal/mv':>7} {'cold/mv':>7} | ok")
    tmp = Path(tempfile.mkdtemp(prefix="mfa-bench-"))
    try:
        for n in sizes:
            park = synthetic_park(n, seed=1)
            folder = tmp / f"park{n}"
            mfa.write_park(park, folder)
            mfa.read_park(folder)  # warm the unit registry and file cache
            load = best_of(lambda: mfa.read_park(folder), repeat=3)
            loaded = mfa.read_park(folder)
            assert loaded == park
            csvs = sorted(folder.glob("*.csv"))
            raw = best_of(lambda: [pd.read_csv(f) for f in csvs], repeat=3)

            def fresh_balance():
                fresh = mfa.read_park(folder)
                t = time.perf_counter()
                balance(fresh)                     # compiles the park: nothing cached on a fresh one
                return time.perf_counter() - t

            cold = min(fresh_balance() for _ in range(3))
            _ = loaded.compiled
            bal = best_of(lambda: balance(loaded), repeat=5)
            res = balance(loaded)
            G = nx.MultiDiGraph()
            f = loaded.flows
            G.add_nodes_from(loaded.processes["id"])
            G.add_edges_from((s, t, {"value": v}) for s, t, v in zip(f["source"], f["target"], f["value"]))
            nx_t = best_of(lambda: networkx_balance(G), repeat=1)
            ref = networkx_balance(G)
            mine = dict(zip(res.processes["process"], res.processes["inputs"] - res.processes["outputs"]))
            assert all(abs(ref[k] - mine[k]) <= 1e-6 * max(1.0, abs(ref[k])) for k in ref)
            inc = loaded.compiled.incidence
            v = loaded.compiled.value
            mv = best_of(lambda: inc @ v, repeat=20)
            print(f"{n:>7} {len(f):>8} | {load:7.3f} {raw:8.3f} {load / raw:5.1f}× | {bal:9.4f} {cold:7.4f} | "
                  f"{nx_t:9.3f} {nx_t / bal:7.1f} | {mv:9.5f} {bal / mv:7.1f} {cold / mv:7.1f} | {res.ok}")
            sys.stdout.flush()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:]] or [1000, 10000, 20000, 100000]
    main(args)
