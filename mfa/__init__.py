"""circular-mfa: material flow analysis of industrial parks and regions for the circular economy.

Load a park, check its balances, trace wastes to their fates and compute the official utilisation rates::

    import mfa
    park = mfa.read_park("wuhai")      # a shipped example, or a CSV folder / YAML / Excel workbook
    mfa.balance(park).processes        # one row per process: inputs, outputs, stock change, residual

Conventions (units t/a, signs, boundary, fates) are in :mod:`mfa.conventions`.
"""

from __future__ import annotations

import sys
import types
from importlib import import_module
from typing import Any

__version__ = "0.1.0"

# Light at import: heavy modules load on first use of the name that needs them.
_LAZY = {
    "balance": ("mfa.balance", "balance"),
    "Park": ("mfa.park", "Park"),
    "ParkInfo": ("mfa.park", "ParkInfo"),
    "read_park": ("mfa.io", "read_park"),
    "write_park": ("mfa.io", "write_park"),
    "ParkError": ("mfa.errors", "ParkError"),
    "MfaError": ("mfa.errors", "MfaError"),
    "Issue": ("mfa.errors", "Issue"),
    "example_parks": ("mfa.catalogue", "example_parks"),
    "trace": ("mfa.trace", "trace"),
    "indicators": ("mfa.indicators", "indicators"),
    "fates": ("mfa.fate", "fates"),
    "reconcile": ("mfa.solve", "reconcile"),
    "network_metrics": ("mfa.network", "metrics"),
    "sankey": ("mfa.sankey", "sankey"),
    "monte_carlo": ("mfa.uncertainty", "monte_carlo"),
    "explain": ("mfa.explain", "explain"),
    "discover_couplings": ("mfa.symbiosis", "discover"),
    "resilience": ("mfa.resilience", "resilience"),
    "generate": ("mfa.generation", "generate"),
    "solve_park": ("mfa.solved", "solve_park"),
    "Lifetime": ("mfa.lifetime", "Lifetime"),
    "inflow_driven": ("mfa.lifetime", "inflow_driven"),
    "stock_driven": ("mfa.lifetime", "stock_driven"),
}

__all__ = sorted(_LAZY) + ["__version__"]


class _Package(types.ModuleType):
    """The ``mfa`` package. Several public functions share their module's name (``mfa.balance`` is the
    function in ``mfa/balance.py``); importing such a module binds the *module* to the package attribute,
    so the lazy names are resolved here, on every access, and always give the function."""

    def __getattribute__(self, name: str) -> Any:
        target = _LAZY.get(name)
        if target is not None:
            return getattr(import_module(target[0]), target[1])
        return super().__getattribute__(name)

    def __dir__(self) -> list[str]:
        return __all__


sys.modules[__name__].__class__ = _Package
