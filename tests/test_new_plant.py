"""Issue 16 item 4: a new plant in a scenario — its capacity from a year, the waste it takes and from where
(a flow it diverts, or a store's stock it draws down), its outputs by transfer coefficients — checked against
tonnes computed by hand (docs/time.md, "A new plant")."""

from __future__ import annotations

import json

import numpy as np
import pytest

import mfa
from mfa.cli import main
from mfa.errors import MfaError, ParkError
from mfa.projection import project
from tests.conftest import ROOT, F, P, park_of

PLANT = str(ROOT / "parks" / "wuhai_ash_yard" / "scenarios" / "ash_blocks_plant_2026.csv")
YEARS = [2026, 2027, 2028, 2029, 2030]


@pytest.fixture(scope="module")
def ash_yard() -> mfa.Park:
    return mfa.read_park("wuhai_ash_yard")


@pytest.fixture(scope="module")
def with_plant(ash_yard) -> mfa.Park:
    return project(ash_yard, 2030, PLANT)


def values(park: mfa.Park, fid: str, years=YEARS) -> list[float]:
    f = park.flows[park.flows["id"] == fid].set_index("year")["value"]
    return [float(f.loc[y]) for y in years]


def test_the_plant_takes_the_landfilled_fly_ash_first_then_legacy_slag_from_the_yard(with_plant):
    # capacity 1 000 000 t/a in 2026, 1 500 000 from 2028, linear between: 1 250 000 in 2027;
    # fly ash landfilled today: 600 000 t/a (60万t), all of it taken first; the rest of the capacity is slag
    # dug out of the yard: 400 000, 650 000, 900 000, 900 000, 900 000
    assert values(with_plant, "ash_logistics>ash_blocks:fly_ash") == [600_000.0] * 5
    assert values(with_plant, "ash_logistics>iws_landfill:fly_ash") == [0.0] * 5
    slag = [400_000.0, 650_000.0, 900_000.0, 900_000.0, 900_000.0]
    assert values(with_plant, "ash_yard>ash_blocks:boiler_slag") == pytest.approx(slag, abs=1e-6)
    intake = np.array([600_000.0] * 5) + slag
    # outputs: 95 % blocks, the rest (5 %) screenings to the landfill
    assert values(with_plant, "ash_blocks>markets:aac_blocks") == pytest.approx(0.95 * intake, abs=1e-6)
    assert values(with_plant, "ash_blocks>iws_landfill:boiler_slag") == pytest.approx(0.05 * intake, abs=1e-6)
    # nothing in the park's own years: the plant's flows are 0 there
    assert values(with_plant, "ash_yard>ash_blocks:boiler_slag", [2021, 2025]) == [0.0, 0.0]
    plant = with_plant.processes.set_index("id").loc["ash_blocks"]
    assert (plant["kind"], plant["name"], plant["name_zh"]) == ("production", "Ash and slag block plant",
                                                                "粉煤灰炉渣砌块厂")


def test_the_yard_is_drawn_down_and_every_year_balances(ash_yard, with_plant):
    # the yard's slag: 18 319 070 t at the end of 2025, −450 000 t/a of its own flows (25万t tipped, 70万t dug
    # out, held from 2025), less what the plant draws
    stock = mfa.stocks(with_plant).table.query("process == 'ash_yard' and material == 'boiler_slag'")
    expected = 18_319_070 - 450_000 * np.arange(1, 6) - np.cumsum([400_000, 650_000, 900_000, 900_000, 900_000])
    assert stock.set_index("year").loc[YEARS, "stock"].tolist() == pytest.approx(expected.tolist(), abs=1e-3)
    assert expected[-1] == 12_319_070
    # without the plant the yard's own flows run on (no stock held against its flows)
    held = mfa.stocks(project(ash_yard, 2030)).table.query("process == 'ash_yard' and material == 'boiler_slag'")
    assert held["stock"].iat[-1] == pytest.approx(18_319_070 - 5 * 450_000)
    for y in YEARS:
        residual = mfa.balance(with_plant.for_year(y)).table["residual"].abs().max()
        assert residual < 1e-6, y


def test_the_rate_it_moves_by_hand(ash_yard, with_plant):
    # 2025 (held): utilised N = 6 605 210 t of generated + prior-year utilised D = 9 505 210 t (69.49 %).
    # With the plant: F fly ash no longer landfilled is utilised (N + F), S slag drawn from the yard is prior-year
    # storage utilised (N + S, D + S), and its 5 % screenings are its own generation, disposed (D + r).
    rates = mfa.indicator_series(with_plant).series.query("id == 'bulk_solid_waste_utilisation_rate'")
    rates = rates.set_index("year")
    n, d = 6_605_210.0, 9_505_210.0
    assert rates.loc[2025, ["numerator", "denominator"]].tolist() == pytest.approx([n, d])
    for y, s in zip(YEARS, [400_000, 650_000, 900_000, 900_000, 900_000]):
        f, r = 600_000, 0.05 * (600_000 + s)
        assert rates.loc[y, "numerator"] == pytest.approx(n + f + s)
        assert rates.loc[y, "denominator"] == pytest.approx(d + s + r)
    assert rates.loc[2026, "value"] == pytest.approx(7_605_210 / 9_955_210)   # 76.39 %
    assert round(rates.loc[2030, "value"], 4) == 0.7734


