"""The full detail of a report: every flow embedded once as JSON in the page (table and neighbourhood Sankey
drawn by the page's script) and written beside it as CSV; both reproduce the park's flows and totals."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

import mfa
from mfa.report import report_html, write_report
from mfa.report.detail import STATUSES, flows_csv_path
from mfa.solved import solve_park

DATA = re.compile(r'<script type="application/json" id="mfa-detail-data">(.*?)</script>', re.S)
HOSTILE = "</script><script>alert('x')</script><!--"


def embedded(page: str) -> dict:
    (text,) = DATA.findall(page)
    return json.loads(text)


def flows_of(data: dict) -> pd.DataFrame:
    """The embedded flows back as a table of ids, ends, material, value, σ and status."""
    P, M, F = data["processes"]["id"], data["materials"]["id"], data["flows"]
    s, t, m = [P[i] for i in F["s"]], [P[i] for i in F["t"]], [M[i] for i in F["m"]]
    return pd.DataFrame({"id": [x or f"{a}>{b}:{c}" for x, a, b, c in zip(F["id"], s, t, m)], "source": s,
                         "target": t, "material": m, "value": [np.nan if v is None else v for v in F["v"]],
                         "status": [data["statuses"][k] for k in F["st"]]})


@pytest.mark.parametrize("name", ["bayannur", "wuhai"])
def test_embedded_flows_round_trip_to_the_reported_park(name):
    park = mfa.read_park(name)
    solved = solve_park(park).park
    back = flows_of(embedded(report_html(park, lang="zh")))
    f = solved.flows
    assert back["id"].tolist() == f["id"].tolist()
    assert (back[["source", "target", "material"]].to_numpy() == f[["source", "target", "material"]].to_numpy()).all()
    np.testing.assert_array_equal(back["value"].to_numpy(), f["value"].to_numpy(dtype=float))  # full precision
    total = f["value"].sum()
    assert back["value"].sum() == pytest.approx(total, rel=1e-9)
    if name == "bayannur":  # 46 unknown flows computed from the balances and transfer coefficients
        assert (back["status"] == "computed").sum() == 46


def test_a_large_park_keeps_its_totals_in_the_page_and_the_csv(tmp_path):
    from tests.test_report_large import _big_park

    park = _big_park()
    path = write_report(park, tmp_path / "big.html")
    page = path.read_text(encoding="utf-8")
    assert "aggregated by group" in page  # the diagrams are aggregated; the detail is not
    data = embedded(page)
    solved = solve_park(park).park
    total = float(np.nansum(solved.flows["value"].to_numpy(dtype=float)))
    back = flows_of(data)
    assert len(back) == len(park.flows) and len(data["processes"]["id"]) == len(park.processes)
    assert back["value"].sum() == pytest.approx(total, rel=1e-9)
    assert page.count("<tr") < len(park.flows)  # the rows are not laid out as HTML: they are data
    csv = pd.read_csv(flows_csv_path(path), encoding="utf-8-sig", keep_default_na=False, na_values=[""])
    assert csv["value_t_a"].sum() == pytest.approx(total, rel=1e-9)
    np.testing.assert_array_equal(csv["value_t_a"].to_numpy(), solved.flows["value"].to_numpy(dtype=float))
    assert set(csv["status"]) <= set(STATUSES) and (csv["status"] == "unknown").sum() == back["value"].isna().sum()
    assert f'href="{flows_csv_path(path).name}"' in page
    # each node of the aggregated diagram that stands for a group opens that group in the filter
    groups = {data["groups"][k] for k in data["nodeGroups"].values()}
    assert groups == set(park.processes["group"]) - {""}
    assert all(f'data-node="{node}"' in page for node in data["nodeGroups"])


def test_hostile_names_stay_data(tmp_path):
    """A process named to close the script and open another, and a formula-leading name: in the page both
    are JSON escapes (the script reads them back as text); in the CSV the formula is neutralised."""
    procs = [dict(id="mine", name=HOSTILE, name_zh=HOSTILE, kind="import"),
             dict(id="plant", name="=HYPERLINK(\"http://x\")", kind="production"),
             dict(id="dump", name="Dump & <b>co</b>", kind="landfill")]
    flows = [dict(source="mine", target="plant", material="raw_coal", value=10.0),
             dict(source="plant", target="dump", material="fly_ash", value=10.0)]
    park = mfa.Park.from_frames(processes=procs, flows=flows, info={"name": HOSTILE})
    path = write_report(park, tmp_path / "r.html")
    page = path.read_text(encoding="utf-8")
    (text,) = DATA.findall(page)
    assert "<" not in text and ">" not in text and "&" not in text
    data = json.loads(text)
    assert HOSTILE in data["processes"]["name"] and "Dump & <b>co</b>" in data["processes"]["name"]
    assert HOSTILE not in page and "alert('x')</script>" not in page
    csv = flows_csv_path(path).read_text(encoding="utf-8-sig")
    assert "'=HYPERLINK" in csv and "\n=HYPERLINK" not in csv and ",=HYPERLINK" not in csv


def test_the_cli_lists_the_csv(tmp_path):
    from tests.conftest import run_cli

    out = tmp_path / "r.html"
    done = run_cli("report", "hazardous", "-o", str(out), "--json")
    doc = json.loads(done.stdout)
    assert doc["flows_csv"] == str(flows_csv_path(out)) and flows_csv_path(out).exists()


def test_every_word_of_the_detail_section_is_in_both_languages():
    from mfa.report.detail import DETAIL_TEXT

    assert DETAIL_TEXT["en"].keys() == DETAIL_TEXT["zh"].keys()
    for key, text in DETAIL_TEXT["zh"].items():
        latin = set(re.findall(r"[A-Za-z]{2,}", text.replace("{u}", "").replace("t/a", "")))
        assert not latin - {"n", "v", "i", "o", "x", "total"}, (key, text)
    # the script asks only for words that exist
    from pathlib import Path

    import mfa.report

    script = (Path(mfa.report.__file__).parent / "templates" / "detail.js").read_text(encoding="utf-8")
    asked = set(re.findall(r"\bT\.([a-z_]+)", script)) | {f"col_{c}" for c in re.findall(r'\["([a-z_]+)", function', script)}
    asked |= {f"st_{s}" for s in STATUSES}
    assert asked <= DETAIL_TEXT["en"].keys(), asked - DETAIL_TEXT["en"].keys()


def test_a_reconciled_report_says_which_values_moved_and_their_sigma():
    from mfa.report import reconciled

    park = mfa.read_park("wuhai")
    data = embedded(report_html(park, reconcile=True))
    back = flows_of(data)
    rec = reconciled(park)[0].flows
    moved = ~np.isclose(rec["value"], park.flows["value"], rtol=1e-12) & park.flows["value"].notna()
    assert moved.any() and (back["status"][moved.to_numpy()] == "reconciled").all()
    assert (back["status"] == "computed").sum() == park.flows["value"].isna().sum()
    sd = np.array([np.nan if v is None else v for v in data["flows"]["sd"]])
    np.testing.assert_array_equal(sd, rec["sigma"].to_numpy(dtype=float))  # the reconciled σ, in full
