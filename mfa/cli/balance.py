"""mfa balance PARK — the balance table of every process and of the whole park."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from mfa.cli._common import finish_command, add_tolerance_flags, emit, load_park, park_command, table_options

if TYPE_CHECKING:
    from mfa.mass_balance import BalanceResult

HELP = "print the mass balance of every process and of the park (t/a)"


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
    >>> args = sub.choices["balance"].parse_args(["hazardous", "--per-material"])
    >>> args.park, args.per_material, args.json
    ('hazardous', True, False)
    """
    p = park_command(sub, "balance", HELP, HELP + ". residual = inputs − outputs − stock change (closing − "
                     "opening); storage without stock data takes its stock change from the flows.")
    add_tolerance_flags(p)
    p.add_argument("--per-material", action="store_true", help="also balance each process and material")
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
    ...     code = run(sub.choices["balance"].parse_args(["hazardous", "--json"]))
    >>> doc = json.loads(out.getvalue())
    >>> code, doc["unit"], doc["system"]["imports"]
    (0, 't/a', 243030.0)
    """
    from mfa.mass_balance import balance

    park = load_park(args.park)
    b = balance(park, rel_tol=args.rel_tol, abs_tol=args.abs_tol, per_material=args.per_material)
    return emit(args, b, lambda: _show_text(park.info.name, b))


def _show_text(park_name: str, b: BalanceResult) -> None:
    with table_options(float_format=lambda x: f"{x:,.2f}"):
        cols = ["process", "kind", "inputs", "outputs", "stock_change", "residual", "residual_rel", "status"]
        print(f"Mass balance of {park_name} (t/a)")
        print(b.processes[cols].to_string(index=False, na_rep=""))
        print()
        print("System balance (t/a)")
        print(b.system_table().to_string(index=False))
        if b.materials is not None:
            print()
            print(b.materials.to_string(index=False))
