"""Writers for the three file formats. Every output is written atomically (a temporary file or folder
beside the target, then renamed), and the same park always gives byte-identical files."""

from __future__ import annotations

import contextlib
import functools
import io
import math
import os
import re
import shutil
import tempfile
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import numpy as np
import pandas as pd

from mfa.conventions import FLOW_UNIT, STOCK_UNIT
from mfa.errors import MfaError

if TYPE_CHECKING:
    from mfa.park import Park

FIXED_TIME = (2000, 1, 1, 0, 0, 0)


def file_mode() -> int:
    """The mode a plainly created file gets (0o666 less the umask); mkstemp's own 0o600 would hide
    reports from the colleagues they are written for.

    Returns
    -------
    int

    Examples
    --------
    >>> file_mode() & 0o600
    384
    """
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # alive, but another user's
        return True
    return True


def _sweep(parent: Path, prefix: str) -> None:
    """Remove temporary files and folders that a killed mfa left beside a target (their name carries the
    writer's process id); those of a writer still running are left alone."""
    try:
        names = os.listdir(parent)
    except OSError:
        return
    for name in names:
        if not name.startswith(prefix):
            continue
        m = re.match(r"(\d+)\.", name[len(prefix):])
        if not m or _pid_alive(int(m.group(1))):
            continue
        p = parent / name
        with contextlib.suppress(OSError):
            if p.is_dir() and not p.is_symlink():
                shutil.rmtree(p)
            else:
                p.unlink()


def _temp_prefix(path: Path, kind: str) -> str:
    return f".{path.name}.mfa-{kind}."


