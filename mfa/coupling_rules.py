"""What a waste does to the process that receives it: the coupling rules of
``flows/coupling_coefficients.csv`` applied to a park (``docs/coupling-rules.md``), and the park's own data
they need — properties, capacities per input group and market demand — read from a *site* folder.

**Site data** (all optional) is the park's own: a park read from a folder uses its ``coupling/``
sub-folder, a park read from a YAML file or an Excel workbook the ``coupling/`` folder beside the file
(:func:`site_folder`); any folder given with ``--site`` (``site=``) overrides it, ``--no-site`` (``site=False``)
ignores it. The files: ``properties.csv`` (process, material, property, value, source, note: the park's analyses such
as the gangue's ``ash_content`` or the coal's ``lhv``; a process-level property such as ``fly_ash_share``
leaves ``material`` blank; ``booked_as`` (text value) says which of the park's materials stands for a
rule's material at a process, e.g. the rule's ``coal`` is the plant's ``raw_coal``, the rule's ``co2`` is
booked on its ``flue_gas``), ``capacities.csv`` (process, group, materials (``|``-separated), capacity in
t/a, source, note) and ``demand.csv`` (material, demand in t/a, source, note: what the market takes of a
product).

**A rule per t of waste** q = 1 at the receiving process u: the inputs change by 1 − γ (γ = Σ
``displaces``), the outputs by Σ ``adds`` + Σ ``yields`` − Σ ``removes``; both are equal (checked: a rule
that does not conserve mass is an error of the rule table). A value in ``central`` is used as it is (it is
already net of the displaced material, e.g. the carbide slag's process CO₂); a formula of properties in
``parameter`` (``ash_content*fly_ash_share``) is evaluated for the waste and, where the rule displaces a
material, minus γ times the same formula for the displaced material (the coal a gangue displaces takes its
own ash and gas out). ``lhv_ratio`` is LHV(waste) / LHV(displaced). Properties come from the site's
``properties.csv``, else from the rule's sourced ``property`` row; a value nothing gives makes the coupling
**needs data** (listed with what is missing, never applied). A ``quality`` row ``X_min`` / ``X_max`` is
checked against the park's property ``X`` where the park gives it (failing: status **quality fails**),
else listed as unchecked. ``avoids`` is CO₂ avoided outside the receiver, per t of the material displaced.
``limit`` rows give the largest share (the most restrictive sourced one unless the park gives
``max_share`` for the waste at the process).

>>> import mfa
>>> park = mfa.Park.from_frames(
...     processes=[{"id": "pvc", "name": "PVC", "kind": "production"},
...                {"id": "kiln", "name": "Clinker kiln", "kind": "production"},
...                {"id": "quarry", "name": "Quarry", "kind": "import"},
...                {"id": "air", "name": "Atmosphere", "kind": "environment"},
...                {"id": "dump", "name": "Landfill", "kind": "landfill"},
...                {"id": "market", "name": "Market", "kind": "export"}],
...     flows=[{"source": "pvc", "target": "dump", "material": "carbide_slag", "value": 100},
...            {"source": "quarry", "target": "kiln", "material": "limestone", "value": 1000},
...            {"source": "kiln", "target": "market", "material": "clinker", "value": 560},
...            {"source": "kiln", "target": "air", "material": "co2", "value": 440}])
>>> e = rule_effect("carbide_slag_raw_meal", "carbide_slag", "kiln", park, SiteData.empty())
>>> e.status, e.displaced, e.ratio, e.outputs
('applied', 'limestone', 1.351, {'co2': -0.594, 'water_vapour': 0.243})
"""

from __future__ import annotations

import ast
import functools
import math
import operator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from mfa.errors import MfaError

if TYPE_CHECKING:  # pragma: no cover
    from mfa.park import Park

__all__ = ["SiteData", "read_site", "site_folder", "resolve_site", "RuleEffect", "rule_effect", "rules", "residue_route",
           "SITE_FOLDER", "EXCLUDED_FROM_CAPACITY", "EXCLUDED_MATERIALS", "material_categories"]

