"""mfa project PARK [SCENARIO] --until Y — the park continued year by year, its stocks with lifetimes running on."""

from __future__ import annotations

import argparse
from typing import Any

from mfa.cli._common import (add_force_flag, add_json_flag, add_park_argument, load_park, park_year, print_json,
                             table_options, tonnes)

HELP = "continue a park year by year to a later year, as a scenario says (stocks with lifetimes run on)"
DESCRIPTION = HELP + """.

Each projected year repeats the park's last year (its flows, their transfer coefficients, its stocks held);
a stock with a lifetime takes the new years' inflows and releases what its lifetime says. SCENARIO is a CSV
file of rows flow,column,year,value: the flow's value (column value) or transfer coefficient (column tc) in a
projected year, linear between the years given, held after the last; a blank value makes the flow unknown
from that year on (the balances compute it); a tc makes the flow's value unknown (the share decides it).
Prints the rates by year and the stocks by year (--json: {"indicators": [...], "stocks": [...]}); -o writes
the projected park (a folder, .yaml or .xlsx)."""


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
    >>> args = sub.choices["project"].parse_args(["farm_film", "--until", "2030"])
    >>> args.park, args.until, args.scenario
    ('farm_film', 2030, None)
    """
    p = sub.add_parser("project", help=HELP, description=DESCRIPTION)
    add_park_argument(p)
    p.add_argument("scenario", nargs="?", metavar="SCENARIO", help="a CSV file: flow,column,year,value[,note]")
    p.add_argument("--until", type=park_year, required=True, metavar="Y", help="the last projected year")
    p.add_argument("-o", "--output", metavar="OUT", help="write the projected park (folder, .yaml or .xlsx)")
    add_force_flag(p)
    add_json_flag(p)
    p.set_defaults(func=run)


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
    ...     code = run(sub.choices["project"].parse_args(["farm_film", "--until", "2027", "--json"]))
    >>> doc = json.loads(out.getvalue())
    >>> code, sorted(doc), doc["stocks"][-1]["year"]
    (0, ['indicators', 'stocks', 'until', 'written'], 2027)
    """
    from mfa.cli._common import write_park_output
    from mfa.dynamic_stocks import stocks
    from mfa.projection import project
    from mfa.time_series import indicator_series

    park = project(load_park(args.park), args.until, args.scenario)
    written = str(write_park_output(park, args.output, args)) if args.output else None
    series = indicator_series(park)
    held = stocks(park)
    if args.json:
        print_json({"until": args.until, "written": written, "indicators": series.series,
                    "stocks": held.to_dict()["stocks"]})
        return 0
    from mfa.cli._series import print_indicator_series

    print_indicator_series(park, argparse.Namespace(json=False, as_given=False), None)
    print()
    print("Stocks by year (t on 31 December)")
    with table_options(160, float_format=tonnes):
        print(held.table.pivot(index=["process", "material"], columns="year", values="stock").to_string())
    if written:
        print(f"wrote {written}")
    return 0
