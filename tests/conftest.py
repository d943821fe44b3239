from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

PROCESSES = """id,name,kind
mine,Coal mine,import
plant,Power plant,production
dump,Landfill,landfill
yard,Ash yard,storage
market,Market,export
"""
FLOWS = """source,target,material,value,unit,sigma
mine,plant,raw_coal,100,t/a,5%
plant,dump,coal_gangue,30,t/a,
plant,yard,fly_ash,20,,2
yard,market,fly_ash,15,,
plant,market,coal,50,,
"""
MATERIALS = """id,name,category,bulk
raw_coal,Raw coal,raw_material,false
coal,Coal,fuel,false
coal_gangue,Coal gangue,industrial_solid_waste,true
fly_ash,Fly ash,industrial_solid_waste,true
"""


def write_park(folder: Path, processes: str = PROCESSES, flows: str = FLOWS, materials: str | None = MATERIALS,
               stocks: str | None = None, park: str | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "processes.csv").write_text(processes, encoding="utf-8")
    (folder / "flows.csv").write_text(flows, encoding="utf-8")
    if materials is not None:
        (folder / "materials.csv").write_text(materials, encoding="utf-8")
    if stocks is not None:
        (folder / "stocks.csv").write_text(stocks, encoding="utf-8")
    if park is not None:
        (folder / "park.csv").write_text(park, encoding="utf-8")
    return folder


@pytest.fixture
def small_park(tmp_path: Path) -> Path:
    return write_park(tmp_path / "park")


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return subprocess.run([sys.executable, "-m", "mfa", *args], capture_output=True, text=True, cwd=cwd,
                          env=env, timeout=300)
