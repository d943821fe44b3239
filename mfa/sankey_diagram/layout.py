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
   (``loops_above=False``: all below), each just beyond the columns it spans (a skyline raised by every loop
   placed, shortest first, so longer loops nest outside): they leave their source on the right, run from
   right to left and enter their target on the left.
7. **Labels.** Node labels (name and total) sit left of the first column, right of the others; column gaps
   are widened to fit them. Link values are written on a link where the text fits inside the band and
   overlaps no other label (on a loop, on a line reserved beside its channel); otherwise the value is only
   in the hover text and the node totals. :func:`label_overlaps` checks the result.

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

__all__ = ["SankeyLayout", "Stations", "layout_sankey", "assign_layers", "build_stations", "order_columns", "fit_scale",
           "place_vertically", "loop_legs", "place_columns", "route_loops", "forward_paths", "loop_paths",
           "place_value_labels", "label_boxes",
           "overlapping_boxes", "label_overlaps", "feedback_order", "crossings", "approx_text_size", "MM_PER_PT"]

#: One typographic point in millimetres.
MM_PER_PT = 25.4 / 72.0


def approx_text_size(text: str, size_pt: float = 7.0) -> tuple[float, float]:
    r"""Width and height (mm) of ``text`` estimated without a renderer (CJK glyphs one em wide).

    Parameters
    ----------
    text : one or more lines.
    size_pt : font size in points.

    Returns
    -------
    (width, height) in mm.

    Examples
    --------
    >>> [round(x, 2) for x in approx_text_size("ab\n煤", 10.0)]
    [4.23, 8.82]
    """
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
    ignored.

    Parameters
    ----------
    n : number of nodes.
    src, tgt, weight : edges as node indices and their weights (t/a).
    first, last : bool per node, or None.

    Returns
    -------
    numpy.ndarray
        The nodes in order (a permutation of ``range(n)``).

    Examples
    --------
    >>> feedback_order(3, np.array([0, 1, 2]), np.array([1, 2, 0]), np.array([10.0, 10.0, 1.0])).tolist()
    [0, 1, 2]

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

    Parameters
    ----------
    upper, lower : positions of each edge's ends in the two columns.
    weight : per edge.

    Returns
    -------
    float

    Examples
    --------
    >>> crossings(np.array([0.0, 1.0]), np.array([1.0, 0.0]), np.array([2.0, 3.0]))
    6.0
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

    Examples
    --------
    >>> lay = layout_sankey(["a", "b"], np.array([0]), np.array([1]), np.array([10.0]), scale=1.0)
    >>> lay.links["width"].tolist(), lay.nodes["layer"].tolist()
    ([10.0], [0, 1])
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


@dataclass(frozen=True)
class Stations:
    """Forward links bundled per (source, target) pair and the columns they pass.

    Stations ``0 … n-1`` are the nodes; a bundle spanning ``k`` columns adds ``k − 1`` dummy stations, so
    that long links are routed between nodes, not through them. ``chains[b]`` lists the stations of bundle
    ``b`` (source, dummies …, target); ``seg_u → seg_v`` (weight ``seg_w``, t/a) are the pieces of the
    bundles between consecutive columns.

    Examples
    --------
    >>> st = build_stations(3, np.array([0, 0]), np.array([1, 2]), np.array([5.0, 2.0]), np.array([True, True]),
    ...                     np.array([0, 1, 2]), np.array([7.0, 5.0, 2.0]))
    >>> st.layer.tolist(), st.seg_u.tolist(), st.seg_v.tolist(), st.seg_w.tolist()
    ([0, 1, 2, 1], [0, 0, 3], [1, 3, 2], [5.0, 2.0, 2.0])
    """

    fwd_idx: np.ndarray
    bundle_of: np.ndarray
    chains: list[list[int]]
    layer: np.ndarray
    size: np.ndarray
    dummy: np.ndarray
    seg_u: np.ndarray
    seg_v: np.ndarray
    seg_w: np.ndarray

    @property
    def n(self) -> int:
        """Number of stations (nodes and dummies).

        Returns
        -------
        int

        Examples
        --------
        >>> st = build_stations(3, np.array([0, 0]), np.array([1, 2]), np.array([5.0, 2.0]), np.array([True, True]),
        ...                     np.array([0, 1, 2]), np.array([7.0, 5.0, 2.0]))
        >>> st.n
        4
        """
        return len(self.layer)


