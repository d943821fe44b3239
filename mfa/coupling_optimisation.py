"""The coupling optimisation: how many t/a each candidate coupling carries (conventions and the formulation
in :mod:`mfa.symbiosis` and ``docs/symbiosis.md``).

Variables q_a ≥ 0 (t/a) per candidate arc; supply per stream, relief at internal disposal targets, demand per
(user, substituted material), spare capacity, the user's shrinkable outflows and ``max_share`` as sparse
inequality rows; the objective weighs utilisation (t/a), cost (CNY/a) and CO₂ avoided (t/a). Fixed link
costs add a binary per arc (a MILP). Solved with HiGHS through :func:`scipy.optimize.linprog` /
:func:`scipy.optimize.milp` (imported when a plan is optimised).

>>> import mfa
>>> from mfa.coupling_candidates import candidates
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
>>> q, info = optimise_plan(candidates(park))  # at most 15 % of the kiln's input (S45): q + 0.15·0.351·q = 75
>>> [round(float(x), 2) for x in q], info["status"]
([71.25], 'optimal')
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping

import numpy as np
import pandas as pd
import scipy.sparse as sp

from mfa.coupling_candidates import group_coefficients
from mfa.errors import MfaError, suggest

if TYPE_CHECKING:  # pragma: no cover
    from mfa.coupling_candidates import Candidates

__all__ = ["OBJECTIVES", "objective_weights", "build_problem", "optimise_plan", "binding_capacities",
           "market_coefficients", "build_order", "link_index"]

OBJECTIVES: tuple[str, ...] = ("utilisation", "cost", "co2")


def objective_weights(objective: str = "utilisation",
                      weights: Mapping[str, float] | None = None) -> dict[str, float]:
    """The weight of each objective term: one objective (weight 1) or ``weights`` (which override it).

    Parameters
    ----------
    objective : {"utilisation", "cost", "co2"}
        Maximise t/a rerouted, minimise CNY/a, or maximise t CO₂/a avoided.
    weights : mapping, optional
        Weights per objective name (missing ones are 0), e.g. ``{"utilisation": 1, "co2": 0.5}``.

    Returns
    -------
    dict
        Name → weight for every name of :data:`OBJECTIVES`.

    Examples
    --------
    >>> objective_weights("co2")
    {'utilisation': 0.0, 'cost': 0.0, 'co2': 1.0}
    >>> objective_weights(weights={"utilisation": 1, "co2": 0.5})
    {'utilisation': 1.0, 'cost': 0.0, 'co2': 0.5}
    """
    if weights:
        bad = set(weights) - set(OBJECTIVES)
        if bad:
            raise MfaError(f"unknown weight(s) {sorted(bad)}; use " + ", ".join(OBJECTIVES))
        w = {k: float(weights.get(k, 0.0)) for k in OBJECTIVES}
        if not any(w.values()):
            raise MfaError("all weights are 0: nothing to optimise")
        return w
    if objective not in OBJECTIVES:
        hint = suggest(objective, OBJECTIVES)
        raise MfaError(f"unknown objective {objective!r}; use one of " + ", ".join(OBJECTIVES)
                       + (f" — {hint}" if hint else ""))
    return {k: (1.0 if k == objective else 0.0) for k in OBJECTIVES}


def build_problem(c: "Candidates", w: dict[str, float], fixed_cost: float | None = None,
                  max_links: int | None = None
                  ) -> tuple[np.ndarray, sp.csr_matrix, np.ndarray, np.ndarray, int, np.ndarray | None]:
    """The LP / MILP of a candidate set as arrays (min c·x subject to A x ≤ b, 0 ≤ x ≤ ub).

    Parameters
    ----------
    c : Candidates
        From :func:`mfa.coupling_candidates.candidates`.
    w : dict
        Objective weights (:func:`objective_weights`).
    fixed_cost : float, optional
        CNY per link per year: adds a binary per link (producer, user, material; q_a ≤ ub_a·y_l for its arcs)
        and turns the LP into a MILP.
    max_links : int, optional
        At most this many couplings (Σ y_a ≤ N, a MILP as with ``fixed_cost``).

    Returns
    -------
    tuple
        (cost vector, A_ub as sparse CSR, b_ub, upper bounds, number of arc variables, integrality or None);
        the first variables are the arcs' t/a, then the relief variables, then the binaries.

    Examples
    --------
    >>> import mfa
    >>> from mfa.coupling_candidates import candidates
    >>> park = mfa.Park.from_frames(
    ...     processes=[{"id": "pvc", "name": "PVC", "kind": "production"},
    ...                {"id": "bricks", "name": "Brickworks", "kind": "production", "capacity": 600},
    ...                {"id": "dump", "name": "Landfill", "kind": "landfill"},
    ...                {"id": "market", "name": "Market", "kind": "export"}],
    ...     flows=[{"source": "pvc", "target": "dump", "material": "fly_ash", "value": 100},
    ...            {"source": "bricks", "target": "market", "material": "fired_bricks", "value": 500}])
    >>> cost, A, b, ub, n, integrality = build_problem(candidates(park), objective_weights())
    >>> n, A.shape[1], integrality is None
    (1, 1, True)
    """
    arcs = c.arcs
    n = len(arcs)
    gamma = arcs["ratio"].to_numpy(dtype=float)
    rows = _Rows()
    _supply_rows(rows, arcs)
    n_aux = _relief_rows(rows, c, arcs)
    d_idx = _demand_index(c, arcs)
    on = d_idx >= 0
    if on.any():  # demand per (user, substituted material): Σ γ q ≤ D
        rows.add(d_idx[on], np.flatnonzero(on), gamma[on], c.demand["demand"].to_numpy(dtype=float))
    u_codes = pd.Index(c.users["user"]).get_indexer(arcs["to"])
    if c.capacities is not None:  # capacity per input group: Σ (in group − γ·displaced in group) q ≤ spare
        gi, ai, coef = group_coefficients(arcs, c.capacities)
        rows.add(gi, ai, coef, c.capacities["spare_capacity"].to_numpy(dtype=float))
    else:
        spare = c.users["spare_capacity"].to_numpy(dtype=float)
        fin = np.isfinite(spare)
        if fin.any():  # capacity: Σ (1 − γ) q ≤ spare (finite only)
            umap = np.full(len(c.users), -1)
            umap[fin] = np.arange(int(fin.sum()))
            on = umap[u_codes] >= 0
            rows.add(umap[u_codes][on], np.flatnonzero(on), (1.0 - gamma)[on], spare[fin])
    # shrink pool: Σ (γ − 1) q ≤ outflows that can shrink (a rule books its outputs itself)
    plain = _plain(arcs)
    rows.add(u_codes[plain], np.flatnonzero(plain), (gamma - 1.0)[plain],
             c.users["shrink_capacity"].to_numpy(dtype=float))
    _rule_rows(rows, c, arcs)
    _share_rows(rows, c, arcs)
    nvar = n + n_aux
    A, b_ub = rows.matrix(nvar)
    ub = arcs["supply"].to_numpy(dtype=float).copy()
    pos = gamma > 0
    dem_u = np.full(n, np.inf)
    dem_u[d_idx >= 0] = c.demand["demand"].to_numpy(dtype=float)[d_idx[d_idx >= 0]]
    ub[pos] = np.minimum(ub[pos], dem_u[pos] / gamma[pos])
    c_full = np.concatenate([_objective(arcs, w), np.zeros(n_aux)])
    ub_full = np.concatenate([ub, np.full(n_aux, np.inf)])
    priced_links = fixed_cost is not None and fixed_cost > 0
    if not priced_links and max_links is None:
        return c_full, A, b_ub, ub_full, n, None
    if priced_links and w["cost"] == 0:
        raise MfaError("fixed link costs are a cost: use objective 'cost' or give a cost weight")
    # a binary y_l per link l = (producer, user, material) — several streams of one producer to one user are
    # one link to build: q_a − ub_a·y_l(a) ≤ 0 ; objective + w_c·F·y_l ; Σ y_l ≤ N
    l_codes, l_uni = link_index(arcs)
    nl = len(l_uni)
    big = np.where(np.isfinite(ub), ub, arcs["supply"].to_numpy(dtype=float))
    link = sp.csr_matrix((np.concatenate([np.ones(n), -big]),
                          (np.concatenate([np.arange(n), np.arange(n)]),
                           np.concatenate([np.arange(n), nvar + l_codes]))), shape=(n, nvar + nl))
    blocks = [sp.hstack([A, sp.csr_matrix((A.shape[0], nl))]), link]
    rhs = [b_ub, np.zeros(n)]
    if max_links is not None:  # the budget of new links: Σ y ≤ N
        blocks.append(sp.csr_matrix((np.ones(nl), (np.zeros(nl, dtype=int), nvar + np.arange(nl))),
                                    shape=(1, nvar + nl)))
        rhs.append(np.array([float(max_links)]))
    A = sp.vstack(blocks).tocsr()
    link_cost = w["cost"] * float(fixed_cost) if priced_links else 0.0
    return (np.concatenate([c_full, np.full(nl, link_cost)]), A, np.concatenate(rhs),
            np.concatenate([ub_full, np.ones(nl)]), n, np.concatenate([np.zeros(nvar), np.ones(nl)]))


def link_index(arcs: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Per arc, its link: one per (producer, user, material) — the exchange to build, whatever stream of the
    producer it carries.

    Parameters
    ----------
    arcs : pandas.DataFrame
        from, to, material.

    Returns
    -------
    (codes, names) : numpy.ndarray
        The link of each arc and the link names ``from→to:material``.

    Examples
    --------
    >>> arcs = pd.DataFrame({"from": ["pvc", "pvc"], "to": ["kiln", "kiln"], "material": ["carbide_slag"] * 2})
    >>> [x.tolist() for x in link_index(arcs)]
    [[0, 0], ['pvc→kiln:carbide_slag']]
    """
    names = arcs["from"].astype(str) + "→" + arcs["to"].astype(str) + ":" + arcs["material"].astype(str)
    codes, uni = pd.factorize(names)
    return codes, np.asarray(uni, dtype=object)


