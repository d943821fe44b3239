"""Every validation case of issue 2: each problem is found, located (file, spreadsheet row or YAML path,
column, value) and reported together with the others."""

from __future__ import annotations


import pytest

import mfa
from mfa.errors import ParkError
from tests.conftest import FLOWS, MATERIALS, PROCESSES, run_cli, write_park


def issues_of(path) -> list:
    with pytest.raises(ParkError) as e:
        mfa.read_park(path)
    return e.value.issues


def one(issues, **match):
    found = [i for i in issues if all(getattr(i, k) == v if k != "message" else v in i.message
                                      for k, v in match.items())]
    assert found, f"no issue matching {match} in:\n" + "\n".join(map(str, issues))
    return found[0]


def test_valid_park_loads(small_park):
    park = mfa.read_park(small_park)
    assert len(park.processes) == 5 and len(park.flows) == 5
    assert park.flows.loc[0, "sigma"] == pytest.approx(5.0)  # 5 % of 100


def test_unknown_process_and_material_with_suggestions(tmp_path):
    flows = FLOWS.replace("mine,plant,raw_coal", "mine,plnat,raw_coal").replace("plant,dump,coal_gangue",
                                                                               "plant,dump,coal_ganuge")
    issues = issues_of(write_park(tmp_path / "p", flows=flows))
    i = one(issues, column="target", message="unknown process")
    assert i.row == 2 and i.value == "plnat" and "plant" in i.suggestion and i.file.endswith("flows.csv")
    j = one(issues, column="material", message="unknown material")
    assert j.row == 3 and "coal_gangue" in j.suggestion
    assert len([x for x in issues if x.severity == "error"]) == 2  # both at once


def test_duplicate_process_ids(tmp_path):
    issues = issues_of(write_park(tmp_path / "p", processes=PROCESSES + "plant,Second plant,production\n"))
    i = one(issues, message="duplicate process id")
    assert i.row == 7 and i.value == "plant" and "row 3" in i.suggestion


def test_duplicate_flow_ids(tmp_path):
    flows = "id,source,target,material,value\nf1,mine,plant,raw_coal,1\nf1,plant,dump,coal_gangue,1\n"
    one(issues_of(write_park(tmp_path / "p", flows=flows)), message="duplicate flow id", row=3)


def test_unknown_kind_and_category(tmp_path):
    issues = issues_of(write_park(tmp_path / "p", processes=PROCESSES.replace("plant,Power plant,production",
                                                                               "plant,Power plant,prodution"),
                                  materials=MATERIALS.replace("fuel", "fule")))
    k = one(issues, column="kind", message="unknown process kind")
    assert k.value == "prodution" and "production" in k.suggestion and k.row == 3
    c = one(issues, column="category", message="unknown material category")
    assert c.value == "fule" and "fuel" in c.suggestion


@pytest.mark.parametrize("cell,message", [
    ("-5", "negative value"), ("nan", "missing-value marker"), ("inf", "infinite"),
    ("lots", "not a number"), ("=A1*2", "formulas are not evaluated"),
])
def test_bad_values(tmp_path, cell, message):
    flows = FLOWS.replace("plant,dump,coal_gangue,30,", f"plant,dump,coal_gangue,{cell},")
    i = one(issues_of(write_park(tmp_path / "p", flows=flows)), column="value", message=message)
    assert i.row == 3


@pytest.mark.parametrize("table,column", [("flows", "value"), ("processes", "capacity")])
def test_a_negative_number_is_one_issue_and_read_as_nan(tmp_path, table, column):
    # numbers() reads a negative cell as NaN (as its docstring says of every bad cell), so the range check of
    # the same column does not report it a second time as out of range
    head, *rows = {"flows": FLOWS, "processes": PROCESSES}[table].splitlines()
    text = "\n".join([head + ",extra"] + [r + ",-1e20" if i == 1 else r + "," for i, r in enumerate(rows)])
    park = write_park(tmp_path / "p", **{table: text.replace("extra", column) if column == "capacity" else
                                         text.replace(",30,t/a,,-1e20", ",-1e20,t/a,,")})
    assert [(i.column, i.row, i.message.split(";")[0]) for i in issues_of(park)] == [(column, 3, "negative value")]


