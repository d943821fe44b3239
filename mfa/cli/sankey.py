"""mfa sankey PARK -o OUT.{html,png,svg,pdf} — a Sankey diagram of the park."""

from __future__ import annotations

import argparse

from mfa.cli._common import finish_command, add_park_argument, add_solve_flags, load_park, print_json
from mfa.formatting import LANGUAGES, number

HELP = "draw a Sankey diagram of the park (interactive .html, or static .png/.svg/.pdf)"
DESCRIPTION = HELP + """.

Link widths are flows in t/a, coloured by material category; nodes are coloured by process kind and labelled
with their total. Imports and stock released sit in the first column; exports, emissions, landfill and stock
accumulated in the last; return flows are drawn as links running back
below (or above) the columns they span, with arrows. Air, water and flue gas are left out of the whole-park view
unless --carriers is given (the note says how much). Imbalances beyond the park's
tolerance are drawn to/from 'unaccounted (balance residual)'. The .html file is self-contained and works
offline. --scale fixes the width scale (t/a per mm of the static diagram) so that diagrams compare.

A park of several years gives one .html page with a diagram per year, all at one scale (the largest of the
years' fitted scales, unless --scale is given), and a time slider; without JavaScript the page shows the last
year. --year Y draws one year as for a one-year park (and any format)."""


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``mfa sankey`` to the command line's sub-commands.

    Parameters
    ----------
    sub : the sub-parsers of ``mfa``.

    Examples
    --------
    >>> parser = argparse.ArgumentParser(prog="mfa")
    >>> register(parser.add_subparsers())
    >>> parser.parse_args(["sankey", "wuhai", "-o", "w.html", "--carriers"]).carriers
    True
    >>> args = parser.parse_args(["sankey", "wuhai", "-o", "w.html", "--around", "cement_plant", "--depth", "2"])
    >>> args.around, args.depth
    ('cement_plant', 2)
    """
    p = sub.add_parser("sankey", help=HELP, description=DESCRIPTION)
    add_park_argument(p)
    p.add_argument("-o", "--output", required=True, metavar="OUT",
                   help="output file: .html (interactive, offline), .png, .svg or .pdf")
    p.add_argument("--material", metavar="M", help="only flows of these materials (comma-separated ids)")
    p.add_argument("--category", metavar="C",
                   help="only flows of these material categories (comma-separated, e.g. industrial_solid_waste)")
    p.add_argument("--group-by", choices=("group", "kind"), default=None,
                   help="aggregate processes by their 'group' column or by kind")
    p.add_argument("--lang", choices=LANGUAGES, default="en", help="label language (zh uses name_zh)")
    p.add_argument("--scale", type=float, default=None, metavar="T_PER_MM",
                   help="t/a per mm of link width (same number for diagrams that must compare)")
    p.add_argument("--carriers", action="store_true",
                   help="also draw air, water and flue gas (carrier flows: water and emission categories, and "
                        "what is drawn from the environment that is not a waste, product or fuel); off by default "
                        "in the whole-park view, where they would dwarf the wastes")
    p.add_argument("--around", metavar="PROCESS_OR_GROUP",
                   help="draw only the neighbourhood of this process (id) or group, process by process; what it "
                        "exchanges with the rest of the park is drawn as 'rest of park' nodes")
    p.add_argument("--depth", type=int, default=1, metavar="N",
                   help="with --around: 1 draws the processes it exchanges with, 2 also theirs (default 1)")
    p.add_argument("--no-residuals", action="store_true",
                   help="do not draw the residuals of imbalanced processes (to/from 'unaccounted')")
    add_solve_flags(p, reconcile=True)
    from mfa.cli._substance import add_substance_option

    add_substance_option(p, "draw the flows of this substance (t/a of it, at its own scale; carriers included), "
                            "from the joint goods and substance reconciliation")
    finish_command(p, run)


def run(args: argparse.Namespace) -> int:
    """Draw the Sankey of ``args.park`` into ``args.output``; print what was written (or ``--json``).

    Parameters
    ----------
    args : parsed by the parser :func:`register` adds.

    Returns
    -------
    int
        0 (errors are raised as :class:`~mfa.errors.MfaError` and printed by :func:`mfa.cli.main`, exit 2).

    Examples
    --------
    >>> import tempfile
    >>> from mfa.cli import main
    >>> main(["sankey", "hazardous", "-o", tempfile.mkdtemp() + "/h.html"])  # doctest: +ELLIPSIS
    wrote .../h.html: ... nodes, ... links, scale ... t/a per mm
    ...
    0
    """
    from mfa.errors import MfaError
    from mfa.sankey_diagram import sankey

    from mfa.cli._common import check_scale

    check_scale(args.scale)
    from pathlib import Path

    ext = Path(args.output).suffix.lower()
    if ext not in (".html", ".htm", ".png", ".svg", ".pdf"):
        raise MfaError(f"cannot save a Sankey as {Path(args.output).name!r}: use a .html, .png, .svg or .pdf "
                       "file name")
    park = load_park(args.park)
    check_scale(args.scale, park)
    if len(park.years) > 1:
        return _run_series(args, park)
    note = ""
    if args.substance:
        from mfa.cli._substance import substance_view

        park, note = substance_view(args.park, park, args.substance)
    elif args.reconcile:
        from mfa.report import reconciled

        park, note = reconciled(park)
    elif not args.as_given:
        from mfa.solved import solve_park

        solved = solve_park(park)
        park, note = solved.park, solved.note
    diagram = sankey(park, **_drawing(args), carriers=True if args.carriers or args.substance else None,
                     title=f"{park.info.name} — {args.substance} (t/a of {args.substance})" if args.substance else None)
    path = diagram.save(args.output)
    summary = {"output": str(path), **diagram.summary}
    return _tell(args, summary, f"{summary['nodes']} nodes, {summary['links']} links, "
                                f"scale {number(diagram.scale)} t/a per mm",
                 ([note] if note else []) + list(diagram.messages))


def _drawing(args: argparse.Namespace) -> dict:
    """What to draw, as :func:`mfa.sankey` takes it (carriers aside)."""
    return dict(material=args.material, category=args.category, group_by=args.group_by, lang=args.lang,
                scale=args.scale, residuals=not args.no_residuals, around=args.around, depth=args.depth)


def _tell(args: argparse.Namespace, summary: dict, what: str, notes: list) -> int:
    """Print the ``--json`` summary, or what was written and the notes."""
    if args.json:
        print_json(summary)
    else:
        print(f"wrote {summary['output']}: {what}")
        for message in notes:
            print(f"note: {message}")
    return 0


def _run_series(args: argparse.Namespace, park) -> int:
    """The slider page of a multi-year park (:func:`mfa.sankey_diagram.series.sankey_series`)."""
    from pathlib import Path

    from mfa.errors import MfaError
    from mfa.sankey_diagram.series import sankey_series

    years = f"{park.years[0]}–{park.years[-1]}"
    if Path(args.output).suffix.lower() not in (".html", ".htm"):
        raise MfaError(f"{args.output}: the park holds {years}; the Sankeys of every year go to one .html page "
                       f"with a time slider; for a .png/.svg/.pdf draw one year with --year {park.years[-1]}")
    if args.substance or args.reconcile:
        flag = "--substance" if args.substance else "--reconcile"
        raise MfaError(f"{flag} draws one year: the park holds {years}; add --year {park.years[-1]}")
    series = sankey_series(park, solve=not args.as_given, **_drawing(args),
                           carriers=True if args.carriers else None)
    path = series.save(args.output)
    return _tell(args, {"output": str(path), **series.summary},
                 f"{len(series.years)} years ({years}) with a time slider, {len(series.links)} links, "
                 f"one scale {number(series.scale)} t/a per mm", list(series.messages))
