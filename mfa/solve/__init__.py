"""Solving unknown flows and reconciling conflicting data (what STAN does, sparse and vectorised).

A park's flows are variables of three kinds:

* **exact** — a value and no ``sigma`` (or ``sigma`` 0): a constant that never changes;
* **measured** — a value with a standard uncertainty ``sigma`` (t/a), normally distributed;
* **unknown** — no value (NaN).

Transfer coefficients (``tc``) are exact (no ``tc_sigma``) or measured. A storage process without stock data
has an unknown stock change. The model equations are

* one **balance** per internal process (production, collection, treatment, storage):
  ``Σ inputs − Σ outputs − Δstock = 0`` with ``Δstock = closing − opening`` (0 for non-storage processes
  without stock data, an unknown for storage processes without stock data);
* one **transfer-coefficient equation** per flow ``k`` with a ``tc``:
  ``f_k − tc_k · Σ inputs(source(k)) = 0``, i.e. ``tc`` is the share of the source process's *total input*
  (all flows into it, imports included) that leaves through flow ``k``. These equations are bilinear when the
  coefficient is measured.

Boundary processes (import, export, environment, landfill) have no balance.

:func:`reconcile` finds the measured values closest to the data in the weighted least-squares sense
(weights 1/σ²) that satisfy every equation, computes every unknown that the equations determine, and
propagates the uncertainties (with covariances, to first order). It follows Cencic (2016), *Nonlinear data
reconciliation in material flow analysis with software STAN*, Sustainable Environment Research 26:291–298:
linearise the equations at the current estimate, eliminate the unknowns with a basis ``P`` of the left null
space of their Jacobian, reconcile the measurements subject to ``P J_x Δx = −P F``, solve the unknowns from the
remaining equations, iterate.

Sparse throughout: the unknowns are eliminated by triangular pivots on a spanning forest of the unknown
flows rooted at the boundary (:mod:`mfa.solve._triangular`; only what transfer-coefficient rows leave over is
resolved densely, block by block); dependent reduced equations are found the same way, checked and dropped.
The reduced normal matrix ``A Q Aᵀ`` is factored once (dense Cholesky when small, sparse Cholesky or
conjugate gradients otherwise).

Every flow gets a ``status``: ``exact``, ``measured`` (σ given but no equation checks it: unchanged),
``reconciled`` (σ given and redundant: adjusted), ``computed`` (unknown, determined by the equations) or
``unobservable`` (unknown and not determined: no value is ever given; determined combinations of
unobservable flows, such as their sum, are listed in :attr:`ReconcileResult.combinations`).

The package, in the order of the computation:

* :mod:`~mfa.solve.model` — the equations of a park (variables, residuals, Jacobian);
* :mod:`~mfa.solve.elimination` — elimination of the unknowns (left null space, generalised inverse,
  observability);
* :mod:`~mfa.solve.redundancy` — which reduced equations are kept (contradictions of exact data reported);
* :mod:`~mfa.solve.linear_algebra` — the reduced normal matrix and its solvers (one class per strategy);
* :mod:`~mfa.solve.gauss_newton` — the iteration at one active set;
* :mod:`~mfa.solve.propagation` — uncertainties, determined combinations, the linear model for Monte Carlo;
* :mod:`~mfa.solve.reconciliation` — bounds (active set), tests and :func:`reconcile`;
* :mod:`~mfa.solve.result` — :class:`ReconcileResult`.

>>> import mfa
>>> from mfa.solve import reconcile
>>> park = mfa.Park.from_frames(
...     processes=[{"id": "in", "name": "Supply", "kind": "import"},
...                {"id": "plant", "name": "Plant", "kind": "production"},
...                {"id": "out", "name": "Customers", "kind": "export"}],
...     flows=[{"source": "in", "target": "plant", "material": "coal_gangue", "value": 100, "sigma": 5},
...            {"source": "plant", "target": "out", "material": "coal_gangue", "value": 110, "sigma": 5}])
>>> r = reconcile(park)
>>> r.flows[["id", "value", "status"]].round(3).to_dict("records")
[{'id': 'in>plant:coal_gangue', 'value': 105.0, 'status': 'reconciled'}, \
{'id': 'plant>out:coal_gangue', 'value': 105.0, 'status': 'reconciled'}]
>>> round(r.chi2, 6), r.dof
(2.0, 1)
"""

from __future__ import annotations

from mfa.solve.propagation import LinearModel
from mfa.solve.reconciliation import reconcile
from mfa.solve.result import STATUSES, ReconcileResult

__all__ = ["ReconcileResult", "reconcile", "LinearModel", "STATUSES"]
