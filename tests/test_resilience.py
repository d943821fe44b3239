"""Resilience: removing enterprises — what is lost, who now landfills or buys from outside, keystone ranking —
with every surviving process still balanced."""

from __future__ import annotations

import json

import pytest

import mfa
import mfa.solved
from mfa.mass_balance import balance
from mfa.errors import MfaError
from mfa.robustness import remove_processes, resilience
from tests.conftest import P, park_csv

def kalundborg_like():
    """A power station feeding fly ash to a cement mill and FGD gypsum to a board plant (cf. Asnæs → cement,
    Asnæs → Gyproc in the Kalundborg accounts); some ash is landfilled. Materials from the catalogue."""
    return park_csv("""id,kind,group
        coal,import,
        clinker_in,import,
        power,production,power
        cement,production,cement
        board,production,gypsum_board
        fill,landfill,
        market,export,""", """source,target,material,value
        coal,power,raw_coal,100
        power,cement,fly_ash,20
        power,fill,fly_ash,10
        power,board,fgd_gypsum,15
        power,market,raw_coal,55
        clinker_in,cement,clinker,80
        cement,market,cement,100
        board,market,gypsum_board,15""")


def test_remove_user_sends_waste_to_landfill():
    park = kalundborg_like()
    new, info = remove_processes(park, ["cement"])
    assert balance(new).ok
    assert info["tonnes_no_longer_utilised"] == 20
    assert info["producers_to_landfill"] == ["power"]
    f = new.flows
    assert f.loc[(f["source"] == "power") & (f["target"] == "fill"), "value"].sum() == pytest.approx(30)
    assert "cement" not in set(new.processes["id"])


def test_remove_supplier_puts_consumers_on_outside_supply():
    park = kalundborg_like()
    new, info = remove_processes(park, ["power"])
    assert balance(new).ok
    assert info["consumers_on_outside_supply"] == ["board", "cement"]
    assert info["tonnes_replaced_by_imports"] == pytest.approx(35)
    assert info["exchanges_lost"] == 2
    # the cement mill now buys 20 t/a fly ash from outside: same material, from an import process
    f = new.flows
    imp = f[(f["target"] == "cement") & (f["material"] == "fly_ash")]
    assert imp["value"].sum() == 20 and set(imp["source"]) <= {"coal", "clinker_in"}


def test_each_in_turn_and_keystone_ranking():
    r = resilience(kalundborg_like())
    t = r.table.set_index("scenario")
    assert set(t.index) == {"power", "cement", "board"}
    assert t.loc["cement", "tonnes_no_longer_utilised"] == 20
    assert t.loc["board", "tonnes_no_longer_utilised"] == 15
    assert t.loc["power", "tonnes_no_longer_utilised"] == 0
    # utilisation rate: 35 of 45 utilised; without the cement mill 15 of 45
    assert t.loc["cement", "delta_industrial_solid_waste"] == pytest.approx(15 / 45 - 35 / 45)
    assert t.loc["cement", "extra_landfill"] == 20
    assert t.loc["cement", "keystone_rank"] == 1 and t.loc["board", "keystone_rank"] == 2
    assert list(r.keystones(1)["scenario"]) == ["cement"]
    # fly ash replacing clinker avoids 0.875 t CO₂/t (flows/compatibility.csv, S54): a lost benefit
    assert t.loc["cement", "co2_benefit_lost"] == pytest.approx(20 * 0.875)
    assert t.loc["power", "largest_component_after"] == 1
    d = json.loads(r.to_json())
    assert d["baseline"]["utilisation_rates"]["industrial_solid_waste"] == pytest.approx(35 / 45)


def test_remove_a_set_and_bad_ids():
    r = resilience(kalundborg_like(), remove=["cement", "board"])
    assert list(r.table["scenario"]) == ["cement+board"]
    assert r.table.loc[0, "tonnes_no_longer_utilised"] == 35
    with pytest.raises(MfaError, match="did you mean 'cement'"):
        resilience(kalundborg_like(), remove=["cemnt"])
    with pytest.raises(MfaError, match="system boundary"):
        resilience(kalundborg_like(), remove=["fill"])


