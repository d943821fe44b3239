"""Round trips through every format (load → save → load gives an equal park), deterministic output."""

from __future__ import annotations

import string

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mfa
from mfa.conventions import PROCESS_KINDS
from tests.conftest import run_cli

ids = st.text(alphabet=string.ascii_lowercase + "_", min_size=1, max_size=8)
texts = st.text(alphabet=string.ascii_letters + " 电厂粉煤灰-#=,\"'", max_size=12).map(str.strip)
values = st.one_of(st.none(), st.floats(min_value=0, max_value=1e9, allow_nan=False, allow_infinity=False))


@st.composite
def parks(draw):
    n = draw(st.integers(min_value=2, max_value=7))
    pids = draw(st.lists(ids, min_size=n, max_size=n, unique=True))
    kinds = [draw(st.sampled_from(PROCESS_KINDS)) for _ in pids]
    kinds[0], kinds[1] = "import", "production"
    procs = pd.DataFrame({
        "id": pids, "name": [draw(texts) or p for p in pids], "name_zh": [draw(texts) for _ in pids],
        "kind": kinds, "group": [draw(texts) for _ in pids],
        "x": [draw(st.one_of(st.none(), st.floats(-180, 180))) for _ in pids],
        "y": [draw(st.one_of(st.none(), st.floats(-90, 90))) for _ in pids],
        "capacity": [draw(values) for _ in pids], "note": [draw(texts) for _ in pids],
    })
    mats = pd.DataFrame({"id": ["m_a", "m_b", "m_c"], "name": ["A", "B", "电 C"],
                         "category": ["raw_material", "industrial_solid_waste", "hazardous_waste"],
                         "bulk": [False, True, False], "hw_code": ["", "", "HW08"]})
    rows = []
    # a park is one period (issue 10): each row is undated or of the park's period
    period = draw(st.one_of(st.none(), st.integers(1990, 2030)))
    for _ in range(draw(st.integers(min_value=1, max_value=10))):
        s = draw(st.sampled_from([p for p, k in zip(pids, kinds) if k != "export"]))
        t = draw(st.sampled_from([p for p, k in zip(pids, kinds) if k != "import" and p != s] or [None]))
        if t is None:
            continue
        v = draw(values)
        rows.append({"source": s, "target": t, "material": draw(st.sampled_from(list(mats["id"]))),
                     "value": v, "sigma": draw(values) if v is not None else None,
                     "tc": draw(st.one_of(st.none(), st.floats(0, 0.1))), "route": draw(texts),
                     "fate": draw(st.sampled_from(["", "utilised", "disposed"])),
                     "year": draw(st.sampled_from([None, period])), "note": draw(texts)})
    if not rows:
        rows.append({"source": pids[0], "target": pids[1], "material": "m_a", "value": 1.0})
    stocks = pd.DataFrame([{"process": pids[1], "material": "m_b", "opening": draw(values) or 0.0,
                            "closing": draw(values) or 0.0}])
    info = {"name": draw(texts) or "p", "year": draw(st.sampled_from([None, period])),
            "region": draw(st.one_of(st.none(), texts))}
    return mfa.Park.from_frames(processes=procs, flows=pd.DataFrame(rows), materials=mats, stocks=stocks,
                                info=info)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(park=parks())
@pytest.mark.parametrize("target", ["folder", "p.yaml", "p.xlsx"])
def test_round_trip(tmp_path_factory, park, target):
    out = tmp_path_factory.mktemp("rt") / target
    mfa.write_park(park, out)
    again = mfa.read_park(out)
    assert again == park
    pd.testing.assert_frame_equal(again.flows, park.flows)


def test_dataframes_round_trip(small_park):
    park = mfa.read_park(small_park)
    assert mfa.Park.from_frames(**park.to_frames()) == park


