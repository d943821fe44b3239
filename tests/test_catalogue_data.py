"""The shipped catalogue data (flows/materials.csv, flows/sources.csv) are read with pandas only, so that a
broken data file is caught here even when the engine's loaders would tolerate it."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

FLOWS = Path(__file__).resolve().parent.parent / "flows"

CATEGORIES = {
    "industrial_solid_waste", "hazardous_waste", "straw", "manure", "renewable_resource", "construction_waste",
    "municipal_waste", "product", "raw_material", "fuel", "water", "emission", "other",
}
MATERIAL_COLUMNS = ["id", "name", "name_zh", "category", "bulk", "hw_code", "source", "note"]
SOURCE_COLUMNS = ["id", "title", "publisher_or_author", "year", "url_or_reference", "reliability", "note"]
SNAKE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
CJK = re.compile(r"[\u4e00-\u9fff]")

# The 46 categories of 国家危险废物名录(2021年版): HW41–HW44 were merged into others in the 2016 revision.
HW_2021 = {f"HW{i:02d}" for i in list(range(1, 41)) + list(range(45, 51))}

# Decision (see the note column): the seven national bulk kinds of S12 — coal gangue, fly ash (with boiler
# slag), tailings, smelting slags, by-product gypsum, construction waste, crop straw — and nothing else.
MUST_BE_BULK = {
    "coal_gangue", "fly_ash", "boiler_slag", "tailings", "steel_slag", "bf_slag", "ferroalloy_slag", "red_mud",
    "fgd_gypsum", "phosphogypsum", "construction_waste", "straw_maize", "straw_wheat", "straw_sunflower",
}
MUST_NOT_BE_BULK = {
    "carbide_slag", "coal_slime", "industrial_sludge", "brine_sludge", "waste_paper", "scrap_steel", "spl",
    "manure_sheep", "msw", "cement",
}
REQUIRED_IDS = {
    "coal_gangue", "fly_ash", "boiler_slag", "fgd_gypsum", "steel_slag", "bf_slag", "ferroalloy_slag",
    "carbide_slag", "red_mud", "tailings", "phosphogypsum", "spl",
    "straw_maize", "straw_wheat", "straw_rice", "straw_sunflower", "straw_soybean", "straw_potato",
    "manure_beef_cattle", "manure_dairy_cow", "manure_sheep", "manure_pig", "manure_broiler", "manure_layer",
    "waste_paper", "waste_plastics", "waste_tyres", "scrap_steel", "scrap_nonferrous", "scrap_aluminium",
    "scrap_copper", "waste_glass", "eol_appliances", "waste_textiles", "eol_vehicles",
    "hw08_waste_mineral_oil", "cement", "clinker", "steel", "pig_iron", "coke", "pvc", "caustic_soda",
    "calcium_carbide", "ferrosilicon", "alumina", "primary_aluminium", "methanol", "raw_coal", "limestone",
    "iron_ore", "quicklime", "bauxite", "air", "natural_gas", "fresh_water", "flue_gas", "co2",
}
REQUIRED_IDS.discard("steel")  # crude_steel and steel_products are the two steel products
REQUIRED_IDS |= {"crude_steel", "steel_products"}


@pytest.fixture(scope="module")
def materials() -> pd.DataFrame:
    return pd.read_csv(FLOWS / "materials.csv", dtype=str, keep_default_na=False, encoding="utf-8")


@pytest.fixture(scope="module")
def sources() -> pd.DataFrame:
    return pd.read_csv(FLOWS / "sources.csv", dtype=str, keep_default_na=False, encoding="utf-8")


def test_material_columns_exact(materials):
    assert list(materials.columns) == MATERIAL_COLUMNS


def test_source_columns_exact(sources):
    assert list(sources.columns) == SOURCE_COLUMNS


def test_material_ids_unique_and_snake_case(materials):
    dup = materials["id"][materials["id"].duplicated()]
    assert dup.empty, f"duplicate material ids: {sorted(dup)}"
    bad = [i for i in materials["id"] if not SNAKE.match(i)]
    assert not bad, f"ids not lowercase snake_case: {bad}"


def test_material_count_in_range(materials):
    assert 150 <= len(materials) <= 300


def test_every_material_has_an_existing_source(materials, sources):
    known = set(sources["id"])
    missing = materials[materials["source"].str.strip() == ""]
    assert missing.empty, f"rows without a source: {missing['id'].tolist()}"
    unknown = materials[~materials["source"].isin(known)]
    assert unknown.empty, f"sources not in sources.csv: {dict(zip(unknown['id'], unknown['source']))}"


def test_categories_valid(materials):
    bad = materials[~materials["category"].isin(CATEGORIES)]
    assert bad.empty, dict(zip(bad["id"], bad["category"]))


def test_bulk_flag_is_boolean_text(materials):
    assert set(materials["bulk"]) <= {"true", "false"}


def test_bulk_flags_as_decided(materials):
    bulk = dict(zip(materials["id"], materials["bulk"] == "true"))
    assert all(bulk[i] for i in MUST_BE_BULK), [i for i in MUST_BE_BULK if not bulk[i]]
    assert not any(bulk[i] for i in MUST_NOT_BE_BULK), [i for i in MUST_NOT_BE_BULK if bulk[i]]
    # bulk is only ever one of the seven kinds: industrial solid waste, straw or construction waste
    cats = set(materials.loc[materials["bulk"] == "true", "category"])
    assert cats <= {"industrial_solid_waste", "straw", "construction_waste"}
    # every straw and every construction-waste row is bulk
    for cat in ("straw", "construction_waste"):
        rows = materials[materials["category"] == cat]
        assert (rows["bulk"] == "true").all(), rows.loc[rows["bulk"] != "true", "id"].tolist()


def test_bulk_decisions_are_explained(materials):
    """A bulk industrial waste states in its note under which of the seven kinds it is counted."""
    rows = materials[(materials["bulk"] == "true") & (materials["category"] == "industrial_solid_waste")]
    unexplained = rows[~rows["note"].str.contains("S12|bulk", regex=True)]
    assert unexplained.empty, unexplained["id"].tolist()


def test_hw_codes(materials):
    hw = materials[materials["hw_code"] != ""]
    bad = hw[~hw["hw_code"].str.fullmatch(r"HW\d\d")]
    assert bad.empty, dict(zip(bad["id"], bad["hw_code"]))
    assert set(hw["hw_code"]) <= HW_2021, set(hw["hw_code"]) - HW_2021
    # hazardous waste has a code, nothing else has one
    assert (materials.loc[materials["category"] == "hazardous_waste", "hw_code"] != "").all()
    assert (materials.loc[materials["category"] != "hazardous_waste", "hw_code"] == "").all()


def test_every_hw_category_of_the_2021_list_is_present(materials):
    category_rows = materials[materials["id"].str.match(r"^hw\d\d_")]
    codes = set(category_rows["hw_code"])
    assert codes == HW_2021, sorted(HW_2021 ^ codes)
    # the id's number is the code's number
    for i, code in zip(category_rows["id"], category_rows["hw_code"]):
        assert i[2:4] == code[2:], (i, code)


def test_chinese_names_present(materials):
    bad = materials[~materials["name_zh"].str.contains(CJK)]
    assert bad.empty, bad["id"].tolist()
    assert (materials["name"].str.strip() != "").all()


def test_required_materials_present(materials):
    missing = REQUIRED_IDS - set(materials["id"])
    assert not missing, sorted(missing)


def test_sources_cover_reference_section_9(sources):
    ids = set(sources["id"])
    expected = {f"S{i:02d}" for i in range(1, 100)}
    assert expected <= ids, sorted(expected - ids)
    assert {"HW2021", "GBT-common", "derived", "illustrative"} <= ids


def test_sources_unique_and_complete(sources):
    assert not sources["id"].duplicated().any()
    assert (sources["title"].str.strip() != "").all()
    assert (sources["url_or_reference"].str.strip() != "").all()
    assert set(sources["reliability"]) <= {"A", "B", "C", "D"}
    years = sources.loc[sources["year"] != "", "year"]
    assert years.str.fullmatch(r"(19|20)\d\d").all(), years[~years.str.fullmatch(r"(19|20)\d\d")].tolist()


def other_flows_tables():
    """(path, table as text) of every CSV in flows/ other than the materials and sources catalogues."""
    for path in sorted(FLOWS.rglob("*.csv")):
        if path.name not in ("materials.csv", "sources.csv"):
            yield path, pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")


def test_other_flows_tables_cite_known_sources(sources):
    """Coefficient, target and compatibility tables owned by other engineers cite ids listed here."""
    known = set(sources["id"])
    problems = {}
    for path, frame in other_flows_tables():
        if "source" not in frame.columns:
            continue
        cited = {s.strip() for cell in frame["source"] for s in re.split(r"[;,]", cell) if s.strip()}
        if cited - known:
            problems[str(path.relative_to(FLOWS))] = sorted(cited - known)
    assert not problems, problems


def test_engine_reads_the_catalogue(materials):
    """The engine's loader sees the same rows (bulk parsed to bool)."""
    mfa_catalogue = pytest.importorskip("mfa.catalogue")
    cat = mfa_catalogue.materials()
    assert len(cat) == len(materials)
    assert cat["bulk"].dtype == bool
    assert int(cat["bulk"].sum()) == int((materials["bulk"] == "true").sum())


def test_other_flows_tables_name_known_materials(materials):
    """Material ids in the coefficient and compatibility tables exist in the catalogue (``category:<name>``
    entries name a valid category)."""
    known = set(materials["id"])
    problems = {}
    for path, frame in other_flows_tables():
        for col in ("material", "waste", "substitutes"):
            if col not in frame.columns:
                continue
            bad = set()
            for v in frame[col]:
                v = v.strip()
                if not v:
                    continue
                if v.startswith("category:"):
                    if v.split(":", 1)[1] not in CATEGORIES:
                        bad.add(v)
                elif v not in known:
                    bad.add(v)
            if bad:
                problems[f"{path.relative_to(FLOWS)}:{col}"] = sorted(bad)
    assert not problems, problems