#: the sub-folder of a park folder that holds its site data
SITE_FOLDER = "coupling"
#: material categories never counted in a capacity or a share (combustion air, process water)
EXCLUDED_FROM_CAPACITY = frozenset({"water"})
#: materials never counted in a capacity or a share, whatever their category
EXCLUDED_MATERIALS = frozenset({"air"})
_TOL = 1e-9


# --------------------------------------------------------------------------------------------------
# site data
# --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SiteData:
    """A park's own data for the coupling rules (see the module docstring).

    Attributes
    ----------
    properties : pandas.DataFrame
        process, material, property, value (text), number (float or NaN), source, note.
    capacities : pandas.DataFrame
        process, group, materials (tuple of ids), capacity (t/a), source, note.
    demand : pandas.DataFrame
        material, demand (t/a), source, note.
    folder : str
        Where it was read from ("" when built in code).

    Examples
    --------
    >>> SiteData.empty().capacities.columns.tolist()
    ['process', 'group', 'materials', 'capacity', 'source', 'note']
    """

    properties: pd.DataFrame
    capacities: pd.DataFrame
    demand: pd.DataFrame
    folder: str = ""
    _index: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    @classmethod
    def empty(cls) -> "SiteData":
        """No site data: every property from the rules' sourced values, no input groups, no demand.

        Returns
        -------
        SiteData

        Examples
        --------
        >>> len(SiteData.empty().properties)
        0
        """
        return cls.from_frames()

    @classmethod
    def from_frames(cls, properties: Any = None, capacities: Any = None, demand: Any = None) -> "SiteData":
        """Site data from tables or lists of dicts (the columns of the CSV files; checked the same way).

        Parameters
        ----------
        properties, capacities, demand : DataFrame or list of dict, optional
            The three tables.

        Returns
        -------
        SiteData

        Raises
        ------
        mfa.errors.ParkError
            Every problem, located by table name and row (the rows are numbered as in a CSV file: 2, 3 …).

        Examples
        --------
        >>> s = SiteData.from_frames(capacities=[{"process": "cfb", "group": "fuel",
        ...                                       "materials": "raw_coal|coal_gangue", "capacity": 1000}])
        >>> s.capacities["materials"].tolist()
        [('raw_coal', 'coal_gangue')]
        """
        from mfa.errors import RawTable

        def raw(name: str, rows: Any) -> "RawTable | None":
            if rows is None:
                return None
            frame = pd.DataFrame(rows) if not isinstance(rows, pd.DataFrame) else rows
            frame = frame.astype(object).where(frame.notna(), "").astype(str)
            return RawTable(name, f"{name}.csv", frame, list(range(2, len(frame) + 2)))

        return _site_from_raw(raw("properties", properties), raw("capacities", capacities),
                              raw("demand", demand), "")

    def property(self, name: str, material: str, process: str) -> tuple[float | None, str]:
        """The park's number for ``name`` of ``material`` at ``process`` (a row for the process wins over one
        for any process; a process-level row, blank material, is the last resort).

        Parameters
        ----------
        name, material, process : str

        Returns
        -------
        (float or None, str)
            The value and the text of the cell ("" when the park gives none).

        Examples
        --------
        >>> s = SiteData.from_frames(properties=[{"material": "raw_coal", "property": "lhv", "value": 20}])
        >>> s.property("lhv", "raw_coal", "cfb")
        (20.0, '20')
        """
        idx = self._index.get("p")
        if idx is None:
            p = self.properties
            idx = {(r.process, r.material, r.property): (r.number, r.value) for r in p.itertuples()}
            self._index["p"] = idx
        for key in ((process, material, name), ("", material, name), (process, "", name)):
            if key in idx:
                num, text = idx[key]
                return (None if math.isnan(num) else float(num)), str(text)
        return None, ""

    def booked_as(self, material: str, process: str) -> str:
        """The park material that stands for a rule's ``material`` at ``process`` (itself by default).

        Parameters
        ----------
        material, process : str

        Returns
        -------
        str

        Examples
        --------
        >>> s = SiteData.from_frames(properties=[{"process": "cfb", "material": "coal",
        ...                                       "property": "booked_as", "value": "raw_coal"}])
        >>> s.booked_as("coal", "cfb"), s.booked_as("coal", "kiln")
        ('raw_coal', 'coal')
        """
        _, text = self.property("booked_as", material, process)
        return text or material


