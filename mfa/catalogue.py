"""Domain knowledge shipped as data: the material catalogue, coefficient tables, targets, example parks.

In a source checkout the files live in the repository's ``flows/`` and ``parks/`` folders; in an installed
wheel they are packaged as ``mfa/_data/flows`` and ``mfa/_data/parks``. :func:`data_path` hides the
difference.
"""

from __future__ import annotations

import functools
from pathlib import Path

import pandas as pd

__all__ = ["data_path", "materials", "material_aliases", "example_parks", "example_park_path"]

_PACKAGE = Path(__file__).resolve().parent


def _root(kind: str) -> Path:
    packaged = _PACKAGE / "_data" / kind
    if packaged.is_dir():
        return packaged
    return _PACKAGE.parent / kind


def data_path(kind: str, *parts: str) -> Path:
    """Path of a shipped data file: ``data_path("flows", "materials.csv")``; ``kind`` is flows or parks."""
    if kind not in ("flows", "parks"):
        raise ValueError("kind must be 'flows' or 'parks'")
    return _root(kind).joinpath(*parts)


@functools.lru_cache(maxsize=1)
def _materials_cached() -> pd.DataFrame:
    path = data_path("flows", "materials.csv")
    if not path.is_file():
        from mfa.conventions import MATERIAL_COLUMNS

        return pd.DataFrame({c: pd.Series(dtype=object) for c in MATERIAL_COLUMNS})
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    frame["bulk"] = frame["bulk"].str.strip().str.lower().isin(["true", "1", "yes"])
    return frame


def materials() -> pd.DataFrame:
    """The shipped material catalogue (``flows/materials.csv``): id, name, name_zh, category, bulk,
    hw_code, source, note — one row per material, every row with its source."""
    return _materials_cached().copy()


@functools.lru_cache(maxsize=1)
def _aliases_cached() -> dict[str, str]:
    names: dict[str, str] = {}
    cat = _materials_cached()
    zh = cat["name_zh"].fillna("").astype(str).str.strip()
    unique = zh[(zh != "") & ~zh.duplicated(keep=False)]
    names.update(dict(zip(unique, cat.loc[unique.index, "id"])))
    path = data_path("flows", "material_aliases.csv")
    if path.is_file():
        extra = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        names.update({a.strip(): m.strip() for a, m in zip(extra["alias"], extra["material"]) if a.strip()})
    return names


def material_aliases() -> dict[str, str]:
    """Chinese names a park's staff may type for a catalogue material: every unambiguous ``name_zh`` of
    ``flows/materials.csv`` (粉煤灰 → fly_ash) and the common names of ``flows/material_aliases.csv``
    (秸秆 → straw_mixed, 电石泥 → carbide_slag …)."""
    return dict(_aliases_cached())


def example_parks() -> list[str]:
    """Names of the example parks shipped with circular-mfa (``mfa check wuhai`` works after install)."""
    root = _root("parks")
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if p.is_dir() and (p / "processes.csv").is_file()
                  or (p.is_file() and p.suffix in (".yaml", ".yml", ".xlsx")))


def example_park_path(name: str) -> Path | None:
    """Path of the shipped example park ``name``, or None."""
    p = _root("parks") / name
    return p if p.exists() else None
