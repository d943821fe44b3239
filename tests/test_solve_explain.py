"""mfa explain: symbolic expressions of computed flows."""

from __future__ import annotations

import json

import pytest
import sympy

import mfa
from mfa.errors import MfaError
from mfa.explanation import explain
from tests.conftest import MAT, flow, proc


@pytest.fixture(scope="module")
def loop_park():
    # P1: in + r = f; P2: f = r + e; r = tc·f  →  f = in / (1 − tc), r = tc·in/(1 − tc)
    return mfa.Park.from_frames(
        processes=[proc("in", "import"), proc("p1", "production"), proc("p2", "treatment"), proc("out", "export"),
                   proc("a", "export"), proc("b", "landfill")],
        flows=[flow("in", "p1", 100, 5), flow("p1", "p2"), flow("p2", "p1", tc=0.2), flow("p2", "out"),
               flow("in", "p2", 10), flow("p1", "a"), flow("p1", "b")],
        materials=MAT)


def test_recycling_loop_expression_in_terms_of_the_measured_flow():
    park = mfa.Park.from_frames(
        processes=[proc("in", "import"), proc("p1", "production"), proc("p2", "treatment"), proc("out", "export")],
        flows=[flow("in", "p1", 100, 5), flow("p1", "p2"), flow("p2", "p1", tc=0.2), flow("p2", "out")],
        materials=MAT)
    e = explain(park, "p2>p1:m")
    assert e.status == "computed"
    expected = sympy.Symbol("tc[p2>p1:m]") * sympy.Symbol("in>p1:m") / (1 - sympy.Symbol("tc[p2>p1:m]"))
    assert sympy.simplify(e.sympy - expected) == 0
    assert e.value == pytest.approx(25)
    assert set(e.terms["symbol"]) == {"in>p1:m", "tc[p2>p1:m]"}
    assert e.sigma == pytest.approx(0.25 * 5)          # d r / d in = tc/(1 − tc) = 0.25
    assert "balance of process 'p1'" in " ".join(e.equations)


def test_unobservable_and_measured_flows_are_explained_without_expression(loop_park):
    e = explain(loop_park, "p1>a:m")
    assert e.status == "unobservable" and e.expression is None and e.value is None
    e = explain(loop_park, "in>p1:m")
    assert e.status == "measured" and "not redundant" in e.note


def test_unknown_flow_id_suggests():
    park = mfa.Park.from_frames(processes=[proc("in", "import"), proc("p", "production"), proc("out", "export")],
                                flows=[flow("in", "p", 100, 5), flow("p", "out")], materials=MAT)
    with pytest.raises(MfaError, match="did you mean 'p>out:m'"):
        explain(park, "p>ouy:m")
    assert explain(park, "p>out:m").expression == "in>p:m"


def test_cli_explain(tmp_path, capsys, loop_park):
    from mfa.cli import main

    path = tmp_path / "p.yaml"
    mfa.write_park(loop_park, path)
    # p1's outputs a, b and p1→p2 are not determined, so neither is anything downstream of p2
    assert main(["explain", str(path), "p2>out:m", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["status"] == "unobservable" and d["value"] is None and d["expression"] is None
    assert main(["explain", str(path), "in>p2:m"]) == 0
    assert "exact" in capsys.readouterr().out
    assert main(["explain", str(path), "nope"]) == 2
