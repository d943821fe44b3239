"""The substance layer: the substances inside the goods (Al₂O₃ in fly ash, N and P in manure, Cr, Pb, Hg in
hazardous waste), balanced, solved and reconciled together with the goods, as STAN does.

Two optional park tables, beside the goods tables (``concentrations.csv`` / ``substance_tc.csv`` in a park
folder, sections or sheets of the same names in YAML or Excel):

* ``concentrations``: ``material`` *or* ``flow``, ``substance``, ``value``, ``unit`` (``%``, ``g/kg``,
  ``mg/kg``, ``kg/t``, ``ppm``, or blank = mass fraction 0–1), ``sigma`` (same unit; blank = exact), ``note``.
  A flow row overrides its material's row; a flow row with a blank value makes that flow's content unknown (a
  residue of the same material as the feed, to be computed). Every value is normalised to a mass fraction 0–1.
* ``substance_tc``: ``process``, ``substance``, ``flow`` (an output of the process), ``share`` (0–1): the
  share of the process's substance input leaving through that flow.

For every flow *k* and substance *s* the model has a concentration ``c_ks`` (given: exact or measured;
otherwise unknown) and a substance flow ``m_ks = f_k · c_ks`` (t/a of the substance). Every internal process
balances for every substance (``Σ m_in − Σ m_out − Δstock_s = 0``; a process with a stock change has an unknown
substance stock change), and each ``substance_tc`` row adds ``m_k − share · Σ m_in = 0``. With the goods
equations of :mod:`mfa.solve` they form one bilinear system, solved and reconciled by the same Gauss–Newton
iteration (weighted least squares, sparse elimination of the unknowns, first-order σ): measured goods flows
and measured concentrations are adjusted together.

The hand case (:func:`example`): 100 t/a of fly ash at 48 % Al₂O₃ and 50 t/a of lime without Al₂O₃ enter an
alumina line that sends out 40 t/a of alumina at 98.5 % Al₂O₃ and 110 t/a of slag.

>>> r = reconcile_substances(*example())
>>> round(float(r.concentration("line>dump:silicon_calcium_slag", "Al2O3")) * 100, 3)
7.818
>>> round(float(r.recovery.loc[0, "recovery"]) * 100, 2)
82.08
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd

from mfa.errors import Issue, Message, MfaError, ParkError, RawTable
from mfa.results import Result

if TYPE_CHECKING:  # pragma: no cover
    import scipy.sparse as sp

    from mfa.park import Park
    from mfa.solve.model import Model

__all__ = ["UNIT_FACTORS", "SubstanceLayer", "read_substances", "check_substances", "concentration_arrays",
           "JointModel", "joint_model", "reconcile_substances", "SubstanceResult", "substance_fates",
           "SubstanceFates", "substance_park", "compositions", "example", "FATE_CLASSES"]

#: Factor from each accepted unit to a mass fraction (blank = already a fraction).
UNIT_FACTORS: dict[str, float] = {"": 1.0, "fraction": 1.0, "%": 1e-2, "wt%": 1e-2, "g/kg": 1e-3, "kg/t": 1e-3,
                                  "mg/kg": 1e-6, "g/t": 1e-6, "ppm": 1e-6}
_CONC_COLUMNS = ["material", "flow", "substance", "value", "sigma", "unit", "note"]
_TC_COLUMNS = ["process", "substance", "flow", "share"]
NOT_A_FLOW = Message("not a flow of the park", "substance.not_flow")
MISSING_SUBSTANCE = Message("missing substance", "substance.missing")
#: Where a substance ends, as :func:`substance_fates` reports it.
FATE_CLASSES: tuple[str, ...] = ("products", "landfill", "treatment", "air", "water", "soil", "environment",
                                 "stored", "unresolved")


@dataclass(frozen=True, eq=False)
class SubstanceLayer:
    """The substance data of a park: concentrations (mass fractions) and substance transfer coefficients.

    Attributes
    ----------
    concentrations : pandas.DataFrame
        material, flow (one of the two, the other ""), substance, value and sigma (mass fraction 0–1; sigma
        NaN = exact), unit (as written), note.
    transfer : pandas.DataFrame
        process, substance, flow, share.

    Examples
    --------
    >>> park, layer = example()
    >>> layer.substances, len(layer.concentrations)
    (('Al2O3',), 3)
    """

    concentrations: pd.DataFrame
    transfer: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=_TC_COLUMNS))

    @property
    def substances(self) -> tuple[str, ...]:
        """The substances, sorted (so that results never depend on the order of rows).

        Returns
        -------
        tuple of str

        Examples
        --------
        >>> SubstanceLayer.empty_layer().substances
        ()
        """
        # the distinct names first: iterating a column of 10⁵ strings costs more than the rest of a small park
        names = {*self.concentrations["substance"].unique().tolist(), *self.transfer["substance"].unique().tolist()}
        return tuple(sorted(names))

    @property
    def empty(self) -> bool:
        """Whether the layer holds no data (the park has no substance tables).

        Returns
        -------
        bool

        Examples
        --------
        >>> SubstanceLayer.empty_layer().empty
        True
        """
        return len(self.concentrations) == 0 and len(self.transfer) == 0

    def tables(self) -> dict[str, pd.DataFrame]:
        """The layer as the tables of a park's files (``concentrations``, ``substance_tc``; empty ones left out):
        values and sigmas as mass fractions with a blank unit, so that reading them back gives this layer.

        Returns
        -------
        dict of str to DataFrame

        Examples
        --------
        >>> park, layer = example()
        >>> t = layer.tables()["concentrations"]
        >>> list(t.columns), t["value"].tolist(), t["unit"].tolist()
        (['material', 'flow', 'substance', 'value', 'unit', 'sigma', 'note'], [0.48, 0.0, 0.985], ['', '', ''])
        """
        conc = self.concentrations[["material", "flow", "substance", "value", "sigma", "note"]].copy()
        conc.insert(4, "unit", "")
        out = {"concentrations": conc, "substance_tc": self.transfer[list(_TC_COLUMNS)].copy()}
        return {name: frame.reset_index(drop=True) for name, frame in out.items() if len(frame)}

    @classmethod
    def empty_layer(cls) -> "SubstanceLayer":
        """A layer without data.

        Returns
        -------
        SubstanceLayer

        Examples
        --------
        >>> len(SubstanceLayer.empty_layer().concentrations)
        0
        """
        return cls(concentrations=pd.DataFrame({c: pd.Series(dtype=float if c in ("value", "sigma") else object)
                                                for c in _CONC_COLUMNS}))

    @classmethod
    def from_frames(cls, park: "Park", concentrations: Any, substance_tc: Any = None) -> "SubstanceLayer":
        """Check and normalise substance tables given as DataFrames or lists of dicts (file columns).

        Parameters
        ----------
        park : mfa.Park
            The park whose materials, flows and processes the rows name.
        concentrations : DataFrame or iterable of dict
            material or flow, substance, value, unit, sigma, note.
        substance_tc : DataFrame or iterable of dict, optional
            process, substance, flow, share.

        Returns
        -------
        SubstanceLayer

        Raises
        ------
        mfa.errors.ParkError
            Every problem, located (row as a spreadsheet shows it, column, value).

        Examples
        --------
        >>> park, _ = example()
        >>> SubstanceLayer.from_frames(park, [{"material": "quicklime", "substance": "CaO", "value": 120}])
        Traceback (most recent call last):
        mfa.errors.ParkError: 1 problem in the input:
          - concentrations, concentrations[0].value: more than 100 % (value: '120') — give the unit (%, g/kg, mg/kg, kg/t, ppm) in the column 'unit'; a blank unit is a mass fraction 0–1
        """
        from mfa.io.frames import raw_from_frame

        raws = {"concentrations": raw_from_frame("concentrations", _frame(concentrations), "concentrations")}
        if substance_tc is not None:
            raws["substance_tc"] = raw_from_frame("substance_tc", _frame(substance_tc), "substance_tc")
        layer, issues = check_substances(park, raws.get("concentrations"), raws.get("substance_tc"))
        errors = [i for i in issues if i.severity == "error"]
        if errors:
            raise ParkError(errors)
        return layer


def _frame(obj: Any) -> pd.DataFrame:
    frame = obj if isinstance(obj, pd.DataFrame) else pd.DataFrame(list(obj))
    return frame.astype(object).where(frame.notna(), "").astype(str)


def read_substances(path_or_name: str | Path, park: "Park") -> SubstanceLayer:
    """The substance layer of the park stored at ``path_or_name`` (empty when it has none).

    Reads ``concentrations.csv`` and ``substance_tc.csv`` of a park folder, or the sections (sheets) of the
    same names of a YAML file (workbook), and checks them against ``park``.

    Parameters
    ----------
    path_or_name : str or Path
        The park's folder, YAML file or workbook, or a shipped example's name.
    park : mfa.Park
        The park read from it.

    Returns
    -------
    SubstanceLayer

    Raises
    ------
    mfa.errors.ParkError
        Every problem in the substance tables, located (exit 2 on the command line).

    Examples
    --------
    >>> import mfa
    >>> layer = read_substances("tuoketuo", mfa.read_park("tuoketuo"))
    >>> "Al2O3" in layer.substances
    True
    """
    from mfa.io import resolve_park_path
    from mfa.io.readers import SUBSTANCE_TABLES, read_excel, read_folder_tables, read_yaml

    p = resolve_park_path(path_or_name)
    issues: list[Issue] = []
    raws: dict[str, RawTable | None] = {}
    if p.is_dir():
        raws = read_folder_tables(p, SUBSTANCE_TABLES, issues)
    elif p.suffix.lower() in (".yaml", ".yml"):
        tables, _, _ = read_yaml(p)
        raws = {k: tables.get(k) for k in ("concentrations", "substance_tc")}
    elif p.suffix.lower() in (".xlsx", ".xlsm"):
        tables, _, _ = read_excel(p)
        raws = {k: tables.get(k) for k in ("concentrations", "substance_tc")}
    if raws.get("concentrations") is None and raws.get("substance_tc") is None and not issues:
        return SubstanceLayer.empty_layer()
    layer, more = check_substances(park, raws.get("concentrations"), raws.get("substance_tc"))
    errors = [i for i in issues + more if i.severity == "error"]
    if errors:
        raise ParkError(errors)
    return layer


def check_substances(park: "Park", concentrations: RawTable | None,
                     substance_tc: RawTable | None) -> tuple[SubstanceLayer, list[Issue]]:
    """Check the raw substance tables (every cell text) against ``park``; the layer and every problem.

    Parameters
    ----------
    park : mfa.Park
    concentrations, substance_tc : RawTable or None
        The tables as read.

    Returns
    -------
    layer : SubstanceLayer
        The rows without errors, normalised (values as mass fractions).
    issues : list of Issue
        Located problems: unknown unit, material, flow, process or substance; a value above 100 %; a row with
        both or neither of material and flow; a duplicate row; shares of a process summing above 1.

    Examples
    --------
    >>> park, _ = example()
    >>> raw = RawTable("concentrations", "concentrations.csv", pd.DataFrame(
    ...     {"material": ["quicklime", "limestone"], "substance": ["CaO", "CaO"], "value": ["55", "5"],
    ...      "unit": ["%", "pct"]}), [2, 3])
    >>> layer, issues = check_substances(park, raw, None)
    >>> for i in issues: print(i)  # doctest: +NORMALIZE_WHITESPACE
    concentrations.csv, row 3, column 'material': not a material of the park (value: 'limestone')
    concentrations.csv, row 3, column 'unit': unknown concentration unit (value: 'pct') — use one of: %, fraction,
    g/kg, g/t, kg/t, mg/kg, ppm, wt% (blank: mass fraction 0–1)
    >>> layer.concentrations[["material", "value"]].values.tolist()
    [['quicklime', 0.55]]
    """
    from mfa.errors import suggest
    from mfa.validation import TableChecker

    issues: list[Issue] = []
    conc = SubstanceLayer.empty_layer().concentrations
    if concentrations is not None and len(concentrations.frame):
        c = TableChecker(concentrations, issues)
        c.required(("substance", "value"))
        material, flow = c.text("material"), c.text("flow")
        both = ((material != "") & (flow != "")).to_numpy()
        neither = ((material == "") & (flow == "")).to_numpy()
        c.add(both, "flow", Message("give either a material or a flow, not both", "substance.both"),
              suggestion=Message("one row per material, or a flow row that overrides its material's",
                                 "hint.substance_both"))
        c.add(neither, "material", Message("missing material or flow", "substance.neither"), values=material,
              suggestion=Message("name the material (every flow of it) or the flow id", "hint.substance_neither"))
        known_m = set(park.materials["id"])
        bad_m = ((material != "") & ~material.isin(known_m)).to_numpy()
        c.add(bad_m, "material", Message("not a material of the park", "substance.not_material"),
              suggestion=lambda v: suggest(v, known_m))
        known_f = set(park.flows["id"])
        bad_f = ((flow != "") & ~flow.isin(known_f)).to_numpy()
        c.add(bad_f, "flow", NOT_A_FLOW, suggestion=lambda v: suggest(v, known_f))
        substance = c.text("substance")
        c.add((substance == "").to_numpy() & c.has("substance"), "substance", MISSING_SUBSTANCE)
        unit = c.text("unit").str.strip()
        bad_u = ~unit.isin(list(UNIT_FACTORS))
        units = ", ".join(sorted(u for u in UNIT_FACTORS if u))
        c.add(bad_u.to_numpy(), "unit", Message("unknown concentration unit", "substance.unit"),
              suggestion=Message(f"use one of: {units} (blank: mass fraction 0–1)", "hint.concentration_units",
                                 units=units))
        value, _ = c.numbers("value", what="a concentration")
        # a flow row with a blank value says "unknown here" (a residue of the same material as the feed)
        blank = (c.text("value") == "").to_numpy() & c.has("value")
        c.add(blank & (flow == "").to_numpy(), "value", Message("missing value", "input.missing_value"),
              suggestion=Message("give the concentration; leave the row out if it is unknown (a flow row with a "
                                 "blank value makes one flow's content unknown)", "hint.give_concentration"))
        sigma, _ = c.numbers("sigma", what="a standard uncertainty")
        factor = unit.map(UNIT_FACTORS).fillna(np.nan).to_numpy(dtype=float)
        frac, sig = value * factor, sigma * factor
        over = frac > 1 + 1e-12
        c.add(over, "value", Message("more than 100 %", "substance.over_100"),
              suggestion=Message("give the unit (%, g/kg, mg/kg, kg/t, ppm) in the column 'unit'; a blank unit is a "
                                 "mass fraction 0–1", "hint.concentration_unit"))
        key = np.where(flow != "", "flow:" + flow, "material:" + material) + "|" + substance.to_numpy(dtype=str)
        dup = pd.Series(key).duplicated().to_numpy() & ~neither
        c.add(dup, "substance", Message("a second concentration of this substance for the same material or flow",
                                        "substance.duplicate"),
              suggestion=Message("give each (material or flow, substance) once", "hint.concentration_once"))
        ok = ~(both | neither | bad_m | bad_f | bad_u.to_numpy() | (np.isnan(frac) & ~(blank & (flow != "")
                                                                                    .to_numpy())) | over | dup
               | (substance == "").to_numpy() | (~np.isnan(sigma) & np.isnan(sig)))
        conc = pd.DataFrame({"material": material.to_numpy()[ok], "flow": flow.to_numpy()[ok],
                             "substance": substance.to_numpy()[ok], "value": frac[ok],
                             "sigma": np.where(sig[ok] > 0, sig[ok], np.nan), "unit": unit.to_numpy()[ok],
                             "note": c.text("note").to_numpy()[ok]})
    tc = pd.DataFrame({k: pd.Series(dtype=float if k == "share" else object) for k in _TC_COLUMNS})
    if substance_tc is not None and len(substance_tc.frame):
        t = TableChecker(substance_tc, issues)
        t.required(("process", "substance", "flow", "share"))
        cp = park.compiled
        internal = {p for p, k in cp.kind_of.items() if not cp.is_boundary[cp.process_index[p]]}
        proc = t.choice("process", internal, "internal process")
        flow = t.text("flow")
        flows = park.flows.set_index("id")
        bad_f = ~flow.isin(flows.index)
        t.add(bad_f.to_numpy(), "flow", NOT_A_FLOW, suggestion=lambda v: suggest(v, flows.index))
        src = flow.map(flows["source"]).fillna("")
        not_out = (~bad_f & (src != proc)).to_numpy()
        t.add(not_out, "flow", Message("not an output of the row's process", "substance.not_output"),
              suggestion=Message("a substance transfer coefficient is the share of the process's substance input "
                                 "that leaves through one of its outputs", "hint.substance_tc"))
        substance = t.text("substance")
        t.add((substance == "").to_numpy(), "substance", MISSING_SUBSTANCE)
        share, _ = t.numbers("share", what="a share 0–1")
        t.add(share > 1, "share", Message("a share above 1", "substance.share_above_1"),
              suggestion=Message("a share of the substance input is 0–1", "hint.substance_share"))
        ok = (proc.isin(internal).to_numpy() & ~bad_f.to_numpy() & ~not_out & (substance != "").to_numpy()
              & ~np.isnan(share) & ~(share > 1))
        tc = pd.DataFrame({"process": proc.to_numpy()[ok], "substance": substance.to_numpy()[ok],
                           "flow": flow.to_numpy()[ok], "share": share[ok]})
        total = tc.groupby(["process", "substance"])["share"].transform("sum").to_numpy()
        over = np.zeros(len(ok), dtype=bool)
        over[np.flatnonzero(ok)[total > 1 + 1e-9]] = True
        t.add(over, "share", Message("the shares of this process and substance add up to more than 1",
                                     "substance.shares_over_1"))
    return SubstanceLayer(concentrations=conc, transfer=tc), issues


def concentration_arrays(park: "Park", layer: SubstanceLayer) -> tuple[np.ndarray, np.ndarray]:
    """Given concentrations per flow and substance (a flow row overrides its material's row).

    Parameters
    ----------
    park : mfa.Park
    layer : SubstanceLayer

    Returns
    -------
    value, sigma : numpy.ndarray
        n_substances × n_flows mass fractions (NaN: not given) and their σ (NaN: exact or not given), the
        substances in the order of ``layer.substances``.

    Examples
    --------
    >>> park, layer = example()
    >>> value, sigma = concentration_arrays(park, layer)
    >>> value.round(3).tolist()
    [[0.48, 0.0, 0.985, nan]]
    """
    from mfa.validation import row_of

    cp = park.compiled
    subs = layer.substances
    n_f = cp.n_flows
    value = np.full((len(subs), n_f), np.nan)
    sigma = np.full((len(subs), n_f), np.nan)
    conc = layer.concentrations
    sub_index = pd.Index(subs)
    is_mat = (conc["material"] != "").to_numpy(dtype=bool)
    if is_mat.any():
        # a substance × material table, then one gather for every flow (by its material's code)
        by_mat = conc[is_mat]
        mats = pd.Index(cp.material_ids)
        m = mats.get_indexer(by_mat["material"])
        ok = m >= 0                                   # a material no flow carries applies to none
        i = sub_index.get_indexer(by_mat["substance"])[ok]
        table_v = np.full((len(subs), len(mats)), np.nan)
        table_s = np.full((len(subs), len(mats)), np.nan)
        table_v[i, m[ok]] = by_mat["value"].to_numpy(dtype=float)[ok]
        table_s[i, m[ok]] = by_mat["sigma"].to_numpy(dtype=float)[ok]
        codes = cp.material_codes
        value[:, :] = table_v[:, codes]
        sigma[:, :] = table_s[:, codes]
    if not is_mat.all():
        by_flow = conc[~is_mat]
        k = row_of(by_flow["flow"], park.flows["id"])
        i = sub_index.get_indexer(by_flow["substance"])
        value[i, k] = by_flow["value"].to_numpy(dtype=float)
        sigma[i, k] = by_flow["sigma"].to_numpy(dtype=float)
    return value, sigma


class JointModel:
    """The goods equations of :mod:`mfa.solve.model` joined by the substance equations, as one model for
    :func:`mfa.solve.reconciliation.estimate`.

    Variables: the goods variables, then concentrations ``c`` (n_s × n_f), substance flows ``m`` (n_s × n_f)
    and substance stock changes. Equations: the goods equations, then per substance the balance of every
    internal process, the substance transfer coefficients, and ``m − f·c = 0`` per flow and substance.

    The unknowns enter the equations shifted by a start point (``start``: goods unknowns from the goods-only
    solution, unknown concentrations from the median of the given ones), because the estimator starts
    unknowns at zero and a bilinear term ``f·c`` has no slope in ``c`` where ``f`` is zero.

    Examples
    --------
    >>> m = joint_model(*example())
    >>> m.n_v, m.n_c, m.n_pairs
    (12, 6, 4)
    """

    def __init__(self, goods: "Model", subs: tuple[str, ...], c_value: np.ndarray, c_sigma: np.ndarray,
                 internal: np.ndarray, inc_int: "sp.csr_matrix", stock_rows: np.ndarray, tc: pd.DataFrame,
                 tc_rows: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray], start_goods: np.ndarray,
                 same: tuple[np.ndarray, np.ndarray] = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)),
                 linked: np.ndarray | None = None, empty: np.ndarray | None = None):
        from mfa.solve.model import EXACT, MEASURED, UNKNOWN

        self.goods = goods
        self.substances = subs
        self.n_sub = len(subs)
        self.n_f = goods.n_f
        self.n_t = goods.n_t
        self.n_pairs = self.n_sub * self.n_f
        # flows whose link m = f·c is an equation: not those whose goods value the goods data leave
        # undetermined (a product of two undetermined factors would drift from one iteration to the next)
        self.linked = np.arange(self.n_f) if linked is None else np.asarray(linked, dtype=np.int64)
        self.link_pairs = (np.arange(self.n_sub)[:, None] * self.n_f + self.linked[None, :]).ravel()
        # flows of (almost) no goods carry no substance, whatever their content (which they leave undetermined)
        empty = np.zeros(0, dtype=np.int64) if empty is None else np.asarray(empty, dtype=np.int64)
        self.zero_pairs = (np.arange(self.n_sub)[:, None] * self.n_f + empty[None, :]).ravel()
        self.internal = internal
        self.inc_int = inc_int
        self.stock_rows = stock_rows          # internal-process rows with a substance stock change
        self.tc = tc
        self.tc_sub, self.tc_flow_k, self.tc_proc_row, self.tc_share = tc_rows
        self.same_a, self.same_b = same        # pairs (s·n_f + k) whose unknown concentrations are one
        n_g, P, Q = goods.n_v, self.n_pairs, self.n_sub * len(stock_rows)
        self.off_c, self.off_m, self.off_s = n_g, n_g + P, n_g + 2 * P
        self._n_v = n_g + 2 * P + Q
        cv, cs = c_value.ravel(), c_sigma.ravel()
        c_kind = np.where(np.isnan(cv), UNKNOWN, np.where(np.isnan(cs) | (cs == 0), EXACT, MEASURED))
        self.kind = np.concatenate([goods.kind, c_kind, np.full(P + Q, UNKNOWN)]).astype(np.int8)
        self.value0 = np.concatenate([goods.value0, np.where(c_kind == UNKNOWN, np.nan, cv), np.full(P + Q, np.nan)])
        self.sigma = np.concatenate([goods.sigma, np.where(c_kind == MEASURED, cs, np.nan), np.full(P + Q, np.nan)])
        # start point of the unknowns (see the class docstring)
        self.start = np.zeros(self._n_v)
        self.start[:n_g] = np.where(goods.kind == UNKNOWN, np.nan_to_num(start_goods), 0.0)
        f0 = np.where(goods.kind[:self.n_f] == UNKNOWN, self.start[:self.n_f], np.nan_to_num(goods.value0[:self.n_f]))
        c_start = _mixing_start(goods, np.maximum(f0, 0.0), c_value, internal).ravel()
        self.start[n_g:n_g + P] = np.where(c_kind == UNKNOWN, c_start, 0.0)
        self.start[self.off_m:self.off_s] = (np.where(np.isnan(cv), c_start, cv).reshape(self.n_sub, -1)
                                             * f0[None, :]).ravel()
        self.n_b = goods.n_b
        self.ds_known = goods.ds_known
        self.n_bal = self.n_sub * len(internal)
        self._jacobian_pattern: tuple | None = None
        self._last_jacobian: tuple | None = None
        self._last_residual: tuple | None = None

    @property
    def n_v(self) -> int:
        """Number of variables (goods, concentrations, substance flows, substance stock changes).

        Returns
        -------
        int

        Examples
        --------
        >>> joint_model(*example()).n_v
        12
        """
        return self._n_v

    @property
    def n_c(self) -> int:
        """Number of equations.

        Returns
        -------
        int

        Examples
        --------
        >>> joint_model(*example()).n_c
        6
        """
        return (self.goods.n_c + self.n_bal + len(self.tc_sub) + len(self.link_pairs) + len(self.same_a)
                + len(self.zero_pairs))

    bilinear = True  # m − f·c

    def _split(self, v: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        w = v + self.start
        S = self.n_sub
        return (w, w[:self.n_f], w[self.off_c:self.off_m].reshape(S, -1), w[self.off_m:self.off_s].reshape(S, -1),
                w[self.off_s:].reshape(S, -1))

    def values(self, v: np.ndarray) -> np.ndarray:
        """The variables' values at ``v`` of the estimator (the start point added back).

        Parameters
        ----------
        v : numpy.ndarray

        Returns
        -------
        numpy.ndarray

        Examples
        --------
        >>> m = joint_model(*example())
        >>> m.values(np.nan_to_num(m.value0))[:4].tolist()
        [100.0, 50.0, 40.0, 110.0]
        """
        return v + self.start

    def residual(self, v: np.ndarray) -> np.ndarray:
        """F(v): goods equations, substance balances, substance coefficients, ``m − f·c``.

        Parameters
        ----------
        v : numpy.ndarray
            Variables (n_v) relative to the start point.

        Returns
        -------
        numpy.ndarray

        Examples
        --------
        >>> m = joint_model(*example())
        >>> float(np.abs(m.residual(np.zeros(m.n_v))).max()) > 0
        True
        """
        if self._last_residual is not None and np.array_equal(self._last_residual[0], v):
            return self._last_residual[1].copy()   # the same point again (the pass after its linearisation)
        w, f, c, m, ds = self._split(v)
        g = self.goods.residual(w[:self.goods.n_v])
        bal = (self.inc_int @ m.T).T                       # S × n_int
        if len(self.stock_rows):
            bal[:, self.stock_rows] -= ds
        tcr = m[self.tc_sub, self.tc_flow_k]
        if len(tcr):
            tin = (self.inc_int.maximum(0) @ m.T).T        # substance input per internal process
            tcr = tcr - self.tc_share * tin[self.tc_sub, self.tc_proc_row]
        link = (m - c * f[None, :]).ravel()[self.link_pairs]
        cf = c.ravel()
        F = np.concatenate([g, bal.ravel(), tcr, link, cf[self.same_a] - cf[self.same_b],
                            m.ravel()[self.zero_pairs]])
        self._last_residual = (v.copy(), F.copy())
        return F

    def jacobian(self, v: np.ndarray) -> "sp.csr_matrix":
        """∂F/∂v at v (sparse).

        Parameters
        ----------
        v : numpy.ndarray

        Returns
        -------
        scipy.sparse.csr_matrix
            n_c × n_v.

        Examples
        --------
        >>> m = joint_model(*example())
        >>> m.jacobian(np.zeros(m.n_v)).shape
        (6, 12)
        """
        import scipy.sparse as sp

        if self._last_jacobian is not None and np.array_equal(self._last_jacobian[0], v):
            return self._last_jacobian[1]   # the same point again (row_scale after linearise)
        w, f, c, m, _ = self._split(v)
        G = self.goods.jacobian(w[:self.goods.n_v])
        if self._jacobian_pattern is None or self._jacobian_pattern[0] != G.nnz:
            self._jacobian_pattern = (G.nnz, self._pattern(G))
        target, indptr, indices, before, after, fixed = self._jacobian_pattern[1]
        pair = self.link_pairs
        if fixed is not None:
            # every varying term has a place of its own: the constant sums once, the rest written in (0.0 +
            # as the sum would: no −0.0)
            data, at_g, at_df, at_dc = fixed
            data = data.copy()
            data[at_g] = 0.0 + G.data
            data[at_df] = 0.0 - c.ravel()[pair]          # ∂(m − f·c)/∂f
            data[at_dc] = 0.0 - f[pair % self.n_f]       # ∂(m − f·c)/∂c
        else:
            # the terms summed into their places: the pattern is the same at every point, only the numbers change
            data = np.bincount(target, weights=np.concatenate([G.data, before, -c.ravel()[pair],
                                                               -f[pair % self.n_f], after]), minlength=len(indices))
        J = sp.csr_matrix((data, indices, indptr), shape=(self.n_c, self.n_v))
        self._last_jacobian = (v.copy(), J)
        return J

    def _pattern(self, G: "sp.csr_matrix") -> tuple:
        """The Jacobian's terms in the order :meth:`jacobian` lists them (goods, balances, stocks, coefficients,
        links, one stream, no goods): the CSR place of each (duplicates share one), the CSR index arrays, and
        the constant values before and after the two varying parts of the links (−c, −f)."""
        S, n_f, n_int = self.n_sub, self.n_f, len(self.internal)
        G = G.tocoo()
        rows, cols, vals = [G.row], [G.col], []
        r0 = self.goods.n_c
        inc = self.inc_int.tocoo()
        s_rep = np.repeat(np.arange(S), len(inc.data))
        rows.append(r0 + s_rep * n_int + np.tile(inc.row, S))
        cols.append(self.off_m + s_rep * n_f + np.tile(inc.col, S))
        vals.append(np.tile(inc.data, S))
        n_st = len(self.stock_rows)
        if n_st:
            s_st = np.repeat(np.arange(S), n_st)
            rows.append(r0 + s_st * n_int + np.tile(self.stock_rows, S))
            cols.append(self.off_s + np.arange(S * n_st))
            vals.append(-np.ones(S * n_st))
        r1 = r0 + self.n_bal
        n_tc = len(self.tc_sub)
        if n_tc:
            rows.append(r1 + np.arange(n_tc))
            cols.append(self.off_m + self.tc_sub * n_f + self.tc_flow_k)
            vals.append(np.ones(n_tc))
            infl = (self.inc_int.maximum(0)[self.tc_proc_row]).tocoo()   # row j: inputs of the process of row j
            rows.append(r1 + infl.row)
            cols.append(self.off_m + self.tc_sub[infl.row] * n_f + infl.col)
            vals.append(-self.tc_share[infl.row] * infl.data)
        r2 = r1 + n_tc
        pair = self.link_pairs
        n_link = len(pair)
        row = r2 + np.arange(n_link)
        rows += [row, row, row]
        cols += [self.off_m + pair, pair % n_f, self.off_c + pair]
        vals.append(np.ones(n_link))
        before = np.concatenate(vals)
        vals = []
        n_same = len(self.same_a)
        if n_same:
            r3 = r2 + n_link + np.arange(n_same)
            rows += [r3, r3]
            cols += [self.off_c + self.same_a, self.off_c + self.same_b]
            vals += [np.ones(n_same), -np.ones(n_same)]
        n_zero = len(self.zero_pairs)
        if n_zero:
            rows.append(r2 + n_link + n_same + np.arange(n_zero))
            cols.append(self.off_m + self.zero_pairs)
            vals.append(np.ones(n_zero))
        after = np.concatenate(vals) if vals else np.zeros(0)
        r = np.concatenate(rows).astype(np.int64)
        c = np.concatenate(cols).astype(np.int64)
        n_v = max(self.n_v, 1)
        places, target = np.unique(r * n_v + c, return_inverse=True)   # sorted by row, then column: CSR order
        index = np.int32 if len(places) < 2**31 and self.n_v < 2**31 else np.int64
        indptr = np.zeros(self.n_c + 1, dtype=index)
        np.cumsum(np.bincount(places // n_v, minlength=self.n_c), out=indptr[1:])
        target = target.ravel()
        # the varying terms (goods Jacobian, then the links' f and c columns) in their order in ``target``, the
        # constant ones around them
        n_g, n_b = len(G.data), len(before)
        varying = np.zeros(len(target), dtype=bool)
        varying[:n_g] = True
        varying[n_g + n_b:n_g + n_b + 2 * n_link] = True
        counts = np.bincount(target, minlength=len(places))
        fixed = None
        if not np.any(counts[target[varying]] > 1):
            const = np.bincount(target[~varying], weights=np.concatenate([before, after]), minlength=len(places))
            at = target[varying]
            fixed = (const, at[:n_g], at[n_g:n_g + n_link], at[n_g + n_link:])
        return target, indptr, (places % n_v).astype(index), before, after, fixed

    def row_scale(self, v: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
        """Throughput of each equation (Σ |terms|), the yardstick of relative residuals.

        Parameters
        ----------
        v : numpy.ndarray
            NaN counts as 0.
        rows : numpy.ndarray, optional
            Only these equations (ascending), zero elsewhere.

        Returns
        -------
        numpy.ndarray

        Examples
        --------
        >>> m = joint_model(*example())
        >>> float(m.row_scale(np.nan_to_num(m.value0))[0])
        300.0
        """
        from mfa.solve.model import throughput

        v = np.nan_to_num(v)
        return throughput(self.jacobian(v), np.abs(v + self.start), self.ds_known, rows)

    def variable_labels(self) -> np.ndarray:
        """Names of the variables: goods labels, ``c[S|flow]``, ``S[flow]``, ``Δstock[process]·S``.

        Returns
        -------
        numpy.ndarray

        Examples
        --------
        >>> joint_model(*example()).variable_labels()[4]
        'c[Al2O3|ash>line:high_alumina_fly_ash]'
        """
        ids = self.goods.flow_ids.astype(str)
        subs = np.repeat(np.array(self.substances, dtype=object), self.n_f)
        fl = np.tile(ids, self.n_sub).astype(object)
        conc = "c[" + subs + "|" + fl + "]"
        sflow = subs + "[" + fl + "]"
        procs = self.goods.process_ids[self.internal[self.stock_rows]].astype(object)
        ds = ("Δstock[" + np.tile(procs, self.n_sub) + "]·"
              + np.repeat(np.array(self.substances, dtype=object), len(procs)))
        return np.concatenate([self.goods.variable_labels(), conc, sflow, ds])

    def equation_labels(self) -> np.ndarray:
        """Names of the equations, as error messages quote them (``Al2O3 balance of process 'line'``).

        Returns
        -------
        numpy.ndarray

        Examples
        --------
        >>> joint_model(*example()).equation_labels()[1]
        "Al2O3 balance of process 'line'"
        """
        subs = np.array(self.substances, dtype=object)
        procs = self.goods.process_ids[self.internal].astype(object)
        bal = np.repeat(subs, len(procs)) + " balance of process '" + np.tile(procs, self.n_sub) + "'"
        tc = (self.tc["substance"].to_numpy(dtype=object) + " transfer coefficient of flow '"
              + self.tc["flow"].to_numpy(dtype=object) + "'")
        link = (np.repeat(subs, self.n_f) + " content of flow '"
                + np.tile(self.goods.flow_ids.astype(object), self.n_sub) + "'")[self.link_pairs]
        pairs = np.tile(self.goods.flow_ids.astype(object), self.n_sub)
        same = (np.repeat(subs, self.n_f)[self.same_a] + " content of flow '" + pairs[self.same_a] + "' = of '"
                + pairs[self.same_b] + "' (one material from one process)")
        zero = (np.repeat(subs, self.n_f) + " flow '" + pairs + "' carries no goods")[self.zero_pairs]
        return np.concatenate([self.goods.equation_labels(), bal, tc, link, same, zero])


def _mixing_start(goods: "Model", f: np.ndarray, c_value: np.ndarray, internal: np.ndarray) -> np.ndarray:
    """Start values of the concentrations: given ones as given; an unknown one carries the mean content of
    what its source process receives (every process mixing its inputs, solved through loops by one sparse
    system per substance); out of a boundary process, the median of the given contents."""
    import scipy.sparse as sp
    from scipy.sparse.linalg import splu

    src, tgt, n_p = goods.src, goods.tgt, goods.n_p
    is_int = np.zeros(n_p, dtype=bool)
    is_int[internal] = True
    inflow = np.bincount(tgt, weights=f, minlength=n_p)
    safe = np.where(inflow > 0, inflow, 1.0)
    out = np.empty_like(c_value)
    for i, row in enumerate(c_value):
        typical = float(np.nanmedian(row)) if np.isfinite(row).any() else 0.01
        known = np.isfinite(row)
        # an unknown content out of a boundary process is the typical one; out of an internal process, it
        # follows from what that process receives: S = z + Qᵀ S (S: substance received per process)
        fixed = known | ~is_int[src]
        c_fixed = np.where(known, row, typical)
        z = np.bincount(tgt, weights=np.where(fixed, f * c_fixed, 0.0), minlength=n_p)
        chain = ~fixed & is_int[tgt]
        Q = sp.csr_matrix((f[chain] / safe[src[chain]], (src[chain], tgt[chain])), shape=(n_p, n_p))
        A = sp.identity(n_p, format="csc") - Q.T.tocsc()
        try:
            S = splu(A).solve(z)
        except RuntimeError:  # a closed loop that receives nothing: start from the typical content there
            S = typical * inflow
        c_proc = np.clip(S / safe, 0.0, 1.0)
        out[i] = np.where(known, row, np.where(is_int[src] & (inflow[src] > 0), c_proc[src], typical))
    return np.maximum(np.nan_to_num(out), 0.0)


def joint_model(park: "Park", layer: SubstanceLayer) -> JointModel:
    """The joint goods-and-substance model of ``park`` with ``layer``.

    Parameters
    ----------
    park : mfa.Park
    layer : SubstanceLayer

    Returns
    -------
    JointModel

    Examples
    --------
    >>> joint_model(*example()).substances
    ('Al2O3',)
    """
    from mfa.conventions import STOCK_KINDS
    from mfa.solve.gauss_newton import iterate
    from mfa.solve.model import model_from_park

    goods = model_from_park(park)
    # the goods-only solution is the start point of the goods unknowns (values only, no σ needed)
    is_linked = np.ones(goods.n_f, dtype=bool)
    start = goods.value0
    y = np.flatnonzero(goods.kind == 2)
    if len(y):
        # The goods-only solution (values only) is the start point of the goods unknowns and says which of them
        # the goods data determine and which are zero. The linear first step alone is not enough: with measured
        # transfer coefficients it can put at 211 t/a a flow that converges to 0, whose content then has no
        # bound (m = f·c with f → 0) and stalls the iteration.
        # iterate, not estimate: the start needs neither σ nor the determined combinations of the unobservable
        # flows (a second elimination pass at 10⁵ flows), and without bounds estimate is this very call
        sol = iterate(goods, goods.kind.copy(), goods.value0.copy(), max_iter=100, tol=1e-10)
        start = sol.v
        undetermined = sol.y_idx[~sol.observable]
        is_linked[undetermined[undetermined < goods.n_f]] = False
    f0 = np.nan_to_num(start[:goods.n_f])
    # a flow the goods data put at zero (within 1e-8 of the largest flow: the rounding of a large network):
    # its content is undetermined, its substance flow zero
    is_empty = is_linked & (np.abs(f0) <= 1e-8 * max(float(np.max(np.abs(f0), initial=0.0)), 1.0))
    empty = np.flatnonzero(is_empty)
    linked = np.flatnonzero(is_linked & ~is_empty)
    cp = park.compiled
    internal = np.flatnonzero(~np.asarray(cp.is_boundary, dtype=bool))
    inc_int = cp.incidence.tocsr()[internal]
    delta = np.asarray(cp.delta_stock, dtype=float)[internal]
    kinds = np.asarray(cp.kind, dtype=object)[internal]
    stock_rows = np.flatnonzero((np.isfinite(delta) & (delta != 0))
                                | (np.isnan(delta) & np.isin(kinds, list(STOCK_KINDS))))
    c_value, c_sigma = concentration_arrays(park, layer)
    subs = layer.substances
    tc = layer.transfer.sort_values(["process", "substance", "flow"], kind="stable").reset_index(drop=True)
    s_index = {s: i for i, s in enumerate(subs)}
    row_of = {p: i for i, p in enumerate(np.asarray(cp.process_ids)[internal])}
    tc_rows = (tc["substance"].map(s_index).to_numpy(dtype=np.int64),
               pd.Index(cp.flow_ids).get_indexer(tc["flow"]).astype(np.int64),
               tc["process"].map(row_of).to_numpy(dtype=np.int64), tc["share"].to_numpy(dtype=float))
    return JointModel(goods, subs, c_value, c_sigma, internal, inc_int, stock_rows, tc, tc_rows, start,
                      _same_stream(cp, c_value), linked, empty)


def _same_stream(cp: Any, c_value: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of flows of one material out of one internal process whose concentrations are not given: one
    stream split, so one concentration (each tied to the group's first flow). An import process stands for
    many suppliers, so its flows are not tied."""
    n_f = cp.n_flows
    internal_src = ~np.asarray(cp.is_boundary, dtype=bool)[np.asarray(cp.src, dtype=np.int64)]
    group = np.asarray(cp.src, dtype=np.int64) * (int(np.max(cp.material_codes, initial=0)) + 1) + np.asarray(
        cp.material_codes, dtype=np.int64)
    a, b = [], []
    for i in range(c_value.shape[0]):
        unknown = np.flatnonzero(np.isnan(c_value[i]) & internal_src)
        if len(unknown) < 2:
            continue
        g = group[unknown]
        order = np.argsort(g, kind="stable")
        gs = g[order]
        first = np.r_[True, gs[1:] != gs[:-1]]
        lead = unknown[order][np.maximum.accumulate(np.where(first, np.arange(len(gs)), 0))]
        tied = ~first
        a.append(i * n_f + unknown[order][tied])
        b.append(i * n_f + lead[tied])
    if not a:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return np.concatenate(a).astype(np.int64), np.concatenate(b).astype(np.int64)


