"""mfa.compile: the indices, signs and stock changes of a hand-made park, and the arrays built on first use.

The park (t/a; stocks in t):

    mine ──coal 100──▶ plant ──fly_ash 30──▶ yard ──fly_ash ?──▶ market
                         ├──coal_gangue 20──▶ fill
                         └──coal 50──────────▶ market
    yard: fly ash 10 → 25 t (Δ +15), coal 4 → 1 t (Δ −3): Δstock 12; no other process has stock data.
"""

from __future__ import annotations

import subprocess
import sys
from types import SimpleNamespace

import numpy as np
import pytest

from mfa.compile import compile_park
from mfa.conventions import PROCESS_KINDS
from tests.conftest import F, P, ROOT, park_of

IDS = ["mine", "plant", "yard", "fill", "market"]
FLOW_IDS = ["mine>plant:coal", "plant>yard:fly_ash", "plant>fill:coal_gangue", "yard>market:fly_ash",
            "plant>market:coal"]
# rows: processes in IDS order; columns: flows in FLOW_IDS order; +1 the flow enters, −1 it leaves
INCIDENCE = np.array([
    [-1, 0, 0, 0, 0],   # mine
    [+1, -1, -1, 0, -1],  # plant
    [0, +1, 0, -1, 0],  # yard
    [0, 0, +1, 0, 0],   # fill
    [0, 0, 0, +1, +1],  # market
])


@pytest.fixture(scope="module")
def park():
    return park_of(
        [P("mine", "import"), P("plant", "production"), P("yard", "storage"), P("fill", "landfill"),
         P("market", "export")],
        [F("mine", "plant", "coal", 100, sigma=5), F("plant", "yard", "fly_ash", 30),
         F("plant", "fill", "coal_gangue", 20, sigma=2), F("yard", "market", "fly_ash", None),
         F("plant", "market", "coal", 50, tc=0.5, tc_sigma=0.05)],
        stocks=[{"process": "yard", "material": "fly_ash", "opening": 10, "closing": 25},
                {"process": "yard", "material": "coal", "opening": 4, "closing": 1}])


@pytest.fixture(scope="module")
def c(park):
    return park.compiled


def test_indices_follow_the_park_order(c):
    assert c.process_ids.tolist() == IDS
    assert c.process_index == {p: i for i, p in enumerate(IDS)}
    assert c.flow_ids.tolist() == FLOW_IDS
    assert (c.n_processes, c.n_flows) == (5, 5)
    # each flow's endpoints as process positions
    assert c.src.tolist() == [0, 1, 1, 2, 1]
    assert c.tgt.tolist() == [1, 2, 3, 4, 4]
    assert c.src.dtype == c.tgt.dtype == np.int64


def test_kinds_and_boundary(c):
    assert c.kind.tolist() == ["import", "production", "storage", "landfill", "export"]
    assert c.is_boundary.tolist() == [True, False, False, True, True]
    assert c.kind_of == dict(zip(IDS, ["import", "production", "storage", "landfill", "export"]))
    assert [PROCESS_KINDS[k] for k in c.kind_code] == c.kind.tolist()


def test_values_sigmas_and_transfer_coefficients_in_flow_order(c):
    np.testing.assert_array_equal(c.value, [100, 30, 20, np.nan, 50])
    np.testing.assert_array_equal(c.sigma, [5, np.nan, 2, np.nan, np.nan])
    np.testing.assert_array_equal(c.tc, [np.nan, np.nan, np.nan, np.nan, 0.5])
    np.testing.assert_array_equal(c.tc_sigma, [np.nan, np.nan, np.nan, np.nan, 0.05])


def test_incidence_signs(c):
    np.testing.assert_array_equal(c.incidence.toarray(), INCIDENCE)
    # every flow leaves exactly one process and enters exactly one: each column sums to zero
    np.testing.assert_array_equal(np.asarray(c.incidence.sum(axis=0)).ravel(), np.zeros(5))
    np.testing.assert_array_equal(c.inflow.toarray(), (INCIDENCE > 0).astype(float))
    np.testing.assert_array_equal(c.outflow.toarray(), (INCIDENCE < 0).astype(float))
    np.testing.assert_array_equal(c.touch.toarray(), np.abs(INCIDENCE))


def test_incidence_times_values_is_inputs_minus_outputs(c):
    known = np.nan_to_num(c.value)
    # by hand: mine −100; plant 100 − 30 − 20 − 50 = 0; yard 30 − 0 (unknown out); fill 20; market 0 + 50
    np.testing.assert_allclose(c.incidence @ known, [-100, 0, 30, 20, 50])


def test_known_totals_count_unknown_flows_apart(c):
    inputs, outputs, n_in, n_out = c.known_totals()
    np.testing.assert_array_equal(inputs, [0, 100, 30, 20, 50])
    np.testing.assert_array_equal(outputs, [100, 100, 0, 0, 0])
    np.testing.assert_array_equal(n_in, [0, 0, 0, 0, 1])      # market receives the unknown fly ash
    np.testing.assert_array_equal(n_out, [0, 0, 1, 0, 0])     # the yard sends it