def small_park(opening: float) -> mfa.Park:
    procs = [P("mine", "import"), P("plant", "production"), P("yard", "storage"), P("fill", "landfill"),
             P("market", "export")]
    flows = [F("mine", "plant", "fly_ash", 100, year=2020), F("plant", "yard", "fly_ash", 10, year=2020),
             F("plant", "fill", "fly_ash", 30, year=2020), F("plant", "market", "fly_ash", 60, year=2020)]
    stocks = [{"process": "yard", "material": "fly_ash", "opening": opening, "closing": opening + 10,
               "year": 2020}]
    return park_of(procs, flows, stocks, info={"year": 2020})


SMALL = [{"flow": "bricks", "column": "capacity", "year": 2021, "value": 100},
         {"flow": "plant>bricks:fly_ash", "column": "take", "year": 2021, "value": 20, "instead_of": "fill"},
         {"flow": "yard>bricks:fly_ash", "column": "take", "year": 2021},
         {"flow": "bricks>market:non_fired_bricks", "column": "tc", "year": 2021, "value": 1}]


def test_a_store_emptied_by_the_plant_and_a_flow_smaller_than_its_capacity():
    p = project(small_park(50), 2024, SMALL)
    # at most 20 t/a of the 30 landfilled; then the yard: 60 t + 10 t/a tipped, so 70 in 2021, 10 a year after
    assert values(p, "plant>bricks:fly_ash", [2021, 2022]) == [20.0, 20.0]
    assert values(p, "plant>fill:fly_ash", [2021, 2022]) == [10.0, 10.0]
    assert values(p, "yard>bricks:fly_ash", [2021, 2022, 2023]) == [70.0, 10.0, 10.0]
    assert values(p, "bricks>market:non_fired_bricks", [2021, 2022]) == [90.0, 30.0]
    yard = mfa.stocks(p).table.query("process == 'yard'").set_index("year")["stock"]
    assert yard.loc[[2020, 2021, 2022]].tolist() == [60.0, 0.0, 0.0]


def test_a_ramp_of_capacity():
    # 0 before its first year, linear between its years (100 in 2021, 40 in 2023: 70 in 2022), held after
    ramp = SMALL[:1] + [{"flow": "bricks", "column": "capacity", "year": 2023, "value": 40}] + SMALL[1:]
    p = project(small_park(500), 2024, ramp)
    from_yard = values(p, "yard>bricks:fly_ash", [2021, 2022, 2023, 2024])
    assert from_yard == [80.0, 50.0, 20.0, 20.0]
    assert values(p, "plant>bricks:fly_ash", [2020, 2021, 2024]) == [0.0, 20.0, 20.0]
    yard = mfa.stocks(p).table.query("process == 'yard'").set_index("year")["stock"]
    assert yard.loc[[2021, 2022, 2023, 2024]].tolist() == [440.0, 400.0, 390.0, 380.0]