def check_parent(path: Path) -> None:
    """Create the folder of an output as every command does (report, sankey, chart, convert alike).

    Parameters
    ----------
    path : Path
        The output file or folder; its parent is created.

    Raises
    ------
    mfa.errors.MfaError
        When the parent is a file or cannot be created.

    Examples
    --------
    >>> import tempfile
    >>> out = Path(tempfile.mkdtemp()) / "new" / "deeper" / "report.html"
    >>> check_parent(out); out.parent.is_dir()
    True
    """
    parent = path.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise MfaError(f"cannot write {path}: {parent} is a file, not a folder") from None
    except OSError as e:
        raise MfaError(f"cannot write {path}: cannot create the folder {parent}: {e.strerror or e}") from None


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically: readers see the old file or the new one, never a part.

    Parameters
    ----------
    path : Path
        The target file.
    data : bytes
        Its new content.

    Examples
    --------
    >>> import tempfile
    >>> out = Path(tempfile.mkdtemp()) / "a.txt"
    >>> atomic_write_bytes(out, b"new"); out.read_bytes()
    b'new'

    The temporary file beside the target is named after this process, so that a later write removes what
    a killed one left behind."""
    path = Path(path)
    check_parent(path)
    prefix = _temp_prefix(path, "tmp")
    _sweep(path.parent, prefix)
    if path.is_dir():
        raise MfaError(f"{path} is a folder; give a file name for this output")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f"{prefix}{os.getpid()}.", suffix=".tmp", dir=path.parent)
    except OSError as e:
        raise MfaError(f"cannot write {path}: {e.strerror or e}") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, file_mode())
        os.replace(tmp, path)
    except OSError as e:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        # a full disk or a read-only file system is the user's to fix, not an internal error
        raise MfaError(f"cannot write {path}: {e.strerror or e}; the old file, if any, is unchanged") from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def atomic_write_text(path: Path, text: str, encoding: str = "utf-8") -> None:
    """:func:`atomic_write_bytes` of ``text`` encoded.

    Parameters
    ----------
    path : Path
        The target file.
    text : str
        Its new content.
    encoding : str
        Default UTF-8.

    Examples
    --------
    >>> import tempfile
    >>> out = Path(tempfile.mkdtemp()) / "a.txt"
    >>> atomic_write_text(out, "粉煤灰"); out.read_text(encoding="utf-8")
    '粉煤灰'
    """
    atomic_write_bytes(path, text.encode(encoding))


def tables_for_saving(park: "Park", extra: dict[str, pd.DataFrame] | None = None) -> dict[str, pd.DataFrame]:
    """The park's tables as they are written to files (values in t/a with an explicit unit column).

    Parameters
    ----------
    park : mfa.park.Park
    extra : dict of str to DataFrame, optional
        Tables written after the park's own (the substance layer's,
        :meth:`mfa.substance.SubstanceLayer.tables`).

    Returns
    -------
    dict of str to DataFrame
        Only the non-empty tables; generated flows are left out (their activity data are written).

    Examples
    --------
    >>> import mfa
    >>> tables = tables_for_saving(mfa.read_park("hazardous"))
    >>> tables["flows"]["unit"].unique().tolist()
    ['t/a']
    """
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
    if len(park.lifetimes):
        out["lifetimes"] = park.lifetimes
    out.update({name: frame for name, frame in (extra or {}).items() if len(frame)})
    return out


def _text(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return repr(v)
    return str(v)


# OWASP "CSV injection": a cell starting with one of these is run as a formula by Excel or LibreOffice
# when the CSV file is opened; a leading single quote makes it text. The CSV reader removes the quote again.
FORMULA_LEAD = ("=", "+", "-", "@", "\t", "\r")


def neutralise(text: str) -> str:
    """``text`` as a CSV cell that a spreadsheet shows but never runs as a formula. Text that already starts
    with quotes before a formula character gets one more, so that the reader (which takes one off) gives it
    back unchanged.

    Parameters
    ----------
    text : str

    Returns
    -------
    str

    Examples
    --------
    >>> neutralise("=cmd|' /C calc'!A0"), neutralise("fly ash")
    ("'=cmd|' /C calc'!A0", 'fly ash')
    """
    return "'" + text if text.lstrip("'").startswith(FORMULA_LEAD) else text


def _csv_bytes(frame: pd.DataFrame) -> bytes:
    frame = frame.copy()
    for c in frame.columns:
        if frame[c].dtype == bool:
            frame[c] = np.where(frame[c].to_numpy(), "true", "false")
        elif not pd.api.types.is_numeric_dtype(frame[c]):
            s = frame[c]
            text = s.astype(str)
            risky = s.notna() & text.str.lstrip("'").str.startswith(FORMULA_LEAD)
            if risky.any():
                frame[c] = s.where(~risky, "'" + text)
    buf = io.StringIO()
    frame.to_csv(buf, index=False, lineterminator="\n")
    # A BOM lets Chinese Excel open the file as UTF-8 instead of guessing GBK.
    return buf.getvalue().encode("utf-8-sig")


# The files mfa writes in a park folder; a folder holding anything else is not replaced without --force.
PARK_FILES = frozenset(f"{n}.csv" for n in ("park", "processes", "flows", "materials", "stocks",
                                              "activities", "coefficients", "lifetimes",
                                              "concentrations", "substance_tc"))


def foreign_entries(folder: Path) -> list[str]:
    """Entries of an existing folder that mfa would not have written there (sorted).

    Parameters
    ----------
    folder : Path

    Returns
    -------
    list of str

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "flows.csv").write_text(""); _ = (folder / "thesis.docx").write_text("")
    >>> foreign_entries(folder)
    ['thesis.docx']
    """
    return sorted(e for e in os.listdir(folder) if e not in PARK_FILES)


def check_folder_target(folder: Path, force: bool = False) -> None:
    """Refuse to replace a file, or a folder that holds anything mfa would not write, unless ``force``.

    Parameters
    ----------
    folder : Path
        The target folder.
    force : bool
        Replace a folder of other files anyway.

    Raises
    ------
    mfa.errors.MfaError

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "thesis.docx").write_text("")
    >>> check_folder_target(folder)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    mfa.errors.MfaError: ...thesis.docx...
    >>> check_folder_target(folder, force=True)
    """
    if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
        raise MfaError(f"{folder} exists and is not a folder; a park without extension is written as a "
                       "folder of CSV files — give another name, or .yaml / .xlsx")
    if folder.is_dir() and not force:
        foreign = foreign_entries(folder)
        if foreign:
            shown = ", ".join(repr(_short(e)) for e in foreign[:5]) + (" …" if len(foreign) > 5 else "")
            raise MfaError(f"{folder} already exists and holds {len(foreign)} file(s) or folder(s) that mfa "
                           f"did not write ({shown}); it is not replaced — give a new folder name, or --force "
                           "to replace the whole folder")


def _short(text: str, n: int = 40) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


_RENAME_EXCHANGE = 2


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths (Linux renameat2 RENAME_EXCHANGE). False where the system or the file
    system cannot; raises FileNotFoundError if one of them is gone."""
    import ctypes
    import errno
    import sys

    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    at_fdcwd = -100
    if fn(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err == errno.ENOENT:
        raise FileNotFoundError(err, os.strerror(err), str(b))
    if err in (errno.EINVAL, errno.ENOSYS, errno.EPERM, errno.ENOTSUP):
        return False
    raise OSError(err, os.strerror(err), str(b))


def _restore_interrupted(folder: Path) -> None:
    """Where a writer without atomic exchange was killed between its two renames, the old folder waits
    under a hidden name: put it back before anything else."""
    if folder.exists():
        return
    prefix = _temp_prefix(folder, "old")
    for name in sorted(os.listdir(folder.parent)):
        if name.startswith(prefix):
            with contextlib.suppress(OSError):
                os.rename(folder.parent / name, folder)
                return


def replace_folder(folder: Path, fill: "Callable[[Path], None]", force: bool = False) -> None:
    """Write a folder atomically: ``fill(tmp)`` writes the files into a temporary folder beside it, which
    then takes the folder's name in one step (an atomic exchange on Linux), so that a kill at any moment
    leaves the complete old or the complete new folder under its name. Concurrent writers each succeed;
    the last one wins.

    Parameters
    ----------
    folder : Path
        The target folder.
    fill : callable
        Writes the new content into the folder it is given.
    force : bool
        Replace a folder holding files mfa would not write.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp()) / "park"
    >>> replace_folder(folder, lambda tmp: (tmp / "flows.csv").write_text("x"))
    >>> sorted(p.name for p in folder.iterdir())
    ['flows.csv']
    """
    folder = Path(folder)
    check_parent(folder)
    parent = folder.parent
    _restore_interrupted(folder)
    for kind in ("new", "old"):
        _sweep(parent, _temp_prefix(folder, kind))
    check_folder_target(folder, force)
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f"{_temp_prefix(folder, 'new')}{os.getpid()}.", dir=parent))
    except OSError as e:
        raise MfaError(f"cannot write {folder}: {e.strerror or e}") from None
    try:
        os.chmod(tmp, file_mode() | ((file_mode() & 0o444) >> 2))  # mkdtemp's 0o700 → as mkdir would
        fill(tmp)
        for _attempt in range(100):
            if not os.path.lexists(folder):
                try:
                    os.rename(tmp, folder)
                    return
                except OSError:  # another writer put its folder there meanwhile: swap with it instead
                    continue
            try:
                swapped = _exchange(tmp, folder)
            except FileNotFoundError:  # another writer's old folder vanished meanwhile
                continue
            if not swapped:
                old = Path(tempfile.mkdtemp(prefix=f"{_temp_prefix(folder, 'old')}{os.getpid()}.", dir=parent))
                os.rmdir(old)
                try:
                    os.rename(folder, old)
                except FileNotFoundError:
                    continue
                os.rename(tmp, folder)
                tmp = old
            shutil.rmtree(tmp, ignore_errors=True)  # the old content, now under the temporary name
            return
        raise MfaError(f"cannot write {folder}: too many concurrent writers")
    except OSError as e:
        shutil.rmtree(tmp, ignore_errors=True)
        raise MfaError(f"cannot write {folder}: {e.strerror or e}; the old folder, if any, is unchanged") from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def write_csv_folder(park: "Park", folder: Path, force: bool = False,
                     extra: dict[str, pd.DataFrame] | None = None) -> None:
    """Write a park as a folder of CSV files (UTF-8 with BOM, formula-leading cells neutralised), replacing
    the folder atomically (see :func:`replace_folder`).

    Parameters
    ----------
    park : mfa.park.Park
    folder : Path
    force : bool
        Replace a folder holding files mfa would not write.
    extra : dict of str to DataFrame, optional
        More tables, one file each (see :func:`tables_for_saving`).

    Examples
    --------
    >>> import tempfile, mfa
    >>> folder = Path(tempfile.mkdtemp()) / "park"
    >>> write_csv_folder(mfa.read_park("hazardous"), folder)
    >>> mfa.read_park(folder) == mfa.read_park("hazardous")
    True
    """
    tables = tables_for_saving(park, extra)
    files = {f"{name}.csv": _csv_bytes(frame) for name, frame in tables.items()}

    def fill(tmp: Path) -> None:
        for name, data in files.items():
            (tmp / name).write_bytes(data)

    replace_folder(Path(folder), fill, force=force)


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


