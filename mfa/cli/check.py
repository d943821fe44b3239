"""mfa check PARK — validate every file and balance every process."""

from __future__ import annotations

import sys

from mfa.cli._common import add_json_flag, add_park_argument, add_tolerance_flags, load_park, print_json

HELP = "validate a park and check that every process balances (exit 0 ok, 1 imbalanced, 2 invalid input)"


def register(sub) -> None:
    p = sub.add_parser("check", help=HELP, description=HELP + ". Residual = inputs − outputs − stock change; "
                       "a process balances when |residual| ≤ abs-tol or ≤ rel-tol × max(inputs, outputs).")
    add_park_argument(p)
    add_tolerance_flags(p)
    add_json_flag(p)
    p.set_defaults(func=run)


def run(args) -> int:
    from mfa.balance import balance

    park = load_park(args.park)
    b = balance(park, rel_tol=args.rel_tol, abs_tol=args.abs_tol)
    warnings = park.warnings
    p = b.processes
    counts = p["status"].value_counts().to_dict()
    if args.json:
        print_json({"park": park.info.name, "valid": True, "ok": b.ok,
                    "warnings": [w.to_dict() for w in warnings],
                    "processes": len(p), "flows": len(park.flows), "status_counts": counts,
                    "imbalanced": b.flagged[["process", "name", "inputs", "outputs", "stock_change",
                                             "residual", "residual_rel"]],
                    "system": b.system})
        return 0 if b.ok else 1
    for w in warnings:
        print(f"warning: {w}", file=sys.stderr)
    print(f"{park.info.name}: {len(p)} processes, {len(park.flows)} flows — input valid")
    print("process status: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    if b.ok:
        print(f"all processes balance within {b.rel_tol:.2%} or {b.abs_tol:g} t/a")
        return 0
    print(f"{len(b.flagged)} process(es) do not balance:")
    for r in b.flagged.itertuples():
        print(f"  {r.process} ({r.name}): in {r.inputs:,.2f} − out {r.outputs:,.2f} − Δstock "
              f"{r.stock_change:,.2f} = residual {r.residual:,.2f} t/a ({r.residual_rel:.2%})")
    return 1
