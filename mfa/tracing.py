"""Trace every waste stream from where it arises to its fates, through collection points, storage and loops.

Method: an absorbing Markov chain on the sparse flow graph (no path enumeration; exact with cycles), in one of
two conventions:

* ``official`` (enterprise reporting, the statistical survey's view): **transient states** are (material,
  process) pairs of collection points and stores. A waste flow into any other process ends there: production
  and consumption → utilised, treatment and landfill → disposed, environment → discarded, export → exported
  (= unresolved: no declared fate); the target process's ``fate`` overrides the kind and the flow's ``fate``
  overrides both. **Origins** are the processes that send waste into the chain or straight to a fate:
  production, treatment and consumption (their own generation, a handler's residues included), import
  (arrives from outside) — and stores for the prior-year storage they release.
* ``traced``: every internal process passes waste on. Collection points and stores are (material, process)
  states; a transforming process (production, treatment, consumption) is one state for all waste materials: of
  the I t of waste it receives it passes min(I, X) on along its X t of waste outflows (the same stream, whatever
  the material) and absorbs the rest — utilised at production and consumption; at treatment utilised for the
  share of its non-waste outputs that are products and disposed for the rest; a process ``fate`` overrides.
  What it sends beyond what it receives is new generation (its origin).

Common rules:

* **Stores**: newly stored = max(0, closing − opening), prior-year storage drawn = max(0, opening − closing)
  (from ``stocks``; without stock data the stock change is inflow − outflow of the material); what is not
  newly stored passes through to the store's outflows, and the prior-year tonnes share those outflows' fates
  in proportion (stage ``prior_year_storage``). A same-year buffer (stock unchanged) changes no fate.
* **Sorting**: at a collection point, what one material lacks on the way out and another sends out beyond its
  intake (a sorting centre's residue) is the same stream, carried on through one mixing state per process;
  only a surplus beyond every deficit is the point's own (stage ``collection_excess``).
* Transition probabilities out of a state: its known outflows in proportion, scaled by the share it passes on.
  A flow with no value but a transfer coefficient ``tc`` out of a collection point (a share of the process's
  total input, as in :mod:`mfa.solve`) has ``p = tc × total input / input of the material`` from the known
  inputs, or ``p = tc``. What a state cannot pass on or absorb (outflows smaller than inflows at a collection
  point, flows with no value) goes to *unresolved*, so for every origin the fates add up to exactly what it
  sent.

With Q the transient-to-transient and R the transient-to-absorbing probabilities, the absorption
probabilities are B = (I − Q)⁻¹ R, solved for all absorbing classes as right-hand sides at once (a sparse LU;
above :data:`DIRECT_MAX_STATES` states the Neumann series B = R + Q B, with the LU as fallback), and once more
transposed for the tonnes passing each state.

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

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from mfa.errors import Issue, Message, MfaError, suggest
from mfa.conventions import DEFAULT_FATE_BY_KIND, FATES, INTERNAL_KINDS, PROCESS_KINDS, WASTE_CATEGORIES
from mfa.fate import STAGE_BY_SOURCE_KIND
from mfa.results import Result, frame_records

if TYPE_CHECKING:
    from mfa.compile import CompiledPark
    from mfa.park import Park

__all__ = ["trace", "TraceResult", "UNRESOLVED", "CONVENTIONS", "GENERATED_STAGES"]

UNRESOLVED = "unresolved"
_FATE_ORDER = {"utilised": 0, "disposed": 1, "stored": 2, "discarded": 3, "exported": 4, UNRESOLVED: 5}


@dataclass(frozen=True, eq=False)
class TraceResult(Result, title="Trace", main_table="fates"):
    """Where each waste stream goes.

    Attributes
    ----------
    fates : pandas.DataFrame
        The main table (``.table``): one row per (material, origin, stage, fate): material, category,
        origin (process id), stage (generated, prior_year_storage, imported, treatment_residue,
        collection_excess), fate, tonnes (t/a), share (of what the origin sent; an origin's shares add up to
        1).
    by_route : pandas.DataFrame
        The same split further by the absorbing flow's route and its target's kind.
    destinations : pandas.DataFrame
        One row per absorbing flow reached: flow id, material, source, target, fate, route, tonnes (t/a)
        arriving there from the selected origins.
    through : pandas.DataFrame
        Tonnes passing each collection process (material, process, tonnes; re-entries in loops counted each
        time).
    origins : pandas.DataFrame
        What each origin sent (material, origin, stage, tonnes) and ``residual`` = sent − Σ fates (zero up
        to rounding: checked).
    material, origin : str or None
        The selection traced.
    flows : pandas.DataFrame or None
        Each waste flow with its own fate (:func:`mfa.fates`), when asked for (``mfa trace --flows``).
    convention : str
        ``official`` or ``traced``.
    messages : tuple of mfa.Issue
        Flows that could not be followed (no value, transfer coefficients over 1 …); ``.issues`` gives
        their texts.

    Examples
    --------
    >>> import mfa
    >>> t = mfa.trace(mfa.read_park("hazardous"))
    >>> t.table is t.fates, sorted(t.tables)[:2]
    (True, ['by_route', 'destinations'])
    """

    fates: pd.DataFrame
    by_route: pd.DataFrame
    destinations: pd.DataFrame
    through: pd.DataFrame
    origins: pd.DataFrame
    material: str | None = None
    origin: str | None = None
    convention: str = "official"
    flows: pd.DataFrame | None = None

    issues = Result.message_texts  # the name earlier versions used

    @property
    def summary(self) -> dict[str, Any]:
        """Headline figures: the convention, and the tonnes (t/a) the selected origins sent and that end in
        each fate.

        Returns
        -------
        dict
            Name → number or text.

        Examples
        --------
        >>> import mfa
        >>> t = mfa.trace(mfa.read_park("hazardous"))
        >>> t.summary["convention"], sorted(t.summary)
        ('official', ['convention', 'disposed', 'sent', 'stored', 'utilised'])
        """
        by_fate = self.fates.groupby("fate", observed=True, sort=False)["tonnes"].sum()
        return {"convention": self.convention, "sent": float(self.origins["tonnes"].sum()),
                **{str(f): float(t) for f, t in by_fate.items()}}

    def to_dict(self) -> dict:
        """The ``mfa trace --json`` document: material, origin, convention, fates, routes, origins,
        destinations, through, issues (and flows when given).

        Returns
        -------
        dict
            Plain data (JSON-serialisable).

        Examples
        --------
        >>> import mfa
        >>> t = mfa.trace(mfa.read_park("hazardous"))
        >>> list(t.to_dict())
        ['material', 'origin', 'convention', 'fates', 'routes', 'origins', 'destinations', 'through', 'issues']
        """
        return {
            "material": self.material,
            "origin": self.origin,
            "convention": self.convention,
            "fates": frame_records(self.fates),
            "routes": frame_records(self.by_route),
            "origins": frame_records(self.origins),
            "destinations": frame_records(self.destinations),
            "through": frame_records(self.through),
            "issues": self.issues,
            **({} if self.flows is None else {"flows": frame_records(self.flows)}),
        }

    def __repr__(self) -> str:
        return (f"<TraceResult: {self.fates['material'].nunique()} materials, "
                f"{self.fates['origin'].nunique()} origins, {len(self.messages)} issues>")


def _empty(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=float if c in ("tonnes", "share", "residual") else object)
                         for c in columns})


_TABLE = ["material", "category", "origin", "stage", "fate", "tonnes", "share"]
_ROUTES = ["material", "category", "origin", "stage", "fate", "route", "target_kind", "tonnes", "share"]
_DEST = ["id", "material", "source", "target", "fate", "route", "tonnes"]
_THROUGH = ["material", "process", "tonnes"]
_ORIGINS = ["material", "category", "origin", "stage", "tonnes", "residual"]


CONVENTIONS: tuple[str, ...] = ("official", "traced")
#: Stages of origins whose tonnes count in the rates as this year's generation (产生量). ``imported`` waste
#: arrived from outside and is not generated here; ``prior_year_storage`` is the 往年贮存量 term.
GENERATED_STAGES: tuple[str, ...] = ("generated", "treatment_residue", "collection_excess")


def trace(park: Park, material: str | None = None, origin: str | None = None, *,
          convention: str = "official", solve: bool = True) -> TraceResult:
    """Shares of each waste stream ending in each fate, for every material and origin.

    Parameters
    ----------
    park : mfa.Park
        Values in t/a.
    material : str, optional
        Only the waste of this material (any category; by default every waste material).
    origin : str, optional
        Only the waste sent by this process.
    convention : {"official", "traced"}
        ``official`` (enterprise reporting): a waste flow is counted where it arises and ends at the first
        process that uses or handles it; ``traced``: each tonne is followed through every process that passes
        waste on, to where it finally ends. See the module docstring.
    solve : bool
        Compute the determinable unknown flows first (:func:`mfa.solved.solve_park`); False = as given.

    Returns
    -------
    TraceResult
        ``table`` (= ``fates``), ``by_route``, ``origins``, ``destinations``, ``through``, and ``messages``
        (their texts: ``issues``).

    Raises
    ------
    mfa.MfaError
        ``park`` is not a Park (a name or a path must be read first), or an unknown convention, material or
        origin (with a suggestion).

    Examples
    --------
    >>> import mfa
    >>> park = mfa.read_park("hazardous")
    >>> t = trace(park, convention="traced").table
    >>> bool((t.groupby(["material", "origin", "stage"], observed=True)["share"].sum().round(9) == 1).all())
    True
    """
    from mfa.park import require_park

    require_park(park, "trace")
    if convention not in CONVENTIONS:
        raise MfaError(f"unknown convention '{convention}' — use one of: {', '.join(CONVENTIONS)}")
    cp = park.compiled
    if material is not None and material not in cp.category_of:
        hint = suggest(material, cp.category_of)
        raise MfaError(f"unknown material '{material}'" + (f" — {hint}" if hint else ""))
    if origin is not None and origin not in cp.process_index:
        hint = suggest(origin, cp.process_ids)
        raise MfaError(f"unknown process '{origin}'" + (f" — {hint}" if hint else ""))
    if solve:
        from mfa.solved import solve_park

        s = solve_park(park)
        park = s.park
    result = _trace_arrays(park, material, origin, convention)
    if origin is not None and park.compiled.kind_of[origin] == "collection":
        note = Issue.note(Message(f"'{origin}' is a collection process: it passes material on, so it is an origin "
                                  "only of what it sends out beyond what it receives; trace its suppliers instead",
                                  "trace.collection_origin", process=str(origin)))
        result = replace(result, messages=(note,) + result.messages)
    return result


def _trace_arrays(park: Park, material: str | None, origin: str | None, convention: str = "official") -> TraceResult:
    """The chain on the compiled park's integer arrays (no per-flow Python work)."""
    from scipy import sparse

    cp = park.compiled
    issues: list[str] = []
    traced = convention == "traced"
    category_of = cp.category_of
    mat_ids = np.asarray(cp.material_ids, dtype=object)
    mat_cat = cp.material_category
    is_waste_mat = cp.is_waste_material
    # Every waste flow takes part in the chain (a residue of another material continues a stream in the traced
    # view); the material filter applies to the origins.
    wanted = is_waste_mat.copy()
    if material is not None:
        wanted |= mat_ids == material
    idx = np.flatnonzero(wanted[cp.material_codes]) if len(mat_ids) else np.zeros(0, dtype=np.int64)
    n = len(idx)
    n_p = len(cp.process_ids)
    src, tgt, mcode = cp.src[idx], cp.tgt[idx], cp.material_codes[idx]
    value = cp.value[idx].copy()
    tc = cp.tc[idx]
    own = cp.flow_fate[idx]
    route_codes, route_names = pd.factorize(pd.Series(cp.flow_route[idx], dtype=object), sort=True)
    route_names = np.asarray(route_names, dtype=object)
    if "" not in set(route_names):
        route_names = np.append(route_names, "")
    empty_route = int(np.flatnonzero(route_names == "")[0])
    n_r = len(route_names)

    # Kinds as codes; the extra code n_kinds stands for "no target kind" (unresolved leaks).
    kind_names = np.append(np.array(PROCESS_KINDS, dtype=object), "")
    n_k = len(kind_names)
    kind_code = pd.Categorical(cp.kind, categories=PROCESS_KINDS).codes.astype(np.int64)
    K = {k: i for i, k in enumerate(PROCESS_KINDS)}
    fate_names = np.array(FATES + (UNRESOLVED,), dtype=object)
    F = {f: i for i, f in enumerate(fate_names)}
    pfate = pd.Index(FATES).get_indexer(cp.process_fate)
    pfate = pfate.astype(np.int64)
    default_fate = np.array([F[DEFAULT_FATE_BY_KIND[k]] if k in DEFAULT_FATE_BY_KIND else -1
                             for k in PROCESS_KINDS], dtype=np.int64)
    if traced:
        transient_kind = np.isin(np.array(PROCESS_KINDS, dtype=object), list(INTERNAL_KINDS))
    else:
        transient_kind = np.isin(np.array(PROCESS_KINDS, dtype=object), ["collection", "storage"])
    own_code = pd.Index(FATES).get_indexer(own).astype(np.int64)  # -1 where blank or not a fate
    tkind = kind_code[tgt]
    skind = kind_code[src]
    into_chain = transient_kind[tkind] & (own_code < 0)
    from_chain = transient_kind[skind]
    fate = np.where(own_code >= 0, own_code, np.where(pfate[tgt] >= 0, pfate[tgt], default_fate[tkind]))
    fate = np.where(into_chain, -1, fate)

    # Transient states: (material, process) in the official view, the process in the traced view (a process
    # that receives waste and sends waste on continues the same stream, whatever the materials).
    # Collection points and stores keep materials apart (key (material + 1)·n_p + process); a transforming
    # process of the traced view is one state whatever the material (key = process).
    per_material = np.isin(np.array(PROCESS_KINDS, dtype=object), ["collection", "storage"])
    tkey = np.where(per_material[tkind], (mcode + 1) * n_p + tgt, tgt)
    skey = np.where(per_material[skind], (mcode + 1) * n_p + src, src)
    state_keys = np.unique(np.concatenate([tkey[into_chain], skey[from_chain]]))
    n_t = len(state_keys)
    state_proc = state_keys % n_p
    state_mat = state_keys // n_p - 1
    state_kind = kind_code[state_proc] if n_t else np.zeros(0, np.int64)
    s_state = np.where(from_chain, np.searchsorted(state_keys, skey), -1)
    t_state = np.where(into_chain, np.searchsorted(state_keys, tkey), -1)

    known = ~np.isnan(value)
    v0 = np.where(known, value, 0.0)
    inflow = np.bincount(t_state[into_chain & known], weights=v0[into_chain & known], minlength=n_t)
    # A collection point's flow with no value but a transfer coefficient (as given, unsolved): tc is a share of
    # the source's total input (all materials, as mfa.solve reads it), so its share of this material's input is
    # tc × total input / material input from the known inputs, or tc when no input is known (a chain of tc
    # flows, the process taken to carry this material only).
    est = ~known & ~np.isnan(tc) & from_chain & (skind == K["collection"])
    tc_share = np.zeros(n)
    if est.any():
        all_in = np.bincount(cp.tgt, weights=np.nan_to_num(cp.value), minlength=n_p)
        m_i = inflow[s_state[est]]
        t_i = all_in[src[est]]
        tc_share[est] = tc[est] * np.where(m_i > 0, t_i / np.where(m_i > 0, m_i, 1.0), 1.0)
    outflow = np.bincount(s_state[from_chain & known], weights=v0[from_chain & known], minlength=n_t)
    unknown_out = np.bincount(s_state[from_chain & ~known & ~est], minlength=n_t) > 0
    lost = from_chain & ~known & ~est
    flow_ids = cp.flow_ids[idx]
    for fid in flow_ids[lost][:20]:
        issues.append(Message(f"flow '{fid}' has no value: what its source passes through it is counted as "
                              "unresolved", "trace.unvalued_flow_counted", flow=str(fid)))

    # The storage rule: a store's stock change decides what is newly stored and what prior-year storage is
    # drawn; the rest passes through to the store's outflows as this year's waste.
    is_store = state_kind == K["storage"]
    delta = np.full(n_t, np.nan)
    st = park.stocks
    if len(st) and is_store.any():
        waste_rows = st["material"].map(category_of).isin(WASTE_CATEGORIES).to_numpy().copy()
        if material is not None:
            waste_rows |= (st["material"] == material).to_numpy()
        sp_ = pd.Index(cp.process_ids).get_indexer(st["process"])
        sm_ = pd.Index(mat_ids).get_indexer(st["material"])
        ok_ = waste_rows & (sp_ >= 0) & (sm_ >= 0)
        key = (sm_[ok_] + 1) * n_p + sp_[ok_]
        d = (st["closing"] - st["opening"]).to_numpy(dtype=float)[ok_]
        pos = np.searchsorted(state_keys, key)
        hit = (pos < n_t) & (state_keys[np.minimum(pos, max(n_t - 1, 0))] == key) if n_t else np.zeros(0, bool)
        sums = np.bincount(pos[hit], weights=d[hit], minlength=n_t)
        delta[np.unique(pos[hit])] = sums[np.unique(pos[hit])]
    no_stock = is_store & np.isnan(delta)
    delta[no_stock] = (inflow - outflow)[no_stock]
    delta = np.where(is_store, delta, 0.0)
    newly = np.minimum(np.maximum(delta, 0.0), inflow)
    drawn = np.maximum(-delta, 0.0)
    carried = np.clip(np.minimum(inflow - newly, outflow - drawn), 0.0, None)
    diff = np.clip(inflow - newly - carried, 0.0, None)
    out_inj = np.clip(outflow - carried, 0.0, None)
    prior = np.minimum(drawn, out_inj)
    excess = out_inj - prior
    # Sorting: at a collection point, what one material lacks on the way out (paper that does not leave as paper)
    # and another sends out beyond what came in (sorting residue) is the same stream. One mixing state per such
    # process carries the deficits on into the excesses, in proportion.
    is_coll = state_kind == K["collection"] if n_t else np.zeros(0, bool)
    deficit = np.where(is_coll & ~unknown_out, diff, 0.0)
    surplus = np.where(is_coll, excess, 0.0)
    d_p = np.bincount(state_proc, weights=deficit, minlength=n_p)
    e_p = np.bincount(state_proc, weights=surplus, minlength=n_p)
    eps = 1e-9 * max(1.0, float(np.nanmax(v0, initial=0.0)))
    mix_proc = np.flatnonzero((d_p > eps) & (e_p > eps))
    n_x = len(mix_proc)
    mix_of = np.full(n_p, -1, dtype=np.int64)
    mix_of[mix_proc] = n_t + np.arange(n_x)
    mixed = np.minimum(d_p, e_p)
    to_mix = (deficit > 0) & (mix_of[state_proc] >= 0) if n_t else np.zeros(0, bool)
    used = np.where(e_p > 0, mixed / np.where(e_p > 0, e_p, 1.0), 0.0)
    excess = np.where(is_coll & (mix_of[state_proc] >= 0), surplus * (1.0 - used[state_proc]), excess) \
        if n_t else excess
    n_T = n_t + n_x
    # What a mixing state cannot carry on (deficits beyond every surplus): in the traced view the share of the
    # point's non-waste outputs that are products is utilised (a "collection" point that makes products), a
    # declared process fate takes it all, the rest is unresolved.
    mix_leak = np.clip(1.0 - mixed[mix_proc] / np.where(d_p[mix_proc] > 0, d_p[mix_proc], 1.0), 0.0, None)
    mix_decl = pfate[mix_proc]
    mix_util = (_product_share(cp, mix_proc) if traced and n_x else np.zeros(n_x))
    mix_util = np.where(mix_decl >= 0, 0.0, mix_util)

    # Classes: (fate, route, target kind) of absorbing flows, plus the states' own absorptions.
    def class_key(fate_code, kind, route=empty_route):
        return (fate_code * n_r + route) * n_k + kind

    absorbing = ~into_chain
    ckey = class_key(np.where(fate >= 0, fate, F[UNRESOLVED]), tkind, route_codes)
    unresolved_key = class_key(F[UNRESOLVED], n_k - 1)
    stored_key = class_key(F["stored"], state_kind)
    # What a state absorbs of what it receives beyond what it passes on: a production or consumption process
    # uses it; a treatment process uses the part that leaves as products and disposes of the rest; a collection
    # point or a store cannot absorb waste (unresolved). A declared process fate takes it all; a state with an
    # outflow of no value, or whose deficit a mixing state carries on, absorbs nothing.
    sp_fate = pfate[state_proc]
    declared = (sp_fate >= 0) & ~unknown_out
    treat = state_kind == K["treatment"]
    product_share = _product_share(cp, state_proc) if traced else np.zeros(n_t)
    diff_share_util = np.where(np.isin(state_kind, [K["production"], K["consumption"]]), 1.0,
                               np.where(treat | (state_kind == K["collection"]), product_share, 0.0))
    diff_share_disp = np.where(treat, 1.0 - product_share, 0.0)
    no_absorb = (sp_fate >= 0) | unknown_out | to_mix
    diff_share_util = np.where(no_absorb, 0.0, diff_share_util)
    diff_share_disp = np.where(no_absorb, 0.0, diff_share_disp)
    if traced:
        wrong = (np.isin(state_kind, [K["treatment"], K["collection"]]) & (product_share > 0) & (diff > 0)
                 & ~declared)
        for k in np.flatnonzero(wrong)[:20]:
            issues.append(Message(f"'{cp.process_ids[state_proc[k]]}' is of kind {kind_names[state_kind[k]]} but "
                                  "sends out products made from the waste it receives: if it is a user of waste, "
                                  "give it the kind production", "trace.user_not_production",
                                  process=str(cp.process_ids[state_proc[k]]), kind=str(kind_names[state_kind[k]])))
    diff_key_util = class_key(F["utilised"], state_kind)
    diff_key_disp = class_key(F["disposed"], state_kind)
    decl_key = class_key(sp_fate, state_kind)
    mix_util_key = class_key(F["utilised"], K["collection"])
    mix_decl_key = class_key(mix_decl, K["collection"])
    classes = np.unique(np.concatenate([
        ckey[absorbing], [unresolved_key], stored_key[newly > 0], diff_key_util[diff_share_util > 0],
        diff_key_disp[diff_share_disp > 0], decl_key[declared & (diff > 0)],
        np.full(int((mix_util > 0).sum()), mix_util_key), mix_decl_key[mix_decl >= 0],
    ]).astype(np.int64))
    n_c = len(classes)
    cls = np.where(absorbing, np.searchsorted(classes, ckey), -1)
    c_unres = int(np.searchsorted(classes, unresolved_key))

    safe_in = np.where(inflow > 0, inflow, 1.0)
    safe_out = np.where(outflow > 0, outflow, 1.0)
    p = np.zeros(n)
    ok = from_chain & known
    si = s_state[ok]
    # Without a known inflow (material arrives only through unknown or tc flows) a state passes on in
    # proportion to its known outflows.
    ratio = np.where(inflow > 0, carried / safe_in, np.where(outflow > 0, 1.0, 0.0))
    p[ok] = v0[ok] / safe_out[si] * ratio[si]
    # Dense R: the classes are few (fate × route × target kind).
    R = np.zeros((n_T, n_c))
    exit_edge = from_chain & absorbing
    if n_t:
        rows = np.arange(n_t)
        has_in = inflow > 0
        m = has_in & (newly > 0)
        R[rows[m], np.searchsorted(classes, stored_key[m])] += newly[m] / inflow[m]
        share = np.where(has_in, diff / safe_in, 0.0)
        m = declared & (share > 0)
        R[rows[m], np.searchsorted(classes, decl_key[m])] += share[m]
        m = diff_share_util > 0
        R[rows[m], np.searchsorted(classes, diff_key_util[m])] += share[m] * diff_share_util[m]
        m = diff_share_disp > 0
        R[rows[m], np.searchsorted(classes, diff_key_disp[m])] += share[m] * diff_share_disp[m]
        rest = share * np.where(declared | to_mix, 0.0, 1.0 - diff_share_util - diff_share_disp)
        R[:n_t, c_unres] += np.clip(rest, 0.0, None)
        # a state that receives nothing known and sends nothing known passes nothing on: unresolved
        R[:n_t][(inflow <= 0) & (outflow <= 0), c_unres] = 1.0
        if est.any():
            p[est] = tc_share[est]
            est_sum = np.bincount(s_state[est], weights=p[est], minlength=n_t)
            known_sum = np.bincount(s_state[ok], weights=p[ok], minlength=n_t)
            over = known_sum + est_sum > 1.0 + 1e-9
            for k in np.flatnonzero(over)[:20]:
                issues.append(Message(f"outflow shares of '{cp.process_ids[state_proc[k]]}' add up to "
                                      f"{known_sum[k] + est_sum[k]:.4g} > 1: scaled to 1", "trace.shares_over_one",
                                      process=str(cp.process_ids[state_proc[k]]),
                                      total=float(known_sum[k] + est_sum[k])))
            scale = np.where(over, 1.0 / np.where(over, known_sum + est_sum, 1.0), 1.0)
            p[from_chain] *= scale[s_state[from_chain]]
            R[:n_t, c_unres] = np.where(est_sum > 0, np.clip(1.0 - (known_sum + est_sum) * scale, 0.0, None),
                                        R[:n_t, c_unres])
    np.add.at(R, (s_state[exit_edge], cls[exit_edge]), p[exit_edge])
    chain_edge = from_chain & into_chain
    # Mixing edges: a state's deficit into its process's mixing state; the mixing state on along the
    # surplus of each material's outflows.
    safe_d = np.where(d_p > 0, d_p, 1.0)
    safe_e = np.where(e_p > 0, e_p, 1.0)
    m_in = np.flatnonzero(to_mix)
    x_src = m_in
    x_dst = mix_of[state_proc[m_in]]
    x_p = deficit[m_in] / safe_in[m_in]
    k_sur = np.flatnonzero(from_chain & known & (mix_of[src] >= 0))
    k_sur = k_sur[surplus[s_state[k_sur]] > 0]
    amount = surplus[s_state[k_sur]] * v0[k_sur] / safe_out[s_state[k_sur]]
    mp = mix_of[src[k_sur]]
    mix_p = amount / safe_e[src[k_sur]] * mixed[src[k_sur]] / safe_d[src[k_sur]]
    sur_chain = into_chain[k_sur]
    x_src = np.concatenate([x_src, mp[sur_chain]])
    x_dst = np.concatenate([x_dst, t_state[k_sur[sur_chain]]])
    x_p = np.concatenate([x_p, mix_p[sur_chain]])
    np.add.at(R, (mp[~sur_chain], cls[k_sur[~sur_chain]]), mix_p[~sur_chain])
    if n_x:
        rows_x = mix_of[mix_proc]
        R[rows_x, c_unres] += np.where(mix_decl >= 0, 0.0, mix_leak * (1.0 - mix_util))
        m = mix_util > 0
        R[rows_x[m], np.searchsorted(classes, mix_util_key)] += mix_leak[m] * mix_util[m]
        m = mix_decl >= 0
        R[rows_x[m], np.searchsorted(classes, mix_decl_key[m])] += mix_leak[m]
        for j in np.flatnonzero((mix_util > 0) & (mix_leak > 0))[:20]:
            issues.append(Message(f"'{cp.process_ids[mix_proc[j]]}' is of kind collection but sends out products "
                                  "made from the waste it receives: if it is a user of waste, give it the kind "
                                  "production", "trace.user_not_production",
                                  process=str(cp.process_ids[mix_proc[j]]), kind="collection"))

    def _q(p_flows: np.ndarray, p_mix: np.ndarray):
        return sparse.csc_matrix((np.concatenate([p_flows[chain_edge], p_mix]),
                                  (np.concatenate([s_state[chain_edge], x_src]),
                                   np.concatenate([t_state[chain_edge], x_dst]))), shape=(n_T, n_T))

    Q = _q(p, x_p)

    # Injections: the tonnes each origin puts on each flow. Flows from processes outside the chain carry their
    # whole value; a state injects what it sends beyond what it passes on (prior-year storage drawn, then
    # excess: new generation in the traced view, a sorting centre's residue in the official one).
    stage_of_kind = {**STAGE_BY_SOURCE_KIND, "collection": "collection_excess", "storage": "collection_excess"}
    stage_names = np.array(list(dict.fromkeys(list(stage_of_kind.values()) + ["prior_year_storage", "other"])),
                           dtype=object)
    S = {s_: i for i, s_ in enumerate(stage_names)}
    stage_by_kind = np.array([S[stage_of_kind.get(k, "other")] for k in PROCESS_KINDS], dtype=np.int64)
    direct_src = ~from_chain & known
    for fid in flow_ids[~from_chain & ~known][:20]:
        issues.append(Message(f"flow '{fid}' has no value: not traced (its tonnes are unresolved; fill it in or "
                              "let mfa solve it)", "trace.unvalued_flow", flow=str(fid)))
    out_known = from_chain & known
    k_out = np.flatnonzero(out_known)
    frac = v0[k_out] / safe_out[s_state[k_out]]
    inj_flow = np.concatenate([np.flatnonzero(direct_src), k_out, k_out])
    inj_amt = np.concatenate([v0[direct_src], prior[s_state[k_out]] * frac, excess[s_state[k_out]] * frac])
    inj_stage = np.concatenate([stage_by_kind[skind[direct_src]],
                                np.full(len(k_out), S["prior_year_storage"]), stage_by_kind[skind[k_out]]])
    tiny = 1e-12 * max(1.0, float(v0.max(initial=0.0)))
    keep = inj_amt > tiny
    if material is not None:
        keep &= mat_ids[mcode[inj_flow]] == material
    else:
        keep &= is_waste_mat[mcode[inj_flow]]
    if origin is not None:
        keep &= cp.process_ids[src[inj_flow]] == origin
    inj_flow, inj_amt, inj_stage = inj_flow[keep], inj_amt[keep], inj_stage[keep]
    for k in np.flatnonzero((excess > 1e-9 * np.maximum(1.0, outflow) + 1e-9)
                            & np.isin(state_kind, [K["collection"], K["storage"]]))[:20]:
        issues.append(Message(f"{excess[k]:.6g} t/a of waste leave '{cp.process_ids[state_proc[k]]}' beyond what "
                              "enters it (and its stock change): traced from there (stage collection_excess)",
                              "trace.collection_excess", tonnes=float(excess[k]),
                              process=str(cp.process_ids[state_proc[k]])))

    # A loop of states that keeps everything it holds (no exit) makes I − Q singular.
    fed = np.zeros(n_T, dtype=bool)
    fed[t_state[into_chain & ~from_chain & known]] = True
    fed[:n_t] |= out_inj > 1e-9 * np.maximum(1.0, outflow) + 1e-9
    closed, reached = _closed_states(Q, fed)
    if (closed & reached).any():
        raise MfaError(_closed_loop_message(state_keys, np.flatnonzero(closed & reached), mat_ids,
                                            cp.process_ids, n_p, traced))
    if closed.any():
        cut = closed[s_state] & from_chain
        p[cut] = 0.0
        x_p = np.where(closed[x_src], 0.0, x_p)
        Q = _q(p, x_p)
        R[closed, :] = 0.0
        R[closed, c_unres] = 1.0
    lu = None
    B = R
    if n_T:
        lu = _ChainSolver(Q)
        B = lu.solve(R)

    # Origins: (material, source process, stage).
    gkey = (mcode[inj_flow] * n_p + src[inj_flow]) * len(stage_names) + inj_stage
    groups, g = np.unique(gkey, return_inverse=True)
    n_g = len(groups)
    T = np.zeros((n_g, n_c))
    direct = absorbing[inj_flow]
    np.add.at(T, (g[direct], cls[inj_flow[direct]]), inj_amt[direct])
    via = ~direct
    if via.any():
        O = sparse.csr_matrix((inj_amt[via], (g[via], t_state[inj_flow[via]])), shape=(n_g, n_T))
        T += O @ B
    sent = np.bincount(g, weights=inj_amt, minlength=n_g)
    residual = sent - T.sum(axis=1)
    tol = 1e-9 * np.maximum(1.0, sent) + 1e-6
    if np.any(np.abs(residual) > tol):  # an internal invariant: fail loudly rather than lose tonnes
        raise MfaError("trace lost tonnes: fates do not add up to what the origins sent "
                       f"(largest gap {np.abs(residual).max():.6g} t/a)")

    mat_col = lambda codes: _cat(codes, mat_ids)  # noqa: E731
    proc_col = lambda codes: _cat(codes, cp.process_ids)  # noqa: E731
    cat_codes, cat_names = pd.factorize(pd.Series(mat_cat, dtype=object))
    g_stage = groups % len(stage_names)
    g_mp = groups // len(stage_names)
    g_m, g_pi = g_mp // n_p, g_mp % n_p
    origins = pd.DataFrame({"material": mat_col(g_m), "category": _cat(cat_codes[g_m], cat_names),
                            "origin": proc_col(g_pi), "stage": _cat(g_stage, stage_names),
                            "tonnes": sent, "residual": residual}, columns=_ORIGINS)

    fate_list = np.array(sorted(_FATE_ORDER, key=_FATE_ORDER.get), dtype=object)
    c_fate = classes // (n_r * n_k)
    c_fate_rank = np.array([_FATE_ORDER[f] for f in fate_names[c_fate]], dtype=np.int64)
    c_rc = (classes // n_k) % n_r
    c_kc = classes % n_k
    safe_sent = np.where(sent > 0, sent, 1.0)
    # Rows ordered by material, origin, stage, fate, route, target kind: integer keys, deterministic.
    gi, ci = np.nonzero(T)
    order = np.lexsort((c_kc[ci], c_rc[ci], c_fate_rank[ci], gi))
    gi, ci = gi[order], ci[order]
    tonnes = T[gi, ci]
    by_route = pd.DataFrame({
        "material": mat_col(g_m[gi]), "category": _cat(cat_codes[g_m[gi]], cat_names),
        "origin": proc_col(g_pi[gi]), "stage": _cat(g_stage[gi], stage_names),
        "fate": _cat(c_fate_rank[ci], fate_list), "route": _cat(c_rc[ci], route_names),
        "target_kind": _cat(c_kc[ci], kind_names), "tonnes": tonnes,
        "share": np.where(sent[gi] > 0, tonnes / safe_sent[gi], np.nan),
    }, columns=_ROUTES)
    onehot = sparse.csr_matrix((np.ones(n_c), (np.arange(n_c), c_fate_rank)), shape=(n_c, len(_FATE_ORDER)))
    TF = np.asarray((sparse.csr_matrix(T) @ onehot).todense())
    gi, fi = np.nonzero(TF)
    table = pd.DataFrame({
        "material": mat_col(g_m[gi]), "category": _cat(cat_codes[g_m[gi]], cat_names),
        "origin": proc_col(g_pi[gi]), "stage": _cat(g_stage[gi], stage_names),
        "fate": _cat(fi, fate_list), "tonnes": TF[gi, fi],
        "share": np.where(sent[gi] > 0, TF[gi, fi] / safe_sent[gi], np.nan),
    }, columns=_TABLE)

    # Destinations and throughput: one transposed solve for the selected origins' injections.
    inj = np.bincount(t_state[inj_flow[via]], weights=inj_amt[via], minlength=n_T)
    y = lu.solve(inj, transposed=True) if lu is not None and inj.any() else np.zeros(n_T)
    arrive = np.zeros(n)
    np.add.at(arrive, inj_flow[direct], inj_amt[direct])
    if n_t:
        arrive[exit_edge] += y[s_state[exit_edge]] * p[exit_edge]
        np.add.at(arrive, k_sur[~sur_chain], y[mp[~sur_chain]] * mix_p[~sur_chain])
    hit = np.flatnonzero(absorbing & (arrive > tiny))
    hit_fate = np.where(fate[hit] >= 0, fate[hit], F[UNRESOLVED])
    hit = hit[np.lexsort((hit, tgt[hit], np.array([_FATE_ORDER[f] for f in fate_names])[hit_fate], mcode[hit]))]
    hit_fate = np.where(fate[hit] >= 0, fate[hit], F[UNRESOLVED])
    destinations = pd.DataFrame({
        "id": flow_ids[hit], "material": mat_col(mcode[hit]), "source": proc_col(src[hit]),
        "target": proc_col(tgt[hit]), "fate": _cat(hit_fate, fate_names),
        "route": _cat(route_codes[hit], route_names),
        "tonnes": arrive[hit],
    }, columns=_DEST)
    y_mix = y[n_t:]
    y = y[:n_t]
    through_mask = y > tiny
    through = pd.DataFrame({
        "material": _cat(np.where(state_mat >= 0, state_mat, len(mat_ids))[through_mask], np.append(mat_ids, "")),
        "process": proc_col(state_proc[through_mask]), "tonnes": y[through_mask],
    }, columns=_THROUGH)
    leak_t = y * R[:n_t, c_unres] if n_t else np.zeros(0)
    for j in np.flatnonzero(y_mix * R[n_t:, c_unres] > 1e-9)[:20]:
        issues.append(Message(f"{y_mix[j] * R[n_t + j, c_unres]:.6g} t/a of waste enter "
                              f"'{cp.process_ids[mix_proc[j]]}' and leave it neither as themselves nor as its "
                              "residues (unresolved)", "trace.mixer_leak", tonnes=float(y_mix[j] * R[n_t + j, c_unres]),
                              process=str(cp.process_ids[mix_proc[j]])))
    for k in np.flatnonzero(leak_t > 1e-9)[:20]:
        what = mat_ids[state_mat[k]] if state_mat[k] >= 0 else "waste"
        issues.append(Message(f"{leak_t[k]:.6g} t/a of {what} enter '{cp.process_ids[state_proc[k]]}' and are not "
                              "passed on (unresolved)", "trace.not_passed_on", tonnes=float(leak_t[k]),
                              material=str(what), process=str(cp.process_ids[state_proc[k]])))
    exp = absorbing & (fate == F["exported"]) & (arrive > tiny)
    for k in np.flatnonzero(exp)[:20]:
        issues.append(Message(f"{arrive[k]:,.6g} t/a of {mat_ids[mcode[k]]} leave the park to "
                              f"'{cp.process_ids[tgt[k]]}' with no declared fate (unresolved): give the export "
                              "process a fate in processes (what the receiver does with it) or the flow a fate",
                              "trace.export_without_fate", tonnes=float(arrive[k]),
                              material=str(mat_ids[mcode[k]]), process=str(cp.process_ids[tgt[k]])))
    return TraceResult(fates=table, by_route=by_route, destinations=destinations, through=through,
                       origins=origins, material=material, origin=origin, convention=convention,
                       messages=tuple(Issue.note(i, severity="warning") for i in issues))


def _product_share(cp: CompiledPark, procs: np.ndarray) -> np.ndarray:
    """For each process in ``procs``: the share of its non-waste outputs (by mass) that are products (goods,
    raw materials, fuels) rather than emissions, water or anything sent to the environment."""
    # per material first (few), then per flow by integer code: no string comparison per flow
    mat_cat = cp.material_category
    waste_m = cp.is_waste_material
    product_m = np.isin(mat_cat, ["product", "raw_material", "fuel"])
    codes = cp.material_codes
    v = np.nan_to_num(cp.value)
    non_waste = ~waste_m[codes] if len(mat_cat) else np.zeros(0, bool)
    env = np.asarray(cp.kind, dtype=object) == "environment"
    to_env = env[cp.tgt]
    product = non_waste & product_m[codes] & ~to_env if len(mat_cat) else np.zeros(0, bool)
    n_p = len(cp.process_ids)
    prod = np.bincount(cp.src[product], weights=v[product], minlength=n_p)
    allnw = np.bincount(cp.src[non_waste], weights=v[non_waste], minlength=n_p)
    return np.where(allnw[procs] > 0, prod[procs] / np.where(allnw[procs] > 0, allnw[procs], 1.0), 0.0)


#: Up to this many transient states the chain is solved by a sparse LU; above, by the Neumann series first.
DIRECT_MAX_STATES = 2000


class _ChainSolver:
    """Solves (I − Q) X = R and its transpose for a substochastic Q (row sums ≤ 1, closed classes cut).

    Small chains: one sparse LU (exact). Large ones: the Neumann series X = R + Q X, iterated until the update
    is below 10⁻¹⁴ of the solution — vectorised sparse × dense products, and on process-level chains of
    random networks two orders of magnitude faster than an LU whose factors fill in (measured in
    bench/bench_trace.py). Where the series converges slowly (material circulating in near-closed loops) it
    falls back to the LU."""

    def __init__(self, Q):
        self.Q = Q.tocsr()
        self.QT = Q.T.tocsr()
        self.n = Q.shape[0]
        self._lu = None
        self.iterative = self.n > DIRECT_MAX_STATES

    def _factor(self):
        if self._lu is None:
            from scipy import sparse
            from scipy.sparse.linalg import splu

            self._lu = splu((sparse.identity(self.n, format="csc") - self.Q).tocsc())
        return self._lu

    def solve(self, R: np.ndarray, transposed: bool = False) -> np.ndarray:
        if self.iterative:
            X = self._neumann(self.QT if transposed else self.Q, R)
            if X is not None:
                return X
        return self._factor().solve(R, trans="T" if transposed else "N")

    @staticmethod
    def _neumann(Q, R: np.ndarray, max_iter: int = 400) -> np.ndarray | None:
        X = np.array(R, dtype=float, copy=True)
        for i in range(max_iter):
            X_new = R + Q @ X
            # the convergence test costs as much as a product: made every fourth step
            if i % 4 == 3:
                scale = float(np.abs(X_new).max(initial=0.0))
                if float(np.abs(X_new - X).max(initial=0.0)) <= 1e-14 * max(scale, 1e-300):
                    return X_new
            X = X_new
        return None


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


def _closed_loop_message(state_keys: np.ndarray, members: np.ndarray, mat_ids, process_ids, n_p: int,
                         traced: bool = False) -> str:
    names = [(f"{mat_ids[state_keys[k] // n_p - 1]}" if state_keys[k] >= n_p else "waste")
             + f" at {process_ids[state_keys[k] % n_p]}" for k in members[:6]]
    return (f"material circulates forever between processes that pass it on with no way out ({'; '.join(names)}): "
            "give one of them an outflow to a fate, or a 'fate' on a flow of the loop")

