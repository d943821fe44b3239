"""Candidate couplings of a park: which disposed, stored or discarded waste stream could go to which
production process, per the compatibility catalogue (conventions in :mod:`mfa.symbiosis`).

The steps, each a small function over the park's compiled arrays:

1. :func:`stream_table` — the waste streams (known, positive, fate disposed/stored/discarded, from a process
   inside the park);
2. the relief available where a stream ends inside the park (stock accumulation, outflows to landfill or
   environment);
3. the users (production processes) with their current input, spare capacity and the boundary outflows on
   which a coupling books its mass difference;
4. per catalogue row, the arcs stream × eligible user (substitution demand, accepting group, capacity);
5. distances, cost and CO₂ per tonne of every arc.

>>> import mfa
>>> park = mfa.Park.from_frames(
...     processes=[{"id": "quarry", "name": "Quarry", "kind": "import"},
...                {"id": "pvc", "name": "PVC plant", "kind": "production"},
...                {"id": "cement", "name": "Cement plant", "kind": "production"},
...                {"id": "dump", "name": "Landfill", "kind": "landfill"},
...                {"id": "market", "name": "Market", "kind": "export"}],
...     flows=[{"source": "pvc", "target": "dump", "material": "carbide_slag", "value": 100},
...            {"source": "quarry", "target": "pvc", "material": "limestone", "value": 100},
...            {"source": "quarry", "target": "cement", "material": "limestone", "value": 500},
...            {"source": "cement", "target": "market", "material": "cement", "value": 500}])
>>> c = candidates(park)
>>> c.arcs[["from", "to", "material", "supply"]].values.tolist()
[['pvc', 'cement', 'carbide_slag', 100.0]]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from mfa.conventions import BOUNDARY_KINDS
from mfa.errors import MfaError

if TYPE_CHECKING:  # pragma: no cover
    from mfa.park import Park

__all__ = ["Candidates", "candidates", "stream_table", "matches_group", "haversine_km", "STREAM_FATES",
           "EARTH_RADIUS_KM"]

#: the fates whose waste a coupling may reroute
STREAM_FATES = frozenset({"disposed", "stored", "discarded"})
EARTH_RADIUS_KM = 6371.0088  # IUGG mean Earth radius
#: boundary kinds on which a user books the mass difference of a coupling, in the order of :data:`_OUT_ORDER`
_OUT_KINDS = np.array(["export", "environment", "landfill"], dtype=object)
_ARC_COLUMNS = ["stream", "from", "to", "material", "disposal_target", "disposal_kind", "supply", "substitutes",
                "ratio", "max_share", "co2_per_t", "co2_known", "rule", "source", "quality_note",
                "accepting_group"]


def haversine_km(lon1: Any, lat1: Any, lon2: Any, lat2: Any) -> np.ndarray:
    """Great-circle distance in km between points given in degrees (vectorised; NaN in → NaN out).

    Parameters
    ----------
    lon1, lat1, lon2, lat2 : float or array_like
        Longitudes and latitudes of both ends, in degrees (broadcast against each other).

    Returns
    -------
    numpy.ndarray
        Distances in km on a sphere of radius :data:`EARTH_RADIUS_KM`.

    Examples
    --------
    >>> round(float(haversine_km(0, 0, 1, 0)), 3)  # one degree of longitude at the equator
    111.195
    """
    lon1, lat1, lon2, lat2 = (np.radians(np.asarray(v, dtype=float)) for v in (lon1, lat1, lon2, lat2))
    a = (np.sin((lat2 - lat1) / 2) ** 2
         + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2)
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def stream_table(park: "Park") -> pd.DataFrame:
    """The fate rows (:func:`mfa.fate.fates`) of the waste streams a coupling may reroute.

    Parameters
    ----------
    park : Park
        The park.

    Returns
    -------
    pandas.DataFrame
        The rows of known, positive waste flows whose fate is in :data:`STREAM_FATES` and whose source is
        inside the park (columns of :func:`mfa.fate.fates`).

    Examples
    --------
    >>> import mfa
    >>> park = mfa.Park.from_frames(
    ...     processes=[{"id": "pvc", "name": "PVC", "kind": "production"},
    ...                {"id": "dump", "name": "Landfill", "kind": "landfill"}],
    ...     flows=[{"source": "pvc", "target": "dump", "material": "carbide_slag", "value": 100}])
    >>> stream_table(park)[["id", "fate", "value"]].values.tolist()
    [['pvc>dump:carbide_slag', 'disposed', 100.0]]
    """
    from mfa.fate import fates

    ft = fates(park)
    return ft[ft["fate"].isin(STREAM_FATES) & ft["value"].notna() & (ft["value"] > 0)
              & ~ft["source_kind"].isin(list(BOUNDARY_KINDS))].reset_index(drop=True)


def matches_group(tokens: str, group: pd.Series, ids: pd.Series) -> np.ndarray:
    """Which processes an ``accepting_group`` of the catalogue names: a ``|``-separated token list matched,
    case-insensitively, as a substring of each process's group or id.

    Parameters
    ----------
    tokens : str
        ``|``-separated tokens, e.g. ``"cement|brick"``.
    group, ids : pandas.Series
        The processes' groups (blank allowed) and ids, aligned.

    Returns
    -------
    numpy.ndarray
        A bool per process.

    Examples
    --------
    >>> matches_group("cement|brick", pd.Series(["cement", "", None]), pd.Series(["a", "brickworks", "c"]))
    array([ True,  True, False])
    """
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
    ``relief``: per internal disposal target and material: stock accumulation available; ``relief_pool``: per
    internal disposal target, the boundary outflows that can shrink. ``demand``: per (user, substituted
    material): D. ``notes``: why candidates were left out. ``existing_inputs``: every known flow's target,
    material and value (the inputs a user already has count towards ``max_share``).
    """

    streams: pd.DataFrame
    arcs: pd.DataFrame
    users: pd.DataFrame
    demand: pd.DataFrame
    relief: pd.DataFrame
    relief_pool: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    existing_inputs: pd.DataFrame | None = None


