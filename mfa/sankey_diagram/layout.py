"""Multi-stage layout of a network Sankey diagram with loops.

The layout works on plain arrays, so it serves both the static (matplotlib) and the interactive (plotly)
diagram. Lengths are in **millimetres**; ``y`` grows downwards (as on a page); link widths are
``value / scale`` with ``scale`` in t/a per mm.

Steps (a Sugiyama-style layered drawing adapted to flows):

1. **Feedback arcs.** A weighted Eades–Lin–Smyth greedy ordering (sinks to the back, sources to the front,
   otherwise the node with the largest out-weight minus in-weight) gives a near-minimum-weight feedback arc
   set: heavy flows run left to right, the light return flows (recycling, reuse) become *loops*.
2. **Layering.** Longest path over the graph with the feedback arcs reversed. Nodes pinned to the left
   (imports, stock releases) sit in the first column, nodes pinned to the right (exports, landfill,
   environment, stock accumulation) in the last, so that everything entering the system is on the left and
   everything leaving it on the right.
3. **Dummy nodes** carry forward links that span several columns, so that long links are routed between
   nodes, not through them.
4. **Crossing reduction.** Barycentre sweeps (down and up, weighted by flow), keeping the order with the
   fewest weighted crossings, then transposition of neighbours while that lowers them further.
5. **Vertical placement.** Nodes are stacked in that order in slots tall enough for their labels, then
   relaxed towards the flow-weighted centre of their neighbours, keeping order and gaps.
6. **Ports and loops.** Links leave a node in the order of their next station and enter it in the order of
   their previous one. Loops between nodes in the upper half of the drawing run above it, the others below
   (``loops_above=False``: all below): they leave their source on the right at the top (bottom), run in
   nested channels from right to left and enter their target on the left at the top (bottom).
7. **Labels.** Node labels (name and total) sit left of the first column, right of the others; column gaps
   are widened to fit them. Link values are written on a link where the text fits inside the band and
   overlaps no other label; otherwise the value is only in the hover text and the node totals.

>>> import numpy as np
>>> lay = layout_sankey(["in", "a", "b", "out"], np.array([0, 1, 2, 1]), np.array([1, 2, 1, 3]),
...                     np.array([100.0, 30.0, 10.0, 80.0]), pin=np.array([-1, 0, 0, 1]))
>>> lay.nodes["layer"].tolist(), lay.links["loop"].tolist()
([0, 1, 2, 2], [False, False, True, False])
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np
import pandas as pd

__all__ = ["SankeyLayout", "layout_sankey", "feedback_order", "crossings", "approx_text_size", "MM_PER_PT"]

#: One typographic point in millimetres.
MM_PER_PT = 25.4 / 72.0


def approx_text_size(text: str, size_pt: float = 7.0) -> tuple[float, float]:
    """Width and height (mm) of ``text`` estimated without a renderer (CJK glyphs one em wide)."""
    lines = text.split("\n")
    em = size_pt * MM_PER_PT

    def width(line: str) -> float:
        return sum(1.0 if ord(ch) > 0x2E80 else 0.6 for ch in line) * em

    return max(width(line) for line in lines), len(lines) * em * 1.25


# ------------------------------------------------------------------------------------------------
# graph steps
# ------------------------------------------------------------------------------------------------
def feedback_order(n: int, src: np.ndarray, tgt: np.ndarray, weight: np.ndarray,
                   first: np.ndarray | None = None, last: np.ndarray | None = None) -> np.ndarray:
    """A node order in which the total weight of backward edges (the feedback arcs) is small.

    Weighted Eades–Lin–Smyth greedy heuristic. ``first``/``last`` are boolean masks of nodes to put at the
    front/back (sources such as imports, sinks such as landfill), whatever their edges. Self-loops are
    ignored. Returns the nodes in order (a permutation of ``range(n)``).

    Sparse: in- and out-weights over the remaining nodes are kept up to date as nodes leave (O(edges)
    overall); sinks and sources are told by counts of remaining positive-weight edges, so rounding in the
    running sums never decides them.
    """
    import scipy.sparse as sp

    src = np.asarray(src, dtype=np.int64)
    tgt = np.asarray(tgt, dtype=np.int64)
    weight = np.asarray(weight, dtype=float)
    keep = (src != tgt) & (weight > 0)
    W = sp.csr_matrix((weight[keep], (src[keep], tgt[keep])), shape=(n, n))
    W.sum_duplicates()
    Wt = W.T.tocsr()
    outw = np.asarray(W.sum(axis=1)).ravel()
    inw = np.asarray(W.sum(axis=0)).ravel()
    n_out = np.diff(W.indptr).astype(np.int64)
    n_in = np.diff(Wt.indptr).astype(np.int64)
    alive = np.ones(n, dtype=bool)
    head: list[np.ndarray] = []
    tail: list[np.ndarray] = []
    first = np.zeros(n, bool) if first is None else np.asarray(first, dtype=bool)
    last = np.zeros(n, bool) if last is None else np.asarray(last, dtype=bool)

    def remove(nodes: np.ndarray) -> None:
        alive[nodes] = False
        for M, counts, sums in ((W, n_in, inw), (Wt, n_out, outw)):
            starts, ends = M.indptr[nodes], M.indptr[nodes + 1]
            lens = ends - starts
            pos = np.repeat(starts - (np.cumsum(lens) - lens), lens) + np.arange(int(lens.sum()))
            other = M.indices[pos]
            counts -= np.bincount(other, minlength=n)
            np.subtract.at(sums, other, M.data[pos])

    front = np.flatnonzero(first & ~last)
    back = np.flatnonzero(last & ~first)
    head.append(front)
    tail.append(back)
    remove(np.concatenate([front, back]))
    while alive.any():
        while True:
            sinks = np.flatnonzero(alive & (n_out <= 0))
            if len(sinks):
                tail.append(sinks)
                remove(sinks)
                continue
            sources = np.flatnonzero(alive & (n_in <= 0))
            if len(sources):
                head.append(sources)
                remove(sources)
                continue
            break
        if alive.any():
            idx = np.flatnonzero(alive)
            v = idx[int(np.argmax(outw[idx] - inw[idx]))]
            head.append(np.array([v]))
            remove(np.array([v]))
    # sinks found later go before those found earlier
    return np.concatenate(head + tail[::-1]).astype(int)


# Edges between two columns up to which crossings are counted with one k × k comparison; above, on the grid
# of distinct (upper, lower) positions while it has at most 16 cells per edge (O(cells)), else bit by bit of
# the upper rank (O(k log² k) time, O(k) memory, vectorised).
_DENSE_CROSSINGS = 64
_GRID_CROSSINGS = 4_000_000


def crossings(upper: np.ndarray, lower: np.ndarray, weight: np.ndarray) -> float:
    """Weighted number of crossings of the edges ``upper[i] → lower[i]`` between two columns.

    ``upper``/``lower`` are positions within the columns; two edges cross when their order differs at the
    two ends; a crossing counts the product of the two weights.
    """
    k = len(upper)
    if k < 2:
        return 0.0
    if k <= _DENSE_CROSSINGS:
        du = upper[:, None] - upper[None, :]
        dl = lower[:, None] - lower[None, :]
        cross = (du * dl) < 0
        return float((np.outer(weight, weight) * cross).sum() / 2.0)
    u_val, u_rank = np.unique(np.asarray(upper, dtype=float), return_inverse=True)
    l_val, l_rank = np.unique(np.asarray(lower, dtype=float), return_inverse=True)
    if len(u_val) * len(l_val) <= min(_GRID_CROSSINGS, 16 * k):
        # G[a, b]: weight of the edges at (upper rank a, lower rank b); an edge at (a, b) crosses every edge
        # at (a' < a, b' > b): exclusive cumulative sums down the rows and from the right along the columns
        G = np.zeros((len(u_val), len(l_val)))
        np.add.at(G, (u_rank.ravel(), l_rank.ravel()), np.asarray(weight, dtype=float))
        above = np.cumsum(G, axis=0) - G
        S = np.cumsum(above[:, ::-1], axis=1)[:, ::-1] - above
        return float((G * S).sum())
    # Bit by bit of the upper rank: every crossing pair (upper strictly smaller, lower strictly larger) has
    # upper ranks that first differ at one bit, with the same higher bits. Per bit, sort by (higher bits,
    # lower rank, side) and, for each edge on the "1" side, add the weight of the "0"-side edges of its group
    # with a strictly larger lower rank. O(k log k) per bit, vectorised.
    w = np.asarray(weight, dtype=float)
    ur, lr = u_rank.ravel().astype(np.int64), l_rank.ravel().astype(np.int64)
    result = 0.0
    for b in range(int(ur.max()).bit_length()):
        grp = ur >> (b + 1)
        side = (ur >> b) & 1
        order = np.lexsort((side, lr, grp))
        g, sd, ww = grp[order], side[order], w[order]
        lw = np.where(sd == 0, ww, 0.0)
        starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
        gid = np.repeat(np.arange(len(starts)), np.diff(np.r_[starts, len(g)]))
        cum = np.cumsum(lw)
        upto = cum - np.r_[0.0, cum][starts][gid]           # "0"-side weight sorted up to here, in group
        group_total = np.add.reduceat(lw, starts)[gid]
        right = sd == 1
        result += float(np.sum(ww[right] * (group_total[right] - upto[right])))
    return float(result)


# ------------------------------------------------------------------------------------------------
# result
# ------------------------------------------------------------------------------------------------
@dataclass
class SankeyLayout:
    """Geometry of a Sankey diagram, in millimetres, ``y`` downwards.

    ``nodes``: one row per node: node (index), id, label, layer, x0, x1, y0, y1, value_in, value_out,
    value (= max(in, out), t/a), label_x, label_y, label_ha ("left"/"right"), label_w, label_h.
    ``links``: one row per link: link (index), source, target, value (t/a), width (mm), loop (bool).
    ``paths[i]``: the centre line of link ``i`` as a list of stations ``(x, y)``; consecutive stations are
    joined by horizontal-tangent curves, except for loops, which are joined by straight segments with
    rounded corners. ``value_labels``: rows link, x, y, text of link values that fit on the drawing.
    """

    nodes: pd.DataFrame
    links: pd.DataFrame
    paths: list[list[tuple[float, float]]]
    value_labels: pd.DataFrame
    width: float
    height: float
    scale: float
    node_width: float
    font_size: float
    loop_channels: list[float] = field(default_factory=list)


# ------------------------------------------------------------------------------------------------
# layout
# ------------------------------------------------------------------------------------------------
def layout_sankey(
    labels: Sequence[str],
    src: np.ndarray,
    tgt: np.ndarray,
    value: np.ndarray,
    *,
    pin: np.ndarray | None = None,
    node_labels: Sequence[str] | None = None,
    link_labels: Sequence[str] | None = None,
    scale: float | None = None,
    height: float = 120.0,
    node_width: float = 4.0,
    node_gap: float = 4.0,
    font_size: float = 7.0,
    measure: Callable[[str], tuple[float, float]] | None = None,
    min_column_gap: float = 24.0,
    sweeps: int = 8,
    relax: int = 12,
    loops_above: bool = True,
) -> SankeyLayout:
    """Lay out a network Sankey diagram (see the module docstring for the method).

    Parameters
    ----------
    labels : node ids/names, one per node (used in the node table).
    src, tgt, value : links as node indices and values in t/a (values ≤ 0 or NaN are dropped).
    pin : per node −1 (first column), +1 (last column) or 0 (free).
    node_labels : text written next to each node (default: ``labels``); may contain newlines.
    link_labels : text written on each link where it fits (default: no link labels).
    scale : t/a per mm of link width. ``None`` fits the tallest column into ``height`` mm; pass the same
        number to diagrams of different years so that equal widths mean equal flows.
    measure : ``text -> (width_mm, height_mm)``; default an estimate (:func:`approx_text_size`).
    """
    n = len(labels)
    src = np.asarray(src, dtype=int)
    tgt = np.asarray(tgt, dtype=int)
    value = np.asarray(value, dtype=float)
    n_links = len(src)
    measure = measure or (lambda s: approx_text_size(s, font_size))
    pin = np.zeros(n, dtype=int) if pin is None else np.asarray(pin, dtype=int)
    node_labels = list(labels) if node_labels is None else list(node_labels)
    ok = np.isfinite(value) & (value > 0)
    if n == 0:  # nothing to draw (e.g. every flow unknown): an empty, valid layout
        node_cols = ["node", "id", "label", "layer", "x0", "x1", "y0", "y1", "value_in", "value_out", "value",
                     "label_x", "label_y", "label_ha", "label_w", "label_h"]
        return SankeyLayout(
            nodes=pd.DataFrame(columns=node_cols),
            links=pd.DataFrame({"link": np.arange(n_links), "source": src, "target": tgt, "value": value,
                                "width": 0.0, "loop": False, "drawn": False}),
            paths=[[] for _ in range(n_links)], value_labels=pd.DataFrame(columns=["link", "x", "y", "text"]),
            width=100.0, height=20.0, scale=float(scale) if scale else 1.0, node_width=node_width,
            font_size=font_size)

    # ---- node totals --------------------------------------------------------------------------
    v_in = np.bincount(tgt[ok], weights=value[ok], minlength=n)
    v_out = np.bincount(src[ok], weights=value[ok], minlength=n)
    v_node = np.maximum(v_in, v_out)

    # ---- feedback arcs and layers ------------------------------------------------------------
    has_in = np.bincount(tgt[ok & (src != tgt)], minlength=n) > 0
    has_out = np.bincount(src[ok & (src != tgt)], minlength=n) > 0
    first = (pin < 0) & ~has_in
    last = (pin > 0) & ~has_out
    order = feedback_order(n, src[ok], tgt[ok], value[ok], first=first, last=last)
    pos = np.empty(n, dtype=int)
    pos[order] = np.arange(n)
    loop = ok & ((pos[src] >= pos[tgt]))  # backward edges and self-loops are drawn as loops
    fwd = ok & ~loop
    # DAG = forward edges plus reversed feedback edges (self-loops excluded)
    dag_u = np.concatenate([src[fwd], tgt[loop & (src != tgt)]])
    dag_v = np.concatenate([tgt[fwd], src[loop & (src != tgt)]])
    layer = np.zeros(n, dtype=int)
    preds: list[list[int]] = [[] for _ in range(n)]
    for u, v in zip(dag_u.tolist(), dag_v.tolist()):
        preds[v].append(u)
    for v in order.tolist():  # the order is topological for the DAG
        if preds[v]:
            layer[v] = max(layer[u] for u in preds[v]) + 1
    succs: list[list[int]] = [[] for _ in range(n)]
    for u, v in zip(dag_u.tolist(), dag_v.tolist()):
        succs[u].append(v)
    # free sources move right, next to their first successor
    for v in order[::-1].tolist():
        if not preds[v] and succs[v] and pin[v] >= 0:
            layer[v] = min(layer[w] for w in succs[v]) - 1
    layer -= layer.min() if n else 0
    n_layers = int(layer.max()) + 1 if n else 1
    if n_layers == 1 and n > 1 and (pin > 0).any() and (pin <= 0).any():
        n_layers = 2
    for v in range(n):
        if pin[v] > 0 and not succs[v]:
            layer[v] = n_layers - 1
        elif pin[v] < 0 and not preds[v]:
            layer[v] = 0

    # ---- bundles and dummy nodes -------------------------------------------------------------
    # One bundle per (source, target) pair of forward links; a bundle spanning k columns gets k-1 dummies.
    fwd_idx = np.flatnonzero(fwd)
    pair_key = src[fwd_idx] * max(n, 1) + tgt[fwd_idx]
    bundles, bundle_of = np.unique(pair_key, return_inverse=True)
    b_src = (bundles // max(n, 1)).astype(int)
    b_tgt = (bundles % max(n, 1)).astype(int)
    b_val = np.bincount(bundle_of, weights=value[fwd_idx], minlength=len(bundles))
    # station list per bundle: node, dummies..., node
    v_layer = list(layer.tolist())
    v_size = list(v_node.tolist())
    v_dummy = [False] * n
    b_stations: list[list[int]] = []
    for b in range(len(bundles)):
        u, w = int(b_src[b]), int(b_tgt[b])
        chain = [u]
        for lay in range(layer[u] + 1, layer[w]):
            v_layer.append(lay)
            v_size.append(float(b_val[b]))
            v_dummy.append(True)
            chain.append(len(v_layer) - 1)
        chain.append(w)
        b_stations.append(chain)
    nv = len(v_layer)
    v_layer_a = np.array(v_layer)
    v_size_a = np.array(v_size)
    v_dummy_a = np.array(v_dummy)
    # segments between consecutive columns
    seg_u, seg_v, seg_w = [], [], []
    for b, chain in enumerate(b_stations):
        for a, c in zip(chain[:-1], chain[1:]):
            seg_u.append(a)
            seg_v.append(c)
            seg_w.append(b_val[b])
    seg_u_a = np.array(seg_u, dtype=int)
    seg_v_a = np.array(seg_v, dtype=int)
    seg_w_a = np.array(seg_w, dtype=float)

    # ---- crossing reduction --------------------------------------------------------------------
    columns: list[list[int]] = [[] for _ in range(n_layers)]
    for v in np.argsort(np.concatenate([pos, np.arange(n, nv) + n]), kind="stable").tolist():
        columns[v_layer[v]].append(v)

    def rank_of(cols: list[list[int]]) -> np.ndarray:
        r = np.zeros(nv)
        for col in cols:
            r[col] = np.arange(len(col))
        return r

    def total_crossings(cols: list[list[int]]) -> float:
        r = rank_of(cols)
        total = 0.0
        for lay in range(n_layers - 1):
            m = v_layer_a[seg_u_a] == lay
            total += crossings(r[seg_u_a[m]], r[seg_v_a[m]], seg_w_a[m])
        return total

    best = [list(c) for c in columns]
    best_c = total_crossings(best)
    for it in range(sweeps):
        for down in (True, False):
            rng = range(1, n_layers) if down else range(n_layers - 2, -1, -1)
            for lay in rng:
                r = rank_of(columns)
                col = columns[lay]
                if down:
                    m = v_layer_a[seg_v_a] == lay
                    nb, me = seg_u_a[m], seg_v_a[m]
                else:
                    m = v_layer_a[seg_u_a] == lay
                    nb, me = seg_v_a[m], seg_u_a[m]
                num = np.bincount(me, weights=seg_w_a[m] * r[nb], minlength=nv)
                den = np.bincount(me, weights=seg_w_a[m], minlength=nv)
                key = np.where(den > 0, num / np.where(den > 0, den, 1.0), r)
                col_a = np.array(col)
                # ties keep the current order
                columns[lay] = col_a[np.lexsort((r[col_a], key[col_a]))].tolist()
            c = total_crossings(columns)
            if c < best_c - 1e-9:
                best, best_c = [list(x) for x in columns], c
    columns = best

    # Transposition: swap neighbours in a column while that lowers the weighted crossings with the two
    # adjacent columns (the sweeps leave such local improvements; Gansner et al. 1993).
    def local_crossings(cols: list[list[int]], lay: int) -> float:
        r = rank_of(cols)
        total = 0.0
        for a in (lay - 1, lay):
            if 0 <= a < n_layers - 1:
                m = v_layer_a[seg_u_a] == a
                total += crossings(r[seg_u_a[m]], r[seg_v_a[m]], seg_w_a[m])
        return total

    if sweeps and nv <= 400:
        for _ in range(4):
            improved = False
            for lay in range(n_layers):
                col = columns[lay]
                for i in range(len(col) - 1):
                    before = local_crossings(columns, lay)
                    col[i], col[i + 1] = col[i + 1], col[i]
                    if local_crossings(columns, lay) < before - 1e-9:
                        improved = True
                    else:
                        col[i], col[i + 1] = col[i + 1], col[i]
            if not improved:
                break

    # ---- scale and sizes -------------------------------------------------------------------------
    lab_w = np.zeros(n)
    lab_h = np.zeros(n)
    for v in range(n):
        if node_labels[v]:
            lab_w[v], lab_h[v] = measure(node_labels[v])
    dummy_gap = max(node_gap / 4, 0.5)
    if scale is None:
        col_val = np.bincount(v_layer_a, weights=v_size_a, minlength=n_layers)
        avail = []
        for lay in range(n_layers):
            gaps = sum(dummy_gap if v_dummy[v] else node_gap for v in columns[lay][1:])
            avail.append(max(height - gaps, height * 0.25))
        ratio = col_val / np.array(avail)
        scale = float(ratio.max()) if len(ratio) and ratio.max() > 0 else 1.0
    scale = float(scale)
    if not scale > 0:
        raise ValueError("scale must be a positive number of t/a per mm")
    h = v_size_a / scale
    slot = h.copy()
    slot[:n] = np.maximum(h[:n], lab_h)
    gap_of = np.where(v_dummy_a, dummy_gap, node_gap)

    # ---- vertical placement -------------------------------------------------------------------------
    col_h = [sum(slot[v] for v in col) + sum(gap_of[v] for v in col[1:]) for col in columns]
    total_h = max(col_h) if col_h else 0.0
    yc = np.zeros(nv)  # centre of each node's slot
    for lay, col in enumerate(columns):
        y = (total_h - col_h[lay]) / 2
        for i, v in enumerate(col):
            if i:
                y += gap_of[v]
            yc[v] = y + slot[v] / 2
            y += slot[v]

    def resolve(col: list[int]) -> None:
        if not col:
            return
        # push down from the top, then up from the bottom, keeping the order
        y = 0.0
        for i, v in enumerate(col):
            top = yc[v] - slot[v] / 2
            lo = y + (gap_of[v] if i else 0.0)
            if top < lo:
                yc[v] += lo - top
            y = yc[v] + slot[v] / 2
        y = total_h
        for i, v in enumerate(reversed(col)):
            bot = yc[v] + slot[v] / 2
            if bot > y:
                yc[v] -= bot - y
            y = yc[v] - slot[v] / 2 - gap_of[v]

    for it in range(relax):
        alpha = 0.9 ** it
        order_cols = range(1, n_layers) if it % 2 == 0 else range(n_layers - 2, -1, -1)
        for lay in order_cols:
            m_in = v_layer_a[seg_v_a] == lay
            m_out = v_layer_a[seg_u_a] == lay
            num = (np.bincount(seg_v_a[m_in], weights=seg_w_a[m_in] * yc[seg_u_a[m_in]], minlength=nv)
                   + np.bincount(seg_u_a[m_out], weights=seg_w_a[m_out] * yc[seg_v_a[m_out]], minlength=nv))
            den = (np.bincount(seg_v_a[m_in], weights=seg_w_a[m_in], minlength=nv)
                   + np.bincount(seg_u_a[m_out], weights=seg_w_a[m_out], minlength=nv))
            col = columns[lay]
            for v in col:
                if den[v] > 0:
                    yc[v] += (num[v] / den[v] - yc[v]) * alpha
            resolve(col)
    node_top = yc - h / 2

    # ---- horizontal placement: column gaps wide enough for the labels and the legs of loops -----------
    pad = 1.5
    loop_radius_base = 2.0
    w_all = np.where(ok, value / scale, 0.0)
    # room taken by the vertical legs of loops on the right (leaving) and left (entering) of each column
    legs_out = np.zeros(n_layers)
    legs_in = np.zeros(n_layers)
    for li in np.flatnonzero(loop).tolist():
        legs_out[layer[src[li]]] += w_all[li] + 0.8
        legs_in[layer[tgt[li]]] += w_all[li] + 0.8
    legs_out = np.where(legs_out > 0, legs_out + loop_radius_base, 0.0)
    legs_in = np.where(legs_in > 0, legs_in + loop_radius_base, 0.0)
    col_x = np.zeros(n_layers)
    left_margin = max([lab_w[v] for v in columns[0] if v < n] + [0.0]) + 2 * pad + legs_in[0]
    x = left_margin
    for lay in range(n_layers):
        col_x[lay] = x
        if lay < n_layers - 1:
            need = max([lab_w[v] for v in columns[lay] if v < n] + [0.0]) + 2 * pad
            x += node_width + max(min_column_gap, need + 8.0) + legs_out[lay] + legs_in[lay + 1]
    right_margin = max([lab_w[v] for v in columns[-1] if v < n] + [0.0]) + 2 * pad + legs_out[-1]

    # ---- ports -------------------------------------------------------------------------------------------
    width = np.where(ok, value / scale, 0.0)
    link_bundle = np.full(n_links, -1)
    link_bundle[fwd_idx] = bundle_of
    loop_idx = np.flatnonzero(loop)
    # Loops between nodes in the upper half of the drawing run above it, the others below, so that no
    # return flow crosses the whole diagram. Within a side, shorter loops run inside (nearer the nodes).
    x_src_loop = col_x[layer[src[loop_idx]]] + node_width
    x_tgt_loop = col_x[layer[tgt[loop_idx]]]
    span = x_src_loop - x_tgt_loop
    loop_order = loop_idx[np.lexsort((-width[loop_idx], span))] if len(loop_idx) else loop_idx
    above = {li: bool((yc[src[li]] + yc[tgt[li]]) / 2 < total_h / 2) and loops_above
             for li in loop_order.tolist()}
    top_ext = sum(width[li] + 1.0 for li in loop_order.tolist() if above[li])
    y_shift = top_ext + node_gap * 1.5 if top_ext else 0.0
    yc = yc + y_shift
    node_top = node_top + y_shift
    channel = {}
    channels = []
    y_below = y_shift + total_h + node_gap * 1.5
    y_above = y_shift - node_gap * 1.5
    depth_rank = {}
    n_above = n_below = 0
    for li in loop_order.tolist():
        if above[li]:
            channel[li] = y_above - width[li] / 2
            y_above -= width[li] + 1.0
            depth_rank[li] = n_above
            n_above += 1
        else:
            channel[li] = y_below + width[li] / 2
            y_below += width[li] + 1.0
            depth_rank[li] = n_below
            n_below += 1
        channels.append(channel[li])

    # where the next / previous station of each link is, to sort ports
    first_hop = {}
    last_hop = {}
    for b, chain in enumerate(b_stations):
        first_hop[b] = chain[1]
        last_hop[b] = chain[-2]
    out_off = np.zeros(n_links)
    in_off = np.zeros(n_links)
    for v in range(n):
        outs = np.flatnonzero(ok & (src == v))
        ins = np.flatnonzero(ok & (tgt == v))
        # forward links sorted by the height of their next station; loops running above at the top
        # (innermost first), loops running below at the bottom (innermost last), so nested loops never cross
        def out_key(li: int) -> tuple:
            if loop[li]:
                return (-1, depth_rank[li], li) if above[li] else (1, -depth_rank[li], li)
            return (0, yc[first_hop[link_bundle[li]]], li)

        def in_key(li: int) -> tuple:
            if loop[li]:
                return (-1, depth_rank[li], li) if above[li] else (1, -depth_rank[li], li)
            return (0, yc[last_hop[link_bundle[li]]], li)

        y = node_top[v]
        for li in sorted(outs.tolist(), key=out_key):
            out_off[li] = y + width[li] / 2
            y += width[li]
        y = node_top[v]
        for li in sorted(ins.tolist(), key=in_key):
            in_off[li] = y + width[li] / 2
            y += width[li]
    # offsets inside dummy stations: links of a bundle keep their order from the source
    paths: list[list[tuple[float, float]]] = [[] for _ in range(n_links)]
    for b, chain in enumerate(b_stations):
        members = fwd_idx[bundle_of == b]
        members = members[np.argsort(out_off[members], kind="stable")]
        acc = 0.0
        for li in members.tolist():
            pts = [(float(col_x[layer[src[li]]] + node_width), float(out_off[li]))]
            for d in chain[1:-1]:
                yy = float(node_top[d] + acc + width[li] / 2)
                pts.append((float(col_x[v_layer[d]]), yy))
                pts.append((float(col_x[v_layer[d]] + node_width), yy))
            pts.append((float(col_x[layer[tgt[li]]]), float(in_off[li])))
            paths[li] = pts
            acc += width[li]
    # stack the vertical legs of loops leaving / entering the same column
    leg_out: dict[int, float] = {}
    leg_in: dict[int, float] = {}
    for li in loop_order.tolist():
        s_lay, t_lay = int(layer[src[li]]), int(layer[tgt[li]])
        ro = leg_out.get(s_lay, loop_radius_base)
        ri = leg_in.get(t_lay, loop_radius_base)
        xs = float(col_x[s_lay] + node_width + ro + width[li] / 2)
        xt = float(col_x[t_lay] - ri - width[li] / 2)
        leg_out[s_lay] = ro + width[li] + 0.8
        leg_in[t_lay] = ri + width[li] + 0.8
        ys, yt, ych = float(out_off[li]), float(in_off[li]), float(channel[li])
        paths[li] = [(float(col_x[s_lay] + node_width), ys), (xs, ys), (xs, ych), (xt, ych), (xt, yt),
                     (float(col_x[t_lay]), yt)]
    total_w = float(col_x[-1] + node_width + right_margin)
    total_height = float(max([y_shift + total_h] + [c + 0.5 * w for c, w in
                                                    zip(channels, width[loop_order].tolist())]))

    # ---- node table and labels -----------------------------------------------------------------------------
    x0 = col_x[layer]
    label_ha = np.where(layer == 0, "right", "left")
    # labels keep clear of the loop legs beside their node
    label_x = np.where(layer == 0, x0 - pad - legs_in[layer], x0 + node_width + pad + legs_out[layer])
    nodes = pd.DataFrame({
        "node": np.arange(n), "id": list(labels), "label": node_labels, "layer": layer,
        "x0": x0, "x1": x0 + node_width, "y0": node_top[:n], "y1": node_top[:n] + h[:n],
        "value_in": v_in, "value_out": v_out, "value": v_node,
        "label_x": label_x, "label_y": yc[:n], "label_ha": label_ha, "label_w": lab_w, "label_h": lab_h,
    })
    links = pd.DataFrame({"link": np.arange(n_links), "source": src, "target": tgt, "value": value,
                          "width": width, "loop": loop, "drawn": ok})

    # ---- link value labels where they fit ---------------------------------------------------------------
    boxes: list[tuple[float, float, float, float]] = []
    for v in range(n):
        if lab_w[v] > 0:
            bx0 = label_x[v] - (lab_w[v] if label_ha[v] == "right" else 0.0)
            boxes.append((bx0, yc[v] - lab_h[v] / 2, bx0 + lab_w[v], yc[v] + lab_h[v] / 2))
    for v in range(n):
        boxes.append((x0[v], node_top[v], x0[v] + node_width, node_top[v] + h[v]))

    def free(b: tuple[float, float, float, float], clear: float = 0.8) -> bool:
        # a little clearance: text that merely touches another label still reads as one
        for c in boxes:
            if (b[0] - clear < c[2] and c[0] < b[2] + clear and b[1] - clear < c[3]
                    and c[1] < b[3] + clear):
                return False
        return True

    rows = []
    if link_labels is not None:
        for li in np.argsort(-width, kind="stable").tolist():
            text = link_labels[li]
            if not ok[li] or not text:
                continue
            tw, th = measure(text)
            pts = paths[li]
            candidates: list[tuple[float, float]] = []
            if loop[li]:
                (xa, yy), (xb, _) = pts[2], pts[3]
                if width[li] >= th * 0.9 and abs(xa - xb) > tw + 6:
                    candidates.append(((xa + xb) / 2, yy))
            else:
                # every segment where the text fits inside the band, flattest first
                segs = []
                for (xa, ya), (xb, yb2) in zip(pts[:-1], pts[1:]):
                    dx = xb - xa
                    if dx < tw + 4:
                        continue
                    slope = 1.5 * abs(yb2 - ya) / dx
                    if width[li] >= th * 0.9 + slope * tw:
                        segs.append((slope, (xa + xb) / 2, (ya + yb2) / 2))
                candidates = [(x, y) for _s, x, y in sorted(segs)]
            for cx, cy in candidates:
                bb = (cx - tw / 2, cy - th / 2, cx + tw / 2, cy + th / 2)
                if free(bb):
                    boxes.append(bb)
                    rows.append({"link": li, "x": cx, "y": cy, "text": text})
                    break
    value_labels = pd.DataFrame(rows, columns=["link", "x", "y", "text"])
    return SankeyLayout(nodes=nodes, links=links, paths=paths, value_labels=value_labels, width=total_w,
                        height=total_height, scale=scale, node_width=node_width, font_size=font_size,
                        loop_channels=channels)
