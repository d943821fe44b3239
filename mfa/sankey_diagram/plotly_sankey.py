"""The Sankey as a plotly Figure (``go.Sankey``), for users who work in plotly (``diagram.figure``).

Node positions come from the static layout (same columns, same order); the nodes can still be dragged
("snap" arrangement). Node labels carry the node total; links show material, category and value on hover.
Link colours are the category colours at 45 % opacity. A legend of categories and kinds is drawn with empty
marker traces. The HTML files mfa writes do not use it: they are drawn as SVG from the layout
(:mod:`mfa.sankey_diagram.svg`), where label placement and return links are under mfa's control.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from mfa.sankey_diagram import SankeyDiagram

__all__ = ["plotly_figure", "FONT_FAMILY"]

#: CSS font list of the interactive diagrams; "MFA CJK" is the subset font the HTML pages embed.
FONT_FAMILY = '"MFA CJK", "Helvetica Neue", Arial, "DejaVu Sans", "Noto Sans SC", sans-serif'


def _rgba(hex_color: str, alpha: float) -> str:
    h = hex_color.lstrip("#")
    r, g, b = int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)
    return f"rgba({r},{g},{b},{alpha})"


def plotly_figure(diagram: "SankeyDiagram") -> Any:
    """Build the plotly Figure of ``diagram`` (deterministic: no random ids, sorted legend).

    Parameters
    ----------
    diagram : the diagram.

    Returns
    -------
    plotly.graph_objects.Figure

    Examples
    --------
    >>> import pandas as pd
    >>> from mfa.sankey_diagram import SankeyDiagram
    >>> d = SankeyDiagram.from_frames(pd.DataFrame({"id": ["a", "b"]}),
    ...                               pd.DataFrame({"source": ["a"], "target": ["b"], "value": [5.0]}))
    >>> plotly_figure(d).data[0].link.value
    (5.0,)
    """
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
    node_colors, link_colors = diagram.colors()
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
    legend, node_legend = diagram.legends()
    for name, color in legend:
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", name=esc(name),
                                 marker=dict(symbol="square", size=12, color=_rgba(color, 0.6))))
    for name, color in node_legend:
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", name=esc(name),
                                 marker=dict(symbol="square", size=9, color=color,
                                             line=dict(color="#333333", width=0.5))))
    # the note (scale, flows not drawn) goes under the title: annotations at the paper's edge get clipped
    title = esc(diagram.title or "")
    note = esc(diagram.note())
    fig.update_layout(
        title=dict(text=f"{title}<br><span style='font-size:11px;color:#555555'>{note}</span>", x=0.01,
                   xanchor="left"),
        font=dict(family=FONT_FAMILY, size=11), height=int(round(max(360.0, min(4000.0, lay.height * 3.8 + 120)))),
        margin=dict(l=20, r=20, t=70, b=20), showlegend=True,
        legend=dict(orientation="h", x=0, xanchor="left", y=0, yanchor="top", entrywidth=130,
                    entrywidthmode="pixels"),
        xaxis=dict(visible=False), yaxis=dict(visible=False), plot_bgcolor="white",
    )
    return fig
