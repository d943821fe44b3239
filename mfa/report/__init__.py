"""The park report: one self-contained, offline HTML file for a park manager's bureau or a paper's appendix.

Sections: summary and system balance; data-quality warnings (unknown flows, estimated flows, imbalanced
processes, flows the trace could not follow); the balance table with flagged processes; the utilisation
rates against targets (with a chart); the interactive Sankey (plus a static SVG for printing); fate and
generation charts and the trace table.

Guarantees
    * **Offline**: plotly.js is embedded once (no CDN); charts are inline SVG; no external fonts.
    * **Escaped**: every text from the park (names, notes, ids) goes through Jinja2 autoescaping.
    * **Deterministic**: the same park gives a byte-identical file (fixed plotly div ids, no timestamps,
      SVG hash salt fixed).
    * **Degrades, never crashes**: a section whose engine is missing or fails shows a note saying why.
    * Script errors in the page are recorded in ``<pre id="mfa-js-errors">`` (used by the browser test).

Conventions: flows in t/a, stocks in t; residual = inputs − outputs − stock change (see :mod:`mfa.balance`).

>>> import mfa
>>> from mfa.report import write_report
>>> write_report(mfa.read_park("wuhai"), "report.html", lang="zh")   # doctest: +SKIP
"""

from __future__ import annotations

import math
import os
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd

from mfa.errors import MfaError

__all__ = ["report_html", "write_report", "render", "fmt_t", "fmt_pct"]

TEXT: dict[str, dict[str, str]] = {
    "en": {
        "report": "Material flow report", "summary": "Summary", "system": "System balance (t/a)",
        "quality": "Data quality", "balance": "Process balances", "indicators": "Indicators and targets",
        "targets": "Targets", "sankey": "Sankey diagram", "trace": "Where the waste goes",
        "static": "Static diagram (for printing)", "unknown_flows": "Flows of unknown value",
        "estimated_flows": "Estimated flows (generated from activity data)",
        "no_warnings": "No warnings: every flow has a value and every process balances.",
        "conventions": "Units: flows in t/a, stocks in t. Residual = inputs − outputs − stock change "
                       "(closing − opening). Boundary processes (import, export, environment, landfill) "
                       "have no balance.",
        "balance_note": "Flagged (red) rows are processes whose residual exceeds the park's tolerance.",
        "processes": "processes", "flows": "flows", "materials": "materials", "item": "item", "value": "value",
        "term": "term", "process": "process", "name": "name", "kind": "kind", "inputs": "inputs",
        "outputs": "outputs", "stock_change": "stock change", "residual": "residual",
        "residual_rel": "residual %", "status": "status", "indicator": "indicator", "numerator": "numerator t/a",
        "denominator": "denominator t/a", "formula": "formula", "source": "source", "target": "target",
        "passed": "met", "gap": "gap t/a", "level": "level", "material": "material", "origin": "origin",
        "stage": "stage", "fate": "fate", "tonnes": "t/a", "share": "share", "id": "flow",
        "from": "from", "to": "to", "note": "note", "yes": "yes", "no": "no", "region": "region",
        "year": "year", "known_total": "t/a in known flows", "unknown": "unknown flows",
        "estimated": "estimated flows", "imbalanced": "imbalanced processes",
        "missing_indicators": "Indicators are not available: {e}",
        "missing_trace": "The trace is not available: {e}", "missing_sankey": "The Sankey is not available: {e}",
        "w_unknown": "{n} flow(s) have no value; they are not drawn and not counted in the totals. "
                     "`mfa reconcile` computes those that the balances and transfer coefficients determine.",
        "w_estimated": "{n} flow(s) are estimated from activity data and coefficients ({v} t/a).",
        "w_imbalanced": "{n} process(es) do not balance: {names}.",
        "w_residual": "The system balance leaves a residual of {v} t/a ({p} of throughput).",
        "more": "… and {n} more rows (see `mfa trace --json`).",
        "empty": "nothing to show", "footer": "circular-mfa {v}: same input, same file.",
        "hidden_targets": "{n} target(s) for indicators without a value in this park are not listed.",
        "all_flows": "All flows", "waste_flows": "Wastes only (solid, hazardous, agricultural, renewable)",
    },
    "zh": {
        "report": "物质流分析报告", "summary": "概要", "system": "系统平衡（t/a）", "quality": "数据质量",
        "balance": "各过程物质平衡", "indicators": "指标与目标", "targets": "目标", "sankey": "桑基图",
        "trace": "废物去向", "static": "静态图（供打印）", "unknown_flows": "数值未知的流",
        "estimated_flows": "估算的流（由活动数据产生）",
        "no_warnings": "无警告：所有流均有数值，所有过程均平衡。",
        "conventions": "单位：流为 t/a，库存为 t。残差 = 输入 − 输出 − 库存变化（期末 − 期初）。"
                       "边界过程（输入、输出、环境、填埋）不做平衡。",
        "balance_note": "标红的行为残差超出园区容差的过程。",
        "processes": "过程", "flows": "流", "materials": "物质", "item": "项目", "value": "数值", "term": "项",
        "process": "过程", "name": "名称", "kind": "类型", "inputs": "输入", "outputs": "输出",
        "stock_change": "库存变化", "residual": "残差", "residual_rel": "残差 %", "status": "状态",
        "indicator": "指标", "numerator": "分子 t/a", "denominator": "分母 t/a", "formula": "公式",
        "source": "来源", "target": "目标", "passed": "达标", "gap": "差距 t/a", "level": "层级",
        "material": "物质", "origin": "产生源", "stage": "阶段", "fate": "去向", "tonnes": "t/a",
        "share": "比例", "id": "流", "from": "从", "to": "到", "note": "备注", "yes": "是", "no": "否",
        "region": "地区", "year": "年份", "known_total": "已知流合计 t/a", "unknown": "未知流",
        "estimated": "估算流", "imbalanced": "不平衡过程",
        "missing_indicators": "指标不可用：{e}", "missing_trace": "去向追踪不可用：{e}",
        "missing_sankey": "桑基图不可用：{e}",
        "w_unknown": "{n} 条流没有数值；未绘出，也未计入合计。`mfa reconcile` 可由平衡和传递系数计算可确定的流。",
        "w_estimated": "{n} 条流由活动数据和系数估算（{v} t/a）。",
        "w_imbalanced": "{n} 个过程不平衡：{names}。",
        "w_residual": "系统平衡残差为 {v} t/a（占通量的 {p}）。",
        "more": "…… 另有 {n} 行（见 `mfa trace --json`）。", "empty": "无数据",
        "footer": "circular-mfa {v}：相同输入，相同文件。",
        "hidden_targets": "本园区无数值的指标的 {n} 项目标未列出。",
        "all_flows": "全部物质流", "waste_flows": "仅废物流（固废、危废、农业废弃物、再生资源）",
    },
}


