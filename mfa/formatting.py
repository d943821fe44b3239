"""How numbers are shown to people: one formatter for the command line, the report and Jupyter.

Every printed number goes through :func:`number` (or :func:`tonnes` for masses), so the same figure reads
the same everywhere and never in scientific notation when a person reads it as a quantity.
"""

from __future__ import annotations

import math

__all__ = ["LANGUAGES", "check_lang", "number", "tonnes"]


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


def tonnes(x: float) -> str:
    """Whole tonnes from 1,000 up, four significant digits below (flows, fates, indicator values).

    Parameters
    ----------
    x : float
        A mass or a mass flow (t, t/a).

    Returns
    -------
    str
        The text shown.

    Examples
    --------
    >>> tonnes(1234.6), tonnes(12.345)
    ('1,235', '12.35')
    """
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.4g}"


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