def test_unknown_and_incompatible_units(tmp_path):
    flows = (FLOWS.replace("plant,dump,coal_gangue,30,t/a", "plant,dump,coal_gangue,30,tonnes per moon")
             .replace("yard,market,fly_ash,15,", "yard,market,fly_ash,15,m^3/a"))
    issues = issues_of(write_park(tmp_path / "p", flows=flows))
    one(issues, column="unit", message="unknown unit", row=3)
    one(issues, column="unit", message="not a mass", row=5)


def test_self_loop_and_boundary_direction(tmp_path):
    flows = FLOWS + "plant,plant,coal,1,,\nplant,mine,coal,1,,\nmarket,plant,coal,1,,\n"
    issues = issues_of(write_park(tmp_path / "p", flows=flows))
    one(issues, message="self-loop", row=7)
    one(issues, message="into an import", row=8)
    one(issues, message="out of an export", row=9)


def test_empty_file_and_missing_column(tmp_path):
    folder = write_park(tmp_path / "p", flows="")
    one(issues_of(folder), message="empty file")
    folder = write_park(tmp_path / "q", flows=FLOWS.replace("material", "materail"))
    i = one(issues_of(folder), message="missing required column 'material'")
    assert "materail" in i.suggestion


def test_sigma_and_tc_checks(tmp_path):
    flows = ("source,target,material,value,sigma,tc\n"
             "mine,plant,raw_coal,100,-3,\n"
             "plant,dump,coal_gangue,30,,1.5\n"
             "plant,yard,fly_ash,,10%,\n")
    issues = issues_of(write_park(tmp_path / "p", flows=flows))
    one(issues, column="sigma", message="negative standard uncertainty", row=2)
    one(issues, column="tc", message="outside [0, 1]", row=3)
    one(issues, column="sigma", message="percentage uncertainty needs a value", row=4)


def test_yaml_paths(tmp_path):
    p = tmp_path / "park.yaml"
    p.write_text("""park: {name: t, yaer: 2020}
processes:
  - {id: a, name: A, kind: import}
  - {id: b, name: B, kind: prodution}
flows:
  - {source: a, target: b, material: raw_coal, value: -1}
""", encoding="utf-8")
    issues = issues_of(p)
    one(issues, path="flows[0].value", message="negative")
    one(issues, path="processes[1].kind", message="unknown process kind")
    k = one(issues, path="park.yaer", message="unknown park setting")
    assert "year" in k.suggestion


def test_gbk_and_bom_csv(tmp_path):
    folder = tmp_path / "gbk"
    write_park(folder)
    (folder / "processes.csv").write_bytes(PROCESSES.replace("Power plant", "电厂").encode("gb18030"))
    (folder / "flows.csv").write_bytes(("\ufeff" + FLOWS).encode("utf-8"))
    park = mfa.read_park(folder)
    assert park.processes.loc[1, "name"] == "电厂"
    assert park.flows.columns[0] == "id" and park.flows.loc[0, "source"] == "mine"


def test_cli_invalid_input_exit_2_no_traceback(tmp_path):
    flows = FLOWS.replace("mine,plant,raw_coal", "mine,plnat,raw_coal")
    folder = write_park(tmp_path / "p", flows=flows)
    r = run_cli("check", str(folder))
    assert r.returncode == 2
    assert "Traceback" not in r.stderr and "plnat" in r.stderr and "row 2" in r.stderr
    r = run_cli("check", str(folder), "--json")
    assert r.returncode == 2
    import json

    doc = json.loads(r.stdout)
    assert doc["issues"][0]["row"] == 2


def test_nothing_written_on_invalid_input(tmp_path):
    folder = write_park(tmp_path / "p", flows=FLOWS.replace("30", "-30"))
    out = tmp_path / "out.yaml"
    r = run_cli("convert", str(folder), str(out))
    assert r.returncode == 2 and not out.exists()


def _template_with(path, processes: list[list], flows: list[list]):
    """The workbook of `mfa new`, filled in as a park's staff would (rows appended under the notes row)."""
    from openpyxl import load_workbook

    assert run_cli("new", str(path)).returncode == 0
    wb = load_workbook(path)
    for sheet, rows in (("processes", processes), ("flows", flows)):
        for r in rows:
            wb[sheet].append(r)
    wb.save(path)
    return path


def test_excel_rows_and_notes_row(tmp_path):
    tpl = _template_with(tmp_path / "t.xlsx",
                         [["a", "A", "", "import"], ["b", "B", "", "production"], ["c", "C", "", "landfil"]],
                         [["", "a", "b", "raw_coal", 10], ["", "b", "c", "coal_gangue", "=B3*2"]])
    issues = issues_of(tpl)
    k = one(issues, column="kind", message="unknown process kind")
    assert k.row == 5 and "landfill" in k.suggestion and "sheet processes" in k.file
    f = one(issues, column="value", message="a formula without a saved value", row=4)
    assert f.value == "=B3*2" and "save it" in f.suggestion


