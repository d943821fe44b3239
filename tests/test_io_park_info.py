"""ParkInfo validates its settings without pydantic (issue 13 item 3: pydantic cost `mfa check` a tenth of a
second), with pydantic's rules and messages: checked here against the pydantic model it replaced, on every
kind of cell a park file can hold."""

from __future__ import annotations

import copy
import math
import pickle
import subprocess
import sys
from typing import Mapping

import pytest

import mfa
from mfa.errors import ParkError
from mfa.park_info import ParkInfo, ParkInfoError
from tests.conftest import ROOT, write_park

CELLS = ["2015", "2015.0", "2015.00", "2015.", "2015.5", 2015.0, 2015.5, True, False, "1e3", "abc", 1800, " 2015 ",
         "+2015", "2_015", "2_015.00", "-2015", 2020, ["a"], {"a": 1}, "0.02", "inf", "-inf", "Infinity", "nan",
         float("nan"), float("inf"), "-1", "1e-2", " 0.5", "1_0", "-0", "0", "0.0", "-0.0", 0, 366, "366.5", "1e400",
         2 ** 70, "0x10", "１", "２０１５", "x", "", "  ", None, ".5", "5.", "1e5", 1e-300, "t/a", "万t/a"]
FIELDS = ["name", "name_zh", "year", "unit", "days_per_year", "value_added", "rel_tol", "abs_tol"]


def reference_model():
    """The pydantic model ParkInfo was until issue 13 (the oracle of its rules and messages)."""
    pydantic = pytest.importorskip("pydantic")
    from pydantic import BaseModel, ConfigDict, Field, model_validator

    class Reference(BaseModel):
        model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
        name: str = Field("park")
        name_zh: str | None = None
        region: str | None = None
        level: str | None = None
        year: int | None = Field(None, ge=1900, le=2200)
        unit: str = "t/a"
        days_per_year: float = Field(365.0, gt=0, le=366)
        value_added: float | None = Field(None, ge=0)
        value_added_unit: str | None = None
        description: str | None = None
        rel_tol: float = Field(0.01, ge=0)
        abs_tol: float = Field(0.01, ge=0)

        @model_validator(mode="before")
        @classmethod
        def _blank_is_missing(cls, data):
            if isinstance(data, Mapping):
                return {k: (v.strip() if isinstance(v, str) else v) for k, v in data.items()
                        if not (v is None or (isinstance(v, str) and not v.strip()))}
            return data

    return Reference, pydantic.ValidationError


def outcome(make, error, settings):
    try:
        return make(**settings).model_dump(), None
    except error as e:
        return None, [(d["loc"], d["type"], d["msg"]) for d in e.errors()]


@pytest.mark.parametrize("field", FIELDS)
def test_same_values_and_messages_as_pydantic(field):
    Reference, ValidationError = reference_model()
    for cell in CELLS:
        for others in ({}, {"yaer": 1}, {"year": "x", "abs_tol": "-1"}):
            settings = {**others, field: cell}
            want, want_errors = outcome(Reference, ValidationError, settings)
            got, got_errors = outcome(ParkInfo, ParkInfoError, settings)
            assert got_errors == want_errors, settings
            if want is not None:
                assert list(got) == list(want), settings
                for k in want:
                    same = got[k] == want[k] or (isinstance(want[k], float) and math.isnan(want[k])
                                                 and math.isnan(got[k]))
                    assert same and type(got[k]) is type(want[k]), (settings, k)


def test_frozen_equal_hashable_picklable_and_shown_as_before():
    info = ParkInfo(name="Wuhai", year="2015", rel_tol="0.02")
    with pytest.raises(AttributeError):
        info.name = "other"
    assert info == ParkInfo(name="Wuhai", year=2015, rel_tol=0.02) != ParkInfo(name="Wuhai")
    assert hash(info) == hash(ParkInfo(name="Wuhai", year=2015, rel_tol=0.02))
    assert pickle.loads(pickle.dumps(info)) == info and copy.deepcopy(info) == info
    assert repr(ParkInfo(name="x")) == ("ParkInfo(name='x', name_zh=None, region=None, level=None, year=None, "
                                        "unit='t/a', days_per_year=365.0, value_added=None, value_added_unit=None, "
                                        "description=None, rel_tol=0.01, abs_tol=0.01)")
    assert dict(info)["year"] == 2015 and info.model_copy(update={"year": 2016}).year == 2016
    assert info.model_dump(exclude_none=True) == {"name": "Wuhai", "year": 2015, "unit": "t/a",
                                                  "days_per_year": 365.0, "rel_tol": 0.02, "abs_tol": 0.01}


def test_bad_settings_in_park_csv_are_located(tmp_path):
    folder = write_park(tmp_path / "p", park="key,value\nname,t\nyear,1800\nrel_tol,inf\nyaer,2020\n")
    with pytest.raises(ParkError) as e:
        mfa.read_park(folder)
    found = {(i.row, i.column, i.message) for i in e.value.issues}
    assert (3, "value", "Input should be greater than or equal to 1900") in found
    assert (4, "value", "Input should be a finite number") in found
    assert (5, "value", "unknown park setting 'yaer'") in found


def test_check_imports_no_pydantic():
    out = subprocess.run([sys.executable, "-X", "importtime", "-m", "mfa", "check", "wuhai"], capture_output=True,
                         text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr[-2000:]
    imported = {line.split("|")[-1].strip() for line in out.stderr.splitlines() if line.startswith("import time")}
    assert "mfa.park_info" in imported and "pydantic" not in imported
