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
>>> b = mfa.balance(mfa.read_park("wuhai"))
>>> b.ok, b.system["status"], b.system["unknown_flows"]
(True, 'unknown', 1)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from mfa.conventions import PROCESS_KINDS, STOCK_KINDS
from mfa.compile import kind_codes
from mfa.results import Result, frame_records, jsonable

if TYPE_CHECKING:
    from mfa.park import Park

__all__ = ["BalanceResult", "balance"]

#: The status of a process in the balance table, in the order of the categorical's codes.
STATUSES: tuple[str, ...] = ("balanced", "imbalanced", "unknown", "storage", "boundary")


@dataclass(frozen=True, eq=False)
class BalanceResult(Result, title="Mass balance", main_table="processes"):
    """Per-process balance table, the system balance, and (optionally) per-material balances.

    Attributes
    ----------
    processes : pandas.DataFrame
        The main table (``.table``): one row per process with process, name, kind, inputs, outputs,
        stock_change, residual (t/a), residual_rel, status (balanced, imbalanced, unknown, storage, boundary),
        n_unknown, stock_source.
    system : dict
        The system balance: imports, inputs_from_environment_and_landfill, exports, environment, landfill,
        stock_change, residual, residual_rel, sum_of_process_residuals, unknown_flows,
        unknown_boundary_flows (t/a or counts) and status.
    materials : pandas.DataFrame or None
        One row per (process, material) when ``per_material=True``.
    rel_tol, abs_tol : float
        The tolerances used (share, t/a).

    Examples
    --------
    >>> import mfa
    >>> b = mfa.balance(mfa.read_park("hazardous"))
    >>> b.ok, b.summary["imbalanced"], b.table is b.processes
    (True, 0, True)
    """

    processes: pd.DataFrame
    system: dict
    materials: pd.DataFrame | None
    rel_tol: float
    abs_tol: float

    @property
    def ok(self) -> bool:
        """True when no process is imbalanced beyond the tolerance.

        Examples
        --------
        >>> import mfa
        >>> park = mfa.Park.from_frames(
        ...     processes=[{"id": "mine", "name": "Mine", "kind": "import"},
        ...                {"id": "plant", "name": "Plant", "kind": "production"},
        ...                {"id": "dump", "name": "Dump", "kind": "landfill"}],
        ...     flows=[{"source": "mine", "target": "plant", "material": "raw_coal", "value": 100},
        ...            {"source": "plant", "target": "dump", "material": "coal_gangue", "value": 60}])
        >>> b = mfa.balance(park)  # the plant loses 40 t/a
        >>> b.ok
        False
        """
        return not (self.processes["status"] == "imbalanced").any()

    @property
    def flagged(self) -> pd.DataFrame:
        """The imbalanced processes, largest absolute residual first.

        Examples
        --------
        >>> import mfa
        >>> park = mfa.Park.from_frames(
        ...     processes=[{"id": "mine", "name": "Mine", "kind": "import"},
        ...                {"id": "plant", "name": "Plant", "kind": "production"},
        ...                {"id": "dump", "name": "Dump", "kind": "landfill"}],
        ...     flows=[{"source": "mine", "target": "plant", "material": "raw_coal", "value": 100},
        ...            {"source": "plant", "target": "dump", "material": "coal_gangue", "value": 60}])
        >>> b = mfa.balance(park)  # the plant loses 40 t/a
        >>> b.flagged[["process", "residual", "status"]].to_dict("records")
        [{'process': 'plant', 'residual': 40.0, 'status': 'imbalanced'}]
        """
        p = self.processes
        bad = p[p["status"] == "imbalanced"]
        return bad.reindex(bad["residual"].abs().sort_values(ascending=False, kind="stable").index)

    @property
    def summary(self) -> dict[str, Any]:
        """Headline figures: ok, the number of processes per status, the system residual (t/a) and status.

        Examples
        --------
        >>> import mfa
        >>> park = mfa.Park.from_frames(
        ...     processes=[{"id": "mine", "name": "Mine", "kind": "import"},
        ...                {"id": "plant", "name": "Plant", "kind": "production"},
        ...                {"id": "dump", "name": "Dump", "kind": "landfill"}],
        ...     flows=[{"source": "mine", "target": "plant", "material": "raw_coal", "value": 100},
        ...            {"source": "plant", "target": "dump", "material": "coal_gangue", "value": 60}])
        >>> b = mfa.balance(park)  # the plant loses 40 t/a
        >>> b.summary  # doctest: +NORMALIZE_WHITESPACE
        {'ok': False, 'balanced': 0, 'imbalanced': 1, 'unknown': 0, 'storage': 0, 'boundary': 2,
         'system_residual': 40.0, 'system_status': 'imbalanced'}
        """
        counts = self.processes["status"].value_counts()
        return {"ok": self.ok, **{s: int(counts.get(s, 0)) for s in STATUSES},
                "system_residual": self.system["residual"], "system_status": self.system["status"]}

    def system_table(self) -> pd.DataFrame:
        """The system balance as a two-column table (term, value).

        Returns
        -------
        pandas.DataFrame
            Columns term and value, one row per term of :attr:`system`.

        Examples
        --------
        >>> import mfa
        >>> park = mfa.Park.from_frames(
        ...     processes=[{"id": "mine", "name": "Mine", "kind": "import"},
        ...                {"id": "plant", "name": "Plant", "kind": "production"},
        ...                {"id": "dump", "name": "Dump", "kind": "landfill"}],
        ...     flows=[{"source": "mine", "target": "plant", "material": "raw_coal", "value": 100},
        ...            {"source": "plant", "target": "dump", "material": "coal_gangue", "value": 60}])
        >>> b = mfa.balance(park)  # the plant loses 40 t/a
        >>> b.system_table().set_index("term")["value"][["imports", "landfill", "residual", "status"]].tolist()
        [100.0, 60.0, 40.0, 'imbalanced']
        """
        return pd.DataFrame({"term": list(self.system), "value": list(self.system.values())})

    def to_dict(self) -> dict:
        """The ``mfa balance --json`` document: ok, rel_tol, abs_tol, unit, system, processes (and
        materials with ``per_material``).

        Returns
        -------
        dict
            JSON-ready.

        Examples
        --------
        >>> import mfa
        >>> park = mfa.Park.from_frames(
        ...     processes=[{"id": "mine", "name": "Mine", "kind": "import"},
        ...                {"id": "plant", "name": "Plant", "kind": "production"},
        ...                {"id": "dump", "name": "Dump", "kind": "landfill"}],
        ...     flows=[{"source": "mine", "target": "plant", "material": "raw_coal", "value": 100},
        ...            {"source": "plant", "target": "dump", "material": "coal_gangue", "value": 60}])
        >>> b = mfa.balance(park)  # the plant loses 40 t/a
        >>> d = b.to_dict()
        >>> sorted(d), d["processes"][1]["residual"]
        (['abs_tol', 'ok', 'processes', 'rel_tol', 'system', 'unit'], 40.0)
        """
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