def _plain(arcs: pd.DataFrame) -> np.ndarray:
    """The arcs of catalogue rows without a rule (their mass difference is booked on boundary outflows)."""
    if "rule_id" not in arcs:
        return np.ones(len(arcs), dtype=bool)
    return arcs["rule_id"].fillna("").astype(str).to_numpy() == ""


def _rule_rows(rows: "_Rows", c: "Candidates", arcs: pd.DataFrame) -> None:
    """A rule's outputs that shrink stay within the user's outflows of them (Σ −per_t·q ≤ outflow); a
    product's output grows at most to its market demand (Σ δ q ≤ headroom)."""
    out = c.outputs
    if out is not None and len(out) and c.removal is not None and len(c.removal):
        neg = out[out["per_t"] < 0]
        key = pd.MultiIndex.from_frame(c.removal[["user", "material"]])
        r_idx = key.get_indexer(pd.MultiIndex.from_frame(neg[["user", "material"]]))
        ok = r_idx >= 0
        rows.add(r_idx[ok], neg["arc"].to_numpy()[ok], -neg["per_t"].to_numpy(dtype=float)[ok],
                 c.removal["capacity"].to_numpy(dtype=float))
    mk = c.market
    if mk is None or not len(mk):
        return
    mk = mk[np.isfinite(mk["headroom"].to_numpy(dtype=float))].reset_index(drop=True)
    if not len(mk):
        return
    gi, ai, coef = market_coefficients(c, arcs, mk["material"])
    rows.add(gi, ai, coef, mk["headroom"].to_numpy(dtype=float))


