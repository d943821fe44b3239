"""The exit codes of the ``mfa`` command, each made to happen for real in a child process: 0 ok, 1 the check
found a problem, 2 invalid input or usage, 3 an internal error (a bug: said so, no traceback unless --debug).

The small park of conftest (t/a): mine → plant 100; plant → dump 30, → yard 20, → market 50; yard → market 15,
its stock 100 → 105 t.
"""

from __future__ import annotations

import json

import pytest

import mfa.mass_balance
from mfa.cli import main
from tests.conftest import FLOWS, run_cli, run_python, write_park

STOCKED = "process,material,opening,closing\nyard,fly_ash,100,105\n"
BUG = ("internal error: RuntimeError: boom in the balance\n"
       "This is a bug in circular-mfa; run again with --debug for details and report it.\n")
# the command line in a process whose balance engine is broken: an internal error raised inside a command
BROKEN = """
import sys
import mfa.mass_balance
from mfa.cli import main

def broken(*args, **kwargs):
    raise RuntimeError("boom in the balance")

mfa.mass_balance.balance = broken
sys.exit(main(sys.argv[1:]))
"""


@pytest.fixture
def balanced(tmp_path):
    return str(write_park(tmp_path / "ok", stocks=STOCKED))


def test_exit_0_when_every_process_is_checked_and_balances(balanced):
    r = run_cli("check", balanced)
    assert r.returncode == 0, r.stderr
    assert r.stdout.endswith("all processes checked and balanced within 1.00% or 0.01 t/a\n")
    assert r.stderr == ""


def test_exit_1_names_the_imbalanced_process_and_its_residual(tmp_path):
    # plant sends 40 instead of 50 to market: in 100 − out 90 = residual 10 t/a, 10 % of max(in, out)
    flows = FLOWS.replace("plant,market,coal,50", "plant,market,coal,40")
    bad = str(write_park(tmp_path / "bad", flows=flows, stocks=STOCKED))
    r = run_cli("check", bad)
    assert r.returncode == 1, r.stderr
    assert r.stdout.endswith("1 process(es) do not balance:\n"
                             "  plant (Power plant): in 100.00 − out 90.00 − Δstock 0.00 = residual 10.00 t/a "
                             "(10.00%)\n")
    r = run_cli("check", bad, "--json")
    assert r.returncode == 1
    doc = json.loads(r.stdout)
    assert doc["ok"] is False and doc["valid"] is True
    assert [(x["process"], x["residual"], x["residual_rel"]) for x in doc["imbalanced"]] == [("plant", 10.0, 0.1)]


def test_exit_2_on_invalid_input_located_without_traceback(tmp_path):
    flows = FLOWS.replace("plant,dump,coal_gangue,30", "plant,dump,coal_gangue,abc")
    bad = str(write_park(tmp_path / "bad", flows=flows))
    r = run_cli("check", bad)
    assert r.returncode == 2
    assert r.stderr.startswith("error: 1 problem in the input:\n  - ")
    assert "flows.csv, row 3, column 'value'" in r.stderr and "(value: 'abc')" in r.stderr
    assert "Traceback" not in r.stderr and r.stdout == ""
    r = run_cli("check", bad, "--json")
    assert r.returncode == 2
    doc = json.loads(r.stdout)
    assert doc["error"] == "invalid input"
    assert [(i["row"], i["column"], i["value"]) for i in doc["issues"]] == [(3, "value", "abc")]


def test_exit_2_on_a_park_that_does_not_exist():
    r = run_cli("balance", "no/such/park", "--json")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "no/such/park" in json.loads(r.stdout)["error"]


@pytest.mark.parametrize("argv, says", [
    (["check"], "the following arguments are required: PARK"),
    (["frobnicate", "wuhai"], "invalid choice: 'frobnicate'"),
    (["check", "wuhai", "--rel-tol", "-1"], "a tolerance is a finite number ≥ 0"),
    (["check", "wuhai", "--year", "1492"], "not a year between 1900 and 2200: 1492"),
])
def test_exit_2_on_bad_usage(argv, says):
    r = run_cli(*argv)
    assert r.returncode == 2
    assert r.stderr.startswith("usage: mfa") and says in r.stderr
    assert "Traceback" not in r.stderr


def test_no_command_prints_help_and_exits_2():
    r = run_cli()
    assert r.returncode == 2 and r.stdout.startswith("usage: mfa") and "exit codes:" in r.stdout


def test_exit_3_on_an_internal_error_says_it_is_a_bug_without_traceback(balanced):
    r = run_python("-c", BROKEN, "check", balanced)
    assert r.returncode == 3
    assert r.stderr == BUG and r.stdout == ""
    r = run_python("-c", BROKEN, "check", balanced, "--json")   # no half-written JSON either
    assert r.returncode == 3 and r.stderr == BUG and r.stdout == ""


def test_debug_shows_the_traceback_of_an_internal_error(balanced):
    r = run_python("-c", BROKEN, "--debug", "check", balanced)
    assert r.returncode not in (0, 2, 3)   # the exception itself ends the process
    assert "Traceback (most recent call last)" in r.stderr
    assert r.stderr.rstrip().endswith("RuntimeError: boom in the balance")
    assert "This is a bug" not in r.stderr


@pytest.mark.parametrize("raised, code, says", [(KeyboardInterrupt, 130, "interrupted\n"), (BrokenPipeError, 0, "")])
def test_interrupt_and_closed_pipe(monkeypatch, capsys, balanced, raised, code, says):
    def stop(*args, **kwargs):
        raise raised()

    monkeypatch.setattr(mfa.mass_balance, "balance", stop)
    assert main(["check", balanced]) == code
    assert capsys.readouterr().err == says
