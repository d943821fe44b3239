"""mfa symbiosis PARK — find waste couplings (LP/MILP) and write the retrofit park."""

from __future__ import annotations

import argparse

from typing import TYPE_CHECKING

from mfa.cli._common import (finish_command, add_solve_flags, emit, park_command, solved_unless_given,
                             table_options)

if TYPE_CHECKING:
    from mfa.park import Park
    from mfa.symbiosis import SymbiosisResult

HELP = "find industrial-symbiosis couplings for disposed, stored or discarded waste and write the retrofit park"
DESCRIPTION = HELP + """.

Candidates come from flows/compatibility.csv (waste → substituted material or accepting process group); an LP
(HiGHS) chooses the t/a per coupling within supply, the user's virgin demand, capacity and max share. The
ranked table gives from, to, material, tonnes (t/a), distance_km, utilisation_rate_gain, landfill_avoided (t/a),
co2_avoided (t/a), cost_change (CNY/a, negative = saving), delta_fci and delta_cyclicity. -o writes the
retrofit park (a folder, .yaml or .xlsx); it passes `mfa check`. Conventions: docs/symbiosis.md."""


def _weights(text: str | None) -> dict[str, float] | None:
    """``--weights`` as a dict (``utilisation=1,co2=0.5`` → {"utilisation": 1.0, "co2": 0.5}), or None."""
    from mfa.errors import MfaError

    if not text:
        return None
    out: dict[str, float] = {}
    for part in text.split(","):
        if not part.strip():
            continue
        if "=" not in part:
            raise MfaError(f"--weights: {part.strip()!r} is not name=value (e.g. utilisation=1,co2=0.5)")
        k, v = (s.strip() for s in part.split("=", 1))
        try:
            out[k] = float(v)
        except ValueError:
            raise MfaError(f"--weights: {v!r} is not a number (in {part.strip()!r})") from None
    return out


