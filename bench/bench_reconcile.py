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


def best_of(fn, repeat: int) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def slsqp(park, maxiter: int = 100):
    """The same weighted least-squares problem solved by scipy.optimize.minimize(SLSQP)."""
    from scipy.optimize import minimize

    from mfa.solve import _model_from_park

    model = _model_from_park(park)
    kind = model.kind
    x_idx = np.flatnonzero(kind == 1)
    y_idx = np.flatnonzero(kind == 2)
    free = np.concatenate([x_idx, y_idx])
    xm = model.value0[x_idx]
    w = 1.0 / model.sigma[x_idx] ** 2
    base = np.where(kind == 2, 0.0, model.value0)
    nx = len(x_idx)

    def full(z):
        v = base.copy()
        v[free] = z
        return v

    def obj(z):
        d = z[:nx] - xm
        return float(np.sum(w * d * d))

    def grad(z):
        g = np.zeros_like(z)
        g[:nx] = 2 * w * (z[:nx] - xm)
        return g

    def cons(z):
        return model.residual(full(z))

    def cons_jac(z):
        return model.jacobian(full(z))[:, free].toarray()

    z0 = np.concatenate([xm, np.zeros(len(y_idx))])
    res = minimize(obj, z0, jac=grad, method="SLSQP",
                   constraints=[{"type": "eq", "fun": cons, "jac": cons_jac}],
                   options={"maxiter": maxiter, "ftol": 1e-12})
    return res, model, x_idx, y_idx


