"""Benchmark of the core (issues 2 and 13): load a park from CSV and balance it, for synthetic parks of
N = 10³, 10⁴, 2·10⁴, 10⁵ processes (about 5N flows; 2·10⁴ processes is the 10⁵-flow target size), warm (in this
process, best of several runs) and cold (as a user meets it: a fresh Python process, imports, the first read
and the compiling included).

Each figure is printed with its ratio to baselines measured in the same run on the same park:
(a) a per-node Python loop over a networkx MultiDiGraph (sum of in- and out-edge values per node);
(b) one bare scipy.sparse mat-vec with the same incidence matrix;
(c) pandas.read_csv of the same CSV files (what reading cannot beat), warm, and cold in a fresh process
    (``import pandas`` and the reads, beside ``import mfa`` and ``read_park``).
Targets at 10⁵ flows: load < 2 s and within 5× of (c); balance ≥ 20× faster than (a) and within 20× of (b);
balance of a freshly read park (compiling included: "cold") within 30× of (b). The last lines print each
target with its ratio and whether it holds.

    python -m bench.bench_core            # all sizes
    python -m bench.bench_core 1000 20000 # chosen N
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# The cold runs: each a fresh interpreter timing its own imports and first calls (perf_counter from the
# first line of the script; the interpreter's start-up is the same for both and not counted).
COLD_MFA = """
import time, json, sys
t0 = time.perf_counter()
import mfa
from mfa.mass_balance import balance
t1 = time.perf_counter()
park = mfa.read_park(sys.argv[1])
t2, c2 = time.perf_counter(), time.process_time()
result = balance(park)
t3, c3 = time.perf_counter(), time.process_time()
print(json.dumps({"import": t1 - t0, "read": t2 - t1, "balance": t3 - t2, "balance_cpu": c3 - c2,
                  "ok": bool(result.ok)}))
