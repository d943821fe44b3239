"""How numbers are shown to people: one formatter for the command line, the report and Jupyter.

Every printed number goes through :func:`number` (or :func:`tonnes` for masses), so the same figure reads
the same everywhere and never in scientific notation when a person reads it as a quantity.
"""

from __future__ import annotations

import math

__all__ = ["LANGUAGES", "check_lang", "display_unit", "number", "percent", "tonnes"]


def number(x: float | None) -> str:
    """How the commands print most numbers: four significant digits with thousands separators, and no
    scientific notation for a quantity a person reads — from 10,000 up whole numbers (12,460,000, not
    1.246e+07); below 10⁻⁴ (a p-value, say) three significant digits in scientific form; missing is blank.

    Parameters
    ----------
    x : float or None
        The number; None or NaN is missing.

    Returns
    -------
    str
        The text shown.

    Examples
    --------
    >>> number(12_460_000.0), number(3.14159), number(0.000012), number(None)
    ('12,460,000', '3.142', '1.2e-05', '')
    """
    if x is None or not math.isfinite(x):
        return "" if x is None or math.isnan(x) else str(x)
    a = abs(x)
    if a >= 1e4:
        return f"{x:,.0f}"
    if a == 0:
        return "0"
    if a < 1e-4:
        return f"{x:.3g}"
    decimals = max(0, 3 - math.floor(math.log10(a)))
    return f"{x:,.{decimals}f}"


def tonnes(x: float | None, unit: str = "t") -> str:
    """A mass (or mass per year) a person reads: thousands separators, no false decimals, never scientific.

    In tonnes (``unit="t"``): whole tonnes from 1,000 up, four significant digits below (below a gram: 0). In 万t
    (``unit="万t"``, 10⁴ t, the unit Chinese statistics and many parks' own tables use): the value ÷ 10⁴ with
    two decimals at most (100 t), trailing zeros dropped; a value that would round to 0 keeps two significant
    digits. Missing (None or NaN) is blank. The caller writes the unit (see :func:`display_unit`).

    Parameters
    ----------
    x : float or None
        The mass in tonnes (t or t/a).
    unit : {"t", "万t"}
        The unit to show it in.

    Returns
    -------
    str
        The formatted number, without the unit.

    Examples
    --------
    >>> tonnes(1234.6), tonnes(12.345), tonnes(15.5), tonnes(893580.0), tonnes(float("nan")), tonnes(1.2e-10)
    ('1,235', '12.35', '15.5', '893,580', '', '0')
    >>> tonnes(0.0001234)
    '0.0001234'

    >>> tonnes(28_862_680.0, "万t"), tonnes(5000.0, "万t"), tonnes(15.6, "万t"), tonnes(0.0, "万t")
    ('2,886.27', '0.5', '0.0016', '0')
    """
    if x is None or not math.isfinite(x):
        return "" if x is None or math.isnan(x) else str(x)
    if unit not in ("t", "万t"):
        raise ValueError(f"unit must be 't' or '万t', not {unit!r}")
    if abs(x) < 1e-6:  # below a gram a year: rounding residue of the solvers, not a quantity
        return "0"
    if unit == "t":
        return f"{x:,.0f}" if abs(x) >= 1000 else _significant(x, 4)
    v = x / 1e4
    text = f"{v:,.2f}".rstrip("0").rstrip(".")
    if text in ("0", "-0"):
        text = _significant(v, 2)  # below 100 t: the first two digits, not a false zero
    return text


def _significant(x: float, digits: int) -> str:
    """``x`` with ``digits`` significant digits in positional notation, trailing zeros dropped."""
    decimals = max(0, digits - 1 - math.floor(math.log10(abs(x))))
    text = f"{x:.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def percent(x: float | None, digits: int = 1) -> str:
    """A share (a fraction: 0.5511) as a percentage with ``digits`` decimals; blank when missing.

    Parameters
    ----------
    x : float or None
        The fraction.
    digits : int
        Decimals of the percentage.

    Returns
    -------
    str

    Examples
    --------
    >>> percent(0.55113), percent(0.0005, 2), percent(None)
    ('55.1 %', '0.05 %', '')
    """
    if x is None or not math.isfinite(x):
        return ""
    return f"{x * 100:.{digits}f} %"


def display_unit(park_unit: str | None, lang: str) -> str:
    """The mass unit a report shows: 万t in Chinese where the park's own unit is 万t (万t/a, 万吨/年 …),
    else t. Figures then go through :func:`tonnes` with that unit.

    Parameters
    ----------
    park_unit : str or None
        The park's default unit (``park.info.unit``).
    lang : {"en", "zh"}
        The language of the output.

    Returns
    -------
    str
        ``"万t"`` or ``"t"``.

    Examples
    --------
    >>> display_unit("万t/a", "zh"), display_unit("万吨/年", "en"), display_unit("t/a", "zh")
    ('万t', 't', 't')
    """
    own = str(park_unit or "").strip().replace(" ", "")
    return "万t" if lang == "zh" and (own.startswith("万t") or own.startswith("万吨")) else "t"


#: the languages of labels, reports and messages
LANGUAGES = ("en", "zh")


def check_lang(lang: str) -> str:
    """``lang`` if it is one of :data:`LANGUAGES`, else a clear :class:`~mfa.errors.MfaError`.

    Parameters
    ----------
    lang : str
        The language asked for.

    Returns
    -------
    str
        ``lang``, checked.

    Examples
    --------
    >>> check_lang("zh")
    'zh'
    """
    if lang not in LANGUAGES:
        from mfa.errors import MfaError

        raise MfaError(f"lang must be 'en' or 'zh', not {str(lang)[:20]!r}")
    return lang
