"""The HTML report and the comparison page: sections, offline, escaped, deterministic, degrading."""

from __future__ import annotations

import json
import re
import sys

import pytest

import mfa
from mfa.errors import MfaError
from mfa.report import report_html, write_report
from mfa.report.compare import compare, write_compare

EVIL = "<script>alert('x')</script>"
EVIL_IMG = "<img src=x onerror=alert(1)>"


def evil_park():
    procs = [dict(id="mine", name=EVIL_IMG, name_zh=EVIL, kind="import", note=EVIL),
             dict(id="plant", name="Plant & \"co\"", kind="production"),
             dict(id="yard", name="Yard", kind="collection"),
             dict(id="cement", name=EVIL, kind="production"),
             dict(id="dump", name="Dump", kind="landfill"),
             dict(id="market", name="Market", kind="export")]
    flows = [dict(source="mine", target="plant", material="raw_coal", value=1000, note=EVIL),
             dict(source="plant", target="yard", material="fly_ash", value=300),
             dict(source="yard", target="cement", material="fly_ash", value=200),
             dict(source="yard", target="dump", material="fly_ash", value=100),
             dict(source="plant", target="market", material="power_eq", value=650),
             dict(source="cement", target="market", material="cement_p", value=150),
             dict(source="plant", target="dump", material="slag", value=float("nan"), note=EVIL)]
    mats = [dict(id="raw_coal", name="Raw coal", category="fuel"),
            dict(id="fly_ash", name=EVIL, category="industrial_solid_waste", bulk=True),
            dict(id="slag", name="Slag", category="industrial_solid_waste", bulk=True),
            dict(id="power_eq", name="Products", category="product"),
            dict(id="cement_p", name="Cement", category="product")]
    return mfa.Park.from_frames(processes=procs, flows=flows, materials=mats,
                                info={"name": EVIL, "name_zh": EVIL_IMG, "year": 2024, "region": EVIL})


@pytest.fixture(scope="module")
def wuhai_html(wuhai):
    return report_html(wuhai, lang="en")


def test_report_has_every_section(wuhai_html):
    for sid in ("summary", "quality", "balance", "indicators", "sankey", "trace"):
        assert f'id="{sid}"' in wuhai_html
    assert 'id="mfa-sankey"' in wuhai_html and 'class="sankey-node"' in wuhai_html  # the Sankey is drawn (SVG)
    assert "General industrial solid waste utilisation rate" in wuhai_html
    assert 'id="mfa-js-errors"' in wuhai_html
    # the summary opens with the rates the park has a value for
    from mfa.utilisation import indicators
    from mfa.formatting import percent as fmt_pct

    summary = wuhai_html[wuhai_html.index('id="summary"'):wuhai_html.index('id="quality"')]
    rate = indicators(mfa.read_park("wuhai")).get("industrial_solid_waste_utilisation_rate")["value"]
    assert "General industrial solid waste utilisation rate" in summary and fmt_pct(rate) in summary
    # the balance table lists every process of the park
    for pid in mfa.read_park("wuhai").processes["id"]:
        assert f">{pid}<" in wuhai_html


def test_report_is_offline_and_carries_no_script_library(wuhai_html):
    assert not re.search(r"<(script|link|img)[^>]*\s(src|href)=[\"']?(https?:)?//", wuhai_html)
    # the Sankeys and charts are SVG drawn from the layout: no plotly.js (4.5 MB) rides along unused
    assert "Plotly" not in wuhai_html and 'class="sankey-node"' in wuhai_html
    assert len(wuhai_html.encode()) < 2_000_000


def test_report_is_deterministic(tmp_path, wuhai):
    # same name in two folders: the page links its CSV by name
    a = write_report(wuhai, tmp_path / "a" / "r.html", lang="zh")
    b = write_report(mfa.read_park("wuhai"), tmp_path / "b" / "r.html", lang="zh")
    assert a.read_bytes() == b.read_bytes()
    assert (tmp_path / "a" / "r.flows.csv").read_bytes() == (tmp_path / "b" / "r.flows.csv").read_bytes()
    assert "各过程物质平衡" in a.read_text(encoding="utf-8")


def test_all_user_text_is_escaped():
    for lang in ("en", "zh"):
        page = report_html(evil_park(), lang=lang)
        assert EVIL not in page and EVIL_IMG not in page
        assert "<script>alert" not in page and "<img src=x" not in page
        assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page or "\\u003cscript\\u003e" in page


