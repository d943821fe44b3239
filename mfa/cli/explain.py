"""mfa explain PARK FLOW — the symbolic expression of a computed flow in terms of the known flows."""

from __future__ import annotations

from mfa.cli._common import add_json_flag, add_park_argument, load_park, print_json

HELP = "show how a computed flow follows from the measured and exact flows (symbolic, sympy)"


def register(sub) -> None:
    p = sub.add_parser("explain", help=HELP,
                       description=HELP + ". Symbols are flow ids, tc[<flow id>] for transfer coefficients and "
                       "Δstock[<process>] for unknown stock changes; values in t/a.")
    add_park_argument(p)
    p.add_argument("flow", metavar="FLOW", help="flow id, e.g. plant>dump:coal_gangue")
    add_json_flag(p)
    p.set_defaults(func=run)


def run(args) -> int:
    from mfa.explanation import explain

    park = load_park(args.park)
    e = explain(park, args.flow)
    if args.json:
        print_json(e.to_dict())
    else:
        print(str(e))
    return 0
