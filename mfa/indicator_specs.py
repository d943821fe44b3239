"""The indicator specifications: ids, names, scopes and formulas of the utilisation rates, as data.

A leaf module (it imports nothing of mfa), so that :mod:`mfa.utilisation` (which computes the rates) and
:mod:`mfa.targets` (which checks a targets file names a known indicator) both read the one list without
importing each other. The printed formula and the computed terms cannot drift apart: ``num`` and ``den`` are
the terms :func:`mfa.indicators` adds up.

>>> INDICATOR_IDS[:2]
('industrial_solid_waste_utilisation_rate', 'industrial_solid_waste_disposal_rate')
>>> "resource_productivity" in INDICATOR_IDS
True
"""

from __future__ import annotations

from typing import Any

__all__ = ["INDICATORS", "INDICATOR_IDS", "RESOURCE_PRODUCTIVITY", "SCOPE_ZH", "STRAW_ROUTES", "CONVENTION_NOTE",
           "CONVENTION_NOTE_ZH"]

#: The five uses of straw counted as utilised (五料化, S27): fertiliser (incl. return to the field), feed, fuel,
#: substrate, raw material. A utilised straw flow's ``route`` should be one of them.
STRAW_ROUTES: tuple[str, ...] = ("fertiliser", "feed", "fuel", "substrate", "raw_material")

_UTIL = "utilised (this year's waste and prior-year storage) ÷ (generated + prior-year storage utilised)"
_UTIL_ZH = "综合利用量（含综合利用往年贮存量）÷（产生量 + 综合利用往年贮存量）"

