"""Static Sankey diagrams with matplotlib (PNG, SVG, PDF) drawn from a :class:`~mfa.sankey_diagram.layout.SankeyLayout`.

The figure is sized so that one data unit is one millimetre on paper: link widths are exactly
``value / scale`` mm, which makes diagrams drawn with the same ``scale`` comparable. Links are stroked centre
lines (horizontal tangents at every station, so a band meets a node square-on); loops run below the
diagram from right to left with an arrowhead where they enter their target. Chinese labels use the bundled
Noto Sans SC font (:mod:`mfa.fonts`). Output is deterministic: no dates in the file metadata and a fixed
SVG hash salt.
"""

from __future__ import annotations

from dataclasses import dataclass
import os
from typing import TYPE_CHECKING, Callable, Sequence

import numpy as np

from mfa.sankey_diagram.geometry import band_outline, loop_arrows, loop_centre_line
from mfa.sankey_diagram.layout import MM_PER_PT, SankeyLayout

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

__all__ = ["draw_sankey", "text_measurer", "save_figure", "DETERMINISTIC_RC", "MIN_LOOP_WIDTH", "frame_geometry", "Frame"]

#: Resolution (dpi) at which labels are measured: the figure's (150) and the PNG's (200) are close to it.
MEASURE_DPI = 150.0
#: Thinnest drawn return link (mm): a loop of a few tonnes must still be seen to be followed.
MIN_LOOP_WIDTH = 0.35

#: rcParams that make saved files byte-identical between runs.
DETERMINISTIC_RC = {"svg.hashsalt": "circular-mfa", "pdf.fonttype": 42, "svg.fonttype": "path",
                    "path.simplify": False}


def text_measurer(font_size: float) -> Callable[[str], tuple[float, float]]:
    r"""A ``text -> (width_mm, height_mm)`` function using matplotlib's own text metrics.

    Parameters
    ----------
    font_size : points.

    Returns
    -------
    callable
        Measures one or more lines (cached per text).

    Examples
    --------
    >>> measure = text_measurer(7.0)
    >>> w1, h1 = measure("Fly ash")
    >>> w2, h2 = measure("Fly ash\nFly ash collection")
    >>> w2 > w1 and round(h2 / h1, 6) == 2.0
    True
    """
    from matplotlib.backends.backend_agg import RendererAgg
    from matplotlib.font_manager import FontProperties

    from mfa.fonts import font_family

    # measured at the drawing's own resolution: glyphs hinted at 72 dpi come out about 10 % narrower than
    # drawn at 150–200 dpi, enough for a label to run into its neighbour
    renderer = RendererAgg(100, 100, MEASURE_DPI)
    prop = FontProperties(family=font_family(), size=font_size)
    cache: dict[str, tuple[float, float]] = {}

    def measure(text: str) -> tuple[float, float]:
        if text not in cache:
            lines = text.split("\n")
            w = max(renderer.get_text_width_height_descent(line or " ", prop, ismath=False)[0]
                    for line in lines)
            cache[text] = (w * 72.0 / MEASURE_DPI * MM_PER_PT * 1.02, len(lines) * font_size * 1.2 * MM_PER_PT)
        return cache[text]

    return measure


def _mpl_path(commands):
    """A matplotlib Path of :mod:`mfa.sankey_diagram.geometry` drawing commands."""
    from matplotlib.path import Path

    kinds = {"M": Path.MOVETO, "L": Path.LINETO, "Q": Path.CURVE3, "C": Path.CURVE4, "Z": Path.CLOSEPOLY}
    verts, codes = [], []
    for op, points in commands:
        pts = points or [(0.0, 0.0)]
        verts += pts
        codes += [kinds[op]] * len(pts)
    return Path(verts, codes)


def _add(ax, patch) -> None:
    """ax.add_patch without the data-limit update (a Bézier extrema search per patch, the bulk of the drawing
    time at thousands of links): the limits are set explicitly."""
    ax.add_artist(patch)


@dataclass(frozen=True)
class Frame:
    """Where the drawing sits on the page (mm): the visible area starts at ``(x0, y0)``; the title,
    legend entries ``(x, y, label, colour, "link"|"node")`` and the note around the diagram.

    Examples
    --------
    >>> from mfa.sankey_diagram.layout import layout_sankey
    >>> lay = layout_sankey(["a", "b"], np.array([0]), np.array([1]), np.array([10.0]), scale=1.0)
    >>> f = frame_geometry(lay, None, [], [], None)
    >>> f.x0, f.y0, f.entries
    (-4.0, -4.0, [])
    """

    x0: float
    y0: float
    width: float
    height: float
    title_xy: tuple[float, float]
    entries: list[tuple[float, float, str, str, str]]
    note_xy: tuple[float, float]


