"""Compare two parks (two years, or a park and its retrofit): indicators, system balance, flows and Sankeys.

Differences are ``other − base`` (t/a for flows and balance terms; fraction points for rates).
Flows are matched by flow id (``source>target:material``): a flow only in ``other`` is ``added``, only in
``base`` ``removed``; a flow of unknown value (NaN) on either side is ``unknown``. Both Sankeys are drawn at
the **same scale** (t/a per mm): the larger of the two fitted scales, so that equal widths mean equal flows.

Examples
--------
>>> import mfa
>>> from mfa.report.compare import compare
>>> c = compare(mfa.read_park("wuhai"), mfa.read_park("wuhai_retrofit"))
>>> sum(c.summary[f"flows_{k}"] for k in STATUSES) == len(c.flows)
True
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mfa.errors import Issue, Message
from mfa.formatting import check_lang
from mfa.results import Result, frame_records, jsonable

__all__ = ["compare", "Comparison", "compare_html", "write_compare", "common_scale", "compare_trajectories",
           "TrajectoryComparison", "write_trajectory_compare"]

FLOW_DIFF_COLUMNS = ("id", "source", "target", "material", "base", "other", "difference", "rel_difference",
                     "status")
STATUSES = ("same", "changed", "added", "removed", "unknown")


@dataclass(frozen=True, eq=False)
class Comparison(Result, title="Comparison", main_table="flows"):
    """Differences between two parks, on the result contract (:class:`mfa.results.Result`).

    Attributes
    ----------
    base_name, other_name : str
        The parks' names (with their year).
    flows : pandas.DataFrame
        id, source, target, material, base, other, difference, rel_difference (difference ÷ base; NaN when
        base is 0 or missing), status (same, changed, added, removed, unknown); largest absolute difference
        first. The main table.
    system : pandas.DataFrame
        term, base, other, difference (the system balance terms, t/a).
    indicators : pandas.DataFrame
        id, name, name_zh, unit, base, other, difference (empty when indicators are not available; the
        messages then say why).
    scale : float or None
        The common Sankey scale (t/a per mm).
    messages : tuple of Issue
        What could not be compared (``.notes`` gives their sentences, as before).

    Examples
    --------
    >>> import mfa
    >>> c = compare(mfa.read_park("hazardous"), mfa.read_park("hazardous"))
    >>> c.table is c.flows, c.summary["flows_changed"], list(c.to_dict())[:3]
    (True, 0, ['base', 'other', 'unit'])
    """

    base_name: str
    other_name: str
    flows: pd.DataFrame
    system: pd.DataFrame
    indicators: pd.DataFrame
    scale: float | None = None

    notes = Result.message_texts  # the name earlier versions used

    @property
    def summary(self) -> dict[str, Any]:
        """The flows counted by status, and the scale.

        Returns
        -------
        dict
            Name → number or text.

        Examples
        --------
        >>> import mfa
        >>> c = compare(mfa.read_park("hazardous"), mfa.read_park("hazardous"))
        >>> s = c.summary
        >>> s["base"] == s["other"], s["flows_changed"], s["flows_added"], s["flows_removed"]
        (True, 0, 0, 0)
        """
        counts = self.flows["status"].value_counts()
        return {"base": self.base_name, "other": self.other_name,
                **{f"flows_{k}": int(counts.get(k, 0)) for k in STATUSES}, "scale_t_per_mm": self.scale}

    def to_dict(self) -> dict:
        """The ``mfa compare --json`` document (its keys as they always were).

        Returns
        -------
        dict
            Plain data (JSON-serialisable).

        Examples
        --------
        >>> import mfa
        >>> c = compare(mfa.read_park("hazardous"), mfa.read_park("hazardous"))
        >>> d = c.to_dict()
        >>> list(d), d["unit"]
        (['base', 'other', 'unit', 'scale_t_per_mm', 'indicators', 'system', 'flows', 'notes'], 't/a')
        """
        return {"base": self.base_name, "other": self.other_name, "unit": "t/a",
                "scale_t_per_mm": jsonable(self.scale),
                "indicators": frame_records(self.indicators), "system": frame_records(self.system),
                "flows": frame_records(self.flows), "notes": self.notes}


def _flow_diff(base, other, rel_tol: float = 1e-9) -> pd.DataFrame:
    cols = ["id", "source", "target", "material", "value"]
    a = base.flows[cols].rename(columns={"value": "base"})
    b = other.flows[cols].rename(columns={"value": "other"})
    m = a.merge(b, on=["id"], how="outer", suffixes=("", "_o"), indicator=True, sort=True)
    for c in ("source", "target", "material"):
        m[c] = m[c].where(m[c].notna(), m[c + "_o"])
    va = m["base"].to_numpy(dtype=float)
    vb = m["other"].to_numpy(dtype=float)
    where = m["_merge"].astype(str).to_numpy()
    diff = np.where(where == "left_only", -va, np.where(where == "right_only", vb, vb - va))
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where((where == "both") & (va != 0), diff / va, np.nan)
    status = np.where(where == "left_only", "removed", np.where(where == "right_only", "added", "changed"))
    same = (where == "both") & (np.abs(vb - va) <= rel_tol * np.maximum(np.abs(va), 1.0))
    status = np.where(same, "same", status)
    unknown = ((where != "right_only") & np.isnan(va)) | ((where != "left_only") & np.isnan(vb))
    status = np.where(unknown, "unknown", status)
    out = pd.DataFrame({"id": m["id"], "source": m["source"], "target": m["target"], "material": m["material"],
                        "base": va, "other": vb, "difference": diff, "rel_difference": rel, "status": status})
    key = -np.nan_to_num(np.abs(out["difference"].to_numpy(dtype=float)), nan=-1.0)
    return out.iloc[np.lexsort((out["id"].to_numpy(dtype=str), key))].reset_index(drop=True)


def _system_diff(base, other) -> pd.DataFrame:
    from mfa.mass_balance import balance

    sa, sb = balance(base).system, balance(other).system
    terms = [k for k, v in sa.items() if isinstance(v, (int, float)) and not isinstance(v, bool)]
    rows = [{"term": k, "base": float(sa[k]), "other": float(sb.get(k, np.nan)),
             "difference": float(sb.get(k, np.nan)) - float(sa[k])} for k in terms]
    return pd.DataFrame(rows, columns=["term", "base", "other", "difference"])


def _indicator_diff(base, other) -> tuple[pd.DataFrame, list[Message]]:
    cols = ["id", "name", "name_zh", "unit", "base", "other", "difference"]
    try:
        from mfa.utilisation import indicators

        ta = indicators(base, targets=False).table
        tb = indicators(other, targets=False).table
    except Exception as exc:  # the comparison still shows flows and balances
        from mfa.report.page import why

        return pd.DataFrame(columns=cols), [Message(f"indicators are not available: {why(exc)}",
                                                    "compare.no_indicators", error=why(exc))]
    m = ta[["id", "name", "name_zh", "unit", "value"]].merge(tb[["id", "value"]], on="id", how="outer",
                                                             suffixes=("_b", "_o"), sort=False)
    # keep the engine's order of indicators (an outer merge sorts the keys)
    rank = {k: i for i, k in enumerate(list(ta["id"]) + [x for x in tb["id"] if x not in set(ta["id"])])}
    m = m.iloc[np.argsort(m["id"].map(rank).to_numpy(), kind="stable")].reset_index(drop=True)
    out = pd.DataFrame({"id": m["id"], "name": m["name"], "name_zh": m["name_zh"], "unit": m["unit"],
                        "base": m["value_b"].astype(float), "other": m["value_o"].astype(float)})
    out["difference"] = out["other"] - out["base"]
    return out[cols], []


def compare(base: Any, other: Any, scale: float | None = None) -> Comparison:
    """Compare ``other`` against ``base``; see the module docstring for the conventions.

    Parameters
    ----------
    base, other : mfa.Park
    scale : float, optional
        The common Sankey scale (t/a per mm) to record.

    Returns
    -------
    Comparison

    Examples
    --------
    >>> import mfa
    >>> w = mfa.read_park("wuhai")
    >>> c = compare(w, w.replace(flows=w.flows.assign(value=w.flows["value"] * 2)))
    >>> row = c.system.set_index("term").loc["imports"]
    >>> bool(row["other"] == 2 * row["base"] == 2 * row["difference"])
    True
    """
    flows = _flow_diff(base, other)
    system = _system_diff(base, other)
    ind, notes = _indicator_diff(base, other)
    return Comparison(base_name=_label(base, "en"), other_name=_label(other, "en"),
                      flows=flows, system=system, indicators=ind, scale=scale,
                      messages=tuple(Issue.note(n, severity="warning") for n in notes))


def _label(park: Any, lang: str) -> str:
    """The park's name (its Chinese name in Chinese, where given) and year."""
    info = park.info
    name = (info.name_zh or info.name) if lang == "zh" else info.name
    return name + (f" {info.year}" if info.year else "")


