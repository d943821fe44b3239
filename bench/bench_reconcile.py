"""Benchmark of mfa.solve.reconcile and mfa.uncertainty.monte_carlo (issue 5).

Run:  python -m bench.bench_reconcile [--quick] [--threads N]

Parks: bench.synthetic.synthetic_park with 200, 2 000 and 20 000 processes (≈10³, 10⁴, 10⁵ flows), in its
random structure (an expander: the stress case) and, from 10⁴ flows, its regional structure (parks of about 100
processes with local loops, regional hubs, inter-park trade: the shape of a province). On top of
its exactly balanced flows this script lays a measurement pattern (seeded): 5 % of flows unknown, 10 % exact,
85 % measured with σ = 5 % of the value and the value perturbed by N(0, σ); and 2 % of the flows leaving
internal processes get a measured transfer coefficient (true share ± 5 %), which makes the equations bilinear.
Storage processes without stock data add unknown stock changes.

Figures, all measured in this run:
* reconcile, values only and with the default uncertainty propagation (σ of every flow), per size and
  structure (plus a 50-process park); the baseline is
  scipy.optimize.minimize(method="SLSQP") on the same objective and constraints (dense; run only where it
  finishes: the 50- and 200-process parks, capped at 500 / 100 iterations) — its time is the reference of the
  ratio, and the largest difference of its solution from ours (in units of σ) is printed;
* σ at 10⁵ flows (regional): the sparse Cholesky with projected inverse against one SuperLU solve per output
  (the method before it; timed on 3 000 outputs and scaled, stated in the output);
* Monte Carlo with 10⁴ samples on the 10³-flow park (flows; indicators separately per sample), against
  (a) a per-sample loop that reconciles every sample from scratch and (b) a per-sample loop over the shared
  factorisation; both loops are timed on a subset and scaled to 10⁴ samples (stated in the output).

BLAS is limited to --threads threads (default 1): on a shared 2-core machine multi-threaded BLAS is slower and
noisy. Every ratio compares two timings taken in the same run under the same limits.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np


PATTERNS = {"30/50/20": (0.30, 0.50, 0.20), "5/85/10": (0.05, 0.85, 0.10), "5/50/45": (0.05, 0.50, 0.45)}


def measured_park(n_processes: int, seed: int = 0, structure: str = "random",
                  pattern: tuple[float, float, float] = (0.05, 0.85, 0.10), tc_share: float = 0.02):
    """A synthetic park with the measurement pattern described in the module docstring; ``pattern`` gives
    the shares of unknown, measured and exact flows, ``tc_share`` the share of flows out of internal
    processes with a measured transfer coefficient."""
    import mfa
    from bench.synthetic import synthetic_frames

    fr = synthetic_frames(n_processes, seed=seed, structure=structure)
    f = fr["flows"]
    procs = fr["processes"]
    rng = np.random.default_rng(seed + 1)
    n = len(f)
    true = f["value"].to_numpy()
    u = rng.random(n)
    sd = 0.05 * true + 1e-3
    noisy = np.maximum(true + rng.normal(0.0, 1.0, n) * sd, 0.0)
    unknown, _measured, exact = pattern
    value = np.where(u < unknown, np.nan, np.where(u < unknown + exact, true, noisy))
    sigma = np.where(u >= unknown + exact, sd, np.nan)
    # measured transfer coefficients on 2 % of the flows out of internal processes
    kind = procs.set_index("id")["kind"]
    internal_src = ~f["source"].map(kind).isin(["import", "export", "environment", "landfill"]).to_numpy()
    total_in = f.groupby("target")["value"].sum()
    tin = f["source"].map(total_in).fillna(0.0).to_numpy()
    pick = internal_src & (rng.random(n) < tc_share) & (tin > 0)
    share = np.where(pick, true / np.where(tin > 0, tin, 1.0), np.nan)
    tc = np.where(pick, np.clip(share + rng.normal(0, 0.05 * share), 0.0, 1.0), np.nan)
    tc_sigma = np.where(pick, np.maximum(0.05 * share, 1e-6), np.nan)
    f = f.assign(value=value, sigma=sigma, tc=tc, tc_sigma=tc_sigma)
    return mfa.Park.from_frames(processes=procs, flows=f, materials=fr["materials"], info=fr["info"])


def peak_rss_mb() -> float:
    """This process's peak resident memory in MB: VmHWM (reset by exec, unlike ru_maxrss, which a child
    inherits from the process that forked it), else ru_maxrss."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def best_of(fn, repeat: int) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def kkt_baseline(park, result) -> tuple[float, float, float]:
    """One sparse KKT factorisation and solve of the same weighted least-squares problem, linearised at
    ``result``'s solution (for a linear park that is the whole problem): variables scaled (measured by σ,
    unknowns by their typical size), a 1e-7 regularisation on the unknowns and the multipliers so that
    unobservable unknowns and dependent equations do not make it singular, SuperLU without pivoting, two
    steps of iterative refinement. Returns (seconds,
    χ² of its solution, largest |x_KKT − x_ours| / σ, whether it needed partial pivoting)."""
    import scipy.sparse as sp
    from scipy.sparse.linalg import splu

    from mfa.solve.model import model_from_park

    model = model_from_park(park)
    kind = model.kind
    x_idx = np.flatnonzero(kind == 1)
    y_idx = np.flatnonzero(kind == 2)
    v = np.nan_to_num(result.linear_model.v_hat.copy())
    t0 = time.perf_counter()
    J = model.jacobian(v)
    F = model.residual(v)
    sx = model.sigma[x_idx]
    sy = np.full(len(y_idx), max(float(np.median(np.abs(v[y_idx]))) if len(y_idx) else 1.0, 1.0))
    Js = sp.hstack([J[:, x_idx] @ sp.diags(sx), J[:, y_idx] @ sp.diags(sy)], format="csc")
    nx, ny, nc = len(x_idx), len(y_idx), J.shape[0]
    delta = 1e-7
    H = sp.diags(np.concatenate([np.ones(nx), np.full(ny, delta)]))
    K = sp.bmat([[H, Js.T], [Js, -delta * sp.identity(nc)]], format="csc")
    # (δ large enough that no pivot cancels to exactly zero; its bias is removed by iterative refinement)
    # step from the linearisation point: minimise |u_x + (x − x_m)/σ|² subject to Js u = −F
    um = (model.value0[x_idx] - v[x_idx]) / sx
    rhs = np.concatenate([um, np.zeros(ny), -F])
    pivoting = [False]
    try:
        lu = splu(K, permc_spec="MMD_AT_PLUS_A", diag_pivot_thresh=0.0, options={"SymmetricMode": True})
    except RuntimeError:
        # a pivot cancelled to zero: partial pivoting (much slower; flagged in the output)
        lu = splu(K, permc_spec="MMD_AT_PLUS_A", options={"SymmetricMode": True})
        pivoting[0] = True
    sol = lu.solve(rhs)
    # iterative refinement against the unregularised system (the standard use of a regularised KKT factor):
    # removes the O(δ) bias at the price of two solves
    K0 = sp.bmat([[sp.diags(np.concatenate([np.ones(nx), np.zeros(ny)])), Js.T], [Js, None]], format="csc")
    for _ in range(2):
        sol = sol + lu.solve(rhs - K0 @ sol)
    seconds = time.perf_counter() - t0
    x = v[x_idx] + sol[:nx] * sx
    chi2 = float(np.sum(((x - model.value0[x_idx]) / sx) ** 2))
    return seconds, chi2, float(np.max(np.abs(x - v[x_idx]) / sx, initial=0.0)), pivoting[0]


