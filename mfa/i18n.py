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

__all__ = ["MESSAGES_ZH", "ISSUES_ZH", "TERMS_ZH", "WORDS_ZH", "WORDS_EN", "CATEGORY_ZH", "REGION_ZH", "LEVEL_ZH",
           "SOURCE_ZH", "ISSUE_WORDS_ZH", "say_zh", "where_zh"]

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

#: Chinese of each input-validation message and hint (the readers' and table checks' codes: ``input.*``,
#: ``read.*``, ``park.*``, ``park_info.*``, ``periods.*``, ``units.*`` and the suggestions ``hint.*``). A
#: ``{what}`` is said through :data:`TERMS_ZH`; file, sheet and column names and cell values stay as the
#: file has them. ``tests/test_errors_zh.py`` lists the codes of the validating modules and fails when one
#: has no sentence here.
ISSUES_ZH: dict[str, str] = {
    # mfa.validation: the table checks every reader shares
    "input.missing_value": "未填写（此项必填）",
    "input.not_what": "不是有效的{what}",
    "input.not_year": "不是有效的年份",
    "input.bound": "应 {op} {bound}",
    "input.not_finite": "不是有限的数字",
    "input.unknown_value": "未知的“{column}”取值",
    "input.not_valid": "“{column}”的格式无效",
    "input.more_values": "{message}（另有 {n:,} 个不同的值，共 {rows:,} 行）",
    "input.missing_column": "缺少必需的列“{column}”",
    "input.formula": "Excel 公式不会被计算",
    "input.missing_marker": "此处应为{what}，而不是表示缺失的标记",
    "input.infinite": "数值为无穷大",
    "input.negative": "数值为负：流和库存不能为负",
    "input.blank": "“{column}”未填写",
    "input.duplicate_id": "{what} id 重复",
    "input.unknown_choice": "未知的{what}",
    "input.not_boolean": "不是“是/否”",
    # mfa.io.readers and mfa.io: files, sheets and sections
    "read.empty_file": "空文件",
    "read.empty_sheet": "空工作表",
    "read.not_utf8": "文件不是 UTF-8 编码，已按 {encoding} 读取",
    "read.not_text": "无法将文件读作文本（已尝试 UTF-8、GB18030 和西文编码）",
    "read.too_many_cells": "表头有 {width} 列，此行却有 {n} 个单元格",
    "read.invalid_csv": "不是有效的 CSV 文件：{detail}",
    "read.long_line": "一行有 {n:,} 个字符，超过一行单元格的上限（{limit:,}）",
    "read.duplicate_column": "列名重复",
    "read.missing_file": "缺少文件",
    "read.unknown_file": "未知的表格文件",
    "read.invalid_yaml": "不是有效的 YAML：{detail}",
    "read.invalid_yaml_at": "不是有效的 YAML（第 {line} 行，第 {col} 列）：{detail}",
    "read.yaml_not_mapping": "文件必须是包含 park、processes、flows 等部分的映射",
    "read.unknown_section": "未知的部分“{section}”",
    "read.missing_section": "缺少“{section}”部分",
    "read.section_not_list": "“{section}”部分必须是由行组成的列表",
    "read.row_not_mapping": "每一行必须是“列: 值”的映射",
    "read.cell_not_value": "单元格必须是单个值",
    "read.park_not_mapping": "“park”部分必须是“设置: 值”的映射",
    "read.setting_not_value": "园区设置必须是单个值",
    "read.bad_workbook": "无法打开工作簿：{detail}",
    "read.unknown_sheet": "未知的工作表“{sheet}”",
    "read.missing_sheet": "缺少工作表“{sheet}”",
    "read.too_many_rows": "超过 {limit:,} 行：超出 mfa 单表读取的上限",
    "read.unsaved_formula": "公式没有保存的值：该工作簿是由不计算公式的程序写出的",
    "read.xls": "不读取旧版 Excel 格式（.xls）",
    "read.one_csv": "园区是一个由 CSV 文件组成的文件夹，而不是单个 CSV 文件",
    "read.unknown_format": "未知的园区格式“{suffix}”",
    "read.no_such_park": "{path}：没有这个文件或文件夹（自带的示例园区：{parks}）",
    "read.no_such_park_hint": "{path}：没有这个文件或文件夹——{hint}",
    # mfa.io.limits: what mfa reads at most
    "limits.rows": "{n:,} 行：超出 mfa 单表读取的上限（{limit:,} 行）",
    "limits.file_size": "文件大小为 {size} GiB，超出 mfa 读取的上限（{limit} GiB）",
    "limits.encrypted": "工作簿设有密码（已加密），或是旧版 .xls 文件",
    "limits.not_xlsx": "不是 Excel 工作簿（.xlsx）：{detail}",
    "limits.unpacked_size": "工作簿解压后为 {size} GiB，超出 mfa 读取的上限（{limit} GiB）",
    "limits.zip_bomb": "工作簿中的 {member} 解压后是其压缩大小的 {ratio} 倍（疑为压缩炸弹），不予读取",
    "limits.shared_strings": "共享字符串超过 {limit:,} 个，超出 mfa 读取的上限",
    "limits.sheet_span": "工作表的范围为 {ref}（{cols:,} 列 × {rows:,} 行），超出 mfa 读取的上限（{max_cols:,} 列，{max_rows:,} 行）",
    # mfa.io.frames: the park's tables
    "park.out_of_range": "换算为 {unit} 后数值超出范围（大于 {limit} {unit}）",
    "park.key_value_columns": "园区信息表需要“key”和“value”两列",
    "park.duplicate_setting": "园区设置重复",
    "park.unknown_setting": "未知的园区设置“{key}”",
    "park.default_unit": "园区默认单位：{error}",
    "park.excel_error": "这是 Excel 的错误值，不是数据",
    "park.long_cell": "单元格有 {n:,} 个字符，超过单元格的上限（{limit:,}）",
    "park.hw_code": "危险废物代码应形如 HW08",
    "park.no_processes": "未给出过程",
    "park.no_process_rows": "没有过程：该表没有数据行",
    "park.fate_of_passing_process": "去向只适用于废物的终点过程（输出、填埋、处理、环境、生产、消费）；收集和贮存过程会把废物继续送出",
    "park.no_flows": "未给出流",
    "park.no_flow_rows": "没有流：该表没有数据行",
    "park.self_loop": "自环：来源和目标是同一个过程",
    "park.into_import": "流进入了输入过程",
    "park.out_of_export": "流从输出过程流出",
    "park.two_units": "“value”和“unit”中都写了单位",
    "park.negative_sigma": "不确定度（标准差）为负",
    "park.percent_sigma": "百分比形式的不确定度需要该流的数值",
    "park.tc_range": "转移系数超出 [0, 1]",
    "park.tc_sum": "此流来源过程的各转移系数之和大于 1",
    "park.not_whole_year": "不是整数年份",
    "park.year_range": "年份超出 1900–2200",
    "park.duplicate_stock": "同一过程、同一物质的库存行重复",
    "park.duplicate_generated_flow": "流 id 重复（生成的流与另一条流的 id 相同）",
    "park.unknown_column": "未知的列“{column}”",
    # mfa.park_info: the park's settings
    "park_info.finite_number": "应为有限的数字",
    "park_info.int_from_float": "应为整数，不能有小数部分",
    "park_info.int_parsing": "应为整数，无法将文本读作整数",
    "park_info.int_type": "应为整数",
    "park_info.float_parsing": "应为数字，无法将文本读作数字",
    "park_info.float_type": "应为数字",
    "park_info.string_type": "应为文本",
    "park_info.bound": "应 {op} {bound}",
    "park_info.extra_forbidden": "不允许额外的设置",
    # mfa.io.periods: the period (year) of the rows
    "periods.bad_year": "所选时期必须是 1900 至 2200 之间的年份",
    "periods.no_flow": "没有 {year} 年的流",
    "periods.mixed_reporting_year": "{n} 个时期的行将被合计进同一个平衡：此行属于 {year} 年，而园区的报告年份为 {ref} 年；"
                                    "已有的时期：{summary}",
    "periods.mixed": "{n} 个时期的行将被合计进同一个平衡：此行属于 {year} 年，而园区其他行属于 {ref} 年；已有的时期：{summary}",
    # mfa.units
    "units.too_long": "未知的单位 {unit}（单位最多 {limit} 个字符）",
    "units.empty": "单位为空",
    "units.unknown": "未知的单位 {unit}",
    "units.not_flow": "单位 {unit} 既不是质量，也不是单位时间的质量（其量纲为 {dimension}）",
    "units.not_flow_clause": "单位 {unit} 既不是质量，也不是单位时间的质量",
    "units.not_mass": "单位 {unit} 不是质量；库存以质量计，如 t 或 万t",
    # mfa.io.years: multi-year parks and the lifetimes table
    "years.lifetime_process": "寿命只适用于贮存或消费过程的库存",
    "years.model_needs": "{model} 模型需要 {param}",
    "years.positive": "{param} 必须大于 0",
    "years.duplicate_lifetime": "同一过程、同一物质的寿命重复",
    "years.missing_years": "多年份园区的年份必须连续：缺少 {years} 年",
    "years.undated_row": "园区有多个年份且没有报告年份，此行却没有年份",
    "years.flow_not_every_year": "流 {flow} 只给出了 {given} 年，没有给出 {lacking} 年：多年份园区的每条流都要给出每一年",
    "years.opening_not_closing": "{year} 年 {process} 中 {material} 的期初库存为 {opening} t，而 {prev} 年的期末库存为 "
                                 "{closing} t：期末库存即下一年的期初库存",
    # mfa.projection: the scenario table
    "projection.empty_file": "{table} 文件为空",
    "projection.year": "情景年份是预测年份，应在 {first}–{last} 之间",
    "projection.tc_share": "转移系数是份额，至多为 1",
    "projection.negative": "流的数值或份额不能为负",
    "projection.growth_floor": "年增长率（%/a）必须大于 −100（−100 % 会使该流消失）",
    "projection.growth_blank": "增长率需要填写 %/a（0 表示停止增长）",
    "projection.duplicate": "同一条流、同一列、同一年份出现了两次",
    # mfa.substance: the concentrations and substance transfer tables
    "substance.both": "物质和流只能给出其一，不能都给",
    "substance.neither": "缺少物质或流",
    "substance.not_material": "不是本园区的物质",
    "substance.not_flow": "不是本园区的流",
    "substance.missing": "缺少成分",
    "substance.unit": "未知的含量单位",
    "substance.over_100": "超过 100 %",
    "substance.duplicate": "同一物质或流的同一成分给出了第二个含量",
    "substance.not_output": "不是该行过程的流出",
    "substance.share_above_1": "份额大于 1",
    "substance.shares_over_1": "该过程此成分的各份额之和大于 1",
    # mfa.generation: the activities table (crop output, livestock, coal burned … → generated waste)
    "activities.missing_column": "活动表缺少“{column}”列",
    "activities.generating_kind": "产生废物的过程类型为“{kind}”，不是生产、消费或处理：其废物不会计入综合利用率中的产生量",
    "activities.not_activity": "不是活动（名称，或 名称:细分）",
    "activities.unknown": "未知的活动",
    "activities.unknown_key": "活动“{activity}”没有细分“{key}”",
    "activities.needs_key": "活动“{activity}”需要细分（名称:细分）",
    "activities.value": "活动量必须是 ≥ 0 的数字",
    "activities.sigma": "不确定度必须是 ≥ 0 的数字",
    "activities.head_count": "“{activity}”以牲畜计：单位应为头数",
    "activities.no_coefficient": "{activity} → {material} 的系数“{parameter}”没有数值{note}",
    "activities.units_product": "{activity} → {material} 各系数的单位相乘得不到 t/a（{units}）",
    "activities.unknown_material": "活动数据产生的物质“{material}”既不在物质目录中，也不在 materials 表中",
    "activities.not_generated": "“{activity}”不产生这种物质",
    # mfa.generation: the coefficients table (the park's own generation coefficients)
    "coefficients.missing_column": "系数表缺少“{column}”列",
    "coefficients.finite": "系数必须是 ≥ 0 的有限数字",
    "coefficients.not_activity_name": "不是活动名称（字母、数字、_）",
    "coefficients.parameter": "缺少参数名称",
    "coefficients.unit": "未知的系数单位",
    "coefficients.source": "系数需要注明来源",
    "coefficients.low_above_high": "下限（low）高于上限（high）",
    "coefficients.central_outside": "中值超出 [low, high]",
    "coefficients.duplicate": "系数重复（活动、细分、物质、参数、过程均相同）",
    # mfa.coupling_rules: a park's coupling data
    "coupling.missing_property": "缺少属性",
    "coupling.missing_process": "缺少过程",
    "coupling.missing_group": "缺少输入组",
    "coupling.missing_materials": "请列出该组的物质，用 | 分隔",
    "coupling.missing_capacity": "缺少处理能力（t/a）",
    "coupling.missing_product": "缺少产品",
    "coupling.missing_demand": "缺少需求量（t/a）",
    "coupling.fraction": "份额或含量是 0 到 1 之间的小数",
    "coupling.duplicate_row": "行重复",
    # the suggestions of those tables
    "hint.lifetime_process": "请把寿命填在贮存库存或在用库存上（过程类型为贮存或消费）",
    "hint.model_needs": "{model}：请填写 {params}",
    "hint.sharp_lifetime": "固定寿命请用 fixed 模型",
    "hint.every_year": "请给出从第一年到最后一年每一年的行",
    "hint.give_year": "请填写此行的年份，或园区的年份（未填年份的行即属于该年）",
    "hint.missing_years": "请为缺少的年份补上行（已停止则填 0，未知则留空）",
    "hint.opening_blank": "请将 {year} 年的期初库存留空（自动结转），或改正其中之一",
    "hint.flow_id": "园区中的一条流：source>target:material",
    "hint.projected_years": "园区自身的年份是其数据；情景只改变其后的年份",
    "hint.projected_year": "该行起作用的预测年份（{first}–{last}）",
    "hint.tc_between": "来源过程输入量的份额，在 0 与 1 之间（写 0.9，不写 90）",
    "hint.stop_flow": "要停止一条流，请给它一行数值为 0 的 value 行",
    "hint.one_scenario_row": "每条流、每列、每个年份只填一行",
    "hint.substance_both": "每种物质填一行，或用流的行覆盖其物质的含量",
    "hint.substance_neither": "请填写物质（其所有流）或流的 id",
    "hint.concentration_units": "请使用以下之一：{units}（留空：质量分数 0–1）",
    "hint.give_concentration": "请填写含量；未知时请删去此行（流的行数值留空表示该流的含量未知）",
    "hint.concentration_unit": "请在“unit”列填写单位（%、g/kg、mg/kg、kg/t、ppm）；单位留空表示质量分数 0–1",
    "hint.concentration_once": "每个（物质或流，成分）只给一次",
    "hint.substance_tc": "成分转移系数是过程的该成分输入量经其某一流出离开的份额",
    "hint.substance_share": "成分输入量的份额在 0–1 之间",
    "hint.fraction": "60 % 请写作 0.6",
    # the suggestions of the readers and the table checks
    "hint.did_you_mean": "是否应为 {close}？",
    "hint.one_of": "应为以下之一：{choices}",
    "hint.columns": "可用的列：{columns}",
    "hint.first_used_data_row": "已在第 {row} 个数据行使用",
    "hint.process_id": "填写 processes 表中某个过程的 id",
    "hint.activity_name": "例如 crop_output，细分为 maize",
    "hint.parameter_name": "例如 straw_to_grain",
    "hint.source_id": "填写 flows/sources.csv 中的来源 id（如 S60），或一条参考文献",
    "hint.other_sources_in_note": "只保留一行，其他来源写在其 note 中",
    "hint.add_coefficient": "请在园区的系数表中添加一行：{row}",
    "hint.days_coefficient": "按日计的系数需要一个“days”系数（单位 d）",
    "hint.activity_examples": "例如 crop_output:maize、livestock_head:dairy_cow、coal_burned",
    "hint.known_activities": "已有的活动：{activities}",
    "hint.activity_keys": "应为以下之一：{keys}；或在 coefficients.csv 中定义该细分的系数",
    "hint.activity_value": "例如 1.2，单位 万t/a",
    "hint.head_units": "请使用 head、头、只、万头 或 万只",
    "hint.activity_units": "请使用 t/a、万t/a、kt/a、t/d 等单位",
    "hint.split_park": "请拆分园区，或合并其中的流",
    "hint.no_password": "请去掉密码，另存为 Excel 工作簿（.xlsx）",
    "hint.delete_unused": "请删除表格下方和右侧未使用的行和列",
    "hint.use_one_of": "请使用以下之一：{choices}",
    "hint.already_used_row": "已在第 {row} 行使用",
    "hint.already_used_at": "已在 {path} 使用",
    "hint.already_given_row": "已在第 {row} 行给出",
    "hint.already_given_at": "已在 {path} 给出",
    "hint.add_column": "请添加“{column}”列（现有的列：{found}）",
    "hint.paste_values": "请直接填写数字（复制后“选择性粘贴”为数值）",
    "hint.leave_blank": "数值未知时请留空",
    "hint.decimal_point": "小数点请用“.”：{fixed}",
    "hint.no_spaces": "数字中请不要有空格：{fixed}",
    "hint.date": "这像是日期；请直接填写数字（将单元格格式设为数值）",
    "hint.control_character": "单元格中有控制字符；请重新输入数字",
    "hint.reverse_flow": "如果流的方向相反，请对调 source 和 target",
    "hint.true_false": "请填写 true 或 false（是 或 否）",
    "hint.check_unit": "请检查数字及其单位",
    "hint.correct_formula": "请在原表中改正公式，再粘贴为数值",
    "hint.hw_code": "请使用《国家危险废物名录（2021年版）》的类别代码 HW01–HW50",
    "hint.fate_on_flows": "请留空，或在离开该过程的流上填写去向",
    "hint.define_material": "请在 materials 表中定义，或填写其目录 id 或中文名称（flows/materials.csv）",
    "hint.material_both": "{hint}；中文名称：{names}",
    "hint.material_names": "中文名称：{names}",
    "hint.define_process": "请在 processes 表中定义",
    "hint.into_import": "输入过程只向园区送入物质；请改用输出或填埋过程",
    "hint.out_of_export": "输出过程只接收物质；请以输入过程为来源",
    "hint.keep_one": "只保留一处",
    "hint.flow_units": "请使用 t/a、t/d、kt/a、万t/a、万吨/年、kg/h 等单位",
    "hint.percent_sigma": "未知流的 sigma 请以 t/a 填写，或填写该流的数值",
    "hint.tc_share": "tc 是来源过程输入量的份额，例如 0.35",
    "hint.tc_sum": "一个过程各流出流的 tc 都是其输入量的份额，合计至多为 1",
    "hint.one_row_per_process_material": "每个过程、每种物质只填一行",
    "hint.known_settings": "可用的设置：{settings}",
    "hint.check_accents": "请检查带重音的字母，或在 Excel 中另存为“CSV UTF-8”",
    "hint.save_utf8": "请在 Excel 中另存为“CSV UTF-8”",
    "hint.quote_commas": "此行的单元格比表头多：值中的逗号需要加引号",
    "hint.unclosed_quote": "有引号未闭合",
    "hint.give_header": "请给出写有列名的表头行",
    "hint.column_once": "每列只给一次",
    "hint.folder_needs": "园区文件夹需要 {file}",
    "hint.known_files": "可识别的文件：{files}",
    "hint.yaml_sections": "园区文件包含 park、processes、flows 等部分",
    "hint.sections": "可用的部分：{sections}",
    "hint.save_xlsx": "请另存为 Excel 工作簿（.xlsx）",
    "hint.save_in_excel": "请用 Excel、WPS 或 LibreOffice 打开并保存该工作簿，使每个公式的值随之保存（mfa 从不计算公式）",
    "hint.year_option": "例如 --year 2023",
    "hint.periods_found": "已有的时期：{years}",
    "hint.no_year": "各行均未填写年份",
    "hint.one_period": "一个园区模型只含一个时期：请用 {options} 选择其一（Python：read_park(path, year={first})）；"
                       "如果该年份是数据的发布年份，请写在“note”中，并将“year”留空",
    "hint.save_as_xlsx": "请将工作簿另存为 .xlsx",
    "hint.pass_folder": "请给出文件夹 {folder}",
    "hint.park_formats": "请使用 CSV 文件夹、.yaml 文件或 .xlsx 工作簿",
}
MESSAGES_ZH.update(ISSUES_ZH)

