"""mfa check PARK — validate every file and balance every process."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from mfa.cli._common import (finish_command, add_solve_flags, add_tolerance_flags, load_park, park_command, prepare_park,
                             print_json)
from mfa.formatting import LANGUAGES

HELP = ("validate a park and check that every process balances (exit 0 ok, 1 imbalanced or not checkable, "
        "2 invalid input)")


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
    >>> args = sub.choices["check"].parse_args(["hazardous", "--json"])
    >>> args.park, args.json, args.lang
    ('hazardous', True, 'en')
    """
    p = park_command(sub, "check", HELP, HELP + ". Residual = inputs − outputs − stock change; a process balances "
                     "when |residual| ≤ abs-tol or ≤ rel-tol × max(inputs, outputs). Unknown flows that the "
                     "balances determine are computed first (--as-given: not); exit 0 only when every internal "
                     "process was checked and balances.")
    add_tolerance_flags(p)
    add_solve_flags(p)
    p.add_argument("--lang", choices=LANGUAGES, default="en",
                   help="language of the input errors (zh: each located problem in Chinese)")
    finish_command(p, run)


def run(args: argparse.Namespace) -> int:
    """Run the command; the exit code (0 ok; errors are raised and become exit 2 in :func:`mfa.cli.main`).

    Parameters
    ----------
    args : argparse.Namespace

    Returns
    -------
    int
        The exit code: 0 when every internal process was checked and balances, else 1.

    Examples
    --------
    >>> import argparse, contextlib, io
    >>> sub = argparse.ArgumentParser(prog="mfa").add_subparsers()
    >>> register(sub)
    >>> with contextlib.redirect_stdout(io.StringIO()) as out:
    ...     code = run(sub.choices["check"].parse_args(["hazardous"]))
    >>> code
    0
    >>> print(out.getvalue())
    Hazardous-waste chain of an industrial park: 22 processes, 63 flows — input valid
    solved first: 1 of 1 unknown flow(s) computed from the balances (measured values kept as given)
    process status: balanced 15, boundary 7, imbalanced 0, storage 0, unknown 0
    all processes checked and balanced within 0.50% or 0.01 t/a
    substance balances (Cr, Hg, Pb): balanced 6, unchecked 39
    <BLANKLINE>
    """
    from mfa.substance import read_substances

    park = load_park(args.park)
    layer = read_substances(args.park, park)  # a bad row of the substance tables: located, exit 2
    if len(park.years) > 1:
        return _check_years(park, args)
    read = park
    park, solved = prepare_park(args, park)
    code, doc = _check(park, solved, args)
    sub_code, sub_doc = _check_substances(read, layer, args)
    if args.json:
        print_json({**doc, "ok": doc["ok"] and sub_code == 0, "substance_balances": sub_doc})
    return max(code, sub_code)


def _check_substances(park: Any, layer: Any, args: argparse.Namespace) -> tuple[int, dict]:
    """The substance balances of the park as read (the joint reconciliation computes its unknowns): exit 1
    when one cannot close. A balance with a content the data do not give is unchecked, which is no fault:
    most contents are computed from the balances."""
    if layer.empty:
        return 0, {"substances": [], "status_counts": {}, "imbalanced": []}
    from mfa.substance import reconcile_substances

    b = reconcile_substances(park, layer).balances
    bad = b[b["status"] == "imbalanced"]
    counts = {str(k): int(v) for k, v in sorted(b["status"].value_counts().items())}
    doc = {"substances": list(layer.substances), "status_counts": counts,
           "imbalanced": bad[["process", "substance", "inputs", "outputs", "stock_change", "residual_as_given",
                              "sigma_as_given"]]}
    if not args.json:
        print(f"substance balances ({', '.join(layer.substances)}): "
              + ", ".join(f"{k} {v}" for k, v in counts.items()))
        for r in bad.itertuples():
            print(f"  {r.substance} balance of {r.process}: in {r.inputs:,.4g} − out {r.outputs:,.4g} − Δstock "
                  f"{r.stock_change:,.4g} = {r.residual_as_given:,.4g} t/a (σ {r.sigma_as_given:,.3g}): cannot close")
    return (1 if len(bad) else 0), doc


