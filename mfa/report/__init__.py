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
from mfa.formatting import check_lang

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
        "value_official": "official", "traced": "traced", "bounds": "bounds", "unresolved": "unresolved t/a",
        "glance": "At a glance", "opportunities": "Opportunities", "card_target": "target",
        "card_gap": "to go", "card_met": "target met", "card_missed": "target missed",
        "card_none": "no target applies", "top_opportunities": "Largest opportunities",
        "opp_from": "from", "opp_to": "to", "opp_tonnes": "t/a moved", "opp_gain": "rate gain",
        "opp_landfill": "landfill avoided t/a", "opp_co2": "CO₂ avoided t/a", "opp_cost": "cost change CNY/a",
        "opp_basis": "basis", "opp_none": "No coupling found: every waste that could go to a user here already does.",
        "opp_missing": "Couplings could not be searched: {e}",
        "opp_note": ("Ranked couplings of `mfa symbiosis` (maximise tonnes utilised): each moves waste that is "
                     "landfilled, stored or discarded today to a user in the park that can take it. Tonnes and "
                     "distances come from the park's own figures — in the example parks these are illustrative "
                     "(see the park's README); the technical basis of each coupling is its catalogue source. "
                     "Cost is shown where prices are known."),
        "retrofit_rates": "Utilisation rates today and with every coupling built (official convention)",
        "category": "category", "today": "today", "retrofit": "with the couplings",
        "glance_sankey": "Where the wastes go",
        "convention_note": ("Two conventions, both computed. Official (enterprise reporting): waste handed to a "
                            "user counts as utilised where it arises, and a user's or handler's residue is its own "
                            "generation. Traced: each tonne is followed to where it finally ends, so a process "
                            "that passes waste on utilises only the difference. Bounds cover every tonne whose "
                            "fate is unresolved."),
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
        "why": "why (not) applied", "not_applied": "Targets not applied to this park",
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
        "value_official": "统计口径", "traced": "追踪口径", "bounds": "区间", "unresolved": "去向不明 t/a",
        "glance": "一览", "opportunities": "改造机会", "card_target": "目标", "card_gap": "尚差",
        "card_met": "已达标", "card_missed": "未达标", "card_none": "无适用目标", "top_opportunities": "最大的改造机会",
        "opp_from": "来自", "opp_to": "去往", "opp_tonnes": "转移量 t/a", "opp_gain": "利用率提高",
        "opp_landfill": "减少填埋 t/a", "opp_co2": "减少CO₂ t/a", "opp_cost": "成本变化 元/年", "opp_basis": "依据",
        "opp_none": "未发现可行的耦合：园区内可被利用的废物均已送往利用单位。",
        "opp_missing": "无法搜索耦合：{e}",
        "opp_note": ("`mfa symbiosis` 给出的耦合（按利用量最大化排序）：把目前填埋、贮存或排放的废物送往园区内能够消纳的单位。"
                     "吨数和距离来自园区自身数据——示例园区中为示意值（见园区 README）；每项耦合的技术依据为其目录来源。"
                     "已知价格时给出成本变化。"),
        "retrofit_rates": "现状与实施全部耦合后的综合利用率（统计口径）",
        "category": "类别", "today": "现状", "retrofit": "实施耦合后",
        "glance_sankey": "废物去向",
        "convention_note": ("两种口径同时计算。统计口径（企业报表）：废物交给利用单位即在产生处计为综合利用，利用或处置单位"
                            "产生的残渣计为其自身产生量。追踪口径：每吨废物追踪至最终去向，接收废物又送出废物的单位只将其差额"
                            "计为利用。区间涵盖所有去向不明的废物。"),
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
        "why": "适用与否的依据", "not_applied": "不适用于本园区的目标",
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
    from mfa.mass_balance import balance

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
        from mfa.utilisation import indicators

        res = indicators(park)
    except Exception as exc:  # the report degrades section by section, never as a whole
        return {"indicators_missing": t["missing_indicators"].format(e=_why(exc)), "indicators": None,
                "targets": None, "targets_not_applied": None, "util_chart": "", "indicator_issues": [],
                "indicator_result": None}
    tab = res.table.copy()
    tab["label"] = tab["name_zh"] if lang == "zh" else tab["name"]
    tab["formula_t"] = tab["formula_zh"] if lang == "zh" else tab["formula"]

    def val(row_v, unit):
        return fmt_pct(row_v) if unit == "t/t" else fmt_t(row_v, 3)

    tab["value_t"] = [val(v, u) if not (isinstance(v, float) and math.isnan(v)) else _s(r)
                      for v, u, r in zip(tab["value"], tab["unit"],
                                         tab["reason_zh"] if lang == "zh" else tab["reason"])]
    nan = lambda v: v is None or (isinstance(v, float) and math.isnan(v))  # noqa: E731
    tab["traced_t"] = ["" if nan(v) else val(v, u) for v, u in zip(tab["traced"], tab["unit"])]
    tab["bounds_t"] = ["" if nan(lo) or nan(hi) or u != "t/t" else f"{fmt_pct(lo)} – {fmt_pct(hi)}"
                       for lo, hi, u in zip(tab["lower"], tab["upper"], tab["unit"])]
    ind = _table(tab, [("label", t["indicator"], None), ("value_t", t["value_official"], None),
                       ("traced_t", t["traced"], None), ("bounds_t", t["bounds"], None),
                       ("unresolved", t["unresolved"], fmt_t),
                       ("numerator", t["numerator"], fmt_t), ("denominator", t["denominator"], fmt_t),
                       ("formula_t", t["formula"], None), ("source", t["source"], None)], empty=t["empty"])
    tg = res.targets
    targets = None
    hidden = 0
    not_applied = pd.DataFrame()
    if len(tg) and "applies" in tg.columns:
        # targets of another region or level are named with the reason, never checked (issue 10, item 7)
        fits = tg["applies"].astype(bool).to_numpy()
        not_applied = tg[~fits].copy()
        not_applied["label"] = not_applied["indicator"].map(dict(zip(tab["id"], tab["label"])))
        tg = tg[fits]
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
                              ("source", t["source"], None)]
                         + ([("why", t["why"], None)] if "why" in tg.columns else []),
                         row_class=lambda r: "flag" if r["passed"] is False else "", empty=t["empty"])
    chart = ""
    try:
        from mfa.charts import chart_svg, utilisation_chart

        chart = chart_svg(utilisation_chart(res, lang=lang))
    except Exception as exc:
        from dataclasses import replace  # results are frozen: a new one carries the chart's message

        from mfa.errors import Issue

        chart = ""
        res = replace(res, messages=res.messages + (Issue.note(f"chart: {_why(exc)}", severity="warning"),))
    skipped = _table(not_applied, [("id", "id", None), ("label", t["indicator"], None),
                                   ("region", t["region"], None), ("level", t["level"], None),
                                   ("why", t["why"], None)]) if len(not_applied) else _table(pd.DataFrame(), [])
    return {"indicators_missing": "", "indicators": ind, "targets": targets or _table(pd.DataFrame(), []),
            "convention_note": t["convention_note"],
            "targets_not_applied": skipped,
            "util_chart": chart, "indicator_issues": list(res.issues)
            + ([t["hidden_targets"].format(n=hidden)] if hidden else []), "indicator_result": res}