# ------------------------------------------------------------------------------------------------
# steps
# ------------------------------------------------------------------------------------------------
def assign_layers(n: int, src: np.ndarray, tgt: np.ndarray, value: np.ndarray,
                  pin: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Columns of the nodes and which links are loops (steps 1–2 of the module docstring).

    Parameters
    ----------
    n : number of nodes.
    src, tgt, value : links as node indices and t/a; links that are not finite and positive are ignored.
    pin : per node −1 (first column), +1 (last column) or 0 (free).

    Returns
    -------
    layer : int per node, from 0.
    loop : bool per link: runs against the columns (a return flow) or is a self-loop.
    position : int per node, its place in the feedback order (the first guess of the order in a column).

    Examples
    --------
    >>> layer, loop, _ = assign_layers(3, np.array([0, 1, 2]), np.array([1, 2, 1]),
    ...                                np.array([10.0, 10.0, 1.0]), np.array([-1, 0, 0]))
    >>> layer.tolist(), loop.tolist()
    ([0, 1, 2], [False, False, True])
    """
    ok = np.isfinite(value) & (value > 0)
    proper = ok & (src != tgt)
    has_in = np.bincount(tgt[proper], minlength=n) > 0
    has_out = np.bincount(src[proper], minlength=n) > 0
    order = feedback_order(n, src[ok], tgt[ok], value[ok], first=(pin < 0) & ~has_in, last=(pin > 0) & ~has_out)
    pos = np.empty(n, dtype=int)
    pos[order] = np.arange(n)
    loop = ok & (pos[src] >= pos[tgt])  # backward edges and self-loops are drawn as loops
    fwd = ok & ~loop
    # DAG = forward edges plus reversed feedback edges (self-loops excluded)
    back = loop & (src != tgt)
    dag_u = np.concatenate([src[fwd], tgt[back]])
    dag_v = np.concatenate([tgt[fwd], src[back]])
    layer = np.zeros(n, dtype=int)
    preds: list[list[int]] = [[] for _ in range(n)]
    succs: list[list[int]] = [[] for _ in range(n)]
    for u, v in zip(dag_u.tolist(), dag_v.tolist()):
        preds[v].append(u)
        succs[u].append(v)
    for v in order.tolist():  # the order is topological for the DAG: longest path
        if preds[v]:
            layer[v] = max(layer[u] for u in preds[v]) + 1
    # free sources move right, next to their first successor
    for v in order[::-1].tolist():
        if not preds[v] and succs[v] and pin[v] >= 0:
            layer[v] = min(layer[w] for w in succs[v]) - 1
    layer -= layer.min() if n else 0
    n_layers = int(layer.max()) + 1 if n else 1
    if n_layers == 1 and n > 1 and (pin > 0).any() and (pin <= 0).any():
        n_layers = 2
    layer[(pin > 0) & ~np.array([bool(s) for s in succs], dtype=bool)] = n_layers - 1
    layer[(pin < 0) & ~np.array([bool(p) for p in preds], dtype=bool)] = 0
    return layer, loop, pos


def build_stations(n: int, src: np.ndarray, tgt: np.ndarray, value: np.ndarray, forward: np.ndarray,
                   layer: np.ndarray, node_value: np.ndarray) -> Stations:
    """Bundle the forward links per (source, target) and add a dummy station per column they skip (step 3).

    Examples
    --------
    >>> st = build_stations(3, np.array([0, 0]), np.array([1, 2]), np.array([5.0, 2.0]), np.array([True, True]),
    ...                     np.array([0, 1, 2]), np.array([7.0, 5.0, 2.0]))
    >>> st.chains, st.dummy.tolist()
    ([[0, 1], [0, 3, 2]], [False, False, False, True])
    """
    fwd_idx = np.flatnonzero(forward)
    base = max(n, 1)
    bundles, bundle_of = np.unique(src[fwd_idx] * base + tgt[fwd_idx], return_inverse=True)
    bundle_of = bundle_of.ravel()
    b_src, b_tgt = (bundles // base).astype(int), (bundles % base).astype(int)
    b_val = np.bincount(bundle_of, weights=value[fwd_idx], minlength=len(bundles))
    skipped = np.maximum(layer[b_tgt] - layer[b_src] - 1, 0)
    first_dummy = n + np.concatenate([[0], np.cumsum(skipped)[:-1]]).astype(int) if len(bundles) else []
    chains = [[int(u), *range(int(d0), int(d0) + int(k)), int(w)]
              for u, w, d0, k in zip(b_src, b_tgt, first_dummy, skipped)]
    d_layer = np.concatenate([layer[u] + 1 + np.arange(k) for u, k in zip(b_src, skipped)] or [np.zeros(0, int)])
    d_size = np.repeat(b_val, skipped)
    seg = np.array([(a, c, b) for b, chain in enumerate(chains) for a, c in zip(chain[:-1], chain[1:])],
                   dtype=np.int64).reshape(-1, 3)
    return Stations(fwd_idx=fwd_idx, bundle_of=bundle_of, chains=chains,
                    layer=np.concatenate([layer, d_layer]).astype(int),
                    size=np.concatenate([node_value, d_size]).astype(float),
                    dummy=np.r_[np.zeros(n, bool), np.ones(len(d_size), bool)],
                    seg_u=seg[:, 0], seg_v=seg[:, 1], seg_w=b_val[seg[:, 2]] if len(seg) else np.zeros(0))


def _ranks(columns: list[list[int]], size: int) -> np.ndarray:
    r = np.zeros(size)
    for col in columns:
        r[col] = np.arange(len(col))
    return r


def _column_crossings(st: Stations, columns: list[list[int]], layers) -> float:
    r = _ranks(columns, st.n)
    total = 0.0
    for lay in layers:
        m = st.layer[st.seg_u] == lay
        total += crossings(r[st.seg_u[m]], r[st.seg_v[m]], st.seg_w[m])
    return total


def order_columns(st: Stations, position: np.ndarray, n_layers: int, sweeps: int = 8) -> list[list[int]]:
    """The order of the stations in each column (step 4): barycentre sweeps weighted by flow, keeping the
    order with the fewest weighted crossings, then transposition of neighbours while that lowers them.

    Returns one list of station indices per column, top to bottom.

    Examples
    --------
    >>> st = build_stations(4, np.array([0, 1]), np.array([3, 2]), np.array([5.0, 5.0]), np.array([True, True]),
    ...                     np.array([0, 0, 1, 1]), np.array([5.0, 5.0, 5.0, 5.0]))
    >>> order_columns(st, np.arange(4), 2)
    [[0, 1], [3, 2]]
    """
    n_nodes = len(position)
    columns: list[list[int]] = [[] for _ in range(n_layers)]
    for v in np.argsort(np.concatenate([position, np.arange(n_nodes, st.n) + n_nodes]), kind="stable").tolist():
        columns[st.layer[v]].append(v)
    all_layers = range(n_layers - 1)
    best = [list(c) for c in columns]
    best_c = _column_crossings(st, best, all_layers)
    for _ in range(sweeps):
        for down in (True, False):
            for lay in (range(1, n_layers) if down else range(n_layers - 2, -1, -1)):
                r = _ranks(columns, st.n)
                m = st.layer[st.seg_v if down else st.seg_u] == lay
                nb, me = (st.seg_u[m], st.seg_v[m]) if down else (st.seg_v[m], st.seg_u[m])
                num = np.bincount(me, weights=st.seg_w[m] * r[nb], minlength=st.n)
                den = np.bincount(me, weights=st.seg_w[m], minlength=st.n)
                key = np.where(den > 0, num / np.where(den > 0, den, 1.0), r)
                col = np.array(columns[lay])
                columns[lay] = col[np.lexsort((r[col], key[col]))].tolist()  # ties keep the current order
            c = _column_crossings(st, columns, all_layers)
            if c < best_c - 1e-9:
                best, best_c = [list(x) for x in columns], c
    columns = best
    # transposition (Gansner et al. 1993): the sweeps leave such local improvements
    if sweeps and st.n <= 400:
        for _ in range(4):
            improved = False
            for lay in range(n_layers):
                col = columns[lay]
                near = (lay - 1, lay)
                for i in range(len(col) - 1):
                    before = _column_crossings(st, columns, [a for a in near if 0 <= a < n_layers - 1])
                    col[i], col[i + 1] = col[i + 1], col[i]
                    if _column_crossings(st, columns, [a for a in near if 0 <= a < n_layers - 1]) < before - 1e-9:
                        improved = True
                    else:
                        col[i], col[i + 1] = col[i + 1], col[i]
            if not improved:
                break
    return columns


def fit_scale(st: Stations, columns: list[list[int]], height: float, node_gap: float, dummy_gap: float) -> float:
    """t/a per mm that fits the tallest column (values plus gaps) into ``height`` mm.

    Examples
    --------
    >>> st = build_stations(2, np.array([0]), np.array([1]), np.array([100.0]), np.array([True]),
    ...                     np.array([0, 1]), np.array([100.0, 100.0]))
    >>> fit_scale(st, [[0], [1]], height=50.0, node_gap=4.0, dummy_gap=1.0)
    2.0
    """
    col_val = np.bincount(st.layer, weights=st.size, minlength=len(columns))
    avail = np.array([max(height - sum(dummy_gap if st.dummy[v] else node_gap for v in col[1:]), height * 0.25)
                      for col in columns])
    ratio = col_val / avail
    return float(ratio.max()) if len(ratio) and ratio.max() > 0 else 1.0


def place_vertically(st: Stations, columns: list[list[int]], slot: np.ndarray, gap: np.ndarray,
                     relax: int = 12) -> tuple[np.ndarray, float]:
    """Centres of the stations' slots (step 5): stacked in order, then relaxed towards the flow-weighted
    centre of their neighbours, keeping order and gaps.

    Parameters
    ----------
    slot : height (mm) each station needs (its node, or its label where that is taller).
    gap : gap (mm) above each station when it is not the first of its column.

    Returns
    -------
    yc : centre (mm) of each station's slot.
    total_h : height of the tallest column (mm).

    Examples
    --------
    >>> st = build_stations(3, np.array([0, 0]), np.array([1, 2]), np.array([5.0, 5.0]), np.array([True, True]),
    ...                     np.array([0, 1, 1]), np.array([10.0, 5.0, 5.0]))
    >>> yc, h = place_vertically(st, [[0], [1, 2]], np.array([10.0, 5.0, 5.0]), np.full(3, 2.0))
    >>> yc.round(6).tolist(), h
    ([6.0, 2.5, 9.5], 12.0)
    """
    col_h = [float(slot[col].sum() + gap[col[1:]].sum()) for col in columns]
    total_h = max(col_h) if col_h else 0.0
    yc = np.zeros(st.n)
    for lay, col in enumerate(columns):
        tops = (total_h - col_h[lay]) / 2 + np.cumsum(slot[col]) - slot[col] + np.r_[0.0, np.cumsum(gap[col[1:]])]
        yc[col] = tops + slot[col] / 2

    def resolve(col: list[int]) -> None:
        # push down from the top, then up from the bottom, keeping the order
        y = 0.0
        for i, v in enumerate(col):
            lo = y + (gap[v] if i else 0.0)
            yc[v] += max(lo - (yc[v] - slot[v] / 2), 0.0)
            y = yc[v] + slot[v] / 2
        y = total_h
        for v in reversed(col):
            yc[v] -= max(yc[v] + slot[v] / 2 - y, 0.0)
            y = yc[v] - slot[v] / 2 - gap[v]

    n_layers = len(columns)
    for it in range(relax):
        alpha = 0.9 ** it
        for lay in (range(1, n_layers) if it % 2 == 0 else range(n_layers - 2, -1, -1)):
            m_in = st.layer[st.seg_v] == lay
            m_out = st.layer[st.seg_u] == lay
            num = (np.bincount(st.seg_v[m_in], weights=st.seg_w[m_in] * yc[st.seg_u[m_in]], minlength=st.n)
                   + np.bincount(st.seg_u[m_out], weights=st.seg_w[m_out] * yc[st.seg_v[m_out]], minlength=st.n))
            den = (np.bincount(st.seg_v[m_in], weights=st.seg_w[m_in], minlength=st.n)
                   + np.bincount(st.seg_u[m_out], weights=st.seg_w[m_out], minlength=st.n))
            col = np.array(columns[lay], dtype=int)
            has = den[col] > 0
            yc[col[has]] += (num[col[has]] / den[col[has]] - yc[col[has]]) * alpha
            resolve(columns[lay])
    return yc, total_h


def loop_legs(layer: np.ndarray, src: np.ndarray, tgt: np.ndarray, loop_width: np.ndarray, loop: np.ndarray,
              n_layers: int, radius: float = 2.0) -> tuple[np.ndarray, np.ndarray]:
    """Room (mm) that the vertical legs of loops take right of each column (leaving) and left of it
    (entering).

    Examples
    --------
    >>> loop_legs(np.array([0, 1]), np.array([1]), np.array([0]), np.array([3.0]), np.array([True]), 2)
    (array([0. , 5.8]), array([5.8, 0. ]))
    """
    li = np.flatnonzero(loop)
    out = np.bincount(layer[src[li]], weights=loop_width[li] + 0.8, minlength=n_layers)
    inn = np.bincount(layer[tgt[li]], weights=loop_width[li] + 0.8, minlength=n_layers)
    return np.where(out > 0, out + radius, 0.0), np.where(inn > 0, inn + radius, 0.0)


def place_columns(columns: list[list[int]], n: int, label_w: np.ndarray, legs_out: np.ndarray,
                  legs_in: np.ndarray, node_width: float, min_column_gap: float,
                  pad: float) -> tuple[np.ndarray, float]:
    """x (mm) of each column, with gaps wide enough for the labels (left of the first column, right of the
    others) and the legs of loops; and the total width.

    Examples
    --------
    >>> place_columns([[0], [1]], 2, np.array([10.0, 10.0]), np.zeros(2), np.zeros(2), 4.0, 24.0, 1.5)
    (array([13., 41.]), 58.0)
    """
    def widest(col: list[int]) -> float:
        return max([label_w[v] for v in col if v < n] + [0.0]) + 2 * pad

    x = widest(columns[0]) + legs_in[0]
    col_x = np.zeros(len(columns))
    for lay, col in enumerate(columns):
        col_x[lay] = x
        if lay < len(columns) - 1:
            x += node_width + max(min_column_gap, widest(col) + 8.0) + legs_out[lay] + legs_in[lay + 1]
    return col_x, float(col_x[-1] + node_width + widest(columns[-1]) + legs_out[-1])


def route_loops(loop_idx: np.ndarray, lo: np.ndarray, hi: np.ndarray, width: np.ndarray, above: np.ndarray,
                floor: np.ndarray, ceiling: np.ndarray, clearance: float,
                text_h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Channels of the return links (step 6): each runs just below (or above) the columns it spans.

    A loop from column ``hi`` back to column ``lo`` runs beneath the lowest station of the columns
    ``lo … hi`` (a skyline), not beneath the whole drawing, so a reader follows it from its source to its
    target by eye. Loops are placed shortest first, so longer ones nest outside; ``text_h`` (mm, 0 for none)
    reserves a line beside the channel for the loop's value.

    Returns
    -------
    channel : y (mm) of each loop's centre line, aligned with ``loop_idx``.
    text_y : y (mm) of the centre of its value's line beside the channel.

    Examples
    --------
    >>> ch, ty = route_loops(np.array([0]), np.array([0]), np.array([2]), np.array([2.0]), np.array([False]),
    ...                      np.array([10.0, 30.0, 12.0, 50.0]), np.zeros(4), 1.0, np.array([3.0]))
    >>> ch.tolist(), ty.tolist()
    ([32.0], [34.7])
    """
    floor = np.array(floor, dtype=float)
    ceiling = np.array(ceiling, dtype=float)
    channel = np.zeros(len(loop_idx))
    text_y = np.zeros(len(loop_idx))
    for k in range(len(loop_idx)):
        span = slice(int(lo[k]), int(hi[k]) + 1)
        w, th = float(width[k]), float(text_h[k])
        if above[k]:
            channel[k] = float(ceiling[span].min()) - clearance - w / 2
            text_y[k] = channel[k] - w / 2 - 0.2 - th / 2
            ceiling[span] = channel[k] - w / 2 - (th + 0.2 if th else 0.0)
        else:
            channel[k] = float(floor[span].max()) + clearance + w / 2
            text_y[k] = channel[k] + w / 2 + 0.2 + th / 2
            floor[span] = channel[k] + w / 2 + (th + 0.2 if th else 0.0)
    return channel, text_y


Box = tuple[float, float, float, float]


def label_boxes(nodes: pd.DataFrame) -> np.ndarray:
    """The boxes (x0, y0, x1, y1, mm) of the node labels of a layout's node table (rows without a label
    give an empty box).

    Examples
    --------
    >>> lay = layout_sankey(["a", "b"], np.array([0]), np.array([1]), np.array([10.0]), scale=1.0,
    ...                     measure=lambda s: (10.0, 3.0))
    >>> label_boxes(lay.nodes).round(1).tolist()
    [[1.5, 3.5, 11.5, 6.5], [46.5, 3.5, 56.5, 6.5]]
    """
    w = nodes["label_w"].to_numpy(dtype=float)
    h = nodes["label_h"].to_numpy(dtype=float)
    lx = nodes["label_x"].to_numpy(dtype=float)
    ly = nodes["label_y"].to_numpy(dtype=float)
    x0 = np.where(nodes["label_ha"].to_numpy() == "right", lx - w, lx)
    return np.column_stack([x0, ly - h / 2, x0 + w, ly + h / 2]).reshape(-1, 4)


def overlapping_boxes(boxes: np.ndarray, clearance: float = 0.0) -> list[tuple[int, int]]:
    """Pairs ``(i, j)``, ``i < j``, of boxes (x0, y0, x1, y1) that overlap by more than ``-clearance``.

    Examples
    --------
    >>> overlapping_boxes(np.array([[0, 0, 2, 2], [1, 1, 3, 3], [5, 5, 6, 6.0]]))
    [(0, 1)]
    """
    b = np.asarray(boxes, dtype=float).reshape(-1, 4)
    real = (b[:, 2] > b[:, 0]) & (b[:, 3] > b[:, 1])
    hit = ((b[:, None, 0] - clearance < b[None, :, 2]) & (b[None, :, 0] < b[:, None, 2] + clearance)
           & (b[:, None, 1] - clearance < b[None, :, 3]) & (b[None, :, 1] < b[:, None, 3] + clearance)
           & real[:, None] & real[None, :])
    i, j = np.nonzero(np.triu(hit, 1))
    return list(zip(i.tolist(), j.tolist()))


def label_overlaps(layout: SankeyLayout) -> list[tuple[str, str]]:
    """Pairs of texts of a layout that overlap: node labels among themselves, with nodes, and with link
    values (as the layout computed their boxes). A readable diagram has none.

    Examples
    --------
    >>> lay = layout_sankey(["in", "a", "b", "out"], np.array([0, 1, 2, 1]), np.array([1, 2, 1, 3]),
    ...                     np.array([100.0, 30.0, 10.0, 80.0]), link_labels=["100", "30", "10", "80"])
    >>> label_overlaps(lay)
    []
    """
    nodes = layout.nodes
    names = [str(s).split("\n")[0] for s in nodes["label"]]
    boxes = [label_boxes(nodes)]
    rects = nodes[["x0", "y0", "x1", "y1"]].to_numpy(dtype=float)
    boxes.append(rects)
    names += [f"node {s}" for s in nodes["id"]]
    vl = layout.value_labels
    if len(vl):
        boxes.append(vl[["x0", "y0", "x1", "y1"]].to_numpy(dtype=float))
        names += [f"value {t}" for t in vl["text"]]
    n = len(nodes)
    out = []
    for i, j in overlapping_boxes(np.vstack(boxes)):
        if j == i + n and i < n:  # a node's label beside its own node touches it by design
            continue
        if n <= i < 2 * n and n <= j < 2 * n:  # node rectangles cannot overlap (kept apart by the columns)
            continue
        out.append((names[i], names[j]))
    return out


def _segments_for_text(pts: list[tuple[float, float]], band: float, tw: float, th: float) -> list[tuple[float, float]]:
    # every segment where the text fits inside the band, flattest first
    segs = []
    for (xa, ya), (xb, yb) in zip(pts[:-1], pts[1:]):
        dx = xb - xa
        if dx < tw + 4:
            continue
        slope = 1.5 * abs(yb - ya) / dx
        if band >= th * 0.9 + slope * tw:
            segs.append((slope, (xa + xb) / 2, (ya + yb) / 2))
    return [(x, y) for _s, x, y in sorted(segs)]


def _free(b: Box, boxes: list[Box], clear: float) -> bool:
    if not boxes:
        return True
    c = np.asarray(boxes)
    return not bool(np.any((b[0] - clear < c[:, 2]) & (c[:, 0] < b[2] + clear) & (b[1] - clear < c[:, 3])
                           & (c[:, 1] < b[3] + clear)))


def place_value_labels(paths: list[list[tuple[float, float]]], width: np.ndarray, loop: np.ndarray,
                       texts: Sequence[str], sizes: Sequence[tuple[float, float]], taken: list[Box],
                       loop_text_y: dict[int, float]) -> pd.DataFrame:
    """Link values written where they fit (step 7): on a forward link inside its band, on a loop beside its
    channel (the line reserved by :func:`route_loops`); never over another text or a node (``taken``).

    Returns rows link, x, y, text, x0, y0, x1, y1 (the text's box).

    Examples
    --------
    >>> place_value_labels([[(0.0, 5.0), (40.0, 5.0)]], np.array([6.0]), np.array([False]), ["12 t/a"],
    ...                    [(8.0, 3.0)], [], {})[["x", "y", "text"]].to_dict("records")
    [{'x': 20.0, 'y': 5.0, 'text': '12 t/a'}]
    """
    boxes = list(taken)
    rows = []
    for li in np.argsort(-np.asarray(width), kind="stable").tolist():
        text = texts[li]
        if not text or not paths[li]:
            continue
        tw, th = sizes[li]
        pts = paths[li]
        if loop[li]:
            (xa, _), (xb, _) = pts[2], pts[3]
            cands = [((xa + xb) / 2, loop_text_y[li])] if li in loop_text_y and abs(xa - xb) > tw + 6 else []
        else:
            cands = _segments_for_text(pts, float(width[li]), tw, th)
        for cx, cy in cands:
            bb = (cx - tw / 2, cy - th / 2, cx + tw / 2, cy + th / 2)
            # a little clearance: text that merely touches another label still reads as one
            if _free(bb, boxes, 0.8):
                boxes.append(bb)
                rows.append({"link": li, "x": cx, "y": cy, "text": text, "x0": bb[0], "y0": bb[1], "x1": bb[2],
                             "y1": bb[3]})
                break
    return pd.DataFrame(rows, columns=["link", "x", "y", "text", "x0", "y0", "x1", "y1"])


def _ports(n: int, src: np.ndarray, tgt: np.ndarray, width: np.ndarray, drawn: np.ndarray, node_top: np.ndarray,
           out_key: np.ndarray, in_key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    # links leave (enter) a node stacked from its top in the order of their key: one lexsort per side
    out_off = np.zeros(len(src))
    in_off = np.zeros(len(src))
    for ends, key, off in ((src, out_key, out_off), (tgt, in_key, in_off)):
        idx = np.flatnonzero(drawn)
        idx = idx[np.lexsort((idx, key[idx], ends[idx]))]
        w = width[idx]
        cum = np.cumsum(w)
        starts = np.r_[True, ends[idx][1:] != ends[idx][:-1]] if len(idx) else np.zeros(0, bool)
        before = cum - w
        first_of_group = np.maximum.accumulate(np.where(starts, np.arange(len(idx)), 0)) if len(idx) else idx
        off[idx] = node_top[ends[idx]] + before - before[first_of_group] + w / 2
    return out_off, in_off


def forward_paths(st: Stations, src: np.ndarray, tgt: np.ndarray, width: np.ndarray, out_off: np.ndarray,
                  in_off: np.ndarray, col_x: np.ndarray, top: np.ndarray,
                  node_width: float) -> list[list[tuple[float, float]]]:
    """Centre lines of the forward links: from the source's port through their dummy stations (stacked in
    the order they leave the source, so a bundle never crosses itself) to the target's port.

    Parameters
    ----------
    st : stations (:func:`build_stations`); ``top`` is the top (mm) of each station.
    out_off, in_off : y (mm) of each link's centre where it leaves its source and enters its target.
    col_x : x (mm) of each column.

    Returns
    -------
    list of lists of (x, y)
        Empty for links that are not forward links.

    Examples
    --------
    >>> st = build_stations(3, np.array([0]), np.array([2]), np.array([4.0]), np.array([True]),
    ...                     np.array([0, 1, 2]), np.array([4.0, 0.0, 4.0]))
    >>> forward_paths(st, np.array([0]), np.array([2]), np.array([4.0]), np.array([2.0]), np.array([2.0]),
    ...               np.array([0.0, 10.0, 20.0]), np.array([0.0, 0.0, 0.0, 0.0]), 1.0)
    [[(1.0, 2.0), (10.0, 2.0), (11.0, 2.0), (20.0, 2.0)]]
    """
    paths: list[list[tuple[float, float]]] = [[] for _ in range(len(src))]
    layer = st.layer
    for b, chain in enumerate(st.chains):
        members = st.fwd_idx[st.bundle_of == b]
        members = members[np.argsort(out_off[members], kind="stable")]
        acc = 0.0
        for li in members.tolist():
            pts = [(float(col_x[layer[src[li]]] + node_width), float(out_off[li]))]
            for d in chain[1:-1]:
                yy = float(top[d] + acc + width[li] / 2)
                pts += [(float(col_x[layer[d]]), yy), (float(col_x[layer[d]] + node_width), yy)]
            pts.append((float(col_x[layer[tgt[li]]]), float(in_off[li])))
            paths[li] = pts
            acc += width[li]
    return paths


def loop_paths(loop_idx: np.ndarray, src_layer: np.ndarray, tgt_layer: np.ndarray, width: np.ndarray,
               channel: np.ndarray, out_off: np.ndarray, in_off: np.ndarray, col_x: np.ndarray,
               node_width: float, radius: float = 2.0) -> dict[int, list[tuple[float, float]]]:
    """Centre lines of the return links: right from the source, down (up) a leg to the channel, along it
    from right to left, up (down) a leg and into the target from the left. The legs leaving (entering) one
    column are stacked outwards in the order of ``loop_idx`` (inner loops first).

    Returns
    -------
    dict
        link index → six stations.

    Examples
    --------
    >>> loop_paths(np.array([7]), np.array([2]), np.array([0]), np.array([1.0]), np.array([30.0]),
    ...            np.array([5.0]), np.array([6.0]), np.array([10.0, 40.0, 70.0]), 4.0)[7]
    [(74.0, 5.0), (76.5, 5.0), (76.5, 30.0), (7.5, 30.0), (7.5, 6.0), (10.0, 6.0)]
    """
    leg_out: dict[int, float] = {}
    leg_in: dict[int, float] = {}
    out: dict[int, list[tuple[float, float]]] = {}
    for k, li in enumerate(np.asarray(loop_idx).tolist()):
        s_lay, t_lay, w = int(src_layer[k]), int(tgt_layer[k]), float(width[k])
        ro, ri = leg_out.get(s_lay, radius), leg_in.get(t_lay, radius)
        xs = float(col_x[s_lay] + node_width + ro + w / 2)
        xt = float(col_x[t_lay] - ri - w / 2)
        leg_out[s_lay] = ro + w + 0.8
        leg_in[t_lay] = ri + w + 0.8
        ys, yt, ych = float(out_off[k]), float(in_off[k]), float(channel[k])
        out[li] = [(float(col_x[s_lay] + node_width), ys), (xs, ys), (xs, ych), (xt, ych), (xt, yt),
                   (float(col_x[t_lay]), yt)]
    return out


# ------------------------------------------------------------------------------------------------
# layout
# ------------------------------------------------------------------------------------------------
def _empty_layout(src, tgt, value, scale, node_width, font_size) -> SankeyLayout:
    node_cols = ["node", "id", "label", "layer", "x0", "x1", "y0", "y1", "value_in", "value_out", "value",
                 "label_x", "label_y", "label_ha", "label_w", "label_h"]
    return SankeyLayout(
        nodes=pd.DataFrame(columns=node_cols),
        links=pd.DataFrame({"link": np.arange(len(src)), "source": src, "target": tgt, "value": value,
                            "width": 0.0, "loop": False, "drawn": False}),
        paths=[[] for _ in range(len(src))],
        value_labels=pd.DataFrame(columns=["link", "x", "y", "text", "x0", "y0", "x1", "y1"]),
        width=100.0, height=20.0, scale=float(scale) if scale else 1.0, node_width=node_width, font_size=font_size)


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
    """Lay out a network Sankey diagram (the steps of the module docstring, one function each).

    Parameters
    ----------
    labels : node ids/names, one per node (used in the node table).
    src, tgt, value : links as node indices and values in t/a (values ≤ 0 or NaN are dropped).
    pin : per node −1 (first column), +1 (last column) or 0 (free).
    node_labels : text written next to each node (default: ``labels``); may contain newlines.
    link_labels : text written on each link where it fits (default: no link labels).
    scale : t/a per mm of link width. ``None`` fits the tallest column into ``height`` mm; pass the same
        number to diagrams of different years so that equal widths mean equal flows.
    height : mm the tallest column is fitted into when ``scale`` is None.
    node_width, node_gap, min_column_gap : mm.
    font_size : points of the labels.
    measure : ``text -> (width_mm, height_mm)``; default an estimate (:func:`approx_text_size`).
    sweeps, relax : barycentre sweeps and relaxation passes (0 for the plain stacked order).
    loops_above : loops between nodes in the upper half of the drawing run above it (else all below).

    Returns
    -------
    SankeyLayout
        Geometry in mm, ``y`` downwards.

    Examples
    --------
    >>> lay = layout_sankey(["in", "a", "b", "out"], np.array([0, 1, 2, 1]), np.array([1, 2, 1, 3]),
    ...                     np.array([100.0, 30.0, 10.0, 80.0]), pin=np.array([-1, 0, 0, 1]), scale=2.0)
    >>> lay.nodes["layer"].tolist(), lay.links["loop"].tolist(), lay.links["width"].tolist()
    ([0, 1, 2, 2], [False, False, True, False], [50.0, 15.0, 5.0, 40.0])
    """
    n = len(labels)
    src = np.asarray(src, dtype=int)
    tgt = np.asarray(tgt, dtype=int)
    value = np.asarray(value, dtype=float)
    if scale is not None and not (np.isfinite(scale) and scale > 0):
        raise ValueError("scale must be a positive number of t/a per mm")
    if n == 0:  # nothing to draw (e.g. every flow unknown): an empty, valid layout
        return _empty_layout(src, tgt, value, scale, node_width, font_size)
    measure = measure or (lambda s: approx_text_size(s, font_size))
    pin = np.zeros(n, dtype=int) if pin is None else np.asarray(pin, dtype=int)
    node_labels = list(labels) if node_labels is None else list(node_labels)
    ok = np.isfinite(value) & (value > 0)
    v_in = np.bincount(tgt[ok], weights=value[ok], minlength=n)
    v_out = np.bincount(src[ok], weights=value[ok], minlength=n)
    v_node = np.maximum(v_in, v_out)

    layer, loop, pos = assign_layers(n, src, tgt, value, pin)
    n_layers = int(layer.max()) + 1
    st = build_stations(n, src, tgt, value, ok & ~loop, layer, v_node)
    columns = order_columns(st, pos, n_layers, sweeps)

    sizes = [measure(t) if t else (0.0, 0.0) for t in node_labels]
    lab_w = np.array([s[0] for s in sizes], dtype=float)
    lab_h = np.array([s[1] for s in sizes], dtype=float)
    dummy_gap = max(node_gap / 4, 0.5)
    gap = np.where(st.dummy, dummy_gap, node_gap)
    scale = float(scale) if scale is not None else fit_scale(st, columns, height, node_gap, dummy_gap)
    h = st.size / scale
    slot = h.copy()
    slot[:n] = np.maximum(h[:n], lab_h)
    yc, total_h = place_vertically(st, columns, slot, gap, relax)

    # horizontal placement: column gaps wide enough for the labels and the legs of loops
    pad = 1.5
    width = np.where(ok, value / scale, 0.0)
    legs_out, legs_in = loop_legs(layer, src, tgt, width, loop, n_layers)
    col_x, total_w = place_columns(columns, n, lab_w, legs_out, legs_in, node_width, min_column_gap, pad)

    # loops: in the upper half above the drawing, else below, each just outside the columns it spans
    loop_idx = np.flatnonzero(loop)
    lo, hi = layer[tgt[loop_idx]], layer[src[loop_idx]]
    order = np.lexsort((-width[loop_idx], hi - lo))
    loop_idx, lo, hi = loop_idx[order], lo[order], hi[order]
    above = ((yc[src[loop_idx]] + yc[tgt[loop_idx]]) / 2 < total_h / 2) & loops_above
    text_sizes = [measure(t) if (link_labels is not None and t) else (0.0, 0.0)
                  for t in (link_labels if link_labels is not None else [""] * len(src))]
    floor = np.array([float((yc[c] + slot[c] / 2).max()) for c in columns])
    ceiling = np.array([float((yc[c] - slot[c] / 2).min()) for c in columns])
    channel, text_y = route_loops(loop_idx, lo, hi, width[loop_idx], above, floor, ceiling, node_gap * 1.5,
                                  np.array([text_sizes[li][1] for li in loop_idx.tolist()]))
    # shift everything down by what the loops above take
    top = min([0.0] + [float(t - text_sizes[li][1] / 2) for li, t, a in zip(loop_idx.tolist(), text_y, above) if a]
              + [float(c - width[li] / 2) for li, c, a in zip(loop_idx.tolist(), channel, above) if a])
    y_shift = -top
    yc, channel, text_y = yc + y_shift, channel + y_shift, text_y + y_shift
    node_top = yc - h / 2

    # ports: forward links in the order of the height of their next (previous) station; loops above at the
    # top (outermost first), loops below at the bottom (innermost last), so nested loops never cross
    rank = np.zeros(len(src))
    rank[loop_idx] = np.arange(len(loop_idx))
    side = np.zeros(len(src))
    side[loop_idx] = np.where(above, -1.0, 1.0)
    big = 10.0 * (float(yc.max()) + 1.0)
    next_y = np.zeros(len(src))
    prev_y = np.zeros(len(src))
    chains = st.chains
    next_y[st.fwd_idx] = yc[[chains[b][1] for b in st.bundle_of]] if len(st.fwd_idx) else 0.0
    prev_y[st.fwd_idx] = yc[[chains[b][-2] for b in st.bundle_of]] if len(st.fwd_idx) else 0.0
    loop_key = side * big + np.where(side < 0, rank, -rank)
    out_off, in_off = _ports(n, src, tgt, width, ok, node_top,
                             np.where(loop, loop_key, next_y), np.where(loop, loop_key, prev_y))

    paths = forward_paths(st, src, tgt, width, out_off, in_off, col_x, yc - h / 2, node_width)
    for li, pts in loop_paths(loop_idx, layer[src[loop_idx]], layer[tgt[loop_idx]], width[loop_idx], channel,
                              out_off[loop_idx], in_off[loop_idx], col_x, node_width).items():
        paths[li] = pts
    total_height = max([float(total_h + y_shift)] + [float(c + width[li] / 2 + text_sizes[li][1] + 0.2)
                                                     for li, c in zip(loop_idx.tolist(), channel)])

    # node table and labels; labels keep clear of the loop legs beside their node
    x0 = col_x[layer]
    label_ha = np.where(layer == 0, "right", "left")
    label_x = np.where(layer == 0, x0 - pad - legs_in[layer], x0 + node_width + pad + legs_out[layer])
    nodes = pd.DataFrame({
        "node": np.arange(n), "id": list(labels), "label": node_labels, "layer": layer,
        "x0": x0, "x1": x0 + node_width, "y0": node_top[:n], "y1": node_top[:n] + h[:n],
        "value_in": v_in, "value_out": v_out, "value": v_node,
        "label_x": label_x, "label_y": yc[:n], "label_ha": label_ha, "label_w": lab_w, "label_h": lab_h,
    })
    links = pd.DataFrame({"link": np.arange(len(src)), "source": src, "target": tgt, "value": value,
                          "width": width, "loop": loop, "drawn": ok})
    taken = [tuple(b) for b in label_boxes(nodes) if b[2] > b[0]] + [
        tuple(b) for b in nodes[["x0", "y0", "x1", "y1"]].to_numpy(dtype=float)]
    value_labels = place_value_labels(
        paths, np.where(ok, width, -1.0), loop, link_labels if link_labels is not None else [""] * len(src),
        text_sizes, taken, dict(zip(loop_idx.tolist(), text_y.tolist())))
    return SankeyLayout(nodes=nodes, links=links, paths=paths, value_labels=value_labels, width=total_w,
                        height=total_height, scale=scale, node_width=node_width, font_size=font_size,
                        loop_channels=channel.tolist())
