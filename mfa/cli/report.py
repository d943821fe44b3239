"""mfa report PARK -o report.html — the park report as one self-contained offline HTML file."""

from __future__ import annotations

import argparse

from mfa.cli._common import finish_command, add_park_argument, add_solve_flags, load_park, print_json
from mfa.formatting import LANGUAGES

HELP = "write the park report: summary, balances, indicators vs targets, Sankey, trace, data quality (HTML)"
DESCRIPTION = HELP + """.

One HTML file that works offline (Sankeys and charts as inline SVG, no script library); all park text is escaped;
the same park gives a byte-identical file. Sections whose engine fails show a note instead."""


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``mfa report`` to the command line's sub-commands (see :data:`HELP` and the ``--help`` text).

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
    >>> args = sub.choices["report"].parse_args(["hazardous", "-o", "hazardous.html", "--lang", "zh"])
    >>> args.park, args.output, args.lang, args.as_given
    ('hazardous', 'hazardous.html', 'zh', False)
    """
    p = sub.add_parser("report", help=HELP, description=DESCRIPTION)
    add_park_argument(p)
    p.add_argument("-o", "--output", required=True, metavar="FILE", help="output .html file")
    p.add_argument("--lang", choices=LANGUAGES, default="en", help="report language")
    p.add_argument("--scale", type=float, default=None, metavar="T_PER_MM",
                   help="Sankey width scale, t/a per mm (default: fitted)")
    add_solve_flags(p, reconcile=True)
    finish_command(p, run)


def run(args: argparse.Namespace) -> int:
    """Run ``mfa report`` with the parsed arguments; returns the exit code (a user's error is raised as
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
    >>> import argparse, contextlib, io, json, os, tempfile
    >>> sub = argparse.ArgumentParser(prog="mfa").add_subparsers()
    >>> register(sub)
    >>> with tempfile.TemporaryDirectory() as d, contextlib.redirect_stdout(io.StringIO()) as out:
    ...     code = run(sub.choices["report"].parse_args(["hazardous", "-o", os.path.join(d, "r.html"), "--json"]))
    >>> doc = json.loads(out.getvalue())
    >>> code, doc["lang"], doc["output"].endswith("r.html"), doc["bytes"] > 0
    (0, 'en', True, True)
    """
    from pathlib import Path

    from mfa.errors import MfaError
    from mfa.report import write_report

    out = Path(args.output)
    if out.suffix.lower() not in (".html", ".htm"):
        raise MfaError(f"the report is an HTML file: give -o a name ending in .html, not {out.name!r}")
    from mfa.cli._common import check_scale

    check_scale(args.scale)
    park = load_park(args.park)
    check_scale(args.scale, park)
    # the park's substance layer, if it has one, is read by the report itself (from park.source)
    path = write_report(park, out, lang=args.lang, scale=args.scale, reconcile=args.reconcile,
                        solve=not args.as_given)
    size = path.stat().st_size
    from mfa.report.detail import flows_csv_path

    csv = flows_csv_path(path)
    if args.json:
        print_json({"output": str(path), "bytes": size, "lang": args.lang, "flows_csv": str(csv)})
    else:
        print(f"wrote {path} ({size / 1e6:.1f} MB, self-contained) and every flow in {csv}")
    return 0