#: Chinese of what a cell should hold or what a value names (the ``what`` of an input message).
TERMS_ZH: dict[str, str] = {
    "a number": "数字", "a coordinate": "坐标", "a capacity in t/a": "产能（t/a）",
    "a standard uncertainty": "不确定度（标准差）", "a transfer coefficient": "转移系数", "a year": "年份",
    "a stock in t": "库存量（t）", "a standard uncertainty of the stock in t": "库存的不确定度（标准差，t）",
    "a lifetime mean in years": "平均寿命（年）", "a lifetime std in years": "寿命的标准差（年）",
    "a lifetime scale in years": "寿命的尺度参数（年）", "a Weibull shape": "韦布尔形状参数",
    "a value in t/a, a transfer coefficient or a growth in %/a": "数值（t/a）、转移系数或年增长率（%/a）",
    "a value in t/a, a transfer coefficient, a growth in %/a or a capacity in t/a":
        "数值（t/a）、转移系数、年增长率（%/a）或产能（t/a）",
    "a rate (a share)": "比率（份额）", "a concentration": "含量", "a share 0–1": "0–1 之间的份额",
    "process kind": "过程类型", "material category": "物质类别", "fate": "去向", "process": "过程",
    "material": "物质", "flow": "流", "activity": "活动", "lifetime model": "寿命模型", "timing": "时间约定",
    "scenario column": "情景列", "comparison": "比较符", "internal process": "园区内的过程",
    "substance": "成分", "stock": "库存",
}

