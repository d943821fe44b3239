"""mfa indicators PARK — the official utilisation rates with numerators, denominators, formulas and targets."""

from __future__ import annotations

import argparse
from typing import Any

from mfa.cli._common import (finish_command, add_park_argument, add_solve_flags, load_park, prepare_park,
                             print_json_result, table_options, tonnes)

HELP = "compute the official utilisation rates (一般工业固废、大宗固废、秸秆、畜禽粪污、危废 …) and check targets"
DESCRIPTION = HELP + """.

Rates are fractions 0–1 of tonnes, computed as each formula prints them. Two conventions, both always
computed: value = official (enterprise reporting: waste handed to a user counts as utilised where it arises;
a residue a user or handler makes is its own generation) and traced (each tonne followed to where it finally
ends: a process that passes waste on utilises only the difference). lower/upper bound both over every
unresolved tonne (waste exported with no declared fate, not passed on, or on flows that stay unknown). Unknown
flows that the balances determine are computed first (--as-given: not). Targets: the shipped national and
regional targets (flows/targets.csv) where they fit the park, unless --targets FILE."""


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
    >>> args = sub.choices["indicators"].parse_args(["hazardous", "--no-targets"])
    >>> args.park, args.no_targets, args.coefficients, args.series
    ('hazardous', True, False, False)
    """
    p = sub.add_parser("indicators", help=HELP, description=DESCRIPTION)
    add_park_argument(p)
    p.add_argument("--targets", metavar="FILE",
                   help="a CSV file of targets (columns id,indicator,comparison,value,year,region,level,kind,"
                        "source,note) instead of the shipped national / Inner Mongolia targets")
    p.add_argument("--no-targets", action="store_true", help="do not evaluate any targets")
    add_solve_flags(p)
    p.add_argument("--series", action="store_true",
                   help="the rates of every year of the park, each with the target of its year (automatic "
                        "when the park holds several years; --year Y: that year only)")
    p.add_argument("--coefficients", action="store_true",
                   help="also list the generation coefficients in force (shipped tables and the park's "
                        "overrides, with low/central/high and sources) behind the generated waste")
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
    ...     code = run(sub.choices["indicators"].parse_args(["hazardous", "--no-targets", "--json"]))
    >>> doc = json.loads(out.getvalue())
    >>> code, doc["indicators"][0]["id"], doc["targets"]
    (0, 'industrial_solid_waste_utilisation_rate', [])
    """
    from dataclasses import replace

    import pandas as pd

    from mfa.utilisation import indicators

    park = load_park(args.park)
    targets = False if args.no_targets else args.targets
    if args.series or len(park.years) > 1:
        from mfa.cli._series import print_indicator_series

        return print_indicator_series(park, args, targets)
    park, solved = prepare_park(args, park)
    result = indicators(park, targets=targets, solve=False)
    if solved is not None:
        result = replace(result, solver_note=solved.note)
    if args.coefficients:
        from mfa.generation import coefficient_table

        coefs = coefficient_table(park)
        used = set(park.activities["activity"].astype(str).str.split(":").str[0]) if len(park.activities) else set()
        result = replace(result, coefficients=coefs[coefs["activity"].isin(used)] if used else coefs)
    if args.json:
        print_json_result(result)
        return 0
    with table_options(200, max_colwidth=70, float_format=tonnes):
        t = result.table.copy()
        for col in ("value", "traced", "lower", "upper"):
            t[col] = [("null" if pd.isna(v) else (f"{v:.2%}" if u == "t/t" else f"{v:,.4g} {u}"))
                      for v, u in zip(t[col], t["unit"])]
        t["bounds"] = t["lower"] + " – " + t["upper"]
        print(f"Indicators of {park.info.name} (numerator, denominator and unresolved in t/a)")
        print(f"  {result.convention_note}")
        if result.solver_note:
            print(f"  solved first: {result.solver_note}")
        print(t[["id", "name_zh", "value", "traced", "bounds", "unresolved", "numerator", "denominator"]]
              .to_string(index=False, na_rep=""))
        print()
        print("Formulas (as computed)")
        for r in t.itertuples():
            print(f"  {r.id}: {r.formula}")
        for _, r in t[t["reason"].notna()].iterrows():
            print(f"  {r['id']}: null — {r['reason']}")
        assumed = t.loc[t["assumption"], "id"].tolist()
        if assumed:
            print("  assumptions (no official formula found): " + ", ".join(assumed))
        print()
        print("By category (t/a)")
        cols = ["category", "generated", "prior_year_drawn", "utilised", "disposed", "stored", "discarded",
                "exported", "unresolved", "utilisation_rate"]
        print(result.by_category[cols].to_string(index=False))
        if len(result.targets):
            print()
            print("Targets (gap = t/a still to utilise at the same denominator)")
            tt = result.targets[["id", "indicator", "kind", "region", "year", "target", "value", "passed",
                                 "gap_t", "source"]].copy()
            tt["year"] = [("" if pd.isna(y) else str(int(y))) for y in tt["year"]]
            fits = result.targets["applies"].astype(bool).to_numpy()  # region and level of the park
            shown = fits & tt["value"].notna().to_numpy()
            print(tt[shown].to_string(index=False, na_rep=""))
            for i, w in result.targets.loc[~fits, ["id", "why"]].itertuples(index=False):
                print(f"  not applied: {i} — {w}")
            if (fits & ~shown).any():
                print(f"  ({int((fits & ~shown).sum())} targets not applicable: the park has no waste in their scope)")
        if result.coefficients is not None:
            coefs = result.coefficients
            print()
            print("Generation coefficients in force" + (" (activities of this park)" if len(park.activities) else ""))
            print(coefs[["activity", "key", "material", "parameter", "low", "central", "high", "unit", "source",
                         "process", "origin"]].to_string(index=False, na_rep=""))
        for issue in result.issues:
            print(f"warning: {issue}")
    return 0