#: properties that are fractions (t/t)
_FRACTION = r"(?:_share|_content|^purity|^al2o3|^compliant|^moisture)$"
_SITE_FILES = {"properties": ("process", "material", "property", "value", "source", "note"),
               "capacities": ("process", "group", "materials", "capacity", "source", "note"),
               "demand": ("material", "demand", "source", "note")}


def _site_from_raw(props: Any, caps: Any, dem: Any, folder: str) -> SiteData:
    from mfa.catalogue import check_sources
    from mfa.errors import Message, ParkError
    from mfa.validation import Column, check_columns, grouped_issues

    issues: list = []
    out: dict[str, pd.DataFrame] = {}
    for name, raw in (("properties", props), ("capacities", caps), ("demand", dem)):
        cols = _SITE_FILES[name]
        if raw is None:
            out[name] = pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
            continue
        f = raw.frame
        for c in cols:
            if c not in f.columns:
                f[c] = ""
        frame = f[list(cols)].copy()
        if name == "properties":
            checked = check_columns(raw, [
                Column("property", required=True,
                       blank_message=Message("missing property", "coupling.missing_property")),
                Column("value", required=True, blank_message=Message("missing value", "input.missing_value"))], issues)
            number = pd.to_numeric(frame["value"], errors="coerce").to_numpy(dtype=float)
            textual = (frame["property"] == "booked_as").to_numpy()
            issues.extend(grouped_issues(raw, ~textual & np.isnan(number) & (frame["value"] != "").to_numpy(),
                                         "value", Message("not a number", "input.not_what", what="a number")))
            frame["number"] = np.where(textual, np.nan, number)
            # shares, contents and purities are fractions (t/t): 60 for 60 % is a typo, not an analysis
            fraction = frame["property"].str.contains(_FRACTION, regex=True).to_numpy()
            with np.errstate(invalid="ignore"):
                out_of = fraction & ((number < 0) | (number > 1))
            issues.extend(grouped_issues(raw, out_of, "value",
                                         Message("a share or content is a fraction between 0 and 1",
                                                 "coupling.fraction"),
                                         suggestion=Message("write 0.6 for 60 %", "hint.fraction")))
            dup = frame.duplicated(["process", "material", "property"], keep="first").to_numpy()
        elif name == "capacities":
            checked = check_columns(raw, [
                Column("process", required=True, blank_message=Message("missing process", "coupling.missing_process")),
                Column("group", required=True, blank_message=Message("missing input group", "coupling.missing_group")),
                Column("materials", required=True, blank_message=Message(
                    "list the group's materials, separated by |", "coupling.missing_materials")),
                Column("capacity", "number", required=True, low=0.0,
                       blank_message=Message("missing capacity (t/a)", "coupling.missing_capacity"))], issues)
            frame["capacity"] = checked.values["capacity"]
            frame["materials"] = [tuple(m.strip() for m in s.split("|") if m.strip()) for s in frame["materials"]]
            dup = frame.duplicated(["process", "group"], keep="first").to_numpy()
        else:
            checked = check_columns(raw, [
                Column("material", required=True, blank_message=Message("missing product", "coupling.missing_product")),
                Column("demand", "number", required=True, low=0.0,
                       blank_message=Message("missing demand (t/a)", "coupling.missing_demand"))], issues)
            frame["demand"] = checked.values["demand"]
            dup = frame.duplicated(["material"], keep="first").to_numpy()
        issues.extend(grouped_issues(raw, dup, cols[1] if name != "demand" else "material",
                                     Message("duplicate row", "coupling.duplicate_row")))
        check_sources(raw, issues, required=False)
        out[name] = frame.reset_index(drop=True)
    if issues:
        raise ParkError(issues)
    return SiteData(out["properties"], out["capacities"], out["demand"], folder)


