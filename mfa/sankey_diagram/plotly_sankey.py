"""The interactive Sankey (plotly ``go.Sankey``) of a :class:`~mfa.sankey_diagram.SankeyDiagram`.

Node positions come from the static layout (same columns, same order, so loops run the same way); the
nodes can still be dragged ("snap" arrangement). Node labels carry the node total; links show material,
category and value on hover, and the value is written on every link where it fits (:func:`link_label_script`). Link colours are the category colours at 45 % opacity. A legend of
categories and kinds is drawn with empty marker traces, so it needs no extra JavaScript.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from mfa.sankey_diagram import SankeyDiagram

__all__ = ["plotly_figure", "link_label_script", "FONT_FAMILY"]

#: CSS font list of the interactive diagrams; "MFA CJK" is the subset font the HTML pages embed.
FONT_FAMILY = '"MFA CJK", "Helvetica Neue", Arial, "DejaVu Sans", "Noto Sans SC", sans-serif'


def _rgba(hex_color: str, alpha: float) -> str:
    h = hex_color.lstrip("#")
    r, g, b = int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)
    return f"rgba({r},{g},{b},{alpha})"


def plotly_figure(diagram: "SankeyDiagram"):
    """Build the plotly Figure of ``diagram`` (deterministic: no random ids, sorted legend)."""
    import html

    import plotly.graph_objects as go

    from mfa.sankey_diagram import format_value

    def esc(text) -> str:
        return html.escape(str(text), quote=False)

    lay = diagram.layout
    lang = diagram.lang
    nodes = diagram.nodes
    links = diagram.links
    totals = diagram.node_totals()
    node_colors, link_colors = diagram._colors()
    # normalised centres; plotly rejects exactly 0 and 1
    xs = (lay.nodes["x0"].to_numpy() + lay.node_width / 2)
    ys = (lay.nodes["y0"].to_numpy() + lay.nodes["y1"].to_numpy()) / 2
    span_x = max(float(xs.max() - xs.min()), 1e-9) if len(xs) else 1.0
    x_n = np.clip((xs - xs.min()) / span_x * 0.98 + 0.01, 0.001, 0.999) if len(xs) else xs
    y_n = np.clip(ys / max(lay.height, 1e-9), 0.001, 0.999)
    # plotly reads <b>, <a>, <br> … in text as markup: user text goes in escaped (plotly decodes entities)
    node_names = [esc(x) for x in nodes["label"]]
    labels = [f"{lab} · {format_value(v, lang)}" for lab, v in zip(node_names, totals["value"])]
    node_hover = [
        f"{lab}<br>{esc(kind)}<br>in {format_value(vi, lang)} · out {format_value(vo, lang)}"
        for lab, kind, vi, vo in zip(node_names, nodes["kind"], totals["value_in"], totals["value_out"])
    ]
    idx = {nid: i for i, nid in enumerate(nodes["id"])}
    src = [idx[s] for s in links["source"]]
    tgt = [idx[t] for t in links["target"]]
    link_hover = [f"{esc(mn)} ({esc(cat.replace('_', ' '))})<br>{format_value(v, lang)}"
                  for mn, cat, v in zip(links["material_name"], links["category"], links["value"])]
    sankey = go.Sankey(
        arrangement="snap",
        valueformat=",.1f",
        valuesuffix=" t/a",
        node=dict(label=labels, color=node_colors, x=x_n.tolist(), y=y_n.tolist(), pad=12, thickness=14,
                  line=dict(color="#333333", width=0.5), customdata=node_hover,
                  hovertemplate="%{customdata}<extra></extra>"),
        link=dict(source=src, target=tgt, value=links["value"].astype(float).tolist(),
                  color=[_rgba(c, 0.45) for c in link_colors], customdata=link_hover,
                  hovertemplate="%{source.label} → %{target.label}<br>%{customdata}<extra></extra>"),
    )
    fig = go.Figure(sankey)
    legend, node_legend = diagram._legends()
    for name, color in legend:
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", name=esc(name),
                                 marker=dict(symbol="square", size=12, color=_rgba(color, 0.6))))
    for name, color in node_legend:
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", name=esc(name),
                                 marker=dict(symbol="square", size=9, color=color,
                                             line=dict(color="#333333", width=0.5))))
    # the note (scale, flows not drawn) goes under the title: annotations at the paper's edge get clipped
    title = esc(diagram.title or "")
    note = esc(diagram._note())
    fig.update_layout(
        title=dict(text=f"{title}<br><span style='font-size:11px;color:#555555'>{note}</span>", x=0.01,
                   xanchor="left"),
        font=dict(family=FONT_FAMILY, size=11), height=diagram.plotly_height(),
        margin=dict(l=20, r=20, t=70, b=20), showlegend=True,
        legend=dict(orientation="h", x=0, xanchor="left", y=0, yanchor="top", entrywidth=130,
                    entrywidthmode="pixels"),
        xaxis=dict(visible=False), yaxis=dict(visible=False), plot_bgcolor="white",
    )
    return fig


# Plotly draws link values only on hover. After each render this script writes each link's value on the
# link where the ribbon is thick enough and the text collides with no other label, using the geometry plotly
# actually drew (so dragging a node or resizing the window relabels). Return flows (loops) keep hover only.
_LINK_LABELS_JS = """
(function (gd, texts) {
  if (!gd) { return; }
  var NS = "http://www.w3.org/2000/svg";
  function draw() {
    var old = gd.querySelectorAll("text.mfa-link-label");
    for (var i = 0; i < old.length; i++) { old[i].parentNode.removeChild(old[i]); }
    var paths = gd.querySelectorAll("path.sankey-link");
    var items = [];
    for (var k = 0; k < paths.length; k++) {
      var p = paths[k], d = p.__data__, link = d && d.link;
      if (!link || !(link.width >= 11)) { continue; }
      if (link.source && link.target && link.source.x0 >= link.target.x0) { continue; }
      var n = link.pointNumber, text = (n !== undefined && texts[n] !== undefined) ? texts[n] : null;
      if (!text) { continue; }
      items.push({p: p, w: link.width, text: text});
    }
    items.sort(function (a, b) { return b.w - a.w; });
    // collisions are checked in screen coordinates, against node labels and the labels already placed
    function rect(e) { var r = e.getBoundingClientRect(); return [r.left - 2, r.right + 2, r.top - 1, r.bottom + 1]; }
    function hits(a, o) { return !(a[1] < o[0] || a[0] > o[1] || a[3] < o[2] || a[2] > o[3]); }
    var placed = [], nodeText = gd.querySelectorAll(".node-label, text.node-label");
    for (var m = 0; m < nodeText.length; m++) { placed.push(rect(nodeText[m])); }
    for (var j = 0; j < items.length; j++) {
      var it = items[j], b = it.p.getBBox();
      var t = document.createElementNS(NS, "text");
      t.setAttribute("class", "mfa-link-label");
      t.setAttribute("x", b.x + b.width / 2); t.setAttribute("y", b.y + b.height / 2 + 3.5);
      t.setAttribute("text-anchor", "middle");
      t.setAttribute("style", "font-size:10px;fill:#222;pointer-events:none;paint-order:stroke;stroke:#fff;stroke-width:2.5px");
      t.textContent = it.text;
      it.p.parentNode.appendChild(t);
      var box = rect(t), clash = false;
      for (var q = 0; q < placed.length; q++) { if (hits(box, placed[q])) { clash = true; break; } }
      if (clash) { t.parentNode.removeChild(t); } else { placed.push(box); }
    }
  }
  draw();
  if (gd.on) { gd.on("plotly_afterplot", draw); }
})(document.getElementById("{plot_id}"), TEXTS);
"""


def link_label_script(diagram: "SankeyDiagram") -> str:
    """The script (for ``plotly.io.to_html(post_script=…)``) that writes link values on the links."""
    import json

    from mfa.sankey_diagram import format_value

    texts = [format_value(float(v), diagram.lang) for v in diagram.links["value"]]
    # json.dumps escapes quotes; "</" is broken up so that no label can close the <script> element
    data = json.dumps(texts, ensure_ascii=False).replace("</", "<\\/")
    return _LINK_LABELS_JS.replace("TEXTS", data)