@dataclass(frozen=True)
class _FlowView:
    """The park's flows as the candidate steps need them (aligned with ``park.flows``)."""

    value: np.ndarray
    known: np.ndarray
    src: np.ndarray      # process ids
    tgt: np.ndarray
    mat: np.ndarray
    src_kind: np.ndarray
    tgt_kind: np.ndarray
    is_stream: np.ndarray

    @classmethod
    def of(cls, park: "Park", streams: pd.DataFrame) -> "_FlowView":
        c = park.compiled
        value = c.value
        return cls(value=value, known=~np.isnan(value), src=c.process_ids[c.src], tgt=c.process_ids[c.tgt],
                   mat=c.material, src_kind=c.kind[c.src], tgt_kind=c.kind[c.tgt],
                   is_stream=np.isin(c.flow_ids, streams["stream"].to_numpy(dtype=object)))

    def sum_by(self, mask: np.ndarray, key: np.ndarray) -> pd.Series:
        """Σ value of the flows in ``mask`` per ``key`` (t/a)."""
        return pd.Series(self.value[mask], index=key[mask]).groupby(level=0).sum()


def _streams(park: "Park") -> pd.DataFrame:
    ft = stream_table(park)
    cat_of = park.compiled.category_of
    return pd.DataFrame({
        "stream": ft["id"].astype(object), "producer": ft["source"].astype(object),
        "material": ft["material"].astype(object), "category": ft["material"].map(cat_of).astype(object),
        "target": ft["target"].astype(object), "target_kind": ft["target_kind"].astype(object),
        "fate": ft["fate"].astype(object), "supply": ft["value"].astype(float)})


