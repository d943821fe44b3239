"""Coupling discovery: the LP respects supply, demand (substitution), capacity and max share; cost, CO₂ and
fixed-charge objectives; the retrofit park balances and passes `mfa check`; the Wuhai example."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import mfa
from mfa.mass_balance import balance
from mfa.errors import MfaError, ParkError
from mfa.symbiosis import (COUPLING_COLUMNS, apply, candidates, compatibility, discover, haversine_km,
                           read_prices)
from tests.conftest import P

MATS = [{"id": "carbide_slag", "name": "Carbide slag", "category": "industrial_solid_waste"},
        {"id": "fly_ash", "name": "Fly ash", "category": "industrial_solid_waste"},
        {"id": "limestone", "name": "Limestone", "category": "raw_material"},
        {"id": "clinker", "name": "Clinker", "category": "product"},
        {"id": "cement", "name": "Cement", "category": "product"},
        {"id": "co2", "name": "CO2", "category": "emission"}]


def compat_frame(tmp_path, rows: str):
    path = tmp_path / "compat.csv"
    path.write_text("waste,substitutes,accepting_group,ratio,max_share,co2_avoided,quality_note,disposal_fee,"
                    "virgin_price,source,note\n" + rows, encoding="utf-8")
    return compatibility(path)


def two_user_park(cap_b=None, lime_b=500.0):
    """pvc makes 100 t/a carbide slag (80 landfilled, 20 stored); cement A and B use limestone (imports)."""
    processes = [P("quarry", "import"), P("pvc", "production", x=106.80, y=39.60),
                 P("cem_a", "production", x=106.90, y=39.60, capacity=1000),
                 P("cem_b", "production", x=107.50, y=39.60, capacity=cap_b),
                 P("fill", "landfill"), P("yard", "storage"), P("air", "environment"), P("market", "export")]
    flows = [{"source": "quarry", "target": "pvc", "material": "limestone", "value": 100},
             {"source": "pvc", "target": "fill", "material": "carbide_slag", "value": 80},
             {"source": "pvc", "target": "yard", "material": "carbide_slag", "value": 20},
             {"source": "quarry", "target": "cem_a", "material": "limestone", "value": 27},
             {"source": "cem_a", "target": "market", "material": "cement", "value": 17},
             {"source": "cem_a", "target": "air", "material": "co2", "value": 10},
             {"source": "quarry", "target": "cem_b", "material": "limestone", "value": lime_b},
             {"source": "cem_b", "target": "market", "material": "cement", "value": 0.6 * lime_b},
             {"source": "cem_b", "target": "air", "material": "co2", "value": 0.4 * lime_b}]
    stocks = [{"process": "yard", "material": "carbide_slag", "opening": 50, "closing": 70}]
    return mfa.Park.from_frames(processes=processes, flows=flows, stocks=stocks, materials=MATS)


def test_haversine():
    # one degree of longitude at the equator = 2πR/360
    assert haversine_km(0, 0, 1, 0) == pytest.approx(2 * np.pi * 6371.0088 / 360)
    assert np.isnan(haversine_km(np.nan, 0, 1, 0))


def test_catalogue_is_valid_and_sourced():
    c = compatibility()
    assert len(c) >= 20
    assert (c["source"] != "").all()
    cats = {w.split(":", 1)[1] for w in c["waste"] if w.startswith("category:")}
    assert {"straw", "manure"} <= cats
    known = set(mfa.catalogue.materials()["id"])
    for col in ("waste", "substitutes"):
        for v in c[col]:
            if v and not v.startswith("category:"):
                assert v in known, v


def test_catalogue_errors_are_located(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("waste,substitutes,accepting_group,ratio,max_share,co2_avoided,quality_note,disposal_fee,"
                    "virgin_price,source,note\n"
                    "fly_ash,clinker,,abc,,,,,,S52,\n"
                    "fly_ash,,,0,1.5,,,,,S52,\n"
                    "category:rubble,,x,0,,,,,,S99x,\n", encoding="utf-8")
    with pytest.raises(ParkError) as e:
        compatibility(path)
    text = str(e.value)
    assert "row 2, column 'ratio'" in text and "'abc'" in text
    assert "row 3" in text and "accepting group" in text and "max_share" in text
    assert "row 4" in text and "not a waste category" in text and "unknown source id" in text


def test_lp_respects_supply_and_substitution_demand(tmp_path):
    compat = compat_frame(tmp_path, "carbide_slag,limestone,,1.351,,0.594,,,,derived,\n")
    park = two_user_park(lime_b=60)
    r = discover(park, compat=compat)
    c = r.couplings
    # each user can take only its limestone demand / γ: 27/1.351 + 60/1.351 = 64.4 of the 100 t/a supply
    got = c.groupby("to")["tonnes"].sum()
    assert got["cem_a"] == pytest.approx(27 / 1.351)
    assert got["cem_b"] == pytest.approx(60 / 1.351)
    r = discover(two_user_park(), compat=compat)
    assert r.couplings["tonnes"].sum() == pytest.approx(100)  # all supply used (80 landfill + 20 stored)
    c = r.couplings
    per_stream = c.groupby("stream")["tonnes"].sum()
    assert per_stream["pvc>fill:carbide_slag"] <= 80 + 1e-9
    assert per_stream["pvc>yard:carbide_slag"] <= 20 + 1e-9
    assert list(c.columns[:len(COUPLING_COLUMNS)]) == list(COUPLING_COLUMNS)
    np.testing.assert_allclose(c["co2_avoided"], 0.594 * c["tonnes"])


def test_capacity_limits_acceptance_couplings(tmp_path):
    compat = compat_frame(tmp_path, "carbide_slag,,cem,0,,,,,,S43,\n")
    park = two_user_park(cap_b=530)  # cem_b takes 500 now: 30 t/a spare; cem_a 1000 − 27 = 973 spare
    r = discover(park, compat=compat, max_distance_km=20)  # cem_b is 59 km away: left out
    assert set(r.couplings["to"]) == {"cem_a"}
    assert any("longer than 20 km" in n for n in r.notes)
    r = discover(park, compat=compat)
    assert r.couplings["tonnes"].sum() == pytest.approx(100)
    # acceptance (γ = 0): the user's output grows by q through its export flow; still balanced
    after = apply(park, r)
    assert balance(after).ok
    # a user without capacity is not an acceptance candidate
    park2 = two_user_park(cap_b=None)
    c2 = candidates(park2, compat=compat)
    assert set(c2.arcs["to"]) == {"cem_a"}
    assert any("no capacity" in n for n in c2.notes)


def test_capacity_constraint_binds(tmp_path):
    compat = compat_frame(tmp_path, "carbide_slag,,cem,0,,,,,,S43,\n")
    park = two_user_park(cap_b=530)
    park = park.replace(processes=park.processes.assign(
        capacity=np.where(park.processes["id"] == "cem_a", 37.0, park.processes["capacity"])))
    r = discover(park, compat=compat)
    got = r.couplings.groupby("to")["tonnes"].sum()
    assert got["cem_a"] == pytest.approx(10)  # 37 − 27
    assert got["cem_b"] == pytest.approx(30)  # 530 − 500


def test_max_share(tmp_path):
    compat = compat_frame(tmp_path, "carbide_slag,limestone,cem_b,1.0,0.1,,,,,S43,\n")
    park = two_user_park()
    r = discover(park, compat=compat)
    q = r.couplings["tonnes"].sum()
    # q ≤ 0.1 · (500 + q − q) → 50; supply 100
    assert q == pytest.approx(50)


def test_retrofit_balances_relieves_storage_and_passes_check(tmp_path):
    compat = compat_frame(tmp_path, "carbide_slag,limestone,,1.351,,0.594,,,,derived,\n")
    park = two_user_park()
    r = discover(park, compat=compat)
    after = apply(park, r)
    b = balance(after)
    assert b.ok
    f = after.flows.set_index("id")
    # the landfilled and stored slag is gone; the yard's stock grows less
    assert "pvc>fill:carbide_slag" not in f.index
    st = after.stocks.set_index("process")
    assert st.loc["yard", "closing"] == pytest.approx(50.0)
    # γ·q less limestone bought; (γ − 1)·q less CO₂ emitted
    lime = f.loc[f["material"] == "limestone", "value"].sum()
    assert lime == pytest.approx(100 + 27 + 500 - 1.351 * 100)
    # nothing lost: imports = exports + environment + landfill + Δstock
    sysb = b.system
    assert abs(sysb["residual"]) < 1e-6
    new = f[f["route"] == "symbiosis"]
    assert new["value"].sum() == pytest.approx(100)
    out = tmp_path / "retrofit"
    mfa.write_park(after, out)
    check = subprocess.run([sys.executable, "-m", "mfa", "check", str(out)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr


def test_apply_rejects_impossible_plans():
    park = two_user_park()
    plan = pd.DataFrame([{"from": "pvc", "to": "cem_a", "material": "carbide_slag", "tonnes": 90,
                          "stream": "pvc>fill:carbide_slag", "substitutes": "limestone", "ratio": 1.351}])
    with pytest.raises(MfaError, match="carries"):
        apply(park, plan)
    plan.loc[0, "tonnes"] = 50  # 67.6 t limestone to replace but cem_a buys 27
    with pytest.raises(MfaError, match="replaced"):
        apply(park, plan)
    with pytest.raises(MfaError, match="columns"):
        apply(park, pd.DataFrame([{"from": "pvc"}]))


def test_cost_objective_needs_prices_and_uses_them(tmp_path):
    compat = compat_frame(tmp_path, "carbide_slag,limestone,,1.351,,0.594,,,,derived,\n")
    park = two_user_park()
    with pytest.raises(MfaError, match="prices"):
        discover(park, "cost", compat=compat)
    prices = tmp_path / "prices.csv"
    prices.write_text("material,disposal_fee,virgin_price,source,note\ncarbide_slag,20,,illustrative,\n"
                      "limestone,,10,illustrative,\n", encoding="utf-8")
    pr = read_prices(prices)
    # saving per t: 20 + 1.351·10 = 33.5 CNY; transport 1 CNY/t·km: cem_a 8.6 km pays, cem_b 59 km does not
    r = discover(park, "cost", compat=compat, prices=pr, transport_cost=1.0)
    assert set(r.couplings["to"]) == {"cem_a"}
    d = r.couplings.iloc[0]
    assert d["tonnes"] == pytest.approx(27 / 1.351)  # all of cem_a's limestone replaced
    assert d["distance_km"] == pytest.approx(haversine_km(106.80, 39.60, 106.90, 39.60))
    assert d["cost_change"] == pytest.approx(d["tonnes"] * (d["distance_km"] * 1.0 - 20 - 1.351 * 10))
    # fixed link cost as a MILP: 5000 CNY/a per link is more than any coupling saves → no link
    r2 = discover(park, "cost", compat=compat, prices=pr, transport_cost=1.0, fixed_cost=5000)
    assert r2.info["solver"] == "milp(highs)" and len(r2.couplings) == 0
    r3 = discover(park, "cost", compat=compat, prices=pr, transport_cost=1.0, fixed_cost=10)
    assert len(r3.couplings) == 1 and r3.info["solver"] == "milp(highs)"


def test_prices_file_errors(tmp_path):
    bad = tmp_path / "p.csv"
    bad.write_text("material,disposal_fee\nfly_ash,cheap\nfly_ash,3\n", encoding="utf-8")
    with pytest.raises(ParkError) as e:
        read_prices(bad)
    assert "row 2, column 'disposal_fee'" in str(e.value) and "row 3" in str(e.value)


def test_co2_objective_and_weights(tmp_path):
    compat = compat_frame(tmp_path, "carbide_slag,limestone,,1.351,,0.594,,,,derived,\n")
    park = two_user_park()
    r = discover(park, "co2", compat=compat, transport_co2=0.01)
    # per t: 0.594 − 0.01·8.57 km = 0.508 t CO₂ avoided at cem_a, but 0.594 − 0.01·59.97 km = −0.006 at cem_b
    # (the haul emits more than the limestone saves): only cem_a, up to its limestone demand 27 t/a ÷ γ
    c = r.couplings
    assert c["to"].tolist() == ["cem_a"]
    assert c["tonnes"].sum() == pytest.approx(27 / 1.351)
    d_a = haversine_km(106.80, 39.60, 106.90, 39.60)
    assert c["co2_avoided"].iloc[0] == pytest.approx(27 / 1.351 * (0.594 - 0.01 * d_a))
    far = r.candidates[r.candidates["to"] == "cem_b"]
    np.testing.assert_allclose(far["co2_per_t"], 0.594 - 0.01 * haversine_km(106.80, 39.60, 107.50, 39.60))
    assert (far["co2_per_t"] < 0).all() and (far["tonnes"] == 0).all()
    r = discover(park, compat=compat, weights={"co2": 1.0}, transport_co2=0.02)  # far user now emits more
    assert set(r.couplings["to"]) == {"cem_a"}
    with pytest.raises(MfaError, match="unknown weight"):
        discover(park, compat=compat, weights={"money": 1})
    with pytest.raises(MfaError, match="did you mean"):
        discover(park, "utilization", compat=compat)


def test_no_stream_is_a_note_not_an_error(tmp_path):
    compat = compat_frame(tmp_path, "fly_ash,clinker,,1,,,,,,S52,\n")
    r = discover(two_user_park(), compat=compat)
    assert len(r.couplings) == 0 and any("no compatible user" in n for n in r.notes)
    assert json.loads(r.to_json())["couplings"] == []


def _wuhai():
    return mfa.solve_park(mfa.read_park("wuhai")).park


@pytest.fixture(scope="module")
def wuhai_result():
    return discover(_wuhai())  # the park's own coupling/ data, by default


def test_wuhai_retrofit(wuhai_result, tmp_path):
    r = wuhai_result
    c = r.couplings
    assert (c["tonnes"] > 0).all()
    s = r.summary
    before = s["utilisation_rates_before"]["industrial_solid_waste"]
    after = s["utilisation_rates_after"]["industrial_solid_waste"]
    # before: the published 887.577 ÷ (1607.013 + 3.44) 万t (S04)
    assert before == pytest.approx(887.577 / (1607.013 + 3.44), rel=1e-9)
    assert s["tonnes"] == pytest.approx(c["tonnes"].sum())
    # gangue burnt in the CFB plant (rule gangue_cfb, the park's analysis in parks/wuhai/coupling): the fuel
    # group binds, 0.71 t of it per t gangue (each t displaces 5.799 / 20 t coal)
    g = c[c["material"] == "coal_gangue"]
    assert set(g["to"]) == {"cfb_power_plant"} and (g["rule_id"] == "gangue_cfb").all()
    assert (g["binding_capacity"] == "cfb_power_plant:fuel").all()
    assert (g["tonnes"].sum() * (1 - 5.799 / 20)) == pytest.approx(480_000)
    # no coupling whose rule lacks data is applied, and each is listed with what is missing
    nd = r.needs_data
    assert {"boiler_slag_cement", "fly_ash_cement"} <= set(nd["rule_id"]) and (nd["missing"] != "").all()
    assert not set(zip(nd["stream"], nd["to"])) & set(zip(c["stream"], c["to"]))
    retro = r.retrofit()
    assert balance(retro).ok
    p0 = balance(r.park).processes.set_index("process")["residual"]
    p1 = balance(retro).processes.set_index("process")["residual"]
    for u in set(c["to"]):  # every receiving process keeps its balance
        assert abs(p1[u] - p0[u]) < 1e-6 * max(1.0, abs(p0[u])) + 1e-3, u
    # the new ash is traced: the gangue's ash (A = 0.50) minus the displaced coal's (A = 0.25)
    q = g["tonnes"].sum()
    key = ["source", "material"]
    grown = (retro.flows.groupby(key)["value"].sum().sub(r.park.flows.groupby(key)["value"].sum(), fill_value=0.0))
    ash = 0.5 * q - (5.799 / 20) * q * 0.25
    assert grown[("cfb_power_plant", "fly_ash")] == pytest.approx(0.85 * ash)
    assert grown[("cfb_power_plant", "boiler_slag")] == pytest.approx(0.15 * ash, rel=1e-9)
    # the rate gain is less than the tonnes rerouted over the denominator: the new ash is mostly not used
    assert after - before < s["tonnes"] / 16_104_530
    kinds = dict(zip(retro.processes["id"], retro.processes["kind"]))
    key = ["source", "target", "material"]
    grown = (retro.flows.groupby(key)["value"].sum()
             .sub(r.park.flows.groupby(key)["value"].sum(), fill_value=0.0))
    planned = c.groupby(["from", "to", "material"])["tonnes"].sum()
    np.testing.assert_allclose(grown.reindex(planned.index).to_numpy(), planned.to_numpy(), rtol=1e-9)
    touched = retro.flows[retro.flows["note"].str.contains("symbiosis retrofit", regex=False)]
    assert set(zip(c["from"], c["to"])) <= set(zip(touched["source"], touched["target"]))
    assert (touched["target"].map(kinds) == "production").all()
    from mfa.symbiosis import landfilled_tonnes

    assert landfilled_tonnes(r.park) - landfilled_tonnes(retro) == pytest.approx(s["landfill_avoided"])


def test_wuhai_json_is_deterministic(wuhai_result):
    from mfa.catalogue import example_park_path

    a = discover(_wuhai(), site=example_park_path("wuhai") / "coupling").to_json()
    assert a == wuhai_result.to_json()  # the park's own data is its coupling/ folder
    d = json.loads(a)
    assert set(d["couplings"][0]) >= set(COUPLING_COLUMNS)


def test_cli_symbiosis(tmp_path, capsys):
    from mfa.cli import main

    out = tmp_path / "retro"
    compat = tmp_path / "c.csv"
    compat.write_text("waste,substitutes,accepting_group,ratio,max_share,co2_avoided,quality_note,disposal_fee,"
                      "virgin_price,source,note\ncarbide_slag,limestone,,1.351,,0.594,,,,derived,\n",
                      encoding="utf-8")
    park_dir = tmp_path / "p"
    mfa.write_park(two_user_park(), park_dir)
    assert main(["symbiosis", str(park_dir), "--compatibility", str(compat), "-o", str(out), "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["summary"]["tonnes"] == pytest.approx(100) and d["retrofit"] == str(out)
    assert main(["check", str(out)]) == 0
    capsys.readouterr()
    assert main(["symbiosis", str(park_dir), "--compatibility", str(compat), "--weights", "co2=x"]) == 2
    assert "not a number" in capsys.readouterr().err


def test_shipped_wuhai_retrofit_checks(wuhai_result):
    """parks/wuhai_retrofit was written by `mfa symbiosis wuhai -o parks/wuhai_retrofit` (the park's own
    coupling/ data, read by default): it is the retrofit of that plan, flow by flow, and its README's figures hold."""
    retro = mfa.read_park("wuhai_retrofit")
    assert balance(retro).ok
    assert retro.info.name.endswith("(symbiosis retrofit)")
    from mfa.symbiosis import landfilled_tonnes, utilisation_rates

    key = ["source", "target", "material"]
    shipped = retro.flows.groupby(key)["value"].sum()
    made = wuhai_result.retrofit().flows.groupby(key)["value"].sum()
    np.testing.assert_allclose(shipped.reindex(made.index).to_numpy(), made.to_numpy(), rtol=1e-6)
    # 乌海 2015: 887.577 万t utilised of 1607.013 + 3.44 万t (S04) → 60.16 % (README)
    wuhai = mfa.read_park("wuhai")
    assert utilisation_rates(wuhai)["industrial_solid_waste"] == pytest.approx(887.577 / (1607.013 + 3.44),
                                                                              rel=1e-9)
    assert utilisation_rates(retro)["industrial_solid_waste"] == pytest.approx(0.6016, abs=5e-5)
    assert landfilled_tonnes(mfa.solve_park(wuhai).park) - landfilled_tonnes(retro) == pytest.approx(686_281, abs=1)