def test_stock_change_is_closing_minus_opening_summed_per_process(c):
    # yard: (25 − 10) + (1 − 4) = 12 t; processes without stock rows have no stock change (NaN, not 0)
    np.testing.assert_array_equal(c.delta_stock, [np.nan, np.nan, 12.0, np.nan, np.nan])


def test_materials_factorised_in_sorted_order(c):
    assert c.material.tolist() == ["coal", "fly_ash", "coal_gangue", "fly_ash", "coal"]
    assert c.material_ids.tolist() == ["coal", "coal_gangue", "fly_ash"]
    assert c.material_codes.tolist() == [0, 2, 1, 2, 0]
    assert c.material_ids[c.material_codes].tolist() == c.material.tolist()


def test_categories_from_the_catalogue(c):
    assert c.category_of["coal"] == "fuel"
    assert c.category_of["fly_ash"] == c.category_of["coal_gangue"] == "industrial_solid_waste"
    assert c.category.tolist() == ["fuel", "industrial_solid_waste", "industrial_solid_waste",
                                   "industrial_solid_waste", "fuel"]


def test_compiled_once_and_cached(park, c):
    assert park.compiled is c
    assert c.incidence is c.incidence and c.kind_of is c.kind_of
    # a recompiled park gives the same arrays
    again = compile_park(park)
    np.testing.assert_array_equal(again.incidence.toarray(), INCIDENCE)
    np.testing.assert_array_equal(again.delta_stock, c.delta_stock)


def test_tables_without_flows_compile_to_empty_arrays(park):
    # A Park always has flows; compile_park reads only the tables, e.g. of a park filtered to nothing.
    tables = SimpleNamespace(processes=park.processes, flows=park.flows.iloc[:0], stocks=park.stocks.iloc[:0],
                             materials=park.materials)
    c = compile_park(tables)
    assert (c.n_processes, c.n_flows) == (5, 0)
    assert c.src.shape == c.tgt.shape == (0,)
    assert c.incidence.shape == (5, 0)
    assert c.material_ids.tolist() == [] and c.category.tolist() == []
    inputs, outputs, n_in, n_out = c.known_totals()
    np.testing.assert_array_equal(np.concatenate([inputs, outputs, n_in, n_out]), np.zeros(20))


def test_checking_a_park_builds_no_sparse_matrix():
    """The incidence matrix is built on first use: reading, compiling and balancing a park never import
    scipy (checked in a fresh interpreter, where nothing else imported it before)."""
    code = ("import sys, mfa\n"
            "p = mfa.read_park('hazardous')\n"
            "b = mfa.balance(p)\n"
            "assert b.ok, 'hazardous balances'\n"
            "print(sorted(m for m in ('scipy', 'scipy.sparse') if m in sys.modules))\n"
            "p.compiled.incidence\n"
            "print('scipy.sparse' in sys.modules)\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split("\n")[:2] == ["[]", "True"]


@pytest.mark.parametrize("name", ["bayannur", "wuhai"])
def test_endpoints_found_by_validation_are_the_compiled_ones(name):
    """A park read from files compiles from the endpoints its validation looked up (the flows generated from
    activity data, bayannur's, appended): the same as hashing the ids again."""
    import mfa
    from mfa.compile import compile_park

    park = mfa.read_park(name)
    assert park.flows["estimated"].any() == (name == "bayannur")
    fresh = compile_park(park)  # without endpoints: one factorisation of the ids
    np.testing.assert_array_equal(park.compiled.src, fresh.src)
    np.testing.assert_array_equal(park.compiled.tgt, fresh.tgt)
    ids = park.processes["id"].to_numpy()
    assert (ids[park.compiled.src] == park.flows["source"].to_numpy()).all()
    assert (ids[park.compiled.tgt] == park.flows["target"].to_numpy()).all()


def test_endpoints_of_another_length_are_not_used(park):
    stale = (np.zeros(2, dtype=np.int64), np.zeros(2, dtype=np.int64))
    c = compile_park(park, stale)
    assert c.src.tolist() == [0, 1, 1, 2, 1] and c.tgt.tolist() == [1, 2, 3, 4, 4]


def test_per_process_strings_are_built_on_first_use(park):
    """Balancing needs the kinds as codes only: the ids and kinds as strings wait until an engine asks."""
    c = compile_park(park)
    c.known_totals()
    _ = c.kind_code, c.is_boundary
    assert "process_ids" not in vars(c) and "kind" not in vars(c) and "process_index" not in vars(c)
    assert c.kind.tolist() == ["import", "production", "storage", "landfill", "export"]
    assert c.process_index["fill"] == 3
