"""The ``mfa`` command. Each module in this package (not starting with ``_``) is one sub-command with
``register(subparsers)`` and ``run(args) -> int``; they are discovered by name, sorted.

Exit codes: 0 success; 1 the check found a problem (e.g. imbalanced processes); 2 invalid input or usage;
3 an internal error (a bug: the traceback only with ``--debug``).
"""

from __future__ import annotations

import argparse
import gc
import importlib
import os
import pkgutil
import sys
from typing import NoReturn

# Arrow's jemalloc pool hands freed buffers back to the system where its default (mimalloc) keeps them: reading
# a 10⁶-row file peaked at 489–509 MB with the default and 452–456 MB with jemalloc (hostile input must stay
# under 500 MB, tests/test_hostile.py). The command is its own process: a user's ARROW_DEFAULT_MEMORY_POOL still
# wins, and the Python API leaves the choice to the program that imports it.
os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "jemalloc")

EPILOG = """conventions:
  units      every flow in t/a (files may use t, kg, kt, Mt, 万t, 万吨, 亿t per a/yr/month/d/h;
             per-day figures × days_per_year, 365 unless the park says otherwise); stocks in t
  signs      residual = inputs − outputs − stock change (closing − opening)
  boundary   import, export, environment and landfill processes; the rest must balance
  fates      to production = utilised, landfill/treatment = disposed, storage = stored,
             environment = discarded, export = exported; a flow's 'fate' column overrides
  PARK       a folder of CSV files, a .yaml file, an .xlsx workbook, or a shipped example name
             (wuhai, baotou, hazardous, bayannur)
  periods    a park is one year (blank 'year' = the park's year); rows of several years are
             refused unless --year Y selects one
exit codes: 0 ok, 1 a check failed (e.g. imbalanced processes), 2 invalid input"""


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The ``mfa`` parser with every command of this package (discovered by module name, sorted).

    Parameters
    ----------
    only : str, optional
        Register this command alone (its module is the only one imported): what ``main`` does when the command
        line names one, since importing all twenty command modules and building their parsers cost ``mfa check``
        10–15 ms of its start. ``mfa --help`` and a mistyped command still get the full parser.

    Returns
    -------
    argparse.ArgumentParser
        ``parse_args`` sets ``command`` and ``func`` (the command's ``run``).

    Examples
    --------
    >>> args = build_parser().parse_args(["check", "hazardous"])
    >>> args.command, args.park, args.func.__module__
    ('check', 'hazardous', 'mfa.cli.check')
    """
    import mfa

    parser = argparse.ArgumentParser(
        prog="mfa", description="circular-mfa: material flow analysis for industrial parks and regions.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"circular-mfa {mfa.__version__}")
    parser.add_argument("--debug", action="store_true", help="show a traceback on internal errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in _command_names():
        if only is not None and name != only:
            continue
        module = importlib.import_module(f"mfa.cli.{name}")
        if hasattr(module, "register"):
            module.register(sub)
    return parser


def _command_names() -> list[str]:
    """The modules of this package that are commands (not starting with ``_``), sorted; none is imported."""
    import mfa.cli as pkg

    return sorted(m.name for m in pkgutil.iter_modules(pkg.__path__) if not m.name.startswith("_"))


def main(argv: list[str] | None = None) -> int:
    """Run ``mfa`` with ``argv`` (default: the command line) and return the exit code: 0 ok, 1 a check
    failed, 2 invalid input or usage (a located message, never a traceback), 3 an internal error.

    Parameters
    ----------
    argv : list of str, optional
        The arguments after ``mfa``.

    Returns
    -------
    int
        The exit code.

    Examples
    --------
    >>> main(["balance", "no-such-park"])
    2
    """
    from mfa.cli._common import report_error

    parser = build_parser(_named_command(sys.argv[1:] if argv is None else argv))
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # the boundary where errors become messages, never tracebacks
        return report_error(exc, args)


def _named_command(argv: list[str]) -> str | None:
    """The command the arguments name, if it is one of this package's (after ``--debug`` only)."""
    for arg in argv:
        if arg == "--debug":
            continue
        return arg if arg in _command_names() else None
    return None


def console() -> NoReturn:
    """The ``mfa`` command's entry point: :func:`main` on the command line, then exit with its code.

    Python's last collection at exit walks every object that numpy, pandas and pyarrow made when imported:
    60–90 ms of the half second ``mfa check wuhai`` takes (issue 13). Freezing them first leaves their memory to
    the operating system, which frees the whole process at once; files are closed and exit handlers run as
    before. Only the command does this: a program that calls :func:`main` keeps its collector as it was.
    """
    code = main()
    gc.freeze()
    sys.exit(code)


if __name__ == "__main__":
    console()
