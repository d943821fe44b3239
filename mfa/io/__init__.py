"""Reading and writing parks: a folder of CSV files, one YAML file, one Excel workbook, or DataFrames.

Reading here means reading and validating (:func:`read_tables`); :func:`mfa.read_park` builds the Park.

>>> import mfa
>>> park = mfa.read_park("wuhai")          # a shipped example park, or any path  # doctest: +SKIP
>>> mfa.write_park(park, "wuhai.xlsx")     # format from the extension            # doctest: +SKIP
"""

from __future__ import annotations

import os
from pathlib import Path

from typing import TYPE_CHECKING, Any, NamedTuple

from mfa.errors import Issue, Message, MfaError, ParkError

__all__ = ["read_tables", "read_raw", "RawPark", "write_park", "resolve_park_path"]

if TYPE_CHECKING:
    from mfa.io.frames import ParkTables
    from mfa.park import Park

_YAML = {".yaml", ".yml"}
_EXCEL = {".xlsx", ".xlsm"}


def resolve_park_path(path_or_name: str | Path) -> Path:
    """The path of a park given as a path or as the name of a shipped example park.

    Parameters
    ----------
    path_or_name : str or Path

    Returns
    -------
    Path

    Raises
    ------
    mfa.errors.MfaError
        Neither a path nor an example park (with a 'did you mean').

    Examples
    --------
    >>> resolve_park_path("wuhai").name
    'wuhai'
    >>> resolve_park_path("wuhia")
    Traceback (most recent call last):
    mfa.errors.MfaError: wuhia: no such file or folder — did you mean 'wuhai'?
    """
    from mfa.catalogue import example_park_path, example_parks

    p = Path(path_or_name)
    if p.exists():
        return p
    shipped = example_park_path(str(path_or_name)) if p.name == str(path_or_name) else None
    if shipped is not None:
        return shipped
    from mfa.errors import suggest

    hint = suggest(str(path_or_name), example_parks())
    shipped_names = ", ".join(example_parks()) or "none"
    if hint:
        raise MfaError(Message(f"{path_or_name}: no such file or folder — {hint}", "read.no_such_park_hint",
                               path=str(path_or_name), hint=hint))
    raise MfaError(Message(f"{path_or_name}: no such file or folder (shipped example parks: {shipped_names})",
                           "read.no_such_park", path=str(path_or_name), parks=shipped_names))


def read_tables(path_or_name: str | Path, year: int | None = None) -> "ParkTables":
    """Read a park from a CSV folder, a YAML file or an Excel workbook (or a shipped example by name).

    A park is one period: rows whose ``year`` differ are refused, unless ``year`` selects one (the rows of
    that year and the undated rows of the park's year; ``year`` becomes the reporting year). See
    :mod:`mfa.io.periods`.

    Every value is normalised to t/a (stocks to t). Returns the validated tables with every problem in every
    file (file, row as a spreadsheet shows it or YAML path, column, value, suggestion) in ``.issues``;
    raises :class:`mfa.errors.ParkError` only when a file cannot be read at all. This is the reader only:
    :func:`mfa.read_park` (:func:`mfa.park.read_park`) adds the generated flows and builds the Park.

    Parameters
    ----------
    path_or_name : str or Path
        A CSV folder, a YAML file, an Excel workbook, or the name of a shipped example park.
    year : int, optional
        The period to read.

    Returns
    -------
    mfa.io.frames.ParkTables

    Examples
    --------
    >>> tables = read_tables("wuhai")
    >>> len(tables.processes) > 10, tables.errors
    (True, [])
    """
    from mfa.io.frames import validate_tables

    raw = read_raw(path_or_name)
    tables = validate_tables(raw.tables, raw.info, raw.source, year=year, refused=raw.refused)
    tables.issues[:0] = raw.issues  # the reading problems first, as the files were met
    return tables


class RawPark(NamedTuple):
    """What the readers found before validation: the tables as text cells (rows located), the park's
    settings, the reading problems, the tables refused whole, and the file or folder read."""

    tables: dict
    info: Any
    issues: list
    refused: set
    source: str


