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
from html.parser import HTMLParser
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
    """The report's Sankeys (the wastes' on the first screen, the whole park's in its section, those of the
    Substances toggle), in Chinese: drawn without a label on another."""
    park = mfa.read_park("bayannur")
    path = write_report(park, tmp_path / "report.html", lang="zh")
    drawings = _drawn_boxes(path, tmp_path)
    ids = {x["id"] for x in drawings}
    # the wastes', the park's, and those of the Substances section (goods, N, P: a toggle shows one at a time)
    assert {"mfa-sankey", "mfa-sankey-waste", "mfa-subst-goods"} <= ids
    assert all(i.startswith("mfa-subst-") for i in ids - {"mfa-sankey", "mfa-sankey-waste"}), ids
    for drawing in drawings:
        texts = drawing["texts"]
        if drawing["id"].startswith("mfa-subst-") and not texts:
            continue  # a panel the toggle hides has no boxes to compare
        assert texts
        bad = _overlapping([t["box"] for t in texts] + drawing["nodes"])
        assert not bad, (drawing["id"], [(i, j) for i, j in bad])


def test_error_recorder_catches_a_script_error(tmp_path):
    # the recorder itself works: a page of the report's template with a failing script reports it
    from mfa.report import render

    page = render("base.html.j2", lang="en", version="test", title="t")
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


# ---- the park report in en and zh, as a park manager opens it (issue 14) ---------------------------------
REPORT_PARKS = [(name, lang) for name in ("wuhai", "bayannur") for lang in ("en", "zh")]

# Appended to the test's copy of the page only: after every script ran, lists what the page fetched (the
# browser's resource timing: scripts, styles, images, fonts, fetch/XHR) in a <pre> the DOM dump shows.
RESOURCE_RECORDER = """<script>
window.addEventListener("load", function () { setTimeout(function () {
  var pre = document.createElement("pre"); pre.id = "mfa-test-resources";
  pre.textContent = performance.getEntriesByType("resource").map(function (e) { return e.name; }).join("\\n");
  document.body.appendChild(pre); }, 3000); });
</script></body>"""


class _Text(HTMLParser):
    """The text a reader sees: every text node outside script, style and SVG metadata."""

    HIDDEN = {"script", "style", "metadata"}

    def __init__(self):
        super().__init__()
        self.hidden = 0
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.hidden += tag in self.HIDDEN

    def handle_endtag(self, tag):
        self.hidden -= tag in self.HIDDEN and self.hidden > 0

    def handle_data(self, data):
        if not self.hidden:
            self.parts.append(data)


def visible_text(dom: str) -> str:
    dom = re.sub(r'<pre id="mfa-test-resources">.*?</pre>', "", dom, flags=re.S)
    parser = _Text()
    parser.feed(dom)
    return "\n".join(parser.parts)


def latin_words(text: str) -> set[str]:
    """Tokens of two or more Latin letters (ids split at their punctuation; ``t/a``, ``S12`` are not words)."""
    return {w for w in re.findall(r"[A-Za-z][A-Za-z0-9_]*", text) if sum(ch.isalpha() for ch in w) >= 2}


def park_tokens(park) -> set[str]:
    """What the user typed that a Chinese report may show as it is: the park's ids and its own unit."""
    typed = [*park.processes["id"], *park.materials["id"], *park.flows["id"], *park.stocks["process"],
             park.info.unit]
    return set().union(*(latin_words(str(x)) for x in typed))


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """Each report of REPORT_PARKS written, opened in chromium (DOM after the scripts ran) and photographed
    into tests/output/screenshots/ (git-ignored) for the next look by eye."""
    shots = SCREENSHOTS
    shots.mkdir(parents=True, exist_ok=True)
    pages = {}
    for name, lang in REPORT_PARKS:
        tmp = tmp_path_factory.mktemp(f"{name}-{lang}")
        path = write_report(mfa.read_park(name), tmp / "report.html", lang=lang)
        page = path.read_text(encoding="utf-8").replace("</body>", RESOURCE_RECORDER, 1)
        probe = tmp / "probe.html"
        probe.write_text(page, encoding="utf-8")
        dom = _render(probe.resolve().as_uri(), tmp)
        shot = shots / f"report-{name}-{lang}.png"
        _render(path.resolve().as_uri(), tmp, "--hide-scrollbars", "--window-size=1300,3000",
                f"--screenshot={shot}", dump=False)
        assert shot.exists()
        pages[name, lang] = dom
    return pages


