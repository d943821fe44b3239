"""Issue 16 items 3–4: reconciliation per year, what it takes to meet each target, sweeps and Monte Carlo of
scenarios on executors (processes, threads, a dask LocalCluster) with identical results."""

from __future__ import annotations

import json
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import numpy as np
import pandas as pd
import pytest

import mfa
from mfa.cli import main
from mfa.errors import ParkError
from tests.conftest import F, P, ROOT, flow, park_of

SCENARIO = str(ROOT / "parks" / "farm_film" / "scenarios" / "recovery_90_by_2030.csv")


def measured_park() -> mfa.Park:
    # the plant's input x is measured (a ± σa) and so is what its share s sends through the sorter (b ± σb):
    # weighted least squares gives x = (a/σa² + s·b/σb²) / (1/σa² + s²/σb²), each year with its own share:
    # 2021: a = 100 ± 10, s = 0.3, b = 33 ± 3 → x = (1 + 1.1) / 0.02 = 105;
    # 2022: a = 200 ± 10, s = 0.5, b = 110 ± 5 → x = (2 + 2.2) / 0.02 = 210
    procs = [P("supply", "import"), P("plant", "production"), P("sorter", "treatment"), P("market", "export")]
    flows = []
    for y, (a, sa, b, sb, s) in {2021: (100, 10, 33, 3, 0.3), 2022: (200, 10, 110, 5, 0.5)}.items():
        flows += [flow("supply", "plant", a, sa, year=y), flow("plant", "market", None, year=y),
                  flow("plant", "sorter", None, tc=s, year=y), flow("sorter", "market", b, sb, year=y)]
    return park_of(procs, flows)


def test_reconcile_every_year_of_a_multi_year_park():
    r = mfa.reconcile_series(measured_park())
    assert r.years["year"].tolist() == [2021, 2022]
    v = r.flows.set_index(["year", "id"])["value"]
    assert v[(2021, "supply>plant:m")] == pytest.approx(105, rel=1e-6)
    assert v[(2021, "plant>sorter:m")] == pytest.approx(0.3 * 105, rel=1e-6)
    assert v[(2021, "plant>market:m")] == pytest.approx(0.7 * 105, rel=1e-6)
    assert v[(2022, "supply>plant:m")] == pytest.approx(210, rel=1e-6)
    assert v[(2022, "sorter>market:m")] == pytest.approx(105, rel=1e-6)
    assert v[(2022, "plant>market:m")] == pytest.approx(105, rel=1e-6)
    # χ² = (x − a)²/σa² + (s·x − b)²/σb²: 2021 0.25 + 0.25 = 0.5; 2022 1 + 1 = 2
    assert r.years["dof"].tolist() == [1, 1]
    assert r.years["chi2"].tolist() == pytest.approx([0.5, 2.0], rel=1e-6)