#: The frame of a printed problem in Chinese: the header, the value, the suggestion, the prefixes.
ISSUE_WORDS_ZH: dict[str, str] = {
    "problems": "错误：输入中有 {n:,} 处问题：", "more_problems": "……另有 {n:,} 处（用 --json 查看全部）",
    "error": "错误：{text}", "warning": "警告：{text}", "value": "（值：{value}）", "suggestion": "——{text}",
    "characters": "…（共 {n:,} 个字符）",
}

_SHEET = " [sheet "


def say_zh(message: object, code: str | None = None, params: dict | None = None) -> str:
    """A message (or hint) in Chinese by its code: :data:`MESSAGES_ZH` filled with its params, a ``what``
    said through :data:`TERMS_ZH`, a nested message said in Chinese too; the English text as written when
    the code has no Chinese.

    Parameters
    ----------
    message : str
        The English sentence; a :class:`mfa.errors.Message` brings its ``code`` and ``params``.
    code : str, optional
        The code, when the message does not carry it (an :class:`mfa.errors.Issue`'s ``code``).
    params : dict, optional
        Its parameters (with ``code``).

    Returns
    -------
    str

    Examples
    --------
    >>> say_zh("unknown process kind", "input.unknown_choice", {"what": "process kind"})
    '未知的过程类型'
    >>> say_zh("a sentence without code")
    'a sentence without code'
    >>> from mfa.errors import Message
    >>> say_zh(Message("use one of: export, fuel", "hint.use_one_of", choices=("export", "fuel")))
    '请使用以下之一：export（输出）、fuel'
    """
    code = code or getattr(message, "code", None)
    template = MESSAGES_ZH.get(code) if code else None
    if template is None:
        return str(message)
    given = params if params is not None else getattr(message, "params", {})
    values = {}
    for k, v in given.items():
        if getattr(v, "code", None):
            v = say_zh(v)
        elif isinstance(v, (tuple, list)) and k == "choices":  # a closed list: each word with its Chinese
            v = "、".join(f"{x}（{WORDS_ZH.get(x) or CATEGORY_ZH[x]}）" if x in WORDS_ZH or x in CATEGORY_ZH
                         else str(x) for x in v)
        elif isinstance(v, (tuple, list)):  # close ids keep their quotes, as the English shows them
            v = " 或 ".join(repr(x) if k == "close" else str(x) for x in v)
        elif isinstance(v, float):
            v = f"{v:g}"
        elif k == "what":
            v = TERMS_ZH.get(str(v), str(v))
        values[k] = v
    try:
        return template.format(**values)
    except (KeyError, IndexError, ValueError):  # a message built without a parameter its Chinese names
        return str(message)