def trace_section(park, lang: str, max_rows: int = 200) -> dict:
    t = TEXT[lang]
    try:
        from mfa.tracing import trace

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
            from mfa.sankey_diagram import sankey

            diagram = sankey(park, lang=lang, scale=scale, div_id=div_id, category=category)
        frag = diagram.to_html(full_html=False, include_plotlyjs=False)
        svg = diagram.to_svg()
        svg = svg[svg.find("<svg"):]
    except Exception as exc:
        return {"sankey_missing": t["missing_sankey"].format(e=_why(exc)), "sankey_html": "", "sankey_svg": "",
                "sankey_note": "", "diagram": None}
    return {"sankey_missing": "", "sankey_html": frag, "sankey_svg": svg, "sankey_note": diagram._note(),
            "diagram": diagram, "heading": heading}


# Above this many processes a diagram is no longer readable: the report draws the park by group and kind.
MAX_DRAWN_PROCESSES = 300


def aggregated(park, max_processes: int = MAX_DRAWN_PROCESSES) -> tuple[Any, str]:
    """The park to draw: ``park`` itself up to ``max_processes`` processes, else one process per group
    (internal processes; by kind where they have no group, or where groups alone are still too many) and one
    per boundary kind, flows summed per pair and material, stocks per process and material, and flows inside
    a group left out (they cancel in its balance). Imports, exports, environment, landfill and Δstock, hence
    the system balance, are the park's. Returns the park to draw and a note ("" when not aggregated)."""
    procs = park.processes
    n = len(procs)
    if n <= max_processes:
        return park, ""
    import mfa
    from mfa.conventions import BOUNDARY_KINDS

    boundary = procs["kind"].isin(list(BOUNDARY_KINDS)).to_numpy()
    group = procs["group"].astype(object)
    has_group = (group.notna() & (group.astype(str).str.strip() != "")).to_numpy()
    by = "group" if (has_group & ~boundary).any() else "kind"
    if group[has_group & ~boundary].nunique() + 8 > max_processes:
        has_group[:] = False
        by = "kind"
    kind_key = "kind:" + procs["kind"].astype(str)
    group_key = "group:" + group.astype(str)
    key = kind_key.where(boundary | ~has_group, group_key)
    # storage without stock data takes its stock change from its balance: kept in nodes of its own, whose
    # derived stock change is then the sum of its members'
    derived = (procs["kind"] == "storage") & ~procs["id"].isin(park.stocks["process"])
    # … unless an unknown flow touches it: its stock change is unknown and left out of the system balance,
    # so such storage is drawn as a pass-through node (no stock change) of its own
    fl = park.flows
    unknown = fl["value"].isna()
    incomplete = derived & procs["id"].isin(pd.concat([fl["source"][unknown], fl["target"][unknown]]))
    key = key.where(~derived | incomplete, key + " (storage)")
    key = key.where(~incomplete, key + " (storage, stock change unknown)")
    # every node keeps boundary and internal processes apart, so the system's totals cannot move
    key = pd.Series(np.where(boundary, "b|", "i|"), index=key.index) + key
    codes, uniq = pd.factorize(key, sort=True)
    node_ids = np.array([f"agg{i:04d}" for i in range(len(uniq))], dtype=object)
    first = pd.DataFrame({"code": codes, "kind": procs["kind"].to_numpy()})
    # an internal node takes its members' most common kind (ties: the first in sorted order)
    kinds = (first.groupby(["code", "kind"]).size().reset_index(name="n")
             .sort_values(["code", "n", "kind"], ascending=[True, False, True]).drop_duplicates("code"))
    kind_of = kinds.set_index("code")["kind"].reindex(range(len(uniq))).to_numpy(dtype=object)
    kind_of[np.array([u.endswith("stock change unknown)") for u in uniq], dtype=bool)] = "collection"
    size = np.bincount(codes, minlength=len(uniq))
    labels = [u.split("|", 1)[1].split(":", 1)[1] for u in uniq]
    new_procs = pd.DataFrame({"id": node_ids, "name": [f"{lab} ({c})" for lab, c in zip(labels, size)],
                              "name_zh": [f"{lab}（{c}）" for lab, c in zip(labels, size)], "kind": kind_of,
                              "group": labels})
    node_of = dict(zip(procs["id"], node_ids[codes]))
    f = pd.DataFrame({"source": fl["source"].map(node_of), "target": fl["target"].map(node_of),
                      "material": fl["material"], "value": fl["value"]})
    f = f[f["source"] != f["target"]]
    f = (f.groupby(["source", "target", "material"], sort=True)["value"].sum(min_count=1).reset_index())
    f = f[f["value"].notna()]
    st = park.stocks
    new_stocks = None
    if len(st):
        s2 = st.assign(process=st["process"].map(node_of))
        new_stocks = s2.groupby(["process", "material"], sort=True)[["opening", "closing"]].sum().reset_index()
    mats = park.materials
    used = mats[mats["id"].isin(f["material"].unique())]
    info = park.info.model_dump()
    agg = mfa.Park.from_frames(processes=new_procs, flows=f.reset_index(drop=True), materials=used,
                               stocks=new_stocks, info=info)
    drawn = len(new_procs)
    note = (f"The park has {n:,} processes: too many to draw one by one. The diagrams show them aggregated by "
            f"{by} and, for the boundary, by kind ({drawn} nodes; flows inside a {by} are left out). The "
            "park's imports, exports, emissions, landfill and stock change, hence its system balance, are "
            "unchanged; every process is listed in the balance table.")
    return agg, note


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


