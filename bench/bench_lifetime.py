"""Benchmark: dynamic stock models (mfa.lifetime) of 10³ stocks × 300 years, against a per-cohort Python loop.

Cases (lognormal lifetimes, the default middle-of-year timing, random non-negative inflows):

- **shared**: one lifetime for all stocks (mean 30 a, std 10 a);
- **per stock**: each stock its own lifetime (mean 5–50 a, std a third of it), parameters of shape (n_stocks, 1);
- **per cohort**: the lifetime of new cohorts grows from 20 to 40 a over the 300 years, the same for all stocks.

For each: the inflow-driven model (stock and outflow from the inflows) and the stock-driven model (inflows and
outflows from the stock path the first gave), median of 5 runs.

Baseline (measured in the same run): the way a per-cohort model is usually written (ODYM's
``DynamicStockModel`` pattern, written here): per stock, a Python loop over cohorts that evaluates each cohort's
survival column with ``scipy.stats`` and accumulates its stock and outflow; the stock-driven baseline loops over
years per stock with that survival matrix. It is run on the first 10 stocks and scaled to 10³ (it is linear in
the number of stocks); both give the same numbers (checked).

Run from the repository root: ``python -m bench.bench_lifetime [n_stocks] [n_years]``.
"""

from __future__ import annotations

import sys
import time

import numpy as np
import scipy.stats

from bench.timing import median_time as _median_time
from mfa.lifetime import Lifetime, inflow_driven, stock_driven

BASELINE_STOCKS = 10



def _lognormal_sf(age: np.ndarray, mean: float, std: float) -> np.ndarray:
    sigma2 = np.log1p((std / mean) ** 2)
    return scipy.stats.lognorm.sf(age, s=np.sqrt(sigma2), scale=np.exp(np.log(mean) - sigma2 / 2))


def baseline_inflow_driven(inflow: np.ndarray, means: np.ndarray, stds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per stock, per cohort: survival column by scipy.stats, then that cohort's stock and outflow."""
    n_stocks, n = inflow.shape
    stock, outflow = np.zeros((n_stocks, n)), np.zeros((n_stocks, n))
    for k in range(n_stocks):
        for c in range(n):
            sf = _lognormal_sf(np.arange(n - c) + 0.5, means[k, c], stds[k, c])
            sc = inflow[k, c] * sf
            stock[k, c:] += sc
            outflow[k, c] += inflow[k, c] - sc[0]
            outflow[k, c + 1:] += sc[:-1] - sc[1:]
    return stock, outflow


def baseline_stock_driven(stock: np.ndarray, means: np.ndarray, stds: np.ndarray) -> np.ndarray:
    """Per stock: the survival matrix column by column, then the inflows year by year."""
    n_stocks, n = stock.shape
    inflow = np.zeros((n_stocks, n))
    for k in range(n_stocks):
        sf = np.zeros((n, n))
        for c in range(n):
            sf[c:, c] = _lognormal_sf(np.arange(n - c) + 0.5, means[k, c], stds[k, c])
        for t in range(n):
            inflow[k, t] = (stock[k, t] - sf[t, :t] @ inflow[k, :t]) / sf[t, t]
    return inflow


def run_case(name: str, inflow: np.ndarray, mean, std, means_full: np.ndarray, stds_full: np.ndarray) -> None:
    n_stocks, n = inflow.shape
    lt = Lifetime("lognormal", mean=mean, std=std)
    t_in, m = _median_time(lambda: inflow_driven(inflow, lt))
    t_st, back = _median_time(lambda: stock_driven(m.stock, lt))
    sub = slice(0, BASELINE_STOCKS)
    tb_in, (b_stock, b_outflow) = _median_time(
        lambda: baseline_inflow_driven(inflow[sub], means_full[sub], stds_full[sub]), repeat=1)
    tb_st, b_inflow = _median_time(lambda: baseline_stock_driven(m.stock[sub], means_full[sub], stds_full[sub]),
                                   repeat=1)
    scale = n_stocks / BASELINE_STOCKS
    # same numbers as the loop (to rounding), and the stock-driven solve gives the inflows back
    assert np.allclose(m.stock[sub], b_stock, rtol=1e-10, atol=1e-9)
    assert np.allclose(m.outflow[sub], b_outflow, rtol=1e-10, atol=1e-9)
    assert np.allclose(back.inflow[sub], b_inflow, rtol=1e-8, atol=1e-8)
    assert np.allclose(back.inflow, inflow, rtol=1e-8, atol=1e-8)
    print(f"{name:10s} inflow-driven {t_in * 1e3:8.1f} ms   loop {tb_in * scale:7.2f} s (scaled from "
          f"{BASELINE_STOCKS})  → {tb_in * scale / t_in:6.0f}× faster")
    print(f"{'':10s} stock-driven  {t_st * 1e3:8.1f} ms   loop {tb_st * scale:7.2f} s (scaled from "
          f"{BASELINE_STOCKS})  → {tb_st * scale / t_st:6.0f}× faster")


def main(n_stocks: int = 1000, n_years: int = 300) -> None:
    rng = np.random.default_rng(16)
    inflow = rng.uniform(0, 100, size=(n_stocks, n_years))
    print(f"{n_stocks} stocks × {n_years} years, lognormal lifetimes, middle-of-year timing (median of 5)")
    full = np.ones((n_stocks, n_years))
    run_case("shared", inflow, 30.0, 10.0, 30.0 * full, 10.0 * full)
    per_stock = rng.uniform(5, 50, size=(n_stocks, 1))
    run_case("per stock", inflow, per_stock, per_stock / 3, per_stock * full, per_stock / 3 * full)
    per_cohort = np.linspace(20, 40, n_years)
    run_case("per cohort", inflow, per_cohort, per_cohort / 3, per_cohort * full, per_cohort / 3 * full)


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
