"""Generation from activity data: hand-computed cases, overrides, uncertainty rule, located errors."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import mfa
from mfa.errors import ParkError, RawTable
from mfa.generation import generate, shipped_coefficients

PROCS = pd.DataFrame({"id": ["farm", "yard", "plant", "cows", "pit"],
                      "kind": ["production", "collection", "production", "production", "collection"]})


def raw(rows: list[dict], name="activities") -> RawTable:
    frame = pd.DataFrame(rows).fillna("").astype(str)
    return RawTable(name, f"{name}.csv", frame, list(range(2, len(frame) + 2)))


def test_straw_hand_computed():
    flows, issues = generate(raw([{"id": "m", "process": "farm", "activity": "crop_output:maize", "value": "1",
                                   "unit": "万t/a", "target": "yard"}]), None, PROCS, None)
    assert not issues
    row = flows.iloc[0]
    # 10 000 t grain × 草谷比 1.147 × 可收集系数 0.864
    assert row["value"] == pytest.approx(10_000 * 1.147 * 0.864)
    rel = math.hypot((1.2 - 1.04) / math.sqrt(12) / 1.147, (0.943 - 0.77) / math.sqrt(12) / 0.864)
    assert row["sigma"] == pytest.approx(row["value"] * rel)
    assert row["id"] == "m:straw_maize" and row["material"] == "straw_maize"
    assert row["source"] == "farm" and row["target"] == "yard"
    assert bool(row["estimated"]) and row["activity"] == "m"
    assert "S59;S60;S61" in row["note"] and "theoretical resource" in row["note"]


def test_manure_head_count_units():
    flows, issues = generate(raw([
        {"id": "d", "process": "cows", "activity": "livestock_head:dairy_cow", "value": "100", "unit": "头",
         "target": "pit"},
        {"id": "s", "process": "cows", "activity": "livestock_head:sheep", "value": "0.01", "unit": "万只",
         "target": "pit"}]), None, PROCS, None)
    assert not issues
    v = dict(zip(flows["material"], flows["value"]))
    assert v["manure_dairy_cow"] == pytest.approx(100 * 52.44 * 365 / 1000)
    assert v["manure_sheep"] == pytest.approx(100 * 2.6 * 365 / 1000)
    # sheep has a single-source coefficient and a fixed 365 days: no range, sigma 0
    assert flows.loc[flows.material == "manure_sheep", "sigma"].item() == 0.0


def test_coal_burned_needs_ash_content_and_splits_ash():
    acts = raw([{"id": "b", "process": "plant", "activity": "coal_burned", "value": "100", "unit": "kt/a",
                 "target": "yard"}])
    flows, issues = generate(acts, None, PROCS, None)
    assert len(flows) == 0
    assert len(issues) == 2  # fly ash and boiler slag both need ash_content
    assert issues[0].row == 2 and issues[0].column == "activity"
    assert "ash_content" in issues[0].message and "coefficients" in issues[0].suggestion
    coefs = raw([{"activity": "coal_burned", "parameter": "ash_content", "central": "0.2", "unit": "t/t",
                  "source": "plant lab 2023"}], "coefficients")
    flows, issues = generate(acts, coefs, PROCS, None)
    assert not issues
    v = dict(zip(flows["material"], flows["value"]))
    assert v["fly_ash"] == pytest.approx(100_000 * 0.2 * 0.85)
    assert v["boiler_slag"] == pytest.approx(100_000 * 0.2 * 0.15)
    assert sum(v.values()) == pytest.approx(100_000 * 0.2)  # the ash is conserved


def test_material_column_selects_one_output():
    coefs = raw([{"activity": "coal_burned", "parameter": "ash_content", "central": "0.2", "unit": "t/t",
                  "source": "lab"}], "coefficients")
    flows, issues = generate(raw([{"process": "plant", "activity": "coal_burned", "value": "10", "unit": "t/a",
                                   "material": "fly_ash", "target": "yard"}]), coefs, PROCS, None)
    assert not issues and flows["material"].tolist() == ["fly_ash"]
    assert flows["id"].tolist() == ["activity1:fly_ash"]


def test_override_precedence_process_scope_beats_park_beats_shipped():
    acts = raw([{"id": "a", "process": "farm", "activity": "crop_output:maize", "value": "100", "unit": "t/a",
                 "target": "yard"},
                {"id": "b", "process": "plant", "activity": "crop_output:maize", "value": "100", "unit": "t/a",
                 "target": "yard"}])
    coefs = raw([
        {"activity": "crop_output", "key": "maize", "material": "straw_maize", "parameter": "straw_to_grain",
         "central": "1.0", "unit": "t/t", "source": "S60"},
        {"activity": "crop_output", "key": "", "material": "", "parameter": "collectable_coef", "central": "0.5",
         "unit": "t/t", "source": "own survey", "process": "farm"}], "coefficients")
    flows, issues = generate(acts, coefs, PROCS, None)
    assert not issues
    v = dict(zip(flows["activity"], flows["value"]))
    assert v["a"] == pytest.approx(100 * 1.0 * 0.5)      # park row for this process
    assert v["b"] == pytest.approx(100 * 1.0 * 0.864)    # shipped collectable coefficient
    assert flows["sigma"].iloc[0] == 0.0                 # overrides without range carry no uncertainty


def test_one_sided_range_rule():
    c = shipped_coefficients()
    g = c[c.parameter == "gangue_per_coal"].iloc[0]
    assert g["sigma"] == pytest.approx((0.18 - 0.10) / math.sqrt(3))
    d = c[c.parameter == "dross_per_al"].iloc[0]
    assert d["central"] == pytest.approx(0.04)  # midpoint when no central value


def test_every_problem_reported_at_once_and_located():
    acts = raw([
        {"id": "x", "process": "farn", "activity": "crop_output:maize", "value": "1", "unit": "t/a", "target": "yard"},
        {"id": "y", "process": "farm", "activity": "crop_outptu:maize", "value": "1", "unit": "t/a", "target": "yard"},
        {"id": "z", "process": "farm", "activity": "crop_output:maiz", "value": "1", "unit": "t/a", "target": "yard"},
        {"id": "w", "process": "farm", "activity": "crop_output:maize", "value": "-1", "unit": "t/a", "target": "yard"},
        {"id": "v", "process": "farm", "activity": "crop_output:maize", "value": "1", "unit": "furlong",
         "target": "yard"},
        {"id": "u", "process": "cows", "activity": "livestock_head:dairy_cow", "value": "1", "unit": "t/a",
         "target": "pit"},
        {"id": "u", "process": "cows", "activity": "livestock_head:dairy_cow", "value": "1", "unit": "头",
         "target": "pit"},
        {"id": "t", "process": "farm", "activity": "crop_output:maize", "value": "1", "unit": "t/a",
         "target": "yard", "material": "fly_ash"},
        {"id": "s", "process": "farm", "activity": "crop_output:maize", "value": "1", "unit": "t/a",
         "target": "yard", "fate": "recycled"},
    ])
    flows, issues = generate(acts, None, PROCS, None)
    by_row = {(i.row, i.column): i for i in issues}
    assert by_row[(2, "process")].suggestion == "did you mean 'farm'?"
    assert "crop_output" in by_row[(3, "activity")].suggestion
    assert "maize" in by_row[(4, "activity")].suggestion
    assert (5, "value") in by_row
    assert (6, "unit") in by_row
    assert "head count" in by_row[(7, "unit")].message
    assert "duplicate" in by_row[(8, "id")].message
    assert (9, "material") in by_row
    assert (10, "fate") in by_row
    assert len(flows) == 1  # only the valid 's' row (its fate is wrong, still reported)


def test_bad_coefficient_rows_located():
    coefs = raw([{"activity": "crop_output", "key": "maize", "material": "straw_maize",
                  "parameter": "straw_to_grain", "central": "abc", "unit": "t/t", "source": "x"},
                 {"activity": "crop_output", "key": "maize", "material": "straw_maize",
                  "parameter": "straw_to_grain", "central": "1.1", "unit": "t/t", "source": ""},
                 {"activity": "crop_output", "key": "maize", "material": "straw_maize",
                  "parameter": "straw_to_grain", "low": "2", "central": "1.1", "high": "1", "unit": "t/t",
                  "source": "y"}], "coefficients")
    _, issues = generate(raw([]), coefs, PROCS, None)
    cols = [(i.row, i.column) for i in issues]
    assert (2, "central") in cols and (3, "source") in cols and (4, "low") in cols


def test_shipped_tables_have_sources_listed_in_sources_csv():
    from mfa.catalogue import data_path, materials

    ids = set(pd.read_csv(data_path("flows", "sources.csv"), dtype=str)["id"])
    cat = set(materials()["id"])
    for path in sorted(Path(data_path("flows", "coefficients")).glob("*.csv")):
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
        for i, row in table.iterrows():
            assert row["source"], f"{path.name} row {i + 2} has no source"
            for sid in row["source"].split(";"):
                assert sid in ids, f"{path.name} row {i + 2}: source {sid} not in sources.csv"
            if row["material"]:
                assert row["material"] in cat, f"{path.name} row {i + 2}: {row['material']} not in catalogue"


def test_generated_flows_join_a_park_read_from_csv(tmp_path):
    (tmp_path / "processes.csv").write_text(
        "id,name,kind\nfarm,Farm,production\nyard,Yard,collection\nfeed,Feed mill,production\n", encoding="utf-8")
    (tmp_path / "flows.csv").write_text(
        "source,target,material,value,tc\nyard,feed,straw_wheat,,1.0\n", encoding="utf-8")
    (tmp_path / "activities.csv").write_text(
        "id,process,activity,value,unit,target\nw,farm,crop_output:wheat,2000,t/a,yard\n", encoding="utf-8")
    park = mfa.read_park(tmp_path)
    gen = park.flows[park.flows.estimated]
    assert gen["id"].tolist() == ["w:straw_wheat"] and gen["activity"].tolist() == ["w"]
    assert gen["value"].item() == pytest.approx(2000 * 1.123 * 0.864)
    (tmp_path / "activities.csv").write_text(
        "id,process,activity,value,unit,target\nw,farm,crop_output:wheet,2000,t/a,yard\n", encoding="utf-8")
    with pytest.raises(ParkError) as e:
        mfa.read_park(tmp_path)
    issue = e.value.issues[0]
    assert issue.row == 2 and issue.column == "activity" and "wheat" in issue.suggestion


def test_bayannur_generated_from_activity_data():
    park = mfa.read_park("bayannur")
    gen = park.flows[park.flows.estimated]
    assert set(gen["activity"]) == {"maize", "sunflower", "wheat", "dairy", "beef", "sheep", "heat_fly_ash",
                                    "heat_slag"}
    v = dict(zip(gen["id"], gen["value"]))
    assert v["maize:straw_maize"] == pytest.approx(500_000 * 1.147 * 0.864)
    assert v["sunflower:straw_sunflower"] == pytest.approx(120_000 * 2.0 * 0.864)  # park override
    assert v["sheep:manure_sheep"] == pytest.approx(1_500_000 * 2.6 * 365 / 1000)
    assert v["heat_fly_ash:fly_ash"] == pytest.approx(200_000 * 0.25 * 0.85)
    assert np.all(gen["sigma"] >= 0)


def test_value_with_inline_unit_and_coefficient_table():
    flows, issues = generate(raw([{"id": "m", "process": "farm", "activity": "crop_output:wheat",
                                   "value": "1.5 万t/a", "target": "yard"}]), None, PROCS, None)
    assert not issues and flows["value"].item() == pytest.approx(15_000 * 1.123 * 0.864)
    from mfa.generation import coefficient_table

    park = mfa.read_park("bayannur")
    t = coefficient_table(park)
    own = t[t.origin == "park"]
    assert set(own["parameter"]) == {"straw_to_grain", "ash_content"}
    assert own.loc[own.parameter == "ash_content", "process"].item() == "heating_plant"
    assert (t.origin == "shipped").sum() == len(shipped_coefficients())


def test_blank_optional_cells_and_inline_units_read_from_csv(tmp_path):
    (tmp_path / "processes.csv").write_text(
        "id,name,kind\nfarm,Farm,production\nyard,Yard,collection\nuse,Use,production\n", encoding="utf-8")
    (tmp_path / "flows.csv").write_text("source,target,material,value,tc\nyard,use,straw_wheat,,1\n",
                                        encoding="utf-8")
    (tmp_path / "activities.csv").write_text(
        "id,process,activity,value,unit,target,year,sigma\n"
        "w,farm,crop_output:wheat,2 kt/a,,yard,,\n"
        "v,farm,crop_output:rice,1000,t/a,yard,2022,100\n", encoding="utf-8")
    park = mfa.read_park(tmp_path)
    gen = park.flows[park.flows.estimated].set_index("activity")
    assert gen.loc["w", "value"] == pytest.approx(2000 * 1.123 * 0.864)
    assert gen.loc["v", "year"] == 2022
    rel = math.sqrt(0.1 ** 2 + ((1.0 - 0.9) / math.sqrt(12) / 0.95) ** 2
                    + ((0.943 - 0.77) / math.sqrt(12) / 0.864) ** 2)
    assert gen.loc["v", "sigma"] == pytest.approx(gen.loc["v", "value"] * rel)


def test_bayannur_round_trip_regenerates_the_same_flows(tmp_path):
    park = mfa.read_park("bayannur")
    mfa.write_park(park, tmp_path / "b")
    again = mfa.read_park(tmp_path / "b")
    a = park.flows.set_index("id")[["value", "sigma", "activity"]]
    b = again.flows.set_index("id")[["value", "sigma", "activity"]]
    assert a.sort_index().equals(b.sort_index())


def test_a_park_can_define_its_own_activity():
    coefs = raw([{"activity": "tile_output", "material": "waste_glass", "parameter": "cullet_per_tile",
                  "low": "0.01", "central": "0.02", "high": "0.03", "unit": "t/t", "source": "plant records 2023"}],
                "coefficients")
    flows, issues = generate(raw([{"id": "t", "process": "plant", "activity": "tile_output", "value": "5000",
                                   "unit": "t/a", "target": "yard"}]), coefs, PROCS, None)
    assert not issues
    assert flows["value"].item() == pytest.approx(100.0)
    assert flows["sigma"].item() == pytest.approx(100.0 * (0.02 / math.sqrt(12)) / 0.02)
