"""Fates of waste flows: default by target kind, the fate column overrides, collection passes on."""

from __future__ import annotations

import pytest

import mfa
from mfa.errors import MfaError
from mfa.fate import fates

KINDS = ["production", "collection", "treatment", "landfill", "storage", "environment", "import", "export"]


def park_all_kinds():
    procs = [{"id": k, "name": k, "kind": k} for k in KINDS] + [{"id": "plant", "name": "p", "kind": "production"}]
    flows = [{"source": "plant", "target": k, "material": "fly_ash", "value": 1.0}
             for k in KINDS if k != "import"]
    flows += [
        {"source": "plant", "target": "export", "material": "steel_slag", "value": 2.0, "fate": "utilised"},
        {"source": "storage", "target": "production", "material": "fly_ash", "value": 3.0},
        {"source": "import", "target": "collection", "material": "fly_ash", "value": 4.0},
        {"source": "treatment", "target": "landfill", "material": "fly_ash", "value": 5.0},
        {"source": "import", "target": "plant", "material": "raw_coal", "value": 10.0},
    ]
    return mfa.Park.from_frames(processes=procs, flows=flows)


def test_default_fate_by_target_kind_and_override():
    f = fates(park_all_kinds())
    got = {(r.source, r.target, r.material): (r.fate, r.rule) for r in f.itertuples()}
    assert got[("plant", "production", "fly_ash")] == ("utilised", "target kind production")
    assert got[("plant", "treatment", "fly_ash")][0] == "disposed"
    assert got[("plant", "landfill", "fly_ash")][0] == "disposed"
    assert got[("plant", "storage", "fly_ash")][0] == "stored"
    assert got[("plant", "environment", "fly_ash")][0] == "discarded"
    assert got[("plant", "export", "fly_ash")][0] == "exported"
    assert got[("plant", "collection", "fly_ash")][0] == "passed_on"
    # waste handed to a user outside the park: the fate column wins over the export default
    assert got[("plant", "export", "steel_slag")] == ("utilised", "fate column")


def test_stage_from_source_kind_and_only_waste():
    f = fates(park_all_kinds())
    stage = {(r.source, r.target): r.stage for r in f.itertuples()}
    assert stage[("plant", "production")] == "generated"
    assert stage[("storage", "production")] == "prior_year_storage"
    assert stage[("import", "collection")] == "imported"
    assert stage[("treatment", "landfill")] == "treatment_residue"
    assert "raw_coal" not in set(f["material"])  # not a waste
    assert list(f.columns) == ["id", "source", "target", "material", "category", "value", "sigma", "route", "fate",
                               "rule", "stage", "source_kind", "target_kind"]


def test_one_material_and_unknown_material():
    park = park_all_kinds()
    assert set(fates(park, "raw_coal")["fate"]) == {"utilised"}
    with pytest.raises(MfaError, match="did you mean 'fly_ash'"):
        fates(park, "fly_ahs")
