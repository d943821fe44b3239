"""The waste accounting of issue 10, row by row, with hand-computed expectations; the CLI contract of the
two conventions; and property tests on random small parks (bounds, agreement of the conventions, buffer
invariance, resolving an export, the NBS identity).

Every figure below is t/a; rates are fractions 0–1. Parks are built with ``mfa.Park.from_frames`` from the
shipped catalogue's materials.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mfa
from mfa.cli import main
from mfa.solved import solve_park
from tests.conftest import F, P, park_of

ISW = "industrial_solid_waste_utilisation_rate"
ISW_DISP = "industrial_solid_waste_disposal_rate"
BULK = "bulk_solid_waste_utilisation_rate"
STRAW = "straw_utilisation_rate"
HW = "hazardous_waste_utilisation_disposal_rate"
RENEW = "renewable_resource_recovery_rate"
DIVERSION = "landfill_diversion_rate"
NEW_KEYS = ("traced", "traced_numerator", "traced_denominator", "lower", "upper", "unresolved")
FATE_TERMS = ("utilised", "disposed", "stored", "discarded", "exported", "unresolved")


def rates(park, **kw):
    return mfa.indicators(park, targets=False, **kw)


def assert_row(row, **expected):
    for key, want in expected.items():
        assert row[key] == pytest.approx(want, abs=1e-9), f"{row['id']}: {key} = {row[key]}, expected {want}"


def material_row(result, material):
    bm = result.by_material.set_index("material")
    return bm.loc[material]


# --- row 1: a yard whose stock goes 0 → 70 t: nothing is drawn from an empty yard -----------------------------

@pytest.mark.parametrize("with_stock", [True, False], ids=["stock-0-to-70", "no-stock-data"])
def test_row1_yard_filling_from_empty_draws_nothing(with_stock):
    # 100 t fly ash into the yard, 30 t out to cement. Stock 0 → 70: newly stored 70, drawn 0, 30 pass through.
    # Without stock data the stock change is the balance 100 − 30 = 70: the same. Rate = 30 ÷ 100.
    park = park_of([P("plant", "production"), P("yard", "storage"), P("cement", "production")],
                   [F("plant", "yard", "fly_ash", 100), F("yard", "cement", "fly_ash", 30)],
                   [{"process": "yard", "material": "fly_ash", "opening": 0, "closing": 70}] if with_stock else None)
    r = rates(park)
    assert_row(r.get(ISW), value=0.30, numerator=30, denominator=100, traced=0.30, lower=0.30, upper=0.30,
               unresolved=0)
    fa = material_row(r, "fly_ash")
    assert (fa["generated"], fa["prior_year_drawn"], fa["stored"], fa["utilised"]) == (100, 0, 70, 30)
    assert (fa["traced_prior_year_drawn"], fa["traced_stored"]) == (0, 70)


def test_row1_yard_drawn_down_gives_prior_year_storage():
    # The other direction: stock 100 → 70 with 50 in and 80 out: drawn 30 (prior-year), 50 pass through.
    # utilised = 80 (50 this year's + 30 prior-year), rate = 80 ÷ (50 + 30).
    park = park_of([P("plant", "production"), P("yard", "storage"), P("cement", "production")],
                   [F("plant", "yard", "fly_ash", 50), F("yard", "cement", "fly_ash", 80)],
                   [{"process": "yard", "material": "fly_ash", "opening": 100, "closing": 70}])
    r = rates(park)
    fa = material_row(r, "fly_ash")
    assert (fa["generated"], fa["prior_year_drawn"], fa["prior_utilised"], fa["stored"]) == (50, 30, 30, 0)
    assert_row(r.get(ISW), value=1.0, numerator=80, denominator=80, traced=1.0)


# --- row 2: a same-year buffer changes nothing ----------------------------------------------------------------

def test_row2_same_year_buffer_is_transparent():
    # 100 t in and out of a yard whose stock stays 500 t: N = 0, D = 0, all 100 t pass through → 100 %.
    procs = [P("plant", "production"), P("yard", "storage"), P("cement", "production")]
    park = park_of(procs, [F("plant", "yard", "fly_ash", 100), F("yard", "cement", "fly_ash", 100)],
                   [{"process": "yard", "material": "fly_ash", "opening": 500, "closing": 500}])
    r = rates(park)
    assert_row(r.get(ISW), value=1.0, numerator=100, denominator=100, traced=1.0, lower=1.0, upper=1.0)
    fa = material_row(r, "fly_ash")
    assert (fa["stored"], fa["prior_year_drawn"], fa["traced_stored"]) == (0, 0, 0)


# --- row 3: waste exported with no declared fate is unresolved -------------------------------------------------

def _export_park(export_fate=None, flow_fate=None):
    other = P("other_park", "export", **({"fate": export_fate} if export_fate else {}))
    out = F("plant", "other_park", "fly_ash", 70, **({"fate": flow_fate} if flow_fate else {}))
    return park_of([P("plant", "production"), other, P("cement", "production")],
                   [out, F("plant", "cement", "fly_ash", 30)])


def test_row3_export_without_fate_is_unresolved_with_bounds_and_warning():
    r = rates(_export_park())
    # value = 30 ÷ 100 (the 70 t stay in the denominator); lower 30 %, upper (30 + 70) ÷ 100.
    assert_row(r.get(ISW), value=0.30, numerator=30, denominator=100, traced=0.30, lower=0.30, upper=1.0,
               unresolved=70)
    assert any("other_park" in i and "no declared fate" in i and "70" in i for i in r.issues), r.issues
    assert r.to_dict()["warnings"] == r.issues


def test_row3_export_process_fate_resolves_it():
    r = rates(_export_park(export_fate="utilised"))
    assert_row(r.get(ISW), value=1.0, numerator=100, denominator=100, traced=1.0, lower=1.0, upper=1.0,
               unresolved=0)
    assert not any("other_park" in i for i in r.issues)


def test_row3_flow_fate_overrides_process_fate():
    r = rates(_export_park(export_fate="utilised", flow_fate="disposed"))
    assert_row(r.get(ISW), value=0.30, unresolved=0, lower=0.30, upper=0.30)
    assert_row(r.get(ISW_DISP), value=0.70, numerator=70, denominator=100)


# --- row 4: a blank flow fixed by the plant's balance ---------------------------------------------------------

def _blank_landfill_park():
    # The plant takes 120 t of coal; 70 t fly ash to cement, the landfill flow blank: the balance gives 50 t.
    return park_of([P("coal", "import"), P("plant", "production"), P("cement", "production"), P("dump", "landfill"),
                    P("market", "export")],
                   [F("coal", "plant", "raw_coal", 120), F("plant", "cement", "fly_ash", 70),
                    F("plant", "dump", "fly_ash", None), F("cement", "market", "cement", 70)])


def test_row4_blank_flow_solved_first():
    park = _blank_landfill_park()
    s = solve_park(park)
    assert s.computed[["id", "value"]].to_dict("records") == [{"id": "plant>dump:fly_ash", "value": 50.0}]
    r = rates(park)
    assert_row(r.get(ISW), value=70 / 120, numerator=70, denominator=120, traced=70 / 120, lower=70 / 120,
               upper=70 / 120, unresolved=0)
    assert_row(r.get(DIVERSION), value=70 / 120, numerator=70, denominator=120)
    assert "computed" in r.solver_note


def test_row4_as_given_counts_the_blank_as_unresolved_with_its_balance_bound():
    # As given the blank flow is not traced: value = 70 ÷ 70, but the plant's balance bounds the blank at
    # 120 − 70 = 50 t, so lower = 70 ÷ 120 and the 50 t are unresolved.
    r = rates(_blank_landfill_park(), solve=False)
    assert_row(r.get(ISW), value=1.0, numerator=70, denominator=70, lower=70 / 120, upper=1.0, unresolved=50)
    assert any("plant>dump:fly_ash" in i and "no value" in i for i in r.issues)


# --- row 5: a slag processor — official by kind, traced whatever the kind ------------------------------------

@pytest.mark.parametrize("kind, official, official_num, official_den, official_unresolved, warned", [
    # production: 100 t handed to a user = utilised; its 40 t residue is its own generation (disposed):
    # 100 ÷ (100 + 40) = 71.43 %
    ("production", 100 / 140, 100, 140, 0, False),
    # treatment: a flow into treatment is disposed; the residue is the handler's own generation: 0 ÷ 140
    ("treatment", 0.0, 0, 140, 0, True),
    # collection passes on 40 of 100 t; the other 60 t are not passed on (unresolved): 0 ÷ 100
    ("collection", 0.0, 0, 100, 60, True),
])
def test_row5_slag_processor(kind, official, official_num, official_den, official_unresolved, warned):
    park = park_of([P("steelworks", "production"), P("slag_plant", kind), P("dump", "landfill"),
                    P("market", "export")],
                   [F("steelworks", "slag_plant", "steel_slag", 100),
                    F("slag_plant", "market", "steel_slag_powder", 60),
                    F("slag_plant", "dump", "steel_slag", 40)])
    r = rates(park)
    # traced: the plant receives 100 t of waste and sends 40 t on; it absorbs 60 t, all leaving as products
    # (steel-slag powder): utilised 60 of 100 generated = 60 %, whatever the kind.
    row = r.get(ISW)
    assert_row(row, value=official, numerator=official_num, denominator=official_den, traced=0.60,
               traced_numerator=60, traced_denominator=100, lower=min(official, 0.6), upper=max(official, 0.6),
               unresolved=official_unresolved)
    kind_warning = [i for i in r.issues if "slag_plant" in i and f"of kind {kind}" in i and "production" in i]
    assert bool(kind_warning) == warned, r.issues


# --- row 6: straw, the printed formula computed literally -----------------------------------------------------

def test_row6_straw_prior_year_bales_in_the_numerator_only():
    # 100 t collectable straw: 70 t fed, 30 t burnt in the open; 10 t of last year's bales drawn (stock 10 → 0)
    # and fed. Straw rate = utilised ÷ collectable = (70 + 10) ÷ 100; the bulk rate keeps the storage term
    # in its denominator: (70 + 10) ÷ (100 + 10).
    park = park_of([P("farms", "production"), P("bales", "storage"), P("dairy", "production"),
                    P("fields", "environment")],
                   [F("farms", "dairy", "straw_maize", 70, route="feed"), F("farms", "fields", "straw_maize", 30),
                    F("bales", "dairy", "straw_maize", 10, route="feed")],
                   [{"process": "bales", "material": "straw_maize", "opening": 10, "closing": 0}])
    r = rates(park)
    assert_row(r.get(STRAW), value=0.80, numerator=80, denominator=100, traced=0.80, lower=0.80, upper=0.80)
    assert_row(r.get(BULK), value=80 / 110, numerator=80, denominator=110)
    assert "collectable" in r.get(STRAW)["formula"]


def test_row6_literal_formula_may_exceed_one_and_stays_within_its_bounds():
    # 100 t collectable straw all fed, plus 20 t of prior-year bales fed: 120 ÷ 100 = 120 %, literally.
    park = park_of([P("farms", "production"), P("bales", "storage"), P("dairy", "production")],
                   [F("farms", "dairy", "straw_maize", 100, route="feed"),
                    F("bales", "dairy", "straw_maize", 20, route="feed")],
                   [{"process": "bales", "material": "straw_maize", "opening": 20, "closing": 0}])
    r = rates(park)
    assert_row(r.get(STRAW), value=1.2, numerator=120, denominator=100, traced=1.2, lower=1.2, upper=1.2)
    assert_row(r.get(BULK), value=1.0, numerator=120, denominator=120)


def test_bounds_of_a_rate_with_prior_year_terms_in_its_denominator():
    # 10 t fly ash to cement; 10 t of prior-year ash (yard 10 → 0) exported with no fate. If the receiver uses
    # it: (10 + 10) ÷ (10 + 10) = 100 %; if not: 10 ÷ 10 = 100 %. Either way the ISW rate is 1.
    procs = [P("plant", "production"), P("yard", "storage"), P("cement", "production"), P("other_park", "export")]
    flows = [F("plant", "cement", "fly_ash", 10), F("yard", "other_park", "fly_ash", 10)]
    stocks = [{"process": "yard", "material": "fly_ash", "opening": 10, "closing": 0}]
    r = rates(park_of(procs, flows, stocks))
    assert_row(r.get(ISW), value=1.0, unresolved=10, lower=1.0, upper=1.0)
    # disposal rate: 0 ÷ 10 if the receiver uses it, 10 ÷ (10 + 10) if it disposes of it
    assert_row(r.get(ISW_DISP), value=0.0, lower=0.0, upper=0.5)


def test_row6_bayannur_straw_rate_by_hand():
    # Collectable straw = crop output × 草谷比 × 可收集系数 0.864 (shipped straw.csv; sunflower 2.0 from the
    # park's coefficients.csv): maize 500 000 × 1.147, wheat 150 000 × 1.123, sunflower 120 000 × 2.0.
    collectable = (500_000 * 1.147 + 150_000 * 1.123 + 120_000 * 2.0) * 0.864
    assert collectable == pytest.approx(848_404.8)
    # utilised: the five uses take 0.2 + 0.03774 + 0.58229 + 0.01798 + 0.01199 = 0.85 of each straw point,
    # plus 1.5万t of prior-year bales (straw_depot stock 2 → 0.5万t) fed: numerator only.
    shares = 0.2 + 0.03774 + 0.58229 + 0.01798 + 0.01199
    utilised = shares * collectable + 15_000
    assert utilised == pytest.approx(736_144.08)
    row = rates(mfa.read_park("bayannur")).get(STRAW)
    assert_row(row, numerator=utilised, denominator=collectable, value=utilised / collectable)
    assert round(row["value"], 4) == 0.8677


# --- row 7: treatment residues reaching a landfill count as landfilled ---------------------------------------

def test_row7_treatment_residue_to_secure_landfill():
    # 100 t waste oil incinerated; 30 t of incineration residue to the secure landfill, 70 t leave as flue gas.
    # official: generated = 100 + 30 (the handler's residue is its own generation), landfilled 30:
    #   diversion (130 − 30) ÷ 130 = 76.92 %.
    # traced: the 30 t residue is the same stream; generated 100, landfilled 30: (100 − 30) ÷ 100 = 70 %.
    park = park_of([P("plant", "production"), P("incinerator", "treatment"), P("secure_landfill", "landfill"),
                    P("air", "environment")],
                   [F("plant", "incinerator", "hw08_waste_mineral_oil", 100),
                    F("incinerator", "secure_landfill", "hw18_incineration_residues", 30),
                    F("incinerator", "air", "flue_gas", 70)])
    r = rates(park)
    assert_row(r.get(DIVERSION), value=100 / 130, numerator=100, denominator=130, traced=0.70,
               traced_numerator=70, traced_denominator=100, lower=0.70, upper=100 / 130)
    assert r.get(DIVERSION)["value"] < 1 and r.get(DIVERSION)["traced"] < 1
    # the HW rate: everything utilised or disposed in both conventions
    assert_row(r.get(HW), value=1.0, numerator=130, denominator=130, traced=1.0)


def test_row7_hazardous_park_landfill_diversion_below_one():
    r = rates(mfa.read_park("hazardous"))
    row = r.get(DIVERSION)
    assert row["value"] < 1 and row["traced"] < 1 and row["upper"] < 1


# --- row 8: hazardous waste to a handler outside the park ----------------------------------------------------

@pytest.mark.parametrize("fate, value, lower, upper, unresolved", [
    (None, 0.0, 0.0, 1.0, 400),          # no fate: unresolved, 0 ÷ 400, bounds 0 – 100 %
    ("disposed", 1.0, 1.0, 1.0, 0),      # a licensed handler disposing of it: 400 ÷ 400
    ("utilised", 1.0, 1.0, 1.0, 0),
])
def test_row8_hw_to_export_handler(fate, value, lower, upper, unresolved):
    park = park_of([P("dismantler", "production"), P("hw_handler", "export", **({"fate": fate} if fate else {}))],
                   [F("dismantler", "hw_handler", "hw49_other_wastes", 400)])
    r = rates(park)
    assert_row(r.get(HW), value=value, numerator=400 * value, denominator=400, traced=value, lower=lower,
               upper=upper, unresolved=unresolved)
    warned = any("hw_handler" in i and "no declared fate" in i for i in r.issues)
    assert warned == (fate is None)


# --- row 9: post-consumer waste of a consumption process is generated -----------------------------------------

def test_row9_consumption_scrap_counts_as_generated():
    # The city (consumption) hands 100 t scrap to a recycling station: 90 t to the steel mill, 10 t landfilled.
    # 50 t of scrap imported from outside go straight to the mill: imported, in no rate.
    # renewable-resource rate = 90 ÷ 100 in both conventions.
    procs = [P("city", "consumption"), P("station", "collection"), P("mill", "production"), P("dump", "landfill"),
             P("scrap_market", "import"), P("market", "export")]
    flows = [F("city", "station", "scrap_steel", 100), F("station", "mill", "scrap_steel", 90),
             F("station", "dump", "scrap_steel", 10), F("scrap_market", "mill", "scrap_steel", 50),
             F("mill", "market", "crude_steel", 140)]
    r = rates(park_of(procs, flows))
    assert_row(r.get(RENEW), value=0.90, numerator=90, denominator=100, traced=0.90, lower=0.90, upper=0.90)
    s = material_row(r, "scrap_steel")
    assert (s["generated"], s["imported"], s["imported_utilised"], s["traced_generated"]) == (100, 50, 50, 100)
    # the same scrap arriving from an import process is not generated here: no rate
    procs[0] = P("city", "import")
    r = rates(park_of(procs, flows))
    row = r.get(RENEW)
    assert row["value"] is None or math.isnan(row["value"])
    assert row["denominator"] == 0 and "no renewable resource waste generated" in row["reason"]


# --- sorting at a collection point (docs §2.4) ---------------------------------------------------------------

@pytest.mark.parametrize("convention", ["official", "traced"])
def test_sorting_residue_continues_the_stream_it_was_sorted_from(convention):
    # 100 t waste paper into a sorting centre; 80 t paper to the mill and 30 t sorting residue landfilled. The
    # 20 t of paper that do not leave as paper are the residue's first 20 t (same stream, disposed); only the
    # residue's other 10 t are the centre's own surplus (collection_excess, generated).
    park = park_of([P("city", "consumption"), P("sorting", "collection"), P("mill", "production"),
                    P("fill", "landfill")],
                   [F("city", "sorting", "waste_paper", 100), F("sorting", "mill", "waste_paper", 80),
                    F("sorting", "fill", "sorting_residue", 30)])
    t = mfa.trace(park, convention=convention).table
    got = {(r.material, r.stage, r.fate): r.tonnes for r in t.itertuples()}
    assert got == {("waste_paper", "generated", "utilised"): pytest.approx(80),
                   ("waste_paper", "generated", "disposed"): pytest.approx(20),
                   ("sorting_residue", "collection_excess", "disposed"): pytest.approx(10)}


# --- CLI ----------------------------------------------------------------------------------------------------

def _write(folder, processes, flows):
    import pandas as pd

    folder.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(processes).to_csv(folder / "processes.csv", index=False)
    pd.DataFrame(flows).to_csv(folder / "flows.csv", index=False)
    return str(folder)


def test_cli_indicators_json_has_the_convention_keys_on_every_indicator(capsys):
    assert main(["indicators", "hazardous", "--json", "--no-targets"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert len(doc["indicators"]) == 10
    for row in doc["indicators"]:
        for key in ("value", "numerator", "denominator", "formula") + NEW_KEYS:
            assert key in row, (row["id"], key)
    diversion = next(r for r in doc["indicators"] if r["id"] == DIVERSION)
    assert diversion["lower"] <= diversion["traced"] <= diversion["value"] <= diversion["upper"] < 1
    for row in doc["by_material"]:
        assert all("traced_" + t in row for t in ("generated", "prior_year_drawn") + FATE_TERMS)
    assert doc["conventions"]["value"] == "official" and doc["conventions"]["traced"] == "traced"


def test_cli_indicators_json_unresolved_export(tmp_path, capsys):
    folder = _write(tmp_path / "p", [P("plant", "production"), P("other_park", "export"), P("cement", "production")],
                    [F("plant", "other_park", "fly_ash", 70), F("plant", "cement", "fly_ash", 30)])
    assert main(["indicators", folder, "--json", "--no-targets"]) == 0
    doc = json.loads(capsys.readouterr().out)
    row = next(r for r in doc["indicators"] if r["id"] == ISW)
    assert_row(row, value=0.3, traced=0.3, lower=0.3, upper=1.0, unresolved=70)
    assert any("other_park" in w and "no declared fate" in w for w in doc["warnings"])
    assert main(["indicators", folder, "--no-targets"]) == 0
    out = capsys.readouterr().out
    assert "traced" in out and "official" in out and "other_park" in out


def test_cli_indicators_as_given(tmp_path, capsys):
    folder = _write(tmp_path / "p", [P("coal", "import"), P("plant", "production"), P("cement", "production"),
                                     P("dump", "landfill"), P("market", "export")],
                    [F("coal", "plant", "raw_coal", 120), F("plant", "cement", "fly_ash", 70),
                     F("plant", "dump", "fly_ash", ""), F("cement", "market", "cement", 70)])
    assert main(["indicators", folder, "--json", "--no-targets"]) == 0
    solved = {r["id"]: r for r in json.loads(capsys.readouterr().out)["indicators"]}
    assert solved[ISW]["value"] == pytest.approx(70 / 120)
    assert main(["indicators", folder, "--json", "--no-targets", "--as-given"]) == 0
    given = {r["id"]: r for r in json.loads(capsys.readouterr().out)["indicators"]}
    assert given[ISW]["value"] == pytest.approx(1.0)
    assert given[ISW]["lower"] == pytest.approx(70 / 120) and given[ISW]["unresolved"] == pytest.approx(50)


def test_cli_trace_traced_convention_json(tmp_path, capsys):
    folder = _write(tmp_path / "p", [P("steelworks", "production"), P("slag_plant", "production"),
                                     P("dump", "landfill"), P("market", "export")],
                    [F("steelworks", "slag_plant", "steel_slag", 100),
                     F("slag_plant", "market", "steel_slag_powder", 60), F("slag_plant", "dump", "steel_slag", 40)])
    assert main(["trace", folder, "--convention", "traced", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["convention"] == "traced"
    fates = {(r["origin"], r["fate"]): r["tonnes"] for r in doc["fates"]}
    assert fates == {("steelworks", "utilised"): pytest.approx(60), ("steelworks", "disposed"): pytest.approx(40)}
    assert main(["trace", folder, "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["convention"] == "official"
    fates = {(r["origin"], r["fate"]): r["tonnes"] for r in doc["fates"]}
    assert fates == {("steelworks", "utilised"): pytest.approx(100), ("slag_plant", "disposed"): pytest.approx(40)}


# --- property tests on random small parks -------------------------------------------------------------------

#: (material, may be stored). Stored straw and scrap exercise the literal formulas (prior-year tonnes in the
#: numerator only), which may exceed 1.
MATERIALS = (("fly_ash", True), ("coal_gangue", True), ("hw08_waste_mineral_oil", True),
             ("scrap_steel", True), ("straw_maize", True))
SINKS = ("use_a", "use_b", "treat", "fill", "export_fated", "export_open", "env")
PROCESSES = [P("gen_a", "production"), P("gen_b", "production"), P("city", "consumption"),
             P("coll_a", "collection"), P("coll_b", "collection"), P("store", "storage"),
             P("use_a", "production"), P("use_b", "production"), P("treat", "treatment"), P("fill", "landfill"),
             P("export_fated", "export", fate="utilised"), P("export_open", "export"), P("env", "environment")]
SETTINGS = dict(max_examples=40, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
TONNES = st.integers(min_value=1, max_value=200)


@st.composite
def random_parks(draw, residues=True):
    """Generators → collection points (and a store) → users, treatment, landfill, exports, environment.
    ``residues``: whether users and the treatment plant may send waste on (a process that both receives and
    sends waste). Returns (processes, flows as a dict {(source, target, material): t/a}, stocks)."""
    flows: dict = {}

    def add(s, t, m, v):
        flows[(s, t, m)] = flows.get((s, t, m), 0) + v

    gens = draw(st.lists(st.sampled_from(["gen_a", "gen_b", "city"]), min_size=1, max_size=3, unique=True))
    stored_materials = set()
    for g in gens:
        for m, storable in draw(st.lists(st.sampled_from(MATERIALS), min_size=1, max_size=2, unique=True)):
            targets = ["coll_a", "coll_b"] + list(SINKS) + (["store"] if storable else [])
            for t in draw(st.lists(st.sampled_from(targets), min_size=1, max_size=3, unique=True)):
                add(g, t, m, draw(TONNES))
                if t == "store":
                    stored_materials.add(m)
    if draw(st.integers(0, 3)):  # a store in most parks (fed this year, or only drawn down)
        m = draw(st.sampled_from([m for m, storable in MATERIALS if storable]))
        if draw(st.booleans()):
            add(draw(st.sampled_from(gens)), "store", m, draw(TONNES))
        stored_materials.add(m)
    # collection points pass on, leak (unresolved) or send out more (collection_excess); coll_a → coll_b only
    for c, nxt in (("coll_a", ["coll_b"]), ("coll_b", [])):
        for m in sorted({k[2] for k in flows if k[1] == c}):
            for t in draw(st.lists(st.sampled_from(list(SINKS) + nxt), min_size=1, max_size=3, unique=True)):
                add(c, t, m, draw(TONNES))
    stocks = []
    for m in sorted(stored_materials):
        fed = any(k[1] == "store" and k[2] == m for k in flows)
        for t in draw(st.lists(st.sampled_from(["use_a", "fill", "export_open"]), min_size=0 if fed else 1,
                               max_size=2, unique=True)):
            add("store", t, m, draw(TONNES))
        if draw(st.integers(0, 3)):  # stock data in three parks of four
            stocks.append({"process": "store", "material": m, "opening": draw(st.integers(0, 300)),
                           "closing": draw(st.integers(0, 300))})
    if residues and draw(st.integers(0, 2)):
        for s in draw(st.lists(st.sampled_from(["use_a", "treat"]), min_size=1, max_size=2, unique=True)):
            if any(k[1] == s for k in flows):
                m = draw(st.sampled_from(["fly_ash", "hw18_incineration_residues"]))
                add(s, draw(st.sampled_from(["fill", "export_open", "coll_b"])), m, draw(TONNES))
    return flows, stocks


def build(flows: dict, stocks=(), processes=PROCESSES):
    used = {p for k in flows for p in k[:2]}
    procs = [p for p in processes if p["id"] in used]
    return park_of(procs, [F(s, t, m, float(v)) for (s, t, m), v in sorted(flows.items())], list(stocks) or None)


RATE_COLS = ("value", "traced", "lower", "upper", "unresolved")


def _table(result):
    t = result.table.set_index("id")
    return t.loc[t["unit"] == "t/t", list(RATE_COLS) + ["numerator", "denominator", "traced_numerator",
                                                           "traced_denominator"]].astype(float)


@settings(**SETTINGS)
@given(random_parks())
def test_property_values_lie_within_bounds(case):
    flows, stocks = case
    t = _table(rates(build(flows, stocks)))
    tol = 1e-9
    for rid, row in t.iterrows():
        if np.isnan(row["lower"]):
            assert np.isnan(row["value"]) and np.isnan(row["traced"]), rid
            continue
        assert row["lower"] <= row["upper"] + tol, rid
        for col in ("value", "traced"):
            if not np.isnan(row[col]):
                assert row["lower"] - tol <= row[col] <= row["upper"] + tol, (rid, col, dict(row))


@settings(**SETTINGS)
@given(random_parks(residues=False))
def test_property_conventions_agree_when_no_process_receives_and_sends_waste(case):
    flows, stocks = case
    r = rates(build(flows, stocks))
    t = _table(r)
    np.testing.assert_allclose(t["value"].to_numpy(), t["traced"].to_numpy(), rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(t["numerator"].to_numpy(), t["traced_numerator"].to_numpy(), rtol=1e-9, atol=1e-9)
    bm = r.by_material
    for term in ("generated", "prior_year_drawn") + FATE_TERMS:
        np.testing.assert_allclose(bm[term].to_numpy(float), bm["traced_" + term].to_numpy(float), atol=1e-9,
                                   err_msg=term)


@settings(**SETTINGS)
@given(random_parks(), st.data())
def test_property_same_year_buffer_changes_nothing(case, data):
    flows, stocks = case
    before = _table(rates(build(flows, stocks)))
    key = data.draw(st.sampled_from(sorted(flows)))
    s, t, m = key
    v = flows[key]
    buffered = {k: x for k, x in flows.items() if k != key}
    buffered[(s, "buffer", m)] = v
    buffered[("buffer", t, m)] = v
    level = data.draw(st.one_of(st.none(), st.integers(0, 1000)))
    buf_stock = [] if level is None else [{"process": "buffer", "material": m, "opening": level, "closing": level}]
    after = _table(rates(build(buffered, list(stocks) + buf_stock, PROCESSES + [P("buffer", "storage")])))
    np.testing.assert_allclose(after.to_numpy(), before.to_numpy(), rtol=1e-9, atol=1e-9, equal_nan=True)


@settings(**SETTINGS)
@given(random_parks(), st.sampled_from(["utilised", "disposed"]))
def test_property_resolving_an_export_stays_within_the_bounds(case, fate):
    flows, stocks = case
    before = _table(rates(build(flows, stocks)))
    procs = [dict(p, fate=fate) if p["id"] == "export_open" else p for p in PROCESSES]
    r = rates(build(flows, stocks, procs))
    after = _table(r)
    assert not any("'export_open' with no declared fate" in i for i in r.issues)
    tol = 1e-9
    for rid, row in after.iterrows():
        lo, hi = before.at[rid, "lower"], before.at[rid, "upper"]
        assert row["unresolved"] <= before.at[rid, "unresolved"] + tol, rid
        for col in ("value", "traced"):
            if not np.isnan(row[col]):
                assert lo - tol <= row[col] <= hi + tol, (rid, col, row[col], lo, hi)


@settings(**SETTINGS)
@given(random_parks())
def test_property_nbs_identity_in_both_views(case):
    flows, stocks = case
    park = build(flows, stocks)
    bm = rates(park).by_material
    for prefix in ("", "traced_"):
        lhs = bm[prefix + "generated"] + bm[prefix + "prior_year_drawn"]
        rhs = sum(bm[prefix + term] for term in FATE_TERMS)
        np.testing.assert_allclose(lhs.to_numpy(float), rhs.to_numpy(float), rtol=1e-9, atol=1e-6,
                                   err_msg=f"{prefix}identity")
    # generated, independently of the trace: every waste flow leaving a generating process (official), or
    # what a transforming process sends beyond what it receives (traced), plus what the store sends beyond
    # what it receives and draws from its stock, plus a collection point's sorting residue: what its materials
    # send out beyond their intake, less what other materials lack on the way out (the same stream).
    def tonnes(**where):
        return sum(v for (s, t, m), v in flows.items()
                   if all({"s": s, "t": t, "m": m}[k] == x for k, x in where.items()))

    materials = {k[2] for k in flows}
    excess = 0.0
    for m in materials:
        into, out = tonnes(t="store", m=m), tonnes(s="store", m=m)
        row = [x for x in stocks if x["material"] == m]
        delta = row[0]["closing"] - row[0]["opening"] if row else into - out
        newly, drawn = min(max(delta, 0.0), into), max(-delta, 0.0)
        sent = max(0.0, out - max(0.0, min(into - newly, out - drawn)))
        excess += sent - min(drawn, sent)
    for c in ("coll_a", "coll_b"):
        surplus = sum(max(0.0, tonnes(s=c, m=m) - tonnes(t=c, m=m)) for m in materials)
        deficit = sum(max(0.0, tonnes(t=c, m=m) - tonnes(s=c, m=m)) for m in materials)
        excess += max(0.0, surplus - deficit)
    kind = {p["id"]: p["kind"] for p in PROCESSES}
    official = sum(v for (s, t, m), v in flows.items() if kind[s] in ("production", "treatment", "consumption"))
    assert bm["generated"].sum() == pytest.approx(official + excess, abs=1e-6)
    traced = sum(max(0.0, tonnes(s=p) - tonnes(t=p)) for p in ("gen_a", "gen_b", "city", "use_a", "use_b", "treat"))
    assert bm["traced_generated"].sum() == pytest.approx(traced + excess, abs=1e-6)