def headline_cards(res, lang: str) -> list[dict]:
    """One card per rate the park has a value for: value (official), traced, the most demanding target that
    applies (kind ``target`` first, else a baseline), the gap in t/a and whether it is met."""
    t = TEXT[lang]
    tab = res.table[(res.table["unit"] == "t/t") & res.table["value"].notna()]
    tg = res.targets
    if len(tg) and "applies" in tg.columns:
        tg = tg[tg["applies"].astype(bool) & tg["value"].notna()]
    cards = []
    for r in tab.to_dict("records"):
        rows = tg[tg["indicator"] == r["id"]] if len(tg) else tg
        decisive = rows[rows["kind"] == "target"] if len(rows) and (rows["kind"] == "target").any() else rows
        if len(decisive):
            top = decisive.sort_values(["target", "id"], ascending=[False, True], kind="stable").iloc[0]
            met = bool(decisive["passed"].fillna(False).astype(bool).all())
            status, target = ("met" if met else "missed"), float(top["target"])
            gap = float(decisive["gap_t"].max())
            year = "" if pd.isna(top["year"]) else f" ({int(top['year'])})"
            target_t = f"{t['card_target']} {fmt_pct(target)}{year}"
        else:
            status, target, gap, target_t = "none", float("nan"), float("nan"), t["card_none"]
        cards.append({"id": r["id"], "label": r["name_zh"] if lang == "zh" else r["name"],
                      "value": repr(float(r["value"])), "value_t": fmt_pct(r["value"]),
                      "traced_t": (f"{t['traced']} {fmt_pct(r['traced'])}" if r.get("traced") is not None
                                   and not pd.isna(r.get("traced")) else ""),
                      "target_t": target_t, "status": status,
                      "status_t": "" if status == "none" else t["card_" + status],
                      "gap_t": (f"{t['card_gap']} {fmt_t(gap, 0)} t/a" if status == "missed" else "")})
    return cards


