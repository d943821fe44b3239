"""mfa uncertainty PARK — Monte Carlo percentiles of every flow and indicator."""

from __future__ import annotations

import argparse

from typing import TYPE_CHECKING

from mfa.cli._common import finish_command, emit, load_park, park_command, significant, table_options

if TYPE_CHECKING:
    from mfa.uncertainty import UncertaintyResult

HELP = "Monte Carlo uncertainty of flows and indicators (measured values sampled, each sample reconciled)"
DESCRIPTION = HELP + """. Measured flows (sigma, t/a) and coefficients (tc_sigma) are sampled, kept physical
(flows >= 0, 0 <= tc <= 1), reconciled and the unknowns computed; percentiles 2.5 … 97.5 of every flow (t/a) and
indicator. The same --seed gives identical output for any --workers."""


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``uncertainty`` command to the CLI's sub-parsers.

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
    >>> sub.choices["uncertainty"].parse_args(["wuhai", "--samples", "20"]).samples
    20
    """
    p = park_command(sub, "uncertainty", HELP, DESCRIPTION)
    p.add_argument("--samples", type=int, default=1000, metavar="N", help="number of samples (default 1000)")
    p.add_argument("--seed", type=int, default=0, metavar="S", help="random seed (default 0)")
    p.add_argument("--workers", type=int, default=1, metavar="K",
                   help="worker processes (default 1: run in this process)")
    p.add_argument("--distribution", default="normal",
                   choices=["normal", "lognormal", "uniform", "triangular"],
                   help="distribution of every measured value (default normal)")
    p.add_argument("--indicator-samples", type=int, default=200, metavar="M",
                   help="evaluate the indicators on the first M samples (default 200; 0 = skip indicators)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    finish_command(p, run)


def _init_worker() -> None:
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)


def run(args: argparse.Namespace) -> int:
    """Run ``mfa uncertainty`` with parsed arguments (errors are raised as :class:`mfa.errors.MfaError`; the CLI
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
    ...     code = run(sub.choices["uncertainty"].parse_args(["wuhai", "--samples", "20", "--indicator-samples", "0", "--json"]))
    >>> code, '"p97_5"' in out.getvalue()
    (0, True)
    """
    from mfa.errors import MfaError
    from mfa.uncertainty import monte_carlo

    if args.samples < 1:
        raise MfaError(f"--samples must be at least 1, got {args.samples}")
    if args.workers < 1:
        raise MfaError(f"--workers must be at least 1, got {args.workers}")
    if args.indicator_samples < 0:
        raise MfaError(f"--indicator-samples must be 0 or more, got {args.indicator_samples}")
    park = load_park(args.park)
    kw = dict(samples=args.samples, seed=args.seed, distribution=args.distribution,
              indicators=args.indicator_samples > 0, indicator_samples=args.indicator_samples,
              progress=not args.no_progress and not args.json)
    if args.workers > 1:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(args.workers, initializer=_init_worker) as ex:
            res = monte_carlo(park, executor=ex, **kw)
    else:
        res = monte_carlo(park, **kw)
    return emit(args, res, lambda: _show_text(park.info.name, res))


def _show_text(park_name: str, res: UncertaintyResult) -> None:
    print(f"Monte Carlo uncertainty of {park_name}: {res.samples} samples, seed {res.seed}, "
          f"{res.distribution} distributions" + (f"; {res.failed_samples} samples failed and were excluded"
                                                 if res.failed_samples else ""))
    with table_options(float_format=significant):
        if len(res.indicators):
            print(f"\nIndicators (first {res.indicator_samples} samples)")
            print(res.indicators[["id", "value", "mean", "std", "p2_5", "p50", "p97_5"]].to_string(
                index=False, na_rep=""))
        print("\nFlows (t/a)")
        print(res.flows[["id", "status", "value", "mean", "std", "p2_5", "p50", "p97_5"]].to_string(
            index=False, na_rep=""))
