"""Units: every flow is normalised to t/a and every stock to t, through pint.

Conventions (see :mod:`mfa.conventions`): a mass without a time is tonnes in the reporting year; per-year
units (a, yr, year, annum, 年) need no days; per-month figures × 12; per-day and per-hour figures × the park's
``days_per_year`` (365 by default). Chinese units: 吨, 万t / 万吨 (10⁴ t), 亿t (10⁸ t), 公斤/千克 (kg),
年, 月, 日/天, 小时. ``kt`` is the kilotonne (not pint's knot).

>>> import numpy as np, pandas as pd
>>> to_tonnes_per_year(np.array([1.0, 2.0, 3.0]), pd.Series(["万t/a", "t/d", "kt/yr"]))
array([10000.,   730.,  3000.])
"""

from __future__ import annotations

import functools
import re

import numpy as np
import pandas as pd

from mfa.errors import Message

__all__ = ["UnitError", "flow_factor", "stock_factor", "to_tonnes_per_year", "to_tonnes"]

_DEFINITIONS = (
    "kilotonne = 1e3 * metric_ton = kt",
    "megatonne = 1e6 * metric_ton = Mt",
    "wan- = 1e4 = 万-",
    "yi- = 1e8 = 亿-",
    "wan = 1e4 = 万",
    "yi = 1e8 = 亿",
    "吨 = metric_ton",
    "公斤 = kilogram",
    "千克 = kilogram",
    "年 = year",
    "月 = month",
    "日 = day",
    "天 = day",
    "小时 = hour",
    "annum_ = year = pa",
)


class UnitError(ValueError):
    """A unit that cannot be read, or that is not a mass (stocks) or mass flow (flows).

    Examples
    --------
    >>> try:
    ...     stock_factor("t/a")
    ... except UnitError as exc:
    ...     print(exc)
    ...
    unit 't/a' is not a mass; stocks are masses such as t or 万t
    >>> issubclass(UnitError, ValueError)
    True
    """

    @property
    def message(self) -> str:
        """The English sentence, with its code where it is a :class:`mfa.errors.Message`, for a located issue.

        Examples
        --------
        >>> UnitError(Message("empty unit", "units.empty")).message.code
        'units.empty'
        """
        return self.args[0] if self.args and isinstance(self.args[0], str) else str(self)

    @property
    def short(self) -> str:
        """:attr:`message` without the explanation of an over-long unit (the cell's value says it).

        Examples
        --------
        >>> try:
        ...     flow_factor("t" * 200)
        ... except UnitError as exc:
        ...     print(exc.short)
        unknown unit 'tttttttttttttttttttttttttttttttttttttttt'… (200 characters)
        """
        m = self.message
        if getattr(m, "code", None) == "units.too_long":
            return Message(m.split(" (a unit")[0], "units.unknown", unit=m.params["unit"])
        return m

    @property
    def clause(self) -> str:
        """:attr:`message` up to its first parenthesis: the sentence alone, where the cell's value is shown.

        Examples
        --------
        >>> try:
        ...     flow_factor("kg/m")
        ... except UnitError as exc:
        ...     print(exc.clause, exc.clause.code)
        unit 'kg/m' is not a mass or a mass per time units.not_flow_clause
        """
        m = self.message
        text = m.split(" (")[0]
        code = getattr(m, "code", None)
        if text == m:
            return m
        if code == "units.not_flow":
            return Message(text, "units.not_flow_clause", unit=m.params["unit"])
        if code in ("units.unknown", "units.too_long"):
            return Message(text, "units.unknown", unit=text.removeprefix("unknown unit "))
        return text


@functools.lru_cache(maxsize=1)
def _registry():
    import pint  # lazy: pint costs ~0.5 s to import

    ureg = pint.UnitRegistry(on_redefinition="ignore")
    for d in _DEFINITIONS:
        ureg.define(d)
    return ureg


_SPACE = re.compile(r"\s+")


def _normalise(text: str) -> str:
    t = _SPACE.sub(" ", str(text).strip())
    t = t.replace("／", "/").replace("·", "*")
    # "万 t/a" and "万t/a" both work; a leading "1e4 t/a" style scale factor does not (ambiguous): refuse it.
    return t


MAX_UNIT_LENGTH = 40
# The forms a unit may take before pint sees it: up to four names (t, kg, 万t, 吨, year, metric_ton…) joined
# by / or *, each with an optional small power. pint evaluates numbers and powers itself, so "t*10**10**10"
# or a 100 KB string would run for minutes; a whitelist keeps every parse instant.
_NAME = r"(?:[万亿]\s*)?[^\W\d_]\w{0,19}(?:\s*(?:\^|\*\*)\s*-?[1-3])?"
_UNIT_FORM = re.compile(rf"^{_NAME}(?:\s*[/*]\s*{_NAME}){{0,3}}$")


def _short(text: str) -> str:
    return repr(text) if len(text) <= 40 else repr(text[:40]) + f"… ({len(text):,} characters)"


