"""Domain knowledge shipped as data: the material catalogue, coefficient tables, targets, example parks.

In a source checkout the files live in the repository's ``flows/`` and ``parks/`` folders; in an installed
wheel they are packaged as ``mfa/_data/flows`` and ``mfa/_data/parks``. :func:`data_path` hides the
difference.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import pandas as pd

if TYPE_CHECKING:
    from mfa.errors import Issue, RawTable
    from mfa.validation import Column

__all__ = ["data_path", "materials", "material_aliases", "example_parks", "example_park_path", "compatibility",
           "read_prices", "known_sources", "check_sources", "coupling_coefficients", "raw_csv", "COMPATIBILITY_COLUMNS",
           "PRICE_COLUMNS", "PRICE_RANGE_COLUMNS", "COEFFICIENT_RULE_COLUMNS", "RULE_TERMS", "RULE_STATUSES"]

_PACKAGE = Path(__file__).resolve().parent


def _root(kind: str) -> Path:
    packaged = _PACKAGE / "_data" / kind
    if packaged.is_dir():
        return packaged
    return _PACKAGE.parent / kind


def data_path(kind: str, *parts: str) -> Path:
    """Path of a shipped data file: ``data_path("flows", "materials.csv")``; ``kind`` is flows or parks.

    Parameters
    ----------
    kind : str
        ``"flows"`` (domain data) or ``"parks"`` (example parks).
    *parts : str
        The path inside it.

    Returns
    -------
    Path

    Examples
    --------
    >>> data_path("flows", "materials.csv").is_file()
    True
    """
    if kind not in ("flows", "parks"):
        raise ValueError("kind must be 'flows' or 'parks'")
    return _root(kind).joinpath(*parts)


@functools.lru_cache(maxsize=1)
def _materials_cached() -> pd.DataFrame:
    path = data_path("flows", "materials.csv")
    if not path.is_file():
        from mfa.conventions import MATERIAL_COLUMNS

        return pd.DataFrame({c: pd.Series(dtype=object) for c in MATERIAL_COLUMNS})
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    frame["bulk"] = frame["bulk"].str.strip().str.lower().isin(["true", "1", "yes"])
    return frame


def materials() -> pd.DataFrame:
    """The shipped material catalogue (``flows/materials.csv``): id, name, name_zh, category, bulk,
    hw_code, source, note — one row per material, every row with its source.

    Returns
    -------
    DataFrame
        A fresh copy.

    Examples
    --------
    >>> cat = materials()
    >>> cat.set_index("id").loc["fly_ash", "name_zh"]
    '粉煤灰'
    """
    return _materials_cached().copy()


@functools.lru_cache(maxsize=1)
def _aliases_cached() -> dict[str, str]:
    names: dict[str, str] = {}
    cat = _materials_cached()
    zh = cat["name_zh"].fillna("").astype(str).str.strip()
    unique = zh[(zh != "") & ~zh.duplicated(keep=False)]
    names.update(dict(zip(unique, cat.loc[unique.index, "id"])))
    path = data_path("flows", "material_aliases.csv")
    if path.is_file():
        extra = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        names.update({a.strip(): m.strip() for a, m in zip(extra["alias"], extra["material"]) if a.strip()})
    return names


def material_aliases() -> dict[str, str]:
    """Chinese names a park's staff may type for a catalogue material: every unambiguous ``name_zh`` of
    ``flows/materials.csv`` (粉煤灰 → fly_ash) and the common names of ``flows/material_aliases.csv``
    (秸秆 → straw_mixed, 电石泥 → carbide_slag …).

    Returns
    -------
    dict of str to str

    Examples
    --------
    >>> material_aliases()["粉煤灰"]
    'fly_ash'
    """
    return dict(_aliases_cached())


def example_parks() -> list[str]:
    """Names of the example parks shipped with circular-mfa (``mfa check wuhai`` works after install).

    Returns
    -------
    list of str

    Examples
    --------
    >>> "wuhai" in example_parks()
    True
    """
    root = _root("parks")
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if p.is_dir() and (p / "processes.csv").is_file()
                  or (p.is_file() and p.suffix in (".yaml", ".yml", ".xlsx")))


def example_park_path(name: str) -> Path | None:
    """Path of the shipped example park ``name``, or None.

    Parameters
    ----------
    name : str

    Returns
    -------
    Path or None

    Examples
    --------
    >>> example_park_path("wuhai").name, example_park_path("atlantis")
    ('wuhai', None)
    """
    p = _root("parks") / name
    return p if p.exists() else None


# -- the symbiosis catalogue and price tables ----------------------------------------------------------
#: columns of ``flows/compatibility.csv`` (see :func:`compatibility`)
COMPATIBILITY_COLUMNS: tuple[str, ...] = (
    "waste", "substitutes", "accepting_group", "ratio", "max_share", "co2_avoided", "quality_note",
    "disposal_fee", "virgin_price", "source", "note")
#: columns of a price table (see :func:`read_prices`)
PRICE_COLUMNS: tuple[str, ...] = ("material", "disposal_fee", "virgin_price", "source", "note")
#: optional numeric columns of a price table: the ranges and the environmental protection tax (CNY/t)
PRICE_RANGE_COLUMNS: tuple[str, ...] = ("disposal_fee_low", "disposal_fee_high", "virgin_price_low",
                                        "virgin_price_high", "env_tax")


def raw_csv(path: Path, name: str) -> "RawTable":
    """A shipped or user CSV table as text cells (stripped), rows numbered as a spreadsheet shows them.

    Parameters
    ----------
    path : Path
        The CSV file (UTF-8, with or without BOM).
    name : str
        The table's name in messages.

    Returns
    -------
    mfa.errors.RawTable

    Examples
    --------
    >>> raw_csv(data_path("flows", "prices.csv"), "prices").rows[0]
    2
    """
    from mfa.errors import RawTable

    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    frame = frame.apply(lambda s: s.str.strip()) if len(frame.columns) else frame
    return RawTable(name, str(path), frame, range(2, len(frame) + 2))


@functools.lru_cache(maxsize=1)
def known_sources() -> frozenset[str] | None:
    """The source ids of ``flows/sources.csv`` (None if the file is not shipped).

    Returns
    -------
    frozenset of str or None

    Examples
    --------
    >>> "S11" in known_sources()
    True
    """
    path = data_path("flows", "sources.csv")
    if not path.is_file():
        return None
    return frozenset(pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")["id"].str.strip())


def check_sources(raw: "RawTable", issues: list, required: bool) -> None:
    """Check the ``source`` column of ``raw`` (``;``-separated ids of ``flows/sources.csv``), appending
    located issues: a blank cell (when ``required``) and every unknown id.

    Parameters
    ----------
    raw : mfa.errors.RawTable
        A table with a ``source`` column.
    issues : list of mfa.errors.Issue
        Where problems go.
    required : bool
        Whether every row needs a source.

    Examples
    --------
    >>> import pandas as pd
    >>> from mfa.errors import RawTable
    >>> issues = []
    >>> check_sources(RawTable("t", "t.csv", pd.DataFrame({"source": ["S11", "S11;Q9", ""]}), [2, 3, 4]),
    ...               issues, required=True)
    >>> [(i.row, i.message, i.value) for i in issues]
    [(4, 'every row needs a source id (see flows/sources.csv)', None), (3, 'unknown source id', 'Q9')]
    """
    import numpy as np

    from mfa.errors import RawTable, suggest
    from mfa.validation import Column, check_columns, grouped_issues

    check_columns(raw, [Column("source", required=required,
                               blank_message="every row needs a source id (see flows/sources.csv)")], issues)
    known = known_sources()
    if known is None:
        return
    ids = raw.frame["source"].astype(str).str.split(";").explode().str.strip()
    unknown = ((ids != "") & ~ids.isin(list(known))).to_numpy()
    if unknown.any():
        # one row per (row, id), located at the row it came from: a cell may name several ids
        at = np.asarray(ids.index)
        per_id = RawTable(raw.name, raw.file, pd.DataFrame({"source": ids.to_numpy()}),
                          [raw.rows[i] for i in at])
        issues.extend(grouped_issues(per_id, unknown, "source", "unknown source id",
                                     suggestion=lambda v: suggest(v, known) or "add it to flows/sources.csv"))


def _catalogue_table(path: str | Path | None, shipped: str, what: str, columns: tuple[str, ...]) -> "RawTable":
    """A catalogue CSV (the shipped ``flows/<shipped>`` unless ``path``) as a raw table with all ``columns``."""
    from mfa.errors import Issue, MfaError, ParkError

    p = Path(path) if path is not None else data_path("flows", shipped)
    if not p.is_file():
        raise MfaError(f"{what} not found: {p}")
    raw = raw_csv(p, Path(shipped).stem)
    missing = [c for c in columns if c not in raw.frame.columns]
    if missing:
        raise ParkError([Issue(raw.file, f"missing column(s) {', '.join(missing)}", row=1,
                               suggestion="columns: " + ",".join(columns))])
    return raw


def _validated_catalogue(path: str | Path | None, shipped: str, what: str, columns: tuple[str, ...],
                         specs: "list[Column]", row_rules: "Callable[[RawTable, dict[str, Any]], list[Issue]]",
                         *, sources_required: bool) -> pd.DataFrame:
    """A catalogue CSV checked column by column (``specs``), then row by row (``row_rules`` of the raw table
    and the checked values), then its source ids; every problem raised at once as a ParkError, else the
    table with the checked values in place and ``row`` (the spreadsheet row) first."""
    import numpy as np

    from mfa.errors import ParkError
    from mfa.validation import check_columns

    raw = _catalogue_table(path, shipped, what, columns)
    issues: list[Issue] = []
    values = check_columns(raw, specs, issues).values
    issues.extend(row_rules(raw, values))
    check_sources(raw, issues, required=sources_required)
    if issues:
        raise ParkError(issues)
    out = raw.frame.copy()
    for c, v in values.items():
        out[c] = v
    out.insert(0, "row", np.arange(len(out)) + 2)
    return out


def compatibility(path: str | Path | None = None) -> pd.DataFrame:
    """The waste compatibility catalogue (default ``flows/compatibility.csv``), validated.

    Columns: waste (material id or ``category:<category>``), substitutes (material replaced at the user, or
    blank), accepting_group (``|``-separated tokens matched against the user's group or id; required when
    substitutes is blank, a filter otherwise), ratio (γ, t substituted per t waste; 0 for acceptance rows),
    max_share (largest share of the user's total input the waste may make up, or blank), co2_avoided
    (t CO₂ per t waste, or blank), quality_note, disposal_fee and virgin_price (CNY/t where sourced), source
    (ids in flows/sources.csv, ``;``-separated), note.

    Parameters
    ----------
    path : str or Path, optional
        A catalogue of the same columns; default the shipped one.

    Returns
    -------
    DataFrame
        The columns above, numbers as floats, plus ``row`` (the spreadsheet row).

    Raises
    ------
    mfa.errors.ParkError
        Every problem, named by file, row and column.

    Examples
    --------
    >>> table = compatibility()
    >>> bool((table["ratio"] >= 0).all()), int(table["row"].iloc[0])
    (True, 2)
    """
    import numpy as np

    from mfa.validation import Column

    out = _validated_catalogue(path, "compatibility.csv", "compatibility catalogue", COMPATIBILITY_COLUMNS, [
        Column("waste", required=True, blank_message="missing waste material"),
        Column("ratio", "number", low=0.0),
        Column("max_share", "number", low=0.0, high=1.0),
    ] + [Column(c, "number") for c in ("co2_avoided", "disposal_fee", "virgin_price")],
        _compatibility_rules, sources_required=True)
    out["ratio"] = np.where(np.isnan(out["ratio"].to_numpy(dtype=float)), 0.0, out["ratio"])
    if "rule" not in out.columns:  # a catalogue written before the coupling rules: no row refers to one
        out["rule"] = ""
    return out


def _compatibility_rules(raw: "RawTable", values: dict[str, Any]) -> "list[Issue]":
    """What a compatibility row must hold beyond its columns' own checks: a substitute or an accepting
    group, a ratio for a substitution, a known waste category."""
    from mfa.conventions import WASTE_CATEGORIES
    from mfa.errors import suggest
    from mfa.validation import grouped_issues

    frame = raw.frame
    both_blank = ((frame["substitutes"] == "") & (frame["accepting_group"] == "")).to_numpy()
    need_ratio = (frame["substitutes"] != "").to_numpy() & (frame["ratio"] == "").to_numpy()
    cats = frame["waste"].str.startswith("category:")
    cat = frame["waste"].str.partition(":")[2]
    return [*grouped_issues(raw, both_blank, "substitutes", "give a substituted material or an accepting group"),
            *grouped_issues(raw, need_ratio, "ratio", "a substitution row needs its ratio (t substituted per t waste)"),
            *grouped_issues(raw, (cats & ~cat.isin(list(WASTE_CATEGORIES))).to_numpy(), "waste",
                            "not a waste category", cat, lambda v: suggest(v, sorted(WASTE_CATEGORIES)))]


def read_prices(path: str | Path) -> pd.DataFrame:
    """A price table (CSV): material, disposal_fee (CNY per t of waste disposed), virgin_price (CNY per t of
    virgin material bought), source, note; optionally the ranges ``disposal_fee_low/high`` and
    ``virgin_price_low/high`` and the environmental protection tax ``env_tax`` (CNY/t, due only on waste
    discarded or disposed in a non-compliant site) with its ``env_tax_item``. Blank = unknown. A ``material``
    ``category:<category>`` prices every material of that category that has no row of its own.

    Parameters
    ----------
    path : str or Path
        The CSV file.

    Returns
    -------
    DataFrame
        material, disposal_fee, virgin_price (floats, NaN = unknown), source, note, then
        :data:`PRICE_RANGE_COLUMNS` (floats) and env_tax_item.

    Raises
    ------
    mfa.errors.ParkError
        Every problem, named by file, row and column.

    Examples
    --------
    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "prices.csv")
    >>> _ = open(path, "w").write("material,disposal_fee\\nfly_ash,25\\n")
    >>> read_prices(path)[["material", "disposal_fee"]].values.tolist()
    [['fly_ash', 25.0]]
    """
    from mfa.errors import Issue, MfaError, ParkError
    from mfa.validation import Column, check_columns, grouped_issues

    p = Path(path)
    if not p.is_file():
        raise MfaError(f"price file not found: {p}")
    raw = raw_csv(p, "prices")
    frame = raw.frame
    if "material" not in frame.columns:
        raise ParkError([Issue(raw.file, "missing column 'material'", row=1,
                               suggestion="columns: " + ",".join(PRICE_COLUMNS))])
    for c in PRICE_COLUMNS:
        if c not in frame.columns:
            frame[c] = ""
    issues: list[Issue] = []
    for c in PRICE_RANGE_COLUMNS + ("env_tax_item",):
        if c not in frame.columns:
            frame[c] = ""
    numbers = check_columns(raw, [Column("disposal_fee", "number"), Column("virgin_price", "number")]
                            + [Column(c, "number", low=0.0) for c in PRICE_RANGE_COLUMNS], issues).values
    issues.extend(grouped_issues(raw, frame["material"].duplicated(keep="first").to_numpy(), "material",
                                 "duplicate material"))
    check_sources(raw, issues, required=False)
    if issues:
        raise ParkError(issues)
    return pd.DataFrame({"material": frame["material"], "disposal_fee": numbers["disposal_fee"],
                         "virgin_price": numbers["virgin_price"], "source": frame["source"].astype(str),
                         "note": frame["note"].astype(str),
                         **{c: numbers[c] for c in PRICE_RANGE_COLUMNS},
                         "env_tax_item": frame["env_tax_item"].astype(str)})


#: columns of ``flows/coupling_coefficients.csv`` (see :func:`coupling_coefficients`)
COEFFICIENT_RULE_COLUMNS: tuple[str, ...] = (
    "rule", "waste", "receiver", "term", "material", "parameter", "low", "central", "high", "unit", "basis",
    "status", "source", "note")
#: what a row of ``flows/coupling_coefficients.csv`` says about the receiving process (docs/coupling-rules.md)
RULE_TERMS: tuple[str, ...] = ("displaces", "adds", "removes", "avoids", "yields", "limit", "quality", "property")
RULE_STATUSES: tuple[str, ...] = ("sourced", "derived", "needs data")


def coupling_coefficients(path: str | Path | None = None) -> pd.DataFrame:
    """The coupling rules (default ``flows/coupling_coefficients.csv``), validated: one row per (rule, term),
    as ``docs/coupling-rules.md`` describes.

    Parameters
    ----------
    path : str or Path, optional
        A table of the same columns; default the shipped one.

    Returns
    -------
    DataFrame
        The columns of :data:`COEFFICIENT_RULE_COLUMNS` (``low``, ``central``, ``high`` as floats, NaN =
        blank) plus ``row`` (the spreadsheet row).

    Raises
    ------
    mfa.errors.ParkError
        Every problem, named by file, row and column: an unknown term or status, a value that is not a
        number, a value on a ``needs data`` row or none on another, a row without a source (unless it
        needs data), an unknown source id.

    Examples
    --------
    >>> rules = coupling_coefficients()
    >>> row = rules[(rules["rule"] == "carbide_slag_raw_meal") & (rules["term"] == "displaces")]
    >>> float(row["central"].iloc[0]), int(row["row"].iloc[0]) > 1
    (1.351, True)
    """
    from mfa.validation import Column

    out = _validated_catalogue(path, "coupling_coefficients.csv", "coupling rules", COEFFICIENT_RULE_COLUMNS, [
        Column("rule", required=True, blank_message="missing rule id"),
        Column("waste", required=True, blank_message="missing waste material"),
        Column("term", "choice", required=True, choices=RULE_TERMS),
        Column("status", "choice", required=True, choices=RULE_STATUSES),
    ] + [Column(c, "number") for c in ("low", "central", "high")], _coefficient_rules, sources_required=False)
    return out[["row", *COEFFICIENT_RULE_COLUMNS]]


def _coefficient_rules(raw: "RawTable", values: dict[str, Any]) -> "list[Issue]":
    """What a coupling-rule row must hold beyond its columns' own checks: a value unless it needs data (and
    then none), low ≤ central ≤ high, a source for every value."""
    import numpy as np

    from mfa.validation import grouped_issues

    frame = raw.frame
    vals = np.column_stack([values[c] for c in ("low", "central", "high")])
    blank = (frame[["low", "central", "high"]] == "").all(axis=1).to_numpy()
    needs = (frame["status"] == "needs data").to_numpy()
    with np.errstate(invalid="ignore"):
        disorder = (vals[:, 0] > vals[:, 1]) | (vals[:, 1] > vals[:, 2])
    return [*grouped_issues(raw, needs & ~blank, "status",
                            "a 'needs data' row has no value: blank low/central/high or change the status"),
            *grouped_issues(raw, ~needs & blank & (frame["status"] != "").to_numpy(), "central",
                            "no value: give low/central/high or mark the row 'needs data'"),
            *grouped_issues(raw, disorder, "central", "low ≤ central ≤ high does not hold"),
            *grouped_issues(raw, ~needs & (frame["source"] == "").to_numpy(), "source",
                            "every row with a value needs a source id (see flows/sources.csv)")]
