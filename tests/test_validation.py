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
