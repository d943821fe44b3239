"""Small result objects shared by every engine: tidy DataFrames plus ``to_dict``/``to_json`` and a rich
display in Jupyter. JSON is deterministic (no NaN: missing numbers become ``null``)."""

from __future__ import annotations

import html
import json
import math
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar, Iterable

import numpy as np
import pandas as pd

from mfa.errors import Issue

__all__ = ["Result", "frame_records", "jsonable", "dumps", "render_html"]


def jsonable(obj: Any) -> Any:
    """``obj`` in plain JSON types: NaN/inf → None, numpy scalars → Python, DataFrames → list of records.

    Parameters
    ----------
    obj : Any
        A dict, list, tuple, DataFrame, Series, ndarray, number, or anything with ``to_dict()``.

    Returns
    -------
    Any
        The same data, made of dict, list, str, int, float, bool and None only.

    Examples
    --------
    >>> import numpy as np
    >>> jsonable({"a": np.float64("nan"), "b": np.int64(3), 1: (np.True_, float("inf"))})
    {'a': None, 'b': 3, '1': [True, None]}
    """
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, pd.DataFrame):
        return frame_records(obj)
    if isinstance(obj, pd.Series):
        return [jsonable(v) for v in obj.tolist()]
    if isinstance(obj, np.ndarray):
        return [jsonable(v) for v in obj.tolist()]
    if isinstance(obj, (np.bool_, bool)):
        return bool(obj)
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        f = float(obj)
        return None if (math.isnan(f) or math.isinf(f)) else f
    if obj is pd.NA or obj is None:
        return None
    if hasattr(obj, "to_dict") and not isinstance(obj, type):
        return jsonable(obj.to_dict())
    return obj


def frame_records(frame: pd.DataFrame) -> list[dict]:
    """A DataFrame as a list of records in plain JSON types (column names as strings, NaN as None).

    Parameters
    ----------
    frame : pandas.DataFrame
        Any table; its index is dropped.

    Returns
    -------
    list of dict
        One dict per row, in row order.

    Examples
    --------
    >>> frame_records(pd.DataFrame({"id": ["a", "b"], "value": [1.5, float("nan")]}))
    [{'id': 'a', 'value': 1.5}, {'id': 'b', 'value': None}]
    """
    cols = [str(c) for c in frame.columns]
    return [{c: jsonable(v) for c, v in zip(cols, row)}
            for row in zip(*(frame[c].tolist() for c in frame.columns))] if len(frame.columns) else []


def dumps(obj: Any, indent: int | None = 2) -> str:
    """The one JSON serialisation of mfa: deterministic, UTF-8 text kept as is, no NaN.

    Parameters
    ----------
    obj : Any
        Anything :func:`jsonable` accepts.
    indent : int or None
        Indentation; None for one line.

    Returns
    -------
    str
        The JSON document.

    Examples
    --------
    >>> dumps({"园区": float("nan")}, indent=None)
    '{"园区": null}'
    """
    return json.dumps(jsonable(obj), ensure_ascii=False, indent=indent, allow_nan=False)


