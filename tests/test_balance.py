"""Balance maths against hand-computed cases."""

from __future__ import annotations

import json

import numpy as np
import pytest

import mfa
from tests.conftest import FLOWS, run_cli, write_park


def test_hand_computed(small_park):
    b = mfa.balance(mfa.read_park(small_park))
    p = b.processes.set_index("process")
    # plant: in 100, out 30 + 20 + 50 = 100
    assert p.loc["plant", "inputs"] == 100 and p.loc["plant", "outputs"] == 100
    assert p.loc["plant", "residual"] == 0 and p.loc["plant", "status"] == "balanced"
    # ash yard without stock data: stock change = 20 − 15 = 5
    assert p.loc["yard", "stock_change"] == 5 and p.loc["yard", "status"] == "storage"
    assert p.loc["mine", "status"] == "boundary" and np.isnan(p.loc["mine", "residual"])
    s = b.system
    assert s["imports"] == 100 and s["exports"] == 65 and s["landfill"] == 30 and s["stock_change"] == 5
    assert s["residual"] == 0 and s["status"] == "balanced"
    assert b.ok


def test_imbalance_and_tolerance(tmp_path):
    park = mfa.read_park(write_park(tmp_path / "p", flows=FLOWS.replace("plant,market,coal,50", "plant,market,coal,49.5")))
    b = mfa.balance(park)
    row = b.processes.set_index("process").loc["plant"]
    assert row["residual"] == pytest.approx(0.5) and row["residual_rel"] == pytest.approx(0.005)
    assert row["status"] == "balanced"  # within the default 1 %
    strict = mfa.balance(park, rel_tol=0.001)
    assert not strict.ok and list(strict.flagged["process"]) == ["plant"]
    assert mfa.balance(park, rel_tol=0, abs_tol=0.5).ok


def test_stocks_from_file(tmp_path):
    stocks = "process,material,opening,closing,unit\nyard,fly_ash,1,1.0005,万t\n"
    park = mfa.read_park(write_park(tmp_path / "p", stocks=stocks))
    row = mfa.balance(park).processes.set_index("process").loc["yard"]
    assert row["stock_change"] == pytest.approx(5.0)
    assert row["residual"] == pytest.approx(0.0) and row["status"] == "balanced"
    assert row["stock_source"] == "stocks"


def test_unknown_flow(tmp_path):
    park = mfa.read_park(write_park(tmp_path / "p", flows=FLOWS.replace("plant,market,coal,50", "plant,market,coal,")))
    row = mfa.balance(park).processes.set_index("process").loc["plant"]
    assert row["status"] == "unknown" and row["n_unknown"] == 1
    assert row["residual"] == pytest.approx(50.0)  # what the unknown outflow must carry


def test_per_material(small_park):
    m = mfa.balance(mfa.read_park(small_park), per_material=True).materials
    yard = m[(m.process == "yard") & (m.material == "fly_ash")].iloc[0]
    assert yard["inputs"] == 20 and yard["outputs"] == 15 and yard["status"] == "storage"
    assert set(m.loc[m.process == "plant", "status"]) == {"transformed"}


def test_cli_check_and_balance(small_park, tmp_path):
    # the ash yard has no stock data: its stock change is whatever the flows leave, so it cannot be checked
    r = run_cli("check", str(small_park))
    assert r.returncode == 1, r.stderr
    assert "could not be checked" in r.stdout and "yard (Ash yard)" in r.stdout
    stocked = write_park(tmp_path / "stocked", stocks="process,material,opening,closing\nyard,fly_ash,100,105\n")
    r = run_cli("check", str(stocked))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "all processes checked and balanced" in r.stdout
    bad = write_park(tmp_path / "bad", flows=FLOWS.replace("plant,market,coal,50", "plant,market,coal,40"),
                     stocks="process,material,opening,closing\nyard,fly_ash,100,105\n")
    r = run_cli("check", str(bad))
    assert r.returncode == 1 and "plant" in r.stdout
    r = run_cli("balance", str(small_park), "--json")
    doc = json.loads(r.stdout)
    assert r.returncode == 0 and doc["system"]["imports"] == 100
    assert {"process", "inputs", "outputs", "stock_change", "residual", "residual_rel", "status"} <= set(doc["processes"][0])


def test_cli_missing_park():
    r = run_cli("check", "no/such/park")
    assert r.returncode == 2 and "no such file" in r.stderr and "Traceback" not in r.stderr


def test_result_contract(small_park):
    """BalanceResult is the one result shape: frozen, .table/.tables/.summary, --json = to_json()."""
    import dataclasses

    from mfa.results import Result

    b = mfa.balance(mfa.read_park(small_park), per_material=True)
    assert isinstance(b, Result) and b.table is b.processes
    assert list(b.tables) == ["processes", "materials"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        b.rel_tol = 1.0
    # hand-computed above: 2 internal processes (plant balanced, yard a store without stock data), 3 boundary
    assert b.summary == {"ok": True, "balanced": 1, "imbalanced": 0, "unknown": 0, "storage": 1, "boundary": 3,
                         "system_residual": 0.0, "system_status": "balanced"}
    assert json.loads(b.to_json()) == json.loads(json.dumps(b.to_dict()))
    assert b.to_frame().equals(b.processes) and b.to_frame() is not b.processes
    html = b._repr_html_()
    assert "Mass balance" in html and "storage: 1" in html


def test_cli_json_is_the_result_document(small_park, capsys):
    from mfa.cli import main

    assert main(["balance", str(small_park), "--json"]) == 0
    assert capsys.readouterr().out == mfa.balance(mfa.read_park(small_park)).to_json() + "\n"


def test_cli_exit_codes(small_park, tmp_path, monkeypatch, capsys):
    """0 balanced, 2 a name that is no park (a located message), 3 an internal error (no traceback)."""
    from mfa.cli import main

    assert main(["check", str(small_park), "--as-given"]) == 1  # the ash yard has no stock data: unchecked
    assert main(["balance", str(tmp_path / "nowhere")]) == 2
    assert "error:" in capsys.readouterr().err

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("mfa.mass_balance.balance", broken)
    assert main(["balance", str(small_park)]) == 3
    err = capsys.readouterr().err
    assert "internal error: RuntimeError: boom" in err and "Traceback" not in err
