"""Helpers shared by the sub-commands."""

from __future__ import annotations

import argparse
import sys
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from mfa.errors import MfaError, ParkError
from mfa.formatting import number as significant, tonnes  # the one number formatter

if TYPE_CHECKING:
    from mfa.park import Park
    from mfa.results import Result
    from mfa.solved import SolvedPark

MAX_PRINTED_ISSUES = 500


class ParkSource(str):
    """The PARK argument as given, carrying the period selected with ``--year`` (None: the park's own).

    It is a ``str``, so every command keeps calling ``load_park(args.park)``; the two argparse actions
    below attach the year whichever of PARK and ``--year`` comes first on the command line.
    """

    year: int | None

    def __new__(cls, text: str, year: int | None = None) -> "ParkSource":
        obj = super().__new__(cls, text)
        obj.year = year
        return obj


class _ParkAction(argparse.Action):
    def __call__(self, parser, namespace, values, option_string=None):
        setattr(namespace, self.dest, ParkSource(values, getattr(namespace, "year", None)))


class _YearAction(argparse.Action):
    def __call__(self, parser, namespace, values, option_string=None):
        setattr(namespace, self.dest, values)
        for dest in ("park", "base", "other"):  # the PARK arguments of every command
            given = getattr(namespace, dest, None)
            if isinstance(given, str):
                setattr(namespace, dest, ParkSource(given, values))


def park_year(text: str) -> int:
    """argparse type of a year option: a whole year between 1900 and 2200.

    Parameters
    ----------
    text : str
        The option's value as typed.

    Returns
    -------
    int
        The year; ``argparse.ArgumentTypeError`` (a usage error, exit 2) otherwise.

    Examples
    --------
    >>> park_year("2023")
    2023
    >>> park_year("23")
    Traceback (most recent call last):
    argparse.ArgumentTypeError: not a year between 1900 and 2200: 23
    """
    try:
        y = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a year: {text!r} (e.g. --year 2023)") from None
    if not 1900 <= y <= 2200:
        raise argparse.ArgumentTypeError(f"not a year between 1900 and 2200: {y}")
    return y


def add_year_flag(parser: argparse.ArgumentParser) -> None:
    """``--year Y``: the period to read when the park's rows carry more than one (see mfa.io.periods)."""
    parser.add_argument("--year", type=park_year, default=None, metavar="Y", action=_YearAction,
                        help="read only the rows of period Y (blank year = the park's year) and report "
                             "for Y; needed when the park's rows carry more than one year")


def add_park_argument(parser: argparse.ArgumentParser) -> None:
    """PARK and ``--year Y``, for every command that reads one park."""
    parser.add_argument("park", metavar="PARK", action=_ParkAction,
                        help="a folder of CSV files, a .yaml file, an .xlsx workbook, or a shipped example name")
    add_year_flag(parser)


def park_command(sub: Any, name: str, help: str, description: str | None = None) -> argparse.ArgumentParser:
    """Add a command that reads one park: its parser, with PARK and ``--year`` already added.

    Parameters
    ----------
    sub : argparse._SubParsersAction
        The sub-parsers of ``mfa``.
    name : str
        The command's name.
    help : str
        One line for ``mfa --help``.
    description : str, optional
        The command's ``--help`` text (default: ``help``).

    Returns
    -------
    argparse.ArgumentParser
        The command's parser, to which the command adds its own options.

    Examples
    --------
    >>> sub = argparse.ArgumentParser(prog="mfa").add_subparsers()
    >>> p = park_command(sub, "look", "look at a park")
    >>> p.parse_args(["wuhai", "--year", "2023"]).park.year
    2023
    """
    parser = sub.add_parser(name, help=help, description=description or help)
    add_park_argument(parser)
    return parser


def add_json_flag(parser: argparse.ArgumentParser) -> None:
    """``--json``: print one JSON document on stdout (the command's ``result.to_json()``)."""
    parser.add_argument("--json", action="store_true", help="print one JSON document on stdout")


