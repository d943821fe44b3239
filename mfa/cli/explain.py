"""mfa explain PARK FLOW — the symbolic expression of a computed flow in terms of the known flows."""

from __future__ import annotations

import argparse

from mfa.cli._common import finish_command, emit, load_park, park_command

HELP = "show how a computed flow follows from the measured and exact flows (symbolic, sympy)"


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``explain`` command to the CLI's sub-parsers.

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
    >>> sub.choices["explain"].parse_args(["wuhai", "pc_power_plant>atmosphere:flue_gas"]).flow
    'pc_power_plant>atmosphere:flue_gas'
    """
    p = park_command(sub, "explain", HELP, HELP + ". Symbols are flow ids, tc[<flow id>] for transfer "
                     "coefficients and Δstock[<process>] for unknown stock changes; values in t/a.")
    p.add_argument("flow", metavar="FLOW", help="flow id, e.g. plant>dump:coal_gangue")
    finish_command(p, run)


def run(args: argparse.Namespace) -> int:
    """Run ``mfa explain`` with parsed arguments (errors are raised as :class:`mfa.errors.MfaError`; the CLI
    turns them into a located message and exit 2).

    Parameters
    ----------
    args : argparse.Namespace

    Returns
    -------
    int
        The exit code (0).

    Examples
    --------
    >>> import argparse, contextlib, io
    >>> sub = argparse.ArgumentParser(prog="mfa").add_subparsers()
    >>> register(sub)
    >>> with contextlib.redirect_stdout(io.StringIO()) as out:
    ...     code = run(sub.choices["explain"].parse_args(["wuhai", "pc_power_plant>atmosphere:flue_gas", "--json"]))
    >>> code, '"expression"' in out.getvalue()
    (0, True)
    """
    from mfa.explanation import explain

    e = explain(load_park(args.park), args.flow)
    return emit(args, e, lambda: print(str(e)))
