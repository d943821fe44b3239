"""Stocks through the years (issue 16 items 1, 2 and 5): the lifetimes table, ``mfa.stocks`` / ``mfa stocks``,
the indicator series with the targets of their year, and the shipped multi-year park ``farm_film``.

Hand-checked figures of ``parks/farm_film`` (README): film used U = 6000, 6000, 6100, 6100, 6200 t/a and
recovered R = 0.80 U, 0.81 U, 0.82 U, 0.84 U, 0.85 U (地膜回收率 = R ÷ U, S27); the residue U − R enters the soil,
whose lifetime is Weibull of shape 1 and scale 50 a (exponential: 1 − e^(−1/50) of the stock leaves each year,
and of a year's residue, entering mid-year, 1 − e^(−1/100) in its own year). From 20 000 t at the start of 2021:
stock(2021) = 20 000 e^(−0.02) + 1200 e^(−0.01) = 20 792.03 t, outflow = 20 000 + 1200 − 20 792.03 = 407.97 t.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

import mfa
from mfa.cli import main
from mfa.errors import ParkError
from tests.conftest import ROOT, write_park

USED = [6000, 6000, 6100, 6100, 6200]
RATES = [0.80, 0.81, 0.82, 0.84, 0.85]


def test_farm_film_pins_its_hand_checked_figures():
    park = mfa.read_park("farm_film")
    assert park.years == (2021, 2022, 2023, 2024, 2025)
    soil = mfa.stocks(park).table.query("process == 'soil'")
    residue = [u - round(u * r) for u, r in zip(USED, RATES)]
    assert soil["inflow"].tolist() == residue == [1200, 1140, 1098, 976, 930]
    # the exponential recursion, independent of mfa.lifetime
    stock, expected = 20000.0, []
    for inflow in residue:
        new = stock * math.exp(-1 / 50) + inflow * math.exp(-1 / 100)
        expected.append((stock + inflow - new, new))
        stock = new
    assert soil[["outflow", "stock"]].to_numpy().ravel().tolist() == pytest.approx(np.ravel(expected), rel=1e-12)
    assert (round(soil["stock"].iat[0], 2), round(soil["outflow"].iat[0], 2)) == (20792.03, 407.97)
    # each year balances on its own; the closing of one year is the opening of the next
    assert np.allclose(soil["stock_change"], soil["inflow"] - soil["outflow"], rtol=0, atol=1e-9)
    assert np.allclose(np.diff(soil["stock"]), soil["stock_change"].iloc[1:])
    # the computed outflow is the flow soil → degraded of each year
    degraded = park.flows.query("source == 'soil'").sort_values("year")["value"]
    assert degraded.tolist() == pytest.approx(soil["outflow"].tolist(), rel=1e-12)


def test_farm_film_recovery_rate_and_the_targets_of_its_year():
    s = mfa.indicator_series(mfa.read_park("farm_film"))
    film = s.get("farm_film_recovery_rate")
    assert film["value"].tolist() == pytest.approx(RATES)
    assert film["denominator"].tolist() == USED
    # 2021: national > 80 % (S69); 2023: Inner Mongolia > 81 % (S09); no target sourced for the other years
    assert film["target"].tolist() == pytest.approx([0.80, np.nan, 0.81, np.nan, np.nan], nan_ok=True)
    assert film["target_id"].tolist() == ["cn_2021_film", None, "im_2023_film", None, None]
    assert film["passed"].tolist()[0] is True and film["passed"].tolist()[2] is True
    assert s.wide().loc[2025, "farm_film_recovery_rate"] == pytest.approx(0.85)
    # a lower recovery misses the target of its year
    park = mfa.read_park("farm_film")
    y = park.for_year(2023)
    flows = y.flows
    low = y.with_values(np.where(flows["target"] == "collection", 4800.0, flows["value"]))
    assert mfa.indicator_series(low).get("farm_film_recovery_rate")["passed"].tolist() == [False]


def test_cli_stocks_json_keys_and_year(capsys):
    assert main(["stocks", "farm_film", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert list(doc) == ["stocks"]
    assert all(list(r) == ["process", "material", "year", "inflow", "outflow", "stock", "stock_change"]
               for r in doc["stocks"])
    assert len(doc["stocks"]) == 10  # two stocks (fields, soil) × five years
    assert main(["stocks", "farm_film", "--year", "2023", "--json"]) == 0
    one = json.loads(capsys.readouterr().out)["stocks"]
    assert one == [r for r in doc["stocks"] if r["year"] == 2023]
    assert main(["check", "farm_film"]) == 0
    assert "every year checked and balanced" in capsys.readouterr().out
    assert main(["indicators", "farm_film"]) == 0
    assert "80.00% (≥80% ✓)" in capsys.readouterr().out


PROCESSES = """id,name,kind
plant,Plant,production
city,City,consumption
scrap,Scrap yard,collection
out,Market,export
mine,Mine,import
"""


def lifetime_park(tmp_path, lifetimes: str, flows: str | None = None, stocks: str | None = None):
    # products enter the city's in-use stock: 10, 20, 30 t/a; what leaves goes to the scrap yard
    flows = flows or """source,target,material,value,year