def _with_saved_values(path, values: dict[str, str]) -> None:
    """Store values with the formulas of a workbook written by openpyxl (which saves none), as a spreadsheet
    program does when it saves: ``<f>B3*2</f><v>20</v>``."""
    import re
    import zipfile

    data = {}
    with zipfile.ZipFile(path) as z:
        for n in z.namelist():
            data[n] = z.read(n)
    for n, body in data.items():
        if n.startswith("xl/worksheets/"):
            text = body.decode()
            for ref, v in values.items():
                text = re.sub(rf'(<c r="{ref}"[^>]*><f>[^<]*</f>)<v ?/>', rf"\g<1><v>{v}</v>", text)
            data[n] = text.encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for n, body in data.items():
            z.writestr(n, body)


def test_excel_formulas_give_the_value_the_spreadsheet_saved(tmp_path):
    """A formula is never evaluated: the value saved with it is read (Excel, WPS, LibreOffice save one); the
    same workbook without saved values is refused with a located error."""
    # "=1/0" is never evaluated: its saved value is what counts
    tpl = _template_with(tmp_path / "t.xlsx",
                         [["a", "A", "", "import"], ["b", "B", "", "production"], ["c", "C", "", "landfill"]],
                         [["", "a", "b", "raw_coal", "=2+0.5"], ["", "b", "c", "coal_gangue", "=E3*4"],
                          ["", "b", "c", "fly_ash", "=1/0"]])
    assert len([i for i in issues_of(tpl) if "without a saved value" in i.message]) == 3
    _with_saved_values(tpl, {"E3": "2.5", "E4": "10", "E5": "7"})
    park = mfa.read_park(tpl)
    v = park.flows.set_index("id")["value"]
    assert v["a>b:raw_coal"] == 2.5 and v["b>c:coal_gangue"] == 10 and v["b>c:fly_ash"] == 7


# -- grouping, refused files, the one validator (issues 11 and 12) ------------------------------------------
def test_identical_problems_are_one_issue_that_lists_every_row(tmp_path):
    rows = ["source,target,material,value"] + [f"{s},plant,raw_coal,1" for s in ("mien", "x", "mien", "mien")]
    park = write_park(tmp_path / "p", flows="\n".join(rows) + "\n")
    issues = [i for i in issues_of(park) if i.column == "source"]
    assert [(i.row, list(i.more), i.value, i.count) for i in issues] == [(2, [4, 5], "mien", 3), (3, [], "x", 1)]
    assert "row 2 (and 2 more: rows 4, 5), column 'source'" in str(issues[0])
    assert "did you mean 'mine'" in str(issues[0])
    assert issues[0].to_dict()["more"] == [4, 5] and issues[0].to_dict()["count"] == 3
    assert "more" not in issues[1].to_dict()  # an ungrouped issue keeps exactly the old keys


def test_json_lists_every_row_of_a_grouped_issue(tmp_path):
    rows = ["source,target,material,value"] + [f"src{i % 3},plant,raw_coal,1" for i in range(30)]
    park = write_park(tmp_path / "p", flows="\n".join(rows) + "\n")
    out = run_cli("check", "--json", str(park))
    assert out.returncode == 2
    import json

    issues = json.loads(out.stdout)["issues"]
    located = sorted([i["row"] for i in issues] + [r for i in issues for r in i.get("more", [])])
    assert located == list(range(2, 32))  # all 30 rows, each once
    assert sum(i.get("count", 1) for i in issues) == 30


def test_past_the_distinct_cap_the_rest_is_one_issue_with_every_row(tmp_path, monkeypatch):
    import mfa.validation

    monkeypatch.setattr(mfa.validation, "MAX_DISTINCT", 2)
    rows = ["source,target,material,value"] + [f"mine,plant,raw_coal,x{i}" for i in range(5)]
    issues = [i for i in issues_of(write_park(tmp_path / "p", flows="\n".join(rows) + "\n"))
              if i.column == "value"]
    assert [i.value for i in issues[:2]] == ["x0", "x1"]
    assert issues[2].message == "not a number (3 more distinct values in 3 rows)"
    assert (issues[2].row, list(issues[2].more)) == (4, [5, 6])