def test_reconcile_cli_per_year_table_and_one_year_unchanged(tmp_path, capsys):
    park = measured_park()
    folder = tmp_path / "two_years"
    mfa.write_park(park, folder)
    assert main(["reconcile", str(folder), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [y["year"] for y in doc["years"]] == [2021, 2022]
    assert {f["year"] for f in doc["flows"]} == {2021, 2022}
    # --year Y prints the one-year document, the same as for a park holding only that year
    assert main(["reconcile", str(folder), "--year", "2022", "--json"]) == 0
    one = json.loads(capsys.readouterr().out)
    mfa.write_park(park.for_year(2022), tmp_path / "only_2022")
    assert main(["reconcile", str(tmp_path / "only_2022"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == one
    assert main(["reconcile", str(folder)]) == 0
    assert "Reconciliation of" in capsys.readouterr().out
    assert main(["reconcile", str(folder), "-o", str(tmp_path / "out")]) == 2
    assert "--year" in capsys.readouterr().err


def test_what_it_takes_on_farm_film_by_hand():
    targets = [{"id": "demo_2023", "indicator": "farm_film_recovery_rate", "comparison": ">=", "value": 0.85,
                "year": 2023},
               {"id": "demo_2030", "indicator": "farm_film_recovery_rate", "comparison": ">=", "value": 0.90,
                "year": 2030}]
    # 2023: 0.85 × 6 100 t used − 5 002 t recovered = 183 t
    t = mfa.what_it_takes(mfa.read_park("farm_film"), targets=targets).table
    assert t[["year", "extra_t", "met"]].values.tolist() == [[2023, 183.0, False]]  # 2030 is not in the park
    # the park held to 2030 (85 % of 6 200 t): 0.90 × 6 200 − 5 270 = 310 t more in 2030
    held = mfa.project(mfa.read_park("farm_film"), 2030)
    t = mfa.what_it_takes(held, targets=targets).table.set_index("year")
    assert t.loc[2030, "extra_t"] == pytest.approx(310.0)
    # with the scenario reaching 90 % in 2030, nothing more is needed
    t = mfa.what_it_takes(mfa.project(mfa.read_park("farm_film"), 2030, SCENARIO), targets=targets).table
    assert t.set_index("year").loc[2030, "extra_t"] == 0 and t.set_index("year").loc[2030, "met"]


def test_what_it_takes_on_a_small_park_both_directions(tmp_path):
    procs = [P("coal", "import"), P("plant", "production"), P("bricks", "production"), P("yard", "landfill"),
             P("market", "export")]
    flows = []
    for y, u in ((2024, 40), (2025, 50)):
        flows += [F("coal", "plant", "coal", 300, year=y), F("plant", "market", "coal", 200, year=y),
                  F("plant", "bricks", "fly_ash", u, year=y), F("plant", "yard", "fly_ash", 100 - u, year=y),
                  F("bricks", "market", "fly_ash", u, year=y)]
    park = park_of(procs, flows)
    s = mfa.indicator_series(park, targets=False).series.set_index(["year", "id"])
    n, d = s.loc[(2024, "industrial_solid_waste_utilisation_rate"), ["numerator", "denominator"]]
    dn, dd = s.loc[(2025, "industrial_solid_waste_disposal_rate"), ["numerator", "denominator"]]
    assert (n, dn) == (40, 50)  # the tonnes utilised in 2024, landfilled in 2025
    t = mfa.what_it_takes(park, targets=[
        {"indicator": "industrial_solid_waste_utilisation_rate", "comparison": ">=", "value": 0.6, "year": 2024},
        {"indicator": "industrial_solid_waste_disposal_rate", "comparison": "<=", "value": 0.25, "year": 2025},
        {"indicator": "industrial_solid_waste_disposal_rate", "comparison": "<=", "value": 0.9, "year": 2025}])
    t = t.table
    assert t["extra_t"].tolist() == pytest.approx([0.6 * d - 40, 50 - 0.25 * dd, 0.0])
    assert t["met"].tolist() == [False, False, True]
    bad = tmp_path / "targets.csv"
    bad.write_text("indicator,comparison,value,year\nx,=>,0.5,2024\nx,>=,abc,2024.5\n", encoding="utf-8")
    with pytest.raises(ParkError) as e:
        mfa.what_it_takes(park, targets=bad)
    got = {(i.row, i.column) for i in e.value.issues}
    assert {(2, "comparison"), (3, "value"), (3, "year")} <= got
    assert all(i.file.endswith("targets.csv") for i in e.value.issues)


def test_project_what_it_takes_on_the_command_line(tmp_path, capsys):
    targets = tmp_path / "t.csv"
    targets.write_text("id,indicator,comparison,value,year\nt30,farm_film_recovery_rate,>=,0.9,2030\n")
    assert main(["project", "farm_film", "--until", "2030", "--what-it-takes", str(targets), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert {"until", "written", "indicators", "stocks"} <= set(doc)
    [row] = doc["what_it_takes"]
    assert row["year"] == 2030 and row["extra_t"] == pytest.approx(310.0)


def test_sweep_values_and_identical_on_every_executor():
    park = mfa.read_park("farm_film")
    serial = mfa.sweep(park, 2030, [SCENARIO], draws=3, spread=0.05, seed=7, workers=1)
    soil = serial.stocks.query("process == 'soil' and year == 2030")["stock"].to_numpy()
    assert len(set(np.round(soil, 6))) == 3  # each draw its own stream
    with ThreadPoolExecutor(2) as pool:
        threads = mfa.sweep(park, 2030, [SCENARIO], draws=3, spread=0.05, seed=7, executor=pool)
    with ProcessPoolExecutor(2) as pool:
        procs = mfa.sweep(park, 2030, [SCENARIO], draws=3, spread=0.05, seed=7, executor=pool)
    for other in (threads, procs):
        pd.testing.assert_frame_equal(serial.stocks, other.stocks)
        pd.testing.assert_frame_equal(serial.indicators, other.indicators)
    other_seed = mfa.sweep(park, 2030, [SCENARIO], draws=3, spread=0.05, seed=8, workers=1)
    assert not np.allclose(other_seed.stocks["stock"], serial.stocks["stock"])
    # no spread: every draw is the scenario itself (24 492 t in the soil in 2030, docs/time.md)
    flat = mfa.sweep(park, 2030, [SCENARIO], draws=2, spread=0.0, workers=1)
    assert flat.stocks.query("process == 'soil' and year == 2030")["stock"].round().tolist() == [24492, 24492]


def test_sweep_on_a_dask_local_cluster():
    distributed = pytest.importorskip("distributed")
    park = mfa.read_park("farm_film")
    named = {"held": None, "90%": [
        {"flow": "fields>collection:farm_film", "column": "tc", "year": 2027, "value": 0.90},
        {"flow": "fields>soil:farm_film", "column": "value", "year": 2026, "value": None},
        {"flow": "collection>landfill:farm_film", "column": "value", "year": 2026, "value": None}]}
    serial = mfa.sweep(park, 2027, named, workers=1)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        on_dask = mfa.sweep(park, 2027, named, executor=client)
    pd.testing.assert_frame_equal(serial.stocks, on_dask.stocks)
    pd.testing.assert_frame_equal(serial.indicators, on_dask.indicators)
    soil = serial.stocks.query("process == 'soil' and year == 2027").set_index("scenario")["stock"]
    # held: docs/time.md's 24 084 t; at 90 % in 2027 (87.5 % in 2026) less residue enters the soil:
    # 2026 6 200 × 0.125 = 775 t, 2027 620 t instead of 930 t each year
    assert round(soil["held"]) == 24084
    assert soil["held"] - soil["90%"] == pytest.approx((930 - 775) * np.exp(-1.5 / 50) + (930 - 620) * np.exp(-0.5 / 50),
                                                      rel=1e-9)


def test_sweep_refuses_bad_requests():
    park = mfa.read_park("farm_film")
    with pytest.raises(mfa.MfaError, match="exactly one scenario"):
        mfa.sweep(park, 2030, [SCENARIO, SCENARIO], draws=3, workers=1)
    with pytest.raises(mfa.MfaError, match="at least one"):
        mfa.sweep(park, 2027, [], workers=1)
    with pytest.raises(ParkError):
        mfa.sweep(park, 2027, [[{"flow": "nope", "column": "tc", "year": 2026, "value": 0.5}]], workers=1)


def test_scenario_growth_in_percent_a_year(tmp_path):
    # the film used grows 2 %/a from 2026 and 5 %/a from 2028; the residue (fields → soil) comes from the
    # fields' balance: used − recovered (5 270 t, held)
    from mfa.projection import project

    rows = [{"flow": "film_market>fields:farm_film", "column": "growth", "year": 2026, "value": 2},
            {"flow": "film_market>fields:farm_film", "column": "growth", "year": 2028, "value": 5},
            {"flow": "fields>soil:farm_film", "column": "value", "year": 2026, "value": None}]
    p = project(mfa.read_park("farm_film"), 2028, rows)
    used = p.flows.query("id == 'film_market>fields:farm_film' and year > 2025")["value"].tolist()
    assert used == pytest.approx([6200 * 1.02, 6200 * 1.02 ** 2, 6200 * 1.02 ** 2 * 1.05])
    soil = mfa.stocks(p).table.query("process == 'soil' and year > 2025")["inflow"].tolist()
    assert soil == pytest.approx([u - 5270 for u in used])
    bad = tmp_path / "bad.csv"
    bad.write_text("flow,column,year,value\nfilm_market>fields:farm_film,growth,2026,-120\n"
                   "film_market>fields:farm_film,value,2027,-5\nfilm_market>fields:farm_film,growth,2028,\n",
                   encoding="utf-8")
    with pytest.raises(ParkError) as e:
        project(mfa.read_park("farm_film"), 2028, bad)
    assert {(i.row, i.column) for i in e.value.issues} >= {(2, "value"), (3, "value"), (4, "value")}


def test_compare_two_trajectories(tmp_path, capsys):
    park = mfa.read_park("farm_film")
    held, target = tmp_path / "held", tmp_path / "target"
    assert main(["project", "farm_film", "--until", "2030", "-o", str(held)]) == 0
    assert main(["project", "farm_film", SCENARIO, "--until", "2030", "-o", str(target)]) == 0
    capsys.readouterr()
    page = tmp_path / "cmp.html"
    assert main(["compare", str(held), str(target), "--json", "-o", str(page)]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["years"] == list(range(2021, 2031)) and doc["output"] == str(page)
    rate = {(r["year"]): r["difference"] for r in doc["indicators"] if r["id"] == "farm_film_recovery_rate"}
    # the same data to 2025, then the recovery rate rises by 1 point a year to 90 % in 2030
    assert all(rate[y] == pytest.approx(0, abs=1e-12) for y in range(2021, 2026))
    assert [rate[y] for y in range(2026, 2031)] == pytest.approx([0.01, 0.02, 0.03, 0.04, 0.05])
    soil = {r["year"]: r["difference"] for r in doc["stocks"] if r["process"] == "soil"}
    # 2026: 62 t less residue (6 200 × 1 %) entering mid-year, kept e^(−0.5/50)
    assert soil[2026] == pytest.approx(-62 * np.exp(-0.5 / 50), rel=1e-9)
    assert round(soil[2030]) == -897
    assert "farm_film_recovery_rate" in page.read_text(encoding="utf-8")
    assert main(["compare", str(held), "farm_film"]) == 0
    assert "Trajectories compared" in capsys.readouterr().out


def test_a_coupling_switched_on_from_a_year():
    # from 2027 the collection network sends 300 t/a of film to a (park's own) pellet plant instead of the
    # landfill: the new flow is 0 in 2026, 300 t from 2027; the landfill takes the rest by balance
    from mfa.projection import project

    rows = [{"flow": "collection>soil:farm_film", "column": "value", "year": 2027, "value": 300},
            {"flow": "collection>landfill:farm_film", "column": "value", "year": 2026, "value": None}]
    p = project(mfa.read_park("farm_film"), 2028, rows)
    f = p.flows.query("id == 'collection>soil:farm_film'").set_index("year")["value"]
    assert f.to_dict() == {2021: 0.0, 2022: 0.0, 2023: 0.0, 2024: 0.0, 2025: 0.0, 2026: 0.0, 2027: 300.0,
                           2028: 300.0}  # the park's own years hold it at 0: every flow in every year
    soil = mfa.stocks(p).table.query("process == 'soil' and year > 2025").set_index("year")["inflow"]
    assert soil.to_dict() == pytest.approx({2026: 930.0, 2027: 1230.0, 2028: 1230.0})
    solved = mfa.solve_park(p.for_year(2027)).park.flows.set_index("id")["value"]
    assert solved["collection>landfill:farm_film"] == pytest.approx(1270 - 300)


def _projected_both_ways(monkeypatch, park, until, scenario):
    """The projection by the trusted path (counted) and by validating every row of every year again."""
    import mfa.park as park_module
    from mfa.projection import project

    trusted = park_module.extended_park
    taken = []
    monkeypatch.setattr(park_module, "extended_park", lambda *a: taken.append(trusted(*a)) or taken[-1])
    fast = project(park, until, scenario)
    monkeypatch.setattr(park_module, "extended_park", lambda *a: None)
    full = project(park, until, scenario)
    monkeypatch.setattr(park_module, "extended_park", trusted)
    return fast, full, taken


def _assert_same_park(fast, full):
    assert fast.years == full.years
    for y in full.years:
        a, b = fast.for_year(y), full.for_year(y)
        assert a.info == b.info
        for t in ("processes", "flows", "materials", "stocks", "activities", "coefficients"):
            pd.testing.assert_frame_equal(getattr(a, t), getattr(b, t), check_exact=True, obj=f"{y} {t}")
    for t in ("flows", "stocks", "materials"):
        pd.testing.assert_frame_equal(getattr(fast, t), getattr(full, t), check_exact=True)
    pd.testing.assert_frame_equal(fast.lifetimes, full.lifetimes)
    assert fast == full and fast.info == full.info


@pytest.mark.parametrize("name, scenario, until", [
    ("farm_film", SCENARIO, 2030), ("farm_film", None, 2027), ("wuhai_ash_yard", None, 2028),
    ("wuhai", None, 2018), ("otog", None, 2025),
    ("farm_film", [{"flow": "film_market>fields:farm_film", "column": "growth", "year": 2026, "value": 3},
                   {"flow": "fields>soil:farm_film", "column": "value", "year": 2026, "value": None}], 2029)])
def test_trusted_projection_is_the_park_full_validation_gives(monkeypatch, name, scenario, until):
    park = mfa.read_park(name)
    fast, full, taken = _projected_both_ways(monkeypatch, park, until, scenario)
    assert len(taken) == 1 and taken[0] is not None  # the trusted path built it
    _assert_same_park(fast, full)
    # the lifetime ran over the new years: a closing stock of the soil in every year, the model's
    if name == "farm_film":
        soil = fast.stocks.query("process == 'soil'")
        assert soil["year"].tolist() == list(range(2021, until + 1)) and soil["closing"].notna().all()
        pd.testing.assert_frame_equal(mfa.stocks(fast).table, mfa.stocks(full).table)
    # the park's own years are its own (a one-year park's undated rows dated with its year), untouched
    for y in park.years:
        pd.testing.assert_frame_equal(fast.for_year(y).flows.drop(columns="year"),
                                      park.for_year(y).flows.drop(columns="year"))
        assert (fast.for_year(y).flows["year"] == y).all()
        assert fast.for_year(y) is not park.for_year(y)
    assert fast.years == tuple(range(park.years[0], until + 1))


def test_projection_takes_the_full_path_when_the_flows_change(monkeypatch):
    # a coupling switched on adds a flow to every year: not the last year's flows, validated in full
    rows = [{"flow": "collection>soil:farm_film", "column": "value", "year": 2027, "value": 300},
            {"flow": "collection>landfill:farm_film", "column": "value", "year": 2026, "value": None}]
    park = mfa.read_park("farm_film")
    fast, full, taken = _projected_both_ways(monkeypatch, park, 2028, rows)
    assert taken == [None]
    assert fast == full
    # a new plant adds processes: validated in full, the trusted path not even tried
    yard = mfa.read_park("wuhai_ash_yard")
    plant = str(ROOT / "parks" / "wuhai_ash_yard" / "scenarios" / "ash_blocks_plant_2026.csv")
    fast, full, taken = _projected_both_ways(monkeypatch, yard, 2030, plant)
    assert taken == [] and fast == full and len(fast.processes) > len(yard.processes)


def test_trusted_projection_reports_what_ties_the_years():
    from mfa.park import extended_park

    park = mfa.read_park("farm_film")
    last = park.flows[park.flows["year"] == 2025]
    # the outflows of the fields and of the collection network blank: the balances cannot give the soil's
    # lifetime its inflow (fields → soil + fields → collection = 6 200 t, collection → landfill unknown)
    blank = last.assign(year=2026, value=np.where(last["source"].isin(["fields", "collection"]), np.nan,
                                                  last["value"]))
    with pytest.raises(ParkError, match="inflow of farm_film to soil"):
        extended_park(park, blank, None)
    assert extended_park(park, last.iloc[:-1].assign(year=2026), None) is None  # a flow dropped
    assert extended_park(park, last.assign(year=2027), None) is None  # a year skipped
    assert extended_park(park, last.iloc[::-1].assign(year=2026), None) is None  # another order


def test_a_park_engines_ran_on_goes_to_worker_processes():
    import pickle

    park = mfa.read_park("farm_film")
    mfa.balance(park.for_year(2021))  # compiles it: the compiled form holds closures
    again = pickle.loads(pickle.dumps(park))
    assert again == park and again.years == park.years and again.for_year(2021) == park.for_year(2021)
    pd.testing.assert_frame_equal(again.lifetimes, park.lifetimes)
    pd.testing.assert_frame_equal(mfa.balance(again.for_year(2021)).processes,
                                  mfa.balance(park.for_year(2021)).processes)


def test_sweep_rates_of_the_held_years_equal_each_scenario_own():
    # the sweep computes the park's own years once per batch: they must be each projection's own rates
    from mfa.projection import project

    park = mfa.read_park("farm_film")
    r = mfa.sweep(park, 2030, {"a": SCENARIO, "b": None}, workers=1)
    for name, scenario in (("a", SCENARIO), ("b", None)):
        own = mfa.indicator_series(project(park, 2030, scenario), targets=False).series
        own = own.loc[own["value"].notna()]
        got = r.indicators[r.indicators["scenario"] == name]
        assert got["year"].tolist() == own["year"].tolist()
        assert got["indicator"].tolist() == own["id"].tolist()
        np.testing.assert_array_equal(got["value"].to_numpy(), own["value"].to_numpy(dtype=float))
    assert set(r.indicators["year"]) == set(range(2021, 2031))
