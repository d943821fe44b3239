"""Chinese for the words and messages the engines produce: data only, so that any view (the report, charts,
notebooks) can say an engine's result in Chinese without the engines knowing about languages.

Engines write their messages in English as :class:`mfa.errors.Message` (a string with a stable ``code`` and
its ``params``); :data:`MESSAGES_ZH` holds the Chinese sentence of each code, with the same parameter names
in braces. A view fills them in (ids → Chinese names, tonnes through :func:`mfa.formatting.tonnes`). A
message whose code is not here is shown as written, so a new message never breaks a view; the test
``tests/test_report.py::test_every_engine_message_code_has_chinese`` lists the codes of the engines' sources
and fails when one has no translation.

This module imports nothing from the engines (it is a leaf).

Examples
--------
>>> MESSAGES_ZH["solved.computed"].format(n=46, total=46)
'已由过程平衡计算 46 条未知流（共 46 条；实测值保持原样）'
>>> WORDS_ZH["utilised"], CATEGORY_ZH["straw"], REGION_ZH["Inner Mongolia"]
('综合利用', '农作物秸秆', '内蒙古自治区')
"""

from __future__ import annotations

__all__ = ["MESSAGES_ZH", "WORDS_ZH", "WORDS_EN", "CATEGORY_ZH", "REGION_ZH", "LEVEL_ZH", "SOURCE_ZH"]

#: Chinese sentence of each engine message code (parameters as in the English message).
MESSAGES_ZH: dict[str, str] = {
    # mfa.tracing
    "trace.collection_origin": "“{process}”是收集过程：它把物质转送出去，只有送出多于收到的部分以它为产生源；"
                               "请追踪其供应方",
    "trace.unvalued_flow_counted": "流 {flow} 没有数值：其来源经此流送出的量计为去向不明",
    "trace.unvalued_flow": "流 {flow} 没有数值，未追踪（其吨数计为去向不明；请填写数值，或由程序按平衡计算）",
    "trace.user_not_production": "“{process}”的类型为{kind}，却用收到的废物制成产品送出：如果它是废物利用单位，"
                                 "请将其类型设为生产",
    "trace.shares_over_one": "“{process}”各流出比例之和为 {total}，大于 1：已按比例缩放为 1",
    "trace.collection_excess": "从“{process}”流出的废物比流入（含库存变化）多 {tonnes}：从该处起追踪",
    "trace.mixer_leak": "{tonnes}废物进入“{process}”后，既未原样流出，也未作为其残渣流出（去向不明）",
    "trace.not_passed_on": "{tonnes}{material}进入“{process}”后未再送出（去向不明）",
    "trace.export_without_fate": "{tonnes}{material}送往园区外的“{process}”，但未说明去向（去向不明）：请在过程表中"
                                 "为该输出过程填写去向（接收方如何处理），或为该流填写去向",
    # mfa.utilisation
    "indicators.straw_route": "{tonnes}{material}经“{route}”途径利用，不属于秸秆“五化”利用途径：请填写该流的利用途径",
    "indicators.unbounded": "{material}的未知流既不能由数据确定，也不能由平衡约束：其所涉比率的区间为 0 至 1",
    # mfa.solved
    "solved.computed": "已由过程平衡计算 {n} 条未知流（共 {total} 条；实测值保持原样）",
    "solved.reconciled": "已计算 {n} 条未知流（共 {total} 条），实测值已协调",
    "solved.reconciled_only": "实测值已协调",
    "solved.negative": "{n} 条未知流由平衡算出为负值，说明该处数据相互矛盾，仍保留为未知：{flows}",
    "solved.undetermined": "{n} 条未知流无法由数据确定：{flows}",
    "solved.failed": "未知流无法求解（{error}），按原始数据报告",
    # mfa.substance
    "substance.unobservable": "{n} 条物质流无法由数据确定（未给出含量，也无法由平衡计算）",
    "substance.over_goods": "{n} 条物质流大于其货物流（含量高于 1）：{flows}；含量或物质传递系数与货物数据相互矛盾",
    "substance.negative": "{n} 条物质流算出为负值：{flows}；给定的含量使某过程其他流出中的该物质多于其流入",
    "substance.imbalance": "“{process}”的{substance}平衡按原始数据无法闭合：流入与流出相差 {excess}，超出不确定度",
    # mfa.symbiosis
    "symbiosis.market_unchecked": "市场未核查：未给出{products}的需求量（coupling/demand.csv），方案可能使其产量超出市场容量",
    "symbiosis.rule_not_applied": "{status}：规则 {rule} 未用于 {couplings}——{missing}",
    # mfa.sankey_diagram
    "sankey.around": "{process} 周边（深度 {depth}）：{n} 个过程；与园区其余部分之间的流（流入 {rest_in}，流出 {rest_out}）"
                     "合并绘为“园区其余部分”",
    # mfa.dynamic_stocks
    "stocks.imbalanced": "{year} 年“{process}”中的{material}：流入 − 流出 = {net} t/a，库存变化 {change} t",
    # mfa.report.compare
    "compare.no_indicators": "指标不可用：{error}",
    "compare.no_sankey": "桑基图不可用：{error}",
}