def finish_command(parser: argparse.ArgumentParser, run: Callable[[argparse.Namespace], int], *,
                   force: bool = False) -> None:
    """Close a command's parser: ``--force`` where it writes files, ``--json``, and the function that runs it.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The command's parser (from :func:`park_command` or ``add_parser``).
    run : callable
        ``run(args) -> exit code``.
    force : bool
        Add ``--force`` (the command may overwrite a file mfa wrote).

    Examples
    --------
    >>> p = argparse.ArgumentParser(prog="look")
    >>> finish_command(p, lambda args: 0, force=True)
    >>> args = p.parse_args(["--json", "--force"])
    >>> args.json, args.force, args.func(args)
    (True, True, 0)
    """
    if force:
        add_force_flag(parser)
    add_json_flag(parser)
    parser.set_defaults(func=run)


def _tolerance(text: str) -> float:
    import math

    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text[:40]!r}") from None
    if not (math.isfinite(v) and v >= 0):
        raise argparse.ArgumentTypeError(f"a tolerance is a finite number ≥ 0, not {text[:40]!r}")
    return v


def add_tolerance_flags(parser: argparse.ArgumentParser) -> None:
    """``--rel-tol R`` and ``--abs-tol T``: the balance tolerances (None = the park's settings)."""
    parser.add_argument("--rel-tol", type=_tolerance, default=None, metavar="R",
                        help="relative balance tolerance, share of max(inputs, outputs) (park default 0.01)")
    parser.add_argument("--abs-tol", type=_tolerance, default=None, metavar="T",
                        help="absolute balance tolerance in t/a (park default 0.01)")


def add_force_flag(parser: argparse.ArgumentParser) -> None:
    """``--force``: replace an output folder holding files mfa did not write."""
    parser.add_argument("--force", action="store_true",
                        help="replace an existing output folder even if it holds files mfa did not write")


def write_park_output(park: Park, out: str, args: argparse.Namespace, extra: dict | None = None) -> Path:
    """Write a park as a command's output (with the ``extra`` tables, e.g. its substance layer's), never over
    the park being read, nor over a folder holding files mfa did not write (unless --force)."""
    from mfa.io import resolve_park_path, write_park

    try:
        source = resolve_park_path(args.park)
    except MfaError:
        source = None
    return write_park(park, out, force=bool(getattr(args, "force", False)), source=source, extra=extra)


MAX_DRAWN_MM = 1e5  # a link wider than 100 m is a mistake in --scale, and would overflow the renderers


def check_scale(scale: float | None, park: Park | None = None) -> None:
    """--scale (t/a per mm): a positive finite number that draws no flow of ``park`` wider than 100 m."""
    import math

    if scale is None:
        return
    if not (math.isfinite(scale) and scale > 0):
        raise MfaError(f"--scale must be a positive number of t/a per mm, not {scale}")
    if park is not None:
        v = park.flows["value"]
        biggest = float(v.max()) if v.notna().any() else 0.0
        if biggest / scale > MAX_DRAWN_MM:
            raise MfaError(f"--scale {scale:g} t/a per mm would draw the largest flow ({biggest:,.4g} t/a) "
                           f"{biggest / scale:,.3g} mm wide; give at least {biggest / MAX_DRAWN_MM:.3g}")


def table_options(width: int = 160, *, float_format: Any = None, max_columns: int | None = 20,
                  max_colwidth: int | None = None) -> AbstractContextManager:
    """pandas display options for a command's text tables: every row, lines up to ``width`` characters;
    ``float_format``, ``max_columns`` and ``max_colwidth`` are set when given (None: pandas' own)."""
    import pandas as pd

    opts: list[Any] = ["display.max_rows", None, "display.width", width]
    for name, value in (("display.max_columns", max_columns), ("display.max_colwidth", max_colwidth),
                        ("display.float_format", float_format)):
        if value is not None:
            opts += [name, value]
    return pd.option_context(*opts)


def add_solve_flags(parser: argparse.ArgumentParser, reconcile: bool = False) -> None:
    """``--as-given`` (and ``--reconcile`` where the command offers it): how unknown flows are treated."""
    parser.add_argument("--as-given", action="store_true",
                        help="use the data as given: do not compute the unknown flows that the balances determine "
                             "(by default they are computed first; measured values are kept as given)")
    if reconcile:
        parser.add_argument("--reconcile", action="store_true",
                            help="compute unknown flows and also reconcile measured ones (mfa reconcile) first")