def test_yaml_groups_by_path(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("processes:\n- {id: a, name: A, kind: import}\n- {id: b, name: B, kind: landfill}\n"
                    "flows:\n- {source: a, target: c, material: coal, value: 1}\n"
                    "- {source: a, target: c, material: coal, value: 2}\n", encoding="utf-8")
    issue = one(issues_of(path), column="target")
    assert (issue.path, issue.more) == ("flows[0].target", ("flows[1]",))


def test_a_refused_file_silences_the_checks_against_it(tmp_path):
    park = write_park(tmp_path / "p", processes=PROCESSES.replace("Coal mine", "x" * 1_200_000))
    issues = issues_of(park)
    assert len(issues) == 1, "\n".join(map(str, issues))
    assert (issues[0].row, issues[0].column) == (2, "name") and "a line of 1,200,012 characters" in issues[0].message


def test_the_reader_only_reads_and_park_construction_generates():
    from mfa.io import read_tables
    from mfa.park import assemble_park

    tables = read_tables("bayannur")
    assert tables.errors == [] and not tables.flows["estimated"].any()
    park = assemble_park(tables)
    generated = park.flows[park.flows["activity"] != ""]
    assert len(generated) == 8 and generated["estimated"].all()
    assert park == mfa.read_park("bayannur")


def test_generation_errors_are_reported_with_the_other_tables_errors(tmp_path):
    park = write_park(tmp_path / "p", flows=FLOWS.replace("mine,plant", "mien,plant", 1))
    (park / "activities.csv").write_text("id,process,activity,value,unit,target\n"
                                         "a,plant,no_such_activity,1,t/a,dump\n", encoding="utf-8")
    issues = issues_of(park)
    one(issues, file=str(park / "flows.csv"), column="source", message="unknown process")
    one(issues, file=str(park / "activities.csv"), row=2, column="activity", message="unknown activity")


def test_check_columns_number_choice_pattern_year_and_required():
    import pandas as pd

    from mfa.errors import RawTable
    from mfa.validation import Column, check_columns

    raw = RawTable("t", "t.csv", pd.DataFrame({"v": ["0.5", "70%", "2", "inf", ""], "k": ["a", "b", "c", "", "a"],
                                               "y": ["2020", "2020.5", "", "x", "2021"]}), range(2, 7))
    issues: list = []
    c = check_columns(raw, [Column("v", "number", required=True, low=0, high=1, percent=True),
                            Column("k", "choice", choices=("a", "b")), Column("y", "year")], issues)
    assert c.values["v"][:2].tolist() == [0.5, 0.7] and c.bad.tolist() == [False, True, True, True, True]
    got = sorted((i.row, i.column, i.message) for i in issues)
    assert got == [(3, "y", "not a year"), (4, "k", "unknown k"), (4, "v", "must be ≤ 1"),
                   (5, "v", "not a finite number"), (5, "y", "not a year"), (6, "v", "missing value")]


def test_catalogue_loaders_moved_and_still_located(tmp_path):
    import mfa.catalogue
    import mfa.symbiosis

    assert mfa.symbiosis.compatibility is mfa.catalogue.compatibility
    prices = tmp_path / "p.csv"
    prices.write_text("material,disposal_fee,source\nfly_ash,x,S11;NOPE\nfly_ash,3,\n", encoding="utf-8")
    with pytest.raises(ParkError) as e:
        mfa.catalogue.read_prices(prices)
    got = sorted((i.row, i.column, i.message, i.value) for i in e.value.issues)
    assert got == [(2, "disposal_fee", "not a number", "x"), (2, "source", "unknown source id", "NOPE"),
                   (3, "material", "duplicate material", "fly_ash")]


def test_targets_and_coefficients_go_through_the_validator(tmp_path):
    from mfa.targets import load_targets

    path = tmp_path / "t.csv"
    path.write_text("indicator,value,comparison,source\nbulk_solid_waste_utilisation_rate,150%,>=,S11\n"
                    "nope,0.5,=,\n", encoding="utf-8")
    with pytest.raises(ParkError) as e:
        load_targets(path)
    got = sorted((i.row, i.column, i.message) for i in e.value.issues)
    assert got == [(2, "value", "target must be a fraction between 0 and 1"), (3, "comparison",
                   "comparison must be >= or <="), (3, "indicator", "unknown indicator"),
                   (3, "source", "a target needs its source")]