def opportunity_section(park, lang: str) -> dict:
    """The ranked couplings of :func:`mfa.symbiosis.discover` and the rates with all of them built."""
    t = TEXT[lang]
    try:
        from mfa.symbiosis import discover

        res = discover(park)
    except Exception as exc:  # the report degrades section by section, never as a whole
        return {"opportunities_missing": t["opp_missing"].format(e=_why(exc)), "opportunities": [],
                "retrofit_rates": None}
    names = dict(zip(park.processes["id"], park.processes["name_zh" if lang == "zh" else "name"]))
    if lang == "zh":
        names = {k: (v or k) for k, v in names.items()}
    mats = park.materials.set_index("id")
    mat_name = (mats["name_zh"] if lang == "zh" else mats["name"]).to_dict()
    rows = []
    for c in res.couplings.to_dict("records"):
        rows.append({
            "rank": int(c["rank"]), "from": _s(names.get(c["from"], c["from"])) or c["from"],
            "to": _s(names.get(c["to"], c["to"])) or c["to"],
            "material": _s(mat_name.get(c["material"], c["material"])) or c["material"],
            "tonnes": repr(float(c["tonnes"])), "tonnes_t": fmt_t(c["tonnes"], 0),
            "gain_t": ("+" + fmt_pct(c["utilisation_rate_gain"], 2)) if not pd.isna(c["utilisation_rate_gain"])
            else "", "landfill_t": fmt_t(c["landfill_avoided"], 0), "co2_t": fmt_t(c["co2_avoided"], 0),
            "cost_t": fmt_t(c["cost_change"], 0), "basis": _s(c.get("source")),
        })
    before = res.summary.get("utilisation_rates_before", {}) or {}
    after = res.summary.get("utilisation_rates_after", {}) or {}
    cats = sorted(set(before) | set(after))
    rates = pd.DataFrame({"category": [_category_label(c, lang) for c in cats],
                          "today": [before.get(c) for c in cats], "retrofit": [after.get(c) for c in cats]})
    table = _table(rates, [("category", t["category"], None), ("today", t["today"], fmt_pct),
                           ("retrofit", t["retrofit"], fmt_pct)]) if len(cats) else None
    return {"opportunities_missing": "", "opportunities": rows, "retrofit_rates": table}


