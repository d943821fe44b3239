"""The report's *Substances* section (issue 17): on tuoketuo, bayannur and hazardous it shows, per substance,
the fates and recovery that :func:`mfa.substance_fates` computes (the figures in the page's data attributes are
the engine's, to the last bit), and a goods/substance Sankey toggle that works in a real browser without
script. A park without concentrations has no such section."""

from __future__ import annotations

import html
import json
import re

import numpy as np
import pytest

import mfa
from mfa.report import report_html, write_report
from mfa.substance import read_substances, substance_fates

PARKS = ("tuoketuo", "bayannur", "hazardous")


@pytest.fixture(scope="module")
def pages():
    out = {}
    for name in PARKS:
        park = mfa.read_park(name)
        layer = read_substances(name, park)
        out[name] = (park, layer, report_html(park, lang="en", substances=layer))
    return out


def _rows(page: str, table: str, substance: str) -> list[dict]:
    m = re.search(rf'<table class="{table}" data-substance="{re.escape(substance)}">(.*?)</table>', page, re.S)
    assert m, f"no {table} table of {substance}"
    return [dict(re.findall(r'data-(\w+)="([^"]*)"', tr)) for tr in re.findall(r"<tr (data-[^>]*)>", m.group(1))]


@pytest.mark.parametrize("name", PARKS)
def test_section_shows_the_engines_fates_and_recovery(pages, name):
    park, layer, page = pages[name]
    assert '<h2 id="substances">' in page and 'href="#substances"' in page
    assert len(layer.substances) >= 1
    for s in layer.substances:
        res = substance_fates(park, layer, s)
        rows = _rows(page, "substance-fates", s)
        assert [(r["material"], r["fate"]) for r in rows] == list(zip(res.fates["material"], res.fates["fate"]))
        np.testing.assert_array_equal([float(r["tonnes"]) for r in rows], res.fates["tonnes"].to_numpy())
        np.testing.assert_array_equal([float(r["share"]) for r in rows], res.fates["share"].to_numpy())
        if len(res.recovery):
            rec = _rows(page, "substance-recovery", s)
            assert [r["process"] for r in rec] == list(res.recovery["process"])
            np.testing.assert_array_equal([float(r["recovery"]) for r in rec], res.recovery["recovery"].to_numpy())
    # one radio button and one panel per view: the goods, then each substance
    views = re.findall(r'<input type="radio" name="mfa-view" id="mfa-view-(\d+)" value="([^"]*)"', page)
    assert [v for _, v in views] == ["goods", *layer.substances]
    panels = re.findall(r'<div class="mfa-view-panel" id="mfa-panel-(\d+)" data-view="([^"]*)">\s*<div class="mfa-sankey"',
                        page)
    assert [v for _, v in panels] == ["goods", *layer.substances]


def test_hand_figures_in_the_page(pages):
    # hazardous: every Hg of the incinerator's residues ends stabilised in the secure landfill (share 1)
    rows = _rows(pages["hazardous"][2], "substance-fates", "Hg")
    assert {(r["material"], r["fate"]): float(r["share"]) for r in rows}[
        ("hw18_incineration_residues", "landfill")] == 1.0


def test_no_section_without_a_layer():
    page = report_html(mfa.read_park("hazardous"))
    assert 'id="substances"' not in page and 'class="mfa-view-panel"' not in page


def test_chinese_section_speaks_chinese():
    park = mfa.read_park("bayannur")
    page = report_html(park, lang="zh", substances=read_substances("bayannur", park))
    sec = page[page.index('<h2 id="substances">'):page.index('<h2 id="detail">')]
    cells = re.findall(r"<td>([^<]*)</td>", sec)
    assert cells and not [c for c in cells if re.search(r"[A-Za-z]{3,}", c)], cells
    assert "的去向" in sec and "货物（吨/年）" in sec


# ---- in a real browser -------------------------------------------------------------------------------------
# Reports which panel is displayed, clicks the label of the last view, reports again: into the DOM.
_TOGGLE_JS = """<script>(function () {
  function shown() { return Array.from(document.querySelectorAll(".mfa-view-panel")).map(function (p) {
    return [p.getAttribute("data-view"), getComputedStyle(p).display, p.getBoundingClientRect().height]; }); }
  var before = shown();
  var labels = document.querySelectorAll(".mfa-substance-sankeys label");
  labels[labels.length - 1].click();
  var pre = document.createElement("pre"); pre.id = "mfa-toggle";
  pre.textContent = JSON.stringify({before: before, after: shown()}); document.body.appendChild(pre);
})();</script>"""


@pytest.mark.parametrize("name,lang", [("hazardous", "en"), ("tuoketuo", "zh")])
def test_toggle_switches_the_sankey_in_chromium(tmp_path, name, lang):
    from tests.test_browser import SCREENSHOTS, _render

    park = mfa.read_park(name)
    layer = read_substances(name, park)
    path = write_report(park, tmp_path / "report.html", lang=lang, substances=layer)
    probe = tmp_path / "probe.html"
    probe.write_text(path.read_text(encoding="utf-8").replace("</body>", _TOGGLE_JS + "</body>"), encoding="utf-8")
    dom = _render(probe.resolve().as_uri(), tmp_path)
    errors = re.search(r'<pre id="mfa-js-errors"[^>]*data-count="(\d+)"', dom)
    assert errors is not None and errors.group(1) == "0"
    got = json.loads(html.unescape(re.search(r'<pre id="mfa-toggle">(.*?)</pre>', dom, re.S).group(1)))
    last = layer.substances[-1]
    assert [(v, d) for v, d, _ in got["before"]] == [("goods", "block")] + [(s, "none") for s in layer.substances]
    assert [(v, d) for v, d, _ in got["after"]] == [("goods", "none")] + [
        (s, "block" if s == last else "none") for s in layer.substances]
    assert got["after"][-1][2] > 100  # the substance's diagram has a height on screen
    # a photograph of the section with the substance shown, for a look by eye (tofu in the zh text, say)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shot = SCREENSHOTS / f"report-substances-{name}-{lang}.png"
    focus = tmp_path / "focus.html"
    focus.write_text(path.read_text(encoding="utf-8").replace("</body>", _FOCUS_JS + "</body>"), encoding="utf-8")
    _render(focus.resolve().as_uri(), tmp_path, "--hide-scrollbars", "--window-size=1300,1700",
            f"--screenshot={shot}", dump=False)
    assert shot.stat().st_size > 20_000  # not a blank page


# Shows only the Substances section, with the last substance's Sankey selected.
_FOCUS_JS = """<script>(function () {
  var n = document.getElementById("substances"), keep = [];
  while (n && n.id !== "detail") { keep.push(n); n = n.nextElementSibling; }
  Array.from(document.body.children).forEach(function (c) { c.style.display = "none"; });
  var box = document.createElement("div");
  keep.forEach(function (e) { e.style.display = ""; box.appendChild(e); });
  document.body.prepend(box);
  var r = document.querySelectorAll(".mfa-substance-sankeys input"); r[r.length - 1].checked = true;
})();</script>"""
