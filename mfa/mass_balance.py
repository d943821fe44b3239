"""Mass balances of every process and of the whole park, vectorised over the sparse incidence matrix.

Conventions
    All values in t/a. For an internal process (production, collection, treatment, storage)::

        residual = inputs − outputs − stock_change,   stock_change = closing − opening (from stocks)

    A storage or consumption process (an in-use stock) without stock data has ``stock_change = inputs − outputs`` (its stock is what the
    flows leave behind) and status ``storage``. A process with unknown flows cannot be checked: status
    ``unknown``, and ``residual`` is the net amount its unknown flows must carry (in − out of the known
    ones). Boundary processes (import, export, environment, landfill) have status ``boundary``.
    A process balances when ``|residual| ≤ abs_tol`` or ``|residual| ≤ rel_tol · max(inputs, outputs)``.

    The system balance::

        imports + inputs_from_environment_and_landfill = exports + environment + landfill
                                                          + stock_change (internal) + residual

>>> import mfa
>>> b = mfa.balance(mfa.read_park("wuhai"))          # doctest: +SKIP
>>> b.processes[b.processes.status == "imbalanced"]  # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from mfa.conventions import PROCESS_KINDS, STOCK_KINDS
from mfa.results import LegacyResult, frame_records, jsonable

__all__ = ["BalanceResult", "balance"]

STATUSES = ("balanced", "imbalanced", "unknown", "storage", "boundary")


@dataclass(eq=False)
class BalanceResult(LegacyResult):
    """Per-process balance table, the system balance, and (optionally) per-material balances."""

    processes: pd.DataFrame
    system: dict
    materials: pd.DataFrame | None
    rel_tol: float
    abs_tol: float
    title: str = "Mass balance"

    @property
    def ok(self) -> bool:
        """True when no process is imbalanced beyond the tolerance."""
        return not (self.processes["status"] == "imbalanced").any()

    @property
    def flagged(self) -> pd.DataFrame:
        """The imbalanced processes, largest absolute residual first."""
        p = self.processes
        bad = p[p["status"] == "imbalanced"]
        return bad.reindex(bad["residual"].abs().sort_values(ascending=False, kind="stable").index)

    def system_table(self) -> pd.DataFrame:
        return pd.DataFrame({"term": list(self.system), "value": list(self.system.values())})

    def to_dict(self) -> dict:
        out = {
            "ok": self.ok,
            "rel_tol": self.rel_tol,
            "abs_tol": self.abs_tol,
            "unit": "t/a",
            "system": jsonable(self.system),
            "processes": frame_records(self.processes),
        }
        if self.materials is not None:
            out["materials"] = frame_records(self.materials)
        return out


def _within(residual: np.ndarray, scale: np.ndarray, rel_tol: float, abs_tol: float) -> np.ndarray:
    r = np.abs(residual)
    return (r <= abs_tol) | (r <= rel_tol * scale)


def check_tolerance(name: str, value: float) -> float:
    """A balance tolerance as a float: finite and ≥ 0, or :class:`mfa.errors.MfaError` (an infinite or NaN
    tolerance would switch the check off)."""
    from mfa.errors import MfaError

    try:
        v = float(value)
    except (TypeError, ValueError):
        raise MfaError(f"{name} must be a number, not {str(value)[:40]!r}") from None
    if not (np.isfinite(v) and v >= 0):
        raise MfaError(f"{name} must be a finite number ≥ 0, not {v!r}")
    return v


def balance(park, rel_tol: float | None = None, abs_tol: float | None = None,
            per_material: bool = False) -> BalanceResult:
    """Balance every process of ``park`` and the park as a whole.

    Parameters
    ----------
    rel_tol, abs_tol
        Tolerances (share of max(inputs, outputs), and t/a); default from the park's settings
        (``rel_tol`` 1 %, ``abs_tol`` 0.01 t/a unless the park says otherwise).
    per_material
        Also balance each (process, material) pair; useful for collection and storage, which pass
        material on unchanged.

    Returns a :class:`BalanceResult` whose ``processes`` frame has the columns process, name, kind,
    inputs, outputs, stock_change, residual, residual_rel, status, n_unknown, stock_source.
    """
    from mfa.park import require_park

    require_park(park, "balance")
    rel_tol = park.info.rel_tol if rel_tol is None else check_tolerance("rel_tol", rel_tol)
    abs_tol = park.info.abs_tol if abs_tol is None else check_tolerance("abs_tol", abs_tol)
    c = park.compiled
    v = c.value
    unknown = np.isnan(v)
    known_v = np.where(unknown, 0.0, v)
    inputs, outputs, unknown_in, unknown_out = c.known_totals()
    n_unknown = unknown_in + unknown_out
    kind = c.kind
    is_storage = np.isin(kind, list(STOCK_KINDS))
    has_stock = ~np.isnan(c.delta_stock)
    stock = np.where(has_stock, c.delta_stock, 0.0)
    derived_stock = is_storage & ~has_stock
    stock = np.where(derived_stock & (n_unknown == 0), inputs - outputs, stock)
    residual = inputs - outputs - stock
    scale = np.maximum(inputs, outputs)
    with np.errstate(invalid="ignore", divide="ignore"):
        rel = np.where(scale > 0, np.abs(residual) / scale, np.where(residual == 0, 0.0, np.inf))
    ok = _within(residual, scale, rel_tol, abs_tol)
    # Categorical codes: building a column of 10⁵ strings would cost more than the balance itself.
    code = np.where(ok, 0, 1).astype(np.int8)
    code[derived_stock] = 3
    code[n_unknown > 0] = 2
    code[c.is_boundary] = 4
    status = pd.Categorical.from_codes(code, categories=list(STATUSES))
    boundary = c.is_boundary
    residual = np.where(boundary, np.nan, residual)
    rel = np.where(boundary | (n_unknown > 0), np.nan, rel)
    stock_out = np.where(boundary, np.nan, np.where(has_stock | derived_stock, stock, 0.0))
    stock_out = np.where(derived_stock & (n_unknown > 0), np.nan, stock_out)
    stock_source = pd.Categorical.from_codes(np.where(has_stock, 1, np.where(derived_stock, 2, 0)).astype(np.int8),
                                             categories=["", "stocks", "balance"])
    procs = park._processes
    table = pd.DataFrame({
        "process": procs["id"], "name": procs["name"], "kind": procs["kind"],
        "inputs": inputs, "outputs": outputs, "stock_change": stock_out, "residual": residual,
        "residual_rel": rel, "status": status, "n_unknown": n_unknown.astype(np.int64),
        "stock_source": stock_source,
    })
    system = _system(c, known_v, unknown, stock_out, residual, rel_tol, abs_tol)
    materials = _per_material(park, rel_tol, abs_tol) if per_material else None
    return BalanceResult(table, system, materials, rel_tol, abs_tol)


def _system(c, v, unknown, stock, residual, rel_tol, abs_tol) -> dict:
    k = {kind: i for i, kind in enumerate(PROCESS_KINDS)}
    # Sum flow values by the kind of their source and of their target: two bincounts, no string compares.
    by_src = np.bincount(c.kind_code[c.src], weights=v, minlength=len(PROCESS_KINDS))
    by_tgt = np.bincount(c.kind_code[c.tgt], weights=v, minlength=len(PROCESS_KINDS))
    b_src = c.is_boundary[c.src]
    b_tgt = c.is_boundary[c.tgt]
    imports = float(by_src[k["import"]])
    from_env = float(by_src[k["environment"]] + by_src[k["landfill"]] + by_src[k["export"]])
    exports = float(by_tgt[k["export"]])
    environment = float(by_tgt[k["environment"]])
    landfill = float(by_tgt[k["landfill"]])
    internal = ~c.is_boundary
    d_stock = float(np.nansum(stock[internal]))
    total_in = imports + from_env
    total_out = exports + environment + landfill
    # Transit flows between two boundary processes enter and leave at once; they count on both sides.
    res = total_in - total_out - d_stock
    scale = max(total_in, total_out)
    n_unknown = int(unknown.sum())
    boundary_unknown = int((unknown & (b_src | b_tgt)).sum())
    status = ("unknown" if n_unknown else
              ("balanced" if _within(np.array([res]), np.array([scale]), rel_tol, abs_tol)[0] else "imbalanced"))
    return {
        "imports": imports,
        "inputs_from_environment_and_landfill": from_env,
        "exports": exports,
        "environment": environment,
        "landfill": landfill,
        "stock_change": d_stock,
        "residual": res,
        "residual_rel": (abs(res) / scale) if scale > 0 else 0.0,
        "sum_of_process_residuals": float(np.nansum(residual[internal])),
        "unknown_flows": n_unknown,
        "unknown_boundary_flows": boundary_unknown,
        "status": status,
    }


def _per_material(park, rel_tol, abs_tol) -> pd.DataFrame:
    c = park.compiled
    n_m = len(c.material_ids)
    v = c.value
    unknown = np.isnan(v)
    kv = np.where(unknown, 0.0, v)
    size = c.n_processes * max(n_m, 1)
    key_in = c.tgt * n_m + c.material_codes
    key_out = c.src * n_m + c.material_codes
    inp = np.bincount(key_in, weights=kv, minlength=size)
    out = np.bincount(key_out, weights=kv, minlength=size)
    unk = np.bincount(key_in, weights=unknown, minlength=size) + np.bincount(key_out, weights=unknown,
                                                                             minlength=size)
    touched = (np.bincount(key_in, minlength=size) + np.bincount(key_out, minlength=size)) > 0
    stock = np.zeros(size)
    has_stock = np.zeros(size, bool)
    st = park.stocks
    if len(st):
        pi = pd.Index(c.process_ids).get_indexer(st["process"])
        mi = pd.Index(c.material_ids).get_indexer(st["material"])
        ok = (pi >= 0) & (mi >= 0)
        k = pi[ok] * n_m + mi[ok]
        np.add.at(stock, k, (st["closing"] - st["opening"]).to_numpy()[ok])
        has_stock[k] = True
        touched[k] = True
    idx = np.flatnonzero(touched)
    p, m = np.divmod(idx, n_m)
    kind = c.kind[p]
    derived = np.isin(kind, list(STOCK_KINDS)) & ~has_stock[idx]
    s = np.where(derived, inp[idx] - out[idx], stock[idx])
    res = inp[idx] - out[idx] - s
    scale = np.maximum(inp[idx], out[idx])
    ok = _within(res, scale, rel_tol, abs_tol)
    status = np.where(ok, "balanced", "imbalanced").astype(object)
    # Production transforms materials, so per-material residuals there are expected, not errors.
    status[kind == "production"] = "transformed"
    status[derived] = "storage"
    status[unk[idx] > 0] = "unknown"
    status[c.is_boundary[p]] = "boundary"
    return pd.DataFrame({
        "process": c.process_ids[p], "kind": kind, "material": c.material_ids[m] if n_m else [],
        "inputs": inp[idx], "outputs": out[idx], "stock_change": s, "residual": res, "status": status,
    })
