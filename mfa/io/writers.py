"""Writers for the three file formats. Every output is written atomically (a temporary file or folder
beside the target, then renamed), and the same park always gives byte-identical files."""

from __future__ import annotations

import contextlib
import io
import math
import os
import re
import shutil
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mfa.conventions import FLOW_UNIT, STOCK_UNIT

FIXED_TIME = (2000, 1, 1, 0, 0, 0)


def file_mode() -> int:
    """The mode a plainly created file gets (0o666 less the umask); mkstemp's own 0o600 would hide
    reports from the colleagues they are written for."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically: readers see the old file or the new one, never a part."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, file_mode())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def atomic_write_text(path: Path, text: str, encoding: str = "utf-8") -> None:
    atomic_write_bytes(path, text.encode(encoding))


def tables_for_saving(park) -> dict[str, pd.DataFrame]:
    """The park's tables as they are written to files (values in t/a with an explicit unit column)."""
    flows = park.flows
    flows = flows[flows["activity"] == ""].drop(columns=["activity"])
    flows.insert(flows.columns.get_loc("value") + 1, "unit", FLOW_UNIT)
    stocks = park.stocks
    stocks.insert(stocks.columns.get_loc("closing") + 1, "unit", STOCK_UNIT)
    info = park.info.model_dump(exclude_none=True)
    park_table = pd.DataFrame({"key": list(info), "value": [_text(v) for v in info.values()]})
    out = {"park": park_table, "processes": park.processes, "flows": flows, "materials": park.materials,
           "stocks": stocks}
    if len(park.activities):
        out["activities"] = park.activities
    if len(park.coefficients):
        out["coefficients"] = park.coefficients
    return out


def _text(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return repr(v)
    return str(v)


def _csv_bytes(frame: pd.DataFrame) -> bytes:
    frame = frame.copy()
    for c in frame.columns:
        if frame[c].dtype == bool:
            frame[c] = np.where(frame[c].to_numpy(), "true", "false")
    buf = io.StringIO()
    frame.to_csv(buf, index=False, lineterminator="\n")
    # A BOM lets Chinese Excel open the file as UTF-8 instead of guessing GBK.
    return buf.getvalue().encode("utf-8-sig")


def write_csv_folder(park, folder: Path) -> None:
    folder = Path(folder)
    parent = folder.parent
    parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=parent))
    try:
        os.chmod(tmp, file_mode() | ((file_mode() & 0o444) >> 2))  # mkdtemp's 0o700 → as mkdir would
        for name, frame in tables_for_saving(park).items():
            (tmp / f"{name}.csv").write_bytes(_csv_bytes(frame))
        if folder.exists():
            backup = Path(tempfile.mkdtemp(prefix=f".{folder.name}.old.", dir=parent))
            os.rmdir(backup)
            os.replace(folder, backup)
            os.replace(tmp, folder)
            shutil.rmtree(backup, ignore_errors=True)
        else:
            os.replace(tmp, folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _plain(v: Any):
    if isinstance(v, (np.bool_, bool)):
        return bool(v)
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        return None if np.isnan(v) else float(v)
    if v is pd.NA:
        return None
    return v


def _records(frame: pd.DataFrame, keep: tuple[str, ...] = ()) -> list[dict]:
    cols = list(frame.columns)
    out = []
    for row in zip(*(frame[c].tolist() for c in cols)):
        rec = {}
        for c, v in zip(cols, row):
            v = _plain(v)
            if (v is None or v == "" or (c == "estimated" and v is False)) and c not in keep:
                continue
            rec[c] = v
        out.append(rec)
    return out


def yaml_text(park) -> str:
    import yaml

    tables = tables_for_saving(park)
    doc: dict[str, Any] = {"park": park.info.model_dump(exclude_none=True)}
    for name, frame in tables.items():
        if name == "park":
            continue
        # Values are written in t/a and t; rows carry the unit only where the park's default unit differs.
        if name == "flows" and park.info.unit.replace(" ", "") == FLOW_UNIT:
            frame = frame.drop(columns=["unit"])
        if name == "stocks":
            frame = frame.drop(columns=["unit"])
        # A blank value is an unknown flow; keep the key so that the column exists even if all are unknown.
        keep: tuple[str, ...] = ("value",) if name == "flows" else ()
        if name in ("activities", "coefficients"):  # free-form tables: keep every column, even if blank
            keep = tuple(frame.columns)
        doc[name] = _records(frame, keep=keep)
    header = ("# circular-mfa park file. Flow values in t/a (a row may give 'unit'), stocks in t.\n")
    return header + yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, default_flow_style=False,
                                   width=120)


def write_yaml(park, path: Path) -> None:
    atomic_write_text(Path(path), yaml_text(park))


def deterministic_zip(data: bytes) -> bytes:
    """Rewrite a zip (xlsx) with fixed timestamps and order, so equal content gives equal bytes."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            zi = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o644 << 16
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                # openpyxl stamps dcterms:modified with the clock when it saves, whatever the workbook says
                stamp = "%04d-%02d-%02dT%02d:%02d:%02dZ" % FIXED_TIME
                body = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                              rb"\g<1>" + stamp.encode() + rb"\g<2>", body)
            dst.writestr(zi, body)
    return out.getvalue()


@contextlib.contextmanager
def _exact_floats():
    """openpyxl writes floats with 16 significant digits, which loses the last bit of some values; write
    the shortest exact representation instead so that a workbook round-trips exactly."""
    import openpyxl.cell._writer as cell_writer

    original = cell_writer.safe_string

    def exact(value):
        if isinstance(value, float) and math.isfinite(value):
            return repr(value)
        return original(value)

    cell_writer.safe_string = exact
    try:
        yield
    finally:
        cell_writer.safe_string = original


def workbook_bytes(wb) -> bytes:
    import datetime as dt

    stamp = dt.datetime(*FIXED_TIME)
    wb.properties.created = stamp
    wb.properties.modified = stamp
    wb.properties.lastModifiedBy = "circular-mfa"
    wb.properties.creator = "circular-mfa"
    buf = io.BytesIO()
    with _exact_floats():
        wb.save(buf)
    return deterministic_zip(buf.getvalue())


def _excel_value(v: Any):
    return _plain(v)


def write_excel(park, path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    wb.remove(wb.active)
    bold = Font(bold=True)
    for name, frame in tables_for_saving(park).items():
        ws = wb.create_sheet(name)
        ws.append(list(frame.columns))
        for cell in ws[1]:
            cell.font = bold
        cols = [frame[c].tolist() for c in frame.columns]
        as_text = []
        for r, row in enumerate(zip(*cols), start=2):
            values = [_excel_value(v) for v in row]
            ws.append(values)
            as_text.extend((r, j + 1) for j, v in enumerate(values) if isinstance(v, str) and v.startswith("="))
        for r, j in as_text:  # user text that looks like a formula stays text, never a formula
            ws.cell(r, j).data_type = "s"
        ws.freeze_panes = "A2"
    atomic_write_bytes(Path(path), workbook_bytes(wb))
