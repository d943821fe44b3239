"""Coupling rules (flows/coupling_coefficients.csv) applied to small parks: the three hand calculations of
docs/coupling-rules.md reproduced exactly, the receiving process balanced after apply_plan, "needs data"
instead of a guess, quality limits, capacities per input group, market limits, costs and multi-step plans."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

mfa = pytest.importorskip("mfa")

from mfa.coupling_rules import SiteData, read_site, rule_effect  # noqa: E402
from mfa.errors import MfaError, ParkError  # noqa: E402
from mfa.mass_balance import balance  # noqa: E402
from mfa.symbiosis import apply, discover  # noqa: E402

# the hand calculation's own analyses (docs/coupling-rules.md §1): gangue A = 0.60, LHV 5.8; coal LHV 20, A 0.25
GANGUE_SITE = [
    {"material": "coal_gangue", "property": "ash_content", "value": 0.60},
    {"material": "coal_gangue", "property": "lhv", "value": 5.8},
    {"material": "raw_coal", "property": "lhv", "value": 20},
    {"material": "raw_coal", "property": "ash_content", "value": 0.25},
    {"process": "cfb", "property": "fly_ash_share", "value": 0.85},
    {"process": "cfb", "material": "coal", "property": "booked_as", "value": "raw_coal"},
]


def _flow(park, s, t, m) -> float:
    f = park.flows
    return float(f[(f["source"] == s) & (f["target"] == t) & (f["material"] == m)]["value"].sum())


def _residual(park, process) -> float:
    p = balance(park).processes.set_index("process")
    return float(p.loc[process, "residual"])


_BOUNDARY = [{"id": "buy", "name": "Suppliers", "kind": "import"}, {"id": "mine", "name": "Mine", "kind": "import"},
             {"id": "air", "name": "Atmosphere", "kind": "environment"},
             {"id": "gully", "name": "Gully", "kind": "environment"},
             {"id": "dump", "name": "Landfill", "kind": "landfill"},
             {"id": "market", "name": "Market", "kind": "export"}]


def small_park(plants: dict, flows: list, capacity: dict | None = None) -> "mfa.Park":
    """Production processes ``plants`` (id → group) between the boundary processes buy, mine (imports), air,
    gully (environment), dump (landfill) and market (export); ``flows`` as (source, target, material, t/a)."""
    cap = capacity or {}
    procs = _BOUNDARY + [{"id": p, "name": p, "kind": "production", "group": g, "capacity": cap.get(p)}
                         for p, g in plants.items()]
    return mfa.Park.from_frames(processes=procs,
                                flows=[dict(zip(("source", "target", "material", "value"), f)) for f in flows])


def cfb_park() -> "mfa.Park":
    """A washery landfilling 100 t gangue and a CFB plant burning 1000 t coal (balanced)."""
    return small_park({"wash": "coal", "cfb": "power"}, [
        ("mine", "wash", "raw_coal", 1100), ("wash", "market", "washed_coal", 1000),
        ("wash", "dump", "coal_gangue", 100), ("mine", "cfb", "raw_coal", 1000), ("air", "cfb", "air", 8000),
        ("cfb", "dump", "fly_ash", 212.5), ("cfb", "dump", "boiler_slag", 37.5), ("cfb", "air", "flue_gas", 8750)])


def test_gangue_in_a_cfb_boiler_reproduces_the_hand_calculation():
    park = cfb_park()
    r = discover(park, site=SiteData.from_frames(properties=GANGUE_SITE))
    c = r.couplings.set_index("to")
    assert c.loc["cfb", "tonnes"] == pytest.approx(100)
    assert c.loc["cfb", "rule_id"] == "gangue_cfb" and c.loc["cfb", "substitutes"] == "raw_coal"
    assert c.loc["cfb", "ratio"] == pytest.approx(0.29)  # 5.8 / 20
    new = r.retrofit()
    d = {m: _flow(new, "cfb", t, m) - _flow(park, "cfb", t, m)
         for t, m in (("dump", "fly_ash"), ("dump", "boiler_slag"), ("air", "flue_gas"))}
    assert _flow(park, "mine", "cfb", "raw_coal") - _flow(new, "mine", "cfb", "raw_coal") == pytest.approx(29)
    assert d["fly_ash"] == pytest.approx(44.8375) and d["boiler_slag"] == pytest.approx(7.9125)
    assert d["flue_gas"] == pytest.approx(18.25)
    assert sum(d.values()) == pytest.approx(100 - 29)  # inputs +71 = outputs +71
    assert abs(_residual(new, "cfb")) < 1e-9 and balance(new).ok
    # the gangue no longer landfilled, the new ash is: 100 − 52.75 t/a less landfill
    assert _flow(park, "wash", "dump", "coal_gangue") - _flow(new, "wash", "dump", "coal_gangue") == 100
    assert r.summary["landfill_avoided"] == pytest.approx(100 - 52.75)
    # both accounting conventions count the new ash: officially the 100 t of gangue are utilised over a
    # generation grown by the ash, 100 / (100 + 212.5 + 44.8375 + 37.5 + 7.9125) = 100 / 402.75; traced, the
    # gangue ends where the boiler's outputs go (ash to the landfill, flue gas to the air): 0
    t = mfa.indicators(new, targets=False).table.set_index("id").loc["industrial_solid_waste_utilisation_rate"]
    assert t["value"] == pytest.approx(100 / 402.75) and t["traced"] == pytest.approx(0.0)
    # not assessed, the landfill avoided is unknown (the new ash's route is known only by applying it)
    quick = discover(park, site=SiteData.from_frames(properties=GANGUE_SITE), assess=False)
    assert np.isnan(quick.couplings["landfill_avoided"].iloc[0]) and quick.summary["landfill_avoided"] is None


def test_gangue_without_the_parks_analysis_needs_data_and_is_never_applied():
    r = discover(cfb_park())
    assert len(r.couplings) == 0
    nd = r.needs_data.set_index("to")
    assert nd.loc["cfb", "status"] == "needs data"
    assert "ash_content of coal_gangue" in nd.loc["cfb", "missing"]
    assert "lhv of coal at cfb" in nd.loc["cfb", "missing"]
    assert any("needs data: rule gangue_cfb" in n for n in r.notes)
    doc = json.loads(r.to_json())
    assert doc["needs_data"][0]["missing"] == nd.loc["cfb", "missing"]


def test_gangue_below_the_lhv_limit_fails_quality():
    site = [dict(p) for p in GANGUE_SITE]
    site[1]["value"] = 4.0  # below lhv_min 5.799 (WANG2013-GANGUE)
    r = discover(cfb_park(), site=SiteData.from_frames(properties=site))
    assert len(r.couplings) == 0
    assert r.needs_data["status"].tolist() == ["quality fails"]
    assert "lhv 4 < 5.799" in r.needs_data["missing"].iloc[0]


def cement_park(fly_ash: float = 100.0) -> "mfa.Park":
    """A power plant landfilling fly ash; a cement mill grinding 950 t clinker and 50 t gypsum into 1000 t
    cement; the clinker kiln is outside the park."""
    return small_park({"power": "", "mill": "cement"}, [
        ("buy", "power", "raw_coal", fly_ash), ("power", "dump", "fly_ash", fly_ash),
        ("buy", "mill", "clinker", 950), ("buy", "mill", "natural_gypsum", 50), ("mill", "market", "cement", 1000)])


def test_fly_ash_in_cement_displaces_clinker_and_avoids_kiln_co2():
    park = cement_park()
    r = discover(park)
    c = r.couplings.iloc[0]
    assert (c["to"], c["tonnes"], c["rule_id"]) == ("mill", pytest.approx(100), "fly_ash_cement")
    assert c["co2_avoided"] == pytest.approx(87.5)  # 100 × 0.875 (S54)
    new = r.retrofit()
    assert _flow(park, "buy", "mill", "clinker") - _flow(new, "buy", "mill", "clinker") == pytest.approx(100)
    assert _flow(new, "mill", "market", "cement") == pytest.approx(1000)  # output unchanged
    assert abs(_residual(new, "mill")) < 1e-9 and balance(new).ok
    # 10 % of the mill's input ≤ 20 %: at most 200 t; with 300 t of ash the share binds at 200
    r3 = discover(cement_park(300.0))
    assert r3.couplings["tonnes"].iloc[0] == pytest.approx(200)


def kiln_park(slag: float = 100.0) -> "mfa.Park":
    """A PVC plant landfilling 100 t carbide slag; a kiln burning 1000 t limestone (balanced)."""
    return small_park({"pvc": "", "kiln": "cement"}, [
        ("buy", "pvc", "calcium_carbide", slag), ("pvc", "dump", "carbide_slag", slag),
        ("buy", "kiln", "limestone", 1000), ("kiln", "market", "clinker", 560.3), ("kiln", "air", "co2", 439.7)])


def test_carbide_slag_in_raw_meal_reproduces_the_hand_calculation():
    park = kiln_park()
    # the new dry process takes 70-100 %: the park says its line is one (max_share 1.0)
    site = SiteData.from_frames(properties=[{"process": "kiln", "material": "carbide_slag",
                                             "property": "max_share", "value": 1.0}])
    r = discover(park, site=site)
    c = r.couplings.iloc[0]
    assert c["tonnes"] == pytest.approx(100) and c["rule_id"] == "carbide_slag_raw_meal"
    new = r.retrofit()
    assert _flow(park, "buy", "kiln", "limestone") - _flow(new, "buy", "kiln", "limestone") == pytest.approx(135.1)
    assert _flow(park, "kiln", "air", "co2") - _flow(new, "kiln", "air", "co2") == pytest.approx(59.4)
    assert _flow(new, "kiln", "air", "water_vapour") == pytest.approx(24.3)
    assert _flow(new, "kiln", "market", "clinker") == pytest.approx(560.3)  # same CaO, same clinker
    assert abs(_residual(new, "kiln")) < 1e-9 and balance(new).ok
    assert c["co2_avoided"] == pytest.approx(59.4)
    # the plan as --json writes it builds the same retrofit
    again = apply(park, pd.DataFrame(json.loads(r.to_json())["couplings"]))
    assert _flow(again, "kiln", "air", "water_vapour") == pytest.approx(24.3)
    # without the park's word the early dry process's 15 % of the kiln's input binds (S45)
    r15 = discover(kiln_park(300.0))
    q = r15.couplings["tonnes"].iloc[0]
    assert q + 0.15 * 0.351 * q == pytest.approx(0.15 * 1000)


def test_rule_effect_conserves_mass_and_names_the_missing():
    e = rule_effect("carbide_slag_raw_meal", "carbide_slag", "kiln", kiln_park(), SiteData.empty())
    assert 1 - e.ratio == pytest.approx(sum(e.outputs.values()))
    e = rule_effect("boiler_slag_cement", "boiler_slag", "kiln", kiln_park(), SiteData.empty())
    assert e.status == "needs data" and any("clay" in m for m in e.missing)
    # a park figure that breaks the balance makes the coupling "needs data", saying why; a rule table that does
    # (below) is an error of the table
    alumina = small_park({"al": "alumina"}, [("al", "market", "alumina", 1)])
    e = rule_effect("ha_fly_ash_alumina", "high_alumina_fly_ash", "al", alumina, SiteData.from_frames(
        properties=[{"process": "al", "property": "slag_per_alumina", "value": 2.5}]))
    assert e.status == "needs data" and "coupling/properties.csv" in e.missing[0]
    bad = mfa.catalogue.coupling_coefficients()
    bad.loc[(bad["rule"] == "carbide_slag_raw_meal") & (bad["term"] == "adds"), "central"] = 0.5
    with pytest.raises(MfaError, match="does not conserve mass"):
        rule_effect("carbide_slag_raw_meal", "carbide_slag", "kiln", kiln_park(), SiteData.empty(), bad)


def test_coefficient_table_errors_are_located(tmp_path):
    src = mfa.catalogue.data_path("flows", "coupling_coefficients.csv").read_text(encoding="utf-8")
    lines = src.splitlines()
    lines[3] = lines[3].replace(",property,", ",propery,")
    p = tmp_path / "rules.csv"
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(ParkError) as e:
        mfa.catalogue.coupling_coefficients(p)
    assert "row 4" in str(e.value) and "term" in str(e.value)


def test_site_files_are_validated_with_locations(tmp_path):
    (tmp_path / "capacities.csv").write_text("process,group,materials,capacity\ncfb,fuel,raw_coal,lots\n",
                                              encoding="utf-8")
    (tmp_path / "properties.csv").write_text("process,material,property,value\n,coal_gangue,ash_content,55\n",
                                             encoding="utf-8")
    with pytest.raises(ParkError) as e:
        read_site(tmp_path)
    assert "capacities.csv, row 2, column 'capacity'" in str(e.value)
    assert "properties.csv, row 2, column 'value': a share or content is a fraction" in str(e.value)


# ---- capacities per input group -------------------------------------------------------------------------
def test_capacity_is_per_input_group_never_air(tmp_path):
    park = cfb_park()
    # fuel 1000 t coal today; a fuel group of 1050 t: gangue takes 0.71 t of it per t (it displaces 0.29 t coal)
    site = SiteData.from_frames(properties=GANGUE_SITE, capacities=[
        {"process": "cfb", "group": "fuel", "materials": "raw_coal|coal_gangue", "capacity": 1050}])
    r = discover(park, site=site)
    c = r.couplings.iloc[0]
    assert c["tonnes"] == pytest.approx(50 / 0.71)
    assert c["binding_capacity"] == "cfb:fuel"
    # the 8000 t of air are no capacity: a total-input nameplate of 1050 t counts only the coal
    park2 = park.replace(processes=park.processes.assign(
        capacity=np.where(park.processes["id"] == "cfb", 1050.0, np.nan)))
    r2 = discover(park2, site=SiteData.from_frames(properties=GANGUE_SITE))
    assert r2.couplings["tonnes"].iloc[0] == pytest.approx(50 / 0.71)
    assert r2.couplings["binding_capacity"].iloc[0] == "cfb:input"


# ---- market limits --------------------------------------------------------------------------------------
def test_market_limit_bounds_a_products_growth():
    park = small_park({"power": "", "bricks": "building_material"}, [
        ("buy", "power", "raw_coal", 300), ("power", "dump", "fly_ash", 300), ("buy", "bricks", "clay", 500),
        ("bricks", "market", "fired_bricks", 500)], capacity={"bricks": 700})
    r = discover(park)
    assert r.couplings["tonnes"].iloc[0] == pytest.approx(200)  # capacity
    assert r.summary["market_unchecked"] == ["fired_bricks"]
    assert any("market unchecked" in n for n in r.notes)
    r2 = discover(park, site=SiteData.from_frames(demand=[{"material": "fired_bricks", "demand": 560}]))
    assert r2.couplings["tonnes"].iloc[0] == pytest.approx(60)  # 560 − 500 t/a more bricks sell
    assert r2.summary["market_unchecked"] == []


# ---- costs ----------------------------------------------------------------------------------------------
def test_cost_change_has_components_range_and_missing_prices():
    park = small_park({"power": "", "mill": "cement"}, [
        ("buy", "power", "raw_coal", 150), ("power", "dump", "fgd_gypsum", 100), ("power", "gully", "fgd_gypsum", 50),
        ("buy", "mill", "clinker", 800), ("buy", "mill", "natural_gypsum", 200), ("mill", "market", "cement", 1000)])
    r = discover(park)
    c = r.couplings.set_index("stream")
    dumped, dropped = c.loc["power>dump:fgd_gypsum"], c.loc["power>gully:fgd_gypsum"]
    assert (dumped["tonnes"], dropped["tonnes"]) == (pytest.approx(100), pytest.approx(50))
    # natural gypsum 200 (150–250) CNY/t (GYPSUM-PRICE); the tax (25 CNY/t, EPTL) only on the discarded stream
    t1, t2 = dumped["tonnes"], dropped["tonnes"]
    assert dumped["cost_components"]["disposal_fee_avoided"] is None  # no sourced landfill fee
    assert dumped["cost_components"]["transport"] is None
    assert dumped["cost_components"]["virgin_material_avoided"] == pytest.approx(-200 * t1)
    assert dumped["cost_components"]["env_tax_avoided"] == pytest.approx(0.0)
    assert dropped["cost_components"]["env_tax_avoided"] == pytest.approx(-25 * t2)
    assert dropped["cost_change"] == pytest.approx(-225 * t2)
    assert (dropped["cost_low"], dropped["cost_high"]) == (pytest.approx(-275 * t2), pytest.approx(-175 * t2))
    assert dumped["cost_partial"] and "disposal fee of fgd_gypsum" in dumped["cost_missing"]
    # a landfill the park marks non-compliant: the tax (EPTL art. 4-5) is due on what it received, so avoided
    site = SiteData.from_frames(properties=[{"process": "dump", "property": "compliant", "value": 0}])
    r2 = discover(park, site=site).couplings.set_index("stream")
    assert r2.loc["power>dump:fgd_gypsum", "cost_components"]["env_tax_avoided"] == pytest.approx(-25 * t1)
    # --prices overrides the shipped price figure by figure
    own = pd.DataFrame({"material": ["natural_gypsum"], "disposal_fee": [np.nan], "virgin_price": [300.0],
                        "source": [""], "note": [""]})
    r3 = discover(park, prices=own).couplings.set_index("stream")
    assert r3.loc["power>gully:fgd_gypsum", "cost_change"] == pytest.approx(-325 * t2)
    assert r3.loc["power>gully:fgd_gypsum", "cost_low"] == pytest.approx(-325 * t2)  # no range of its own
    doc = json.loads(r.to_json())
    assert {"cost_components", "cost_missing", "cost_partial", "binding_capacity"} <= set(doc["couplings"][0])
    assert set(doc["couplings"][0]["cost_components"]) == {"disposal_fee_avoided", "virgin_material_avoided",
                                                           "env_tax_avoided", "transport"}


# ---- multi-step plans ----------------------------------------------------------------------------------
def test_max_links_gives_the_best_plan_and_the_build_order():
    park = small_park({"power": "", "bricks": "brick", "blocks": "aac"}, [
        ("buy", "power", "raw_coal", 200), ("power", "dump", "fly_ash", 200), ("buy", "bricks", "clay", 500),
        ("buy", "blocks", "clay", 500), ("bricks", "market", "fired_bricks", 500),
        ("blocks", "market", "aac_blocks", 500)], capacity={"bricks": 600, "blocks": 530})
    full = discover(park)
    assert full.summary["tonnes"] == pytest.approx(130) and len(full.couplings) == 2
    one = discover(park, max_links=1)
    assert one.info["solver"] == "milp(highs)" and one.couplings["to"].tolist() == ["bricks"]
    order = one.build_order
    assert order["added"].tolist() == ["power→bricks:fly_ash"] and order["marginal_gain"].tolist() == [100.0]
    two = discover(park, max_links=3).build_order  # the third link adds nothing: two steps
    assert two["added"].tolist() == ["power→bricks:fly_ash", "power→blocks:fly_ash"]
    assert two["marginal_gain"].tolist() == [100.0, 30.0]
    with pytest.raises(MfaError, match="max_links"):
        discover(park, max_links=0)


def test_cli_max_links_and_site(tmp_path, capsys):
    from mfa.cli import main

    park_dir = tmp_path / "p"
    mfa.write_park(cfb_park(), park_dir)
    site = park_dir / "coupling"
    site.mkdir()
    pd.DataFrame(GANGUE_SITE).to_csv(site / "properties.csv", index=False)
    assert main(["symbiosis", str(park_dir), "--no-site"]) == 0  # the rules' sourced values lack the LHVs
    out = capsys.readouterr()
    assert "needs data" in out.out and "coupling data: none (--no-site" in out.err
    assert main(["symbiosis", str(park_dir)]) == 0  # the park's own, and the text says whose data it is
    out = capsys.readouterr()
    assert "needs data" not in out.out and f"coupling data: {site.resolve()}" in out.err
    assert main(["symbiosis", str(park_dir), "--json", "--max-links", "1"]) == 0  # the park's coupling/
    doc = json.loads(capsys.readouterr().out)
    assert doc["couplings"][0]["rule_id"] == "gangue_cfb" and len(doc["build_order"]) == 1
    assert doc["couplings"][0]["tonnes"] == pytest.approx(100)
    assert doc["couplings"][0]["virgin_avoided"] == pytest.approx(100 * 5.8 / 20)  # coal displaced by LHV
    other = tmp_path / "other"  # --site overrides the park's own: a gangue of 8 MJ/kg displaces more coal
    other.mkdir()
    pd.DataFrame(GANGUE_SITE).replace({5.8: 8.0}).to_csv(other / "properties.csv", index=False)
    assert main(["symbiosis", str(park_dir), "--json", "--site", str(other)]) == 0
    c = json.loads(capsys.readouterr().out)["couplings"][0]
    assert c["rule_id"] == "gangue_cfb" and c["virgin_avoided"] == pytest.approx(100 * 8.0 / 20)
    assert main(["symbiosis", str(park_dir), "--max-links", "0"]) == 2
    assert main(["symbiosis", str(park_dir), "--site", str(tmp_path / "nowhere")]) == 2
    assert main(["symbiosis", str(park_dir), "--site", str(other), "--no-site"]) == 2


def test_site_errors_are_located_and_nothing_is_written(tmp_path, capsys):
    from mfa.cli import main

    park_dir = tmp_path / "p"
    mfa.write_park(cfb_park(), park_dir)
    (park_dir / "coupling").mkdir()
    bad = pd.DataFrame(GANGUE_SITE).astype(object)
    bad.loc[0, "value"] = 60  # 60 % written as 60
    bad.to_csv(park_dir / "coupling" / "properties.csv", index=False)
    out = tmp_path / "retro"
    assert main(["symbiosis", str(park_dir), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert "properties.csv" in err and "row 2" in err and "0.6 for 60 %" in err and "Traceback" not in err
    assert not out.exists()
    assert main(["symbiosis", str(park_dir), "--no-site", "-o", str(out)]) == 0  # ignored: nothing to complain
    with pytest.raises(MfaError, match="fraction"):
        discover(mfa.read_park(park_dir))


def test_site_beside_a_yaml_park_and_none_for_frames(tmp_path):
    """A YAML park's coupling data is the coupling/ folder beside the file; a park built in code has none;
    site=False ignores it; a solved park keeps it."""
    from mfa.coupling_rules import site_folder

    park = cfb_park()
    assert park.source is None and site_folder(park) is None
    mfa.write_park(park, tmp_path / "p.yaml")
    (tmp_path / "coupling").mkdir()
    pd.DataFrame(GANGUE_SITE).to_csv(tmp_path / "coupling" / "properties.csv", index=False)
    read = mfa.solve_park(mfa.read_park(tmp_path / "p.yaml")).park
    assert site_folder(read) == (tmp_path / "coupling").resolve()
    own = discover(read).couplings
    assert own["rule_id"].tolist() == ["gangue_cfb"] and own["tonnes"].tolist() == pytest.approx([100])
    assert len(discover(read, site=False).couplings) == 0
    assert len(discover(park).couplings) == 0  # the frames' park: the rules' sourced values only


def test_cli_wuhai_json_is_a_plan_an_engineer_can_check(tmp_path, capsys):
    """Issue 15, done when: `mfa symbiosis wuhai --json` lists no coupling whose receiving process fails its
    balance, states the binding capacity of each and gives every coupling a cost_change with its components."""
    from mfa.cli import main

    out = tmp_path / "retro"
    assert main(["symbiosis", "wuhai", "--json", "-o", str(out)]) == 0  # the default command
    text = capsys.readouterr().out
    assert not re.search(r"-0\.0(?![0-9])", text)  # no tax is due on these streams: 0.0, not a negated zero
    doc = json.loads(text)
    assert {c["cost_components"]["env_tax_avoided"] for c in doc["couplings"]} == {0.0}
    assert doc["couplings"]
    for c in doc["couplings"]:
        assert isinstance(c["binding_capacity"], str) and c["binding_capacity"]
        assert c["cost_change"] is not None
        assert set(c["cost_components"]) == {"disposal_fee_avoided", "virgin_material_avoided", "env_tax_avoided",
                                             "transport"}
    assert "cfb_power_plant:fuel" in {c["binding_capacity"] for c in doc["couplings"]}
    before = balance(mfa.solve_park(mfa.read_park("wuhai")).park).processes.set_index("process")
    after = balance(mfa.read_park(out)).processes.set_index("process")
    for u in {c["to"] for c in doc["couplings"]}:
        assert after.loc[u, "status"] == "balanced", u
        assert abs(after.loc[u, "residual"] - before.loc[u, "residual"]) < 1e-3, u
    # the shipped parks/wuhai_retrofit is what this default command writes, file for file
    from mfa.catalogue import example_park_path

    shipped = example_park_path("wuhai_retrofit")
    for f in sorted(p.name for p in out.glob("*.csv")):
        assert (out / f).read_bytes() == (shipped / f).read_bytes(), f
    assert doc["summary"]["needs_data"] == 6 and doc["summary"]["landfill_avoided"] == pytest.approx(686_281, abs=1)