@pytest.mark.parametrize("name,lang", REPORT_PARKS)
def test_report_page_runs_offline_without_script_errors(rendered, name, lang):
    dom = rendered[name, lang]
    errors = re.search(r'<pre id="mfa-js-errors"[^>]*data-count="(\d+)"[^>]*>(.*?)</pre>', dom, re.S)
    assert errors is not None and errors.group(1) == "0", errors and errors.group(2)
    fetched = re.search(r'<pre id="mfa-test-resources">(.*?)</pre>', dom, re.S)
    assert fetched is not None, "the resource recorder did not run"
    outside = [u for u in fetched.group(1).split("\n") if u and not u.startswith(("file:", "data:", "blob:"))]
    assert outside == [], f"the report fetched {outside}"
    # an empty list proves something only because the recorder does see what a page loads
    # (test_resource_recorder_sees_a_fetch)


def test_resource_recorder_sees_a_fetch(tmp_path):
    """The recorder lists a request that leaves the file (here to a server on this machine; chromium's
    resource timing lists http(s) requests, which is what a report must not make)."""
    import functools
    import http.server
    import threading

    from mfa.report import render

    (tmp_path / "beside.png").write_bytes(b"")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/beside.png"
        page = render("base.html.j2", lang="en", version="test", title="t")
        page = page.replace("</body>", f'<img src="{url}">' + RESOURCE_RECORDER, 1)
        path = tmp_path / "fetching.html"
        path.write_text(page, encoding="utf-8")
        dom = _render(path.resolve().as_uri(), tmp_path)
    finally:
        server.shutdown()
    fetched = re.search(r'<pre id="mfa-test-resources">(.*?)</pre>', dom, re.S)
    assert fetched is not None and url in fetched.group(1).split("\n")


@pytest.mark.parametrize("name", ["wuhai", "bayannur"])
def test_chinese_report_has_no_english_outside_the_parks_ids(rendered, name):
    """Every Latin word of the Chinese page is something the user typed (an id of a process, material or
    flow, the park's unit) or the program's name in the footer; the English page, built from the same
    templates, has plenty (so the check is not blind)."""
    park = mfa.read_park(name)
    zh = rendered[name, "zh"]
    generator = re.search(r'<meta name="generator" content="([^"]+)"', zh).group(1)
    text = visible_text(zh)
    # ... and the commands a note names (mfa reconcile): the user types them as they are
    allowed = park_tokens(park) | latin_words(generator) | set(re.findall(r"\bmfa ([a-z]+)", text))
    stray = sorted(latin_words(text) - allowed)
    context = {w: text[max(0, text.find(w) - 40):text.find(w) + 40].replace("\n", " ") for w in stray[:10]}
    assert stray == [], context
    # the Sankey titles and labels were drawn (in the DOM text) in Chinese
    assert "废物去向" in text and "综合利用" in text
    english = latin_words(visible_text(rendered[name, "en"])) - allowed
    assert {"utilisation", "balance", "Sankey"} & english


