"""Synthetic parks for benchmarks and scale tests: N processes, about 5N flows, realistic kinds and
materials, recycling loops, and flows that balance exactly.

Construction: each internal process sends its throughput to about four others (mostly downstream, about
one link in ten back upstream, which makes loops) and a share out of the park (export, environment or
landfill); imports feed the first processes. Throughputs solve ``T = z + Pᵀ T`` (sparse), flows are
``T_i · share_ij``, so every internal process balances to rounding.

Two network structures:

* ``structure="random"`` (default): each process links to others drawn from the next quarter of the
  process list, and one link in ten goes back to any upstream process. The network is an expander (one
  giant strongly connected component, no small separators): the stress case for every sparse
  factorisation, far from how a real region trades.
* ``structure="regional"``: the shape of a province's material flows. Processes sit in industrial parks or
  counties of about 100 (contiguous, ordered along each park's production chains). Within its park a process
  sends to the next few processes of its chain, and one link in ten goes a few steps back (local recycling
  loops). One link in ten goes to a regional hub (1 % of the processes: collection points, treatment and
  recycling plants serving nearby parks), which send recovered material back to processes of those parks;
  one in twenty goes to a process in a neighbouring park (inter-park trade). Imports feed the first
  processes of every park.

>>> from bench.synthetic import synthetic_park
>>> park = synthetic_park(200, seed=1)
>>> len(park.processes), len(park.flows) > 800
(200, True)
>>> regional = synthetic_park(1000, seed=1, structure="regional")
>>> len(regional.processes), len(regional.flows) > 4000
(1000, True)
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

MATERIALS = [
    # id, category, bulk
    ("syn_coal", "fuel", False), ("syn_ore", "raw_material", False), ("syn_limestone", "raw_material", False),
    ("syn_product_a", "product", False), ("syn_product_b", "product", False), ("syn_cement", "product", False),
    ("syn_fly_ash", "industrial_solid_waste", True), ("syn_slag", "industrial_solid_waste", True),
    ("syn_gangue", "industrial_solid_waste", True), ("syn_gypsum", "industrial_solid_waste", True),
    ("syn_sludge", "industrial_solid_waste", False), ("syn_waste_oil", "hazardous_waste", False),
    ("syn_straw", "straw", True), ("syn_manure", "manure", False), ("syn_scrap_steel", "renewable_resource", False),
    ("syn_waste_paper", "renewable_resource", False), ("syn_flue_gas", "emission", False),
    ("syn_water", "water", False),
]


# regional structure: processes per park, chain window, hubs' share of the processes
PARK_SIZE = 100
CHAIN_WINDOW = 12
HUB_SHARE = 0.01


def _random_links(rng: np.random.Generator, m: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Internal links of the random structure (see module docstring): sources, targets."""
    src = np.repeat(np.arange(m), k)
    span = np.maximum(1, (m - src) // 4)
    fwd = src + 1 + (rng.random(src.size) * span).astype(np.int64)
    back = (rng.random(src.size) * np.maximum(src, 1)).astype(np.int64)
    is_back = (rng.random(src.size) < 0.1) & (src > 0)
    return src, np.where(is_back, back, fwd)


def _regional_links(rng: np.random.Generator, m: int, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Internal links of the regional structure (see module docstring): sources, targets, hub flags."""
    park = np.arange(m) // PARK_SIZE
    n_parks = int(park[-1]) + 1
    start = park * PARK_SIZE
    end = np.minimum(start + PARK_SIZE, m)
    is_hub = rng.random(m) < HUB_SHARE
    hubs = np.flatnonzero(is_hub)
    if not len(hubs):
        hubs = np.array([m // 2])
        is_hub[hubs] = True
    src = np.repeat(np.arange(m), k)
    u = rng.random(src.size)
    step = 1 + (rng.random(src.size) * CHAIN_WINDOW).astype(np.int64)
    pos = src - start[src]
    size = end[src] - start[src]
    fwd = start[src] + (pos + step) % size            # along the chain (wrapping: a park's last processes
    back = start[src] + (pos - step) % size           # feed its first ones, as cement takes slag back)
    # nearest hubs by position: one of the two closest on either side
    near = np.clip(np.searchsorted(hubs, src) + rng.integers(-2, 2, src.size), 0, len(hubs) - 1)
    hub_tgt = hubs[near]
    other_park = np.clip(park[src] + rng.choice([-2, -1, 1, 2], src.size), 0, n_parks - 1)
    nb_tgt = np.minimum(other_park * PARK_SIZE + (rng.random(src.size) * PARK_SIZE).astype(np.int64), m - 1)
    tgt = np.where(u < 0.75, fwd, np.where(u < 0.85, back, np.where(u < 0.95, hub_tgt, nb_tgt)))
    # hubs send recovered material back to the parks around them
    from_hub = is_hub[src]
    hub_park = np.clip(park[src] + rng.integers(-2, 3, src.size), 0, n_parks - 1)
    ret = np.minimum(hub_park * PARK_SIZE + (rng.random(src.size) * PARK_SIZE).astype(np.int64), m - 1)
    tgt = np.where(from_hub, ret, tgt)
    return src, tgt, is_hub


def synthetic_frames(n_processes: int, seed: int = 0, links_per_process: int = 4,
                     structure: str = "random") -> dict:
    """The tables of a synthetic park (see module docstring) as DataFrames."""
    if structure not in ("random", "regional"):
        raise ValueError(f"structure must be 'random' or 'regional', not {structure!r}")
    rng = np.random.default_rng(seed)
    n = int(n_processes)
    n_imp = max(1, n // 50)
    n_exp = max(1, n // 50)
    n_env = max(1, n // 100)
    n_lf = max(1, n // 100)
    m = n - n_imp - n_exp - n_env - n_lf
    if m < 3:
        raise ValueError("n_processes must be at least 8")
    kinds_internal = rng.choice(["production", "collection", "treatment", "storage"], size=m,
                                p=[0.75, 0.12, 0.08, 0.05])
    kinds = np.concatenate([kinds_internal, ["import"] * n_imp, ["export"] * n_exp,
                            ["environment"] * n_env, ["landfill"] * n_lf])
    ids = np.array([f"p{i:06d}" for i in range(n)], dtype=object)
    imp = np.arange(m, m + n_imp)
    boundary_out = np.arange(m + n_imp, n)

    # internal links: k targets per internal process, mostly downstream
    k = links_per_process
    if structure == "random":
        src, tgt = _random_links(rng, m, k)
    else:
        src, tgt, is_hub = _regional_links(rng, m, k)
        kinds[:m] = np.where(is_hub, np.where(rng.random(m) < 0.5, "collection", "treatment"), kinds[:m])
    valid = (tgt < m) & (tgt != src)
    src, tgt = src[valid], tgt[valid]
    # one exit link per internal process
    exit_src = np.arange(m)
    exit_tgt = rng.choice(boundary_out, size=m)
    # imports feed the first fifth of the processes, each import feeding several
    if structure == "random":
        feed_tgt = rng.choice(np.arange(max(1, m // 5)), size=max(n_imp * 5, m // 5))
    else:
        # the first fifth of every park
        heads = np.flatnonzero(np.arange(m) % PARK_SIZE < PARK_SIZE // 5)
        feed_tgt = rng.choice(heads, size=max(n_imp * 5, m // 5))
    feed_src = rng.choice(imp, size=feed_tgt.size)

    w_int = rng.random(src.size) + 0.2
    w_exit = rng.random(m) * 0.6 + 0.3
    total = np.bincount(src, weights=w_int, minlength=m) + w_exit
    share_int = w_int / total[src]
    share_exit = w_exit / total
    z = np.bincount(feed_tgt, weights=np.ones(feed_tgt.size), minlength=m) * rng.uniform(50, 5000)
    PT = sp.csr_matrix((share_int, (tgt, src)), shape=(m, m))
    # T = z + Pᵀ T by fixed-point sweeps: every process sends ≥ 5 % out of the park, so this converges
    # geometrically, and each sweep is one sparse mat-vec (a direct solve fills in badly on random graphs).
    T = z.copy()
    for _ in range(5000):
        T_next = z + PT @ T
        if np.max(np.abs(T_next - T)) <= 1e-13 * max(1.0, np.max(np.abs(T_next))):
            T = T_next
            break
        T = T_next
    feed_val = np.zeros(feed_tgt.size)
    # split each process's import evenly across the import links that feed it
    cnt = np.bincount(feed_tgt, minlength=m)
    feed_val = z[feed_tgt] / cnt[feed_tgt]

    all_src = np.concatenate([src, exit_src, feed_src])
    all_tgt = np.concatenate([tgt, exit_tgt, feed_tgt])
    values = np.concatenate([T[src] * share_int, T[exit_src] * share_exit, feed_val])
    n_f = all_src.size
    mat_ids = np.array([mm[0] for mm in MATERIALS], dtype=object)
    mats = mat_ids[rng.integers(0, len(mat_ids), size=n_f)]
    # material flowing to the environment is an emission, to landfill a waste
    kind_t = kinds[all_tgt]
    mats = np.where(kind_t == "environment", "syn_flue_gas", mats)
    mats = np.where(kind_t == "landfill", "syn_slag", mats)
    flows = pd.DataFrame({
        "id": [f"f{i:07d}" for i in range(n_f)],
        "source": ids[all_src], "target": ids[all_tgt], "material": mats, "value": values,
    })
    procs = pd.DataFrame({
        "id": ids, "name": [f"Process {i}" for i in range(n)], "kind": kinds,
        "x": 106.8 + rng.random(n), "y": 39.6 + rng.random(n),
    })
    materials = pd.DataFrame({
        "id": [mm[0] for mm in MATERIALS], "name": [mm[0].replace("syn_", "") for mm in MATERIALS],
        "category": [mm[1] for mm in MATERIALS], "bulk": [mm[2] for mm in MATERIALS],
        "source": "synthetic",
    })
    info = {"name": f"synthetic-{n}", "year": 2023, "rel_tol": 1e-6, "abs_tol": 1e-3}
    return {"processes": procs, "flows": flows, "materials": materials, "info": info}


def synthetic_park(n_processes: int, seed: int = 0, links_per_process: int = 4, structure: str = "random"):
    """A validated :class:`mfa.Park` with ``n_processes`` processes and about 5 flows per process."""
    import mfa

    return mfa.Park.from_frames(**synthetic_frames(n_processes, seed, links_per_process, structure))
