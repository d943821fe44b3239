"""The report's section on a multi-year park: each rate per year with the target of its year, as a table and
a chart (issue 16, item 1). The rest of the report is the park's latest year."""

from __future__ import annotations

from typing import Any

import pandas as pd

from mfa.formatting import check_lang, percent
from mfa.report.page import table as _table
from mfa.report.page import why as _why

#: The section's words.
TEXT = {"en": {"series": "Indicators by year", "indicator": "indicator", "stocks": "Stocks on 31 December (t)",
               "stock": "stock", "sankey": "Flows by year (move the slider to change the year)",
               "note": "Each year is balanced on its own; the target of a year is the strictest that applies to the "
                       "park's region and level (✓ met, ✗ missed). The sections below are for {year}.",
               "missing": "The rates by year could not be computed: {e}"},
        "zh": {"series": "各年指标", "indicator": "指标", "stocks": "各年末库存（吨）", "stock": "库存",
               "sankey": "各年物质流（拖动滑块切换年份）",
               "note": "每年单独平衡；当年目标为适用于本园区所在地区和级别的最严格目标（✓ 达到，✗ 未达到）。"
                       "以下各节为 {year} 年。",
               "missing": "无法计算各年指标：{e}"}}


def series_section(park: Any, lang: str) -> dict:
    """The rates of every year of a multi-year park with the targets of their year: a table (one row per rate,
    one column per year) and the chart of :func:`mfa.charts.series_chart`; empty for a one-year park.

    Parameters
    ----------
    park : mfa.Park
    lang : {"en", "zh"}

    Returns
    -------
    dict
        ``series`` (None for a one-year park, else a dict: ``heading``, ``note``, ``table``, ``chart`` (SVG),
        ``stocks`` (each stock's closing per year, or None), ``stocks_heading``, ``sankey`` (the Sankey of
        every year at one scale with a time slider, :func:`mfa.sankey_diagram.series.sankey_series`, HTML),
        ``sankey_heading`` and ``missing`` (why it failed, or "")).

    Examples
    --------
    >>> import mfa
    >>> sec = series_section(mfa.read_park("farm_film"), "zh")["series"]
    >>> sec["table"]["rows"][-1]["indicator"], sec["table"]["rows"][-1]["y2021"]
    ('地膜回收率', '80.0 % (≥80.0 % ✓)')
    >>> sec["stocks"]["rows"][-1]["stock_name"], sec["stocks"]["rows"][-1]["y2025"]
    ('soil · farm_film', '23,169')
    >>> sec["sankey"].count('class="mfa-sankey-year"'), sec["sankey_heading"][:5]
    (5, '各年物质流')
    >>> series_section(mfa.read_park("hazardous"), "en")
    {'series': None}
    """
    check_lang(lang)
    years = park.years
    if len(years) < 2:
        return {"series": None}
    t = TEXT[lang]
    out = {"heading": t["series"], "note": t["note"].format(year=years[-1]), "table": None, "chart": "",
           "missing": "", "stocks": None, "stocks_heading": t["stocks"], "sankey": "", "sankey_heading": t["sankey"]}
    try:
        from mfa.time_series import indicator_series

        res = indicator_series(park)
    except Exception as exc:  # the report degrades section by section, never as a whole
        out["missing"] = t["missing"].format(e=_why(exc))
        return {"series": out}
    s = res.series[res.series["unit"] == "t/t"]
    s = s[s.groupby("id", sort=False)["value"].transform(lambda v: v.notna().any()).astype(bool)]
    cell = ["" if pd.isna(v) else percent(v) + ("" if pd.isna(g) else
            f" ({'≥' if c == '>=' else '≤'}{percent(g)} {'✓' if p is True else '✗'})")
            for v, g, c, p in zip(s["value"], s["target"], s["comparison"], s["passed"].astype(object))]
    label = s["name_zh"] if lang == "zh" else s["name"]
    wide = s.assign(cell=cell, indicator=label.astype(str), col="y" + s["year"].astype(str)).pivot(
        index="indicator", columns="col", values="cell").reindex(list(dict.fromkeys(label.astype(str))))
    wide = wide.reset_index()
    out["table"] = _table(wide, [("indicator", t["indicator"], None)]
                          + [(f"y{y}", str(y), None) for y in years])
    out["stocks"] = _stocks_table(park, years, t)
    try:
        from mfa.sankey_diagram.series import sankey_series

        out["sankey"] = sankey_series(park, lang=lang).to_html(full_html=False)
    except Exception as exc:  # the section keeps its table without the diagrams
        out["missing"] = f"Sankey: {_why(exc)}"
    try:
        from mfa.charts import chart_svg, series_chart

        out["chart"] = chart_svg(series_chart(res, lang=lang))
    except Exception as exc:
        out["missing"] = f"chart: {_why(exc)}"
    return {"series": out}


def _stocks_table(park: Any, years: tuple, t: dict) -> dict | None:
    """Each stock's closing per year (:func:`mfa.stocks`), one row per stock; None when the park has none."""
    from mfa.dynamic_stocks import stocks
    from mfa.formatting import tonnes

    table = stocks(park).table
    if not len(table):
        return None
    wide = table.assign(stock_name=table["process"] + " · " + table["material"],
                        col="y" + table["year"].astype(str)).pivot(index="stock_name", columns="col",
                                                                     values="stock").reset_index()
    return _table(wide, [("stock_name", t["stock"], None)] + [(f"y{y}", str(y), tonnes) for y in years])
