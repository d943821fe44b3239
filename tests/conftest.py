"""What the test files share: the small CSV park (``write_park``, the ``small_park`` fixture), the Wuhai park
read once (``wuhai``), the builders of small hand-made parks (``P``/``proc``, ``F``, ``flow``, ``park_of``,
``MAT``, and ``park_csv`` for a park written as the CSV tables a user writes), ``located_issues`` (the issues
of a file a reader refuses), and the command line run in a child process (``run_cli``, ``run_python``).

Import them with ``from tests.conftest import …``; no test file defines its own builders.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import mfa

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


@pytest.fixture(scope="session")
def wuhai() -> mfa.Park:
    """The shipped Wuhai park, read once (a Park is immutable, so tests may share it)."""
    return mfa.read_park("wuhai")


# ---- builders of small hand-made parks: one set for every test file --------------------------------------
MAT = [{"id": "m", "name": "M", "category": "other"}]  # the neutral material of the solver tests


def P(pid: str, kind: str, **columns) -> dict:
    """A process row named after its id, e.g. ``P("plant", "production", group="power")``."""
    return {"id": pid, "name": pid, "kind": kind, **columns}


proc = P  # the solver tests' name


def flow(source: str, target: str, value=None, sigma=None, tc=None, tc_sigma=None, material: str = "m",
         **columns) -> dict:
    """A flow row: a blank ``value`` is unknown, a blank ``sigma`` exact; material ``m`` unless given."""
    return {"source": source, "target": target, "material": material, "value": value, "sigma": sigma, "tc": tc,
            "tc_sigma": tc_sigma, **columns}


def F(source: str, target: str, material: str, value, **columns) -> dict:
    """A flow row with its material and value first, e.g. ``F("plant", "fill", "fly_ash", 40)``."""
    return flow(source, target, value, material=material, **columns)


def park_of(processes, flows, stocks=None, materials=None, **tables) -> mfa.Park:
    """A validated Park from rows; without ``materials``, the neutral material ``m`` is defined when a flow
    uses it (every other material comes from the shipped catalogue)."""
    if materials is None and (pd.DataFrame(flows).get("material", pd.Series(dtype=object)) == "m").any():
        materials = MAT
    return mfa.Park.from_frames(processes=processes, flows=flows, stocks=stocks, materials=materials, **tables)


def csv_rows(text: str) -> list[dict]:
    """Rows of a CSV table written in a test (header first; blank lines and the indentation are ignored, a
    blank cell is missing), e.g. ``"source,target,material,value\n mine,plant,coal,100"``."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    frame = pd.read_csv(io.StringIO("\n".join(lines)), dtype=str, keep_default_na=False, skipinitialspace=True)
    return [{k: v for k, v in row.items() if v != ""} for row in frame.to_dict("records")]


def park_csv(processes: str, flows: str, stocks: str | None = None, materials: str | None = None,
             **info) -> mfa.Park:
    """A validated Park from CSV text with the file columns, as a user writes processes.csv and flows.csv
    (a process without a name is named after its id; materials not given come from the catalogue)."""
    procs = [{"name": row["id"], **row} for row in csv_rows(processes)]
    return park_of(procs, csv_rows(flows), stocks=csv_rows(stocks) if stocks else None,
                   materials=csv_rows(materials) if materials else None, **({"info": info} if info else {}))


def located_issues(read, path: Path, text: str) -> list:
    """Write ``text`` to ``path`` and read it with ``read``, which must refuse it: the issues of its ParkError."""
    from mfa.errors import ParkError

    path.write_text(text, encoding="utf-8")
    with pytest.raises(ParkError) as e:
        read(path)
    return e.value.issues


def run_python(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """This interpreter in a child process, with this checkout's ``mfa`` first on the path."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=300)


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """The ``mfa`` command as a user runs it: its real exit code, stdout and stderr."""
    return run_python("-m", "mfa", *args, cwd=cwd)
