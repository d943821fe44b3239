"""mfa new OUT.xlsx — an empty park workbook to fill in."""

from __future__ import annotations

import argparse
from typing import Any

from mfa.cli._common import finish_command, print_json

HELP = "write an empty park workbook (sheets, notes row, drop-down lists for kind, material, category)"


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
    >>> args = sub.choices["new"].parse_args(["park.xlsx", "--force"])
    >>> args.out, args.force
    ('park.xlsx', True)
    """
    p = sub.add_parser("new", help=HELP, description=HELP + ". Row 2 of every sheet is a notes row "
                       "(starting with '#'), skipped when the workbook is read.")
    p.add_argument("out", metavar="OUT.xlsx", help="workbook to write")
    p.add_argument("--force", action="store_true", help="overwrite an existing file")
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
    >>> import argparse, contextlib, io, json, os, tempfile
    >>> sub = argparse.ArgumentParser(prog="mfa").add_subparsers()
    >>> register(sub)
    >>> with tempfile.TemporaryDirectory() as d, contextlib.redirect_stdout(io.StringIO()) as out:
    ...     code = run(sub.choices["new"].parse_args([os.path.join(d, "park.xlsx"), "--json"]))
    ...     written = os.path.isfile(json.loads(out.getvalue())["written"])
    >>> code, written
    (0, True)
    """
    from pathlib import Path

    from mfa.errors import MfaError
    from mfa.io.template import write_template

    out = Path(args.out)
    if out.suffix.lower() != ".xlsx":
        raise MfaError(f"{out}: the template is an Excel workbook; name it with .xlsx")
    if out.exists() and not args.force:
        raise MfaError(f"{out} exists; use --force to overwrite it")
    write_template(out)
    if args.json:
        print_json({"written": str(out)})
    else:
        print(f"wrote {out}: fill in the sheets processes and flows (rows from 3), then run 'mfa check {out}'")
    return 0
