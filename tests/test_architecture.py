"""The one-way house (docs/architecture.md), checked on the source: every module of ``mfa`` is parsed with
``ast`` and its imports — at module level, inside functions, and ``import_module("…")`` string literals —
form a graph that must have no cycle, in which no module uses another module's private names, the core
imports no view at module level, and every module imports only its own layer or a lower one.

What still breaks a rule on main is listed in ``ALLOWED`` with the engineer who owns the module; the list
only shrinks (a test fails when an entry is no longer needed).
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "mfa"

#: The views: they present results and may import anything of the core; the core never imports them at
#: module level (a convenience such as ``Park.sankey()`` may, inside the method, as pandas' ``.plot``).
VIEWS = ("mfa.cli", "mfa.__main__", "mfa.report", "mfa.sankey_diagram", "mfa.charts", "mfa.fonts")

#: The layers, lowest first (docs/architecture.md). A module may import, at module level, only modules of
#: its own layer or lower ones; inside a function it may also import a view (views only) or, for the
#: conveniences in CONVENIENCES, an engine.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("foundation", ("mfa.errors", "mfa.conventions", "mfa.formatting", "mfa.indicator_specs", "mfa.units",
                    "mfa._unit_table", "mfa.results", "mfa.i18n", "mfa.validation", "mfa.park_info")),
    ("data", ("mfa.io", "mfa.park", "mfa.compile", "mfa.catalogue")),
    ("engines", ()),  # every other module of the core
    ("views", VIEWS),
)

#: Imports from the data layer up to an engine or a view for a convenience method (``Park.summary()``,
#: ``Park.sankey()``, ``Park.to_networkx()``): inside the method only, and not part of the cycle check
#: (they are how a user reaches the engine from the park, never how the engine reaches the park).
CONVENIENCES: frozenset[tuple[str, str]] = frozenset({
    ("mfa.park", "mfa.mass_balance"),
    ("mfa.park", "mfa.sankey_diagram"),
    ("mfa.park", "mfa.graph"),
    # building a Park (read_park, from_frames, replace) runs the generation engine on the validated tables
    ("mfa.park", "mfa.generation"),
    # building a multi-year Park runs the lifetime model of its stocks (mfa.io.years gets it passed in)
    ("mfa.park", "mfa.dynamic_stocks"),
})

#: Violations that remain on main, each with the engineer who owns the module (issue 12). The lead shrinks
#: this to empty after merging everyone; a stale entry fails test_allow_list_is_not_stale.
#: Keys: (rule, importer, imported[, name]).
ALLOWED: dict[tuple[str, ...], str] = {
}


def layer_of(module: str) -> int:
    for rank, (_, prefixes) in enumerate(LAYERS):
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return rank
    return 2  # engines


def is_view(module: str) -> bool:
    return layer_of(module) == 3


@dataclass(frozen=True)
class Import:
    importer: str
    imported: str          # a module of mfa
    names: tuple[str, ...]  # names taken from it (``from x import a, b``); () for ``import x``
    lineno: int
    in_function: bool
    type_only: bool         # under ``if TYPE_CHECKING:``: never runs


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def all_modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


MODULES = all_modules()


def resolve(name: str) -> str | None:
    """The mfa module that ``name`` (a dotted module or module.attribute) names, or None outside mfa."""
    while name and name not in MODULES:
        if "." not in name:
            return None
        name = name.rsplit(".", 1)[0]
    return name or None


def _absolute(node: ast.ImportFrom, importer: str, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    base = importer.split(".") if is_package else importer.split(".")[:-1]
    base = base[:len(base) - node.level + 1]
    return ".".join(base + ([node.module] if node.module else []))


class _Collector(ast.NodeVisitor):
    def __init__(self, importer: str, is_package: bool):
        self.importer, self.is_package = importer, is_package
        self.imports: list[Import] = []
        self.aliases: dict[str, str] = {}  # local name -> mfa module (for ``alias._private`` uses)
        self.attribute_uses: list[tuple[str, str, int]] = []
        self.depth = 0
        self.type_only = 0

    def _add(self, imported: str, names: tuple[str, ...], lineno: int) -> None:
        target = resolve(imported)
        if target is None or target == self.importer:
            return
        self.imports.append(Import(self.importer, target, names, lineno, self.depth > 0, self.type_only > 0))

    def visit_FunctionDef(self, node):  # noqa: N802 - ast visitor names
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1

    visit_AsyncFunctionDef = visit_FunctionDef
    visit_Lambda = visit_FunctionDef

    def visit_If(self, node):  # noqa: N802
        test = ast.unparse(node.test)
        if test in ("TYPE_CHECKING", "typing.TYPE_CHECKING"):
            self.type_only += 1
            for child in node.body:
                self.visit(child)
            self.type_only -= 1
            for child in node.orelse:
                self.visit(child)
        else:
            self.generic_visit(node)

    def visit_Import(self, node):  # noqa: N802
        for a in node.names:
            self._add(a.name, (), node.lineno)
            if a.name.startswith("mfa") and resolve(a.name):
                self.aliases[a.asname or a.name] = resolve(a.name) if a.asname else a.name

    def visit_ImportFrom(self, node):  # noqa: N802
        base = _absolute(node, self.importer, self.is_package)
        if not base.startswith("mfa"):
            return
        plain = []
        for a in node.names:
            full = f"{base}.{a.name}"
            if full in MODULES:  # ``from mfa import solve``: the submodule is imported
                self._add(full, (), node.lineno)
                self.aliases[a.asname or a.name] = full
            else:
                plain.append(a.name)
        if plain:
            self._add(base, tuple(plain), node.lineno)

    def visit_Call(self, node):  # noqa: N802
        func = ast.unparse(node.func)
        if func.split(".")[-1] == "import_module" and node.args and isinstance(node.args[0], ast.Constant) \
                and isinstance(node.args[0].value, str):
            self._add(node.args[0].value, (), node.lineno)
        self.generic_visit(node)

    def visit_Attribute(self, node):  # noqa: N802
        if node.attr.startswith("_") and not node.attr.startswith("__"):
            owner = ast.unparse(node.value)
            module = self.aliases.get(owner) or (owner if owner in MODULES else None)
            if module is not None and module != self.importer:
                self.attribute_uses.append((module, node.attr, node.lineno))
        self.generic_visit(node)


def collect(name: str, path: Path) -> _Collector:
    c = _Collector(name, path.name == "__init__.py")
    c.visit(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
    return c


COLLECTED = {name: collect(name, path) for name, path in MODULES.items()}
IMPORTS = [imp for c in COLLECTED.values() for imp in c.imports]


def _is_private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def violations() -> dict[tuple[str, ...], str]:
    """Every broken rule: key (rule, importer, imported[, name]) → where."""
    found: dict[tuple[str, ...], str] = {}
    for imp in IMPORTS:
        where = f"{MODULES[imp.importer].relative_to(ROOT)}:{imp.lineno}"
        for n in imp.names:
            if _is_private(n):
                found[("private", imp.importer, imp.imported, n)] = where
        if imp.type_only:
            continue
        low, high = layer_of(imp.importer), layer_of(imp.imported)
        if high > low:
            if not imp.in_function:
                found[("view-at-module-level" if is_view(imp.imported) else "layer", imp.importer,
                       imp.imported)] = where
            elif not is_view(imp.imported) and (imp.importer, imp.imported) not in CONVENIENCES:
                found[("layer", imp.importer, imp.imported)] = where
    for name, c in COLLECTED.items():
        for module, attr, lineno in c.attribute_uses:
            found[("private", name, module, attr)] = f"{MODULES[name].relative_to(ROOT)}:{lineno}"
    for cycle in cycles():
        found[("cycle",) + tuple(cycle)] = " → ".join(cycle + [cycle[0]])
    return found


def graph() -> dict[str, set[str]]:
    """Runtime import edges (TYPE_CHECKING imports and the documented conveniences left out). Importing
    ``mfa.a.b`` runs ``mfa.a``'s ``__init__`` first, so an edge to a module is also an edge to each package
    above it (the root ``mfa`` aside: it imports lazily, by name)."""
    g: dict[str, set[str]] = {m: set() for m in MODULES}
    for imp in IMPORTS:
        if imp.type_only or (imp.importer, imp.imported) in CONVENIENCES:
            continue
        target = imp.imported
        while target != "mfa":
            if target != imp.importer and not imp.importer.startswith(target + "."):
                g[imp.importer].add(target)
            target = target.rsplit(".", 1)[0]
    return g


def cycles() -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, iterative), each sorted."""
    g = graph()
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []
    counter = 0
    for root in sorted(g):
        if root in index:
            continue
        work = [(root, iter(sorted(g[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(g[child]))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        m = stack.pop()
                        on_stack.discard(m)
                        component.append(m)
                        if m == node:
                            break
                    if len(component) > 1:
                        out.append(sorted(component))
    return sorted(out)


# -- the rules --------------------------------------------------------------------------------------


def test_no_rule_is_broken_beyond_the_allow_list():
    new = {k: v for k, v in violations().items() if k not in ALLOWED}
    assert not new, "architecture rules broken (docs/architecture.md):\n" + "\n".join(
        f"  {' '.join(k)}  ({v})" for k, v in sorted(new.items()))


def test_allow_list_is_not_stale():
    stale = sorted(set(ALLOWED) - set(violations()))
    assert not stale, f"fixed: remove from ALLOWED in tests/test_architecture.py: {stale}"


def test_allow_list_names_an_owner():
    assert all(re.fullmatch(r"h-[a-z]+", owner) for owner in ALLOWED.values())


def test_every_module_was_parsed_and_has_imports():
    # the collector sees the imports that exist: these are on main and documented
    edges = {(i.importer, i.imported) for i in IMPORTS}
    assert ("mfa.tracing", "mfa.fate") in edges              # module level
    assert ("mfa.cli.balance", "mfa.mass_balance") in edges  # inside run()
    assert ("mfa.cli", "mfa.cli._common") in edges           # relative to the package, in main()
    assert len(MODULES) > 40


# -- the checker itself can fail ----------------------------------------------------------------------


def _check_source(tmp_path: Path, files: dict[str, str]) -> dict[tuple[str, ...], str]:
    """Run the checker over a throw-away package ``mfa`` made of ``files``."""
    global MODULES, COLLECTED, IMPORTS
    saved = MODULES, COLLECTED, IMPORTS
    root = tmp_path / "mfa"
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
    try:
        MODULES = {".".join(p.relative_to(tmp_path).with_suffix("").parts).removesuffix(".__init__"): p
                   for p in sorted(root.rglob("*.py"))}
        COLLECTED = {n: _Collector(n, p.name == "__init__.py") for n, p in MODULES.items()}
        for n, p in MODULES.items():
            COLLECTED[n].visit(ast.parse(p.read_text(encoding="utf-8")))
        IMPORTS = [i for c in COLLECTED.values() for i in c.imports]
        global ROOT
        old_root, ROOT = ROOT, tmp_path
        try:
            return violations()
        finally:
            ROOT = old_root
    finally:
        MODULES, COLLECTED, IMPORTS = saved


def test_checker_finds_a_cycle_through_a_function_and_a_package_init(tmp_path):
    found = _check_source(tmp_path, {
        "__init__.py": "",
        "a.py": "def f():\n    from mfa.b import g\n",
        "sub/__init__.py": "from mfa.a import f\n",   # mfa.b's package runs first
        "sub/b.py": "",
        "b.py": "import importlib\nimportlib.import_module('mfa.sub.b')\n",
    })
    assert ("cycle", "mfa.a", "mfa.b", "mfa.sub") in found


def test_checker_finds_private_names_and_views_at_module_level(tmp_path):
    found = _check_source(tmp_path, {
        "__init__.py": "",
        "solve.py": "_eliminate = 1\n",
        "explanation.py": "from mfa.solve import _eliminate\nimport mfa.solve as s\nx = s._other\n",
        "network.py": "from mfa import cli\n",
        "cli/__init__.py": "",
        "park.py": "def sankey():\n    from mfa.sankey_diagram import sankey\n",
        "sankey_diagram/__init__.py": "",
    })
    assert ("private", "mfa.explanation", "mfa.solve", "_eliminate") in found
    assert ("private", "mfa.explanation", "mfa.solve", "_other") in found
    assert ("view-at-module-level", "mfa.network", "mfa.cli") in found
    assert not any(k[1] == "mfa.park" for k in found)  # a convenience, lazily: allowed


def test_checker_finds_an_upward_import_and_ignores_type_checking(tmp_path):
    found = _check_source(tmp_path, {
        "__init__.py": "",
        "errors.py": "from mfa.tracing import trace\n",
        "conventions.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from mfa.park import Park\n",
        "tracing.py": "def trace():\n    pass\n",
        "park.py": "",
    })
    assert ("layer", "mfa.errors", "mfa.tracing") in found
    assert not any(k[1] == "mfa.conventions" for k in found)


# -- import mfa stays light --------------------------------------------------------------------------


def test_import_mfa_and_balance_import_no_view():
    """``python -X importtime -c "import mfa; mfa.balance"`` lists every module imported: none is a view,
    nor plotting or scipy.optimize."""
    out = subprocess.run([sys.executable, "-X", "importtime", "-c", "import mfa; mfa.balance"],
                         capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    imported = {line.rsplit("|", 1)[-1].strip() for line in out.stderr.splitlines()
                if line.startswith("import time:") and "|" in line}
    assert "mfa.mass_balance" in imported  # the engine was loaded and reported (mfa.__getattr__ uses __import__)
    views = sorted(m for m in imported if m.startswith("mfa") and is_view(m))
    heavy = sorted(m for m in imported if m.split(".")[0] in ("matplotlib", "plotly", "sympy", "networkx")
                   or m.startswith("scipy.optimize"))
    assert not views and not heavy, (views, heavy)


#: Every public function of mfa that takes a park first, and its other required arguments.
PARK_ENGINES = {"balance": (), "trace": (), "indicators": (), "fates": (), "reconcile": (), "network_metrics": (),
                "sankey": (), "monte_carlo": (), "explain": ("a>b:coal",), "discover_couplings": (),
                "resilience": (), "solve_park": ()}


@pytest.mark.parametrize("name", sorted(PARK_ENGINES))
def test_engines_say_to_read_a_park_first(name):
    """A name or a path where a Park is expected is a user error at the entry point, never an
    AttributeError deep inside (which the command line would call a bug)."""
    import mfa
    from mfa.errors import MfaError

    with pytest.raises(MfaError, match=r"\(\) needs a Park, not the name or path 'wuhai': read it first, "
                                       r"park = mfa.read_park\('wuhai'\)"):
        getattr(mfa, name)("wuhai", *PARK_ENGINES[name])