@pytest.mark.parametrize("name,lang", REPORT_PARKS)
def test_cards_and_opportunities_equal_the_commands(rendered, name, lang):
    """The cards show exactly what `mfa indicators --json` computes, the Opportunities table what `mfa
    symbiosis --json` finds (rank and tonnes at full precision); both come before any table."""
    import json

    from tests.conftest import run_cli

    dom = rendered[name, lang]
    ind = json.loads(run_cli("indicators", name, "--json").stdout)
    sym = json.loads(run_cli("symbiosis", name, "--json").stdout)
    cards = dict(re.findall(r'class="card [a-z]+" data-indicator="([a-z_]+)" data-value="([^"]+)"', dom))
    expected = {r["id"]: r["value"] for r in ind["indicators"] if r["unit"] == "t/t" and r["value"] is not None}
    assert cards.keys() == expected.keys()
    assert {k: float(v) for k, v in cards.items()} == expected
    rows = re.findall(r'<tr data-rank="(\d+)" data-tonnes="([^"]+)"', dom)
    assert [(int(r), float(t)) for r, t in rows] == [(c["rank"], c["tonnes"]) for c in sym["couplings"]]
    assert dom.index('class="cards"') < dom.index("<table")
    if sym["couplings"]:  # wuhai: six couplings, the three largest on the first screen
        assert dom.index('class="top-opportunities"') < dom.index("<table")
    else:  # bayannur: no coupling found (no compatible user with capacity left); the section says so
        from mfa.report import TEXT

        assert 'class="top-opportunities"' not in dom and TEXT[lang]["opp_none"] in visible_text(dom)
    if name == "wuhai":  # 55.11 % misses the national 73 % (2020): its card says so
        assert re.search(r'class="card missed" data-indicator="industrial_solid_waste_utilisation_rate"', dom)


# ---- the full detail: neighbourhood Sankey and table drawn by the page's script (issue 13, item 2) -------------
# Types into the report's filter one character at a time, then reads what the script drew and what the table
# shows after a search, into a <pre> the DOM dump carries out.
_DETAIL_JS = """<script>window.addEventListener("load", function () {
  var out = {};
  try {
    var inp = document.getElementById("mfa-around-input"), text = %s;
    for (var i = 1; i <= text.length; i++) { inp.value = text.slice(0, i); inp.dispatchEvent(new Event("input")); }
    out.suggestions = document.querySelectorAll("#mfa-around-list option").length;
    var svg = document.querySelector("#mfa-around svg");
    out.links = Array.prototype.map.call(svg.querySelectorAll("path.sankey-link"),
                                         function (p) { return Number(p.getAttribute("data-value")); });
    out.values = Array.prototype.map.call(svg.querySelectorAll("text.sankey-value"), function (t) { return t.textContent; });
    out.title = svg.querySelector(".sankey-title").textContent;
    inp.value = %s; inp.dispatchEvent(new Event("input"));
    out.group = {};
    document.querySelectorAll("#mfa-around path.sankey-link").forEach(function (p) {
      var v = Number(p.getAttribute("data-value"));
      if (p.getAttribute("data-source") === "centre") { out.group.out = (out.group.out || 0) + v; }
      if (p.getAttribute("data-target") === "centre") { out.group["in"] = (out.group["in"] || 0) + v; }
    });
    document.querySelector('#mfa-sankey g.sankey-node[data-node="coking_plant"]').dispatchEvent(new Event("click"));
    out.clicked = document.querySelector("#mfa-around .sankey-title").textContent;
    var s = document.getElementById("mfa-table-search"); s.value = %s; s.dispatchEvent(new Event("change"));
    out.rows = Number(document.getElementById("mfa-table-count").getAttribute("data-rows"));
    out.shown = document.querySelectorAll("#mfa-detail-table tbody tr").length;
  } catch (e) { out.error = String(e); }
  var pre = document.createElement("pre"); pre.id = "mfa-detail-probe"; pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});</script></body>"""


