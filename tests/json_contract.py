"""The ``--json`` outputs are a public interface: users script against their keys. This module lists the
command lines whose documents are pinned, and computes the *shape* of a document (every key path, lists
merged over their elements). ``python -m tests.json_contract --update`` rewrites the pinned shapes; do
that only when a key is *added* (removing or renaming one breaks users' scripts and the test says so).
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
from pathlib import Path

PINNED = Path(__file__).parent / "data" / "json_keys.json"
PARKS = ("wuhai", "bayannur", "baotou", "hazardous", "wuhai_retrofit")


def commands(tmp: Path) -> dict[str, list[str]]:
    """Name → argv. Outputs that are files go to ``tmp``."""
    out: dict[str, list[str]] = {}
    for p in PARKS:
        out[f"balance {p}"] = ["balance", p, "--json"]
        out[f"balance {p} --per-material"] = ["balance", p, "--per-material", "--json"]
        out[f"check {p}"] = ["check", p, "--json"]
        out[f"indicators {p}"] = ["indicators", p, "--json"]
        out[f"trace {p}"] = ["trace", p, "--json"]
        out[f"network {p}"] = ["network", p, "--nodes", "--json"]
        out[f"reconcile {p}"] = ["reconcile", p, "--json"]
        out[f"resilience {p}"] = ["resilience", p, "--seed", "1", "--json"]
        out[f"symbiosis {p}"] = ["symbiosis", p, "--json"]
        out[f"sankey {p}"] = ["sankey", p, "-o", str(tmp / f"{p}.html"), "--json"]
    out["reconcile tuoketuo"] = ["reconcile", "tuoketuo", "--json"]
    out["trace hazardous --substance Cr"] = ["trace", "hazardous", "--substance", "Cr", "--json"]
    out["indicators wuhai --coefficients"] = ["indicators", "wuhai", "--coefficients", "--json"]
    out["uncertainty wuhai"] = ["uncertainty", "wuhai", "--samples", "20", "--seed", "1", "--no-progress",
                                "--json"]
    out["explain wuhai"] = ["explain", "wuhai", "pc_power_plant>atmosphere:flue_gas", "--json"]
    out["compare wuhai wuhai_retrofit"] = ["compare", "wuhai", "wuhai_retrofit", "--json"]
    out["report wuhai"] = ["report", "wuhai", "-o", str(tmp / "r.html"), "--json"]
    out["convert wuhai"] = ["convert", "wuhai", str(tmp / "w.yaml"), "--json"]
    out["new"] = ["new", str(tmp / "n.xlsx"), "--json"]
    # a multi-year park (issue 16): every year checked, the rates by year, the stocks by year
    out["check farm_film"] = ["check", "farm_film", "--json"]
    out["indicators farm_film"] = ["indicators", "farm_film", "--json"]
    out["stocks farm_film"] = ["stocks", "farm_film", "--json"]
    out["project farm_film"] = ["project", "farm_film", "--until", "2027", "--json"]
    out["stocks farm_film --cohorts"] = ["stocks", "farm_film", "--cohorts", "--json"]
    out["project wuhai_ash_yard new plant"] = ["project", "wuhai_ash_yard", str(
        Path(__file__).resolve().parents[1] / "parks" / "wuhai_ash_yard" / "scenarios" / "ash_blocks_plant_2026.csv"),
        "--until", "2028", "--json"]
    out["trace farm_film"] = ["trace", "farm_film", "--json"]
    out["trace farm_film --series --year 2023"] = ["trace", "farm_film", "--series", "--year", "2023", "--json"]
    out["sankey farm_film"] = ["sankey", "farm_film", "-o", str(tmp / "farm_film.html"), "--json"]
    out["error"] = ["check", str(tmp / "missing.yaml"), "--json"]
    return out


def shape(doc, prefix: str = "") -> set[str]:
    """Every key path of a JSON document: ``a.b``, ``a[].c`` (list elements merged)."""
    paths: set[str] = set()
    if isinstance(doc, dict):
        for k, v in doc.items():
            p = f"{prefix}.{k}" if prefix else str(k)
            paths.add(p)
            paths |= shape(v, p)
    elif isinstance(doc, list):
        for v in doc:
            paths |= shape(v, prefix + "[]")
    return paths


def run(argv: list[str]) -> tuple[int, object]:
    from mfa.cli import main

    buf_out, buf_err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(buf_out), contextlib.redirect_stderr(buf_err):
        code = main(argv)
    return code, json.loads(buf_out.getvalue())


def current(tmp: Path) -> dict[str, list[str]]:
    return {name: sorted(shape(run(argv)[1])) for name, argv in commands(tmp).items()}


if __name__ == "__main__" and "--update" in sys.argv:
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        data = current(Path(d))
    PINNED.write_text(json.dumps(data, indent=1, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {PINNED}: {len(data)} documents, {sum(map(len, data.values()))} key paths")