def _check_years(park: Any, args: argparse.Namespace) -> int:
    """Each year of a multi-year park checked on its own (its stocks carried from the year before)."""
    from mfa.solved import solve_park

    docs, codes = [], []
    for year in park.years:
        one = park.for_year(year)
        solved = None if args.as_given else solve_park(one)
        if not args.json:
            print(f"== {year} ==")
        code, doc = _check(solved.park if solved is not None else one, solved, args)
        docs.append({"year": year, **doc})
        codes.append(code)
    ok = all(c == 0 for c in codes)
    if args.json:
        print_json({"park": park.info.name, "valid": True, "ok": ok, "years": docs})
    else:
        print(f"{park.info.name}: {len(park.years)} years {park.years[0]}–{park.years[-1]}, "
              f"{'every year checked and balanced' if ok else 'not every year checked and balanced'}")
    return 0 if ok else 1


def _check(park: Any, solved: Any, args: argparse.Namespace) -> tuple[int, dict]:
    """The check of one year: the exit code and the --json document (the text is printed here)."""
    from mfa.mass_balance import balance

    b = balance(park, rel_tol=args.rel_tol, abs_tol=args.abs_tol)
    warnings = park.warnings
    p = b.processes
    counts = p["status"].value_counts().to_dict()
    # A process with unknown flows left, or a store whose stock change only the balance gives, cannot be
    # checked: the data say nothing against it.
    unchecked = p[p["status"].isin(["unknown", "storage"])]
    ok = b.ok and not len(unchecked)
    computed = solved.computed if solved is not None else None
    n_computed = 0 if computed is None else len(computed)
    if args.json:
        return 0 if ok else 1, {"park": park.info.name, "valid": True, "ok": ok,
                                "warnings": [w.to_dict() for w in warnings],
                                "processes": len(p), "flows": len(park.flows), "status_counts": counts,
                                "imbalanced": b.flagged[["process", "name", "inputs", "outputs", "stock_change",
                                                         "residual", "residual_rel"]],
                                "system": b.system,
                                "computed_flows": n_computed,
                                "computed": computed if computed is not None else [],
                                "unchecked": unchecked[["process", "name", "kind", "status", "n_unknown"]],
                                "solver": solved.note if solved is not None else ""}
    if getattr(args, "lang", "en") == "zh":
        from mfa.i18n import ISSUE_WORDS_ZH

        for w in warnings:
            print(ISSUE_WORDS_ZH["warning"].format(text=w.text("zh")), file=sys.stderr)
    else:
        for w in warnings:
            print(f"warning: {w}", file=sys.stderr)
    print(f"{park.info.name}: {len(p)} processes, {len(park.flows)} flows — input valid")
    if solved is not None and solved.messages:
        for m in solved.messages:
            print(f"solved first: {m}")
    print("process status: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    if len(unchecked):
        print(f"{len(unchecked)} process(es) could not be checked:")
        for r in unchecked.itertuples():
            why = (f"{r.n_unknown} unknown flow(s) not determined by the data" if r.status == "unknown"
                   else "a store without stock data (its stock change is whatever the flows leave): give its "
                        "opening and closing stock in stocks")
            print(f"  {r.process} ({r.name}): {why}")
    if b.ok:
        if ok:
            print(f"all processes checked and balanced within {b.rel_tol:.2%} or {b.abs_tol:g} t/a")
        else:
            print(f"every checked process balances within {b.rel_tol:.2%} or {b.abs_tol:g} t/a")
        return 0 if ok else 1, {}
    print(f"{len(b.flagged)} process(es) do not balance:")
    for r in b.flagged.itertuples():
        print(f"  {r.process} ({r.name}): in {r.inputs:,.2f} − out {r.outputs:,.2f} − Δstock "
              f"{r.stock_change:,.2f} = residual {r.residual:,.2f} t/a ({r.residual_rel:.2%})")
    return 1, {}
