"""Sankey diagrams of a park: interactive (plotly, offline HTML) and static (matplotlib PNG/SVG/PDF).

Conventions shown in every diagram
    * Link widths are flows in **t/a**; with ``scale`` given, one millimetre of width is ``scale`` t/a in
      the static diagram (pass the same ``scale`` to compare years or scenarios).
    * Links are coloured by the material's **category**, nodes by the process **kind**.
    * Everything entering the system sits in the first column (imports, stock released from internal
      processes), everything leaving it in the last (exports, emissions to the environment, landfill,
      stock accumulated by internal processes), so nothing is hidden.
    * Stock change (closing − opening, from the stocks table; for a storage process without stock data,
      inputs − outputs) is drawn as a link to the node "stock accumulation" (Δstock > 0) or from
      "stock release" (Δstock < 0). Imbalances of internal processes beyond the park's tolerance are drawn
      as links to/from "unaccounted (balance residual)", so every tonne drawn in is drawn out.
    * Flows of unknown value (NaN) cannot be drawn; their number is given in the diagram's note.
    * Return flows (recycling, reuse) that run against the main direction are drawn as loops above or
      below the diagram, from right to left, ending in an arrowhead at their target.

>>> import mfa
>>> park = mfa.Park.from_frames(
...     processes=[{"id": "mine", "name": "Mine", "kind": "import"},
...                {"id": "plant", "name": "Plant", "kind": "production"},
...                {"id": "dump", "name": "Dump", "kind": "landfill"}],
...     flows=[{"source": "mine", "target": "plant", "material": "raw_coal", "value": 100},
...            {"source": "plant", "target": "dump", "material": "coal_gangue", "value": 100}],
...     materials=[{"id": "raw_coal", "name": "Raw coal", "category": "raw_material"},
...                {"id": "coal_gangue", "name": "Coal gangue", "category": "industrial_solid_waste"}])
>>> d = sankey(park)
>>> d.links[["source", "target", "value"]].to_dict("records")
[{'source': 'mine', 'target': 'plant', 'value': 100.0}, {'source': 'plant', 'target': 'dump', 'value': 100.0}]
>>> d.save("plant.svg")  # doctest: +SKIP
"""

from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np
import pandas as pd

from mfa.errors import MfaError, suggest
from mfa.formatting import check_lang

__all__ = ["sankey", "sankey_frames", "SankeyDiagram", "format_value", "KIND_COLORS", "CATEGORY_COLORS",
           "kind_label", "category_label"]

KIND_COLORS = {
    "import": "#4C72B0", "production": "#55A868", "collection": "#8C8C8C", "treatment": "#DD8452",
    "storage": "#CCB974", "landfill": "#8B5A2B", "environment": "#C44E52", "export": "#64B5CD",
    "stock": "#B8860B", "residual": "#FF00FF", "group": "#777777",
}
CATEGORY_COLORS = {
    "industrial_solid_waste": "#7F7F7F", "hazardous_waste": "#D62728", "straw": "#BCBD22",
    "manure": "#8C564B", "renewable_resource": "#2CA02C", "construction_waste": "#A0522D",
    "municipal_waste": "#9467BD", "product": "#1F77B4", "raw_material": "#17BECF", "fuel": "#333333",
    "water": "#6BAED6", "emission": "#FF9896", "other": "#C7C7C7", "stock": "#B8860B",
    "residual": "#FF00FF",
}
_KIND_ZH = {"import": "输入", "production": "生产", "collection": "收集", "treatment": "处理",
            "storage": "贮存", "landfill": "填埋", "environment": "环境", "export": "输出", "stock": "库存",
            "residual": "未平衡"}