#: Chinese for the engine's words that appear in the tables (terms, statuses, kinds, stages, fates).
WORDS_ZH: dict[str, str] = {
    "imports": "输入", "inputs_from_environment_and_landfill": "来自环境和填埋场的输入", "exports": "输出",
    "environment": "环境", "landfill": "填埋", "stock_change": "库存变化", "residual": "残差",
    "residual_rel": "相对残差", "sum_of_process_residuals": "各过程残差之和", "unknown_flows": "未知流数",
    "unknown_boundary_flows": "边界上的未知流数", "status": "状态", "balanced": "平衡", "imbalanced": "不平衡",
    "unknown": "含未知流", "storage": "贮存", "boundary": "边界", "production": "生产", "collection": "收集",
    "treatment": "处理", "import": "输入", "export": "输出", "generated": "产生",
    "prior_year_storage": "往年贮存", "imported": "外来", "treatment_residue": "处理残余",
    "in_transit": "转运中", "utilised": "综合利用", "disposed": "处置", "stored": "贮存",
    "discarded": "倾倒丢弃", "exported": "输出", "unresolved": "去向不明",
}


def word(text: Any, lang: str) -> str:
    """An engine word (status, kind, fate …) in the report's language."""
    text = _s(text)
    return WORDS_ZH.get(text, text) if lang == "zh" else text


def fmt_t(v: Any, digits: int = 1) -> str:
    """t/a with thousands separators; blank for missing."""
    try:
        f = float(v)
    except (TypeError, ValueError):
        return ""
    if math.isnan(f):
        return ""
    return f"{f:,.{digits}f}"


def fmt_pct(v: Any, digits: int = 1) -> str:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return ""
    if math.isnan(f) or math.isinf(f):
        return ""
    return f"{f * 100:.{digits}f} %"


