"""The retrofits of 内政发〔2021〕9号 as example parks (parks/tuoketuo, parks/otog and their retrofits) and the
sourced data behind issue 15: prices (flows/prices.csv) and coupling coefficients
(flows/coupling_coefficients.csv)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

mfa = pytest.importorskip("mfa")

ROOT = Path(__file__).resolve().parent.parent
PARKS = ["tuoketuo", "tuoketuo_retrofit", "otog", "otog_retrofit"]
INTERNAL = {"production", "collection", "treatment", "storage"}
WAN = 1e4  # 万t


def _csv(*parts: str) -> pd.DataFrame:
    return pd.read_csv(ROOT.joinpath(*parts), dtype=str, keep_default_na=False, encoding="utf-8")


@pytest.fixture(scope="module")
def sources() -> set[str]:
    return set(_csv("flows", "sources.csv")["id"])


def _ids(cell: str) -> set[str]:
    return {s.strip() for s in re.split(r"[;,]", cell) if s.strip()}


def _flow(park, source: str, target: str, material: str) -> float:
    f = park.flows
    hit = f[(f["source"] == source) & (f["target"] == target) & (f["material"] == material)]
    assert len(hit) == 1, (source, target, material)
    return float(hit["value"].iloc[0])


def _rate(park) -> float:
    t = mfa.indicators(park, targets=False).table.set_index("id")
    return float(t.loc["industrial_solid_waste_utilisation_rate", "value"])


@pytest.fixture(scope="module")
def coef() -> pd.DataFrame:
    return _csv("flows", "coupling_coefficients.csv")


def _central(coef: pd.DataFrame, rule: str, term: str, material: str) -> float:
    row = coef[(coef["rule"] == rule) & (coef["term"] == term) & (coef["material"] == material)]
    assert len(row) == 1, (rule, term, material)
    return float(row["central"].iloc[0])


# ---- the parks ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", PARKS)
def test_park_is_shipped_and_balances(name):
    assert name in mfa.example_parks()
    park = mfa.read_park(name)
    catalogue = set(mfa.catalogue.materials()["id"])
    assert set(park.flows["material"]) <= catalogue | set(park.materials["id"])
    b = mfa.balance(mfa.solve_park(park).park)
    p = b.processes
    internal = p[p["kind"].isin(INTERNAL)]
    assert (internal["status"] == "balanced").all(), internal[internal["status"] != "balanced"]
    assert float(internal["residual"].abs().max()) < 1.0  # t/a: balanced by construction, not by tolerance


@pytest.mark.parametrize("name", PARKS)
def test_cli_check_exits_zero(name):
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    r = subprocess.run([sys.executable, "-m", "mfa", "check", str(ROOT / "parks" / name)],
                       capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr


@pytest.mark.parametrize("name", PARKS)
def test_readme_separates_sourced_from_illustrative(name, sources):
    text = (ROOT / "parks" / name / "README.md").read_text(encoding="utf-8")
    assert "illustrative" in text.lower() and "sourced" in text.lower()
    cited = set(re.findall(r"\bS\d\d\b|\b[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)+\b", text))
    assert cited and cited <= sources, cited - sources
    notes = " ".join(_csv("parks", name, "flows.csv")["note"])
    assert set(re.findall(r"\bS\d\d\b", notes)) <= sources


@pytest.mark.parametrize("name", PARKS)
@pytest.mark.parametrize("target", ["park.yaml", "park.xlsx"])
def test_park_survives_the_other_formats(tmp_path, name, target):
    park = mfa.read_park(name)
    mfa.write_park(park, tmp_path / target)
    assert mfa.read_park(tmp_path / target) == park


def test_otog_figures_equal_the_sourced_ones():
    park = mfa.read_park("otog")
    days = park.info.days_per_year
    assert _flow(park, "shuangxin_clinker", "markets", "clinker") == pytest.approx(3000 * days)  # 3000 t/d, S18
    pvc = _flow(park, "zhonggu_pvc", "markets", "pvc")
    assert pvc == pytest.approx(60 * WAN)                                                      # 60万 t PVC, S77
    assert _flow(park, "zhonggu_cement", "markets", "cement") == pytest.approx(156 * WAN)      # 156万 t, S77
    carbide = park.flows[(park.flows["source"] == "zhonggu_carbide")
                         & (park.flows["material"] == "calcium_carbide")]["value"].sum()
    assert carbide == pytest.approx(100 * WAN)                                                 # 100万 t, S77
    slag = park.flows[(park.flows["source"] == "zhonggu_pvc") & (park.flows["material"] == "carbide_slag")]
    assert slag["value"].sum() == pytest.approx(1.78 * pvc)                                    # S43


def test_tuoketuo_figures_equal_the_sourced_ones():
    park = mfa.read_park("tuoketuo")
    assert _flow(park, "alloy_plant", "markets", "al_si_ti_alloy") == pytest.approx(7 * WAN)   # S17
    ash = _flow(park, "ash_logistics", "alumina_plant", "high_alumina_fly_ash")
    assert _flow(park, "alumina_plant", "markets", "alumina") == pytest.approx(0.125 * ash)    # 20/160 derived
    used = set(park.flows["material"])
    assert {"high_alumina_fly_ash", "silicon_calcium_slag", "carbide_slag"} <= used
    assert _flow(park, "alumina_plant", "cement_plant", "silicon_calcium_slag") > 0           # S16 chain
    pvc = _flow(park, "pvc_plant", "markets", "pvc")
    slag = park.flows[(park.flows["source"] == "pvc_plant") & (park.flows["material"] == "carbide_slag")]
    assert slag["value"].sum() == pytest.approx(1.78 * pvc)                                    # S43
    assert _rate(park) == pytest.approx(230.0 / 500.6, abs=1e-6)                               # README hand check


def carbide_slag_in_raw_meal(coef):
    """Per t of carbide slag in clinker raw meal: t limestone displaced, t CO₂ no longer released, t water vapour
    added (the sourced central values of the rule)."""
    return tuple(_central(coef, "carbide_slag_raw_meal", effect, material)
                 for effect, material in (("displaces", "limestone"), ("removes", "co2"), ("adds", "water_vapour")))


def test_otog_retrofit_applies_the_carbide_slag_rule_by_hand(coef):
    before, after = mfa.read_park("otog"), mfa.read_park("otog_retrofit")
    q = _flow(after, "zhonggu_pvc", "shuangxin_clinker", "carbide_slag")
    assert q == pytest.approx(26.8 * WAN)
    gamma, co2, h2o = carbide_slag_in_raw_meal(coef)
    ls = [_flow(p, "external_suppliers", "shuangxin_clinker", "limestone") for p in (before, after)]
    assert ls[0] - ls[1] == pytest.approx(gamma * q, rel=1e-6)
    c = [_flow(p, "shuangxin_clinker", "atmosphere", "co2") for p in (before, after)]
    assert c[0] - c[1] == pytest.approx(co2 * q, rel=1e-5)
    assert _flow(after, "shuangxin_clinker", "atmosphere", "water_vapour") == pytest.approx(h2o * q, rel=1e-6)
    clinker = [_flow(p, "shuangxin_clinker", "markets", "clinker") for p in (before, after)]
    assert clinker[0] == clinker[1]
    assert _rate(before) == pytest.approx(100 / 194.5, abs=1e-6)
    assert _rate(after) == pytest.approx(126.8 / 194.5, abs=1e-6)


def test_tuoketuo_retrofit_applies_the_sourced_rules_by_hand(coef):
    before, after = mfa.read_park("tuoketuo"), mfa.read_park("tuoketuo_retrofit")
    q = _flow(after, "pvc_plant", "alumina_plant", "carbide_slag") - _flow(before, "pvc_plant", "alumina_plant",
                                                                           "carbide_slag")
    assert q == pytest.approx(4.6 * WAN)
    gamma, co2, h2o = carbide_slag_in_raw_meal(coef)
    ls = [_flow(p, "external_suppliers", "alumina_plant", "limestone") for p in (before, after)]
    assert ls[0] - ls[1] == pytest.approx(gamma * q, rel=1e-6)
    assert _flow(after, "alumina_plant", "atmosphere", "water_vapour") == pytest.approx(h2o * q, rel=1e-6)
    gas = [_flow(mfa.solve_park(p).park, "alumina_plant", "atmosphere", "flue_gas") for p in (before, after)]
    assert gas[0] - gas[1] == pytest.approx(co2 * q, rel=1e-4)  # the blank flue gas carries the CO2 avoided
    gypsum = _central(coef, "fgd_gypsum_retarder", "displaces", "natural_gypsum")
    g = _flow(after, "datang_power", "cement_plant", "fgd_gypsum") - _flow(before, "datang_power", "cement_plant",
                                                                          "fgd_gypsum")
    natural = before.flows[before.flows["material"] == "natural_gypsum"]["value"].sum()
    assert natural - after.flows[after.flows["material"] == "natural_gypsum"]["value"].sum() == pytest.approx(gypsum * g)
    assert _rate(after) == pytest.approx(240.6 / 500.6, abs=1e-6)


# ---- prices ---------------------------------------------------------------------------------------------
TAX = {"coal_gangue": 5, "tailings": 15, "category:hazardous_waste": 1000, "fly_ash": 25,
       "high_alumina_fly_ash": 25, "boiler_slag": 25, "steel_slag": 25, "silicon_calcium_slag": 25,
       "carbide_slag": 25, "fgd_gypsum": 25}


def test_prices_carry_the_statutory_tax_and_stay_readable(sources):
    raw = _csv("flows", "prices.csv").set_index("material")
    for material, tax in TAX.items():
        assert float(raw.loc[material, "env_tax"]) == tax, material
    assert (raw["source"].str.strip() != "").all()
    for cell in raw["source"]:
        assert _ids(cell) <= sources
    for kind in ("disposal_fee", "virgin_price"):
        lo, mid, hi = (pd.to_numeric(raw[c].replace("", None)) for c in (f"{kind}_low", kind, f"{kind}_high"))
        ranged = lo.notna()
        assert (lo[ranged] <= mid[ranged]).all() and (mid[ranged] <= hi[ranged]).all()
    from mfa.symbiosis import read_prices
    read = read_prices(ROOT / "flows" / "prices.csv")  # today's --prices reader accepts the shipped file
    assert read.set_index("material").loc["category:hazardous_waste", "disposal_fee"] == 2700


# ---- coupling coefficients -------------------------------------------------------------------------------
def test_every_coefficient_is_sourced_or_marked_needs_data(coef, sources):
    assert set(coef["status"]) <= {"sourced", "derived", "needs data"}
    values = coef[["low", "central", "high"]].apply(lambda c: c.str.strip() != "")
    needs = coef["status"] == "needs data"
    assert not values[needs].any(axis=None), coef[needs & values.any(axis=1)]
    assert values[~needs].any(axis=1).all()
    for cell in coef.loc[~needs, "source"]:
        assert cell.strip() and _ids(cell) <= sources, cell
    rules = set(_csv("flows", "compatibility.csv")["rule"]) - {""}
    assert rules <= set(coef["rule"])
    for rule in ("gangue_cfb", "fly_ash_cement", "carbide_slag_raw_meal", "boiler_slag_cement",
                 "fgd_gypsum_retarder", "ha_fly_ash_alumina"):
        assert rule in rules


def test_carbide_slag_rule_conserves_mass(coef):
    gamma, co2, h2o = carbide_slag_in_raw_meal(coef)
    assert 1 - gamma == pytest.approx(h2o - co2, abs=1e-3)  # inputs change = outputs change per t Ca(OH)2
    assert gamma == pytest.approx(100.09 / 74.09, abs=5e-4) and co2 == pytest.approx(44.01 / 74.09, abs=5e-4)


def test_complete_rules_conserve_mass_per_tonne(coef):
    """Per t of waste a rule changes the receiver's inputs by 1 − Σ displaces and its outputs by
    Σ adds − Σ removes (docs/coupling-rules.md); checked on every rule whose t/t terms are all known."""
    mass = coef[coef["term"].isin(["displaces", "adds", "removes"]) & (coef["unit"] == "t/t")]
    checked = []
    for rule, rows in mass.groupby("rule"):
        if not (rows["term"] == "displaces").any() or (rows["central"].str.strip() == "").any():
            continue
        v = rows.assign(c=rows["central"].astype(float))
        d = v.loc[v["term"] == "displaces", "c"].sum()
        out = v.loc[v["term"] == "adds", "c"].sum() - v.loc[v["term"] == "removes", "c"].sum()
        assert 1 - d == pytest.approx(out, abs=1e-3), rule
        checked.append(rule)
    assert {"carbide_slag_raw_meal", "fly_ash_cement", "fgd_gypsum_retarder", "fgd_gypsum_board"} <= set(checked)


def test_gangue_hand_calculation_of_the_docs():
    """docs/coupling-rules.md §1: 100 t gangue, A = 0.60, LHV 5.8 vs coal 20 MJ/kg with 25 % ash."""
    coal = 100 * 5.8 / 20
    ash = 100 * 0.60 - coal * 0.25
    gas = 100 * (1 - 0.60) - coal * (1 - 0.25)
    assert (coal, ash, gas) == pytest.approx((29, 52.75, 18.25))
    assert ash + gas == pytest.approx(100 - coal)
    text = (ROOT / "docs" / "coupling-rules.md").read_text(encoding="utf-8")
    for figure in ("52.75", "18.25", "87.5", "135.1", "59.4", "24.3"):
        assert figure in text
