"""Charts: the bars show the engine's numbers; files are deterministic; bad arguments are clear errors."""

from __future__ import annotations

import numpy as np
import pytest

import mfa
from mfa.charts import chart_svg, fate_chart, generation_chart, save_chart, utilisation_chart
from mfa.errors import MfaError


@pytest.fixture(scope="module")
def wuhai():
    return mfa.read_park("wuhai")


def _bar_widths(fig):
    ax = fig.axes[0]
    return [p.get_width() for p in ax.patches if hasattr(p, "get_width")]


def test_utilisation_bars_are_the_indicator_values(wuhai):
    from mfa.indicators import indicators

    res = indicators(wuhai)
    fig = utilisation_chart(res)
    rates = res.table[res.table["unit"] == "t/t"]["value"].to_numpy(dtype=float)
    widths = np.array(_bar_widths(fig)[:len(rates)])
    assert widths == pytest.approx(np.nan_to_num(rates) * 100)
    # target markers: one line per applicable target of kind "target"
    assert len(fig.axes[0].lines) >= 1


def test_fate_bars_add_up_to_the_trace(wuhai):
    from mfa.trace import trace

    tr = trace(wuhai)
    fig = fate_chart(tr, park=wuhai)
    assert sum(_bar_widths(fig)) == pytest.approx(tr.table["tonnes"].sum(), rel=1e-9)
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    names = set(wuhai.materials["name"])
    assert labels and all(lab in names or lab in set(wuhai.materials["id"]) for lab in labels)


def test_generation_bars_add_up_to_generated_waste(wuhai):
    from mfa.trace import trace

    origins = trace(wuhai).origins
    generated = origins.loc[origins["stage"] == "generated", "tonnes"].sum()
    assert sum(_bar_widths(generation_chart(wuhai, lang="zh"))) == pytest.approx(generated, rel=1e-9)


def test_chart_files_are_deterministic(tmp_path, wuhai):
    a = save_chart(fate_chart(wuhai, lang="zh"), tmp_path / "a.svg")
    b = save_chart(fate_chart(wuhai, lang="zh"), tmp_path / "b.svg")
    assert a.read_bytes() == b.read_bytes()
    assert chart_svg(generation_chart(wuhai)).startswith("<svg")
    save_chart(utilisation_chart(wuhai), tmp_path / "u.png")
    assert (tmp_path / "u.png").read_bytes()[:4] == b"\x89PNG"


def test_chart_errors(tmp_path, wuhai):
    with pytest.raises(MfaError, match="lang"):
        fate_chart(wuhai, lang="de")
    with pytest.raises(MfaError, match=r"\.png, \.svg or \.pdf"):
        save_chart(fate_chart(wuhai), tmp_path / "x.jpg")


def test_cli_chart(tmp_path, capsys):
    from mfa.cli import main

    for kind in ("rates", "fates", "generation"):
        out = tmp_path / f"{kind}.svg"
        assert main(["chart", "hazardous", kind, "-o", str(out), "--lang", "zh"]) == 0
        assert out.read_text(encoding="utf-8").count("<svg") == 1
    assert main(["chart", "hazardous", "rates", "-o", str(tmp_path / "x.gif")]) == 2
    assert "x.gif" in capsys.readouterr().err