def test_nearest_users_only(tmp_path):
    compat = compat_frame(tmp_path, "carbide_slag,limestone,,1.351,,0.594,,,,derived,\n")
    c = candidates(two_user_park(), compat=compat, nearest=1)
    assert set(c.arcs["to"]) == {"cem_a"}  # 8.6 km against 59 km
    assert any("nearest" in n for n in c.notes)
    with pytest.raises(MfaError, match="at least 1"):
        candidates(two_user_park(), compat=compat, nearest=0)


from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@st.composite
def random_parks(draw):
    n_prod = draw(st.integers(1, 4))
    n_user = draw(st.integers(1, 4))
    processes = [P("quarry", "import"), P("fill", "landfill"), P("yard", "storage"), P("air", "environment"),
                 P("market", "export")]
    flows, stocks = [], []
    yard_in = 0.0
    for i in range(n_prod):
        mat = draw(st.sampled_from(["carbide_slag", "fly_ash"]))
        v = draw(st.floats(1, 500))
        to_yard = draw(st.booleans())
        processes.append(P(f"prod{i}", "production", x=106.8 + 0.01 * i, y=39.6))
        flows.append({"source": "quarry", "target": f"prod{i}", "material": "limestone", "value": v})
        flows.append({"source": f"prod{i}", "target": "yard" if to_yard else "fill", "material": mat, "value": v})
        if to_yard:
            stocks.append({"process": "yard", "material": mat, "opening": 0.0, "closing": v})
            yard_in += v
    seen = {}
    for s_ in stocks:  # one stock row per material
        seen[s_["material"]] = seen.get(s_["material"], 0.0) + s_["closing"]
    stocks = [{"process": "yard", "material": m, "opening": 0.0, "closing": c} for m, c in seen.items()]
    for j in range(n_user):
        lime = draw(st.floats(1, 400))
        cap = draw(st.one_of(st.none(), st.floats(lime, 3 * lime)))
        processes.append(P(f"cem{j}", "production", group="cement", capacity=cap, x=106.9, y=39.6 + 0.02 * j))
        flows += [{"source": "quarry", "target": f"cem{j}", "material": "limestone", "value": lime},
                  {"source": f"cem{j}", "target": "market", "material": "cement", "value": 0.6 * lime},
                  {"source": f"cem{j}", "target": "air", "material": "co2", "value": 0.4 * lime}]
    park = mfa.Park.from_frames(processes=processes, flows=flows, stocks=stocks, materials=MATS)
    gamma = draw(st.floats(0.5, 1.5))
    share = draw(st.floats(0.05, 1.0))
    return park, gamma, share


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_parks())
def test_lp_constraints_hold_on_random_parks(tmp_path_factory, data):
    park, gamma, share = data
    tmp = tmp_path_factory.mktemp("c")
    compat = compat_frame(tmp, f"carbide_slag,limestone,,{gamma},,0.594,,,,derived,\n"
                               f"fly_ash,,cement,0,{share},,,,,S52,\n")
    r = discover(park, compat=compat, assess=False)
    c = r.couplings
    flows = park.flows.set_index("id")
    # supply per stream
    for sid, q in c.groupby("stream")["tonnes"].sum().items():
        assert q <= flows.loc[sid, "value"] * (1 + 1e-9) + 1e-6
    after = apply(park, r)
    assert balance(after).ok
    procs = park.processes.set_index("id")
    fa = after.flows
    for u in c["to"].unique():
        sub = c[(c["to"] == u) & (c["substitutes"] == "limestone")]
        lime0 = flows[(flows["target"] == u) & (flows["material"] == "limestone")]["value"].sum()
        assert (gamma * sub["tonnes"]).sum() <= lime0 * (1 + 1e-9) + 1e-6  # substitution within demand
        total_in = fa.loc[fa["target"] == u, "value"].sum()
        cap = procs.loc[u, "capacity"]
        if not np.isnan(cap):
            assert total_in <= max(cap, flows.loc[flows["target"] == u, "value"].sum()) * (1 + 1e-7) + 1e-6
        ash = fa.loc[(fa["target"] == u) & (fa["material"] == "fly_ash"), "value"].sum()
        assert ash <= share * total_in * (1 + 1e-7) + 1e-6  # max share of the user's input


