"""Small result objects shared by every engine: tidy DataFrames plus ``to_dict``/``to_json`` and a rich
display in Jupyter. JSON is deterministic (no NaN: missing numbers become ``null``)."""

from __future__ import annotations

import html
import json
import math
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["Result", "frame_records", "jsonable", "dumps"]


def jsonable(obj: Any) -> Any:
    """Plain JSON types: NaN/inf → None, numpy scalars → Python, DataFrames → list of records."""
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, pd.DataFrame):
        return frame_records(obj)
    if isinstance(obj, pd.Series):
        return [jsonable(v) for v in obj.tolist()]
    if isinstance(obj, np.ndarray):
        return [jsonable(v) for v in obj.tolist()]
    if isinstance(obj, (np.bool_, bool)):
        return bool(obj)
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        f = float(obj)
        return None if (math.isnan(f) or math.isinf(f)) else f
    if obj is pd.NA or obj is None:
        return None
    if hasattr(obj, "to_dict") and not isinstance(obj, type):
        return jsonable(obj.to_dict())
    return obj


def frame_records(frame: pd.DataFrame) -> list[dict]:
    cols = [str(c) for c in frame.columns]
    return [{c: jsonable(v) for c, v in zip(cols, row)}
            for row in zip(*(frame[c].tolist() for c in frame.columns))] if len(frame.columns) else []


def dumps(obj: Any, indent: int | None = 2) -> str:
    return json.dumps(jsonable(obj), ensure_ascii=False, indent=indent, allow_nan=False)


class Result:
    """Base of engine results. Subclasses implement :meth:`to_dict`; tables are DataFrame attributes."""

    title: str = "Result"

    def to_dict(self) -> dict:
        raise NotImplementedError

    def to_json(self, indent: int | None = 2) -> str:
        return dumps(self.to_dict(), indent=indent)

    def _tables(self) -> dict[str, pd.DataFrame]:
        return {k: v for k, v in vars(self).items() if isinstance(v, pd.DataFrame)}

    def _repr_html_(self) -> str:
        parts = [f"<div class='mfa-result'><b>{html.escape(self.title)}</b>"]
        for name, frame in self._tables().items():
            parts.append(f"<details open><summary>{html.escape(name)} ({len(frame)} rows)</summary>")
            parts.append(frame.head(50).to_html(index=False, na_rep="", float_format=lambda x: f"{x:,.4g}",
                                                escape=True))
            parts.append("</details>")
        parts.append("</div>")
        return "".join(parts)
