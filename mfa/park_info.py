"""The metadata of a park (:class:`ParkInfo`): a leaf module, so that the readers in :mod:`mfa.io` can
validate it without importing the park model that is built from what they read.

ParkInfo validates its thirteen settings itself, with pydantic's rules and messages (lax mode: ``"2015"``
is the year 2015, ``"1e3"`` is not; blank means missing; no NaN or infinity; unknown settings refused):
importing pydantic cost ``mfa check`` a tenth of a second for one small record.

>>> ParkInfo(name="Wuhai", year="2015").year
2015
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, ClassVar, Iterator, Mapping

from mfa.errors import Message

__all__ = ["ParkInfo", "ParkInfoError"]


@dataclass(frozen=True)
class _Setting:
    """One setting: its type (``str``, ``int`` or ``float``), default, whether None is allowed, bounds and
    the description shown in the docs."""

    kind: type
    default: Any
    optional: bool
    description: str
    ge: float | None = None
    gt: float | None = None
    le: float | None = None


_SETTINGS: dict[str, _Setting] = {
    "name": _Setting(str, "park", False, "name of the park or region"),
    "name_zh": _Setting(str, None, True, "Chinese name"),
    "region": _Setting(str, None, True, "region, e.g. 内蒙古乌海市"),
    "level": _Setting(str, None, True, "designations the park holds, which decide the targets that apply to it: "
                      "'eco-industrial park' (生态工业园区), 'demonstration base' (大宗固废综合利用示范基地); "
                      "several separated by ';'"),
    "year": _Setting(int, None, True, "reporting year: the period of every row whose 'year' is blank",
                     ge=1900, le=2200),
    "unit": _Setting(str, "t/a", False, "default unit of flow values where a row gives none"),
    "days_per_year": _Setting(float, 365.0, False, "days per year for per-day figures", gt=0, le=366),
    "value_added": _Setting(float, None, True, "industrial value added of the park", ge=0),
    "value_added_unit": _Setting(str, None, True, "unit of value_added, e.g. '1e4 CNY' (万元)"),
    "description": _Setting(str, None, True, "free text"),
    "rel_tol": _Setting(float, 0.01, False, "relative balance tolerance (share of throughput)", ge=0),
    "abs_tol": _Setting(float, 0.01, False, "absolute balance tolerance in t/a", ge=0),
}

_INT_WITH_ZERO_FRACTION = re.compile(r"^[+-]?[0-9]+(_[0-9]+)*\.0+$")
EXTRA_FORBIDDEN = Message("Extra inputs are not permitted", "park_info.extra_forbidden")


class ParkInfoError(ValueError):
    """Settings that are not valid: one entry per setting in :meth:`errors` (``loc``, ``msg``, ``type``,
    as pydantic's ``ValidationError`` gives them).

    Examples
    --------
    >>> try:
    ...     ParkInfo(year="1800", yaer=2020)
    ... except ParkInfoError as e:
    ...     [(d["loc"], d["type"]) for d in e.errors()]
    [(('year',), 'greater_than_equal'), (('yaer',), 'extra_forbidden')]
    """

    def __init__(self, errors: list[dict]):
        self._errors = errors
        lines = [f"{len(errors)} validation error{'s' if len(errors) > 1 else ''} for ParkInfo"]
        for e in errors:
            lines += [".".join(map(str, e["loc"])), f"  {e['msg']} [type={e['type']}, input_value={e['input']!r}]"]
        super().__init__("\n".join(lines))

    def errors(self) -> list[dict]:
        """The problems, one dict per setting: ``loc`` (a 1-tuple of the setting's name), ``msg``, ``type``,
        ``input``.

        Returns
        -------
        list of dict

        Examples
        --------
        >>> try:
        ...     ParkInfo(rel_tol="inf")
        ... except ParkInfoError as e:
        ...     e.errors()[0]["msg"]
        'Input should be a finite number'
        """
        return [dict(e) for e in self._errors]


def _error(kind: str, msg: str, value: Any) -> dict:
    return {"type": kind, "msg": msg, "input": value}


def _as_int(value: Any) -> int | dict:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            return _error("finite_number", Message("Input should be a finite number", "park_info.finite_number"), value)
        if value != int(value):
            return _error("int_from_float", Message("Input should be a valid integer, got a number with a "
                                                    "fractional part", "park_info.int_from_float"), value)
        return int(value)
    if isinstance(value, str):
        text = value.strip()
        if text.isascii():
            try:
                return int(text)
            except ValueError:
                if _INT_WITH_ZERO_FRACTION.match(text):
                    return int(text.split(".")[0])
        return _error("int_parsing", Message("Input should be a valid integer, unable to parse string as an integer",
                                             "park_info.int_parsing"), value)
    return _error("int_type", Message("Input should be a valid integer", "park_info.int_type"), value)


def _as_float(value: Any) -> float | dict:
    if isinstance(value, (bool, int, float)):
        number = float(value)
    elif isinstance(value, str):
        text = value.strip()
        try:
            if not text.isascii():  # Python reads "１" as 1; pydantic does not
                raise ValueError
            number = float(text)
        except ValueError:
            return _error("float_parsing", Message("Input should be a valid number, unable to parse string as a "
                                                   "number", "park_info.float_parsing"), value)
    else:
        return _error("float_type", Message("Input should be a valid number", "park_info.float_type"), value)
    if not math.isfinite(number):  # NaN or infinite settings would switch checks off
        return _error("finite_number", Message("Input should be a finite number", "park_info.finite_number"), value)
    return number


def _checked(setting: _Setting, value: Any) -> Any:
    """The value of one setting, or an error dict (without ``loc``)."""
    if value is None and setting.optional:
        return None
    if setting.kind is str:
        return value if isinstance(value, str) else _error(
            "string_type", Message("Input should be a valid string", "park_info.string_type"), value)
    out = _as_int(value) if setting.kind is int else _as_float(value)
    if isinstance(out, dict):
        return out
    for bound, kind, words, op, fails in (
            (setting.ge, "greater_than_equal", "greater than or equal to", "≥", lambda v, b: v < b),
            (setting.gt, "greater_than", "greater than", ">", lambda v, b: v <= b),
            (setting.le, "less_than_equal", "less than or equal to", "≤", lambda v, b: v > b)):
        if bound is not None and fails(out, bound):
            return _error(kind, Message(f"Input should be {words} {bound}", "park_info.bound", op=op, bound=bound),
                          value)
    return out


class ParkInfo:
    """Metadata of a park (the ``park`` sheet, ``park.csv`` key/value file or YAML ``park:`` mapping).

    Frozen, and strict: an unknown field or a value out of range is refused (:class:`ParkInfoError`);
    blank values count as missing.

    Parameters
    ----------
    **settings
        Any of :attr:`model_fields`: name, name_zh, region, level, year, unit, days_per_year, value_added,
        value_added_unit, description, rel_tol, abs_tol.

    Examples
    --------
    >>> info = ParkInfo(name="Wuhai", year="2015", region="  ", rel_tol=0.02)
    >>> info.name, info.year, info.region, info.unit, info.rel_tol
    ('Wuhai', 2015, None, 't/a', 0.02)
    >>> info.model_copy(update={"year": 2016}).year
    2016
    """

    __slots__ = tuple(_SETTINGS)
    #: The settings, by name (each with its type, default, bounds and ``description``).
    model_fields: ClassVar[dict[str, _Setting]] = _SETTINGS

    def __init__(self, **settings: Any):
        # A blank cell and a missing key mean the same; keep one representation so parks compare equal.
        given = {k: (v.strip() if isinstance(v, str) else v) for k, v in settings.items()
                 if not (v is None or (isinstance(v, str) and not v.strip()))}
        errors = []
        for name, setting in _SETTINGS.items():
            value = _checked(setting, given[name]) if name in given else setting.default
            if isinstance(value, dict):
                errors.append({"loc": (name,), **value})
                value = setting.default
            object.__setattr__(self, name, value)
        errors += [{"loc": (k,), **_error("extra_forbidden", EXTRA_FORBIDDEN, v)}
                   for k, v in given.items() if k not in _SETTINGS]
        if errors:
            raise ParkInfoError(errors)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"ParkInfo is frozen: use model_copy(update={{{name!r}: ...}})")

    def __delattr__(self, name: str) -> None:
        raise AttributeError("ParkInfo is frozen")

    def __iter__(self) -> Iterator[tuple[str, Any]]:
        return iter(self.model_dump().items())

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self.model_dump() == other.model_dump()

    def __hash__(self) -> int:
        return hash(tuple(self.model_dump().values()))

    def __repr__(self) -> str:
        return "ParkInfo(" + ", ".join(f"{k}={v!r}" for k, v in self) + ")"

    def __reduce__(self):
        return (_restore, (self.model_dump(),))

    def model_dump(self, *, exclude_none: bool = False) -> dict[str, Any]:
        """The settings as a dict, in their order.

        Parameters
        ----------
        exclude_none : bool
            Leave out the settings that are None.

        Returns
        -------
        dict

        Examples
        --------
        >>> ParkInfo(name="x").model_dump(exclude_none=True)
        {'name': 'x', 'unit': 't/a', 'days_per_year': 365.0, 'rel_tol': 0.01, 'abs_tol': 0.01}
        """
        out = {name: getattr(self, name) for name in _SETTINGS}
        return {k: v for k, v in out.items() if v is not None} if exclude_none else out

    def model_copy(self, *, update: Mapping[str, Any] | None = None) -> "ParkInfo":
        """A copy with some settings replaced, taken as given (as pydantic's ``model_copy``: the readers
        validate what they read before; :meth:`mfa.park.Park.replace` validates the park again).

        Parameters
        ----------
        update : mapping, optional
            The settings to replace.

        Returns
        -------
        ParkInfo

        Examples
        --------
        >>> ParkInfo(year=2015).model_copy(update={"year": 2016}).year
        2016
        """
        data = self.model_dump()
        data.update(update or {})
        return _restore(data)


def _restore(data: Mapping[str, Any]) -> ParkInfo:
    """A ParkInfo of settings already validated (copies, pickles)."""
    info = object.__new__(ParkInfo)
    for name, setting in _SETTINGS.items():
        object.__setattr__(info, name, data.get(name, setting.default))
    unknown = set(data) - set(_SETTINGS)
    if unknown:
        raise ParkInfoError([{"loc": (k,), **_error("extra_forbidden", EXTRA_FORBIDDEN, data[k])}
                             for k in sorted(unknown)])
    return info