def test_the_command_line_what_it_takes_and_compare(tmp_path, capsys):
    held, plant = tmp_path / "held", tmp_path / "plant"
    assert main(["project", "wuhai_ash_yard", PLANT, "--until", "2030", "--what-it-takes", "--json",
                 "-o", str(plant)]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert {"until", "written", "indicators", "stocks", "what_it_takes"} <= set(doc)
    slag = [r for r in doc["stocks"] if r["material"] == "boiler_slag" and r["year"] == 2030]
    assert slag[0]["stock"] == pytest.approx(12_319_070)
    assert main(["project", "wuhai_ash_yard", "--until", "2030", "-o", str(held)]) == 0
    capsys.readouterr()
    assert main(["compare", str(held), str(plant), "--json"]) == 0
    cmp = json.loads(capsys.readouterr().out)
    diff = {(r["year"], r["material"]): r["difference"] for r in cmp["stocks"]}
    assert diff[(2026, "boiler_slag")] == pytest.approx(-400_000)
    assert diff[(2030, "boiler_slag")] == pytest.approx(-3_750_000)
    assert diff[(2025, "boiler_slag")] == 0
    # the projected park written and read back holds the plant
    assert "ash_blocks" in set(mfa.read_park(plant).processes["id"])


def test_the_command_line_prints_what_the_plant_takes(capsys):
    assert main(["project", "wuhai_ash_yard", PLANT, "--until", "2028"]) == 0
    out = capsys.readouterr().out
    table = out.split("New plants of the scenario")[1]
    slag = [line for line in table.splitlines() if line.startswith("ash_yard>ash_blocks:boiler_slag")][0]
    assert slag.split()[1:] == ["400,000", "650,000", "900,000"]


def test_a_plant_taking_what_is_tipped_at_a_yard():
    # instead_of a store: the 10 t/a tipped at the yard go to the plant, so the yard stops growing
    rows = [{"flow": "bricks", "column": "capacity", "year": 2021, "value": 8},
            {"flow": "plant>bricks:fly_ash", "column": "take", "year": 2021, "instead_of": "yard"},
            {"flow": "bricks>market:non_fired_bricks", "column": "tc", "year": 2021, "value": 1}]
    p = project(small_park(50), 2023, rows)
    assert values(p, "plant>yard:fly_ash", [2021, 2022]) == [2.0, 2.0]
    yard = mfa.stocks(p).table.query("process == 'yard'").set_index("year")["stock"]
    assert yard.loc[[2020, 2021, 2022, 2023]].tolist() == [60.0, 62.0, 64.0, 66.0]


def test_monte_carlo_draws_of_a_plant_scenario(ash_yard):
    # no spread: each draw is the scenario itself; a spread varies capacities and shares, the rest share
    # of the outputs still closing each draw's plant
    r = mfa.sweep(ash_yard, 2028, [PLANT], draws=2, spread=0.0, seed=0, workers=1)
    slag = r.stocks.query("material == 'boiler_slag' and year == 2028")["stock"].tolist()
    assert slag == pytest.approx([15_019_070] * 2)
    r = mfa.sweep(ash_yard, 2028, [PLANT], draws=3, spread=0.1, seed=0, workers=1)
    slag = r.stocks.query("material == 'boiler_slag' and year == 2028")["stock"]
    assert slag.nunique() == 3 and (slag > 14_000_000).all()


def test_bad_plant_rows_are_located_all_at_once(ash_yard, tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("flow,column,year,value,kind,instead_of,name\n"
                   "brick_plant,capacity,2026,1000,,,\n"              # row 2: the park has it
                   "ash_blocks,capacity,2026,,factory,,\n"             # row 3: no t/a; unknown kind
                   "ash_logistics>ash_blok:fly_ash,take,2026,,,iws_landfill,\n"   # row 4: no such plant
                   "ash_logistics>ash_blocks:fly_ash,take,2026,,,markets,\n"       # row 5: no such flow today
                   "power_plants>ash_blocks:boiler_slag,take,2026,,,,\n"           # row 6: not a store
                   "ash_blocks>markets:aac_blocks,tc,2026,0.95,,,Blocks\n"         # row 7: a name on an output
                   "ash_blocks>iws_landfill:boiler_slag,tc,2026,0.1,,,\n",         # shares add up to 1.05
                   encoding="utf-8")
    with pytest.raises(ParkError) as e:
        project(ash_yard, 2030, bad)
    found = {(i.row, i.column) for i in e.value.issues}
    assert {(2, "flow"), (3, "value"), (3, "kind"), (4, "flow"), (5, "instead_of"), (6, "instead_of"),
            (7, "value"), (7, "name")} <= found
    text = str(e.value)
    assert "did you mean 'ash_blocks'" in text and "add up to 1.05" in text and "bad.csv, row 5" in text
    assert main(["project", "wuhai_ash_yard", str(bad), "--until", "2030"]) == 2
    assert "Traceback" not in capsys.readouterr().err


def test_a_plant_taking_an_unknown_flow_is_refused():
    park = mfa.read_park("farm_film")
    rows = [{"flow": "collection>landfill:farm_film", "column": "value", "year": 2026, "value": None},
            {"flow": "line_2", "column": "capacity", "year": 2027, "value": 500},
            {"flow": "collection>line_2:farm_film", "column": "take", "year": 2027, "instead_of": "landfill"},
            {"flow": "line_2>pellet_market:recycled_plastic_pellets", "column": "tc", "year": 2027, "value": 1}]
    with pytest.raises(MfaError, match="unknown that year"):
        project(park, 2028, rows)


def test_a_second_pellet_line_for_farm_film():
    # 500 t/a from 2027 of the film the collection network landfills (1 270 t/a in 2025, held): 500 t less
    # landfilled, 450 t more pellets (90 %), 50 t washing residue to the landfill
    park = mfa.read_park("farm_film")
    p = project(park, 2028, ROOT / "parks" / "farm_film" / "scenarios" / "second_pellet_line_2027.csv")
    assert values(p, "collection>landfill:farm_film", [2026, 2027, 2028]) == [1270.0, 770.0, 770.0]
    assert values(p, "line_2>pellet_market:recycled_plastic_pellets", [2026, 2027]) == [0.0, 450.0]
    assert values(p, "line_2>landfill:farm_film", [2027]) == pytest.approx([50.0])
    # the soil is not touched: the same residue enters it
    assert mfa.stocks(p).table.query("process == 'soil'")["stock"].iat[-1] == pytest.approx(
        mfa.stocks(project(park, 2028)).table.query("process == 'soil'")["stock"].iat[-1])
