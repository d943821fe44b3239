"""Errors a user can fix, each located in the file, row and column where it was found.

Every reader collects :class:`Issue` objects instead of stopping at the first problem, so that a park
manager sees every mistake in every file at once. :class:`ParkError` carries the whole list.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Iterable, Sequence

import numpy as np
import pandas as pd

__all__ = ["Issue", "Message", "MfaError", "ParkError", "RawTable", "excerpt", "suggest"]


MAX_SHOWN = 60  # characters of a value echoed in a message: enough to find it, never megabytes
MAX_JSON_VALUE = 200
MAX_MORE_SHOWN = 8  # further places named in a printed message; --json lists them all
MAX_MESSAGE_ISSUES = 500  # issues spelled out in a ParkError's text; .issues keeps every one


def excerpt(value: object, limit: int = MAX_SHOWN, lang: str = "en") -> str:
    """``repr`` of a value, cut to a short excerpt that says how long the whole is.

    Parameters
    ----------
    value : object
    limit : int
        Characters kept.
    lang : str
        Language of the length note: ``"en"`` or ``"zh"``.

    Returns
    -------
    str

    Examples
    --------
    >>> excerpt("x" * 100, limit=5)
    "'xxxxx'… (100 characters)"
    >>> excerpt("x" * 100, limit=5, lang="zh")
    "'xxxxx'…（共 100 个字符）"
    """
    if lang == "zh":
        from mfa.i18n import ISSUE_WORDS_ZH

        note = ISSUE_WORDS_ZH["characters"]
    else:
        note = "… ({n:,} characters)"
    if isinstance(value, str) and len(value) > limit:
        return repr(value[:limit]) + note.format(n=len(value))
    text = repr(value)
    return text if len(text) <= limit + 2 else text[:limit] + note.format(n=len(text))


class Message(str):
    """An engine's message: the English sentence itself (so it prints, compares and goes into ``--json`` as
    the plain string it always was) carrying a stable ``code`` and the ``params`` it was built from, so that
    a view can say it in another language (:mod:`mfa.i18n` holds the translations by code).

    Parameters
    ----------
    text : str
        The English sentence.
    code : str
        A stable identifier, ``"<engine>.<what>"``; never reused for another meaning.
    **params
        The values the sentence names (ids, tonnes …), as data.

    Examples
    --------
    >>> m = Message("flow 'a>b:x' has no value", code="trace.unvalued_flow", flow="a>b:x")
    >>> m == "flow 'a>b:x' has no value", m.code, m.params["flow"]
    (True, 'trace.unvalued_flow', 'a>b:x')
    """

    code: str
    params: dict

    def __new__(cls, text: str, code: str, **params: object) -> "Message":
        self = super().__new__(cls, text)
        self.code = code
        self.params = params
        return self

    def __reduce__(self):  # pickles (workers of mfa uncertainty) keep the code
        return (_message, (str(self), self.code, self.params))


def _message(text: str, code: str, params: dict) -> Message:
    return Message(text, code, **params)


class MfaError(Exception):
    """A problem the user can fix (bad argument, missing file, non-convergence...).

    The command line prints the message and exits with code 2; it never shows a traceback.

    Examples
    --------
    >>> try:
    ...     raise MfaError("no such park: 'wuhia'")
    ... except MfaError as e:
    ...     print(e)
    no such park: 'wuhia'
    >>> issubclass(ParkError, MfaError)
    True
    """


@dataclass(frozen=True)
class Issue:
    """One located problem in the input.

    ``row`` is the row as a spreadsheet shows it (header = row 1) for CSV and Excel files, or ``None``;
    ``path`` is the YAML path (``flows[3].value``) for YAML files, or ``None``. ``more`` holds the other
    places with the same problem and value (row numbers, or YAML paths of the rows): a million rows naming
    the same unknown process are one issue that still locates every row.

    Examples
    --------
    >>> str(Issue("flows.csv", "unknown process", row=2, column="source", value="mien", more=(5, 9)))
    "flows.csv, row 2 (and 2 more: rows 5, 9), column 'source': unknown process (value: 'mien')"
    """

    file: str
    message: str
    row: int | None = None
    column: str | None = None
    value: object = None
    suggestion: str | None = None
    path: str | None = None
    severity: str = "error"
    #: stable identifier of the message (see :class:`Message`); a :class:`Message` given as ``message`` brings
    #: its own. Views say the issue in another language by it (:meth:`text`).
    code: str | None = None
    #: the values the message names, by name (for translations); not part of equality
    params: dict = field(default_factory=dict, compare=False, hash=False)
    more: Sequence = ()  # a tuple, or an array("q") of row numbers for a large group

    def __post_init__(self) -> None:
        # Readers pass their sentence as a Message: its code and params travel with it through every copy
        # of the issue (grouping, re-locating) without each call site repeating them.
        if self.code is None and isinstance(self.message, Message):
            object.__setattr__(self, "code", self.message.code)
            object.__setattr__(self, "params", {**self.message.params, **self.params})

    @property
    def count(self) -> int:
        """How many places this issue stands for (1 plus the ``more`` places).

        Examples
        --------
        >>> Issue("flows.csv", "unknown process", row=2, more=(5, 9)).count
        3
        >>> Issue("flows.csv", "unknown process", row=2).count
        1
        """
        return 1 + len(self.more)

    @classmethod
    def note(cls, message: str, *, severity: str = "info", file: str = "", code: str | None = None,
             params: dict | None = None, **where) -> "Issue":
        """A message from an engine rather than a file (``file`` blank unless it names one): ``severity``
        is ``"info"`` (a fact worth knowing), ``"warning"`` (the result holds but read it with care) or
        ``"error"``. A :class:`Message` brings its own ``code`` and ``params``.

        Examples
        --------
        >>> i = Issue.note(Message("2 flows computed", code="solved.computed", n=2, total=2))
        >>> i.code, i.params, i.severity, i.to_dict()["code"]
        ('solved.computed', {'n': 2, 'total': 2}, 'info', 'solved.computed')
        """
        if code is None and isinstance(message, Message):
            code, params = message.code, {**message.params, **(params or {})}
        return cls(file, str(message), severity=severity, code=code, params=dict(params or {}), **where)

    def location(self) -> str:
        """File, row (or YAML path) and column, e.g. ``flows.csv, row 2, column 'value'``.

        Returns
        -------
        str
            ``""`` when the issue names no file, row, path or column.

        Examples
        --------
        >>> Issue("flows.csv", "unknown process", row=2, column="source", more=(5, 9)).location()
        "flows.csv, row 2 (and 2 more: rows 5, 9), column 'source'"
        >>> Issue("park.yaml", "not a number", path="flows[3].value").location()
        'park.yaml, flows[3].value'
        """
        parts = [self.file] if self.file else []
        if self.path:
            parts.append(self.path + self._more_text("at"))
        else:
            if self.row is not None:
                parts.append(f"row {self.row}" + self._more_text("rows"))
            if self.column:
                parts.append(f"column '{self.column}'")
        return ", ".join(parts)

    def _more_text(self, label: str) -> str:
        if not self.more:
            return ""
        shown = ", ".join(str(m) for m in list(self.more[:MAX_MORE_SHOWN]))
        tail = ", …" if len(self.more) > MAX_MORE_SHOWN else ""
        return f" (and {len(self.more):,} more: {label} {shown}{tail})"

    def __str__(self) -> str:
        where = self.location()
        text = f"{where}: {self.message}" if where else self.message
        if self.value is not None and not (isinstance(self.value, float) and pd.isna(self.value)):
            text += f" (value: {excerpt(self.value)})"
        if self.suggestion:
            text += f" — {self.suggestion}"
        return text

    def text(self, lang: str = "en") -> str:
        """The issue as a sentence in ``lang``: ``"en"`` is ``str(issue)``; ``"zh"`` says the location, the
        message and the suggestion in Chinese (:mod:`mfa.i18n`, by code), keeping the file, sheet, column and
        value as the file shows them. A message without a Chinese translation stays in English.

        Parameters
        ----------
        lang : str
            ``"en"`` or ``"zh"``.

        Returns
        -------
        str

        Examples
        --------
        >>> i = Issue("processes.csv", Message("unknown process kind", "input.unknown_choice", what="process kind"),
        ...           row=3, column="kind", value="prodction",
        ...           suggestion=suggest("prodction", ["production", "collection"]))
        >>> print(i.text("zh"))
        processes.csv，第 3 行，“kind”列：未知的过程类型（值：'prodction'）——是否应为 'production' 或 'collection'？
        >>> i.text("en") == str(i)
        True
        """
        if lang != "zh":
            return str(self)
        from mfa.i18n import ISSUE_WORDS_ZH as WORDS, say_zh, where_zh

        shown = [str(m) for m in list(self.more[:MAX_MORE_SHOWN])]
        where = where_zh(self.file, self.row, self.path, self.column, shown, len(self.more))
        said = say_zh(self.message, self.code, self.params)
        text = f"{where}：{said}" if where else said
        if self.value is not None and not (isinstance(self.value, float) and pd.isna(self.value)):
            text += WORDS["value"].format(value=excerpt(self.value, lang="zh"))
        if self.suggestion:
            text += WORDS["suggestion"].format(text=say_zh(self.suggestion))
        return text

    def to_dict(self) -> dict:
        """The issue as plain JSON data (the ``--json`` form): a long or non-JSON value is shown as a short
        text; ``count`` and ``more`` are added for a grouped issue.

        Returns
        -------
        dict
            file, row, path, column, value, message, suggestion, severity and code (plus count and more).

        Examples
        --------
        >>> d = Issue("flows.csv", "unknown process", row=2, column="source", value="mien", more=(5, 9)).to_dict()
        >>> d["row"], d["value"], d["severity"], d["count"], d["more"]
        (2, 'mien', 'error', 3, [5, 9])
        """
        value = self.value
        if value is not None and not isinstance(value, (str, int, float, bool)):
            value = str(value)
        if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
            value = str(value)
        if isinstance(value, str) and len(value) > MAX_JSON_VALUE:
            value = value[:MAX_JSON_VALUE] + f"… ({len(value):,} characters)"
        out = {
            "file": self.file,
            "row": self.row,
            "path": self.path,
            "column": self.column,
            "value": value,
            "message": self.message,
            "suggestion": self.suggestion,
            "severity": self.severity,
            "code": self.code,
        }
        if self.more:  # grouped: every place stays listed (keys added, none changed)
            out["count"] = self.count
            out["more"] = list(self.more)
        return out


class ParkError(MfaError):
    """The input has errors; ``issues`` lists every one of them.

    Parameters
    ----------
    issues : sequence of Issue
        Every problem found; the message lists the first ones.

    Examples
    --------
    >>> e = ParkError([Issue("flows.csv", "unknown process", row=2, column="source", value="mien"),
    ...                Issue("processes.csv", "duplicate id", row=4, column="id", value="plant")])
    >>> print(e)
    2 problems in the input:
      - flows.csv, row 2, column 'source': unknown process (value: 'mien')
      - processes.csv, row 4, column 'id': duplicate id (value: 'plant')
    >>> len(e.issues), isinstance(e, MfaError)
    (2, True)
    """

    def __init__(self, issues: Sequence[Issue]):
        self.issues = list(issues)
        n = len(self.issues)
        head = f"{n} problem{'s' if n != 1 else ''} in the input:"
        lines = [head] + [f"  - {i}" for i in self.issues[:MAX_MESSAGE_ISSUES]]
        if n > MAX_MESSAGE_ISSUES:
            lines.append(f"  … and {n - MAX_MESSAGE_ISSUES} more")
        super().__init__("\n".join(lines))


@dataclass
class RawTable:
    """A table as read from a file, every cell still a string (blank = "").

    ``rows[i]`` locates data row ``i``: a spreadsheet row number (int) for CSV/Excel, or a YAML path
    prefix such as ``"flows[3]"`` for YAML. Readers turn it into typed, validated frames.

    Examples
    --------
    >>> t = RawTable("flows", "flows.csv", pd.DataFrame({"value": ["12.5", ""]}), [2, 3])
    >>> t.frame["value"].tolist(), t.rows
    (['12.5', ''], [2, 3])
    """

    name: str
    file: str
    frame: pd.DataFrame
    rows: Sequence = field(default_factory=list)
    _located: object = field(default=None, init=False, repr=False, compare=False)

    def locations(self) -> np.ndarray:
        """``rows`` as an array (int64 spreadsheet rows, or YAML paths as objects), built once: checks
        locate thousands of failing rows by indexing it.

        Returns
        -------
        numpy.ndarray

        Examples
        --------
        >>> RawTable("flows", "flows.csv", pd.DataFrame({"a": ["1", "2"]}), range(2, 4)).locations().tolist()
        [2, 3]
        """
        if self._located is None or len(self._located) != len(self.rows):
            numbered = len(self.rows) > 0 and not isinstance(self.rows[0], str)
            self._located = np.asarray(self.rows, dtype=np.int64 if numbered else object)
        return self._located

    def issue(self, i: int | None, column: str | None, message: str, value: object = None,
              suggestion: str | None = None, severity: str = "error", more: Sequence[int] = ()) -> Issue:
        """An :class:`Issue` located at data row ``i`` (0-based position in ``frame``) and ``column``.

        Parameters
        ----------
        i : int or None
            Data row (position in ``frame``); None for the whole table.
        column, message, value, suggestion, severity
            As in :class:`Issue`.
        more : sequence of int
            Further data rows with the same problem and value (positions in ``frame``).

        Returns
        -------
        Issue

        Examples
        --------
        >>> raw = RawTable("flows", "flows.csv", pd.DataFrame({"value": ["x", "x"]}), [2, 3])
        >>> raw.issue(0, "value", "not a number", "x", more=[1]).location()
        "flows.csv, row 2 (and 1 more: rows 3), column 'value'"
        """
        if i is None:
            return Issue(self.file, message, column=column, value=value, suggestion=suggestion,
                         severity=severity)
        loc = self.rows[i]
        more_locs = tuple(self.rows[j] for j in more) if len(more) else ()
        if isinstance(loc, str):
            path = f"{loc}.{column}" if column else loc
            return Issue(self.file, message, column=column, value=value, suggestion=suggestion,
                         path=path, severity=severity, more=more_locs)
        return Issue(self.file, message, row=int(loc), column=column, value=value,
                     suggestion=suggestion, severity=severity, more=tuple(int(m) for m in more_locs))


def suggest(value: str, choices: Iterable[str]) -> str | None:
    """'did you mean …' for a near-miss identifier, or None.

    Parameters
    ----------
    value : str
        What was given.
    choices : iterable of str
        What is known.

    Returns
    -------
    Message or None
        The English hint, carrying the close ids (``close``) for a translation.

    Examples
    --------
    >>> suggest("fly_ahs", ["fly_ash", "slag"])
    "did you mean 'fly_ash'?"
    """
    value = str(value)
    if len(value) > 100:  # no id is that long, and difflib is quadratic in the length
        return None
    close = difflib.get_close_matches(value, [str(c) for c in choices], n=3, cutoff=0.6)
    if not close:
        return None
    return Message("did you mean " + " or ".join(repr(c) for c in close) + "?", "hint.did_you_mean",
                   close=tuple(close))
