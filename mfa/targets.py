"""Targets for the utilisation rates, and how far a park is from them.

The shipped file ``flows/targets.csv`` holds the national 2025 (and 2020) targets of the 14th Five-Year
circular-economy plan and related documents, the thresholds of an eco-industrial-park standard, and the
levels Inner Mongolia reached (its own 2025 targets could not be retrieved; those rows have
``kind = baseline``). A park may use its own file with the same columns::

    id,indicator,comparison,value,year,region,level,kind,source,note
    my_iws,industrial_solid_waste_utilisation_rate,>=,0.75,2025,乌海,park plan,target,park plan 2021,

``value`` is a fraction (0.6 = 60 %; ``60%`` is accepted too); ``comparison`` is ``>=`` (at least, the
default) or ``<=`` (at most). ``indicator`` is an id of :func:`mfa.indicators`.

The **gap** is in tonnes per year: for ``>=`` the tonnes that would have to move to the numerator at the
same denominator, ``max(0, target × denominator − numerator)``; for ``<=`` the tonnes that would have to
leave it, ``max(0, numerator − target × denominator)``. It is 0 when the target is met and null when the
indicator has no value.

**Which targets apply** to a park (:func:`applicability`; columns ``applies`` and ``why`` of
:func:`evaluate`). A target is checked only against the indicator it was set for (its ``indicator`` id) and
only for parks of its region and level:

* ``region`` blank or national (China, 中国, 全国, national): every park. A province, written in Chinese or
  English (内蒙古 / 内蒙古自治区 / Inner Mongolia, 山东省 / Shandong …): parks whose ``park.region`` lies in that
  province — the province named first in a Chinese region (内蒙古自治区乌海市), last in an English one
  (Wuhai, Inner Mongolia). Any other place (a city, 乌海) must appear in the park's region as written.
* ``level`` blank or a scope word (national, regional, provincial, municipal, city, county, park, park plan
  and their Chinese forms): no further condition. Any other level is a **designation** a park holds — an
  eco-industrial park (生态工业园区, the parks of HJ 274-2015 and the provincial standards that follow it), a
  bulk solid-waste demonstration base (大宗固废综合利用示范基地) — and the target applies only to parks that
  declare it in ``park.level`` (several separated by ``;``). A provincial eco-industrial standard therefore
  applies only to eco-industrial parks of that province.

A park's own targets file with blank ``region`` and ``level`` applies to that park. Targets that do not
apply stay in the table with ``applies`` false, ``passed`` and ``gap_t`` null, and ``why`` saying why.

>>> t = load_targets()
>>> t.loc[t.id == "cn_2025_straw", ["indicator", "value"]].values.tolist()
[['straw_utilisation_rate', 0.86]]
>>> from mfa.park import ParkInfo
>>> applies, why = applicability(t[t.id.isin(["cn_2025_straw", "im_2020_iws", "park_iws"])],
...                             ParkInfo(region="内蒙古自治区乌海市", level="eco-industrial park"))
>>> applies
[True, False, True]
>>> for w in why: print(w)
national target: applies to every park
eco-industrial park standard (Shandong): park region 内蒙古自治区乌海市 is not in Shandong
Inner Mongolia target: park region 内蒙古自治区乌海市 is in Inner Mongolia
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from mfa.errors import Issue, MfaError, ParkError, suggest
from mfa.indicator_specs import INDICATOR_IDS

if TYPE_CHECKING:
    from mfa.park import ParkInfo

__all__ = ["load_targets", "evaluate", "applicability", "province_of", "TARGET_COLUMNS", "RESULT_COLUMNS"]

TARGET_COLUMNS: tuple[str, ...] = (
    "id", "indicator", "comparison", "value", "year", "region", "level", "kind", "source", "note",
)
_REQUIRED = ("indicator", "value", "source")
# The columns of evaluate(): the original thirteen, then what was added for applicability (issue 10).
RESULT_COLUMNS: tuple[str, ...] = (
    "id", "indicator", "kind", "region", "level", "year", "comparison", "target", "value", "passed", "gap_t",
    "source", "note", "applies", "why",
)


def load_targets(path: str | Path | None = None, indicator_ids: "set[str] | None" = None) -> pd.DataFrame:
    """The targets table: the shipped ``flows/targets.csv`` (``path`` None) or a park's own CSV file.

    Every problem (missing column, value not a fraction, unknown comparison or indicator, missing source) is
    reported at once as :class:`~mfa.errors.ParkError`, located by file, row and column.

    Parameters
    ----------
    path : str or pathlib.Path, optional
        A targets CSV file; None for the shipped one.
    indicator_ids : set of str, optional
        The indicator ids allowed (default: every indicator).

    Returns
    -------
    pandas.DataFrame
        One row per target.

    Examples
    --------
    >>> t = load_targets()
    >>> list(t.columns[:4])
    ['id', 'indicator', 'comparison', 'value']
    >>> bool(len(t))
    True
    """
    from mfa.catalogue import data_path

    if path is None:
        path = data_path("flows", "targets.csv")
    path = Path(path)
    if not path.is_file():
        raise MfaError(f"targets file not found: {path}")
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise MfaError(f"{path}: cannot read as a CSV file ({exc})") from exc
    raw = raw.apply(lambda s: s.str.strip()) if len(raw.columns) else raw
    if indicator_ids is None:
        indicator_ids = set(INDICATOR_IDS)
    issues: list[Issue] = []
    f = str(path)
    for col in _REQUIRED:
        if col not in raw.columns:
            issues.append(Issue(f, f"targets file has no '{col}' column", column=col,
                                suggestion="columns: " + ",".join(TARGET_COLUMNS)))
    if issues:
        raise ParkError(issues)
    for col in raw.columns:
        if col not in TARGET_COLUMNS:
            issues.append(Issue(f, f"unknown column '{col}'", column=col,
                                suggestion=suggest(col, TARGET_COLUMNS) or "columns: " + ",".join(TARGET_COLUMNS)))
    from mfa.errors import RawTable
    from mfa.validation import Column, check_columns

    fraction = "target must be a fraction between 0 and 1"
    table = RawTable("targets", f, raw, range(2, len(raw) + 2))  # rows as a spreadsheet shows them
    checked = check_columns(table, [
        Column("indicator", "choice", required=True, choices=indicator_ids, message="unknown indicator",
               blank_message="unknown indicator",
               suggestion=lambda v: suggest(v, indicator_ids) or "see `mfa indicators --help`"),
        Column("value", "number", required=True, low=0.0, high=1.0, percent=True, message=fraction,
               range_message=fraction, blank_message=fraction, suggestion="write 0.6 or 60%",
               blank_suggestion="write 0.6 or 60%"),
        Column("comparison", "choice", choices=(">=", "<="), default=">=",
               message="comparison must be >= or <="),
        Column("source", required=True, blank_message="a target needs its source",
               blank_suggestion="the document that sets it, e.g. S11 or the park's plan"),
        Column("year", "year"),
    ], issues)
    if issues:
        raise ParkError(issues)
    v = checked.values
    text = {c: (raw[c] if c in raw.columns else pd.Series("", index=raw.index, dtype="str"))
            for c in TARGET_COLUMNS}
    ids = text["id"].where(text["id"] != "", "target" + pd.Series(range(1, len(raw) + 1), index=raw.index).astype(str))
    out = pd.DataFrame({**text, "id": ids, "comparison": v["comparison"], "value": v["value"],
                        "year": v["year"], "kind": text["kind"].where(text["kind"] != "", "target")},
                       columns=list(TARGET_COLUMNS))
    out["year"] = pd.array(out["year"].tolist(), dtype="Int64")
    out["value"] = out["value"].astype(float)
    return out


# -- applicability ----------------------------------------------------------------------------------
# The 34 provincial-level divisions: Chinese short name, then English names (lower case). A region is
# matched on these, so 内蒙古自治区乌海市, "Wuhai, Inner Mongolia" and 内蒙 all lie in Inner Mongolia.
_PROVINCES: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("Beijing", ("北京",), ("beijing",)), ("Tianjin", ("天津",), ("tianjin",)), ("Hebei", ("河北",), ("hebei",)),
    ("Shanxi", ("山西",), ("shanxi",)),
    ("Inner Mongolia", ("内蒙古", "内蒙"), ("inner mongolia", "nei mongol", "neimenggu", "nei menggu")),
    ("Liaoning", ("辽宁",), ("liaoning",)), ("Jilin", ("吉林",), ("jilin",)),
    ("Heilongjiang", ("黑龙江",), ("heilongjiang",)), ("Shanghai", ("上海",), ("shanghai",)),
    ("Jiangsu", ("江苏",), ("jiangsu",)), ("Zhejiang", ("浙江",), ("zhejiang",)), ("Anhui", ("安徽",), ("anhui",)),
    ("Fujian", ("福建",), ("fujian",)), ("Jiangxi", ("江西",), ("jiangxi",)), ("Shandong", ("山东",), ("shandong",)),
    ("Henan", ("河南",), ("henan",)), ("Hubei", ("湖北",), ("hubei",)), ("Hunan", ("湖南",), ("hunan",)),
    ("Guangdong", ("广东",), ("guangdong",)), ("Guangxi", ("广西",), ("guangxi",)),
    ("Hainan", ("海南",), ("hainan",)), ("Chongqing", ("重庆",), ("chongqing",)),
    ("Sichuan", ("四川",), ("sichuan",)), ("Guizhou", ("贵州",), ("guizhou",)), ("Yunnan", ("云南",), ("yunnan",)),
    ("Tibet", ("西藏",), ("tibet", "xizang")), ("Shaanxi", ("陕西",), ("shaanxi",)), ("Gansu", ("甘肃",), ("gansu",)),
    ("Qinghai", ("青海",), ("qinghai",)), ("Ningxia", ("宁夏",), ("ningxia",)), ("Xinjiang", ("新疆",), ("xinjiang",)),
    ("Hong Kong", ("香港",), ("hong kong",)), ("Macao", ("澳门",), ("macao", "macau")),
    ("Taiwan", ("台湾",), ("taiwan",)),
)
_NATIONAL = {"china", "中国", "全国", "国家", "national", "nationwide", "prc", "中华人民共和国"}
# Levels that say how far a target reaches, not what a park must be: they add no condition.
_SCOPE_LEVELS = {"", "national", "regional", "provincial", "municipal", "city", "prefecture", "county",
                 "league", "park", "park plan", "plan", "国家", "全国", "国家级", "省", "省级", "自治区",
                 "区域", "地区", "市", "市级", "盟", "县", "县级", "园区", "园区规划"}
# Designations a park may hold, each with its names; the first English name is the one printed, and
# the noun says what sets its thresholds (HJ 274-2015 and provincial standards set those of eco-industrial
# parks; the 381号 programme those of demonstration bases).
_DESIGNATIONS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("eco-industrial park", "standard",
     ("eco industrial park", "eco industrial", "eco industrial demonstration park",
      "national eco industrial demonstration park", "provincial eco industrial park", "生态工业园区",
      "生态工业示范园区", "国家生态工业示范园区", "省级生态工业园区")),
    ("demonstration base", "target",
     ("demonstration base", "bulk solid waste demonstration base", "大宗固废综合利用示范基地", "示范基地",
      "综合利用示范基地")),
)
_CJK = re.compile(r"[\u4e00-\u9fff]")


def _norm(text: Any) -> str:
    """Lower case, '-' and '_' as spaces, single spaces: the form levels and region words are compared in."""
    if text is None or (isinstance(text, float) and text != text):
        return ""
    return " ".join(re.sub(r"[-_]", " ", str(text)).lower().split())


def province_of(region: Any) -> str | None:
    """The English name of the province a region text lies in, or None.

    A Chinese address names its province first (内蒙古自治区乌海市; a later name such as 海南藏族自治州
    in 青海 is a prefecture), an English one last ("Wuhai, Inner Mongolia"): the first, resp. last, match wins.

    Parameters
    ----------
    region : Any
        A region text as a park gives it (Chinese or English); None or NaN is no region.

    Returns
    -------
    str or None
        The province's English name.

    Examples
    --------
    >>> province_of("内蒙古自治区乌海市"), province_of("Jinan, Shandong"), province_of("乌海市")
    ('Inner Mongolia', 'Shandong', None)
    """
    text = _norm(region)
    if not text:
        return None
    if _CJK.search(text):
        hits = [(text.find(zh), name) for name, zhs, _ in _PROVINCES for zh in zhs if zh in text]
        if hits:
            return min(hits)[1]
    hits = []
    for name, _, ens in _PROVINCES:
        for en in ens:
            for m in re.finditer(rf"\b{re.escape(en)}\b", text):
                hits.append((m.start(), name))
    return max(hits)[1] if hits else None


def _designation(level: str) -> tuple[str, str] | None:
    """(printed name, noun) of a designation level, None for a scope level."""
    key = _norm(level)
    if key in _SCOPE_LEVELS:
        return None
    for name, noun, aliases in _DESIGNATIONS:
        if key == _norm(name) or key in {_norm(a) for a in aliases}:
            return name, noun
    return level.strip(), "target"


def _park_designations(info: Any) -> set[str]:
    """The printed names of the designations a park declares in ``park.level`` (``;``-separated)."""
    out = set()
    for part in re.split(r"[;；,，]", str(getattr(info, "level", None) or "")):
        d = _designation(part) if _norm(part) else None
        if d is not None:
            out.add(_norm(d[0]))
    return out


def applicability(targets: pd.DataFrame, info: ParkInfo | None) -> tuple[list[bool], list[str]]:
    """Whether each target applies to a park with metadata ``info`` (a :class:`~mfa.park.ParkInfo`), and a
    short sentence saying why (rules in the module docstring). ``info`` None: every target applies (the
    caller gave no park to check against).

    Parameters
    ----------
    targets : pandas.DataFrame
        A targets table (:func:`load_targets`), read for its ``region`` and ``level`` columns.
    info : mfa.ParkInfo or None
        The park's metadata (``park.info``).

    Returns
    -------
    tuple of (list of bool, list of str)
        Per target: whether it applies, and why.

    Examples
    --------
    >>> from mfa.park import ParkInfo
    >>> t = pd.DataFrame({"region": ["内蒙古", "Shandong"], "level": ["", ""]})
    >>> applicability(t, ParkInfo(region="内蒙古自治区乌海市"))
    ([True, False], ['Inner Mongolia target: park region 内蒙古自治区乌海市 is in Inner Mongolia', 'Shandong target: park region 内蒙古自治区乌海市 is not in Shandong'])
    """
    applies: list[bool] = []
    why: list[str] = []
    park_region = getattr(info, "region", None) if info is not None else None
    park_province = province_of(park_region)
    declared = _park_designations(info) if info is not None else set()
    for region, level in zip(targets["region"].tolist(), targets["level"].tolist()):
        region = "" if region is None or (isinstance(region, float) and region != region) else str(region).strip()
        level = "" if level is None or (isinstance(level, float) and level != level) else str(level).strip()
        if info is None:
            applies.append(True)
            why.append("no park metadata given: evaluated without checking region and level")
            continue
        # Region: who is covered.
        if not region:
            label, region_ok, region_why = None, True, ""
        elif _norm(region) in _NATIONAL:
            label, region_ok, region_why = "national", True, ""
        else:
            want = province_of(region)
            label = want or region
            if not park_region:
                region_ok, region_why = False, "the park gives no region"
            elif want is not None:
                region_ok = park_province == want
                if region_ok:
                    region_why = f"park region {park_region} is in {want}"
                elif park_province is None:
                    region_why = (f"park region {park_region} names no province "
                                  f"(write it first, e.g. 内蒙古自治区乌海市)")
                else:
                    region_why = f"park region {park_region} is not in {want}"
            else:  # a place below province level: matched as written
                region_ok = _norm(region) in _norm(park_region)
                region_why = f"park region {park_region} {'includes' if region_ok else 'does not include'} {region}"
        # Level: which parks of that region.
        desig = _designation(level)
        level_ok, level_why = True, ""
        if desig is not None:
            level_ok = _norm(desig[0]) in declared
            level_why = (f"the park declares level {desig[0]}" if level_ok
                         else f"the park does not declare level {desig[0]}")
        ok = region_ok and level_ok
        if desig is not None:
            head = f"{desig[0]} {desig[1]} ({label or 'any region'})"
        elif label is None:
            head = "target without region or level"
        else:
            head = f"{label} target"
        if desig is None and label in (None, "national"):
            reason = "applies to every park" if label == "national" else "applies to this park"
        else:
            parts = [p for p in (region_why, level_why) if p]
            if not ok:  # say only what fails
                parts = [p for p, good in ((region_why, region_ok), (level_why, level_ok)) if p and not good]
            reason = " and ".join(parts)
        if reason.startswith("the park "):
            reason = "park " + reason[len("the park "):]
        applies.append(bool(ok))
        why.append(f"{head}: {reason}")
    return applies, why


def evaluate(table: pd.DataFrame, targets: pd.DataFrame, info: ParkInfo | None = None) -> pd.DataFrame:
    """Each target against the indicator table (columns id, value, numerator, denominator) of a park with
    metadata ``info`` (:class:`~mfa.park.ParkInfo`; None = check no region or level).

    Parameters
    ----------
    table : pandas.DataFrame
        The indicators (``mfa.indicators(park).table``): id, value, numerator, denominator.
    targets : pandas.DataFrame
        A targets table (:func:`load_targets`).
    info : mfa.ParkInfo, optional
        The park's metadata; None checks no region or level.

    Returns
    -------
    pandas.DataFrame
        One row per target, columns :data:`RESULT_COLUMNS`: id, indicator, kind, region, level, year,
        comparison, target, value, passed (bool, null when the indicator has no value or the target does not
        apply), gap_t (t/a, see module docstring; null likewise), source, note, applies (bool) and why (a
        sentence: which rule made the target apply or not).

    Examples
    --------
    >>> rates = pd.DataFrame({"id": ["straw_utilisation_rate"], "value": [0.8], "numerator": [80.0],
    ...                       "denominator": [100.0]})
    >>> t = load_targets()
    >>> r = evaluate(rates, t[t.id == "cn_2025_straw"])
    >>> r[["target", "value", "passed", "gap_t"]].values.tolist()   # 0.86 × 100 − 80 t/a still to utilise
    [[0.86, 0.8, False, 6.0]]
    """
    applies_list, why = applicability(targets, info)
    applies = np.asarray(applies_list, dtype=bool)
    ind = table.set_index("id")
    val = targets["indicator"].map(ind["value"]).astype(float).to_numpy()
    num = targets["indicator"].map(ind["numerator"]).astype(float).to_numpy()
    den = targets["indicator"].map(ind["denominator"]).astype(float).to_numpy()
    tgt = targets["value"].to_numpy(dtype=float)
    at_least = (targets["comparison"] == ">=").to_numpy()
    # A target that does not apply is listed (the report says why) but never passed or failed.
    has = ~np.isnan(val) & applies
    # A small tolerance so that a rate printed as the target is not failed by rounding.
    passed = np.where(at_least, val >= tgt - 1e-12, val <= tgt + 1e-12)
    gap = np.where(at_least, np.maximum(0.0, tgt * den - num), np.maximum(0.0, num - tgt * den))
    return pd.DataFrame({
        "id": targets["id"].to_numpy(), "indicator": targets["indicator"].to_numpy(),
        "kind": targets["kind"].to_numpy(), "region": targets["region"].to_numpy(),
        "level": targets["level"].to_numpy(), "year": targets["year"].to_numpy(),
        "comparison": targets["comparison"].to_numpy(), "target": tgt, "value": val,
        "passed": pd.array(np.where(has, passed, None).tolist(), dtype="boolean"),
        "gap_t": np.where(has, gap, np.nan),
        "source": targets["source"].to_numpy(), "note": targets["note"].to_numpy(),
        "applies": applies, "why": np.asarray(why, dtype=object),
    }, columns=list(RESULT_COLUMNS))
