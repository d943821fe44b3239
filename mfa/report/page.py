"""The HTML machinery shared by the park report and the comparison page: templates (Jinja2, autoescaped),
the embedded CJK font subset, tables for the templates, atomic writing, and why a section is
missing. Nothing here knows about parks.
"""

from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

import pandas as pd

from mfa.errors import MfaError

__all__ = ["FONT_FACE_MARKER", "render", "table", "text", "why", "write_text"]


def text(v: Any) -> str:
    """A cell as text: missing (None, NaN, NA) is "".

    Examples
    --------
    >>> text(None), text(float("nan")), text(3)
    ('', '', '3')
    """
    if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA:
        return ""
    return str(v)


@lru_cache(maxsize=1)
def _env():
    try:
        import jinja2
    except ImportError as exc:  # pragma: no cover - jinja2 is a dependency
        raise MfaError("the HTML report needs jinja2: pip install jinja2") from exc
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(Path(__file__).parent / "templates")),
        autoescape=True, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined)


#: Where base.html.j2 wants the @font-face rule of the CJK glyphs the page uses.
FONT_FACE_MARKER = "/*mfa-font-face*/"


def render(template: str, **context: Any) -> str:
    """Render one of the report templates (autoescaped); the page embeds the CJK glyphs it uses
    (:func:`mfa.fonts.cjk_font_face`), so Chinese shows on machines without a CJK font.

    Parameters
    ----------
    template : str
        File name in ``mfa/report/templates``.
    **context
        The template's variables.

    Returns
    -------
    str
        The page.

    Examples
    --------
    >>> page = render("base.html.j2", lang="en", version="0", title="t")
    >>> page.startswith("<!DOCTYPE html>") and 'id="mfa-js-errors"' in page
    True
    """
    page = _env().get_template(template).render(**context)
    if FONT_FACE_MARKER in page:
        face = _font_face(page)
        page = page.replace(FONT_FACE_MARKER, face, 1)
    return page


def _font_face(page: str) -> str:
    try:
        from mfa.fonts import cjk_font_face

        return cjk_font_face(page)
    except MfaError:  # no font package: the page still works with the reader's own fonts
        return ""


def table(frame: pd.DataFrame, columns: list[tuple[str, str, Callable[[Any], str] | None]],
          max_rows: int | None = None, row_class: Callable[[dict], str] | None = None,
          more: str = "", empty: str = "") -> dict:
    """A table for the ``table`` macro of the templates.

    Parameters
    ----------
    frame : pandas.DataFrame
    columns : list of (key, label, formatter)
        The formatter turns a cell into text (the column is then numeric, right-aligned); None shows the
        cell as text.
    max_rows : int, optional
        Rows shown; ``more`` (with ``{n}``) says how many are left out.
    row_class : callable, optional
        Record → CSS class of its row.
    more, empty : str
        Sentences for rows left out and for an empty table.

    Returns
    -------
    dict
        ``columns``, ``rows``, ``more``, ``empty``, ``cls``.

    Examples
    --------
    >>> t = table(pd.DataFrame({"a": ["x", "y"], "v": [1.0, 2.0]}), [("a", "A", None), ("v", "V", str)],
    ...           max_rows=1, more="{n} more")
    >>> t["rows"], t["more"]
    ([{'a': 'x', 'v': '1.0', '_cls': ''}], '1 more')
    """
    rows = []
    records = frame.to_dict("records")
    shown = records if max_rows is None else records[:max_rows]
    for rec in shown:
        out = {key: (f(rec.get(key)) if f else text(rec.get(key))) for key, _label, f in columns}
        out["_cls"] = row_class(rec) if row_class else ""
        rows.append(out)
    extra = len(records) - len(shown)
    return {"columns": [{"key": k, "label": lab, "num": f is not None} for k, lab, f in columns],
            "rows": rows, "more": more.format(n=extra) if extra > 0 else "", "empty": empty, "cls": ""}


def write_text(path: str | Path, page: str) -> None:
    """Write ``page`` (UTF-8) to ``path`` atomically (:func:`mfa.io.writers.atomic_write_bytes`).

    Parameters
    ----------
    path : str or pathlib.Path
        The file (replaced if it exists).
    page : str
        The text.

    Returns
    -------
    None

    Examples
    --------
    >>> import pathlib, tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     write_text(pathlib.Path(d) / "page.html", "<p>园区</p>")
    ...     print((pathlib.Path(d) / "page.html").read_text(encoding="utf-8"))
    <p>园区</p>
    """
    from mfa.io.writers import atomic_write_bytes

    atomic_write_bytes(Path(path), page.encode("utf-8"))


def why(exc: BaseException) -> str:
    """Why a section is missing, from the exception that stopped it.

    Examples
    --------
    >>> why(ImportError("no", name="scipy")), why(MfaError("bad park")), why(ValueError("x"))
    ('module scipy is not installed', 'bad park', 'ValueError: x')
    """
    if isinstance(exc, ImportError):
        return f"module {getattr(exc, 'name', None) or exc} is not installed"
    return f"{type(exc).__name__}: {exc}" if not isinstance(exc, MfaError) else str(exc)