def test_detail_filter_draws_the_neighbourhood_and_filters_the_table(tmp_path):
    """Typing a process into the report's filter draws its neighbourhood: the same links and values as
    ``sankey(park, around=…)`` (so every tonne in and out of it), value labels in the main diagram's format;
    a search shows the matching flows only."""
    import html as html_mod
    import json

    from mfa.sankey_diagram import format_value, sankey
    from mfa.solved import solve_park

    park = mfa.read_park("wuhai")
    path = write_report(park, tmp_path / "report.html", lang="en")
    name = park.processes.set_index("id").at["cement_plant", "name"]
    probe = tmp_path / "detail-probe.html"
    probe.write_text(path.read_text(encoding="utf-8").replace(
        "</body>", _DETAIL_JS % (json.dumps(f"process: {name} [cement_plant]"), json.dumps("group: building materials"),
                                 json.dumps("cement_plant")), 1),
        encoding="utf-8")
    dom = _render(probe.resolve().as_uri(), tmp_path)
    errors = re.search(r'<pre id="mfa-js-errors"[^>]*data-count="(\d+)"[^>]*>(.*?)</pre>', dom, re.S)
    assert errors.group(1) == "0", errors.group(2)
    got = json.loads(html_mod.unescape(re.search(r'<pre id="mfa-detail-probe">(.*?)</pre>', dom, re.S).group(1)))
    assert "error" not in got, got.get("error")
    solved = solve_park(park).park
    expected = sankey(solved, around="cement_plant")
    assert sorted(got["links"]) == pytest.approx(sorted(expected.links["value"].tolist()), rel=1e-12)
    assert got["title"] == f"around {name}" and 0 < got["suggestions"] <= 30
    formatted = {format_value(v) for v in expected.links["value"]}
    assert got["values"] and set(got["values"]) <= formatted
    # a click on a node of the report's own diagram draws its neighbourhood
    assert got["clicked"] == "around " + park.processes.set_index("id").at["coking_plant", "name"]
    # a group is one node: what enters and leaves it, every tonne, as sankey(park, around=group) draws it
    grp = sankey(solved, around="building materials").node_totals().set_index("id").loc["⊕group:building materials"]
    assert got["group"]["in"] == pytest.approx(grp["value_in"], rel=1e-12)
    assert got["group"]["out"] == pytest.approx(grp["value_out"], rel=1e-12)
    matching = solved.flows["id"].str.lower().str.contains("cement_plant").sum()
    assert got["rows"] == matching and got["shown"] == min(matching, 50)


def test_detail_draws_hostile_names_as_text(tmp_path):
    """Process names that would close the data script or run code are drawn as text by the filter, the
    diagram and the table: nothing they carry runs."""
    import html as html_mod
    import json

    evil = "</script><script>window.pwned=1</script><img src=x onerror=\"window.pwned=2\">"
    park = mfa.Park.from_frames(
        processes=[dict(id="mine", name=evil, kind="import"), dict(id="plant", name="Plant", kind="production"),
                   dict(id="dump", name="Dump", kind="landfill")],
        flows=[dict(source="mine", target="plant", material="raw_coal", value=10.0),
               dict(source="plant", target="dump", material="fly_ash", value=10.0)],
        info={"name": evil})
    path = write_report(park, tmp_path / "report.html")
    probe_js = """<script>window.addEventListener("load", function () {
      var inp = document.getElementById("mfa-around-input");
      inp.value = "mine"; inp.dispatchEvent(new Event("change"));
      var s = document.getElementById("mfa-table-search"); s.value = "onerror"; s.dispatchEvent(new Event("change"));
      var out = {pwned: window.pwned || 0, title: document.querySelector("#mfa-around .sankey-title").textContent,
                 labels: Array.prototype.map.call(document.querySelectorAll("#mfa-around .sankey-node-label"),
                                                  function (t) { return t.firstChild.textContent; }),
                 rows: Number(document.getElementById("mfa-table-count").getAttribute("data-rows")),
                 imgs: document.querySelectorAll("#detail ~ * img, #mfa-detail-table img").length};
      var pre = document.createElement("pre"); pre.id = "mfa-evil-probe"; pre.textContent = JSON.stringify(out);
      document.body.appendChild(pre);
    });</script></body>"""
    probe = tmp_path / "evil-probe.html"
    probe.write_text(path.read_text(encoding="utf-8").replace("</body>", probe_js, 1), encoding="utf-8")
    dom = _render(probe.resolve().as_uri(), tmp_path)
    got = json.loads(html_mod.unescape(re.search(r'<pre id="mfa-evil-probe">(.*?)</pre>', dom, re.S).group(1)))
    assert got["pwned"] == 0 and got["imgs"] == 0
    assert got["title"] == "around " + evil  # the name, whole, as text
    assert any(lab.startswith(evil[:20]) for lab in got["labels"])  # cut to its width, as text
    assert got["rows"] == 1  # the flow from the hostile process, found by its name


