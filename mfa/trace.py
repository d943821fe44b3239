"""Trace every waste stream from where it arises to its fates, through collection points, storage and loops.

Method: an absorbing Markov chain on the sparse flow graph of each material (no path enumeration; exact with
cycles).

* **Transient states** are (material, collection process) pairs: material entering a collection process
  without a ``fate`` of its own is passed on (see :mod:`mfa.fate`).
* **Absorbing states** are the fates (utilised, disposed, stored, discarded, exported), split by the absorbing
  flow's ``route`` and its target's kind, plus ``unresolved`` for material that a collection process does
  not pass on (its recorded outflows are smaller than its inflows, or an outflow has no value).
* **Origins** are the non-collection processes that send the material into the chain or straight to a fate:
  production (waste generated), storage (waste drawn out of storage: prior-year storage, which continues to its
  fate), import (waste arriving from outside) and treatment (residues). A flow into a storage process is
  absorbed as *stored*; the storage process's outflows are a separate origin.
* Transition probabilities out of collection process *j*: ``p = value / max(inflow_j, outflow_j)`` (inflow
  and outflow of the material). A flow with no value but a transfer coefficient ``tc`` (a share of the
  process's total input, as in :mod:`mfa.solve`) has ``p = tc × total input / input of the material`` from the
  known inputs, or ``p = tc`` when the inputs are not known (a chain of tc flows). The shortfall
  ``1 − Σp`` goes to *unresolved*, so for every origin the fates add up to exactly what it sent.

With Q the transient-to-transient and R the transient-to-absorbing probabilities, the absorption
probabilities are B = (I − Q)⁻¹ R. Materials never mix, so I − Q is block diagonal with one block per
material; it is factorised once by a sparse LU (``scipy.sparse.linalg.splu``) and solved for all absorbing
classes as right-hand sides at once, and once more transposed for the tonnes passing each collection point.

>>> import mfa
>>> park = mfa.Park.from_frames(
...     processes=[{"id": "plant", "name": "Plant", "kind": "production"},
...                {"id": "yard", "name": "Yard", "kind": "collection"},
...                {"id": "cement", "name": "Cement", "kind": "production"},
...                {"id": "dump", "name": "Dump", "kind": "landfill"}],
...     flows=[{"source": "plant", "target": "yard", "material": "fly_ash", "value": 100},
...            {"source": "yard", "target": "cement", "material": "fly_ash", "value": 70},
...            {"source": "yard", "target": "dump", "material": "fly_ash", "value": 30}],
...     materials=[{"id": "fly_ash", "name": "Fly ash", "category": "industrial_solid_waste", "bulk": True}])
>>> trace(park).table[["origin", "fate", "tonnes", "share"]].values.tolist()
[['plant', 'utilised', 70.0, 0.7], ['plant', 'disposed', 30.0, 0.3]]
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from mfa.errors import MfaError, suggest
from mfa.fate import PASSED_ON, STAGE_BY_SOURCE_KIND, classify

from mfa.results import Result, frame_records

__all__ = ["trace", "TraceResult", "UNRESOLVED"]

UNRESOLVED = "unresolved"
_FATE_ORDER = {"utilised": 0, "disposed": 1, "stored": 2, "discarded": 3, "exported": 4, UNRESOLVED: 5}


def _html_table(frame: pd.DataFrame, max_rows: int = 60) -> str:
    return frame.head(max_rows).to_html(index=False, escape=True, float_format=lambda x: f"{x:,.4g}",
                                        na_rep="")


@dataclass
class TraceResult(Result):
    """Where each waste stream goes.

    ``table``: one row per (material, origin, fate): material, category, origin (process id), stage
    (generated, prior_year_storage, imported, treatment_residue), fate, tonnes (t/a), share (of what the
    origin sent; the shares of an origin add up to 1).
    ``by_route``: the same split further by the absorbing flow's route and its target's kind.
    ``destinations``: one row per absorbing flow reached: flow id, material, source, target, fate, route,
    tonnes (t/a) arriving there from the selected origins.
    ``through``: tonnes passing each collection process (material, process, tonnes; re-entries in loops
    counted each time).
    ``origins``: what each origin sent (material, origin, stage, tonnes) and ``residual`` = sent − Σ fates
    (zero up to rounding: checked).
    ``issues``: messages about flows that could not be followed (no value, transfer coefficients over 1).
    """

    table: pd.DataFrame
    by_route: pd.DataFrame
    destinations: pd.DataFrame
    through: pd.DataFrame
    origins: pd.DataFrame
    issues: list[str] = field(default_factory=list)
    material: str | None = None
    origin: str | None = None

    def to_dict(self) -> dict:
        return {
            "material": self.material,
            "origin": self.origin,
            "fates": frame_records(self.table),
            "routes": frame_records(self.by_route),
            "origins": frame_records(self.origins),
            "destinations": frame_records(self.destinations),
            "through": frame_records(self.through),
            "issues": list(self.issues),
        }

    def _repr_html_(self) -> str:
        head = "<b>Trace</b>"
        if self.material or self.origin:
            head += " (" + ", ".join(html.escape(str(x)) for x in (self.material, self.origin) if x) + ")"
        issues = "".join(f"<li>{html.escape(i)}</li>" for i in self.issues)
        return (f"<div class='mfa-trace'>{head}{_html_table(self.table)}"
                + (f"<ul>{issues}</ul>" if issues else "") + "</div>")

    def __repr__(self) -> str:
        return (f"<TraceResult: {self.table['material'].nunique()} materials, "
                f"{self.table['origin'].nunique()} origins, {len(self.issues)} issues>")


def _empty(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=float if c in ("tonnes", "share", "residual") else object)
                         for c in columns})


_TABLE = ["material", "category", "origin", "stage", "fate", "tonnes", "share"]
_ROUTES = ["material", "category", "origin", "stage", "fate", "route", "target_kind", "tonnes", "share"]
_DEST = ["id", "material", "source", "target", "fate", "route", "tonnes"]
_THROUGH = ["material", "process", "tonnes"]
_ORIGINS = ["material", "category", "origin", "stage", "tonnes", "residual"]


def trace(park, material: str | None = None, origin: str | None = None) -> TraceResult:
    """Shares of each waste stream ending in each fate, for every material and origin.

    ``material`` limits the trace to one material (any category; by default every waste material);
    ``origin`` to the waste sent by one process. Values in t/a. See the module docstring for the
    convention (what passes on, what is an origin, how unknown values are treated).
    """
    mats = park.materials
    if material is not None and material not in set(mats["id"]):
        hint = suggest(material, mats["id"])
        raise MfaError(f"unknown material '{material}'" + (f" — {hint}" if hint else ""))
    pids = park.processes["id"]
    if origin is not None and origin not in set(pids):
        hint = suggest(origin, pids)
        raise MfaError(f"unknown process '{origin}'" + (f" — {hint}" if hint else ""))
    c = classify(park, [material] if material is not None else None)
    return _trace_classified(park, c, material, origin)


def _trace_classified(park, c: pd.DataFrame, material: str | None, origin: str | None) -> TraceResult:
    from scipy import sparse
    from scipy.sparse.linalg import splu

    issues: list[str] = []
    n = len(c)
    tc = c["id"].map(park.flows.set_index("id")["tc"]).to_numpy(dtype=float) if n else np.zeros(0)
    value = c["value"].to_numpy(dtype=float)
    mat = c["material"].to_numpy(dtype=object)
    src = c["source"].to_numpy(dtype=object)
    tgt = c["target"].to_numpy(dtype=object)
    into_chain = (c["fate"] == PASSED_ON).to_numpy()
    from_chain = (c["source_kind"] == "collection").to_numpy()

    # Transient states: (material, collection process) pairs, keyed by a joined string.
    skey = pd.Series(mat, dtype=object) + "\x1f" + pd.Series(src, dtype=object)
    tkey = pd.Series(mat, dtype=object) + "\x1f" + pd.Series(tgt, dtype=object)
    state_keys = pd.Index(pd.unique(pd.concat([tkey[into_chain], skey[from_chain]], ignore_index=True)))
    n_t = len(state_keys)
    s_state = np.where(from_chain, state_keys.get_indexer(skey), -1)
    t_state = np.where(into_chain, state_keys.get_indexer(tkey), -1)

    # A flow with no value but a transfer coefficient: tc is a share of the source's total input (all
    # materials, the definition mfa.solve uses), so its share of this material's input is
    # tc × total input / material input, from the known inputs; with no known input (a chain of tc flows) the
    # process is taken to carry this material only and the share is tc.
    est = np.isnan(value) & ~np.isnan(tc) & from_chain
    tc_share = np.full(n, np.nan)
    if est.any():
        pf = park.flows
        total_in = pf.groupby("target")["value"].sum()
        mat_in = pf.groupby(["target", "material"])["value"].sum()
        t_i = pd.Series(src[est]).map(total_in).fillna(0.0).to_numpy(dtype=float)
        m_i = pd.Series(list(zip(src[est], mat[est]))).map(mat_in).fillna(0.0).to_numpy(dtype=float)
        ratio = np.where(m_i > 0, t_i / np.where(m_i > 0, m_i, 1.0), 1.0)
        tc_share[est] = tc[est] * ratio
    known = ~np.isnan(value)
    v0 = np.where(known, value, 0.0)
    inflow = np.bincount(t_state[into_chain], weights=v0[into_chain], minlength=n_t)
    outflow = np.bincount(s_state[from_chain], weights=v0[from_chain], minlength=n_t)
    denom = np.maximum(inflow, outflow)

    # Absorbing classes: (fate, route, target kind) of flows that end in a fate.
    absorbing = ~into_chain
    cls_key = (c["fate"].astype(str) + "\x1f" + c["route"].astype(str) + "\x1f"
               + c["target_kind"].astype(str)).to_numpy(dtype=object)
    classes = pd.Index(sorted(pd.unique(cls_key[absorbing]).tolist()))
    n_c = len(classes)
    cls = np.where(absorbing, classes.get_indexer(cls_key), -1)

    # Transition probabilities out of the chain.
    p = np.zeros(n)
    with np.errstate(invalid="ignore", divide="ignore"):
        ok = from_chain & known
        p[ok] = np.where(denom[s_state[ok]] > 0, v0[ok] / denom[s_state[ok]], 0.0)
    p[est] = tc_share[est]
    lost = from_chain & ~known & ~est
    for fid in c.loc[lost, "id"].head(20):
        issues.append(f"flow '{fid}' out of a collection process has neither a value nor a tc: what goes "
                      "through it is counted as unresolved")
    rowsum = np.bincount(s_state[from_chain], weights=p[from_chain], minlength=n_t)
    over = rowsum > 1.0 + 1e-9
    if over.any():
        for k in np.flatnonzero(over)[:20]:
            m, proc = state_keys[k].split("\x1f")
            issues.append(f"outflow shares of '{proc}' for {m} add up to {rowsum[k]:.4g} > 1: scaled to 1")
        scale = np.where(over, 1.0 / np.where(over, rowsum, 1.0), 1.0)
        p[from_chain] *= scale[s_state[from_chain]]
        rowsum = np.minimum(rowsum, 1.0)
    leak = np.clip(1.0 - rowsum, 0.0, None)

    chain_edge = from_chain & into_chain
    Q = sparse.csc_matrix((p[chain_edge], (s_state[chain_edge], t_state[chain_edge])), shape=(n_t, n_t))
    exit_edge = from_chain & absorbing
    R = np.zeros((n_t, n_c + 1))
    np.add.at(R, (s_state[exit_edge], cls[exit_edge]), p[exit_edge])
    R[:, n_c] = leak
    if n_t:
        A = (sparse.identity(n_t, format="csc") - Q).tocsc()
        try:
            lu = splu(A)
        except RuntimeError as exc:
            raise MfaError(_closed_loop_message(state_keys, Q)) from exc
        B = lu.solve(R)
        if not np.all(np.isfinite(B)):
            raise MfaError(_closed_loop_message(state_keys, Q))
    else:
        lu = None
        B = R

    # Origins: flows from non-collection processes, grouped by (material, source).
    orig = ~from_chain & known
    missing = ~from_chain & ~known
    for fid in c.loc[missing, "id"].head(20):
        issues.append(f"flow '{fid}' has no value: not traced (fill unknown values first, e.g. by reconciliation)")
    if origin is not None:
        orig &= src == origin
    okey = skey[orig].to_numpy(dtype=object)
    groups, g = np.unique(okey, return_inverse=True)
    n_g = len(groups)
    oi = np.flatnonzero(orig)
    T = np.zeros((n_g, n_c + 1))
    direct = absorbing[oi]
    np.add.at(T, (g[direct], cls[oi[direct]]), v0[oi[direct]])
    via = ~direct
    if via.any():
        O = sparse.csr_matrix((v0[oi[via]], (g[via], t_state[oi[via]])), shape=(n_g, n_t))
        T += O @ B
    sent = np.bincount(g, weights=v0[oi], minlength=n_g)
    residual = sent - T.sum(axis=1)
    tol = 1e-9 * np.maximum(1.0, sent) + 1e-6
    if np.any(np.abs(residual) > tol):  # an internal invariant: fail loudly rather than lose tonnes
        raise MfaError("trace lost tonnes: fates do not add up to what the origins sent "
                       f"(largest gap {np.abs(residual).max():.6g} t/a)")

    category = dict(zip(park.materials["id"], park.materials["category"]))
    stage_of = park.processes.set_index("id")["kind"].map(STAGE_BY_SOURCE_KIND).to_dict()
    g_mat = np.array([k.split("\x1f")[0] for k in groups], dtype=object)
    g_proc = np.array([k.split("\x1f")[1] for k in groups], dtype=object)
    origins = pd.DataFrame({
        "material": g_mat, "category": pd.Series(g_mat, dtype=object).map(category).to_numpy(),
        "origin": g_proc, "stage": pd.Series(g_proc, dtype=object).map(stage_of).to_numpy(),
        "tonnes": sent, "residual": residual,
    }, columns=_ORIGINS)

    cls_fate = np.array([k.split("\x1f")[0] for k in classes] + [UNRESOLVED], dtype=object)
    cls_route = np.array([k.split("\x1f")[1] for k in classes] + [""], dtype=object)
    cls_kind = np.array([k.split("\x1f")[2] for k in classes] + [""], dtype=object)
    gi, ci = np.nonzero(T)
    tonnes = T[gi, ci]
    by_route = pd.DataFrame({
        "material": g_mat[gi], "category": origins["category"].to_numpy()[gi], "origin": g_proc[gi],
        "stage": origins["stage"].to_numpy()[gi], "fate": cls_fate[ci], "route": cls_route[ci],
        "target_kind": cls_kind[ci], "tonnes": tonnes,
        "share": np.where(sent[gi] > 0, tonnes / np.where(sent[gi] > 0, sent[gi], 1.0), np.nan),
    }, columns=_ROUTES)
    by_route = _sorted(by_route, ["material", "origin", "fate", "route", "target_kind"])
    table = (by_route.groupby(["material", "category", "origin", "stage", "fate"], sort=False, dropna=False)
             [["tonnes", "share"]].sum().reset_index())
    table = _sorted(table, ["material", "origin", "fate"])[_TABLE]

    # Destinations and throughput: one transposed solve for the selected origins' injections.
    inj = np.bincount(t_state[oi[via]], weights=v0[oi[via]], minlength=n_t) if n_t else np.zeros(0)
    y = lu.solve(inj, trans="T") if lu is not None and inj.any() else np.zeros(n_t)
    arrive = np.zeros(n)
    arrive[oi[direct]] = v0[oi[direct]]
    arrive[exit_edge] += y[s_state[exit_edge]] * p[exit_edge] if n_t else 0.0
    hit = absorbing & (arrive > 0)
    destinations = pd.DataFrame({
        "id": c.loc[hit, "id"].to_numpy(), "material": mat[hit], "source": src[hit], "target": tgt[hit],
        "fate": c.loc[hit, "fate"].to_numpy(), "route": c.loc[hit, "route"].to_numpy(), "tonnes": arrive[hit],
    }, columns=_DEST)
    destinations = _sorted(destinations, ["material", "fate", "target", "id"])
    leak_t = y * leak if n_t else np.zeros(0)
    through_mask = y > 0
    through = pd.DataFrame({
        "material": [k.split("\x1f")[0] for k in state_keys[through_mask]],
        "process": [k.split("\x1f")[1] for k in state_keys[through_mask]],
        "tonnes": y[through_mask],
    }, columns=_THROUGH)
    through = through.sort_values(["material", "process"], kind="stable").reset_index(drop=True)
    for k in np.flatnonzero(leak_t > 1e-9)[:20]:
        m, proc = state_keys[k].split("\x1f")
        issues.append(f"{leak_t[k]:.6g} t/a of {m} enter '{proc}' and are not passed on (unresolved)")
    return TraceResult(table=table, by_route=by_route, destinations=destinations, through=through,
                       origins=_sorted(origins, ["material", "origin"]), issues=issues, material=material,
                       origin=origin)


def _sorted(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    if not len(frame):
        return frame.reset_index(drop=True)
    order = frame.assign(_f=frame["fate"].map(_FATE_ORDER).fillna(9) if "fate" in frame else 0)
    keys = [("_f" if k == "fate" else k) for k in keys]
    return order.sort_values(keys, kind="stable").drop(columns="_f").reset_index(drop=True)


def _closed_loop_message(state_keys: pd.Index, Q) -> str:
    from scipy.sparse.csgraph import connected_components

    n, labels = connected_components(Q, directed=True, connection="strong")
    exits = np.asarray(1.0 - Q.sum(axis=1)).ravel()
    names = []
    for comp in range(n):
        members = np.flatnonzero(labels == comp)
        if len(members) > 1 or Q[members[0], members[0]] > 0:
            if np.all(exits[members] <= 1e-12):
                names = [state_keys[k].replace("\x1f", " at ") for k in members[:6]]
                break
    where = "; ".join(names) if names else "a loop of collection processes"
    return (f"material circulates forever between collection processes with no way out ({where}): "
            "give one of them an outflow to a fate, or a 'fate' on a flow of the loop")