def check_tolerance(name: str, value: Any) -> float:
    """A balance tolerance as a float: finite and ≥ 0, or :class:`mfa.errors.MfaError` (an infinite or NaN
    tolerance would switch the check off).

    Parameters
    ----------
    name : str
        The argument's name, for the message.
    value : Any
        What the caller gave.

    Returns
    -------
    float
        ``value`` as a float.

    Examples
    --------
    >>> check_tolerance("rel_tol", "0.05")
    0.05
    >>> check_tolerance("abs_tol", float("inf"))
    Traceback (most recent call last):
    mfa.errors.MfaError: abs_tol must be a finite number ≥ 0, not inf
    """
    from mfa.errors import MfaError

    try:
        v = float(value)
    except (TypeError, ValueError):
        raise MfaError(f"{name} must be a number, not {str(value)[:40]!r}") from None
    if not (np.isfinite(v) and v >= 0):
        raise MfaError(f"{name} must be a finite number ≥ 0, not {v!r}")
    return v


def balance(park: Park, rel_tol: float | None = None, abs_tol: float | None = None,
            per_material: bool = False) -> BalanceResult:
    """Balance every process of ``park`` and the park as a whole.

    Parameters
    ----------
    park : mfa.Park
        The park (values in t/a), from :func:`mfa.read_park` or :meth:`mfa.Park.from_frames`; a name or a
        path gives an :class:`~mfa.errors.MfaError` saying to read it first.
    rel_tol, abs_tol : float, optional
        Tolerances (share of max(inputs, outputs), and t/a); default from the park's settings
        (``rel_tol`` 1 %, ``abs_tol`` 0.01 t/a unless the park says otherwise).
    per_material : bool
        Also balance each (process, material) pair; useful for collection and storage, which pass
        material on unchanged.

    Returns
    -------
    BalanceResult
        ``processes`` (the main table) with the columns process, name, kind, inputs, outputs, stock_change,
        residual, residual_rel, status, n_unknown, stock_source; ``system``; ``materials`` with
        ``per_material``.

    Examples
    --------
    >>> import mfa
    >>> park = mfa.Park.from_frames(
    ...     processes=[{"id": "mine", "name": "Mine", "kind": "import"},
    ...                {"id": "plant", "name": "Plant", "kind": "production"},
    ...                {"id": "dump", "name": "Dump", "kind": "landfill"}],
    ...     flows=[{"source": "mine", "target": "plant", "material": "coal", "value": 100},
    ...            {"source": "plant", "target": "dump", "material": "fly_ash", "value": 97}])
    >>> b = balance(park)
    >>> row = b.table.set_index("process").loc["plant"]
    >>> float(row["residual"]), row["status"]
    (3.0, 'imbalanced')
    >>> balance(park, rel_tol=0.05).ok
    True
    >>> balance("wuhai")
    Traceback (most recent call last):
    mfa.errors.MfaError: balance() needs a Park, not the name or path 'wuhai': read it first, park = mfa.read_park('wuhai'); mfa.balance(park)
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
    is_storage = np.isin(c.kind_code, kind_codes(STOCK_KINDS))
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
    status = pd.Categorical.from_codes(code, categories=list(STATUSES), validate=False)
    boundary = c.is_boundary
    residual = np.where(boundary, np.nan, residual)
    rel = np.where(boundary | (n_unknown > 0), np.nan, rel)
    stock_out = np.where(boundary, np.nan, np.where(has_stock | derived_stock, stock, 0.0))
    stock_out = np.where(derived_stock & (n_unknown > 0), np.nan, stock_out)
    stock_source = pd.Categorical.from_codes(np.where(has_stock, 1, np.where(derived_stock, 2, 0)).astype(np.int8),
                                             categories=["", "stocks", "balance"], validate=False)
    procs = c.process_table
    table = pd.DataFrame({
        "process": procs["id"], "name": procs["name"], "kind": procs["kind"],
        "inputs": inputs, "outputs": outputs, "stock_change": stock_out, "residual": residual,
        "residual_rel": rel, "status": status, "n_unknown": n_unknown.astype(np.int64),
        "stock_source": stock_source,
    })
    system = _system(c, inputs, outputs, unknown, stock_out, residual, rel_tol, abs_tol)
    materials = _per_material(park, rel_tol, abs_tol) if per_material else None
    return BalanceResult(table, system, materials, rel_tol, abs_tol)


def _system(c, inputs, outputs, unknown, stock, residual, rel_tol, abs_tol) -> dict:
    k = {kind: i for i, kind in enumerate(PROCESS_KINDS)}
    # The known flows out of and into each kind of process: the per-process totals summed by kind (a
    # bincount over the processes, not over the flows again).
    by_src = np.bincount(c.kind_code, weights=outputs, minlength=len(PROCESS_KINDS))
    by_tgt = np.bincount(c.kind_code, weights=inputs, minlength=len(PROCESS_KINDS))
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
    boundary_unknown = (int((unknown & (c.is_boundary[c.src] | c.is_boundary[c.tgt])).sum()) if n_unknown
                        else 0)
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


def _per_material(park: Park, rel_tol: float, abs_tol: float) -> pd.DataFrame:
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
