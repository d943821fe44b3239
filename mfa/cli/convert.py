"""mfa convert PARK OUT — write a park in another format."""

from __future__ import annotations

import argparse
from typing import Any

from mfa.cli._common import (finish_command, add_park_argument, load_park, print_json,
                              write_park_output)

HELP = "convert a park between formats: OUT.yaml, OUT.xlsx or a folder of CSV files (no extension)"


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
    >>> args = sub.choices["convert"].parse_args(["hazardous", "hazardous.yaml"])
    >>> args.park, args.out
    ('hazardous', 'hazardous.yaml')
    """
    p = sub.add_parser("convert", help=HELP, description=HELP + ". Values are written in t/a and stocks in t.")
    add_park_argument(p)
    p.add_argument("out", metavar="OUT", help="output: a .yaml file, an .xlsx workbook, or a folder")
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
    >>> import argparse, contextlib, io, json, os, tempfile
    >>> sub = argparse.ArgumentParser(prog="mfa").add_subparsers()
    >>> register(sub)
    >>> with tempfile.TemporaryDirectory() as d, contextlib.redirect_stdout(io.StringIO()) as out:
    ...     code = run(sub.choices["convert"].parse_args(["hazardous", os.path.join(d, "h.yaml"), "--json"]))
    >>> doc = json.loads(out.getvalue())
    >>> code, doc["processes"], doc["flows"], doc["written"].endswith("h.yaml")
    (0, 22, 63, True)
    """
    from mfa.substance import read_substances

    park = load_park(args.park)
    # the substance tables go along, checked against the park (a bad row: located, exit 2)
    out = write_park_output(park, args.out, args, extra=read_substances(args.park, park).tables())
    if args.json:
        print_json({"written": str(out), "processes": len(park.processes), "flows": len(park.flows)})
    else:
        print(f"wrote {out} ({len(park.processes)} processes, {len(park.flows)} flows)")
    return 0
