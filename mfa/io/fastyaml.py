"""A fast reader for the plain block YAML that mfa itself writes (``key: value`` rows under ``- ``), so that a
park of 10⁶ flows loads from YAML about as fast as from CSV (PyYAML, even with libyaml, builds and
resolves every scalar in Python: minutes for 10⁶ rows).

It accepts only lines of a strict grammar and scalars whose meaning is certain — plain text, simple
integers and decimals, simply quoted strings, long scalars wrapped over lines — and gives every cell the
very text the safe loader would give (:func:`mfa.io.readers._yaml_cell`). Anything else (flow style,
anchors, tags, block scalars, a duplicate key, escapes, a word YAML reads as a boolean or a date...) makes
:func:`fast_tables` return None, and the file is read by the full, checked loader instead. The ``park:``
mapping is always given to the full loader.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

_LINE = re.compile(r"(?:(#[^\n]*)|(- |  )?([A-Za-z_][A-Za-z0-9_]*):(?: ([^\n]*))?|( {4,}[^\n]*)|)\n")
_SIMPLE_INT = re.compile(r"[-+]?(?:0|[1-9][0-9]{0,29})\Z")
_SIMPLE_FLOAT = re.compile(r"[-+]?[0-9]+\.[0-9]*(?:[eE][-+][0-9]+)?\Z")
# Plain scalars the resolver reads as something other than a string: only these need a closer look.
_WORDS = {**dict.fromkeys("yes Yes YES true True TRUE on On ON".split(), "true"),
          **dict.fromkeys("no No NO false False FALSE off Off OFF".split(), "false"),
          **dict.fromkeys("~ null Null NULL".split(), "")}
_SPECIAL_WORDS = frozenset(["<<", "="])
_NUMERIC_START = frozenset("-+.0123456789")
_PLAIN_BAD_START = frozenset("-?:,[]{}#&*!|>'\"%@`")


def _cell(raw: str | None) -> str | None:
    """The cell text of one raw scalar, or None when only the full loader can tell."""
    if raw is None or raw == "":
        return ""
    first = raw[0]
    if first == "'":
        inner = raw[1:-1]
        if len(raw) < 2 or raw[-1] != "'" or "'" in inner.replace("''", ""):
            return None
        return inner.replace("''", "'").strip()
    if first == '"':
        inner = raw[1:-1]
        if len(raw) < 2 or raw[-1] != '"' or '"' in inner or "\\" in inner:
            return None
        return inner.strip()
    if (first in _PLAIN_BAD_START and not (first == "-" and len(raw) > 1 and raw[1] not in " \t")) \
            or " #" in raw or ": " in raw or raw.endswith((":", " ")):
        return None
    word = _WORDS.get(raw)
    if word is not None:
        return word
    if raw in _SPECIAL_WORDS:
        return None
    if first in _NUMERIC_START:
        if _SIMPLE_INT.match(raw):
            return str(int(raw))
        if _SIMPLE_FLOAT.match(raw):
            v = float(raw)
            return repr(v) if v - v == 0 else None  # inf: the full loader's message
        if _resolve(raw) == "tag:yaml.org,2002:str":  # "1.78 t per t PVC" is text
            return raw
        return None  # dates, sexagesimal, octal, .inf … : the full loader knows
    return raw


_RESOLVER: Any = None


def _resolve(raw: str) -> str:
    """The tag the safe loader gives a plain scalar."""
    global _RESOLVER
    if _RESOLVER is None:
        import yaml

        _RESOLVER = (yaml.SafeLoader.resolve.__get__(yaml.SafeLoader("")), yaml.ScalarNode)
    resolve, node = _RESOLVER
    return resolve(node, raw, (True, False))


def _column(values: list) -> list | None:
    out: dict = {}
    for v in set(values):
        c = _cell(v)
        if c is None:
            return None
        out[v] = c
    return [out[v] for v in values]


_TOP = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*):([^\n]*)$", re.M)
_ROW = r"^(?P<lead>- |  )(?P<key>[A-Za-z_][A-Za-z0-9_]*):(?: (?P<val>.*))?$"
# Raw scalars whose cell text is the scalar itself, decided with vectorised tests (Arrow regular
# expressions): plain text that cannot resolve to anything but a string, simple integers, and decimals
# that Python's repr gives back digit for digit (at most 15 significant digits, no trailing zero, not
# below 1e-3). Everything else goes through _cell, once per distinct value.
_PLAIN_START = r"^[-?:,\[\]{}#&*!|>'\"%@`+.0-9]"
_INT_SAME = r"^(0|-?[1-9][0-9]{0,17})$"
_FLOAT_SAME = r"^-?(0|[1-9][0-9]{0,14})\.[0-9]{0,14}[1-9]$"


def _vector_tables(text: str, tables: tuple[str, ...]) -> dict[str, Any] | None:
    """:func:`fast_tables` with array operations for files whose table sections are rows of
    ``key: value`` lines only (what mfa writes): a million rows in seconds. None when a section holds
    anything else (a comment between rows is fine; a wrapped long scalar, a structure… are not); the
    line-by-line reader then decides."""
    import pyarrow as pa
    import pyarrow.compute as pc

    heads = list(_TOP.finditer(text))
    if not heads or text[:heads[0].start()].strip("\n") and not all(
            line.startswith("#") or not line for line in text[:heads[0].start()].split("\n")):
        return None
    out: dict[str, Any] = {}
    park = None
    for k, m in enumerate(heads):
        key, rest = m.group(1), m.group(2)
        end = heads[k + 1].start() if k + 1 < len(heads) else len(text)
        body = text[m.end() + 1:end]
        if key in out or (key == "park" and park is not None):
            return None  # a duplicated section: the full loader says where
        if key == "park":
            park = "\n" * text.count("\n", 0, m.start()) + text[m.start():end]
            continue
        if key not in tables:
            return None
        if rest.strip() == "[]" and not body.strip("\n"):
            out[key] = pd.DataFrame()
            continue
        if rest.strip():
            return None
        lines = pc.split_pattern(pa.array([body.rstrip("\n")]), pattern="\n")[0].values
        keep = pc.and_(pc.not_equal(lines, ""), pc.invert(pc.starts_with(lines, "#")))
        lines = lines.filter(keep)
        parts = pc.extract_regex(lines, _ROW)
        if parts.null_count or not len(lines):
            return None
        first = pc.equal(parts.field("lead"), "- ").to_numpy(zero_copy_only=False)
        if not first[0]:
            return None
        row = np.cumsum(first) - 1
        n = int(row[-1]) + 1
        keys = parts.field("key")
        vals = parts.field("val")
        frame = {}
        for name in pc.unique(keys).to_pylist():
            at = np.flatnonzero(pc.equal(keys, name).to_numpy(zero_copy_only=False))
            rows = row[at]
            if len(rows) > 1 and not (np.diff(rows) > 0).all():  # rows come in order: a repeat is a duplicate key
                return None
            where = np.full(n, -1)
            where[rows] = np.arange(len(rows))
            column = vals.take(at).take(pa.array(where, mask=where < 0)).fill_null("")
            cells = _vector_cells(column)
            if cells is None:
                return None
            frame[name] = cells
        out[key] = pd.DataFrame(frame, columns=list(frame))
    out["park"] = park
    return out


def _vector_cells(raw: Any) -> pd.Series | None:
    """The cell texts of a column of raw scalars (an Arrow string array), or None when only the full
    loader can tell."""
    s = pd.Series(pd.arrays.ArrowStringArray(raw), dtype="str")
    same = s == ""
    same |= (~s.str.match(_PLAIN_START) & ~s.str.contains(" #", regex=False) & ~s.str.contains(": ", regex=False)
             & ~s.str.endswith(":") & ~s.str.endswith(" ") & ~s.isin(list(_WORDS) + list(_SPECIAL_WORDS)))
    same |= s.str.match(_INT_SAME)
    same |= s.str.match(_FLOAT_SAME) & (s.str.len() <= 17) & ~s.str.match(r"^-?0\.00")
    if same.all():
        return s
    other = s[~same]
    cells = {}
    for v in other.unique():
        c = _cell(v)
        if c is None:
            return None
        cells[v] = c
    return s.where(same, other.map(cells))


def fast_tables(text: str, tables: tuple[str, ...]) -> dict[str, Any] | None:
    """``{section: DataFrame of cell texts}`` for the table sections and ``{"park": text of the park
    mapping}`` (None without one), or None if the text is not plain mfa-style block YAML.

    Parameters
    ----------
    text : str
        The YAML document.
    tables : tuple of str
        The table sections to read.

    Returns
    -------
    dict or None
        None sends the text to the full, checked loader.

    Examples
    --------
    >>> out = fast_tables("flows:\\n- source: a\\n  value: 5\\n", ("flows",))
    >>> out["flows"].values.tolist()
    [['a', '5']]
    >>> fast_tables("flows: [{source: a}]\\n", ("flows",)) is None
    True
    """
    if "\r" in text or "\t" in text:
        return None
    if not text.endswith("\n"):
        text += "\n"
    vectorised = _vector_tables(text, tables)
    if vectorised is not None:
        return vectorised
    sections: dict[str, Any] = {}
    park_lines: list[str] = []
    section: str | None = None
    cols: dict[str, list] = {}
    n = 0
    pos = 0
    last: list | None = None  # the column list whose last scalar a continuation line extends

    def close() -> None:
        if section is not None and section != "park":
            for lst in cols.values():
                if len(lst) < n:
                    lst.extend([None] * (n - len(lst)))
            sections[section] = (dict(cols), n)

    for m in _LINE.finditer(text):
        if m.start() != pos:
            return None
        pos = m.end()
        key = m.group(3)
        if key is None:
            cont = m.group(5)
            if cont is None:  # a comment or a blank line
                last = None
                continue
            # a long scalar wrapped by the writer: folded with one space, as YAML does
            if last is None:
                return None
            if section == "park":  # read by the full loader
                park_lines.append(m.group(0))
                continue
            piece = cont.strip()
            head = last[-1]
            if not piece or head[0] == '"' or (head[0] != "'" and (
                    piece[0] == "#" or ": " in piece or " #" in piece or piece.endswith(":"))):
                return None
            last[-1] = head + " " + piece
            continue
        last = None
        lead, raw = m.group(2), m.group(4)
        if lead is None:  # a section
            close()
            if key in sections or key == section or (key == "park" and park_lines):
                return None  # a duplicated section: the full loader says where
            section, cols, n = key, {}, 0
            if key == "park":
                # blank lines before it, so that the full loader's line numbers are the file's
                park_lines.append("\n" * text.count("\n", 0, m.start()) + m.group(0))
                continue
            if key not in tables:
                return None
            if raw == "[]":
                sections[key] = ({}, 0)
                section = None
            elif raw not in (None, ""):
                return None
            continue
        if section == "park":
            if lead != "  ":
                return None
            park_lines.append(m.group(0))
            last = [raw] if raw else None
            continue
        if section is None:
            return None
        if lead == "- ":
            n += 1
        elif n == 0:
            return None
        lst = cols.get(key)
        if lst is None:
            lst = cols[key] = []
        if len(lst) >= n:
            return None  # a duplicate key in a row
        if len(lst) < n - 1:
            lst.extend([None] * (n - 1 - len(lst)))
        lst.append(raw)
        last = lst if raw else None  # below "key:" with nothing, an indented line is a structure
    if pos != len(text):
        return None
    close()
    out: dict[str, Any] = {}
    for name, (columns, rows) in sections.items():
        frame = {}
        for c, values in columns.items():
            cells = _column(values)
            if cells is None:
                return None
            frame[c] = cells
        out[name] = (pd.DataFrame(frame, columns=list(columns)).astype(object) if rows
                     else pd.DataFrame(columns=list(columns)))
    out["park"] = "".join(park_lines) if park_lines else None
    return out
