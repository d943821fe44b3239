"""The time series of a multi-year park on the command line: ``mfa indicators PARK --series`` (automatic when
the park holds several years)."""

from __future__ import annotations

import argparse
from typing import Any

import pandas as pd

from mfa.cli._common import print_json_result, table_options


def print_indicator_series(park: Any, args: argparse.Namespace, targets: Any) -> int:
    """Print the rates of every year of ``park`` with the targets of their year (``--json``: the
    :class:`mfa.time_series.SeriesResult` document).

    Parameters
    ----------
    park : mfa.Park
    args : argparse.Namespace
        ``json`` and ``as_given``.
    targets : None, False or str
        As :func:`mfa.indicator_series` takes them.

    Returns
    -------
    int
        The exit code (0).

    Examples
    --------
    >>> import contextlib, io, mfa
    >>> with contextlib.redirect_stdout(io.StringIO()) as out:
    ...     code = print_indicator_series(mfa.read_park("farm_film"), argparse.Namespace(json=False, as_given=False),
    ...                                   None)
    >>> code, "地膜回收率" in out.getvalue()
    (0, True)
    """
    from mfa.time_series import indicator_series

    result = indicator_series(park, targets=targets, solve=not args.as_given)
    if args.json:
        print_json_result(result)
        return 0
    s = result.series
    years = park.years
    print(f"Indicators of {park.info.name} by year, {years[0]}–{years[-1]}" if len(years) > 1
          else f"Indicators of {park.info.name}")
    has = s.groupby("id", sort=False)["value"].transform(lambda v: v.notna().any()).astype(bool)
    shown = s[has]
    cell = [("" if pd.isna(v) else f"{v:.2%}" if u == "t/t" else f"{v:,.4g}")
            + ("" if pd.isna(t) else f" ({'≥' if c == '>=' else '≤'}{t:.0%} {'✓' if p is True else '✗'})")
            for v, u, t, c, p in zip(shown["value"], shown["unit"], shown["target"], shown["comparison"],
                                     shown["passed"].astype(object))]
    wide = shown.assign(cell=cell, label=shown["id"] + " " + shown["name_zh"].astype(str)).pivot(
        index="label", columns="year", values="cell")
    wide = wide.loc[list(dict.fromkeys(shown["id"] + " " + shown["name_zh"].astype(str)))]
    with table_options(200, max_colwidth=60):
        print(wide.to_string(na_rep=""))
    print("  (target of the year in brackets: the strictest that applies to the park's region and level; "
          "✓ met, ✗ missed)")
    for m in result.messages:
        print(f"warning: {m.message}")
    return 0