def test_data_quality_warnings_name_unknown_flows_and_imbalances():
    page = report_html(evil_park())
    assert "1 flow(s) have no value" in page
    assert "plant&gt;dump:slag" in page  # listed in the unknown-flows table


def test_imbalanced_processes_are_flagged():
    park = evil_park()
    flows = park.flows
    flows.loc[flows["id"] == "yard>dump:fly_ash", "value"] = 40.0  # the yard loses 60 t/a
    page = report_html(park.replace(flows=flows))
    assert re.search(r'<tr class="flag">\s*<td class=" process">yard</td>', page)
    assert "process(es) do not balance" in page
    zh = report_html(park.replace(flows=flows), lang="zh")
    assert re.search(r'<td class=" status_t">不平衡</td>', zh) and "个过程不平衡" in zh


def test_sections_degrade_with_a_note_when_an_engine_is_missing(monkeypatch):
    # None in sys.modules makes "import mfa.utilisation" raise ImportError, as on an install without it
    monkeypatch.setitem(sys.modules, "mfa.utilisation", None)
    monkeypatch.setitem(sys.modules, "mfa.tracing", None)
    page = report_html(evil_park())
    assert "Indicators are not available" in page and "The trace is not available" in page
    assert 'id="mfa-sankey"' in page  # the rest of the report is still there


def test_report_rejects_bad_language_and_folder(tmp_path, wuhai):
    with pytest.raises(MfaError, match="lang"):
        report_html(wuhai, lang="fr")
    (tmp_path / "file").write_text("x")
    with pytest.raises(MfaError, match="is a file, not a folder"):
        write_report(wuhai, tmp_path / "file" / "r.html")


def test_cli_report(tmp_path, capsys):
    from mfa.cli import main

    out = tmp_path / "r.html"
    assert main(["report", "hazardous", "-o", str(out), "--lang", "zh", "--json"]) == 0
    # the command writes exactly the page of the Python API (solved park by default) and says its size
    assert out.read_bytes() == report_html(mfa.read_park("hazardous"), lang="zh",
                                           flows_csv="r.flows.csv").encode("utf-8")
    doc = json.loads(capsys.readouterr().out)
    assert doc == {"output": str(out), "bytes": out.stat().st_size, "lang": "zh",
                   "flows_csv": str(tmp_path / "r.flows.csv")}
    assert main(["report", "hazardous", "-o", str(tmp_path / "r.pdf")]) == 2
    assert "ending in .html" in capsys.readouterr().err
    assert not (tmp_path / "r.pdf").exists()


# ---- compare ----------------------------------------------------------------------------------------------
def test_compare_flows_and_indicators():
    base = evil_park()
    flows = base.flows
    flows.loc[flows["id"] == "yard>cement:fly_ash", "value"] = 280.0
    flows.loc[flows["id"] == "yard>dump:fly_ash", "value"] = 20.0
    other = base.replace(flows=flows)
    c = compare(base, other)
    f = c.flows.set_index("id")
    assert f.loc["yard>cement:fly_ash", "difference"] == pytest.approx(80.0)
    assert f.loc["yard>dump:fly_ash", "status"] == "changed"
    assert f.loc["mine>plant:raw_coal", "status"] == "same"
    assert f.loc["plant>dump:slag", "status"] == "unknown"
    # the largest change comes first
    assert c.flows.iloc[0]["id"] in ("yard>cement:fly_ash", "yard>dump:fly_ash")
    rate = c.indicators.set_index("id").loc["industrial_solid_waste_utilisation_rate"]
    assert rate["difference"] == pytest.approx(280 / 300 - 200 / 300)


def test_compare_added_and_removed_flows():
    base = evil_park()
    flows = base.flows
    flows = flows[flows["id"] != "yard>dump:fly_ash"]
    extra = flows[flows["id"] == "yard>cement:fly_ash"].assign(target="market", id="yard>market:fly_ash")
    import pandas as pd

    other = base.replace(flows=pd.concat([flows, extra], ignore_index=True))
    st = compare(base, other).flows.set_index("id")["status"]
    assert st["yard>dump:fly_ash"] == "removed" and st["yard>market:fly_ash"] == "added"


