"""The full detail of a park in its report, however large: every flow and every process.

Two forms, both written by :func:`mfa.report.write_report`:

* **in the page**: the rows embedded once as compact JSON (column arrays, numbers at full precision) in a
  ``<script type="application/json">``; a small hand-written script shows them as a searchable, sortable
  table a page at a time and draws the Sankey of a chosen process, group or material from them. A 10⁵-flow
  park is a few MB of JSON instead of 10⁵ table rows the browser would lay out.
* **beside the page**: ``<report>.flows.csv`` (UTF-8 with BOM, formula-leading cells neutralised, values as
  exact decimal representations), for spreadsheets and scripts; its values sum to the park's totals.

Nothing here draws; the report's template carries the script (``templates/detail.js``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["DETAIL_TEXT", "STATUSES", "flow_table", "detail_data", "detail_section", "script_json", "write_flows_csv", "flows_csv_path"]

#: The words of the detail section (template and script) in each language; ``{u}`` is the report's unit.
DETAIL_TEXT: dict[str, dict[str, str]] = {
    "en": {
        "detail": "Full detail", "detail_note": "Every flow and every process of the park, as reported. Search, "
        "sort (click a column) and page through them here; the same flows are in the CSV file beside this page "
        "(values in t/a at full precision; their sum is the park's total):",
        "no_csv": "(written by mfa report and write_report)",
        "around_heading": "Sankey of one process, group or material", "around_ph": "type a process, group or material",
        "around_help": "Choose a process or a group to see its inflows from and outflows to individual "
        "processes (depth 2: also theirs), or a material to see its largest flows. What the drawn processes "
        "exchange with the rest of the park is drawn as 'rest of park', so every tonne of theirs is drawn.",
        "depth": "depth", "carriers_box": "air, water and flue gas", "table_heading": "Every flow and process",
        "flows_tab": "flows", "processes_tab": "processes", "search_ph": "search", "prev": "◀ previous",
        "next": "next ▶", "noscript": "The table and this diagram need JavaScript; the CSV file has every flow.",
        "csv_link": "",
        "sort": "sort", "rows": "{n} of {total} rows",
        "col_id": "flow", "col_from": "from", "col_to": "to", "col_material": "material", "col_tonnes": "{u}/a",
        "col_sigma": "σ {u}/a", "col_status": "value", "col_process": "process", "col_name": "name",
        "col_kind": "kind", "col_group": "group", "col_inputs": "inputs {u}/a", "col_outputs": "outputs {u}/a",
        "col_stock_change": "stock change {u}", "col_residual": "residual {u}/a",
        "st_given": "given", "st_measured": "measured (σ)", "st_estimated": "estimated", "st_computed": "computed",
        "st_reconciled": "reconciled", "st_unknown": "unknown",
        "pick_process": "process: ", "pick_group": "group: ", "pick_material": "material: ",
        "smaller": "{n} smaller flows ({v}) not drawn", "around_note": "{n} processes drawn",
        "carriers_hidden": "air, water and flue gas ({v}) not drawn", "unknown_hidden": "{n} flow(s) of unknown value not drawn",
        "rest_in": "rest of park (in)", "rest_out": "rest of park (out)", "stock_in": "stock accumulation",
        "stock_out": "stock release", "res_out": "unaccounted (balance residual)",
        "res_in": "unaccounted (balance residual)", "stock_mat": "stock change", "res_mat": "balance residual",
        "in_out": "in {i} · out {o}", "around_title": "around {x}", "material_title": "flows of {x}",
        "nothing": "Nothing to draw: no flow of known value here.", "no_match": "No process, group or material matches.",
    },
    "zh": {
        "detail": "全部明细", "detail_note": "按报告口径列出园区的每一条流和每一个过程，可在此搜索、排序（点击列名）和翻页；"
        "同样的流也写在本页旁边的逗号分隔表格文件中（单位 t/a，全精度，合计即园区总量）：",
        "no_csv": "（由报告命令写出）",
        "around_heading": "单个过程、分组或物质的桑基图", "around_ph": "输入过程、分组或物质",
        "around_help": "选择一个过程或分组，查看它与各个过程之间的流入和流出（深度 2：再向外一层）；选择一种物质，"
        "查看其最大的流。所绘过程与园区其余部分之间的流绘为“园区其余部分”，因此所绘过程的每一吨都绘出。",
        "depth": "深度", "carriers_box": "空气、水和烟气", "table_heading": "全部流和过程",
        "flows_tab": "流", "processes_tab": "过程", "search_ph": "搜索", "prev": "◀ 上一页", "next": "下一页 ▶",
        "noscript": "表格和此图需要启用脚本；逗号分隔表格文件中有全部流。", "csv_link": "下载全部流",
        "sort": "排序", "rows": "共 {total} 行，显示 {n} 行",
        "col_id": "流", "col_from": "从", "col_to": "到", "col_material": "物质", "col_tonnes": "{u}/a",
        "col_sigma": "标准差 {u}/a", "col_status": "数值来源", "col_process": "过程", "col_name": "名称",
        "col_kind": "类型", "col_group": "分组", "col_inputs": "输入 {u}/a", "col_outputs": "输出 {u}/a",
        "col_stock_change": "库存变化 {u}", "col_residual": "残差 {u}/a",
        "st_given": "给定", "st_measured": "实测（有标准差）", "st_estimated": "估算", "st_computed": "计算",
        "st_reconciled": "协调", "st_unknown": "未知",
        "pick_process": "过程：", "pick_group": "分组：", "pick_material": "物质：",
        "smaller": "另有 {n} 条较小的流（{v}）未绘出", "around_note": "绘出 {n} 个过程",
        "carriers_hidden": "空气、水和烟气（{v}）未绘出", "unknown_hidden": "{n} 条未知数值的流未绘出",
        "rest_in": "园区其余部分（流入）", "rest_out": "园区其余部分（流出）", "stock_in": "库存增加",
        "stock_out": "库存减少", "res_out": "未平衡量（残差）", "res_in": "未平衡量（残差）", "stock_mat": "库存变化",
        "res_mat": "平衡残差", "in_out": "输入 {i} · 输出 {o}", "around_title": "{x} 周边", "material_title": "{x} 的流",
        "nothing": "无可绘内容：此处没有已知数值的流。", "no_match": "没有匹配的过程、分组或物质。",
    },
}

#: What a reported flow's value is, in the order the embedded data codes them.
STATUSES = ("given", "measured", "estimated", "computed", "reconciled", "unknown")


def flow_table(park: Any, given: Any = None, lang: str = "en") -> pd.DataFrame:
    """Every flow of the reported ``park``: id, source, source_name, target, target_name, material,
    material_name, category, value (t/a), sigma (t/a), status (:data:`STATUSES`).

    Parameters
    ----------
    park : mfa.Park
        The park as reported (solved or reconciled).
    given : mfa.Park, optional
        The park as read, to tell computed and reconciled values from given ones (default ``park``).
    lang : {"en", "zh"}
        Language of the names.

    Returns
    -------
    pandas.DataFrame
        One row per flow, in the park's order.

    Examples
    --------
    >>> import mfa
    >>> from mfa.solved import solve_park
    >>> park = mfa.read_park("bayannur")
    >>> t = flow_table(solve_park(park).park, park)
    >>> len(t) == len(park.flows), int((t["status"] == "computed").sum())
    (True, 46)
    >>> bool(t["value"].sum() == solve_park(park).park.flows["value"].sum())
    True
    """
    from mfa.report import Voice

    given = park if given is None else given
    v = Voice.of(park, lang)
    f = park.flows
    value = f["value"].to_numpy(dtype=float)
    g = given.flows
    if not (len(g) == len(f) and (g["id"].to_numpy() == f["id"].to_numpy()).all()):
        g = g.set_index("id").reindex(f["id"]).reset_index()  # the solvers keep the order: rarely needed
    before, sigma_given = g["value"].to_numpy(dtype=float), g["sigma"].to_numpy(dtype=float)
    unknown = np.isnan(value)
    computed = np.isnan(before) & ~unknown
    changed = ~np.isnan(before) & ~unknown & (np.abs(value - before) > 1e-12 * np.abs(before))
    status = np.select([unknown, computed, changed, f["estimated"].to_numpy(dtype=bool), ~np.isnan(sigma_given)],
                       ["unknown", "computed", "reconciled", "estimated", "measured"], "given")
    category = park.compiled.category_of
    return pd.DataFrame({
        "id": f["id"].astype(str).to_numpy(), "source": f["source"].to_numpy(dtype=object),
        "source_name": f["source"].map(v.processes).to_numpy(dtype=object),
        "target": f["target"].to_numpy(dtype=object),
        "target_name": f["target"].map(v.processes).to_numpy(dtype=object),
        "material": f["material"].to_numpy(dtype=object),
        "material_name": f["material"].map(v.materials).fillna(f["material"]).to_numpy(dtype=object),
        "category": f["material"].map(category).fillna("other").to_numpy(dtype=object),
        "value": value, "sigma": f["sigma"].to_numpy(dtype=float), "status": status})


def flows_csv_path(report: str | Path) -> Path:
    """Where the flows of the report ``report`` are written: ``report.html`` → ``report.flows.csv``.

    Examples
    --------
    >>> flows_csv_path("out/wuhai.html").as_posix()
    'out/wuhai.flows.csv'
    """
    report = Path(report)
    return report.with_name(report.stem + ".flows.csv")


def write_flows_csv(table: pd.DataFrame, path: str | Path) -> Path:
    """Write :func:`flow_table` as CSV, atomically: UTF-8 with BOM (Chinese Excel reads it), text cells that
    a spreadsheet would run as a formula neutralised (as :func:`mfa.io.writers.neutralise` does), values and σ in
    t/a as exact decimal representations (the column sums are the park's totals).

    Parameters
    ----------
    table : pandas.DataFrame
        :func:`flow_table`.
    path : str or pathlib.Path

    Returns
    -------
    pathlib.Path

    Examples
    --------
    >>> import tempfile
    >>> t = pd.DataFrame({"id": ["=1+1"], "value": [0.1 + 0.2]})
    >>> p = write_flows_csv(t, Path(tempfile.mkdtemp()) / "r.flows.csv")
    >>> p.read_text(encoding="utf-8-sig")
    "id,value_t_a\\n'=1+1,0.30000000000000004\\n"
    """
    from mfa.io.writers import FORMULA_LEAD, atomic_write_bytes

    out = table.rename(columns={"value": "value_t_a", "sigma": "sigma_t_a"}).copy()
    for c in out.columns:
        if not pd.api.types.is_numeric_dtype(out[c]):
            # as mfa.io.writers.neutralise, on the whole column at once
            text = out[c].astype(str)
            risky = out[c].notna() & text.str.lstrip("'").str.startswith(FORMULA_LEAD)
            out[c] = out[c].where(~risky, "'" + text)
    text = out.to_csv(index=False, lineterminator="\n", float_format=None)
    path = Path(path)
    atomic_write_bytes(path, text.encode("utf-8-sig"))
    return path


def _codes(values: pd.Series | np.ndarray, levels: list) -> list[int]:
    index = pd.Index(levels)
    return index.get_indexer(pd.Index(values)).tolist()


def _floats(x: np.ndarray) -> list:
    """Full precision (JSON numbers are shortest round-trip reprs); missing as null."""
    out = x.astype(object)
    out[np.isnan(x)] = None
    return out.tolist()


def detail_data(park: Any, table: pd.DataFrame, balance_processes: pd.DataFrame, lang: str, unit: str,
                texts: dict[str, str], node_groups: dict[str, str] | None = None) -> dict:
    """What the page's script needs, as column arrays: processes (id, name, kind, group, inputs, outputs,
    stock change, residual, imbalanced), materials (id, name, category), flows (source, target and material
    as indices, value, σ, status; the id only where it is not ``source>target:material``), the carriers'
    flow indices, colours and labels of kinds and categories, and the page's words.

    Parameters
    ----------
    park : mfa.Park
    table : pandas.DataFrame
        :func:`flow_table` of ``park``.
    balance_processes : pandas.DataFrame
        ``mfa.balance(park).processes``.
    lang : {"en", "zh"}
    unit : {"t", "万t"}
        The unit the table shows.
    texts : dict
        The words of the page.
    node_groups : dict, optional
        Node id of the report's aggregated diagrams → the group it stands for (clicking the node draws the
        group's neighbourhood).

    Returns
    -------
    dict

    Examples
    --------
    >>> import mfa
    >>> park = mfa.read_park("hazardous")
    >>> d = detail_data(park, flow_table(park), mfa.balance(park).processes, "en", "t", {})
    >>> len(d["flows"]["v"]) == len(park.flows), d["processes"]["id"][d["flows"]["s"][0]] == park.flows["source"][0]
    (True, True)
    """
    from mfa.report import Voice
    from mfa.sankey_diagram import CATEGORY_COLORS, KIND_COLORS, carrier_flows, category_label, kind_label

    v = Voice.of(park, lang)
    procs = park.processes
    pid = procs["id"].astype(str).tolist()
    names = [v.processes.get(p, p) for p in pid]
    groups_col = procs["group"].fillna("").astype(str).str.strip()
    groups = sorted(set(groups_col) - {""})
    kinds = sorted(set(procs["kind"].astype(str)) | {"rest", "stock", "residual"})
    b = balance_processes.set_index("process").reindex(pid)
    mats = park.materials
    mid = mats["id"].astype(str).tolist()
    cats = sorted(set(mats["category"].fillna("other").astype(str)) | {"other", "stock", "residual"})
    default_id = table["source"].astype(str) + ">" + table["target"].astype(str) + ":" + table["material"].astype(str)
    ids = np.where(table["id"].to_numpy(dtype=object) == default_id.to_numpy(dtype=object), 0,
                   table["id"].to_numpy(dtype=object))
    return {
        "lang": lang, "unit": unit, "t": texts, "statuses": list(STATUSES),
        "kinds": kinds, "kindLabels": [kind_label(k, lang) for k in kinds],
        "kindColors": [KIND_COLORS.get(k, "#777777") for k in kinds],
        "categories": cats, "categoryLabels": [category_label(c, lang) for c in cats],
        "categoryColors": [CATEGORY_COLORS.get(c, "#C7C7C7") for c in cats],
        "groups": groups,
        "processes": {"id": pid, "name": [n if n != p else "" for n, p in zip(names, pid)],
                      "kind": _codes(procs["kind"].astype(str), kinds),
                      "group": _codes(groups_col, groups),
                      "in": _floats(b["inputs"].to_numpy(dtype=float)),
                      "out": _floats(b["outputs"].to_numpy(dtype=float)),
                      "ds": _floats(b["stock_change"].to_numpy(dtype=float)),
                      "r": _floats(b["residual"].to_numpy(dtype=float)),
                      "bad": (b["status"] == "imbalanced").astype(int).tolist()},
        "materials": {"id": mid, "name": [v.materials.get(m, m) for m in mid],
                      "category": _codes(mats["category"].fillna("other").astype(str), cats)},
        "flows": {"s": _codes(table["source"].astype(str), pid), "t": _codes(table["target"].astype(str), pid),
                  "m": _codes(table["material"].astype(str), mid), "v": _floats(table["value"].to_numpy(dtype=float)),
                  "sd": _floats(table["sigma"].to_numpy(dtype=float)),
                  "st": _codes(table["status"], list(STATUSES)), "id": ids.tolist()},
        "carriers": np.flatnonzero(carrier_flows(park)).tolist(),
        "nodeGroups": {k: groups.index(g) for k, g in sorted((node_groups or {}).items()) if g in groups},
    }


def script_json(data: Any) -> str:
    """``data`` as JSON that is safe inside ``<script type="application/json">``: no ``<``, ``>``, ``&`` or
    line separators appear raw (they are ``\\u`` escapes, which ``JSON.parse`` reads back), so no text of
    the park can close the script or open a tag.

    Parameters
    ----------
    data : Any
        Plain data (dicts, lists, str, numbers, None); NaN is not allowed.

    Returns
    -------
    str

    Examples
    --------
    >>> script_json({"name": "</script><b>&"})
    '{"name":"\\\\u003c/script\\\\u003e\\\\u003cb\\\\u003e\\\\u0026"}'
    >>> json.loads(script_json({"name": "</script>"}))["name"]
    '</script>'
    """
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    for ch, esc in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"),
                    ("\u2029", "\\u2029")):
        text = text.replace(ch, esc)
    return text


def detail_section(park: Any, given: Any, balance_processes: pd.DataFrame, lang: str, unit: str,
                   flows_csv: str = "", node_groups: dict[str, str] | None = None) -> dict:
    """The template context of the report's *Full detail* section and the flow table behind it.

    Parameters
    ----------
    park, given : mfa.Park
        The park as reported and as read (see :func:`flow_table`).
    balance_processes : pandas.DataFrame
        ``mfa.balance(park).processes``.
    lang : {"en", "zh"}
    unit : {"t", "万t"}
        The unit the table shows.
    flows_csv : str
        File name of the CSV beside the page ("" when none is written).
    node_groups : dict, optional
        See :func:`detail_data`.

    Returns
    -------
    dict
        ``d`` (the words), ``detail_json`` (:func:`script_json` of :func:`detail_data`), ``flows_csv``,
        ``flow_table`` (:func:`flow_table`).

    Examples
    --------
    >>> import mfa
    >>> park = mfa.read_park("hazardous")
    >>> sec = detail_section(park, park, mfa.balance(park).processes, "zh", "t", "r.flows.csv")
    >>> sec["d"]["col_tonnes"], json.loads(sec["detail_json"])["t"]["col_tonnes"], len(sec["flow_table"])
    ('t/a', 't/a', 63)
    """
    words = {k: v.replace("{u}", unit) for k, v in DETAIL_TEXT[lang].items()}
    table = flow_table(park, given, lang)
    data = detail_data(park, table, balance_processes, lang, unit, words, node_groups)
    return {"d": words, "detail_json": script_json(data), "flows_csv": flows_csv, "flow_table": table}
