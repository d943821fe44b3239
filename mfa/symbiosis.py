"""Industrial symbiosis: which waste could feed which enterprise, how much, at what cost and CO₂ — and the
retrofit park that results.

**Streams.** A stream is a known waste flow (material category in :data:`mfa.conventions.WASTE_CATEGORIES`)
whose fate is *disposed*, *stored* or *discarded* (:func:`mfa.fate.fates`: by default from the target kind —
landfill/treatment = disposed, storage = stored, environment = discarded; a flow's ``fate`` column
overrides). Its producer is the flow's source. Rerouting q t/a of a stream takes q off the flow and sends it
to a user instead; when the stream went into an internal process (a treatment plant or a storage yard), that
process is relieved in turn — first its stock accumulation of the material is reduced (closing stock − q),
then its outflows to landfill and environment shrink proportionally — so every process still balances.

**Users.** Production processes that can take the waste according to the compatibility catalogue
``flows/compatibility.csv`` (see :func:`compatibility`): either

* a *substitution* row (``substitutes`` = a material): users are production processes that take that
  material today; 1 t of waste replaces ``ratio`` (γ) t of it; the virgin demand D is the user's current
  input of the substituted material (from import processes, or from internal suppliers whose surplus is
  then exported through the park's export process); or
* an *acceptance* row (``accepting_group``, no ``substitutes``): users are production processes whose
  ``group`` or ``id`` contains one of the ``|``-separated tokens; nothing is substituted (γ = 0) and the
  user's spare ``capacity`` (t/a of input) limits the tonnes — a user without a capacity is not a candidate.

``accepting_group`` on a substitution row filters its users. A row's waste is a material id or
``category:<category>``. The user's input changes by (1 − γ)·q; that mass difference is booked on the user's
boundary outflows — added to its largest output to an export process (then environment, landfill) when the
input grows, taken proportionally off its outputs to the environment (then export, landfill) when it shrinks
(e.g. less process CO₂ when carbide slag replaces limestone) — so the user still balances. A coupling that
would need such a booking at a user without boundary outflows is not a candidate (noted).

**The optimisation** (after the transportation / fixed-charge formulation of the IS literature, see
``docs/symbiosis.md``): variables q_a ≥ 0 (t/a) per candidate arc a = (stream w, user u);

* supply Σ_u q_wu ≤ S_w; relief at an internal disposal target within its stock accumulation and boundary
  outflows;
* demand Σ_w γ_a q_a ≤ D_{u,m} per user and substituted material;
* capacity Σ_a (1 − γ_a) q_a ≤ capacity_u − current input_u (when the capacity is known);
* ``max_share`` of a catalogue row: the waste may make up at most that share of the user's total input;
* objective: minimise w_u·(−Σq) + w_c·Σ c_a q_a + w_co2·(−Σ e_a q_a) (+ Σ F·y_a with fixed link costs, a
  MILP with binary y_a and q_a ≤ ub_a·y_a), where c_a = transport cost·distance − disposal fee − γ·virgin price
  (CNY/t; negative = saving) and e_a = avoided CO₂ per t − transport CO₂·distance (t CO₂/t).

``objective="utilisation"`` (w_u = 1), ``"cost"`` (w_c = 1) or ``"co2"`` (w_co2 = 1), or any ``weights``.
Solved with HiGHS through :func:`scipy.optimize.linprog` / :func:`scipy.optimize.milp`.

Units: tonnes in t/a, distance in km (haversine on the processes' x = longitude, y = latitude in degrees),
cost in CNY/a, CO₂ in t/a. Prices are not in the catalogue unless sourced: give them with ``prices=`` (a
table material, disposal_fee, virgin_price in CNY/t) and ``transport_cost=`` (CNY per t·km).

>>> import mfa
>>> park = mfa.Park.from_frames(
...     processes=[{"id": "quarry", "name": "Limestone", "kind": "import"},
...                {"id": "pvc", "name": "PVC plant", "kind": "production", "x": 106.8, "y": 39.6},
...                {"id": "cement", "name": "Cement plant", "kind": "production", "x": 106.9, "y": 39.7},
...                {"id": "dump", "name": "Landfill", "kind": "landfill"},
...                {"id": "air", "name": "Atmosphere", "kind": "environment"},
...                {"id": "market", "name": "Market", "kind": "export"}],
...     flows=[{"source": "pvc", "target": "dump", "material": "carbide_slag", "value": 100},
...            {"source": "quarry", "target": "pvc", "material": "limestone", "value": 100},
...            {"source": "quarry", "target": "cement", "material": "limestone", "value": 500},
...            {"source": "cement", "target": "market", "material": "cement", "value": 300},
...            {"source": "cement", "target": "air", "material": "co2", "value": 200}],
...     materials=[{"id": "carbide_slag", "name": "Carbide slag", "category": "industrial_solid_waste"},
...                {"id": "limestone", "name": "Limestone", "category": "raw_material"},
...                {"id": "cement", "name": "Cement", "category": "product"},
...                {"id": "co2", "name": "CO2", "category": "emission"}])
>>> result = discover(park)
>>> result.couplings[["from", "to", "material", "tonnes"]].values.tolist()
[['pvc', 'cement', 'carbide_slag', 100.0]]
>>> retrofit = apply(park, result)
>>> from mfa.mass_balance import balance
>>> bool(balance(retrofit).ok)
True
>>> retrofit.flows.set_index("id").loc["quarry>cement:limestone", "value"].round(1)
np.float64(364.9)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

import numpy as np
import pandas as pd
import scipy.sparse as sp

# the catalogue loaders moved to mfa.catalogue; re-exported here for existing imports
from mfa.catalogue import COMPATIBILITY_COLUMNS, PRICE_COLUMNS, compatibility, read_prices  # noqa: F401
from mfa.conventions import BOUNDARY_KINDS, DEFAULT_FATE_BY_KIND, WASTE_CATEGORIES
from mfa.errors import Issue, MfaError, ParkError, suggest
from mfa.results import LegacyResult

if TYPE_CHECKING:  # pragma: no cover
    from mfa.park import Park

__all__ = ["compatibility", "read_prices", "candidates", "Candidates", "discover", "SymbiosisResult",
           "apply", "haversine_km", "COUPLING_COLUMNS", "COMPATIBILITY_COLUMNS", "OBJECTIVES"]

#: the public columns of the ranked coupling table (issue 6), in this order; extra columns follow them
COUPLING_COLUMNS: tuple[str, ...] = (
    "from", "to", "material", "tonnes", "distance_km", "utilisation_rate_gain", "landfill_avoided",
    "co2_avoided", "cost_change", "delta_fci", "delta_cyclicity")
OBJECTIVES: tuple[str, ...] = ("utilisation", "cost", "co2")
RETROFIT_SUFFIX = " (symbiosis retrofit)"
#: plans with more couplings than this are not assessed coupling by coupling unless asked (each needs a park)
ASSESS_LIMIT = 50
STREAM_FATES = frozenset({"disposed", "stored", "discarded"})
EARTH_RADIUS_KM = 6371.0088  # IUGG mean Earth radius


# --------------------------------------------------------------------------------------------------
# data: compatibility catalogue and prices
# --------------------------------------------------------------------------------------------------
def haversine_km(lon1: Any, lat1: Any, lon2: Any, lat2: Any) -> np.ndarray:
    """Great-circle distance in km between points given in degrees (vectorised; NaN in → NaN out)."""
    lon1, lat1, lon2, lat2 = (np.radians(np.asarray(v, dtype=float)) for v in (lon1, lat1, lon2, lat2))
    a = (np.sin((lat2 - lat1) / 2) ** 2
         + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2)
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


# --------------------------------------------------------------------------------------------------
# candidates
# --------------------------------------------------------------------------------------------------
def _fate_table(park) -> pd.DataFrame:
    try:
        from mfa.fate import fates
    except ImportError:  # pragma: no cover - the fate engine ships with the package
        fates = None
    if fates is not None:
        return fates(park)
    flows = park.flows
    mats = park.materials
    cat = dict(zip(mats["id"], mats["category"]))
    kind = dict(zip(park.processes["id"], park.processes["kind"]))
    f = flows[flows["material"].map(cat).isin(WASTE_CATEGORIES)].reset_index(drop=True)
    tk = f["target"].map(kind)
    own = f["fate"].fillna("").astype(str)
    f["fate"] = own.where(own != "", tk.map(DEFAULT_FATE_BY_KIND).fillna("passed_on"))
    f["source_kind"] = f["source"].map(kind)
    f["target_kind"] = tk
    f["category"] = f["material"].map(cat)
    return f


def _stream_table(park) -> pd.DataFrame:
    """The fate rows of the waste streams: known, positive, fate disposed/stored/discarded, from a process
    inside the park."""
    ft = _fate_table(park)
    return ft[ft["fate"].isin(STREAM_FATES) & ft["value"].notna() & (ft["value"] > 0)
              & ~ft["source_kind"].isin(list(BOUNDARY_KINDS))].reset_index(drop=True)


def _matches(tokens: str, group: pd.Series, ids: pd.Series) -> np.ndarray:
    toks = [t.strip().lower() for t in tokens.split("|") if t.strip()]
    g = group.fillna("").astype(str).str.lower()
    i = ids.astype(str).str.lower()
    hit = np.zeros(len(group), dtype=bool)
    for t in toks:
        hit |= g.str.contains(t, regex=False).to_numpy() | i.str.contains(t, regex=False).to_numpy()
    return hit


@dataclass
class Candidates:
    """Every feasible coupling of a park and the data of the optimisation (all t/a unless stated).

    ``streams``: one row per waste stream (flow, producer, material, category, target, target_kind,
    fate, supply). ``arcs``: one row per candidate coupling (stream, from, to, material, substitutes, ratio,
    distance_km, co2_per_t, cost_per_t, demand_key, max_share, rule row, source, quality_note).
    ``users``: per receiving process: current input, capacity, spare capacity, grow/shrink pools.
    ``relief``: per internal disposal target and material: stock accumulation available and boundary
    outflows that can shrink. ``demand``: per (user, substituted material): D. ``notes``: why candidates were
    left out.
    """

    streams: pd.DataFrame
    arcs: pd.DataFrame
    users: pd.DataFrame
    demand: pd.DataFrame
    relief: pd.DataFrame
    relief_pool: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    existing_inputs: pd.DataFrame | None = None


def candidates(park: "Park", compat: pd.DataFrame | None = None, prices: pd.DataFrame | None = None,
               transport_cost: float | None = None, transport_co2: float | None = None,
               max_distance_km: float | None = None, nearest: int | None = None) -> Candidates:
    """Candidate couplings of ``park`` per the compatibility catalogue (see the module docstring).

    ``prices`` (material, disposal_fee, virgin_price in CNY/t) override the catalogue's prices;
    ``transport_cost`` in CNY per t·km, ``transport_co2`` in t CO₂ per t·km; couplings longer than
    ``max_distance_km`` are left out; with ``nearest=k`` only the k nearest users of each stream are
    candidates for each catalogue row (large parks: the candidate set grows as streams × users otherwise).
    """
    if nearest is not None and nearest < 1:
        raise MfaError("nearest must be at least 1")
    compat = compatibility() if compat is None else compat
    notes: list[str] = []
    procs = park.processes.reset_index(drop=True)
    flows = park.flows.reset_index(drop=True)
    kind = dict(zip(procs["id"], procs["kind"]))
    mats = park.materials
    cat_of = dict(zip(mats["id"], mats["category"]))
    value = flows["value"].to_numpy(dtype=float)
    known = ~np.isnan(value)

    # --- streams -------------------------------------------------------------------------------------
    ft = _stream_table(park)
    streams = pd.DataFrame({
        "stream": ft["id"].astype(object), "producer": ft["source"].astype(object),
        "material": ft["material"].astype(object), "category": ft["material"].map(cat_of).astype(object),
        "target": ft["target"].astype(object), "target_kind": ft["target_kind"].astype(object),
        "fate": ft["fate"].astype(object), "supply": ft["value"].astype(float)})

    # relief at internal disposal targets: stock accumulation of the material, then boundary outflows
    f_src = flows["source"].to_numpy(dtype=object)
    f_tgt = flows["target"].to_numpy(dtype=object)
    f_mat = flows["material"].to_numpy(dtype=object)
    tkind_all = np.array([kind.get(t, "") for t in f_tgt], dtype=object)
    internal_t = streams[~streams["target_kind"].isin(list(BOUNDARY_KINDS))]
    st = park.stocks
    acc = {}
    if len(st):
        d = st["closing"].astype(float) - st["opening"].astype(float)
        for p_, m_, dv in zip(st["process"], st["material"], d):
            if dv > 0:
                acc[(p_, m_)] = float(dv)
    # relief at internal targets, vectorised: (target, material) pairs and each target's boundary outflow
    pairs = (internal_t[["target", "material"]].drop_duplicates()
             .sort_values(["target", "material"], kind="mergesort").reset_index(drop=True))
    acc_s = pd.Series(acc, dtype=float)
    keys = pd.MultiIndex.from_frame(pairs) if len(pairs) else pd.MultiIndex.from_tuples([], names=["t", "m"])
    stock_acc = acc_s.reindex(keys).fillna(0.0).to_numpy() if len(acc_s) else np.zeros(len(pairs))
    relief = pd.DataFrame({"target": pairs["target"].to_numpy(dtype=object),
                           "material": pairs["material"].to_numpy(dtype=object),
                           "stock_accumulation": stock_acc})
    # a stream is never also a relief or booking pool: it has its own supply constraint
    is_stream = flows["id"].isin(set(streams["stream"])).to_numpy()
    to_sink = known & ~is_stream & np.isin(tkind_all, ["landfill", "environment"])
    out_sink = pd.Series(value[to_sink], index=f_src[to_sink]).groupby(level=0).sum()
    t_ids = pairs["target"].drop_duplicates().to_numpy(dtype=object)
    relief_pool = pd.DataFrame({"target": t_ids,
                                "boundary_outflow": out_sink.reindex(t_ids).fillna(0.0).to_numpy(dtype=float)})
    if len(internal_t):
        cap_t = relief.groupby("target")["stock_accumulation"].sum().reindex(relief_pool["target"]).to_numpy() \
            + relief_pool["boundary_outflow"].to_numpy()
        stuck = relief_pool["target"][cap_t <= 0].tolist()
        if stuck:
            notes.append("waste sent to " + ", ".join(stuck) + " cannot be rerouted: these internal "
                         "processes have neither stock accumulation nor outflows to landfill/environment "
                         "that could shrink")

    # --- users -----------------------------------------------------------------------------------------
    prod = procs[procs["kind"] == "production"].reset_index(drop=True)
    uid = prod["id"].to_numpy(dtype=object)
    inflow_total = pd.Series(value[known], index=f_tgt[known]).groupby(level=0).sum()
    cur_in = inflow_total.reindex(uid).fillna(0.0).to_numpy()
    capacity = prod["capacity"].astype(float).to_numpy()
    spare = np.where(np.isnan(capacity), np.inf, np.maximum(capacity - cur_in, 0.0))
    export_ids = procs.loc[procs["kind"] == "export", "id"].tolist()

    # boundary outflows of every user by kind (t/a), one groupby instead of a scan per user
    bmask = known & ~is_stream & np.isin(tkind_all, ["export", "environment", "landfill"])
    bsum = (pd.DataFrame({"u": f_src[bmask], "k": tkind_all[bmask], "v": value[bmask]})
            .groupby(["u", "k"])["v"].sum().unstack("k")
            .reindex(index=uid, columns=["export", "environment", "landfill"]))
    has = bsum.notna().to_numpy()
    vals = bsum.fillna(0.0).to_numpy()
    kinds3 = np.array(["export", "environment", "landfill"], dtype=object)

    def first_kind(order: list[int]) -> tuple[np.ndarray, np.ndarray]:
        k_out = np.full(len(uid), "", dtype=object)
        v_out = np.zeros(len(uid))
        for j in reversed(order):  # the first kind in ``order`` that the user has wins
            k_out = np.where(has[:, j], kinds3[j], k_out)
            v_out = np.where(has[:, j], vals[:, j], v_out)
        return k_out, v_out

    grow_kind, _ = first_kind([0, 1, 2])
    shrink_kind, shrink_cap = first_kind([1, 0, 2])
    users = pd.DataFrame({"user": uid, "name": prod["name"].to_numpy(dtype=object),
                          "group": prod["group"].fillna("").astype(str).to_numpy(dtype=object),
                          "current_input": cur_in, "capacity": capacity, "spare_capacity": spare,
                          "grow_pool": grow_kind, "shrink_pool": shrink_kind, "shrink_capacity": shrink_cap,
                          "x": prod["x"].astype(float).to_numpy(), "y": prod["y"].astype(float).to_numpy()})

    # --- price lookups -----------------------------------------------------------------------------
    fee_of: dict[str, float] = {}
    price_of: dict[str, float] = {}
    for r in compat.itertuples():
        if not np.isnan(r.disposal_fee) and not r.waste.startswith("category:"):
            fee_of.setdefault(r.waste, float(r.disposal_fee))
        if r.substitutes and not np.isnan(r.virgin_price):
            price_of.setdefault(r.substitutes, float(r.virgin_price))
    if prices is not None:
        for r in prices.itertuples():
            if not np.isnan(r.disposal_fee):
                fee_of[r.material] = float(r.disposal_fee)
            if not np.isnan(r.virgin_price):
                price_of[r.material] = float(r.virgin_price)

    # --- arcs: catalogue rows × streams × users (vectorised over users) ------------------------------
    coord = procs.set_index("id")[["x", "y"]].astype(float)
    src_kind_all = np.array([kind.get(s, "") for s in f_src], dtype=object)
    internal_src = ~np.isin(src_kind_all, list(BOUNDARY_KINDS))
    have_export = bool(export_ids)
    demand_rows: dict[tuple[str, str], float] = {}
    arc_parts: list[pd.DataFrame] = []
    skipped_balance: set[tuple[str, str]] = set()
    skipped_capacity: set[str] = set()
    n_dropped = 0
    for row in compat.itertuples():
        if row.waste.startswith("category:"):
            s_mask = (streams["category"] == row.waste.split(":", 1)[1]).to_numpy()
        else:
            s_mask = (streams["material"] == row.waste).to_numpy()
        if not s_mask.any():
            continue
        eligible = np.ones(len(users), dtype=bool)
        if row.accepting_group:
            eligible &= _matches(row.accepting_group, users["group"], users["user"])
        gamma = float(row.ratio)
        if row.substitutes:
            rep = (f_mat == row.substitutes) & known & (value > 0) & (
                np.isin(src_kind_all, ["import", "environment"]) | (internal_src & have_export))
            dem = pd.Series(value[rep], index=f_tgt[rep]).groupby(level=0).sum()
            d_u = dem.reindex(users["user"]).fillna(0.0).to_numpy()
            eligible &= d_u > 0
        else:
            d_u = np.full(len(users), np.inf)
            no_cap = eligible & np.isinf(users["spare_capacity"].to_numpy())
            skipped_capacity.update(users["user"][no_cap])
            eligible &= ~np.isinf(users["spare_capacity"].to_numpy())
            eligible &= users["spare_capacity"].to_numpy() > 0
        if gamma < 1:
            ok_bal = users["grow_pool"].to_numpy() != ""
        elif gamma > 1:
            ok_bal = users["shrink_capacity"].to_numpy() > 0
        else:
            ok_bal = np.ones(len(users), dtype=bool)
        for u in users["user"][eligible & ~ok_bal]:
            skipped_balance.add((u, row.waste))
        eligible &= ok_bal
        if not eligible.any():
            continue
        st_sel = streams[s_mask]
        us = users[eligible]
        d_sel = d_u[eligible]
        if row.substitutes:
            for u, dv in zip(us["user"], d_sel):
                demand_rows[(u, row.substitutes)] = float(dv)
        if nearest is not None and len(us) > nearest:
            # only the k nearest users of each stream (distance matrix in numpy, no product table)
            px = coord["x"].reindex(st_sel["producer"]).to_numpy()
            py = coord["y"].reindex(st_sel["producer"]).to_numpy()
            D = haversine_km(px[:, None], py[:, None], us["x"].to_numpy()[None, :], us["y"].to_numpy()[None, :])
            D = np.where(np.isnan(D), np.inf, D)
            u_ids = us["user"].to_numpy(dtype=object)[None, :]
            self_ = ((st_sel["producer"].to_numpy(dtype=object)[:, None] == u_ids)
                     | (st_sel["target"].to_numpy(dtype=object)[:, None] == u_ids))
            D = np.where(self_, np.inf, D)  # a producer is not its own user
            near = np.argpartition(D, nearest - 1, axis=1)[:, :nearest]
            si = np.repeat(np.arange(len(st_sel)), nearest)
            ui = near.ravel()
            n_dropped += len(st_sel) * (len(us) - nearest)
        else:  # every stream × every user
            si = np.repeat(np.arange(len(st_sel)), len(us))
            ui = np.tile(np.arange(len(us)), len(st_sel))
        a = pd.DataFrame({
            "stream": st_sel["stream"].to_numpy(dtype=object)[si],
            "from": st_sel["producer"].to_numpy(dtype=object)[si],
            "to": us["user"].to_numpy(dtype=object)[ui],
            "material": st_sel["material"].to_numpy(dtype=object)[si],
            "disposal_target": st_sel["target"].to_numpy(dtype=object)[si],
            "disposal_kind": st_sel["target_kind"].to_numpy(dtype=object)[si],
            "supply": st_sel["supply"].to_numpy()[si],
        })
        keep = (a["from"] != a["to"]) & (a["disposal_target"] != a["to"])
        a = a[keep.to_numpy()].copy()
        if not len(a):
            continue
        a["substitutes"] = row.substitutes
        a["ratio"] = gamma
        a["max_share"] = row.max_share
        a["co2_per_t"] = 0.0 if np.isnan(row.co2_avoided) else float(row.co2_avoided)
        a["co2_known"] = not np.isnan(row.co2_avoided)
        a["rule"] = int(row.row)
        a["source"] = row.source
        a["quality_note"] = row.quality_note
        a["accepting_group"] = row.accepting_group
        arc_parts.append(a)
    cols = ["stream", "from", "to", "material", "disposal_target", "disposal_kind", "supply", "substitutes", "ratio",
            "max_share", "co2_per_t", "co2_known", "rule", "source", "quality_note", "accepting_group"]
    arcs = (pd.concat(arc_parts, ignore_index=True) if arc_parts
            else pd.DataFrame({c: pd.Series(dtype=object) for c in cols}))
    # one coupling per (stream, user): the first catalogue row that matches wins (catalogue order = priority)
    arcs = arcs.drop_duplicates(subset=["stream", "to"], keep="first").reset_index(drop=True)
    if len(arcs):
        x1 = coord["x"].reindex(arcs["from"]).to_numpy()
        y1 = coord["y"].reindex(arcs["from"]).to_numpy()
        x2 = coord["x"].reindex(arcs["to"]).to_numpy()
        y2 = coord["y"].reindex(arcs["to"]).to_numpy()
        dist = haversine_km(x1, y1, x2, y2)
        arcs["distance_km"] = dist
        if np.isnan(dist).any():
            notes.append(f"{int(np.isnan(dist).sum())} candidate coupling(s) without coordinates (x, y) "
                         f"at both ends: distance unknown, no transport cost or CO₂ counted")
        if max_distance_km is not None:
            far = dist > max_distance_km
            if far.any():
                notes.append(f"{int(far.sum())} candidate coupling(s) longer than {max_distance_km:g} km "
                             f"left out")
            arcs = arcs[~far].reset_index(drop=True)
        d0 = np.nan_to_num(arcs["distance_km"].to_numpy(dtype=float))
        fee = arcs["material"].map(fee_of).astype(float).to_numpy()
        vp = arcs["substitutes"].map(price_of).astype(float).to_numpy()
        gamma = arcs["ratio"].to_numpy(dtype=float)
        tc = 0.0 if transport_cost is None else float(transport_cost)
        cost = tc * d0 - np.nan_to_num(fee) - gamma * np.nan_to_num(vp)
        priced = ~np.isnan(fee) | (~np.isnan(vp) & (gamma > 0)) | (transport_cost is not None)
        arcs["cost_per_t"] = np.where(priced, cost, np.nan)
        arcs["transport_t_km"] = d0
        te = 0.0 if transport_co2 is None else float(transport_co2)
        arcs["co2_per_t"] = arcs["co2_per_t"].to_numpy(dtype=float) - te * d0
        arcs = arcs.reset_index(drop=True)
    else:
        for c in ("distance_km", "cost_per_t", "transport_t_km"):
            arcs[c] = pd.Series(dtype=float)
    if n_dropped:
        notes.append(f"only the {nearest} nearest users of each stream considered per catalogue row "
                     f"({n_dropped:,} farther candidate couplings left out)")
    if skipped_capacity:
        notes.append("no capacity given for " + ", ".join(sorted(skipped_capacity)) + ": acceptance couplings "
                     "(no substituted material) need a capacity (t/a of input) to bound them")
    if skipped_balance:
        notes.append("left out for lack of a boundary outflow to book the mass difference (1 − ratio)·q: "
                     + ", ".join(f"{w}→{u}" for u, w in sorted(skipped_balance)))
    demand = pd.DataFrame([{"user": u, "material": m_, "demand": d_} for (u, m_), d_ in
                           sorted(demand_rows.items())], columns=["user", "material", "demand"])
    existing = pd.DataFrame({"target": f_tgt[known], "material": f_mat[known], "value": value[known]})
    return Candidates(streams=streams, arcs=arcs, users=users, demand=demand, relief=relief,
                      relief_pool=relief_pool, notes=notes, existing_inputs=existing)


# --------------------------------------------------------------------------------------------------
# optimisation
# --------------------------------------------------------------------------------------------------
def _weights(objective: str, weights: Mapping[str, float] | None) -> dict[str, float]:
    if weights:
        bad = set(weights) - set(OBJECTIVES)
        if bad:
            raise MfaError(f"unknown weight(s) {sorted(bad)}; use " + ", ".join(OBJECTIVES))
        w = {k: float(weights.get(k, 0.0)) for k in OBJECTIVES}
        if not any(w.values()):
            raise MfaError("all weights are 0: nothing to optimise")
        return w
    if objective not in OBJECTIVES:
        raise MfaError(f"unknown objective {objective!r}; use one of " + ", ".join(OBJECTIVES)
                       + (f" — {suggest(objective, OBJECTIVES)}" if suggest(objective, OBJECTIVES) else ""))
    return {k: (1.0 if k == objective else 0.0) for k in OBJECTIVES}


def build_problem(c: Candidates, w: dict[str, float], fixed_cost: float | None = None):
    """The LP / MILP of :class:`Candidates` as arrays: (cost vector, A_ub (sparse), b_ub, upper bounds,
    number of arc variables, integrality or None)."""
    arcs = c.arcs
    n = len(arcs)
    gamma = arcs["ratio"].to_numpy(dtype=float)
    rows, cols, vals, rhs = [], [], [], []
    r = 0

    def add(row_idx: np.ndarray, col_idx: np.ndarray, v: np.ndarray, b: np.ndarray) -> None:
        nonlocal r
        rows.append(row_idx + r)
        cols.append(col_idx)
        vals.append(v)
        rhs.append(b)
        r += len(b)

    # supply per stream
    s_codes, s_uni = pd.factorize(arcs["stream"])
    supply = arcs.groupby(s_codes)["supply"].first().to_numpy(dtype=float)
    add(s_codes, np.arange(n), np.ones(n), supply)
    # relief at internal targets: Σ_(t,m) q − u_tm ≤ acc_tm ; Σ_m u_tm ≤ B_t   (u = extra variables)
    n_aux = 0
    if len(c.relief):
        key_arc = arcs["disposal_target"].astype(str) + "\x00" + arcs["material"].astype(str)
        key_rel = c.relief["target"].astype(str) + "\x00" + c.relief["material"].astype(str)
        rel_idx = pd.Index(key_rel).get_indexer(key_arc)
        on = rel_idx >= 0
        n_aux = len(c.relief)
        aux0 = n
        add(rel_idx[on], np.flatnonzero(on), np.ones(int(on.sum())), c.relief["stock_accumulation"].to_numpy(
            dtype=float))
        rows[-1] = np.concatenate([rows[-1], np.arange(n_aux) + r - n_aux])
        cols[-1] = np.concatenate([cols[-1], aux0 + np.arange(n_aux)])
        vals[-1] = np.concatenate([vals[-1], -np.ones(n_aux)])
        t_idx = pd.Index(c.relief_pool["target"]).get_indexer(c.relief["target"])
        add(t_idx, aux0 + np.arange(n_aux), np.ones(n_aux), c.relief_pool["boundary_outflow"].to_numpy(
            dtype=float))
    # demand per (user, substituted material)
    sub = arcs["substitutes"].astype(str).to_numpy()
    has_sub = sub != ""
    if has_sub.any() and len(c.demand):
        key_arc = arcs["to"].astype(str) + "\x00" + arcs["substitutes"].astype(str)
        key_dem = c.demand["user"].astype(str) + "\x00" + c.demand["material"].astype(str)
        d_idx = pd.Index(key_dem).get_indexer(key_arc)
        on = (d_idx >= 0) & has_sub
        add(d_idx[on], np.flatnonzero(on), gamma[on], c.demand["demand"].to_numpy(dtype=float))
    u_codes = pd.Index(c.users["user"]).get_indexer(arcs["to"])
    # capacity: Σ (1 − γ) q ≤ spare (finite only)
    spare = c.users["spare_capacity"].to_numpy(dtype=float)
    fin = np.isfinite(spare)
    if fin.any():
        umap = np.full(len(c.users), -1)
        umap[fin] = np.arange(int(fin.sum()))
        on = umap[u_codes] >= 0
        add(umap[u_codes][on], np.flatnonzero(on), (1.0 - gamma)[on], spare[fin])
    # shrink pool: Σ (γ − 1) q ≤ outflows that can shrink
    add(u_codes, np.arange(n), gamma - 1.0, c.users["shrink_capacity"].to_numpy(dtype=float))
    # max_share per (user, catalogue row): Σ_row q − s Σ_all (1−γ) q ≤ s·I0 − existing
    share = arcs["max_share"].to_numpy(dtype=float)
    has_share = ~np.isnan(share)
    if has_share.any():
        grp = arcs.loc[has_share, ["to", "rule"]].astype(str).agg("\x00".join, axis=1)
        g_codes, g_uni = pd.factorize(grp)
        ng = len(g_uni)
        g_user = arcs.loc[has_share, "to"].to_numpy(dtype=object)
        g_share = share[has_share]
        first = pd.Series(np.arange(int(has_share.sum()))).groupby(g_codes).first().to_numpy()
        grp_user = g_user[first]
        grp_share = g_share[first]
        # every arc into the group's user contributes −s(1−γ)
        rr, cc, vv = [g_codes], [np.flatnonzero(has_share)], [np.ones(int(has_share.sum()))]
        pairs = pd.DataFrame({"user": grp_user, "g": np.arange(ng)}).merge(
            pd.DataFrame({"user": arcs["to"].to_numpy(dtype=object), "a": np.arange(n)}), on="user")
        gi, ai = pairs["g"].to_numpy(), pairs["a"].to_numpy()
        rr.append(gi)
        cc.append(ai)
        vv.append(-grp_share[gi] * (1.0 - gamma[ai]))
        existing = _existing_share_inputs(c, arcs, has_share, first, grp_user)
        i0 = c.users.set_index("user")["current_input"].reindex(grp_user).to_numpy(dtype=float)
        b = grp_share * i0 - existing
        add(np.concatenate(rr), np.concatenate(cc), np.concatenate(vv), b)

    nvar = n + n_aux
    A = sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(r, nvar))
    b_ub = np.concatenate(rhs)
    # objective (min): −w_u Σq + w_c Σ cost q − w_co2 Σ co2 q ; tiny distance tie-break for determinism
    cost = np.nan_to_num(arcs["cost_per_t"].to_numpy(dtype=float))
    co2 = arcs["co2_per_t"].to_numpy(dtype=float)
    dist = np.nan_to_num(arcs["distance_km"].to_numpy(dtype=float))
    # ties between equally good plans are broken, in this order, towards waste that would be landfilled,
    # towards more CO₂ avoided and towards shorter hauls; the weights are far below any real objective
    landfilled = (arcs["disposal_kind"].astype(str).to_numpy() == "landfill") if "disposal_kind" in arcs else 0.0
    tie = (-1e-6 * landfilled - 1e-8 * np.clip(co2, -1e3, 1e3)
           + 1e-9 * (1.0 + dist / (1.0 + (dist.max() if n else 0.0))))
    obj = -w["utilisation"] * np.ones(n) + w["cost"] * cost - w["co2"] * co2 + tie
    ub = arcs["supply"].to_numpy(dtype=float).copy()
    pos = gamma > 0
    dem_u = np.full(n, np.inf)
    if has_sub.any() and len(c.demand):
        key_arc = arcs["to"].astype(str) + "\x00" + arcs["substitutes"].astype(str)
        key_dem = c.demand["user"].astype(str) + "\x00" + c.demand["material"].astype(str)
        d_idx = pd.Index(key_dem).get_indexer(key_arc)
        ok = d_idx >= 0
        dem_u[ok] = c.demand["demand"].to_numpy(dtype=float)[d_idx[ok]]
    ub[pos] = np.minimum(ub[pos], dem_u[pos] / gamma[pos])
    c_full = np.concatenate([obj, np.zeros(n_aux)])
    ub_full = np.concatenate([ub, np.full(n_aux, np.inf)])
    integrality = None
    if fixed_cost is not None and fixed_cost > 0:
        if w["cost"] == 0:
            raise MfaError("fixed link costs are a cost: use objective 'cost' or give a cost weight")
        # binary y_a per arc: q_a − ub_a·y_a ≤ 0 ; objective + w_c·F·y_a
        big = np.where(np.isfinite(ub), ub, arcs["supply"].to_numpy(dtype=float))
        link = sp.csr_matrix((np.concatenate([np.ones(n), -big]),
                              (np.concatenate([np.arange(n), np.arange(n)]),
                               np.concatenate([np.arange(n), nvar + np.arange(n)]))), shape=(n, nvar + n))
        A = sp.vstack([sp.hstack([A, sp.csr_matrix((A.shape[0], n))]), link]).tocsr()
        b_ub = np.concatenate([b_ub, np.zeros(n)])
        c_full = np.concatenate([c_full, np.full(n, w["cost"] * float(fixed_cost))])
        ub_full = np.concatenate([ub_full, np.ones(n)])
        integrality = np.concatenate([np.zeros(nvar), np.ones(n)])
    return c_full, A, b_ub, ub_full, n, integrality


def _existing_share_inputs(c: Candidates, arcs: pd.DataFrame, has_share: np.ndarray, first: np.ndarray,
                           grp_user: np.ndarray) -> np.ndarray:
    # tonnes of the row's waste material(s) the user already takes (they count towards the share)
    sub = arcs.loc[has_share].reset_index(drop=True)
    out = np.zeros(len(first))
    existing = c.existing_inputs
    for gi, fi in enumerate(first):
        mats = set(sub.loc[sub["rule"] == sub.loc[fi, "rule"], "material"])
        if existing is not None:
            out[gi] = float(existing[(existing["target"] == grp_user[gi])
                                     & existing["material"].isin(mats)]["value"].sum())
    return out


def solve(c: Candidates, objective: str = "utilisation", weights: Mapping[str, float] | None = None,
          fixed_cost: float | None = None) -> tuple[np.ndarray, dict[str, Any]]:
    """Solve the coupling LP (or MILP with ``fixed_cost`` CNY per link per year) with HiGHS.

    Returns (tonnes per candidate arc, info dict with status, objective value, solver, variables,
    constraints, seconds)."""
    import time

    from scipy.optimize import Bounds, LinearConstraint, linprog, milp

    w = _weights(objective, weights)
    n = len(c.arcs)
    if n == 0:
        return np.zeros(0), {"status": "no candidates", "objective_value": 0.0, "solver": None,
                             "variables": 0, "constraints": 0, "seconds": 0.0, "weights": w}
    cost, A, b, ub, n_arcs, integ = build_problem(c, w, fixed_cost)
    t0 = time.perf_counter()
    if integ is None:
        res = linprog(cost, A_ub=A, b_ub=b, bounds=np.column_stack([np.zeros(len(ub)), ub]), method="highs")
        solver = "linprog(highs)"
        ok = res.status == 0
        x = res.x if ok else None
        fun = res.fun if ok else None
    else:
        res = milp(cost, constraints=LinearConstraint(A, -np.inf, b), integrality=integ,
                   bounds=Bounds(np.zeros(len(ub)), ub), options={"disp": False})
        solver = "milp(highs)"
        ok = res.status == 0
        x = res.x if ok else None
        fun = res.fun if ok else None
    secs = time.perf_counter() - t0
    if not ok:
        raise MfaError(f"the coupling optimisation failed ({solver}): {res.message} "
                       f"[{n_arcs} candidate couplings, {A.shape[0]} constraints]")
    q = np.clip(x[:n_arcs], 0.0, None)
    supply = c.arcs["supply"].to_numpy(dtype=float)
    q[q < 1e-7 * np.maximum(1.0, supply)] = 0.0
    return q, {"status": "optimal", "objective_value": float(fun), "solver": solver, "variables": len(cost),
               "constraints": int(A.shape[0]), "seconds": secs, "weights": w}


# --------------------------------------------------------------------------------------------------
# applying a plan
# --------------------------------------------------------------------------------------------------
def _plan_frame(park, plan: Any) -> pd.DataFrame:
    if isinstance(plan, SymbiosisResult):
        return plan.couplings
    frame = plan if isinstance(plan, pd.DataFrame) else pd.DataFrame(list(plan))
    need = {"from", "to", "material", "tonnes"}
    missing = need - set(frame.columns)
    if missing:
        raise MfaError(f"a symbiosis plan needs the columns from, to, material, tonnes (missing: "
                       f"{', '.join(sorted(missing))})")
    if not {"stream", "substitutes", "ratio"} <= set(frame.columns):
        cands = candidates(park).arcs
        rows = []
        for d in frame.to_dict("records"):
            m = cands[(cands["from"] == d["from"]) & (cands["to"] == d["to"]) & (cands["material"] == d["material"])]
            if not len(m):
                raise MfaError(f"no compatible coupling {d['from']} → {d['to']} for {d['material']} in the "
                               f"catalogue (flows/compatibility.csv)")
            first = m.iloc[0]
            for k in ("stream", "substitutes", "ratio", "source"):
                if k not in d:
                    d[k] = first[k]
            rows.append(d)
        frame = pd.DataFrame(rows)
    return frame


def apply(park: "Park", plan: Any) -> "Park":
    """The retrofit park: ``plan`` (a :class:`SymbiosisResult`, or a table with from, to, material, tonnes
    and optionally stream, substitutes, ratio) applied to ``park``.

    For every coupling q t/a is taken off the stream (and the disposal target relieved), a flow producer →
    user of q t/a is added (route ``symbiosis``), the user's input of the substituted material drops by γ·q
    (imports first, then internal suppliers whose surplus goes to the park's export process) and the mass
    difference (1 − γ)·q is booked on the user's boundary outflows (module docstring). Every process that
    balanced still balances; transfer coefficients of changed processes are recomputed, relative
    uncertainties kept. Returns a new, validated Park (``park.replace``); raises :class:`MfaError` if a
    plan asks for more than a stream, a demand or an outflow holds.
    """
    frame = _plan_frame(park, plan)
    procs = park.processes
    kind = dict(zip(procs["id"], procs["kind"]))
    flows = park.flows.reset_index(drop=True).copy()
    value = flows["value"].to_numpy(dtype=float).copy()
    old_value = value.copy()
    stocks = park.stocks.reset_index(drop=True).copy()
    new_rows: list[dict] = []
    export_ids = sorted(procs.loc[procs["kind"] == "export", "id"])
    src = flows["source"].to_numpy(dtype=object)
    tgt = flows["target"].to_numpy(dtype=object)
    mat = flows["material"].to_numpy(dtype=object)
    fid = flows["id"].to_numpy(dtype=object)
    tkind = np.array([kind.get(t, "") for t in tgt], dtype=object)
    skind = np.array([kind.get(s, "") for s in src], dtype=object)
    known = ~np.isnan(value)
    is_stream = flows["id"].isin(set(_stream_table(park)["id"])).to_numpy()
    notes_col = flows["note"].fillna("").astype(str).to_numpy(dtype=object).copy()
    eps = 1e-9

    # index maps built once: every coupling then touches only the few flows it concerns
    nidx = np.arange(len(flows))
    ok_pool = known & ~is_stream

    def groups(mask: np.ndarray, *keys: np.ndarray) -> dict:
        if not mask.any():
            return {}
        sel = nidx[mask]
        by = [k[mask] for k in keys] if len(keys) > 1 else keys[0][mask]
        return {k: sel[v] for k, v in pd.Series(sel).groupby(by).indices.items()}

    pos_of = {f: i for i, f in zip(nidx[::-1], fid[::-1])}  # first occurrence wins
    key_of = {k: i for i, k in zip(nidx[known][::-1], zip(src[known][::-1], tgt[known][::-1], mat[known][::-1]))}
    out_by_kind = groups(ok_pool & np.isin(tkind, ["export", "environment", "landfill"]), src, tkind)
    sink_of = groups(ok_pool & np.isin(tkind, ["landfill", "environment"]), src)
    in_by_mat = groups(known, tgt, mat)
    stock_row = {(p_, m_): j for j, (p_, m_) in enumerate(zip(stocks["process"], stocks["material"]))}
    new_key: dict[tuple, dict] = {}
    empty = np.zeros(0, dtype=int)

    def take(idx: np.ndarray, amount: float, what: str) -> None:
        """Reduce the flows ``idx`` proportionally by ``amount`` (t/a)."""
        if amount <= 0:
            return
        avail = float(value[idx].sum())
        if amount > avail * (1 + 1e-9) + eps:
            raise MfaError(f"cannot take {amount:,.3f} t/a off {what}: only {avail:,.3f} t/a there")
        value[idx] -= amount * value[idx] / avail
        value[idx] = np.maximum(value[idx], 0.0)

    def add_flow(s: str, t: str, m: str, amount: float, route: str, note: str) -> None:
        if amount <= 0:
            return
        i = key_of.get((s, t, m))
        if i is not None:
            # the exchange exists already: it grows, and its note says by how much and why
            value[i] += amount
            notes_col[i] = "; ".join(x for x in (notes_col[i], f"+{amount:,.1f} t/a: {note}") if x)
            return
        r = new_key.get((s, t, m))
        if r is not None:
            r["value"] += amount
            return
        r = {"id": "", "source": s, "target": t, "material": m, "value": amount, "sigma": np.nan,
             "tc": np.nan, "tc_sigma": np.nan, "route": route, "fate": "", "year": pd.NA,
             "note": note, "estimated": False, "activity": ""}
        new_rows.append(r)
        new_key[(s, t, m)] = r

    for d in frame.to_dict("records"):
        q = float(d["tonnes"])
        if not q > 0:
            continue
        p, u, m = str(d["from"]), str(d["to"]), str(d["material"])
        if kind.get(u) != "production":
            raise MfaError(f"coupling {p} → {u}: the user must be a production process")
        gamma = float(d.get("ratio", 0.0) or 0.0)
        sub = d.get("substitutes", "")
        sub = "" if sub is None or (isinstance(sub, float) and math.isnan(sub)) else str(sub)
        k = pos_of.get(d.get("stream"))
        if k is None:
            raise MfaError(f"coupling {p} → {u}: stream flow {d.get('stream')!r} not in the park")
        k = int(k)
        if value[k] + eps < q * (1 - 1e-9):
            raise MfaError(f"coupling {p} → {u}: {q:,.3f} t/a asked but stream {fid[k]} carries "
                           f"{value[k]:,.3f} t/a")
        value[k] = max(value[k] - q, 0.0)
        t = tgt[k]
        if kind.get(t) not in BOUNDARY_KINDS:
            rem = q
            j = stock_row.get((t, m))
            if j is not None:
                acc = float(stocks.at[j, "closing"]) - float(stocks.at[j, "opening"])
                use = min(rem, max(acc, 0.0))
                stocks.at[j, "closing"] = float(stocks.at[j, "closing"]) - use
                rem -= use
            take(sink_of.get(t, empty), rem, f"the outflows of {t} to landfill/environment")
        note = (f"symbiosis retrofit: {m} from {p} instead of {kind.get(t)} {t}"
                + (f"; replaces {gamma * q:,.1f} t/a {sub} (ratio {gamma:g})" if sub else "")
                + (f"; source {d.get('source')}" if d.get("source") else ""))
        add_flow(p, u, m, q, "symbiosis", note)
        if sub and gamma > 0:
            x = gamma * q
            into = in_by_mat.get((u, sub), empty)
            imp = into[np.isin(skind[into], ["import", "environment"])]
            a_imp = float(value[imp].sum())
            take(imp, min(x, a_imp), f"the imports of {sub} into {u}")
            rest = x - min(x, a_imp)
            if rest > eps:
                idx = into[~np.isin(skind[into], list(BOUNDARY_KINDS))]
                avail = float(value[idx].sum())
                if rest > avail * (1 + 1e-9) + eps or not export_ids:
                    raise MfaError(f"coupling {p} → {u}: {x:,.3f} t/a of {sub} to replace but {u} takes "
                                   f"only {a_imp + avail:,.3f} t/a that can be replaced")
                shares = value[idx] / avail
                take(idx, rest, f"the supply of {sub} to {u}")
                for i_, s_ in zip(idx, shares):
                    add_flow(str(src[i_]), export_ids[0], sub, rest * s_, "symbiosis_surplus",
                             f"surplus {sub} after the symbiosis retrofit of {u}")
        delta = (1.0 - (gamma if sub else 0.0)) * q
        if delta > eps:
            for k_ in ("export", "environment", "landfill"):
                cand = out_by_kind.get((u, k_), empty)
                if len(cand):
                    value[cand[np.argmax(value[cand])]] += delta
                    break
            else:
                raise MfaError(f"coupling {p} → {u}: {u} has no outflow to a boundary process to carry the "
                               f"extra {delta:,.3f} t/a")
        elif delta < -eps:
            for k_ in ("environment", "export", "landfill"):
                m_ = out_by_kind.get((u, k_), empty)
                if len(m_):
                    take(m_, -delta, f"the outflows of {u} to {k_}")
                    break
            else:
                raise MfaError(f"coupling {p} → {u}: {u} has no outflow to a boundary process to shrink by "
                               f"{-delta:,.3f} t/a")

    changed = known & (np.abs(value - old_value) > 1e-12 * np.maximum(1.0, np.abs(old_value)))
    out = flows.copy()
    out["value"] = value
    out["note"] = notes_col
    sig = out["sigma"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["sigma"] = np.where(changed & (old_value > 0), sig * value / old_value, sig)
    if new_rows:
        out = pd.concat([out, pd.DataFrame(new_rows)], ignore_index=True)
    gone = changed & (value <= 1e-12)
    gone = np.concatenate([gone, np.zeros(len(out) - len(flows), dtype=bool)])
    out = out[~gone].reset_index(drop=True)
    # transfer coefficients of processes whose inputs or outputs changed: tc = flow / total input of source
    touched = set(src[changed]) | set(tgt[changed]) | {r["source"] for r in new_rows} | {
        r["target"] for r in new_rows}
    v = out["value"].to_numpy(dtype=float)
    tot_in = pd.Series(v, index=out["target"].to_numpy(dtype=object)).groupby(level=0).sum(min_count=1)
    has_tc = out["tc"].notna().to_numpy() & out["source"].isin(touched).to_numpy()
    if has_tc.any():
        denom = out.loc[has_tc, "source"].map(tot_in).to_numpy(dtype=float)
        out.loc[has_tc, "tc"] = np.where(denom > 0, v[has_tc] / denom, np.nan)
    _check_residuals_kept(park.flows, park.stocks, out, stocks, "the symbiosis retrofit",
                          skip={p_ for p_, k_ in kind.items() if k_ in BOUNDARY_KINDS})
    changes: dict[str, Any] = {"flows": out, "stocks": stocks}
    name = park.info.name
    if not name.endswith(RETROFIT_SUFFIX):
        changes["info"] = {"name": name + RETROFIT_SUFFIX}
    generated = out["activity"].fillna("").astype(str) != ""
    if generated.any():
        gen_changed = set(fid[changed]) & set(out.loc[generated, "id"])
        if gen_changed:
            # a generated flow changed: freeze the generated flows as data (activities dropped)
            out.loc[generated, "activity"] = ""
            changes["activities"] = park.activities.iloc[0:0]
    return park.replace(**changes)


def _residuals(flows: pd.DataFrame, stocks: pd.DataFrame) -> pd.Series:
    v = flows["value"].to_numpy(dtype=float)
    ok = ~np.isnan(v)
    inn = pd.Series(v[ok], index=flows["target"].to_numpy(dtype=object)[ok]).groupby(level=0).sum()
    out = pd.Series(v[ok], index=flows["source"].to_numpy(dtype=object)[ok]).groupby(level=0).sum()
    ds = (stocks["closing"].astype(float) - stocks["opening"].astype(float)).fillna(0.0)
    dst = pd.Series(ds.to_numpy(), index=stocks["process"].to_numpy(dtype=object)).groupby(level=0).sum()
    idx = inn.index.union(out.index).union(dst.index)
    return inn.reindex(idx, fill_value=0.0) - out.reindex(idx, fill_value=0.0) - dst.reindex(idx, fill_value=0.0)


def _check_residuals_kept(flows0, stocks0, flows1, stocks1, what: str, skip: set | None = None) -> None:
    """Nothing lost: every process keeps its residual (inputs − outputs − Δstock, t/a) through an edit."""
    r0 = _residuals(flows0, stocks0)
    r1 = _residuals(flows1, stocks1)
    idx = r0.index.union(r1.index)
    if skip:
        idx = idx.difference(list(skip))
    d = (r1.reindex(idx, fill_value=0.0) - r0.reindex(idx, fill_value=0.0)).abs()
    scale = flows0["value"].abs().max() if len(flows0) else 1.0
    bad = d[d > 1e-9 * max(1.0, float(np.nan_to_num(scale)))]
    if len(bad):  # pragma: no cover - a bug, not a user error
        raise RuntimeError(f"{what} changed the balance of {', '.join(map(str, bad.index[:5]))} "
                           f"(by up to {bad.max():.6g} t/a); this is a bug in circular-mfa")


# --------------------------------------------------------------------------------------------------
# assessment and the result
# --------------------------------------------------------------------------------------------------
#: the official rate that a coupling of a waste category changes (ids of :func:`mfa.indicators`)
RATE_BY_CATEGORY: dict[str, str] = {
    "industrial_solid_waste": "industrial_solid_waste_utilisation_rate",
    "straw": "straw_utilisation_rate",
    "manure": "manure_utilisation_rate",
    "hazardous_waste": "hazardous_waste_utilisation_disposal_rate",
    "renewable_resource": "renewable_resource_recovery_rate",
    "construction_waste": "construction_waste_utilisation_rate",
}


def utilisation_rates(park: "Park") -> dict[str, float | None]:
    """Utilisation rate (fraction 0–1) per waste category: the official indicator of
    :data:`RATE_BY_CATEGORY` from :func:`mfa.indicators` (which follows the material through
    collection and storage and counts prior-year storage), or the category's ``utilisation_rate`` of
    ``by_category`` for a category without an official rate. ``None`` when the denominator is 0."""
    from mfa.utilisation import indicators

    res = indicators(park, targets=False)
    out: dict[str, float | None] = {}
    tab = res.table.set_index("id")["value"]
    for cat, v in zip(res.by_category["category"], res.by_category["utilisation_rate"]):
        rid = RATE_BY_CATEGORY.get(str(cat))
        if rid is not None and rid in tab.index:
            v = tab[rid]
        out[str(cat)] = None if v is None or pd.isna(v) else float(v)
    return out


def _landfilled(park) -> float:
    kinds = dict(zip(park.processes["id"], park.processes["kind"]))
    f = park.flows
    m = f["target"].map(kinds) == "landfill"
    return float(f.loc[m, "value"].sum())


class SymbiosisResult(LegacyResult):
    """A coupling plan for a park.

    ``couplings``: the ranked table — columns from, to, material, tonnes (t/a), distance_km,
    utilisation_rate_gain (fraction, change of the rate of the material's category), landfill_avoided (t/a),
    co2_avoided (t/a; NaN when the catalogue row has no sourced CO₂ factor), cost_change (CNY/a, negative =
    saving; NaN when nothing is priced), delta_fci,
    delta_cyclicity (change of the park's total-mass network metrics when this coupling alone is added),
    then rank, stream, disposal_target, substitutes, ratio, virgin_avoided, source, quality_note.
    ``candidates``: every candidate arc with its optimal tonnes. ``summary``: totals and the metrics before
    and after the whole plan. ``notes``. :meth:`retrofit` returns the retrofit park.
    """

    title = "Symbiosis plan"

    def __init__(self, park, couplings: pd.DataFrame, candidates: pd.DataFrame, summary: dict[str, Any],
                 notes: list[str], info: dict[str, Any]):
        self._park = park
        self.couplings = couplings
        self.candidates = candidates
        self.summary = summary
        self.notes = notes
        self.info = info
        self._retrofit = None

    def retrofit(self) -> "Park":
        """The retrofit park (:func:`apply` of this plan), cached."""
        if self._retrofit is None:
            self._retrofit = apply(self._park, self)
        return self._retrofit

    def to_dict(self) -> dict[str, Any]:
        from mfa.results import jsonable

        return jsonable({
            "park": self._park.info.name,
            "objective": self.info.get("objective"),
            "weights": self.info.get("weights"),
            "solver": self.info.get("solver"),
            "status": self.info.get("status"),
            "objective_value": self.info.get("objective_value"),
            "summary": self.summary,
            "couplings": self.couplings,
            "notes": self.notes,
        })

    def _tables(self) -> dict[str, pd.DataFrame]:
        return {"couplings": self.couplings}

    def __repr__(self) -> str:
        return (f"<SymbiosisResult {self._park.info.name!r}: {len(self.couplings)} couplings, "
                f"{self.summary.get('tonnes', 0):,.1f} t/a>")


def discover(park: "Park", objective: str = "utilisation", weights: Mapping[str, float] | None = None,
             *, compat: pd.DataFrame | None = None, prices: pd.DataFrame | None = None,
             transport_cost: float | None = None, transport_co2: float | None = None,
             fixed_cost: float | None = None, max_distance_km: float | None = None,
             nearest: int | None = None, assess: bool | None = None,
             reconcile: bool = False) -> SymbiosisResult:
    """Find the best couplings of ``park``: candidates (:func:`candidates`), the LP/MILP (:func:`solve`) and
    the ranked table with each coupling's effect (module docstring for every convention).

    ``objective``: utilisation (maximise t/a rerouted), cost (minimise CNY/a) or co2 (maximise t CO₂/a
    avoided); ``weights`` (e.g. ``{"utilisation": 1, "co2": 0.5}``) combine them and override ``objective``.
    ``fixed_cost`` (CNY per coupling per year) turns the problem into a MILP. With ``assess=False`` the
    per-coupling ΔFCI / Δcyclicity / rate gains are skipped (large parks); the default (None) assesses plans
    of up to :data:`ASSESS_LIMIT` couplings, each one applied alone to the park. With ``reconcile=True``
    unknown flows are determined first (:func:`mfa.solve.reconcile`) and the plan and the retrofit are built
    on the reconciled park; otherwise waste flows of unknown value cannot be streams (noted).
    """
    from mfa.park import require_park

    require_park(park, "discover_couplings")
    from mfa.network import metrics as network_metrics

    w = _weights(objective, weights)
    if w["cost"] and prices is None and transport_cost is None and fixed_cost is None:
        comp = compat if compat is not None else compatibility()
        if comp["disposal_fee"].isna().all() and comp["virgin_price"].isna().all():
            raise MfaError("the cost objective needs prices: give a price table (material, disposal_fee, "
                           "virgin_price in CNY/t) and/or a transport cost in CNY per t·km — the catalogue "
                           "holds no sourced prices")
    pre: list[str] = []
    if reconcile:
        from mfa.solve import reconcile as _reconcile

        rec = _reconcile(park)
        park = rec.park
        pre.append(f"reconciled first (mfa.solve.reconcile, χ² = {rec.chi2:.3g}, {rec.dof} dof): the plan and "
                   f"the retrofit are built on the reconciled park")
    else:
        ft = _fate_table(park)
        unknown = ft[ft["value"].isna() & ft["fate"].isin(STREAM_FATES)]
        if len(unknown):
            pre.append(f"{len(unknown)} disposed/stored/discarded waste flow(s) of unknown value cannot be "
                       f"rerouted: reconcile first (reconcile=True, --reconcile)")
    cands = candidates(park, compat=compat, prices=prices, transport_cost=transport_cost,
                       transport_co2=transport_co2, max_distance_km=max_distance_km, nearest=nearest)
    q, info = solve(cands, objective, weights, fixed_cost)
    info["objective"] = objective if not weights else "weighted"
    arcs = cands.arcs.copy()
    arcs["tonnes"] = q
    notes = pre + list(cands.notes)
    if not len(cands.streams):
        notes.append("no waste stream is disposed, stored or discarded: nothing to couple")
    elif not len(arcs):
        notes.append("no compatible user for the disposed/stored/discarded waste in flows/compatibility.csv")
    chosen = arcs[arcs["tonnes"] > 0].copy()
    if assess is None:
        assess = len(chosen) <= ASSESS_LIMIT
        if not assess:
            notes.append(f"{len(chosen)} couplings: per-coupling ΔFCI, Δcyclicity and rate gains not assessed "
                         f"(more than {ASSESS_LIMIT}; pass assess=True to force)")
    gamma = chosen["ratio"].to_numpy(dtype=float)
    t = chosen["tonnes"].to_numpy(dtype=float)
    chosen["virgin_avoided"] = np.where(chosen["substitutes"].astype(str) != "", gamma * t, 0.0)
    # no sourced CO₂ factor for the catalogue row: unknown (NaN), not zero
    chosen["co2_avoided"] = np.where(chosen["co2_known"].to_numpy(dtype=bool),
                                     chosen["co2_per_t"].to_numpy(dtype=float) * t, np.nan)
    chosen["cost_change"] = chosen["cost_per_t"].to_numpy(dtype=float) * t
    kinds = dict(zip(park.processes["id"], park.processes["kind"]))
    cat_of = dict(zip(park.materials["id"], park.materials["category"]))
    base_rates: dict[str, float | None] = {}
    base_m = None
    if assess and len(chosen):
        base_rates = utilisation_rates(park)
        base_m = network_metrics(park).metrics
        base_land = _landfilled(park)
    gains, land, dfci, dcyc = [], [], [], []
    for d in chosen.to_dict("records"):
        if assess:
            one = apply(park, pd.DataFrame([d]))
            m1 = network_metrics(one).metrics
            rates1 = utilisation_rates(one)
            cat = cat_of.get(d["material"], "")
            b0, b1 = base_rates.get(cat), rates1.get(cat)
            gains.append(b1 - b0 if b0 is not None and b1 is not None else np.nan)
            land.append(base_land - _landfilled(one))
            dfci.append((m1["fci"] or 0.0) - (base_m["fci"] or 0.0))
            dcyc.append(m1["cyclicity"] - base_m["cyclicity"])
        else:
            gains.append(np.nan)
            land.append(d["tonnes"] if kinds.get(d["disposal_target"]) == "landfill" else np.nan)
            dfci.append(np.nan)
            dcyc.append(np.nan)
    chosen["utilisation_rate_gain"] = gains
    chosen["landfill_avoided"] = land
    chosen["delta_fci"] = dfci
    chosen["delta_cyclicity"] = dcyc
    # rank by each coupling's contribution to the objective (best first), ties by tonnes, then names
    wv = info["weights"]
    contrib = (wv["utilisation"] * chosen["tonnes"].to_numpy(dtype=float)
               - wv["cost"] * np.nan_to_num(chosen["cost_change"].to_numpy(dtype=float))
               + wv["co2"] * np.nan_to_num(chosen["co2_avoided"].to_numpy(dtype=float)))
    chosen["objective_contribution"] = contrib
    chosen = chosen.sort_values(["objective_contribution", "tonnes", "from", "to", "material"],
                                ascending=[False, False, True, True, True], kind="mergesort")
    chosen.insert(0, "rank", np.arange(1, len(chosen) + 1))
    extra = ["rank", "stream", "disposal_target", "substitutes", "ratio", "virgin_avoided", "source",
             "quality_note", "objective_contribution"]
    couplings = chosen[list(COUPLING_COLUMNS) + extra].reset_index(drop=True)
    summary: dict[str, Any] = {
        "candidates": int(len(arcs)), "streams": int(len(cands.streams)),
        "couplings": int(len(couplings)), "tonnes": float(couplings["tonnes"].sum()),
        "co2_avoided": float(np.nansum(couplings["co2_avoided"].to_numpy(dtype=float))),
        "cost_change": (float(couplings["cost_change"].sum()) if couplings["cost_change"].notna().any()
                        else None),
        "virgin_avoided": float(couplings["virgin_avoided"].sum()),
        "landfill_avoided": (float(np.nansum(couplings["landfill_avoided"].to_numpy(dtype=float)))
                             if len(couplings) else 0.0),
    }
    if assess and len(couplings):
        after = apply(park, couplings)
        m_after = network_metrics(after).metrics
        summary["landfill_avoided"] = base_land - _landfilled(after)
        summary["fci_before"], summary["fci_after"] = base_m["fci"], m_after["fci"]
        summary["cyclicity_before"], summary["cyclicity_after"] = base_m["cyclicity"], m_after["cyclicity"]
        summary["n_links_before"], summary["n_links_after"] = base_m["n_links"], m_after["n_links"]
        summary["utilisation_rates_before"] = base_rates
        summary["utilisation_rates_after"] = utilisation_rates(after)
    return SymbiosisResult(park, couplings, arcs, summary, notes, info)