def read_site(folder: str | Path | None) -> SiteData:
    """The site data of a folder (``properties.csv``, ``capacities.csv``, ``demand.csv``; each optional).

    Parameters
    ----------
    folder : str or Path or None
        The folder (a park folder's ``coupling/`` sub-folder is used when given the park folder); None or a
        folder without these files gives :meth:`SiteData.empty`.

    Returns
    -------
    SiteData
        What the folder holds (empty tables for the files it lacks).

    Raises
    ------
    mfa.errors.ParkError
        Every problem, located by file, row and column.

    Examples
    --------
    >>> from mfa.catalogue import example_park_path
    >>> site = read_site(example_park_path("wuhai"))
    >>> "fuel" in set(site.capacities["group"])
    True
    """
    from mfa.catalogue import raw_csv

    if folder is None:
        return SiteData.empty()
    p = Path(folder)
    if (p / SITE_FOLDER).is_dir():
        p = p / SITE_FOLDER
    if not p.is_dir():
        if p.suffix or not p.parent.is_dir():
            return SiteData.empty()
        raise MfaError(f"site data folder not found: {p}")
    raws = {n: (raw_csv(p / f"{n}.csv", n) if (p / f"{n}.csv").is_file() else None) for n in _SITE_FILES}
    return _site_from_raw(raws["properties"], raws["capacities"], raws["demand"], str(p))


def site_folder(park: "Park") -> Path | None:
    """Where the park's own site data lives: the ``coupling/`` folder of the park's folder, or beside its
    YAML file or workbook (:attr:`mfa.Park.source`); None when the park was built in code or the folder
    does not exist.

    Parameters
    ----------
    park : Park

    Returns
    -------
    Path or None

    Examples
    --------
    >>> import mfa
    >>> site_folder(mfa.read_park("wuhai")).parts[-2:]
    ('wuhai', 'coupling')
    >>> site_folder(mfa.read_park("hazardous")) is None
    True
    """
    if not park.source:
        return None
    src = Path(park.source)
    folder = (src if src.is_dir() else src.parent) / SITE_FOLDER
    return folder if folder.is_dir() else None


def resolve_site(site: Any, park: "Park") -> SiteData:
    """The site data a computation uses: the park's own by default, none, or the one given.

    Parameters
    ----------
    site : None, False, SiteData, str or Path
        None: the park's own (read from :func:`site_folder`; empty when it has none); False: none (the rules' sourced values only); a
        :class:`SiteData` as it is; a folder: :func:`read_site` of it.
    park : Park

    Returns
    -------
    SiteData

    Raises
    ------
    mfa.errors.MfaError
        A folder that does not exist; :class:`mfa.errors.ParkError` for errors in the site files.

    Examples
    --------
    >>> import mfa
    >>> park = mfa.read_park("wuhai")
    >>> len(resolve_site(None, park).capacities) > 0, len(resolve_site(False, park).capacities)
    (True, 0)
    >>> resolve_site(None, park).property("ash_content", "coal_gangue", "cfb_power_plant")[0]
    0.5
    """
    if site is None:
        folder = site_folder(park)
        return read_site(folder) if folder is not None else SiteData.empty()
    if site is False:
        return SiteData.empty()
    if isinstance(site, SiteData):
        return site
    if not Path(site).is_dir():
        raise MfaError(f"site data folder not found: {site}")
    return read_site(site)


