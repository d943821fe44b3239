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
    * Return flows (recycling, reuse) that run against the main direction are drawn as return links just
      under (or over) the columns they span, from right to left, with their value and an arrowhead at
      their target.
    * Air, water and flue gas (carriers, :func:`carrier_flows`) are left out of the whole-park view, which
      they would dwarf; ``carriers=True`` draws them, and the note gives their total.

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
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Sequence

import numpy as np
import pandas as pd

from mfa.errors import Issue, MfaError, suggest
from mfa.formatting import check_lang, number
from mfa.results import Result

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

    from mfa.park import Park
    from mfa.sankey_diagram.layout import SankeyLayout
    from mfa.sankey_diagram.series import SankeySeries

__all__ = ["sankey", "sankey_frames", "SankeyDiagram", "format_value", "KIND_COLORS", "CATEGORY_COLORS",
           "kind_label", "category_label", "carrier_flows", "CARRIER_CATEGORIES", "wrap_label"]

KIND_COLORS = {
    "import": "#4C72B0", "production": "#55A868", "collection": "#8C8C8C", "treatment": "#DD8452",
    "storage": "#CCB974", "landfill": "#8B5A2B", "environment": "#C44E52", "export": "#64B5CD",
    "stock": "#B8860B", "residual": "#FF00FF", "group": "#777777", "rest": "#BBBBBB",
}
CATEGORY_COLORS = {
    "industrial_solid_waste": "#7F7F7F", "hazardous_waste": "#D62728", "straw": "#BCBD22",
    "manure": "#8C564B", "renewable_resource": "#2CA02C", "construction_waste": "#A0522D",
    "municipal_waste": "#9467BD", "product": "#1F77B4", "raw_material": "#17BECF", "fuel": "#333333",
    "water": "#6BAED6", "emission": "#FF9896", "other": "#C7C7C7", "stock": "#B8860B",
    "residual": "#FF00FF",
}
_KIND_ZH = {"import": "输入", "production": "生产", "collection": "收集", "treatment": "处理",
            "storage": "贮存", "landfill": "填埋", "environment": "环境", "export": "输出", "consumption": "消费",
            "stock": "库存", "residual": "未平衡", "rest": "园区其余部分"}
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
           "carriers": "air, water and flue gas ({v}) not drawn (carriers=True / --carriers shows them)",
           "scale": "scale: {s} per mm", "stock_mat": "stock change", "res_mat": "balance residual"},
    "zh": {"stock_in": "库存增加", "stock_out": "库存减少", "res_out": "未平衡量（残差）",
           "res_in": "未平衡量（残差）", "unknown": "{n} 条未知数值的流未绘出（可用 mfa reconcile 计算）",
           "internal": "组内流 {v} 未绘出", "carriers": "空气、水和烟气（{v}）未绘出（另可选择绘出）",
           "scale": "比例：每毫米 {s}", "stock_mat": "库存变化",
           "res_mat": "平衡残差"},
}
#: Material categories whose flows are carriers (see :func:`carrier_flows`).
CARRIER_CATEGORIES: frozenset[str] = frozenset({"water", "emission"})
# synthetic node ids cannot clash with process ids: they contain characters a park id may not use
STOCK_IN, STOCK_OUT, RES_OUT, RES_IN = "⊕stock+", "⊕stock-", "⊕residual+", "⊕residual-"
#: Appended to the id of a boundary process drawn a second time as a source (see :func:`sankey_frames`).
SOURCE_SUFFIX = "⊕source"


def kind_label(kind: str, lang: str = "en") -> str:
    """The name of a process kind in the reader's language.

    Examples
    --------
    >>> kind_label("landfill", "zh"), kind_label("landfill")
    ('填埋', 'landfill')
    """
    return _KIND_ZH.get(kind, kind) if lang == "zh" else kind


def category_label(category: str, lang: str = "en") -> str:
    """The name of a material category in the reader's language.

    Examples
    --------
    >>> category_label("industrial_solid_waste"), category_label("industrial_solid_waste", "zh")
    ('industrial solid waste', '一般工业固废')
    """
    return _CATEGORY_ZH.get(category, category) if lang == "zh" else category.replace("_", " ")