def frame_geometry(layout: SankeyLayout, title: str | None, legend: Sequence[tuple[str, str]],
                   node_legend: Sequence[tuple[str, str]], note: str | None, margin: float = 4.0) -> Frame:
    """The page around a layout: title above, legend in rows of four and the note below.

    Parameters
    ----------
    layout : the diagram's geometry.
    title, note : texts (None or "" for none).
    legend, node_legend : (label, colour) pairs of the link categories and node kinds shown.
    margin : mm around everything.

    Returns
    -------
    Frame

    Examples
    --------
    >>> from mfa.sankey_diagram.layout import layout_sankey
    >>> lay = layout_sankey(["a", "b"], np.array([0]), np.array([1]), np.array([10.0]), scale=1.0)
    >>> f = frame_geometry(lay, "T", [("fuel", "#333333")], [], None)
    >>> f.x0, len(f.entries), f.entries[0][2]
    (-4.0, 1, 'fuel')
    """
    fs = layout.font_size
    row_h = fs * 1.5 * MM_PER_PT
    title_h = (fs * 1.6 * MM_PER_PT + 3.0) if title else 0.0
    items = [(lab, col, "link") for lab, col in legend] + [(lab, col, "node") for lab, col in node_legend]
    rows = int(np.ceil(len(items) / 4)) if items else 0
    leg_h = rows * row_h + (4.0 if items else 0.0) + (fs * 1.4 * MM_PER_PT if note else 0)
    y = layout.height + margin + 2.0
    col_w = max(layout.width / 4, 30.0)
    entries = [((i % 4) * col_w, y + (i // 4) * row_h, lab, col, what) for i, (lab, col, what) in enumerate(items)]
    return Frame(x0=-margin, y0=-margin - title_h, width=layout.width + 2 * margin,
                 height=layout.height + 2 * margin + title_h + leg_h, title_xy=(0.0, -margin - title_h / 2),
                 entries=entries, note_xy=(0.0, y + rows * row_h + 1.0))


def draw_sankey(layout: SankeyLayout, *, node_colors: Sequence[str], link_colors: Sequence[str],
                title: str | None = None, legend: Sequence[tuple[str, str]] = (),
                node_legend: Sequence[tuple[str, str]] = (), note: str | None = None) -> "Figure":
    """Draw a laid-out Sankey; returns a matplotlib Figure (not attached to pyplot).

    Parameters
    ----------
    layout : the geometry (:func:`~mfa.sankey_diagram.layout.layout_sankey`).
    node_colors, link_colors : one colour per node and per link.
    title, note : texts above and below the diagram.
    legend, node_legend : (label, colour) pairs for the link categories and node kinds shown.

    Returns
    -------
    matplotlib.figure.Figure
        One data unit is one millimetre.

    Examples
    --------
    >>> from mfa.sankey_diagram.layout import layout_sankey
    >>> lay = layout_sankey(["a", "b"], np.array([0]), np.array([1]), np.array([10.0]), scale=1.0)
    >>> fig = draw_sankey(lay, node_colors=["#4C72B0", "#8B5A2B"], link_colors=["#7F7F7F"], title="T")
    >>> [t.get_text() for t in fig.axes[0].texts]
    ['a', 'b', 'T']
    """
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties
    from matplotlib.patches import PathPatch, Rectangle, Polygon

    from mfa.fonts import font_family

    fam = font_family()
    fs = layout.font_size
    prop = FontProperties(family=fam, size=fs)
    frame = frame_geometry(layout, title, legend, node_legend, note)
    fig = Figure(figsize=(frame.width / 25.4, frame.height / 25.4), dpi=150)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(frame.x0, frame.x0 + frame.width)
    ax.set_ylim(frame.y0 + frame.height, frame.y0)
    ax.set_axis_off()
    pt_per_mm = 1.0 / MM_PER_PT

    links = layout.links
    order = np.argsort(-links["width"].to_numpy(), kind="stable")  # thin links on top of wide ones
    for li in order.tolist():
        row = links.iloc[li]
        if not row["drawn"]:
            continue
        if row["loop"]:
            path = _mpl_path(loop_centre_line(layout.paths[li], radius=2.0 + row["width"] / 2))
            _add(ax, PathPatch(path, facecolor="none", edgecolor=link_colors[li], alpha=0.55,
                               linewidth=max(row["width"], MIN_LOOP_WIDTH) * pt_per_mm, capstyle="butt",
                               joinstyle="round", zorder=1))
            # arrowhead into the target and a chevron in the return channel: loops read right to left
            head, chevron = loop_arrows(layout.paths[li], max(row["width"], MIN_LOOP_WIDTH))
            _add(ax, Polygon(head, closed=True, facecolor=link_colors[li], edgecolor="none", alpha=0.9, zorder=2))
            _add(ax, Polygon(chevron, closed=True, facecolor="white", edgecolor="none", alpha=0.8, zorder=2))
        else:
            # hairline links stay visible: at least 0.15 mm
            path = _mpl_path(band_outline(layout.paths[li], max(row["width"], 0.15)))
            _add(ax, PathPatch(path, facecolor=link_colors[li], edgecolor="none", alpha=0.55, linewidth=0, zorder=1))

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
        ax.text(*frame.title_xy, title, ha="left", va="center",
                fontproperties=FontProperties(family=fam, size=fs * 1.4, weight="bold"))
    # legend: link categories (bands) and node kinds (squares)
    for x, yy, lab, col, what in frame.entries:
        if what == "link":
            _add(ax, Rectangle((x, yy - 0.8), 5, 1.6, facecolor=col, alpha=0.55, edgecolor="none"))
        else:
            _add(ax, Rectangle((x + 1.5, yy - 1.2), 2.4, 2.4, facecolor=col, edgecolor="#333333", linewidth=0.3))
        ax.text(x + 6.5, yy, lab, ha="left", va="center", fontproperties=prop)
    if note:
        ax.text(*frame.note_xy, note, ha="left", va="center", fontproperties=FontProperties(family=fam, size=fs * 0.9),
                color="#555555")
    return fig


def save_figure(fig: "Figure", path: str | os.PathLike, fmt: str) -> None:
    """Save ``fig`` as ``fmt`` (png/svg/pdf) atomically and deterministically.

    Parameters
    ----------
    fig : the figure.
    path : the file to write.
    fmt : ``"png"`` (200 dpi), ``"svg"`` or ``"pdf"``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from matplotlib.figure import Figure
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "f.svg"
    >>> save_figure(Figure(figsize=(1, 1)), out, "svg")
    >>> out.read_text().count("<svg")
    1
    """
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