# --------------------------------------------------------------------------------------------------
# rules
# --------------------------------------------------------------------------------------------------
@functools.lru_cache(maxsize=4)
def _rules_cached(path: str | None) -> pd.DataFrame:
    from mfa.catalogue import coupling_coefficients

    return coupling_coefficients(path)


def rules(path: str | Path | None = None) -> pd.DataFrame:
    """The coupling rules (:func:`mfa.catalogue.coupling_coefficients`), read once per path.

    Parameters
    ----------
    path : str or Path, optional
        A rule table; default ``flows/coupling_coefficients.csv``.

    Returns
    -------
    pandas.DataFrame

    Examples
    --------
    >>> sorted(set(rules()["rule"]))[:2]
    ['boiler_slag_cement', 'carbide_slag_raw_meal']
    """
    return _rules_cached(None if path is None else str(path)).copy()


@dataclass(frozen=True)
class RuleEffect:
    """What one rule does per t of waste at one receiving process.

    Attributes
    ----------
    status : str
        ``applied``, ``needs data`` or ``quality fails``.
    missing : tuple of str
        What is missing (or which quality limit fails).
    displaced : str
        The park material the waste displaces ("" for none); ``ratio`` is t of it per t of waste.
    ratio : float
    outputs : dict
        Park material → change of the receiver's output per t of waste (negative = less).
    co2_per_t : float
        t CO₂ avoided per t of waste (at the receiver and outside it); NaN when the rule gives none.
    max_share : float
        Largest share of the relevant input group (NaN = no sourced limit).
    quality : tuple of str
        The quality limits checked and those left unchecked.

    Examples
    --------
    >>> RuleEffect("applied").ratio
    0.0
    """

    status: str
    missing: tuple[str, ...] = ()
    displaced: str = ""
    ratio: float = 0.0
    outputs: dict = field(default_factory=dict)
    co2_per_t: float = float("nan")
    max_share: float = float("nan")
    quality: tuple[str, ...] = ()


_OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv}


def _formula(text: str, value_of: Any) -> float | None:
    """Evaluate ``a*(1-b)``: numbers, property names (``value_of(name)`` → float or None), + − × ÷."""
    def ev(node: ast.AST) -> float | None:
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
            return float(node.value)
        if isinstance(node, ast.Name):
            return value_of(node.id)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            v = ev(node.operand)
            return None if v is None else -v
        if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
            a, b = ev(node.left), ev(node.right)
            return None if a is None or b is None else _OPS[type(node.op)](a, b)
        raise MfaError(f"coupling rule: cannot read the formula {text!r} (numbers, property names, + - * /)")

    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError:
        raise MfaError(f"coupling rule: cannot read the formula {text!r} (numbers, property names, + - * /)") \
            from None
    return ev(tree)


def _names(text: str) -> list[str]:
    try:
        return sorted({n.id for n in ast.walk(ast.parse(text, mode="eval")) if isinstance(n, ast.Name)})
    except SyntaxError:
        return []


class _Props:
    """Property lookup for one (rule, waste, process): the park's value, else the rule's sourced one."""

    def __init__(self, rule_rows: pd.DataFrame, site: SiteData, process: str, waste: str):
        self.site, self.process, self.waste = site, process, waste
        pr = rule_rows[rule_rows["term"] == "property"]
        self.default = {(m, p): c for m, p, c in zip(pr["material"], pr["parameter"], pr["central"])
                        if not math.isnan(c)}
        self.missing: list[str] = []
        self.from_park = False  # whether the park gave any value used

    def get(self, name: str, material: str, rule_material: str | None = None, record: bool = True
            ) -> float | None:
        v, _ = self.site.property(name, material, self.process)
        if v is None and rule_material and rule_material != material:
            v, _ = self.site.property(name, rule_material, self.process)
        self.from_park |= v is not None
        if v is None:
            v = self.default.get((rule_material or material, name), self.default.get((material, name)))
        if v is None and record:
            of = rule_material or material
            self.missing.append(f"{name} at {self.process}" if of == self.waste and name.endswith("_share")
                                else f"{name} of {of} at {self.process}")
        return v