def test_unknown_stream_needs_reconcile(tmp_path):
    compat = compat_frame(tmp_path, "carbide_slag,limestone,,1.351,,0.594,,,,derived,\n")
    park = two_user_park()
    flows = park.flows
    flows.loc[flows["id"] == "pvc>fill:carbide_slag", "value"] = np.nan
    flows["unit"] = "t/a"
    park = park.replace(flows=flows)
    plain = discover(park, compat=compat, assess=False)
    assert plain.summary["tonnes"] == pytest.approx(20)  # only the stored slag is known
    assert any("unknown value" in n for n in plain.notes)
    rec = discover(park, compat=compat, reconcile=True)
    assert rec.summary["tonnes"] == pytest.approx(100)  # the balance of pvc determines the 80 t/a
    assert balance(rec.retrofit()).ok


def test_cli_cost_objective_text(tmp_path, capsys):
    from mfa.cli import main

    park_dir = tmp_path / "p"
    mfa.write_park(two_user_park(), park_dir)
    compat = tmp_path / "c.csv"
    compat.write_text("waste,substitutes,accepting_group,ratio,max_share,co2_avoided,quality_note,disposal_fee,"
                      "virgin_price,source,note\ncarbide_slag,limestone,,1.351,,0.594,,,,derived,\n",
                      encoding="utf-8")
    prices = tmp_path / "prices.csv"
    prices.write_text("material,disposal_fee,virgin_price,source,note\ncarbide_slag,20,,illustrative,\n"
                      "limestone,,10,illustrative,\n", encoding="utf-8")
    args = ["symbiosis", str(park_dir), "--compatibility", str(compat), "--objective", "cost", "--prices",
            str(prices), "--transport-cost", "1", "--fixed-cost", "10"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "milp(highs)" in out and "cem_a" in out and "cem_b" not in out
    # no prices at all: a clear error, exit 2
    assert main(["symbiosis", str(park_dir), "--objective", "cost"]) == 2
    assert "needs prices" in capsys.readouterr().err


def test_report_and_command_give_the_same_plan(wuhai_result, capsys):
    """The park's own coupling/ data is used by `mfa symbiosis wuhai`, by discover() and by the report's
    opportunities: one plan, the gangue → CFB coupling applied with the park's ash content and LHVs."""
    from mfa.cli import main
    from mfa.report import opportunity_section

    assert main(["symbiosis", "wuhai", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    plan = [(c["rank"], c["from"], c["to"], c["material"], c["tonnes"]) for c in doc["couplings"]]
    c = wuhai_result.couplings
    assert plan == list(zip(c["rank"], c["from"], c["to"], c["material"], c["tonnes"]))
    sec = opportunity_section(mfa.read_park("wuhai"), "en")
    assert [(r["rank"], float(r["tonnes"])) for r in sec["opportunities"]] == [(p[0], p[4]) for p in plan]
    assert doc["couplings"][0]["rule_id"] == "gangue_cfb" and "gangue_cfb" not in set(wuhai_result.needs_data["rule_id"])
    assert doc["summary"]["tonnes"] == pytest.approx(864_009, abs=1)
    assert main(["symbiosis", "wuhai", "--json", "--no-site"]) == 0  # without it: the poorer screening plan
    bare = json.loads(capsys.readouterr().out)
    assert bare["summary"]["tonnes"] < doc["summary"]["tonnes"]
    assert "gangue_cfb" not in {c["rule_id"] for c in bare["couplings"]}
