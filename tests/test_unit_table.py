"""The table of common unit strings (mfa._unit_table) gives what pint gives, bit for bit."""

from __future__ import annotations

import pytest

from mfa import units
from mfa._unit_table import COMMON


@pytest.fixture
def pint_only(monkeypatch):
    monkeypatch.setattr(units, "_common", lambda text: None)
    units.flow_factor.cache_clear()
    units.stock_factor.cache_clear()
    yield
    units.flow_factor.cache_clear()
    units.stock_factor.cache_clear()


def test_every_entry_equals_pint(pint_only):
    for text, (kind, f) in COMMON.items():
        for days in (365.0, 330.0, 300.5):
            expected = units.flow_factor(text, days)
            got = f * days if kind == "per_day" else f
            assert got == expected, (text, days)
        if kind == "mass":
            assert f == units.stock_factor(text), text
        else:
            with pytest.raises(units.UnitError):
                units.stock_factor(text)


def test_common_units_do_not_need_pint(monkeypatch):
    units.flow_factor.cache_clear()
    units.stock_factor.cache_clear()

    def no_pint():
        raise AssertionError("pint registry built for a common unit")

    monkeypatch.setattr(units, "_registry", no_pint)
    assert units.flow_factor("万t/a") == 10000.0
    assert units.flow_factor("t/d", 330.0) == 330.0
    assert units.stock_factor("万吨") == 10000.0
    with pytest.raises(units.UnitError, match="not a mass"):
        units.stock_factor("t/a")
    units.flow_factor.cache_clear()
    units.stock_factor.cache_clear()
