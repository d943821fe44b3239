"""mfa network PARK — ecological network analysis of the park's exchange web (cycling, structure, food web)."""

from __future__ import annotations

import argparse

from typing import TYPE_CHECKING

from mfa.cli._common import finish_command, add_solve_flags, emit, park_command, solved_unless_given, table_options

if TYPE_CHECKING:
    from mfa.network import NetworkResult

HELP = "network metrics of the park: throughflow, Finn cycling index, cyclicity, food-web and ascendency"
DESCRIPTION = HELP + """.

Internal nodes are processes not of kind import, export, environment or landfill; inputs z are flows from
boundary processes, outputs y flows to export (e), environment and landfill (r). One currency at a time:
total mass (t/a) by default, or --material M / --category C. Where a node does not balance (residual =
inputs − outputs − stock change, reported with --nodes), --orientation output (default, as enaR's published
figures; the default in total mass) measures throughflow on the output side of the data as given;
--orientation input (the default with --material or --category, whose residuals are conversions) closes each
residual at the boundary first and measures the input side.
Keys: n_nodes, n_links, connectance (L/n²), link_density (L/n), cyclicity (spectral radius), tst, tstp,
fci (Finn), apl (TST/Σz), id_ratio (indirect/direct), prey/predator measures, ascendency and robustness.
An acyclic park has cyclicity 0 and FCI 0. Formulas: docs/symbiosis.md and mfa.network."""


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``mfa network`` to the command line's sub-commands.

    Parameters
    ----------
    sub : the sub-parsers of ``mfa``.

    Examples
    --------
    >>> parser = argparse.ArgumentParser(prog="mfa")
    >>> register(parser.add_subparsers())
    >>> parser.parse_args(["network", "wuhai", "--material", "fly_ash"]).material
    'fly_ash'
    """
    p = park_command(sub, "network", HELP, DESCRIPTION)
    g = p.add_mutually_exclusive_group()
    g.add_argument("--material", metavar="M", help="use one material as the currency (a material id)")
    g.add_argument("--category", metavar="C", help="use one material category as the currency")
    add_solve_flags(p, reconcile=True)
    p.add_argument("--orientation", choices=["output", "input"], default=None,
                   help="side of throughflow where a node does not balance: output, the data as given (as enaR; "
                        "default in total mass), or input, after closing the residuals at the boundary (default "
                        "with --material or --category)")
    p.add_argument("--nodes", action="store_true", help="also print the node table (throughflow, residual, n_jj)")
    finish_command(p, run)


def run(args: argparse.Namespace) -> int:
    """Print the network metrics of ``args.park`` (or the ``--json`` document of
    :class:`~mfa.network.NetworkResult`).

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
    >>> main(["network", "hazardous"])  # doctest: +ELLIPSIS
    Network metrics of ... — currency: total mass; throughflow: output side
    ...
    0
    """
    from mfa.network import metrics

    park = solved_unless_given(args)
    r = metrics(park, material=args.material, category=args.category, reconcile=args.reconcile,
                orientation=args.orientation)
    return emit(args, r, lambda: _show_text(park.info.name, r, args.nodes))


def _show_text(park_name: str, r: NetworkResult, nodes: bool) -> None:
    from mfa.formatting import number

    t = r.table.copy()
    t["value"] = [("—" if v is None else number(v)) for v in (r.metrics.get(k) for k in t["metric"])]
    print(f"Network metrics of {park_name} — currency: {r.currency}; throughflow: {r.orientation} side")
    print(t.to_string(index=False))
    if nodes:
        cols = ["process", "throughflow", "inputs", "outputs", "stock_change", "residual", "n_jj", "cycled"]
        with table_options(200, max_columns=None, float_format=lambda x: f"{x:,.2f}"):
            print()
            print(r.nodes[cols].to_string(index=False))
    for n in r.notes:
        print(f"note: {n}")
