"""Limits checked before the work they bound, so that a few hostile bytes can neither hang mfa nor exhaust
its memory (an alias bomb, a power tower in a unit, a shared-strings bomb, a 50 MB cell...).

Each limit is far above what a real park needs (the largest parks we know have ~10⁵ flows; 10⁶ are
tested), and each refusal is a located :class:`~mfa.errors.ParkError` (exit 2).
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from typing import Any

from mfa.errors import Issue, Message, ParkError

__all__ = ["MAX_ROWS", "MAX_CELL", "MAX_DEPTH", "MAX_INT_DIGITS", "MAX_FILE_BYTES", "check_rows",
           "check_file_size", "check_workbook", "load_yaml"]

MAX_ROWS = 5_000_000          # rows of one table
MAX_CELL = 32_767             # characters of one cell: Excel's own limit
MAX_DEPTH = 50                # nesting of a YAML document (a park file needs 3)
MAX_INT_DIGITS = 30           # digits of a YAML integer (Python refuses to convert 4,300+ anyway)
MAX_FILE_BYTES = 4 << 30      # one input file
MAX_COLUMNS = 1_000           # columns of a sheet
MAX_XLSX_BYTES = 2 << 30      # uncompressed content of a workbook
MAX_XLSX_RATIO = 200          # uncompressed / compressed size of one member above 10 MB (XML of real sheets: < 30)
MAX_SHARED_STRINGS = 10_000_000


def check_rows(file: str, n: int) -> None:
    """Refuse a table of more than :data:`MAX_ROWS` rows, before any work on its rows.

    Parameters
    ----------
    file : str
        The file, for the message.
    n : int
        Its number of data rows.

    Raises
    ------
    mfa.errors.ParkError

    Examples
    --------
    >>> check_rows("flows.csv", 10)
    >>> check_rows("flows.csv", MAX_ROWS + 1)
    Traceback (most recent call last):
    mfa.errors.ParkError: 1 problem in the input:
      - flows.csv: 5,000,001 rows: more than mfa reads in one table (5,000,000) — split the park, or aggregate its flows
    """
    if n > MAX_ROWS:
        raise ParkError([Issue(file, Message(f"{n:,} rows: more than mfa reads in one table ({MAX_ROWS:,})",
                                             "limits.rows", n=n, limit=MAX_ROWS),
                               suggestion=Message("split the park, or aggregate its flows", "hint.split_park"))])


def check_file_size(path: Path) -> None:
    """Refuse a file larger than :data:`MAX_FILE_BYTES` before reading it.

    Parameters
    ----------
    path : Path
        The input file.

    Raises
    ------
    mfa.errors.ParkError

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.NamedTemporaryFile() as fh:
    ...     check_file_size(Path(fh.name))
    """
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        gib, limit = f"{size / 2**30:.1f}", f"{MAX_FILE_BYTES / 2**30:.0f}"
        raise ParkError([Issue(str(path), Message(f"the file has {gib} GiB: more than mfa reads ({limit} GiB)",
                                                  "limits.file_size", size=gib, limit=limit))])


# -- YAML -------------------------------------------------------------------------------------------------
def _refuse(problem: str, mark) -> Exception:
    import yaml

    return yaml.MarkedYAMLError(problem=problem, problem_mark=mark)


def _loader_classes():
    import yaml

    class _Checks:
        """Construction checks shared by the pure-Python and the libyaml loader."""

        def construct_mapping(self, node, deep=False):
            if isinstance(node, yaml.MappingNode):
                seen: dict = {}
                for key_node, _ in node.value:
                    if isinstance(key_node, yaml.ScalarNode):
                        key = (key_node.tag, key_node.value)
                        if key in seen:
                            raise _refuse(f"duplicate key {key_node.value[:40]!r} (first at line "
                                          f"{seen[key].line + 1}); a later value would silently replace the "
                                          "first", key_node.start_mark)
                        seen[key] = key_node.start_mark
            return super().construct_mapping(node, deep=deep)

        def construct_yaml_int(self, node):
            digits = sum(ch.isdigit() for ch in node.value[: MAX_INT_DIGITS + 10])
            if digits > MAX_INT_DIGITS:
                raise _refuse(f"an integer with more than {MAX_INT_DIGITS} digits", node.start_mark)
            return super().construct_yaml_int(node)

    class SafeParkLoader(_Checks, yaml.SafeLoader):
        """``yaml.SafeLoader`` that refuses aliases before they are expanded (an alias bomb of 300 bytes
        would build gigabytes), nesting deeper than MAX_DEPTH, duplicate keys and huge integers."""

        _depth = 0

        def compose_node(self, parent, index):
            if self.check_event(yaml.AliasEvent):
                event = self.peek_event()
                raise _refuse(f"YAML aliases (*{str(event.anchor)[:40]}) are not read; write the value out",
                              event.start_mark)
            self._depth += 1
            try:
                if self._depth > MAX_DEPTH:
                    raise _refuse(f"nested more than {MAX_DEPTH} levels deep", self.peek_event().start_mark)
                return super().compose_node(parent, index)
            finally:
                self._depth -= 1

    fast = None
    if getattr(yaml, "__with_libyaml__", False):
        class FastParkLoader(_Checks, yaml.CSafeLoader):
            """libyaml's parser with the same construction checks; used only on text that cannot hold an
            alias nor nest deeply (see :func:`_plain_block_yaml`), which is what mfa writes."""
        fast = FastParkLoader
    for cls in [SafeParkLoader] + ([fast] if fast else []):
        cls.add_constructor("tag:yaml.org,2002:map", cls.construct_yaml_map)
        cls.add_constructor("tag:yaml.org,2002:int", cls.construct_yaml_int)
    return SafeParkLoader, fast


_LOADERS: Any = None

# Anything that could be an anchor or alias token; a flow collection that is not empty; deep indentation; a
# run of compact block indicators ("- - - - x"). Text without them cannot nest deeper than a few hundred
# levels nor expand an alias, so libyaml's C composer may build it; any false alarm only costs speed.
_UNSAFE_FOR_FAST = re.compile(r"(?:^|[\s\[{,])[&*][^\s,\[\]{}]|[\[{](?![\]}])|^[ \t]{200,}|(?:[-?:][ \t]+){8,}",
                              re.M)


def _plain_block_yaml(text: str) -> bool:
    return _UNSAFE_FOR_FAST.search(text) is None


def load_yaml(text: str) -> Any:
    """Parse YAML text safely (tags of the safe schema only) within the limits above.

    Parameters
    ----------
    text : str
        The YAML document.

    Returns
    -------
    object
        What PyYAML's safe loader gives.

    Raises
    ------
    yaml.YAMLError
        With a mark (line, column) on any refusal: an alias, nesting deeper than :data:`MAX_DEPTH`, an integer
        longer than :data:`MAX_INT_DIGITS`, a duplicate key.

    Examples
    --------
    >>> load_yaml("park: {name: x}")
    {'park': {'name': 'x'}}
    >>> load_yaml("{a: 1, a: 2}")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    yaml.error.MarkedYAMLError: duplicate key 'a' (first at line 1)...
    """
    global _LOADERS
    if _LOADERS is None:
        _LOADERS = _loader_classes()
    safe, fast = _LOADERS
    loader_cls = fast if fast is not None and _plain_block_yaml(text) else safe
    loader = loader_cls(text)
    try:
        return loader.get_single_data()
    except RecursionError:
        raise _refuse(f"nested more than {MAX_DEPTH} levels deep", None) from None
    finally:
        loader.dispose()


# -- Excel ------------------------------------------------------------------------------------------------
_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s+ref="([A-Z]{1,3})(\d{1,7})(?::([A-Z]{1,3})(\d{1,7}))?"')


def _column_number(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ch - 64)
    return n


def check_workbook(path: Path) -> None:
    """Look inside the zip before openpyxl loads it: total uncompressed size, the compression ratio of each
    member (a zip bomb), the number of shared strings, and each sheet's declared dimensions.

    Parameters
    ----------
    path : Path
        The workbook.

    Raises
    ------
    mfa.errors.ParkError
        Naming the limit exceeded (or a password-protected or non-zip file).

    Examples
    --------
    >>> import tempfile, os
    >>> path = Path(tempfile.mkdtemp()) / "x.xlsx"
    >>> _ = path.write_bytes(b"not a zip")
    >>> check_workbook(path)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    mfa.errors.ParkError: 1 problem in the input:...
    """
    file = str(path)
    check_file_size(path)
    with open(path, "rb") as fh:
        magic = fh.read(8)
    if magic.startswith(b"\xd0\xcf\x11\xe0"):
        raise ParkError([Issue(file, Message("the workbook is password-protected (encrypted) or an old .xls file",
                                             "limits.encrypted"),
                               suggestion=Message("save it without a password as an Excel workbook (.xlsx)",
                                                  "hint.no_password"))])
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as e:
        raise ParkError([Issue(file, Message(f"not an Excel workbook (.xlsx): {str(e)[:100]}", "limits.not_xlsx",
                                             detail=str(e)[:100]),
                               suggestion=Message("save it as an Excel workbook (.xlsx)", "hint.save_xlsx"))]) from None
    with zf:
        infos = zf.infolist()
        total = sum(i.file_size for i in infos)
        if total > MAX_XLSX_BYTES:
            gib, limit = f"{total / 2**30:.1f}", f"{MAX_XLSX_BYTES / 2**30:.0f}"
            raise ParkError([Issue(file, Message(f"the workbook unpacks to {gib} GiB: more than mfa reads "
                                                 f"({limit} GiB)", "limits.unpacked_size", size=gib, limit=limit))])
        for i in infos:
            if i.file_size > 10 << 20 and i.file_size > MAX_XLSX_RATIO * max(i.compress_size, 1):
                ratio = f"{i.file_size / max(i.compress_size, 1):,.0f}"
                raise ParkError([Issue(file, Message(f"the workbook member {i.filename[:60]!r} unpacks {ratio} times "
                                                     "its size (a zip bomb?); it is not read", "limits.zip_bomb",
                                                     member=repr(i.filename[:60]), ratio=ratio))])
        for i in infos:
            name = i.filename.lower()
            if name.endswith("sharedstrings.xml"):
                count = _count_tags(zf, i, b"<si", MAX_SHARED_STRINGS)
                if count > MAX_SHARED_STRINGS:
                    raise ParkError([Issue(file, Message(f"more than {MAX_SHARED_STRINGS:,} shared strings: more "
                                                         "than mfa reads", "limits.shared_strings",
                                                         limit=MAX_SHARED_STRINGS))])
            elif name.startswith("xl/worksheets/") and name.endswith(".xml"):
                with zf.open(i) as fh:
                    head = fh.read(4096)
                m = _DIMENSION.search(head)
                if m and m.group(3):
                    cols, rows = _column_number(m.group(3)), int(m.group(4))
                    if cols > MAX_COLUMNS or rows > MAX_ROWS + 1:
                        ref = f"A1:{m.group(3).decode()}{rows}"
                        raise ParkError([Issue(f"{file} [{i.filename.rsplit('/', 1)[-1]}]", Message(
                            f"a sheet spans {ref} ({cols:,} columns × {rows:,} rows): more than mfa reads "
                            f"({MAX_COLUMNS:,} columns, {MAX_ROWS:,} rows)", "limits.sheet_span", ref=ref, cols=cols,
                            rows=rows, max_cols=MAX_COLUMNS, max_rows=MAX_ROWS),
                                               suggestion=Message("delete the unused rows and columns below and right "
                                                                  "of the table", "hint.delete_unused"))])


def _count_tags(zf: zipfile.ZipFile, info: zipfile.ZipInfo, tag: bytes, limit: int) -> int:
    count, tail = 0, b""
    with zf.open(info) as fh:
        while True:
            chunk = fh.read(1 << 20)
            if not chunk:
                return count
            data = tail + chunk
            count += data.count(tag) - tail.count(tag)
            if count > limit:
                return count
            tail = data[-len(tag) + 1:] if len(tag) > 1 else b""
