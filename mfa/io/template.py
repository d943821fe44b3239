"""An empty park workbook for data entry: one sheet per table, a header row, a notes row (row 2, starting
with '#', skipped when read) and drop-down lists for kind, material and category."""

from __future__ import annotations

from pathlib import Path

from mfa.conventions import CATEGORIES, FATES, PROCESS_KINDS

NOTES = {
    "park": {"key": "# setting",
             "value": "# name, name_zh, region, level, year, unit (default t/a), days_per_year (365)"},
    "processes": {
        "id": "# unique id, e.g. power_plant_1", "name": "# name", "name_zh": "# 中文名称",
        "kind": "# production | collection | treatment | landfill | storage | environment | import | export",
        "group": "# optional group (enterprise, sector) for aggregation", "x": "# longitude (°)",
        "y": "# latitude (°)", "capacity": "# t/a of input", "note": "# source of the data"},
    "flows": {
        "id": "# optional; derived as source>target:material", "source": "# process id",
        "target": "# process id", "material": "# material id (catalogue or materials sheet)",
        "value": "# number; blank = unknown", "unit": "# t/a, 万t/a, t/d, kt/a …; blank = park unit",
        "sigma": "# standard uncertainty, same unit, or 10%", "tc": "# transfer coefficient 0–1 of source input",
        "tc_sigma": "# uncertainty of tc", "route": "# utilisation route (e.g. fertiliser, feed, fuel)",
        "fate": "# override: utilised | disposed | stored | discarded | exported",
        "year": "# period of the row; blank = park year", "note": "# source: statistics (official) or illustrative"},
    "materials": {
        "id": "# only materials not in the catalogue", "name": "# name", "name_zh": "# 中文名称",
        "category": "# category", "bulk": "# true for the seven bulk solid wastes", "hw_code": "# HW01–HW50",
        "source": "# where the definition comes from", "note": "#"},
    "stocks": {"process": "# storage process id", "material": "# material id", "opening": "# stock at 1 Jan",
               "closing": "# stock at 31 Dec", "unit": "# t, 万t …", "note": "#"},
}
COLUMNS = {
    "park": ["key", "value"],
    "processes": ["id", "name", "name_zh", "kind", "group", "x", "y", "capacity", "note"],
    "flows": ["id", "source", "target", "material", "value", "unit", "sigma", "tc", "tc_sigma", "route",
              "fate", "year", "note"],
    "materials": ["id", "name", "name_zh", "category", "bulk", "hw_code", "source", "note"],
    "stocks": ["process", "material", "opening", "closing", "unit", "note"],
}


def write_template(path: str | Path) -> Path:
    """Write an empty park workbook with notes and drop-down lists to ``path`` (.xlsx).

    Parameters
    ----------
    path : str or Path
        The workbook to write.

    Returns
    -------
    Path

    Examples
    --------
    >>> import tempfile
    >>> write_template(Path(tempfile.mkdtemp()) / "park.xlsx").is_file()
    True
    """
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    from mfa.catalogue import materials
    from mfa.io.writers import atomic_write_bytes, workbook_bytes

    path = Path(path)
    wb = Workbook()
    wb.remove(wb.active)
    bold = Font(bold=True)
    grey = PatternFill("solid", fgColor="EEEEEE")
    for name, cols in COLUMNS.items():
        ws = wb.create_sheet(name)
        ws.append(cols)
        ws.append([NOTES[name].get(c, "#") for c in cols])
        for cell in ws[1]:
            cell.font = bold
        for cell in ws[2]:
            cell.fill = grey
            cell.font = Font(italic=True, color="666666")
        ws.freeze_panes = "A3"
        for i, c in enumerate(cols):
            ws.column_dimensions[chr(ord("A") + i)].width = max(12, min(40, len(NOTES[name].get(c, "")) // 2))
    wb["park"].append(["name", ""])
    wb["park"].append(["year", ""])
    wb["park"].append(["unit", "t/a"])
    lists = wb.create_sheet("lists")
    mats = materials()
    lists.append(["kind", "category", "fate", "material", "material_name_zh"])
    ids = mats["id"].tolist()
    zh = mats["name_zh"].tolist()
    n = max(len(PROCESS_KINDS), len(CATEGORIES), len(ids), len(FATES))
    for i in range(n):
        lists.append([
            PROCESS_KINDS[i] if i < len(PROCESS_KINDS) else None,
            CATEGORIES[i] if i < len(CATEGORIES) else None,
            FATES[i] if i < len(FATES) else None,
            ids[i] if i < len(ids) else None,
            zh[i] if i < len(zh) else None,
        ])
    lists.sheet_state = "hidden"

    def dropdown(sheet: str, col: str, ref: str) -> None:
        dv = DataValidation(type="list", formula1=ref, allow_blank=True, showErrorMessage=False)
        wb[sheet].add_data_validation(dv)
        dv.add(f"{col}3:{col}100000")

    dropdown("processes", "D", f"=lists!$A$2:$A${len(PROCESS_KINDS) + 1}")
    dropdown("materials", "D", f"=lists!$B$2:$B${len(CATEGORIES) + 1}")
    dropdown("flows", "K", f"=lists!$C$2:$C${len(FATES) + 1}")
    if ids:
        dropdown("flows", "D", f"=lists!$D$2:$D${len(ids) + 1}")
        dropdown("stocks", "B", f"=lists!$D$2:$D${len(ids) + 1}")
    atomic_write_bytes(path, workbook_bytes(wb))
    return path