def test_removal_adds_a_landfill_when_the_park_has_none():
    park = park_csv("""id,kind
        coal,import
        power,production
        cement,production
        market,export""", """source,target,material,value
        coal,power,raw_coal,50
        power,cement,fly_ash,50
        cement,market,cement,50""")
    new, info = remove_processes(park, ["cement"])
    assert "landfill_fallback" in set(new.processes["id"]) and balance(new).ok


def test_wuhai_resilience_and_cli(capsys):
    from mfa.cli import main

    assert main(["resilience", "wuhai", "--remove", "cement_plant", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    sc = d["scenarios"][0]
    # every tonne of waste the cement plant took (boiler slag, FGD gypsum, fly ash, carbide slag, ferroalloy
    # slag, tailings: 3,192,550 t/a in the solved park) now goes to landfill; the ISW rate falls by that over
    # its unchanged denominator 16,104,530 t/a
    park = mfa.solved.solve_park(mfa.read_park("wuhai")).park
    cats = dict(zip(park.materials["id"], park.materials["category"]))
    f = park.flows
    into = f[(f["target"] == "cement_plant") & f["material"].map(cats).isin(["industrial_solid_waste",
                                                                              "hazardous_waste"])]
    assert into["value"].sum() == pytest.approx(3_192_550)
    assert sc["scenario"] == "cement_plant"
    assert sc["tonnes_no_longer_utilised"] == pytest.approx(into["value"].sum())
    assert sc["extra_landfill"] == pytest.approx(into["value"].sum())
    assert sc["delta_industrial_solid_waste"] == pytest.approx(-3_192_550 / 16_104_530, rel=1e-9)
    assert main(["resilience", "wuhai", "--remove", "nowhere"]) == 2
    assert "unknown process" in capsys.readouterr().err


def test_collection_centre_removal_is_traced():
    """Fly ash dispatched by a collection centre: its removal stops utilisation two hops away."""
    park = park_csv("""id,kind
        coal,import
        power,production
        hub,collection
        cement,production
        fill,landfill
        market,export""", """source,target,material,value
        coal,power,raw_coal,100
        power,hub,fly_ash,40
        power,market,raw_coal,60
        hub,cement,fly_ash,30
        hub,fill,fly_ash,10
        cement,market,cement,30""")
    t = resilience(park).table.set_index("scenario")
    assert t.loc["hub", "tonnes_no_longer_utilised"] == pytest.approx(30)
    assert t.loc["hub", "producers_to_landfill"] == "power"
    assert t.loc["cement", "tonnes_no_longer_utilised"] == pytest.approx(30)
    # the power plant's own ash is no longer generated: not counted as lost utilisation
    assert t.loc["power", "tonnes_no_longer_utilised"] == 0


def test_targeted_and_random_removal():
    park = kalundborg_like()
    by_degree = resilience(park, target="degree", limit=1)
    assert list(by_degree.table["scenario"]) == ["power"]  # two internal links
    by_flow = resilience(park, target="throughflow", limit=2)
    assert list(by_flow.table["scenario"]) == ["cement", "power"]  # 100 and 100 t/a: ties by id
    a = resilience(park, target="random", limit=2, seed=5).table["scenario"].tolist()
    assert a == resilience(park, target="random", limit=2, seed=5).table["scenario"].tolist()
    assert len(set(a)) == 2 and set(a) <= {"power", "cement", "board"}  # two distinct internal processes
    drawn = {tuple(resilience(park, target="random", limit=2, seed=s_).table["scenario"]) for s_ in range(8)}
    assert len(drawn) > 1  # the seed decides the sample
    with pytest.raises(MfaError, match="did you mean 'degree'"):
        resilience(park, target="degre")


def test_cli_text(tmp_path, capsys):
    from mfa.cli import main

    park_dir = tmp_path / "k"
    mfa.write_park(kalundborg_like(), park_dir)
    assert main(["resilience", str(park_dir), "--top", "2"]) == 0
    out = capsys.readouterr().out.splitlines()
    # the intact park: 35 of the 45 t/a of waste utilised, 10 landfilled; no cycle
    assert out[1] == "intact park: FCI 0.00000, cyclicity 0.0000, 2 links, 10 t/a to landfill"
    header = out.index(next(line for line in out if "keystone_rank" in line))
    rows = [line.split() for line in out[header + 1:header + 3]]
    # rank 1 the cement mill (20 t/a of fly ash no longer utilised), rank 2 the board plant (15 t/a)
    assert [r[:4] for r in rows] == [["1", "cement", "1", "20.00"], ["2", "board", "1", "15.00"]]
    assert len([line for line in out[header + 1:] if not line.startswith("note:")]) == 2  # --top 2
    assert main(["resilience", str(park_dir), "--target", "degree", "--limit", "0"]) == 2
    assert "at least 1" in capsys.readouterr().err


from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@st.composite
def balanced_parks(draw):
    """A random balanced park: internal processes exchanging waste and products (loops allowed), each
    closed by an import (deficit) or an output to export or landfill (surplus); and a non-empty set to
    remove."""
    n = draw(st.integers(2, 6))
    kinds = [draw(st.sampled_from(["production", "production", "collection", "treatment"])) for _ in range(n)]
    processes = [P("coal", "import"), P("fill", "landfill"), P("market", "export")]
    processes += [P(f"p{i}", k) for i, k in enumerate(kinds)]
    flows = {}
    for _ in range(draw(st.integers(1, 2 * n))):
        i, j = draw(st.integers(0, n - 1)), draw(st.integers(0, n - 1))
        if i != j:
            mat = draw(st.sampled_from(["fly_ash", "fgd_gypsum", "clinker"]))
            flows[(f"p{i}", f"p{j}", mat)] = draw(st.floats(1, 1000))
    net = {f"p{i}": 0.0 for i in range(n)}
    for (a, b, _), v in flows.items():
        net[a] -= v
        net[b] += v
    for p, r in net.items():
        flows[("coal", p, "raw_coal")] = draw(st.floats(1, 500)) + max(-r, 0.0)
        surplus = flows[("coal", p, "raw_coal")] + r
        to_fill = draw(st.floats(0, 1)) * surplus
        flows[(p, "fill", "fly_ash")] = to_fill
        flows[(p, "market", "cement")] = surplus - to_fill
    rows = [{"source": a, "target": b, "material": m, "value": v} for (a, b, m), v in flows.items() if v > 0]
    park = mfa.Park.from_frames(processes=processes, flows=rows)  # materials from the catalogue
    gone = draw(st.sets(st.sampled_from([f"p{i}" for i in range(n)]), min_size=1, max_size=n - 1))
    return park, sorted(gone)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(balanced_parks())
def test_every_park_left_after_removal_balances(data):
    """Invariant: the park resilience measures after removing any set of processes balances, every survivor
    keeps its residual, and the system's mass balance holds (imports = exports + landfill)."""
    park, gone = data
    assert balance(park).ok
    new, info = remove_processes(park, gone)
    b = balance(new)
    assert b.ok
    assert abs(b.system["residual"]) <= 1e-9 * park.flows["value"].sum()
    assert not set(gone) & set(new.processes["id"])
    r0 = b.processes.set_index("process")["residual"]
    survivors = [p for p in park.processes["id"] if p.startswith("p") and p not in gone]
    assert (r0.reindex(survivors).abs() <= 1e-6).all()
    # what the removed processes sent to survivors now comes from outside, tonne for tonne
    f = park.flows
    supplied = f[f["source"].isin(gone) & f["target"].isin(survivors)]["value"].sum()
    assert info["tonnes_replaced_by_imports"] == pytest.approx(supplied)