def common_scale(diagrams: list) -> float:
    """The larger fitted scale of several Sankey diagrams (t/a per mm), so that all fit their height.

    Parameters
    ----------
    diagrams : list of mfa.sankey_diagram.SankeyDiagram

    Returns
    -------
    float
        t/a per mm.

    Examples
    --------
    >>> from mfa.sankey_diagram import SankeyDiagram
    >>> def diagram(value):
    ...     return SankeyDiagram.from_frames(pd.DataFrame({"id": ["a", "b"]}),
    ...         pd.DataFrame({"source": ["a"], "target": ["b"], "value": [value]}), scale=value / 10)
    ...
    >>> common_scale([diagram(5.0), diagram(20.0)])
    2.0
    """
    return max(d.layout.scale for d in diagrams)


_C = {"en": {"compare": "Comparison", "base": "base", "other": "other", "diff": "difference",
             "rel": "change", "flows": "Flows", "sankeys": "Sankey diagrams at the same scale",
             "status": "status", "system": "System balance ({u}/a)", "indicators": "Indicators",
             "note": "Differences are other − base. Both diagrams use the same scale: {s} per mm.",
             "n_same": "{n} flows are the same in both parks.", "diff_pt": "{v:+.1f} pt"},
      "zh": {"compare": "对比", "base": "基准", "other": "对比方案", "diff": "差值", "rel": "变化率",
             "flows": "流", "sankeys": "同一比例的桑基图", "status": "状态", "system": "系统平衡（{u}/a）",
             "indicators": "指标", "note": "差值 = 对比方案 − 基准。两图比例相同：每毫米 {s}。",
             "n_same": "两园区中有 {n} 条流相同。", "diff_pt": "{v:+.1f} 个百分点"}}


