"""Benchmark of the joint goods and substance reconciliation (issue 17): goods + one substance against goods
only, on the same synthetic park, in the same process.

Run:  python -m bench.bench_substance [--processes 20000] [--repeat 3] [--threads 1]

Park: ``bench.bench_reconcile.measured_park`` (regional structure, pattern unknown/measured/exact 30/50/20, 2 %
measured transfer coefficients: bilinear goods equations), about 5 flows per process. The substance layer is
consistent with the true goods flows: every import flow carries a random content (exact), every internal
process mixes what it receives (its outputs carry its mean content: the substance throughputs solve
``S = z + Pᵀ S`` with the goods shares P), and half of the other flows get that content measured with
σ = 5 % (perturbed by N(0, σ)); the rest are unknown. Both reconciliations propagate σ (the default).
The two run alternately (goods, joint, goods, …) after one warm-up call each; the figure is the ratio of the
two medians of wall time, printed with the ratio of CPU time (``time.process_time``: less sensitive to other
work on a shared machine) and the load average before and after.
"""

from __future__ import annotations

import argparse
import os
import sys


def substance_rows(park, seed: int = 0):
    """Concentration rows (one per flow with a given content) consistent with the park's true flows."""
    import numpy as np
    import pandas as pd
    import scipy.sparse as sp
    from scipy.sparse.linalg import spsolve

    from bench.synthetic import synthetic_frames

    fr = synthetic_frames(len(park.processes), seed=seed, structure="regional")
    f = fr["flows"]
    ids = park.flows["id"].to_numpy()
    rng = np.random.default_rng(seed + 7)
    cp = park.compiled
    src, tgt = np.asarray(cp.src), np.asarray(cp.tgt)
    true = f["value"].to_numpy(dtype=float)   # same row order as the park's flows
    n_p = cp.n_processes
    internal = ~np.asarray(cp.is_boundary, dtype=bool)
    inflow = np.bincount(tgt, weights=true, minlength=n_p)
    z = np.zeros(n_p)
    imp = ~internal[src]
    c_import = rng.uniform(0.001, 0.05, imp.sum())
    np.add.at(z, tgt[imp], true[imp] * c_import)
    inner = internal[src] & internal[tgt]
    share = true / np.where(inflow[src] > 0, inflow[src], 1.0)
    P = sp.csr_matrix((share[inner], (src[inner], tgt[inner])), shape=(n_p, n_p))
    S = spsolve((sp.identity(n_p, format="csc") - P.T.tocsc()), z)
    c_proc = np.where(inflow > 0, S / np.where(inflow > 0, inflow, 1.0), 0.0)
    c_true = np.where(imp, 0.0, c_proc[src])
    c_true[imp] = c_import
    measured = ~imp & (rng.random(len(ids)) < 0.5)
    sd = 0.05 * c_true + 1e-6
    value = np.where(measured, np.clip(c_true + rng.normal(0, 1, len(ids)) * sd, 0, 1), c_true)
    keep = imp | measured
    return pd.DataFrame({"flow": ids[keep], "substance": "X", "value": value[keep],
                         "sigma": np.where(measured, sd, np.nan)[keep]})


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--processes", type=int, default=20000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args(argv)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, str(args.threads))
    import statistics
    import time

    import mfa
    from bench.bench_reconcile import PATTERNS, measured_park
    from mfa.substance import SubstanceLayer, reconcile_substances

    park = measured_park(args.processes, seed=0, structure="regional", pattern=PATTERNS["30/50/20"])
    t0 = time.perf_counter()
    layer = SubstanceLayer.from_frames(park, substance_rows(park))
    t_layer = time.perf_counter() - t0
    runs = {"goods": lambda: mfa.reconcile(park), "joint": lambda: reconcile_substances(park, layer)}
    out = {name: fn() for name, fn in runs.items()}           # warm-up: imports, park.compiled
    load0 = os.getloadavg()[0]
    wall: dict[str, list[float]] = {name: [] for name in runs}
    cpu: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(args.repeat):
        for name, fn in runs.items():                       # alternately, so that both see the same load
            w0, c0 = time.perf_counter(), time.process_time()
            out[name] = fn()
            cpu[name].append(time.process_time() - c0)
            wall[name].append(time.perf_counter() - w0)
    load1 = os.getloadavg()[0]
    g, r = out["goods"], out["joint"]
    t_goods, t_joint = statistics.median(wall["goods"]), statistics.median(wall["joint"])
    c_goods, c_joint = statistics.median(cpu["goods"]), statistics.median(cpu["joint"])
    print(f"flows {len(park.flows):,}, concentration rows {len(layer.concentrations):,} "
          f"(checked in {t_layer:.2f} s)")
    print(f"goods only:            {t_goods:.2f} s, CPU {c_goods:.2f} s (chi2 {g.chi2:.4g}, dof {g.dof}, "
          f"σ propagated {g.uncertainty_propagated})")
    print(f"goods + 1 substance:   {t_joint:.2f} s, CPU {c_joint:.2f} s (chi2 {r.chi2:.4g}, dof {r.dof}, "
          f"{r.iterations} iterations)")
    print(f"ratio {t_joint / t_goods:.2f}× wall, {c_joint / c_goods:.2f}× CPU (medians of {args.repeat}; load "
          f"average {load0:.1f} → {load1:.1f}; BLAS threads {args.threads})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