def yaml_text(park: "Park", extra: dict[str, pd.DataFrame] | None = None) -> str:
    """The park as the plain block YAML mfa writes (read back by :mod:`mfa.io.fastyaml`).

    Parameters
    ----------
    park : mfa.park.Park
    extra : dict of str to DataFrame, optional
        More tables, one section each (see :func:`tables_for_saving`).

    Returns
    -------
    str

    Examples
    --------
    >>> import mfa
    >>> "park:" in yaml_text(mfa.read_park("hazardous")).splitlines()
    True
    """
    import yaml

    tables = tables_for_saving(park, extra)
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
        keep: tuple[str, ...] = ("value",) if name in ("flows", "concentrations") else ()
        if name in ("activities", "coefficients"):  # free-form tables: keep every column, even if blank
            keep = tuple(frame.columns)
        doc[name] = _records(frame, keep=keep)
    header = ("# circular-mfa park file. Flow values in t/a (a row may give 'unit'), stocks in t.\n")
    options = dict(allow_unicode=True, sort_keys=False, default_flow_style=False, width=120)
    parts = [header, yaml.safe_dump({"park": doc.pop("park")}, **options)]
    for name, records in doc.items():
        parts.append(_yaml_table(name, records, options))
    return "".join(parts)


# The fast YAML writer below gives the very bytes of yaml.safe_dump (checked by the tests), emitting
# itself only rows whose every value it is sure about, and leaving any other row to PyYAML: PyYAML's
# emitter takes minutes and gigabytes for 10⁶ flows.
_PLAIN_TEXT = re.compile(r"[A-Za-z0-9_\u3000-\u9fff\uff00-\uffef][A-Za-z0-9_./>:#()+\- \u3000-\u9fff\uff00-\uffef]*\Z")