def prepare_park(args: argparse.Namespace, park: Park | None = None) -> tuple[Park, SolvedPark | None]:
    """Read the command's park and compute its determinable unknown flows (unless ``--as-given``).

    Parameters
    ----------
    args : argparse.Namespace
        The command's arguments: ``park``, and ``as_given`` / ``reconcile`` when the command has them.
    park : mfa.Park, optional
        The park, when the command has read it already.

    Returns
    -------
    tuple of (mfa.Park, mfa.solved.SolvedPark or None)
        The park to compute on, and what solving did (None with ``--as-given``).
    """
    park = load_park(args.park) if park is None else park
    if getattr(args, "as_given", False):
        return park, None
    from mfa.solved import solve_park

    solved = solve_park(park, reconcile=bool(getattr(args, "reconcile", False)))
    return solved.park, solved


def solved_unless_given(args: argparse.Namespace) -> Park:
    """Read the command's park with its determinable unknown flows computed, unless ``--as-given``, or
    ``--reconcile`` (an engine with a ``reconcile`` argument then reconciles the park as read).

    Parameters
    ----------
    args : argparse.Namespace
        The command's arguments: ``park``, ``as_given`` and ``reconcile``.

    Returns
    -------
    mfa.Park
        The park to hand to the engine.

    Examples
    --------
    >>> args = argparse.Namespace(park=ParkSource("hazardous"), as_given=False, reconcile=False)
    >>> solved_unless_given(args).flows["value"].isna().sum()
    0
    """
    park = load_park(args.park)
    if args.as_given or args.reconcile:
        return park
    from mfa.solved import solve_park

    return solve_park(park).park


def emit(args: argparse.Namespace, result: Result, show_text: Callable[[], object], **extra: Any) -> int:
    """Print a command's result: with ``--json`` its document, else the text that ``show_text`` prints.

    Parameters
    ----------
    args : argparse.Namespace
        The command's arguments (``json``).
    result : mfa.results.Result
        What the engine returned; its ``to_json()`` is the ``--json`` document.
    show_text : callable
        Prints the text output (called without arguments, only without ``--json``).
    **extra
        Keys a command adds to the document (e.g. where it wrote a file).

    Returns
    -------
    int
        The exit code, 0.

    Examples
    --------
    >>> import mfa
    >>> r = mfa.trace(mfa.read_park("hazardous"), origin="hw_reception")
    >>> emit(argparse.Namespace(json=False), r, lambda: print("traced"))
    traced
    0
    """
    if not args.json:
        show_text()
    elif extra:
        print_json({**result.to_dict(), **extra})
    else:
        print_json_result(result)
    return 0


def load_park(path: str, year: int | None = None) -> Park:
    """Read a park for a command; errors propagate to :func:`report_error` (exit 2).

    Parameters
    ----------
    path : str
        The PARK argument (a :class:`ParkSource` carries ``--year``), a path or a shipped example's name.
    year : int, optional
        The period to keep; None takes the one given with ``--year``, else the park must be of one period.

    Returns
    -------
    mfa.Park
        The park read.

    Examples
    --------
    >>> load_park(ParkSource("hazardous")).info.name
    'Hazardous-waste chain of an industrial park'
    """
    from mfa.park import read_park

    if year is None:
        year = getattr(path, "year", None)
    return read_park(str(path), year=year)


def print_json(obj: Any) -> None:
    """Print one JSON document (a dict of plain values, frames or results) on stdout.

    Parameters
    ----------
    obj : Any
        Anything :func:`mfa.results.jsonable` accepts.

    Examples
    --------
    >>> print_json({"written": "out.yaml", "flows": float("nan")})
    {
      "written": "out.yaml",
      "flows": null
    }
    """
    from mfa.results import dumps

    sys.stdout.write(dumps(obj) + "\n")


def print_json_written(result: Any, output: Any) -> int:
    """Print ``result.to_dict()`` as JSON with ``"output"``, the file it was written to (when one was).

    Parameters
    ----------
    result : mfa.results.Result
        What the command computed.
    output : str or Path or None
        Where the command wrote it (``-o``), or None.

    Returns
    -------
    int
        0, the exit code.

    Examples
    --------
    >>> from mfa.results import Result
    >>> print_json_written(Result(), "x.html")
    {
      "messages": [],
      "output": "x.html"
    }
    0
    """
    out = result.to_dict()
    if output:
        out["output"] = str(output)
    print_json(out)
    return 0


