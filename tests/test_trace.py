"""Tracing: multi-hop collection, loops, storage, unresolved material, and the invariant that the fates of every
origin add up to what it sent."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mfa
from mfa.cli import main
from mfa.errors import MfaError
from mfa.tracing import trace
from tests.conftest import P, park_csv


def shares(result, origin, material=None):
    t = result.table[result.table.origin == origin]
    if material:
        t = t[t.material == material]
    return dict(zip(t["fate"], t["share"]))


def test_multi_hop_through_collection():
    park = park_csv("""id,kind
        a,production
        b,production
        c1,collection
        c2,collection
        use,production
        fill,landfill
        yard,storage""", """source,target,material,value
        a,c1,fly_ash,100
        b,c2,fly_ash,50
        c1,c2,fly_ash,60
        c1,fill,fly_ash,40
        c2,use,fly_ash,88
        c2,yard,fly_ash,22""")
    r = trace(park)
    # c2 sends 80 % to use and 20 % to the yard; a: 60 % reaches c2
    assert shares(r, "a") == pytest.approx({"utilised": 0.6 * 0.8, "disposed": 0.4, "stored": 0.6 * 0.2})
    assert shares(r, "b") == pytest.approx({"utilised": 0.8, "stored": 0.2})
    t = r.table.set_index(["origin", "fate"])["tonnes"]
    assert t[("a", "utilised")] == pytest.approx(48.0) and t[("b", "stored")] == pytest.approx(10.0)
    through = dict(zip(r.through["process"], r.through["tonnes"]))
    # the yard is a store (no stock data: its stock change is what the flows leave, 22 t newly stored)
    assert through == pytest.approx({"c1": 100.0, "c2": 110.0, "yard": 22.0})
    dest = r.destinations.set_index("target")["tonnes"]
    assert dest["use"] == pytest.approx(88.0) and dest["fill"] == pytest.approx(40.0)


def test_loop_between_collection_points_is_exact():
    # c1 → c2 70 %, c1 → use 30 %; c2 → c1 50 %, c2 → fill 50 %: absorption to 'use' from c1 is
    # x = 0.3 + 0.7 · 0.5 · x  →  x = 0.3 / 0.65
    park = park_csv("""id,kind
        a,production
        c1,collection
        c2,collection
        use,production
        fill,landfill""", """source,target,material,value,tc
        a,c1,steel_slag,100,
        c1,c2,steel_slag,,0.7
        c1,use,steel_slag,,0.3
        c2,c1,steel_slag,,0.5
        c2,fill,steel_slag,,0.5""")
    r = trace(park)
    assert shares(r, "a") == pytest.approx({"utilised": 0.3 / 0.65, "disposed": 0.35 / 0.65})
    # the same loop with the values mfa.reconcile would compute
    park = park.replace(flows=pd.DataFrame([
        {"source": "a", "target": "c1", "material": "steel_slag", "value": 100},
        {"source": "c1", "target": "c2", "material": "steel_slag", "value": 0.7 * 100 / 0.65},
        {"source": "c1", "target": "use", "material": "steel_slag", "value": 0.3 * 100 / 0.65},
        {"source": "c2", "target": "c1", "material": "steel_slag", "value": 0.35 * 100 / 0.65},
        {"source": "c2", "target": "fill", "material": "steel_slag", "value": 0.35 * 100 / 0.65}]))
    r = trace(park)
    assert shares(r, "a") == pytest.approx({"utilised": 0.3 / 0.65, "disposed": 0.35 / 0.65})
    assert r.origins["residual"].abs().max() < 1e-9
    through = dict(zip(r.through["process"], r.through["tonnes"]))
    assert through["c1"] == pytest.approx(100 / 0.65)  # re-entries counted


def test_storage_outflow_is_prior_year_origin():
    # the yard's stock falls 100 → 80: 20 t of prior-year storage are drawn; the 30 t arriving this year pass
    # through with them (50 t out), and both share the collection point's fates (75 % used, 25 % disposed)
    park = park_csv("""id,kind
        a,production
        yard,storage
        c,collection
        use,production
        out,export""", """source,target,material,value,fate
        a,yard,fgd_gypsum,30,
        a,use,fgd_gypsum,70,
        yard,c,fgd_gypsum,50,
        c,use,fgd_gypsum,37.5,
        c,out,fgd_gypsum,12.5,disposed""", stocks="""process,material,opening,closing
        yard,fgd_gypsum,100,80""")
    r = trace(park)
    o = r.origins.set_index("origin")
    assert o.loc["yard", "stage"] == "prior_year_storage" and o.loc["yard", "tonnes"] == pytest.approx(20)
    assert shares(r, "yard") == pytest.approx({"utilised": 0.75, "disposed": 0.25})
    assert shares(r, "a") == pytest.approx({"utilised": 0.7 + 0.3 * 0.75, "disposed": 0.3 * 0.25})
    routes = r.by_route[r.by_route.origin == "yard"].set_index("fate")["target_kind"]
    assert routes["disposed"] == "export"
    # without stock data the yard's stock rises by 30 − 50 < 0 … i.e. falls by 20: the same split
    r2 = trace(park.replace(stocks=park.stocks.iloc[0:0]))
    assert shares(r2, "yard") == pytest.approx({"utilised": 0.75, "disposed": 0.25})


def collection_keeps_40():
    """a sends 100 t coal gangue to collection c, which passes 60 t to use and 40 t on a flow without value."""
    return park_csv("""id,kind
        a,production
        c,collection
        use,production
        fill,landfill""", """source,target,material,value
        a,c,coal_gangue,100
        c,use,coal_gangue,60
        c,fill,coal_gangue,""")


def test_unresolved_when_collection_keeps_material_and_issues():
    park = collection_keeps_40()
    r = trace(park)
    assert shares(r, "a") == pytest.approx({"utilised": 0.6, "unresolved": 0.4})
    assert any("has no value" in i for i in r.issues)
    assert any("not passed on" in i for i in r.issues)


def test_closed_loop_without_exit_is_a_clear_error():
    park = park_csv("""id,kind
        a,production
        c1,collection
        c2,collection""", """source,target,material,value,tc
        a,c1,red_mud,10,
        c1,c2,red_mud,,1
        c2,c1,red_mud,,1""")
    with pytest.raises(MfaError, match="circulates forever"):
        trace(park)


def test_tc_share_in_a_multi_material_collection_point():
    # c receives 100 t fly ash and 300 t raw coal; tc = share of the total input (400 t)
    park = park_csv("""id,kind
        a,production
        m,import
        c,collection
        use,production
        fill,landfill
        out,export""", """source,target,material,value,tc
        a,c,fly_ash,100,
        m,c,raw_coal,300,
        c,use,fly_ash,,0.15
        c,fill,fly_ash,,0.1
        c,out,raw_coal,,0.75""")
    assert shares(trace(park), "a") == pytest.approx({"utilised": 0.6, "disposed": 0.4})


def test_filters_and_unknown_names():
    park = mfa.read_park("bayannur")
    r = trace(park, material="straw_maize", origin="maize_farms")
    assert set(r.table["origin"]) == {"maize_farms"} and set(r.table["material"]) == {"straw_maize"}
    assert r.destinations["tonnes"].sum() == pytest.approx(r.origins["tonnes"].sum())
    with pytest.raises(MfaError, match="did you mean"):
        trace(park, material="straw_maiz")
    with pytest.raises(MfaError, match="did you mean"):
        trace(park, origin="maize_farm")


def test_bayannur_fates_sum_to_generation_for_every_origin():
    park = mfa.read_park("bayannur")
    r = trace(park)
    gen = park.flows[park.flows.estimated].groupby(["material", "source"])["value"].sum()
    got = r.table.groupby(["material", "origin"])["tonnes"].sum()
    for key, value in gen.items():
        assert got[key] == pytest.approx(value, rel=1e-12)
    assert r.table.groupby(["material", "origin"])["share"].sum().to_numpy() == pytest.approx(1.0)
    # the straw split from S80: 85 % utilised, 15 % discarded
    assert shares(r, "wheat_farms") == pytest.approx({"utilised": 0.85, "discarded": 0.15}, abs=1e-9)


@st.composite
def random_parks(draw):
    n_prod = draw(st.integers(1, 4))
    n_coll = draw(st.integers(1, 6))
    sinks = ["use", "fill", "yard", "env", "out"]
    kinds = {"use": "production", "fill": "landfill", "yard": "storage", "env": "environment", "out": "export"}
    procs = ([P(f"g{i}", "production") for i in range(n_prod)] + [P(f"c{i}", "collection") for i in range(n_coll)]
             + [P(s, kinds[s]) for s in sinks])
    flows = []
    seen = set()
    for i in range(n_prod):
        for j in draw(st.lists(st.integers(0, n_coll - 1), min_size=1, max_size=3, unique=True)):
            flows.append({"source": f"g{i}", "target": f"c{j}", "material": "fly_ash",
                          "value": draw(st.floats(0.5, 1000))})
    for j in range(n_coll):
        # every collection point has one way out so no closed loop exists; others may loop back
        flows.append({"source": f"c{j}", "target": draw(st.sampled_from(sinks)), "material": "fly_ash",
                      "value": draw(st.floats(0.5, 1000))})
        for k in draw(st.lists(st.integers(0, n_coll - 1), max_size=3, unique=True)):
            if k != j and (j, k) not in seen:
                seen.add((j, k))
                flows.append({"source": f"c{j}", "target": f"c{k}", "material": "fly_ash",
                              "value": draw(st.floats(0.0, 1000))})
    return mfa.Park.from_frames(processes=procs, flows=flows)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_parks())
def test_fates_always_sum_to_what_each_origin_sent(park):
    r = trace(park)
    sent = park.flows[park.flows.source.str.startswith("g")].groupby("source")["value"].sum()
    got = r.table.groupby("origin")["tonnes"].sum()
    for origin, value in sent.items():
        assert got[origin] == pytest.approx(value, rel=1e-9, abs=1e-9)
    assert (r.table["share"] >= -1e-12).all() and (r.table["share"] <= 1 + 1e-12).all()


def test_cli_trace_json_and_text(capsys):
    assert main(["trace", "bayannur", "--material", "manure_sheep", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert set(doc) >= {"fates", "routes", "origins", "destinations", "through", "issues"}
    rows = {(r["origin"], r["fate"]): r for r in doc["fates"]}
    assert rows[("sheep_farms", "utilised")]["share"] == pytest.approx(0.85)
    assert set(rows[("sheep_farms", "utilised")]) == {"material", "category", "origin", "stage", "fate", "tonnes",
                                                      "share"}
    assert main(["trace", "bayannur", "--origin", "straw_depot"]) == 0
    out = capsys.readouterr().out
    assert "prior_year_storage" in out and "Destinations" in out
    assert main(["trace", "bayannur", "--material", "nope"]) == 2
    assert "unknown material" in capsys.readouterr().err


def test_json_is_deterministic():
    park = mfa.read_park("bayannur")
    assert trace(park).to_json() == trace(mfa.read_park("bayannur")).to_json()


def test_sorting_residue_continues_the_streams_that_lack_on_the_way_out():
    # the sorting centre receives 100 t waste paper and sends out 80 t paper and 20 t sorting residue: the
    # 20 t of paper that do not leave as paper leave as the residue (the same stream, not new generation)
    park = park_csv("""id,kind
        city,import
        sort,collection
        mill,production
        fill,landfill""", """source,target,material,value
        city,sort,waste_paper,100
        sort,mill,waste_paper,80
        sort,fill,sorting_residue,20""")
    for convention in ("official", "traced"):
        r = trace(park, convention=convention)
        assert set(r.origins["origin"]) == {"city"}
        assert shares(r, "city", "waste_paper") == pytest.approx({"utilised": 0.8, "disposed": 0.2})
        assert r.table["tonnes"].sum() == pytest.approx(100.0)
    # every tonne leaving a process in a waste flow reaches a destination flow (official view: the traced view
    # ends the paper inside the mill, not on a flow)
    assert trace(park).destinations["tonnes"].sum() == pytest.approx(100.0)
    # a residue larger than what the other streams lack: the rest is the centre's own (collection_excess)
    more = park.replace(flows=park.flows.assign(value=[100.0, 80.0, 30.0]))
    r = trace(more)
    o = r.origins.set_index(["material", "origin"])
    assert o.loc[("sorting_residue", "sort"), "stage"] == "collection_excess"
    assert o.loc[("sorting_residue", "sort"), "tonnes"] == pytest.approx(10.0)
    assert shares(r, "city", "waste_paper") == pytest.approx({"utilised": 0.8, "disposed": 0.2})


def _simulate(park, origin):
    """Independent check: push the origin's tonnes step by step through the collection points (dense, no LU)."""
    f = park.flows
    kinds = park.processes.set_index("id")["kind"]
    fate_of = {"production": "utilised", "landfill": "disposed", "storage": "stored", "environment": "discarded",
               "export": "exported"}
    at = {}  # tonnes currently at each collection point
    out = {}
    for r in f[f.source == origin].itertuples():
        if kinds[r.target] == "collection":
            at[r.target] = at.get(r.target, 0.0) + r.value
        else:
            out[fate_of[kinds[r.target]]] = out.get(fate_of[kinds[r.target]], 0.0) + r.value
    inflow = f.groupby("target")["value"].sum()
    outflow = f.groupby("source")["value"].sum()
    for _ in range(3000):
        nxt = {}
        for proc, t in at.items():
            d = max(inflow.get(proc, 0.0), outflow.get(proc, 0.0))
            sent = 0.0
            for r in f[f.source == proc].itertuples():
                share = r.value / d if d > 0 else 0.0
                sent += share
                if kinds[r.target] == "collection":
                    nxt[r.target] = nxt.get(r.target, 0.0) + t * share
                else:
                    k = fate_of[kinds[r.target]]
                    out[k] = out.get(k, 0.0) + t * share
            out["unresolved"] = out.get("unresolved", 0.0) + t * max(0.0, 1.0 - sent)
        at = nxt
        if sum(at.values()) < 1e-12:
            break
    return {k: v for k, v in out.items() if v > 1e-9}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_parks())
