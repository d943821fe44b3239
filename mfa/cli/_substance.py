"""The substance layer on the command line: ``--substance`` of ``mfa trace`` and the substance tables that
``mfa reconcile`` prints when the park has concentrations (see :mod:`mfa.substance`)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from mfa.cli._common import print_json_result, significant, table_options

if TYPE_CHECKING:  # pragma: no cover
    from mfa.park import Park
    from mfa.substance import SubstanceResult


def add_substance_option(parser: argparse.ArgumentParser, what: str) -> None:
    """``--substance S``: the command on the flows of one substance (the park's ``concentrations``).

    Parameters
    ----------
    parser : argparse.ArgumentParser
    what : str
        What the option does for this command, for the help.

    Returns
    -------
    None

    Examples
    --------
    >>> p = argparse.ArgumentParser()
    >>> add_substance_option(p, "trace the substance")
    >>> p.parse_args(["--substance", "Al2O3"]).substance
    'Al2O3'
    """
    parser.add_argument("--substance", metavar="S", default=None,
                        help=f"{what} (a substance of the park's concentrations table, e.g. Al2O3, N, Pb)")


def print_substance_flows(sub: "SubstanceResult") -> None:
    """Print the substance flows (those the data determine), the recovery per process and the balances that
    cannot close.

    Parameters
    ----------
    sub : mfa.substance.SubstanceResult

    Returns
    -------
    None

    Examples
    --------
    >>> from mfa.substance import example, reconcile_substances
    >>> print_substance_flows(reconcile_substances(*example()))  # doctest: +ELLIPSIS
    <BLANKLINE>
    Substance flows (concentration as a mass fraction; value and sigma in t/a of the substance)
    ...
    """
    t = sub.substance_flows
    shown = t[t["status"] != "unobservable"]
    with table_options(float_format=significant):
        print()
        print("Substance flows (concentration as a mass fraction; value and sigma in t/a of the substance)")
        print(shown[["flow", "substance", "concentration", "concentration_sigma", "value", "sigma", "status"]]
              .to_string(index=False, na_rep=""))
        hidden = len(t) - len(shown)
        if hidden:
            print(f"({hidden} substance flow(s) not determined by the data: no concentration given, none "
                  "computable)")
        if len(sub.recovery):
            print()
            print("Substance recovery (substance in non-waste outputs ÷ substance in waste inputs)")
            print(sub.recovery.to_string(index=False, na_rep=""))
    s = sub.summary
    print(f"joint chi2 = {s['chi2']:.4g}, dof = {s['dof']}, p = {s['p_value']:.4g}")
    for m in sub.messages:
        if m.severity == "warning":
            print(f"warning: {m.message}")


def substance_view(source: str, park: "Park", substance: str) -> tuple["Park", str]:
    """The park whose flows are those of ``substance`` (t/a of it), for the goods views (the Sankey diagram),
    and the note that says so.

    Parameters
    ----------
    source : str
        The PARK argument (where the substance tables are read).
    park : mfa.Park
        The park read from it.
    substance : str

    Returns
    -------
    tuple of (mfa.Park, str)

    Examples
    --------
    >>> import mfa
    >>> view, note = substance_view("hazardous", mfa.read_park("hazardous"), "Hg")
    >>> note
    'flows of Hg in t/a of Hg (joint goods and substance reconciliation); 9 substance flow(s) not determined by the data are not drawn'
    """
    from mfa.errors import MfaError
    from mfa.substance import read_substances, reconcile_substances, substance_park

    layer = read_substances(source, park)
    if layer.empty:
        raise MfaError(f"{source}: the park has no concentrations table, so no substance to draw "
                       "(add concentrations.csv: material or flow, substance, value, unit, sigma)")
    result = reconcile_substances(park, layer)
    view = substance_park(park, result, substance)
    t = result.substance_flows
    hidden = int(((t["substance"] == substance) & (t["status"] == "unobservable")).sum())
    note = f"flows of {substance} in t/a of {substance} (joint goods and substance reconciliation)"
    if hidden:
        note += f"; {hidden} substance flow(s) not determined by the data are not drawn"
    return view, note


def joint_document(doc: dict, sub: "SubstanceResult", alpha: float) -> dict:
    """The ``reconcile --json`` document of a park with a substance layer: with concentrations measured with σ
    the joint goods and substance reconciliation *is* the reconciliation, so ``chi2``, ``dof``, ``p_value``
    the goods ``flows`` (value, sigma, status, adjustment, normalised_adjustment, gross_error), ``status_counts``
    and ``gross_errors`` are the joint ones (transfer coefficients, stock changes and combinations stay those of
    the goods reconciliation); ``reconciliation`` says so and keeps the goods-only test; ``substance_flows`` is added.

    Parameters
    ----------
    doc : dict
        The goods-only document (:meth:`mfa.solve.ReconcileResult.to_dict`).
    sub : mfa.substance.SubstanceResult
    alpha : float
        Significance level of the gross-error test.

    Returns
    -------
    dict
        A new document with the same keys, plus ``reconciliation`` and ``substance_flows``.

    Examples
    --------
    >>> import mfa
    >>> from mfa.substance import read_substances, reconcile_substances
    >>> park = mfa.read_park("hazardous")
    >>> sub = reconcile_substances(park, read_substances("hazardous", park))
    >>> doc = joint_document(mfa.reconcile(park).to_dict(), sub, 0.05)
    >>> doc["reconciliation"]["layers"], doc["chi2"] == sub.chi2, doc["dof"] == sub.dof
    ('goods and substances', True, True)
    """
    import numpy as np
    from scipy.special import ndtri

    out = dict(doc)
    out["reconciliation"] = {"layers": "goods and substances", "substances": sorted(set(sub.substance_flows[
        "substance"])), "goods_only": {k: doc.get(k) for k in ("chi2", "dof", "p_value")}}
    out.update(chi2=float(sub.chi2), dof=int(sub.dof), p_value=float(sub.p_value))
    g = sub.flows
    meas = g["measured_sigma"].to_numpy(dtype=float)
    is_meas = np.isfinite(meas) & (meas > 0)
    v = g["value"].to_numpy(dtype=float)
    sig = g["sigma"].to_numpy(dtype=float)
    adj = np.where(is_meas, v - g["measured"].to_numpy(dtype=float), np.nan)
    # as the goods reconciliation: var(adjustment) = σ_measured² − σ_reconciled² (weighted least squares)
    sd_adj = np.sqrt(np.maximum(meas ** 2 - np.nan_to_num(sig) ** 2, 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(is_meas & (sd_adj > 1e-12 * np.where(is_meas, meas, 1.0)), adj / sd_adj, np.nan)
    status = g["status"].to_numpy(dtype=object)
    z = np.where(is_meas & (status == "measured"), 0.0, z)
    gross = np.nan_to_num(np.abs(z)) > float(ndtri(1 - alpha / 2))
    pos = {fid: i for i, fid in enumerate(g["id"])}

    def num(x: float) -> float | None:
        return float(x) if np.isfinite(x) else None

    flows = []
    for rec in doc["flows"]:
        i = pos[rec["id"]]
        flows.append({**rec, "value": num(v[i]), "sigma": num(sig[i]), "status": str(status[i]),
                      "adjustment": num(adj[i]), "normalised_adjustment": num(z[i]),
                      "gross_error": bool(gross[i])})
    out["flows"] = flows
    out["status_counts"] = {k: int((status == k).sum()) for k in doc["status_counts"]}
    out["gross_errors"] = int(gross.sum()) + sum(bool(t.get("gross_error")) for t in doc["transfer_coefficients"])
    out["substance_flows"] = sub.records()
    return out


def trace_substance(args: argparse.Namespace, park: "Park") -> int:
    """``mfa trace PARK --substance S``: where the substance of each waste ends, and the recovery per process.

    Parameters
    ----------
    args : argparse.Namespace
        ``park``, ``substance``, ``material``, ``json``.
    park : mfa.Park
        The park read (not solved: the joint reconciliation computes its unknowns).

    Returns
    -------
    int
        0.

    Examples
    --------
    >>> import mfa
    >>> ns = argparse.Namespace(park="tuoketuo", substance="Al2O3", material="alumina", json=False)
    >>> trace_substance(ns, mfa.read_park("tuoketuo"))  # doctest: +ELLIPSIS
    Fates of Al2O3 in the wastes of ...
    """
    from dataclasses import replace

    from mfa.errors import MfaError
    from mfa.substance import read_substances, substance_fates

    layer = read_substances(args.park, park)
    if layer.empty:
        raise MfaError(f"{args.park}: the park has no concentrations table, so no substance to trace "
                       "(add concentrations.csv: material or flow, substance, value, unit, sigma)")
    result = substance_fates(park, layer, args.substance)
    if args.material:
        result = replace(result, fates=result.fates[result.fates["material"] == args.material])
    if args.json:
        print_json_result(result)
        return 0
    with table_options(float_format=significant):
        print(f"Fates of {args.substance} in the wastes of {park.info.name} (t/a of {args.substance}; share of "
              "what the waste carries)")
        print(result.fates.to_string(index=False) if len(result.fates) else "(no waste carries it)")
        if len(result.recovery):
            print()
            print("Recovery per process (substance in non-waste outputs ÷ substance in waste inputs)")
            print(result.recovery.to_string(index=False))
    for m in result.messages:
        print(f"note: {m.message}")
    return 0
