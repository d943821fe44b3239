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
from pathlib import Path

import numpy as np
import pytest

import mfa
from mfa.report import waste_categories, write_report


def _chromium() -> str | None:
    for path in ("/usr/bin/chromium", "/usr/bin/chromium-browser"):
        if os.path.exists(path):
            return path
    return shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


def _render(url: str, tmp_path, *flags: str, dump: bool = True) -> str:
    browser = _chromium()
    if browser is None:
        pytest.skip("chromium not found: apt-get install chromium")
    from mfa.fonts import fontconfig_file

    env = dict(os.environ, FONTCONFIG_FILE=str(fontconfig_file()))
    cmd = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=20000", *flags,
           *(["--dump-dom"] if dump else []), url]
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
    # link values are written on the links where they fit, exactly as the layout placed them
    labels = re.findall(r'class="sankey-value"[^>]*><tspan[^>]*>([^<]*)<', first_div)
    assert labels == d.layout.value_labels["text"].tolist()


# ---- the Sankey as drawn by the browser ----------------------------------------------------------------
SCREENSHOTS = Path(__file__).parent / "output" / "screenshots"

# Collects the boxes the browser drew for every text and node of each Sankey on the page into the DOM, so that
# --dump-dom carries them out.
_RECTS_JS = """<script>(function () {
  function box(e) { var r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; }
  var out = [];
  document.querySelectorAll("svg.mfa-sankey-svg").forEach(function (svg) {
    var texts = [], nodes = [];
    svg.querySelectorAll("text.sankey-node-label, text.sankey-value").forEach(function (t) {
      texts.push({text: t.textContent, cls: t.getAttribute("class"), box: box(t)}); });
    svg.querySelectorAll("g.sankey-node rect").forEach(function (r) { nodes.push(box(r)); });
    out.push({id: svg.id, texts: texts, nodes: nodes, box: box(svg)});
  });
  var pre = document.createElement("pre"); pre.id = "mfa-rects"; pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
})();</script>"""


def _drawn_boxes(page: Path, tmp_path) -> list[dict]:
    import html as html_mod
    import json

    probe = tmp_path / ("probe-" + page.name)
    probe.write_text(page.read_text(encoding="utf-8").replace("</body>", _RECTS_JS + "</body>"), encoding="utf-8")
    dom = _render(probe.resolve().as_uri(), tmp_path, "--window-size=2400,1600")
    m = re.search(r'<pre id="mfa-rects">(.*?)</pre>', dom, re.S)
    assert m, "the probe did not run"
    return json.loads(html_mod.unescape(m.group(1)))


def _overlapping(boxes: list[list[float]], slack: float = 0.5) -> list[tuple[int, int]]:
    b = np.array(boxes, dtype=float).reshape(-1, 4)
    hit = ((b[:, None, 0] < b[None, :, 2] - slack) & (b[None, :, 0] < b[:, None, 2] - slack)
           & (b[:, None, 1] < b[None, :, 3] - slack) & (b[None, :, 1] < b[:, None, 3] - slack))
    i, j = np.nonzero(np.triu(hit, 1))
    return list(zip(i.tolist(), j.tolist()))


@pytest.mark.parametrize("name", ["wuhai", "baotou", "bayannur"])
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_sankey_labels_do_not_overlap_as_drawn_by_chromium(tmp_path, name, lang):
    """What the browser drew (getBoundingClientRect): no label on another label, a link value or a node; a
    screenshot of each diagram is kept in tests/output/screenshots for the next look by eye."""
    from mfa.sankey_diagram import sankey
    from mfa.solved import solve_park

    park = solve_park(mfa.read_park(name)).park
    d = sankey(park, lang=lang)
    page = d.save(tmp_path / f"{name}-{lang}.html")
    (drawing,) = _drawn_boxes(page, tmp_path)
    texts = drawing["texts"]
    # every label and every value the layout placed was drawn, with a real box
    assert len([t for t in texts if t["cls"] == "sankey-node-label"]) == len(d.nodes)
    assert len([t for t in texts if t["cls"] == "sankey-value"]) == len(d.layout.value_labels)
    assert all(t["box"][2] > t["box"][0] and t["box"][3] > t["box"][1] for t in texts)
    bad = _overlapping([t["box"] for t in texts] + drawing["nodes"])
    names = [t["text"] for t in texts] + [f"node {i}" for i in range(len(drawing["nodes"]))]
    assert not bad, [(names[i], names[j]) for i, j in bad]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shot = SCREENSHOTS / f"sankey-{name}-{lang}.png"
    w, h = int(drawing["box"][2]) + 40, int(drawing["box"][3]) + 40
    _render(page.resolve().as_uri(), tmp_path, f"--window-size={w},{h}", f"--screenshot={shot}", dump=False)
    assert shot.stat().st_size > 10_000


def test_report_sankeys_do_not_overlap_as_drawn_by_chromium(tmp_path):
    """The report's two Sankeys (the wastes' on the first screen, the whole park's in its section), in
    Chinese: drawn without a label on another."""
    park = mfa.read_park("bayannur")
    path = write_report(park, tmp_path / "report.html", lang="zh")
    drawings = _drawn_boxes(path, tmp_path)
    assert {x["id"] for x in drawings} == {"mfa-sankey", "mfa-sankey-waste"}
    for drawing in drawings:
        texts = drawing["texts"]
        assert texts
        bad = _overlapping([t["box"] for t in texts] + drawing["nodes"])
        assert not bad, (drawing["id"], [(i, j) for i, j in bad])


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
