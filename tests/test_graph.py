"""A park as a networkx graph and back (issue 12 item 5), and the engines' check of their argument."""

from __future__ import annotations

import math

import networkx as nx
import pytest

import mfa
from mfa.errors import MfaError, ParkError


@pytest.mark.parametrize("name", ["wuhai", "baotou", "bayannur", "hazardous"])
def test_round_trip_through_networkx_gives_the_same_park(name):
    park = mfa.read_park(name)
    G = park.to_networkx()
    assert isinstance(G, nx.MultiDiGraph)
    assert G.number_of_nodes() == len(park.processes)
    assert G.number_of_edges() == len(park.flows)
    assert mfa.Park.from_networkx(G) == park


def test_graph_attributes_are_the_tables():
    park = mfa.read_park("wuhai")
    G = park.to_networkx()
    assert G.nodes["pc_power_plant"]["kind"] == "production"
    f = park.flows.set_index("id")
    fid = "coal_washing>gangue_dump:coal_gangue"
    e = G.edges["coal_washing", "gangue_dump", fid]
    assert e["material"] == "coal_gangue" and e["value"] == f.at[fid, "value"] == 1_300_000
    assert e["sigma"] == pytest.approx(130_000) and e["status"] == "known"
    blank = f.index[f["value"].isna()][0]
    u, v = f.at[blank, "source"], f.at[blank, "target"]
    assert math.isnan(G.edges[u, v, blank]["value"]) and G.edges[u, v, blank]["status"] == "unknown"
    # networkx's own algorithms work on it: the ash reaches the cement plant through the collection centre
    assert nx.has_path(G, "pc_power_plant", "cement_plant")
    assert G.graph["park"]["name"] == park.info.name


def test_a_graph_built_by_hand_is_validated():
    G = nx.DiGraph()
    G.add_node("plant", kind="production", name="Plant")
    G.add_node("dump", kind="landfill")
    G.add_node("mine", kind="import")
    G.add_edge("mine", "plant", material="raw_coal", value=100)
    G.add_edge("plant", "dump", material="fly_ash", value="2 万t/a")
    park = mfa.Park.from_networkx(G)
    assert park.flows.set_index("id").at["plant>dump:fly_ash", "value"] == 20_000
    bad = nx.DiGraph()
    bad.add_node("a", kind="factory")
    bad.add_node("b", kind="landfill")
    bad.add_edge("a", "b", material="fly_ash", value=-1)
    with pytest.raises(ParkError) as e:
        mfa.Park.from_networkx(bad)
    text = str(e.value)
    assert "factory" in text and "negative" in text
    with pytest.raises(MfaError, match="directed networkx graph"):
        mfa.Park.from_networkx(nx.Graph())


@pytest.mark.parametrize("name", ["balance", "trace", "indicators", "reconcile", "sankey", "network_metrics",
                                  "monte_carlo", "discover_couplings", "resilience", "fates", "solve_park"])
def test_engines_called_with_a_name_say_to_read_the_park_first(name):
    with pytest.raises(MfaError, match=r"read it first, park = mfa.read_park\('wuhai'\)"):
        getattr(mfa, name)("wuhai")
    with pytest.raises(MfaError, match="needs a Park"):
        getattr(mfa, name)(42)