def read_raw(path_or_name: str | Path) -> RawPark:
    """Read a park's files without validating them (every cell text, every row located).

    :func:`read_tables` validates what this returns; a multi-year park (:mod:`mfa.io.years`) validates it
    once per year.

    Parameters
    ----------
    path_or_name : str or Path
        A CSV folder, a YAML file, an Excel workbook, or the name of a shipped example park.

    Returns
    -------
    RawPark

    Raises
    ------
    mfa.errors.ParkError
        When a file cannot be read at all.

    Examples
    --------
    >>> raw = read_raw("wuhai")
    >>> raw.tables["flows"].name, raw.issues, raw.refused
    ('flows', [], set())
    """
    from mfa.io.readers import read_csv_folder, read_excel, read_yaml

    p = resolve_park_path(path_or_name)
    suffix = p.suffix.lower()
    refused: set[str] = set()
    if p.is_dir():
        tables, info, issues, refused = read_csv_folder(p)
    elif suffix in _YAML:
        tables, info, issues = read_yaml(p)
    elif suffix in _EXCEL:
        tables, info, issues = read_excel(p)
    elif suffix == ".xls":
        raise ParkError([Issue(str(p), Message("old Excel format (.xls) is not read", "read.xls"),
                               suggestion=Message("save the workbook as .xlsx", "hint.save_as_xlsx"))])
    elif suffix == ".csv":
        raise ParkError([Issue(str(p), Message("a park is a folder of CSV files, not one CSV file", "read.one_csv"),
                               suggestion=Message(f"pass the folder {p.parent}", "hint.pass_folder",
                                                  folder=str(p.parent)))])
    else:
        raise ParkError([Issue(str(p), Message(f"unknown park format '{suffix}'", "read.unknown_format",
                                               suffix=suffix),
                               suggestion=Message("use a folder of CSV files, a .yaml file or an .xlsx workbook",
                                                  "hint.park_formats"))])
    return RawPark(tables, info, issues, refused, str(p))


def _same_place(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def write_park(park: "Park", path: str | Path, *, force: bool = False,
               source: str | Path | None = None, extra: dict | None = None) -> Path:
    """Write a park; the format follows the extension (.yaml/.yml, .xlsx) or, without one, a CSV folder.

    Written atomically; the same park gives byte-identical files. An existing folder that holds anything
    mfa would not write there is not replaced unless ``force``; writing over ``source`` (the file or folder
    the park was read from, if given) is refused, since the rewrite would drop what mfa does not keep
    (notes, extra columns, other files). See docs/files.md.

    Parameters
    ----------
    park : mfa.park.Park
    path : str or Path
        ``.yaml``/``.yml``, ``.xlsx`` or a folder name.
    force : bool
        Replace a folder holding files mfa would not write.
    source : str or Path, optional
        Where the park was read from (refused as the target).
    extra : dict of str to DataFrame, optional
        More tables written with the park's (its substance layer's,
        :meth:`mfa.substance.SubstanceLayer.tables`).

    Returns
    -------
    Path

    Examples
    --------
    >>> import tempfile, mfa
    >>> out = write_park(mfa.read_park("hazardous"), Path(tempfile.mkdtemp()) / "h.yaml")
    >>> out.suffix
    '.yaml'
    """
    # the writers are imported when a park is written: reading (mfa check) does not pay for them
    from mfa.io.writers import check_parent, write_csv_folder, write_excel, write_yaml

    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in _YAML | _EXCEL | {""}:
        raise MfaError(f"{p}: unknown output format '{suffix}' (use a folder name, .yaml or .xlsx)")
    check_parent(p)
    if source is not None:
        src = Path(source)
        if _same_place(src, p) or (p.is_dir() and src.exists() and p.resolve() in src.resolve().parents):
            raise MfaError(f"{p} is the park being read ({src}); write to another name — rewriting it in "
                           "place would drop what mfa does not keep (notes, extra columns, other files)")
    if suffix in _YAML:
        write_yaml(park, p, extra)
    elif suffix in _EXCEL:
        write_excel(park, p, extra)
    else:
        write_csv_folder(park, p, force=force, extra=extra)
    return p
