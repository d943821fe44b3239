"""The metadata of a park (:class:`ParkInfo`): a leaf module, so that the readers in :mod:`mfa.io` can
validate it without importing the park model that is built from what they read.

>>> ParkInfo(name="Wuhai", year="2015").year
2015
"""

from __future__ import annotations

from typing import Any, Mapping

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = ["ParkInfo"]


class ParkInfo(BaseModel):
    """Metadata of a park (the ``park`` sheet, ``park.csv`` key/value file or YAML ``park:`` mapping).

    Frozen, and strict: an unknown field or a value out of range is refused; blank values count as missing.

    Examples
    --------
    >>> info = ParkInfo(name="Wuhai", year="2015", region="  ", rel_tol=0.02)
    >>> info.name, info.year, info.region, info.unit, info.rel_tol
    ('Wuhai', 2015, None, 't/a', 0.02)
    >>> info.model_copy(update={"year": 2016}).year
    2016
    """

    # NaN or infinite settings would switch checks off (a tolerance of inf passes any imbalance)
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    name: str = Field("park", description="name of the park or region")
    name_zh: str | None = Field(None, description="Chinese name")
    region: str | None = Field(None, description="region, e.g. 内蒙古乌海市")
    level: str | None = Field(None, description="designations the park holds, which decide the targets that "
                              "apply to it: 'eco-industrial park' (生态工业园区), 'demonstration base' "
                              "(大宗固废综合利用示范基地); several separated by ';'")
    year: int | None = Field(None, ge=1900, le=2200, description="reporting year: the period of every row "
                             "whose 'year' is blank")
    unit: str = Field("t/a", description="default unit of flow values where a row gives none")
    days_per_year: float = Field(365.0, gt=0, le=366, description="days per year for per-day figures")
    value_added: float | None = Field(None, ge=0, description="industrial value added of the park")
    value_added_unit: str | None = Field(None, description="unit of value_added, e.g. '1e4 CNY' (万元)")
    description: str | None = Field(None, description="free text")
    rel_tol: float = Field(0.01, ge=0, description="relative balance tolerance (share of throughput)")
    abs_tol: float = Field(0.01, ge=0, description="absolute balance tolerance in t/a")

    @model_validator(mode="before")
    @classmethod
    def _blank_is_missing(cls, data: Any) -> Any:
        # A blank cell and a missing key mean the same; keep one representation so parks compare equal.
        if isinstance(data, Mapping):
            return {k: (v.strip() if isinstance(v, str) else v) for k, v in data.items()
                    if not (v is None or (isinstance(v, str) and not v.strip()))}
        return data