def compare_html(base: Any, other: Any, lang: str = "en", scale: float | None = None,
                 max_flow_rows: int = 300) -> tuple[str, Comparison]:
    """The comparison as one self-contained HTML page, and the :class:`Comparison` it shows.

    Parameters
    ----------
    base, other : mfa.Park
    lang : {"en", "zh"}
        Language of the page; masses in 万t in Chinese where the base park's unit is 万t.
    scale : float, optional
        Sankey scale (t/a per mm); default the larger of the two fitted scales.
    max_flow_rows : int
        Changed flows listed (largest first).

    Returns
    -------
    (str, Comparison)

    Examples
    --------
    >>> import mfa
    >>> page, c = compare_html(mfa.read_park("hazardous"), mfa.read_park("hazardous"), lang="zh")
    >>> "同一比例的桑基图" in page, c.summary["flows_changed"]
    (True, 0)
    """
    import mfa
    from mfa.report import Voice
    from mfa.report.page import render, table, why
    from mfa.sankey_diagram import format_value, sankey

    check_lang(lang)
    v = Voice.of(base, lang)
    t = v.t
    c = {k: x.replace("{u}", v.unit) for k, x in _C[lang].items()}
    notes: list[Message] = []
    sc = scale
    try:
        if sc is None:
            sc = common_scale([sankey(base, lang=lang), sankey(other, lang=lang)])
        sankeys = []
        for park, role, div in ((base, c["base"], "mfa-sankey-base"), (other, c["other"], "mfa-sankey-other")):
            d = sankey(park, lang=lang, scale=sc, div_id=div)
            svg = d.to_svg()
            sankeys.append({"title": f"{role}: {d.title}", "html": d.to_html(full_html=False),
                            "svg": svg[svg.find("<svg"):]})
    except Exception as exc:
        sankeys = []
        notes.append(Message(f"Sankey: {why(exc)}", "compare.no_sankey", error=why(exc)))
    cmp = compare(base, other, scale=sc)
    cmp = replace(cmp, messages=tuple(Issue.note(n, severity="warning") for n in notes) + cmp.messages)
    ind = cmp.indicators.copy()
    ind["label"] = ind["name_zh"] if lang == "zh" else ind["name"]
    fl = cmp.flows.assign(material=cmp.flows["material"].map(v.material),
                          status_t=[v.word(x) for x in cmp.flows["status"]])
    ctx: dict[str, Any] = {
        "lang": lang, "version": mfa.__version__, "t": t, "c": c,
        "title": f"{c['compare']}: {_label(base, lang)} → {_label(other, lang)}",
        "note": c["note"].format(s=format_value(sc, lang)) if sc else "",
        "notes": [v.message(m) for m in cmp.messages], "sankeys": sankeys,
        "indicators": table(ind[ind["unit"] == "t/t"], [
            ("label", t["indicator"], None), ("base", c["base"], v.pct), ("other", c["other"], v.pct),
            ("difference", c["diff"], lambda x: "" if v.pct(x) == "" else c["diff_pt"].format(v=x * 100))],
            empty=t["empty"]),
        "system": table(cmp.system.assign(term=[v.word(x) for x in cmp.system["term"]]), [
            ("term", t["term"], None), ("base", c["base"], v.mass), ("other", c["other"], v.mass),
            ("difference", c["diff"], v.mass)]),
        "flows": table(fl[fl["status"] != "same"], [
            ("id", t["id"], None), ("material", t["material"], None), ("base", c["base"], v.mass),
            ("other", c["other"], v.mass), ("difference", c["diff"], v.mass),
            ("rel_difference", c["rel"], v.pct), ("status_t", c["status"], None)],
            max_rows=max_flow_rows, more=t["more"], empty=t["empty"],
            row_class=lambda r: {"added": "ok", "removed": "flag"}.get(r["status"], "")),
        "n_same": c["n_same"].format(n=int((cmp.flows["status"] == "same").sum())),
        "footer": t["footer"].format(v=mfa.__version__),
    }
    return render("compare.html.j2", **ctx), cmp


