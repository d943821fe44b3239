"""Benchmark of mfa.solve.reconcile and mfa.uncertainty.monte_carlo (issues 5 and 13).

Run:  python -m bench.bench_reconcile [--quick] [--threads N]

Parks: bench.synthetic.synthetic_frames in its regional structure (parks of about 100 processes with local
loops, regional hubs, inter-park trade: the shape of a province), 2 000 and 20 000 processes (≈10⁴ and 10⁵
flows), exactly balanced, built with ``Park.from_frames``. On top this script lays a measurement pattern
(seeded): the shares of unknown / measured / exact flows of issue 13 — 30/50/20, 5/85/10, 5/50/45 — measured
flows with σ = 5 % of the value and the value perturbed by N(0, σ). Storage processes without stock data add
unknown stock changes. Each pattern runs in two variants:

* **linear** — the pattern as the issue states it (flows only): linear equations, solved in one pass;
* **bilinear** — plus measured transfer coefficients (true share ± 5 %) on 2 % of the flows out of internal
  processes: Gauss–Newton passes until the step is below 1e-10 of the largest value.

Each case runs in a fresh process (its peak RSS is its own, measured before the baselines run): cold = the
first call (imports of the solver and compiling the park included), warm = best of the later calls, values
only (``covariance=False``) and with σ of every flow (``covariance=True``). Baselines, measured in the same
process on the same model:

* values: the same weighted least-squares problem through its sparse KKT system (SuperLU, scaled variables,
  1e-7 regularisation removed by iterative refinement), one factorisation per Gauss–Newton pass to the
  same tolerance — for the linear variant one pass, i.e. one sparse KKT factorisation and solve; its passes
  and χ² are printed next to ours;
* σ: the KKT baseline plus what that approach needs for σ of every variable, the diagonal of K⁻¹ (with unit
  weights on the scaled measurements the covariance of all variables is the primal block of K⁻¹): a selected
  inversion of the factor. Timed as the supernodal Cholesky and projected inverse (chompack, AMD order, the
  code ours uses) of a positive definite matrix with exactly the KKT matrix's pattern, because neither SciPy
  nor chompack has an indefinite LDLᵀ with selected inversion: the same flops and memory in that order.

Also: the random structure (an expander: the stress case) at 10⁴ flows, bilinear 5/85/10, values against
the KKT baseline; σ at 10⁵ flows against one SuperLU solve per output (the method before the projected
inverse; timed on 3 000 outputs and scaled); Monte Carlo with 10⁴ samples on a 10³-flow park against a
per-sample loop that reconciles every sample from scratch and one over the shared factorisation (both timed
on a subset and scaled).

BLAS is limited to --threads threads (default 1): on a shared 2-core machine multi-threaded BLAS is slower and
noisy. Every ratio compares two timings taken in the same process under the same limits; the load average
is printed with every case.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import dataclass

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


@dataclass
class KKTRun:
    """What the KKT baseline did: seconds, Gauss–Newton passes (one sparse factorisation each), passes that
    needed partial pivoting, refinement solves, χ² and the solution."""

    seconds: float
    passes: int
    pivoted: int
    refinements: int
    chi2: float
    v: np.ndarray
    converged: bool


def _kkt_system(model, v, x_idx, y_idx, sx, sy, delta):
    """The regularised KKT matrix at ``v`` and the unregularised one (for iterative refinement)."""
    import scipy.sparse as sp

    J = model.jacobian(v)
    Js = sp.hstack([J[:, x_idx] @ sp.diags(sx), J[:, y_idx] @ sp.diags(sy)], format="csc")
    nx, ny, nc = len(x_idx), len(y_idx), J.shape[0]
    H = sp.diags(np.concatenate([np.ones(nx), np.full(ny, delta)]))
    K = sp.bmat([[H, Js.T], [Js, -delta * sp.identity(nc)]], format="csc")
    K0 = sp.bmat([[sp.diags(np.concatenate([np.ones(nx), np.zeros(ny)])), Js.T], [Js, None]], format="csc")
    return K, K0


def _kkt_factor(K):
    """SuperLU of the KKT matrix without pivoting (symmetric mode, minimum degree on K + Kᵀ); partial
    pivoting when a pivot cancels to zero. Returns (factor, whether it pivoted)."""
    from scipy.sparse.linalg import splu

    try:
        return splu(K, permc_spec="MMD_AT_PLUS_A", diag_pivot_thresh=0.0, options={"SymmetricMode": True}), False
    except RuntimeError:
        return splu(K, permc_spec="MMD_AT_PLUS_A", options={"SymmetricMode": True}), True


def kkt_baseline(model, *, tol: float = 1e-10, max_iter: int = 100, delta: float = 1e-7) -> KKTRun:
    """The same weighted least-squares problem solved through its KKT system, one sparse factorisation per
    Gauss–Newton pass, to the same step tolerance as ours (``tol`` of the largest value). For a linear
    problem (no measured transfer coefficient) that is one pass: *one sparse KKT factorisation*.

    Variables are scaled (measured by σ, unknowns by the median σ); a δ = 1e-7 regularisation on the
    unknowns and the multipliers keeps unobservable unknowns and dependent equations from making K singular,
    and iterative refinement against the unregularised system (until the correction is below 1e-12 of the
    step; a few solves with the same factor) removes its bias. SuperLU without pivoting (partial pivoting
    where a pivot cancels, counted). Start: measured and exact values as given, unknowns at the median
    measured value (from zero the bilinear parks take one pass more). Not timed: building the model (ours
    is timed with it).
    """
    kind = model.kind
    x_idx, y_idx = np.flatnonzero(kind == 1), np.flatnonzero(kind == 2)
    xm, sx = model.value0[x_idx], model.sigma[x_idx]
    nx = len(x_idx)
    typical = max(float(np.median(np.abs(xm))) if nx else 1.0, 1.0)
    # unknowns scaled like the σ-scaled measurements: scaled by their typical value instead, the pivots span
    # 22 orders of magnitude and one cancels to zero (5/50/45 at 10⁵ flows: partial pivoting, 91 s)
    sy = np.full(len(y_idx), max(float(np.median(sx)) if nx else 1.0, 1e-3))
    t0 = time.perf_counter()
    v = np.where(kind == 2, typical, model.value0)
    pivoted, converged, passes, refinements = 0, False, 0, 0
    for passes in range(1, max_iter + 1):
        K, K0 = _kkt_system(model, v, x_idx, y_idx, sx, sy, delta)
        lu, piv = _kkt_factor(K)
        pivoted += piv
        # step from v: minimise |u_x + (x − x_m)/σ|² subject to J_s u = −F
        rhs = np.concatenate([(xm - v[x_idx]) / sx, np.zeros(len(y_idx)), -model.residual(v)])
        sol = lu.solve(rhs)
        # iterative refinement against the unregularised system until the correction is rounding (the
        # bias of δ shrinks about 30× per step: two steps leave χ² 3·10⁻⁶ off)
        for _ in range(20):
            corr = lu.solve(rhs - K0 @ sol)
            sol = sol + corr
            refinements += 1
            if np.max(np.abs(corr), initial=0.0) <= 1e-12 * max(float(np.max(np.abs(sol), initial=0.0)), 1e-300):
                break
        dx, dy = sol[:nx] * sx, sol[nx:nx + len(y_idx)] * sy
        v[x_idx] += dx
        v[y_idx] += dy
        step = max(np.max(np.abs(dx), initial=0.0), np.max(np.abs(dy), initial=0.0))
        if not model.bilinear or step <= tol * max(float(np.max(np.abs(v), initial=0.0)), 1.0):
            converged = True
            break
    seconds = time.perf_counter() - t0
    return KKTRun(seconds=seconds, passes=passes, pivoted=pivoted, refinements=refinements, converged=converged,
                  v=v, chi2=float(np.sum(((v[x_idx] - xm) / sx) ** 2)))


def kkt_sigma_cost(model, v: np.ndarray, *, delta: float = 1e-7) -> float:
    """Seconds for what the KKT approach adds to give σ of every variable: with unit weights on the scaled
    measurements the covariance of all variables is the primal block of K⁻¹, so σ² is the diagonal of the
    inverse of the KKT matrix at the solution — a selected inversion of its factor. SciPy's SuperLU has none
    and chompack's supernodal factor needs a positive definite matrix, so this times the supernodal Cholesky
    and projected inverse (the same code ours uses, AMD order) of a positive definite matrix with exactly
    the KKT matrix's pattern: the flops and memory of an LDLᵀ selected inversion of K in that order (a
    quasi-definite K has one for every symmetric order). A cost yardstick: its numbers are not σ."""
    import scipy.sparse as sp

    from mfa.solve import _chordal

    kind = model.kind
    x_idx, y_idx = np.flatnonzero(kind == 1), np.flatnonzero(kind == 2)
    ones = np.ones(len(x_idx) + len(y_idx))
    K, _ = _kkt_system(model, v, x_idx, y_idx, model.sigma[x_idx], ones[len(x_idx):], delta)
    t0 = time.perf_counter()
    S = abs(K).tocsc()
    S = (S + sp.diags(np.asarray(S.sum(axis=1)).ravel() + 1.0)).tocsc()   # diagonally dominant: SPD
    _chordal.ChordalCholesky(S).inverse_quadratic(sp.identity(S.shape[0], format="csc"))
    return time.perf_counter() - t0


# the two variants of every pattern: as issue 13 states them (unknown / measured / exact flows only: linear
# equations) and with measured transfer coefficients on 2 % of the flows out of internal processes (bilinear)
VARIANTS = {"linear": 0.0, "bilinear": 0.02}


def _case(n: int, structure: str, pattern: str, variant: str, repeat: int, sigma_cost: bool = True) -> dict:
    """One park, timed as a user meets it (cold: first call in a fresh process, compiling the park
    included) and warm, with its KKT baselines; run in a child process so that its peak RSS is its own
    (taken before the baselines run)."""
    from mfa.solve import reconcile
    from mfa.solve.model import model_from_park

    t0 = time.perf_counter()
    park = measured_park(n, seed=1, structure=structure, pattern=PATTERNS[pattern], tc_share=VARIANTS[variant])
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
    model = model_from_park(park)
    runs = [kkt_baseline(model) for _ in range(repeat)]
    kkt = min(runs, key=lambda k: k.seconds)
    x = model.kind == 1
    ours = r.flows["value"].to_numpy()
    ours = np.concatenate([ours, r.transfer_coefficients["value"].to_numpy(),
                           r.stock_changes["value"].to_numpy()])
    dx = float(np.max(np.abs(kkt.v[x] - ours[x]) / model.sigma[x], initial=0.0))
    t_sigma = min(kkt_sigma_cost(model, kkt.v) for _ in range(max(1, repeat - 1))) if sigma_cost else float("nan")
    has = rc.flows["status"].isin(["reconciled", "computed"])
    return {"n": n, "structure": structure, "pattern": pattern, "variant": variant, "flows": len(park.flows),
            "build": build, "cold": cold, "warm": warm, "sigma_cold": sigma_cold, "sigma_warm": sigma_warm,
            "iterations": r.iterations, "dof": r.dof, "chi2": r.chi2, "rss_mb": rss, "rss_park_mb": rss_park,
            "kkt": kkt.seconds, "kkt_passes": kkt.passes, "kkt_pivoted": kkt.pivoted,
            "kkt_refinements": kkt.refinements, "kkt_chi2": kkt.chi2,
            "kkt_converged": kkt.converged, "kkt_dx": dx, "kkt_sigma": t_sigma,
            "sigma_of": int(rc.flows.loc[has, "sigma"].notna().sum()), "determinable": int(has.sum()),
            "counts": r.summary["status_counts"], "combinations_skipped": int(r.combinations_skipped),
            "load": os.getloadavg()[0]}


def _run_case(n: int, structure: str, pattern: str, variant: str, repeat: int, threads: int,
              sigma_cost: bool = True) -> dict:
    import json
    import subprocess

    cmd = [sys.executable, "-m", "bench.bench_reconcile", "--case",
           f"{n},{structure},{pattern},{variant},{repeat},{int(sigma_cost)}", "--threads", str(threads)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def pattern_table(sizes: list[int], threads: int) -> list[dict]:
    """The three data patterns of issue 13 at each size (regional structure), linear and bilinear, each
    in its own process; every target printed with its figure and whether it holds."""
    print("\n== reconcile by data pattern (unknown/measured/exact %; regional structure; each case in a fresh "
          "process) ==")
    print("linear = the pattern as issue 13 states it (no transfer coefficient); bilinear = plus measured "
          "transfer coefficients on 2 % of the flows out of internal processes")
    print("cold = first call in the process (imports and compiling the park included); warm = best of later "
          "calls; +σ = with σ of every flow (covariance=True); it = our Gauss–Newton passes")
    print("KKT = the same problem through its sparse KKT system (SuperLU), one factorisation per Gauss–Newton "
          "pass to the same tolerance (linear: one pass = one factorisation); KKT it = its passes")
    print("KKT σ = what that approach adds for σ of every variable: a selected inversion of the KKT factor "
          "(timed as chompack's Cholesky + projected inverse of an SPD matrix of the KKT pattern)")
    print("ratio = ours (warm) / KKT; ratio σ = ours +σ (warm) / (KKT + KKT σ); all in the same process")
    print(f"{'pattern':>8} {'variant':>8} {'flows':>7} {'cold':>6} {'warm':>6} {'+σ cold':>7} {'+σ warm':>7} "
          f"{'it':>3} {'dof':>6} {'KKT':>6} {'it':>3} {'KKT σ':>7} {'ratio':>6} {'ratio σ':>7} {'χ² ours':>10} "
          f"{'χ² KKT':>10} {'peak RSS':>9}  σ of")
    cases = []
    for n in sizes:
        for variant in VARIANTS:
            for pattern in PATTERNS:
                c = _run_case(n, "regional", pattern, variant, 3 if n <= 2000 else 2, threads)
                cases.append(c)
                ratio = c["warm"] / c["kkt"]
                ratio_s = c["sigma_warm"] / (c["kkt"] + c["kkt_sigma"])
                flags = (f"  (KKT pivoted in {c['kkt_pivoted']} pass(es))" if c["kkt_pivoted"] else "") + \
                    ("" if c["kkt_converged"] else "  (KKT did not converge)")
                print(f"{pattern:>8} {variant:>8} {c['flows']:>7} {c['cold']:>6.2f} {c['warm']:>6.2f} "
                      f"{c['sigma_cold']:>7.2f} {c['sigma_warm']:>7.2f} {c['iterations']:>3} {c['dof']:>6} "
                      f"{c['kkt']:>6.2f} {c['kkt_passes']:>3} {c['kkt_sigma']:>7.2f} {ratio:>5.1f}× "
                      f"{ratio_s:>6.1f}× {c['chi2']:>10.2f} {c['kkt_chi2']:>10.2f} {c['rss_mb']:>6.0f} MB  "
                      f"{c['sigma_of']}/{c['determinable']}  load {c['load']:.1f}" + flags)
                checks = [("within 5× of the KKT solve (values)", ratio <= 5, f"{ratio:.1f}×"),
                          ("within 5× of the KKT solve (+σ)", ratio_s <= 5, f"{ratio_s:.2f}×")]
                if n >= 20000:
                    checks = [("values < 5 s", c["warm"] < 5, f"{c['warm']:.2f} s (cold {c['cold']:.2f} s)"),
                              ("σ of every determinable flow < 10 s", c["sigma_warm"] < 10
                               and c["sigma_of"] == c["determinable"], f"{c['sigma_warm']:.2f} s (cold "
                               f"{c['sigma_cold']:.2f} s), {c['sigma_of']}/{c['determinable']}"),
                              ("peak memory < 1 GB", c["rss_mb"] < 1024, f"{c['rss_mb']:.0f} MB")] + checks
                for what, ok, fig in checks:
                    print(f"   target {what:<38} {'holds' if ok else 'FAILS'}: {fig}")
    return cases


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
    ap.add_argument("--skip-patterns", action="store_true",
                    help="leave out the pattern table (the random structure, σ and Monte Carlo only)")
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

        n, structure, pattern, variant, repeat, sigma_cost = args.case.split(",")
        print(json.dumps(_case(int(n), structure, pattern, variant, int(repeat), sigma_cost == "1")))
        return 0
    from mfa.solve import reconcile
    from mfa.uncertainty import monte_carlo

    print(f"bench_reconcile: python {sys.version.split()[0]}, {os.cpu_count()} cores, BLAS threads "
          f"{args.threads}, load average {os.getloadavg()[0]:.1f}")
    if not args.skip_patterns:
        pattern_table([2000] if args.quick else [2000, 20000], args.threads)
    parks = {}
    print("\n== the random structure (an expander: the stress case), 5/85/10 with 2 % measured coefficients ==")
    # 10⁴ flows only: at 10⁵ the KKT baseline's LU fills in for minutes on an expander
    for n in [2000]:
        c = _run_case(n, "random", "5/85/10", "bilinear", 2, args.threads, sigma_cost=False)
        print(f"{c['flows']:>7} flows: values cold {c['cold']:.2f} s, warm {c['warm']:.2f} s ({c['iterations']} "
              f"passes); +σ {c['sigma_warm']:.2f} s; KKT {c['kkt']:.2f} s ({c['kkt_passes']} passes; ratio "
              f"{c['warm'] / c['kkt']:.1f}×); peak RSS {c['rss_mb']:.0f} MB")
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
