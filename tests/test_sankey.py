"""Sankey diagrams: layout on hand-made graphs, park → nodes/links, files, CLI, labels on the example parks."""

from __future__ import annotations

import html
import itertools
import re

import numpy as np
import pandas as pd
import pytest

import mfa
from mfa.errors import MfaError
from mfa.sankey_diagram import SankeyDiagram, format_value, sankey, sankey_frames
from mfa.sankey_diagram.layout import crossings, feedback_order, layout_sankey

EXAMPLES = ["wuhai", "baotou", "hazardous", "bayannur"]


def small_park(**info):
    """A coking / power / brick park with a gangue loop, a yard that stores, an imbalance and air both ways."""
    procs = [
        dict(id="coal_in", name="Coal supply", name_zh="原煤输入", kind="import"),
        dict(id="power", name="Power plant", name_zh="电厂", kind="production", group="energy"),
        dict(id="coking", name="Coking <plant> & co", name_zh="焦化厂", kind="production", group="energy"),
        dict(id="brick", name="Brick works", name_zh="砖厂", kind="production", group="building"),
        dict(id="yard", name="Gangue yard", name_zh="煤矸石堆场", kind="storage"),
        dict(id="dump", name="Landfill", name_zh="填埋场", kind="landfill"),
        dict(id="air", name="Atmosphere", name_zh="大气", kind="environment"),
        dict(id="market", name="Market", name_zh="市场", kind="export"),
    ]
    mats = [
        dict(id="raw_coal", name="Raw coal", name_zh="原煤", category="fuel"),
        dict(id="coke", name="Coke", name_zh="焦炭", category="product"),
        dict(id="gangue", name="Coal gangue", name_zh="煤矸石", category="industrial_solid_waste"),
        dict(id="fly_ash", name="Fly ash", name_zh="粉煤灰", category="industrial_solid_waste"),
        dict(id="air_in", name="Combustion air", name_zh="助燃空气", category="raw_material"),
        dict(id="co2", name="Flue gas", name_zh="烟气", category="emission"),
        dict(id="bricks", name="Bricks", name_zh="砖", category="product"),
    ]
    F = [("coal_in", "coking", "raw_coal", 1000.0), ("coal_in", "power", "raw_coal", 500.0),
         ("air", "power", "air_in", 300.0), ("power", "air", "co2", 700.0), ("power", "dump", "fly_ash", 100.0),
         ("coking", "market", "coke", 800.0), ("coking", "yard", "gangue", 200.0),
         ("yard", "brick", "gangue", 150.0), ("brick", "market", "bricks", 120.0),
         ("brick", "yard", "gangue", 20.0), ("brick", "power", "gangue", 5.0)]
    flows = [dict(source=s, target=t, material=m, value=v) for s, t, m, v in F]
    info = {"name": "Small park", "name_zh": "小园区", "year": 2023, **info}
    return mfa.Park.from_frames(processes=procs, flows=flows, materials=mats, info=info)


# ---- layout on plain arrays ------------------------------------------------------------------------
def test_feedback_order_breaks_the_lightest_arc_of_a_cycle():
    # a → b (10), b → c (10), c → a (1): the return arc c → a is the feedback arc
    order = feedback_order(3, np.array([0, 1, 2]), np.array([1, 2, 0]), np.array([10.0, 10.0, 1.0]))
    pos = {v: i for i, v in enumerate(order.tolist())}
    assert pos[0] < pos[1] < pos[2]


def test_crossings_weighted_count():
    # two edges that swap order cross once: weight 2 × 3
    assert crossings(np.array([0.0, 1.0]), np.array([1.0, 0.0]), np.array([2.0, 3.0])) == 6.0
    assert crossings(np.array([0.0, 1.0]), np.array([0.0, 1.0]), np.array([2.0, 3.0])) == 0.0