def _s(v: Any) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA:
        return ""
    return str(v)


@lru_cache(maxsize=1)
def _env():
    try:
        import jinja2
    except ImportError as exc:  # pragma: no cover - jinja2 is a dependency
        raise MfaError("the HTML report needs jinja2: pip install jinja2") from exc
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(Path(__file__).parent / "templates")),
        autoescape=True, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined)


FONT_FACE_MARKER = "/*mfa-font-face*/"


def render(template: str, **context: Any) -> str:
    """Render one of the report templates (autoescaped); the page embeds the CJK glyphs it uses
    (:func:`mfa.fonts.cjk_font_face`), so Chinese shows on machines without a CJK font."""
    page = _env().get_template(template).render(**context)
    if FONT_FACE_MARKER in page:
        js = context.get("plotlyjs") or ""
        face = _font_face(page.replace(js, "") if js else page)
        page = page.replace(FONT_FACE_MARKER, face, 1)
    return page


def _font_face(text: str) -> str:
    try:
        from mfa.fonts import cjk_font_face

        return cjk_font_face(text)
    except MfaError:  # no font package: the page still works with the reader's own fonts
        return ""


@lru_cache(maxsize=1)
def plotly_js() -> str:
    """The plotly.js bundle shipped with the plotly package (embedded once per report)."""
    from plotly.offline import get_plotlyjs

    return get_plotlyjs()


def _table(frame: pd.DataFrame, columns: list[tuple[str, str, Callable[[Any], str] | None]],
           max_rows: int | None = None, row_class: Callable[[dict], str] | None = None,
           more: str = "", empty: str = "") -> dict:
    """A table for the template: columns (key, label, formatter or None = text)."""
    rows = []
    records = frame.to_dict("records")
    shown = records if max_rows is None else records[:max_rows]
    for rec in shown:
        out = {key: (f(rec.get(key)) if f else _s(rec.get(key))) for key, _label, f in columns}
        out["_cls"] = row_class(rec) if row_class else ""
        rows.append(out)
    extra = len(records) - len(shown)
    return {"columns": [{"key": k, "label": lab, "num": f is not None} for k, lab, f in columns],
            "rows": rows, "more": more.format(n=extra) if extra > 0 else "", "empty": empty, "cls": ""}


def _write_atomic(path: Path, text: str) -> None:
    from mfa.io.writers import atomic_write_bytes

    path = Path(path)
    atomic_write_bytes(path, text.encode("utf-8"))


def _why(exc: BaseException) -> str:
    if isinstance(exc, ImportError):
        return f"module {getattr(exc, 'name', None) or exc} is not installed"
    return f"{type(exc).__name__}: {exc}" if not isinstance(exc, MfaError) else str(exc)


def _labels(frame, lang: str) -> dict[str, str]:
    """id → display name: the Chinese name in Chinese where given, else the name, else the id."""
    base = frame["name"].fillna("").astype(str)
    base = base.where(base != "", frame["id"].astype(str))
    if lang == "zh":
        zh = frame["name_zh"].fillna("").astype(str)
        base = zh.where(zh != "", base)
    return dict(zip(frame["id"], base))


def _names(park, lang: str) -> dict[str, str]:
    return _labels(park.processes, lang)


def _material_names(park, lang: str) -> dict[str, str]:
    return _labels(park.materials, lang)


