"""mfa compare BASE OTHER [-o compare.html] — indicators, balances, flows and Sankeys side by side."""

from __future__ import annotations

import argparse

from mfa.cli._common import (add_solve_flags, add_year_flag, finish_command, load_park, park_year,
                             print_json_written, significant, table_options)
from mfa.formatting import LANGUAGES

HELP = "compare two parks (years, scenarios, a retrofit): indicators, flows and Sankeys with differences"
DESCRIPTION = HELP + """.

Differences are OTHER − BASE (t/a; rates in percentage points). Flows are matched by id
(source>target:material): added, removed, changed, same or unknown. With -o, writes one self-contained HTML
page with both Sankeys at the same scale (t/a per mm)."""


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``mfa compare`` to the command line's sub-commands (see :data:`HELP` and the ``--help`` text).

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
    >>> args = sub.choices["compare"].parse_args(["wuhai", "wuhai_retrofit", "--top", "5"])
    >>> args.base, args.other, args.top
    ('wuhai', 'wuhai_retrofit', 5)
    """
    p = sub.add_parser("compare", help=HELP, description=DESCRIPTION)
    p.add_argument("base", metavar="BASE", help="the reference park (folder, .yaml, .xlsx or example name)")
    p.add_argument("other", metavar="OTHER", help="the park to compare with it")
    add_year_flag(p)
    p.add_argument("--base-year", type=park_year, default=None, metavar="Y",
                   help="the period of BASE when it differs from --year (two years of one park: "
                        "mfa compare P P --base-year 2022 --year 2023)")
    p.add_argument("-o", "--output", metavar="FILE", help="write the comparison as an HTML page")
    p.add_argument("--lang", choices=LANGUAGES, default="en", help="language of the HTML page")
    p.add_argument("--scale", type=float, default=None, metavar="T_PER_MM",
                   help="Sankey scale, t/a per mm (default: the larger of the two fitted scales)")
    p.add_argument("--top", type=int, default=20, metavar="N", help="flows to print (largest changes first)")
    add_solve_flags(p, reconcile=True)
    finish_command(p, run)


def run(args: argparse.Namespace) -> int:
    """Run ``mfa compare`` with the parsed arguments; returns the exit code (a user's error is raised as
    :class:`mfa.errors.MfaError` and becomes a located message and exit 2).

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
    ...     code = run(sub.choices["compare"].parse_args(["hazardous", "hazardous", "--json"]))
    >>> doc = json.loads(out.getvalue())
    >>> code, len(doc["flows"]), {f["status"] for f in doc["flows"]}
    (0, 63, {'same'})
    """
    from pathlib import Path

    from mfa.errors import MfaError
    from mfa.report.compare import compare, write_compare

    if args.output and Path(args.output).suffix.lower() not in (".html", ".htm"):
        raise MfaError(f"the comparison is an HTML file: give -o a name ending in .html, not "
                       f"{Path(args.output).name!r}")
    from mfa.cli._common import check_scale

    check_scale(args.scale)
    base = load_park(args.base, year=args.base_year or args.year)
    other = load_park(args.other, year=args.year)
    if len(base.years) > 1 or len(other.years) > 1:
        from mfa.cli.project import show_trajectory_compare

        return show_trajectory_compare(args, base, other)
    check_scale(args.scale, base)
    check_scale(args.scale, other)
    if not args.as_given:  # both parks with their determinable unknowns computed, as every command does
        from mfa.solved import solve_park

        base = solve_park(base, reconcile=args.reconcile).park
        other = solve_park(other, reconcile=args.reconcile).park
    if args.output:
        cmp = write_compare(base, other, args.output, lang=args.lang, scale=args.scale)
    else:
        cmp = compare(base, other, scale=args.scale)
    if args.json:
        return print_json_written(cmp, args.output)
    with table_options(float_format=significant):
        print(f"Comparison: {cmp.base_name} → {cmp.other_name} (other − base)")
        if len(cmp.indicators):
            print("\nIndicators (fractions)")
            print(cmp.indicators[["id", "base", "other", "difference"]].to_string(index=False, na_rep=""))
        print("\nSystem balance (t/a)")
        print(cmp.system.to_string(index=False, na_rep=""))
        changed = cmp.flows[cmp.flows["status"] != "same"]
        counts = cmp.flows["status"].value_counts().sort_index()
        print("\nFlows: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
        if len(changed):
            print(changed.head(args.top)[["id", "base", "other", "difference", "status"]].to_string(
                index=False, na_rep=""))
        for n in cmp.notes:
            print(f"note: {n}")
        if args.output:
            print(f"\nwrote {args.output}")
    return 0