def _quality(rule_rows: pd.DataFrame, site: SiteData, process: str, waste: str) -> tuple[list[str], list[str]]:
    """(failures, notes) of the rule's quality rows for the waste at the process."""
    fails, notes = [], []
    for r in rule_rows[rule_rows["term"] == "quality"].itertuples():
        param = str(r.parameter)
        prop, bound = (param[:-4], "min") if param.endswith("_min") else (
            (param[:-4], "max") if param.endswith("_max") else (param, ""))
        limit = r.low if bound == "min" else (r.high if bound == "max" else float("nan"))
        v, _ = site.property(prop, waste, process)
        if not bound or math.isnan(limit):
            notes.append(f"unchecked: {param} ({r.basis}; needs data)")
        elif v is None:
            notes.append(f"unchecked: {prop} {'≥' if bound == 'min' else '≤'} {limit:g} (the park gives no {prop})")
        elif (v < limit - _TOL) if bound == "min" else (v > limit + _TOL):
            fails.append(f"{prop} {v:g} {'<' if bound == 'min' else '>'} {limit:g} ({param}, {r.source})")
        else:
            notes.append(f"checked: {prop} {v:g} {'≥' if bound == 'min' else '≤'} {limit:g}")
    return fails, notes


def _share_limit(rule_rows: pd.DataFrame, site: SiteData, process: str, waste: str) -> tuple[float, list[str]]:
    own, _ = site.property("max_share", waste, process)
    if own is not None:
        return own, [f"max_share {own:g} (the park's)"]
    lim = rule_rows[(rule_rows["term"] == "limit") & rule_rows["central"].notna()]
    if not len(lim):
        blank = rule_rows[rule_rows["term"] == "limit"]
        return float("nan"), ([f"unchecked: largest share ({blank['basis'].iloc[0]}; needs data)"]
                              if len(blank) else [])
    i = int(np.argmin(lim["central"].to_numpy(dtype=float)))
    return float(lim["central"].iloc[i]), [f"max_share {lim['central'].iloc[i]:g} ({lim['parameter'].iloc[i]}, "
                                           f"{lim['basis'].iloc[i]}; {lim['source'].iloc[i]})"]