#: Chinese of the engines' words in tables: balance terms and statuses, process kinds, stages, fates.
WORDS_ZH: dict[str, str] = {
    "imports": "输入", "inputs_from_environment_and_landfill": "来自环境和填埋场的输入", "exports": "输出",
    "environment": "环境", "landfill": "填埋", "stock_change": "库存变化", "residual": "残差",
    "residual_rel": "相对残差", "sum_of_process_residuals": "各过程残差之和", "unknown_flows": "未知流数",
    "unknown_boundary_flows": "边界上的未知流数", "status": "状态", "balanced": "平衡", "imbalanced": "不平衡",
    "unknown": "含未知流", "storage": "贮存", "boundary": "边界", "production": "生产", "collection": "收集",
    "treatment": "处理", "import": "输入", "export": "输出", "consumption": "消费", "generated": "产生",
    "prior_year_storage": "往年贮存", "imported": "外来", "treatment_residue": "处理残余",
    "collection_excess": "收集超出", "in_transit": "转运中", "utilised": "综合利用", "disposed": "处置",
    "stored": "贮存", "discarded": "倾倒丢弃", "exported": "输出", "unresolved": "去向不明", "waste": "废物",
    "same": "相同", "changed": "变化", "added": "新增", "removed": "删除",
    # the fates of a substance (mfa.substance.FATE_CLASSES)
    "products": "进入产品", "air": "排入大气", "water": "排入水体", "soil": "进入土壤",
}

#: English of the engines' words where the word itself is not plain English (others: "_" read as a space).
WORDS_EN: dict[str, str] = {
    "inputs_from_environment_and_landfill": "inputs from environment and landfill",
    "residual_rel": "residual, share of throughput", "sum_of_process_residuals": "sum of process residuals",
    "unknown_flows": "unknown flows", "unknown_boundary_flows": "unknown flows at the boundary",
    "unknown": "has unknown flows",
}

#: Chinese names of the material categories (mfa.conventions).
CATEGORY_ZH: dict[str, str] = {
    "industrial_solid_waste": "一般工业固体废物", "hazardous_waste": "危险废物", "straw": "农作物秸秆",
    "manure": "畜禽粪污", "renewable_resource": "再生资源", "construction_waste": "建筑垃圾",
    "municipal_waste": "生活垃圾",
}

#: Chinese of the target table's regions (flows/targets.csv, column region).
REGION_ZH: dict[str, str] = {
    "China": "全国", "national": "全国", "Inner Mongolia": "内蒙古自治区", "Shandong": "山东省",
}

#: Chinese of the target table's levels (column level): scopes and park designations.
LEVEL_ZH: dict[str, str] = {
    "national": "国家", "regional": "地区", "demonstration base": "大宗固废综合利用示范基地",
    "eco-industrial park": "生态工业园区",
}

#: Chinese of the non-reference words in ``source`` columns (a reference id such as S12 stays as it is).
SOURCE_ZH: dict[str, str] = {"derived": "推导"}