def format_value(v: float | None, lang: str = "en") -> str:
    """A flow in t/a as a short label, in the reader's units: ``1.234 Mt/a``, ``45.6 kt/a``, ``789 t/a``;
    in Chinese ``123.4 万t/a`` and ``1.2 亿t/a``. Four significant digits (:func:`mfa.formatting.number`).

    Parameters
    ----------
    v : t/a (None or NaN gives ``"?"``).
    lang : ``"en"`` or ``"zh"``.

    Returns
    -------
    str

    Examples
    --------
    >>> format_value(56_040_000.0), format_value(34_400.0), format_value(789.0), format_value(1_230_000, "zh")
    ('56.04 Mt/a', '34.4 kt/a', '789 t/a', '123 万t/a')
    """
    if v is None or not np.isfinite(v):
        return "?"
    def short(x: float) -> str:  # no false decimals: 34.4, not 34.40
        text = number(x)
        return text.rstrip("0").rstrip(".") if "." in text else text

    steps = ((1e8, "亿t/a"), (1e4, "万t/a")) if lang == "zh" else ((1e6, "Mt/a"), (1e3, "kt/a"))
    for factor, unit in steps:
        if abs(v) >= factor:
            return f"{short(v / factor)} {unit}"
    return f"{short(float(v))} t/a"


def wrap_label(text: str, width: int = 26) -> str:
    r"""Break a long node name into lines of about ``width`` characters (CJK characters count double).

    Chinese text is cut between characters, never leaving an opening bracket at the end of a line or a
    closing mark at the start of one (禁则); text that is mostly Latin (with an odd Chinese word) is cut at
    spaces.

    Parameters
    ----------
    text : the name.
    width : characters per line (Latin).

    Returns
    -------
    str
        The lines joined by newlines.

    Examples
    --------
    >>> wrap_label("Baotou city districts: households, shops and offices (社会源)")
    'Baotou city districts:\nhouseholds, shops and\noffices (社会源)'
    >>> wrap_label("包头城区居民、商户和企业（废旧物品来源）")
    '包头城区居民、商户和企业\n（废旧物品来源）'
    """
    import textwrap

    text = str(text)
    n_cjk = sum(ord(ch) > 0x2E80 for ch in text)
    if n_cjk * 2 > len(text.replace(" ", "")):
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
def carrier_flows(park: "Park") -> np.ndarray:
    """Which flows of ``park`` are carriers: air, water and gases that pass through the processes
    (combustion air, flue gas, cooling and waste water …), as opposed to the materials a park manages.

    Decided by the catalogue, not by ids: a flow is a carrier when its material's category is one of
    :data:`CARRIER_CATEGORIES` (water, emission), or when it is drawn from the environment (a process of kind
    ``environment``) and is neither a waste, a product nor a fuel (air, oxygen, river water taken in).

    Parameters
    ----------
    park : the park.

    Returns
    -------
    numpy.ndarray
        bool per row of ``park.flows``.

    Examples
    --------
    >>> import mfa
    >>> park = mfa.Park.from_frames(
    ...     processes=[{"id": "atm", "name": "Atmosphere", "kind": "environment"},
    ...                {"id": "mine", "name": "Mine", "kind": "import"},
    ...                {"id": "plant", "name": "Plant", "kind": "production"},
    ...                {"id": "dump", "name": "Dump", "kind": "landfill"}],
    ...     flows=[{"source": "atm", "target": "plant", "material": "air", "value": 300},
    ...            {"source": "mine", "target": "plant", "material": "coal", "value": 100},
    ...            {"source": "plant", "target": "atm", "material": "flue_gas", "value": 380},
    ...            {"source": "plant", "target": "dump", "material": "fly_ash", "value": 20}])
    >>> carrier_flows(park).tolist()
    [True, False, True, False]
    """
    from mfa.conventions import WASTE_CATEGORIES

    c = park.compiled
    flows = park.flows
    cat = flows["material"].map(c.category_of).fillna("other")
    from_nature = flows["source"].map(c.kind_of).eq("environment")
    managed = cat.isin(WASTE_CATEGORIES | {"product", "fuel"})
    return (cat.isin(CARRIER_CATEGORIES) | (from_nature & ~managed)).to_numpy(dtype=bool)


