"""mfa resilience PARK — remove each enterprise in turn (or a set) and measure what the park loses."""

from __future__ import annotations

import argparse

from mfa.cli._common import finish_command, add_park_argument, load_park, table_options
from mfa.formatting import number

HELP = "remove each internal process in turn (or --remove a set) and rank the keystones of the exchange web"
DESCRIPTION = HELP + """.

No cascade: survivors keep their other flows; waste they sent to a removed process goes to landfill, products
leave through export, and what a removed process supplied is bought from outside. Per scenario: exchanges
lost, tonnes no longer utilised (t/a), producers whose waste now goes to landfill, consumers now on outside
supply, extra landfill, change of the utilisation rates, FCI, cyclicity and relative ascendency, the largest
connected group of processes, and the keystone rank (1 = most critical). Conventions: docs/symbiosis.md."""


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``mfa resilience`` to the command line's sub-commands.

    Parameters
    ----------
    sub : the sub-parsers of ``mfa``.

    Examples
    --------
    >>> parser = argparse.ArgumentParser(prog="mfa")
    >>> register(parser.add_subparsers())
    >>> parser.parse_args(["resilience", "wuhai", "--remove", "cement_plant", "brick_plant"]).remove
    ['cement_plant', 'brick_plant']
    """
    p = sub.add_parser("resilience", help=HELP, description=DESCRIPTION)
    add_park_argument(p)
    p.add_argument("--remove", nargs="+", metavar="ID", help="remove these processes together (one scenario)")
    p.add_argument("--target", choices=["all", "throughflow", "degree", "random"], default="all",
                   help="whom to remove one by one: all internal processes (default), or the --limit ones with the "
                        "largest throughflow or degree, or a random sample (--seed)")
    p.add_argument("--limit", type=int, metavar="K", help="number of processes to remove one by one (large parks)")
    p.add_argument("--seed", type=int, default=0, help="seed of the random sample (default 0)")
    p.add_argument("--top", type=int, default=None, metavar="N", help="print only the N most critical scenarios")
    finish_command(p, run)


def run(args: argparse.Namespace) -> int:
    """Print the scenarios of ``args.park`` ranked by keystone (or the ``--json`` document of
    :class:`~mfa.robustness.ResilienceResult`).

    Parameters
    ----------
    args : parsed by the parser :func:`register` adds.

    Returns
    -------
    int
        0 (errors are raised as :class:`~mfa.errors.MfaError` and printed by :func:`mfa.cli.main`, exit 2).

    Examples
    --------
    >>> from mfa.cli import main
    >>> main(["resilience", "hazardous", "--target", "degree", "--limit", "1"])  # doctest: +ELLIPSIS
    Resilience of ... (t/a; rank 1 = most critical)
    ...
    0
    """
    from mfa.robustness import resilience

    park = load_park(args.park)
    r = resilience(park, remove=args.remove, target=args.target, limit=args.limit, seed=args.seed)
    if args.json:
        print(r.to_json())
        return 0
    t = r.table.sort_values("keystone_rank")
    if args.top:
        t = t.head(args.top)
    cols = ["keystone_rank", "scenario", "exchanges_lost", "tonnes_no_longer_utilised", "extra_landfill",
            "producers_to_landfill", "consumers_on_outside_supply", "delta_fci", "delta_cyclicity"]
    cols += [c for c in t.columns if c.startswith("delta_") and c not in cols
             and c not in ("delta_relative_ascendency",)]
    print(f"Resilience of {park.info.name} (t/a; rank 1 = most critical)")
    b = r.baseline
    def num(x, spec: str) -> str:  # a metric is None where it is undefined (e.g. no throughflow)
        return "n/a" if x is None or x != x else format(x, spec)

    print(f"intact park: FCI {num(b['fci'], '.5f')}, cyclicity {num(b['cyclicity'], '.4f')}, {b['n_links']} "
          f"links, {num(b['landfill'], ',.0f')} t/a to landfill")
    with table_options(250, max_columns=30, max_colwidth=40, float_format=number):
        print(t[cols].to_string(index=False))
    for n in r.notes:
        print(f"note: {n}")
    return 0
