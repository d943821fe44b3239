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
  absorbed as *stored*; the storage process's outflows are a separate origin. A collection process sending
  out more of a material than it receives (a sorting centre's residue, say) is an origin of the excess
  (stage ``collection_excess``).
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
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from mfa.errors import MfaError, suggest
from mfa.conventions import DEFAULT_FATE_BY_KIND, FATES, PROCESS_KINDS, WASTE_CATEGORIES
from mfa.fate import PASSED_ON, STAGE_BY_SOURCE_KIND

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
    result = _trace_arrays(park, material, origin)
    if origin is not None and (park.processes.set_index("id").at[origin, "kind"] == "collection"):
        result.issues.insert(0, f"'{origin}' is a collection process: it passes material on, so it is an origin "
                                "only of what it sends out beyond what it receives; trace its suppliers instead")
    return result


def _trace_arrays(park, material: str | None, origin: str | None) -> TraceResult:
    """The chain on the compiled park's integer arrays (no per-flow Python work)."""
    from scipy import sparse
    from scipy.sparse.linalg import splu

    cp = park.compiled
    issues: list[str] = []
    mats = park.materials
    category_of = dict(zip(mats["id"], mats["category"]))
    mat_ids = np.asarray(cp.material_ids, dtype=object)
    if material is None:
        wanted = np.array([category_of.get(m, "") in WASTE_CATEGORIES for m in mat_ids], dtype=bool)
    else:
        wanted = mat_ids == material
    idx = np.flatnonzero(wanted[cp.material_codes]) if len(mat_ids) else np.zeros(0, dtype=np.int64)
    n = len(idx)
    n_p = len(cp.process_ids)
    src, tgt, mcode = cp.src[idx], cp.tgt[idx], cp.material_codes[idx]
    value = cp.value[idx].copy()
    tc = cp.tc[idx]
    flows = park.flows
    own = flows["fate"].to_numpy(dtype=object)[idx]
    route_codes, route_names = pd.factorize(pd.Series(flows["route"].to_numpy(dtype=object)[idx], dtype=object)
                                            .fillna(""), sort=True)
    route_names = np.asarray(route_names, dtype=object)
    if not len(route_names):
        route_names = np.array([""], dtype=object)

    kind_names = np.array(PROCESS_KINDS, dtype=object)
    kind_code = pd.Categorical(cp.kind, categories=PROCESS_KINDS).codes.astype(np.int64)
    coll = PROCESS_KINDS.index("collection")
    fate_names = np.array(FATES + (PASSED_ON,), dtype=object)
    passed = len(FATES)
    default_fate = np.array([FATES.index(DEFAULT_FATE_BY_KIND[k]) if k in DEFAULT_FATE_BY_KIND else -1
                             for k in PROCESS_KINDS], dtype=np.int64)
    default_fate[coll] = passed
    own_code = pd.Categorical(np.where(np.isin(own, FATES), own, None), categories=FATES).codes.astype(np.int64)
    tkind = kind_code[tgt]
    fate = np.where(own_code >= 0, own_code, default_fate[tkind])
    into_chain = fate == passed
    from_chain = kind_code[src] == coll

    # Transient states: (material, collection process) pairs as integer keys.
    tkey = mcode * n_p + tgt
    skey = mcode * n_p + src
    state_keys = np.unique(np.concatenate([tkey[into_chain], skey[from_chain]]))
    n_t = len(state_keys)
    s_state = np.where(from_chain, np.searchsorted(state_keys, skey), -1)
    t_state = np.where(into_chain, np.searchsorted(state_keys, tkey), -1)

    known = ~np.isnan(value)
    v0 = np.where(known, value, 0.0)
    inflow = np.bincount(t_state[into_chain], weights=v0[into_chain], minlength=n_t)
    # A flow with no value but a transfer coefficient: tc is a share of the source's total input (all
    # materials, the definition mfa.solve uses), so its share of this material's input is
    # tc × total input / material input, from the known inputs; with no known input (a chain of tc flows) the
    # process is taken to carry this material only and the share is tc.
    est = ~known & ~np.isnan(tc) & from_chain
    tc_share = np.zeros(n)
    if est.any():
        all_in = np.bincount(cp.tgt, weights=np.nan_to_num(cp.value), minlength=n_p)
        t_i = all_in[src[est]]
        m_i = inflow[s_state[est]]
        tc_share[est] = tc[est] * np.where(m_i > 0, t_i / np.where(m_i > 0, m_i, 1.0), 1.0)
    outflow = np.bincount(s_state[from_chain & known], weights=v0[from_chain & known], minlength=n_t)
    denom = np.maximum(inflow, outflow)

    absorbing = ~into_chain
    n_r, n_k = len(route_names), len(kind_names)
    ckey = (fate * n_r + route_codes) * n_k + tkind
    classes = np.unique(ckey[absorbing])
    n_c = len(classes)
    cls = np.where(absorbing, np.searchsorted(classes, ckey), -1)

    # Transition probabilities out of the chain.
    p = np.zeros(n)
    ok = from_chain & known
    d = denom[s_state[ok]]
    p[ok] = np.where(d > 0, v0[ok] / np.where(d > 0, d, 1.0), 0.0)
    p[est] = tc_share[est]
    lost = from_chain & ~known & ~est
    flow_ids = cp.flow_ids[idx]
    for fid in flow_ids[lost][:20]:
        issues.append(f"flow '{fid}' out of a collection process has neither a value nor a tc: what goes "
                      "through it is counted as unresolved")
    rowsum = np.bincount(s_state[from_chain], weights=p[from_chain], minlength=n_t)
    over = rowsum > 1.0 + 1e-9
    if over.any():
        for k in np.flatnonzero(over)[:20]:
            m, proc = mat_ids[state_keys[k] // n_p], cp.process_ids[state_keys[k] % n_p]
            issues.append(f"outflow shares of '{proc}' for {m} add up to {rowsum[k]:.4g} > 1: scaled to 1")
        scale = np.where(over, 1.0 / np.where(over, rowsum, 1.0), 1.0)
        p[from_chain] *= scale[s_state[from_chain]]
        rowsum = np.minimum(rowsum, 1.0)
    leak = np.clip(1.0 - rowsum, 0.0, None)

    chain_edge = from_chain & into_chain
    Q = sparse.csc_matrix((p[chain_edge], (s_state[chain_edge], t_state[chain_edge])), shape=(n_t, n_t))
    exit_edge = from_chain & absorbing
    # R is n_states × (classes + unresolved); the classes are few (fate × route × target kind), so dense.
    R = np.zeros((n_t, n_c + 1))
    np.add.at(R, (s_state[exit_edge], cls[exit_edge]), p[exit_edge])
    R[:, n_c] = leak
    # Material leaving a collection process beyond what enters it (e.g. sorting residue, a different material
    # from what came in) appears there: it is traced from that process as its own origin, so no tonne leaving a
    # process goes untraced.
    excess = outflow - inflow
    # A loop of collection points that keeps everything it holds (no exit at all) makes I − Q singular. If no
    # material can reach it, it carries nothing traced: its states are cut off (everything "unresolved"). If
    # material can reach it, the model says that material circulates forever: an error naming the loop.
    fed = np.zeros(n_t, dtype=bool)
    fed[t_state[~from_chain & into_chain & known]] = True
    fed |= excess > 1e-9 * np.maximum(1.0, outflow) + 1e-9
    closed, reached = _closed_states(Q, fed)
    if (closed & reached).any():
        raise MfaError(_closed_loop_message(state_keys, np.flatnonzero(closed & reached), mat_ids,
                                            cp.process_ids, n_p))
    if closed.any():
        cut = closed[s_state] & from_chain
        p[cut] = 0.0
        Q = sparse.csc_matrix((p[chain_edge], (s_state[chain_edge], t_state[chain_edge])), shape=(n_t, n_t))
        R[closed, :] = 0.0
        R[closed, n_c] = 1.0
        leak[closed] = 1.0
    lu = None
    B = R
    if n_t:
        A = (sparse.identity(n_t, format="csc") - Q).tocsc()
        lu = splu(A)
        B = lu.solve(R)

    # Origins: flows from non-collection processes, grouped by (material, source).
    orig = ~from_chain & known
    for fid in flow_ids[~from_chain & ~known][:20]:
        issues.append(f"flow '{fid}' has no value: not traced (fill unknown values first, e.g. mfa reconcile)")
    if origin is not None:
        orig &= cp.process_ids[src] == origin
    oi = np.flatnonzero(orig)
    ex = np.flatnonzero(excess > 1e-9 * np.maximum(1.0, outflow) + 1e-9)
    if origin is not None:
        ex = ex[cp.process_ids[state_keys[ex] % n_p] == origin]
    groups, ginv = np.unique(np.concatenate([skey[oi], state_keys[ex]]), return_inverse=True)
    g, gx = ginv[: len(oi)], ginv[len(oi):]
    n_g = len(groups)
    T = np.zeros((n_g, n_c + 1))
    direct = absorbing[oi]
    np.add.at(T, (g[direct], cls[oi[direct]]), v0[oi[direct]])
    via = ~direct
    if via.any() or len(ex):
        O = sparse.csr_matrix((np.concatenate([v0[oi[via]], excess[ex]]),
                               (np.concatenate([g[via], gx]), np.concatenate([t_state[oi[via]], ex]))),
                              shape=(n_g, n_t))
        T += O @ B
    sent = np.bincount(g, weights=v0[oi], minlength=n_g) + np.bincount(gx, weights=excess[ex], minlength=n_g)
    for k in ex[:20]:
        issues.append(f"{excess[k]:.6g} t/a of {mat_ids[state_keys[k] // n_p]} leave "
                      f"'{cp.process_ids[state_keys[k] % n_p]}' beyond what enters it: traced from there "
                      "(stage collection_excess)")
    residual = sent - T.sum(axis=1)
    tol = 1e-9 * np.maximum(1.0, sent) + 1e-6
    if np.any(np.abs(residual) > tol):  # an internal invariant: fail loudly rather than lose tonnes
        raise MfaError("trace lost tonnes: fates do not add up to what the origins sent "
                       f"(largest gap {np.abs(residual).max():.6g} t/a)")

    # Row columns are categoricals built from integer codes: tidy, and cheap for 10⁵ rows.
    mat_col = lambda codes: _cat(codes, mat_ids)  # noqa: E731
    proc_col = lambda codes: _cat(codes, cp.process_ids)  # noqa: E731
    cat_codes, cat_names = pd.factorize(pd.Series([category_of.get(m, "") for m in mat_ids], dtype=object))
    origin_stage = {**STAGE_BY_SOURCE_KIND, "collection": "collection_excess"}
    stage_codes, stage_names = pd.factorize(pd.Series([origin_stage.get(k, "other") for k in PROCESS_KINDS],
                                                      dtype=object))
    g_m = groups // n_p
    g_pi = groups % n_p
    g_stage = stage_codes[kind_code[g_pi]]
    origins = pd.DataFrame({"material": mat_col(g_m), "category": _cat(cat_codes[g_m], cat_names),
                            "origin": proc_col(g_pi), "stage": _cat(g_stage, stage_names),
                            "tonnes": sent, "residual": residual}, columns=_ORIGINS)

    fate_list = np.array(sorted(_FATE_ORDER, key=_FATE_ORDER.get), dtype=object)
    route_all = np.append(route_names, "") if "" not in set(route_names) else route_names
    empty_route = int(np.flatnonzero(route_all == "")[0])
    kind_all = np.append(kind_names, "")
    c_fate_rank = np.append([_FATE_ORDER[f] for f in fate_names[classes // (n_r * n_k)]], _FATE_ORDER[UNRESOLVED])
    c_rc = np.append((classes // n_k) % n_r, empty_route)
    c_kc = np.append(classes % n_k, len(kind_names))
    safe_sent = np.where(sent > 0, sent, 1.0)
    # Rows come out ordered by material, origin (as listed in processes), fate, route, target kind: integer
    # sort keys, so the order is deterministic without sorting strings.
    gi, ci = np.nonzero(T)
    order = np.lexsort((c_kc[ci], c_rc[ci], c_fate_rank[ci], gi))
    gi, ci = gi[order], ci[order]
    tonnes = T[gi, ci]
    by_route = pd.DataFrame({
        "material": mat_col(g_m[gi]), "category": _cat(cat_codes[g_m[gi]], cat_names),
        "origin": proc_col(g_pi[gi]), "stage": _cat(g_stage[gi], stage_names),
        "fate": _cat(c_fate_rank[ci], fate_list), "route": _cat(c_rc[ci], route_all),
        "target_kind": _cat(c_kc[ci], kind_all), "tonnes": tonnes,
        "share": np.where(sent[gi] > 0, tonnes / safe_sent[gi], np.nan),
    }, columns=_ROUTES)
    # Per fate: sum the classes of each fate (a one-hot class → fate matrix), still on arrays.
    onehot = sparse.csr_matrix((np.ones(n_c + 1), (np.arange(n_c + 1), c_fate_rank)), shape=(n_c + 1, 6))
    TF = np.asarray((sparse.csr_matrix(T) @ onehot).todense())
    gi, fi = np.nonzero(TF)
    table = pd.DataFrame({
        "material": mat_col(g_m[gi]), "category": _cat(cat_codes[g_m[gi]], cat_names),
        "origin": proc_col(g_pi[gi]), "stage": _cat(g_stage[gi], stage_names),
        "fate": _cat(fi, fate_list), "tonnes": TF[gi, fi],
        "share": np.where(sent[gi] > 0, TF[gi, fi] / safe_sent[gi], np.nan),
    }, columns=_TABLE)

    # Destinations and throughput: one transposed solve for the selected origins' injections.
    inj = (np.bincount(t_state[oi[via]], weights=v0[oi[via]], minlength=n_t)
           + np.bincount(ex, weights=excess[ex], minlength=n_t))
    y = lu.solve(inj, trans="T") if lu is not None and inj.any() else np.zeros(n_t)
    arrive = np.zeros(n)
    arrive[oi[direct]] = v0[oi[direct]]
    if n_t:
        arrive[exit_edge] += y[s_state[exit_edge]] * p[exit_edge]
    hit = np.flatnonzero(absorbing & (arrive > 0))
    hit = hit[np.lexsort((hit, tgt[hit], np.array([_FATE_ORDER[f] for f in FATES] + [9])[fate[hit]], mcode[hit]))]
    destinations = pd.DataFrame({
        "id": flow_ids[hit], "material": mat_col(mcode[hit]), "source": proc_col(src[hit]),
        "target": proc_col(tgt[hit]), "fate": _cat(fate[hit], fate_names),
        "route": _cat(route_codes[hit], route_names),
        "tonnes": arrive[hit],
    }, columns=_DEST)
    through_mask = y > 0
    through = pd.DataFrame({
        "material": mat_col(state_keys[through_mask] // n_p),
        "process": proc_col(state_keys[through_mask] % n_p), "tonnes": y[through_mask],
    }, columns=_THROUGH)
    leak_t = y * leak
    for k in np.flatnonzero(leak_t > 1e-9)[:20]:
        m, proc = mat_ids[state_keys[k] // n_p], cp.process_ids[state_keys[k] % n_p]
        issues.append(f"{leak_t[k]:.6g} t/a of {m} enter '{proc}' and are not passed on (unresolved)")
    return TraceResult(table=table, by_route=by_route, destinations=destinations, through=through,
                       origins=origins, issues=issues, material=material,
                       origin=origin)


def _cat(codes: np.ndarray, names) -> pd.Categorical:
    return pd.Categorical.from_codes(np.asarray(codes, dtype=np.int64),
                                     categories=pd.Index(np.asarray(names, dtype=object), dtype=object))


def _closed_states(Q, fed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """States in a closed class of Q (all their probability stays in their strongly connected class), and
    states reachable from the fed states."""
    from scipy import sparse
    from scipy.sparse.csgraph import breadth_first_order, connected_components

    n_t = Q.shape[0]
    if not n_t:
        return np.zeros(0, dtype=bool), np.zeros(0, dtype=bool)
    _, labels = connected_components(Q, directed=True, connection="strong")
    coo = Q.tocoo()
    inside = labels[coo.row] == labels[coo.col]
    within = np.bincount(coo.row[inside], weights=coo.data[inside], minlength=n_t)
    closed_state = within >= 1.0 - 1e-12
    # a class is closed when every member keeps everything inside it
    open_class = np.zeros(labels.max() + 1, dtype=bool)
    open_class[labels[~closed_state]] = True
    closed = ~open_class[labels]
    if not closed.any():
        return closed, np.zeros(n_t, dtype=bool)
    # reachability from every fed state at once: a super source linked to them
    src = np.concatenate([coo.row, np.full(int(fed.sum()), n_t)])
    dst = np.concatenate([coo.col, np.flatnonzero(fed)])
    G = sparse.csr_matrix((np.ones(len(src)), (src, dst)), shape=(n_t + 1, n_t + 1))
    order = breadth_first_order(G, n_t, directed=True, return_predecessors=False)
    reached = np.zeros(n_t + 1, dtype=bool)
    reached[order] = True
    return closed, reached[:n_t]


def _closed_loop_message(state_keys: np.ndarray, members: np.ndarray, mat_ids, process_ids, n_p: int) -> str:
    names = [f"{mat_ids[state_keys[k] // n_p]} at {process_ids[state_keys[k] % n_p]}" for k in members[:6]]
    return (f"material circulates forever between collection processes with no way out ({'; '.join(names)}): "
            "give one of them an outflow to a fate, or a 'fate' on a flow of the loop")

