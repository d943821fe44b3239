"""The substance layer (mfa.substance): concentrations read and checked, substance flows solved and reconciled
jointly with the goods (checked against scipy), fates and recovery by substance."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import mfa
from mfa.errors import MfaError, ParkError
from mfa.substance import (SubstanceLayer, example, read_substances, reconcile_substances, substance_fates)
from tests.conftest import P, flow, park_of, write_park


def test_hand_case_slag_alumina_and_recovery():
    # 100 t at 48 % + 50 t at 0 % in; 40 t at 98.5 % out: slag = (48 − 39.4) / 110 = 7.818 %, recovery 39.4/48
    park, layer = example()
    r = reconcile_substances(park, layer)
    assert r.concentration("line>dump:silicon_calcium_slag", "Al2O3") == pytest.approx(8.6 / 110, rel=1e-12)
    assert round(r.concentration("line>dump:silicon_calcium_slag", "Al2O3") * 100, 3) == 7.818
    rec = r.recovery.set_index("process").loc["line"]
    assert rec["recovery"] == pytest.approx(39.4 / 48, rel=1e-12)
    assert round(rec["recovery"] * 100, 2) == 82.08
    slag = r.substance_flows.set_index("flow").loc["line>dump:silicon_calcium_slag"]
    assert slag["status"] == "computed" and slag["value"] == pytest.approx(8.6)
    f = substance_fates(park, layer, result=r).fates
    fates = f[f["material"] == "high_alumina_fly_ash"].set_index("fate")["share"]
    assert fates["products"] == pytest.approx(39.4 / 48) and fates["landfill"] == pytest.approx(8.6 / 48)


def _measured_case(c_slag_sigma=0.01):
    park = park_of([P("ash", "import"), P("lime", "import"), P("line", "production"), P("out", "export"),
                    P("dump", "landfill")],
                   [flow("ash", "line", 100, 5, material="high_alumina_fly_ash"),
                    flow("lime", "line", 50, 2, material="quicklime"),
                    flow("line", "out", 40, 2, material="alumina"),
                    flow("line", "dump", 115, 5, material="silicon_calcium_slag")])
    layer = SubstanceLayer.from_frames(park, [
        {"material": "high_alumina_fly_ash", "substance": "Al2O3", "value": 48, "unit": "%", "sigma": 2},
        {"material": "quicklime", "substance": "Al2O3", "value": 0},
        {"material": "alumina", "substance": "Al2O3", "value": 98.5, "unit": "%"},
        {"material": "silicon_calcium_slag", "substance": "Al2O3", "value": 7, "unit": "%",
         "sigma": c_slag_sigma * 100}])
    return park, layer


def test_joint_reconciliation_matches_scipy_to_six_digits():
    from scipy.optimize import minimize

    park, layer = _measured_case()
    r = reconcile_substances(park, layer)
    xm = np.array([100, 50, 40, 115, 0.48, 0.07])
    sd = np.array([5, 2, 2, 5, 0.02, 0.01])

    def objective(x):
        return float(np.sum(((x - xm) / sd) ** 2))

    cons = [{"type": "eq", "fun": lambda x: x[0] + x[1] - x[2] - x[3]},
            {"type": "eq", "fun": lambda x: x[0] * x[4] - x[2] * 0.985 - x[3] * x[5]}]
    ref = minimize(objective, xm, constraints=cons, method="SLSQP", options={"ftol": 1e-16, "maxiter": 500})
    assert ref.success
    goods = r.flows.set_index("id")["value"]
    got = np.array([goods["ash>line:high_alumina_fly_ash"], goods["lime>line:quicklime"],
                    goods["line>out:alumina"], goods["line>dump:silicon_calcium_slag"],
                    r.concentration("ash>line:high_alumina_fly_ash", "Al2O3"),
                    r.concentration("line>dump:silicon_calcium_slag", "Al2O3")])
    np.testing.assert_allclose(got, ref.x, rtol=1e-6)
    assert r.chi2 == pytest.approx(ref.fun, rel=1e-6)
    assert r.dof == 2
    sf = r.substance_flows.set_index("flow")
    assert set(sf["status"]) == {"reconciled"}  # every substance flow has a reconciled goods flow or content
    # the constraints hold at the solution and σ shrank below the measurements' σ
    assert got[0] * got[4] == pytest.approx(got[2] * 0.985 + got[3] * got[5], rel=1e-10)
    assert 0 < sf.loc["ash>line:high_alumina_fly_ash", "concentration_sigma"] < 0.02


def test_sigma_of_computed_concentration_by_first_order_propagation():
    # slag concentration unknown: c4 = (f1 c1 − 0.985 f3) / f4, all else exact but c1 measured (σ 0.02)
    park, layer = example()
    layer = SubstanceLayer.from_frames(park, [
        {"material": "high_alumina_fly_ash", "substance": "Al2O3", "value": 48, "unit": "%", "sigma": 2},
        {"material": "quicklime", "substance": "Al2O3", "value": 0},
        {"material": "alumina", "substance": "Al2O3", "value": 98.5, "unit": "%"}])
    r = reconcile_substances(park, layer)
    slag = r.substance_flows.set_index("flow").loc["line>dump:silicon_calcium_slag"]
    assert slag["concentration_sigma"] == pytest.approx(100 * 0.02 / 110, rel=1e-9)
    assert slag["sigma"] == pytest.approx(100 * 0.02, rel=1e-9)


def test_contradicting_exact_substance_data_name_the_process():
    park, _ = example()
    layer = SubstanceLayer.from_frames(park, [
        {"material": "high_alumina_fly_ash", "substance": "Al2O3", "value": 30, "unit": "%"},
        {"material": "quicklime", "substance": "Al2O3", "value": 0},
        {"material": "alumina", "substance": "Al2O3", "value": 98.5, "unit": "%"},
        {"material": "silicon_calcium_slag", "substance": "Al2O3", "value": 10, "unit": "%"}])
    with pytest.raises(MfaError, match="Al2O3 balance of process 'line'"):
        reconcile_substances(park, layer)


def test_substance_transfer_coefficient_splits_the_input():
    park = park_of([P("in", "import"), P("inc", "treatment"), P("air", "environment"), P("fill", "landfill")],
                   [flow("in", "inc", 100, material="hw49_other_wastes"),
                    flow("inc", "air", 80, material="flue_gas"),
                    flow("inc", "fill", 20, material="hw_incineration_fly_ash")])
    layer = SubstanceLayer.from_frames(
        park, [{"material": "hw49_other_wastes", "substance": "Hg", "value": 5, "unit": "mg/kg"}],
        [{"process": "inc", "substance": "Hg", "flow": "inc>air:flue_gas", "share": 0.3}])
    r = reconcile_substances(park, layer)
    sf = r.substance_flows.set_index("flow")
    assert sf.loc["inc>air:flue_gas", "value"] == pytest.approx(100 * 5e-6 * 0.3)
    assert sf.loc["inc>fill:hw_incineration_fly_ash", "concentration"] == pytest.approx(100 * 5e-6 * 0.7 / 20)
    f = substance_fates(park, layer, "Hg", result=r).fates
    fates = f[f["material"] == "hw49_other_wastes"].set_index("fate")["share"]
    assert fates["air"] == pytest.approx(0.3) and fates["landfill"] == pytest.approx(0.7)


@pytest.mark.parametrize("row, message", [
    ({"material": "quicklime", "substance": "CaO", "value": 55, "unit": "percent"}, "unknown concentration unit"),
    ({"material": "quicklime", "substance": "CaO", "value": 101, "unit": "%"}, "more than 100 %"),
    ({"material": "lime_mud", "substance": "CaO", "value": 5, "unit": "%"}, "not a material of the park"),
    ({"flow": "a>b:c", "substance": "CaO", "value": 5, "unit": "%"}, "not a flow of the park"),
    ({"material": "quicklime", "flow": "lime>line:quicklime", "substance": "CaO", "value": 5},
     "either a material or a flow"),
])
def test_bad_concentration_rows_are_located(row, message):
    park, _ = example()
    with pytest.raises(ParkError, match=message) as e:
        SubstanceLayer.from_frames(park, [row])
    assert e.value.issues[0].path == "concentrations[0]." + e.value.issues[0].column


def test_units_normalised_and_flow_row_overrides_material(tmp_path):
    park, _ = example()
    layer = SubstanceLayer.from_frames(park, [
        {"material": "high_alumina_fly_ash", "substance": "Hg", "value": 0.3, "unit": "mg/kg"},
        {"material": "quicklime", "substance": "Hg", "value": 2, "unit": "g/t"},
        {"material": "alumina", "substance": "Hg", "value": 0.1, "unit": "ppm"},
        {"flow": "ash>line:high_alumina_fly_ash", "substance": "Hg", "value": 0.5, "unit": "ppm"},
        {"material": "silicon_calcium_slag", "substance": "N", "value": 3, "unit": "g/kg"},
        {"material": "alumina", "substance": "N", "value": 1, "unit": "kg/t"}])
    from mfa.substance import concentration_arrays

    value, _ = concentration_arrays(park, layer)
    assert layer.substances == ("Hg", "N")
    np.testing.assert_allclose(value[0], [5e-7, 2e-6, 1e-7, np.nan])
    np.testing.assert_allclose(value[1], [np.nan, np.nan, 1e-3, 3e-3])


def test_read_from_a_csv_folder_and_located_error(tmp_path):
    folder = write_park(tmp_path / "p", processes="id,name,kind\nash,Ash,import\nline,Line,production\n"
                        "out,Out,export\n", flows="source,target,material,value\nash,line,fly_ash,10\n"
                        "line,out,fly_ash,10\n", materials=None)
    (folder / "concentrations.csv").write_text("material,substance,value,unit\nfly_ash,Al2O3,27,%\n"
                                               "fly_ash,SiO2,270,%\n", encoding="utf-8")
    park = mfa.read_park(folder)
    assert not [w for w in park.warnings if "concentrations" in str(w)]
    with pytest.raises(ParkError) as e:
        read_substances(folder, park)
    issue = e.value.issues[0]
    assert (issue.row, issue.column, issue.message) == (3, "value", "more than 100 %")
    (folder / "concentrations.csv").write_text("material,substance,value,unit\nfly_ash,Al2O3,27,%\n",
                                               encoding="utf-8")
    r = reconcile_substances(park, read_substances(folder, park))
    assert r.substance_flows["value"].tolist() == pytest.approx([2.7, 2.7])


# -- properties ---------------------------------------------------------------------------------------------

@st.composite
def chains(draw):
    """A random two-stage park: two inputs mix at a plant that splits into products and residues, with given
    input concentrations and balanced goods."""
    a = draw(st.floats(1, 1000))
    b = draw(st.floats(1, 1000))
    share = draw(st.floats(0.05, 0.95))
    ca = draw(st.floats(0, 1))
    cb = draw(st.floats(0, 1))
    tc = draw(st.floats(0, 1))
    return a, b, share, ca, cb, tc


def _chain_park(a, b, share, rows_reversed=False):
    flows = [flow("s1", "plant", a, material="fly_ash"), flow("s2", "plant", b, material="quicklime"),
             flow("plant", "out", (a + b) * share, material="alumina"),
             flow("plant", "dump", None, material="silicon_calcium_slag")]
    procs = [P("s1", "import"), P("s2", "import"), P("plant", "production"), P("out", "export"),
             P("dump", "landfill")]
    if rows_reversed:
        flows, procs = flows[::-1], procs[::-1]
    return park_of(procs, flows)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(chains())
def test_substance_flows_never_exceed_goods_flows(case):
    a, b, share, ca, cb, tc = case
    load = a * ca + b * cb                     # physically possible data: no output holds more than its mass
    assume(tc * load <= (a + b) * share and (1 - tc) * load <= (a + b) * (1 - share))
    park = _chain_park(a, b, share)
    layer = SubstanceLayer.from_frames(
        park, [{"material": "fly_ash", "substance": "X", "value": ca}, {"material": "quicklime", "substance": "X",
                                                                           "value": cb}],
        [{"process": "plant", "substance": "X", "flow": "plant>out:alumina", "share": tc}])
    r = reconcile_substances(park, layer)
    goods = r.flows.set_index("id")["value"]
    sf = r.substance_flows
    assert (sf["value"].to_numpy() <= goods.reindex(sf["flow"]).to_numpy() * (1 + 1e-9) + 1e-9).all()
    assert (sf["value"] >= -1e-9).all()


@settings(max_examples=15, deadline=None)
@given(st.floats(1, 1000), st.floats(1, 1000), st.floats(0.05, 0.95), st.floats(0, 1))
def test_equal_concentrations_balance_every_substance(a, b, share, c):
    park = _chain_park(a, b, share)
    rows = [{"material": m, "substance": s, "value": c * k} for m in ("fly_ash", "quicklime", "alumina")
            for s, k in (("X", 1.0), ("Y", 0.5))]
    r = reconcile_substances(park, SubstanceLayer.from_frames(park, rows))
    sf = r.substance_flows.set_index(["flow", "substance"])
    assert sf.loc[("plant>dump:silicon_calcium_slag", "X"), "concentration"] == pytest.approx(c, abs=1e-9)
    assert sf.loc[("plant>dump:silicon_calcium_slag", "Y"), "concentration"] == pytest.approx(c / 2, abs=1e-9)
    bal = r.balances
    assert np.allclose(bal["inputs"], bal["outputs"], rtol=1e-9, atol=1e-9)


@settings(max_examples=10, deadline=None)
@given(st.floats(1, 1000), st.floats(1, 1000), st.floats(0.05, 0.95), st.floats(0.01, 0.5))
def test_results_do_not_depend_on_row_order(a, b, share, c):
    rows = [{"material": "fly_ash", "substance": "X", "value": c, "sigma": c / 10},
            {"material": "quicklime", "substance": "X", "value": 0},
            {"material": "alumina", "substance": "X", "value": c / 2, "sigma": c / 20},
            {"material": "fly_ash", "substance": "A", "value": c / 3}]
    results = []
    for rev in (False, True):
        park = _chain_park(a, b, share, rows_reversed=rev)
        park = park.replace(flows=park.flows.assign(sigma=park.flows["value"] * 0.05))
        layer = SubstanceLayer.from_frames(park, rows[::-1] if rev else rows)
        t = reconcile_substances(park, layer).substance_flows
        results.append(t.sort_values(["substance", "flow"]).reset_index(drop=True))
    pd.testing.assert_frame_equal(results[0][["flow", "substance", "status"]],
                                  results[1][["flow", "substance", "status"]])
    np.testing.assert_allclose(results[0][["concentration", "value", "sigma"]].to_numpy(dtype=float),
                               results[1][["concentration", "value", "sigma"]].to_numpy(dtype=float),
                               rtol=1e-8, atol=1e-12)


def test_impossible_data_are_flagged():
    # all of the substance sent to a flow too small to hold it: concentration 2 → a warning naming the flow
    park = _chain_park(1.0, 1.0, 0.25)
    layer = SubstanceLayer.from_frames(
        park, [{"material": "fly_ash", "substance": "X", "value": 0}, {"material": "quicklime", "substance": "X",
                                                                          "value": 1}],
        [{"process": "plant", "substance": "X", "flow": "plant>out:alumina", "share": 1}])
    r = reconcile_substances(park, layer)
    warn = [m for m in r.messages if m.code == "substance.over_goods"]
    assert warn and "plant>out:alumina" in warn[0].message and warn[0].severity == "warning"


def test_substance_imbalance_as_given_names_the_process():
    # measured data that reconcile, but as given 48 t in and 39.4 + 0.2·110 = 61.4 t out: beyond 3σ
    park, layer = _measured_case(c_slag_sigma=0.05)
    layer = SubstanceLayer.from_frames(park, [
        {"material": "high_alumina_fly_ash", "substance": "Al2O3", "value": 48, "unit": "%", "sigma": 0.5},
        {"material": "quicklime", "substance": "Al2O3", "value": 0},
        {"material": "alumina", "substance": "Al2O3", "value": 98.5, "unit": "%"},
        {"material": "silicon_calcium_slag", "substance": "Al2O3", "value": 20, "unit": "%", "sigma": 1}])
    r = reconcile_substances(park, layer)
    bal = r.balances.set_index("process").loc["line"]
    assert bal["status"] == "imbalanced"
    assert bal["residual_as_given"] == pytest.approx(100 * 0.48 - 40 * 0.985 - 115 * 0.2)
    msg = [m for m in r.messages if m.code == "substance.imbalance"]
    assert msg and "Al2O3 balance of 'line'" in msg[0].message and "outputs exceed inputs" in msg[0].message
    assert reconcile_substances(*example()).balances["status"].tolist() == ["unchecked"]  # slag not given
    assert reconcile_substances(*_measured_case()).balances["status"].tolist() == ["balanced"]


def test_one_material_split_by_one_process_has_one_concentration():
    # the slag goes to cement and to a landfill: one stream, so one computed Al2O3 content for both flows
    park = park_of([P("ash", "import"), P("lime", "import"), P("line", "production"), P("out", "export"),
                    P("dump", "landfill"), P("cem", "export")],
                   [flow("ash", "line", 100, material="high_alumina_fly_ash"),
                    flow("lime", "line", 50, material="quicklime"),
                    flow("line", "out", 40, material="alumina"),
                    flow("line", "dump", 30, material="silicon_calcium_slag"),
                    flow("line", "cem", 80, material="silicon_calcium_slag")])
    _, layer = example()
    layer = SubstanceLayer.from_frames(park, layer.concentrations.drop(columns=["flow"]).assign(unit=""))
    sf = reconcile_substances(park, layer).substance_flows.set_index("flow")
    for k in ("line>dump:silicon_calcium_slag", "line>cem:silicon_calcium_slag"):
        assert sf.loc[k, "concentration"] == pytest.approx(8.6 / 110) and sf.loc[k, "status"] == "computed"


# -- command line -------------------------------------------------------------------------------------------

def _alumina_folder(tmp_path, concentrations):
    folder = write_park(tmp_path / "line", processes="id,name,kind\nash,Ash,import\nlime,Lime,import\n"
                        "line,Line,production\nout,Market,export\ndump,Landfill,landfill\n",
                        flows="source,target,material,value,sigma\nash,line,high_alumina_fly_ash,100,\n"
                        "lime,line,quicklime,50,\nline,out,alumina,40,\nline,dump,silicon_calcium_slag,110,\n",
                        materials=None)
    (folder / "concentrations.csv").write_text(concentrations, encoding="utf-8")
    return folder


CONC = ("material,substance,value,unit,sigma,note\nhigh_alumina_fly_ash,Al2O3,48,%,,\nquicklime,Al2O3,0,,,\n"
        "alumina,Al2O3,98.5,%,,\n")


def test_cli_reconcile_json_adds_substance_flows(tmp_path):
    import json

    from tests.conftest import run_cli

    folder = _alumina_folder(tmp_path, CONC)
    out = run_cli("reconcile", str(folder), "--json")
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert {"chi2", "dof", "flows"} <= set(doc)
    rows = {r["flow"]: r for r in doc["substance_flows"]}
    assert all(list(r) == ["flow", "substance", "concentration", "value", "sigma", "status"] for r in rows.values())
    slag = rows["line>dump:silicon_calcium_slag"]
    assert slag["substance"] == "Al2O3" and round(slag["concentration"] * 100, 3) == 7.818
    assert slag["value"] == pytest.approx(8.6) and slag["status"] == "computed"
    text = run_cli("reconcile", str(folder))
    assert text.returncode == 0 and "Substance flows" in text.stdout and "0.8208" in text.stdout
    # a park without concentrations keeps today's document
    (folder / "concentrations.csv").unlink()
    assert "substance_flows" not in json.loads(run_cli("reconcile", str(folder), "--json").stdout)


def test_cli_trace_substance_and_located_errors(tmp_path):
    import json

    from tests.conftest import run_cli

    folder = _alumina_folder(tmp_path, CONC)
    out = run_cli("trace", str(folder), "--substance", "Al2O3", "--json")
    assert out.returncode == 0, out.stderr
    fates = {(f["material"], f["fate"]): f["share"] for f in json.loads(out.stdout)["fates"]}
    assert fates[("high_alumina_fly_ash", "products")] == pytest.approx(39.4 / 48)
    bad = run_cli("trace", str(folder), "--substance", "Al203")
    assert bad.returncode == 2 and "unknown substance 'Al203'" in bad.stderr and "Traceback" not in bad.stderr
    _alumina_folder(tmp_path, CONC + "alumina,SiO2,1,percent,,\n")
    bad = run_cli("reconcile", str(folder))
    assert bad.returncode == 2 and "concentrations.csv, row 5, column 'unit'" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_shipped_compositions_are_sourced_and_ordered():
    from mfa.catalogue import known_sources
    from mfa.substance import compositions

    c = compositions()
    assert len(c) >= 10 and c["source"].str.len().gt(0).all()
    ids = known_sources()
    assert all(set(s.split(";")) <= ids for s in c["source"])
    key = c.set_index(["material", "substance", "scope"])
    # the published figures, normalised to mass fractions
    assert key.loc[("high_alumina_fly_ash", "Al2O3", "fly ash of the 托克托 power plant"), "central"] == pytest.approx(0.5477)
    assert key.loc[("straw_maize", "P", "maize straw, China"), "central"] == pytest.approx(1.3e-3)
    assert key.loc[("straw_soybean", "N", "soybean straw, China"), "central"] == pytest.approx(0.0181)
    lo, hi = key.loc[("high_alumina_fly_ash", "Al2O3", "high-alumina coal fly ash of the 准格尔 field"),
                     ["low", "high"]]
    assert (lo, hi) == pytest.approx((0.40, 0.55))


def test_negative_computed_substance_flow_is_flagged():
    # the slag cannot hold −11.6 t of Al2O3: the alumina carries more than the ash brings
    park, _ = example()
    layer = SubstanceLayer.from_frames(park, [
        {"material": "high_alumina_fly_ash", "substance": "Al2O3", "value": 28, "unit": "%"},
        {"material": "quicklime", "substance": "Al2O3", "value": 0},
        {"material": "alumina", "substance": "Al2O3", "value": 98.5, "unit": "%"}])
    r = reconcile_substances(park, layer)
    assert r.substance_flows.set_index("flow").loc["line>dump:silicon_calcium_slag", "value"] == pytest.approx(-11.4)
    warn = [m for m in r.messages if m.code == "substance.negative"]
    assert warn and "line>dump:silicon_calcium_slag" in warn[0].message


def test_sankey_per_substance_draws_the_substance_flows(tmp_path):
    import json

    from mfa.sankey_diagram import sankey_frames
    from mfa.substance import substance_park
    from tests.conftest import run_cli

    park, layer = example()
    view = substance_park(park, reconcile_substances(park, layer), "Al2O3")
    _, links, _ = sankey_frames(view, carriers=True)
    assert sorted(links["value"].round(9).tolist()) == sorted([48.0, 39.4, 8.6])   # lime carries none
    folder = _alumina_folder(tmp_path, CONC)
    out = run_cli("sankey", str(folder), "--substance", "Al2O3", "-o", str(tmp_path / "al.svg"), "--json")
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["links"] == 3 and "Al2O3 (t/a of Al2O3)" in (tmp_path / "al.svg").read_text(encoding="utf-8")


def test_substance_tables_in_a_yaml_park(tmp_path):
    park, _ = example()
    path = mfa.write_park(park, tmp_path / "line.yaml")
    with open(path, "a", encoding="utf-8") as fh:
        fh.write("concentrations:\n"
                 "- material: high_alumina_fly_ash\n  substance: Al2O3\n  value: 48\n  unit: '%'\n"
                 "- material: quicklime\n  substance: Al2O3\n  value: 0\n"
                 "- material: alumina\n  substance: Al2O3\n  value: 98.5\n  unit: '%'\n")
    park = mfa.read_park(path)
    assert not [w for w in park.warnings if "concentrations" in str(w)]
    r = reconcile_substances(park, read_substances(path, park))
    assert round(r.concentration("line>dump:silicon_calcium_slag", "Al2O3") * 100, 3) == 7.818
    with open(path, "a", encoding="utf-8") as fh:
        fh.write("- material: silicon_calcium_slag\n  substance: Al2O3\n  value: 7.8\n  unit: 'pct'\n")
    with pytest.raises(ParkError) as e:
        read_substances(path, mfa.read_park(path))
    assert e.value.issues[0].path == "concentrations[3].unit"


def test_substance_tables_in_a_workbook(tmp_path):
    import openpyxl

    park, _ = example()
    path = mfa.write_park(park, tmp_path / "line.xlsx")
    wb = openpyxl.load_workbook(path)
    ws = wb.create_sheet("concentrations")
    for row in (["material", "substance", "value", "unit"], ["high_alumina_fly_ash", "Al2O3", 48, "%"],
                ["quicklime", "Al2O3", 0, None], ["alumina", "Al2O3", 98.5, "%"]):
        ws.append(row)
    wb.save(path)
    park = mfa.read_park(path)
    r = reconcile_substances(park, read_substances(path, park))
    assert r.recovery.loc[0, "recovery"] == pytest.approx(39.4 / 48)


def _reception(out_content_sigma=None):
    """parks/hazardous in small: a reception point gets waste oil (measured, Pb 20 mg/kg) and an emulsion
    (measured, no Pb) and passes on 150 t (exact) whose Pb content is given."""
    park = park_of([P("garage", "import"), P("plant", "import"), P("reception", "collection"),
                    P("handler", "export")],
                   [flow("garage", "reception", 100, 5, material="hw08_waste_mineral_oil"),
                    flow("plant", "reception", 50, 5, material="hw09_oil_water_emulsions"),
                    flow("reception", "handler", 150, material="hw49_other_wastes")])
    layer = SubstanceLayer.from_frames(park, [
        {"material": "hw08_waste_mineral_oil", "substance": "Pb", "value": 20, "unit": "mg/kg"},
        {"material": "hw09_oil_water_emulsions", "substance": "Pb", "value": 0},
        {"material": "hw49_other_wastes", "substance": "Pb", "value": 20 / 1.5, "unit": "mg/kg",
         "sigma": out_content_sigma}])
    return park, layer


def test_exact_contents_can_determine_a_measured_goods_flow():
    """Why parks/hazardous shows σ = 0 on some measured goods flows in the joint reconciliation: where every
    flow of a balance has an exact content and all but the measured ones are exact, the substance balance is
    one more exact equation; with one measured flow carrying the substance it fixes that flow (Pb: 20e-6·a =
    150·c_out), and the goods balance then fixes the other (b = 150 − a)."""
    park, layer = _reception()
    goods = mfa.reconcile(park).flows.set_index("id")["sigma"]
    # goods alone: a + b = 150 shares the check between the two measurements, σ² = 25 − 25²/50
    assert goods["garage>reception:hw08_waste_mineral_oil"] == pytest.approx(np.sqrt(12.5), rel=1e-9)
    joint = reconcile_substances(park, layer).flows.set_index("id")
    oil = joint.loc["garage>reception:hw08_waste_mineral_oil"]
    emulsion = joint.loc["plant>reception:hw09_oil_water_emulsions"]
    assert oil["status"] == emulsion["status"] == "reconciled"
    assert oil["value"] == pytest.approx(100) and oil["sigma"] == 0.0
    assert emulsion["value"] == pytest.approx(50) and emulsion["sigma"] == 0.0


def test_a_measured_content_gives_that_flow_its_sigma_back():
    # the same with the outgoing Pb content measured (σ 10 %): first-order WLS by hand on x = (a, b, c_out),
    # a + b = 150 and 2e-5·a − 150·c_out = 0 (linear: the contents of a and the goods flow out are exact)
    c_out = 20e-6 / 1.5
    park, layer = _reception(out_content_sigma=0.1 * c_out * 1e6)          # in mg/kg, the row's unit
    joint = reconcile_substances(park, layer).flows.set_index("id")
    Q = np.diag([25.0, 25.0, (0.1 * c_out) ** 2])
    A = np.array([[1.0, 1.0, 0.0], [2e-5, 0.0, -150.0]])
    cov = Q - Q @ A.T @ np.linalg.solve(A @ Q @ A.T, A @ Q)
    assert cov[0, 0] > 0
    assert joint.loc["garage>reception:hw08_waste_mineral_oil", "sigma"] == pytest.approx(np.sqrt(cov[0, 0]),
                                                                                        rel=1e-6)
    assert joint.loc["plant>reception:hw09_oil_water_emulsions", "sigma"] == pytest.approx(np.sqrt(cov[1, 1]),
                                                                                         rel=1e-6)



@pytest.mark.parametrize("name", ["tuoketuo", "bayannur", "hazardous"])
def test_joint_jacobian_is_the_derivative_of_the_residual(name):
    """The equations are at most bilinear, so a central difference is exact: (F(v + d) − F(v − d)) / 2 =
    J(v) d for any point and direction (the Jacobian's numbers written into their places, pass after pass)."""
    from mfa.substance import joint_model

    park = mfa.read_park(name)
    model = joint_model(park, read_substances(name, park))
    rng = np.random.default_rng(0)
    for _ in range(3):
        v, d = rng.normal(0.0, 50.0, model.n_v), rng.normal(0.0, 5.0, model.n_v)
        J = model.jacobian(v)
        up, down = model.residual(v + d), model.residual(v - d)
        # rounding of the residuals' own terms (exact data of 10⁶ t/a) is the yardstick; a term in a wrong
        # place or with a wrong sign is off by its whole size
        scale = np.abs(J) @ np.abs(d) + np.abs(up) + np.abs(down) + 1e-9
        assert np.max(np.abs((up - down) / 2 - J @ d) / scale) < 1e-9
