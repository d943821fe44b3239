"""Targets that fit (issue 10, item 7): a target is checked only against its own indicator and only for parks
of its region and level; the others are listed with applies = false and the reason.

Every park below generates 100 t/a of fly ash; ``used`` tonnes go to a cement plant and the rest to a
landfill, so the general industrial solid-waste rate is used / 100 exactly.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

import mfa
from mfa.cli import main
from mfa.utilisation import indicators
from mfa.targets import RESULT_COLUMNS, applicability, evaluate, load_targets, province_of

OLD_COLUMNS = ["id", "indicator", "kind", "region", "level", "year", "comparison", "target", "value", "passed",
               "gap_t", "source", "note"]


def fly_ash_park(used: float, **info) -> mfa.Park:
    procs = [{"id": "plant", "name": "Power plant", "kind": "production"},
             {"id": "cement", "name": "Cement", "kind": "production"},
             {"id": "fill", "name": "Landfill", "kind": "landfill"},
             {"id": "city", "name": "City", "kind": "export"}]
    flows = [{"source": "plant", "target": "cement", "material": "fly_ash", "value": used},
             {"source": "plant", "target": "fill", "material": "fly_ash", "value": 100 - used},
             {"source": "cement", "target": "city", "material": "cement", "value": used}]
    return mfa.Park.from_frames(processes=procs, flows=flows, info={"name": "t", **info})


def targets_of(park) -> pd.DataFrame:
    return indicators(park).targets.set_index("id")


def test_wuhai_like_park_gets_national_and_inner_mongolia_not_shandong_eco_park():
    t = targets_of(fly_ash_park(70, region="内蒙古自治区乌海市"))
    assert list(t.reset_index().columns) == list(RESULT_COLUMNS)
    assert t.loc["cn_2020_iws", "applies"] and t.loc["im_2020_iws", "applies"]
    assert t.loc["cn_2020_iws", "why"] == "national target: applies to every park"
    assert t.loc["im_2020_iws", "why"] == ("Inner Mongolia target: park region 内蒙古自治区乌海市 is in "
                                           "Inner Mongolia")
    # 70 % against the national 73 %: 3 t more would have to be utilised; Inner Mongolia's 40 % is met
    assert not t.loc["cn_2020_iws", "passed"]
    assert t.loc["cn_2020_iws", "gap_t"] == pytest.approx(0.73 * 100 - 70)
    assert bool(t.loc["im_2020_iws", "passed"]) and t.loc["im_2020_iws", "gap_t"] == 0
    # the Shandong eco-industrial-park standard: listed, not checked, and why
    assert not t.loc["park_iws", "applies"]
    assert t.loc["park_iws", "passed"] is pd.NA and pd.isna(t.loc["park_iws", "gap_t"])
    assert t.loc["park_iws", "value"] == pytest.approx(0.70)  # the park's own rate is still shown
    assert t.loc["park_iws", "why"] == ("eco-industrial park standard (Shandong): park region 内蒙古自治区乌海市 "
                                        "is not in Shandong and the park does not declare level "
                                        "eco-industrial park")
    # a demonstration base's 75 % is for declared bases only
    assert not t.loc["cn_2025_bulk_base", "applies"]
    assert t.loc["cn_2025_bulk_base", "why"] == ("demonstration base target (national): park does not "
                                                 "declare level demonstration base")


@pytest.mark.parametrize("level", ["eco-industrial park", "生态工业园区", "Eco_Industrial park; demonstration base"])
def test_shandong_eco_industrial_park_gets_the_shandong_standard(level):
    t = targets_of(fly_ash_park(65, region="山东省淄博市", level=level))
    assert t.loc["park_iws", "applies"]
    assert t.loc["park_iws", "why"] == ("eco-industrial park standard (Shandong): park region 山东省淄博市 is in "
                                        "Shandong and the park declares level eco-industrial park")
    assert not t.loc["park_iws", "passed"] and t.loc["park_iws", "gap_t"] == pytest.approx(0.70 * 100 - 65)
    # and no Inner Mongolia level for a park in Shandong
    assert not t.loc["im_2020_iws", "applies"] and t.loc["im_2020_iws", "passed"] is pd.NA
    assert t.loc["im_2020_iws", "why"] == "Inner Mongolia target: park region 山东省淄博市 is not in Inner Mongolia"
    assert t.loc["cn_2020_iws", "applies"]


def test_provincial_eco_standard_needs_both_province_and_level():
    plain_shandong = targets_of(fly_ash_park(80, region="Zibo, Shandong"))
    assert not plain_shandong.loc["park_iws", "applies"]
    assert plain_shandong.loc["park_iws", "why"] == ("eco-industrial park standard (Shandong): park does not "
                                                     "declare level eco-industrial park")
    im_eco = targets_of(fly_ash_park(80, region="内蒙古自治区包头市", level="eco-industrial park"))
    assert not im_eco.loc["park_iws", "applies"]
    assert im_eco.loc["park_iws", "why"] == ("eco-industrial park standard (Shandong): park region 内蒙古自治区包头市 "
                                             "is not in Shandong")
    no_region = targets_of(fly_ash_park(80))
    assert not no_region.loc["im_2020_iws", "applies"]
    assert no_region.loc["im_2020_iws", "why"] == "Inner Mongolia target: park gives no region"
    city_only = targets_of(fly_ash_park(80, region="乌海市"))
    assert not city_only.loc["im_2020_iws", "applies"] and "names no province" in city_only.loc["im_2020_iws", "why"]


def test_renewable_resource_rate_never_checked_against_another_indicator():
    shipped = load_targets()
    # 再生资源循环利用率 (HJ 274-2015) is not 主要再生资源回收率; no shipped row may file it under that id
    mixed = (shipped["indicator"] == "renewable_resource_recovery_rate") & (
        shipped["note"].str.contains("再生资源循环利用率") | shipped["id"].eq("park_renewable"))
    assert not mixed.any()
    # a Shandong eco-industrial park with a renewable-resource network gets no renewable-resource target
    procs = [{"id": "city", "name": "City", "kind": "import"},
             {"id": "station", "name": "Station", "kind": "collection"},
             {"id": "mill", "name": "Paper mill", "kind": "production"},
             {"id": "fill", "name": "Landfill", "kind": "landfill"},
             {"id": "out", "name": "Market", "kind": "export"}]
    flows = [{"source": "city", "target": "station", "material": "waste_paper", "value": 100},
             {"source": "station", "target": "mill", "material": "waste_paper", "value": 70},
             {"source": "station", "target": "fill", "material": "waste_paper", "value": 30},
             {"source": "mill", "target": "out", "material": "paper_liner", "value": 70}]
    park = mfa.Park.from_frames(processes=procs, flows=flows,
                                info={"region": "山东省济南市", "level": "eco-industrial park"})
    t = indicators(park).targets
    assert not (t["indicator"] == "renewable_resource_recovery_rate").any()
    assert t.loc[t["id"] == "park_iws", "applies"].item()  # the park does get the standard's IWS row


def test_own_targets_file_with_blank_region_and_level_applies(tmp_path):
    own = tmp_path / "targets.csv"
    own.write_text("id,indicator,comparison,value,region,level,source\n"
                   "mine,industrial_solid_waste_utilisation_rate,>=,0.8,,,park plan 2021\n"
                   "city,industrial_solid_waste_utilisation_rate,>=,0.5,乌海,park plan,city plan\n"
                   "rp,resource_productivity,>=,0.5,,,park plan 2021\n", encoding="utf-8")
    wuhai = indicators(fly_ash_park(70, region="内蒙古自治区乌海市"), targets=own).targets.set_index("id")
    assert wuhai.loc["mine", "applies"] and wuhai.loc["mine", "why"] == ("target without region or level: "
                                                                        "applies to this park")
    assert wuhai.loc["mine", "gap_t"] == pytest.approx(0.8 * 100 - 70)
    assert wuhai.loc["city", "applies"] and bool(wuhai.loc["city", "passed"])
    assert wuhai.loc["city", "why"] == "乌海 target: park region 内蒙古自治区乌海市 includes 乌海"
    baotou = indicators(fly_ash_park(70, region="内蒙古自治区包头市"), targets=own).targets.set_index("id")
    assert not baotou.loc["city", "applies"] and baotou.loc["mine", "applies"]
    # resource_productivity is a valid target indicator (it was missing from the fallback id set)
    assert load_targets(own)["indicator"].tolist()[-1] == "resource_productivity"


def test_province_of_reads_chinese_and_english_regions():
    assert province_of("内蒙古自治区乌海市") == "Inner Mongolia"
    assert province_of("Wuhai, Inner Mongolia") == "Inner Mongolia"
    assert province_of("青海省海南藏族自治州") == "Qinghai"  # the province first, not the prefecture 海南
    assert province_of("Xi'an, Shaanxi") == "Shaanxi" and province_of("Taiyuan, Shanxi") == "Shanxi"
    assert province_of("内蒙古自治区（示例）") == "Inner Mongolia"
    assert province_of("乌海市") is None and province_of(None) is None and province_of("") is None


def test_evaluate_without_park_info_applies_everything():
    table = pd.DataFrame({"id": ["industrial_solid_waste_utilisation_rate"], "value": [0.5],
                          "numerator": [50.0], "denominator": [100.0]})
    t = load_targets()
    t = t[t["indicator"] == "industrial_solid_waste_utilisation_rate"]
    out = evaluate(table, t)
    assert out["applies"].all() and list(out.columns[:13]) == OLD_COLUMNS
    assert out.set_index("id").loc["park_iws", "gap_t"] == pytest.approx(0.7 * 100 - 50)
    ok, _ = applicability(t, mfa.ParkInfo(region="山东省", level="生态工业园区"))
    assert dict(zip(t["id"], ok)) == {"cn_2020_iws": True, "park_iws": True, "im_2020_iws": False}


def test_level_round_trips_through_every_format(tmp_path):
    park = fly_ash_park(70, region="山东省淄博市", level="eco-industrial park")
    for name in ("p.yaml", "p.xlsx", "folder"):
        out = mfa.write_park(park, tmp_path / name)
        assert mfa.read_park(out).info.level == "eco-industrial park"


def test_cli_json_targets_keep_keys_and_add_applies_why(capsys):
    assert main(["indicators", "wuhai", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    rows = {r["id"]: r for r in doc["targets"]}
    for r in rows.values():
        assert set(OLD_COLUMNS) | {"applies", "why"} == set(r)
    assert rows["im_2020_iws"]["applies"] is True
    assert rows["park_iws"]["applies"] is False and rows["park_iws"]["passed"] is None
    assert rows["park_iws"]["gap_t"] is None and "Shandong" in rows["park_iws"]["why"]


def test_report_lists_applied_targets_with_why_and_the_others_apart():
    from mfa.report import indicator_section

    sec = indicator_section(fly_ash_park(70, region="内蒙古自治区乌海市"), "en")
    assert "why" in [c["key"] for c in sec["targets"]["columns"]]
    applied = {r["why"] for r in sec["targets"]["rows"]}
    assert "Inner Mongolia target: park region 内蒙古自治区乌海市 is in Inner Mongolia" in applied
    skipped = {r["id"]: r["why"] for r in sec["targets_not_applied"]["rows"]}
    assert set(skipped) == {"cn_2025_bulk_base", "park_iws"}
    assert skipped["park_iws"].startswith("eco-industrial park standard (Shandong)")


def test_every_indicator_id_is_a_valid_target(tmp_path):
    """load_targets accepts every id indicators() computes (resource_productivity included), from the one
    spec list, and targets does not import the engine that computes them."""
    import ast
    from pathlib import Path

    from mfa.indicator_specs import INDICATOR_IDS

    own = tmp_path / "t.csv"
    own.write_text("id,indicator,value,source\n" + "".join(f"t{i},{x},0.5,plan\n"
                                                            for i, x in enumerate(INDICATOR_IDS)), encoding="utf-8")
    assert tuple(load_targets(own)["indicator"]) == INDICATOR_IDS
    assert "resource_productivity" in INDICATOR_IDS
    source = ast.parse(Path(__file__).resolve().parents[1].joinpath("mfa", "targets.py").read_text("utf-8"))
    imported = {n.module for n in ast.walk(source) if isinstance(n, ast.ImportFrom)}
    assert "mfa.utilisation" not in imported and "mfa.indicator_specs" in imported