def write_compare(base: Any, other: Any, path: str | os.PathLike, lang: str = "en",
                  scale: float | None = None) -> Comparison:
    """Write :func:`compare_html` to ``path`` atomically.

    Parameters
    ----------
    base, other : mfa.Park
    path : str or os.PathLike
        The .html file.
    lang, scale
        As for :func:`compare_html`.

    Returns
    -------
    Comparison

    Examples
    --------
    >>> import mfa, tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "c.html"
    >>> c = write_compare(mfa.read_park("hazardous"), mfa.read_park("hazardous"), out)
    >>> out.exists(), c.scale > 0
    (True, True)
    """
    from mfa.report.page import write_text

    text, cmp = compare_html(base, other, lang=lang, scale=scale)
    write_text(Path(path), text)
    return cmp


@dataclass(frozen=True, eq=False)
class TrajectoryComparison(Result, title="Trajectories compared", main_table="indicators"):
    """Two trajectories (multi-year parks: two projections, or a projection and its base) compared year by
    year: ``indicators`` (year, id, base, other, difference in fraction points) and ``stocks`` (year, process,
    material, base, other, difference in t) over the years both hold.

    Examples
    --------
    >>> import mfa
    >>> park = mfa.read_park("farm_film")
    >>> c = compare_trajectories(park, park)
    >>> c.summary["years"][:2], float(c.indicators["difference"].abs().max())
    ([2021, 2022], 0.0)
    """

    indicators: pd.DataFrame
    stocks: pd.DataFrame
    base_name: str = ""
    other_name: str = ""


    @property
    def summary(self) -> dict[str, Any]:
        """The years compared and the largest rate difference.

        Examples
        --------
        >>> import mfa
        >>> compare_trajectories(mfa.read_park("farm_film"), mfa.read_park("farm_film")).summary["years"][-1]
        2025
        """
        d = self.indicators["difference"].abs()
        return {"years": sorted(int(y) for y in self.indicators["year"].unique()),
                "max_rate_difference": float(d.max()) if d.notna().any() else 0.0}

    def to_dict(self) -> dict[str, Any]:
        """``{"base", "other", "years", "indicators", "stocks", "messages"}``.

        Examples
        --------
        >>> import mfa
        >>> sorted(compare_trajectories(mfa.read_park("farm_film"), mfa.read_park("farm_film")).to_dict())
        ['base', 'indicators', 'messages', 'other', 'stocks', 'years']
        """
        return {"base": self.base_name, "other": self.other_name, "years": self.summary["years"],
                "indicators": frame_records(self.indicators), "stocks": frame_records(self.stocks),
                "messages": [m.to_dict() for m in self.messages]}