def test_layout_columns_loops_and_widths():
    lay = layout_sankey(["in", "a", "b", "out"], np.array([0, 1, 2, 1]), np.array([1, 2, 1, 3]),
                        np.array([100.0, 30.0, 10.0, 80.0]), pin=np.array([-1, 0, 0, 1]), scale=2.0)
    nodes = lay.nodes.set_index("id")
    assert nodes.loc["in", "layer"] == 0
    assert nodes.loc["out", "layer"] == nodes["layer"].max()
    assert nodes.loc["a", "layer"] < nodes.loc["b", "layer"]
    # b → a runs against the columns: a loop, drawn outside the nodes (above or below all of them) and
    # entering a from the left
    assert lay.links["loop"].tolist() == [False, False, True, False]
    loop_path = lay.paths[2]
    assert loop_path[2][1] > nodes["y1"].max() or loop_path[2][1] < nodes["y0"].min()
    assert loop_path[-1][0] == pytest.approx(nodes.loc["a", "x0"])
    # fixed scale: widths are value / scale, node heights the larger of in and out
    assert lay.links["width"].tolist() == pytest.approx([50.0, 15.0, 5.0, 40.0])
    assert (nodes.loc["a", "y1"] - nodes.loc["a", "y0"]) * 2.0 == pytest.approx(110.0)


def test_layout_ports_stay_inside_their_nodes_and_add_up():
    rng = np.random.default_rng(7)
    n = 12
    src = rng.integers(0, n, 40)
    tgt = rng.integers(0, n, 40)
    val = rng.uniform(1, 100, 40)
    lay = layout_sankey([str(i) for i in range(n)], src, tgt, val)
    nodes = lay.nodes
    for li, pts in enumerate(lay.paths):
        w = lay.links.loc[li, "width"]
        s, t = src[li], tgt[li]
        y_out, y_in = pts[0][1], pts[-1][1]
        assert nodes.loc[s, "y0"] - 1e-6 <= y_out - w / 2 and y_out + w / 2 <= nodes.loc[s, "y1"] + 1e-6
        assert nodes.loc[t, "y0"] - 1e-6 <= y_in - w / 2 and y_in + w / 2 <= nodes.loc[t, "y1"] + 1e-6
    # every tonne drawn: node heights equal the larger of the summed link widths
    v_in = np.bincount(tgt, weights=val, minlength=n)
    v_out = np.bincount(src, weights=val, minlength=n)
    assert ((nodes["y1"] - nodes["y0"]) * lay.scale).to_numpy() == pytest.approx(np.maximum(v_in, v_out))


def test_barycentre_sweeps_remove_an_avoidable_crossing():
    # in0 → b, in1 → a with a listed before b: the sweeps must uncross them
    lay = layout_sankey(["in0", "in1", "a", "b"], np.array([0, 1]), np.array([3, 2]), np.array([5.0, 5.0]),
                        pin=np.array([-1, -1, 0, 0]))
    y = lay.nodes.set_index("id")["label_y"]
    assert (y["in0"] < y["in1"]) == (y["b"] < y["a"])


def test_layout_rejects_bad_scale():
    with pytest.raises(ValueError):
        layout_sankey(["a", "b"], np.array([0]), np.array([1]), np.array([1.0]), scale=-1.0)


# ---- park → frames ------------------------------------------------------------------------------------
def test_frames_show_stock_residual_loop_and_two_way_boundary():
    park = small_park()
    nodes, links, notes = sankey_frames(park, carriers=True)
    ids = set(nodes["id"])
    # the atmosphere gives air and takes flue gas: drawn as a source and as a sink
    src_air = [i for i in ids if i.startswith("air") and i != "air"]
    assert len(src_air) == 1 and "air" in ids
    assert nodes.set_index("id").loc[src_air[0], "pin"] == -1
    # the yard keeps 200 + 20 − 150 = 70 t/a: a link to "stock accumulation"
    stock = links[links["type"] == "stock"]
    assert stock["value"].sum() == pytest.approx(70.0)
    # the brick works get 150, send 145: 5 t/a imbalance (beyond 1 %) as a residual link
    res = links[links["type"] == "residual"]
    assert res["value"].tolist() == pytest.approx([5.0])
    assert res["source"].tolist() == ["brick"]
    # nothing lost: what enters the drawing from the first column leaves it into the last, except the
    # power plant's 5 t/a residual, which is within the 1 % tolerance (5 / 805) and therefore not drawn
    pins = nodes.set_index("id")["pin"]
    into = links.loc[links["source"].map(pins) == -1, "value"].sum()
    out = links.loc[links["target"].map(pins) == 1, "value"].sum()
    assert into == pytest.approx(1800.0)
    assert into == pytest.approx(out + 5.0)


