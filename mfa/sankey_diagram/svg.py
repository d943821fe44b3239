"""The interactive Sankey as plain SVG, drawn from the same :class:`~mfa.sankey_diagram.layout.SankeyLayout`
as the static figure: what the browser shows is what the layout computed, so no two labels overlap there
either, return flows are drawn as links running back under (or over) the columns they span, with arrows,
and link values sit on the links where they fit.

Hovering a link or a node shows its material, category and value (SVG ``<title>``); hovering a link brings
it forward. No JavaScript and no plotting library are needed: the page works offline and is the same
bytes on every run. Text uses the bundled CJK face where the page embeds it (``"MFA CJK"``).
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Sequence

from mfa.sankey_diagram.geometry import band_outline, loop_arrows, loop_centre_line, svg_path
from mfa.sankey_diagram.layout import MM_PER_PT

if TYPE_CHECKING:  # pragma: no cover
    from mfa.sankey_diagram import SankeyDiagram

__all__ = ["sankey_svg", "sankey_page", "page", "FONT_FAMILY", "PX_PER_MM"]

#: CSS font list; "MFA CJK" is the subset font the HTML pages embed, DejaVu Sans the face the layout measured.
FONT_FAMILY = '"DejaVu Sans", "MFA CJK", "Noto Sans SC", Verdana, sans-serif'
#: Pixels per millimetre of the drawing on screen (96 dpi × 1.25, so 7 pt labels read as 11.7 px).
PX_PER_MM = 96 / 25.4 * 1.25

_STYLE = (".mfa-sankey-svg .sankey-link{opacity:.55}.mfa-sankey-svg .sankey-link:hover{opacity:.9}"
          ".mfa-sankey-svg .sankey-node-label{paint-order:stroke;stroke:#fff;stroke-width:.6px;"
          "stroke-opacity:.8}.mfa-sankey-svg text{pointer-events:none}")


_IN_OUT = {"en": "in {i} · out {o}", "zh": "输入 {i} · 输出 {o}"}


def _e(text) -> str:
    return html.escape(str(text), quote=True)


def _n(v: float) -> str:
    s = f"{v:.2f}".rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


def _text(x: float, y: float, text: str, size: float, cls: str, anchor: str = "start", **attrs: str) -> str:
    """Multi-line text centred on ``y`` (mm), lines 1.2 em apart as the layout measured them."""
    lines = str(text).split("\n")
    line_h = size * 1.2
    first = y - line_h * (len(lines) - 1) / 2
    extra = "".join(f' {k.replace("_", "-")}="{_e(v)}"' for k, v in attrs.items())
    spans = "".join(f'<tspan x="{_n(x)}" y="{_n(first + i * line_h)}">{_e(line)}</tspan>'
                    for i, line in enumerate(lines))
    return (f'<text class="{cls}" text-anchor="{anchor}" dominant-baseline="central" '
            f'font-size="{_n(size)}"{extra}>{spans}</text>')


def sankey_svg(diagram: "SankeyDiagram", div_id: str | None = None) -> str:
    """The diagram as an SVG element (sized in pixels, scaled from the layout's millimetres).

    Parameters
    ----------
    diagram : the diagram to draw.
    div_id : id of the ``<svg>`` element (default the diagram's ``div_id``).

    Returns
    -------
    str
        ``<svg …>…</svg>`` with one ``g.sankey-node`` per node, one ``path.sankey-link`` per link, the node
        labels as ``text.sankey-node-label`` and the link values as ``text.sankey-value``.

    Examples
    --------
    >>> import pandas as pd
    >>> from mfa.sankey_diagram import SankeyDiagram
    >>> d = SankeyDiagram.from_frames(pd.DataFrame({"id": ["a", "b"]}),
    ...                               pd.DataFrame({"source": ["a"], "target": ["b"], "value": [5.0]}))
    >>> svg = sankey_svg(d)
    >>> svg.count('class="sankey-node"'), svg.count('class="sankey-link"')
    (2, 1)
    """
    from mfa.sankey_diagram import category_label, format_value, kind_label
    from mfa.sankey_diagram.static import MIN_LOOP_WIDTH, frame_geometry

    lay = diagram.layout
    lang = diagram.lang
    fs = lay.font_size * MM_PER_PT
    node_colors, link_colors = diagram.colors()
    legend, node_legend = diagram.legends()
    note = diagram.note()
    frame = frame_geometry(lay, diagram.title, legend, node_legend, note)
    # as wide as the page allows, between true size (7 pt labels) and PX_PER_MM; below that it scrolls
    true_px = frame.width * 96 / 25.4
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" id="{_e(div_id or diagram.div_id)}" class="mfa-sankey-svg" '
           f'width="100%" style="min-width:{_n(true_px)}px;max-width:{_n(frame.width * PX_PER_MM)}px;height:auto" '
           f'viewBox="{_n(frame.x0)} {_n(frame.y0)} {_n(frame.width)} {_n(frame.height)}" '
           f"font-family='{FONT_FAMILY}' role=\"img\"><style>{_STYLE}</style>"]
    if diagram.title:
        out.append(_text(*frame.title_xy, diagram.title, fs * 1.4, "sankey-title", font_weight="bold"))
    nodes, links = diagram.nodes, diagram.links
    label_of = dict(zip(nodes["id"], nodes["label"]))
    # wide links first, thin ones on top of them
    order = lay.links["width"].to_numpy().argsort(kind="stable")[::-1]
    for li in order.tolist():
        row = lay.links.iloc[li]
        if not row["drawn"]:
            continue
        lk = links.iloc[li]
        tip = (f"{label_of.get(lk['source'], lk['source'])} → {label_of.get(lk['target'], lk['target'])}\n"
               f"{lk['material_name']} ({category_label(str(lk['category']), lang)}): "
               f"{format_value(float(lk['value']), lang)}")
        pts = lay.paths[li]
        color = link_colors[li]
        if row["loop"]:
            w = max(float(row["width"]), MIN_LOOP_WIDTH)
            head, chevron = loop_arrows(pts, w)
            out.append(f'<g class="sankey-link sankey-loop"><title>{_e(tip)}</title>'
                       f'<path d="{svg_path(loop_centre_line(pts, 2.0 + w / 2))}" fill="none" stroke="{color}" '
                       f'stroke-width="{_n(w) if w >= 0.01 else "0.01"}" stroke-linejoin="round"/>'
                       f'<path d="{svg_path([("M", head[:1]), ("L", head[1:]), ("Z", [])])}" fill="{color}"/>'
                       f'<path d="{svg_path([("M", chevron[:1]), ("L", chevron[1:]), ("Z", [])])}" fill="#fff"/></g>')
        else:
            out.append(f'<path class="sankey-link" d="{svg_path(band_outline(pts, max(float(row["width"]), 0.15)))}" '
                       f'fill="{color}"><title>{_e(tip)}</title></path>')
    totals = diagram.node_totals()
    for row, kind, vi, vo in zip(lay.nodes.itertuples(index=False), nodes["kind"], totals["value_in"],
                                 totals["value_out"]):
        name = str(nodes["label"].iat[row.node])
        tip = (f"{name} ({kind_label(str(kind), lang)})\n"
               + _IN_OUT[lang].format(i=format_value(vi, lang), o=format_value(vo, lang)))
        out.append(f'<g class="sankey-node" data-node="{_e(row.id)}"><title>{_e(tip)}</title><rect x="{_n(row.x0)}" y="{_n(row.y0)}" '
                   f'width="{_n(row.x1 - row.x0)}" height="{_n(max(row.y1 - row.y0, 0.3))}" '
                   f'fill="{node_colors[row.node]}" stroke="#333" stroke-width="0.3"/></g>')
    for row in lay.nodes.itertuples(index=False):
        if row.label:
            out.append(_text(row.label_x, row.label_y, row.label, fs, "sankey-node-label",
                             "end" if row.label_ha == "right" else "start", data_node=row.id))
    for row in lay.value_labels.itertuples(index=False):
        out.append(_text(row.x, row.y, row.text, fs, "sankey-value", "middle", fill="#222"))
    for x, y, lab, col, what in frame.entries:
        shape = (f'<rect x="{_n(x)}" y="{_n(y - 0.8)}" width="5" height="1.6" fill="{col}" opacity="0.55"/>'
                 if what == "link" else
                 f'<rect x="{_n(x + 1.5)}" y="{_n(y - 1.2)}" width="2.4" height="2.4" fill="{col}" stroke="#333" '
                 f'stroke-width="0.3"/>')
        out.append(shape + _text(x + 6.5, y, lab, fs, "sankey-legend"))
    if note:
        # the legend's size: at 0.9 of it Chromium drew the embedded CJK glyphs of the note as empty boxes
        out.append(_text(*frame.note_xy, note, fs, "sankey-note", fill="#555"))
    out.append("</svg>")
    return "".join(out)


def sankey_page(diagram: "SankeyDiagram", full_html: bool = True, div_id: str | None = None,
                head: Sequence[str] = ()) -> str:
    """The SVG in a scrolling ``div`` (wide diagrams scroll sideways at their readable size) or, with
    ``full_html``, a whole self-contained page.

    Examples
    --------
    >>> import pandas as pd
    >>> from mfa.sankey_diagram import SankeyDiagram
    >>> d = SankeyDiagram.from_frames(pd.DataFrame({"id": ["a", "b"]}),
    ...                               pd.DataFrame({"source": ["a"], "target": ["b"], "value": [5.0]}))
    >>> sankey_page(d, full_html=False).startswith('<div class="mfa-sankey" style="overflow-x:auto">')
    True
    """
    frag = f'<div class="mfa-sankey" style="overflow-x:auto">{sankey_svg(diagram, div_id)}</div>'
    if not full_html:
        return frag
    return page(frag, diagram.title or "Sankey", diagram.lang, head)


def page(body: str, title: str, lang: str, head: Sequence[str] = ()) -> str:
    """A whole self-contained HTML page around ``body`` (a diagram, or the slider of several years).

    Parameters
    ----------
    body : HTML of the page's body.
    title : the page title (escaped here).
    lang : ``"en"`` or ``"zh"``.
    head : extra elements of ``<head>`` (the embedded font).

    Returns
    -------
    str

    Examples
    --------
    >>> text = page("<p>x</p>", "A & B", "zh")
    >>> '<html lang="zh-CN">' in text, "<title>A &amp; B</title>" in text
    (True, True)
    """
    return (f'<!DOCTYPE html>\n<html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">'
            f"<title>{_e(title)}</title>{''.join(head)}</head><body style=\"margin:12px;background:#fff\">{body}"
            "</body></html>\n")
