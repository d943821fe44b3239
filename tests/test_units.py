import numpy as np
import pandas as pd
import pytest

from mfa.units import UnitError, flow_factor, stock_factor, to_tonnes_per_year


@pytest.mark.parametrize("unit,factor", [
    ("t/a", 1.0), ("t/yr", 1.0), ("t", 1.0), ("kg/a", 1e-3), ("kt/a", 1e3), ("kt", 1e3), ("Mt/a", 1e6),
    ("万t/a", 1e4), ("万吨/年", 1e4), ("万 t/a", 1e4), ("亿t/a", 1e8), ("t/d", 365.0), ("吨/日", 365.0),
    ("t/month", 12.0), ("kg/h", 8.76), ("公斤/天", 0.365),
])
def test_flow_units(unit, factor):
    assert flow_factor(unit) == pytest.approx(factor, rel=1e-12)


def test_days_per_year():
    assert flow_factor("t/d", 330) == pytest.approx(330.0)
    assert flow_factor("t/month", 330) == pytest.approx(12.0)  # months are twelfths of a year


@pytest.mark.parametrize("unit", ["m^3/a", "kWh", "foo", "", "t/m"])
def test_bad_units(unit):
    with pytest.raises(UnitError):
        flow_factor(unit)


def test_stock_units():
    assert stock_factor("万t") == 1e4
    with pytest.raises(UnitError):
        stock_factor("t/a")


def test_vectorised():
    out = to_tonnes_per_year(np.array([1.0, 2.0, 3.0]), pd.Series(["万t/a", "t/d", "kt/yr"]))
    np.testing.assert_allclose(out, [1e4, 730.0, 3000.0])