@functools.lru_cache(maxsize=1)
def _str_resolver():
    import yaml

    return yaml.SafeDumper.resolve.__get__(yaml.SafeDumper(io.StringIO())), yaml.ScalarNode


def _plain_scalar(value: Any, key: str, cache: dict) -> str | None:
    """``value`` as PyYAML writes it after ``key: `` in a block mapping at indent 2, or None if unsure."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value or value in (math.inf, -math.inf):
            return None
        text = repr(value).lower()
        return text.replace("e", ".0e", 1) if "." not in text and "e" in text else text
    if not isinstance(value, str):
        return None
    if value == "":
        return "''"
    got = cache.get(value)
    if got is not None:
        return got or None
    ok = (_PLAIN_TEXT.match(value) is not None and not value.endswith((" ", ":"))
          and ": " not in value and " #" not in value and len(value) + len(key) + 4 <= 120)
    if ok:
        resolve, node = _str_resolver()
        ok = resolve(node, value, (True, False)) == "tag:yaml.org,2002:str"
    cache[value] = value if ok else ""
    return value if ok else None


def _yaml_table(name: str, records: list[dict], options: dict) -> str:
    import yaml

    if not records:
        return yaml.safe_dump({name: []}, **options)
    lines = [f"{name}:\n"]
    cache: dict = {}
    for rec in records:
        out = []
        for i, (k, v) in enumerate(rec.items()):
            text = _plain_scalar(v, k, cache)
            if text is None:
                out = None
                break
            out.append(("- " if i == 0 else "  ") + k + ": " + text + "\n")
        if not out:  # anything unusual, and an empty row: PyYAML itself
            out = [yaml.safe_dump([rec], **options)]
        lines.extend(out)
    return "".join(lines)


def write_yaml(park: "Park", path: Path, extra: dict[str, pd.DataFrame] | None = None) -> None:
    """Write :func:`yaml_text` of the park to ``path`` atomically.

    Parameters
    ----------
    park : mfa.park.Park
    path : Path
    extra : dict of str to DataFrame, optional
        More tables (see :func:`tables_for_saving`).

    Examples
    --------
    >>> import tempfile, mfa
    >>> path = Path(tempfile.mkdtemp()) / "p.yaml"
    >>> write_yaml(mfa.read_park("hazardous"), path)
    >>> mfa.read_park(path) == mfa.read_park("hazardous")
    True
    """
    atomic_write_text(Path(path), yaml_text(park, extra))


def deterministic_zip(data: bytes) -> bytes:
    """Rewrite a zip (xlsx) with fixed timestamps and order, so equal content gives equal bytes.

    Parameters
    ----------
    data : bytes
        A zip archive.

    Returns
    -------
    bytes

    Examples
    --------
    >>> buf = io.BytesIO()
    >>> with zipfile.ZipFile(buf, "w") as z:
    ...     z.writestr("b.txt", "b"); z.writestr("a.txt", "a")
    >>> deterministic_zip(buf.getvalue()) == deterministic_zip(deterministic_zip(buf.getvalue()))
    True
    """
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


def workbook_bytes(wb: Any) -> bytes:
    """An openpyxl workbook saved as deterministic xlsx bytes (fixed metadata and timestamps).

    Parameters
    ----------
    wb : openpyxl.Workbook

    Returns
    -------
    bytes

    Examples
    --------
    >>> from openpyxl import Workbook
    >>> workbook_bytes(Workbook()) == workbook_bytes(Workbook())
    True
    """
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


def write_excel(park: "Park", path: Path, extra: dict[str, pd.DataFrame] | None = None) -> None:
    """Write the park as an xlsx workbook (one sheet per table, strings kept as strings), atomically.

    Parameters
    ----------
    park : mfa.park.Park
    path : Path
    extra : dict of str to DataFrame, optional
        More tables, one sheet each (see :func:`tables_for_saving`).

    Examples
    --------
    >>> import tempfile, mfa
    >>> path = Path(tempfile.mkdtemp()) / "p.xlsx"
    >>> write_excel(mfa.read_park("hazardous"), path)
    >>> mfa.read_park(path) == mfa.read_park("hazardous")
    True
    """
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    wb.remove(wb.active)
    bold = Font(bold=True)
    for name, frame in tables_for_saving(park, extra).items():
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
