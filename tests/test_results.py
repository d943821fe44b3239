"""mfa.results: plain JSON from numpy and pandas values, deterministic documents without NaN, the Result
contract every engine's result follows, and the one HTML renderer (which escapes every user text)."""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pandas as pd
import pytest

from mfa.errors import Issue
from mfa.results import Result, dumps, frame_records, jsonable, render_html

EVIL = "<script>alert('x')</script>"


@dataclasses.dataclass(frozen=True, eq=False)
class TwoTables(Result):
    """A result whose main table is declared second: ``.tables`` must still put it first."""

    title = "Two tables"
    main_table = "flows"
    processes: pd.DataFrame
    flows: pd.DataFrame
    note: str = ""

    @property
    def summary(self) -> dict:
        return {"total": float(self.flows["value"].sum()), "park": self.note}


@dataclasses.dataclass(frozen=True, eq=False)
class NoMain(Result):
    first: pd.DataFrame
    second: pd.DataFrame


def two_tables(**kw) -> TwoTables:
    return TwoTables(processes=pd.DataFrame({"id": ["a", "b"], "kind": ["import", "export"]}),
                     flows=pd.DataFrame({"id": ["a>b:m"], "value": [12.5], "sigma": [np.nan]}), **kw)


# ---- jsonable, frame_records, dumps ----------------------------------------------------------------------

def test_jsonable_gives_plain_python_types():
    got = jsonable({1: np.int64(3), "f": np.float32(0.5), "b": np.bool_(True), "t": (1, 2),
                    "a": np.array([[1, 2], [3, 4]]), "s": pd.Series([1.5, np.nan])})
    assert got == {"1": 3, "f": 0.5, "b": True, "t": [1, 2], "a": [[1, 2], [3, 4]], "s": [1.5, None]}
    assert type(got["1"]) is int and type(got["f"]) is float and type(got["b"]) is bool


@pytest.mark.parametrize("missing", [float("nan"), np.nan, np.float64("inf"), -math.inf, pd.NA, None])
def test_jsonable_turns_every_missing_number_into_none(missing):
    assert jsonable(missing) is None
    assert jsonable([1.0, missing]) == [1.0, None]


def test_jsonable_uses_to_dict_of_objects_and_keeps_other_values():
    class Thing:
        def to_dict(self):
            return {"x": np.float64(np.nan), "y": np.int32(2)}

    assert jsonable({"thing": Thing()}) == {"thing": {"x": None, "y": 2}}
    assert jsonable(Thing) is Thing   # a class is not asked for its to_dict
    assert jsonable("粉煤灰") == "粉煤灰"


def test_frame_records_keep_column_order_and_null_missing_values():
    frame = pd.DataFrame({"b": [1.0, np.nan], 2: ["x", None], "a": pd.array([1, None], dtype="Int64")})
    assert frame_records(frame) == [{"b": 1.0, "2": "x", "a": 1}, {"b": None, "2": None, "a": None}]
    assert list(frame_records(frame)[0]) == ["b", "2", "a"]
    assert frame_records(pd.DataFrame()) == []
    assert jsonable(frame) == frame_records(frame)


def test_dumps_is_strict_json_with_null_for_nan():
    text = dumps({"v": np.nan, "w": [np.inf, 1.25], "name": "乌海"}, indent=None)
    assert text == '{"v": null, "w": [null, 1.25], "name": "乌海"}'   # no NaN, no \\u escapes
    json.loads(text, parse_constant=lambda c: pytest.fail(f"non-standard constant {c}"))


def test_dumps_is_deterministic():
    obj = {"z": 1, "a": pd.DataFrame({"q": [0.1, 0.2], "p": [np.nan, 3]}), "m": {"y": 2, "x": 1}}
    first = dumps(obj)
    assert all(dumps(obj) == first for _ in range(5))
    # insertion order is kept (the documented key order of every --json document), not sorted
    assert list(json.loads(first)) == ["z", "a", "m"] and list(json.loads(first)["m"]) == ["y", "x"]
    assert first == dumps(json.loads(first))   # what it wrote reads back to the same document


# ---- the Result contract ---------------------------------------------------------------------------------

def test_tables_put_the_main_table_first_and_table_is_it():
    r = two_tables()
    assert list(r.tables) == ["flows", "processes"]
    assert r.table is r.flows
    assert all(isinstance(t, pd.DataFrame) for t in r.tables.values())   # 'note' is not a table


def test_without_a_main_table_the_first_table_is_the_main_one():
    r = NoMain(first=pd.DataFrame({"a": [1]}), second=pd.DataFrame({"b": [2]}))
    assert list(r.tables) == ["first", "second"] and r.table is r.first


def test_to_frame_is_a_copy():
    r = two_tables()
    frame = r.to_frame()
    frame.loc[0, "value"] = -1.0
    assert r.table.loc[0, "value"] == 12.5
    pd.testing.assert_frame_equal(r.to_frame(), r.flows)


def test_results_are_frozen_and_messages_keyword_only():
    r = two_tables()
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.flows = pd.DataFrame()
    assert r.messages == ()
    with pytest.raises(TypeError):
        TwoTables(pd.DataFrame(), pd.DataFrame(), "", (Issue.note("positional"),))


def test_to_dict_and_to_json():
    warn = Issue.note("2 flows estimated", severity="warning")
    r = two_tables(messages=(warn,))
    d = r.to_dict()
    assert list(d) == ["flows", "processes", "messages"]
    assert d["flows"] == [{"id": "a>b:m", "value": 12.5, "sigma": None}]
    assert d["messages"] == [warn.to_dict()] and d["messages"][0]["severity"] == "warning"
    assert json.loads(r.to_json()) == d
    assert r.to_json(indent=None) == dumps(d, indent=None)
    assert r.summary == {"total": 12.5, "park": ""}


# ---- render_html ------------------------------------------------------------------------------------------

def test_render_html_escapes_every_user_text():
    r = TwoTables(processes=pd.DataFrame({EVIL: [EVIL]}), flows=pd.DataFrame({"id": [EVIL], "value": [1.0]}),
                  note=EVIL, messages=(Issue.note(EVIL, severity="error"),))
    html = r._repr_html_()
    assert "<script>" not in html
    # the table cells, the column names, the summary and the message are all shown, escaped
    assert html.count("&lt;script&gt;") == 5
    assert "color:#b00020" in html                           # an error is shown as one
    assert render_html(EVIL, {}, (), {EVIL: pd.DataFrame()}).count("&lt;script&gt;") == 2


def test_render_html_shows_the_summary_and_cuts_long_tables():
    frame = pd.DataFrame({"value": np.arange(60.0)})
    html = render_html("Balance", {"imports": 1234567.0, "ok": True}, (), {"processes": frame}, max_rows=50)
    assert "<b>Balance</b>" in html
    assert "<li>imports: 1,234,567</li>" in html and "<li>ok: True</li>" in html
    assert "processes (first 50 of 60 rows)" in html
    assert html.count("<td>") == 50 and "<td>49.00</td>" in html and "<td>50.00</td>" not in html
    assert "processes (3 rows)" in render_html("t", {}, (), {"processes": frame.head(3)})
