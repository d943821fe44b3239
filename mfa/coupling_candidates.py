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
...                {"id": "air", "name": "Atmosphere", "kind": "environment"},
...                {"id": "market", "name": "Market", "kind": "export"}],
...     flows=[{"source": "pvc", "target": "dump", "material": "carbide_slag", "value": 100},
...            {"source": "quarry", "target": "pvc", "material": "limestone", "value": 100},
...            {"source": "quarry", "target": "cement", "material": "limestone", "value": 500},
...            {"source": "cement", "target": "market", "material": "cement", "value": 300},
...            {"source": "cement", "target": "air", "material": "co2", "value": 200}])
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
           "EARTH_RADIUS_KM", "counted_input", "group_coefficients", "price_table"]

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
    material and value (the inputs a user already has count towards ``max_share``). ``capacities``: per
    (user, input group) the materials, capacity, current input and spare capacity (a user without declared
    groups has one group ``input`` of every input but air and water when its ``capacity`` is given).
    ``outputs``: per (arc, material) the change of the user's output per t of waste of a rule-applied arc.
    ``removal``: per (user, material) the outflows a rule may shrink. ``market``: per product with a
    demand, the output that may still grow. ``not_applied``: couplings whose rule needs data or whose
    waste fails a quality limit (never in the plan).

    Examples
    --------
    >>> import mfa
    >>> park = mfa.Park.from_frames(
    ...     processes=[{"id": "pvc", "name": "PVC", "kind": "production"},
    ...                {"id": "yard", "name": "Slag yard", "kind": "storage"},
    ...                {"id": "dump", "name": "Landfill", "kind": "landfill"}],
    ...     flows=[{"source": "pvc", "target": "yard", "material": "carbide_slag", "value": 100},
    ...            {"source": "yard", "target": "dump", "material": "carbide_slag", "value": 60}],
    ...     stocks=[{"process": "yard", "material": "carbide_slag", "opening": 0, "closing": 40}])
    >>> c = candidates(park)
    >>> c.streams[["stream", "fate", "supply"]].values.tolist()  # the yard's release is a stream too
    [['pvc>yard:carbide_slag', 'stored', 100.0], ['yard>dump:carbide_slag', 'disposed', 60.0]]
    >>> c.relief.values.tolist()  # slag not sent to the yard: its stock grows up to 40 t/a less
    [['yard', 'carbide_slag', 40.0]]
    """

    streams: pd.DataFrame
    arcs: pd.DataFrame
    users: pd.DataFrame
    demand: pd.DataFrame
    relief: pd.DataFrame
    relief_pool: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    existing_inputs: pd.DataFrame | None = None
    capacities: pd.DataFrame | None = None
    outputs: pd.DataFrame | None = None
    removal: pd.DataFrame | None = None
    market: pd.DataFrame | None = None
    not_applied: pd.DataFrame | None = None


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


def counted_input(park: "Park", material: np.ndarray) -> np.ndarray:
    """Which materials count in a capacity or a share: every input but combustion air and process water
    (:data:`mfa.coupling_rules.EXCLUDED_FROM_CAPACITY`).

    Parameters
    ----------
    park : Park
    material : numpy.ndarray
        Material ids.

    Returns
    -------
    numpy.ndarray
        A bool per material.

    Examples
    --------
    >>> import mfa
    >>> wuhai = mfa.read_park("wuhai")
    >>> counted_input(wuhai, np.array(["air", "fresh_water", "raw_coal"], dtype=object)).tolist()
    [False, False, True]
    """
    from mfa.coupling_rules import EXCLUDED_MATERIALS, EXCLUDED_FROM_CAPACITY, material_categories

    cat = material_categories(park, material)
    return ~np.isin(material, list(EXCLUDED_MATERIALS)) & ~np.isin(cat, list(EXCLUDED_FROM_CAPACITY))


def _users(park: "Park", fv: _FlowView) -> pd.DataFrame:
    """The production processes with their input (air and water not counted), spare capacity and boundary
    outflows: a coupling grows the first of export, environment, landfill outflows and shrinks environment,
    export, landfill."""
    procs = park.processes
    prod = procs[(park.compiled.kind == "production")].reset_index(drop=True)
    uid = prod["id"].to_numpy(dtype=object)
    cur_in = fv.sum_by(fv.known & counted_input(park, fv.mat), fv.tgt).reindex(uid).fillna(0.0).to_numpy()
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
    # the material of the outflow that grows (the largest of the grow kind): a market limit bounds it
    big = (pd.DataFrame({"u": fv.src[bmask], "k": fv.tgt_kind[bmask], "m": fv.mat[bmask], "v": fv.value[bmask]})
           .sort_values(["v", "m"], ascending=[False, True], kind="mergesort").drop_duplicates(["u", "k"]))
    grow_mat = big.set_index(["u", "k"])["m"].reindex(pd.MultiIndex.from_arrays([uid, grow_kind])).fillna("")
    return pd.DataFrame({"user": uid, "name": prod["name"].to_numpy(dtype=object),
                         "group": prod["group"].fillna("").astype(str).to_numpy(dtype=object),
                         "current_input": cur_in, "capacity": capacity, "spare_capacity": spare,
                         "grow_pool": grow_kind, "grow_material": grow_mat.to_numpy(dtype=object),
                         "shrink_pool": shrink_kind, "shrink_capacity": shrink_cap,
                         "x": prod["x"].astype(float).to_numpy(), "y": prod["y"].astype(float).to_numpy()})


def _capacities(park: "Park", users: pd.DataFrame, fv: _FlowView, site: Any, notes: list[str]) -> pd.DataFrame:
    """Per (user, input group): the group's materials (None = every input but air and water), capacity,
    current input and spare capacity. Declared groups come from the site data; a user without any has the
    group ``input`` when its ``capacity`` is given."""
    uid = users["user"].to_numpy(dtype=object)
    rows = []
    declared = site.capacities if site is not None else None
    have = set()
    if declared is not None and len(declared):
        unknown = sorted(set(declared["process"]) - set(uid))
        if unknown:
            notes.append("capacities of " + ", ".join(unknown) + " ignored: not production processes of the park")
        d = declared[declared["process"].isin(uid)]
        inp = pd.DataFrame({"u": fv.tgt[fv.known], "m": fv.mat[fv.known], "v": fv.value[fv.known]})
        for r in d.itertuples():
            cur = float(inp.loc[(inp["u"] == r.process) & inp["m"].isin(list(r.materials)), "v"].sum())
            rows.append((r.process, r.group, tuple(r.materials), float(r.capacity), cur))
            have.add(r.process)
    cap = users["capacity"].to_numpy(dtype=float)
    for u, c_, cur in zip(uid, cap, users["current_input"].to_numpy(dtype=float)):
        if u not in have and not np.isnan(c_):
            rows.append((u, "input", None, float(c_), float(cur)))
    out = pd.DataFrame(rows, columns=["user", "group", "materials", "capacity", "current_input"])
    out["spare_capacity"] = np.maximum(out["capacity"].to_numpy(dtype=float)
                                       - out["current_input"].to_numpy(dtype=float), 0.0)
    return out


def _memberships(arcs: pd.DataFrame, groups: pd.DataFrame, park: "Park | None"
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per (group, arc into the group's user): whether the arc's waste, and the material it displaces, are in
    the group."""
    if groups is None or not len(groups) or not len(arcs):
        empty = np.zeros(0, dtype=int)
        return empty, empty, np.zeros(0, dtype=bool), np.zeros(0, dtype=bool)
    pairs = pd.DataFrame({"user": groups["user"].to_numpy(dtype=object), "g": np.arange(len(groups))}).merge(
        pd.DataFrame({"user": arcs["to"].to_numpy(dtype=object), "a": np.arange(len(arcs))}), on="user")
    gi, ai = pairs["g"].to_numpy(), pairs["a"].to_numpy()
    w = arcs["material"].to_numpy(dtype=object)[ai]
    d = arcs["substitutes"].fillna("").astype(str).to_numpy(dtype=object)[ai]
    mats = groups["materials"].to_numpy(dtype=object)
    allin = np.array([m is None for m in mats], dtype=bool)[gi]
    keys = sorted({f"{g}\x00{m}" for g, ms in enumerate(mats) if ms is not None for m in ms})
    g_txt = pd.Series(gi.astype(str)) + "\x00"
    key_w = g_txt + pd.Series(w).astype(str)
    key_d = g_txt + pd.Series(d).astype(str)
    if park is not None:
        counted_w, counted_d = counted_input(park, w), counted_input(park, d) & (d != "")
    elif "w_counted" in arcs:
        counted_w = arcs["w_counted"].to_numpy(dtype=bool)[ai]
        counted_d = arcs["d_counted"].to_numpy(dtype=bool)[ai] & (d != "")
    else:
        counted_w, counted_d = w != "air", (d != "air") & (d != "")
    in_w = np.where(allin, counted_w, key_w.isin(keys).to_numpy())
    in_d = np.where(allin, counted_d, key_d.isin(keys).to_numpy())
    return gi, ai, in_w.astype(bool), in_d.astype(bool)


