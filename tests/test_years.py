"""Years (issue 10 item 8, issue 16 item 1): a row's ``year`` is its period (blank = the park's year); rows
of several years make a multi-year park (``park.years``, ``park.for_year(Y)``), each year balanced on its
own and never summed; ``year=`` / ``--year`` reads one year.

The two-year park: a power plant sends fly ash to cement and to a landfill; 2022 (the park's year; the
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


@pytest.mark.parametrize("make", [csv_park, yaml_park, xlsx_park])
def test_two_years_read_as_a_series_each_year_on_its_own(tmp_path, make):
    path = make(tmp_path)
    park = mfa.read_park(path)
    assert park.years == (2022, 2023) and park.info.year is None
    assert park.flows["year"].tolist() == [2022, 2022, 2023, 2023]
    rates = [indicators(park.for_year(y), targets=False).get(RATE)["value"] for y in park.years]
    assert rates == [pytest.approx(0.70), pytest.approx(0.80)]
    # the year of the series is the park read with year=Y
    assert park.for_year(2023) == mfa.read_park(path, year=2023)
    assert park.for_year(2022).info.year == 2022
    # an engine never sums the years
    with pytest.raises(mfa.MfaError, match=r"balance\(\) takes one year, and this park holds 2022–2023"):
        mfa.balance(park)
    with pytest.raises(mfa.MfaError, match="no year 2021"):
        park.for_year(2021)


@pytest.mark.parametrize("make", [csv_park, yaml_park, xlsx_park])
def test_year_selects_one_period(tmp_path, make):
    path = make(tmp_path)
    p22 = mfa.read_park(path, year=2022)
    p23 = mfa.read_park(path, year=2023)
    assert (p22.info.year, p23.info.year) == (2022, 2023) and p23.years == (2023,)
    assert sorted(p22.flows["value"]) == [30, 70] and sorted(p23.flows["value"]) == [20, 80]
    assert indicators(p22, targets=False).get(RATE)["value"] == pytest.approx(0.70)
    assert indicators(p23, targets=False).get(RATE)["value"] == pytest.approx(0.80)


def test_a_flow_missing_in_some_years_is_located_not_a_zero(tmp_path):
    flows = FLOWS + "plant,fill,fly_ash,5,2024\nplant,cement,fly_ash,95,2024\n"
    flows = flows.replace("plant,fill,fly_ash,20,2023\n", "")  # landfill not given for 2023
    folder = write_park(tmp_path / "p", processes=PROCESSES, flows=flows, materials=None, park=PARK)
    with pytest.raises(ParkError) as e:
        mfa.read_park(folder)
    (issue,) = e.value.issues
    assert (issue.row, issue.column) == (3, "year")
    assert "flow plant>fill:fly_ash is given for 2022, 2024 but not for 2023" in issue.message
    # YAML: located by path
    doc = yaml.safe_load(yaml_park(tmp_path).read_text(encoding="utf-8"))
    del doc["flows"][3]
    path = tmp_path / "gap.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ParkError) as e:
        mfa.read_park(path)
    assert [(i.path, i.message.split(": a ")[0]) for i in e.value.issues] == [
        ("flows[1].year", "flow plant>fill:fly_ash is given for 2022 but not for 2023")]


def test_years_follow_each_other_and_undated_rows_need_a_park_year(tmp_path):
    folder = write_park(tmp_path / "p", processes=PROCESSES, materials=None, park=PARK,
                        flows=FLOWS.replace("2023", "2024"))
    with pytest.raises(ParkError) as e:
        mfa.read_park(folder)
    assert [i.message for i in e.value.issues] == ["the years of a multi-year park follow each other: 2023 is missing"]
    # the park's year is 2021 and every dated row 2023: 2022 missing, and the flows of 2021 are only row 2
    folder = write_park(tmp_path / "q", processes=PROCESSES, materials=None, park=PARK.replace("2022", "2021"),
                        flows=FLOWS.replace(",2022\n", ",2023\n"))
    with pytest.raises(ParkError) as e:
        mfa.read_park(folder)
    assert "2022 is missing" in e.value.issues[0].message
    # undated rows with no park year, in a park of two years: located, not put in every year
    folder = write_park(tmp_path / "r", processes=PROCESSES, flows=FLOWS, materials=None)
    with pytest.raises(ParkError) as e:
        mfa.read_park(folder)
    assert [(i.row, i.column) for i in e.value.issues] == [(2, "year")]
    assert "no reporting year" in e.value.issues[0].message
    only = mfa.read_park(folder, year=2023)  # one year: undated rows go with any selected period
    assert sorted(only.flows["value"]) == [20, 70, 80]


def test_closing_stock_is_next_opening_carried_forward_or_refused(tmp_path):
    procs = PROCESSES + "yard,Ash yard,storage\n"
    flows = FLOWS.replace("plant,fill", "plant,yard") + "yard,fill,fly_ash,10,2022\nyard,fill,fly_ash,25,2023\n"
    # the yard receives 30 and sends 10 in 2022 (+20 t), receives 20 and sends 25 in 2023 (−5 t)
    stocks = "process,material,opening,closing,year\nyard,fly_ash,100,120,2022\nyard,fly_ash,,115,2023\n"
    folder = write_park(tmp_path / "p", processes=procs, flows=flows, stocks=stocks, materials=None, park=PARK)
    park = mfa.read_park(folder)
    assert park.stocks[["opening", "closing", "year"]].values.tolist() == [[100, 120, 2022], [120, 115, 2023]]
    assert mfa.balance(park.for_year(2023)).processes.set_index("process").loc["yard", "stock_change"] == -5
    rows = mfa.stocks(park).table
    assert rows[["year", "inflow", "outflow", "stock", "stock_change"]].values.tolist() == [
        [2022, 30, 10, 120, 20], [2023, 20, 25, 115, -5]]
    (folder / "stocks.csv").write_text(stocks.replace(",,115", ",118,115"), encoding="utf-8")
    with pytest.raises(ParkError) as e:
        mfa.read_park(folder)
    (issue,) = e.value.issues
    assert (issue.file.endswith("stocks.csv"), issue.row, issue.column, issue.value) == (True, 3, "opening", 118)
    assert "the closing of 2022 is 120 t" in issue.message


def test_from_frames_and_stocks_with_a_year_column():
    procs = rows_of(PROCESSES) + [{"id": "yard", "name": "Yard", "kind": "storage"}]
    flows = [dict(r, value=float(r["value"])) for r in rows_of(FLOWS)]
    stocks = [{"process": "yard", "material": "fly_ash", "opening": 0, "closing": 5, "year": 2022},
              {"process": "yard", "material": "fly_ash", "opening": 5, "closing": 9, "year": 2023}]
    park = mfa.Park.from_frames(processes=procs, flows=flows, stocks=stocks, info={"year": 2022})
    assert park.years == (2022, 2023) and park.for_year(2023).stocks["closing"].tolist() == [9.0]
    p = mfa.Park.from_frames(processes=procs, flows=flows, stocks=stocks, info={"year": 2022},
                             year=np.int64(2023))
    assert p.stocks[["opening", "closing"]].values.tolist() == [[5.0, 9.0]] and p.info.year == 2023


def test_every_issue_at_once_and_a_period_without_rows(tmp_path):
    folder = write_park(tmp_path / "p", processes=PROCESSES, materials=None, park=PARK,
                        flows=FLOWS.replace("plant,fill,fly_ash,20", "plant,fill,fly_ashh,20"))
    with pytest.raises(ParkError) as e:
        mfa.read_park(folder)
    assert {(i.row, i.column) for i in e.value.issues} == {(5, "material")}
    with pytest.raises(ParkError) as e:
        mfa.read_park(csv_park(tmp_path), year=2024)
    assert len(e.value.issues) == 1 and "no flow of period 2024" in e.value.issues[0].message
    assert e.value.issues[0].suggestion == "periods found: 2022, 2023"
    with pytest.raises(ParkError) as e:
        mfa.read_park(csv_park(tmp_path), year="2023")
    assert e.value.issues[0].message == "the selected period must be a year between 1900 and 2200"


def test_cli_takes_every_year_or_one(tmp_path, capsys):
    path = str(csv_park(tmp_path))
    # a command of one year on a multi-year park: exit 2, saying how to choose
    assert main(["balance", path, "--json"]) == 2
    out, err = capsys.readouterr()
    assert "takes one year" in json.loads(out)["error"] and "--year 2022" in err and "Traceback" not in err
    for year, rate in (("2023", 0.80), ("2022", 0.70)):
        assert main(["indicators", "--year", year, path, "--json"]) == 0
        doc = json.loads(capsys.readouterr().out)
        assert [r["value"] for r in doc["indicators"] if r["id"] == RATE] == [pytest.approx(rate)]
    # --year Y prints exactly the document of a park file holding only that year
    one = write_park(tmp_path / "only23", processes=PROCESSES, materials=None, park=PARK.replace("2022", "2023"),
                     flows="source,target,material,value\nplant,cement,fly_ash,80\nplant,fill,fly_ash,20\n")
    for command in (["indicators"], ["balance"], ["trace"]):
        assert main(command + [path, "--year", "2023", "--json"]) == 0
        series_doc = capsys.readouterr().out
        assert main(command + [str(one), "--json"]) == 0
        assert series_doc == capsys.readouterr().out, command
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


def test_a_multi_year_park_is_never_taken_for_one_year(tmp_path):
    park = mfa.read_park(csv_park(tmp_path))
    assert repr(park).startswith("<Park 'two years' 2022–2023:")
    with pytest.raises(mfa.MfaError, match="with_values\\(\\) takes one year"):
        park.with_values(park.flows["value"])
    # replace() rebuilds the series: still two years, each its own
    again = park.replace(info={"name": "renamed"})
    assert again.years == (2022, 2023) and again.for_year(2023).flows["value"].tolist() == [80, 20]


def test_processes_of_a_multi_year_park_validated_once_every_problem_still_located(tmp_path):
    # a bad process row and a bad material: each reported once (not once per year), at its row
    folder = write_park(tmp_path / "p", materials=None, park=PARK,
                        processes=PROCESSES.replace("fill,Landfill,landfill", "fill,Landfill,landfil"),
                        flows=FLOWS.replace("plant,cement,fly_ash,80", "plant,cement,fly_ashh,80"))
    with pytest.raises(ParkError) as e:
        mfa.read_park(folder)
    got = [(i.file.rsplit("/", 1)[-1], i.row, i.column) for i in e.value.issues]
    assert sorted(got) == [("flows.csv", 4, "material"), ("processes.csv", 4, "kind")]
    # each year of the series is still exactly the park read for that year alone
    park = mfa.read_park(csv_park(tmp_path))
    for y in park.years:
        assert park.for_year(y) == mfa.read_park(csv_park(tmp_path), year=y)


def test_row_periods_read_each_distinct_year_once():
    from mfa.errors import RawTable
    from mfa.io.periods import row_periods

    raw = RawTable("flows", "flows.csv", pd.DataFrame({"year": ["2020", "", "x", " 2021", "2020.0", "2020.5"] * 3}),
                   list(range(2, 20)))
    years, dated, undated = row_periods(raw)
    assert years.tolist() == [2020, 0, 0, 2021, 2020, 0] * 3
    assert dated.tolist() == [True, False, False, True, True, False] * 3
    assert undated.tolist() == [False, True, False, False, False, False] * 3


def _years_and_each_year(n_processes: int = 60, n_years: int = 4, drop_id: bool = False):
    """The frames of a synthetic park over ``n_years`` years (same flows, values changing each year) and of
    each of its years alone."""
    from bench.bench_years import year_frames

    _, many = year_frames(n_processes, n_years)
    if drop_id:  # the default ids (source>target:material) are made once for the years that share them;
        # units and uncertainties the same every year are read once, a percentage of each year's value
        flows = many["flows"].drop(columns=["id"])
        many = dict(many, flows=flows.assign(unit="kt/a", sigma="5%", tc_sigma="0.01"))
    flows = many["flows"]
    alone = {y: dict(many, flows=flows[flows["year"] == y].reset_index(drop=True), info=dict(many["info"], year=int(y)))
             for y in sorted(flows["year"].unique())}
    return many, alone


@pytest.mark.parametrize("drop_id", [False, True])
def test_years_sharing_a_structure_balance_and_trace_as_each_year_alone(drop_id):
    # the years repeat their flows (validated once) with their own values: every year's park, balance and
    # trace are exactly those of the park of that year's rows read on its own
    many, alone = _years_and_each_year(drop_id=drop_id)
    park = mfa.Park.from_frames(**many)
    assert park.years == (2001, 2002, 2003, 2004)
    for y, frames in alone.items():
        one = mfa.Park.from_frames(**frames)
        got = park.for_year(y)
        pd.testing.assert_frame_equal(got.flows, one.flows)
        if drop_id:
            assert np.allclose(got.flows["sigma"], 0.05 * got.flows["value"])
            assert got.flows["value"].iat[0] == 1000 * float(frames["flows"]["value"].iat[0])
        assert got.flows["value"].tolist() != park.for_year(2001).flows["value"].tolist() or y == 2001
        b, b1 = mfa.balance(got), mfa.balance(one)
        pd.testing.assert_frame_equal(b.table, b1.table)
        t, t1 = mfa.trace(got), mfa.trace(one)
        for name in t1.tables:
            pd.testing.assert_frame_equal(t.tables[name], t1.tables[name])
        # one compiled structure for the years, each year's own values
        c, c1, first = got.compiled, one.compiled, park.for_year(2001).compiled
        assert (c.incidence != c1.incidence).nnz == 0 and c.material_ids.tolist() == c1.material_ids.tolist()
        assert np.array_equal(c.value, c1.value) and np.array_equal(c.delta_stock, c1.delta_stock, equal_nan=True)
        assert y == 2001 or (c.incidence is first.incidence and c.kind_code is first.kind_code)


def test_a_problem_of_a_shared_structure_is_located_in_every_year():
    # an unknown target repeated in every year (the structure is the same, but not clean: every year is
    # validated in full), a material changed in one year only (that year's own structure), a bad value in a
    # year that shares the structure: each at its own row
    many, _ = _years_and_each_year()
    flows = many["flows"].copy()
    n = int((flows["year"] == 2001).sum())
    flows.loc[flows.index % n == 3, "target"] = "nowhere"
    flows.loc[n * 2 + 5, "material"] = "unobtainium"
    flows.loc[n * 3 + 7, "value"] = -1.0
    with pytest.raises(ParkError) as e:
        mfa.Park.from_frames(**dict(many, flows=flows))
    got = sorted((i.path, i.column) for i in e.value.issues)
    assert got == sorted([(f"flows[{k * n + 3}].target", "target") for k in range(4)]
                         + [(f"flows[{n * 2 + 5}].material", "material"), (f"flows[{n * 3 + 7}].value", "value")])