#: The indicators, in output order. ``scope`` selects materials: a category, "bulk" or "waste". ``num`` and
#: ``den`` are the terms added up, exactly as ``formula`` prints them.
INDICATORS: tuple[dict[str, Any], ...] = (
    {"id": "industrial_solid_waste_utilisation_rate", "name": "General industrial solid waste utilisation rate",
     "name_zh": "一般工业固体废物综合利用率", "scope": "industrial_solid_waste", "num": ("utilised",),
     "den": ("generated", "prior_utilised"), "formula": _UTIL, "formula_zh": _UTIL_ZH, "source": "S01;S02",
     "assumption": False},
    {"id": "industrial_solid_waste_disposal_rate", "name": "General industrial solid waste disposal rate",
     "name_zh": "一般工业固体废物处置率", "scope": "industrial_solid_waste", "num": ("disposed",),
     "den": ("generated", "prior_disposed"),
     "formula": "disposed (this year's waste and prior-year storage) ÷ (generated + prior-year storage disposed)",
     "formula_zh": "处置量（含处置往年贮存量）÷（产生量 + 处置往年贮存量）", "source": "S03", "assumption": False},
    {"id": "bulk_solid_waste_utilisation_rate", "name": "Bulk solid waste utilisation rate",
     "name_zh": "大宗固废综合利用率", "scope": "bulk", "num": ("utilised",),
     "den": ("generated", "prior_utilised"), "formula": _UTIL + ", over the bulk wastes (straw included)",
     "formula_zh": _UTIL_ZH + "（煤矸石、粉煤灰、尾矿、冶炼渣、工业副产石膏、建筑垃圾、农作物秸秆）",
     "source": "S12;S50", "assumption": False},
    {"id": "straw_utilisation_rate", "name": "Crop straw utilisation rate", "name_zh": "秸秆综合利用率",
     "scope": "straw", "num": ("utilised",), "den": ("generated",),
     "formula": "utilised (this year's straw and prior-year storage) ÷ collectable straw resource (generated)",
     "formula_zh": "秸秆综合利用量 ÷ 秸秆可收集资源量", "source": "S27", "assumption": False},
    {"id": "manure_utilisation_rate", "name": "Livestock manure utilisation rate",
     "name_zh": "畜禽粪污综合利用率", "scope": "manure", "num": ("utilised",), "den": ("generated",),
     "formula": "utilised (this year's manure and prior-year storage) ÷ generated",
     "formula_zh": "畜禽粪污综合利用量 ÷ 畜禽粪污产生量", "source": "S27;S22", "assumption": False},
    {"id": "hazardous_waste_utilisation_disposal_rate", "name": "Hazardous waste utilisation and disposal rate",
     "name_zh": "危险废物利用处置率", "scope": "hazardous_waste", "num": ("utilised", "disposed"),
     "den": ("generated", "prior_utilised", "prior_disposed"),
     "formula": "(utilised + disposed, this year's waste and prior-year storage) ÷ (generated + prior-year "
                "storage utilised + prior-year storage disposed)",
     "formula_zh": "（利用量 + 处置量，含往年贮存量）÷（产生量 + 利用往年贮存量 + 处置往年贮存量）",
     "source": "S36;S90;S08", "assumption": True},
    {"id": "renewable_resource_recovery_rate", "name": "Main renewable resources recovery rate",
     "name_zh": "主要再生资源回收率", "scope": "renewable_resource", "num": ("utilised",), "den": ("generated",),
     "formula": "recovered and utilised ÷ generated (post-consumer waste of consumption processes and scrap "
                "of production processes)",
     "formula_zh": "回收利用量 ÷ 产生量（社会源废旧物资与生产过程废料）", "source": "S28", "assumption": True},
    {"id": "construction_waste_utilisation_rate", "name": "Construction waste utilisation rate",
     "name_zh": "建筑垃圾综合利用率", "scope": "construction_waste", "num": ("utilised",), "den": ("generated",),
     "formula": "utilised (this year's waste and prior-year storage) ÷ generated",
     "formula_zh": "建筑垃圾综合利用量 ÷ 建筑垃圾产生量", "source": "S27;S11", "assumption": False},
    {"id": "landfill_diversion_rate", "name": "Landfill diversion rate", "name_zh": "填埋减量率",
     "scope": "waste", "num": ("diverted",), "den": ("total",),
     "formula": "(generated + prior-year storage drawn − landfilled) ÷ (generated + prior-year storage drawn); "
                "landfilled = every tonne reaching a landfill, treatment residues included",
     "formula_zh": "（产生量 + 往年贮存量 − 填埋量）÷（产生量 + 往年贮存量）；填埋量含处理残渣",
     "source": "derived", "assumption": True},
)
#: Scopes in Chinese, for the reasons a rate has no value.
SCOPE_ZH = {"industrial_solid_waste": "一般工业固体废物", "hazardous_waste": "危险废物", "straw": "农作物秸秆",
             "manure": "畜禽粪污", "renewable_resource": "再生资源", "construction_waste": "建筑垃圾",
             "bulk": "大宗固废", "waste": "废物"}
#: One sentence on how the two conventions differ, for the CLI and the report.
CONVENTION_NOTE = ("value = official (enterprise reporting: waste handed to a user counts as utilised where it "
                   "arises; a user's or handler's residue is its own generation); traced = each tonne followed to "
                   "where it finally ends (a process that passes waste on utilises only the difference)")
CONVENTION_NOTE_ZH = ("数值为统计口径（企业报表：交给利用单位即计为综合利用，利用或处置单位的残渣计为其自身产生量）；"
                      "追踪口径 = 每吨废物追踪至最终去向（接收废物又送出废物的单位只计其差额为利用）")
RESOURCE_PRODUCTIVITY = {
    "id": "resource_productivity", "name": "Resource productivity", "name_zh": "资源产出率",
    "scope": "raw_material+fuel", "formula": "value added ÷ raw materials and fuels entering the park",
    "formula_zh": "工业增加值 ÷ 主要资源消耗量", "source": "S29", "assumption": True,
}
#: Every indicator id :func:`mfa.indicators` computes, in output order: the waste rates of
#: :data:`INDICATORS`, then resource productivity (computed beside them: it is not a waste rate).
INDICATOR_IDS: tuple[str, ...] = tuple(spec["id"] for spec in INDICATORS) + (RESOURCE_PRODUCTIVITY["id"],)