def sankey_frames(park: "Park", material: str | Sequence[str] | None = None,
                  category: str | Sequence[str] | None = None, group_by: str | None = None, lang: str = "en",
                  residuals: bool = True, carriers: bool | None = None,
                  carrier_mask: np.ndarray | None = None) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """The nodes and links a Sankey of ``park`` draws, as tidy frames (t/a), plus notes.

    Parameters
    ----------
    park : the park (:func:`mfa.read_park`).
    material, category : keep only flows of these materials / material categories (an id, a
        comma-separated string or a list).
    group_by : ``"group"`` or ``"kind"`` aggregates processes.
    lang : ``"en"`` or ``"zh"``.
    residuals : draw the residuals of imbalanced processes (whole park only).
    carriers : draw the carrier flows (:func:`carrier_flows`: air, water, flue gas …). ``None`` (default):
        off in the whole-park view, where they would dwarf the wastes, on when a material or category is
        asked for.
    carrier_mask : which rows of ``park.flows`` are carriers (default :func:`carrier_flows` of ``park``).

    Returns
    -------
    nodes : id, label, kind, pin (−1 first column, +1 last, 0 free), members (process ids, ";"-joined).
    links : source, target, material, material_name, category, value (t/a), type ("flow", "stock",
        "residual"), flows (flow ids, ";"-joined).
    notes : n_unknown (flows of unknown value, not drawn), internal (t/a between processes of one group, not
        drawn), carriers (t/a of carrier flows not drawn), filtered (bool: a material or category filter was
        applied), throughput (t/a of the largest node).

    Examples
    --------
    >>> import mfa
    >>> park = mfa.Park.from_frames(
    ...     processes=[{"id": "mine", "name": "Mine", "kind": "import"},
    ...                {"id": "plant", "name": "Plant", "kind": "production"},
    ...                {"id": "dump", "name": "Dump", "kind": "landfill"}],
    ...     flows=[{"source": "mine", "target": "plant", "material": "coal", "value": 100},
    ...            {"source": "plant", "target": "dump", "material": "fly_ash", "value": 100}])
    >>> nodes, links, notes = sankey_frames(park)
    >>> nodes["id"].tolist(), links["value"].tolist(), notes["carriers"]
    (['dump', 'mine', 'plant'], [100.0, 100.0], 0.0)
    """
    check_lang(lang)
    if group_by not in (None, "group", "kind"):
        raise MfaError(f"group_by must be 'group' or 'kind', not {group_by!r}")
    text = _TEXT[lang]
    procs = park.processes
    flows = park.flows
    mats = park.materials
    compiled = park.compiled
    mat_cat = {m: (c if isinstance(c, str) and c else "other") for m, c in compiled.category_of.items()}
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
    if carriers is False or (carriers is None and not filtered):
        carrier = carrier_flows(park) if carrier_mask is None else np.asarray(carrier_mask, dtype=bool)
        hidden_carriers = float(np.nansum(value[sel & carrier]))
        sel &= ~carrier
    else:
        hidden_carriers = 0.0
    n_unknown = int((unknown & sel).sum())
    f = flows[sel & ~unknown & (np.nan_to_num(value) > 0)]
    links = pd.DataFrame({
        "source": f["source"].astype(str).to_numpy(), "target": f["target"].astype(str).to_numpy(),
        "material": f["material"].astype(str).to_numpy(),
        "value": f["value"].to_numpy(dtype=float), "type": "flow", "flows": f["id"].astype(str).to_numpy(),
    })

    # stock changes per (process, material): the stocks table, else inputs − outputs of storage processes
    kind_of = compiled.kind_of
    from mfa.conventions import BOUNDARY_KINDS

    st = park.stocks
    extra = []
    if len(st):
        s = st[keep_material(st["material"]) & ~st["material"].map(mat_cat).isin(CARRIER_CATEGORIES).to_numpy()
               if carriers is False or (carriers is None and not filtered) else keep_material(st["material"])]
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
    notes = {"n_unknown": n_unknown, "internal": internal, "filtered": filtered, "carriers": hidden_carriers,
             "throughput": float(throughput.max()) if len(throughput) else 0.0}
    return nodes.reset_index(drop=True), links.reset_index(drop=True), notes