def market_coefficients(c: "Candidates", arcs: pd.DataFrame, products: pd.Series
                        ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """How much each t of each arc's waste raises each product's output: a rule's ``adds``/``yields`` of it,
    or, for a catalogue row without a rule, the mass difference (1 − γ) booked on the user's largest export
    when that export is the product.

    Parameters
    ----------
    c : Candidates
    arcs : pandas.DataFrame
        ``c.arcs`` (or a copy in the same order).
    products : pandas.Series
        Product material ids.

    Returns
    -------
    (product index, arc index, t per t) : numpy.ndarray

    Examples
    --------
    >>> import mfa
    >>> from mfa.coupling_candidates import candidates
    >>> c = candidates(mfa.solve_park(mfa.read_park("wuhai")).park)
    >>> g, a, per_t = market_coefficients(c, c.arcs, pd.Series(["fired_bricks"]))
    >>> sorted(set(c.arcs["to"].iloc[a])), set(per_t.tolist())  # 1 t of brick per t of waste accepted
    (['brick_plant'], {1.0})
    """
    pidx = pd.Index(products)
    parts_g, parts_a, parts_v = [], [], []
    out = c.outputs
    if out is not None and len(out):
        pos = out[out["per_t"] > 0]
        g = pidx.get_indexer(pos["material"])
        ok = g >= 0
        parts_g.append(g[ok])
        parts_a.append(pos["arc"].to_numpy()[ok])
        parts_v.append(pos["per_t"].to_numpy(dtype=float)[ok])
    if "grow_material" in c.users and len(arcs):
        gm = c.users.set_index("user")["grow_material"].reindex(arcs["to"]).fillna("").to_numpy(dtype=object)
        g = pidx.get_indexer(gm)
        gamma = arcs["ratio"].to_numpy(dtype=float)
        ok = (g >= 0) & _plain(arcs) & (gamma < 1)
        parts_g.append(g[ok])
        parts_a.append(np.flatnonzero(ok))
        parts_v.append((1.0 - gamma)[ok])
    if not parts_g:
        return np.zeros(0, dtype=int), np.zeros(0, dtype=int), np.zeros(0)
    return np.concatenate(parts_g), np.concatenate(parts_a), np.concatenate(parts_v)


def binding_capacities(c: "Candidates", q: np.ndarray, tol: float = 1e-6) -> list[str]:
    """Per arc, the input groups of its user that the plan ``q`` fills and that the arc draws on
    (``user:group``, ``;``-separated), or ``"none"``.

    Parameters
    ----------
    c : Candidates
    q : numpy.ndarray
        t/a per arc (``c.arcs`` order).
    tol : float
        Relative slack under which a group counts as full.

    Returns
    -------
    list of str
        One entry per arc, in ``c.arcs`` order.

    Examples
    --------
    >>> import mfa
    >>> from mfa.coupling_candidates import candidates
    >>> c = candidates(mfa.solve_park(mfa.read_park("wuhai")).park)
    >>> q, _ = optimise_plan(c)
    >>> sorted(set(binding_capacities(c, q)) - {"none"})  # gangue fills the CFB's fuel, fly ash these plants
    ['aac_plant:input', 'brick_plant:input', 'cfb_power_plant:fuel']
    """
    n = len(c.arcs)
    out = ["none"] * n
    caps = c.capacities
    if caps is None or not len(caps) or not n:
        return out
    gi, ai, coef = group_coefficients(c.arcs, caps)
    used = np.bincount(gi, weights=coef * q[ai], minlength=len(caps))
    spare = caps["spare_capacity"].to_numpy(dtype=float)
    full = spare - used <= tol * np.maximum(1.0, spare)
    names = (caps["user"].astype(str) + ":" + caps["group"].astype(str)).to_numpy(dtype=object)
    hit = full[gi] & (coef > 0) & (q[ai] > 0)
    if hit.any():
        joined = pd.Series(names[gi[hit]]).groupby(ai[hit]).agg("; ".join)
        for a, text in joined.items():  # the arcs a full group binds: the chosen few
            out[int(a)] = text
    return out


class _Rows:
    """Inequality rows A x ≤ b collected block by block as sparse triplets."""

    def __init__(self) -> None:
        self.rows: list[np.ndarray] = []
        self.cols: list[np.ndarray] = []
        self.vals: list[np.ndarray] = []
        self.rhs: list[np.ndarray] = []
        self.n = 0

    def add(self, row_idx: np.ndarray, col_idx: np.ndarray, v: np.ndarray, b: np.ndarray) -> None:
        """A block of ``len(b)`` rows; ``row_idx`` counts from the block's first row."""
        self.rows.append(row_idx + self.n)
        self.cols.append(col_idx)
        self.vals.append(v)
        self.rhs.append(b)
        self.n += len(b)

    def matrix(self, nvar: int) -> tuple[sp.csr_matrix, np.ndarray]:
        A = sp.csr_matrix((np.concatenate(self.vals), (np.concatenate(self.rows), np.concatenate(self.cols))),
                          shape=(self.n, nvar))
        return A, np.concatenate(self.rhs)


def _supply_rows(rows: _Rows, arcs: pd.DataFrame) -> None:
    """Σ_u q_wu ≤ S_w per stream."""
    s_codes, _ = pd.factorize(arcs["stream"])
    supply = arcs.groupby(s_codes)["supply"].first().to_numpy(dtype=float)
    rows.add(s_codes, np.arange(len(arcs)), np.ones(len(arcs)), supply)


def _relief_rows(rows: _Rows, c: "Candidates", arcs: pd.DataFrame) -> int:
    """Relief at internal targets with one extra variable u_tm per (target, material):
    Σ_(t,m) q − u_tm ≤ stock accumulation_tm and Σ_m u_tm ≤ boundary outflow_t. Returns the number of u."""
    n_aux = len(c.relief)
    if not n_aux:
        return 0
    key_arc = arcs["disposal_target"].astype(str) + "\x00" + arcs["material"].astype(str)
    key_rel = c.relief["target"].astype(str) + "\x00" + c.relief["material"].astype(str)
    rel_idx = pd.Index(key_rel).get_indexer(key_arc)
    on = rel_idx >= 0
    aux = len(arcs) + np.arange(n_aux)
    rows.add(np.concatenate([rel_idx[on], np.arange(n_aux)]), np.concatenate([np.flatnonzero(on), aux]),
             np.concatenate([np.ones(int(on.sum())), -np.ones(n_aux)]),
             c.relief["stock_accumulation"].to_numpy(dtype=float))
    t_idx = pd.Index(c.relief_pool["target"]).get_indexer(c.relief["target"])
    rows.add(t_idx, aux, np.ones(n_aux), c.relief_pool["boundary_outflow"].to_numpy(dtype=float))
    return n_aux


def _demand_index(c: "Candidates", arcs: pd.DataFrame) -> np.ndarray:
    """Per arc, the row of ``c.demand`` (user, substituted material) it draws on, or −1."""
    has_sub = arcs["substitutes"].astype(str).to_numpy() != ""
    if not has_sub.any() or not len(c.demand):
        return np.full(len(arcs), -1)
    key_arc = arcs["to"].astype(str) + "\x00" + arcs["substitutes"].astype(str)
    key_dem = c.demand["user"].astype(str) + "\x00" + c.demand["material"].astype(str)
    return np.where(has_sub, pd.Index(key_dem).get_indexer(key_arc), -1)


def _share_rows(rows: _Rows, c: "Candidates", arcs: pd.DataFrame) -> None:
    """max_share per (user, catalogue row): Σ_row q − s Σ_all Δbasis q ≤ s·B0 − what the user already takes
    of the row's waste. The basis is the smallest input group the user declares that holds the waste (its
    current input B0, each arc's Δ per :func:`~mfa.coupling_candidates.group_coefficients`), else every input
    but air and water (Δ = 1 − γ)."""
    share = arcs["max_share"].to_numpy(dtype=float)
    has_share = ~np.isnan(share)
    if not has_share.any():
        return
    gamma = arcs["ratio"].to_numpy(dtype=float)
    grp = arcs.loc[has_share, ["to", "rule"]].astype(str).agg("\x00".join, axis=1)
    g_codes, g_uni = pd.factorize(grp)
    ng = len(g_uni)
    first = pd.Series(np.arange(int(has_share.sum()))).groupby(g_codes).first().to_numpy()
    grp_user = arcs.loc[has_share, "to"].to_numpy(dtype=object)[first]
    grp_rule = arcs.loc[has_share, "rule"].to_numpy()[first]
    grp_waste = arcs.loc[has_share, "material"].to_numpy(dtype=object)[first]
    grp_share = share[has_share][first]
    # every arc into the group's user contributes −s·Δbasis
    pairs = pd.DataFrame({"user": grp_user, "g": np.arange(ng)}).merge(
        pd.DataFrame({"user": arcs["to"].to_numpy(dtype=object), "a": np.arange(len(arcs))}), on="user")
    gi, ai = pairs["g"].to_numpy(), pairs["a"].to_numpy()
    dv = 1.0 - gamma[ai]
    i0 = c.users.set_index("user")["current_input"].reindex(grp_user).to_numpy(dtype=float)
    basis = _share_basis(c, grp_user, grp_waste)
    if (basis >= 0).any():
        cg, ca, cv = group_coefficients(arcs, c.capacities)
        delta = pd.Series(cv, index=pd.MultiIndex.from_arrays([cg, ca]))
        b_of = basis[gi]
        on = b_of >= 0
        dv = np.where(on, delta.reindex(pd.MultiIndex.from_arrays([np.where(on, b_of, -1), ai]))
                      .fillna(0.0).to_numpy(), dv)
        i0 = np.where(basis >= 0, c.capacities["current_input"].to_numpy(dtype=float)[np.maximum(basis, 0)], i0)
    # a user already beyond the share takes no more (b = 0), rather than making the whole plan infeasible
    b = np.maximum(grp_share * i0 - _existing_share_inputs(c, arcs.loc[has_share], grp_user, grp_rule), 0.0)
    rows.add(np.concatenate([g_codes, gi]), np.concatenate([np.flatnonzero(has_share), ai]),
             np.concatenate([np.ones(int(has_share.sum())), -grp_share[gi] * dv]), b)


def _share_basis(c: "Candidates", users: np.ndarray, wastes: np.ndarray) -> np.ndarray:
    """Per share group, the row of ``c.capacities`` that is its basis (the smallest declared group of the
    user holding the waste), or −1."""
    out = np.full(len(users), -1)
    caps = c.capacities
    if caps is None or not len(caps):
        return out
    size = caps["materials"].map(lambda m: len(m) if m is not None else np.inf).to_numpy(dtype=float)
    by_user = pd.Series(np.arange(len(caps))).groupby(caps["user"].to_numpy(dtype=object)).apply(list)
    for k, (u, w) in enumerate(zip(users, wastes)):  # one per (user, catalogue row): a handful
        best = [j for j in by_user.get(u, []) if caps["materials"].iloc[j] is not None
                and w in caps["materials"].iloc[j]]
        if best:
            out[k] = min(best, key=lambda j: size[j])
    return out


def _existing_share_inputs(c: "Candidates", share_arcs: pd.DataFrame, grp_user: np.ndarray,
                           grp_rule: np.ndarray) -> np.ndarray:
    """Per (user, rule) group, the t/a of the rule's waste material(s) the user already takes (they count
    towards the share)."""
    existing = c.existing_inputs
    if existing is None or not len(grp_user):
        return np.zeros(len(grp_user))
    groups = pd.DataFrame({"g": np.arange(len(grp_user)), "user": grp_user, "rule": grp_rule})
    gm = groups.merge(share_arcs[["rule", "material"]].drop_duplicates(), on="rule")
    have = existing.groupby(["target", "material"])["value"].sum()
    got = have.reindex(pd.MultiIndex.from_arrays([gm["user"], gm["material"]])).fillna(0.0).to_numpy()
    return np.bincount(gm["g"].to_numpy(), weights=got, minlength=len(grp_user))


def _objective(arcs: pd.DataFrame, w: dict[str, float]) -> np.ndarray:
    """min −w_u Σq + w_c Σ cost q − w_co2 Σ co2 q, plus tie-breaks: between equally good plans towards
    waste that would be landfilled, towards more CO₂ avoided and towards shorter hauls (weights far below
    any real objective, so plans are deterministic)."""
    n = len(arcs)
    cost = np.nan_to_num(arcs["cost_per_t"].to_numpy(dtype=float))
    co2 = arcs["co2_per_t"].to_numpy(dtype=float)
    dist = np.nan_to_num(arcs["distance_km"].to_numpy(dtype=float))
    landfilled = (arcs["disposal_kind"].astype(str).to_numpy() == "landfill") if "disposal_kind" in arcs else 0.0
    tie = (-1e-6 * landfilled - 1e-8 * np.clip(co2, -1e3, 1e3)
           + 1e-9 * (1.0 + dist / (1.0 + (dist.max() if n else 0.0))))
    return -w["utilisation"] * np.ones(n) + w["cost"] * cost - w["co2"] * co2 + tie


def optimise_plan(c: "Candidates", objective: str = "utilisation", weights: Mapping[str, float] | None = None,
                  fixed_cost: float | None = None, max_links: int | None = None) -> tuple[np.ndarray, dict[str, Any]]:
    """The t/a per candidate coupling that optimise the objective: the LP (or, with ``fixed_cost``, the MILP)
    solved with HiGHS.

    Parameters
    ----------
    c : Candidates
        From :func:`mfa.coupling_candidates.candidates`.
    objective : {"utilisation", "cost", "co2"}
        See :func:`objective_weights`.
    weights : mapping, optional
        Weights per objective; override ``objective``.
    fixed_cost : float, optional
        CNY per coupling per year (MILP).
    max_links : int, optional
        At most this many couplings (MILP, exact: HiGHS branch and bound).

    Returns
    -------
    q : numpy.ndarray
        t/a per candidate arc (``c.arcs`` order; 0 = not chosen).
    info : dict
        status, objective_value, solver, variables, constraints, seconds and weights.

    Raises
    ------
    MfaError
        When the solver fails (the message names the solver and the problem size).

    Examples
    --------
    >>> import mfa
    >>> from mfa.coupling_candidates import candidates
    >>> park = mfa.Park.from_frames(
    ...     processes=[{"id": "quarry", "name": "Quarry", "kind": "import"},
    ...                {"id": "pvc", "name": "PVC", "kind": "production"},
    ...                {"id": "bricks", "name": "Brickworks", "kind": "production", "capacity": 530},
    ...                {"id": "dump", "name": "Landfill", "kind": "landfill"},
    ...                {"id": "market", "name": "Market", "kind": "export"}],
    ...     flows=[{"source": "pvc", "target": "dump", "material": "fly_ash", "value": 100},
    ...            {"source": "quarry", "target": "bricks", "material": "limestone", "value": 500},
    ...            {"source": "bricks", "target": "market", "material": "fired_bricks", "value": 500}])
    >>> q, info = optimise_plan(candidates(park))  # fly ash accepted by the brickworks: 30 t/a spare
    >>> [round(float(x), 6) for x in q], info["solver"]
    ([30.0], 'linprog(highs)')
    """
    import time

    from scipy.optimize import Bounds, LinearConstraint, linprog, milp

    w = objective_weights(objective, weights)
    if max_links is not None and max_links < 1:
        raise MfaError(f"max_links must be at least 1 (got {max_links})")
    n = len(c.arcs)
    if n == 0:
        return np.zeros(0), {"status": "no candidates", "objective_value": 0.0, "solver": None,
                             "variables": 0, "constraints": 0, "seconds": 0.0, "weights": w}
    cost, A, b, ub, n_arcs, integ = build_problem(c, w, fixed_cost, max_links)
    t0 = time.perf_counter()
    if integ is None:
        res = linprog(cost, A_ub=A, b_ub=b, bounds=np.column_stack([np.zeros(len(ub)), ub]), method="highs")
        solver = "linprog(highs)"
    else:
        res = milp(cost, constraints=LinearConstraint(A, -np.inf, b), integrality=integ,
                   bounds=Bounds(np.zeros(len(ub)), ub), options={"disp": False})
        solver = "milp(highs)"
    secs = time.perf_counter() - t0
    ok = res.status == 0
    x, fun = (res.x, res.fun) if ok else (None, None)
    if not ok:
        raise MfaError(f"the coupling optimisation failed ({solver}): {res.message} "
                       f"[{n_arcs} candidate couplings, {A.shape[0]} constraints]")
    q = np.clip(x[:n_arcs], 0.0, None)
    supply = c.arcs["supply"].to_numpy(dtype=float)
    q[q < 1e-7 * np.maximum(1.0, supply)] = 0.0
    return q, {"status": "optimal", "objective_value": float(fun), "solver": solver, "variables": len(cost),
               "constraints": int(A.shape[0]), "seconds": secs, "weights": w}




def build_order(c: "Candidates", objective: str = "utilisation", weights: Mapping[str, float] | None = None,
                fixed_cost: float | None = None, max_links: int = 3) -> pd.DataFrame:
    """The order to build the couplings in: the best plan of 1, 2, … ``max_links`` links (each an exact
    MILP, HiGHS), and what each added link gains.

    Parameters
    ----------
    c : Candidates
    objective, weights, fixed_cost
        As for :func:`optimise_plan`.
    max_links : int
        The largest budget of new links.

    Returns
    -------
    pandas.DataFrame
        One row per budget k that adds a link: step (k), added (the link(s) new in the best plan of k links,
        ``from→to:material``), dropped (links of the best k − 1 plan it no longer has; blank when the plans
        are nested), tonnes (t/a of the whole plan), value (of the whole plan in the objective's units: t/a
        for utilisation, CNY/a saved for cost, t CO₂/a for co2, weighted for weights) and marginal_gain (value
        − the value of the best plan of k − 1 links).

    Examples
    --------
    >>> import mfa
    >>> from mfa.coupling_candidates import candidates
    >>> c = candidates(mfa.solve_park(mfa.read_park("wuhai")).park)  # with its coupling/ data: the rules apply
    >>> [(s, a, round(g)) for s, a, g in build_order(c, max_links=2)[["step", "added", "marginal_gain"]].values]
    [(1, 'coal_washing→cfb_power_plant:coal_gangue', 676009), (2, 'pvc_plant→cement_plant:carbide_slag', 80000)]
    """
    arcs = c.arcs
    codes, uni = link_index(arcs) if len(arcs) else (np.zeros(0, dtype=int), np.zeros(0, dtype=object))
    names = uni[codes]
    rows, prev, prev_value = [], set(), 0.0
    for k in range(1, int(max_links) + 1):
        q, info = optimise_plan(c, objective, weights, fixed_cost, max_links=k)
        chosen = set(names[q > 0])
        if chosen == prev:  # another link adds nothing: the plan is complete
            break
        w = info["weights"]
        cost = np.dot(np.nan_to_num(arcs["cost_per_t"].to_numpy(dtype=float)), q)
        co2 = np.dot(arcs["co2_per_t"].to_numpy(dtype=float), q)
        value = float(w["utilisation"] * q.sum() - w["cost"] * cost + w["co2"] * co2
                      - w["cost"] * (fixed_cost or 0.0) * len(chosen))
        rows.append({"step": k, "added": ", ".join(sorted(chosen - prev)),
                     "dropped": ", ".join(sorted(prev - chosen)), "tonnes": round(float(q.sum()), 9),
                     "value": round(value, 9), "marginal_gain": round(value - prev_value, 9)})
        prev, prev_value = chosen, value
    return pd.DataFrame(rows, columns=["step", "added", "dropped", "tonnes", "value", "marginal_gain"])