def test_carriers_are_off_in_the_whole_park_view_and_on_when_asked_for():
    park = small_park()
    nodes, links, notes = sankey_frames(park)
    # combustion air (raw material drawn from the atmosphere, 300 t/a) and flue gas (emission, 700 t/a) are
    # carriers; the coal, coke, gangue, fly ash and bricks are what the park manages
    assert notes["carriers"] == pytest.approx(1000.0)
    drawn = links.loc[links["type"] == "flow"]
    assert set(drawn["material"]) == {"raw_coal", "coke", "gangue", "fly_ash", "bricks"}
    assert drawn["value"].sum() == pytest.approx(1500 + 100 + 800 + 200 + 150 + 120 + 20 + 5)
    assert "air" not in set(nodes["id"])  # the atmosphere carries nothing else
    # asked for: every flow; a filter on the emission category shows the flue gas without being asked twice
    _n, all_links, all_notes = sankey_frames(park, carriers=True)
    assert all_notes["carriers"] == 0.0
    assert all_links.loc[all_links["type"] == "flow", "value"].sum() == pytest.approx(2895.0 + 1000.0)
    _n, em, _ = sankey_frames(park, category="emission")
    assert em["value"].tolist() == pytest.approx([700.0])
    # the diagram says what it leaves out, in the reader's language
    d = sankey(park)
    assert [m.message for m in d.messages] == [
        "air, water and flue gas (1 kt/a) not drawn (carriers=True / --carriers shows them)"]
    assert "空气、水和烟气（1,000 t/a）未绘出" in sankey(park, lang="zh").note()


def test_carrier_flows_follow_the_catalogue_categories():
    from mfa.sankey_diagram import carrier_flows

    park = mfa.read_park("wuhai")
    c = park.compiled
    flows = park.flows
    carrier = carrier_flows(park)
    cats = flows["material"].map(c.category_of)
    # every water and emission flow is a carrier, no waste is
    assert carrier[cats.isin(["water", "emission"]).to_numpy()].all()
    assert not carrier[cats.isin(["industrial_solid_waste", "hazardous_waste"]).to_numpy()].any()
    # the 96 Mt/a of combustion air (the park's README) is the rest
    rest = carrier & ~cats.isin(["water", "emission"]).to_numpy()
    assert set(flows.loc[rest, "material"]) == {"air"}
    assert flows.loc[rest, "value"].sum() == pytest.approx(96_000_000.0)


def test_frames_filter_by_material_and_category():
    park = small_park()
    _n, links, notes = sankey_frames(park, material="gangue")
    assert set(links.loc[links["type"] == "flow", "material"]) == {"gangue"}
    assert notes["filtered"]
    assert not (links["type"] == "residual").any()
    _n, links, _ = sankey_frames(park, category="industrial_solid_waste")
    assert set(links.loc[links["type"] == "flow", "material"]) == {"gangue", "fly_ash"}


def test_frames_group_by_group_and_kind():
    park = small_park()
    nodes, links, notes = sankey_frames(park, group_by="group")
    assert "grp:energy" in set(nodes["id"])
    # brick → power (5 t/a) stays between groups; coal flows go to the energy group
    assert links.loc[(links["target"] == "grp:energy") & (links["material"] == "raw_coal"), "value"].sum() \
        == pytest.approx(1500.0)
    assert notes["internal"] == 0.0
    nodes, links, notes = sankey_frames(park, group_by="kind")
    assert "kind:production" in set(nodes["id"])
    # brick → power is production → production: inside one group, not drawn, reported in the note
    assert notes["internal"] == pytest.approx(5.0)


def test_frames_errors_name_the_value_and_suggest():
    park = small_park()
    with pytest.raises(MfaError, match="gangu.*did you mean 'gangue'"):
        sankey_frames(park, material="gangu")
    with pytest.raises(MfaError, match="category"):
        sankey_frames(park, category="industrial_solid_wast")
    with pytest.raises(MfaError, match="group_by"):
        sankey_frames(park, group_by="colour")
    with pytest.raises(MfaError, match="lang"):
        sankey_frames(park, lang="fr")