_SLIDE_JS = """<script>window.addEventListener('load', function () {
  var r = document.querySelector('.mfa-sankey-series input[type=range]');
  r.value = %d; r.dispatchEvent(new Event('input'));
});</script></body>"""


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_sankey_slider_switches_the_visible_year(tmp_path, lang):
    """The time slider of a multi-year park's Sankey page: moved to a year, that year's SVG is the one
    shown, and its links are that year's diagram's links (not the last year's)."""
    from mfa.sankey_diagram.series import sankey_series

    series = sankey_series(mfa.read_park("farm_film"), lang=lang)
    page = series.save(tmp_path / "film.html").read_text(encoding="utf-8")

    def shown(dom: str) -> tuple[str, int]:
        blocks = re.findall(r'<div class="mfa-sankey-year" data-year="(\d+)"([^>]*)>(.*?)</svg></div>', dom, re.S)
        visible = [(y, body) for y, attrs, body in blocks if "hidden" not in attrs]
        assert len(blocks) == len(series.years) and len(visible) == 1, [(y, a) for y, a, _b in blocks]
        year, body = visible[0]
        return year, len(re.findall(r'class="sankey-link\b(?!s)', body))

    last = _render((tmp_path / "film.html").resolve().as_uri(), tmp_path)
    assert shown(last)[0] == "2025"
    probe = tmp_path / "probe.html"
    probe.write_text(page.replace("</body>", _SLIDE_JS % 0, 1), encoding="utf-8")
    dom = _render(probe.resolve().as_uri(), tmp_path)
    year, n_links = shown(dom)
    assert year == "2021" and n_links == len(series.diagram(2021).links)
    assert re.search(r'<output id="[^"]*-year">2021</output>', dom)
    # the visible diagram's link values are 2021's, which differ from 2025's
    values = lambda d: sorted(format_value(v, lang) for v in d.links["value"])  # noqa: E731
    from mfa.sankey_diagram import format_value

    assert values(series.diagram(2021)) != values(series.diagram(2025))
    block = dom[dom.index('data-year="2021"'):dom.index('data-year="2022"')]
    drawn = re.findall(r'class="sankey-value"[^>]*><tspan[^>]*>([^<]*)<', block)
    assert drawn == series.diagram(2021).layout.value_labels["text"].tolist()
    if lang == "zh":
        assert "年份" in dom


def test_report_of_a_multi_year_park_has_the_slider_sankey(tmp_path):
    """The report of farm_film carries the Sankeys of every year; the slider shows the year asked for,
    with no script error on the page."""
    from mfa.sankey_diagram.series import sankey_series

    park = mfa.read_park("farm_film")
    path = write_report(park, tmp_path / "report.html", lang="zh")
    probe = tmp_path / "probe.html"
    probe.write_text(path.read_text(encoding="utf-8").replace("</body>", _SLIDE_JS % 1, 1), encoding="utf-8")
    dom = _render(probe.resolve().as_uri(), tmp_path)
    errors = re.search(r'<pre id="mfa-js-errors"[^>]*data-count="(\d+)"[^>]*>(.*?)</pre>', dom, re.S)
    assert errors is not None and errors.group(1) == "0", errors and errors.group(2)
    blocks = re.findall(r'<div class="mfa-sankey-year" data-year="(\d+)"([^>]*)>(.*?)</svg></div>', dom, re.S)
    visible = [(y, body) for y, attrs, body in blocks if "hidden" not in attrs]
    assert [b[0] for b in blocks] == [str(y) for y in park.years] and [y for y, _b in visible] == ["2022"]
    expected = sankey_series(park, lang="zh").diagram(2022)
    assert len(re.findall(r'class="sankey-link\b(?!s)', visible[0][1])) == len(expected.links)