@dataclass(frozen=True, eq=False)
class Result:
    """The one shape of every engine's result (balance, trace, indicators, reconcile, …).

    A subclass is a frozen dataclass whose DataFrame fields are its tables; it names the main one in
    ``main_table`` (a class variable, or a class keyword as below) and may override :meth:`to_dict` to keep its documented ``--json`` keys (the default
    is every table as records plus the messages).

    - ``.table``: the main table; ``.tables``: name → DataFrame (every table, main first)
    - ``.messages``: :class:`~mfa.errors.Issue` objects with a ``severity`` (info, warning, error)
    - ``.summary``: headline figures (a dict; empty unless the engine has some)
    - ``.to_frame()``, ``.to_dict()``, ``.to_json()``; ``_repr_html_`` for Jupyter, one renderer for all

    Examples
    --------
    >>> from dataclasses import dataclass
    >>> import pandas as pd
    >>> @dataclass(frozen=True, eq=False)
    ... class Example(Result, title="Example", main_table="rows"):
    ...     rows: pd.DataFrame
    >>> r = Example(rows=pd.DataFrame({"a": [1.0]}))
    >>> r.to_json(indent=None)
    '{"rows": [{"a": 1.0}], "messages": []}'
    """

    title: ClassVar[str] = "Result"
    main_table: ClassVar[str] = ""
    messages: tuple[Issue, ...] = field(default=(), kw_only=True)

    def __init_subclass__(cls, *, title: str | None = None, main_table: str | None = None, **kwargs: Any) -> None:
        # class keywords (``class Stocks(Result, title="Stocks", main_table="stocks")``) say in the class line
        # what the two ClassVars would say in two more lines of every result
        super().__init_subclass__(**kwargs)
        if title is not None:
            cls.title = title
        if main_table is not None:
            cls.main_table = main_table

    @property
    def tables(self) -> dict[str, pd.DataFrame]:
        """Every table of the result by field name, the main one first (optional tables left out when None).

        Returns
        -------
        dict of str to pandas.DataFrame
            Field name → table.

        Examples
        --------
        >>> import mfa
        >>> t = mfa.trace(mfa.read_park("hazardous"))
        >>> list(t.tables)[0], t.tables["fates"] is t.table
        ('fates', True)
        """
        found = {f.name: getattr(self, f.name) for f in fields(self)
                 if isinstance(getattr(self, f.name), pd.DataFrame)}
        if self.main_table in found:  # main first
            found = {self.main_table: found[self.main_table], **found}
        return found

    @property
    def table(self) -> pd.DataFrame:
        """The main table (the field named by ``main_table``).

        Returns
        -------
        pandas.DataFrame

        Examples
        --------
        >>> import mfa
        >>> t = mfa.trace(mfa.read_park("hazardous"))
        >>> t.table is t.fates
        True
        """
        tables = self.tables
        return tables[self.main_table] if self.main_table in tables else next(iter(tables.values()))

    @property
    def summary(self) -> dict[str, Any]:
        """Headline figures (name → number or text); a property returning a dict in every result.

        Returns
        -------
        dict
            Name → number or text (empty unless a result overrides it).

        Examples
        --------
        >>> from dataclasses import dataclass
        >>> import pandas as pd
        >>> @dataclass(frozen=True, eq=False)
        ... class Example(Result):
        ...     main_table = "rows"
        ...     rows: pd.DataFrame
        ...
        >>> r = Example(rows=pd.DataFrame({"a": [1.0]}))
        >>> r.summary
        {}
        >>> import mfa
        >>> sorted(mfa.trace(mfa.read_park("hazardous")).summary)
        ['convention', 'disposed', 'sent', 'stored', 'utilised']
        """
        return {}

    @property
    def message_texts(self) -> list[str]:
        """The sentences of :attr:`messages` (what ``.issues`` or ``.notes`` held in earlier versions; those
        names stay as aliases of this property).

        Returns
        -------
        list of str

        Examples
        --------
        >>> import mfa
        >>> t = mfa.trace(mfa.read_park("hazardous"))
        >>> t.message_texts == [m.message for m in t.messages] == t.issues
        True
        """
        return [m.message for m in self.messages]

    def to_frame(self) -> pd.DataFrame:
        """A copy of the main table (one row per observation).

        Returns
        -------
        pandas.DataFrame
            The main table, copied: editing it leaves the result as it is.

        Examples
        --------
        >>> import mfa
        >>> t = mfa.trace(mfa.read_park("hazardous"))
        >>> f = t.to_frame()
        >>> f is t.table, f.equals(t.table)
        (False, True)
        """
        return self.table.copy()

    def to_dict(self) -> dict:
        """The result as plain data: every table as records, and the messages (the ``--json`` document unless
        the result overrides it).

        Returns
        -------
        dict
            Table name → records, and ``messages``.

        Examples
        --------
        >>> from dataclasses import dataclass
        >>> import pandas as pd
        >>> @dataclass(frozen=True, eq=False)
        ... class Example(Result):
        ...     main_table = "rows"
        ...     rows: pd.DataFrame
        ...
        >>> r = Example(rows=pd.DataFrame({"a": [1.0]}))
        >>> r.to_dict()
        {'rows': [{'a': 1.0}], 'messages': []}
        """
        return {**{name: frame_records(t) for name, t in self.tables.items()},
                "messages": [m.to_dict() for m in self.messages]}

    def to_json(self, indent: int | None = 2) -> str:
        """The ``--json`` document: :meth:`to_dict` through :func:`dumps` (deterministic, no NaN).

        Parameters
        ----------
        indent : int or None
            Indentation; None for one line.

        Returns
        -------
        str
            The JSON document.

        Examples
        --------
        >>> from dataclasses import dataclass
        >>> import pandas as pd
        >>> @dataclass(frozen=True, eq=False)
        ... class Example(Result):
        ...     main_table = "rows"
        ...     rows: pd.DataFrame
        ...
        >>> r = Example(rows=pd.DataFrame({"a": [1.0]}))
        >>> print(r.to_json())
        {
          "rows": [
            {
              "a": 1.0
            }
          ],
          "messages": []
        }
        """
        return dumps(self.to_dict(), indent=indent)

    def _repr_html_(self) -> str:
        return render_html(self.title, self.summary, self.messages, self.tables)


SEVERITY_COLOURS = {"error": "#b00020", "warning": "#a15c00", "info": "#555"}


def render_html(title: str, summary: dict[str, Any], messages: Iterable[Issue],
                tables: dict[str, pd.DataFrame], max_rows: int = 50) -> str:
    """The rich display of every result in Jupyter: title, headline figures, messages, then each table
    (its first ``max_rows`` rows). All text is escaped.

    Parameters
    ----------
    title : str
        The heading.
    summary : dict
        Headline figures; numbers are shown with :func:`mfa.formatting.number`.
    messages : iterable of mfa.Issue
        Shown with their severity, coloured.
    tables : dict of str to pandas.DataFrame
        Each shown under its name.
    max_rows : int
        Rows shown per table.

    Returns
    -------
    str
        One ``<div>`` of HTML.

    Examples
    --------
    >>> from mfa.errors import Issue
    >>> html = render_html("T<1>", {"rate": 0.55114}, [Issue.note("look", severity="warning")],
    ...                    {"rows": pd.DataFrame({"a": [1.0]})})
    >>> "T&lt;1&gt;" in html, "rate: 0.5511" in html, "warning: look" in html
    (True, True, True)
    """
    from mfa.formatting import number

    esc = html.escape
    parts = [f"<div class='mfa-result'><b>{esc(title)}</b>"]
    if summary:
        parts.append("<ul>" + "".join(
            f"<li>{esc(str(k))}: {esc(number(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else str(v))}</li>"
            for k, v in summary.items()) + "</ul>")
    for m in messages:
        colour = SEVERITY_COLOURS.get(m.severity, "#555")
        parts.append(f"<div style='color:{colour}'>{esc(m.severity)}: {esc(str(m))}</div>")
    for name, frame in tables.items():
        shown = f"{len(frame)} rows" if len(frame) <= max_rows else f"first {max_rows} of {len(frame)} rows"
        parts.append(f"<details open><summary>{esc(name)} ({shown})</summary>")
        parts.append(frame.head(max_rows).to_html(index=False, na_rep="", float_format=number, escape=True))
        parts.append("</details>")
    parts.append("</div>")
    return "".join(parts)
