"""mfa project PARK [SCENARIO] --until Y — the park continued year by year, its stocks with lifetimes running on."""

from __future__ import annotations

import argparse
from typing import Any

from mfa.cli._common import (add_park_argument, finish_command, load_park, park_year, print_json,
                             print_json_written, table_options, tonnes)

HELP = "continue a park year by year to a later year, as a scenario says (stocks with lifetimes run on)"
DESCRIPTION = HELP + """.

Each projected year repeats the park's last year (its flows, their transfer coefficients; a store's stock follows its flows);
a stock with a lifetime takes the new years' inflows and releases what its lifetime says. SCENARIO is a CSV
file of rows flow,column,year,value: the flow's value (column value) or transfer coefficient (column tc) in a
projected year, linear between the years given, held after the last; a blank value makes the flow unknown
from that year on (the balances compute it); a tc makes the flow's value unknown (the share decides it).
A new plant: a row PLANT,capacity,YEAR,T/A (optional columns kind, name, name_zh), rows SOURCE>PLANT:MATERIAL,take,YEAR,[most
t/a] with the optional column instead_of (where the tonnes go today; blank: the store's own stock) and rows
PLANT>TARGET:MATERIAL,tc,YEAR,SHARE (docs/time.md, "A new plant").
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
    p.add_argument("--what-it-takes", nargs="?", const="", default=None, metavar="TARGETS",
                   help="the tonnes of extra utilisation, per year, that would meet each target in its year "
                   "(the shipped targets, or a CSV file: indicator,comparison,value,year[,id,source])")
    finish_command(p, run, force=True)


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

    source = load_park(args.park)
    park = project(source, args.until, args.scenario)
    written = str(write_park_output(park, args.output, args)) if args.output else None
    series = indicator_series(park)
    held = stocks(park)
    wanted = getattr(args, "what_it_takes", None)
    needed = None
    if wanted is not None:
        from mfa.scenarios import what_it_takes

        needed = what_it_takes(park, targets=wanted or None)
    if args.json:
        extra = {} if needed is None else {"what_it_takes": needed.to_dict()["what_it_takes"]}
        print_json({"until": args.until, "written": written, "indicators": series.series,
                    "stocks": held.to_dict()["stocks"], **extra})
        return 0
    from mfa.cli._series import print_indicator_series

    print_indicator_series(park, argparse.Namespace(json=False, as_given=False), None)
    print()
    print("Stocks by year (t on 31 December)")
    with table_options(160, float_format=tonnes):
        print(held.table.pivot(index=["process", "material"], columns="year", values="stock").to_string())
    _print_plants(park, source)
    if needed is not None:
        print()
        print("What it takes: tonnes more utilised (≥ target) or less disposed (≤ target) to meet each target")
        with table_options(160, float_format=tonnes):
            print(needed.table.drop(columns=["target_source"]).to_string(index=False, na_rep=""))
    if written:
        print(f"wrote {written}")
    return 0


def _print_plants(park: Any, source: Any) -> None:
    """The flows of the scenario's new plants by projected year (what each takes, from where, what it sends)."""
    # the projection's processes beyond the park's are the scenario's new plants (project read the scenario)
    plants = set(park.processes["id"]) - set(source.processes["id"])
    if not plants:
        return
    f = park.flows
    f = f[(f["source"].isin(plants) | f["target"].isin(plants)) & (f["year"] > source.years[-1])]
    print()
    print("New plants of the scenario (t/a: what each takes and from where, what it sends out)")
    with table_options(160, float_format=tonnes):
        print(f.pivot_table(index="id", columns="year", values="value", sort=False).to_string())


def show_reconcile_series(args: argparse.Namespace, park: Any) -> int:
    """``mfa reconcile`` of a multi-year park without ``--year``: every year reconciled on its own, a table of
    one row per year (--json: ``{"years": [...], "flows": [...], "messages": [...]}``, each flow with its year).

    Parameters
    ----------
    args : argparse.Namespace
        The arguments of ``mfa reconcile`` (``bounds``, ``alpha``, ``max_iter``, ``covariance``, ``json``,
        ``output``).
    park : Park
        A park of several years.

    Returns
    -------
    int
        The exit code (0).

    Examples
    --------
    >>> import argparse, contextlib, io, json
    >>> import mfa
    >>> a = argparse.Namespace(bounds=False, alpha=0.05, max_iter=100, covariance=None, json=True, output=None)
    >>> with contextlib.redirect_stdout(io.StringIO()) as out:
    ...     code = show_reconcile_series(a, mfa.read_park("farm_film"))
    >>> code, [y["year"] for y in json.loads(out.getvalue())["years"]]
    (0, [2021, 2022, 2023, 2024, 2025])
    """
    from mfa.cli._common import emit, significant
    from mfa.errors import MfaError
    from mfa.time_series import reconcile_series

    if args.output:
        raise MfaError(f"-o writes one year's reconciled park: add --year Y (years {park.years[0]}–"
                       f"{park.years[-1]})")
    r = reconcile_series(park, bounds=args.bounds, alpha=args.alpha, max_iter=args.max_iter,
                         covariance=args.covariance)

    def text() -> None:
        print(f"Reconciliation of {park.info.name} by year (t/a); --year Y shows one year in full")
        with table_options(160, float_format=significant):
            print(r.years.to_string(index=False, na_rep=""))
            print()
            wide = r.flows.pivot(index="id", columns="year", values="value")
            print(wide.loc[r.flows["id"].drop_duplicates()].to_string(na_rep=""))

    return emit(args, r, text)


def show_trajectory_compare(args: argparse.Namespace, base: Any, other: Any) -> int:
    """``mfa compare`` of two trajectories (a park of several years on either side, no ``--year``): each rate
    and each stock per year, other − base (--json: ``{"base", "other", "years", "indicators", "stocks",
    "messages"}``; ``-o`` an HTML page, with the key ``output``).

    Parameters
    ----------
    args : argparse.Namespace
        The arguments of ``mfa compare`` (``json``, ``output``).
    base, other : Park
        The two trajectories.

    Returns
    -------
    int
        The exit code (0).

    Examples
    --------
    >>> import argparse, contextlib, io, json
    >>> import mfa
    >>> park = mfa.read_park("farm_film")
    >>> with contextlib.redirect_stdout(io.StringIO()) as out:
    ...     code = show_trajectory_compare(argparse.Namespace(json=True, output=None), park, park)
    >>> code, json.loads(out.getvalue())["years"][0]
    (0, 2021)
    """
    from mfa.cli._common import significant
    from mfa.report.compare import compare_trajectories, write_trajectory_compare

    cmp = compare_trajectories(base, other)
    if args.output:
        write_trajectory_compare(cmp, args.output)
    if args.json:
        return print_json_written(cmp, args.output)
    with table_options(160, float_format=significant):
        print(f"Trajectories compared: {cmp.base_name} → {cmp.other_name} (other − base, per year)")
        print("\nRates (fraction points)")
        print(cmp.indicators.pivot(index="id", columns="year", values="difference").to_string(na_rep=""))
        if len(cmp.stocks):
            print("\nStocks on 31 December (t)")
            print(cmp.stocks.pivot(index=["process", "material"], columns="year",
                                   values="difference").to_string(na_rep=""))
    if args.output:
        print(f"\nwrote {args.output}")
    return 0
