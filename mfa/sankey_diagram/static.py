"""Static Sankey diagrams with matplotlib (PNG, SVG, PDF) drawn from a :class:`~mfa.sankey_diagram.layout.SankeyLayout`.

The figure is sized so that one data unit is one millimetre on paper: link widths are exactly
``value / scale`` mm, which makes diagrams drawn with the same ``scale`` comparable. Links are stroked centre
lines (horizontal tangents at every station, so a band meets a node square-on); loops run below the
diagram from right to left with an arrowhead where they enter their target. Chinese labels use the bundled
Noto Sans SC font (:mod:`mfa.fonts`). Output is deterministic: no dates in the file metadata and a fixed
SVG hash salt.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

import numpy as np

from mfa.sankey_diagram.layout import MM_PER_PT, SankeyLayout

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

__all__ = ["draw_sankey", "text_measurer", "save_figure", "DETERMINISTIC_RC"]

#: rcParams that make saved files byte-identical between runs.
DETERMINISTIC_RC = {"svg.hashsalt": "circular-mfa", "pdf.fonttype": 42, "svg.fonttype": "path",
                    "path.simplify": False}


def text_measurer(font_size: float):
    """A ``text -> (width_mm, height_mm)`` function using matplotlib's own text metrics."""
    from matplotlib.backends.backend_agg import RendererAgg
    from matplotlib.font_manager import FontProperties

    from mfa.fonts import font_family

    renderer = RendererAgg(100, 100, 72.0)  # at 72 dpi one pixel is one point
    prop = FontProperties(family=font_family(), size=font_size)
    cache: dict[str, tuple[float, float]] = {}

    def measure(text: str) -> tuple[float, float]:
        if text not in cache:
            lines = text.split("\n")
            w = max(renderer.get_text_width_height_descent(line or " ", prop, ismath=False)[0]
                    for line in lines)
            cache[text] = (w * MM_PER_PT, len(lines) * font_size * 1.2 * MM_PER_PT)
        return cache[text]

    return measure


def _band_path(pts: Sequence[tuple[float, float]], width: float):
    """A forward link as a filled band: top edge along the stations, bottom edge back.

    A filled band keeps its vertical thickness everywhere; a stroked centre line as wide as a large flow
    would bulge backwards where it bends (the stroke extends perpendicular to a steep curve)."""
    from matplotlib.path import Path

    h = width / 2

    def edge(points, dy):
        verts, codes = [], []
        for (xa, ya), (xb, yb) in zip(points[:-1], points[1:]):
            if abs(ya - yb) < 1e-9:
                verts.append((xb, yb + dy))
                codes.append(Path.LINETO)
            else:
                xm = (xa + xb) / 2
                verts += [(xm, ya + dy), (xm, yb + dy), (xb, yb + dy)]
                codes += [Path.CURVE4] * 3
        return verts, codes

    top_v, top_c = edge(pts, -h)
    back = list(reversed(pts))
    bot_v, bot_c = edge(back, h)
    verts = [(pts[0][0], pts[0][1] - h)] + top_v + [(back[0][0], back[0][1] + h)] + bot_v + [(0.0, 0.0)]
    codes = [Path.MOVETO] + top_c + [Path.LINETO] + bot_c + [Path.CLOSEPOLY]
    return Path(verts, codes)


def _link_path(pts: Sequence[tuple[float, float]], loop: bool, radius: float):
    from matplotlib.path import Path

    verts = [pts[0]]
    codes = [Path.MOVETO]
    # straight legs with rounded corners (quadratic curves)
    for i in range(1, len(pts) - 1):
        p_prev, p, p_next = np.array(pts[i - 1]), np.array(pts[i]), np.array(pts[i + 1])
        d1 = p - p_prev
        d2 = p_next - p
        l1, l2 = np.hypot(*d1), np.hypot(*d2)
        r = min(radius, l1 / 2, l2 / 2)
        a = p - d1 / l1 * r if l1 > 0 else p
        b = p + d2 / l2 * r if l2 > 0 else p
        verts += [tuple(a), tuple(p), tuple(b)]
        codes += [Path.LINETO, Path.CURVE3, Path.CURVE3]
    verts.append(pts[-1])
    codes.append(Path.LINETO)
    return Path(verts, codes)


def _add(ax, patch) -> None:
    """ax.add_patch without the data-limit update (a Bézier extrema search per patch, the bulk of the drawing
    time at thousands of links): the limits are set explicitly."""
    ax.add_artist(patch)