def rule_effect(rule: str, waste: str, process: str, park: "Park", site: SiteData,
                table: pd.DataFrame | None = None) -> RuleEffect:
    """What ``rule`` does per t of ``waste`` at ``process`` of ``park`` (module docstring).

    Parameters
    ----------
    rule : str
        Rule id (the ``rule`` column of ``flows/compatibility.csv``).
    waste : str
        The waste material.
    process : str
        The receiving process.
    park : Park
        The park (the receiver's inputs and outputs decide where removed outputs come off).
    site : SiteData
        The park's properties.
    table : pandas.DataFrame, optional
        The rule table (default :func:`rules`).

    Returns
    -------
    RuleEffect

    Raises
    ------
    MfaError
        When the rule is unknown or its terms do not conserve mass.

    Examples
    --------
    >>> import mfa
    >>> park = mfa.Park.from_frames(
    ...     processes=[{"id": "mill", "name": "Cement mill", "kind": "production"},
    ...                {"id": "buy", "name": "Suppliers", "kind": "import"},
    ...                {"id": "market", "name": "Market", "kind": "export"}],
    ...     flows=[{"source": "buy", "target": "mill", "material": "clinker", "value": 1000},
    ...            {"source": "mill", "target": "market", "material": "cement", "value": 1000}])
    >>> e = rule_effect("fly_ash_cement", "fly_ash", "mill", park, SiteData.empty())
    >>> e.displaced, e.ratio, e.co2_per_t, e.max_share
    ('clinker', 1.0, 0.875, 0.2)
    """
    t = rules() if table is None else table
    # a rule is written for one waste; a compatibility row may send a sibling (high-alumina fly ash under a
    # fly-ash rule) to it: the rule's rows hold for every waste that names it
    rows = t[t["rule"] == rule]
    if not len(rows):
        raise MfaError(f"coupling rule {rule!r} is not in flows/coupling_coefficients.csv")
    props = _Props(rows, site, process, waste)
    missing: list[str] = []
    per_t = rows["unit"].astype(str).str.strip() == "t/t"
    disp = rows[(rows["term"] == "displaces") & per_t]
    displaced, gamma, disp_rule = "", 0.0, ""
    if len(disp) > 1:
        raise MfaError(f"coupling rule {rule!r}: one displaced material per rule (t/t rows of term displaces)")
    if len(disp):
        d = disp.iloc[0]
        disp_rule = str(d["material"])
        displaced = site.booked_as(disp_rule, process)
        if not math.isnan(d["central"]):
            gamma = float(d["central"])
        elif d["parameter"] == "lhv_ratio":  # the heat of the waste replaces the same heat of the fuel
            lw, ld = props.get("lhv", waste), props.get("lhv", displaced, disp_rule)
            gamma = lw / ld if lw is not None and ld else float("nan")
        else:
            gamma = _eval(str(d["parameter"]), props, waste, "", 0.0)
        if math.isnan(gamma):
            missing.append(f"the {disp_rule} displaced per t ({d['basis']})")
    outputs: dict[str, float] = {}
    co2 = float("nan")
    for r in rows[rows["term"].isin(["adds", "yields", "removes"]) & per_t].itertuples():
        sign = -1.0 if r.term == "removes" else 1.0
        if not math.isnan(r.central):
            v = float(r.central)
        else:
            v = _eval(str(r.parameter), props, waste, (displaced, disp_rule) if displaced else None, gamma)
        if math.isnan(v):
            missing.append(f"{r.material} per t ({r.basis})")
            continue
        m = site.booked_as(str(r.material), process)
        outputs[m] = outputs.get(m, 0.0) + sign * v
        if r.material == "co2" and r.term == "removes":
            co2 = (0.0 if math.isnan(co2) else co2) + v
    for r in rows[rows["term"] == "avoids"].itertuples():
        if r.material == "co2" and not math.isnan(r.central):
            co2 = (0.0 if math.isnan(co2) else co2) + float(r.central) * (gamma if displaced else 1.0)
    # a missing property makes every term that uses it missing too: name the root causes only
    missing = list(dict.fromkeys(props.missing or missing))
    fails, notes = _quality(rows, site, process, waste)
    share, share_notes = _share_limit(rows, site, process, waste)
    quality = tuple(notes + share_notes)
    if missing:
        return RuleEffect("needs data", tuple(missing), displaced, gamma, {}, co2, share, quality)
    balance = (1.0 - gamma) - sum(outputs.values())
    if abs(balance) > 1e-6 and props.from_park:  # the park's figures, not the rule table, do not add up
        return RuleEffect("needs data", (f"with the park's properties the outputs change by "
                                         f"{sum(outputs.values()):+.6g} t per t of {waste} but the inputs by "
                                         f"{1 - gamma:+.6g} t: check coupling/properties.csv",),
                          displaced, gamma, outputs, co2, share, quality)
    if abs(balance) > 1e-6:
        raise MfaError(f"coupling rule {rule!r} does not conserve mass at {process}: per t of {waste} the inputs "
                       f"change by {1 - gamma:+.6g} t, the outputs by {sum(outputs.values()):+.6g} t "
                       f"(flows/coupling_coefficients.csv)")
    outputs = {m: v for m, v in outputs.items() if abs(v) > _TOL}
    if fails:
        return RuleEffect("quality fails", tuple(fails), displaced, gamma, outputs, co2, share, quality)
    return RuleEffect("applied", (), displaced, gamma, outputs, co2, share, quality)


