"""The fate of every waste flow: utilised, disposed, stored, discarded or exported — or passed on.

Conventions (normative; see also :mod:`mfa.conventions` and ``docs/indicators.md``):

* A **waste** is a material whose category is one of industrial_solid_waste, hazardous_waste, straw, manure,
  renewable_resource, construction_waste, municipal_waste.
* A waste flow's fate comes from the kind of process it goes to: production → **utilised**; landfill or
  treatment → **disposed**; storage → **stored**; environment → **discarded**; export → **exported** (waste
  leaving the park; write ``fate`` utilised or disposed on the flow when it goes to a user or handler
  outside the park). A non-blank ``fate`` on the flow always wins.
* A flow into a **collection** process (with no ``fate`` of its own) is **passed_on**: the material
  continues along the collection process's outflows; :func:`mfa.trace.trace` follows it to its fates.
* The **stage** of a flow says where its material comes from, by the kind of its source: production →
  ``generated`` (the only waste counted as generated in the rates); storage → ``prior_year_storage`` (waste
  drawn out of storage this year: the "往年贮存量" of the official formulas; it continues to its own fate);
  collection → ``in_transit``; import → ``imported`` (arrives from outside; not generated here); treatment
  → ``treatment_residue`` (left by a treatment plant; reported, not counted as generated).

>>> import mfa
>>> park = mfa.Park.from_frames(
...     processes=[{"id": "plant", "name": "Plant", "kind": "production"},
...                {"id": "yard", "name": "Yard", "kind": "collection"},
...                {"id": "cement", "name": "Cement", "kind": "production"},
...                {"id": "dump", "name": "Dump", "kind": "landfill"}],
...     flows=[{"source": "plant", "target": "yard", "material": "fly_ash", "value": 100},
...            {"source": "yard", "target": "cement", "material": "fly_ash", "value": 70},
...            {"source": "yard", "target": "dump", "material": "fly_ash", "value": 30}],
...     materials=[{"id": "fly_ash", "name": "Fly ash", "category": "industrial_solid_waste", "bulk": True}])
>>> fates(park)[["source", "target", "fate", "stage"]].values.tolist()
[['plant', 'yard', 'passed_on', 'generated'], ['yard', 'cement', 'utilised', 'in_transit'], ['yard', 'dump', 'disposed', 'in_transit']]
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mfa.conventions import DEFAULT_FATE_BY_KIND, WASTE_CATEGORIES

__all__ = ["fates", "PASSED_ON", "STAGE_BY_SOURCE_KIND", "FATE_COLUMNS"]

PASSED_ON = "passed_on"
#: Where a flow's material comes from, by the kind of its source process.
STAGE_BY_SOURCE_KIND: dict[str, str] = {
    "production": "generated",
    "storage": "prior_year_storage",
    "collection": "in_transit",
    "import": "imported",
    "treatment": "treatment_residue",
    # Boundary sinks do not send flows; kept for completeness so every kind maps somewhere.
    "landfill": "treatment_residue",
    "environment": "imported",
    "export": "imported",
}
FATE_COLUMNS: tuple[str, ...] = (
    "id", "source", "target", "material", "category", "value", "sigma", "route", "fate", "rule", "stage",
    "source_kind", "target_kind",
)


def classify(park, materials: "list[str] | None" = None) -> pd.DataFrame:
    """The fate table for the flows of ``materials`` (default: every waste material), in flow order.

    Internal helper shared with :mod:`mfa.trace`; :func:`fates` is the public view."""
    flows = park.flows
    mats = park.materials
    category = dict(zip(mats["id"], mats["category"]))
    if materials is None:
        keep = flows["material"].map(category).isin(WASTE_CATEGORIES).to_numpy()
    else:
        keep = flows["material"].isin(materials).to_numpy()
    f = flows.loc[keep, ["id", "source", "target", "material", "value", "sigma", "route", "fate"]]
    f = f.reset_index(drop=True)
    kinds = park.processes.set_index("id")["kind"]
    skind = f["source"].map(kinds).astype(object).to_numpy()
    tkind = f["target"].map(kinds).astype(object).to_numpy()
    own = f["fate"].fillna("").astype(str).to_numpy()
    default = pd.Series(tkind).map(DEFAULT_FATE_BY_KIND).fillna("").astype(object).to_numpy()
    to_collection = tkind == "collection"
    fate = np.where(own != "", own, np.where(to_collection, PASSED_ON, default))
    rule = np.where(own != "", "fate column",
                    np.char.add("target kind ", tkind.astype(str)))
    stage = pd.Series(skind).map(STAGE_BY_SOURCE_KIND).fillna("other").to_numpy()
    return pd.DataFrame({
        "id": f["id"], "source": f["source"], "target": f["target"], "material": f["material"],
        "category": f["material"].map(category).fillna("").astype(object), "value": f["value"].astype(float),
        "sigma": f["sigma"].astype(float), "route": f["route"].fillna("").astype(object),
        "fate": fate.astype(object), "rule": rule.astype(object), "stage": stage.astype(object),
        "source_kind": skind, "target_kind": tkind,
    })


def fates(park, material: str | None = None) -> pd.DataFrame:
    """One row per waste flow with its fate.

    Columns: id, source, target, material, category, value (t/a), sigma (t/a), route, fate (utilised,
    disposed, stored, discarded, exported, or ``passed_on`` for a flow into a collection process), rule (why:
    ``fate column`` or ``target kind <kind>``), stage (generated, prior_year_storage, in_transit, imported,
    treatment_residue — from the source's kind), source_kind, target_kind. ``material`` limits the table to
    one material (of any category). The conventions are in the module docstring; the final fates of passed-on
    material are given by :func:`mfa.trace.trace`.
    """
    if material is not None:
        from mfa.errors import MfaError, suggest

        known = set(park.materials["id"])
        if material not in known:
            raise MfaError(f"unknown material '{material}'" + (f" — {suggest(material, known)}"
                                                               if suggest(material, known) else ""))
        return classify(park, [material])
    return classify(park)
