"""Compare two parks (two years, or a park and its retrofit): indicators, system balance, flows and Sankeys.

Differences are ``other − base`` (t/a for flows and balance terms; fraction points for rates).
Flows are matched by flow id (``source>target:material``): a flow only in ``other`` is ``added``, only in
``base`` ``removed``; a flow of unknown value (NaN) on either side is ``unknown``. Both Sankeys are drawn at
the **same scale** (t/a per mm): the larger of the two fitted scales, so that equal widths mean equal flows.

>>> import mfa
>>> from mfa.report.compare import compare
>>> c = compare(mfa.read_park("wuhai"), mfa.read_park("wuhai"))      # doctest: +SKIP
>>> (c.flows["status"] == "same").all()                             # doctest: +SKIP
True
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mfa.errors import MfaError
from mfa.formatting import check_lang
from mfa.results import LegacyResult, frame_records, jsonable

__all__ = ["compare", "Comparison", "compare_html", "write_compare"]

FLOW_DIFF_COLUMNS = ("id", "source", "target", "material", "base", "other", "difference", "rel_difference",
                     "status")


@dataclass(eq=False)
class Comparison(LegacyResult):
    """Differences between two parks.

    ``flows``: id, source, target, material, base, other, difference, rel_difference (difference ÷ base;
    NaN when base is 0 or missing), status (same, changed, added, removed, unknown); largest absolute
    difference first. ``system``: term, base, other, difference (the system balance terms, t/a).
    ``indicators``: id, name, name_zh, unit, base, other, difference (empty when indicators are not
    available; ``notes`` then says why). ``scale``: the common Sankey scale (t/a per mm), or None.
    """

    base_name: str
    other_name: str
    flows: pd.DataFrame
    system: pd.DataFrame
    indicators: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    scale: float | None = None
    title: str = "Comparison"

    def to_dict(self) -> dict:
        return {"base": self.base_name, "other": self.other_name, "unit": "t/a",
                "scale_t_per_mm": jsonable(self.scale),
                "indicators": frame_records(self.indicators), "system": frame_records(self.system),
                "flows": frame_records(self.flows), "notes": list(self.notes)}


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


def _indicator_diff(base, other) -> tuple[pd.DataFrame, list[str]]:
    cols = ["id", "name", "name_zh", "unit", "base", "other", "difference"]
    try:
        from mfa.utilisation import indicators

        ta = indicators(base, targets=False).table
        tb = indicators(other, targets=False).table
    except Exception as exc:  # the comparison still shows flows and balances
        from mfa.report import _why

        return pd.DataFrame(columns=cols), [f"indicators are not available: {_why(exc)}"]
    m = ta[["id", "name", "name_zh", "unit", "value"]].merge(tb[["id", "value"]], on="id", how="outer",
                                                             suffixes=("_b", "_o"), sort=False)
    # keep the engine's order of indicators (an outer merge sorts the keys)
    rank = {k: i for i, k in enumerate(list(ta["id"]) + [x for x in tb["id"] if x not in set(ta["id"])])}
    m = m.iloc[np.argsort(m["id"].map(rank).to_numpy(), kind="stable")].reset_index(drop=True)
    # keep the engine's order of indicators (an outer merge sorts the keys)
    rank = {k: i for i, k in enumerate(list(ta["id"]) + [x for x in tb["id"] if x not in set(ta["id"])])}
    m = m.iloc[np.argsort(m["id"].map(rank).to_numpy(), kind="stable")].reset_index(drop=True)
    out = pd.DataFrame({"id": m["id"], "name": m["name"], "name_zh": m["name_zh"], "unit": m["unit"],
                        "base": m["value_b"].astype(float), "other": m["value_o"].astype(float)})
    out["difference"] = out["other"] - out["base"]
    return out[cols], []


def compare(base, other, scale: float | None = None) -> Comparison:
    """Compare ``other`` against ``base`` (two Parks); see the module docstring for the conventions."""
    flows = _flow_diff(base, other)
    system = _system_diff(base, other)
    ind, notes = _indicator_diff(base, other)
    return Comparison(base_name=base.info.name + (f" {base.info.year}" if base.info.year else ""),
                      other_name=other.info.name + (f" {other.info.year}" if other.info.year else ""),
                      flows=flows, system=system, indicators=ind, notes=notes, scale=scale)


def common_scale(diagrams) -> float:
    """The larger fitted scale of several Sankey diagrams (t/a per mm), so that all fit their height."""
    return max(d.layout.scale for d in diagrams)


def compare_html(base, other, lang: str = "en", scale: float | None = None,
                 max_flow_rows: int = 300) -> tuple[str, Comparison]:
    """The comparison as one self-contained HTML page, and the :class:`Comparison` it shows."""
    from mfa.report import (TEXT, _table, _why, fmt_pct, fmt_t, plotly_js, render)
    import mfa

    check_lang(lang)
    t = TEXT[lang]
    c = {"en": {"compare": "Comparison", "base": "base", "other": "other", "diff": "difference",
                "rel": "change", "flows": "Flows", "sankeys": "Sankey diagrams at the same scale",
                "status": "status", "system": "System balance (t/a)", "indicators": "Indicators",
                "note": "Differences are other − base. Both diagrams use the same scale: {s} per mm."},
         "zh": {"compare": "对比", "base": "基准", "other": "对比方案", "diff": "差值", "rel": "变化率",
                "flows": "流", "sankeys": "同一比例的桑基图", "status": "状态", "system": "系统平衡（t/a）",
                "indicators": "指标", "note": "差值 = 对比方案 − 基准。两图比例相同：每毫米 {s}。"}}[lang]
    from mfa.sankey_diagram import format_value, sankey

    da = sankey(base, lang=lang, div_id="mfa-sankey-base")
    db = sankey(other, lang=lang, div_id="mfa-sankey-other")
    notes: list[str] = []
    sc = scale
    try:
        sc = scale if scale is not None else common_scale([da, db])
        da = sankey(base, lang=lang, scale=sc, div_id="mfa-sankey-base")
        db = sankey(other, lang=lang, scale=sc, div_id="mfa-sankey-other")
        sankeys = []
        for d, role in ((da, c["base"]), (db, c["other"])):
            svg = d.to_svg()
            sankeys.append({"title": f"{role}: {d.title}", "html": d.to_html(full_html=False, include_plotlyjs=False),
                            "svg": svg[svg.find("<svg"):]})
    except Exception as exc:
        sankeys = []
        notes.append(f"Sankey: {_why(exc)}")
    cmp = compare(base, other, scale=sc)
    cmp.notes = notes + cmp.notes
    ind = cmp.indicators.copy()
    ind["label"] = ind["name_zh"] if lang == "zh" else ind["name"]
    pct = lambda v: fmt_pct(v)  # noqa: E731
    pts = lambda v: "" if v is None or (isinstance(v, float) and np.isnan(v)) else f"{v * 100:+.1f} pt"  # noqa
    fl = cmp.flows
    ctx: dict[str, Any] = {
        "lang": lang, "version": mfa.__version__, "plotlyjs": plotly_js(), "t": t, "c": c,
        "title": f"{c['compare']}: {cmp.base_name} → {cmp.other_name}",
        "note": c["note"].format(s=format_value(sc, lang)) if sc else "",
        "notes": cmp.notes, "sankeys": sankeys,
        "indicators": _table(ind[ind["unit"] == "t/t"], [
            ("label", t["indicator"], None), ("base", c["base"], pct), ("other", c["other"], pct),
            ("difference", c["diff"], pts)], empty=t["empty"]),
        "system": _table(cmp.system, [("term", t["term"], None), ("base", c["base"], fmt_t),
                                      ("other", c["other"], fmt_t), ("difference", c["diff"], fmt_t)]),
        "flows": _table(fl[fl["status"] != "same"], [
            ("id", t["id"], None), ("material", t["material"], None), ("base", c["base"], fmt_t),
            ("other", c["other"], fmt_t), ("difference", c["diff"], fmt_t),
            ("rel_difference", c["rel"], fmt_pct), ("status", c["status"], None)],
            max_rows=max_flow_rows, more=t["more"], empty=t["empty"],
            row_class=lambda r: {"added": "ok", "removed": "flag"}.get(r["status"], "")),
        "n_same": int((fl["status"] == "same").sum()),
        "footer": t["footer"].format(v=mfa.__version__),
    }
    return render("compare.html.j2", **ctx), cmp


def write_compare(base, other, path: str | os.PathLike, lang: str = "en",
                  scale: float | None = None) -> Comparison:
    """Write :func:`compare_html` to ``path`` atomically; returns the :class:`Comparison`."""
    from mfa.report import _write_atomic

    text, cmp = compare_html(base, other, lang=lang, scale=scale)
    _write_atomic(Path(path), text)
    return cmp
