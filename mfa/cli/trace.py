"""mfa trace PARK — where every waste stream goes: shares ending utilised, disposed, stored, discarded, exported."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from mfa.cli._common import finish_command, add_solve_flags, emit, park_command, prepare_park, table_options, tonnes

if TYPE_CHECKING:
    from mfa.tracing import TraceResult

HELP = "trace each waste stream from its origin to its fates (absorbing Markov chain; loops exact)"
DESCRIPTION = HELP + """.

Two conventions (--convention): official (enterprise reporting: a flow into production is utilised, into
landfill or treatment disposed, into the environment discarded; collection points and stores pass waste on)
and traced (each tonne followed through every process that passes waste on; a process utilises only what it
receives beyond the waste it sends on). Stores: newly stored = max(0, closing − opening), prior-year storage
drawn = max(0, opening − closing), the rest passes through. Waste exported without a declared fate (processes
or flows 'fate' column) is unresolved. Unknown flows that the balances determine are computed first
(--as-given: not). For every origin the fates add up to what it sent (t/a)."""


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
    >>> args = sub.choices["trace"].parse_args(["hazardous", "--origin", "maintenance_centre"])
    >>> args.park, args.origin, args.convention
    ('hazardous', 'maintenance_centre', 'official')
    """
    p = park_command(sub, "trace", HELP, DESCRIPTION)
    p.add_argument("--material", metavar="M", help="trace only this material (default: every waste material)")
    p.add_argument("--origin", metavar="P", help="trace only the waste sent by this process")
    p.add_argument("--convention", choices=("official", "traced"), default="official",
                   help="official (enterprise reporting, default) or traced (each tonne to where it finally ends)")
    add_solve_flags(p)
    from mfa.cli._substance import add_substance_option

    add_substance_option(p, "where this substance of each waste ends (products, landfill, air, water, soil …) "
                            "and the recovery per process, from the joint goods and substance reconciliation")
    p.add_argument("--series", action="store_true",
                   help="the fates of every year of the park, summed by material and fate (automatic when the "
                        "park holds several years; --year Y: that year only)")
    p.add_argument("--flows", action="store_true",
                   help="also list every waste flow with its own fate, the rule that gave it, and its stage")
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
    ...     code = run(sub.choices["trace"].parse_args(["hazardous", "--origin", "maintenance_centre", "--json"]))
    >>> code
    0
    >>> [(f["material"], f["fate"], f["tonnes"]) for f in json.loads(out.getvalue())["fates"]]
    [('hw08_waste_mineral_oil', 'utilised', 1100.0), ('hw49_other_wastes', 'disposed', 170.0),
     ('waste_lead_acid_batteries', 'utilised', 50.0)]
    """
    from dataclasses import replace

    from mfa.errors import Issue
    from mfa.tracing import trace

    from mfa.cli._common import load_park

    if args.substance:
        from mfa.cli._substance import trace_substance

        return trace_substance(args, load_park(args.park))
    park = load_park(args.park)
    if args.series or len(park.years) > 1:
        return _run_series(args, park)
    park, solved = prepare_park(args, park)
    result = trace(park, material=args.material, origin=args.origin, convention=args.convention, solve=False)
    if solved is not None and solved.note:
        result = replace(result, messages=(Issue.note(solved.note),) + result.messages)
    if args.flows:
        from mfa.fate import fates

        flows = fates(park, args.material)
        result = replace(result, flows=flows[flows["source"] == args.origin] if args.origin else flows)
    return emit(args, result, lambda: _show_text(park.info.name, result, args))


def _run_series(args: argparse.Namespace, park: Any) -> int:
    """``--series``: the fates of every year (:func:`mfa.trace_series`), as a table of tonnes per material,
    fate and year (``--json``: the :class:`mfa.time_series.FateSeries` document)."""
    from mfa.errors import MfaError
    from mfa.time_series import trace_series

    if args.origin or args.material or args.flows:
        flag = "--origin" if args.origin else "--material" if args.material else "--flows"
        year = park.years[-1] if park.years else 2025
        raise MfaError(f"{flag} traces one year; --series (or a park of several years) traces every year: "
                       f"add --year {year}")
    result = trace_series(park, convention=args.convention, solve=not args.as_given)

    def show() -> None:
        fates = result.fates
        years = park.years
        span = f"{years[0]}–{years[-1]}" if len(years) > 1 else str(years[0]) if years else ""
        print(f"Fates of the waste streams of {park.info.name} by year {span} ({args.convention} convention; t/a)")
        wide = fates.pivot_table(index=["material", "fate"], columns="year", values="tonnes", aggfunc="sum",
                                 sort=False, fill_value=0.0)
        with table_options(float_format=tonnes):
            print(wide.to_string() if len(wide) else "(nothing to trace: no waste with known values)")
        for issue in result.messages:
            print(f"note: {issue}")

    return emit(args, result, show)


def _show_text(park_name: str, result: TraceResult, args: argparse.Namespace) -> None:
    with table_options(float_format=tonnes):
        print(f"Fates of the waste streams of {park_name} ({args.convention} convention; t/a; share of what "
              "the origin sent)")
        if len(result.table):
            print(result.table.to_string(index=False))
        else:
            print("(nothing to trace for this selection: no waste with known values leaves it)")
        if (args.origin or args.material) and len(result.destinations):
            print()
            print("Destinations (t/a)")
            print(result.destinations.to_string(index=False))
        if result.flows is not None:
            print()
            print("Waste flows and their own fates (passed_on = continues through a collection process)")
            print(result.flows[["id", "material", "value", "fate", "rule", "stage", "route"]].to_string(index=False))
        for issue in result.issues:
            print(f"note: {issue}")
