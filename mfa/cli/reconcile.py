"""mfa reconcile PARK — solve unknown flows and reconcile measured data (weighted least squares, STAN-like)."""

from __future__ import annotations

import argparse

from typing import TYPE_CHECKING

from mfa.cli._common import finish_command, emit, load_park, park_command, significant, table_options

if TYPE_CHECKING:
    from mfa.solve import ReconcileResult
    from mfa.substance import SubstanceResult

HELP = "solve unknown flows and reconcile measured flows and transfer coefficients (t/a)"
DESCRIPTION = HELP + """. A flow without value is unknown; sigma (t/a) makes a value measured, none makes it
exact; tc is the share of the source process's total input leaving through the flow. Each flow gets a status:
exact, measured (not redundant, unchanged), reconciled, computed or unobservable (never given a value). The
chi-square test uses dof = redundancy; |normalised adjustment| above the two-sided critical value at --alpha
flags a gross error."""


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``reconcile`` command to the CLI's sub-parsers.

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
    >>> sub.choices["reconcile"].parse_args(["wuhai", "--bounds"]).bounds
    True
    """
    p = park_command(sub, "reconcile", HELP, DESCRIPTION)
    p.add_argument("-o", "--output", metavar="OUT",
                   help="write the reconciled park (CSV folder, .yaml or .xlsx, chosen by the name)")
    p.add_argument("--bounds", action="store_true", help="keep flows >= 0 and 0 <= tc <= 1")
    p.add_argument("--alpha", type=float, default=0.05, help="significance level of the gross-error test "
                   "(default 0.05)")
    p.add_argument("--max-iter", type=int, default=100, help="iteration limit (default 100)")
    p.add_argument("--covariance", action=argparse.BooleanOptionalAction, default=None,
                   help="propagate uncertainties (default: yes, unless the predicted cost is prohibitive; "
                   "the output then says why)")
    finish_command(p, run, force=True)


def run(args: argparse.Namespace) -> int:
    """Run ``mfa reconcile`` with parsed arguments (errors are raised as :class:`mfa.errors.MfaError`; the CLI
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
    ...     code = run(sub.choices["reconcile"].parse_args(["wuhai", "--json"]))
    >>> code, '"chi2"' in out.getvalue()
    (0, True)
    """
    from mfa.errors import MfaError
    from mfa.solve import reconcile

    if not 0 < args.alpha < 1:
        raise MfaError(f"--alpha must be between 0 and 1, got {args.alpha}")
    park = load_park(args.park)
    if len(park.years) > 1:
        from mfa.cli.project import show_reconcile_series

        return show_reconcile_series(args, park)
    import warnings

    with warnings.catch_warnings():
        # an overflow in the χ² shows as a non-finite result, refused below with the flows to blame
        warnings.simplefilter("ignore", RuntimeWarning)
        r = reconcile(park, bounds=args.bounds, alpha=args.alpha, max_iter=args.max_iter,
                      covariance=args.covariance)
    import math

    import numpy as np

    if not (math.isfinite(r.chi2) and math.isfinite(r.p_value)):
        f = park.flows
        with np.errstate(invalid="ignore", divide="ignore"):
            tiny = f.loc[(f["sigma"] > 0) & (f["sigma"] < 1e-9 * f["value"].abs()), ["id", "sigma"]]
        named = ", ".join(f"{i!r} (sigma {s:.3g} t/a)" for i, s in tiny.head(5).itertuples(index=False))
        raise MfaError(f"the reconciliation is numerically meaningless (chi2 = {r.chi2})"
                       + (f": flow {named} has a sigma far too small beside its value — give sigma of at least "
                          "1e-9 of the value, or leave it blank for an exact value" if named else
                          "; check the sigmas and values for extreme magnitudes"))
    # A negative flow is a result no one can use; printing it with exit 0 would pass it on as valid. Within the
    # balance tolerances (abs_tol, rel_tol or 0.1 % of the mean flow) it is zero up to the data's noise.
    f = r.flows
    scale = float(f["value"].abs().mean()) if f["value"].notna().any() else 0.0
    neg = f.loc[f["value"] < -max(park.info.abs_tol, max(park.info.rel_tol, 1e-3) * scale), ["id", "value"]]
    if len(neg):
        shown = "\n".join(f"  - flow {i!r} = {v:.6g} t/a" for i, v in neg.head(10).itertuples(index=False))
        more = f"\n  … and {len(neg) - 10} more" if len(neg) > 10 else ""
        raise MfaError(f"the reconciliation makes {len(neg)} flow(s) negative, so the data contradict each other "
                       f"or the model:\n{shown}{more}\nreconcile with --bounds to keep flows ≥ 0, or check the "
                       "values and sigmas of these flows")
    if args.output:
        from mfa.cli._common import write_park_output

        write_park_output(r.park, args.output, args)
    from mfa.substance import read_substances, reconcile_substances

    layer = read_substances(args.park, park)
    sub = None if layer.empty else reconcile_substances(park, layer, max_iter=args.max_iter,
                                                        covariance=args.covariance)
    if sub is not None and args.json:
        from mfa.cli._common import print_json
        from mfa.cli._substance import joint_document

        print_json(joint_document(r.to_dict(), sub, args.alpha))
        return 0
    return emit(args, r, lambda: _show_text(park.info.name, r, args.alpha, args.output, sub))


def _show_text(park_name: str, r: ReconcileResult, alpha: float, output: str | None,
               sub: "SubstanceResult | None" = None) -> None:
    s = r.summary
    print(f"Reconciliation of {park_name} (t/a)")
    print(f"converged after {s['iterations']} iteration(s); chi2 = {s['chi2']:.4g}, dof = {s['dof']}, "
          f"p = {s['p_value']:.4g}; largest constraint residual {s['max_residual']:.3g} t/a")
    print("status: " + ", ".join(f"{k} {v}" for k, v in s["status_counts"].items()))
    if not s["uncertainty_propagated"]:
        print("uncertainties not propagated: " + (s.get("uncertainty_skipped") or "--no-covariance given"))
    with table_options(float_format=significant):
        cols = ["id", "value", "sigma", "status", "measured", "normalised_adjustment", "gross_error"]
        print()
        print(r.flows[cols].to_string(index=False, na_rep=""))
        if len(r.transfer_coefficients):
            print()
            print("Transfer coefficients")
            print(r.transfer_coefficients[["flow", "value", "sigma", "status", "measured",
                                           "normalised_adjustment", "gross_error"]].to_string(index=False,
                                                                                             na_rep=""))
        if len(r.stock_changes):
            print()
            print("Stock changes (t/a)")
            print(r.stock_changes.to_string(index=False, na_rep=""))
        if len(r.combinations):
            print()
            print("Determined combinations of unobservable flows")
            print(r.combinations[["expression", "value", "sigma"]].to_string(index=False, na_rep=""))
    if sub is not None:
        from mfa.cli._substance import print_substance_flows

        print_substance_flows(sub)
    if s["gross_errors"]:
        print(f"\n{s['gross_errors']} measurement(s) flagged as gross errors (alpha = {alpha})")
    if output:
        print(f"\nreconciled park written to {output}")
