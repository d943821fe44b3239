"""Targets for the utilisation rates, and how far a park is from them.

The shipped file ``flows/targets.csv`` holds the national 2025 (and 2020) targets of the 14th Five-Year
circular-economy plan and related documents, the thresholds of an eco-industrial-park standard, and the
levels Inner Mongolia reached (its own 2025 targets could not be retrieved; those rows have
``kind = baseline``). A park may use its own file with the same columns::

    id,indicator,comparison,value,year,region,level,kind,source,note
    my_iws,industrial_solid_waste_utilisation_rate,>=,0.75,2025,乌海,park plan,target,park plan 2021,

``value`` is a fraction (0.6 = 60 %; ``60%`` is accepted too); ``comparison`` is ``>=`` (at least, the
default) or ``<=`` (at most). ``indicator`` is an id of :func:`mfa.indicators.indicators`.

The **gap** is in tonnes per year: for ``>=`` the tonnes that would have to move to the numerator at the
same denominator, ``max(0, target × denominator − numerator)``; for ``<=`` the tonnes that would have to
leave it, ``max(0, numerator − target × denominator)``. It is 0 when the target is met and null when the
indicator has no value.

>>> t = load_targets()
>>> t.loc[t.id == "cn_2025_straw", ["indicator", "value"]].values.tolist()
[['straw_utilisation_rate', 0.86]]
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from mfa.errors import Issue, MfaError, ParkError, suggest

__all__ = ["load_targets", "evaluate", "TARGET_COLUMNS"]

TARGET_COLUMNS: tuple[str, ...] = (
    "id", "indicator", "comparison", "value", "year", "region", "level", "kind", "source", "note",
)
_REQUIRED = ("indicator", "value", "source")


def load_targets(path: str | Path | None = None, indicator_ids: "set[str] | None" = None) -> pd.DataFrame:
    """The targets table: the shipped ``flows/targets.csv`` (``path`` None) or a park's own CSV file.

    Every problem (missing column, value not a fraction, unknown comparison or indicator, missing source) is
    reported at once as :class:`~mfa.errors.ParkError`, located by file, row and column.
    """
    from mfa.catalogue import data_path

    if path is None:
        path = data_path("flows", "targets.csv")
    path = Path(path)
    if not path.is_file():
        raise MfaError(f"targets file not found: {path}")
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise MfaError(f"{path}: cannot read as a CSV file ({exc})") from exc
    raw = raw.apply(lambda s: s.str.strip()) if len(raw.columns) else raw
    if indicator_ids is None:
        from mfa.indicators import INDICATORS

        indicator_ids = {spec["id"] for spec in INDICATORS}
    issues: list[Issue] = []
    f = str(path)
    for col in _REQUIRED:
        if col not in raw.columns:
            issues.append(Issue(f, f"targets file has no '{col}' column", column=col,
                                suggestion="columns: " + ",".join(TARGET_COLUMNS)))
    if issues:
        raise ParkError(issues)
    for col in raw.columns:
        if col not in TARGET_COLUMNS:
            issues.append(Issue(f, f"unknown column '{col}'", column=col,
                                suggestion=suggest(col, TARGET_COLUMNS) or "columns: " + ",".join(TARGET_COLUMNS)))
    rows = []
    for i in range(len(raw)):
        row = i + 2  # as a spreadsheet shows it: header is row 1
        r = {c: (raw.at[i, c] if c in raw.columns else "") for c in TARGET_COLUMNS}
        ok = True
        if r["indicator"] not in indicator_ids:
            issues.append(Issue(f, "unknown indicator", row, "indicator", r["indicator"],
                                suggest(r["indicator"], indicator_ids) or "see `mfa indicators --help`"))
            ok = False
        text = r["value"]
        try:
            v = float(text[:-1]) / 100.0 if text.endswith("%") else float(text)
            if not math.isfinite(v) or v < 0 or v > 1:
                raise ValueError
        except ValueError:
            issues.append(Issue(f, "target must be a fraction between 0 and 1", row, "value", text,
                                "write 0.6 or 60%"))
            ok = False
        comp = r["comparison"] or ">="
        if comp not in (">=", "<="):
            issues.append(Issue(f, "comparison must be >= or <=", row, "comparison", comp))
            ok = False
        if not r["source"]:
            issues.append(Issue(f, "a target needs its source", row, "source", None,
                                "the document that sets it, e.g. S11 or the park's plan"))
            ok = False
        year = None
        if r["year"]:
            try:
                year = int(r["year"])
            except ValueError:
                issues.append(Issue(f, "not a year", row, "year", r["year"]))
                ok = False
        if ok:
            rows.append({**r, "id": r["id"] or f"target{i + 1}", "comparison": comp, "value": v, "year": year,
                         "kind": r["kind"] or "target"})
    if issues:
        raise ParkError(issues)
    out = pd.DataFrame(rows, columns=list(TARGET_COLUMNS))
    out["year"] = pd.array(out["year"].tolist(), dtype="Int64")
    out["value"] = out["value"].astype(float)
    return out


def evaluate(table: pd.DataFrame, targets: pd.DataFrame) -> pd.DataFrame:
    """Each target against the indicator table (columns id, value, numerator, denominator).

    Returns one row per target: id, indicator, kind, region, level, year, comparison, target, value,
    passed (bool, null when the indicator has no value), gap_t (t/a, see module docstring), source, note.
    """
    ind = table.set_index("id")
    val = targets["indicator"].map(ind["value"]).astype(float).to_numpy()
    num = targets["indicator"].map(ind["numerator"]).astype(float).to_numpy()
    den = targets["indicator"].map(ind["denominator"]).astype(float).to_numpy()
    tgt = targets["value"].to_numpy(dtype=float)
    at_least = (targets["comparison"] == ">=").to_numpy()
    has = ~np.isnan(val)
    # A small tolerance so that a rate printed as the target is not failed by rounding.
    passed = np.where(at_least, val >= tgt - 1e-12, val <= tgt + 1e-12)
    gap = np.where(at_least, np.maximum(0.0, tgt * den - num), np.maximum(0.0, num - tgt * den))
    return pd.DataFrame({
        "id": targets["id"].to_numpy(), "indicator": targets["indicator"].to_numpy(),
        "kind": targets["kind"].to_numpy(), "region": targets["region"].to_numpy(),
        "level": targets["level"].to_numpy(), "year": targets["year"].to_numpy(),
        "comparison": targets["comparison"].to_numpy(), "target": tgt, "value": val,
        "passed": pd.array(np.where(has, passed, None).tolist(), dtype="boolean"),
        "gap_t": np.where(has, gap, np.nan),
        "source": targets["source"].to_numpy(), "note": targets["note"].to_numpy(),
    })
