"""mfa stocks PARK — every stock of the park, year by year: inflow, outflow, stock, stock change."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from mfa.cli._common import finish_command, add_solve_flags, emit, load_park, park_command, table_options, tonnes

if TYPE_CHECKING:
    from mfa.dynamic_stocks import StockResult
    from mfa.park import Park

HELP = "list every stock (stores, in-use stocks, stocks with a lifetime) year by year"
DESCRIPTION = HELP + """.

One row per stock (a process and material of the stocks or lifetimes table) and year: inflow and outflow
(t/a, the flows of the material into and out of the process), stock (t on 31 December) and stock_change
(closing − opening, t/a). A stock with a lifetime (lifetimes table) has its blank outflows computed from its
past inflows, and its legacy opening stock ages as if left by a constant inflow (docs/time.md); one whose
closing is given in every year and whose inflow is left blank is stock-driven (its inflows come from the
path). Unknown flows that the balances determine are computed first (--as-given: not)."""


def register(sub: Any) -> None:
    """Add the command's parser to ``sub`` (the sub-parsers of ``mfa``).

    Parameters
    ----------
    sub : argparse._SubParsersAction
        The sub-parsers of ``mfa``.

    Returns
    -------
    None

    Examples
    --------
    >>> import argparse
    >>> sub = argparse.ArgumentParser(prog="mfa").add_subparsers()
    >>> register(sub)
    >>> args = sub.choices["stocks"].parse_args(["farm_film", "--json"])
    >>> args.park, args.json
    ('farm_film', True)
    """
    p = park_command(sub, "stocks", HELP, DESCRIPTION)
    add_solve_flags(p)
    p.add_argument("--cohorts", action="store_true", help="also the cohort table of each stock with a lifetime: "
                   "what is left of each year's inflow (--json: the key cohorts)")
    finish_command(p, run)


def run(args: argparse.Namespace) -> int:
    """Run the command; the exit code (0 ok; errors are raised and become exit 2 in :func:`mfa.cli.main`).

    Parameters
    ----------
    args : argparse.Namespace

    Returns
    -------
    int
        The exit code (0).

    Examples
    --------
    >>> import argparse, contextlib, io, json
    >>> sub = argparse.ArgumentParser(prog="mfa").add_subparsers()
    >>> register(sub)
    >>> with contextlib.redirect_stdout(io.StringIO()) as out:
    ...     code = run(sub.choices["stocks"].parse_args(["farm_film", "--json"]))
    >>> rows = json.loads(out.getvalue())["stocks"]
    >>> code, rows[0]["year"], round(rows[-1]["stock"], 2)
    (0, 2021, 23168.75)
    """
    from mfa.dynamic_stocks import stocks

    park = load_park(args.park)
    result = stocks(park, solve=not args.as_given)
    if getattr(args, "cohorts", False):
        from mfa.results import jsonable

        cohorts = result.cohorts()
        return emit(args, result, lambda: _show_text(park, result, cohorts), cohorts=jsonable(cohorts))
    return emit(args, result, lambda: _show_text(park, result))


def _show_text(park: Park, result: StockResult, cohorts: Any = None) -> None:
    t = result.table
    years = park.years
    span = f"{years[0]}–{years[-1]}" if len(years) > 1 else (str(years[0]) if years else "")
    print(f"Stocks of {park.info.name} {span} (inflow, outflow, stock change in t/a; stock in t on 31 December)")
    if not len(t):
        print("  no stocks: give them in the stocks table (opening, closing) or the lifetimes table")
        return
    with table_options(160, float_format=tonnes):
        print(t.to_string(index=False, na_rep="unknown"))
    lt = result.lifetimes
    if len(lt):
        print()
        print("Lifetimes (outflows left blank are computed from the past inflows)")
        print(lt.drop(columns=["note"]).to_string(index=False, na_rep=""))
    if cohorts is not None:
        print()
        print("Cohorts (stock: t on 31 December left of the inflow of year 'cohort'; outflow: t/a; legacy: every "
              "cohort before the first year)")
        with table_options(160, float_format=tonnes):
            print(cohorts.astype({"cohort": object}).fillna({"cohort": "legacy"}).to_string(index=False))
    for m in result.messages:
        print(f"warning: {m.message}")
