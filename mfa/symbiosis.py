"""Industrial symbiosis: which waste could feed which enterprise, how much, at what cost and CO₂ — and the
retrofit park that results.

**Streams.** A stream is a known waste flow (material category in :data:`mfa.conventions.WASTE_CATEGORIES`)
whose fate is *disposed*, *stored* or *discarded* (:func:`mfa.fate.fates`: by default from the target kind —
landfill/treatment = disposed, storage = stored, environment = discarded; a flow's ``fate`` column
overrides). Its producer is the flow's source. Rerouting q t/a of a stream takes q off the flow and sends it
to a user instead; when the stream went into an internal process (a treatment plant or a storage yard), that
process is relieved in turn — first its stock accumulation of the material is reduced (closing stock − q),
then its outflows to landfill and environment shrink proportionally — so every process still balances.

**Users.** Production processes that can take the waste according to the compatibility catalogue
``flows/compatibility.csv`` (see :func:`compatibility`): either

* a *substitution* row (``substitutes`` = a material): users are production processes that take that
  material today; 1 t of waste replaces ``ratio`` (γ) t of it; the virgin demand D is the user's current
  input of the substituted material (from import processes, or from internal suppliers whose surplus is
  then exported through the park's export process); or
* an *acceptance* row (``accepting_group``, no ``substitutes``): users are production processes whose
  ``group`` or ``id`` contains one of the ``|``-separated tokens; nothing is substituted (γ = 0) and the
  user's spare capacity limits the tonnes — a user without a capacity is not a candidate.

A row that names a ``rule`` (``flows/coupling_coefficients.csv``) is applied by :mod:`mfa.coupling_rules`: the
rule says what the waste displaces at the user and what it adds to or removes from the user's outputs, with
the park's own properties (``site=``, a ``coupling/`` folder); a rule that lacks data is listed in
``needs_data``, never applied (``docs/coupling-rules.md``).

``accepting_group`` on a substitution row filters its users. A row's waste is a material id or
``category:<category>``. Without a rule, the user's input changes by (1 − γ)·q; that mass difference is
booked on the user's boundary outflows — added to its largest output to an export process (then environment, landfill) when the
input grows, taken proportionally off its outputs to the environment (then export, landfill) when it shrinks
(e.g. less process CO₂ when carbide slag replaces limestone) — so the user still balances. A coupling that
would need such a booking at a user without boundary outflows is not a candidate (noted).

**The optimisation** (after the transportation / fixed-charge formulation of the IS literature, see
``docs/symbiosis.md``): variables q_a ≥ 0 (t/a) per candidate arc a = (stream w, user u);

* supply Σ_u q_wu ≤ S_w; relief at an internal disposal target within its stock accumulation and boundary
  outflows;
* demand Σ_w γ_a q_a ≤ D_{u,m} per user and substituted material;
* capacity per input group g of the user (declared in the site's ``capacities.csv``, else its ``capacity``
  over every input but air and water): Σ_a ([w_a ∈ g] − γ_a [d_a ∈ g]) q_a ≤ capacity_g − current input_g;
* ``max_share`` of a catalogue row or rule: the waste may make up at most that share of the input group;
* a rule's shrinking outputs within the user's outflows of them; a product's growth within its demand;
* objective: minimise w_u·(−Σq) + w_c·Σ c_a q_a + w_co2·(−Σ e_a q_a) (+ Σ F·y_a with fixed link costs, a
  MILP with a binary per link and q_a ≤ ub_a·y_l; ``max_links`` bounds Σ y_l), where c_a = transport
  cost·distance − disposal fee − γ·virgin price − environmental protection tax where due (CNY/t; negative =
  saving) and e_a = avoided CO₂ per t − transport CO₂·distance (t CO₂/t).

``objective="utilisation"`` (w_u = 1), ``"cost"`` (w_c = 1) or ``"co2"`` (w_co2 = 1), or any ``weights``.
Solved with HiGHS through :func:`scipy.optimize.linprog` / :func:`scipy.optimize.milp`.

Units: tonnes in t/a, distance in km (haversine on the processes' x = longitude, y = latitude in degrees),
cost in CNY/a, CO₂ in t/a. Prices come from ``flows/prices.csv`` (sourced: the environmental protection tax,
hazardous-waste fees, natural gypsum); give others with ``prices=`` (a table material, disposal_fee,
virgin_price in CNY/t, optionally ranges) and ``transport_cost=`` (CNY per t·km).

The steps live in their own modules: :mod:`mfa.coupling_candidates` (streams, users, arcs),
:mod:`mfa.coupling_optimisation` (the LP/MILP, :func:`~mfa.coupling_optimisation.optimise_plan`) and
:mod:`mfa.park_editing` (the retrofit park, :func:`~mfa.park_editing.apply_plan`, shared with
:mod:`mfa.robustness`); this module holds the result and :func:`discover`, which runs them.

>>> import mfa
>>> park = mfa.Park.from_frames(
...     processes=[{"id": "quarry", "name": "Limestone", "kind": "import"},
...                {"id": "pvc", "name": "PVC plant", "kind": "production", "x": 106.8, "y": 39.6},
...                {"id": "cement", "name": "Cement plant", "kind": "production", "x": 106.9, "y": 39.7},
...                {"id": "dump", "name": "Landfill", "kind": "landfill"},
...                {"id": "air", "name": "Atmosphere", "kind": "environment"},
...                {"id": "market", "name": "Market", "kind": "export"}],
...     flows=[{"source": "pvc", "target": "dump", "material": "carbide_slag", "value": 100},
...            {"source": "quarry", "target": "pvc", "material": "limestone", "value": 100},
...            {"source": "quarry", "target": "cement", "material": "limestone", "value": 500},
...            {"source": "cement", "target": "market", "material": "cement", "value": 300},
...            {"source": "cement", "target": "air", "material": "co2", "value": 200}],
...     materials=[{"id": "carbide_slag", "name": "Carbide slag", "category": "industrial_solid_waste"},
...                {"id": "limestone", "name": "Limestone", "category": "raw_material"},
...                {"id": "cement", "name": "Cement", "category": "product"},
...                {"id": "co2", "name": "CO2", "category": "emission"}])
>>> from mfa.coupling_rules import SiteData
>>> new_dry_line = SiteData.from_frames(properties=[  # 70-100 % of the raw meal (S45); early lines 15 %
...     {"process": "cement", "material": "carbide_slag", "property": "max_share", "value": 0.8}])
>>> result = discover(park, site=new_dry_line)
>>> result.couplings[["from", "to", "material", "tonnes", "rule_id"]].values.tolist()
[['pvc', 'cement', 'carbide_slag', 100.0, 'carbide_slag_raw_meal']]
>>> retrofit = apply(park, result)
>>> from mfa.mass_balance import balance
>>> bool(balance(retrofit).ok)
True
>>> round(float(retrofit.flows.set_index("id").loc["quarry>cement:limestone", "value"]), 1)
364.9
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

import numpy as np
import pandas as pd

# the catalogue loaders moved to mfa.catalogue; re-exported here for existing imports
from mfa.catalogue import COMPATIBILITY_COLUMNS, PRICE_COLUMNS, compatibility, read_prices  # noqa: F401
from mfa.conventions import WASTE_CATEGORIES
from mfa.coupling_candidates import STREAM_FATES, Candidates, candidates, haversine_km
from mfa.coupling_optimisation import OBJECTIVES, objective_weights, optimise_plan
from mfa.errors import Issue, Message, MfaError, ParkError, suggest
from mfa.park_editing import RETROFIT_SUFFIX, apply_plan
from mfa.results import Result, jsonable

if TYPE_CHECKING:  # pragma: no cover
    from mfa.park import Park

__all__ = ["compatibility", "read_prices", "candidates", "Candidates", "discover", "SymbiosisResult",
           "apply", "apply_plan", "optimise_plan", "haversine_km", "utilisation_rates", "landfilled_tonnes",
           "COUPLING_COLUMNS", "COMPATIBILITY_COLUMNS", "OBJECTIVES", "RATE_BY_CATEGORY", "RETROFIT_SUFFIX",
           "STREAM_FATES"]

#: the public columns of the ranked coupling table (issue 6), in this order; extra columns follow them
COUPLING_COLUMNS: tuple[str, ...] = (
    "from", "to", "material", "tonnes", "distance_km", "utilisation_rate_gain", "landfill_avoided",
    "co2_avoided", "cost_change", "delta_fci", "delta_cyclicity")
#: plans with more couplings than this are not assessed coupling by coupling unless asked (each needs a park)
ASSESS_LIMIT = 50
#: the name users of the Python API know for building a plan into a park
apply = apply_plan


# --------------------------------------------------------------------------------------------------
# assessment
# --------------------------------------------------------------------------------------------------
#: the official rate that a coupling of a waste category changes (ids of :func:`mfa.indicators`)
RATE_BY_CATEGORY: dict[str, str] = {
    "industrial_solid_waste": "industrial_solid_waste_utilisation_rate",
    "straw": "straw_utilisation_rate",
    "manure": "manure_utilisation_rate",
    "hazardous_waste": "hazardous_waste_utilisation_disposal_rate",
    "renewable_resource": "renewable_resource_recovery_rate",
    "construction_waste": "construction_waste_utilisation_rate",
}


def utilisation_rates(park: "Park") -> dict[str, float | None]:
    """Utilisation rate (fraction 0–1) per waste category of a park.

    The official indicator of :data:`RATE_BY_CATEGORY` from :func:`mfa.indicators` (which follows the
    material through collection and storage and counts prior-year storage), or the category's
    ``utilisation_rate`` of ``by_category`` for a category without an official rate.

    Parameters
    ----------
    park : Park
        The park.

    Returns
    -------
    dict
        Category → rate, ``None`` where the denominator is 0.

    Examples
    --------
    >>> import mfa
    >>> park = mfa.Park.from_frames(
    ...     processes=[{"id": "power", "name": "Power", "kind": "production"},
    ...                {"id": "cement", "name": "Cement", "kind": "production"},
    ...                {"id": "dump", "name": "Landfill", "kind": "landfill"},
    ...                {"id": "market", "name": "Market", "kind": "export"}],
    ...     flows=[{"source": "power", "target": "cement", "material": "fly_ash", "value": 30},
    ...            {"source": "power", "target": "dump", "material": "fly_ash", "value": 10},
    ...            {"source": "cement", "target": "market", "material": "cement", "value": 30}])
    >>> utilisation_rates(park)["industrial_solid_waste"]
    0.75
    """
    from mfa.utilisation import indicators

    res = indicators(park, targets=False)
    out: dict[str, float | None] = {}
    tab = res.table.set_index("id")["value"]
    for cat, v in zip(res.by_category["category"], res.by_category["utilisation_rate"]):
        rid = RATE_BY_CATEGORY.get(str(cat))
        if rid is not None and rid in tab.index:
            v = tab[rid]
        out[str(cat)] = None if v is None or pd.isna(v) else float(v)
    return out


def landfilled_tonnes(park: "Park") -> float:
    """Σ of the known flows into landfill processes (t/a).

    Parameters
    ----------
    park : Park
        The park.

    Returns
    -------
    float
        t/a landfilled (unknown flows count 0).

    Examples
    --------
    >>> import mfa
    >>> park = mfa.Park.from_frames(
    ...     processes=[{"id": "power", "name": "Power", "kind": "production"},
    ...                {"id": "dump", "name": "Landfill", "kind": "landfill"},
    ...                {"id": "market", "name": "Market", "kind": "export"}],
    ...     flows=[{"source": "power", "target": "dump", "material": "fly_ash", "value": 10},
    ...            {"source": "power", "target": "market", "material": "cement", "value": 5}])
    >>> landfilled_tonnes(park)
    10.0
    """
    c = park.compiled
    return float(np.nansum(c.value[c.kind[c.tgt] == "landfill"]))


# --------------------------------------------------------------------------------------------------
# the result
# --------------------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class SymbiosisResult(Result, title="Symbiosis plan", main_table="couplings"):
    """A coupling plan for a park.

    Attributes
    ----------
    park : Park
        The park the plan was made for (reconciled first when asked).
    couplings : pandas.DataFrame
        The ranked table (main table) — from, to, material, tonnes (t/a), distance_km,
        utilisation_rate_gain (fraction, change of the rate of the material's category), landfill_avoided
        (t/a), co2_avoided (t/a; NaN when the catalogue row has no sourced CO₂ factor), cost_change (CNY/a,
        negative = saving; NaN when nothing is priced), delta_fci, delta_cyclicity (change of the park's
        total-mass network metrics when this coupling alone is added), then rank, stream, disposal_target,
        substitutes, ratio, virgin_avoided, source, quality_note, objective_contribution.
    candidates : pandas.DataFrame
        Every candidate arc with its optimal tonnes.
    totals : dict
        Totals of the plan and the metrics and rates before and after it (also ``.summary``).
    info : dict
        objective, weights, solver, status, objective_value, variables, constraints, seconds.
    messages : tuple of Issue
        Why candidates were left out, what was reconciled first (``.notes``: their texts).
    needs_data : pandas.DataFrame
        Couplings whose rule (``flows/coupling_coefficients.csv``) needs data the park does not give, or
        whose waste fails a quality limit: stream, from, to, material, supply, rule_id, status, missing,
        quality_note — listed, never applied.
    build_order : pandas.DataFrame
        With ``max_links``: the best plan of 1, 2, … N links and the marginal gain of each
        (:func:`mfa.coupling_optimisation.build_order`); empty otherwise.
    market : pandas.DataFrame
        Per product a coupling could raise: current_output, demand (NaN = market unchecked), headroom.

    Examples
    --------
    >>> import mfa
    >>> park = mfa.Park.from_frames(
    ...     processes=[{"id": "quarry", "name": "Quarry", "kind": "import"},
    ...                {"id": "pvc", "name": "PVC", "kind": "production"},
    ...                {"id": "bricks", "name": "Brickworks", "kind": "production", "capacity": 530},
    ...                {"id": "dump", "name": "Landfill", "kind": "landfill"},
    ...                {"id": "market", "name": "Market", "kind": "export"}],
    ...     flows=[{"source": "pvc", "target": "dump", "material": "fly_ash", "value": 100},
    ...            {"source": "quarry", "target": "bricks", "material": "limestone", "value": 500},
    ...            {"source": "bricks", "target": "market", "material": "fired_bricks", "value": 500}])
    >>> r = discover(park)
    >>> r.summary["tonnes"], r.summary["landfill_avoided"], r.table["to"].tolist()
    (30.0, 30.0, ['bricks'])
    """

    park: "Park"
    couplings: pd.DataFrame
    candidates: pd.DataFrame
    totals: dict[str, Any]
    info: dict[str, Any]
    needs_data: pd.DataFrame = field(default_factory=pd.DataFrame)
    build_order: pd.DataFrame = field(default_factory=pd.DataFrame)
    market: pd.DataFrame = field(default_factory=pd.DataFrame)
    _retrofit: dict = field(default_factory=dict, init=False, repr=False)

    @property
    def summary(self) -> dict[str, Any]:
        """Totals (t/a, t CO₂/a, CNY/a) and, when assessed, FCI, cyclicity, links and rates before/after.

        Returns
        -------
        dict
            Name → number or text.

        Examples
        --------
        >>> import mfa
        >>> park = mfa.Park.from_frames(
        ...     processes=[{"id": "quarry", "name": "Quarry", "kind": "import"},
        ...                {"id": "pvc", "name": "PVC", "kind": "production"},
        ...                {"id": "bricks", "name": "Brickworks", "kind": "production", "capacity": 530},
        ...                {"id": "dump", "name": "Landfill", "kind": "landfill"},
        ...                {"id": "market", "name": "Market", "kind": "export"}],
        ...     flows=[{"source": "pvc", "target": "dump", "material": "fly_ash", "value": 100},
        ...            {"source": "quarry", "target": "bricks", "material": "limestone", "value": 500},
        ...            {"source": "bricks", "target": "market", "material": "fired_bricks", "value": 500}])
        >>> r = discover(park)
        >>> r.summary["tonnes"]
        30.0
        """
        return dict(self.totals)

    notes = Result.message_texts  # the name earlier versions used

    def retrofit(self) -> "Park":
        """The retrofit park (:func:`mfa.park_editing.apply_plan` of this plan), built once.

        Returns
        -------
        Park
            The park with every coupling built in.

        Examples
        --------
        >>> import mfa
        >>> park = mfa.Park.from_frames(
        ...     processes=[{"id": "quarry", "name": "Quarry", "kind": "import"},
        ...                {"id": "pvc", "name": "PVC", "kind": "production"},
        ...                {"id": "bricks", "name": "Brickworks", "kind": "production", "capacity": 530},
        ...                {"id": "dump", "name": "Landfill", "kind": "landfill"},
        ...                {"id": "market", "name": "Market", "kind": "export"}],
        ...     flows=[{"source": "pvc", "target": "dump", "material": "fly_ash", "value": 100},
        ...            {"source": "quarry", "target": "bricks", "material": "limestone", "value": 500},
        ...            {"source": "bricks", "target": "market", "material": "fired_bricks", "value": 500}])
        >>> r = discover(park)
        >>> flows = r.retrofit().flows.set_index("id")
        >>> r.retrofit() is r.retrofit(), float(flows.loc["pvc>bricks:fly_ash", "value"])
        (True, 30.0)
        """
        if "park" not in self._retrofit:
            self._retrofit["park"] = apply_plan(self.park, self)
        return self._retrofit["park"]

    def to_dict(self) -> dict[str, Any]:
        """The ``--json`` document: park, objective, weights, solver, status, objective_value, summary,
        couplings (records) and notes, then needs_data, build_order and market (records).

        Returns
        -------
        dict
            Plain data (JSON-serialisable).

        Examples
        --------
        >>> import mfa
        >>> park = mfa.Park.from_frames(
        ...     processes=[{"id": "quarry", "name": "Quarry", "kind": "import"},
        ...                {"id": "pvc", "name": "PVC", "kind": "production"},
        ...                {"id": "bricks", "name": "Brickworks", "kind": "production", "capacity": 530},
        ...                {"id": "dump", "name": "Landfill", "kind": "landfill"},
        ...                {"id": "market", "name": "Market", "kind": "export"}],
        ...     flows=[{"source": "pvc", "target": "dump", "material": "fly_ash", "value": 100},
        ...            {"source": "quarry", "target": "bricks", "material": "limestone", "value": 500},
        ...            {"source": "bricks", "target": "market", "material": "fired_bricks", "value": 500}])
        >>> r = discover(park)
        >>> list(r.to_dict())[:9]
        ['park', 'objective', 'weights', 'solver', 'status', 'objective_value', 'summary', 'couplings', 'notes']
        """
        return jsonable({
            "park": self.park.info.name,
            "objective": self.info.get("objective"),
            "weights": self.info.get("weights"),
            "solver": self.info.get("solver"),
            "status": self.info.get("status"),
            "objective_value": self.info.get("objective_value"),
            "summary": self.totals,
            "couplings": _outputs_as_records(self.couplings),
            "notes": self.notes,
            "needs_data": self.needs_data,
            "build_order": self.build_order,
            "market": self.market,
        })

    def __repr__(self) -> str:
        return (f"<SymbiosisResult {self.park.info.name!r}: {len(self.couplings)} couplings, "
                f"{self.totals.get('tonnes', 0):,.1f} t/a>")


# --------------------------------------------------------------------------------------------------
# discover: candidates → optimisation → assessment → ranked plan
# --------------------------------------------------------------------------------------------------
def _check_cost_prices(w: dict[str, float], compat: pd.DataFrame | None, prices: pd.DataFrame | None,
                       transport_cost: float | None, fixed_cost: float | None) -> None:
    if not w["cost"] or prices is not None or transport_cost is not None or fixed_cost is not None:
        return
    comp = compat if compat is not None else compatibility()
    if comp["disposal_fee"].isna().all() and comp["virgin_price"].isna().all():
        raise MfaError("the cost objective needs prices: give a price table (material, disposal_fee, "
                       "virgin_price in CNY/t) and/or a transport cost in CNY per t·km — the catalogue "
                       "holds no sourced prices")


def _prepared(park: "Park", reconcile: bool) -> tuple["Park", list[Issue]]:
    """The park the plan is built on (reconciled when asked) and what to say about its unknown flows."""
    if reconcile:
        from mfa.solve import reconcile as reconcile_park

        rec = reconcile_park(park)
        return rec.park, [Issue.note(f"reconciled first (mfa.solve.reconcile, χ² = {rec.chi2:.3g}, {rec.dof} "
                                     f"dof): the plan and the retrofit are built on the reconciled park")]
    from mfa.fate import fates

    ft = fates(park)
    n = int((ft["value"].isna() & ft["fate"].isin(STREAM_FATES)).sum())
    return park, ([Issue.note(f"{n} disposed/stored/discarded waste flow(s) of unknown value cannot be rerouted: "
                              f"reconcile first (reconcile=True, --reconcile)", severity="warning")] if n else [])


def _costed(chosen: pd.DataFrame) -> pd.DataFrame:
    """virgin_avoided, co2_avoided (NaN where the rule or catalogue row has no sourced CO₂ factor: unknown, not
    zero) and the cost of every chosen coupling: cost_change (CNY/a, negative = saving; NaN when no part is
    priced) with its range cost_low / cost_high, its parts cost_components (disposal_fee_avoided,
    virgin_material_avoided, env_tax_avoided, transport; CNY/a, None where not priced), cost_missing (the
    prices it lacks) and cost_partial (some are missing)."""
    gamma = chosen["ratio"].to_numpy(dtype=float)
    t = chosen["tonnes"].to_numpy(dtype=float)
    chosen["virgin_avoided"] = np.where(chosen["substitutes"].astype(str) != "", gamma * t, 0.0)
    chosen["co2_avoided"] = np.where(chosen["co2_known"].to_numpy(dtype=bool),
                                     chosen["co2_per_t"].to_numpy(dtype=float) * t, np.nan)
    # + 0.0: a saving of nothing (a negated zero price) is printed 0.0, never -0.0
    chosen["cost_change"] = chosen["cost_per_t"].to_numpy(dtype=float) * t + 0.0
    for k in ("low", "high"):
        col = f"cost_{k}_per_t"
        chosen[f"cost_{k}"] = (chosen[col].to_numpy(dtype=float) * t + 0.0 if col in chosen
                               else chosen["cost_change"].to_numpy(dtype=float))
    names = {"disposal_fee_per_t": "disposal_fee_avoided", "virgin_per_t": "virgin_material_avoided",
             "env_tax_per_t": "env_tax_avoided", "transport_per_t": "transport"}
    have = [k for k in names if k in chosen]
    parts = chosen[have].to_numpy(dtype=float) * t[:, None] + 0.0 if have else np.zeros((len(chosen), 0))
    chosen["cost_components"] = [{names[k]: (None if k not in have or np.isnan(row[have.index(k)])
                                             else float(row[have.index(k)])) for k in names} for row in parts]
    missing = chosen["cost_missing"].fillna("").astype(str) if "cost_missing" in chosen else pd.Series(
        [""] * len(chosen), index=chosen.index)
    chosen["cost_missing"] = [[m for m in x.split("; ") if m] for x in missing]
    chosen["cost_partial"] = [bool(m) for m in chosen["cost_missing"]]
    return chosen


@dataclass
class _Baseline:
    """The park's figures before any coupling: rates per category, network metrics, t/a landfilled."""

    rates: dict[str, float | None]
    metrics: dict[str, Any]
    landfill: float

    @classmethod
    def of(cls, park: "Park") -> "_Baseline":
        from mfa.network import metrics as network_metrics

        return cls(utilisation_rates(park), network_metrics(park).metrics, landfilled_tonnes(park))


def _assessed(park: "Park", chosen: pd.DataFrame, base: _Baseline | None) -> pd.DataFrame:
    """Each coupling applied alone: the change of its category's rate, of landfill, FCI and cyclicity (NaN
    when not assessed; landfill avoided is then the tonnes of a stream that went to landfill)."""
    from mfa.network import metrics as network_metrics

    cat_of = park.compiled.category_of
    kind_of = park.compiled.kind_of
    rows = []
    for d in chosen.to_dict("records"):
        if base is None:
            # unassessed, a landfilled stream's tonnes are the landfill avoided — unless its rule adds a solid
            # residue (gangue's ash), whose share going to landfill only the assessment knows
            residue = bool(_adds_residue(park, pd.DataFrame([d]))[0])
            rows.append((np.nan, d["tonnes"] if kind_of.get(d["disposal_target"]) == "landfill" and not residue
                         else np.nan, np.nan, np.nan))
            continue
        one = apply_plan(park, pd.DataFrame([d]))
        m1 = network_metrics(one).metrics
        b0, b1 = base.rates.get(cat_of.get(d["material"], "")), utilisation_rates(one).get(
            cat_of.get(d["material"], ""))
        rows.append((b1 - b0 if b0 is not None and b1 is not None else np.nan,
                     base.landfill - landfilled_tonnes(one),
                     (m1["fci"] or 0.0) - (base.metrics["fci"] or 0.0),
                     m1["cyclicity"] - base.metrics["cyclicity"]))
    cols = ["utilisation_rate_gain", "landfill_avoided", "delta_fci", "delta_cyclicity"]
    effects = pd.DataFrame(rows, columns=cols, index=chosen.index, dtype=float)
    for c in cols:
        chosen[c] = effects[c].to_numpy()
    return chosen


def _adds_residue(park: "Park", couplings: pd.DataFrame) -> np.ndarray:
    """Per coupling, whether its rule adds a solid residue (a waste) to the user's outputs."""
    if "outputs" not in couplings:
        return np.zeros(len(couplings), dtype=bool)
    cat_of = park.compiled.category_of
    return np.array([isinstance(o, dict) and any(v > 0 and cat_of.get(m, "") in WASTE_CATEGORIES
                                                 for m, v in o.items()) for o in couplings["outputs"]], dtype=bool)


def _ranked(chosen: pd.DataFrame, w: dict[str, float]) -> pd.DataFrame:
    """The couplings ranked by their contribution to the objective (best first), ties by tonnes, then names."""
    chosen["objective_contribution"] = (
        w["utilisation"] * chosen["tonnes"].to_numpy(dtype=float)
        - w["cost"] * np.nan_to_num(chosen["cost_change"].to_numpy(dtype=float))
        + w["co2"] * np.nan_to_num(chosen["co2_avoided"].to_numpy(dtype=float)))
    chosen = chosen.sort_values(["objective_contribution", "tonnes", "from", "to", "material"],
                                ascending=[False, False, True, True, True], kind="mergesort")
    chosen.insert(0, "rank", np.arange(1, len(chosen) + 1))
    extra = ["rank", "stream", "disposal_target", "substitutes", "ratio", "virgin_avoided", "source",
             "quality_note", "objective_contribution", "rule_id", "outputs", "binding_capacity", "cost_low",
             "cost_high", "cost_components", "cost_missing", "cost_partial"]
    for c, default in (("rule_id", ""), ("outputs", None), ("binding_capacity", "none")):
        if c not in chosen:
            chosen[c] = default
    return chosen[list(COUPLING_COLUMNS) + extra].reset_index(drop=True)


def _totals(park: "Park", couplings: pd.DataFrame, cands: Candidates, n_arcs: int,
            base: _Baseline | None) -> dict[str, Any]:
    """The plan's totals; with a baseline also the metrics and rates after the whole plan."""
    from mfa.network import metrics as network_metrics

    co2 = couplings["co2_avoided"].to_numpy(dtype=float)
    totals: dict[str, Any] = {
        "candidates": int(n_arcs), "streams": int(len(cands.streams)),
        "couplings": int(len(couplings)), "tonnes": float(couplings["tonnes"].sum()),
        "co2_avoided": float(np.nansum(co2)),
        # nothing built costs nothing; couplings none of whose parts is priced cost an unknown amount
        "cost_change": (float(couplings["cost_change"].sum()) if couplings["cost_change"].notna().any()
                        else (0.0 if not len(couplings) else None)),
        "virgin_avoided": float(couplings["virgin_avoided"].sum()),
        "landfill_avoided": (float(np.nansum(couplings["landfill_avoided"].to_numpy(dtype=float)))
                             if len(couplings) else 0.0),
    }
    if base is None and len(couplings) and _adds_residue(park, couplings).any():
        totals["landfill_avoided"] = None  # where a rule's new residue goes is known only once assessed
    if base is None or not len(couplings):
        return totals
    after = apply_plan(park, couplings)
    m_after = network_metrics(after).metrics
    b = base.metrics
    totals["landfill_avoided"] = base.landfill - landfilled_tonnes(after)
    totals["fci_before"], totals["fci_after"] = b["fci"], m_after["fci"]
    totals["cyclicity_before"], totals["cyclicity_after"] = b["cyclicity"], m_after["cyclicity"]
    totals["n_links_before"], totals["n_links_after"] = b["n_links"], m_after["n_links"]
    totals["utilisation_rates_before"] = base.rates
    totals["utilisation_rates_after"] = utilisation_rates(after)
    return totals


def discover(park: "Park", objective: str = "utilisation", weights: Mapping[str, float] | None = None,
             *, compat: pd.DataFrame | None = None, prices: pd.DataFrame | None = None,
             transport_cost: float | None = None, transport_co2: float | None = None,
             fixed_cost: float | None = None, max_distance_km: float | None = None,
             nearest: int | None = None, assess: bool | None = None,
             reconcile: bool = False, site: Any = None, max_links: int | None = None) -> SymbiosisResult:
    """Find the best couplings of ``park``: the candidates, the LP/MILP and the ranked table with each
    coupling's effect (module docstring for every convention).

    Parameters
    ----------
    park : Park
        The park (waste flows of unknown value cannot be streams unless ``reconcile``).
    objective : {"utilisation", "cost", "co2"}
        Maximise t/a rerouted, minimise CNY/a, or maximise t CO₂/a avoided.
    weights : mapping, optional
        E.g. ``{"utilisation": 1, "co2": 0.5}``: combine the objectives; override ``objective``.
    compat : pandas.DataFrame, optional
        A compatibility catalogue (:func:`compatibility`; default the shipped one).
    prices : pandas.DataFrame, optional
        :func:`read_prices`: disposal fees and virgin prices in CNY/t.
    transport_cost, transport_co2 : float, optional
        CNY per t·km and t CO₂ per t·km.
    fixed_cost : float, optional
        CNY per coupling per year: the problem becomes a MILP.
    max_distance_km : float, optional
        Leave out longer couplings.
    nearest : int, optional
        Consider only the ``nearest`` users of each stream.
    assess : bool, optional
        Compute each coupling's ΔFCI, Δcyclicity and rate gain (each coupling applied alone); by default
        for plans of up to :data:`ASSESS_LIMIT` couplings.
    reconcile : bool
        Determine unknown flows first (:func:`mfa.solve.reconcile`); the plan and the retrofit are built on
        the reconciled park.
    site : SiteData or str or Path or False, optional
        The properties, capacities per input group and market demand the coupling rules use. By default
        the park's own (the ``coupling/`` folder of the folder it was read from, or beside its YAML file or
        workbook: :func:`mfa.coupling_rules.resolve_site`); a folder or a SiteData overrides it; False ignores it.
    max_links : int, optional
        The best plan of at most this many couplings (a MILP, exact) and ``build_order``: the best plan of
        1, 2, … links and the marginal gain of each added link.

    Returns
    -------
    SymbiosisResult
        The ranked couplings, every candidate, totals, solver info and messages.

    Raises
    ------
    MfaError
        For an unknown objective or weight, a cost objective without prices, or a failed solve.

    Examples
    --------
    >>> import mfa
    >>> park = mfa.Park.from_frames(
    ...     processes=[{"id": "pvc", "name": "PVC", "kind": "production"},
    ...                {"id": "bricks", "name": "Brickworks", "kind": "production", "capacity": 600},
    ...                {"id": "dump", "name": "Landfill", "kind": "landfill"},
    ...                {"id": "market", "name": "Market", "kind": "export"}],
    ...     flows=[{"source": "pvc", "target": "dump", "material": "fly_ash", "value": 100},
    ...            {"source": "bricks", "target": "market", "material": "fired_bricks", "value": 500}])
    >>> r = discover(park)
    >>> r.couplings[["from", "to", "tonnes", "landfill_avoided"]].values.tolist()
    [['pvc', 'bricks', 100.0, 100.0]]
    """
    from mfa.park import require_park

    require_park(park, "discover_couplings")
    w = objective_weights(objective, weights)
    _check_cost_prices(w, compat, prices, transport_cost, fixed_cost)
    from mfa.coupling_optimisation import binding_capacities, build_order
    from mfa.coupling_rules import resolve_site

    site_data = resolve_site(site, park)  # before any solving: a site file's errors are the first thing said
    park, messages = _prepared(park, reconcile)
    cands = candidates(park, compat=compat, prices=prices, transport_cost=transport_cost,
                       transport_co2=transport_co2, max_distance_km=max_distance_km, nearest=nearest,
                       site=site_data)
    q, info = optimise_plan(cands, objective, weights, fixed_cost, max_links=max_links)
    info["objective"] = objective if not weights else "weighted"
    arcs = cands.arcs.copy()
    arcs["tonnes"] = q
    arcs["binding_capacity"] = binding_capacities(cands, q)
    order = (build_order(cands, objective, weights, fixed_cost, max_links) if max_links is not None
             else pd.DataFrame(columns=["step", "added", "dropped", "tonnes", "value", "marginal_gain"]))
    messages += [Issue.note(n) for n in cands.notes]
    messages += _rule_messages(cands)
    if not len(cands.streams):
        messages.append(Issue.note("no waste stream is disposed, stored or discarded: nothing to couple"))
    elif not len(arcs):
        messages.append(Issue.note("no compatible user for the disposed/stored/discarded waste in "
                                   "flows/compatibility.csv"))
    chosen = _costed(arcs[arcs["tonnes"] > 0].copy())
    if assess is None:
        assess = len(chosen) <= ASSESS_LIMIT
        if not assess:
            messages.append(Issue.note(f"{len(chosen)} couplings: per-coupling ΔFCI, Δcyclicity and rate gains "
                                       f"not assessed (more than {ASSESS_LIMIT}; pass assess=True to force)"))
    base = _Baseline.of(park) if assess and len(chosen) else None
    couplings = _ranked(_assessed(park, chosen, base), info["weights"])
    totals = _totals(park, couplings, cands, len(arcs), base)
    market = cands.market if cands.market is not None else pd.DataFrame()
    unchecked = sorted(market.loc[market["raised"] & market["demand"].isna(), "material"]) if len(market) else []
    totals["market_unchecked"] = unchecked
    totals["needs_data"] = int(len(cands.not_applied)) if cands.not_applied is not None else 0
    totals["cost_partial"] = bool(couplings["cost_partial"].any()) if len(couplings) else False
    if unchecked:
        messages.append(Issue.note(Message(
            "market unchecked: no demand given for " + ", ".join(unchecked) + " (coupling/demand.csv): the plan "
            "may raise their output beyond what the market takes", code="symbiosis.market_unchecked",
            products=", ".join(unchecked)), severity="warning"))
    if info.get("solver") == "milp(highs)" and max_links is not None:
        info["max_links"] = int(max_links)
    return SymbiosisResult(park, couplings, arcs, totals, info, messages=tuple(messages),
                           needs_data=(cands.not_applied if cands.not_applied is not None else pd.DataFrame()),
                           build_order=order, market=market)


def _outputs_as_records(couplings: pd.DataFrame) -> pd.DataFrame:
    """The couplings with ``outputs`` (material → t per t of waste) as a list of {material, per_t}, so that the
    ``--json`` keys do not depend on the materials."""
    if "outputs" not in couplings or not len(couplings):
        return couplings
    out = couplings.copy()
    out["outputs"] = [[{"material": m, "per_t": v} for m, v in sorted(o.items())] if isinstance(o, dict) else []
                      for o in out["outputs"]]
    return out


def _rule_messages(cands: Candidates) -> list[Issue]:
    """Say which couplings a rule could not be applied to, and why (they are listed, never applied)."""
    na = cands.not_applied
    if na is None or not len(na):
        return []
    out = []
    for (rule, status, missing), g in na.groupby(["rule_id", "status", "missing"], sort=True):
        pairs = ", ".join(sorted(set(g["material"] + "→" + g["to"])))
        out.append(Issue.note(Message(f"{status}: rule {rule} not applied to {pairs} — {missing}",
                                      code="symbiosis.rule_not_applied", rule=rule, status=status,
                                      couplings=pairs, missing=missing), severity="warning"))
    return out