def _eval(formula: str, props: _Props, waste: str, displaced: tuple[str, str] | None, gamma: float) -> float:
    """A formula of properties per t of waste, net of γ times the same for the displaced material. A bare
    name (``ratio``, ``slag_per_alumina``) is the coefficient itself: the park may give it, else it is
    missing as the term's own value, not as a property."""
    names = _names(formula)
    if not names:
        v = _formula(formula, lambda n: None) if formula else None
        return float("nan") if v is None else v
    if len(names) == 1 and formula.strip() == names[0]:
        v = props.get(names[0], waste, record=False)
        return float("nan") if v is None else v
    w = _formula(formula, lambda n: props.get(n, waste))
    if w is None:
        return float("nan")
    if displaced is None or not gamma:
        return w
    park_m, rule_m = displaced
    d = _formula(formula, lambda n: props.get(n, park_m, rule_m))
    return float("nan") if d is None else w - gamma * d


# --------------------------------------------------------------------------------------------------
# where the receiver's outputs go
# --------------------------------------------------------------------------------------------------
def residue_route(park: "Park", process: str, material: str, depth: int = 4) -> str:
    """Where more ``material`` leaving ``process`` would go today: ``""`` when there is a route (an outflow
    of it to a boundary process, a storage yard, or a collection/treatment process with such a route; or,
    lacking any, the target of the process's largest outflow of a material of the same category), else
    why not.

    Parameters
    ----------
    park : Park
    process, material : str
    depth : int
        How many collection/treatment steps to follow.

    Returns
    -------
    str
        "" or the reason.

    Examples
    --------
    >>> import mfa
    >>> park = mfa.Park.from_frames(
    ...     processes=[{"id": "cfb", "name": "CFB", "kind": "production"},
    ...                {"id": "dump", "name": "Landfill", "kind": "landfill"}],
    ...     flows=[{"source": "cfb", "target": "dump", "material": "fly_ash", "value": 10}])
    >>> residue_route(park, "cfb", "fly_ash"), residue_route(park, "cfb", "flue_gas")
    ('', 'cfb has no outflow of flue_gas nor of another emission to send it to')
    """
    c = park.compiled
    kind_of = c.kind_of
    f = park.flows
    outs = f[(f["source"] == process) & (f["material"] == material) & f["value"].notna()]
    for t in outs["target"]:
        k = kind_of.get(t)
        if k in ("landfill", "environment", "export", "storage"):
            return ""
        if k in ("collection", "treatment") and depth > 0 and not residue_route(park, t, material, depth - 1):
            return ""
    if len(outs):
        return f"the {material} of {process} goes only to production processes (no route for more)"
    cat = str(material_categories(park, [material])[0])
    same = f[(f["source"] == process) & (f["material"].map(c.category_of) == cat) & f["value"].notna()]
    same = same[same["target"].map(kind_of).isin(["landfill", "environment", "export", "storage"])]
    if len(same):
        return ""
    return f"{process} has no outflow of {material} nor of another {cat or 'material'} to send it to"


def material_categories(park: "Park", material: Any) -> np.ndarray:
    """The category of each material: the park's, else the shipped catalogue's ("" when neither knows it).

    Parameters
    ----------
    park : Park
    material : array_like of str

    Returns
    -------
    numpy.ndarray

    Examples
    --------
    >>> import mfa
    >>> park = mfa.Park.from_frames(processes=[{"id": "a", "name": "A", "kind": "import"},
    ...                                        {"id": "b", "name": "B", "kind": "production"}],
    ...                             flows=[{"source": "a", "target": "b", "material": "air", "value": 1}])
    >>> material_categories(park, ["air", "fresh_water", "moon_dust"]).tolist()
    ['raw_material', 'water', '']
    """
    from mfa.catalogue import materials

    s = pd.Series(np.asarray(material, dtype=object))
    cat = s.map(park.compiled.category_of)
    if cat.isna().any():
        cat = cat.fillna(s.map(materials().set_index("id")["category"]))
    return cat.fillna("").to_numpy(dtype=object)