@dataclass(frozen=True, eq=False)
class SubstanceResult(Result):
    """Goods and substances reconciled together.

    Attributes
    ----------
    substance_flows : pandas.DataFrame
        The main table: flow, substance, concentration (mass fraction), value (t/a of the substance), sigma,
        status, concentration_sigma, measured_concentration, source, target, material.
    flows : pandas.DataFrame
        The goods flows of the joint solution: id, value, sigma, status, measured, measured_sigma.
    balances : pandas.DataFrame
        Per internal process and substance: inputs, outputs, stock_change (t/a of the substance).
    recovery : pandas.DataFrame
        Per process using waste and substance: waste_in, inputs, products_out (non-waste outputs), recovery
        (products_out ÷ waste_in).
    chi2, dof, p_value : float, int, float
        The χ² test of all measurements (goods and concentrations).

    Examples
    --------
    >>> r = reconcile_substances(*example())
    >>> r.substance_flows[["flow", "value", "status"]].round(3).values.tolist()  # doctest: +NORMALIZE_WHITESPACE
    [['ash>line:high_alumina_fly_ash', 48.0, 'exact'], ['lime>line:quicklime', 0.0, 'exact'],
     ['line>out:alumina', 39.4, 'exact'], ['line>dump:silicon_calcium_slag', 8.6, 'computed']]
    """

    substance_flows: pd.DataFrame
    flows: pd.DataFrame
    balances: pd.DataFrame
    recovery: pd.DataFrame
    chi2: float = 0.0
    dof: int = 0
    p_value: float = 1.0
    iterations: int = 0
    title: ClassVar[str] = "Substance flows"
    main_table: ClassVar[str] = "substance_flows"

    @property
    def summary(self) -> dict[str, Any]:
        """Headline figures: χ², dof, p, iterations and the substance flows per status.

        Returns
        -------
        dict

        Examples
        --------
        >>> reconcile_substances(*example()).summary["status_counts"]
        {'computed': 1, 'exact': 3}
        """
        counts = self.substance_flows["status"].value_counts().sort_index()
        return {"chi2": self.chi2, "dof": self.dof, "p_value": self.p_value, "iterations": self.iterations,
                "status_counts": {str(k): int(v) for k, v in counts.items()}}

    def concentration(self, flow: str, substance: str) -> float:
        """The reconciled (or computed) concentration of ``substance`` in ``flow`` (mass fraction).

        Parameters
        ----------
        flow : str
        substance : str

        Returns
        -------
        float
            NaN when unobservable.

        Examples
        --------
        >>> round(reconcile_substances(*example()).concentration("lime>line:quicklime", "Al2O3"), 6)
        0.0
        """
        t = self.substance_flows
        hit = t[(t["flow"] == flow) & (t["substance"] == substance)]
        if not len(hit):
            raise MfaError(f"no substance flow {substance} in '{flow}'")
        return float(hit["concentration"].iloc[0])

    def records(self) -> list[dict]:
        """The ``substance_flows`` of ``mfa reconcile --json``: flow, substance, concentration, value, sigma,
        status.

        Returns
        -------
        list of dict

        Examples
        --------
        >>> sorted(reconcile_substances(*example()).records()[0])
        ['concentration', 'flow', 'sigma', 'status', 'substance', 'value']
        """
        from mfa.results import frame_records

        return frame_records(self.substance_flows[["flow", "substance", "concentration", "value", "sigma",
                                                   "status"]])


