"""mfa network PARK — ecological network analysis of the park's exchange web (cycling, structure, food web)."""

from __future__ import annotations

from mfa.cli._common import add_json_flag, add_park_argument, load_park, table_options

HELP = "network metrics of the park: throughflow, Finn cycling index, cyclicity, food-web and ascendency"
DESCRIPTION = HELP + """.

Internal nodes are processes not of kind import, export, environment or landfill; inputs z are flows from
boundary processes, outputs y flows to export (e), environment and landfill (r). One currency at a time:
total mass (t/a) by default, or --material M / --category C. Throughflow is measured on the input side; a
node's residual (inputs − outputs − stock change) is closed at the boundary and reported (--nodes).
Keys: n_nodes, n_links, connectance (L/n²), link_density (L/n), cyclicity (spectral radius), tst, tstp,
fci (Finn), apl (TST/Σz), id_ratio (indirect/direct), prey/predator measures, ascendency and robustness.
An acyclic park has cyclicity 0 and FCI 0. Formulas: docs/symbiosis.md and mfa.network."""


def register(sub) -> None:
    p = sub.add_parser("network", help=HELP, description=DESCRIPTION)
    add_park_argument(p)
    g = p.add_mutually_exclusive_group()
    g.add_argument("--material", metavar="M", help="use one material as the currency (a material id)")
    g.add_argument("--category", metavar="C", help="use one material category as the currency")
    p.add_argument("--reconcile", action="store_true",
                   help="determine unknown flows and reconcile measured ones first (mfa reconcile)")
    p.add_argument("--as-given", action="store_true",
                   help="use the data as given (by default the unknown flows that the balances determine are "
                        "computed first, measured values kept)")
    p.add_argument("--nodes", action="store_true", help="also print the node table (throughflow, residual, n_jj)")
    add_json_flag(p)
    p.set_defaults(func=run)


def run(args) -> int:
    from mfa.formatting import number
    from mfa.network import metrics

    park = load_park(args.park)
    if not args.reconcile and not args.as_given:
        from mfa.solved import solve_park

        park = solve_park(park).park
    r = metrics(park, material=args.material, category=args.category, reconcile=args.reconcile)
    if args.json:
        print(r.to_json())
        return 0
    t = r.table.copy()
    t["value"] = [("—" if v is None else number(v)) for v in (r.metrics.get(k) for k in t["metric"])]
    print(f"Network metrics of {park.info.name} — currency: {r.currency}")
    print(t.to_string(index=False))
    if args.nodes:
        cols = ["process", "throughflow", "inputs", "outputs", "stock_change", "residual", "n_jj", "cycled"]
        with table_options(200, max_columns=None, float_format=lambda x: f"{x:,.2f}"):
            print()
            print(r.nodes[cols].to_string(index=False))
    for n in r.notes:
        print(f"note: {n}")
    return 0