_CATEGORY_ZH = {
    "industrial_solid_waste": "一般工业固废", "hazardous_waste": "危险废物", "straw": "秸秆",
    "manure": "畜禽粪污", "renewable_resource": "再生资源", "construction_waste": "建筑垃圾",
    "municipal_waste": "生活垃圾", "product": "产品", "raw_material": "原料", "fuel": "燃料", "water": "水",
    "emission": "排放", "other": "其他", "stock": "库存变化", "residual": "平衡残差",
}
_TEXT = {
    "en": {"stock_in": "stock accumulation", "stock_out": "stock release",
           "res_out": "unaccounted (balance residual)", "res_in": "unaccounted (balance residual)",
           "unknown": "{n} flow(s) of unknown value not drawn (mfa reconcile computes them)", "internal": "{v} within groups not drawn",
           "scale": "scale: {s} per mm", "stock_mat": "stock change", "res_mat": "balance residual"},
    "zh": {"stock_in": "库存增加", "stock_out": "库存减少", "res_out": "未平衡量（残差）",
           "res_in": "未平衡量（残差）", "unknown": "{n} 条未知数值的流未绘出（可用 mfa reconcile 计算）",
           "internal": "组内流 {v} 未绘出", "scale": "比例：每毫米 {s}", "stock_mat": "库存变化",
           "res_mat": "平衡残差"},
}
# synthetic node ids cannot clash with process ids: they contain characters a park id may not use
STOCK_IN, STOCK_OUT, RES_OUT, RES_IN = "⊕stock+", "⊕stock-", "⊕residual+", "⊕residual-"
#: Appended to the id of a boundary process drawn a second time as a source (see :func:`sankey_frames`).
SOURCE_SUFFIX = "⊕source"


def kind_label(kind: str, lang: str = "en") -> str:
    return _KIND_ZH.get(kind, kind) if lang == "zh" else kind


def category_label(category: str, lang: str = "en") -> str:
    return _CATEGORY_ZH.get(category, category) if lang == "zh" else category.replace("_", " ")


def format_value(v: float, lang: str = "en") -> str:
    """A flow in t/a as a short label: ``1.23 Mt/a``, ``45.6 kt/a``, ``789 t/a``; in Chinese ``123 万t/a``."""
    if v is None or not np.isfinite(v):
        return "?"
    a = abs(v)

    def sig(x: float) -> str:
        if x >= 100:
            return f"{x:,.0f}"
        if x >= 10:
            return f"{x:.1f}"
        return f"{x:.2f}"

    if lang == "zh":
        if a >= 1e8:
            return f"{sig(v / 1e8)} 亿t/a"
        if a >= 1e4:
            return f"{sig(v / 1e4)} 万t/a"
        return f"{sig(v)} t/a"
    if a >= 1e6:
        return f"{sig(v / 1e6)} Mt/a"
    if a >= 1e3:
        return f"{sig(v / 1e3)} kt/a"
    return f"{sig(v)} t/a"