@pytest.mark.parametrize("target", ["out", "out.yaml", "out.xlsx"])
def test_byte_identical_output(tmp_path, small_park, target):
    park = mfa.read_park(small_park)
    a, b = tmp_path / "a" / target, tmp_path / "b" / target
    mfa.write_park(park, a)
    mfa.write_park(park, b)
    if a.is_dir():
        for f in sorted(a.iterdir()):
            assert f.read_bytes() == (b / f.name).read_bytes()
    else:
        assert a.read_bytes() == b.read_bytes()


def test_convert_cli_and_overwrite_folder(tmp_path, small_park):
    out = tmp_path / "converted"
    for _ in range(2):  # the second write replaces the folder atomically
        r = run_cli("convert", str(small_park), str(out))
        assert r.returncode == 0, r.stderr
    assert mfa.read_park(out) == mfa.read_park(small_park)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_mixed_units_and_inline_units(tmp_path):
    from tests.conftest import write_park

    flows = ("source,target,material,value,unit,sigma\n"
             "mine,plant,raw_coal,2,万t/a,0.1\n"
             "plant,dump,coal_gangue,10,t/d,\n"
             "plant,yard,fly_ash,1 kt/a,,\n"
             "plant,market,coal,0.5,kt/month,5%\n")
    park = mfa.read_park(write_park(tmp_path / "p", flows=flows,
                                    park="key,value\nname,units\ndays_per_year,330\n"))
    v = park.flows["value"].to_numpy()
    np.testing.assert_allclose(v, [20000.0, 3300.0, 1000.0, 6000.0])
    np.testing.assert_allclose(park.flows["sigma"].to_numpy()[[0, 3]], [1000.0, 300.0])


def test_immutable(small_park):
    park = mfa.read_park(small_park)
    f = park.flows
    f.loc[0, "value"] = -1
    assert park.flows.loc[0, "value"] == 100.0
    new = park.replace(flows=park.flows.assign(value=park.flows["value"] * 2))
    assert new.flows.loc[0, "value"] == 200.0 and park.flows.loc[0, "value"] == 100.0


@pytest.mark.parametrize("name", ["wuhai", "baotou", "hazardous", "bayannur", "wuhai_retrofit"])
@pytest.mark.parametrize("target", ["folder", "park.yaml", "park.xlsx"])
def test_example_parks_round_trip(tmp_path, name, target):
    """Every shipped park survives every format, activity-generated flows included."""
    if name not in mfa.example_parks():
        pytest.skip(f"{name} is not shipped")
    park = mfa.read_park(name)
    out = tmp_path / target
    r = run_cli("convert", name, str(out))
    assert r.returncode == 0, r.stderr
    assert mfa.read_park(out) == park


def test_with_values_shares_tables_and_checks_the_column(small_park):
    park = mfa.read_park(small_park)
    new = park.with_values(park.flows["value"] * 2, sigma=park.flows["sigma"].fillna(0) + 1)
    assert new.flows["value"].tolist() == [200.0, 60.0, 40.0, 30.0, 100.0]
    assert new.flows["sigma"].tolist()[1] == 1.0 and park.flows["value"].tolist()[0] == 100.0
    assert mfa.balance(new).ok
    with pytest.raises(mfa.MfaError, match="never negative"):
        park.with_values(-park.flows["value"])
    with pytest.raises(mfa.MfaError, match="needs 5 numbers"):
        park.with_values([1.0, 2.0])


def test_replace_keeps_t_per_a_in_a_park_with_another_default_unit():
    park = mfa.read_park("wuhai")  # default unit 万t/a
    assert park.info.unit != "t/a"
    assert park.replace(flows=park.flows) == park


def test_xlsx_bytes_do_not_depend_on_the_clock(tmp_path):
    """openpyxl stamps dcterms:modified with the time of saving; two writes a second apart must still be
    byte-identical (this flaked before the stamp was fixed)."""
    import time

    park = mfa.read_park("hazardous")
    mfa.write_park(park, tmp_path / "a.xlsx")
    time.sleep(1.1)
    mfa.write_park(park, tmp_path / "b.xlsx")
    assert (tmp_path / "a.xlsx").read_bytes() == (tmp_path / "b.xlsx").read_bytes()
