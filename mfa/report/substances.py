"""The report's *Substances* section: per substance of the park's concentrations table, where the substance of
each waste ends (:func:`mfa.substance_fates`), the recovery per process, and the substance's Sankey at its own
scale beside the goods Sankey, one shown at a time by radio buttons (CSS only: works without script)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from mfa.formatting import number
from mfa.report.page import why as _why

__all__ = ["SUBSTANCE_TEXT", "substance_section"]

#: The section's sentences, in both languages ({s}: the substance's id).
SUBSTANCE_TEXT: dict[str, dict[str, str]] = {
    "en": {"substances": "Substances",
           "note": "The substances inside the goods (the park's concentrations table), from the joint goods and "
                   "substance reconciliation. Fates: where the substance each waste carries ends, in t/a of the "
                   "substance and as a share of what the waste carries. Recovery: substance in a process's "
                   "products ÷ substance in its waste inputs.",
           "toggle": "Sankey of", "goods": "goods (t/a)", "of_substance": "{s} (t/a of {s})",
           "fates": "Fates of {s}", "recovery": "Recovery of {s}",
           "material": "Waste", "fate": "Fate", "tonnes": "t/a of {s}", "share": "Share",
           "process": "Process", "waste_in": "In waste inputs", "inputs": "In all inputs",
           "products_out": "In products", "rate": "Recovery",
           "no_fates": "No waste of the park carries {s} in the data given.",
           "no_recovery": "No process uses a waste that carries {s}.",
           "missing": "The substance layer could not be computed: {e}",
           "missing_sankey": "Sankey not available: {e}"},
    "zh": {"substances": "物质（元素与化合物）",
           "note": "货物中的物质（园区的含量表），按货物与物质联合平差计算。去向：各废物所含物质的最终去处，"
                   "以该物质的吨/年和占废物所含量的比例表示。回收率：过程产品中的物质 ÷ 其废物输入中的物质。",
           "toggle": "桑基图：", "goods": "货物（吨/年）", "of_substance": "{s}（{s} 吨/年）",
           "fates": "{s} 的去向", "recovery": "{s} 的回收率",
           "material": "废物", "fate": "去向", "tonnes": "{s} 吨/年", "share": "比例",
           "process": "过程", "waste_in": "废物输入中", "inputs": "全部输入中",
           "products_out": "产品中", "rate": "回收率",
           "no_fates": "按所给数据，园区没有废物含 {s}。",
           "no_recovery": "没有过程利用含 {s} 的废物。",
           "missing": "无法计算物质层：{e}",
           "missing_sankey": "桑基图不可用：{e}"},
}


def _sankey_fragment(park: Any, lang: str, div_id: str, title: str | None = None) -> str:
    """The inline SVG of a Sankey with its carriers (air, water, flue gas: emissions matter for substances)."""
    from mfa.sankey_diagram import sankey

    return sankey(park, lang=lang, div_id=div_id, carriers=True, title=title).to_html(full_html=False)


def substance_section(park: Any, layer: Any, lang: str, goods: Any = None) -> dict:
    """The *Substances* section of the report: fates, recovery and a goods/substance Sankey toggle.

    Parameters
    ----------
    park : mfa.Park
        The park as read (the joint reconciliation computes its unknowns).
    layer : mfa.substance.SubstanceLayer
        Its substance layer (:func:`mfa.read_substances`); an empty layer gives an empty section.
    lang : {"en", "zh"}
    goods : mfa.Park, optional
        The park whose goods Sankey the toggle shows (default ``park``; the report passes its solved park).

    Returns
    -------
    dict
        ``substances``: ``None`` without a layer, else ``heading``, ``note``, ``missing`` (why the layer could
        not be computed, or ""), ``views`` (``id``, ``label``, ``html`` of each Sankey: goods first, then each
        substance) and ``items`` (per substance: ``substance``, ``fates_heading``, ``fates`` rows with the
        engine's figures — ``tonnes``, ``share`` — and their text, ``recovery_heading``, ``recovery`` rows).

    Examples
    --------
    >>> import mfa
    >>> park = mfa.read_park("hazardous")
    >>> sec = substance_section(park, mfa.read_substances("hazardous", park), "zh")["substances"]
    >>> [v["id"] for v in sec["views"]], sec["items"][1]["fates_heading"]
    (['goods', 'Cr', 'Hg', 'Pb'], 'Hg 的去向')
    """
    if layer is None or layer.empty:
        return {"substances": None}
    from mfa.report import Voice
    from mfa.substance import reconcile_substances, substance_fates, substance_park

    v = Voice.of(park, lang)
    t = SUBSTANCE_TEXT[lang]
    sec: dict[str, Any] = {"heading": t["substances"], "note": t["note"], "toggle": t["toggle"], "t": t,
                           "missing": "", "views": [], "items": []}
    try:
        result = reconcile_substances(park, layer)
    except Exception as exc:  # the report degrades section by section, never as a whole
        sec["missing"] = t["missing"].format(e=_why(exc))
        return {"substances": sec}
    try:
        sec["views"].append({"id": "goods", "label": t["goods"], "missing": "",
                             "html": _sankey_fragment(park if goods is None else goods, lang, "mfa-subst-goods")})
    except Exception as exc:
        sec["views"].append({"id": "goods", "label": t["goods"], "html": "",
                             "missing": t["missing_sankey"].format(e=_why(exc))})
    for s in layer.substances:
        view = {"id": s, "label": t["of_substance"].format(s=s), "html": "", "missing": ""}
        try:
            drawn = substance_park(park, result, s)
            view["html"] = _sankey_fragment(drawn, lang, f"mfa-subst-{len(sec['views'])}",
                                            title=f"{v.t['sankey']} — {t['of_substance'].format(s=s)}")
        except Exception as exc:
            view["missing"] = t["missing_sankey"].format(e=_why(exc))
        sec["views"].append(view)
        fr = substance_fates(park, layer, s, result=result)
        sec["items"].append({
            "substance": s, "fates_heading": t["fates"].format(s=s),
            "recovery_heading": t["recovery"].format(s=s),
            "no_fates": t["no_fates"].format(s=s), "no_recovery": t["no_recovery"].format(s=s),
            "tonnes_label": t["tonnes"].format(s=s),
            "fates": _rows(fr.fates, v, ("tonnes",), ("share",)),
            "recovery": _rows(fr.recovery, v, ("waste_in", "inputs", "products_out"), ("recovery",)),
        })
    return {"substances": sec}


def _rows(frame: pd.DataFrame, v: Any, masses: tuple[str, ...], shares: tuple[str, ...]) -> list[dict]:
    """Records of an engine table with, beside each figure, its text (``<column>_t``); names translated."""
    rows = []
    for rec in frame.to_dict("records"):
        out = dict(rec)
        if "material" in rec:
            out["material_t"] = v.material(rec["material"])
        if "fate" in rec:
            out["fate_t"] = v.word(rec["fate"])
        if "process" in rec:
            out["process_t"] = v.process(rec["process"])
        for c in masses:
            out[f"{c}_t"] = number(rec[c]) if pd.notna(rec[c]) else ""
        for c in shares:
            out[f"{c}_t"] = v.pct(rec[c]) if pd.notna(rec[c]) else ""
        rows.append(out)
    return rows