# ------------------------------------------------------------------------------------------------
# sections
# ------------------------------------------------------------------------------------------------
def balance_section(park, lang: str) -> dict:
    """Summary, system balance, balance table and the balance-related warnings."""
    from mfa.balance import balance

    t = TEXT[lang]
    b = balance(park)
    procs = b.processes.copy()
    names = _names(park, lang)
    procs["name"] = procs["process"].map(names)
    procs["kind_t"] = [word(k, lang) for k in procs["kind"]]
    procs["status_t"] = [word(k, lang) for k in procs["status"]]
    flows = park.flows
    known = flows["value"].notna()
    info = park.info
    summary_rows = pd.DataFrame([
        {"item": t["processes"], "value": str(len(park.processes))},
        {"item": t["flows"], "value": str(len(flows))},
        {"item": t["materials"], "value": str(flows["material"].nunique())},
        {"item": t["known_total"], "value": fmt_t(flows.loc[known, "value"].sum())},
        {"item": t["unknown"], "value": str(int((~known).sum()))},
        {"item": t["estimated"], "value": str(int(flows["estimated"].sum()))},
        {"item": t["imbalanced"], "value": str(int((procs["status"] == "imbalanced").sum()))},
    ] + ([{"item": t["region"], "value": info.region}] if info.region else [])
      + ([{"item": t["year"], "value": str(info.year)}] if info.year else []))
    system = pd.DataFrame({"term": [word(k, lang) for k in b.system], "value": [
        fmt_t(v) if isinstance(v, float) and k != "residual_rel" else (fmt_pct(v, 2) if k == "residual_rel"
                                                                          else word(v, lang))
        for k, v in b.system.items()]})
    warnings: list[str] = []
    n_unknown = int((~known).sum())
    if n_unknown:
        warnings.append(t["w_unknown"].format(n=n_unknown))
    est = flows[flows["estimated"].astype(bool)]
    if len(est):
        warnings.append(t["w_estimated"].format(n=len(est), v=fmt_t(est["value"].sum())))
    bad = b.flagged
    if len(bad):
        listed = ", ".join(f"{names.get(p, p)} ({fmt_t(r)} t/a)" for p, r in
                           zip(bad["process"].head(10), bad["residual"].head(10)))
        warnings.append(t["w_imbalanced"].format(n=len(bad), names=listed + (" …" if len(bad) > 10 else "")))
    if b.system.get("status") == "imbalanced":
        warnings.append(t["w_residual"].format(v=fmt_t(b.system["residual"]),
                                               p=fmt_pct(b.system["residual_rel"], 2)))
    # flagged processes first, then the rest in file order
    order = np.argsort(np.where(procs["status"] == "imbalanced", 0, 1), kind="stable")
    procs = procs.iloc[order]
    bal = _table(procs, [("process", t["process"], None), ("name", t["name"], None), ("kind_t", t["kind"], None),
                         ("inputs", t["inputs"], fmt_t), ("outputs", t["outputs"], fmt_t),
                         ("stock_change", t["stock_change"], fmt_t), ("residual", t["residual"], fmt_t),
                         ("residual_rel", t["residual_rel"], lambda v: fmt_pct(v, 2)),
                         ("status_t", t["status"], None)],
                 row_class=lambda r: "flag" if r["status"] == "imbalanced" else "ok", empty=t["empty"])
    flow_cols = [("id", t["id"], None), ("source", t["from"], None), ("target", t["to"], None),
                 ("material", t["material"], None), ("note", t["note"], None)]
    unknown = _table(flows[~known], flow_cols, max_rows=100, more=t["more"], empty=t["empty"])
    estimated = _table(est, flow_cols[:4] + [("value", t["tonnes"], fmt_t)], max_rows=100, more=t["more"],
                       empty=t["empty"])
    return {
        "summary": _table(summary_rows, [("item", t["item"], None), ("value", t["value"], None)]),
        "system": _table(system, [("term", t["term"], None), ("value", t["value"], None)]),
        "balance": bal, "unknown": unknown, "estimated": estimated, "warnings": warnings, "balance_result": b,
    }


