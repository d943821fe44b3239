"""mfa.errors: how a problem is located (CSV/Excel row, YAML path, no file), how values are echoed (cut, never
megabytes), 'did you mean', and the ParkError message that lists every problem."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from mfa.errors import MAX_JSON_VALUE, MAX_SHOWN, Issue, MfaError, ParkError, RawTable, excerpt, suggest


# ---- location and message ---------------------------------------------------------------------------------

def test_a_csv_issue_names_file_row_and_column():
    i = Issue("flows.csv", "not a number", row=3, column="value", value="abc", suggestion="give a number in t/a")
    assert i.location() == "flows.csv, row 3, column 'value'"
    assert str(i) == "flows.csv, row 3, column 'value': not a number (value: 'abc') — give a number in t/a"


def test_a_yaml_issue_names_its_path_instead_of_row_and_column():
    i = Issue("park.yaml", "not a number", row=7, column="value", value="abc", path="flows[3].value")
    assert i.location() == "park.yaml, flows[3].value"
    assert str(i) == "park.yaml, flows[3].value: not a number (value: 'abc')"


def test_an_issue_without_a_file_is_its_message():
    i = Issue.note("2 flows were estimated from activity data")
    assert (i.file, i.severity, i.location()) == ("", "info", "")
    assert str(i) == "2 flows were estimated from activity data"
    w = Issue.note("unresolved tonnes", severity="warning", column="fate")
    assert (w.severity, w.location(), str(w)) == ("warning", "column 'fate'", "column 'fate': unresolved tonnes")


def test_a_file_level_issue_and_a_missing_value():
    i = Issue("processes.csv", "no rows", value=np.nan)
    assert str(i) == "processes.csv: no rows"   # NaN is no value worth echoing
    assert str(Issue("a.csv", "bad", row=2, value=0)) == "a.csv, row 2: bad (value: 0)"   # 0 is a value


def test_raw_table_locates_spreadsheet_rows_and_yaml_paths():
    csv = RawTable("flows", "flows.csv", pd.DataFrame({"value": ["x", "y"]}), rows=[2, 5])
    assert str(csv.issue(1, "value", "not a number", "y")) == ("flows.csv, row 5, column 'value': not a number "
                                                               "(value: 'y')")
    yaml = RawTable("flows", "park.yaml", pd.DataFrame({"value": ["x"]}), rows=["flows[0]"])
    assert yaml.issue(0, "value", "bad").path == "flows[0].value"
    assert yaml.issue(0, None, "bad row").location() == "park.yaml, flows[0]"
    assert csv.issue(None, "value", "missing column").location() == "flows.csv, column 'value'"
    assert csv.issue(0, "value", "odd", severity="warning").severity == "warning"


# ---- values echoed ----------------------------------------------------------------------------------------

def test_excerpt_cuts_long_values_and_says_how_long_they_were():
    long = "煤" * 1000
    text = excerpt(long)
    assert text == repr("煤" * MAX_SHOWN) + "… (1,000 characters)"
    assert excerpt("abc") == "'abc'" and excerpt(3.5) == "3.5"
    listed = excerpt(list(range(100)))
    assert listed.endswith(f"… ({len(repr(list(range(100)))):,} characters)")
    assert len(listed) < MAX_SHOWN + 30
    assert excerpt("x" * 10, limit=4) == "'xxxx'… (10 characters)"


def test_an_issue_of_a_megabyte_value_stays_short():
    i = Issue("flows.csv", "id too long", row=2, column="id", value="a" * 1_000_000)
    assert len(str(i)) < 200 and "(1,000,000 characters)" in str(i)
    d = i.to_dict()
    assert d["value"] == "a" * MAX_JSON_VALUE + "… (1,000,000 characters)"


def test_to_dict_is_plain_json_with_every_key():
    d = Issue("flows.csv", "bad", row=2, column="value", value=float("nan"), suggestion="s").to_dict()
    pinned = {"file": "flows.csv", "row": 2, "path": None, "column": "value", "value": "nan", "message": "bad",
              "suggestion": "s", "severity": "error"}
    # the keys users' scripts read stay, in this order, with these values; keys may only be added after them
    assert list(d)[:len(pinned)] == list(pinned) and {k: d[k] for k in pinned} == pinned
    assert Issue("a.csv", "bad", value=pd.Timestamp("2023-01-01")).to_dict()["value"] == "2023-01-01 00:00:00"
    json.dumps(d, allow_nan=False)


# ---- did you mean ----------------------------------------------------------------------------------------

def test_suggest_names_the_near_misses():
    assert suggest("fly_ahs", ["fly_ash", "fly_ashes", "coal"]) == "did you mean 'fly_ash' or 'fly_ashes'?"
    assert suggest("prodution", ["production", "storage", "import"]) == "did you mean 'production'?"
    assert suggest(5, ["5a", "x"]) == "did you mean '5a'?"     # non-string values are compared as text


def test_suggest_gives_nothing_for_far_or_huge_values():
    assert suggest("zzz", ["fly_ash", "coal"]) is None
    assert suggest("fly_ash" * 20, ["fly_ash" * 20]) is None   # no id is that long: not even compared


# ---- ParkError ---------------------------------------------------------------------------------------------

def test_park_error_lists_every_issue():
    issues = [Issue("flows.csv", "not a number", row=3, column="value", value="abc"),
              Issue("park.yaml", "unknown kind", path="processes[0].kind", value="factory",
                    suggestion="did you mean 'production'?")]
    e = ParkError(issues)
    assert isinstance(e, MfaError) and e.issues == issues
    assert str(e) == ("2 problems in the input:\n"
                      "  - flows.csv, row 3, column 'value': not a number (value: 'abc')\n"
                      "  - park.yaml, processes[0].kind: unknown kind (value: 'factory') — "
                      "did you mean 'production'?")
    assert str(ParkError(issues[:1])).startswith("1 problem in the input:\n")


def test_park_error_is_raised_and_caught_as_a_user_error():
    with pytest.raises(MfaError, match=r"1 problem in the input"):
        raise ParkError([Issue("a.csv", "x")])