plant,city,steel_products,10,2020
plant,city,steel_products,20,2021
plant,city,steel_products,30,2022
city,scrap,scrap_steel,,2020
city,scrap,scrap_steel,,2021
city,scrap,scrap_steel,,2022
scrap,out,scrap_steel,,2020
scrap,out,scrap_steel,,2021
scrap,out,scrap_steel,,2022
"""
    folder = write_park(tmp_path / "p", processes=PROCESSES, flows=flows, materials=None, stocks=stocks)
    (folder / "lifetimes.csv").write_text(lifetimes, encoding="utf-8")
    return folder


def city_inflows(*inflows: float) -> str:
    """flows.csv of products entering the city's in-use stock (t/a, one value a year from 2020) and, left
    blank for the lifetime to fill, what leaves it for the scrap yard in each of those years."""
    years = range(2020, 2020 + len(inflows))
    return ("source,target,material,value,year\n"
            + "".join(f"plant,city,steel_products,{v:g},{y}\n" for v, y in zip(inflows, years))
            + "".join(f"city,scrap,steel_products,,{y}\n" for y in years))


def test_a_fixed_lifetime_returns_each_inflow_after_its_lifetime(tmp_path):
    # material of the stock is what enters; the blank outflow of that material is computed
    flows = city_inflows(10, 20, 30)
    folder = lifetime_park(tmp_path, "process,material,model,mean,timing\ncity,steel_products,fixed,2,end\n", flows)
    park = mfa.read_park(folder)
    assert park.flows.query("source == 'city'")["value"].tolist() == [0, 0, 10]
    t = mfa.stocks(park).table
    assert t[["year", "inflow", "outflow", "stock", "stock_change"]].values.tolist() == [
        [2020, 10, 0, 10, 10], [2021, 20, 0, 30, 20], [2022, 30, 10, 50, 20]]
    # the year of the series: the outflow of 2022 comes from the inflow of 2020
    assert mfa.read_park(folder, year=2022).flows.query("source == 'city'")["value"].tolist() == [10]
    assert mfa.balance(park.for_year(2022)).processes.set_index("process").loc["city", "status"] == "balanced"


def test_a_legacy_opening_stock_ages_with_the_lifetime(tmp_path):
    flows = city_inflows(0, 0)
    stocks = "process,material,opening,closing,year\ncity,steel_products,40,,2020\n"
    folder = lifetime_park(tmp_path, "process,material,model,mean,timing\ncity,steel_products,fixed,2,end\n",
                           flows, stocks)
    # 40 t as left by 20 t/a in every earlier year with a lifetime of 2 a: 20 t/a leave in each of two years
    t = mfa.stocks(mfa.read_park(folder)).table
    assert t[["outflow", "stock"]].values.tolist() == [[20, 20], [20, 0]]


def test_one_year_park_with_a_lifetime(tmp_path):
    flows = "source,target,material,value\nplant,city,steel_products,100\ncity,scrap,steel_products,\n"
    folder = lifetime_park(tmp_path, "process,material,model,shape,scale\ncity,steel_products,weibull,1,10\n",
                           flows)
    park = mfa.read_park(folder)
    assert park.years == ()  # no reporting year, one period
    out = park.flows.query("source == 'city'")["value"].iat[0]
    assert out == pytest.approx(100 * (1 - math.exp(-0.5 / 10)))  # enters mid-year, exponential of mean 10 a
    assert mfa.balance(park).processes.set_index("process").loc["city", "residual"] == pytest.approx(0, abs=1e-9)


def test_lifetimes_table_errors_are_located(tmp_path):
    lifetimes = """process,material,model,mean,std,shape,scale,timing
