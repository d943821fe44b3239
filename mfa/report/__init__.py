"""The park report: one self-contained, offline HTML file for a park manager's bureau or a paper's appendix.

Sections: summary and system balance; data-quality warnings (unknown flows, estimated flows, imbalanced
processes, flows the trace could not follow); the balance table with flagged processes; the utilisation
rates against targets (with a chart); the interactive Sankey (plus a static SVG for printing); fate and
generation charts and the trace table; the full detail — every flow and process in a searchable table and a
Sankey of any process, group or material, drawn in the page from the rows embedded once as JSON
(:mod:`mfa.report.detail`), with every flow also written beside the page as ``<name>.flows.csv``.

Guarantees
    * **Offline**: Sankeys and charts are inline SVG (no script library, no CDN); no external fonts.
    * **Escaped**: every text from the park (names, notes, ids) goes through Jinja2 autoescaping.
    * **Deterministic**: the same park gives a byte-identical file (fixed element ids, no timestamps,
      SVG hash salt fixed).
    * **Degrades, never crashes**: a section whose engine is missing or fails shows a note saying why.
    * Script errors in the page are recorded in ``<pre id="mfa-js-errors">`` (used by the browser test).

Languages: ``lang="zh"`` says everything in Chinese (:class:`Voice`): the texts below, the engines' words
and messages by code (:mod:`mfa.i18n`), Chinese names of processes and materials; ids appear only where the
user typed them. Numbers go through :mod:`mfa.formatting` (tonnes without false decimals, shares as
percentages, never scientific notation), in 万t in Chinese where the park's own unit is 万t.

Conventions: flows in t/a, stocks in t; residual = inputs − outputs − stock change (see :mod:`mfa.balance`).

>>> import mfa
>>> from mfa.report import write_report
>>> write_report(mfa.read_park("wuhai"), "report.html", lang="zh")   # doctest: +SKIP
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd

from mfa.errors import MfaError
from mfa.formatting import check_lang, display_unit, number, percent, tonnes
from mfa.i18n import CATEGORY_ZH, LEVEL_ZH, MESSAGES_ZH, REGION_ZH, SOURCE_ZH, WORDS_EN, WORDS_ZH
from mfa.report.page import render
from mfa.report.page import table as _table
from mfa.report.page import text as _s
from mfa.report.page import why as _why
from mfa.report.page import write_text as _write_atomic

__all__ = ["report_html", "write_report", "render", "Voice", "word", "aggregated", "waste_categories",
           "reconciled", "headline_cards", "opportunity_section", "balance_section", "indicator_section",
           "trace_section", "sankey_section", "TEXT", "MAX_DRAWN_PROCESSES"]

TEXT: dict[str, dict[str, str]] = {
    "en": {
        "report": "Material flow report", "summary": "Summary", "system": "System balance ({u}/a)",
        "quality": "Data quality", "balance": "Process balances", "indicators": "Indicators and targets",
        "targets": "Targets", "sankey": "Sankey diagram", "trace": "Where the waste goes",
        "static": "Static diagram (for printing)", "unknown_flows": "Flows of unknown value",
        "estimated_flows": "Estimated flows (generated from activity data)",
        "no_warnings": "No warnings: every flow has a value and every process balances.",
        "conventions": "Units: flows in {u}/a, stocks in {u}. Residual = inputs − outputs − stock change "
                       "(closing − opening). Boundary processes (import, export, environment, landfill) "
                       "have no balance.",
        "balance_note": "Flagged (red) rows are processes whose residual exceeds the park's tolerance.",
        "processes": "processes", "flows": "flows", "materials": "materials", "item": "item", "value": "value",
        "term": "term", "process": "process", "name": "name", "kind": "kind", "inputs": "inputs",
        "outputs": "outputs", "stock_change": "stock change", "residual": "residual",
        "residual_rel": "residual %", "status": "status", "indicator": "indicator", "numerator": "numerator {u}/a",
        "denominator": "denominator {u}/a", "formula": "formula", "source": "source", "target": "target",
        "value_official": "official", "traced": "traced", "bounds": "bounds", "unresolved": "unresolved {u}/a",
        "glance": "At a glance", "opportunities": "Opportunities", "card_target": "target",
        "card_gap": "to go", "card_met": "target met", "card_missed": "target missed",
        "card_none": "no target applies", "top_opportunities": "Largest opportunities", "opp_now": "now to",
        "opp_from": "from", "opp_to": "to", "opp_tonnes": "{u}/a moved", "opp_gain": "rate gain",
        "opp_landfill": "landfill avoided {u}/a", "opp_co2": "CO₂ avoided {u}/a", "opp_cost": "cost change CNY/a",
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
        "passed": "met", "gap": "gap {u}/a", "level": "level", "material": "material", "origin": "origin",
        "stage": "stage", "fate": "fate", "tonnes": "{u}/a", "share": "share", "id": "flow",
        "from": "from", "to": "to", "note": "note", "yes": "yes", "no": "no", "region": "region",
        "year": "year", "known_total": "{u}/a in known flows", "unknown": "unknown flows",
        "estimated": "estimated flows", "imbalanced": "imbalanced processes",
        "missing_indicators": "Indicators are not available: {e}",
        "missing_trace": "The trace is not available: {e}", "missing_sankey": "The Sankey is not available: {e}",
        "w_unknown": "{n} flow(s) have no value; they are not drawn and not counted in the totals. "
                     "`mfa reconcile` computes those that the balances and transfer coefficients determine.",
        "w_estimated": "{n} flow(s) are estimated from activity data and coefficients ({v} {u}/a).",
        "w_imbalanced": "{n} process(es) do not balance: {names}.",
        "w_residual": "The system balance leaves a residual of {v} {u}/a ({p} of throughput).",
        "more": "… and {n} more rows (see the --json output of the command).",
        "empty": "nothing to show", "footer": "circular-mfa {v}: same input, same file.",
        "hidden_targets": "{n} target(s) for indicators without a value in this park are not listed.",
        "why": "why (not) applied", "not_applied": "Targets not applied to this park",
        "all_flows": "All flows", "waste_flows": "Wastes only (solid, hazardous, agricultural, renewable)",
    },
    "zh": {
        "report": "物质流分析报告", "summary": "概要", "system": "系统平衡（{u}/a）", "quality": "数据质量",
        "balance": "各过程物质平衡", "indicators": "指标与目标", "targets": "目标", "sankey": "桑基图",
        "trace": "废物去向", "static": "静态图（供打印）", "unknown_flows": "数值未知的流",
        "estimated_flows": "估算的流（由活动数据产生）",
        "no_warnings": "无警告：所有流均有数值，所有过程均平衡。",
        "conventions": "单位：流为 {u}/a，库存为 {u}。残差 = 输入 − 输出 − 库存变化（期末 − 期初）。"
                       "边界过程（输入、输出、环境、填埋）不做平衡。",
        "balance_note": "标红的行为残差超出园区容差的过程。",
        "processes": "过程", "flows": "流", "materials": "物质", "item": "项目", "value": "数值", "term": "项",
        "process": "过程", "name": "名称", "kind": "类型", "inputs": "输入", "outputs": "输出",
        "stock_change": "库存变化", "residual": "残差", "residual_rel": "残差 %", "status": "状态",
        "indicator": "指标", "numerator": "分子 {u}/a", "denominator": "分母 {u}/a", "formula": "公式",
        "value_official": "统计口径", "traced": "追踪口径", "bounds": "区间", "unresolved": "去向不明 {u}/a",
        "glance": "一览", "opportunities": "改造机会", "card_target": "目标", "card_gap": "尚差",
        "card_met": "已达标", "card_missed": "未达标", "card_none": "无适用目标", "top_opportunities": "最大的改造机会",
        "opp_now": "现去向",
        "opp_from": "来自", "opp_to": "去往", "opp_tonnes": "转移量 {u}/a", "opp_gain": "利用率提高",
        "opp_landfill": "减少填埋 {u}/a", "opp_co2": "减少二氧化碳 {u}/a", "opp_cost": "成本变化（元/年）", "opp_basis": "依据",
        "opp_none": "未发现可行的耦合：园区内可被利用的废物均已送往利用单位。",
        "opp_missing": "无法搜索耦合：{e}",
        "opp_note": ("产业共生分析给出的耦合（按利用量最大化排序）：把目前填埋、贮存或排放的废物送往园区内能够消纳的单位。"
                     "吨数和距离来自园区自身数据——示例园区中为示意值（见园区说明文件）；每项耦合的技术依据为其目录来源编号。"
                     "已知价格时给出成本变化。"),
        "retrofit_rates": "现状与实施全部耦合后的综合利用率（统计口径）",
        "category": "类别", "today": "现状", "retrofit": "实施耦合后",
        "glance_sankey": "废物去向",
        "convention_note": ("两种口径同时计算。统计口径（企业报表）：废物交给利用单位即在产生处计为综合利用，利用或处置单位"
                            "产生的残渣计为其自身产生量。追踪口径：每吨废物追踪至最终去向，接收废物又送出废物的单位只将其差额"
                            "计为利用。区间涵盖所有去向不明的废物。"),
        "source": "来源", "target": "目标", "passed": "达标", "gap": "差距 {u}/a", "level": "层级",
        "material": "物质", "origin": "产生源", "stage": "阶段", "fate": "去向", "tonnes": "{u}/a",
        "share": "比例", "id": "流", "from": "从", "to": "到", "note": "备注", "yes": "是", "no": "否",
        "region": "地区", "year": "年份", "known_total": "已知流合计 {u}/a", "unknown": "未知流",
        "estimated": "估算流", "imbalanced": "不平衡过程",
        "missing_indicators": "指标不可用：{e}", "missing_trace": "去向追踪不可用：{e}",
        "missing_sankey": "桑基图不可用：{e}",
        "w_unknown": "{n} 条流没有数值；未绘出，也未计入合计。物质流协调（reconcile）可由平衡和传递系数计算其中可确定的流。",
        "w_estimated": "{n} 条流由活动数据和系数估算（{v} {u}/a）。",
        "w_imbalanced": "{n} 个过程不平衡：{names}。",
        "w_residual": "系统平衡残差为 {v} {u}/a（占通量的 {p}）。",
        "more": "…… 另有 {n} 行未列出。", "empty": "无数据",
        "footer": "由 circular-mfa {v} 生成：相同输入，相同文件。",
        "hidden_targets": "本园区无数值的指标的 {n} 项目标未列出。",
        "why": "适用与否的依据", "not_applied": "不适用于本园区的目标",
        "all_flows": "全部物质流", "waste_flows": "仅废物流（固废、危废、农业废弃物、再生资源）",
    },
}


def word(text: Any, lang: str) -> str:
    """An engine word (status, kind, fate …) in the report's language (:data:`mfa.i18n.WORDS_ZH`).

    Parameters
    ----------
    text : Any
        The engine's word; missing values give "".
    lang : {"en", "zh"}

    Returns
    -------
    str

    Examples
    --------
    >>> word("utilised", "zh"), word("utilised", "en"), word("stock_change", "en"), word(None, "zh")
    ('综合利用', 'utilised', 'stock change', '')
    """
    text = _s(text)
    return WORDS_ZH.get(text, text) if lang == "zh" else WORDS_EN.get(text, text.replace("_", " "))


def _number(v: Any) -> float | None:
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


@dataclass(frozen=True)
class Voice:
    """How one report speaks: its language, the mass unit it shows (万t in Chinese for a park whose own unit
    is 万t, see :func:`mfa.formatting.display_unit`), its texts with that unit filled in, and the names of
    the park's processes and materials in that language.

    Examples
    --------
    >>> import mfa
    >>> v = Voice.of(mfa.read_park("wuhai"), "zh")
    >>> v.unit, v.mass(28_862_680.0), v.pct(0.5511), v.t["tonnes"], v.process("cement_plant")
    ('万t', '2,886.27', '55.1 %', '万t/a', '水泥厂（电石渣配料）')
    """

    lang: str
    unit: str
    t: dict
    processes: dict
    materials: dict

    @classmethod
    def of(cls, park: Any, lang: str) -> "Voice":
        """The voice of ``park``'s report in ``lang``.

        Parameters
        ----------
        park : mfa.Park
        lang : {"en", "zh"}

        Returns
        -------
        Voice

        Examples
        --------
        >>> import mfa
        >>> v = Voice.of(mfa.read_park("wuhai"), "zh")
        >>> v.lang, v.unit
        ('zh', '万t')
        >>> Voice.of(mfa.read_park("wuhai"), "en").unit
        't'
        """
        check_lang(lang)
        unit = display_unit(park.info.unit, lang)
        texts = {k: v.replace("{u}", unit) for k, v in TEXT[lang].items()}
        return cls(lang, unit, texts, _labels(park.processes, lang), _labels(park.materials, lang))

    def mass(self, v: Any) -> str:
        """t or 万t (the voice's unit), thousands separators, no false decimals; blank when missing.

        Parameters
        ----------
        v : Any
            Tonnes (t/a or t).

        Returns
        -------
        str

        Examples
        --------
        >>> import mfa
        >>> v = Voice.of(mfa.read_park("wuhai"), "zh")
        >>> v.mass(28_862_680.0), v.mass(None)
        ('2,886.27', '')
        >>> Voice.of(mfa.read_park("wuhai"), "en").mass(1234.5)
        '1,234'
        """
        return tonnes(_number(v), self.unit)

    def pct(self, v: Any, digits: int = 1) -> str:
        """A fraction as a percentage; blank when missing.

        Parameters
        ----------
        v : Any
            A fraction.
        digits : int
            Decimals shown.

        Returns
        -------
        str

        Examples
        --------
        >>> import mfa
        >>> v = Voice.of(mfa.read_park("wuhai"), "zh")
        >>> v.pct(0.5511), v.pct(0.5511, 2), v.pct(None)
        ('55.1 %', '55.11 %', '')
        """
        return percent(_number(v), digits)

    def pct2(self, v: Any) -> str:
        """A fraction as a percentage with two decimals; blank when missing.

        Parameters
        ----------
        v : Any
            A fraction.

        Returns
        -------
        str

        Examples
        --------
        >>> import mfa
        >>> v = Voice.of(mfa.read_park("wuhai"), "zh")
        >>> v.pct2(0.5511)
        '55.11 %'
        """
        return self.pct(v, 2)

    def word(self, text: Any) -> str:
        """An engine word (status, kind, fate …) in this voice (see :func:`word`).

        Parameters
        ----------
        text : Any
            The engine's word.

        Returns
        -------
        str

        Examples
        --------
        >>> import mfa
        >>> v = Voice.of(mfa.read_park("wuhai"), "zh")
        >>> v.word("utilised"), Voice.of(mfa.read_park("wuhai"), "en").word("stock_change")
        ('综合利用', 'stock change')
        """
        return word(text, self.lang)

    def sources(self, text: Any) -> str:
        """A ``source`` cell (reference ids such as ``S12;S50``, or words such as ``derived``) in this voice.

        Parameters
        ----------
        text : Any

        Returns
        -------
        str

        Examples
        --------
        >>> import mfa
        >>> v = Voice.of(mfa.read_park("wuhai"), "zh")
        >>> v.sources("derived"), Voice.of(mfa.read_park("wuhai"), "en").sources("derived")
        ('推导', 'derived')
        """
        if self.lang != "zh":
            return _s(text)
        return ";".join(SOURCE_ZH.get(x.strip(), x.strip()) for x in _s(text).split(";"))

    def process(self, pid: Any) -> str:
        """A process's name in this voice (its id when the park does not name it).

        Parameters
        ----------
        pid : Any
            A process id.

        Returns
        -------
        str

        Examples
        --------
        >>> import mfa
        >>> v = Voice.of(mfa.read_park("wuhai"), "zh")
        >>> v.process("cement_plant"), v.process("nowhere")
        ('水泥厂（电石渣配料）', 'nowhere')
        """
        return self.processes.get(pid, _s(pid))

    def material(self, mid: Any) -> str:
        """A material's name in this voice (its id when the park does not name it).

        Parameters
        ----------
        mid : Any
            A material id.

        Returns
        -------
        str

        Examples
        --------
        >>> import mfa
        >>> v = Voice.of(mfa.read_park("wuhai"), "zh")
        >>> v.material("aac_blocks"), v.material("nothing")
        ('蒸压加气混凝土砌块', 'nothing')
        """
        return self.materials.get(mid, _s(mid))

    def message(self, m: Any) -> str:
        """An engine message (:class:`mfa.errors.Message` or :class:`mfa.errors.Issue`) in this voice: by its
        code from :data:`mfa.i18n.MESSAGES_ZH` in Chinese, its own text otherwise.

        Parameters
        ----------
        m : Message, Issue or str

        Returns
        -------
        str

        Examples
        --------
        >>> import mfa
        >>> v = Voice.of(mfa.read_park("wuhai"), "zh")
        >>> from mfa.solve.model import example_park
        >>> m = mfa.solve_park(example_park()).messages[0]
        >>> m.code
        'solved.computed'
        >>> v.message(m)
        '已由过程平衡计算 1 条未知流（共 1 条；实测值保持原样）'
        >>> Voice.of(mfa.read_park("wuhai"), "en").message(m)
        '1 of 1 unknown flow(s) computed from the balances (measured values kept as given)'
        """
        code = getattr(m, "code", None)
        template = MESSAGES_ZH.get(code) if self.lang == "zh" and code else None
        text = getattr(m, "message", m) if not isinstance(m, str) else m
        if template is None:
            return str(text)
        params = {}
        for k, v in getattr(m, "params", {}).items():
            if k == "tonnes":
                v = f"{self.mass(v)} {self.t['tonnes']} "
            elif k == "process":
                v = self.process(v)
            elif k == "material":
                v = self.material(v)
            elif k == "kind":
                v = self.word(v)
            elif k == "flows":
                v = "、".join(str(x) for x in v)
            elif isinstance(v, float):
                v = number(v)
            params[k] = v
        return template.format(**params)


def _labels(frame, lang: str) -> dict[str, str]:
    """id → display name: the Chinese name in Chinese where given, else the name, else the id."""
    base = frame["name"].fillna("").astype(str)
    base = base.where(base != "", frame["id"].astype(str))
    if lang == "zh":
        zh = frame["name_zh"].fillna("").astype(str)
        base = zh.where(zh != "", base)
    return dict(zip(frame["id"], base))


# ------------------------------------------------------------------------------------------------
# sections
# ------------------------------------------------------------------------------------------------
def balance_section(park: Any, lang: str) -> dict:
    """Summary, system balance, balance table and the balance-related warnings of ``park``.

    Parameters
    ----------
    park : mfa.Park
    lang : {"en", "zh"}

    Returns
    -------
    dict
        Template context: ``summary``, ``system``, ``balance``, ``unknown``, ``estimated`` (tables),
        ``warnings`` (sentences) and ``balance_result`` (the :func:`mfa.balance` result).

    Examples
    --------
    >>> import mfa
    >>> sec = balance_section(mfa.read_park("wuhai"), "zh")
    >>> sec["balance"]["columns"][3]["label"], sec["balance"]["rows"][0]["inputs"]
    ('输入', '0')
    """
    from mfa.mass_balance import balance

    v = Voice.of(park, lang)
    t = v.t
    b = balance(park)
    procs = b.processes.copy()
    procs["name"] = procs["process"].map(v.processes)
    procs["kind_t"] = [v.word(k) for k in procs["kind"]]
    procs["status_t"] = [v.word(k) for k in procs["status"]]
    flows = park.flows
    known = flows["value"].notna()
    info = park.info
    summary_rows = pd.DataFrame([
        {"item": t["processes"], "value": str(len(park.processes))},
        {"item": t["flows"], "value": str(len(flows))},
        {"item": t["materials"], "value": str(flows["material"].nunique())},
        {"item": t["known_total"], "value": v.mass(flows.loc[known, "value"].sum())},
        {"item": t["unknown"], "value": str(int((~known).sum()))},
        {"item": t["estimated"], "value": str(int(flows["estimated"].sum()))},
        {"item": t["imbalanced"], "value": str(int((procs["status"] == "imbalanced").sum()))},
    ] + ([{"item": t["region"], "value": info.region}] if info.region else [])
      + ([{"item": t["year"], "value": str(info.year)}] if info.year else []))
    system = pd.DataFrame({"term": [v.word(k) for k in b.system], "value": [
        v.pct2(x) if k == "residual_rel" else (v.mass(x) if isinstance(x, float) else v.word(x))
        for k, x in b.system.items()]})
    warnings: list[str] = []
    n_unknown = int((~known).sum())
    if n_unknown:
        warnings.append(t["w_unknown"].format(n=n_unknown))
    est = flows[flows["estimated"].astype(bool)]
    if len(est):
        warnings.append(t["w_estimated"].format(n=len(est), v=v.mass(est["value"].sum())))
    bad = b.flagged
    if len(bad):
        listed = ", ".join(f"{v.process(p)} ({v.mass(r)} {t['tonnes']})" for p, r in
                           zip(bad["process"].head(10), bad["residual"].head(10)))
        warnings.append(t["w_imbalanced"].format(n=len(bad), names=listed + (" …" if len(bad) > 10 else "")))
    if b.system.get("status") == "imbalanced":
        warnings.append(t["w_residual"].format(v=v.mass(b.system["residual"]), p=v.pct2(b.system["residual_rel"])))
    # flagged processes first, then the rest in file order
    order = np.argsort(np.where(procs["status"] == "imbalanced", 0, 1), kind="stable")
    procs = procs.iloc[order]
    bal = _table(procs, [("process", t["process"], None), ("name", t["name"], None), ("kind_t", t["kind"], None),
                         ("inputs", t["inputs"], v.mass), ("outputs", t["outputs"], v.mass),
                         ("stock_change", t["stock_change"], v.mass), ("residual", t["residual"], v.mass),
                         ("residual_rel", t["residual_rel"], v.pct2), ("status_t", t["status"], None)],
                 row_class=lambda r: "flag" if r["status"] == "imbalanced" else "ok", empty=t["empty"])
    # the flow's id is what the user typed; its ends and material are shown by name
    shown = flows.assign(source=flows["source"].map(v.process), target=flows["target"].map(v.process),
                         material=flows["material"].map(v.material))
    flow_cols = [("id", t["id"], None), ("source", t["from"], None), ("target", t["to"], None),
                 ("material", t["material"], None), ("note", t["note"], None)]
    unknown = _table(shown[~known], flow_cols, max_rows=100, more=t["more"], empty=t["empty"])
    estimated = _table(shown[flows["estimated"].astype(bool)], flow_cols[:4] + [("value", t["tonnes"], v.mass)],
                       max_rows=100, more=t["more"], empty=t["empty"])
    return {
        "summary": _table(summary_rows, [("item", t["item"], None), ("value", t["value"], None)]),
        "system": _table(system, [("term", t["term"], None), ("value", t["value"], None)]),
        "balance": bal, "unknown": unknown, "estimated": estimated, "warnings": warnings, "balance_result": b,
    }


def _why_zh(region: Any, level: Any, applies: bool, info: Any) -> str:
    """Why a target (does not) apply, in Chinese, from the target's region and level and the park's own:
    the same rules as :func:`mfa.targets.applicability`, said only for the part that decides."""
    from mfa.targets import province_of

    region, level = _s(region), _s(level)
    region_zh, level_zh = REGION_ZH.get(region, region), LEVEL_ZH.get(level, level)
    designation = level not in ("", "national", "regional")
    head = f"{level_zh}目标（{region_zh}）" if designation else f"{region_zh}目标"
    if applies:
        return head + ("：适用于所有园区" if region_zh == "全国" and not designation else "：适用于本园区")
    reasons = []
    if region_zh != "全国" and province_of(region) != province_of(info.region):
        reasons.append(f"园区所在地（{info.region}）不在{region_zh}" if info.region else "园区未填写所在地区")
    declared = _s(info.level).lower()
    if designation and level.lower() not in declared and level_zh not in declared:
        reasons.append(f"园区未声明为{level_zh}")
    return head + "：" + ("，且".join(reasons) or "不适用于本园区")


def _engine_or_reason(run: Callable[[], Any], missing: str) -> tuple[Any, str]:
    """Run a section's engine: (its result, "") or (None, ``missing`` with why it failed), so that the report
    degrades section by section, never as a whole (an engine that cannot be imported included: ``run`` imports
    it)."""
    try:
        return run(), ""
    except Exception as exc:
        return None, missing.format(e=_why(exc))


def indicator_section(park: Any, lang: str) -> dict:
    """Indicators against targets, with the utilisation chart; or a note saying why they are missing.

    Parameters
    ----------
    park : mfa.Park
    lang : {"en", "zh"}

    Returns
    -------
    dict
        Template context: ``indicators``, ``targets``, ``targets_not_applied`` (tables), ``util_chart`` (SVG),
        ``indicator_issues`` (sentences), ``indicator_result`` (the :func:`mfa.indicators` result, or None
        with ``indicators_missing`` saying why).

    Examples
    --------
    >>> import mfa
    >>> sec = indicator_section(mfa.read_park("wuhai"), "zh")
    >>> sec["indicators"]["rows"][0]["label"], sec["indicators"]["rows"][0]["value_t"]
    ('一般工业固体废物综合利用率', '55.1 %')
    """
    v = Voice.of(park, lang)
    t = v.t
    res, missing = _engine_or_reason(lambda: import_module("mfa.utilisation").indicators(park), t["missing_indicators"])
    if res is None:
        return {"indicators_missing": missing, "indicators": None,
                "targets": None, "targets_not_applied": None, "util_chart": "", "indicator_issues": [],
                "indicator_result": None}
    zh = lang == "zh"
    tab = res.table.copy()
    tab["label"] = tab["name_zh"] if zh else tab["name"]
    tab["formula_t"] = tab["formula_zh"] if zh else tab["formula"]
    tab["source_t"] = [v.sources(x) for x in tab["source"]]

    def val(row_v, unit):
        return v.pct(row_v) if unit == "t/t" else number(_number(row_v))

    tab["value_t"] = [val(x, u) if not (isinstance(x, float) and math.isnan(x)) else _s(r)
                      for x, u, r in zip(tab["value"], tab["unit"], tab["reason_zh"] if zh else tab["reason"])]
    nan = lambda x: x is None or (isinstance(x, float) and math.isnan(x))  # noqa: E731
    tab["traced_t"] = ["" if nan(x) else val(x, u) for x, u in zip(tab["traced"], tab["unit"])]
    tab["bounds_t"] = ["" if nan(lo) or nan(hi) or u != "t/t" else f"{v.pct(lo)} – {v.pct(hi)}"
                       for lo, hi, u in zip(tab["lower"], tab["upper"], tab["unit"])]
    ind = _table(tab, [("label", t["indicator"], None), ("value_t", t["value_official"], None),
                       ("traced_t", t["traced"], None), ("bounds_t", t["bounds"], None),
                       ("unresolved", t["unresolved"], v.mass),
                       ("numerator", t["numerator"], v.mass), ("denominator", t["denominator"], v.mass),
                       ("formula_t", t["formula"], None), ("source_t", t["source"], None)], empty=t["empty"])
    tg = res.targets
    targets = None
    hidden = 0
    not_applied = pd.DataFrame()
    lab = dict(zip(tab["id"], tab["label"]))
    if len(tg) and "applies" in tg.columns:
        if zh:
            tg = tg.assign(why=[_why_zh(r, lv, bool(a), park.info)
                                for r, lv, a in zip(tg["region"], tg["level"], tg["applies"])])
        # targets of another region or level are named with the reason, never checked (issue 10, item 7)
        fits = tg["applies"].astype(bool).to_numpy()
        not_applied = tg[~fits].copy()
        not_applied["label"] = not_applied["indicator"].map(lab)
        tg = tg[fits]
    if zh:
        tg = tg.assign(region=[REGION_ZH.get(_s(x), _s(x)) for x in tg["region"]],
                       level=[LEVEL_ZH.get(_s(x), _s(x)) for x in tg["level"]])
        not_applied = not_applied.assign(**{c: [d.get(_s(x), _s(x)) for x in not_applied[c]]
                                            for c, d in (("region", REGION_ZH), ("level", LEVEL_ZH))
                                            if c in not_applied.columns})
    if len(tg):
        # targets of indicators the park has no value for (no straw in an industrial park) are noise here
        applicable = tg["value"].notna().to_numpy()
        hidden = int((~applicable).sum())
        tg = tg[applicable]
    if len(tg):
        tg = tg.copy()
        tg["year"] = [("" if pd.isna(y) else str(int(y))) for y in tg["year"]]
        tg["label"] = tg["indicator"].map(lab)
        tg["passed_t"] = [t["yes"] if p is True else (t["no"] if p is False else "")
                          for p in tg["passed"].astype(object).where(tg["passed"].notna(), None)]
        targets = _table(tg, [("label", t["indicator"], None), ("region", t["region"], None),
                              ("level", t["level"], None), ("year", t["year"], None),
                              ("target", t["target"], v.pct), ("value", t["value"], v.pct),
                              ("passed_t", t["passed"], None), ("gap_t", t["gap"], v.mass),
                              ("source", t["source"], None)]
                         + ([("why", t["why"], None)] if "why" in tg.columns else []),
                         row_class=lambda r: "flag" if r["passed"] is False else "", empty=t["empty"])
    issues = [v.message(i) for i in res.messages]
    chart = ""
    try:
        from mfa.charts import chart_svg, utilisation_chart

        chart = chart_svg(utilisation_chart(res, lang=lang))
    except Exception as exc:
        issues.append(f"chart: {_why(exc)}")
    # a target's id is the catalogue's, not the user's: named in English only
    skipped = _table(not_applied, ([] if zh else [("id", "id", None)])
                     + [("label", t["indicator"], None), ("region", t["region"], None),
                        ("level", t["level"], None), ("why", t["why"], None)]) if len(not_applied) \
        else _table(pd.DataFrame(), [])
    return {"indicators_missing": "", "indicators": ind, "targets": targets or _table(pd.DataFrame(), []),
            "convention_note": t["convention_note"],
            "targets_not_applied": skipped,
            "util_chart": chart, "indicator_issues": issues
            + ([t["hidden_targets"].format(n=hidden)] if hidden else []), "indicator_result": res}


def trace_section(park: Any, lang: str, max_rows: int = 200) -> dict:
    """Where each waste goes (:func:`mfa.trace`): the fate and generation charts and the trace table.

    Parameters
    ----------
    park : mfa.Park
    lang : {"en", "zh"}
    max_rows : int
        Rows of the trace table shown (the rest are counted).

    Returns
    -------
    dict
        Template context: ``trace`` (table), ``fate_chart``, ``gen_chart`` (SVG), ``trace_issues`` (sentences
        in the report's language), or ``trace_missing`` saying why the trace is not available.

    Examples
    --------
    >>> import mfa
    >>> sec = trace_section(mfa.read_park("hazardous"), "zh")
    >>> sec["trace"]["columns"][4]["label"], sec["trace_missing"]
    ('t/a', '')
    """
    v = Voice.of(park, lang)
    t = v.t
    tr, missing = _engine_or_reason(lambda: import_module("mfa.tracing").trace(park), t["missing_trace"])
    if tr is None:
        return {"trace_missing": missing, "trace": None, "fate_chart": "",
                "gen_chart": "", "trace_issues": []}
    tab = tr.table.copy()
    tab["material_t"] = tab["material"].map(v.material)
    tab["origin_t"] = tab["origin"].map(v.process)
    tab["stage_t"] = [v.word(x) for x in tab["stage"]]
    tab["fate_t"] = [v.word(x) for x in tab["fate"]]
    table = _table(tab, [("material_t", t["material"], None), ("origin_t", t["origin"], None),
                         ("stage_t", t["stage"], None), ("fate_t", t["fate"], None),
                         ("tonnes", t["tonnes"], v.mass), ("share", t["share"], v.pct)],
                   max_rows=max_rows, more=t["more"], empty=t["empty"])
    fate_svg = gen_svg = ""
    issues = [v.message(i) for i in tr.messages]
    try:
        from mfa.charts import chart_svg, fate_chart, generation_chart

        fate_svg = chart_svg(fate_chart(tr, lang=lang, park=park))
        gen_svg = chart_svg(generation_chart(park, lang=lang, trace_result=tr))
    except Exception as exc:
        issues.append(f"chart: {_why(exc)}")
    return {"trace_missing": "", "trace": table, "fate_chart": fate_svg, "gen_chart": gen_svg,
            "trace_issues": issues}


def sankey_section(park: Any, lang: str, scale: float | None = None, div_id: str = "mfa-sankey",
                   diagram: Any = None, category: Any = None, heading: str = "") -> dict:
    """One Sankey of the report (interactive fragment + static SVG), or a note saying why it is missing.

    Parameters
    ----------
    park : mfa.Park
    lang : {"en", "zh"}
    scale : float, optional
        t/a per mm (default: fitted).
    div_id : str
        The diagram element's id (fixed, so the page is deterministic).
    diagram : mfa.sankey_diagram.SankeyDiagram, optional
        A diagram already drawn.
    category : str or list of str, optional
        Only flows of these material categories.
    heading : str

    Returns
    -------
    dict
        ``sankey_html``, ``sankey_svg``, ``sankey_note``, ``diagram``, ``heading``, or ``sankey_missing``.

    Examples
    --------
    >>> import mfa
    >>> sec = sankey_section(mfa.read_park("hazardous"), "zh")
    >>> sec["sankey_missing"], sec["sankey_svg"].startswith("<svg"), sec["sankey_note"][:3]
    ('', True, '比例：')
    """
    t = TEXT[lang]
    try:
        if diagram is None:
            from mfa.sankey_diagram import sankey

            diagram = sankey(park, lang=lang, scale=scale, div_id=div_id, category=category)
        frag = diagram.to_html(full_html=False)
        svg = diagram.to_svg()
        svg = svg[svg.find("<svg"):]
    except Exception as exc:
        return {"sankey_missing": t["missing_sankey"].format(e=_why(exc)), "sankey_html": "", "sankey_svg": "",
                "sankey_note": "", "diagram": None}
    return {"sankey_missing": "", "sankey_html": frag, "sankey_svg": svg, "sankey_note": diagram.note(),
            "diagram": diagram, "heading": heading}


# Above this many processes a diagram is no longer readable: the report draws the park by group and kind.
MAX_DRAWN_PROCESSES = 300


def aggregated(park: Any, max_processes: int = MAX_DRAWN_PROCESSES, lang: str = "en") -> tuple[Any, str]:
    """The park to draw: ``park`` itself up to ``max_processes`` processes, else one process per group
    (internal processes; by kind where they have no group, or where groups alone are still too many) and one
    per boundary kind, flows summed per pair and material, stocks per process and material, and flows inside
    a group left out (they cancel in its balance). Imports, exports, environment, landfill and Δstock, hence
    the system balance, are the park's. Returns the park to draw and a note in ``lang`` ("" when not
    aggregated).

    Examples
    --------
    >>> import mfa
    >>> park = mfa.read_park("wuhai")
    >>> aggregated(park)[0] is park, aggregated(park, max_processes=10, lang="zh")[1][:10]
    (True, '园区有 28 个过程')
    """
    procs = park.processes
    n = len(procs)
    if n <= max_processes:
        return park, ""
    import mfa
    from mfa.conventions import BOUNDARY_KINDS

    boundary = procs["kind"].isin(list(BOUNDARY_KINDS)).to_numpy()
    group = procs["group"].astype(object)
    has_group = (group.notna() & (group.astype(str).str.strip() != "")).to_numpy(copy=True)
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
        new_stocks = (s2.groupby(["process", "material"], sort=True)[["opening", "closing"]].sum().reset_index()
                      .assign(unit="t"))
    mats = park.materials
    used = mats[mats["id"].isin(f["material"].unique())]
    info = park.info.model_dump()
    # values are t/a already: the unit column keeps the park's own unit (万t/a, say) from rescaling them
    agg = mfa.Park.from_frames(processes=new_procs, flows=f.reset_index(drop=True).assign(unit="t/a"), materials=used,
                               stocks=new_stocks, info=info)
    drawn = len(new_procs)
    if lang == "zh":
        note = (f"园区有 {n:,} 个过程，无法逐个绘出。图中按{'分组' if by == 'group' else '类型'}合并（边界过程按类型合并；"
                f"共 {drawn} 个节点，{'组' if by == 'group' else '类型'}内部的流不绘出）。园区的输入、输出、排放、"
                "填埋和库存变化，即系统平衡，保持不变；每个过程都列在平衡表中，“全部明细”一节列出每一条流，"
                "并可单独绘出任一过程、分组或物质的桑基图。")
    else:
        note = (f"The park has {n:,} processes: too many to draw one by one. The diagrams show them aggregated "
                f"by {by} and, for the boundary, by kind ({drawn} nodes; flows inside a {by} are left out). The "
                "park's imports, exports, emissions, landfill and stock change, hence its system balance, are "
                "unchanged; every process is listed in the balance table, and the Full detail section lists every "
                "flow and draws any process, group or material on its own.")
    return agg, note


def waste_categories(park: Any) -> list[str]:
    """The waste categories (see :mod:`mfa.conventions`) that the park's flows carry, sorted.

    Examples
    --------
    >>> import mfa
    >>> waste_categories(mfa.read_park("wuhai"))
    ['hazardous_waste', 'industrial_solid_waste']
    """
    from mfa.conventions import WASTE_CATEGORIES

    cat = dict(zip(park.materials["id"], park.materials["category"]))
    present = set(park.flows["material"].map(cat).dropna())
    return sorted(present & set(WASTE_CATEGORIES))


def reconciled(park: Any, lang: str = "en") -> tuple[Any, str]:
    """The park with its unknown flows computed and measured ones reconciled (:func:`mfa.solve.reconcile`),
    and a sentence in ``lang`` saying what changed; the park itself when it has nothing to compute.

    Examples
    --------
    >>> import mfa
    >>> reconciled(mfa.read_park("bayannur"), "zh")[1]
    '已由物质流协调计算 46 条未知流（共 46 条）'
    """
    n_unknown = int(park.flows["value"].isna().sum())
    if not n_unknown and not park.flows["sigma"].notna().any():
        return park, ""
    from mfa.solve import reconcile

    res = reconcile(park)
    out = res.park
    left = int(out.flows["value"].isna().sum())
    if lang == "zh":
        return out, (f"已由物质流协调计算 {n_unknown - left} 条未知流（共 {n_unknown} 条）"
                     + (f"，{left} 条无法由数据确定" if left else ""))
    return out, (f"values from mfa reconcile: {n_unknown - left} of {n_unknown} unknown flow(s) computed"
                 + (f", {left} not determined by the data" if left else ""))


def headline_cards(res: Any, voice: Voice) -> list[dict]:
    """One card per rate the park has a value for: value (official), traced, the most demanding target that
    applies (kind ``target`` first, else a baseline), the gap in the voice's unit and whether it is met.

    Parameters
    ----------
    res : mfa.utilisation.IndicatorResult
    voice : Voice
        The report's language and unit.

    Returns
    -------
    list of dict
        ``id``, ``label``, ``value`` (full precision, as ``mfa indicators --json``), ``value_t``, ``traced_t``,
        ``target_t``, ``status`` (met, missed, none), ``status_t``, ``gap_t``.

    Examples
    --------
    >>> import mfa
    >>> park = mfa.read_park("wuhai")
    >>> card = headline_cards(mfa.indicators(park), Voice.of(park, "zh"))[0]
    >>> card["value_t"], card["status"], card["gap_t"]
    ('55.1 %', 'missed', '尚差 288.05 万t/a')
    """
    t = voice.t
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
            target_t = f"{t['card_target']} {voice.pct(target)}{year}"
        else:
            status, target, gap, target_t = "none", float("nan"), float("nan"), t["card_none"]
        cards.append({"id": r["id"], "label": r["name_zh"] if voice.lang == "zh" else r["name"],
                      "value": repr(float(r["value"])), "value_t": voice.pct(r["value"]),
                      "traced_t": (f"{t['traced']} {voice.pct(r['traced'])}" if r.get("traced") is not None
                                   and not pd.isna(r.get("traced")) else ""),
                      "target_t": target_t, "status": status,
                      "status_t": "" if status == "none" else t["card_" + status],
                      "gap_t": (f"{t['card_gap']} {voice.mass(gap)} {t['tonnes']}" if status == "missed" else "")})
    return cards


def opportunity_section(park: Any, lang: str) -> dict:
    """The ranked couplings of :func:`mfa.symbiosis.discover` (with the park's own ``coupling/`` data, as
    ``mfa symbiosis PARK``) and the rates with all of them built.

    Parameters
    ----------
    park : mfa.Park
    lang : {"en", "zh"}

    Returns
    -------
    dict
        ``opportunities`` (one dict per coupling, ``tonnes`` at full precision as ``mfa symbiosis --json``),
        ``retrofit_rates`` (table), ``opportunities_missing`` (why the search failed, or "").

    Examples
    --------
    >>> import mfa
    >>> sec = opportunity_section(mfa.read_park("wuhai"), "zh")
    >>> sec["opportunities"][0]["rank"], sec["opportunities"][0]["from"]
    (1, '选煤厂')
    """
    v = Voice.of(park, lang)
    t = v.t
    res, missing = _engine_or_reason(lambda: import_module("mfa.symbiosis").discover(park), t["opp_missing"])
    if res is None:
        return {"opportunities_missing": missing, "opportunities": [],
                "retrofit_rates": None}
    rows = []
    for c in res.couplings.to_dict("records"):
        gain = _number(c["utilisation_rate_gain"])
        rows.append({
            "rank": int(c["rank"]), "from": v.process(c["from"]), "to": v.process(c["to"]),
            "material": v.material(c["material"]), "tonnes": repr(float(c["tonnes"])),
            "tonnes_t": v.mass(c["tonnes"]), "gain_t": ("+" + v.pct2(gain)) if gain is not None and
            math.isfinite(gain) else "", "landfill_t": v.mass(c["landfill_avoided"]),
            "co2_t": v.mass(c["co2_avoided"]), "cost_t": number(_number(c["cost_change"])),
            "basis": v.sources(c.get("source")),
        })
        rows[-1]["headline"] = _headline(rows[-1], v.process(c["disposal_target"]) if c.get("disposal_target")
                                         else "", t, lang)
    before = res.summary.get("utilisation_rates_before", {}) or {}
    after = res.summary.get("utilisation_rates_after", {}) or {}
    cats = sorted(set(before) | set(after))
    rates = pd.DataFrame({"category": [_category_label(c, lang) for c in cats],
                          "today": [before.get(c) for c in cats], "retrofit": [after.get(c) for c in cats]})
    table = _table(rates, [("category", t["category"], None), ("today", t["today"], v.pct),
                           ("retrofit", t["retrofit"], v.pct)]) if len(cats) else None
    return {"opportunities_missing": "", "opportunities": rows, "retrofit_rates": table}


def _headline(row: dict, now: str, t: dict, lang: str) -> str:
    """One line of the first screen's *Largest opportunities*, with where the tonnes go today (two couplings
    of one link differ by the stream they take up), punctuated as each language is."""
    gain = row["gain_t"]
    if lang == "zh":
        return (f"{row['material']}：{row['from']} → {row['to']}，{row['tonnes_t']} {t['tonnes']}"
                + (f"（{gain}）" if gain else "") + (f"，{t['opp_now']}：{now}" if now else ""))
    return (f"{row['material']}: {row['from']} → {row['to']}, {row['tonnes_t']} {t['tonnes']}"
            + (f" ({gain})" if gain else "") + (f"; {t['opp_now']} {now}" if now else ""))


def _category_label(category: str, lang: str) -> str:
    return CATEGORY_ZH.get(category, category) if lang == "zh" else category.replace("_", " ")


# ------------------------------------------------------------------------------------------------
# the report
# ------------------------------------------------------------------------------------------------
def report_html(park: Any, lang: str = "en", scale: float | None = None, reconcile: bool = False,
                solve: bool = True, flows_csv: str = "", substances: Any = None) -> str:
    """The report of ``park`` as one self-contained HTML document (see the module docstring).

    Parameters
    ----------
    park : mfa.Park
    lang : {"en", "zh"}
        Language of every text; in Chinese masses are in 万t where the park's own unit is 万t.
    scale : float, optional
        Sankey width scale, t/a per mm (default: fitted).
    reconcile : bool
        Also reconcile measured values (:func:`mfa.solve.reconcile`) before reporting.
    solve : bool
        Report the park with every unknown flow that the balances determine computed
        (:func:`mfa.solved.solve_park`; measured values as given). A note in the data-quality section says
        what was computed.
    flows_csv : str
        File name of the flows' CSV beside the page, linked from the *Full detail* section
        (:func:`write_report` writes it).
    substances : mfa.substance.SubstanceLayer or False, optional
        The park's substance layer (:func:`mfa.read_substances`): adds the *Substances* section (fates,
        recovery, the goods/substance Sankey toggle; :mod:`mfa.report.substances`). By default the layer
        stored with the park (read from :attr:`mfa.Park.source`, none for a park built in code); ``False``
        leaves the section out.

    Returns
    -------
    str
        The HTML page.

    Examples
    --------
    >>> import mfa
    >>> page = report_html(mfa.read_park("hazardous"), lang="zh")
    >>> page.startswith("<!DOCTYPE html>"), "物质流分析报告" in page
    (True, True)
    """
    return _report(park, lang, scale, reconcile, solve, flows_csv, substances)[0]


def _report(park: Any, lang: str, scale: float | None, reconcile: bool, solve: bool,
            flows_csv: str, substances: Any = None) -> tuple[str, pd.DataFrame]:
    """The page and the flow table of its *Full detail* section (see :func:`report_html`)."""
    import mfa
    from mfa.report.detail import detail_section
    from mfa.report.series import series_section
    from mfa.report.substances import substance_section

    check_lang(lang)
    series = series_section(park, lang)  # a multi-year park: its rates by year, then its latest year
    park = park.for_year(park.years[-1]) if len(park.years) > 1 else park
    if substances is None and park.source is not None:
        from mfa.substance import read_substances

        substances = read_substances(park.source, park)  # the park's own layer, as `mfa report` reads it
    elif substances is False:
        substances = None
    given = park
    note = ""
    if reconcile:
        park, note = reconciled(park, lang)
    elif solve:
        from mfa.solved import solve_park

        solved = solve_park(park)
        park = solved.park
        voice = Voice.of(park, lang)
        note = "；".join(voice.message(m) for m in solved.messages) if lang == "zh" else solved.note
    voice = Voice.of(park, lang)
    t = voice.t
    info = park.info
    name = (info.name_zh or info.name) if lang == "zh" else info.name
    # in Chinese the park's English name and description are left out: only what the user wrote in Chinese
    subtitle = [info.name_zh or "", info.region or ""] if lang == "zh" else \
        [info.name, info.name_zh or "", info.region or "", _s(info.description)]
    ctx: dict[str, Any] = {"lang": lang, "t": t, "version": mfa.__version__,
                           "title": f"{t['report']} — {name}" + (f" {info.year}" if info.year else ""),
                           "subtitle": " · ".join(x for x in subtitle if x),
                           "footer": t["footer"].format(v=mfa.__version__)}
    ctx["nav"] = [(k, t[k]) for k in ("glance", "summary", "quality", "balance", "indicators", "opportunities",
                                      "sankey", "trace")]
    bal = balance_section(park, lang)
    ind = indicator_section(park, lang)
    tra = trace_section(park, lang)
    drawn, agg_note = aggregated(park, lang=lang)
    sankeys = [sankey_section(drawn, lang, scale=scale, heading=t["all_flows"])]
    wastes = waste_categories(drawn)
    if wastes:
        # the wastes are small next to coal, air and products: drawn again on their own, at their own scale
        sankeys.append(sankey_section(drawn, lang, category=wastes, div_id="mfa-sankey-waste",
                                      heading=t["waste_flows"]))
    if agg_note:
        for s_ in sankeys:
            s_["sankey_note"] = (agg_note + " " + s_.get("sankey_note", "")).strip()
    ctx["sankeys"] = [{k: x for k, x in s_.items() if k != "diagram"} for s_ in sankeys]
    # the first screen leads with the waste Sankey; the whole park's diagram stays in its section
    ctx["glance_sankey"] = ctx["sankeys"][1] if len(ctx["sankeys"]) > 1 else None
    ctx["sankeys"] = ctx["sankeys"][:1]
    ctx.update(opportunity_section(park, lang))
    ctx.update(series)
    if ctx.get("series"):  # a multi-year park: its years come right after the balance, as on the page
        at = [k for k, _ in ctx["nav"]].index("balance") + 1
        ctx["nav"].insert(at, ("series", ctx["series"]["heading"]))
    # the substances of the park as read: their joint reconciliation computes its own unknowns
    ctx.update(substance_section(given, substances, lang, goods=drawn))
    if ctx["substances"] is not None:
        ctx["nav"].append(("substances", ctx["substances"]["heading"]))
    warnings = ([note] if note else []) + bal["warnings"] + [f"{t['trace']}: {i}" for i in tra["trace_issues"]]
    ctx.update({k: x for k, x in bal.items() if k not in ("balance_result", "warnings")})
    ctx.update({k: x for k, x in ind.items() if k != "indicator_result"})
    ctx.update({k: x for k, x in tra.items() if k != "trace_issues"})
    ctx["warnings"] = warnings
    # a node of the aggregated diagrams that stands for a group opens that group's neighbourhood on a click
    node_groups = dict(zip(drawn.processes["id"], drawn.processes["group"].fillna(""))) if agg_note else {}
    detail = detail_section(park, given, bal["balance_result"].processes, lang, voice.unit, flows_csv,
                            node_groups)
    ctx.update({k: x for k, x in detail.items() if k != "flow_table"})
    ctx["nav"].append(("detail", detail["d"]["detail"]))
    res = ind.get("indicator_result")
    if res is not None:
        # the rates the park has a value for, up front: what a bureau reads first
        tab = res.table[(res.table["unit"] == "t/t") & res.table["value"].notna()]
        label = tab["name_zh"] if lang == "zh" else tab["name"]
        key = [{"item": str(lab), "value": voice.pct(x), "_cls": ""} for lab, x in zip(label, tab["value"])]
        ctx["summary"] = dict(ctx["summary"], rows=key + ctx["summary"]["rows"])
        ctx["cards"] = headline_cards(res, voice)
    else:
        ctx["cards"] = []
    return render("park.html.j2", **ctx), detail["flow_table"]


def write_report(park: Any, path: str | os.PathLike, lang: str = "en", scale: float | None = None,
                 reconcile: bool = False, solve: bool = True, substances: Any = None) -> Path:
    """Write :func:`report_html` to ``path`` atomically, and every flow beside it as CSV
    (``report.flows.csv`` for ``report.html``, :func:`mfa.report.detail.write_flows_csv`), linked from the page.

    Parameters
    ----------
    park : mfa.Park
    path : str or os.PathLike
        The .html file to write.
    lang, scale, reconcile, solve, substances
        As for :func:`report_html`.

    Returns
    -------
    pathlib.Path
        ``path``.

    Examples
    --------
    >>> import mfa, tempfile, pathlib
    >>> out = write_report(mfa.read_park("hazardous"), pathlib.Path(tempfile.mkdtemp()) / "r.html")
    >>> out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    True
    """
    from mfa.report.detail import flows_csv_path, write_flows_csv

    path = Path(path)
    csv = flows_csv_path(path)
    page, flows = _report(park, lang, scale, reconcile, solve, csv.name, substances)
    # the CSV first: a page is never left linking to a file that was not written
    write_flows_csv(flows, csv)
    _write_atomic(path, page)
    return path