def _case(n: int, structure: str, pattern: str, repeat: int) -> dict:
    """One park, timed as a user meets it (cold: first call in a fresh process, compiling the park
    included) and warm, with its KKT baseline; run in a child process so that its peak RSS is its own."""
    from mfa.solve import reconcile

    t0 = time.perf_counter()
    park = measured_park(n, seed=1, structure=structure, pattern=PATTERNS[pattern])
    build = time.perf_counter() - t0
    rss_park = peak_rss_mb()
    t0 = time.perf_counter()
    r = reconcile(park, covariance=False)            # cold: imports of the solver, park.compiled
    cold = time.perf_counter() - t0
    warm, r = best_of(lambda: reconcile(park, covariance=False), repeat)
    t0 = time.perf_counter()
    rc = reconcile(park, covariance=True)
    sigma_cold = time.perf_counter() - t0
    sigma_warm, rc = best_of(lambda: reconcile(park, covariance=True), max(1, repeat - 1))
    rss = peak_rss_mb()
    kkt = [kkt_baseline(park, r) for _ in range(repeat)]
    t_kkt = min(k[0] for k in kkt)
    has = rc.flows["status"].isin(["reconciled", "computed"])
    return {"n": n, "structure": structure, "pattern": pattern, "flows": len(park.flows), "build": build,
            "cold": cold, "warm": warm, "sigma_cold": sigma_cold, "sigma_warm": sigma_warm,
            "iterations": r.iterations, "dof": r.dof, "chi2": r.chi2, "rss_mb": rss, "rss_park_mb": rss_park,
            "kkt": t_kkt, "kkt_chi2": kkt[0][1], "kkt_dx": kkt[0][2], "kkt_pivoting": kkt[0][3],
            "sigma_of": int(rc.flows.loc[has, "sigma"].notna().sum()), "determinable": int(has.sum()),
            "counts": r.summary["status_counts"], "combinations_skipped": int(r.combinations_skipped)}