def compare_trajectories(base: Any, other: Any) -> TrajectoryComparison:
    """Compare two multi-year parks year by year: each rate (:func:`mfa.indicator_series`) and each stock on
    31 December (:func:`mfa.stocks`), other − base, over the years both hold.

    Parameters
    ----------
    base, other : mfa.Park
        Parks of one or more years (e.g. :func:`mfa.project` of one park under two scenarios).

    Returns
    -------
    TrajectoryComparison

    Raises
    ------
    mfa.errors.MfaError
        The two parks share no year.

    Examples
    --------
    The farm-film park held to 2030 against the 90 %-by-2030 scenario: 5 points more recovered in 2030,
    897 t less film in the soil (docs/time.md).

    >>> import mfa
    >>> park = mfa.read_park("farm_film")
    >>> c = compare_trajectories(mfa.project(park, 2030),
    ...                          mfa.project(park, 2030, "parks/farm_film/scenarios/recovery_90_by_2030.csv"))
    >>> r = c.indicators.query("year == 2030 and id == 'farm_film_recovery_rate'")
    >>> round(float(r["difference"].iat[0]), 4), round(float(c.stocks.query("year == 2030")["difference"].sum()))
    (0.05, -897)
    """
    from mfa.dynamic_stocks import stocks
    from mfa.errors import MfaError
    from mfa.time_series import indicator_series

    common = sorted(set(base.years or (base.info.year,)) & set(other.years or (other.info.year,)) - {None})
    if not common:
        raise MfaError(f"the trajectories share no year: {base.info.name} holds {base.years}, "
                       f"{other.info.name} holds {other.years}")
    keys = ["year", "id"]
    sides = [indicator_series(p, targets=False).series[keys + ["value"]] for p in (base, other)]
    ind = sides[0].merge(sides[1], on=keys, how="outer", suffixes=("_base", "_other"))
    ind = ind[ind["year"].isin(common) & (ind["value_base"].notna() | ind["value_other"].notna())]
    ind = ind.rename(columns={"value_base": "base", "value_other": "other"})
    ind["difference"] = ind["other"] - ind["base"]
    keys = ["year", "process", "material"]
    sides = [stocks(p).table[keys + ["stock"]] for p in (base, other)]
    st = sides[0].merge(sides[1], on=keys, how="outer", suffixes=("_base", "_other"))
    st = st[st["year"].isin(common)].rename(columns={"stock_base": "base", "stock_other": "other"})
    st["difference"] = st["other"] - st["base"]
    return TrajectoryComparison(indicators=ind.sort_values(["year", "id"]).reset_index(drop=True),
                                stocks=st.sort_values(keys).reset_index(drop=True),
                                base_name=base.info.name, other_name=other.info.name)


def write_trajectory_compare(cmp: TrajectoryComparison, path: str | os.PathLike) -> None:
    """Write a trajectory comparison as an HTML page (each rate and stock per year, base, other, difference),
    atomically.

    Parameters
    ----------
    cmp : TrajectoryComparison
    path : str or os.PathLike
        The .html file.

    Returns
    -------
    None

    Examples
    --------
    >>> import mfa, tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "t.html"
    >>> park = mfa.read_park("farm_film")
    >>> write_trajectory_compare(compare_trajectories(park, park), out)
    >>> "Trajectories compared" in out.read_text(encoding="utf-8")
    True
    """
    import html

    from mfa.report.page import write_text

    def table(frame: pd.DataFrame, index: list[str]) -> str:
        wide = frame.pivot_table(index=index, columns="year", values="difference", aggfunc="first")
        return wide.to_html(float_format=lambda v: f"{v:,.4g}", na_rep="", border=0)

    title = f"Trajectories compared: {cmp.base_name} → {cmp.other_name} (other − base)"
    body = (f"<h1>{html.escape(title)}</h1><h2>Rates by year (difference, fraction points)</h2>"
            f"{table(cmp.indicators, ['id'])}<h2>Stocks on 31 December (difference, t)</h2>"
            f"{table(cmp.stocks, ['process', 'material'])}")
    page = (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title></head>"
            f"<body>{body}</body></html>\n")
    write_text(Path(path), page)