def sigma_baseline(park, columns: int = 3000) -> None:
    """σ at 10⁵ flows: the sparse Cholesky with projected inverse against the previous method, one sparse-LU
    (SuperLU) solve per output (measured, computed and combined flows), timed on the first ``columns``
    outputs and scaled to all of them (the factorisation is timed in full)."""
    import scipy.sparse as sp

    from mfa.solve import _model_from_park, _Normal, _solve

    model = _model_from_park(park)
    out = _solve(model, bounds=False, max_iter=100, tol=1e-10, covariance=False, alpha=0.05)
    el = out["el"]
    K = -(el.Yplus @ out["Jx"]).tocsr()
    O = sp.vstack([sp.identity(len(out["x_idx"]), format="csr"), K], format="csr")
    H = (O @ out["QAt"]).T.tocsc()
    M = (out["A"] @ out["QAt"]).tocsr()

    t = time.perf_counter()
    ours = _Normal(M).inverse_quadratic(H)
    t_ours = time.perf_counter() - t

    lu = _Normal(M)
    lu._no_chordal = True
    t = time.perf_counter()
    lu._factor()
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
    args = ap.parse_args(argv)

    from threadpoolctl import threadpool_limits

    from mfa import _chordal

    if _chordal.available():
        import chompack  # noqa: F401  (load its BLAS before the limit, so that the limit covers it)
    threadpool_limits(args.threads)
    from mfa.solve import reconcile
    from mfa.uncertainty import monte_carlo

    print(f"bench_reconcile: python {sys.version.split()[0]}, {os.cpu_count()} cores, BLAS threads "
          f"{args.threads}, load average {os.getloadavg()[0]:.1f}")
    sizes = [50, 200, 2000] if args.quick else [50, 200, 2000, 20000]
    cases = [(n, "random") for n in sizes] + [(n, "regional") for n in sizes if n >= 2000]
    parks = {}
    print("\n== reconcile (time in s; ratio = SLSQP time / ours, same problem, same run) ==")
    print("values: covariance=False; +sigma: the default (σ of every flow, coefficient and stock change)")
    print(f"{'processes':>9} {'structure':>9} {'flows':>7} {'build':>7} {'values':>8} {'+sigma':>8} {'iters':>5} "
          f"{'dof':>6} {'SLSQP':>8} {'ratio':>8}  note")
    for n, structure in cases:
        t0 = time.perf_counter()
        park = measured_park(n, seed=1, structure=structure)
        build = time.perf_counter() - t0
        parks[n, structure] = park
        _ = park.compiled
        rep = 3 if n <= 2000 else 1
        t_val, r = best_of(lambda: reconcile(park, covariance=False), rep)
        t_cov, rc = best_of(lambda: reconcile(park), rep)
        note = ""
        t_sl, ratio = float("nan"), float("nan")
        if n <= 200:
            t1 = time.perf_counter()
            res, model, x_idx, y_idx = slsqp(park, maxiter=100 if n > 50 else 500)
            t_sl = time.perf_counter() - t1
            ratio = t_sl / t_val
            ours = r.linear_model.v_hat
            dz = np.abs(res.x[:len(x_idx)] - ours[x_idx]) / model.sigma[x_idx]
            note = (f"SLSQP success={res.success}, {res.nit} it; max |x_SLSQP − x_ours| = {dz.max():.2e} σ; "
                    f"ratio vs ours with σ {t_sl / t_cov:.0f}×")
        else:
            note = "SLSQP not run (dense O(n³) per iteration: does not finish)"
        if not rc.uncertainty_propagated:
            note += f"; σ skipped: {rc.uncertainty_skipped}"
        else:
            has = rc.flows["status"].isin(["reconciled", "computed"])
            note += f"; σ for {int(rc.flows.loc[has, 'sigma'].notna().sum())} of {int(has.sum())} reconciled/computed flows"
        print(f"{n:>9} {structure:>9} {len(park.flows):>7} {build:>7.2f} {t_val:>8.3f} {t_cov:>8.3f} "
              f"{r.iterations:>5} {r.dof:>6} {t_sl:>8.2f} {ratio:>8.1f}  {note}")
        if n == 20000:
            print(f"   {structure}: {len(park.flows)} flows reconciled in {t_val:.2f} s, with σ of every flow in "
                  f"{t_cov:.2f} s — target 10⁵ flows < 5 s; max constraint residual {r.max_residual:.2e} t/a")
    if not args.quick:
        sigma_baseline(parks[20000, "regional"])

    print("\n== Monte Carlo on the 10³-flow park (flows; ratio = per-sample loop time / ours) ==")
    park = parks[200, "random"]
    n_samples = 2000 if args.quick else 10000
    t_mc, mc = best_of(lambda: monte_carlo(park, samples=n_samples, seed=1, progress=False, indicators=False), 1)
    print(f"vectorised: {n_samples} samples in {t_mc:.2f} s ({mc.failed_samples} failed) — target 10⁴ < 10 s")

    # (a) per-sample full reconciliation from scratch (naive loop)
    from mfa.solve import _model_from_park, _solve

    model = _model_from_park(park)
    rng = np.random.default_rng(0)
    m = model.kind == 1
    k_a = 20
    t1 = time.perf_counter()
    for _ in range(k_a):
        mod = _model_from_park(park)
        mod.value0 = model.value0.copy()
        mod.value0[m] = np.maximum(model.value0[m] + rng.normal(0, 1, m.sum()) * model.sigma[m], 0)
        _solve(mod, bounds=False, max_iter=100, tol=1e-10, covariance=False, alpha=0.05)
    per_a = (time.perf_counter() - t1) / k_a
    # (b) per-sample loop over the shared factorisation
    rec = reconcile(park, covariance=False)
    lin = rec.linear_model
    lin.normal._factor()
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

    from mfa.uncertainty import _fast_park
    from mfa.indicators import indicators

    base = _fast_park(park, np.maximum(rec.flows["value"].to_numpy(dtype=float), 0.0))
    k_i = 5
    t1 = time.perf_counter()
    for j in range(k_i):
        indicators(_fast_park(base, np.maximum(base.flows["value"].to_numpy() * (1 + 0.01 * j), 0)),
                   targets=False)
    per_i = (time.perf_counter() - t1) / k_i
    print(f"indicators per sample (trace of the park): {per_i:.2f} s (timed on {k_i}); the default "
          f"indicator_samples=200 adds ≈{per_i * 200:.0f} s (parallel with --workers / executor=)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
