"""circular-mfa: material flow analysis of industrial parks and regions for the circular economy.

Load a park, check its balances, trace wastes to their fates and compute the official utilisation rates::

    import mfa
    park = mfa.read_park("wuhai")      # a shipped example, or a CSV folder / YAML / Excel workbook
    mfa.balance(park).processes        # one row per process: inputs, outputs, stock change, residual

Conventions (units t/a, signs, boundary, fates) are in :mod:`mfa.conventions`.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

# Light at import: heavy modules load on first use of the name that needs them.
# Functions named like the module that holds them (mfa.balance.balance …) are bound here, after their
# module is imported, so that ``mfa.balance`` is always the function, never the module.
from mfa.balance import balance  # noqa: E402  (numpy and pandas only)

_LAZY = {
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
}

__all__ = sorted(list(_LAZY) + ["balance"]) + ["__version__"]


def __getattr__(name: str) -> Any:
    try:
        module, attr = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'mfa' has no attribute {name!r}") from None
    value = getattr(import_module(module), attr)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