def _category_label(category: str, lang: str) -> str:
    zh = {"industrial_solid_waste": "一般工业固体废物", "hazardous_waste": "危险废物", "straw": "农作物秸秆",
          "manure": "畜禽粪污", "renewable_resource": "再生资源", "construction_waste": "建筑垃圾",
          "municipal_waste": "生活垃圾"}
    return zh.get(category, category) if lang == "zh" else category.replace("_", " ")


# ------------------------------------------------------------------------------------------------
# the report
# ------------------------------------------------------------------------------------------------
def report_html(park, lang: str = "en", scale: float | None = None, reconcile: bool = False,
                solve: bool = True) -> str:
    """The report of ``park`` as one self-contained HTML document (str). See the module docstring.

    ``solve`` (default): report the park with every unknown flow that the balances determine computed
    (:func:`mfa.solved.solve_park`; measured values as given); ``reconcile``: also reconcile measured values
    (:func:`mfa.solve.reconcile`). A note in the data-quality section says what was computed.
    """
    import mfa

    check_lang(lang)
    note = ""
    if reconcile:
        park, note = reconciled(park)
    elif solve:
        from mfa.solved import solve_park

        solved = solve_park(park)
        park = solved.park
        if len(solved.computed) or solved.undetermined or solved.messages:
            note = (f"已由过程平衡计算 {len(solved.computed)} 条未知流（实测值保持原样）"
                    + (f"；{len(solved.undetermined)} 条未知流无法由数据确定" if solved.undetermined else "")
                    if lang == "zh" else solved.note)
    t = TEXT[lang]
    info = park.info
    name = (info.name_zh or info.name) if lang == "zh" else info.name
    ctx: dict[str, Any] = {"lang": lang, "t": t, "version": mfa.__version__,
                           "title": f"{t['report']} — {name}" + (f" {info.year}" if info.year else ""),
                           "subtitle": " · ".join(x for x in [info.name, info.name_zh or "", info.region or "",
                                                              _s(info.description)] if x),
                           "plotlyjs": plotly_js(), "footer": t["footer"].format(v=mfa.__version__)}
    ctx["nav"] = [(k, t[k]) for k in ("glance", "summary", "quality", "balance", "indicators", "opportunities",
                                      "sankey", "trace")]
    bal = balance_section(park, lang)
    ind = indicator_section(park, lang)
    tra = trace_section(park, lang)
    drawn, agg_note = aggregated(park)
    sankeys = [sankey_section(drawn, lang, scale=scale, heading=t["all_flows"])]
    wastes = waste_categories(drawn)
    if wastes:
        # the wastes are small next to coal, air and products: drawn again on their own, at their own scale
        sankeys.append(sankey_section(drawn, lang, category=wastes, div_id="mfa-sankey-waste",
                                      heading=t["waste_flows"]))
    if agg_note:
        for s_ in sankeys:
            s_["sankey_note"] = (agg_note + " " + s_.get("sankey_note", "")).strip()
    ctx["sankeys"] = [{k: v for k, v in s_.items() if k != "diagram"} for s_ in sankeys]
    # the first screen leads with the waste Sankey; the whole park's diagram stays in its section
    ctx["glance_sankey"] = ctx["sankeys"][1] if len(ctx["sankeys"]) > 1 else None
    ctx["sankeys"] = ctx["sankeys"][:1]
    ctx.update(opportunity_section(park, lang))
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
        ctx["cards"] = headline_cards(res, lang)
    else:
        ctx["cards"] = []
    return render("park.html.j2", **ctx)


def write_report(park, path: str | os.PathLike, lang: str = "en", scale: float | None = None,
                 reconcile: bool = False, solve: bool = True) -> Path:
    """Write :func:`report_html` to ``path`` atomically; returns the path."""
    path = Path(path)
    _write_atomic(path, report_html(park, lang=lang, scale=scale, reconcile=reconcile, solve=solve))
    return path
