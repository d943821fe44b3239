"""The fate of every waste flow: utilised, disposed, stored, discarded or exported — or passed on.

Conventions (normative; see also :mod:`mfa.conventions` and ``docs/indicators.md``):

* A **waste** is a material whose category is one of industrial_solid_waste, hazardous_waste, straw, manure,
  renewable_resource, construction_waste, municipal_waste.
* A waste flow's fate comes from the kind of process it goes to: production or consumption → **utilised**;
  landfill or treatment → **disposed**; storage → **stored** (of which the trace passes on what the store's
  stock change does not keep); environment → **discarded**; export → **exported**, which the rates count as
  *unresolved* (waste leaving the park with no declared fate). The target process's ``fate`` (processes
  table: what happens to waste it receives, e.g. another park's cement plant = utilised) overrides the kind;
  a non-blank ``fate`` on the flow overrides both.
* A flow into a **collection** process (with no ``fate`` of its own) is **passed_on**: the material
  continues along the collection process's outflows; :func:`mfa.trace` follows it to its fates.
* The **stage** of a flow says where its material comes from, by the kind of its source: production or
  consumption (post-consumer waste) → ``generated``; storage → ``prior_year_storage`` (waste
  drawn out of storage this year: the "往年贮存量" of the official formulas; it continues to its own fate);
  collection → ``in_transit``; import → ``imported`` (arrives from outside; not generated here); treatment
  → ``treatment_residue`` (left by a treatment plant: its own generation in the official view).

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
    "consumption": "generated",
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
    procs = park.processes.set_index("id")
    kinds = procs["kind"]
    skind = f["source"].map(kinds).astype(object).to_numpy()
    tkind = f["target"].map(kinds).astype(object).to_numpy()
    own = f["fate"].fillna("").astype(str).to_numpy()
    pfate = (f["target"].map(procs["fate"]).fillna("").astype(str).to_numpy() if "fate" in procs
             else np.full(len(f), ""))
    default = pd.Series(tkind).map(DEFAULT_FATE_BY_KIND).fillna("").astype(object).to_numpy()
    to_collection = tkind == "collection"
    fate = np.where(own != "", own, np.where(to_collection, PASSED_ON, np.where(pfate != "", pfate, default)))
    rule = np.where(own != "", "fate column",
                    np.where(~to_collection & (pfate != ""), "process fate",
                             np.char.add("target kind ", tkind.astype(str))))
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
    material are given by :func:`mfa.trace`.
    """
    from mfa.park import require_park

    require_park(park, "fates")
    if material is not None:
        from mfa.errors import MfaError, suggest

        known = set(park.materials["id"])
        if material not in known:
            raise MfaError(f"unknown material '{material}'" + (f" — {suggest(material, known)}"
                                                               if suggest(material, known) else ""))
        return classify(park, [material])
    return classify(park)