def test_trace_agrees_with_step_by_step_simulation(park):
    r = trace(park)
    for origin in sorted(set(park.flows.source[park.flows.source.str.startswith("g")])):
        t = r.table[r.table.origin == origin]
        got = {k: v for k, v in zip(t["fate"], t["tonnes"]) if v > 1e-9}
        want = _simulate(park, origin)
        for k in set(got) | set(want):
            assert got.get(k, 0.0) == pytest.approx(want.get(k, 0.0), rel=1e-6, abs=1e-6)


def test_cli_flows_option_lists_each_waste_flow(capsys):
    assert main(["trace", "bayannur", "--flows", "--json", "--material", "manure_sheep"]) == 0
    doc = json.loads(capsys.readouterr().out)
    fates = {(r["source"], r["target"]): r["fate"] for r in doc["flows"]}
    assert fates[("sheep_farms", "sheep_manure_yard")] == "passed_on"
    assert fates[("sheep_manure_yard", "manure_discharge")] == "discarded"
    assert main(["trace", "bayannur", "--origin", "dairy_manure_pit"]) == 0
    assert "is a collection process" in capsys.readouterr().out


def test_public_functions_are_not_shadowed_by_their_modules():
    import importlib

    park = mfa.read_park("bayannur")
    modules = {"trace": "mfa.tracing", "indicators": "mfa.utilisation", "balance": "mfa.mass_balance",
               "sankey": "mfa.sankey_diagram", "explain": "mfa.explanation", "resilience": "mfa.robustness"}
    for name, module_name in modules.items():
        module = importlib.import_module(module_name)
        assert callable(getattr(mfa, name)) and getattr(mfa, name) is getattr(module, name)
        assert module_name.split(".")[1] in dir(mfa) and name in dir(mfa)
    assert len(mfa.trace(park).table) == len(trace(park).table)
    assert mfa.indicators(park, targets=False).get("straw_utilisation_rate")["value"] > 0.85


