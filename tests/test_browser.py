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
    from mfa.sankey import sankey
    from mfa.solved import solve_park

    park = solve_park(park).park

    d = sankey(park, lang=lang)
    # the first diagram (all flows) ends where the second (wastes only) begins
    first_div = dom[dom.index('id="mfa-sankey"'):]
    first_div = first_div[:first_div.index('id="mfa-sankey-waste"')]
    n_nodes = len(re.findall(r'class="sankey-node\b(?!-)', first_div))
    n_links = len(re.findall(r'class="sankey-link\b(?!s)', first_div))
    assert n_nodes == len(d.nodes), (n_nodes, len(d.nodes))
    assert n_links == len(d.links), (n_links, len(d.links))
    waste = sankey(park, lang=lang, category=waste_categories(park))
    second = dom[dom.index('id="mfa-sankey-waste"'):]
    assert len(re.findall(r'class="sankey-node\b(?!-)', second)) == len(waste.nodes)
    # a node label made it into the DOM text
    first = str(d.nodes["label"].iloc[0])
    assert first.split("\n")[0][:6] in dom
    # link values are written on the links where they fit (loops and crowded links keep hover only)
    from mfa.sankey import format_value

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