def _run_case(n: int, structure: str, pattern: str, repeat: int, threads: int) -> dict:
    import json
    import subprocess

    cmd = [sys.executable, "-m", "bench.bench_reconcile", "--case", f"{n},{structure},{pattern},{repeat}",
           "--threads", str(threads)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def pattern_table(sizes: list[int], threads: int) -> None:
    """The three data patterns of issue 13 at each size (regional structure), each in its own process."""
    print("\n== reconcile by data pattern (unknown/measured/exact %; regional structure; each case in a fresh "
          "process) ==")
    print("cold = first call in the process (imports and compiling the park included); warm = best of later "
          "calls; +σ = with σ of every flow (covariance=True);")
    print("KKT = one sparse LU (SuperLU) factorisation and solve of the same least-squares problem's KKT "
          "system, linearised at the solution; ratio = ours (warm) / KKT, same process")
    print(f"{'pattern':>8} {'flows':>7} {'cold':>6} {'warm':>6} {'+σ cold':>7} {'+σ warm':>7} {'it':>3} {'dof':>6} "
          f"{'KKT':>6} {'ratio':>6} {'ratio σ':>7} {'χ² ours':>10} {'χ² KKT':>10} {'peak RSS':>9}  σ of")
    for n in sizes:
        for pattern in PATTERNS:
            c = _run_case(n, "regional", pattern, 3 if n <= 2000 else 2, threads)
            ratio, ratio_s = c["warm"] / c["kkt"], c["sigma_warm"] / c["kkt"]
            print(f"{pattern:>8} {c['flows']:>7} {c['cold']:>6.2f} {c['warm']:>6.2f} {c['sigma_cold']:>7.2f} "
                  f"{c['sigma_warm']:>7.2f} {c['iterations']:>3} {c['dof']:>6} {c['kkt']:>6.2f} {ratio:>5.1f}× "
                  f"{ratio_s:>6.1f}× {c['chi2']:>10.2f} {c['kkt_chi2']:>10.2f} {c['rss_mb']:>6.0f} MB  "
                  f"{c['sigma_of']}/{c['determinable']}" + ("  (KKT needed partial pivoting)" if c["kkt_pivoting"]
                                                              else ""))
            if n >= 20000:
                checks = [("values < 5 s", c["warm"] < 5, f"{c['warm']:.2f} s (cold {c['cold']:.2f} s)"),
                          ("σ of every determinable flow < 10 s", c["sigma_warm"] < 10
                           and c["sigma_of"] == c["determinable"], f"{c['sigma_warm']:.2f} s (cold "
                           f"{c['sigma_cold']:.2f} s), {c['sigma_of']}/{c['determinable']}"),
                          ("peak memory < 1 GB", c["rss_mb"] < 1024, f"{c['rss_mb']:.0f} MB"),
                          ("within 5× of one KKT factorisation", ratio <= 5, f"{ratio:.1f}× (σ {ratio_s:.1f}×)")]
                for what, ok, fig in checks:
                    print(f"   target {what:<38} {'holds' if ok else 'FAILS'}: {fig}")


def sigma_baseline(park, columns: int = 3000) -> None:
    """σ at 10⁵ flows: the sparse Cholesky with projected inverse against the previous method, one sparse-LU
    (SuperLU) solve per output (measured, computed and combined flows), timed on the first ``columns``
    outputs and scaled to all of them (the factorisation is timed in full)."""
    import scipy.sparse as sp

    from mfa.solve.linear_algebra import NormalMatrix
    from mfa.solve.model import model_from_park
    from mfa.solve.reconciliation import estimate

    model = model_from_park(park)
    sol = estimate(model, covariance=False).solution
    lin = sol.linearisation
    K = -(lin.elimination.Yplus @ lin.Jx).tocsr()
    O = sp.vstack([sp.identity(len(sol.x_idx), format="csr"), K], format="csr")
    H = (O @ lin.QAt).T.tocsc()
    M = (lin.A @ lin.QAt).tocsr()

    t = time.perf_counter()
    ours = NormalMatrix(M).inverse_quadratic(H)
    t_ours = time.perf_counter() - t

    lu = NormalMatrix(M, sparse_cholesky=False)
    t = time.perf_counter()
    lu.factorise()
    t_fac = time.perf_counter() - t
    sub = H[:, :columns]
    t = time.perf_counter()
    part = lu.inverse_quadratic(sub)
    t_sub = time.perf_counter() - t
    t_lu = t_fac + t_sub * H.shape[1] / sub.shape[1]
    err = float(np.max(np.abs(part - ours[:columns]) / np.maximum(np.abs(ours[:columns]), 1e-300)))
    print(f"\n== σ of {H.shape[1]:,} outputs at {len(park.flows):,} flows (regional; reduced system "
          f"{M.shape[0]:,}²) ==")
    print(f"sparse Cholesky + projected inverse: {t_ours:.2f} s; SuperLU solve per output: factor {t_fac:.2f} s "
          f"+ {t_sub:.2f} s for {sub.shape[1]:,} outputs → {t_lu:.0f} s for all (scaled) — ratio "
          f"{t_lu / t_ours:.0f}×; largest relative difference on the timed outputs {err:.1e}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="only the 10³ and 10⁴ parks, 2000 samples")
    ap.add_argument("--threads", type=int, default=1, help="BLAS threads (default 1)")
    ap.add_argument("--case", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    from threadpoolctl import threadpool_limits

    from mfa.solve import _chordal

    # load every BLAS before the limit, so that the limit covers it (scipy.linalg has its own OpenBLAS)
    import scipy.linalg  # noqa: F401
    import scipy.sparse.linalg  # noqa: F401

    if _chordal.available():
        import chompack  # noqa: F401
    threadpool_limits(args.threads)
    if args.case:
        import json

        n, structure, pattern, repeat = args.case.split(",")
        print(json.dumps(_case(int(n), structure, pattern, int(repeat))))
        return 0
    from mfa.solve import reconcile
    from mfa.uncertainty import monte_carlo

    print(f"bench_reconcile: python {sys.version.split()[0]}, {os.cpu_count()} cores, BLAS threads "
          f"{args.threads}, load average {os.getloadavg()[0]:.1f}")
    sizes = [2000] if args.quick else [2000, 20000]
    pattern_table(sizes, args.threads)
    parks = {}
    print("\n== the random structure (an expander: the stress case), 5/85/10 with 2 % measured coefficients ==")
    # 10⁴ flows only: at 10⁵ the KKT baseline's LU fills in for minutes on an expander
    for n in [2000]:
        c = _run_case(n, "random", "5/85/10", 2, args.threads)
        print(f"{c['flows']:>7} flows: values cold {c['cold']:.2f} s, warm {c['warm']:.2f} s; +σ {c['sigma_warm']:.2f} s; "
              f"KKT {c['kkt']:.2f} s (ratio {c['warm'] / c['kkt']:.1f}×, σ {c['sigma_warm'] / c['kkt']:.1f}×); "
              f"peak RSS {c['rss_mb']:.0f} MB")
    parks[200, "random"] = measured_park(200, seed=1, structure="random")
    if not args.quick:
        sigma_baseline(measured_park(20000, seed=1, structure="regional"))

    print("\n== Monte Carlo on the 10³-flow park (flows; ratio = per-sample loop time / ours) ==")
    park = parks[200, "random"]
    n_samples = 2000 if args.quick else 10000
    t_mc, mc = best_of(lambda: monte_carlo(park, samples=n_samples, seed=1, progress=False, indicators=False), 1)
    print(f"vectorised: {n_samples} samples in {t_mc:.2f} s ({mc.failed_samples} failed) — target 10⁴ < 10 s")

    # (a) per-sample full reconciliation from scratch (naive loop)
    from mfa.solve.model import model_from_park
    from mfa.solve.reconciliation import estimate

    model = model_from_park(park)
    rng = np.random.default_rng(0)
    m = model.kind == 1
    k_a = 20
    t1 = time.perf_counter()
    for _ in range(k_a):
        mod = model_from_park(park)
        mod.value0 = model.value0.copy()
        mod.value0[m] = np.maximum(model.value0[m] + rng.normal(0, 1, m.sum()) * model.sigma[m], 0)
        estimate(mod, covariance=False)
    per_a = (time.perf_counter() - t1) / k_a
    # (b) per-sample loop over the shared factorisation
    rec = reconcile(park, covariance=False)
    lin = rec.linear_model
    lin.normal.factorise()
    k_b = 300
    xs = lin.v_hat[lin.x_idx][:, None] + rng.normal(0, 1, (len(lin.x_idx), k_b)) * model.sigma[lin.x_idx][:, None]
    xs = np.maximum(xs, 0)
    t1 = time.perf_counter()
    for j in range(k_b):
        lin.apply(xs[:, j:j + 1])
    per_b = (time.perf_counter() - t1) / k_b
    print(f"(a) loop, reconcile each sample from scratch: {per_a * 1e3:.1f} ms/sample (timed on {k_a}) → "
          f"{per_a * n_samples:.0f} s for {n_samples}; ratio {per_a * n_samples / t_mc:.0f}×")
    print(f"(b) loop over the shared factorisation:       {per_b * 1e3:.2f} ms/sample (timed on {k_b}) → "
          f"{per_b * n_samples:.1f} s for {n_samples}; ratio {per_b * n_samples / t_mc:.1f}×")

    from mfa.utilisation import indicators

    base = park.with_values(np.maximum(rec.flows["value"].to_numpy(dtype=float), 0.0))
    k_i = 5
    t1 = time.perf_counter()
    for j in range(k_i):
        indicators(base.with_values(np.maximum(base.flows["value"].to_numpy() * (1 + 0.01 * j), 0)),
                   targets=False)
    per_i = (time.perf_counter() - t1) / k_i
    print(f"indicators per sample (trace of the park): {per_i:.2f} s (timed on {k_i}); the default "
          f"indicator_samples=200 adds ≈{per_i * 200:.0f} s (parallel with --workers / executor=)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