def test_closed_loop_that_nothing_reaches_is_harmless():
    park = park_csv("""id,kind
        a,production
        c1,collection
        c2,collection
        c3,collection
        use,production""", """source,target,material,value
        a,c3,red_mud,10
        c3,use,red_mud,10
        c1,c2,red_mud,5
        c2,c1,red_mud,5""")
    r = trace(park)
    assert shares(r, "a") == {"utilised": 1.0}


@pytest.mark.parametrize("convention", ["official", "traced"])
def test_iterative_chain_solution_equals_the_lu(monkeypatch, convention):
    """Large chains are solved by the Neumann series (falling back to the LU): same fates as the LU."""
    import sys

    from bench.synthetic import synthetic_park

    module = sys.modules["mfa.tracing"]
    park = synthetic_park(400, seed=3)
    monkeypatch.setattr(module, "DIRECT_MAX_STATES", 10**9)
    direct = trace(park, convention=convention)
    monkeypatch.setattr(module, "DIRECT_MAX_STATES", 0)
    iterative = trace(park, convention=convention)
    a = direct.by_route["tonnes"].to_numpy()
    b = iterative.by_route["tonnes"].to_numpy()
    assert len(a) == len(b) and len(a) > 100
    assert np.allclose(a, b, rtol=1e-10, atol=1e-9)
    assert np.allclose(direct.through["tonnes"], iterative.through["tonnes"], rtol=1e-10, atol=1e-9)
    # a chain that keeps 99.99 % in a loop converges too slowly for the series: the LU answers
    solver = module._ChainSolver(__import__("scipy.sparse", fromlist=["csr_matrix"]).csr_matrix(
        np.array([[0.0, 0.9999], [0.9999, 0.0]])))
    solver.iterative = True
    x = solver.solve(np.array([[1e-4 / 2], [1e-4 / 2]]))
    assert x == pytest.approx(np.array([[0.5], [0.5]]), rel=1e-9)