def indicator_section(park, lang: str) -> dict:
    """Indicators against targets, a chart; or a note saying why they are missing."""
    t = TEXT[lang]
    try:
        from mfa.indicators import indicators

        res = indicators(park)
    except Exception as exc:  # the report degrades section by section, never as a whole
        return {"indicators_missing": t["missing_indicators"].format(e=_why(exc)), "indicators": None,
                "targets": None, "util_chart": "", "indicator_issues": [], "indicator_result": None}
    tab = res.table.copy()
    tab["label"] = tab["name_zh"] if lang == "zh" else tab["name"]
    tab["formula_t"] = tab["formula_zh"] if lang == "zh" else tab["formula"]

    def val(row_v, unit):
        return fmt_pct(row_v) if unit == "t/t" else fmt_t(row_v, 3)

    tab["value_t"] = [val(v, u) if not (isinstance(v, float) and math.isnan(v)) else _s(r)
                      for v, u, r in zip(tab["value"], tab["unit"], tab["reason"])]
    ind = _table(tab, [("label", t["indicator"], None), ("value_t", t["value"], None),
                       ("numerator", t["numerator"], fmt_t), ("denominator", t["denominator"], fmt_t),
                       ("formula_t", t["formula"], None), ("source", t["source"], None)], empty=t["empty"])
    tg = res.targets
    targets = None
    hidden = 0
    if len(tg):
        # targets of indicators the park has no value for (no straw in an industrial park) are noise here
        applicable = tg["value"].notna().to_numpy()
        hidden = int((~applicable).sum())
        tg = tg[applicable]
    if len(tg):
        tg = tg.copy()
        tg["year"] = [("" if pd.isna(y) else str(int(y))) for y in tg["year"]]
        lab = dict(zip(tab["id"], tab["label"]))
        tg["label"] = tg["indicator"].map(lab)
        tg["passed_t"] = [t["yes"] if p is True else (t["no"] if p is False else "")
                          for p in tg["passed"].astype(object).where(tg["passed"].notna(), None)]
        targets = _table(tg, [("label", t["indicator"], None), ("region", t["region"], None),
                              ("level", t["level"], None), ("year", t["year"], None),
                              ("target", t["target"], fmt_pct), ("value", t["value"], fmt_pct),
                              ("passed_t", t["passed"], None), ("gap_t", t["gap"], fmt_t),
                              ("source", t["source"], None)],
                         row_class=lambda r: "flag" if r["passed"] is False else "", empty=t["empty"])
    chart = ""
    try:
        from mfa.charts import chart_svg, utilisation_chart

        chart = chart_svg(utilisation_chart(res, lang=lang))
    except Exception as exc:
        chart = ""
        res.issues.append(f"chart: {_why(exc)}")
    return {"indicators_missing": "", "indicators": ind, "targets": targets or _table(pd.DataFrame(), []),
            "util_chart": chart, "indicator_issues": list(res.issues)
            + ([t["hidden_targets"].format(n=hidden)] if hidden else []), "indicator_result": res}


def trace_section(park, lang: str, max_rows: int = 200) -> dict:
    t = TEXT[lang]
    try:
        from mfa.trace import trace

        tr = trace(park)
    except Exception as exc:
        return {"trace_missing": t["missing_trace"].format(e=_why(exc)), "trace": None, "fate_chart": "",
                "gen_chart": "", "trace_issues": []}
    tab = tr.table.copy()
    mn = _material_names(park, lang)
    pn = _names(park, lang)
    tab["material_t"] = tab["material"].map(mn).fillna(tab["material"])
    tab["origin_t"] = tab["origin"].map(pn).fillna(tab["origin"])
    tab["stage_t"] = [word(x, lang) for x in tab["stage"]]
    tab["fate_t"] = [word(x, lang) for x in tab["fate"]]
    table = _table(tab, [("material_t", t["material"], None), ("origin_t", t["origin"], None),
                         ("stage_t", t["stage"], None), ("fate_t", t["fate"], None), ("tonnes", t["tonnes"], fmt_t),
                         ("share", t["share"], fmt_pct)], max_rows=max_rows, more=t["more"], empty=t["empty"])
    fate_svg = gen_svg = ""
    issues = list(tr.issues)
    try:
        from mfa.charts import chart_svg, fate_chart, generation_chart

        fate_svg = chart_svg(fate_chart(tr, lang=lang, park=park))
        gen_svg = chart_svg(generation_chart(park, lang=lang))
    except Exception as exc:
        issues.append(f"chart: {_why(exc)}")
    return {"trace_missing": "", "trace": table, "fate_chart": fate_svg, "gen_chart": gen_svg,
            "trace_issues": issues}


def sankey_section(park, lang: str, scale: float | None = None, div_id: str = "mfa-sankey",
                   diagram=None, category=None, heading: str = "") -> dict:
    """One Sankey of the report (interactive fragment + static SVG), or a note saying why it is missing."""
    t = TEXT[lang]
    try:
        if diagram is None:
            from mfa.sankey import sankey

            diagram = sankey(park, lang=lang, scale=scale, div_id=div_id, category=category)
        frag = diagram.to_html(full_html=False, include_plotlyjs=False)
        svg = diagram.to_svg()
        svg = svg[svg.find("<svg"):]
    except Exception as exc:
        return {"sankey_missing": t["missing_sankey"].format(e=_why(exc)), "sankey_html": "", "sankey_svg": "",
                "sankey_note": "", "diagram": None}
    return {"sankey_missing": "", "sankey_html": frag, "sankey_svg": svg, "sankey_note": diagram._note(),
            "diagram": diagram, "heading": heading}