# ------------------------------------------------------------------------------------------------
# the diagram object
# ------------------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class SankeyDiagram(Result, main_table="links"):
    """A Sankey diagram: tidy ``nodes``/``links`` frames plus their layout, drawn as SVG (:meth:`to_html`,
    interactive: hover shows every figure), with matplotlib (:meth:`matplotlib`, static) or plotly
    (:attr:`figure`), saved by extension (:meth:`save`: .html, .png, .svg, .pdf), shown inline in Jupyter (an
    SVG image, which needs no widget or JavaScript to display).

    A result like every engine's (:class:`mfa.results.Result`): ``.table`` is the links, ``.tables`` the
    links and nodes, ``.messages`` what is not drawn and why. Build it with :func:`sankey` from a park, or
    from frames with :meth:`from_frames`.

    Parameters
    ----------
    nodes : id, label, kind, pin, members.
    links : source, target, material, material_name, category, value (t/a), type, flows.
    caption : the title shown above the diagram (:attr:`title`).
    lang : ``"en"`` or ``"zh"``.
    requested_scale : t/a per mm of link width; None fits the diagram to ``height``.
    notes : figures of what is not drawn (see :func:`sankey_frames`).
    font_size : points; height : mm; div_id : id of the drawing in HTML pages.

    Examples
    --------
    >>> d = SankeyDiagram.from_frames(pd.DataFrame({"id": ["a", "b"], "label": ["A", "B"]}),
    ...                               pd.DataFrame({"source": ["a"], "target": ["b"], "value": [5.0]}))
    >>> d.table[["source", "target", "value"]].to_dict("records"), list(d.tables)
    ([{'source': 'a', 'target': 'b', 'value': 5.0}], ['links', 'nodes'])
    """

    nodes: pd.DataFrame
    links: pd.DataFrame
    caption: str | None = None
    lang: str = "en"
    requested_scale: float | None = None
    notes: dict = field(default_factory=dict)
    font_size: float = 7.0
    height: float = 120.0
    div_id: str = "mfa-sankey"

    def __post_init__(self) -> None:
        check_lang(self.lang)
        scale = self.requested_scale
        if scale is not None and not (np.isfinite(scale) and scale > 0):
            raise MfaError(f"scale must be a positive number of t/a per mm, not {scale!r}")
        object.__setattr__(self, "nodes", self.nodes.reset_index(drop=True))
        object.__setattr__(self, "links", self.links.reset_index(drop=True))
        object.__setattr__(self, "notes", dict(self.notes))

    # -- construction ---------------------------------------------------------------------------
    @classmethod
    def from_frames(cls, nodes: pd.DataFrame, links: pd.DataFrame, *, title: str | None = None,
                    lang: str = "en", scale: float | None = None, notes: dict | None = None,
                    font_size: float = 7.0, height: float = 120.0, div_id: str = "mfa-sankey",
                    messages: tuple[Issue, ...] = ()) -> "SankeyDiagram":
        """A diagram from plain frames.

        Parameters
        ----------
        nodes : id, optional label, kind, pin (−1/0/+1).
        links : source, target, value (t/a), optional material, material_name, category, type.
        title, lang, scale, notes, font_size, height, div_id : as for :class:`SankeyDiagram`.
        messages : what the diagram leaves out, for the reader.

        Returns
        -------
        SankeyDiagram

        Examples
        --------
        >>> d = SankeyDiagram.from_frames(pd.DataFrame({"id": ["a", "b"]}),
        ...                               pd.DataFrame({"source": ["a"], "target": ["c"], "value": [1.0]}))
        Traceback (most recent call last):
        ...
        mfa.errors.MfaError: links.target names unknown node 'c'
        """
        nodes = pd.DataFrame(nodes).copy()
        links = pd.DataFrame(links).copy()
        if "id" not in nodes.columns:
            raise MfaError("nodes need an 'id' column")
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
        defaults = {"material": "", "category": "other", "type": "flow", "flows": ""}
        for col, default in defaults.items():
            links[col] = links[col] if col in links.columns else default
        links["material_name"] = links["material_name"] if "material_name" in links.columns else links["material"]
        links["value"] = pd.to_numeric(links["value"], errors="coerce").astype(float)
        return cls(nodes, links, caption=title, lang=lang, requested_scale=scale, notes=dict(notes or {}),
                   font_size=font_size, height=height, div_id=div_id, messages=tuple(messages))

    @property  # type: ignore[override]  # the diagram's title, where a result class has its kind
    def title(self) -> str | None:
        """The title shown above the diagram.

        Returns
        -------
        str or None

        Examples
        --------
        >>> d = SankeyDiagram.from_frames(pd.DataFrame({"id": ["a", "b"]}),
        ...                               pd.DataFrame({"source": ["a"], "target": ["b"], "value": [5.0]}), scale=0.5,
        ...                               title="Plant")
        >>> d.title
        'Plant'
        """
        return self.caption

    # -- layout ---------------------------------------------------------------------------------
    @cached_property
    def layout(self) -> "SankeyLayout":
        """The :class:`~mfa.sankey_diagram.layout.SankeyLayout` (mm, with matplotlib's text metrics).

        Returns
        -------
        SankeyLayout

        Examples
        --------
        >>> d = SankeyDiagram.from_frames(pd.DataFrame({"id": ["a", "b"]}),
        ...                               pd.DataFrame({"source": ["a"], "target": ["b"], "value": [5.0]}), scale=0.5,
        ...                               title="Plant")
        >>> lay = d.layout
        >>> lay.scale, lay.links["width"].tolist()
        (0.5, [10.0])
        """
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
        return layout_sankey(
            list(self.nodes["id"]), src, tgt, val, pin=self.nodes["pin"].to_numpy(dtype=int),
            node_labels=node_labels, link_labels=link_labels, scale=self.requested_scale, height=self.height,
            font_size=self.font_size, measure=text_measurer(self.font_size))

    @property
    def scale(self) -> float:
        """t/a per mm of link width in the static diagram (given, or fitted to the height).

        Examples
        --------
        >>> d = SankeyDiagram.from_frames(pd.DataFrame({"id": ["a", "b"]}),
        ...                               pd.DataFrame({"source": ["a"], "target": ["b"], "value": [5.0]}), scale=0.5)
        >>> d.scale, d.layout.links["width"].tolist()
        (0.5, [10.0])
        """
        return self.requested_scale if self.requested_scale is not None else self.layout.scale

    @property
    def summary(self) -> dict[str, Any]:
        """Headline figures: nodes, links, scale_t_per_mm, total_t, unknown_flows_not_drawn,
        within_groups_not_drawn_t, largest_node, carriers_not_drawn_t.

        Returns
        -------
        dict
            Name → number or text.

        Examples
        --------
        >>> d = SankeyDiagram.from_frames(pd.DataFrame({"id": ["a", "b"]}),
        ...                               pd.DataFrame({"source": ["a"], "target": ["b"], "value": [5.0]}), scale=0.5,
        ...                               title="Plant")
        >>> s = d.summary
        >>> s["nodes"], s["links"], s["total_t"], s["largest_node"]
        (2, 1, 5.0, 'a')
        """
        totals = self.node_totals()
        return {"nodes": len(self.nodes), "links": len(self.links), "scale_t_per_mm": self.scale,
                "total_t": float(self.links["value"].sum()),
                "unknown_flows_not_drawn": int(self.notes.get("n_unknown", 0)),
                "within_groups_not_drawn_t": float(self.notes.get("internal", 0.0)),
                "largest_node": (totals.sort_values("value", ascending=False, kind="stable").iloc[0]["id"]
                                 if len(totals) else None),
                "carriers_not_drawn_t": float(self.notes.get("carriers", 0.0))}

    def node_totals(self) -> pd.DataFrame:
        """Per node: id, label, kind, value_in, value_out, value (= max of the two), t/a.

        Examples
        --------
        >>> d = SankeyDiagram.from_frames(pd.DataFrame({"id": ["a", "b"]}),
        ...                               pd.DataFrame({"source": ["a"], "target": ["b"], "value": [5.0]}))
        >>> d.node_totals()["value"].tolist()
        [5.0, 5.0]
        """
        val = self.links["value"].to_numpy(dtype=float)
        ok = np.isfinite(val) & (val > 0)
        v_in = self.links[ok].groupby("target")["value"].sum()
        v_out = self.links[ok].groupby("source")["value"].sum()
        out = self.nodes[["id", "label", "kind"]].copy()
        out["value_in"] = out["id"].map(v_in).fillna(0.0).to_numpy(dtype=float)
        out["value_out"] = out["id"].map(v_out).fillna(0.0).to_numpy(dtype=float)
        out["value"] = np.maximum(out["value_in"], out["value_out"])
        return out

    def note(self) -> str:
        """The line under the diagram: its scale and what is not drawn.

        Examples
        --------
        >>> d = SankeyDiagram.from_frames(pd.DataFrame({"id": ["a", "b"]}),
        ...                               pd.DataFrame({"source": ["a"], "target": ["b"], "value": [5.0]}),
        ...                               scale=2.0, notes={"n_unknown": 1})
        >>> d.note()
        'scale: 2 t/a per mm · 1 flow(s) of unknown value not drawn (mfa reconcile computes them)'
        """
        t = _TEXT[self.lang]
        parts = [t["scale"].format(s=format_value(self.scale, self.lang))]
        if self.notes.get("n_unknown"):
            parts.append(t["unknown"].format(n=self.notes["n_unknown"]))
        if self.notes.get("internal"):
            parts.append(t["internal"].format(v=format_value(self.notes["internal"], self.lang)))
        if self.notes.get("carriers"):
            parts.append(t["carriers"].format(v=format_value(self.notes["carriers"], self.lang)))
        return " · ".join(parts)

    _note = note  # the name the report used before it was public

    def colors(self) -> tuple[list[str], list[str]]:
        """Colours of the nodes (by kind, :data:`KIND_COLORS`) and of the links (by material category,
        :data:`CATEGORY_COLORS`).

        Examples
        --------
        >>> d = SankeyDiagram.from_frames(pd.DataFrame({"id": ["a", "b"], "kind": ["import", "landfill"]}),
        ...     pd.DataFrame({"source": ["a"], "target": ["b"], "value": [5.0], "category": ["hazardous_waste"]}))
        >>> d.colors()
        (['#4C72B0', '#8B5A2B'], ['#D62728'])
        """
        nc = [KIND_COLORS.get(k, "#777777") for k in self.nodes["kind"]]
        lc = [CATEGORY_COLORS.get(c, "#C7C7C7") for c in self.links["category"]]
        return nc, lc

    def legends(self) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
        """(label, colour) of the link categories and the node kinds drawn, in the diagram's language.

        Examples
        --------
        >>> d = SankeyDiagram.from_frames(pd.DataFrame({"id": ["a", "b"], "kind": ["import", "landfill"]}),
        ...     pd.DataFrame({"source": ["a"], "target": ["b"], "value": [5.0], "category": ["hazardous_waste"]}),
        ...     lang="zh")
        >>> d.legends()
        ([('危险废物', '#D62728')], [('输入', '#4C72B0'), ('填埋', '#8B5A2B')])
        """
        cats = sorted(set(self.links["category"]))
        # stock and residual nodes share the colour of their links, already in the category legend
        kinds = sorted(set(self.nodes["kind"]) - {"stock", "residual"})
        return ([(category_label(c, self.lang), CATEGORY_COLORS.get(c, "#C7C7C7")) for c in cats],
                [(kind_label(k, self.lang), KIND_COLORS.get(k, "#777777")) for k in kinds])

    # -- drawing --------------------------------------------------------------------------------
    def matplotlib(self) -> "Figure":
        """The static diagram as a matplotlib Figure (1 data unit = 1 mm).

        Examples
        --------
        >>> d = SankeyDiagram.from_frames(pd.DataFrame({"id": ["a", "b"]}),
        ...                               pd.DataFrame({"source": ["a"], "target": ["b"], "value": [5.0]}))
        >>> float(d.matplotlib().axes[0].get_xlim()[0])
        -4.0
        """
        from mfa.sankey_diagram.static import draw_sankey

        nc, lc = self.colors()
        leg, nleg = self.legends()
        return draw_sankey(self.layout, node_colors=nc, link_colors=lc, title=self.title, legend=leg,
                           node_legend=nleg, note=self.note())

    @cached_property
    def figure(self) -> Any:
        """The diagram as a plotly Figure (``go.Sankey``, positions from the layout), for users who work
        in plotly; the HTML files are drawn as SVG from the layout itself.

        Returns
        -------
        plotly.graph_objects.Figure

        Examples
        --------
        >>> d = SankeyDiagram.from_frames(pd.DataFrame({"id": ["a", "b"]}),
        ...                               pd.DataFrame({"source": ["a"], "target": ["b"], "value": [5.0]}), scale=0.5,
        ...                               title="Plant")
        >>> fig = d.figure
        >>> type(fig).__name__, fig.data[0].type, fig is d.figure
        ('Figure', 'sankey', True)
        """
        from mfa.sankey_diagram.plotly_sankey import plotly_figure

        return plotly_figure(self)

    def to_html(self, full_html: bool = True, include_plotlyjs: bool = True, div_id: str | None = None) -> str:
        """HTML of the interactive diagram (SVG with hover texts; no script, no plotting library).

        Parameters
        ----------
        full_html : a whole self-contained page, else a fragment (a ``div``) to embed.
        include_plotlyjs : ignored (kept so callers written for the plotly version keep working).
        div_id : id of the drawing (default :attr:`div_id`); fixed, so the output is byte-identical between
            runs.

        Returns
        -------
        str

        Examples
        --------
        >>> d = SankeyDiagram.from_frames(pd.DataFrame({"id": ["a", "b"]}),
        ...                               pd.DataFrame({"source": ["a"], "target": ["b"], "value": [5.0]}))
        >>> "<script" in d.to_html(), d.to_html(full_html=False).startswith('<div class="mfa-sankey"')
        (False, True)
        """
        from mfa.sankey_diagram.svg import sankey_page

        return sankey_page(self, full_html=full_html, div_id=div_id)

    def to_svg(self) -> str:
        """The static diagram as SVG text (deterministic; glyphs drawn as paths, so it needs no font).

        Examples
        --------
        >>> d = SankeyDiagram.from_frames(pd.DataFrame({"id": ["a", "b"]}),
        ...                               pd.DataFrame({"source": ["a"], "target": ["b"], "value": [5.0]}))
        >>> d.to_svg() == d.to_svg(), d.to_svg().count("<svg")
        (True, 1)
        """
        import io

        import matplotlib

        from mfa.sankey_diagram.static import DETERMINISTIC_RC

        buf = io.StringIO()
        with matplotlib.rc_context(DETERMINISTIC_RC):
            self.matplotlib().savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
        return buf.getvalue()

    def save(self, path: str | os.PathLike) -> Path:
        """Write the diagram; the format follows the extension: .html (interactive, self-contained,
        offline), .png, .svg, .pdf (static). Written atomically.

        Parameters
        ----------
        path : the file to write.

        Returns
        -------
        pathlib.Path
            ``path``.

        Examples
        --------
        >>> import tempfile
        >>> d = SankeyDiagram.from_frames(pd.DataFrame({"id": ["a", "b"]}),
        ...                               pd.DataFrame({"source": ["a"], "target": ["b"], "value": [5.0]}))
        >>> d.save(Path(tempfile.mkdtemp()) / "d.svg").suffix
        '.svg'
        """
        path = Path(path)
        ext = path.suffix.lower().lstrip(".")
        if ext not in ("html", "htm", "png", "svg", "pdf"):
            raise MfaError(f"cannot save a Sankey as {path.name!r}: use a .html, .png, .svg or .pdf file name")
        if ext in ("html", "htm"):
            from mfa.io.writers import atomic_write_bytes
            from mfa.sankey_diagram.svg import sankey_page

            texts = " ".join([self.title or "", self.note()] + [str(x) for x in self.nodes["label"]]
                             + [str(x) for x in self.links["material_name"]]
                             + [lab for lab, _c in sum(self.legends(), [])])
            try:
                from mfa.fonts import cjk_font_face

                # the Chinese glyphs of the labels travel with the page (offline, any machine)
                face = cjk_font_face(texts)
            except MfaError:
                face = ""
            page = sankey_page(self, head=[f"<style>{face}</style>"] if face else [])
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

    def _repr_png_(self) -> bytes:
        import io

        buf = io.BytesIO()
        self.matplotlib().savefig(buf, format="png", dpi=100, metadata={"Software": None})
        return buf.getvalue()

    def __repr__(self) -> str:
        return f"<SankeyDiagram: {len(self.nodes)} nodes, {len(self.links)} links>"