def test_labels_in_chinese_and_value_format():
    d = sankey(small_park(), lang="zh")
    assert "焦化厂" in set(d.nodes["label"])
    assert d.title.startswith("小园区")
    # four significant digits (mfa.formatting.number), no false decimals
    assert format_value(123456.0, "zh") == "12.35 万t/a"
    assert format_value(2.5e6) == "2.5 Mt/a"
    assert format_value(950.0) == "950 t/a"
    assert format_value(3.2e9, "zh") == "32 亿t/a"
    assert format_value(float("nan")) == "?"


def test_from_frames_and_unknown_node():
    nodes = pd.DataFrame({"id": ["a", "b"], "label": ["A", "B"], "kind": ["import", "export"]})
    links = pd.DataFrame({"source": ["a"], "target": ["b"], "value": [3.0], "category": ["product"]})
    d = SankeyDiagram.from_frames(nodes, links)
    assert d.node_totals()["value"].tolist() == [3.0, 3.0]
    with pytest.raises(MfaError, match="unknown node 'c'"):
        SankeyDiagram.from_frames(nodes, links.assign(target="c"))


# ---- files ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("ext", ["html", "png", "svg", "pdf"])
def test_save_is_deterministic_and_offline(tmp_path, ext):
    d = sankey(small_park())
    a = d.save(tmp_path / f"a.{ext}")
    b = sankey(small_park()).save(tmp_path / f"b.{ext}")
    assert a.read_bytes() == b.read_bytes()
    data = a.read_bytes()
    magic = {"png": b"\x89PNG", "pdf": b"%PDF", "svg": b"<?xml", "html": b"<html"}[ext]
    assert magic in data[:200]
    if ext == "html":
        text = data.decode("utf-8")
        # an SVG drawn from the layout: no script at all, nothing loaded from anywhere
        assert "<script" not in text and not re.search(r"\s(src|href)=", text)
        assert 'id="mfa-sankey"' in text
        assert text.count('class="sankey-node"') == len(d.nodes)
        assert len(re.findall(r'class="sankey-link\b', text)) == len(d.links)
        assert "Coking <plant>" not in text and "Coking &lt;plant&gt; &amp; co" in text
        # every node label and every value the layout placed is in the page
        for label in d.layout.nodes["label"]:
            assert all(f">{html.escape(line)}<" in text for line in label.split("\n")), label


def test_save_rejects_unknown_extension_and_creates_missing_folder(tmp_path):
    d = sankey(small_park())
    with pytest.raises(MfaError, match=r"\.html, \.png, \.svg or \.pdf"):
        d.save(tmp_path / "x.docx")
    d.save(tmp_path / "nope" / "x.svg")  # like convert and reconcile -o, every output creates its folder
    assert (tmp_path / "nope" / "x.svg").stat().st_size > 0


def test_fixed_scale_gives_equal_widths_for_equal_flows():
    small = small_park()
    big = small.replace(flows=small.flows.assign(value=small.flows["value"] * 3))
    a, b = sankey(small, scale=10.0), sankey(big, scale=10.0)
    wa = a.layout.links["width"].to_numpy()
    wb = b.layout.links["width"].to_numpy()
    assert wa.sum() * 3 == pytest.approx(wb.sum(), rel=1e-9)
    assert a.layout.scale == b.layout.scale == 10.0
    assert b.layout.height > a.layout.height


def test_repr_html_is_an_inline_svg_image():
    html_text = sankey(small_park())._repr_html_()
    assert html_text.startswith("<div class='mfa-sankey'><img") and "data:image/svg+xml;base64," in html_text
    assert "<script" not in html_text


def test_cjk_font_has_the_glyphs():
    from matplotlib.ft2font import FT2Font

    from mfa.fonts import font_family, regular_instance

    font = FT2Font(str(regular_instance()))
    assert all(font.get_char_index(ord(ch)) != 0 for ch in "煤矸石粉煤灰综合利用率")
    assert font_family()[1] == "Noto Sans SC"


# ---- labels on the example parks: no two labels overlap in the rendered figure -------------------------
def _overlaps(boxes):
    bad = []
    for (i, a), (j, b) in itertools.combinations(enumerate(boxes), 2):
        if a.x0 < b.x1 - 0.5 and b.x0 < a.x1 - 0.5 and a.y0 < b.y1 - 0.5 and b.y0 < a.y1 - 0.5:
            bad.append((i, j))
    return bad