def _relief(park: "Park", streams: pd.DataFrame, fv: _FlowView,
            notes: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Where a stream ends inside the park, what can give way: the target's stock accumulation of the
    material (per target and material) and its other outflows to landfill and environment (per target)."""
    internal_t = streams[~streams["target_kind"].isin(list(BOUNDARY_KINDS))]
    st = park.stocks
    d = st["closing"].astype(float) - st["opening"].astype(float)
    growing = (d > 0).to_numpy()
    acc = pd.Series(d.to_numpy()[growing], index=pd.MultiIndex.from_arrays(
        [st["process"].to_numpy(dtype=object)[growing], st["material"].to_numpy(dtype=object)[growing]]))
    acc = acc[~acc.index.duplicated(keep="last")]  # one stock row per (process, material); the last wins
    pairs = (internal_t[["target", "material"]].drop_duplicates()
             .sort_values(["target", "material"], kind="mergesort").reset_index(drop=True))
    keys = pd.MultiIndex.from_frame(pairs) if len(pairs) else pd.MultiIndex.from_tuples([], names=["t", "m"])
    stock_acc = acc.reindex(keys).fillna(0.0).to_numpy() if len(acc) else np.zeros(len(pairs))
    relief = pd.DataFrame({"target": pairs["target"].to_numpy(dtype=object),
                           "material": pairs["material"].to_numpy(dtype=object),
                           "stock_accumulation": stock_acc})
    # a stream is never also a relief or booking pool: it has its own supply constraint
    to_sink = fv.known & ~fv.is_stream & np.isin(fv.tgt_kind, ["landfill", "environment"])
    out_sink = fv.sum_by(to_sink, fv.src)
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
    return relief, relief_pool


def _first_present(has: np.ndarray, vals: np.ndarray, order: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """Per user, the first boundary kind of ``order`` it has an outflow to, and that outflow (t/a)."""
    k_out = np.full(len(has), "", dtype=object)
    v_out = np.zeros(len(has))
    for j in reversed(order):  # the first kind in ``order`` that the user has wins
        k_out = np.where(has[:, j], _OUT_KINDS[j], k_out)
        v_out = np.where(has[:, j], vals[:, j], v_out)
    return k_out, v_out


def _users(park: "Park", fv: _FlowView) -> pd.DataFrame:
    """The production processes with their input, spare capacity and boundary outflows: a coupling grows
    the first of export, environment, landfill outflows and shrinks environment, export, landfill."""
    procs = park.processes
    prod = procs[(park.compiled.kind == "production")].reset_index(drop=True)
    uid = prod["id"].to_numpy(dtype=object)
    cur_in = fv.sum_by(fv.known, fv.tgt).reindex(uid).fillna(0.0).to_numpy()
    capacity = prod["capacity"].astype(float).to_numpy()
    spare = np.where(np.isnan(capacity), np.inf, np.maximum(capacity - cur_in, 0.0))
    bmask = fv.known & ~fv.is_stream & np.isin(fv.tgt_kind, _OUT_KINDS)
    bsum = (pd.DataFrame({"u": fv.src[bmask], "k": fv.tgt_kind[bmask], "v": fv.value[bmask]})
            .groupby(["u", "k"])["v"].sum().unstack("k")
            .reindex(index=uid, columns=list(_OUT_KINDS)))
    has = bsum.notna().to_numpy()
    vals = bsum.fillna(0.0).to_numpy()
    grow_kind, _ = _first_present(has, vals, [0, 1, 2])
    shrink_kind, shrink_cap = _first_present(has, vals, [1, 0, 2])
    return pd.DataFrame({"user": uid, "name": prod["name"].to_numpy(dtype=object),
                         "group": prod["group"].fillna("").astype(str).to_numpy(dtype=object),
                         "current_input": cur_in, "capacity": capacity, "spare_capacity": spare,
                         "grow_pool": grow_kind, "shrink_pool": shrink_kind, "shrink_capacity": shrink_cap,
                         "x": prod["x"].astype(float).to_numpy(), "y": prod["y"].astype(float).to_numpy()})


def _price_lookups(compat: pd.DataFrame, prices: pd.DataFrame | None) -> tuple[dict, dict]:
    """Disposal fee per waste material and virgin price per substituted material (CNY/t): the catalogue's
    first sourced figure, overridden by ``prices``."""
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
    return fee_of, price_of


@dataclass
class _Skipped:
    """Why candidates were left out, collected over the catalogue rows."""

    balance: set = field(default_factory=set)     # (user, waste): no boundary outflow to book (1 − γ)·q
    capacity: set = field(default_factory=set)    # users without a capacity (acceptance rows)
    far: int = 0                                  # arcs beyond the ``nearest`` users


def _eligible_users(row: Any, users: pd.DataFrame, fv: _FlowView, have_export: bool,
                    skipped: _Skipped) -> tuple[np.ndarray, np.ndarray]:
    """Which users a catalogue row may feed, and each user's demand D of the substituted material (t/a;
    inf for an acceptance row)."""
    eligible = np.ones(len(users), dtype=bool)
    if row.accepting_group:
        eligible &= matches_group(row.accepting_group, users["group"], users["user"])
    spare = users["spare_capacity"].to_numpy()
    if row.substitutes:
        internal_src = ~np.isin(fv.src_kind, list(BOUNDARY_KINDS))
        rep = (fv.mat == row.substitutes) & fv.known & (fv.value > 0) & (
            np.isin(fv.src_kind, ["import", "environment"]) | (internal_src & have_export))
        d_u = fv.sum_by(rep, fv.tgt).reindex(users["user"]).fillna(0.0).to_numpy()
        eligible &= d_u > 0
    else:
        d_u = np.full(len(users), np.inf)
        skipped.capacity.update(users["user"][eligible & np.isinf(spare)])
        eligible &= ~np.isinf(spare) & (spare > 0)
    gamma = float(row.ratio)
    if gamma < 1:
        ok_bal = users["grow_pool"].to_numpy() != ""
    elif gamma > 1:
        ok_bal = users["shrink_capacity"].to_numpy() > 0
    else:
        ok_bal = np.ones(len(users), dtype=bool)
    skipped.balance.update((u, row.waste) for u in users["user"][eligible & ~ok_bal])
    return eligible & ok_bal, d_u


def _pairs(st_sel: pd.DataFrame, us: pd.DataFrame, coord: pd.DataFrame, nearest: int | None,
           skipped: _Skipped) -> tuple[np.ndarray, np.ndarray]:
    """Stream and user positions of the arcs: every stream × every user, or each stream's ``nearest`` users
    (distance matrix in numpy, no product table)."""
    if nearest is None or len(us) <= nearest:
        return np.repeat(np.arange(len(st_sel)), len(us)), np.tile(np.arange(len(us)), len(st_sel))
    px = coord["x"].reindex(st_sel["producer"]).to_numpy()
    py = coord["y"].reindex(st_sel["producer"]).to_numpy()
    D = haversine_km(px[:, None], py[:, None], us["x"].to_numpy()[None, :], us["y"].to_numpy()[None, :])
    D = np.where(np.isnan(D), np.inf, D)
    u_ids = us["user"].to_numpy(dtype=object)[None, :]
    self_ = ((st_sel["producer"].to_numpy(dtype=object)[:, None] == u_ids)
             | (st_sel["target"].to_numpy(dtype=object)[:, None] == u_ids))
    D = np.where(self_, np.inf, D)  # a producer is not its own user
    near = np.argpartition(D, nearest - 1, axis=1)[:, :nearest]
    skipped.far += len(st_sel) * (len(us) - nearest)
    return np.repeat(np.arange(len(st_sel)), nearest), near.ravel()


def _rule_arcs(row: Any, st_sel: pd.DataFrame, us: pd.DataFrame, si: np.ndarray, ui: np.ndarray) -> pd.DataFrame:
    """The arcs of one catalogue row (a producer never feeds itself nor its own disposal target)."""
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
    a["substitutes"] = row.substitutes
    a["ratio"] = float(row.ratio)
    a["max_share"] = row.max_share
    a["co2_per_t"] = 0.0 if np.isnan(row.co2_avoided) else float(row.co2_avoided)
    a["co2_known"] = not np.isnan(row.co2_avoided)
    a["rule"] = int(row.row)
    a["source"] = row.source
    a["quality_note"] = row.quality_note
    a["accepting_group"] = row.accepting_group
    return a


def _price_arcs(arcs: pd.DataFrame, coord: pd.DataFrame, fee_of: dict, price_of: dict,
                transport_cost: float | None, transport_co2: float | None, max_distance_km: float | None,
                notes: list[str]) -> pd.DataFrame:
    """Distance (km), cost per t (CNY/t; NaN when nothing is priced) and CO₂ avoided per t of every arc:
    c = transport·d − fee − γ·virgin price, e = CO₂ factor − transport CO₂·d."""
    if not len(arcs):
        for c in ("distance_km", "cost_per_t", "transport_t_km"):
            arcs[c] = pd.Series(dtype=float)
        return arcs
    ends = [coord[k].reindex(arcs[e]).to_numpy() for e in ("from", "to") for k in ("x", "y")]
    dist = haversine_km(*ends)
    arcs["distance_km"] = dist
    if np.isnan(dist).any():
        notes.append(f"{int(np.isnan(dist).sum())} candidate coupling(s) without coordinates (x, y) "
                     f"at both ends: distance unknown, no transport cost or CO₂ counted")
    if max_distance_km is not None:
        far = dist > max_distance_km
        if far.any():
            notes.append(f"{int(far.sum())} candidate coupling(s) longer than {max_distance_km:g} km left out")
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
    return arcs.reset_index(drop=True)


def _skipped_notes(skipped: _Skipped, nearest: int | None) -> list[str]:
    notes = []
    if skipped.far:
        notes.append(f"only the {nearest} nearest users of each stream considered per catalogue row "
                     f"({skipped.far:,} farther candidate couplings left out)")
    if skipped.capacity:
        notes.append("no capacity given for " + ", ".join(sorted(skipped.capacity)) + ": acceptance couplings "
                     "(no substituted material) need a capacity (t/a of input) to bound them")
    if skipped.balance:
        notes.append("left out for lack of a boundary outflow to book the mass difference (1 − ratio)·q: "
                     + ", ".join(f"{w}→{u}" for u, w in sorted(skipped.balance)))
    return notes


def candidates(park: "Park", compat: pd.DataFrame | None = None, prices: pd.DataFrame | None = None,
               transport_cost: float | None = None, transport_co2: float | None = None,
               max_distance_km: float | None = None, nearest: int | None = None) -> Candidates:
    """Candidate couplings of ``park`` per the compatibility catalogue (conventions in :mod:`mfa.symbiosis`).

    Parameters
    ----------
    park : Park
        The park (unknown waste flows cannot be streams: solve or reconcile first).
    compat : pandas.DataFrame, optional
        A catalogue as :func:`mfa.symbiosis.compatibility` returns it (default: the shipped one).
    prices : pandas.DataFrame, optional
        material, disposal_fee, virgin_price in CNY/t; override the catalogue's prices.
    transport_cost : float, optional
        CNY per t·km.
    transport_co2 : float, optional
        t CO₂ per t·km.
    max_distance_km : float, optional
        Couplings longer than this are left out (noted).
    nearest : int, optional
        Only the ``nearest`` users of each stream are candidates for each catalogue row (large parks: the
        candidate set grows as streams × users otherwise).

    Returns
    -------
    Candidates
        Streams, arcs, users, demand, relief and the notes on what was left out.

    Examples
    --------
    >>> import mfa
    >>> park = mfa.Park.from_frames(
    ...     processes=[{"id": "quarry", "name": "Quarry", "kind": "import"},
    ...                {"id": "pvc", "name": "PVC plant", "kind": "production"},
    ...                {"id": "cement", "name": "Cement plant", "kind": "production"},
    ...                {"id": "dump", "name": "Landfill", "kind": "landfill"},
    ...                {"id": "market", "name": "Market", "kind": "export"}],
    ...     flows=[{"source": "pvc", "target": "dump", "material": "carbide_slag", "value": 100},
    ...            {"source": "quarry", "target": "pvc", "material": "limestone", "value": 100},
    ...            {"source": "quarry", "target": "cement", "material": "limestone", "value": 500},
    ...            {"source": "cement", "target": "market", "material": "cement", "value": 500}])
    >>> c = candidates(park)
    >>> c.demand.values.tolist()  # the cement plant's limestone, which carbide slag can replace
    [['cement', 'limestone', 500.0]]
    """
    if nearest is not None and nearest < 1:
        raise MfaError("nearest must be at least 1")
    if compat is None:
        from mfa.symbiosis import compatibility

        compat = compatibility()
    notes: list[str] = []
    streams = _streams(park)
    fv = _FlowView.of(park, streams)
    relief, relief_pool = _relief(park, streams, fv, notes)
    users = _users(park, fv)
    fee_of, price_of = _price_lookups(compat, prices)
    coord = park.processes.set_index("id")[["x", "y"]].astype(float)
    have_export = bool((park.compiled.kind == "export").any())
    demand_rows: dict[tuple[str, str], float] = {}
    arc_parts: list[pd.DataFrame] = []
    skipped = _Skipped()
    for row in compat.itertuples():
        if row.waste.startswith("category:"):
            s_mask = (streams["category"] == row.waste.split(":", 1)[1]).to_numpy()
        else:
            s_mask = (streams["material"] == row.waste).to_numpy()
        if not s_mask.any():
            continue
        eligible, d_u = _eligible_users(row, users, fv, have_export, skipped)
        if not eligible.any():
            continue
        st_sel, us = streams[s_mask], users[eligible]
        if row.substitutes:
            demand_rows.update({(u, row.substitutes): float(dv) for u, dv in zip(us["user"], d_u[eligible])})
        a = _rule_arcs(row, st_sel, us, *_pairs(st_sel, us, coord, nearest, skipped))
        if len(a):
            arc_parts.append(a)
    arcs = (pd.concat(arc_parts, ignore_index=True) if arc_parts
            else pd.DataFrame({c: pd.Series(dtype=object) for c in _ARC_COLUMNS}))
    # one coupling per (stream, user): the first catalogue row that matches wins (catalogue order = priority)
    arcs = arcs.drop_duplicates(subset=["stream", "to"], keep="first").reset_index(drop=True)
    arcs = _price_arcs(arcs, coord, fee_of, price_of, transport_cost, transport_co2, max_distance_km, notes)
    notes += _skipped_notes(skipped, nearest)
    demand = pd.DataFrame([{"user": u, "material": m_, "demand": d_} for (u, m_), d_ in
                           sorted(demand_rows.items())], columns=["user", "material", "demand"])
    k = fv.known
    existing = pd.DataFrame({"target": fv.tgt[k], "material": fv.mat[k], "value": fv.value[k]})
    return Candidates(streams=streams, arcs=arcs, users=users, demand=demand, relief=relief,
                      relief_pool=relief_pool, notes=notes, existing_inputs=existing)
