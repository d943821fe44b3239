"""circular-mfa: material flow analysis of industrial parks and regions for the circular economy.

Load a park, check its balances, trace wastes to their fates and compute the official utilisation rates::

    import mfa
    park = mfa.read_park("wuhai")      # a shipped example, or a CSV folder / YAML / Excel workbook
    mfa.balance(park).processes        # one row per process: inputs, outputs, stock change, residual

Conventions (units t/a, signs, boundary, fates) are in :mod:`mfa.conventions`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# Public name -> the module that defines it. `import mfa` stays light: a module is imported on first use of
# a name it defines (PEP 562). No implementation module shares a public function's name, so `mfa.trace` is
# always the function and `mfa.tracing` the module.
_EXPORTS = {
    "balance": "mfa.mass_balance",
    "Park": "mfa.park",
    "ParkInfo": "mfa.park",
    "read_park": "mfa.park",
    "write_park": "mfa.io",
    "ParkError": "mfa.errors",
    "MfaError": "mfa.errors",
    "Issue": "mfa.errors",
    "example_parks": "mfa.catalogue",
    "trace": "mfa.tracing",
    "indicators": "mfa.utilisation",
    "fates": "mfa.fate",
    "reconcile": "mfa.solve",
    "network_metrics": ("mfa.network", "metrics"),
    "sankey": "mfa.sankey_diagram",
    "sankey_series": "mfa.sankey_diagram.series",
    "monte_carlo": "mfa.uncertainty",
    "explain": "mfa.explanation",
    "discover_couplings": ("mfa.symbiosis", "discover"),
    "resilience": "mfa.robustness",
    "generate": "mfa.generation",
    "solve_park": "mfa.solved",
    "Lifetime": "mfa.lifetime",
    "inflow_driven": "mfa.lifetime",
    "stock_driven": "mfa.lifetime",
    "stocks": "mfa.dynamic_stocks",
    "indicator_series": "mfa.time_series",
    "trace_series": "mfa.time_series",
    "reconcile_series": "mfa.time_series",
    "project": "mfa.projection",
    "what_it_takes": "mfa.scenarios",
    "sweep": "mfa.scenarios",
    "SubstanceLayer": "mfa.substance",
    "read_substances": "mfa.substance",
    "reconcile_substances": "mfa.substance",
    "substance_fates": "mfa.substance",
}

__all__ = sorted(_EXPORTS) + ["__version__"]

if TYPE_CHECKING:  # what type checkers and IDEs see; at run time the names load lazily
    from mfa.catalogue import example_parks
    from mfa.errors import Issue, MfaError, ParkError
    from mfa.explanation import explain
    from mfa.fate import fates
    from mfa.generation import generate
    from mfa.io import write_park
    from mfa.park import read_park
    from mfa.lifetime import Lifetime, inflow_driven, stock_driven
    from mfa.dynamic_stocks import stocks
    from mfa.time_series import indicator_series, reconcile_series, trace_series
    from mfa.projection import project
    from mfa.scenarios import sweep, what_it_takes
    from mfa.mass_balance import balance
    from mfa.network import metrics as network_metrics
    from mfa.park import Park, ParkInfo
    from mfa.robustness import resilience
    from mfa.sankey_diagram import sankey
    from mfa.sankey_diagram.series import sankey_series
    from mfa.solve import reconcile
    from mfa.solved import solve_park
    from mfa.substance import SubstanceLayer, read_substances, reconcile_substances, substance_fates
    from mfa.symbiosis import discover as discover_couplings
    from mfa.tracing import trace
    from mfa.uncertainty import monte_carlo
    from mfa.utilisation import indicators


def __getattr__(name: str) -> Any:
    target = _EXPORTS.get(name)
    if target is None:
        raise AttributeError(f"module 'mfa' has no attribute {name!r}")
    module, attr = (target, name) if isinstance(target, str) else target
    # __import__ is the import statement's own machinery (importlib.import_module is not): so
    # `python -X importtime -c "import mfa; mfa.balance"` reports the engine and what it pulls in.
    value = getattr(__import__(module, fromlist=[attr]), attr)
    globals()[name] = value  # later lookups are plain attribute reads
    return value


def __dir__() -> list[str]:
    import pkgutil

    return sorted(set(__all__) | {m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_")})
