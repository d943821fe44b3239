"""A real browser opens the report: the Sankey's nodes and links are in the rendered page, no script error.

Chromium runs headless from the command line (``--dump-dom`` after a virtual-time budget, so the plotly
code has run). The report records script errors in ``<pre id="mfa-js-errors">`` itself. Skipped with a
reason where no chromium is installed (``apt-get install chromium``; ``.ci/run`` installs it).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest

import mfa
from mfa.report import waste_categories, write_report


def _chromium() -> str | None:
    for path in ("/usr/bin/chromium", "/usr/bin/chromium-browser"):
        if os.path.exists(path):
            return path
    return shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


def _render(url: str, tmp_path) -> str:
    browser = _chromium()
    if browser is None:
        pytest.skip("chromium not found: apt-get install chromium")
    from mfa.fonts import fontconfig_file

    env = dict(os.environ, FONTCONFIG_FILE=str(fontconfig_file()))
    cmd = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=20000", "--dump-dom", url]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=180, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@pytest.mark.parametrize("name,lang", [("wuhai", "zh"), ("baotou", "en")])
def test_report_renders_in_chromium(tmp_path, name, lang):
    park = mfa.read_park(name)
    path = write_report(park, tmp_path / "report.html", lang=lang)
    dom = _render(path.resolve().as_uri(), tmp_path)
    errors = re.search(r'<pre id="mfa-js-errors"[^>]*data-count="(\d+)"[^>]*>(.*?)</pre>', dom, re.S)
    assert errors is not None, "the error recorder is missing from the rendered page"
    assert errors.group(1) == "0", errors.group(2)
    # plotly drew the Sankey: one SVG group per node and one path per link (of the solved park, as reported)
    from mfa.sankey_diagram import sankey
    from mfa.solved import solve_park

    park = solve_park(park).park

    d = sankey(park, lang=lang)
    # the whole park's diagram sits in its section; the wastes' diagram leads the first screen
    first_div = dom[dom.index('id="mfa-sankey"'):]
    first_div = first_div[:first_div.index('id="trace"')]
    n_nodes = len(re.findall(r'class="sankey-node\b(?!-)', first_div))
    n_links = len(re.findall(r'class="sankey-link\b(?!s)', first_div))
    assert n_nodes == len(d.nodes), (n_nodes, len(d.nodes))
    assert n_links == len(d.links), (n_links, len(d.links))
    waste = sankey(park, lang=lang, category=waste_categories(park))
    second = dom[dom.index('id="mfa-sankey-waste"'):]
    second = second[:second.index('id="summary"')]
    assert dom.index('id="mfa-sankey-waste"') < dom.index('id="summary"')  # before any table
    assert len(re.findall(r'class="sankey-node\b(?!-)', second)) == len(waste.nodes)
    # a node label made it into the DOM text
    first = str(d.nodes["label"].iloc[0])
    assert first.split("\n")[0][:6] in dom
    # link values are written on the links where they fit (loops and crowded links keep hover only)
    from mfa.sankey_diagram import format_value

    labels = re.findall(r'class="mfa-link-label"[^>]*>([^<]*)<', first_div)
    assert labels, "no link value labels in the interactive Sankey"
    values = {format_value(float(v), lang) for v in d.links["value"]}
    assert set(labels) <= values, set(labels) - values


def test_error_recorder_catches_a_script_error(tmp_path):
    # the recorder itself works: a page of the report's template with a failing script reports it
    from mfa.report import render

    page = render("base.html.j2", lang="en", version="test", title="t", plotlyjs="")
    page = page.replace("</body>", "<script>undefinedFunction();</script></body>")
    path = tmp_path / "broken.html"
    path.write_text(page, encoding="utf-8")
    dom = _render(path.resolve().as_uri(), tmp_path)
    m = re.search(r'<pre id="mfa-js-errors"[^>]*data-count="(\d+)"[^>]*>(.*?)</pre>', dom, re.S)
    assert m and m.group(1) == "1" and "undefinedFunction" in m.group(2)


def test_user_text_stays_text_in_the_browser(tmp_path):
    evil = "<img src=x onerror=\"document.title='pwned'\"><b>bold</b>"
    park = mfa.Park.from_frames(
        processes=[{"id": "mine", "name": evil, "kind": "import"},
                   {"id": "plant", "name": "Plant", "kind": "production", "note": evil},
                   {"id": "dump", "name": "Dump " + evil, "kind": "landfill"}],
        flows=[{"source": "mine", "target": "plant", "material": "raw_coal", "value": 100},
               {"source": "plant", "target": "dump", "material": "coal_gangue", "value": 100}],
        materials=[{"id": "raw_coal", "name": "Raw coal", "category": "raw_material"},
                   {"id": "coal_gangue", "name": evil, "category": "industrial_solid_waste"}],
        info={"name": evil})
    path = write_report(park, tmp_path / "evil.html")
    dom = _render(path.resolve().as_uri(), tmp_path)
    assert re.search(r"<title>(.*?)</title>", dom, re.S).group(1).strip() != "pwned"
    assert not re.search(r"<img[^>]*src=\"x\"", dom)
    # the names are shown as text, in the tables and in the Sankey's SVG labels
    assert "&lt;img src=x" in dom
    assert not re.search(r"<b>bold</b>", dom)
    # plotly would turn <b> in a label into bold type: its labels show the tags literally
    sankey_part = dom[dom.index('id="mfa-sankey"'):]
    assert "&lt;b&gt;bold&lt;/b&gt;" in sankey_part
    assert "font-weight:bold\">bold" not in sankey_part.replace(" ", "")
    m = re.search(r'<pre id="mfa-js-errors"[^>]*data-count="(\d+)"', dom)
    assert m and m.group(1) == "0"


def test_first_screen_cards_and_opportunities_match_the_commands(tmp_path):
    """The cards show exactly what `mfa indicators --json` computes, the Opportunities table what `mfa symbiosis
    --json` finds; both come before any table of the report."""
    import json

    from tests.conftest import run_cli

    park = mfa.read_park("wuhai")
    path = write_report(park, tmp_path / "report.html", lang="zh")
    dom = _render(path.resolve().as_uri(), tmp_path)
    ind = json.loads(run_cli("indicators", "wuhai", "--json").stdout)
    sym = json.loads(run_cli("symbiosis", "wuhai", "--json").stdout)
    cards = dict(re.findall(r'class="card [a-z]+" data-indicator="([a-z_]+)" data-value="([^"]+)"', dom))
    expected = {r["id"]: r["value"] for r in ind["indicators"] if r["unit"] == "t/t" and r["value"] is not None}
    assert set(cards) == set(expected)
    for k, v in expected.items():
        assert float(cards[k]) == v, k
    # the cards of rates that miss an applicable target say so: wuhai's 55.11 % against 73 % (2020)
    assert re.search(r'class="card missed" data-indicator="industrial_solid_waste_utilisation_rate"', dom)
    rows = re.findall(r'<tr data-rank="(\d+)" data-tonnes="([^"]+)"', dom)
    assert [(int(r), float(t)) for r, t in rows] == [(c["rank"], c["tonnes"]) for c in sym["couplings"]]
    assert len(rows) >= 3
    assert dom.index('class="cards"') < dom.index("<table")
    assert dom.index('class="top-opportunities"') < dom.index("<table")
