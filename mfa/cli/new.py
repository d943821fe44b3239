"""mfa new OUT.xlsx — an empty park workbook to fill in."""

from __future__ import annotations

import argparse
from typing import Any

from mfa.cli._common import add_json_flag, print_json

HELP = "write an empty park workbook (sheets, notes row, drop-down lists for kind, material, category)"


def register(sub: Any) -> None:
    """Add the command's parser to ``sub`` (the sub-parsers of ``mfa``)."""
    p = sub.add_parser("new", help=HELP, description=HELP + ". Row 2 of every sheet is a notes row "
                       "(starting with '#'), skipped when the workbook is read.")
    p.add_argument("out", metavar="OUT.xlsx", help="workbook to write")
    p.add_argument("--force", action="store_true", help="overwrite an existing file")
    add_json_flag(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the command; the exit code (0 ok; errors are raised and become exit 2 in :func:`mfa.cli.main`)."""
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
