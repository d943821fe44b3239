"""A workbook filled in Chinese — materials by their Chinese names, kinds in Chinese, 万吨/年, formulas with the
values the spreadsheet saved — is the same park as its English twin (issue 14 item 5)."""

from __future__ import annotations

import pytest
from openpyxl import load_workbook

import mfa
from mfa.errors import ParkError
from tests.conftest import P, run_cli
from tests.test_validation import _with_saved_values

KINDS_ZH = {"production": "生产", "collection": "收集", "treatment": "处理", "landfill": "填埋", "storage": "贮存",
            "environment": "环境", "import": "输入", "export": "输出", "consumption": "消费"}


def _chinese_twin(park, path):
    """Write ``park`` as a workbook, then retype it as a park's staff would: Chinese kinds and material names,
    values and sigmas in 万吨/年, one value as a formula whose saved value is stored with it."""
    mfa.write_park(park, path)
    wb = load_workbook(path)
    ws = wb["processes"]
    head = [c.value for c in ws[1]]
    k = head.index("kind")
    for row in ws.iter_rows(min_row=2):
        row[k].value = KINDS_ZH[row[k].value]
    names = dict(zip(park.materials["id"], park.materials["name_zh"]))
    aliases = mfa.catalogue.material_aliases()
    wf = wb["flows"]
    head = [c.value for c in wf[1]]
    m, v, u, sd = head.index("material"), head.index("value"), head.index("unit"), head.index("sigma")
    formula_ref = None
    for row in wf.iter_rows(min_row=2):
        zh = names.get(row[m].value)
        if zh and aliases.get(zh) == row[m].value:  # only names that lead back to this id
            row[m].value = zh
        if isinstance(row[v].value, (int, float)):
            row[v].value = row[v].value / 1e4
            row[u].value = "万吨/年"  # the unit of the row: its sigma is in 万吨/年 too
            if isinstance(row[sd].value, (int, float)):
                row[sd].value = row[sd].value / 1e4
            if formula_ref is None:
                formula_ref = (row[v].coordinate, row[v].value)
                row[v].value = f"={row[v].value}*1"
    wb.save(path)
    _with_saved_values(path, {formula_ref[0]: repr(formula_ref[1])})
    return formula_ref


@pytest.mark.parametrize("name", ["hazardous", "wuhai"])
def test_a_workbook_in_chinese_is_the_same_park_as_its_english_twin(tmp_path, name):
    park = mfa.read_park(name)
    en = tmp_path / "en.xlsx"
    mfa.write_park(park, en)
    zh = tmp_path / "zh.xlsx"
    _chinese_twin(park, zh)
    # the staff's workbook really is in Chinese
    wb = load_workbook(zh)
    kinds = {c.value for c in list(wb["processes"].iter_cols())[[c.value for c in wb["processes"][1]].index("kind")][1:]}
    assert kinds <= set(KINDS_ZH.values())
    assert run_cli("check", str(zh)).returncode == 0
    a, b = mfa.read_park(en), mfa.read_park(zh)
    assert b.flows["material"].tolist() == a.flows["material"].tolist()
    assert b.flows["value"].to_numpy() == pytest.approx(a.flows["value"].to_numpy(), rel=1e-12, nan_ok=True)
    assert b.processes["kind"].tolist() == a.processes["kind"].tolist()
    ia = mfa.indicators(a, targets=False).table
    ib = mfa.indicators(b, targets=False).table
    assert ib["value"].to_numpy() == pytest.approx(ia["value"].to_numpy(), rel=1e-12, nan_ok=True)


def test_the_report_of_the_chinese_workbook_equals_the_english_twins(tmp_path):
    from mfa.report import report_html

    park = mfa.read_park("hazardous")
    zh = tmp_path / "zh.xlsx"
    _chinese_twin(park, zh)
    en = tmp_path / "en.xlsx"
    mfa.write_park(park, en)
    # values and sigmas typed in 万吨/年 differ from the t/a ones by the last bit at most: round both to compare
    a = mfa.read_park(en)
    b = mfa.read_park(zh)
    b = b.with_values(b.flows["value"].round(6), b.flows["sigma"].round(6))
    a = a.with_values(a.flows["value"].round(6), a.flows["sigma"].round(6))
    assert report_html(b, lang="zh") == report_html(a, lang="zh")


def test_unknown_chinese_names_suggest_the_catalogues():
    with pytest.raises(ParkError) as e:
        mfa.Park.from_frames(processes=[P("plant", "生产"), P("fill", "填埋")],
                             flows=[{"source": "plant", "target": "fill", "material": "煤灰", "value": 1}])
    issue = e.value.issues[0]
    assert issue.column == "material" and "粉煤灰 (fly_ash)" in issue.suggestion
    park = mfa.Park.from_frames(processes=[P("farm", "生产"), P("biogas", "生产")],
                                flows=[{"source": "farm", "target": "biogas", "material": "粪污", "value": 1},
                                       {"source": "farm", "target": "biogas", "material": "秸秆", "value": 2}])
    assert set(park.flows["material"]) == {"manure_mixed", "straw_mixed"}
    # an id is never read as a name, and a park's own material may be given by its own Chinese name
    own = mfa.Park.from_frames(
        processes=[P("a", "生产"), P("b", "填埋")],
        flows=[{"source": "a", "target": "b", "material": "灰渣混合物", "value": 3}],
        materials=[{"id": "ash_mix", "name": "ash mix", "name_zh": "灰渣混合物", "category": "industrial_solid_waste"}])
    assert own.flows["material"].tolist() == ["ash_mix"]