def draw_sankey(layout: SankeyLayout, *, node_colors: Sequence[str], link_colors: Sequence[str],
                title: str | None = None, legend: Sequence[tuple[str, str]] = (),
                node_legend: Sequence[tuple[str, str]] = (), note: str | None = None) -> "Figure":
    """Draw a laid-out Sankey; returns a matplotlib Figure (not attached to pyplot).

    ``legend``/``node_legend`` are (label, colour) pairs for the link categories and node kinds shown.
    """
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties
    from matplotlib.patches import PathPatch, Rectangle, Polygon

    from mfa.fonts import font_family

    fam = font_family()
    fs = layout.font_size
    prop = FontProperties(family=fam, size=fs)
    margin = 4.0
    title_h = (fs * 1.6 * MM_PER_PT + 3.0) if title else 0.0
    n_leg = len(legend) + len(node_legend)
    leg_rows = int(np.ceil(n_leg / 4)) if n_leg else 0
    leg_h = leg_rows * fs * 1.5 * MM_PER_PT + (4.0 if n_leg else 0.0) + (fs * 1.4 * MM_PER_PT if note else 0)
    W = layout.width + 2 * margin
    H = layout.height + 2 * margin + title_h + leg_h
    fig = Figure(figsize=(W / 25.4, H / 25.4), dpi=150)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(-margin, layout.width + margin)
    ax.set_ylim(layout.height + margin + leg_h, -margin - title_h)
    ax.set_axis_off()
    pt_per_mm = 1.0 / MM_PER_PT

    links = layout.links
    order = np.argsort(-links["width"].to_numpy(), kind="stable")  # thin links on top of wide ones
    for li in order.tolist():
        row = links.iloc[li]
        if not row["drawn"]:
            continue
        if row["loop"]:
            path = _link_path(layout.paths[li], True, radius=2.0 + row["width"] / 2)
            _add(ax, PathPatch(path, facecolor="none", edgecolor=link_colors[li], alpha=0.55,
                                   linewidth=row["width"] * pt_per_mm, capstyle="butt", joinstyle="round",
                                   zorder=1))
        else:
            # hairline links stay visible: at least 0.15 mm
            path = _band_path(layout.paths[li], max(row["width"], 0.15))
            _add(ax, PathPatch(path, facecolor=link_colors[li], edgecolor="none", alpha=0.55,
                                   linewidth=0, zorder=1))
        if row["loop"]:
            # arrowhead into the target and a chevron in the return channel: loops read right to left
            x_end, y_end = layout.paths[li][-1]
            hw = max(row["width"] / 2, 0.8)
            head = min(max(1.6, 0.5 * hw), 4.0)
            _add(ax, Polygon([(x_end - head, y_end - hw), (x_end, y_end), (x_end - head, y_end + hw)],
                                 closed=True, facecolor=link_colors[li], edgecolor="none", alpha=0.9,
                                 zorder=2))
            (xa, yc), (xb, _) = layout.paths[li][2], layout.paths[li][3]
            # a chevron near the right end of the channel, clear of the value written in its middle
            xm = xa - min(8.0, abs(xa - xb) / 4)
            chev = max(1.2, 0.6 * hw)
            _add(ax, Polygon([(xm + chev, yc - hw * 0.8), (xm - chev / 2, yc), (xm + chev, yc + hw * 0.8)],
                                 closed=True, facecolor="white", edgecolor="none", alpha=0.8, zorder=2))

    nodes = layout.nodes
    for row in nodes.itertuples(index=False):
        height = max(row.y1 - row.y0, 0.3)
        _add(ax, Rectangle((row.x0, row.y0), row.x1 - row.x0, height, facecolor=node_colors[row.node],
                               edgecolor="#333333", linewidth=0.3, zorder=3))
        if row.label:
            ax.text(row.label_x, row.label_y, row.label, ha=row.label_ha, va="center", fontproperties=prop,
                    linespacing=1.0, zorder=5,
                    bbox=dict(boxstyle="square,pad=0.1", facecolor="white", edgecolor="none", alpha=0.75))
    for row in layout.value_labels.itertuples(index=False):
        ax.text(row.x, row.y, row.text, ha="center", va="center", fontproperties=prop, color="#222222",
                zorder=4)
    if title:
        ax.text(0, -margin - title_h / 2, title, ha="left", va="center",
                fontproperties=FontProperties(family=fam, size=fs * 1.4, weight="bold"))
    # legend: link categories (lines) and node kinds (squares) in rows of four
    entries = [(lab, col, "link") for lab, col in legend] + [(lab, col, "node") for lab, col in node_legend]
    y = layout.height + margin + 2.0
    col_w = max(layout.width / 4, 30.0)
    for i, (lab, col, what) in enumerate(entries):
        x = (i % 4) * col_w
        yy = y + (i // 4) * fs * 1.5 * MM_PER_PT
        if what == "link":
            _add(ax, Rectangle((x, yy - 0.8), 5, 1.6, facecolor=col, alpha=0.55, edgecolor="none"))
        else:
            _add(ax, Rectangle((x + 1.5, yy - 1.2), 2.4, 2.4, facecolor=col, edgecolor="#333333",
                                   linewidth=0.3))
        ax.text(x + 6.5, yy, lab, ha="left", va="center", fontproperties=prop)
    if note:
        ax.text(0, y + leg_rows * fs * 1.5 * MM_PER_PT + 1.0, note, ha="left", va="center",
                fontproperties=FontProperties(family=fam, size=fs * 0.9), color="#555555")
    return fig


def save_figure(fig: "Figure", path, fmt: str) -> None:
    """Save ``fig`` as ``fmt`` (png/svg/pdf) atomically and deterministically."""
    import io
    from pathlib import Path

    import matplotlib

    from mfa.io.writers import atomic_write_bytes

    meta = {"png": {"Software": None}, "svg": {"Date": None, "Creator": None},
            "pdf": {"CreationDate": None, "ModDate": None, "Creator": None, "Producer": None}}[fmt]
    buf = io.BytesIO()
    with matplotlib.rc_context(DETERMINISTIC_RC):
        fig.savefig(buf, format=fmt, metadata=meta, dpi=200 if fmt == "png" else None)
    atomic_write_bytes(Path(path), buf.getvalue())