# Statuses from the strongest to the weakest: a substance flow takes the weaker of its goods flow's and its
# concentration's.
STATUSES = ("exact", "measured", "reconciled", "computed", "unobservable")


def _statuses(model: Any, est: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Value, σ and status (a position in :data:`STATUSES`) of every variable of a solved model (as
    :func:`mfa.solve.reconciliation.build_result` classifies the goods variables)."""
    from mfa.solve.model import EXACT, MEASURED, UNKNOWN

    sol = est.solution
    v = model.values(sol.v)
    unobs = np.zeros(model.n_v, dtype=bool)
    unobs[sol.y_idx[~sol.observable]] = True
    lin = sol.linearisation
    A = lin.A
    a_norm = np.sqrt(np.asarray(abs(A).power(2).sum(axis=0)).ravel()) if A.shape[0] else np.zeros(len(sol.x_idx))
    j_norm = np.sqrt(np.asarray(abs(lin.Jx).power(2).sum(axis=0)).ravel())
    code = np.select([model.kind == EXACT, model.kind == MEASURED, unobs, model.kind == UNKNOWN], [0, 1, 4, 3], 3)
    code[sol.x_idx[a_norm > 1e-10 * np.maximum(j_norm, 1e-300)]] = 2
    sigma = np.sqrt(est.uncertainty.var)
    sigma[code == 1] = model.sigma[code == 1]
    sigma[(code == 0) | unobs] = np.nan
    v[unobs] = np.nan
    return v, sigma, code


def reconcile_substances(park: "Park", layer: SubstanceLayer, *, max_iter: int = 100, tol: float = 1e-10,
                         covariance: bool | None = None) -> SubstanceResult:
    """Solve and reconcile goods and substances together (bilinear weighted least squares, as STAN).

    Parameters
    ----------
    park : mfa.Park
        Goods flows (t/a; ``sigma`` = measured).
    layer : SubstanceLayer
        Concentrations (``sigma`` = measured) and substance transfer coefficients.
    max_iter, tol
        Gauss–Newton iteration limit and relative step tolerance.
    covariance : bool or None
        Propagate σ (None: unless the predicted cost is prohibitive, as :func:`mfa.solve.reconcile`).

    Returns
    -------
    SubstanceResult

    Raises
    ------
    mfa.errors.MfaError
        Exact data that contradict a substance balance (naming the process), no convergence.

    Examples
    --------
    >>> park, layer = example()
    >>> r = reconcile_substances(park, layer)
    >>> r.recovery[["process", "substance", "waste_in", "products_out"]].round(3).values.tolist()
    [['line', 'Al2O3', 48.0, 39.4]]
    """
    from scipy.special import chdtrc

    from mfa.park import require_park
    from mfa.solve.reconciliation import estimate

    require_park(park, "reconcile_substances")
    if layer.empty:
        raise MfaError("the park has no substance data (concentrations)")
    model = joint_model(park, layer)
    # the combinations of undetermined unknowns are not reported here (they are in the goods reconciliation)
    est = estimate(model, max_iter=max_iter, tol=tol, covariance=covariance, combinations=False)
    v, sigma, code = _statuses(model, est)
    n_f, S = model.n_f, model.n_sub
    cp = park.compiled
    flows = park.flows
    c_sl, m_sl = slice(model.off_c, model.off_m), slice(model.off_m, model.off_s)
    # a substance flow is as good as the weaker of its goods flow and its concentration
    m_code = np.maximum(np.tile(code[:n_f], S), code[c_sl])
    m_code[np.isnan(v[m_sl]) | np.isnan(v[c_sl])] = 4
    # string columns taken from the park's own (Arrow) columns: converting 10⁵ Python strings costs more
    text = flows["id"].dtype
    names = pd.array(np.array(STATUSES, dtype=object), dtype=text)
    per_pair = np.tile(np.arange(n_f), S)
    table = pd.DataFrame({
        "flow": flows["id"].array.take(per_pair),
        "substance": pd.array(np.array(model.substances, dtype=object), dtype=text).take(
            np.repeat(np.arange(S), n_f)),
        "concentration": v[c_sl], "value": v[m_sl], "sigma": sigma[m_sl], "status": names.take(m_code),
        "concentration_sigma": sigma[c_sl], "measured_concentration": model.value0[c_sl],
        "source": flows["source"].array.take(per_pair), "target": flows["target"].array.take(per_pair),
        "material": flows["material"].array.take(per_pair)})
    goods = pd.DataFrame({"id": flows["id"], "value": v[:n_f], "sigma": sigma[:n_f],
                          "status": names.take(code[:n_f]), "measured": model.goods.value0[:n_f],
                          "measured_sigma": model.goods.sigma[:n_f]})
    m = np.nan_to_num(v[m_sl]).reshape(S, n_f)
    inc = model.inc_int
    ins = (inc.maximum(0) @ m.T).T
    outs = (-inc.minimum(0) @ m.T).T
    proc = np.asarray(cp.process_ids, dtype=object)[model.internal]
    balances = pd.DataFrame({"process": np.tile(proc, S), "substance": np.repeat(np.array(model.substances,
                             dtype=object), len(proc)), "inputs": ins.ravel(), "outputs": outs.ravel()})
    balances["stock_change"] = balances["inputs"] - balances["outputs"]
    balances, imbalance = _as_given_check(park, model, balances)
    recovery = _recovery(park, model, v[m_sl].reshape(S, n_f))
    messages = list(imbalance)
    n_unobs = int((m_code == 4).sum())
    if n_unobs:
        messages.append(Issue.note(Message(f"{n_unobs} substance flow(s) not determined by the data (no "
                                           "concentration given, none computable)", "substance.unobservable",
                                           n=n_unobs)))
    scale = max(float(np.nanmax(np.abs(v[m_sl]), initial=0.0)), 1e-300)
    negative = np.flatnonzero(v[m_sl] < -1e-9 * scale)
    if len(negative):
        named = ", ".join(f"{table['substance'].iat[i]} in '{table['flow'].iat[i]}' ({v[m_sl][i]:.4g} t/a)"
                          for i in negative[:5])
        messages.append(Issue.note(Message(
            f"{len(negative)} substance flow(s) computed negative: {named}; the given concentrations put more "
            "of the substance into a process's other outputs than its inputs bring", "substance.negative",
            n=len(negative), flows=named), severity="warning"))
    over = np.flatnonzero(v[c_sl] > 1 + 1e-9)
    if len(over):
        named = ", ".join(f"{table['substance'].iat[i]} in '{table['flow'].iat[i]}' ({v[c_sl][i]:.4g})"
                          for i in over[:5])
        messages.append(Issue.note(Message(
            f"{len(over)} substance flow(s) larger than their goods flow (concentration above 1): {named}; "
            "the concentrations or substance transfer coefficients contradict the goods data",
            "substance.over_goods", n=len(over), flows=named), severity="warning"))
    dof = est.solution.dof
    return SubstanceResult(substance_flows=table, flows=goods, balances=balances, recovery=recovery,
                           chi2=est.chi2, dof=dof, p_value=float(chdtrc(dof, est.chi2)) if dof > 0 else 1.0,
                           iterations=est.solution.iterations, messages=tuple(messages))


def _as_given_check(park: "Park", model: JointModel, balances: pd.DataFrame) -> tuple[pd.DataFrame, list]:
    """The substance balances with the data as given: where every flow of a process has a value and a
    concentration, its residual and σ (first order: var(f·c) = c²σ_f² + f²σ_c²); beyond the park's tolerances
    and 3σ the balance cannot close and is named, as a goods imbalance is."""
    S, n_f = model.n_sub, model.n_f
    f = model.goods.value0[:n_f]
    sf = np.nan_to_num(model.goods.sigma[:n_f])
    c = model.value0[model.off_c:model.off_m].reshape(S, n_f)
    sc = np.nan_to_num(model.sigma[model.off_c:model.off_m]).reshape(S, n_f)
    given = f[None, :] * c
    var = (c * sf[None, :]) ** 2 + (f[None, :] * sc) ** 2
    inc = model.inc_int
    touch = abs(inc)
    missing = (touch @ np.isnan(given).T.astype(float)).T > 0            # S × n_int
    res = (inc @ np.nan_to_num(given).T).T
    sd = np.sqrt((touch @ np.nan_to_num(var).T).T)
    size = (touch @ np.abs(np.nan_to_num(given)).T).T / 2
    stock = np.zeros(len(model.internal), dtype=bool)
    stock[model.stock_rows] = True
    checked = ~missing & ~stock[None, :]
    tol = np.maximum(park.info.abs_tol, park.info.rel_tol * size)
    bad = checked & (np.abs(res) > np.maximum(tol, 3 * sd))
    out = balances.assign(residual_as_given=np.where(checked, res, np.nan).ravel(),
                          sigma_as_given=np.where(checked, sd, np.nan).ravel(),
                          status=np.where(bad, "imbalanced", np.where(checked, "balanced", "unchecked")).ravel())
    messages = []
    for i in np.flatnonzero(bad.ravel()):
        row = out.iloc[i]
        excess = -float(row["residual_as_given"])
        word = "outputs exceed inputs" if excess > 0 else "inputs exceed outputs"
        messages.append(Issue.note(Message(
            f"the {row['substance']} balance of '{row['process']}' cannot close with the data as given: {word} "
            f"by {abs(excess):.4g} t/a (σ {float(row['sigma_as_given']):.3g} t/a)", "substance.imbalance",
            process=str(row["process"]), substance=str(row["substance"]), excess=abs(excess)), severity="warning"))
    return out, messages


def _recovery(park: "Park", model: JointModel, m: np.ndarray) -> pd.DataFrame:
    """Per process that uses waste (production, treatment, consumption): substance in its waste inputs, in all
    its inputs, in its products (non-waste outputs not sent to the environment or a landfill; NaN when one of
    them is not determined), and the recovery rate = products ÷ waste inputs (above 1 where other inputs carry
    the substance too: ``inputs`` says)."""
    cp = park.compiled
    waste = np.asarray(cp.is_waste_material, dtype=bool)[np.asarray(cp.material_codes)]
    src, tgt = np.asarray(cp.src), np.asarray(cp.tgt)
    n_p = cp.n_processes
    # a product: a non-waste output that does not go to the environment or a landfill (emissions are not)
    target_kind = np.asarray(cp.kind, dtype=object)[tgt]
    product = ~waste & ~np.isin(target_kind, ["environment", "landfill"])
    rows = []
    for i, s in enumerate(model.substances):
        known = np.nan_to_num(m[i])
        w_in = np.bincount(tgt, weights=known * waste, minlength=n_p)
        all_in = np.bincount(tgt, weights=known, minlength=n_p)
        p_out = np.bincount(src, weights=known * product, minlength=n_p)
        # a process with a product the data do not determine has no recovery figure
        open_out = np.bincount(src, weights=(np.isnan(m[i]) & product).astype(float), minlength=n_p) > 0
        p_out[open_out] = np.nan
        # collection points and stores pass waste on: recovery is a property of the processes that use it
        users = np.isin(np.asarray(cp.kind, dtype=object), ["production", "treatment", "consumption"])
        hit = np.flatnonzero(users & (w_in > 0))
        with np.errstate(over="ignore"):  # a subnormal waste input gives an infinite rate, not a warning
            recovery = p_out[hit] / w_in[hit]
        rows.append(pd.DataFrame({"process": np.asarray(cp.process_ids, dtype=object)[hit], "substance": s,
                                  "waste_in": w_in[hit], "inputs": all_in[hit], "products_out": p_out[hit],
                                  "recovery": recovery}))
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(
        columns=["process", "substance", "waste_in", "inputs", "products_out", "recovery"])


def substance_park(park: "Park", result: SubstanceResult, substance: str) -> "Park":
    """The park with every goods flow replaced by its flow of ``substance`` (t/a; unobservable = unknown), for
    the goods engines: tracing, Sankey diagrams.

    Parameters
    ----------
    park : mfa.Park
    result : SubstanceResult
    substance : str

    Returns
    -------
    mfa.Park

    Examples
    --------
    >>> park, layer = example()
    >>> substance_park(park, reconcile_substances(park, layer), "Al2O3").flows["value"].round(3).tolist()
    [48.0, 0.0, 39.4, 8.6]
    """
    t = result.substance_flows
    if substance not in set(t["substance"]):
        from mfa.errors import suggest

        hint = suggest(substance, sorted(set(t["substance"])))
        raise MfaError(f"unknown substance '{substance}'" + (f" — {hint}" if hint else
                       f" (substances: {', '.join(sorted(set(t['substance'])))})"))
    sel = t[t["substance"] == substance].set_index("flow")["value"]
    values = sel.reindex(park.flows["id"]).to_numpy(dtype=float)
    view = park.with_values(np.where(values < 0, 0.0, values), sigma=np.full(len(values), np.nan))
    stocks = park.stocks
    if not len(stocks):
        return view
    # the stock rows become the substance's stock change of each process (t of the substance), on the
    # process's first stocked material: a view balances the substance, not the goods
    bal = result.balances[result.balances["substance"] == substance].set_index("process")["stock_change"]
    first = stocks.drop_duplicates("process")[["process", "material"]].reset_index(drop=True)
    change = bal.reindex(first["process"]).fillna(0.0).to_numpy()
    rows = first.assign(opening=np.maximum(-change, 0.0), closing=np.maximum(change, 0.0), unit="t",
                        note=f"{substance} stock change (substance view)")
    return view.replace(flows=view.flows.drop(columns=["sigma"]).assign(sigma=np.nan), stocks=rows)


@dataclass(frozen=True, eq=False)
class SubstanceFates(Result):
    """Where the substances of each waste end.

    Attributes
    ----------
    fates : pandas.DataFrame
        The main table: substance, material (the waste), fate (one of :data:`FATE_CLASSES`), tonnes (t/a of
        the substance), share (of the substance in that waste).
    recovery : pandas.DataFrame
        Per process using waste and substance: waste_in, inputs, products_out, recovery.

    Examples
    --------
    >>> f = substance_fates(*example())
    >>> f.fates[["material", "fate", "share"]].round(4).values.tolist()  # doctest: +NORMALIZE_WHITESPACE
    [['high_alumina_fly_ash', 'products', 0.8208], ['high_alumina_fly_ash', 'landfill', 0.1792],
     ['silicon_calcium_slag', 'landfill', 1.0]]
    """

    fates: pd.DataFrame
    recovery: pd.DataFrame
    substance: str | None = None
    title: ClassVar[str] = "Substance fates"
    main_table: ClassVar[str] = "fates"


_MEDIA = (("air", ("air", "atmosphere", "gas", "burn", "大气", "空气", "焚烧")),
          ("water", ("water", "sewer", "river", "lake", "sea", "水")),
          ("soil", ("soil", "field", "land", "土", "田")))


def _medium(processes: pd.DataFrame) -> pd.Series:
    text = (processes["id"].astype(str) + " " + processes["name"].astype(str) + " "
            + processes["name_zh"].fillna("").astype(str) + " " + processes["group"].fillna("").astype(str)).str.lower()
    medium = pd.Series("environment", index=processes.index, dtype=object)
    for name, words in reversed(_MEDIA):  # the first medium named wins
        medium[text.str.contains("|".join(words), regex=True)] = name
    return pd.Series(medium.to_numpy(), index=processes["id"])


def substance_fates(park: "Park", layer: SubstanceLayer, substance: str | None = None, *,
                    result: SubstanceResult | None = None) -> SubstanceFates:
    """Share of each substance of each waste ending in products, landfill, treatment, air, water, soil …

    An absorbing chain on the substance flows (the method of :mod:`mfa.tracing`, but on where the substance
    physically goes: every internal process is a state that mixes what it receives and splits it over its
    outflows in proportion to their substance flows, emissions and products included). The substance of a waste
    enters the chain with the waste flows its origins send (production, treatment, consumption, import) and ends
    where it leaves the park's internal processes: a flow to an export process → products (a waste flow there
    without a declared ``fate`` → unresolved; a ``fate`` of the flow or process decides: utilised → products,
    disposed → treatment, discarded → environment); landfill; environment → air, water or soil by the target's
    id, name or group (atmosphere, sewer, field …), else environment. What a process keeps is ``stored`` if it
    has a stock change, else ``unresolved``.

    Parameters
    ----------
    park : mfa.Park
    layer : SubstanceLayer
    substance : str, optional
        Only this substance.
    result : SubstanceResult, optional
        A joint reconciliation already done.

    Returns
    -------
    SubstanceFates

    Examples
    --------
    >>> f = substance_fates(*example(), "Al2O3")
    >>> f.fates[["material", "fate", "tonnes"]].round(3).values.tolist()  # doctest: +NORMALIZE_WHITESPACE
    [['high_alumina_fly_ash', 'products', 39.4], ['high_alumina_fly_ash', 'landfill', 8.6],
     ['silicon_calcium_slag', 'landfill', 8.6]]
    """
    import scipy.sparse as sp
    from scipy.sparse.linalg import splu

    from mfa.conventions import STOCK_KINDS

    r = result if result is not None else reconcile_substances(park, layer)
    subs = [substance] if substance is not None else list(layer.substances)
    known = set(r.substance_flows["substance"])
    if substance is not None and substance not in known:
        substance_park(park, r, substance)  # raises the located 'unknown substance' error
    cp = park.compiled
    n_p = cp.n_processes
    src, tgt = np.asarray(cp.src), np.asarray(cp.tgt)
    internal = ~np.asarray(cp.is_boundary, dtype=bool)
    kinds = np.asarray(cp.kind, dtype=object)
    waste = np.asarray(cp.is_waste_material, dtype=bool)[np.asarray(cp.material_codes)]
    fate = np.where(np.asarray(cp.flow_fate, dtype=object) != "", np.asarray(cp.flow_fate, dtype=object),
                    np.asarray(cp.process_fate, dtype=object)[tgt])
    medium = _medium(park.processes).to_numpy(dtype=object)
    tk = kinds[tgt]
    cls = np.select([fate == "utilised", fate == "disposed", fate == "discarded", tk == "landfill",
                     tk == "environment", (tk == "export") & waste, tk == "export", tk == "import"],
                    ["products", "treatment", "environment", "landfill", medium[tgt], "unresolved", "products",
                     "unresolved"], "unresolved").astype(object)
    codes = {c: i for i, c in enumerate(FATE_CLASSES)}
    cls_code = np.array([codes[c] for c in cls], dtype=np.int64) if len(cls) else np.zeros(0, dtype=np.int64)
    to_boundary = ~internal[tgt]
    inner = internal[src] & internal[tgt]
    origin = np.isin(kinds[src], ["production", "treatment", "consumption", "import"]) & waste
    mat = np.asarray(cp.material, dtype=object)
    stock_proc = np.zeros(n_p, dtype=bool)
    delta = np.asarray(cp.delta_stock, dtype=float)
    stock_proc[(np.isfinite(delta) & (delta != 0)) | (np.isnan(delta) & np.isin(kinds, list(STOCK_KINDS)))] = True
    # Collection points and stores pass each material on as it is (one state per material there, as in
    # mfa.tracing); a transforming process mixes everything it receives (one state).
    per_material = np.isin(kinds, ["collection", "storage"])
    mc = np.asarray(cp.material_codes, dtype=np.int64)
    n_m = int(mc.max(initial=0)) + 1
    raw_s = np.where(per_material[src], n_p + src * n_m + mc, src)
    raw_t = np.where(per_material[tgt], n_p + tgt * n_m + mc, tgt)
    keys, inv = np.unique(np.concatenate([np.arange(n_p), raw_s, raw_t]), return_inverse=True)
    s_state, t_state = inv[n_p:n_p + len(src)], inv[n_p + len(src):]
    n_s = len(keys)
    state_proc = np.where(keys < n_p, keys, (keys - n_p) // n_m)
    internal_s = internal[state_proc]
    stock_s = stock_proc[state_proc]
    table = r.substance_flows
    rows = []
    for s in subs:
        m = table.loc[table["substance"] == s, "value"].to_numpy(dtype=float)
        m = np.where(np.isnan(m) | (m < 0), 0.0, m)
        ins = np.bincount(t_state, weights=m, minlength=n_s)
        outs = np.bincount(s_state, weights=m, minlength=n_s)
        denom = np.maximum(ins, outs)
        safe = np.where(denom > 0, denom, 1.0)
        p = m / safe[s_state]                                # share of the source state's substance per flow
        Q = sp.csr_matrix((p[inner], (s_state[inner], t_state[inner])), shape=(n_s, n_s))
        mats = sorted(set(mat[origin & (m > 0)]))
        if not mats:
            continue
        mi = {x: i for i, x in enumerate(mats)}
        sel = np.flatnonzero(origin & (m > 0))
        col = np.array([mi[x] for x in mat[sel]], dtype=np.int64)
        x0 = np.zeros((n_s, len(mats)))
        np.add.at(x0, (t_state[sel], col), m[sel])
        direct = np.zeros((len(FATE_CLASSES), len(mats)))
        np.add.at(direct, (cls_code[sel[to_boundary[sel]]], col[to_boundary[sel]]), m[sel[to_boundary[sel]]])
        x0[~internal_s] = 0.0
        # throughput of every state: y = x0 + Qᵀ y
        A = (sp.identity(n_s, format="csc") - Q.T.tocsc())
        y = splu(A).solve(x0)
        absorbed = direct.copy()
        out_b = np.flatnonzero(to_boundary & internal[src])
        contrib = y[s_state[out_b]] * p[out_b][:, None]      # n_out_b × n_mats
        np.add.at(absorbed, cls_code[out_b], contrib)
        kept = np.where(internal_s & (denom > 0), np.maximum(ins - outs, 0.0) / safe, 0.0)
        kept_y = y * kept[:, None]
        absorbed[codes["stored"]] += kept_y[stock_s].sum(axis=0)
        absorbed[codes["unresolved"]] += kept_y[~stock_s].sum(axis=0)
        # below 1e-9 of what the waste carries is the rounding of the chain, not a fate
        floor = 1e-9 * absorbed.sum(axis=0)
        for i, c in enumerate(FATE_CLASSES):
            for x, t, lo in zip(mats, absorbed[i], floor):
                if t > lo:
                    rows.append((s, x, c, float(t)))
    columns = ["substance", "material", "fate", "tonnes", "share"]
    g = pd.DataFrame(rows, columns=columns[:4])
    if len(g):
        order = {c: i for i, c in enumerate(FATE_CLASSES)}
        g["share"] = g["tonnes"] / g.groupby(["substance", "material"])["tonnes"].transform("sum")
        g = (g.assign(_o=g["fate"].map(order)).sort_values(["substance", "material", "_o"], kind="stable")
             .drop(columns="_o").reset_index(drop=True))
    else:
        g = pd.DataFrame(columns=columns)
    rec = r.recovery if substance is None else r.recovery[r.recovery["substance"] == substance]
    return SubstanceFates(fates=g[columns], recovery=rec.reset_index(drop=True), substance=substance)


def compositions() -> pd.DataFrame:
    """The shipped typical compositions of wastes (``flows/compositions.csv``), every row with its source.

    Returns
    -------
    pandas.DataFrame
        material, substance, low, central, high (mass fractions 0–1; NaN where the source gives none), unit
        (as published), scope, source, note.

    Raises
    ------
    mfa.errors.ParkError
        A malformed row (located): unknown unit or material, a number out of order, an unknown source id.

    Examples
    --------
    >>> c = compositions()
    >>> c.loc[(c.material == "fly_ash") & (c.substance == "Al2O3"), ["low", "central", "high"]].values.tolist()
    [[0.25, 0.271, 0.28]]
    """
    from mfa.catalogue import check_sources, data_path, materials
    from mfa.validation import Column, check_columns

    path = data_path("flows", "compositions.csv")
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    raw = RawTable("compositions", str(path), frame, range(2, len(frame) + 2))
    issues: list[Issue] = []
    known = set(materials()["id"])
    checked = check_columns(raw, [
        Column("material", "choice", required=True, choices=known, message="not a catalogue material"),
        Column("substance", required=True),
        Column("unit", "choice", choices=tuple(u for u in UNIT_FACTORS if u), required=True,
               message="unknown concentration unit"),
        *(Column(c, "number", low=0) for c in ("low", "central", "high"))], issues)
    check_sources(raw, issues, required=True)
    factor = frame["unit"].map(UNIT_FACTORS).to_numpy(dtype=float)
    out = frame.assign(**{c: checked.values[c] * factor for c in ("low", "central", "high")})
    lo, mid, hi = (out[c].to_numpy() for c in ("low", "central", "high"))
    with np.errstate(invalid="ignore"):
        disorder = (lo > mid) | (mid > hi) | (lo > hi) | (np.nan_to_num(hi) > 1) | (np.nan_to_num(mid) > 1)
    if disorder.any():
        from mfa.validation import grouped_issues

        issues.extend(grouped_issues(raw, disorder, "central", "low ≤ central ≤ high ≤ 100 % does not hold"))
    if issues:
        raise ParkError(issues)
    return out[["material", "substance", "low", "central", "high", "unit", "scope", "source", "note"]]


def example() -> tuple["Park", SubstanceLayer]:
    """The hand case: fly ash 100 t/a at 48 % Al₂O₃ and lime 50 t/a without Al₂O₃ enter an alumina line that
    sends 40 t/a of alumina at 98.5 % Al₂O₃ to market and 110 t/a of silicon-calcium slag to a landfill.

    Returns
    -------
    tuple of (mfa.Park, SubstanceLayer)

    Examples
    --------
    >>> park, layer = example()
    >>> park.flows["value"].tolist()
    [100.0, 50.0, 40.0, 110.0]
    """
    import mfa

    park = mfa.Park.from_frames(
        processes=[{"id": "ash", "name": "Power plant", "kind": "import"},
                   {"id": "lime", "name": "Lime supplier", "kind": "import"},
                   {"id": "line", "name": "Alumina line", "kind": "production"},
                   {"id": "out", "name": "Market", "kind": "export"},
                   {"id": "dump", "name": "Landfill", "kind": "landfill"}],
        flows=[{"source": "ash", "target": "line", "material": "high_alumina_fly_ash", "value": 100},
               {"source": "lime", "target": "line", "material": "quicklime", "value": 50},
               {"source": "line", "target": "out", "material": "alumina", "value": 40},
               {"source": "line", "target": "dump", "material": "silicon_calcium_slag", "value": 110}])
    layer = SubstanceLayer.from_frames(park, [
        {"material": "high_alumina_fly_ash", "substance": "Al2O3", "value": 48, "unit": "%"},
        {"material": "quicklime", "substance": "Al2O3", "value": 0},
        {"material": "alumina", "substance": "Al2O3", "value": 98.5, "unit": "%"}])
    return park, layer