def wrap_label(text: str, width: int = 26) -> str:
    """Break a long node name into lines of about ``width`` characters (CJK characters count double)."""
    import textwrap

    text = str(text)
    if any(ord(ch) > 0x2E80 for ch in text):
        step = max(width // 2, 4)
        if len(text) <= step + 2:
            return text
        lines: list[str] = []
        rest = text
        while len(rest) > step + 2:
            cut = step
            # no opening bracket at the end of a line, no closing mark at the start of one (禁则)
            while cut > 2 and rest[cut - 1] in "（(《“「【":
                cut -= 1
            while cut < len(rest) - 1 and rest[cut] in "）)》”」】、，。：；":
                cut += 1
            lines.append(rest[:cut])
            rest = rest[cut:]
        lines.append(rest)
        return "\n".join(lines)
    return "\n".join(textwrap.wrap(text, width=width, break_long_words=False)) or text


def _as_list(x: str | Iterable[str] | None) -> list[str] | None:
    if x is None:
        return None
    if isinstance(x, str):
        return [s.strip() for s in x.split(",") if s.strip()]
    return [str(s) for s in x]


# ------------------------------------------------------------------------------------------------
# park → node and link frames
# ------------------------------------------------------------------------------------------------
def sankey_frames(park, material: str | Sequence[str] | None = None, category: str | Sequence[str] | None = None,
                  group_by: str | None = None, lang: str = "en",
                  residuals: bool = True) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """The nodes and links a Sankey of ``park`` draws, as tidy frames (t/a), plus notes.

    nodes: id, label, kind, pin (−1 first column, +1 last, 0 free), members (process ids, ";"-joined).
    links: source, target, material, material_name, category, value (t/a), type ("flow", "stock",
    "residual"), flows (flow ids, ";"-joined).
    notes: n_unknown (flows of unknown value, not drawn), internal (t/a between processes of one group, not
    drawn), filtered (bool: a material or category filter was applied), throughput (t/a of the largest node).
    """
    check_lang(lang)
    if group_by not in (None, "group", "kind"):
        raise MfaError(f"group_by must be 'group' or 'kind', not {group_by!r}")
    text = _TEXT[lang]
    procs = park.processes
    flows = park.flows
    mats = park.materials
    mat_cat = dict(zip(mats["id"], mats["category"].fillna("other").replace("", "other")))
    name_col = "name_zh" if lang == "zh" and "name_zh" in mats.columns else "name"

    def pick(frame: pd.DataFrame, col: str) -> list[str]:
        base = frame["name"].fillna("").astype(str).where(frame["name"].fillna("") != "", frame["id"])
        if col == "name_zh" and "name_zh" in frame.columns:
            zh = frame["name_zh"].fillna("").astype(str)
            return zh.where(zh != "", base).tolist()
        return base.tolist()

    mat_name = dict(zip(mats["id"], pick(mats, name_col)))

    materials = _as_list(material)
    categories = _as_list(category)
    filtered = bool(materials or categories)
    if materials:
        known = set(flows["material"]) | set(mats["id"])
        for m in materials:
            if m not in known:
                hint = suggest(m, sorted(known))
                raise MfaError(f"--material {m!r} is not a material of park {park.info.name!r}"
                               + (f"; {hint}" if hint else ""))
    if categories:
        present = sorted(set(mat_cat.values()))
        from mfa.conventions import CATEGORIES

        for c in categories:
            if c not in CATEGORIES and c not in present:
                hint = suggest(c, list(CATEGORIES))
                raise MfaError(f"--category {c!r} is not a material category"
                               + (f"; {hint}" if hint else f" (categories: {', '.join(CATEGORIES)})"))

    def keep_material(mcol: pd.Series) -> np.ndarray:
        m = np.ones(len(mcol), dtype=bool)
        if materials:
            m &= mcol.isin(materials).to_numpy()
        if categories:
            m &= mcol.map(mat_cat).fillna("other").isin(categories).to_numpy()
        return m

    value = flows["value"].to_numpy(dtype=float)
    unknown = np.isnan(value)
    sel = keep_material(flows["material"])
    n_unknown = int((unknown & sel).sum())
    f = flows[sel & ~unknown & (np.nan_to_num(value) > 0)]
    links = pd.DataFrame({
        "source": f["source"].astype(str).to_numpy(), "target": f["target"].astype(str).to_numpy(),
        "material": f["material"].astype(str).to_numpy(),
        "value": f["value"].to_numpy(dtype=float), "type": "flow", "flows": f["id"].astype(str).to_numpy(),
    })

    # stock changes per (process, material): the stocks table, else inputs − outputs of storage processes
    kind_of = dict(zip(procs["id"], procs["kind"]))
    from mfa.conventions import BOUNDARY_KINDS

    st = park.stocks
    extra = []
    if len(st):
        s = st[keep_material(st["material"])]
        d = (s["closing"].to_numpy(dtype=float) - s["opening"].to_numpy(dtype=float))
        for p, m, dv in zip(s["process"].tolist(), s["material"].tolist(), d.tolist()):
            if np.isfinite(dv) and dv != 0 and kind_of.get(p) not in BOUNDARY_KINDS:
                extra.append((p, m, dv))
    has_stock_data = set(st["process"]) if len(st) else set()
    storage = [p for p, k in kind_of.items() if k == "storage" and p not in has_stock_data]
    if storage:
        kv = flows[sel & ~unknown]
        proc_unknown = set(flows.loc[unknown, "source"]) | set(flows.loc[unknown, "target"])
        inn = kv[kv["target"].isin(storage)].groupby(["target", "material"], sort=True)["value"].sum()
        out = kv[kv["source"].isin(storage)].groupby(["source", "material"], sort=True)["value"].sum()
        net = inn.rename_axis(["process", "material"]).sub(out.rename_axis(["process", "material"]),
                                                          fill_value=0.0)
        for (p, m), dv in net.items():
            if p not in proc_unknown and dv != 0 and np.isfinite(dv):
                extra.append((p, m, float(dv)))
    rows = []
    for p, m, dv in extra:
        if dv > 0:
            rows.append((p, STOCK_IN, m, dv, "stock", ""))
        else:
            rows.append((STOCK_OUT, p, m, -dv, "stock", ""))

    # imbalances beyond tolerance, only for the whole park (materials change inside production)
    if residuals and not filtered:
        from mfa.mass_balance import balance

        b = balance(park).processes
        # Only processes with every flow known: where flows are unknown the gap is theirs to carry (the
        # note counts them; `mfa reconcile` computes them), not an imbalance.
        bad = b[b["status"] == "imbalanced"]
        for p, r in zip(bad["process"].tolist(), bad["residual"].tolist()):
            if r > 0:
                rows.append((p, RES_OUT, "", r, "residual", ""))
            elif r < 0:
                rows.append((RES_IN, p, "", -r, "residual", ""))
    if rows:
        links = pd.concat([links, pd.DataFrame(rows, columns=["source", "target", "material", "value", "type",
                                                              "flows"])], ignore_index=True)
    cat = links["material"].map(mat_cat)
    cat = cat.where(links["type"] == "flow", links["type"]).fillna("other")
    links["category"] = cat.astype(str)
    links["material_name"] = [mat_name.get(m, m) if t == "flow" else (text["stock_mat"] if t == "stock"
                              else text["res_mat"]) for m, t in zip(links["material"], links["type"])]

    # nodes: processes (or their groups) that carry a drawn link, then the synthetic ones
    labels = dict(zip(procs["id"], pick(procs, "name_zh" if lang == "zh" else "name")))
    if group_by:
        col = procs[group_by].fillna("").astype(str)
        key = col.where(col != "", procs["id"])
        # a group with a different key namespace must not merge with a process id
        node_of = dict(zip(procs["id"], ["grp:" + k if g else k for k, g in zip(key, col != "")]))
        node_of = {p: (("kind:" + kind_of[p]) if group_by == "kind" else n) for p, n in node_of.items()}
    else:
        node_of = {p: p for p in procs["id"]}
    for s in (STOCK_IN, STOCK_OUT, RES_OUT, RES_IN):
        node_of[s] = s
    links["source"] = links["source"].map(node_of)
    links["target"] = links["target"].map(node_of)
    internal_mask = links["source"] == links["target"]
    internal = float(links.loc[internal_mask & (links["type"] == "flow"), "value"].sum()) if group_by else 0.0
    if group_by:
        links = links[~internal_mask]
    links = (links.groupby(["source", "target", "material", "type"], sort=True, as_index=False)
             .agg(material_name=("material_name", "first"), category=("category", "first"),
                  value=("value", "sum"), flows=("flows", lambda s: ";".join(x for x in s if x))))
    links = links[["source", "target", "material", "material_name", "category", "value", "type", "flows"]]

    # A boundary process that both sends and receives (the atmosphere gives combustion air and takes
    # emissions) is drawn twice: as a source in the first column and as a sink in the last, so that its
    # flows run left to right instead of as giant loops.
    boundary_nodes = {node_of[p] for p, k in kind_of.items() if k in BOUNDARY_KINDS}
    both = sorted((set(links["source"]) & set(links["target"])) & boundary_nodes)
    split_label = {}
    for nid in both:
        links.loc[links["source"] == nid, "source"] = nid + SOURCE_SUFFIX
        split_label[nid + SOURCE_SUFFIX] = nid
    used = pd.unique(pd.concat([links["source"], links["target"]], ignore_index=True))
    pin_of_kind = {"import": -1, "export": 1, "landfill": 1, "environment": 1}
    throughput = (links.groupby("source")["value"].sum().add(links.groupby("target")["value"].sum(),
                                                              fill_value=0.0))
    proc_tp = {}
    if len(f):
        tp = f.groupby("source")["value"].sum().add(f.groupby("target")["value"].sum(), fill_value=0.0)
        proc_tp = tp.to_dict()
    node_rows = []
    members: dict[str, list[str]] = {}
    for p in procs["id"].tolist():
        members.setdefault(node_of[p], []).append(p)
    synthetic = {STOCK_IN: (text["stock_in"], "stock", 1), STOCK_OUT: (text["stock_out"], "stock", -1),
                 RES_OUT: (text["res_out"], "residual", 1), RES_IN: (text["res_in"], "residual", -1)}
    for nid in sorted(used, key=lambda x: (x in synthetic, str(x))):
        if nid in synthetic:
            lab, kind, pin = synthetic[nid]
            node_rows.append((nid, lab, kind, pin, ""))
            continue
        if nid in split_label:
            orig = split_label[nid]
            mem = members.get(orig, [orig])
            lab = (kind_label(kind_of.get(mem[0], ""), lang) if group_by == "kind"
                   else orig[4:] if orig.startswith("grp:") else labels.get(orig, orig))
            node_rows.append((nid, lab, kind_of.get(mem[0], "import"), -1, ";".join(mem)))
            continue
        mem = members.get(nid, [nid])
        kinds = [kind_of.get(p, "production") for p in mem]
        main = max(mem, key=lambda p: (proc_tp.get(p, 0.0), p))
        kind = kind_of.get(main, "production")
        pins = {pin_of_kind.get(k, 0) for k in kinds}
        pin = pins.pop() if len(pins) == 1 else 0
        if group_by == "kind":
            lab = kind_label(kind, lang)
        elif group_by == "group" and nid.startswith("grp:"):
            lab = nid[4:]
        else:
            lab = labels.get(nid, nid)
        node_rows.append((nid, lab, kind, pin, ";".join(mem)))
    nodes = pd.DataFrame(node_rows, columns=["id", "label", "kind", "pin", "members"])
    notes = {"n_unknown": n_unknown, "internal": internal, "filtered": filtered,
             "throughput": float(throughput.max()) if len(throughput) else 0.0}
    return nodes.reset_index(drop=True), links.reset_index(drop=True), notes


# ------------------------------------------------------------------------------------------------
# the diagram object
# ------------------------------------------------------------------------------------------------
class SankeyDiagram:
    """A Sankey diagram: tidy ``nodes``/``links`` frames plus their layout, drawable with plotly
    (:attr:`figure`, interactive) or matplotlib (:meth:`matplotlib`, static), saved by extension
    (:meth:`save`: .html, .png, .svg, .pdf), shown inline in Jupyter (an SVG image, which needs no widget
    or JavaScript to display).

    Build it with :func:`sankey` from a park, or from frames with :meth:`from_frames`.
    """

    def __init__(self, nodes: pd.DataFrame, links: pd.DataFrame, *, title: str | None = None,
                 lang: str = "en", scale: float | None = None, notes: dict | None = None,
                 font_size: float = 7.0, height: float = 120.0, div_id: str = "mfa-sankey"):
        self.nodes = nodes.reset_index(drop=True)
        self.links = links.reset_index(drop=True)
        self.title = title
        self.lang = lang
        self.notes = dict(notes or {})
        self.font_size = font_size
        self.height = height
        self.div_id = div_id
        if scale is not None and not (np.isfinite(scale) and scale > 0):
            raise MfaError(f"scale must be a positive number of t/a per mm, not {scale!r}")
        self._scale = scale
        self._layout = None
        self._figure = None

    # -- construction ---------------------------------------------------------------------------
    @classmethod
    def from_frames(cls, nodes: pd.DataFrame, links: pd.DataFrame, **kwargs: Any) -> "SankeyDiagram":
        """A diagram from plain frames. nodes: id, label, kind (optional pin: −1/0/+1); links: source,
        target, value (t/a), optional material, category. Unknown node ids in links raise MfaError."""
        nodes = pd.DataFrame(nodes).copy()
        links = pd.DataFrame(links).copy()
        for col in ("id",):
            if col not in nodes.columns:
                raise MfaError(f"nodes need an '{col}' column")
        for col in ("source", "target", "value"):
            if col not in links.columns:
                raise MfaError(f"links need a '{col}' column")
        nodes["label"] = nodes["label"] if "label" in nodes.columns else nodes["id"]
        nodes["kind"] = nodes["kind"] if "kind" in nodes.columns else "production"
        if "pin" not in nodes.columns:
            nodes["pin"] = nodes["kind"].map({"import": -1, "export": 1, "landfill": 1,
                                              "environment": 1}).fillna(0).astype(int)
        nodes["members"] = nodes["members"] if "members" in nodes.columns else nodes["id"]
        ids = set(nodes["id"])
        for col in ("source", "target"):
            bad = sorted(set(links[col]) - ids)
            if bad:
                hint = suggest(bad[0], sorted(ids))
                raise MfaError(f"links.{col} names unknown node {bad[0]!r}" + (f"; {hint}" if hint else ""))
        links["material"] = links["material"] if "material" in links.columns else ""
        links["material_name"] = links["material_name"] if "material_name" in links.columns else links["material"]
        links["category"] = links["category"] if "category" in links.columns else "other"
        links["type"] = links["type"] if "type" in links.columns else "flow"
        links["flows"] = links["flows"] if "flows" in links.columns else ""
        links["value"] = pd.to_numeric(links["value"], errors="coerce").astype(float)
        return cls(nodes, links, **kwargs)

    # -- layout ---------------------------------------------------------------------------------
    @property
    def layout(self):
        """The :class:`~mfa.sankey_diagram.layout.SankeyLayout` (mm, with matplotlib's text metrics)."""
        if self._layout is None:
            from mfa.sankey_diagram.layout import layout_sankey
            from mfa.sankey_diagram.static import text_measurer

            idx = {nid: i for i, nid in enumerate(self.nodes["id"])}
            src = self.links["source"].map(idx).to_numpy(dtype=int)
            tgt = self.links["target"].map(idx).to_numpy(dtype=int)
            val = self.links["value"].to_numpy(dtype=float)
            totals = self.node_totals()
            node_labels = [f"{wrap_label(lab)}\n{format_value(t, self.lang)}" for lab, t in
                           zip(self.nodes["label"], totals["value"])]
            link_labels = [format_value(v, self.lang) for v in val]
            self._layout = layout_sankey(
                list(self.nodes["id"]), src, tgt, val, pin=self.nodes["pin"].to_numpy(dtype=int),
                node_labels=node_labels, link_labels=link_labels, scale=self._scale, height=self.height,
                font_size=self.font_size, measure=text_measurer(self.font_size))
        return self._layout

    @property
    def scale(self) -> float:
        """t/a per mm of link width in the static diagram (given, or fitted to the height)."""
        return self._scale if self._scale is not None else self.layout.scale

    def node_totals(self) -> pd.DataFrame:
        """Per node: id, label, kind, value_in, value_out, value (= max of the two), t/a."""
        val = self.links["value"].to_numpy(dtype=float)
        ok = np.isfinite(val) & (val > 0)
        v_in = self.links[ok].groupby("target")["value"].sum()
        v_out = self.links[ok].groupby("source")["value"].sum()
        out = self.nodes[["id", "label", "kind"]].copy()
        out["value_in"] = out["id"].map(v_in).fillna(0.0).to_numpy(dtype=float)
        out["value_out"] = out["id"].map(v_out).fillna(0.0).to_numpy(dtype=float)
        out["value"] = np.maximum(out["value_in"], out["value_out"])
        return out

    def _note(self) -> str:
        t = _TEXT[self.lang]
        parts = [t["scale"].format(s=format_value(self.scale, self.lang))]
        if self.notes.get("n_unknown"):
            parts.append(t["unknown"].format(n=self.notes["n_unknown"]))
        if self.notes.get("internal"):
            parts.append(t["internal"].format(v=format_value(self.notes["internal"], self.lang)))
        return " · ".join(parts)

    def _colors(self) -> tuple[list[str], list[str]]:
        nc = [KIND_COLORS.get(k, "#777777") for k in self.nodes["kind"]]
        lc = [CATEGORY_COLORS.get(c, "#C7C7C7") for c in self.links["category"]]
        return nc, lc

    def _legends(self) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
        cats = sorted(set(self.links["category"]))
        # stock and residual nodes share the colour of their links, already in the category legend
        kinds = sorted(set(self.nodes["kind"]) - {"stock", "residual"})
        return ([(category_label(c, self.lang), CATEGORY_COLORS.get(c, "#C7C7C7")) for c in cats],
                [(kind_label(k, self.lang), KIND_COLORS.get(k, "#777777")) for k in kinds])

    # -- drawing --------------------------------------------------------------------------------
    def matplotlib(self):
        """The static diagram as a matplotlib Figure (1 data unit = 1 mm)."""
        from mfa.sankey_diagram.static import draw_sankey

        nc, lc = self._colors()
        leg, nleg = self._legends()
        return draw_sankey(self.layout, node_colors=nc, link_colors=lc, title=self.title, legend=leg,
                           node_legend=nleg, note=self._note())

    @property
    def figure(self):
        """The interactive plotly Figure (``go.Sankey``), positions taken from the static layout."""
        if self._figure is None:
            from mfa.sankey_diagram.plotly_sankey import plotly_figure

            self._figure = plotly_figure(self)
        return self._figure

    def to_html(self, full_html: bool = True, include_plotlyjs: bool = True, div_id: str | None = None) -> str:
        """HTML of the interactive diagram. ``full_html`` with ``include_plotlyjs`` is a self-contained
        offline page; a fragment without plotly.js is for pages that embed plotly.js once. The div id is
        fixed, so the output is byte-identical between runs."""
        import plotly.io as pio

        from mfa.sankey_diagram.plotly_sankey import link_label_script

        return pio.to_html(self.figure, full_html=full_html, include_plotlyjs=include_plotlyjs,
                           div_id=div_id or self.div_id, config={"displaylogo": False, "responsive": True},
                           default_height=f"{self.plotly_height()}px", post_script=link_label_script(self))

    def plotly_height(self) -> int:
        """Height in pixels of the interactive diagram; proportional to the static one, so a fixed
        ``scale`` gives comparable heights."""
        lay = self.layout
        return int(round(max(360.0, min(4000.0, lay.height * 3.8 + 120))))

    def to_svg(self) -> str:
        """The static diagram as SVG text (deterministic)."""
        import io

        import matplotlib

        from mfa.sankey_diagram.static import DETERMINISTIC_RC

        buf = io.StringIO()
        fig = self.matplotlib()
        with matplotlib.rc_context(DETERMINISTIC_RC):
            fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
        return buf.getvalue()

    def save(self, path: str | os.PathLike) -> Path:
        """Write the diagram; the format follows the extension: .html (interactive, self-contained,
        offline), .png, .svg, .pdf (static). Written atomically. Returns the path."""
        path = Path(path)
        ext = path.suffix.lower().lstrip(".")
        if ext not in ("html", "htm", "png", "svg", "pdf"):
            raise MfaError(f"cannot save a Sankey as {path.name!r}: use a .html, .png, .svg or .pdf file name")
        if ext in ("html", "htm"):
            page = self.to_html()
            try:
                from mfa.fonts import cjk_font_face

                # the Chinese glyphs of the labels travel with the page (offline, any machine)
                face = cjk_font_face(self.figure.to_json())
            except MfaError:
                face = ""
            if face:
                page = page.replace("<head>", f"<head><style>{face}</style>", 1)
            from mfa.io.writers import atomic_write_bytes

            atomic_write_bytes(path, page.encode("utf-8"))
        else:
            from mfa.sankey_diagram.static import save_figure

            save_figure(self.matplotlib(), path, ext)
        return path

    def _repr_html_(self) -> str:
        svg = self.to_svg()
        data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
        return (f"<div class='mfa-sankey'><img alt='Sankey diagram' style='max-width:100%' "
                f"src='data:image/svg+xml;base64,{data}'/></div>")

    def __repr__(self) -> str:
        return f"<SankeyDiagram: {len(self.nodes)} nodes, {len(self.links)} links>"


def sankey(park, material: str | Sequence[str] | None = None, category: str | Sequence[str] | None = None,
           group_by: str | None = None, lang: str = "en", scale: float | None = None,
           title: str | None = None, div_id: str = "mfa-sankey", residuals: bool = True) -> SankeyDiagram:
    """A Sankey diagram of ``park`` (see the module docstring for what is drawn and how).

    Parameters
    ----------
    material, category : keep only flows of these materials / material categories (a name, a
        comma-separated string or a list).
    group_by : ``"group"`` or ``"kind"`` aggregates processes (flows inside one group are not drawn; their
        total is given in the note).
    lang : ``"en"`` or ``"zh"`` (Chinese names from ``name_zh`` where given).
    scale : t/a per mm of link width in the static diagram; the same number makes two diagrams comparable.
    residuals : draw the residuals of imbalanced processes (to/from "unaccounted"); not drawn when
        filtering by material or category, since materials change inside production processes.
    """
    from mfa.park import require_park

    require_park(park, "sankey")
    nodes, links, notes = sankey_frames(park, material=material, category=category, group_by=group_by,
                                        lang=lang, residuals=residuals)
    if title is None:
        info = park.info
        name = (info.name_zh or info.name) if lang == "zh" else info.name
        title = name + (f" {info.year}" if info.year else "")
        # the title names what is drawn in the reader's language: materials by name, categories by name
        mats = park.materials.set_index("id")
        col = "name_zh" if lang == "zh" else "name"
        extra = [(_s_or(mats[col].get(m), m) if m in mats.index else m) for m in (_as_list(material) or [])]
        extra += [category_label(c, lang) for c in (_as_list(category) or [])]
        if extra:
            title += " — " + ("、" if lang == "zh" else ", ").join(extra)
    return SankeyDiagram(nodes, links, title=title, lang=lang, scale=scale, notes=notes, div_id=div_id)


def _s_or(value, default: str) -> str:
    return value if isinstance(value, str) and value else default
