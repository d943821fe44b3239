"""Issue 13 item 3: `mfa check wuhai` starts fast — it imports none of the heavy modules it does not need, and
the solved park is formed from the new values without validating every table again (with the same tables as
validating them would give). No timing here: the figures are in bench/README.md."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

import mfa
from mfa.solve.linear_algebra import connected_components
from mfa.solve.reconciliation import chi2_pvalue
from mfa.solved import solve_park

HEAVY = ("scipy.sparse.csgraph", "scipy.special", "scipy.optimize", "scipy.linalg", "pydantic", "dask", "pint", "matplotlib",
         "plotly", "sympy")

# runs the CLI's main as `mfa check wuhai` does, then lists what it imported (on stderr, after the output)
_PROBE = """
import json, sys
from mfa.cli import main
try:
    code = main(["check", "wuhai"])
except SystemExit as exc:
    code = exc.code
sys.stderr.write("\\nMODULES " + json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


def test_check_wuhai_imports_no_heavy_module():
    env = {k: v for k, v in os.environ.items() if k != "PYTHONWARNINGS"}
    run = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True, env=env, timeout=300)
    assert "MODULES " in run.stderr, run.stderr[-2000:]
    probe = json.loads(run.stderr.rsplit("MODULES ", 1)[1])
    assert probe["code"] in (0, None), run.stdout[-2000:]
    assert "solved first: 1 of 1 unknown flow(s) computed" in run.stdout  # the solver did run
    loaded = [m for m in probe["modules"] if any(m == h or m.startswith(h + ".") for h in HEAVY)]
    assert loaded == []
    # the command line names its command: only that command's module is imported and its parser built
    commands = [m for m in probe["modules"] if m.startswith("mfa.cli.") and not m.startswith("mfa.cli._")]
    assert commands == ["mfa.cli.check"]


def test_the_command_is_console_and_exits_with_mains_code(tmp_path):
    """`mfa` runs `mfa.cli:console` (main, then a collector frozen before exit); the exit code is main's, the
    output complete, and a mistyped command or `--help` still gets the parser of every command."""
    import tomllib

    with open(os.path.join(os.path.dirname(__file__), os.pardir, "pyproject.toml"), "rb") as fh:
        assert tomllib.load(fh)["project"]["scripts"]["mfa"] == "mfa.cli:console"
    out = tmp_path / "w.json"
    run = subprocess.run([sys.executable, "-m", "mfa", "--debug", "check", "wuhai", "--json"], capture_output=True,
                         text=True, timeout=300)
    assert run.returncode == 0 and json.loads(run.stdout)["ok"] is True
    bad = subprocess.run([sys.executable, "-m", "mfa", "check", str(out)], capture_output=True, text=True,
                         timeout=300)
    assert bad.returncode == 2 and "w.json" in bad.stderr and "Traceback" not in bad.stderr
    typo = subprocess.run([sys.executable, "-m", "mfa", "chek", "wuhai"], capture_output=True, text=True,
                          timeout=300)
    assert typo.returncode == 2 and "'check'" in typo.stderr and "'report'" in typo.stderr


def test_probe_sees_a_heavy_import():
    """The probe can fail: a module imported on the way is listed."""
    code = "import sys, json, scipy.special; print(json.dumps(sorted(sys.modules)))"
    mods = json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                     check=True).stdout)
    assert "scipy.special" in mods


@pytest.mark.parametrize("name", ["wuhai", "bayannur", "otog"])
def test_solved_park_equals_a_validated_one(name):
    """with_values (no re-validation) gives the tables that validating the filled flows again gives."""
    park = mfa.read_park(name)
    s = solve_park(park)
    assert len(s.computed) >= 1 and s.park is not park
    ref = park.replace(flows=s.park.flows.copy())
    for table in ("processes", "flows", "materials", "stocks", "activities", "coefficients"):
        pd.testing.assert_frame_equal(getattr(s.park, table), getattr(ref, table))
    assert s.park.info == ref.info
    # the computed flows carry the computed values, the others keep theirs
    got = s.park.flows.set_index("id")["value"]
    assert np.allclose(got.loc[s.computed["id"]].to_numpy(), s.computed["value"].to_numpy())
    given = park.flows.set_index("id")["value"].dropna()
    assert got.loc[given.index].equals(given)


def test_connected_components_match_csgraph():
    from scipy.sparse.csgraph import connected_components as csgraph_components

    rng = np.random.default_rng(13)
    for _ in range(200):
        n = int(rng.integers(1, 60))
        m = int(rng.integers(0, 80))
        i, j = rng.integers(0, n, m), rng.integers(0, n, m)
        g = sp.csr_matrix((np.ones(m), (i, j)), shape=(n, n))
        want_n, want = csgraph_components(g, directed=False)
        got_n, got = connected_components(g)
        assert got_n == want_n and got.tolist() == want.tolist()


def test_chi2_pvalue_matches_scipy():
    from scipy.special import chdtrc

    for dof in [*range(1, 40), 101, 1000, 99_999]:
        for x in (1e-6, 0.3, 1.0, dof / 2, dof, dof + 3 * math.sqrt(2 * dof), 3 * dof, 10 * dof + 50):
            want = float(chdtrc(dof, x))
            assert chi2_pvalue(x, dof) == pytest.approx(want, rel=1e-9, abs=1e-300)
    assert chi2_pvalue(0.0, 3) == 1.0


def test_numpy_cholesky_solves_as_scipy_does():
    import scipy.linalg as la

    from mfa.solve.linear_algebra import NUMPY_CHOLESKY_LIMIT, DenseCholesky, dense_factor

    rng = np.random.default_rng(3)
    for n in (1, 7, NUMPY_CHOLESKY_LIMIT):
        A = rng.normal(size=(n, n))
        M = A @ A.T + n * np.eye(n)
        b = rng.normal(size=(n, 2))
        f = dense_factor(M)
        assert isinstance(f, DenseCholesky)
        want = la.cho_solve(la.cho_factor(M, lower=True), b)
        np.testing.assert_allclose(f.solve(b), want, rtol=1e-10, atol=1e-12)
        H = sp.csc_matrix(rng.normal(size=(n, 3)))
        np.testing.assert_allclose(f.inverse_quadratic(H), np.diag(H.T @ np.linalg.solve(M, H.toarray())),
                                   rtol=1e-10)