def where_zh(file: str, row: int | None = None, path: str | None = None, column: str | None = None,
             more: "list[str] | tuple[str, ...]" = (), n_more: int = 0) -> str:
    """A location in Chinese: the file (a workbook's sheet named as the workbook shows it), the spreadsheet
    row or the YAML path, the column.

    Parameters
    ----------
    file : str
        The file as the issue names it (``book.xlsx [sheet flows]`` for a sheet).
    row : int, optional
        The row as a spreadsheet shows it.
    path : str, optional
        The YAML path (instead of row and column).
    column : str, optional
    more : sequence of str
        The further places shown (rows or YAML paths).
    n_more : int
        How many further places there are in all.

    Returns
    -------
    str

    Examples
    --------
    >>> where_zh("processes.csv", 3, column="kind")
    'processes.csv，第 3 行，“kind”列'
    >>> where_zh("park.xlsx [sheet flows]", 2, column="value", more=["5", "9"], n_more=2)
    'park.xlsx，工作表“flows”，第 2 行（另有 2 处：第 5、9 行），“value”列'
    >>> where_zh("park.yaml", path="flows[3].value")
    'park.yaml，flows[3].value'
    """
    parts = []
    if file:
        if file.endswith("]") and _SHEET in file:
            book, sheet = file[:-1].rsplit(_SHEET, 1)
            parts += [book, f"工作表“{sheet}”"]
        else:
            parts.append(file)
    tail = "、…" if n_more > len(more) else ""
    if path:
        parts.append(path + (f"（另有 {n_more:,} 处：{'、'.join(more)}{tail}）" if n_more else ""))
    else:
        if row is not None:
            parts.append(f"第 {row} 行" + (f"（另有 {n_more:,} 处：第 {'、'.join(more)}{tail} 行）" if n_more else ""))
        if column:
            parts.append(f"“{column}”列")
    return "，".join(parts)
