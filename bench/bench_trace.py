"""Benchmark: tracing a synthetic park of about 10⁵ flows, against one sparse LU factorisation of the same size.

Baseline (measured in the same run, same park): ``scipy.sparse.linalg.splu`` of ``I − P`` for the flow graph
split by material — one state per (material, internal process) pair, one non-zero per internal flow, ``P`` the
share of each flow in its state's outflow (× 0.999 so that loops stay invertible). That is the system an
absorbing-chain trace would factorise if every internal process passed material on: the largest the trace can
meet on this park. (A process-level ``I − P`` without the material split fills in catastrophically on a random
graph — it did not finish in 10 minutes — so it is no useful yardstick.)

The trace itself (``mfa.trace``: every waste material, every origin) factorises only the collection-point
block, solves for every absorbing class, solves once more transposed, and builds its tables. It is timed cold
(first call: the park's compiled form is built too) and warm (compiled form cached, as for any later engine).

The indicators (``mfa.indicators``: the determinable unknowns solved first, then both conventions
traced — official and traced — and every rate, bound and table built) are timed warm the same way; target
≤ 5× the same LU.

Run from the repository root: ``python -m bench.bench_trace [n_processes] [seed]`` (default 20 000 processes,
about 10⁵ flows). Prints each figure and the ratios trace / splu and indicators / splu (target ≤ 5× each).
"""

from __future__ import annotations

import sys
import time

import numpy as np

from bench.timing import median_time as _median_time


def baseline_matrix(park):
    """I − P over (material, internal process) states, one non-zero per internal flow (see module docstring)."""
    import scipy.sparse as sp

    c = park.compiled
    n_p = len(c.process_ids)
    internal = ~c.is_boundary
    keep = internal[c.src] & internal[c.tgt]
    s_key = c.material_codes[keep] * n_p + c.src[keep]
    t_key = c.material_codes[keep] * n_p + c.tgt[keep]
    keys, inv = np.unique(np.concatenate([s_key, t_key]), return_inverse=True)
    s, t = inv[: len(s_key)], inv[len(s_key):]
    v = np.nan_to_num(c.value[keep])
    out = np.bincount(s, weights=v, minlength=len(keys))
    P = sp.csc_matrix((0.999 * v / np.where(out[s] > 0, out[s], 1.0), (s, t)), shape=(len(keys), len(keys)))
    return (sp.identity(len(keys), format="csc") - P).tocsc()


def main(n_processes: int = 20_000, seed: int = 0) -> None:
    from scipy.sparse.linalg import splu

    from bench.synthetic import synthetic_park
    from mfa.tracing import trace

    t0 = time.perf_counter()
    park = synthetic_park(n_processes, seed=seed)
    t_build = time.perf_counter() - t0
    print(f"synthetic park: {n_processes} processes, {len(park.flows)} flows; built and validated in "
          f"{t_build:.2f} s")

    t0 = time.perf_counter()
    cold = trace(park)
    t_cold = time.perf_counter() - t0
    t_warm, result = _median_time(lambda: trace(park))

    A = baseline_matrix(park)
    t_lu, lu = _median_time(lambda: splu(A))
    print(f"baseline splu of I − P: {A.shape[0]} × {A.shape[1]}, {A.nnz} non-zeros, "
          f"{lu.L.nnz + lu.U.nnz} in L+U: {t_lu * 1e3:.1f} ms (median of 5)")
    n_waste = int(result.origins["tonnes"].size)
    print(f"trace, all waste materials and origins: cold {t_cold * 1e3:.1f} ms, warm {t_warm * 1e3:.1f} ms "
          f"(median of 5); {n_waste} origins, {len(result.table)} fate rows, {len(result.through)} collection "
          "states passed")
    print(f"largest |sent − Σ fates| over origins: {result.origins['residual'].abs().max():.3g} t/a; "
          f"same result cold and warm: {cold.to_json() == result.to_json()}")
    print(f"ratio trace / splu: warm {t_warm / t_lu:.2f}×, cold {t_cold / t_lu:.2f}× (target ≤ 5×)")
    from mfa.utilisation import indicators

    t_traced, traced = _median_time(lambda: trace(park, convention="traced"))
    t_ind, ind = _median_time(lambda: indicators(park, targets=False))
    n_unknown = int(park.flows["value"].isna().sum())
    print(f"trace, traced convention: warm {t_traced * 1e3:.1f} ms (median of 5), {len(traced.table)} fate rows")
    print(f"indicators (both conventions, {n_unknown} unknown flows solved first): warm {t_ind * 1e3:.1f} ms "
          f"(median of 5); ratio indicators / splu {t_ind / t_lu:.2f}× (target ≤ 5×)")


if __name__ == "__main__":
    main(*[int(a) for a in sys.argv[1:3]])