"""
COLD_PANDAS = """
import time, json, sys, glob
t0 = time.perf_counter()
import pandas as pd
t1 = time.perf_counter()
frames = [pd.read_csv(f) for f in sorted(glob.glob(sys.argv[1] + "/*.csv"))]
t2 = time.perf_counter()
print(json.dumps({"import": t1 - t0, "read": t2 - t1}))
"""


def best_of(fn, repeat: int = 5, clock=time.perf_counter) -> float:
    """The least time of ``repeat`` calls by ``clock``: wall time by default; ``time.process_time`` for the
    CPU time, which the load of a machine shared with other work does not swing as it does a 10–100 ms
    wall time."""
    times = []
    for _ in range(repeat):
        t = clock()
        fn()
        times.append(clock() - t)
    return min(times)


def cold(script: str, folder: Path, repeat: int = 3) -> dict:
    """The best of ``repeat`` fresh processes, figure by figure."""
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    runs = []
    for _ in range(repeat):
        out = subprocess.run([sys.executable, "-c", script, str(folder)], capture_output=True, text=True,
                             env=env, cwd=ROOT, check=True)
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return {k: min(r[k] for r in runs) if k != "ok" else all(r[k] for r in runs) for k in runs[0]}


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

    mfa.read_park  # noqa: B018  (import cost outside the warm timings)
    import pandas as pd

    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"{'N':>6} {'flows':>7} | {'load s':>6} {'read_csv':>8} {'ratio':>6} | {'cold load':>9} {'cold csv':>8} "
          f"{'ratio':>6} | {'balance ms':>10} {'cold ms':>7} {'in-proc':>7} | {'nx loop s':>9} {'nx/bal':>7} | "
          f"{'matvec ms':>9} {'bal/mv':>6} {'cold/mv':>7} | ok")
    tmp = Path(tempfile.mkdtemp(prefix="mfa-bench-"))
    runs = []
    try:
        for n in sizes:
            park = synthetic_park(n, seed=1)
            folder = tmp / f"park{n}"
            mfa.write_park(park, folder)
            mfa.read_park(folder)  # warm the file cache
            load = best_of(lambda: mfa.read_park(folder), repeat=3)
            loaded = mfa.read_park(folder)
            assert loaded == park
            csvs = sorted(folder.glob("*.csv"))
            raw = best_of(lambda: [pd.read_csv(f) for f in csvs], repeat=3)
            load_cpu = best_of(lambda: mfa.read_park(folder), clock=time.process_time)
            raw_cpu = best_of(lambda: [pd.read_csv(f) for f in csvs], clock=time.process_time)

            def fresh_balance(clock):
                fresh = mfa.read_park(folder)
                t = clock()
                balance(fresh)                     # compiles the park: nothing cached on a fresh one
                return clock() - t

            fresh = min(fresh_balance(time.perf_counter) for _ in range(5))
            fresh_cpu = min(fresh_balance(time.process_time) for _ in range(5))
            user = cold(COLD_MFA, folder)
            base = cold(COLD_PANDAS, folder)
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
            cold_load = user["import"] + user["read"]
            cold_csv = base["import"] + base["read"]
            print(f"{n:>6} {len(f):>7} | {load:6.3f} {raw:8.3f} {load / raw:5.1f}× | {cold_load:9.3f} {cold_csv:8.3f} "
                  f"{cold_load / cold_csv:5.1f}× | {bal * 1e3:10.2f} {user['balance'] * 1e3:7.2f} "
                  f"{fresh * 1e3:7.2f} | {nx_t:9.3f} {nx_t / bal:7.1f} | {mv * 1e3:9.3f} {bal / mv:6.1f} "
                  f"{user['balance'] / mv:7.1f} | {res.ok and user['ok']}")
            sys.stdout.flush()
            runs.append(dict(flows=len(f), load=load, raw=raw, load_cpu=load_cpu, raw_cpu=raw_cpu,
                             cold_load=cold_load, cold_csv=cold_csv, user=user, base=base, bal=bal, fresh=fresh,
                             fresh_cpu=fresh_cpu, nx=nx_t, mv=mv))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if runs:  # the targets are set at 10⁵ flows: the size run nearest to it
        report_targets(min(runs, key=lambda r: abs(r["flows"] - 100_000)))


def report_targets(r: dict) -> None:
    """Each target of issues 2 and 13 (set at 10⁵ flows), with its ratio and whether it holds."""
    print(f"\ntargets at {r['flows']:,} flows (load average {os.getloadavg()[0]:.1f}):")
    rows = [
        ("load < 2 s", f"{r['load']:.3f} s", r["load"] < 2),
        ("load within 5× read_csv (warm, wall time)",
         f"{r['load']:.3f} s / {r['raw']:.3f} s = {r['load'] / r['raw']:.1f}×", r["load"] / r["raw"] <= 5),
        ("  the same in CPU time (what the load average does not change)",
         f"{r['load_cpu']:.3f} s / {r['raw_cpu']:.3f} s = {r['load_cpu'] / r['raw_cpu']:.1f}×",
         r["load_cpu"] / r["raw_cpu"] <= 5),
        ("cold: import mfa + read_park vs import pandas + read_csv",
         f"{r['cold_load']:.3f} s / {r['cold_csv']:.3f} s = {r['cold_load'] / r['cold_csv']:.1f}×", None),
        ("balance ≥ 20× faster than the networkx loop", f"{r['nx'] / r['bal']:.0f}×", r["nx"] / r["bal"] >= 20),
        ("balance (compiled) within 20× one mat-vec",
         f"{r['bal'] * 1e3:.2f} ms / {r['mv'] * 1e3:.3f} ms = {r['bal'] / r['mv']:.1f}×", r["bal"] / r["mv"] <= 20),
        ("balance of a freshly read park, compiling included, within 30× one mat-vec (fresh process)",
         f"{r['user']['balance'] * 1e3:.2f} ms = {r['user']['balance'] / r['mv']:.1f}×",
         r["user"]["balance"] / r["mv"] <= 30),
        ("  the same in CPU time (a fresh process's first call, preempted on a loaded machine)",
         f"{r['user']['balance_cpu'] * 1e3:.2f} ms = {r['user']['balance_cpu'] / r['mv']:.1f}×",
         r["user"]["balance_cpu"] / r["mv"] <= 30),
        ("  the same in this process (best of 5 fresh parks)",
         f"{r['fresh'] * 1e3:.2f} ms = {r['fresh'] / r['mv']:.1f}×", r["fresh"] / r["mv"] <= 30),
        ("  the same in this process, CPU time",
         f"{r['fresh_cpu'] * 1e3:.2f} ms = {r['fresh_cpu'] / r['mv']:.1f}×", r["fresh_cpu"] / r["mv"] <= 30),
    ]
    for name, figure, ok in rows:
        mark = "" if ok is None else ("met" if ok else "NOT MET")
        print(f"  {name:<92} {figure:<34} {mark}")


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:]] or [1000, 10000, 20000, 100000]
    main(args)
