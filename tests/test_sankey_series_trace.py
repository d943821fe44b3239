"""``mfa trace PARK --series`` (issue 16): the fates of every year on the command line, equal to
:func:`mfa.trace_series` and, year by year, to ``mfa trace PARK --year Y``."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import mfa


def _cli(*args, cwd):
    return subprocess.run([sys.executable, "-m", "mfa", *args], capture_output=True, text=True, cwd=cwd, timeout=300)


def test_trace_series_json_is_trace_series(tmp_path):
    done = _cli("trace", "farm_film", "--convention", "traced", "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert sorted(doc) == ["fates", "messages"]
    got = {(r["year"], r["fate"]): r["tonnes"] for r in doc["fates"]}
    # the figures of trace_series' docstring, hand-checked there: 2021's 6 000 t of film
    assert got[2021, "utilised"] == pytest.approx(3060.0) and got[2021, "stored"] == pytest.approx(792.0, abs=0.05)
    expected = mfa.trace_series(mfa.read_park("farm_film"), convention="traced").fates
    assert len(doc["fates"]) == len(expected)
    assert [r["tonnes"] for r in doc["fates"]] == pytest.approx(expected["tonnes"].tolist(), rel=1e-12)


def test_trace_series_of_one_year_equals_the_one_year_trace(tmp_path):
    done = _cli("trace", "farm_film", "--series", "--year", "2023", "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    series = json.loads(done.stdout)["fates"]
    assert {r["year"] for r in series} == {2023}
    one = json.loads(_cli("trace", "farm_film", "--year", "2023", "--json", cwd=tmp_path).stdout)["fates"]
    totals: dict[str, float] = {}
    for r in one:
        totals[r["fate"]] = totals.get(r["fate"], 0.0) + r["tonnes"]
    assert {r["fate"]: r["tonnes"] for r in series} == pytest.approx(totals, rel=1e-12)


def test_trace_series_text_and_errors(tmp_path):
    done = _cli("trace", "farm_film", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "by year 2021–2025" in done.stdout and "2025" in done.stdout.splitlines()[1]
    done = _cli("trace", "farm_film", "--origin", "fields", cwd=tmp_path)
    assert done.returncode == 2 and "--year 2025" in done.stderr and "Traceback" not in done.stderr