def waste_categories(park) -> list[str]:
    """The waste categories (see :mod:`mfa.conventions`) that the park's flows carry, sorted."""
    from mfa.conventions import WASTE_CATEGORIES

    cat = dict(zip(park.materials["id"], park.materials["category"]))
    present = set(park.flows["material"].map(cat).dropna())
    return sorted(present & set(WASTE_CATEGORIES))


def reconciled(park) -> tuple[Any, str]:
    """The park with its unknown flows computed (and measured ones reconciled) by :func:`mfa.solve.reconcile`,
    and a sentence saying what changed; the park itself when it has nothing to compute."""
    n_unknown = int(park.flows["value"].isna().sum())
    if not n_unknown and not park.flows["sigma"].notna().any():
        return park, ""
    from mfa.solve import reconcile

    res = reconcile(park)
    out = res.park
    left = int(out.flows["value"].isna().sum())
    return out, (f"values from mfa reconcile: {n_unknown - left} of {n_unknown} unknown flow(s) computed"
                 + (f", {left} not determined by the data" if left else ""))


# ------------------------------------------------------------------------------------------------
# the report
# ------------------------------------------------------------------------------------------------
def report_html(park, lang: str = "en", scale: float | None = None, reconcile: bool = False) -> str:
    """The report of ``park`` as one self-contained HTML document (str). See the module docstring.

    ``reconcile``: report the park with its unknown flows computed by :func:`mfa.solve.reconcile` (a note
    says so in the data-quality section).
    """
    import mfa

    if lang not in ("en", "zh"):
        raise MfaError(f"lang must be 'en' or 'zh', not {lang!r}")
    note = ""
    if reconcile:
        park, note = reconciled(park)
    t = TEXT[lang]
    info = park.info
    name = (info.name_zh or info.name) if lang == "zh" else info.name
    ctx: dict[str, Any] = {"lang": lang, "t": t, "version": mfa.__version__,
                           "title": f"{t['report']} — {name}" + (f" {info.year}" if info.year else ""),
                           "subtitle": " · ".join(x for x in [info.name, info.name_zh or "", info.region or "",
                                                              _s(info.description)] if x),
                           "plotlyjs": plotly_js(), "footer": t["footer"].format(v=mfa.__version__)}
    ctx["nav"] = [(k, t[k]) for k in ("summary", "quality", "balance", "indicators", "sankey", "trace")]
    bal = balance_section(park, lang)
    ind = indicator_section(park, lang)
    tra = trace_section(park, lang)
    sankeys = [sankey_section(park, lang, scale=scale, heading=t["all_flows"])]
    wastes = waste_categories(park)
    if wastes:
        # the wastes are small next to coal, air and products: drawn again on their own, at their own scale
        sankeys.append(sankey_section(park, lang, category=wastes, div_id="mfa-sankey-waste",
                                      heading=t["waste_flows"]))
    ctx["sankeys"] = [{k: v for k, v in s_.items() if k != "diagram"} for s_ in sankeys]
    warnings = ([note] if note else []) + bal["warnings"] + [f"trace: {i}" for i in tra["trace_issues"]]
    ctx.update({k: v for k, v in bal.items() if k not in ("balance_result", "warnings")})
    ctx.update({k: v for k, v in ind.items() if k != "indicator_result"})
    ctx.update({k: v for k, v in tra.items() if k != "trace_issues"})
    ctx["warnings"] = warnings
    res = ind.get("indicator_result")
    if res is not None:
        # the rates the park has a value for, up front: what a bureau reads first
        tab = res.table[(res.table["unit"] == "t/t") & res.table["value"].notna()]
        label = tab["name_zh"] if lang == "zh" else tab["name"]
        key = [{"item": str(lab), "value": fmt_pct(v), "_cls": ""} for lab, v in zip(label, tab["value"])]
        ctx["summary"] = dict(ctx["summary"], rows=key + ctx["summary"]["rows"])
    return render("park.html.j2", **ctx)


def write_report(park, path: str | os.PathLike, lang: str = "en", scale: float | None = None,
                 reconcile: bool = False) -> Path:
    """Write :func:`report_html` to ``path`` atomically; returns the path."""
    path = Path(path)
    _write_atomic(path, report_html(park, lang=lang, scale=scale, reconcile=reconcile))
    return path