city,steel_products,lognormal,30,,,,
scrap,steel_products,fixed,5,,,,
city,steel_products,gamma,5,,,,
plant,steel_products,weibull,,,0,10,late
"""
    with pytest.raises(ParkError) as e:
        mfa.read_park(lifetime_park(tmp_path, lifetimes))
    got = {(i.row, i.column, i.message.split(" (")[0]) for i in e.value.issues}
    assert (2, "std", "the lognormal model needs std") in got
    assert (3, "process", "a lifetime is for the stock of a storage or consumption process") in got
    assert (4, "model", "unknown lifetime model") in got or any(r == 4 and c == "model" for r, c, _ in got)
    assert (4, "material", "duplicate lifetime for this process and material") in got
    assert any(r == 5 and c == "timing" for r, c, _ in got) and (5, "shape", "shape must be more than 0") in got
    assert all(i.file.endswith("lifetimes.csv") for i in e.value.issues), [str(i) for i in e.value.issues]


def test_inflows_must_be_known_and_one_outflow_left_blank(tmp_path):
    # an import into the in-use stock, blank in 2020: no balance determines it
    flows = """source,target,material,value,year
mine,city,steel_products,,2020
mine,city,steel_products,20,2021
city,scrap,steel_products,,2020
city,scrap,steel_products,,2021
"""
    lt = "process,material,model,mean\ncity,steel_products,fixed,2\n"
    with pytest.raises(ParkError) as e:
        mfa.read_park(lifetime_park(tmp_path, lt, flows))
    (issue,) = e.value.issues
    assert (issue.row, issue.column) == (2, "value") and "inflow of steel_products to city" in issue.message
    flows = (flows.replace("mine,city,steel_products,,2020", "mine,city,steel_products,10,2020", 1)
             + "city,out,steel_products,,2021\ncity,out,steel_products,0,2020\n")
    with pytest.raises(ParkError) as e:
        mfa.read_park(lifetime_park(tmp_path, lt, flows))
    (issue,) = e.value.issues
    assert issue.row == 6 and "2 blank outflows of steel_products from city in 2021" in issue.message


def test_a_closing_given_against_the_lifetime_is_refused(tmp_path):
    flows = city_inflows(10, 20)
    stocks = "process,material,opening,closing,year\ncity,steel_products,0,10,2020\ncity,steel_products,,25,2021\n"
    folder = lifetime_park(tmp_path, "process,material,model,mean,timing\ncity,steel_products,fixed,5,end\n",
                           flows, stocks)
    with pytest.raises(ParkError) as e:
        mfa.read_park(folder)
    (issue,) = e.value.issues
    assert (issue.row, issue.column, issue.value) == (3, "closing", 25)
    assert "its lifetime model gives 30 t" in issue.message


def test_engines_refuse_a_multi_year_park_and_point_to_the_series():
    park = mfa.read_park("farm_film")
    for engine in (mfa.trace, mfa.indicators, mfa.solve_park):
        with pytest.raises(mfa.MfaError, match="park.for_year\\(2021\\)"):
            engine(park)
    assert mfa.trace(park.for_year(2021)).table["tonnes"].sum() > 0
    assert isinstance(park.lifetimes, pd.DataFrame) and park.lifetimes["model"].tolist() == ["weibull"]


def _soil_path(start: float, residues: list[float]) -> list[float]:
    stock, out = start, []
    for r in residues:
        stock = stock * math.exp(-1 / 50) + r * math.exp(-1 / 100)
        out.append(stock)
    return out


def test_projection_of_residual_film_to_2030_current_and_target_rate(tmp_path, capsys):
    from mfa.projection import project

    park = mfa.read_park("farm_film")
    end_2025 = mfa.stocks(park).table.query("process == 'soil'")["stock"].iat[-1]
    # current: the 2025 figures held, 930 t/a of residue a year
    held = mfa.stocks(project(park, 2030)).table.query("process == 'soil' and year > 2025")
    assert held["inflow"].tolist() == [930] * 5
    assert held["stock"].tolist() == pytest.approx(_soil_path(end_2025, [930] * 5), rel=1e-12)
    # target: recovery 85 % → 90 % by 2030, linear; residue and landfill from the balances
    scenario = ROOT / "parks" / "farm_film" / "scenarios" / "recovery_90_by_2030.csv"
    p = project(park, 2030, scenario)
    soil = mfa.stocks(p).table.query("process == 'soil' and year > 2025")
    residues = [6200 * (1 - r) for r in (0.86, 0.87, 0.88, 0.89, 0.90)]
    assert soil["inflow"].tolist() == pytest.approx(residues)
    assert soil["stock"].tolist() == pytest.approx(_soil_path(end_2025, residues), rel=1e-12)
    assert round(soil["stock"].iat[-1]) == 24492 and round(held["stock"].iat[-1]) == 25389
    rate = mfa.indicator_series(p).get("farm_film_recovery_rate")
    assert rate["value"].tolist()[-5:] == pytest.approx([0.86, 0.87, 0.88, 0.89, 0.90])
    # every projected year balances on its own
    for y in range(2026, 2031):
        b = mfa.balance(mfa.solve_park(p.for_year(y)).park)
        assert b.ok, y
    # the command line, and the projected park written and read back
    out = tmp_path / "film2030.yaml"
    assert main(["project", "farm_film", str(scenario), "--until", "2030", "-o", str(out), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["written"] == str(out) and doc["stocks"][-1]["year"] == 2030
    assert mfa.stocks(mfa.read_park(out)).table["stock"].iat[-1] == pytest.approx(soil["stock"].iat[-1])


def test_scenario_errors_are_located(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("flow,column,year,value\nfields>colection:farm_film,tc,2030,0.9\n"
                   "fields>collection:farm_film,share,2024,1.5\n", encoding="utf-8")
    from mfa.projection import project

    with pytest.raises(ParkError) as e:
        project(mfa.read_park("farm_film"), 2030, bad)
    got = {(i.row, i.column) for i in e.value.issues}
    assert {(2, "flow"), (3, "column"), (3, "year")} <= got
    assert all(i.file.endswith("bad.csv") for i in e.value.issues)
    with pytest.raises(mfa.MfaError, match="after the park's last year 2025"):
        project(mfa.read_park("farm_film"), 2025)


def test_a_recycling_loop_whose_share_changes_every_year_against_its_closed_form():
    # 100 t/a of scrap enter a smelter; a share s of the smelter's total input goes to a recycler and comes
    # back: R = s (100 + R), so R = 100 s / (1 − s), different each year, never written by the user
    shares = {2021: 0.2, 2022: 0.3, 2023: 0.5}
    procs = [{"id": "supply", "name": "Supply", "kind": "import"},
             {"id": "smelter", "name": "Smelter", "kind": "production"},
             {"id": "recycler", "name": "Recycler", "kind": "treatment"},
             {"id": "market", "name": "Market", "kind": "export"}]
    flows = []
    for y, s in shares.items():
        flows += [{"source": "supply", "target": "smelter", "material": "scrap_steel", "value": 100, "year": y},
                  {"source": "smelter", "target": "recycler", "material": "scrap_steel", "value": None, "tc": s,
                   "year": y},
                  {"source": "recycler", "target": "smelter", "material": "scrap_steel", "value": None, "year": y},
                  {"source": "smelter", "target": "market", "material": "scrap_steel", "value": None, "year": y}]
    park = mfa.Park.from_frames(procs, flows, info={"year": 2021})
    for y, s in shares.items():
        solved = mfa.solve_park(park.for_year(y)).park.flows.set_index("id")["value"]
        assert solved["smelter>recycler:scrap_steel"] == pytest.approx(100 * s / (1 - s), rel=1e-9)
        assert solved["recycler>smelter:scrap_steel"] == pytest.approx(100 * s / (1 - s), rel=1e-9)
        assert solved["smelter>market:scrap_steel"] == pytest.approx(100, rel=1e-9)


def test_the_report_and_the_chart_of_a_multi_year_park(tmp_path, capsys):
    from mfa.report import report_html

    page = report_html(mfa.read_park("farm_film"), lang="zh")
    assert '<h2 id="series">各年指标</h2>' in page and "以下各节为 2025 年" in page
    assert '<a href="#balance">各过程物质平衡</a><a href="#series">各年指标</a>' in page  # reachable from the menu
    assert "80.0 % (≥80.0 % ✓)" in page and page.count("<svg") >= 2
    assert "各年末库存（吨）" in page and "23,169" in page  # the soil's residual film at the end of 2025
    out = tmp_path / "rates.svg"
    assert main(["chart", "farm_film", "series", "-o", str(out)]) == 0
    assert out.read_text(encoding="utf-8").startswith("<?xml") and "wrote" in capsys.readouterr().out


def test_a_lifetime_that_cannot_hold_the_opening_stock_is_located(tmp_path):
    flows = city_inflows(5)
    stocks = "process,material,opening,closing,year\ncity,steel_products,40,,2020\n"
    folder = lifetime_park(tmp_path, "process,material,model,mean\ncity,steel_products,fixed,0\n", flows, stocks)
    assert main(["stocks", str(folder)]) == 2
    with pytest.raises(ParkError) as e:
        mfa.read_park(folder)
    (issue,) = e.value.issues
    assert (issue.file.endswith("lifetimes.csv"), issue.row, issue.column) == (True, 2, "model")
    assert "cannot hold an opening stock" in issue.message


def test_fates_by_year_follow_each_tonne_of_film():
    f = mfa.trace_series(mfa.read_park("farm_film"), convention="traced").table
    y21 = f[f.year == 2021].set_index("fate")["tonnes"]
    # 6 000 t used: 3 400 t recycled × 90 % yield utilised; 1 400 + 340 t landfilled; the soil's growth stored,
    # and what it released (the lifetime's outflow) discarded
    assert y21["utilised"] == pytest.approx(3060) and y21["disposed"] == pytest.approx(1740)
    assert y21["stored"] == pytest.approx(792.0333, abs=1e-3) and y21["discarded"] == pytest.approx(407.9667, abs=1e-3)
    assert f.groupby("year")["tonnes"].sum().tolist() == pytest.approx(USED)


# --- stock-driven stocks: the inflows from a stock path (issue 16 item 2) ----------------------------------

def stock_driven_park(closing: list[float], lifetime: dict, opening: float = 0.0, first: int = 2020,
                      given_inflows: dict[int, float] | None = None) -> mfa.Park:
    """A city whose in-use stock of steel products is given by its closing each year: the products bought (the
    inflow) and those scrapped (the outflow) left blank for the stock-driven model."""
    years = range(first, first + len(closing))
    given = given_inflows or {}
    procs = [{"id": p, "name": p, "kind": k} for p, k in
             (("plant", "production"), ("city", "consumption"), ("scrap", "collection"), ("out", "export"))]
    flows = ([{"source": "plant", "target": "city", "material": "steel_products", "value": given.get(y),
               "year": y} for y in years]
             + [{"source": "city", "target": "scrap", "material": "steel_products", "value": None, "year": y}
                for y in years]
             + [{"source": "scrap", "target": "out", "material": "steel_products", "value": None, "year": y}
                for y in years])
    stocks = [{"process": "city", "material": "steel_products", "opening": opening if y == first else None,
               "closing": c, "year": y} for y, c in zip(years, closing)]
    return mfa.Park.from_frames(processes=procs, flows=flows, stocks=stocks,
                                lifetimes=[{"process": "city", "material": "steel_products", **lifetime}],
                                info={"year": first})


def test_stock_driven_fixed_lifetime_by_hand():
    # a fixed lifetime of 2 a, entering at the end of the year: to hold 10, 30, 50 t the city buys 10, 20 and
    # 30 t (50 = 30 + 20 + what is left of 10 after 2 years: 0), and scraps the 10 t of 2020 in 2022
    park = stock_driven_park([10, 30, 50], {"model": "fixed", "mean": 2, "timing": "end"})
    t = mfa.stocks(park).table.query("process == 'city'")
    assert t[["year", "inflow", "outflow", "stock", "stock_change"]].values.tolist() == [
        [2020, 10, 0, 10, 10], [2021, 20, 0, 30, 20], [2022, 30, 10, 50, 20]]
    assert park.flows.query("source == 'plant'")["value"].tolist() == [10, 20, 30]
    assert mfa.balance(park.for_year(2022)).processes.set_index("process").loc["city", "status"] == "balanced"


@pytest.mark.parametrize("name, lifetime, decimals", [
    ("FIXED", {"model": "fixed", "mean": 5}, 12),
    ("NORMAL", {"model": "normal", "mean": 5, "std": 1.5}, 8),
    ("WEIBULL", {"model": "weibull", "shape": 1.2, "scale": 1}, 8)])
def test_stock_driven_park_reproduces_odym(name, lifetime, decimals):
    """ODYM test_stock_driven_model_{fixed,normallyDist,WeibullDist}Lifetime (values in tests/test_lifetime.py,
    end-of-year timing): the stock path of ODYM given as a park's closing stocks gives back the inflows 1 … 10,
    and the park's cohort table is ODYM's stock by cohort."""
    import tests.test_lifetime as odym

    path = getattr(odym, f"STOCK_T_{name}")
    park = stock_driven_park(path.tolist(), {**lifetime, "timing": "end"}, first=2000)
    result = mfa.stocks(park)
    t = result.table.query("process == 'city'")
    np.testing.assert_array_almost_equal(t["inflow"].to_numpy(), odym.INFLOW_1_TO_10, decimals)
    np.testing.assert_array_almost_equal(t["stock"].to_numpy(), path, 12)
    by_cohort = getattr(odym, f"STOCK_TC_{name}")
    c = result.cohorts()
    wide = c.pivot(index="year", columns="cohort", values="stock").reindex(columns=range(2000, 2010)).fillna(0)
    np.testing.assert_array_almost_equal(wide.to_numpy(), by_cohort, decimals)


def test_stock_driven_with_a_legacy_stock_held_steady():
    # exponential lifetime (Weibull shape 1, scale 20 a), entering mid-year; the stock held at 1 000 t from a
    # legacy of 1 000 t: S = S e^(−1/20) + I e^(−0.5/20), so I = S (1 − e^(−1/20)) / e^(−1/40) each year, and
    # what leaves equals what enters
    park = stock_driven_park([1000.0] * 4, {"model": "weibull", "shape": 1, "scale": 20}, opening=1000.0)
    t = mfa.stocks(park).table.query("process == 'city'")
    need = 1000 * (1 - math.exp(-1 / 20)) / math.exp(-1 / 40)
    assert need == pytest.approx(50.00, abs=0.01)
    assert t["inflow"].tolist() == pytest.approx([need] * 4, rel=1e-9)
    assert t["outflow"].tolist() == pytest.approx([need] * 4, rel=1e-9)
    # the cohort table: the legacy keeps e^(−t/20); the cohort of 2020 keeps I e^(−(t − 2020 + ½)/20)
    c = mfa.stocks(park).cohorts()
    legacy = c[c["cohort"].isna()]["stock"].to_numpy()
    assert legacy == pytest.approx(1000 * np.exp(-np.arange(1, 5) / 20), rel=1e-9)
    first = c[c["cohort"] == 2020]["stock"].to_numpy()
    assert first == pytest.approx(need * np.exp(-(np.arange(4) + 0.5) / 20), rel=1e-9)
    sums = c.groupby("year")[["stock", "outflow"]].sum()
    assert sums["stock"].tolist() == pytest.approx(t["stock"].tolist(), rel=1e-9)
    assert sums["outflow"].tolist() == pytest.approx(t["outflow"].tolist(), rel=1e-9)


def test_stock_driven_problems_are_located(tmp_path):
    # a stock that falls faster than its lifetime releases needs a negative inflow: refused at that inflow
    with pytest.raises(ParkError, match="less than the other inflows given") as e:
        stock_driven_park([10, 30, 0], {"model": "fixed", "mean": 2, "timing": "end"})
    assert any(i.column == "value" and "2022" in i.message for i in e.value.issues)
    # an inflow given in one year must be what the path needs
    with pytest.raises(ParkError, match="add up to 25 t/a, but its stock path"):
        stock_driven_park([10, 30, 50], {"model": "fixed", "mean": 2, "timing": "end"}, given_inflows={2021: 25})
    # given and right: accepted
    park = stock_driven_park([10, 30, 50], {"model": "fixed", "mean": 2, "timing": "end"}, given_inflows={2021: 20})
    assert park.flows.query("source == 'plant'")["value"].tolist() == [10, 20, 30]
    # in files: row and column of the inflow
    flows = ("source,target,material,value,year\n"
             + "".join(f"plant,city,steel_products,,{y}\ncity,scrap,steel_products,,{y}\n" for y in (2020, 2021)))
    stocks = "process,material,opening,closing,year\ncity,steel_products,0,10,2020\ncity,steel_products,,2,2021\n"
    folder = lifetime_park(tmp_path, "process,material,model,mean,timing\ncity,steel_products,fixed,5,end\n",
                           flows, stocks)
    with pytest.raises(ParkError) as e:
        mfa.read_park(folder)
    [issue] = [i for i in e.value.issues if "stock path" in i.message]
    assert (issue.row, issue.column) == (4, "value")   # plant,city of 2021: row 4 as a spreadsheet shows it
    assert main(["stocks", str(folder)]) == 2


def test_cli_stocks_cohorts(capsys):
    assert main(["stocks", "farm_film", "--cohorts", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert sorted(doc) == ["cohorts", "stocks"]
    assert sorted(doc["cohorts"][0]) == ["cohort", "material", "outflow", "process", "stock", "year"]
    legacy_2021 = [r for r in doc["cohorts"] if r["year"] == 2021 and r["cohort"] is None][0]
    assert legacy_2021["stock"] == pytest.approx(20000 * math.exp(-0.02))
    assert main(["stocks", "farm_film", "--json"]) == 0
    assert sorted(json.loads(capsys.readouterr().out)) == ["stocks"]   # the document without --cohorts
    assert main(["stocks", "farm_film", "--cohorts"]) == 0
    assert "legacy" in capsys.readouterr().out


from hypothesis import assume, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from tests.test_lifetime import lifetimes as lifetime_models  # noqa: E402


@settings(derandomize=True, max_examples=40, deadline=None)
@given(lt=lifetime_models(), inflow=st.lists(st.floats(0, 1e4, allow_nan=False), min_size=1, max_size=12),
       opening=st.sampled_from([0.0, 500.0]))
def test_property_stock_driven_park_meets_its_path(lt, inflow, opening):
    """Any lifetime and any path a stock can follow (left by non-negative inflows): the park's stock is the
    path to 1e-9, stock change = inflow − outflow, and the cohorts sum to the totals."""
    from mfa.lifetime import inflow_driven

    assume(float(lt.survival(1)[0, 0]) >= 0.1)
    row = {"model": lt.model, "timing": lt.timing, **{k: float(np.ravel(getattr(lt, k))[0])
                                                      for k in mfa.lifetime.MODELS[lt.model]}}
    assume(opening == 0 or lt.model != "fixed" or row["mean"] >= 1)
    path = inflow_driven(np.array(inflow), lt).stock
    if opening:
        from mfa.dynamic_stocks import lifetime_model
        path = lifetime_model(np.array(inflow), row, opening)[1]
    try:
        park = stock_driven_park(path.tolist(), row, opening=opening)
    except ParkError as e:
        # a path that only rounding makes fall faster than its cohorts leave
        assert all("stock path" in i.message or "lifetime" in i.message for i in e.issues)
        assume(False)
    t = mfa.stocks(park).table.query("process == 'city'")
    scale = max(1.0, float(np.abs(path).max()), float(t["inflow"].abs().max()))
    np.testing.assert_allclose(t["stock"].to_numpy(), path, rtol=0, atol=1e-9 * scale)
    np.testing.assert_allclose(t["stock_change"].to_numpy(), (t["inflow"] - t["outflow"]).to_numpy(), rtol=0,
                               atol=1e-9 * scale)
    c = mfa.stocks(park).cohorts().groupby("year")[["stock", "outflow"]].sum()
    np.testing.assert_allclose(c["stock"].to_numpy(), path, rtol=0, atol=1e-7 * scale)
    np.testing.assert_allclose(c["outflow"].to_numpy(), t["outflow"].to_numpy(), rtol=0, atol=1e-7 * scale)
