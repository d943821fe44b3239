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

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from mfa.conventions import DEFAULT_FATE_BY_KIND

if TYPE_CHECKING:
    from mfa.park import Park

__all__ = ["fates", "classify", "PASSED_ON", "STAGE_BY_SOURCE_KIND", "FATE_COLUMNS"]

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


def classify(park: Park, materials: list[str] | None = None) -> pd.DataFrame:
    """The fate table (columns :data:`FATE_COLUMNS`) for the flows of ``materials`` (default: every waste
    material), in flow order, from the compiled park's arrays.

    Parameters
    ----------
    park : mfa.Park
        The park (values in t/a).
    materials : list of str, optional
        Material ids to keep, of any category; None = every waste material.

    Returns
    -------
    pandas.DataFrame
        One row per flow kept; see :func:`fates`.

    Examples
    --------
    >>> import mfa
    >>> f = classify(mfa.read_park("hazardous"), ["hw08_waste_mineral_oil"])
    >>> f[["target", "fate", "rule"]].values.tolist()[0]
    ['hw_reception', 'passed_on', 'target kind collection']
    """
    cp = park.compiled
    if materials is None:
        keep = cp.is_waste_material[cp.material_codes]
    else:
        keep = np.isin(cp.material_ids, list(materials))[cp.material_codes]
    idx = np.flatnonzero(keep)
    src, tgt = cp.src[idx], cp.tgt[idx]
    skind, tkind = cp.kind[src], cp.kind[tgt]
    own, pfate = cp.flow_fate[idx], cp.process_fate[tgt]
    default = pd.Series(tkind, dtype=object).map(DEFAULT_FATE_BY_KIND).fillna("").to_numpy(dtype=object)
    to_collection = tkind == "collection"
    fate = np.where(own != "", own, np.where(to_collection, PASSED_ON, np.where(pfate != "", pfate, default)))
    rule = np.where(own != "", "fate column",
                    np.where(~to_collection & (pfate != ""), "process fate",
                             np.char.add("target kind ", tkind.astype(str))))
    stage = pd.Series(skind, dtype=object).map(STAGE_BY_SOURCE_KIND).fillna("other").to_numpy(dtype=object)
    return pd.DataFrame({
        "id": cp.flow_ids[idx], "source": cp.process_ids[src], "target": cp.process_ids[tgt],
        "material": cp.material[idx], "category": cp.material_category[cp.material_codes[idx]],
        "value": cp.value[idx], "sigma": cp.sigma[idx], "route": cp.flow_route[idx],
        "fate": fate.astype(object), "rule": rule.astype(object), "stage": stage,
        "source_kind": skind, "target_kind": tkind,
    }, columns=list(FATE_COLUMNS))


def fates(park: Park, material: str | None = None) -> pd.DataFrame:
    """One row per waste flow with its fate.

    The conventions are in the module docstring; the final fates of passed-on material are given by
    :func:`mfa.trace`.

    Parameters
    ----------
    park : mfa.Park
        The park (values in t/a); a name or a path gives an error saying to read it first.
    material : str, optional
        Only the flows of this material (of any category); by default every waste material.

    Returns
    -------
    pandas.DataFrame
        Columns id, source, target, material, category, value (t/a), sigma (t/a), route, fate (utilised,
        disposed, stored, discarded, exported, or ``passed_on`` for a flow into a collection process), rule
        (why: ``fate column``, ``process fate`` or ``target kind <kind>``), stage (generated,
        prior_year_storage, in_transit, imported, treatment_residue — from the source's kind), source_kind,
        target_kind.

    Raises
    ------
    mfa.MfaError
        ``park`` is not a Park, or ``material`` is not one the park defines (with a suggestion).

    Examples
    --------
    >>> import mfa
    >>> f = fates(mfa.read_park("hazardous"))
    >>> sorted(set(f["fate"]))
    ['disposed', 'passed_on', 'stored', 'utilised']
    >>> fates("hazardous")
    Traceback (most recent call last):
    mfa.errors.MfaError: fates() needs a Park, not the name or path 'hazardous': read it first, park = mfa.read_park('hazardous'); mfa.fates(park)
    """
    from mfa.park import require_park

    require_park(park, "fates")
    if material is not None:
        known = park.compiled.category_of
        if material not in known:
            from mfa.errors import MfaError, suggest

            hint = suggest(material, known)
            raise MfaError(f"unknown material '{material}'" + (f" — {hint}" if hint else ""))
        return classify(park, [material])
    return classify(park)
