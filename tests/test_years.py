"""Years (issue 10, item 8): a row's ``year`` is its period (blank = the park's year); rows of two periods
are never summed into one balance: refused with located issues, or one period selected with ``year=`` /
``--year``.

The two-period park: a power plant sends fly ash to cement and to a landfill; 2022 (the park's year; the
first row undated): 70 t utilised + 30 t landfilled → rate 0.70; 2023: 80 t + 20 t → 0.80. Summed, the two
years would give 150 ÷ 200 = 0.75, a rate of no year at all.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import yaml

import mfa
from mfa.cli import main
from mfa.errors import ParkError
from mfa.utilisation import indicators
from tests.conftest import ROOT, write_park

PROCESSES = """id,name,kind
plant,Power plant,production
cement,Cement plant,production
fill,Landfill,landfill
city,City,export
"""
# spreadsheet rows 2–3: 2022 (row 2 undated = the park's year), rows 4–5: 2023
FLOWS = """source,target,material,value,year
plant,cement,fly_ash,70,
plant,fill,fly_ash,30,2022
plant,cement,fly_ash,80,2023
plant,fill,fly_ash,20,2023
"""
PARK = "key,value\nname,two years\nyear,2022\nregion,内蒙古自治区乌海市\n"
RATE = "industrial_solid_waste_utilisation_rate"


def csv_park(tmp_path):
    return write_park(tmp_path / "two", processes=PROCESSES, flows=FLOWS, materials=None, park=PARK)


def rows_of(frame_text: str) -> list[dict]:
    lines = frame_text.strip().splitlines()
    head = lines[0].split(",")
    return [dict(zip(head, line.split(","))) for line in lines[1:]]


def yaml_park(tmp_path):
    flows = []
    for r in rows_of(FLOWS):
        row = {k: v for k, v in r.items() if v != ""}
        row["value"] = float(row["value"])
        if "year" in row:
            row["year"] = int(row["year"])
        flows.append(row)
    doc = {"park": {"name": "two years", "year": 2022}, "processes": rows_of(PROCESSES), "flows": flows}
    path = tmp_path / "two.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def xlsx_park(tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    ws = wb.create_sheet("park")
    for row in (["key", "value"], ["name", "two years"], ["year", 2022]):
        ws.append(row)
    ws = wb.create_sheet("processes")
    for r in [PROCESSES.splitlines()[0].split(",")] + [list(d.values()) for d in rows_of(PROCESSES)]:
        ws.append(r)
    ws = wb.create_sheet("flows")
    ws.append(["source", "target", "material", "value", "year"])
    ws.append(["#", "a notes row, skipped: the data rows below stay at rows 3–6"])
    for d in rows_of(FLOWS):
        ws.append([d["source"], d["target"], d["material"], float(d["value"]),
                   int(d["year"]) if d["year"] else None])
    path = tmp_path / "two.xlsx"
    wb.save(path)
    return path


def test_two_periods_in_csv_are_refused_with_rows_and_years(tmp_path):
    with pytest.raises(ParkError) as e:
        mfa.read_park(csv_park(tmp_path))
    issues = e.value.issues
    # one issue per row outside the park's year 2022, located as the spreadsheet shows it
    assert [(i.row, i.column, i.value) for i in issues] == [(4, "year", "2023"), (5, "year", "2023")]
    text = str(issues[0])
    assert "flows.csv, row 4, column 'year'" in text
    assert "2022 (park year; undated: flows 1 row; flows row 3)" in text and "2023 (flows rows 4–5)" in text
    assert "--year 2022 or --year 2023" in issues[0].suggestion


def test_two_periods_in_yaml_are_refused_by_path(tmp_path):
    with pytest.raises(ParkError) as e:
        mfa.read_park(yaml_park(tmp_path))
    assert [i.path for i in e.value.issues] == ["flows[2].year", "flows[3].year"]
    assert "2022" in e.value.issues[0].message and "flows[2], flows[3]" in e.value.issues[0].message


def test_two_periods_in_xlsx_are_refused_by_sheet_row(tmp_path):
    with pytest.raises(ParkError) as e:
        mfa.read_park(xlsx_park(tmp_path))
    assert [(i.row, i.column, i.value) for i in e.value.issues] == [(5, "year", "2023"), (6, "year", "2023")]
    assert e.value.issues[0].file.endswith("[sheet flows]")


@pytest.mark.parametrize("make", [csv_park, yaml_park, xlsx_park])
def test_year_selects_one_period(tmp_path, make):
    path = make(tmp_path)
    p22 = mfa.read_park(path, year=2022)
    p23 = mfa.read_park(path, year=2023)
    assert (p22.info.year, p23.info.year) == (2022, 2023)
    assert sorted(p22.flows["value"]) == [30, 70] and sorted(p23.flows["value"]) == [20, 80]
    assert indicators(p22, targets=False).get(RATE)["value"] == pytest.approx(0.70)
    assert indicators(p23, targets=False).get(RATE)["value"] == pytest.approx(0.80)


def test_undated_rows_belong_to_the_park_year_only(tmp_path):
    # the park's year is 2021: undated rows are 2021 and leave with --year 2023
    park = PARK.replace("2022", "2021")
    flows = FLOWS.replace(",2022\n", ",2023\n")
    folder = write_park(tmp_path / "p", processes=PROCESSES, flows=flows, materials=None, park=park)
    with pytest.raises(ParkError) as e:  # every dated row is 2023, the park says 2021
        mfa.read_park(folder)
    assert [i.row for i in e.value.issues] == [3, 4, 5]
    assert "reporting year is 2021" in e.value.issues[0].message
    only = mfa.read_park(folder, year=2023)
    assert sorted(only.flows["value"]) == [20, 30, 80]
    # without a park year, undated rows go with the one dated period, and with any selected period
    no_year = write_park(tmp_path / "q", processes=PROCESSES, flows=FLOWS.replace("2023", "2022"),
                         materials=None)
    assert len(mfa.read_park(no_year).flows) == 4 and mfa.read_park(no_year).info.year is None


def test_from_frames_and_stocks_with_a_year_column():
    procs = rows_of(PROCESSES) + [{"id": "yard", "name": "Yard", "kind": "storage"}]
    flows = [dict(r, value=float(r["value"])) for r in rows_of(FLOWS)]
    stocks = [{"process": "yard", "material": "fly_ash", "opening": 0, "closing": 5, "year": 2022},
              {"process": "yard", "material": "fly_ash", "opening": 5, "closing": 9, "year": 2023}]
    with pytest.raises(ParkError) as e:
        mfa.Park.from_frames(processes=procs, flows=flows, stocks=stocks, info={"year": 2022})
    # (the two stock rows also share process and material: reported too, as the same input)
    assert [i.path for i in e.value.issues if i.column == "year"] == ["flows[2].year", "flows[3].year",
                                                                       "stocks[1].year"]
    p = mfa.Park.from_frames(processes=procs, flows=flows, stocks=stocks, info={"year": 2022},
                             year=np.int64(2023))
    assert p.stocks[["opening", "closing"]].values.tolist() == [[5.0, 9.0]] and p.info.year == 2023


def test_every_issue_at_once_and_a_period_without_rows(tmp_path):
    folder = write_park(tmp_path / "p", processes=PROCESSES, materials=None, park=PARK,
                        flows=FLOWS.replace("plant,fill,fly_ash,20", "plant,fill,fly_ashh,20"))
    with pytest.raises(ParkError) as e:
        mfa.read_park(folder)
    assert {(i.row, i.column) for i in e.value.issues} == {(4, "year"), (5, "year"), (5, "material")}
    with pytest.raises(ParkError) as e:
        mfa.read_park(csv_park(tmp_path), year=2024)
    assert len(e.value.issues) == 1 and "no flow of period 2024" in e.value.issues[0].message
    assert e.value.issues[0].suggestion == "periods found: 2022, 2023"
    with pytest.raises(ParkError) as e:
        mfa.read_park(csv_park(tmp_path), year="2023")
    assert e.value.issues[0].message == "the selected period must be a year between 1900 and 2200"


def test_cli_refuses_two_periods_and_year_selects_one(tmp_path, capsys):
    path = str(csv_park(tmp_path))
    assert main(["indicators", path, "--json"]) == 2
    out, err = capsys.readouterr()
    doc = json.loads(out)
    assert doc["error"] == "invalid input"
    assert [(i["row"], i["column"], i["value"]) for i in doc["issues"]] == [(4, "year", "2023"),
                                                                          (5, "year", "2023")]
    assert "Traceback" not in err and "2 problems" in err and "--year 2022 or --year 2023" in err
    for year, rate in (("2023", 0.80), ("2022", 0.70)):
        assert main(["indicators", "--year", year, path, "--json"]) == 0
        doc = json.loads(capsys.readouterr().out)
        assert [r["value"] for r in doc["indicators"] if r["id"] == RATE] == [pytest.approx(rate)]
    # --year after PARK, on another command: the plant sends out 80 + 20 t in 2023, not 200 t
    assert main(["balance", path, "--year", "2023", "--json"]) == 0
    rows = {r["process"]: r for r in json.loads(capsys.readouterr().out)["processes"]}
    assert rows["plant"]["outputs"] == pytest.approx(100.0)
    assert main(["balance", path, "--year", "2024"]) == 2
    assert "no flow of period 2024" in capsys.readouterr().err
    with pytest.raises(SystemExit) as bad:
        main(["check", path, "--year", "twenty"])
    assert bad.value.code == 2


def test_every_command_that_reads_a_park_takes_year():
    from mfa.cli import build_parser

    sub = next(a for a in build_parser()._actions if a.dest == "command")
    for name, parser in sub.choices.items():
        dests = {a.dest for a in parser._actions}
        if dests & {"park", "base"}:
            assert "year" in dests, name


def test_shipped_parks_are_of_one_period():
    for name in ("baotou", "wuhai", "wuhai_retrofit", "bayannur", "hazardous"):
        park = mfa.read_park(ROOT / "parks" / name)
        years = set(park.flows["year"].dropna().astype(int))
        assert years <= {park.info.year}, (name, years)
    # baotou's 2011 steel figure is a publication year, now in the note
    steel = mfa.read_park("baotou").flows.set_index("material").loc["crude_steel"]
    assert pd.isna(steel["year"]) and "figure of ~2011 (S83)" in steel["note"]