def _site(args: argparse.Namespace) -> str | bool | None:
    """What ``site=`` of :func:`mfa.symbiosis.discover` gets: ``--site DIR`` (overrides the park's own
    ``coupling/``), False for ``--no-site``, None (the park's own, as the report uses) otherwise."""
    if args.no_site:
        if args.site:
            from mfa.errors import MfaError

            raise MfaError("--site and --no-site exclude each other: give one")
        return False
    return args.site or None


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``mfa symbiosis`` to the command line's sub-commands.

    Parameters
    ----------
    sub : the sub-parsers of ``mfa``.

    Examples
    --------
    >>> parser = argparse.ArgumentParser(prog="mfa")
    >>> register(parser.add_subparsers())
    >>> parser.parse_args(["symbiosis", "wuhai", "--weights", "utilisation=1,co2=0.5"]).weights
    'utilisation=1,co2=0.5'
    """
    p = park_command(sub, "symbiosis", HELP, DESCRIPTION)
    p.add_argument("--objective", choices=["utilisation", "cost", "co2"], default="utilisation",
                   help="maximise t/a utilised (default), minimise cost, or maximise CO₂ avoided")
    p.add_argument("--weights", metavar="W", help="combine objectives, e.g. utilisation=1,co2=0.5,cost=0.001 "
                   "(per t, per t CO₂, per CNY); overrides --objective")
    p.add_argument("--prices", metavar="FILE", help="CSV material,disposal_fee,virgin_price (CNY/t),source,note")
    p.add_argument("--transport-cost", type=float, metavar="CNY", help="transport cost in CNY per t·km")
    p.add_argument("--transport-co2", type=float, metavar="T", help="transport emissions in t CO₂ per t·km")
    p.add_argument("--fixed-cost", type=float, metavar="CNY", help="fixed cost per coupling in CNY/a (MILP)")
    p.add_argument("--max-distance", type=float, metavar="KM", help="leave out couplings longer than KM")
    add_solve_flags(p, reconcile=True)
    p.add_argument("--nearest", type=int, metavar="K", help="consider only the K nearest users of each stream")
    p.add_argument("--compatibility", metavar="FILE", help="a compatibility catalogue instead of the shipped one")
    p.add_argument("--site", metavar="DIR",
                   help="properties.csv, capacities.csv and demand.csv for the coupling rules instead of the "
                        "park's own coupling/ folder, which is used by default (docs/coupling-rules.md)")
    p.add_argument("--no-site", action="store_true",
                   help="ignore the park's coupling/ folder: the rules' sourced values only")
    p.add_argument("--max-links", type=int, metavar="N",
                   help="the best plan of at most N new couplings (MILP) and the order to build them in")
    p.add_argument("--no-assess", action="store_true",
                   help="skip the per-coupling ΔFCI / Δcyclicity / rate gains (faster on large parks)")
    p.add_argument("-o", "--output", metavar="RETROFIT", help="write the retrofit park here")
    finish_command(p, run, force=True)


def run(args: argparse.Namespace) -> int:
    """Print the ranked couplings of ``args.park`` (or the ``--json`` document of
    :class:`~mfa.symbiosis.SymbiosisResult`) and write the retrofit park with ``-o``.

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
    >>> main(["symbiosis", "hazardous", "--no-assess"])  # doctest: +ELLIPSIS
    Symbiosis plan for ... — objective: utilisation (...)
    ...
    0
    """
    from mfa.symbiosis import compatibility, discover, read_prices

    park = solved_unless_given(args)
    compat = compatibility(args.compatibility) if args.compatibility else None
    prices = read_prices(args.prices) if args.prices else None
    result = discover(park, args.objective, _weights(args.weights), compat=compat, prices=prices,
                      transport_cost=args.transport_cost, transport_co2=args.transport_co2,
                      fixed_cost=args.fixed_cost, max_distance_km=args.max_distance, nearest=args.nearest,
                      reconcile=args.reconcile, site=_site(args), max_links=args.max_links,
                      assess=False if args.no_assess else None)
    if args.output:
        from mfa.cli._common import write_park_output

        write_park_output(result.retrofit(), args.output, args)
    where = {"retrofit": str(args.output)} if args.output else {}  # the document says where it was written
    return emit(args, result, lambda: _show_text(park, result, args.output, _site_said(args, park)), **where)


def _site_said(args: argparse.Namespace, park: Park) -> str:
    """Which data the coupling rules used, for the text output (a manager should see whose figures these are)."""
    from mfa.coupling_rules import site_folder

    if args.no_site:
        return "coupling data: none (--no-site: the rules' sourced values only)"
    folder = args.site or site_folder(park)
    return f"coupling data: {folder}" if folder else "coupling data: none (the park has no coupling/ folder)"


def _show_text(park: Park, result: SymbiosisResult, output: str | None, site: str = "") -> None:
    import sys

    import pandas as pd

    solver = result.info["solver"] or "nothing to solve"
    print(f"Symbiosis plan for {park.info.name} — objective: {result.info['objective']} "
          f"({solver}, {result.summary['candidates']} candidate couplings)")
    cols = ["rank", "from", "to", "material", "tonnes", "distance_km", "utilisation_rate_gain",
            "landfill_avoided", "co2_avoided", "cost_change", "delta_fci", "delta_cyclicity", "binding_capacity"]
    if len(result.couplings):
        with table_options(220):
            t = result.couplings[cols].copy()
            for c in ("tonnes", "landfill_avoided", "co2_avoided", "cost_change"):
                t[c] = [("" if pd.isna(v) else f"{v:,.0f}") for v in t[c]]
            # a cost built from some prices only is marked: the prices it lacks are in --json (cost_missing)
            t["cost_change"] = [v + ("*" if p and v else "") for v, p in
                                zip(t["cost_change"], result.couplings["cost_partial"])]
            t["distance_km"] = [("" if pd.isna(v) else f"{v:.1f}") for v in t["distance_km"]]
            t["utilisation_rate_gain"] = [("" if pd.isna(v) else f"{v:+.2%}") for v in t["utilisation_rate_gain"]]
            for c in ("delta_fci", "delta_cyclicity"):
                t[c] = [("" if pd.isna(v) else f"{v:+.2e}") for v in t[c]]
            print(t.to_string(index=False))
    else:
        print("no coupling found")
    s = result.summary
    lf = s.get("landfill_avoided")
    less = "landfill avoided unknown (new residues: assess to know)" if lf is None else f"{lf:,.0f} t/a less landfill"
    print(f"total: {s['tonnes']:,.0f} t/a rerouted, {less}, "
          f"{s['co2_avoided']:,.0f} t CO₂/a avoided, {s['virgin_avoided']:,.0f} t/a virgin input avoided")
    if "fci_before" in s:
        print(f"FCI {s['fci_before']:.5f} → {s['fci_after']:.5f}; cyclicity {s['cyclicity_before']:.4f} → "
              f"{s['cyclicity_after']:.4f}")
        cats = set(result.couplings["material"].map(park.compiled.category_of))
        for cat, v in s["utilisation_rates_after"].items():
            v0 = s["utilisation_rates_before"].get(cat)
            if v is not None and v0 is not None and cat in cats:
                print(f"{cat} utilisation rate {v0:.2%} → {v:.2%}")
    if result.couplings["cost_partial"].any() if len(result.couplings) else False:
        print("* partial cost: some prices are missing (cost_missing in --json; give them with --prices)")
    if len(result.build_order):
        print("build order (best plan of 1, 2, … links; marginal gain in the objective's units):")
        with table_options(220):
            b = result.build_order.copy()
            for c in ("tonnes", "value", "marginal_gain"):
                b[c] = [f"{v:,.0f}" for v in b[c]]
            print(b.to_string(index=False))
    for n in result.notes:
        print(f"note: {n}")
    if site:
        print(site, file=sys.stderr)
    if output:
        print(f"retrofit park written to {output}", file=sys.stderr)
