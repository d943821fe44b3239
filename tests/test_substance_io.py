"""The substance tables through ``mfa check`` (validated, located errors, substance balances) and ``mfa convert``
(carried to every output format and read back to the same layer)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

import mfa
from mfa.substance import read_substances
from tests.conftest import run_cli, write_park

FLOWS = ("source,target,material,value,sigma\nash,line,high_alumina_fly_ash,100,5\nlime,line,quicklime,50,\n"
         "line,out,alumina,40,\nline,dump,silicon_calcium_slag,110,5\n")
PROCESSES = "id,name,kind\nash,Ash,import\nlime,Lime,import\nline,Line,production\nout,Market,export\ndump,Landfill,landfill\n"
CONC = ("material,substance,value,unit,sigma,note\nhigh_alumina_fly_ash,Al2O3,48,%,0.5,\nquicklime,Al2O3,0,,,\n"
        "alumina,Al2O3,98.5,%,,\n")


def _folder(tmp_path, concentrations: str):
    folder = write_park(tmp_path / "line", processes=PROCESSES, flows=FLOWS, materials=None)
    (folder / "concentrations.csv").write_text(concentrations, encoding="utf-8")
    return folder


def test_check_reports_substance_balances(tmp_path):
    folder = _folder(tmp_path, CONC)
    out = run_cli("check", str(folder), "--json")
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)["substance_balances"]
    # the slag's content is not given: the line's Al2O3 balance computes it, it checks nothing
    assert doc["substances"] == ["Al2O3"] and doc["status_counts"] == {"unchecked": 1} and doc["imbalanced"] == []


def test_check_names_a_substance_balance_that_cannot_close(tmp_path):
    # as given: 48 t of Al2O3 in, 39.4 + 0.2 · 110 = 61.4 t out, beyond 3 σ
    folder = _folder(tmp_path, CONC + "silicon_calcium_slag,Al2O3,20,%,1,\n")
    out = run_cli("check", str(folder))
    assert out.returncode == 1, out.stderr
    assert "Al2O3 balance of line" in out.stdout and "cannot close" in out.stdout
    doc = json.loads(run_cli("check", str(folder), "--json").stdout)
    assert doc["ok"] is False
    bad = doc["substance_balances"]["imbalanced"]
    assert [(b["process"], b["substance"]) for b in bad] == [("line", "Al2O3")]
    assert bad[0]["residual_as_given"] == pytest.approx(48 - 39.4 - 22)


@pytest.mark.parametrize("row,where", [
    ("quicklime,Al2O3,120,,,\n", "concentrations.csv, row 5, column 'value'"),
    ("quicklime,Al2O3,1,percent,,\n", "concentrations.csv, row 5, column 'unit'"),
    ("limestone,Al2O3,1,%,,\n", "concentrations.csv, row 5, column 'material'"),
])
def test_check_locates_bad_substance_rows(tmp_path, row, where):
    folder = _folder(tmp_path, CONC + row)
    out = run_cli("check", str(folder))
    assert out.returncode == 2 and where in out.stderr, out.stderr
    assert "Traceback" not in out.stderr


@pytest.mark.parametrize("name", ["tuoketuo", "bayannur", "hazardous"])
@pytest.mark.parametrize("ext", ["", ".yaml", ".xlsx"])
def test_convert_carries_the_substance_tables(tmp_path, name, ext):
    target = tmp_path / f"{name}{ext}"
    out = run_cli("convert", name, str(target))
    assert out.returncode == 0, out.stderr
    park = mfa.read_park(name)
    layer = read_substances(name, park)
    back = read_substances(target, mfa.read_park(target))
    # values are written as mass fractions with a blank unit; every figure comes back to the last bit
    pd.testing.assert_frame_equal(back.concentrations.drop(columns="unit").reset_index(drop=True),
                                  layer.concentrations.drop(columns="unit").reset_index(drop=True))
    pd.testing.assert_frame_equal(back.transfer.reset_index(drop=True), layer.transfer.reset_index(drop=True))
    assert not layer.empty


def test_convert_of_a_park_without_substances_writes_none(tmp_path):
    assert run_cli("convert", "wuhai", str(tmp_path / "w")).returncode == 0
    assert not (tmp_path / "w" / "concentrations.csv").exists()
    assert read_substances(tmp_path / "w", mfa.read_park(tmp_path / "w")).empty


def test_reconcile_json_reports_the_joint_reconciliation(tmp_path):
    # the slag's Al2O3 measured at 7 ± 1 % against 8.6/110 = 7.82 % from the goods: the joint χ² is positive
    # and moves the measured goods flows, where the goods alone balance exactly
    folder = _folder(tmp_path, CONC + "silicon_calcium_slag,Al2O3,7,%,1,\n")
    park = mfa.read_park(folder)
    joint = mfa.reconcile_substances(park, read_substances(folder, park))
    goods = mfa.reconcile(park)
    doc = json.loads(run_cli("reconcile", str(folder), "--json").stdout)
    assert set(goods.to_dict()) < set(doc)  # every key of today's document, plus the added ones
    assert doc["chi2"] == pytest.approx(joint.chi2) and doc["dof"] == joint.dof and joint.chi2 > 1e-3
    assert doc["reconciliation"]["goods_only"]["chi2"] == pytest.approx(goods.chi2, abs=1e-12)
    assert doc["reconciliation"]["layers"] == "goods and substances"
    got = {f["id"]: f for f in doc["flows"]}
    ash = "ash>line:high_alumina_fly_ash"
    want = joint.flows.set_index("id").loc[ash]
    assert got[ash]["value"] == pytest.approx(want["value"]) and got[ash]["value"] != pytest.approx(100.0)
    assert got[ash]["adjustment"] == pytest.approx(want["value"] - 100.0)
    assert list(got[ash]) == list(goods.to_dict()["flows"][0])  # each flow keeps its keys