@functools.lru_cache(maxsize=4096)
def _parse(text: str):
    if len(text) > 4 * MAX_UNIT_LENGTH:  # before any normalisation, which is linear but not free
        raise UnitError(Message(f"unknown unit {_short(text)} (a unit has at most {MAX_UNIT_LENGTH} characters)",
                                "units.too_long", unit=_short(text), limit=MAX_UNIT_LENGTH))
    ureg = _registry()
    t = _normalise(text)
    if not t:
        raise UnitError(Message("empty unit", "units.empty"))
    if len(t) > MAX_UNIT_LENGTH or not _UNIT_FORM.match(t):
        raise UnitError(Message(f"unknown unit {_short(text)}", "units.unknown", unit=_short(text)))
    try:
        q = ureg.Quantity(1.0, t)
    except Exception as exc:  # pint raises several error types for unknown names and syntax
        raise UnitError(Message(f"unknown unit {_short(text)}", "units.unknown", unit=_short(text))) from exc
    return q


def _common(text: str) -> tuple[str, float] | None:
    """The factor of a common unit string from a table generated from pint (:mod:`mfa._unit_table`), so that
    parks in t/a, 万t/a, t/d … never import pint; None for any other string."""
    from mfa._unit_table import COMMON

    return COMMON.get(_normalise(text))


_YEAR_DAYS = 360.0  # time units of at least this many days are "per year"
_MONTH_DAYS = 27.0


@functools.lru_cache(maxsize=4096)
def flow_factor(text: str, days_per_year: float = 365.0) -> float:
    """Factor turning a value in unit ``text`` into t/a.

    Parameters
    ----------
    text : str
        A unit of mass per time (or a mass: tonnes in the reporting year), of a whitelisted form.
    days_per_year : float
        Days of the park's year, for per-day and per-hour units.

    Returns
    -------
    float

    Raises
    ------
    UnitError
        Unknown, too long or not of a whitelisted form.

    Examples
    --------
    >>> flow_factor("万吨/年"), flow_factor("t/d"), flow_factor("t")
    (10000.0, 365.0, 1.0)
    """
    common = _common(text)
    if common is not None:
        kind, f = common
        return f * float(days_per_year) if kind == "per_day" else f
    q = _parse(text)
    ureg = _registry()
    dim = q.dimensionality
    if dim == ureg.metric_ton.dimensionality:
        return float(q.to("metric_ton").magnitude)
    if dim != (ureg.metric_ton / ureg.year).dimensionality:
        raise UnitError(Message(f"unit {_short(text)} is not a mass or a mass per time (it is {dim})",
                                "units.not_flow", unit=_short(text), dimension=str(dim)))
    # The reference period is the longest time unit in the expression, so "kg/d" is per day and "t/a" per
    # year regardless of pint's own (Julian) year length.
    times = []
    for name, power in q._units.items():
        u = ureg.Quantity(1.0, name)
        if u.dimensionality == ureg.day.dimensionality:
            times.append(u.to("day").magnitude)
    longest = max(times) if times else 365.0
    per_day = float(q.to("metric_ton / day").magnitude)
    if longest >= _YEAR_DAYS:
        return per_day * longest
    if longest >= _MONTH_DAYS:
        return per_day * longest * 12.0
    return per_day * float(days_per_year)


@functools.lru_cache(maxsize=1024)
def stock_factor(text: str) -> float:
    """Factor turning a stock in unit ``text`` (a mass) into t.

    Parameters
    ----------
    text : str
        A mass unit.

    Returns
    -------
    float

    Raises
    ------
    UnitError

    Examples
    --------
    >>> stock_factor("万t")
    10000.0
    """
    common = _common(text)
    if common is not None:
        if common[0] == "mass":
            return common[1]
        raise UnitError(Message(f"unit {text!r} is not a mass; stocks are masses such as t or 万t", "units.not_mass",
                                unit=repr(text)))
    q = _parse(text)
    ureg = _registry()
    if q.dimensionality != ureg.metric_ton.dimensionality:
        raise UnitError(Message(f"unit {_short(text)} is not a mass; stocks are masses such as t or 万t",
                                "units.not_mass", unit=_short(text)))
    return float(q.to("metric_ton").magnitude)


def _by_unique(units: pd.Series, factor) -> np.ndarray:
    codes, uniques = pd.factorize(units.astype(str), sort=False)
    table = np.array([factor(u) for u in uniques], dtype=float)
    return table[codes] if len(codes) else np.zeros(0)


def to_tonnes_per_year(values: np.ndarray, units: pd.Series, days_per_year: float = 365.0) -> np.ndarray:
    """Values in the given units (one per value) converted to t/a, parsing each distinct unit once.

    Raises :class:`UnitError` for the first unit that cannot be converted; readers that need every bad
    unit located use :func:`flow_factor` per distinct unit instead.

    Parameters
    ----------
    values : array of float
    units : Series of str
        One unit per value.
    days_per_year : float

    Returns
    -------
    ndarray

    Examples
    --------
    >>> to_tonnes_per_year(np.array([1.0, 2.0]), pd.Series(["万t/a", "t/d"])).tolist()
    [10000.0, 730.0]
    """
    return np.asarray(values, dtype=float) * _by_unique(units, lambda u: flow_factor(u, days_per_year))


def to_tonnes(values: np.ndarray, units: pd.Series) -> np.ndarray:
    """Masses in the given units converted to t.

    Parameters
    ----------
    values : array of float
    units : Series of str
        One mass unit per value.

    Returns
    -------
    ndarray

    Examples
    --------
    >>> to_tonnes(np.array([1.0, 500.0]), pd.Series(["万t", "kg"])).tolist()
    [10000.0, 0.5]
    """
    return np.asarray(values, dtype=float) * _by_unique(units, stock_factor)