def group_coefficients(arcs: pd.DataFrame, groups: pd.DataFrame, park: "Park | None" = None
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """How much of each input group a t of each arc's waste takes: 1 if the waste is in the group, minus γ
    if the material it displaces is (a group ``materials`` None holds every input but air and water).

    Parameters
    ----------
    arcs : pandas.DataFrame
        to, material, substitutes, ratio.
    groups : pandas.DataFrame
        user, group, materials (as :attr:`Candidates.capacities`).
    park : Park, optional
        For the categories of air and water (without it only the material ``air`` is left out).

    Returns
    -------
    (group index, arc index, coefficient) : numpy.ndarray
        The non-zero pairs.

    Examples
    --------
    >>> arcs = pd.DataFrame({"to": ["cfb"], "material": ["coal_gangue"], "substitutes": ["raw_coal"],
    ...                      "ratio": [0.29]})
    >>> groups = pd.DataFrame({"user": ["cfb"], "group": ["fuel"], "materials": [("raw_coal", "coal_gangue")]})
    >>> [x.tolist() for x in group_coefficients(arcs, groups)]
    [[0], [0], [0.71]]
    """
    gi, ai, in_w, in_d = _memberships(arcs, groups, park)
    coef = in_w.astype(float) - arcs["ratio"].to_numpy(dtype=float)[ai] * in_d
    nz = np.abs(coef) > 1e-12
    return gi[nz], ai[nz], coef[nz]


_PRICE_FIELDS = ("disposal_fee", "disposal_fee_low", "disposal_fee_high", "virgin_price", "virgin_price_low",
                 "virgin_price_high", "env_tax")


def price_table(compat: pd.DataFrame, prices: pd.DataFrame | None, park: "Park",
                shipped: bool = True) -> pd.DataFrame:
    """Prices per material of the park (CNY/t): the catalogue's sourced figures, the shipped
    ``flows/prices.csv`` (when ``shipped``) and ``prices``, a later one's figure replacing an earlier one's; a
    material without a row of its own takes its category's (``category:<category>``). A range's missing end
    is its central value.

    Parameters
    ----------
    compat : pandas.DataFrame
        The compatibility catalogue (its disposal_fee and virgin_price columns).
    prices : pandas.DataFrame, optional
        :func:`mfa.catalogue.read_prices` of the user's file.
    park : Park
        For the materials' categories.
    shipped : bool
        Start from ``flows/prices.csv``.

    Returns
    -------
    pandas.DataFrame
        Indexed by material: disposal_fee, disposal_fee_low/high, virgin_price, virgin_price_low/high, env_tax.

    Examples
    --------
    >>> import mfa
    >>> park = mfa.Park.from_frames(processes=[{"id": "a", "name": "A", "kind": "production"},
    ...                                        {"id": "b", "name": "B", "kind": "landfill"}],
    ...                             flows=[{"source": "a", "target": "b", "material": "coal_gangue", "value": 1}])
    >>> from mfa.catalogue import compatibility
    >>> float(price_table(compatibility(), None, park).loc["coal_gangue", "env_tax"])
    5.0
    """
    from mfa.catalogue import data_path, read_prices

    parts = []
    base = compat[["waste", "disposal_fee"]].rename(columns={"waste": "material"})
    base = base[~base["material"].str.startswith("category:") & base["disposal_fee"].notna()]
    sub = compat[["substitutes", "virgin_price"]].rename(columns={"substitutes": "material"})
    sub = sub[(sub["material"] != "") & sub["virgin_price"].notna()]
    parts += [base.drop_duplicates("material"), sub.drop_duplicates("material")]
    if shipped and data_path("flows", "prices.csv").is_file():
        parts.append(read_prices(data_path("flows", "prices.csv")))
    if prices is not None:
        parts.append(prices)
    table = pd.DataFrame(index=pd.Index([], name="material"), columns=list(_PRICE_FIELDS), dtype=float)
    for p in parts:  # a later table's figure replaces an earlier one's, cell by cell
        t = p.set_index("material").reindex(columns=list(_PRICE_FIELDS)).astype(float)
        for k in ("disposal_fee", "virgin_price"):  # a new central figure without a range is its own range
            for end in ("_low", "_high"):
                t[k + end] = t[k + end].fillna(t[k])
        table = t[~t.index.duplicated(keep="first")].combine_first(table)
    mats = sorted(set(park.compiled.category_of) | set(compat["substitutes"][compat["substitutes"] != ""]))
    own = table.reindex(mats)
    cat = pd.Series(mats, index=mats).map(park.compiled.category_of).fillna("")
    by_cat = table.reindex("category:" + cat.to_numpy(dtype=object))
    by_cat.index = own.index
    return own.combine_first(by_cat) if len(own) else own


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
        "fate": st_sel["fate"].to_numpy(dtype=object)[si],
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


def _price_arcs(arcs: pd.DataFrame, coord: pd.DataFrame, pt: pd.DataFrame, transport_cost: float | None,
                transport_co2: float | None, max_distance_km: float | None, taxed: set,
                notes: list[str]) -> pd.DataFrame:
    """Distance (km), cost per t (CNY/t; NaN when nothing is priced) and its parts, and CO₂ avoided per t of
    every arc: c = transport·d − fee − γ·virgin price − tax (the environmental protection tax only where the
    waste was discarded or went to a non-compliant site), e = CO₂ factor − transport CO₂·d."""
    if not len(arcs):
        for c in ("distance_km", "cost_per_t", "transport_t_km") + _COST_PARTS + ("cost_low_per_t",
                                                                                   "cost_high_per_t"):
            arcs[c] = pd.Series(dtype=float)
        arcs["cost_missing"] = pd.Series(dtype=object)
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
    w = pt.reindex(arcs["material"])
    v = pt.reindex(arcs["substitutes"].fillna("").astype(str))
    gamma = arcs["ratio"].to_numpy(dtype=float)
    displaces = (arcs["substitutes"].fillna("").astype(str).to_numpy() != "") & (gamma > 0)
    fate = arcs["fate"].astype(str).to_numpy() if "fate" in arcs else np.full(len(arcs), "")
    due = (fate == "discarded") | arcs["disposal_target"].isin(taxed).to_numpy()
    fee = w["disposal_fee"].to_numpy(dtype=float)
    tax = np.where(due, w["env_tax"].to_numpy(dtype=float), 0.0)
    parts = {
        "disposal_fee_per_t": (-fee, -w["disposal_fee_high"].to_numpy(dtype=float),
                               -w["disposal_fee_low"].to_numpy(dtype=float)),
        "virgin_per_t": tuple(np.where(displaces, -gamma * v[k].to_numpy(dtype=float), 0.0)
                              for k in ("virgin_price", "virgin_price_high", "virgin_price_low")),
        "env_tax_per_t": (-tax, -tax, -tax),
        "transport_per_t": ((np.full(len(arcs), np.nan) if transport_cost is None
                             else float(transport_cost) * d0),) * 3,
    }
    known = np.zeros(len(arcs), dtype=bool)
    cost, low, high = np.zeros(len(arcs)), np.zeros(len(arcs)), np.zeros(len(arcs))
    missing = pd.Series("", index=arcs.index, dtype=object)
    for name, (mid, lo, hi) in parts.items():  # four parts, each over every arc at once
        arcs[name] = mid
        k = ~np.isnan(mid)
        known |= k
        cost += np.nan_to_num(mid)
        low += np.nan_to_num(lo)
        high += np.nan_to_num(hi)
        lacking = ~k
        if name == "disposal_fee_per_t":
            lacking &= arcs["disposal_kind"].astype(str).isin(["landfill", "treatment"]).to_numpy()
        elif name == "transport_per_t":
            lacking &= d0 > 0
        text = _missing_text(name, arcs)
        missing = missing.where(~lacking, missing + np.where(missing == "", "", "; ") + text)
    arcs["cost_per_t"] = np.where(known, cost, np.nan)
    arcs["cost_low_per_t"] = np.where(known, low, np.nan)
    arcs["cost_high_per_t"] = np.where(known, high, np.nan)
    arcs["cost_missing"] = missing.to_numpy(dtype=object)
    arcs["transport_t_km"] = d0
    te = 0.0 if transport_co2 is None else float(transport_co2)
    arcs["co2_per_t"] = arcs["co2_per_t"].to_numpy(dtype=float) - te * d0
    return arcs.reset_index(drop=True)


#: the parts of a coupling's cost per t (CNY/t, negative = saving)
_COST_PARTS = ("disposal_fee_per_t", "virgin_per_t", "env_tax_per_t", "transport_per_t")
def _missing_text(part: str, arcs: pd.DataFrame) -> pd.Series:
    """Per arc, the name of the price ``part`` needs (what ``cost_missing`` lists when it is unknown)."""
    w = arcs["material"].astype(str)
    if part == "disposal_fee_per_t":
        return "disposal fee of " + w
    if part == "virgin_per_t":
        return "price of " + arcs["substitutes"].fillna("").astype(str)
    if part == "env_tax_per_t":
        return "environmental protection tax on " + w
    return pd.Series("transport cost per t·km", index=arcs.index)


def _substitutable(fv: _FlowView, material: str, have_export: bool) -> np.ndarray:
    """The flows of ``material`` a coupling may replace: from imports and the environment, and from internal
    suppliers when the park has an export process to take their surplus."""
    internal_src = ~np.isin(fv.src_kind, list(BOUNDARY_KINDS))
    return (fv.mat == material) & fv.known & (fv.value > 0) & (
        np.isin(fv.src_kind, ["import", "environment"]) | (internal_src & have_export))


def _boundary_out(park: "Park", fv: _FlowView, user: str, material: str) -> float:
    """t/a of ``material`` leaving ``user`` for landfill, environment or export (what a rule may shrink)."""
    m = (fv.known & ~fv.is_stream & (fv.src == user) & (fv.mat == material)
         & np.isin(fv.tgt_kind, ["landfill", "environment", "export"]))
    return float(fv.value[m].sum())


@dataclass
class _RuleState:
    """What the rule-applied rows collect over the catalogue: effects per (rule, waste, user), demand of the
    displaced materials, removal pools, and the couplings whose rule cannot be applied."""

    park: "Park"
    site: Any
    table: pd.DataFrame
    effects: dict = field(default_factory=dict)
    removal: dict = field(default_factory=dict)
    not_applied: list = field(default_factory=list)

    def effect(self, rule: str, waste: str, user: str, fv: _FlowView, have_export: bool) -> Any:
        key = (rule, waste, user)
        if key not in self.effects:
            from dataclasses import replace

            from mfa.coupling_rules import residue_route, rule_effect

            e = rule_effect(rule, waste, user, self.park, self.site, self.table)
            d_u = float(fv.value[_substitutable(fv, e.displaced, have_export) & (fv.tgt == user)].sum()) \
                if e.displaced else np.inf
            if e.status == "applied":
                why = [] if d_u > 0 else [
                    f"{user} takes no {e.displaced} that a coupling may replace (the rule displaces it; if the "
                    f"park calls it otherwise, say so with the property booked_as)"]
                for m, v in e.outputs.items():
                    if v > 0:
                        r = residue_route(self.park, user, m)
                        if r:
                            why.append(r)
                    else:
                        cap = _boundary_out(self.park, fv, user, m)
                        if cap <= 0:
                            why.append(f"{user} has no outflow of {m} to take the {-v:g} t/t off "
                                       f"(give the park material it is booked as: property booked_as)")
                        self.removal[(user, m)] = cap
                if why:
                    e = replace(e, status="needs data", missing=tuple(why))
            self.effects[key] = (e, d_u)
        return self.effects[key]


def _ruled_arcs(row: Any, st_sel: pd.DataFrame, users: pd.DataFrame, fv: _FlowView, have_export: bool,
                coord: pd.DataFrame, nearest: int | None, skipped: "_Skipped", rs: _RuleState,
                demand_rows: dict) -> pd.DataFrame | None:
    """The arcs of a catalogue row that names a rule: the users the rule's receivers (and the row's
    accepting group) name, each arc carrying the rule's effect at its user; couplings the rule cannot be
    applied to go to ``rs.not_applied``."""
    rr = rs.table[rs.table["rule"] == row.rule]
    if not len(rr):
        raise MfaError(f"flows/compatibility.csv row {row.row}: rule {row.rule!r} is not in "
                       f"flows/coupling_coefficients.csv")
    eligible = matches_group(str(rr["receiver"].iloc[0]), users["group"], users["user"])
    if row.accepting_group:
        eligible &= matches_group(row.accepting_group, users["group"], users["user"])
    if not eligible.any():
        return None
    us = users[eligible]
    a = _rule_arcs(row, st_sel, us, *_pairs(st_sel, us, coord, nearest, skipped))
    if not len(a):
        return None
    combos = a[["material", "to"]].drop_duplicates()
    eff = {(w, u): rs.effect(row.rule, w, u, fv, have_export) for w, u in zip(combos["material"], combos["to"])}
    keys = list(zip(a["material"], a["to"]))
    e_of = [eff[k][0] for k in keys]
    d_of = np.array([eff[k][1] for k in keys], dtype=float)
    status = np.array([e.status for e in e_of], dtype=object)
    a = a.assign(status=status, missing=["; ".join(e.missing) for e in e_of],
                 substitutes=[e.displaced for e in e_of], ratio=[e.ratio for e in e_of],
                 max_share=[e.max_share for e in e_of],
                 co2_per_t=[0.0 if np.isnan(e.co2_per_t) else e.co2_per_t for e in e_of],
                 co2_known=[not np.isnan(e.co2_per_t) for e in e_of],
                 outputs=[dict(e.outputs) for e in e_of], rule_id=row.rule,
                 quality_note=[" | ".join(x for x in (row.quality_note, "; ".join(e.quality)) if x) for e in e_of])
    del d_of  # a user that takes none of the displaced material is "needs data" (rs.effect says so)
    ok = status == "applied"
    if (~ok).any():
        rs.not_applied.append(a.loc[~ok, ["stream", "from", "to", "material", "supply", "rule_id", "status",
                                          "missing", "quality_note"]])
    a = a[ok].reset_index(drop=True)
    for (w, u), (e, d_u) in eff.items():
        if e.status == "applied" and e.displaced and d_u > 0 and u in set(a["to"]):
            demand_rows[(u, e.displaced)] = d_u
    return a


def _outputs_frame(arcs: pd.DataFrame) -> pd.DataFrame:
    """Per (arc, material) the change of the user's output per t of waste of a rule-applied arc."""
    if "outputs" not in arcs or not len(arcs):
        return pd.DataFrame({"arc": pd.Series(dtype=int), "user": pd.Series(dtype=object),
                             "material": pd.Series(dtype=object), "per_t": pd.Series(dtype=float)})
    rows = [(i, u, m, v) for i, (u, o) in enumerate(zip(arcs["to"], arcs["outputs"]))
            if isinstance(o, dict) for m, v in o.items()]
    return pd.DataFrame(rows, columns=["arc", "user", "material", "per_t"])


def _market(park: "Park", arcs: pd.DataFrame, users: pd.DataFrame, outputs: pd.DataFrame, site: Any,
            fv: _FlowView) -> pd.DataFrame:
    """Per product a coupling may raise: current output (t/a from production processes), the demand the
    site gives (NaN = market unchecked) and the headroom demand − output."""
    cat_of = park.compiled.category_of
    grow = outputs[outputs["per_t"] > 0]
    raised = set(grow["material"][grow["material"].map(cat_of) == "product"])
    if len(arcs):
        gm = users.set_index("user")["grow_material"].reindex(arcs["to"]).fillna("").to_numpy(dtype=object)
        plain = arcs["rule_id"].astype(str).to_numpy() == "" if "rule_id" in arcs else np.ones(len(arcs), bool)
        more = plain & (arcs["ratio"].to_numpy(dtype=float) < 1) & (gm != "")
        raised |= {m for m in set(gm[more]) if cat_of.get(m) == "product"}
    dem = site.demand.set_index("material")["demand"] if site is not None and len(site.demand) else pd.Series(
        dtype=float)
    prod_out = fv.known & (fv.src_kind == "production")
    cur = fv.sum_by(prod_out, fv.mat)
    mats = sorted(raised | set(dem.index))
    d = dem.reindex(mats).to_numpy(dtype=float)
    c = cur.reindex(mats).fillna(0.0).to_numpy(dtype=float)
    return pd.DataFrame({"material": mats, "current_output": c, "demand": d,
                         "headroom": np.where(np.isnan(d), np.inf, np.maximum(d - c, 0.0)),
                         "raised": [m in raised for m in mats]})


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
               max_distance_km: float | None = None, nearest: int | None = None, site: Any = None,
               rule_table: pd.DataFrame | None = None) -> Candidates:
    """Candidate couplings of ``park`` per the compatibility catalogue (conventions in :mod:`mfa.symbiosis`);
    a catalogue row that names a ``rule`` is applied by :mod:`mfa.coupling_rules`.

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
    site : SiteData or str or Path or False, optional
        The properties, capacities per input group and market demand the rules use: by default the park's
        own (its ``coupling/`` folder), as :func:`mfa.coupling_rules.resolve_site`; False for none.
    rule_table : pandas.DataFrame, optional
        The coupling rules (default ``flows/coupling_coefficients.csv``).

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
    ...                {"id": "air", "name": "Atmosphere", "kind": "environment"},
    ...                {"id": "market", "name": "Market", "kind": "export"}],
    ...     flows=[{"source": "pvc", "target": "dump", "material": "carbide_slag", "value": 100},
    ...            {"source": "quarry", "target": "pvc", "material": "limestone", "value": 100},
    ...            {"source": "quarry", "target": "cement", "material": "limestone", "value": 500},
    ...            {"source": "cement", "target": "market", "material": "cement", "value": 300},
    ...            {"source": "cement", "target": "air", "material": "co2", "value": 200}])
    >>> c = candidates(park)
    >>> c.demand.values.tolist()  # the cement plant's limestone, which carbide slag can replace
    [['cement', 'limestone', 500.0]]
    """
    if nearest is not None and nearest < 1:
        raise MfaError("nearest must be at least 1")
    if compat is None:
        from mfa.catalogue import compatibility

        compat = compatibility()
    from mfa.coupling_rules import resolve_site, rules

    site = resolve_site(site, park)
    notes: list[str] = []
    streams = _streams(park)
    fv = _FlowView.of(park, streams)
    relief, relief_pool = _relief(park, streams, fv, notes)
    users = _users(park, fv)
    caps = _capacities(park, users, fv, site, notes)
    if len(caps):  # a user with declared groups is bounded by them (acceptance rows need one)
        spare_u = caps.groupby("user")["spare_capacity"].sum()
        users["spare_capacity"] = spare_u.reindex(users["user"]).fillna(np.inf).to_numpy()
    rule_names = compat["rule"].astype(str) if "rule" in compat else pd.Series([""] * len(compat))
    rs = _RuleState(park, site, rules() if rule_table is None and (rule_names != "").any() else rule_table)
    pt = price_table(compat, prices, park)
    taxed = {p for p in park.processes["id"] if site.property("compliant", "", p)[0] == 0}
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
        if getattr(row, "rule", ""):
            a = _ruled_arcs(row, streams[s_mask], users, fv, have_export, coord, nearest, skipped, rs,
                            demand_rows)
            if a is not None and len(a):
                arc_parts.append(a)
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
    for c_, default in (("rule_id", ""), ("status", ""), ("missing", ""), ("outputs", None)):
        if c_ not in arcs:
            arcs[c_] = default
        elif default is not None:
            arcs[c_] = arcs[c_].fillna(default)
    arcs["outputs"] = arcs["outputs"].astype(object)
    arcs = _fit_groups(arcs, caps, park, notes)
    arcs["w_counted"] = counted_input(park, arcs["material"].to_numpy(dtype=object))
    arcs["d_counted"] = counted_input(park, arcs["substitutes"].fillna("").astype(str).to_numpy(dtype=object))
    arcs = _price_arcs(arcs, coord, pt, transport_cost, transport_co2, max_distance_km, taxed, notes)
    notes += _skipped_notes(skipped, nearest)
    outputs = _outputs_frame(arcs)
    market = _market(park, arcs, users, outputs, site, fv)
    removal = pd.DataFrame([(u, m, v) for (u, m), v in sorted(rs.removal.items())],
                           columns=["user", "material", "capacity"])
    not_applied = (pd.concat(rs.not_applied, ignore_index=True).drop_duplicates(["stream", "to"])
                   if rs.not_applied else pd.DataFrame(columns=["stream", "from", "to", "material", "supply",
                                                                "rule_id", "status", "missing", "quality_note"]))
    demand = pd.DataFrame([{"user": u, "material": m_, "demand": d_} for (u, m_), d_ in
                           sorted(demand_rows.items())], columns=["user", "material", "demand"])
    k = fv.known
    existing = pd.DataFrame({"target": fv.tgt[k], "material": fv.mat[k], "value": fv.value[k]})
    return Candidates(streams=streams, arcs=arcs, users=users, demand=demand, relief=relief,
                      relief_pool=relief_pool, notes=notes, existing_inputs=existing, capacities=caps,
                      outputs=outputs, removal=removal, market=market, not_applied=not_applied)


def _fit_groups(arcs: pd.DataFrame, caps: pd.DataFrame, park: "Park", notes: list[str]) -> pd.DataFrame:
    """Leave out arcs into a user that declares input groups when the waste is in none of them."""
    declared = caps[caps["materials"].map(lambda m: m is not None)] if len(caps) else caps
    if not len(declared) or not len(arcs):
        return arcs
    _, ai, in_w, _ = _memberships(arcs, declared, park)
    takes_w = np.bincount(ai, weights=in_w.astype(float), minlength=len(arcs)) > 0
    grouped = arcs["to"].isin(set(declared["user"])).to_numpy()
    drop = grouped & ~takes_w
    if drop.any():
        gone = arcs.loc[drop, ["material", "to"]].drop_duplicates()
        notes.append("left out, the waste is in none of the user's declared input groups (coupling/"
                     "capacities.csv): " + ", ".join(f"{m}→{u}" for m, u in zip(gone["material"], gone["to"])))
    return arcs[~drop].reset_index(drop=True)
