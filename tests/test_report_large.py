"""Reports of parks too large to draw process by process: the diagrams show the park aggregated by group
and kind, with the system balance unchanged."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import mfa
from mfa.conventions import BOUNDARY_KINDS
from mfa.report import MAX_DRAWN_PROCESSES, aggregated, report_html

SYSTEM = ("imports", "inputs_from_environment_and_landfill", "exports", "environment", "landfill",
          "stock_change", "residual")


def _big_park(groups: bool = True, seed: int = 2):
    from bench.synthetic import synthetic_frames

    fr = synthetic_frames(600, seed=seed, structure="regional")
    procs = fr["processes"].copy()
    internal = ~procs["kind"].isin(list(BOUNDARY_KINDS)).to_numpy()
    if groups:
        procs["group"] = np.where(internal, [f"park {i // 100}" for i in range(len(procs))], "")
    # stock data on some production processes, in tonnes: Δstock enters the system balance
    prod = procs["id"][procs["kind"] == "production"].to_numpy()[:6]
    stocks = pd.DataFrame({"process": prod, "material": "syn_coal", "opening": 100.0,
                           "closing": [130.0, 90.0, 100.0, 250.0, 0.0, 100.0]})
    # a few unknown flows: not drawn, not counted, both sides alike
    flows = fr["flows"].copy()
    flows.loc[flows.index[::97], "value"] = np.nan
    return mfa.Park.from_frames(processes=procs, flows=flows, materials=fr["materials"], stocks=stocks,
                                info=fr["info"])


@pytest.mark.parametrize("groups", [True, False])
def test_aggregated_park_keeps_the_system_balance(groups):
    park = _big_park(groups)
    assert len(park.processes) > MAX_DRAWN_PROCESSES
    agg, note = aggregated(park)
    assert note and ("by group" in note) == groups
    assert len(agg.processes) < 40
    a, b = mfa.balance(park).system, mfa.balance(agg).system
    scale = max(a["imports"], a["exports"])
    for k in SYSTEM:
        assert b[k] == pytest.approx(a[k], rel=1e-9, abs=1e-9 * scale), k
    # boundary nodes stay by kind; totals by material of the boundary flows are the park's too
    for kind in ("import", "export", "environment", "landfill"):
        ids = set(park.processes["id"][park.processes["kind"] == kind])
        agg_ids = set(agg.processes["id"][agg.processes["kind"] == kind])
        f, g = park.flows, agg.flows
        into = f[f["target"].isin(ids)].groupby("material")["value"].sum()
        into_agg = g[g["target"].isin(agg_ids)].groupby("material")["value"].sum()
        pd.testing.assert_series_equal(into.sort_index(), into_agg.sort_index(), rtol=1e-12,
                                       check_names=False)


def test_small_parks_are_drawn_as_they_are():
    park = mfa.read_park("wuhai")
    same, note = aggregated(park)
    assert same is park and note == ""


def test_report_of_a_large_park_says_it_is_aggregated():
    park = _big_park()
    html = report_html(park)
    assert "aggregated by group" in html
    # every process is still in the balance table
    assert all(p in html for p in park.processes["id"][:50])


def test_aggregating_a_park_counted_in_wan_tonnes_does_not_rescale_it():
    """wuhai's own unit is 万t/a: the aggregated park's values are t/a already and must stay so."""
    park = mfa.read_park("wuhai").replace(flows=mfa.read_park("wuhai").flows.dropna(subset=["value"]))
    agg, _note = aggregated(park, max_processes=10)
    a, b = mfa.balance(park).system, mfa.balance(agg).system
    for k in SYSTEM:
        assert b[k] == pytest.approx(a[k], rel=1e-9, abs=1e-3), k