@pytest.mark.parametrize("name", EXAMPLES)
@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("wastes_only", [False, True])
def test_no_overlapping_labels_on_example_parks(name, lang, wastes_only):
    from mfa.report import waste_categories

    park = mfa.read_park(name)
    d = sankey(park, lang=lang, category=waste_categories(park) if wastes_only else None)
    # from the label boxes the layout computed: node labels, nodes and link values keep apart
    from mfa.sankey_diagram.layout import label_overlaps

    assert label_overlaps(d.layout) == []
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = d.matplotlib()
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    ax = fig.axes[0]
    texts = [t for t in ax.texts if t.get_text() and t.get_position()[1] <= d.layout.height + 0.01]
    boxes = [t.get_window_extent(renderer) for t in texts]
    bad = _overlaps(boxes)
    assert not bad, [(texts[i].get_text(), texts[j].get_text()) for i, j in bad]
    # every node is labelled with its total
    assert len([t for t in texts if "\n" in t.get_text()]) >= len(d.nodes)


# ---- command line ----------------------------------------------------------------------------------------
def test_cli_sankey_writes_each_format(tmp_path, capsys):
    import json

    from mfa.cli import main

    from mfa.solved import solve_park

    park = solve_park(mfa.read_park("wuhai")).park
    expected = sankey(park, category="industrial_solid_waste", lang="zh", scale=50000)
    for ext in ("svg", "html"):
        out = tmp_path / f"w.{ext}"
        assert main(["sankey", "wuhai", "-o", str(out), "--category", "industrial_solid_waste",
                     "--lang", "zh", "--scale", "50000"]) == 0
        text = out.read_text(encoding="utf-8")
        if ext == "html":
            # the title names the category in Chinese; one node per process that handles the waste
            assert "一般工业固废" in text and "粉煤灰" in text
            assert text.count('class="sankey-node"') == len(expected.nodes)
        else:
            # the static drawing is the layout at 1 mm per unit: its width in points is the frame's in mm
            w_pt = float(re.search(r'<svg[^>]*width="([0-9.]+)pt"', text).group(1))
            assert w_pt == pytest.approx(expected.matplotlib().get_size_inches()[0] * 72, rel=1e-3)
    capsys.readouterr()
    assert main(["sankey", "wuhai", "-o", str(tmp_path / "g.png"), "--group-by", "kind", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    d = sankey(park, group_by="kind")
    assert doc["nodes"] == len(d.nodes) and doc["links"] == len(d.links)
    assert doc["scale_t_per_mm"] == pytest.approx(d.scale)
    assert doc["total_t"] == pytest.approx(float(d.links["value"].sum()))
    # the carriers of wuhai (96 Mt/a of air, the flue gas, the water) are left out and counted
    assert doc["carriers_not_drawn_t"] == pytest.approx(d.notes["carriers"]) and doc["carriers_not_drawn_t"] > 96e6
    assert doc["largest_node"] == "kind:production"
    # the PNG is the figure at 200 dpi: its size in pixels is the drawing's size in mm
    from PIL import Image

    fig = d.matplotlib()
    w_in, h_in = fig.get_size_inches()
    assert Image.open(tmp_path / "g.png").size == (int(w_in * 200), int(h_in * 200))
    assert main(["sankey", "wuhai", "-o", str(tmp_path / "c.png"), "--carriers", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["carriers_not_drawn_t"] == 0.0
    assert doc["total_t"] > 96e6 + 74e6  # air and flue gas drawn


def test_cli_sankey_errors_exit_2(tmp_path, capsys):
    from mfa.cli import main

    assert main(["sankey", "wuhai", "-o", str(tmp_path / "x.doc")]) == 2
    assert main(["sankey", "wuhai", "-o", str(tmp_path / "x.png"), "--material", "fly_ashh"]) == 2
    err = capsys.readouterr().err
    assert "x.doc" in err and "fly_ashh" in err and "Traceback" not in err
    assert main(["sankey", "wuhai", "-o", str(tmp_path / "x.png"), "--scale", "0"]) == 2


def test_cli_sankey_reconcile_draws_the_computed_flows(tmp_path, capsys):
    from mfa.cli import main

    out = tmp_path / "b.svg"
    assert main(["sankey", "bayannur", "-o", str(out), "--json", "--as-given"]) == 0
    before = capsys.readouterr().out
    assert main(["sankey", "bayannur", "-o", str(out), "--json", "--reconcile"]) == 0
    after = capsys.readouterr().out
    assert main(["sankey", "bayannur", "-o", str(out), "--json"]) == 0  # solved by default
    default = capsys.readouterr().out
    import json

    assert json.loads(before)["unknown_flows_not_drawn"] > 0
    assert json.loads(after)["unknown_flows_not_drawn"] == 0
    assert json.loads(default)["unknown_flows_not_drawn"] == 0
    assert json.loads(after)["links"] > json.loads(before)["links"]
    assert json.loads(default)["links"] == json.loads(after)["links"]


# ---- properties of the layout on random networks ----------------------------------------------------------
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@st.composite
def flow_networks(draw):
    n = draw(st.integers(2, 14))
    m = draw(st.integers(1, 30))
    src = draw(st.lists(st.integers(0, n - 1), min_size=m, max_size=m))
    tgt = draw(st.lists(st.integers(0, n - 1), min_size=m, max_size=m))
    val = draw(st.lists(st.floats(0.01, 1e6), min_size=m, max_size=m))
    pin = draw(st.lists(st.sampled_from([-1, 0, 0, 1]), min_size=n, max_size=n))
    return n, np.array(src), np.array(tgt), np.array(val), np.array(pin)


@settings(max_examples=60, deadline=None)
@given(flow_networks())
def test_layout_invariants_on_random_networks(net):
    n, src, tgt, val, pin = net
    lay = layout_sankey([f"n{i}" for i in range(n)], src, tgt, val, pin=pin)
    nodes = lay.nodes
    # node heights carry every tonne: the larger of inputs and outputs
    v_in = np.bincount(tgt, weights=val, minlength=n)
    v_out = np.bincount(src, weights=val, minlength=n)
    # (heights are in mm, so a tonne count comes back with rounding relative to the largest flow)
    assert ((nodes["y1"] - nodes["y0"]) * lay.scale).to_numpy() == pytest.approx(
        np.maximum(v_in, v_out), rel=1e-9, abs=1e-12 * float(val.max()))
    # nodes in one column never overlap
    for _lay, col in nodes.groupby("layer"):
        col = col.sort_values("y0")
        assert (col["y0"].to_numpy()[1:] >= col["y1"].to_numpy()[:-1] - 1e-6).all()
    # forward links go right; loops run above or below every node of the columns they span and come back
    # into their target from the left
    for li, pts in enumerate(lay.paths):
        if lay.links.loc[li, "loop"]:
            spanned = nodes[nodes["layer"].between(nodes.loc[tgt[li], "layer"], nodes.loc[src[li], "layer"])]
            bottom, top = spanned["y1"].max(), spanned["y0"].min()
            assert (pts[2][1] > bottom and pts[3][1] > bottom) or (pts[2][1] < top and pts[3][1] < top)
            assert pts[2][1] - lay.links.loc[li, "width"] / 2 >= -1e-6  # inside the drawing
            assert pts[-1][0] == pytest.approx(nodes.loc[tgt[li], "x0"])
        else:
            xs = [p[0] for p in pts]
            assert all(b >= a for a, b in zip(xs[:-1], xs[1:]))
    # everything fits in the drawing
    assert nodes["x0"].min() >= 0 and nodes["x1"].max() <= lay.width + 1e-6
    assert all(0 <= p[0] <= lay.width + 1e-6 for pts in lay.paths for p in pts)


def test_long_labels_wrap_without_orphaned_brackets():
    from mfa.sankey_diagram import wrap_label

    zh = wrap_label("包头城区居民、商户和企业（废旧物品来源）")
    assert all(not line.endswith("（") and not line.startswith(("）", "、")) for line in zh.split("\n"))
    assert zh.replace("\n", "") == "包头城区居民、商户和企业（废旧物品来源）"
    en = wrap_label("Other industrial enterprises (incl. non-key survey units)")
    assert max(len(line) for line in en.split("\n")) <= 26 and en.replace("\n", " ").startswith("Other")


def test_label_overlaps_finds_labels_moved_onto_each_other():
    from dataclasses import replace

    from mfa.sankey_diagram.layout import label_overlaps

    lay = layout_sankey(["in", "a", "b", "out"], np.array([0, 0, 1, 2]), np.array([1, 2, 3, 3]),
                        np.array([50.0, 50.0, 50.0, 50.0]), pin=np.array([-1, 0, 0, 1]),
                        node_labels=["In", "Ash and slag yard", "Fly-ash collection", "Out"])
    assert label_overlaps(lay) == []
    nodes = lay.nodes.set_index("id")
    assert nodes.loc["a", "layer"] == nodes.loc["b", "layer"]
    # b's label drawn at a's height: the two names sit on each other, as they did in plotly's drawing
    moved = lay.nodes.copy()
    moved.loc[moved["id"] == "b", "label_y"] = nodes.loc["a", "label_y"] + 0.5
    assert ("Ash and slag yard", "Fly-ash collection") in label_overlaps(replace(lay, nodes=moved))


def test_diagram_is_a_result_with_links_nodes_and_messages():
    import dataclasses
    import json

    d = sankey(small_park())
    assert list(d.tables) == ["links", "nodes"]
    pd.testing.assert_frame_equal(d.table, d.links)
    doc = json.loads(d.to_json())
    assert [r["value"] for r in doc["links"]] == d.links["value"].tolist()
    assert [r["id"] for r in doc["nodes"]] == d.nodes["id"].tolist()
    assert doc["messages"][0]["message"].startswith("air, water and flue gas (1 kt/a) not drawn")
    assert d.summary["carriers_not_drawn_t"] == pytest.approx(1000.0)
    assert d.summary["total_t"] == pytest.approx(float(d.links["value"].sum()))
    with pytest.raises(dataclasses.FrozenInstanceError):
        d.lang = "zh"
    # the plotly figure carries the same links; the inline PNG is a PNG
    assert list(d.figure.data[0].link.value) == d.links["value"].tolist()
    assert d._repr_png_()[:4] == b"\x89PNG"


def test_return_links_run_under_the_columns_they_span_with_their_value():
    # in → a → b → c → out, and c → b back (a return link spanning columns 2–3); a tall sink t in column 1
    # only: the return link must not be pushed under it
    labels = ["in", "a", "b", "c", "out", "t"]
    src = np.array([0, 1, 2, 3, 3, 0])
    tgt = np.array([1, 2, 3, 4, 2, 5])
    val = np.array([100.0, 100.0, 120.0, 100.0, 20.0, 400.0])
    lay = layout_sankey(labels, src, tgt, val, pin=np.array([-1, 0, 0, 0, 1, 0]), scale=4.0,
                        link_labels=[f"{v:g} t/a" for v in val], loops_above=False)
    nodes = lay.nodes.set_index("id")
    assert nodes["layer"].to_dict() == {"in": 0, "a": 1, "b": 2, "c": 3, "out": 4, "t": 1}
    assert lay.links["loop"].tolist() == [False, False, False, False, True, False]
    channel = lay.paths[4][2][1]
    spanned = nodes.loc[["b", "c"]]
    top_edge = channel - lay.links.loc[4, "width"] / 2
    # just beyond the slots of the spanned columns (clearance 1.5 × the 4 mm node gap) …
    slot_bottom = max(spanned["y1"].max(), (spanned["label_y"] + spanned["label_h"] / 2).max())
    assert top_edge == pytest.approx(slot_bottom + 6.0)
    # … not under the whole drawing (t reaches far lower)
    assert top_edge < nodes.loc["t", "y1"]
    # the value is written beside the channel, between the legs; the link enters b from the left
    vl = lay.value_labels.set_index("link")
    assert vl.loc[4, "text"] == "20 t/a" and vl.loc[4, "y"] > channel
    assert lay.paths[4][3][0] < vl.loc[4, "x"] < lay.paths[4][2][0]
    assert lay.paths[4][-1][0] == pytest.approx(nodes.loc["b", "x0"])


@pytest.mark.parametrize("name", __import__("mfa.catalogue", fromlist=["example_parks"]).example_parks())
def test_layout_labels_do_not_overlap_on_every_shipped_park(name):
    """Every shipped park, whole and wastes only, both languages: no label box on another (as the layout
    computed them); the browser test checks the drawn boxes for wuhai, baotou and bayannur."""
    from mfa.report import waste_categories
    from mfa.sankey_diagram.layout import label_overlaps
    from mfa.solved import solve_park

    park = mfa.read_park(name)
    park = solve_park(park.for_year(park.years[-1]) if len(park.years) > 1 else park).park  # a multi-year park: its last year
    for lang in ("en", "zh"):
        for category in (None, waste_categories(park) or None):
            d = sankey(park, lang=lang, category=category)
            assert len(d.layout.nodes) == len(d.nodes)
            assert label_overlaps(d.layout) == [], (name, lang, category)


@pytest.mark.parametrize("name", ["baotou", "hazardous"])
def test_chinese_hover_texts_name_every_kind_in_chinese(name):
    """Every process kind a shipped park uses (consumption included) is named in Chinese in the zh diagram."""
    from mfa.conventions import PROCESS_KINDS

    page = sankey(mfa.read_park(name), lang="zh").to_html()
    assert not [k for k in PROCESS_KINDS if f"({k})" in page]
    assert name != "baotou" or "(消费)" in page


# ---- the neighbourhood of a process or group (--around) -----------------------------------------------------
@pytest.mark.parametrize("depth", [1, 2])
def test_neighbourhood_conserves_every_drawn_process(depth):
    """Every process drawn around a selection keeps its inputs and outputs (the rest of the park is summed into
    'rest of park' nodes), including where the park's own unit is 万t (wuhai)."""
    from mfa.mass_balance import balance
    from mfa.sankey_diagram import sankey
    from mfa.sankey_diagram.neighbourhood import REST_IN, REST_OUT
    from mfa.solved import solve_park

    park = solve_park(mfa.read_park("wuhai")).park
    b = balance(park).processes.set_index("process")
    d = sankey(park, around="cement_plant", depth=depth, carriers=True, residuals=False)
    tot = d.node_totals().set_index("id")
    assert {REST_IN, REST_OUT} <= set(tot.index) and (d.nodes["kind"] == "rest").sum() == 2
    drawn = [p for p in tot.index if p in b.index and b.at[p, "kind"] not in ("import", "export", "environment",
                                                                                "landfill")]
    assert "cement_plant" in drawn and len(drawn) >= 4
    for p in drawn:
        dst = b.at[p, "stock_change"] if np.isfinite(b.at[p, "stock_change"]) else 0.0
        # a stock release is drawn into the node, an accumulation out of it
        assert tot.at[p, "value_in"] == pytest.approx(b.at[p, "inputs"] + max(-dst, 0.0), rel=1e-12), p
        assert tot.at[p, "value_out"] == pytest.approx(b.at[p, "outputs"] + max(dst, 0.0), rel=1e-12), p
    assert tot.at["cement_plant", "value_in"] == pytest.approx(6_992_550.0)  # t/a, not 万t rescaled again


def test_neighbourhood_of_a_group_and_bad_selections():
    from mfa.sankey_diagram import sankey

    park = mfa.read_park("wuhai")
    d = sankey(park, around="building materials", lang="zh")
    assert "⊕group:building materials" in set(d.nodes["id"]) and d.title.endswith("building materials 周边")
    assert d.messages[0].code == "sankey.around" and "周边（深度 1）" in d.messages[0].message
    with pytest.raises(mfa.MfaError, match="did you mean 'cement_plant'"):
        sankey(park, around="cement_plan")
    with pytest.raises(mfa.MfaError, match="--depth"):
        sankey(park, around="cement_plant", depth=0)


def test_cli_sankey_around(tmp_path):
    import json

    from tests.conftest import run_cli

    out = tmp_path / "near.svg"
    done = run_cli("sankey", "wuhai", "-o", str(out), "--around", "cement_plant", "--depth", "2", "--json")
    doc = json.loads(done.stdout)
    assert done.returncode == 0 and out.exists() and doc["nodes"] > 12
    bad = run_cli("sankey", "wuhai", "-o", str(out), "--around", "cement")
    assert bad.returncode == 2 and "--around 'cement' is neither a process id nor a group" in bad.stderr
    assert "Traceback" not in bad.stderr
