"""Sankey through time (issue 16, item 6): one diagram per year at one scale, a time slider in the HTML."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import numpy as np
import pytest

import mfa
from mfa.sankey_diagram import SankeyDiagram, sankey
from mfa.sankey_diagram.series import SankeySeries, sankey_series
from mfa.solved import solve_park


@pytest.fixture(scope="module")
def film():
    return mfa.read_park("farm_film")


@pytest.fixture(scope="module")
def series(film):
    return sankey_series(film)


def test_every_year_is_drawn_at_the_largest_fitted_scale(film, series):
    fitted = [sankey(solve_park(film.for_year(y)).park).layout.scale for y in film.years]
    assert series.years == film.years == (2021, 2022, 2023, 2024, 2025)
    # the fitted scales differ between years, so a common scale is a real choice
    assert max(fitted) > min(fitted) * 1.001
    assert series.scale == pytest.approx(max(fitted), rel=1e-12)
    for d in series.diagrams:
        assert d.scale == series.scale and d.layout.scale == series.scale
    assert "57.41 t/a per mm" in series.note()


def test_width_of_a_flow_is_its_value_times_the_scale(film, series):
    for year in film.years:
        d = series.diagram(year)
        solved = solve_park(film.for_year(year)).park
        # the drawn values are the year's own flows (hand-checked: each flow of the year's table)
        for row in d.links[d.links["type"] == "flow"].itertuples():
            ids = row.flows.split(";")
            assert row.value == pytest.approx(solved.flows.set_index("id").loc[ids, "value"].sum(), rel=1e-12)
        widths = d.layout.links["width"].to_numpy()
        np.testing.assert_allclose(widths, d.links["value"].to_numpy() / series.scale, rtol=1e-12)
    # equal tonnes mean equal widths across years: recovered film of 2021 vs 2025 by its own ratio
    w21 = series.diagram(2021).layout.links["width"].sum()
    w25 = series.diagram(2025).layout.links["width"].sum()
    v21 = series.diagram(2021).links["value"].sum()
    v25 = series.diagram(2025).links["value"].sum()
    assert w25 / w21 == pytest.approx(v25 / v21, rel=1e-12)


def test_table_has_a_year_column_and_every_years_links(series):
    t = series.table
    assert list(t.columns[:1]) == ["year"]
    assert [int((t["year"] == y).sum()) for y in series.years] == [len(d.links) for d in series.diagrams]


def test_sankey_of_a_multi_year_park_is_a_series_and_one_year_unchanged(film):
    assert isinstance(sankey(film), SankeySeries)
    one = sankey(mfa.read_park("hazardous"))
    assert isinstance(one, SankeyDiagram)
    # a fixed scale is kept in every year
    s = sankey_series(film, scale=100.0)
    assert s.scale == 100.0 and {d.scale for d in s.diagrams} == {100.0}


def test_html_has_a_slider_and_shows_the_last_year_without_script(series, tmp_path):
    page = series.save(tmp_path / "film.html").read_text(encoding="utf-8")
    assert page.count('<input type="range"') == 1
    blocks = re.findall(r'<div class="mfa-sankey-year" data-year="(\d+)"( hidden)?', page)
    assert [int(y) for y, _h in blocks] == list(series.years)
    assert [bool(h) for _y, h in blocks] == [True] * 4 + [False]
    assert "plotly" not in page and "http://" not in page.replace("http://www.w3.org", "")
    assert page == series.to_html()  # deterministic
    with pytest.raises(mfa.MfaError, match="--year"):
        series.save(tmp_path / "film.png")


def test_zh_labels(film):
    s = sankey_series(film, lang="zh")
    h = s.to_html()
    assert "年份" in h and "各年采用同一比例" in h and "库存" in h
    assert '<html lang="zh-CN">' in h


def _cli(*args, cwd):
    return subprocess.run([sys.executable, "-m", "mfa", *args], capture_output=True, text=True, cwd=cwd, timeout=300)


def test_cli_writes_the_slider_page_and_year_draws_one(tmp_path, series):
    done = _cli("sankey", "farm_film", "-o", "f.html", "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert doc["years"] == list(series.years) and doc["scale_t_per_mm"] == pytest.approx(series.scale)
    assert (tmp_path / "f.html").read_text(encoding="utf-8").count('class="mfa-sankey-year"') == 5
    done = _cli("sankey", "farm_film", "--year", "2023", "-o", "f.svg", "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    one = json.loads(done.stdout)
    assert "years" not in one and one["scale_t_per_mm"] == pytest.approx(
        sankey(solve_park(mfa.read_park("farm_film", year=2023)).park).scale)
    done = _cli("sankey", "farm_film", "-o", "f.png", cwd=tmp_path)
    assert done.returncode == 2 and "--year 2025" in done.stderr and "Traceback" not in done.stderr


def test_wuhai_ash_yard_is_a_multi_year_stock_drawn_down():
    """parks/wuhai_ash_yard: every year balances, the yard's stock carries over, the sourced S04 figures are
    in the flows, and the retrofit draws the legacy fly ash down from 2023."""
    from pathlib import Path

    park = mfa.read_park(Path(__file__).parent.parent / "parks" / "wuhai_ash_yard")
    assert park.years == (2021, 2022, 2023, 2024, 2025)
    for year in park.years:
        b = mfa.balance(park.for_year(year))
        assert not (b.processes["status"] == "imbalanced").any()
    st = mfa.stocks(park).table
    for material, g in st.groupby("material"):
        g = g.sort_values("year")
        # stock(t) − stock(t−1) = inflow − outflow, and the closing carries to the next year
        np.testing.assert_allclose(g["stock"].diff().iloc[1:], (g["inflow"] - g["outflow"]).iloc[1:], rtol=1e-9)
    fa = st[st["material"] == "fly_ash"].set_index("year")["stock"]
    # hand-computed: 500 + 40 − 3.44 = 536.56万t at the end of 2021, then 536.56 + 35 − 10 = 561.56
    assert fa[2021] == pytest.approx(5_365_600) and fa[2022] == pytest.approx(5_615_600)
    assert fa[2023] < fa[2022] and fa[2025] < fa[2024]
    f = park.flows
    one = f[(f["year"] == 2021)]
    assert one.loc[(one["source"] == "ash_yard") & (one["material"] == "fly_ash"), "value"].sum() == \
        pytest.approx(34_400)  # S04 综合利用往年贮存量 3.44万t
    assert one.loc[(one["source"] == "power_plants") & (one["material"] == "fly_ash"), "value"].sum() == \
        pytest.approx(3_657_560)  # S04: 22.76 % of 1607.013万t


def test_wuhai_ash_yard_readme_commands_run(tmp_path):
    from pathlib import Path

    here = Path(__file__).parent.parent / "parks" / "wuhai_ash_yard"
    readme = (here / "README.md").read_text(encoding="utf-8")
    commands = [line.split("#")[0].split() for line in readme.splitlines() if line.startswith("mfa ")]
    assert [c[1] for c in commands] == ["check", "stocks", "sankey", "trace", "report"]
    for c in commands:
        argv = [str(here) if a == "parks/wuhai_ash_yard" else a for a in c[1:]]
        done = _cli(*argv, cwd=tmp_path)
        assert done.returncode == 0, (c, done.stderr[-1000:])
    page = (tmp_path / "ash_yard_report.html").read_text(encoding="utf-8")
    assert page.count('class="mfa-sankey-year"') == 5 and "各年物质流" in page