def sankey(park: "Park", material: str | Sequence[str] | None = None,
           category: str | Sequence[str] | None = None, group_by: str | None = None, lang: str = "en",
           scale: float | None = None, title: str | None = None, div_id: str = "mfa-sankey",
           residuals: bool = True, carriers: bool | None = None, around: str | None = None,
           depth: int = 1) -> "SankeyDiagram | SankeySeries":
    """A Sankey diagram of ``park`` (see the module docstring for what is drawn and how); of a multi-year
    park, the diagram of every year at one scale (:func:`mfa.sankey_diagram.series.sankey_series`).

    Parameters
    ----------
    park : the park (:func:`mfa.read_park`).
    material, category : keep only flows of these materials / material categories (a name, a
        comma-separated string or a list).
    group_by : ``"group"`` or ``"kind"`` aggregates processes (flows inside one group are not drawn; their
        total is given in the note).
    lang : ``"en"`` or ``"zh"`` (Chinese names from ``name_zh`` where given).
    scale : t/a per mm of link width in the static diagram; the same number makes two diagrams comparable.
    title : above the diagram (default: the park's name and year, and what a filter keeps).
    div_id : id of the drawing in HTML pages.
    residuals : draw the residuals of imbalanced processes (to/from "unaccounted"); not drawn when
        filtering by material or category, since materials change inside production processes.
    carriers : draw air, water and flue gas (:func:`carrier_flows`); by default off in the whole-park view
        (their total is given in the note) and on when a material or category is asked for.
    around : a process id or a group: draw only its neighbourhood, process by process, with what the
        neighbourhood exchanges with the rest of the park summed into *rest of park* nodes, so every tonne
        entering or leaving a drawn process is drawn (:func:`mfa.sankey_diagram.neighbourhood.neighbourhood`).
    depth : with ``around``: 1 draws the processes it exchanges with, 2 also theirs, …

    Returns
    -------
    SankeyDiagram
        Or, for a park of several years, a :class:`~mfa.sankey_diagram.series.SankeySeries`.

    Examples
    --------
    >>> import mfa
    >>> type(sankey(mfa.read_park("farm_film"))).__name__
    'SankeySeries'
    >>> d = sankey(mfa.read_park("wuhai"))
    >>> d.notes["carriers"] > 1e8, "air" in set(d.links["material"])
    (True, False)
    >>> "air" in set(sankey(mfa.read_park("wuhai"), carriers=True).links["material"])
    True
    >>> near = sankey(mfa.read_park("wuhai"), around="cement_plant")
    >>> sorted(set(near.nodes["kind"]))[-2:], near.title.split(" — ")[1]
    (['production', 'rest'], 'around Cement plant (carbide-slag raw meal)')
    """
    from mfa.park import Park, require_park

    if isinstance(park, Park) and len(park.years) > 1:
        # one diagram per year at one scale (drawn as given, like a one-year park)
        from mfa.sankey_diagram.series import sankey_series

        return sankey_series(park, solve=False, material=material, category=category, group_by=group_by,
                             lang=lang, scale=scale, residuals=residuals, carriers=carriers, around=around,
                             depth=depth)
    require_park(park, "sankey")
    check_lang(lang)
    whole = park
    near: dict[str, Any] = {}
    if around is not None:
        from mfa.sankey_diagram.neighbourhood import REST_IN, REST_OUT, neighbourhood

        # carriers are decided on the whole park: air cut off from its atmosphere stays air
        park, near = neighbourhood(park, around, depth=depth, lang=lang, carriers=carrier_flows(park))
    nodes, links, notes = sankey_frames(park, material=material, category=category, group_by=group_by,
                                        lang=lang, residuals=residuals, carriers=carriers,
                                        carrier_mask=near.get("carriers"))
    if near:
        nodes.loc[nodes["id"].isin([REST_IN, REST_OUT]), "kind"] = "rest"
        notes["internal"] = notes.get("internal", 0.0) + near["internal"]
    if title is None:
        info = whole.info
        name = (info.name_zh or info.name) if lang == "zh" else info.name
        title = name + (f" {info.year}" if info.year else "")
        if near:
            centre = dict(zip(nodes["id"], nodes["label"])).get(near["node"], near["label"])
            title += (f" — {centre} 周边" if lang == "zh" else f" — around {centre}")
        # the title names what is drawn in the reader's language: materials by name, categories by name
        mats = park.materials.set_index("id")
        col = "name_zh" if lang == "zh" else "name"
        extra = [(_s_or(mats[col].get(m), m) if m in mats.index else m) for m in (_as_list(material) or [])]
        extra += [category_label(c, lang) for c in (_as_list(category) or [])]
        if extra:
            title += " — " + ("、" if lang == "zh" else ", ").join(extra)
    text = _TEXT[lang]
    messages = [Issue.note(near["message"])] if near else []
    if notes["n_unknown"]:
        messages.append(Issue.note(text["unknown"].format(n=notes["n_unknown"]), severity="warning"))
    for key in ("carriers", "internal"):
        if notes[key]:
            messages.append(Issue.note(text[key].format(v=format_value(notes[key], lang))))
    return SankeyDiagram(nodes, links, caption=title, lang=lang, requested_scale=scale, notes=notes, div_id=div_id,
                         messages=tuple(messages))


def _s_or(value, default: str) -> str:
    return value if isinstance(value, str) and value else default