def test_result_contract_messages_have_severity():
    """TraceResult: frozen, fates is the main table, messages are Issues (their texts stay .issues)."""
    import dataclasses

    from mfa.errors import Issue
    from mfa.results import Result

    park = collection_keeps_40()
    r = trace(park, solve=False)
    assert isinstance(r, Result) and r.table is r.fates
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.convention = "traced"
    assert r.messages and all(isinstance(m, Issue) and m.severity == "warning" for m in r.messages)
    assert r.issues == [m.message for m in r.messages]
    # 100 t sent by a: 60 utilised, 40 unresolved (not passed on)
    assert r.summary == {"convention": "official", "sent": 100.0, "utilised": 60.0, "unresolved": 40.0}
    assert json.loads(r.to_json())["issues"] == r.issues
    # an origin that is a collection point gets an info message first
    rc = trace(park, origin="c", solve=False)
    assert rc.messages[0].severity == "info" and "is a collection process" in rc.messages[0].message


def test_cli_json_is_the_result_document(capsys):
    from dataclasses import replace

    from mfa.errors import Issue
    from mfa.solved import solve_park

    assert main(["trace", "hazardous", "--json"]) == 0
    solved = solve_park(mfa.read_park("hazardous"))
    r = trace(solved.park, solve=False)
    if solved.note:
        r = replace(r, messages=(Issue.note(solved.note),) + r.messages)
    assert capsys.readouterr().out == r.to_json() + "\n"