def test_compare_page_uses_one_scale(tmp_path, wuhai):
    from mfa.sankey_diagram import format_value, sankey

    small = evil_park()
    double = small.replace(flows=small.flows.assign(value=small.flows["value"] * 2))
    cmp = write_compare(small, double, tmp_path / "c.html")
    page = (tmp_path / "c.html").read_text(encoding="utf-8")
    assert 'id="mfa-sankey-base"' in page and 'id="mfa-sankey-other"' in page
    # the common scale is the larger fitted one: the doubled park's, twice the small park's
    fitted = sankey(small).layout.scale, sankey(double).layout.scale
    assert cmp.scale == max(fitted) == pytest.approx(2 * fitted[0], rel=1e-9)
    assert f"Both diagrams use the same scale: {format_value(cmp.scale)} per mm." in page
    assert EVIL not in page


def test_cli_compare(tmp_path, capsys):
    from mfa.cli import main

    from mfa.solved import solve_park

    assert main(["compare", "wuhai", "wuhai", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    # a park against itself: every flow of the (solved) park, each the same, no difference anywhere
    n_flows = len(solve_park(mfa.read_park("wuhai")).park.flows)
    assert [f["status"] for f in doc["flows"]] == ["same"] * n_flows
    assert all(row["difference"] == 0 for row in doc["system"] + doc["indicators"] if row["difference"] is not None)
    assert main(["compare", "wuhai", "wuhai_retrofit", "-o", str(tmp_path / "c.html"), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    page = (tmp_path / "c.html").read_text(encoding="utf-8")
    same = sum(f["status"] == "same" for f in doc["flows"])
    assert 0 < same < len(doc["flows"]) and f"{same} flows are the same in both parks." in page
    assert main(["compare", "wuhai", "nowhere-park"]) == 2


def test_report_of_the_reconciled_park_says_so():
    park = mfa.read_park("bayannur")
    n = int(park.flows["value"].isna().sum())
    page = report_html(park, reconcile=True)
    assert f"values from mfa reconcile: {n} of {n} unknown flow(s) computed" in page
    assert "flow(s) have no value" not in page


def test_compare_page_is_deterministic(tmp_path):
    base = evil_park()
    other = base.replace(flows=base.flows.assign(value=base.flows["value"] * 1.5))
    write_compare(base, other, tmp_path / "a.html", lang="zh")
    write_compare(evil_park(), other, tmp_path / "b.html", lang="zh")
    assert (tmp_path / "a.html").read_bytes() == (tmp_path / "b.html").read_bytes()
    assert "同一比例的桑基图" in (tmp_path / "a.html").read_text(encoding="utf-8")


def test_chinese_glyphs_travel_with_the_page():
    # every CJK character of the page is in the embedded subset font, so the page reads on a machine
    # without any CJK font
    import base64
    import io

    from fontTools.ttLib import TTFont

    from mfa.fonts import cjk_chars

    page = report_html(mfa.read_park("hazardous"), lang="zh")
    m = re.search(r'@font-face \{ font-family: "MFA CJK";[^}]*base64,([A-Za-z0-9+/=]+)', page)
    assert m, "no embedded CJK font"
    cmap = TTFont(io.BytesIO(base64.b64decode(m.group(1)))).getBestCmap()
    needed = cjk_chars(page)
    assert needed and all(ord(ch) in cmap for ch in needed)
    assert len(m.group(1)) < 400_000  # a subset, not the 10 MB font


def test_zh_report_gives_reasons_and_sankey_titles_in_chinese(wuhai):
    """With --lang zh the rates without a value say why in Chinese, and the waste Sankey's title names the
    categories in Chinese, not by id."""
    page = report_html(wuhai, lang="zh")
    assert "园区没有农作物秸秆类物质" in page and "the park has no straw materials" not in page
    assert "一般工业固废、危险废物" in page or "危险废物、一般工业固废" in page
    assert "hazardous_waste, industrial_solid_waste" not in page


# ---- Chinese throughout (issue 14, item 5) -----------------------------------------------------------------
def _message_calls():
    """Every ``Message(text, code, **params)`` written in the package: (file, code, parameter names)."""
    import ast
    from pathlib import Path

    root = Path(mfa.__file__).parent
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Message" and len(node.args) >= 2:
                code = node.args[1]
                codes = ([code.body.value, code.orelse.value] if isinstance(code, ast.IfExp)
                         else [code.value] if isinstance(code, ast.Constant) else [])
                for c in codes:
                    yield path.name, c, {k.arg for k in node.keywords}


def test_every_engine_message_code_has_chinese():
    import string

    from mfa.i18n import MESSAGES_ZH

    calls = list(_message_calls())
    files = {f for f, _c, _p in calls}
    assert {"tracing.py", "utilisation.py", "solved.py"} <= files  # the scan finds the engines' messages
    for file, code, params in calls:
        assert code in MESSAGES_ZH, f"{file}: message {code!r} has no Chinese in mfa.i18n.MESSAGES_ZH"
        fields = {f for _t, f, _s, _c in string.Formatter().parse(MESSAGES_ZH[code]) if f}
        assert fields <= params, f"{code}: the Chinese names {fields - params}, which the message does not give"


def test_engine_messages_are_said_in_chinese_by_code():
    from mfa.errors import Issue, Message
    from mfa.report import Voice

    park = mfa.read_park("wuhai")
    v = Voice.of(park, "zh")
    m = Message("123,456 t/a of fly_ash enter 'ash_yard' and are not passed on (unresolved)",
                "trace.not_passed_on", tonnes=123456.0, material="fly_ash", process="ash_yard")
    # ids become the park's Chinese names, tonnes the park's own unit (万t)
    assert v.message(m) == "12.35 万t/a 粉煤灰进入“灰渣场”后未再送出（去向不明）"
    assert v.message(Issue.note(m)) == v.message(m)  # the code travels into an Issue
    assert Voice.of(park, "en").message(m) == m  # English: the engine's own sentence
    assert v.message("a sentence without code") == "a sentence without code"


def test_zh_report_says_the_solver_and_trace_messages_in_chinese():
    # as given, the slag flow of unknown value cannot be traced: the trace's message is shown in Chinese
    page = report_html(evil_park(), lang="zh", solve=False)
    assert "流 plant&gt;dump:slag 没有数值，未追踪" in page and "has no value" not in page
    page = report_html(mfa.read_park("bayannur"), lang="zh")
    assert "已由过程平衡计算 46 条未知流（共 46 条；实测值保持原样）" in page
    assert "unknown flow(s) computed" not in page


def test_wan_tonnes_in_chinese_where_the_park_counts_in_wan_tonnes(wuhai):
    """wuhai's own unit is 万t/a: the Chinese report shows 万t with two decimals at most, the English one
    whole tonnes; --json keeps full precision (the cards' data-value)."""
    from mfa.mass_balance import balance

    imports = balance(wuhai).system["imports"]  # 42,439,230 t/a of the solved park
    zh, en = report_html(wuhai, lang="zh"), report_html(wuhai, lang="en")
    assert "系统平衡（万t/a）" in zh and f'<td class=" value">{imports / 1e4:,.2f}</td>' in zh
    assert f'<td class=" value">{imports:,.0f}</td>' in en and "System balance (t/a)" in en
    for page in (zh, en):
        assert not re.search(r">[-\d,.]+e[-+]?\d+<", page)  # no scientific notation in a cell
        assert not re.search(r">\d{1,3}(,\d{3})+\.0<", page)  # no false decimals (893,580.0)
    # a park counted in t/a stays in t in Chinese too
    assert "系统平衡（t/a）" in report_html(mfa.read_park("hazardous"), lang="zh")


def test_largest_opportunities_say_where_the_tonnes_go_today():
    """Two couplings of one link (Wuhai's gangue to the CFB plant, from the landfill and from the dump) are
    told apart on the first screen by the stream each takes up, in each language's punctuation."""
    from mfa.report import opportunity_section

    park = mfa.read_park("wuhai")
    plan = mfa.symbiosis.discover(park).couplings
    for lang in ("en", "zh"):
        rows = opportunity_section(park, lang)["opportunities"]
        assert len(rows) == len(plan)
        lines = [r["headline"] for r in rows]
        assert len(set(lines)) == len(lines)
    gangue = plan[(plan["material"] == "coal_gangue") & (plan["to"] == "cfb_power_plant")]
    assert set(gangue["disposal_target"]) == {"iws_landfill", "gangue_dump"}
    zh = opportunity_section(park, "zh")["opportunities"][0]["headline"]
    assert zh.startswith("煤矸石：选煤厂 → ") and zh.endswith("，现去向：一般工业固废填埋场")