def print_json_result(result: Any) -> None:
    """Print a command's result as its ``--json`` document: ``result.to_json()``, the one serialisation.

    Parameters
    ----------
    result : mfa.results.Result
        Anything with ``to_json()``.

    Examples
    --------
    >>> import mfa
    >>> print_json_result(mfa.trace(mfa.read_park("hazardous"), origin="hw_reception"))  # doctest: +ELLIPSIS
    {
      "material": null,
      "origin": "hw_reception",
    ...
    """
    sys.stdout.write(result.to_json() + "\n")


#: The frame of a printed error in English (the Chinese: mfa.i18n.ISSUE_WORDS_ZH, imported only when asked for).
ERROR_WORDS = {"problems": "error: {n} problem{s} in the input:",
               "more_problems": "… and {n} more (use --json to see all)", "error": "error: {text}"}



def report_error(exc: BaseException, args: argparse.Namespace | None = None) -> int:
    """Print a user error (exit 2) or an internal error (exit 3), never a traceback unless --debug.

    Parameters
    ----------
    exc : BaseException
        What the command raised.
    args : argparse.Namespace, optional
        The command's arguments (``--json``: the error is also printed as a JSON document; ``--debug``: an
        internal error is raised again, with its traceback; ``--lang zh``: a user error is printed in Chinese,
        each located issue by its code, see :meth:`mfa.errors.Issue.text`; the JSON document stays as it is).

    Returns
    -------
    int
        The exit code: 2 for :class:`~mfa.errors.MfaError` (a :class:`~mfa.errors.ParkError` prints every
        located issue) and OSError, 3 for anything else.

    Examples
    --------
    >>> import contextlib, io
    >>> with contextlib.redirect_stderr(io.StringIO()) as err:
    ...     code = report_error(KeyError("x"))
    >>> code, err.getvalue().splitlines()[0]
    (3, "internal error: KeyError: 'x'")
    >>> from mfa.errors import Issue, Message
    >>> bad = ParkError([Issue("flows.csv", Message("not a number", "input.not_what", what="a number"), row=2,
    ...                        column="value", value="abc")])
    >>> with contextlib.redirect_stderr(io.StringIO()) as err:
    ...     code = report_error(bad, argparse.Namespace(lang="zh"))
    >>> print(err.getvalue().rstrip())
    错误：输入中有 1 处问题：
      - flows.csv，第 2 行，“value”列：不是有效的数字（值：'abc'）
    """
    as_json = bool(getattr(args, "json", False))
    lang = "zh" if getattr(args, "lang", "en") == "zh" else "en"
    if lang == "zh":
        from mfa.i18n import ISSUE_WORDS_ZH as words
    else:
        words = ERROR_WORDS
    if isinstance(exc, ParkError):
        if as_json:
            print_json({"error": "invalid input", "issues": [i.to_dict() for i in exc.issues]})
        n = len(exc.issues)
        print(words["problems"].format(n=n, s="s" if n != 1 else ""), file=sys.stderr)
        for issue in exc.issues[:MAX_PRINTED_ISSUES]:
            print(f"  - {issue.text(lang)}", file=sys.stderr)
        if n > MAX_PRINTED_ISSUES:
            print("  " + words["more_problems"].format(n=n - MAX_PRINTED_ISSUES), file=sys.stderr)
        return 2
    if isinstance(exc, (MfaError, OSError)):  # a missing file, a full disk, a read-only file system…
        if as_json:
            print_json({"error": str(exc)})
        said = str(exc)
        if lang == "zh" and isinstance(exc, MfaError) and exc.args and getattr(exc.args[0], "code", None):
            from mfa.i18n import say_zh

            said = say_zh(exc.args[0])
        print(words["error"].format(text=said), file=sys.stderr)
        return 2
    if getattr(args, "debug", False):
        raise exc
    print(f"internal error: {type(exc).__name__}: {exc}\n"
          "This is a bug in circular-mfa; run again with --debug for details and report it.", file=sys.stderr)
    return 3
