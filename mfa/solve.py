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
flows rooted at the boundary (:mod:`mfa._triangular`; only what transfer-coefficient rows leave over is
resolved densely, block by block); dependent reduced equations are found the same way, checked and dropped.
The reduced normal matrix ``A Q Aᵀ`` is factored once (dense Cholesky when small, sparse Cholesky or
conjugate gradients otherwise).

Every flow gets a ``status``: ``exact``, ``measured`` (σ given but no equation checks it: unchanged),
``reconciled`` (σ given and redundant: adjusted), ``computed`` (unknown, determined by the equations) or
``unobservable`` (unknown and not determined: no value is ever given; determined combinations of
unobservable flows, such as their sum, are listed in :attr:`ReconcileResult.combinations`).

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

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from mfa.conventions import STOCK_KINDS
from mfa.errors import MfaError
from mfa.results import LegacyResult

__all__ = ["ReconcileResult", "reconcile", "LinearModel"]

# Ranks and zero tests. The Jacobian of the unknowns holds ±1, −tc and −1 (stock), so it is well scaled.
_RANK_RTOL = 1e-10
_NULL_TOL = 1e-8
# Determined combinations of unobservable unknowns are listed (in echelon form) for components with up to
# this many unobservable unknowns.
_COMBINATION_LIMIT = 2000
# Above this many reduced equations the normal matrix is factored sparse instead of dense.
_DENSE_LIMIT = 500
# Uncertainty propagation by default (reconcile(covariance=None)) while its predicted cost stays within
# these: floating-point operations of the sparse Cholesky, projected inverse and direct solves (about a
# minute on one core), and non-zeros of the factor (8 bytes each, held twice). Without chompack: up to this
# many reduced equations.
_AUTO_COVARIANCE_FLOPS = 1e12
_AUTO_COVARIANCE_NNZ = 1.5e8
_AUTO_COVARIANCE_LIMIT = 5000

STATUSES = ("exact", "measured", "reconciled", "computed", "unobservable")


# --------------------------------------------------------------------------------------------------------
# The model: variables and equations as arrays
# --------------------------------------------------------------------------------------------------------
@dataclass
class _Model:
    """Variables and equations of a park (internal).

    Variable vector ``v = [flows (n_f), transfer coefficients (n_t), unknown stock changes (n_s)]``.
    Equations: balances of internal processes, then one transfer-coefficient equation per coefficient.
    """

    flow_ids: np.ndarray
    process_ids: np.ndarray
    src: np.ndarray
    tgt: np.ndarray
    n_p: int
    balance_proc: np.ndarray       # process index of each balance equation
    ds_known: np.ndarray           # known stock change per balance equation (0 where none / unknown)
    ds_var: np.ndarray             # balance-equation index of each unknown stock change
    tc_flow: np.ndarray            # flow index of each transfer coefficient
    value0: np.ndarray             # initial values of all variables (NaN for unknowns)
    sigma: np.ndarray              # σ of all variables (NaN: exact or unknown)
    kind: np.ndarray               # 0 exact, 1 measured, 2 unknown (per variable)
    inc_b: sp.csr_matrix           # balance rows of the incidence matrix (n_b × n_f)
    inflow: sp.csr_matrix          # n_p × n_f, 1 where the flow enters the process

    @property
    def n_f(self) -> int:
        return len(self.flow_ids)

    @property
    def n_t(self) -> int:
        return len(self.tc_flow)

    @property
    def n_s(self) -> int:
        return len(self.ds_var)

    @property
    def n_v(self) -> int:
        return self.n_f + self.n_t + self.n_s

    @property
    def n_b(self) -> int:
        return len(self.balance_proc)

    @property
    def n_c(self) -> int:
        return self.n_b + self.n_t

    @property
    def bilinear(self) -> bool:
        """True when a measured coefficient multiplies a flow that is not exact."""
        return bool(np.any(self.kind[self.n_f:self.n_f + self.n_t] == 1))

    def variable_labels(self) -> np.ndarray:
        tc = np.array([f"tc[{f}]" for f in self.flow_ids[self.tc_flow]], dtype=object)
        ds = np.array([f"Δstock[{p}]" for p in self.process_ids[self.balance_proc[self.ds_var]]],
                      dtype=object)
        return np.concatenate([self.flow_ids.astype(object), tc, ds])

    def equation_labels(self) -> np.ndarray:
        bal = np.array([f"balance of process '{p}'" for p in self.process_ids[self.balance_proc]], dtype=object)
        tc = np.array([f"transfer coefficient of flow '{f}'" for f in self.flow_ids[self.tc_flow]],
                      dtype=object)
        return np.concatenate([bal, tc])

    # -- residuals and Jacobian ----------------------------------------------------------------------
    def residual(self, v: np.ndarray) -> np.ndarray:
        """F(v) for one vector (n_v) or many (n_v × S): balances then coefficient equations."""
        f = v[:self.n_f]
        t = v[self.n_f:self.n_f + self.n_t]
        s = v[self.n_f + self.n_t:]
        ds = self.ds_known if v.ndim == 1 else self.ds_known[:, None]
        fb = self.inc_b @ f - ds
        if self.n_s:
            fb = fb.copy()
            fb[self.ds_var] -= s
        total_in = self.inflow @ f
        src = self.src[self.tc_flow]
        ft = f[self.tc_flow] - t * total_in[src]
        return np.concatenate([fb, ft])

    def jacobian(self, v: np.ndarray) -> sp.csr_matrix:
        """∂F/∂v (sparse, n_c × n_v) at v."""
        n_f, n_t, n_b = self.n_f, self.n_t, self.n_b
        f = v[:n_f]
        t = v[n_f:n_f + n_t]
        inc = self.inc_b.tocoo()
        rows = [inc.row, self.ds_var]
        cols = [inc.col, n_f + n_t + np.arange(self.n_s)]
        vals = [inc.data, -np.ones(self.n_s)]
        if n_t:
            src = self.src[self.tc_flow]
            sub = self.inflow[src].tocoo()           # row i: inputs of the source of coefficient i
            rows += [n_b + np.arange(n_t), n_b + sub.row, n_b + np.arange(n_t)]
            cols += [self.tc_flow, sub.col, n_f + np.arange(n_t)]
            total_in = self.inflow @ f
            vals += [np.ones(n_t), -t[sub.row] * sub.data, -total_in[src]]
        J = sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                          shape=(self.n_c, self.n_v))
        J.sum_duplicates()
        return J

    def row_scale(self, v: np.ndarray) -> np.ndarray:
        """Throughput of each equation (Σ |terms|), the yardstick of 'relative' residuals."""
        a = np.abs(np.nan_to_num(v))
        J = self.jacobian(np.nan_to_num(v))
        scale = abs(J) @ a
        scale[:self.n_b] += np.abs(self.ds_known)
        return scale


def _model_from_park(park: Any) -> _Model:
    c = park.compiled
    kind = np.asarray(c.kind, dtype=object)
    n_p, n_f = c.n_processes, c.n_flows
    internal = ~np.asarray(c.is_boundary, dtype=bool)
    delta = np.asarray(c.delta_stock, dtype=float)
    balance_proc = np.flatnonzero(internal)
    ds_nan = np.isnan(delta[balance_proc])
    ds_unknown = ds_nan & np.isin(kind[balance_proc], list(STOCK_KINDS))
    # A stock change with a standard uncertainty (stocks rows' ``sigma``: of that row's closing − opening) is
    # measured: a variable the reconciliation may adjust, like a measured flow.
    ds_sigma = np.full(len(balance_proc), np.nan)
    st = park.stocks
    if len(st) and "sigma" in st and st["sigma"].notna().any():
        var = (st["sigma"].astype(float) ** 2).groupby(st["process"]).sum(min_count=1)
        pos = pd.Index(c.process_ids[balance_proc]).get_indexer(var.index)
        ok = (pos >= 0) & (var.to_numpy() > 0)
        ds_sigma[pos[ok]] = np.sqrt(var.to_numpy()[ok])
    ds_measured = ~ds_nan & ~np.isnan(ds_sigma)
    ds_known = np.where(ds_nan | ds_measured, 0.0, delta[balance_proc])
    ds_var = np.flatnonzero(ds_unknown | ds_measured)
    ds_kind = np.where(ds_measured[ds_var], 1, 2)
    ds_value = np.where(ds_measured[ds_var], delta[balance_proc][ds_var], np.nan)
    ds_sig = np.where(ds_measured[ds_var], ds_sigma[ds_var], np.nan)

    value = np.asarray(c.value, dtype=float)
    sigma = np.asarray(c.sigma, dtype=float)
    tc = np.asarray(c.tc, dtype=float)
    tc_sigma = np.asarray(c.tc_sigma, dtype=float)
    tc_flow = np.flatnonzero(~np.isnan(tc))
    src = np.asarray(c.src, dtype=np.int64)
    tgt = np.asarray(c.tgt, dtype=np.int64)

    problems = []
    boundary_src = tc_flow[~internal[src[tc_flow]]]
    for k in boundary_src[:20]:
        problems.append(f"flow '{c.flow_ids[k]}' has a transfer coefficient but its source "
                        f"'{c.process_ids[src[k]]}' is a boundary process ({kind[src[k]]}) without inputs")
    bad_tc = tc_flow[(tc[tc_flow] < 0) | (tc[tc_flow] > 1)]
    for k in bad_tc[:20]:
        problems.append(f"flow '{c.flow_ids[k]}': tc {tc[k]!r} is outside [0, 1]")
    if problems:
        raise MfaError("cannot set up the model equations:\n  - " + "\n  - ".join(problems))

    flow_kind = np.where(np.isnan(value), 2, np.where(np.isnan(sigma) | (sigma == 0), 0, 1))
    tcs = tc_sigma[tc_flow]
    tc_kind = np.where(np.isnan(tcs) | (tcs == 0), 0, 1)
    var_kind = np.concatenate([flow_kind, tc_kind, ds_kind]).astype(np.int8)
    value0 = np.concatenate([value, tc[tc_flow], ds_value])
    sig = np.concatenate([np.where(flow_kind == 1, sigma, np.nan), np.where(tc_kind == 1, tcs, np.nan), ds_sig])
    inc = c.incidence.tocsr()
    inflow = sp.csr_matrix((np.ones(n_f), (tgt, np.arange(n_f))), shape=(n_p, n_f))
    model = _Model(flow_ids=np.asarray(c.flow_ids, dtype=object), process_ids=np.asarray(c.process_ids, dtype=object),
                   src=src, tgt=tgt, n_p=n_p, balance_proc=balance_proc, ds_known=ds_known, ds_var=ds_var,
                   tc_flow=tc_flow, value0=value0, sigma=sig, kind=var_kind, inc_b=inc[balance_proc],
                   inflow=inflow)
    _check_closed_tc(model, c.flow_ids)
    return model


def _check_closed_tc(model: _Model, flow_ids: np.ndarray) -> None:
    """A process whose every output has an *exact* coefficient: they must sum to 1 (STAN's rule), and then
    its balance follows from the coefficient equations and is dropped (it would be linearly dependent)."""
    if not model.n_t:
        return
    n_f = model.n_f
    exact_tc = model.kind[n_f:n_f + model.n_t] == 0
    src = model.src
    n_out = np.bincount(src, minlength=model.n_p)
    k_exact = model.tc_flow[exact_tc]
    n_out_exact = np.bincount(src[k_exact], minlength=model.n_p)
    sum_exact = np.bincount(src[k_exact], weights=model.value0[n_f:n_f + model.n_t][exact_tc],
                            minlength=model.n_p)
    closed = (n_out > 0) & (n_out_exact == n_out)
    bad = np.flatnonzero(closed & (np.abs(sum_exact - 1) > 1e-9))
    if len(bad):
        lines = [f"process '{model.process_ids[p]}': the exact transfer coefficients of all its outputs sum to "
                 f"{sum_exact[p]:.6g}, not 1" for p in bad[:20]]
        raise MfaError("inconsistent transfer coefficients:\n  - " + "\n  - ".join(lines) +
                       "\n(give one output no coefficient, or give the coefficients a tc_sigma)")
    drop = closed[model.balance_proc]
    if drop.any():
        keep = ~drop
        # unknown stock changes of dropped balances would be undetermined; keep those balances
        keep[model.ds_var] = True
        if not keep.all():
            old_index = np.flatnonzero(keep)
            remap = np.full(len(keep), -1)
            remap[old_index] = np.arange(len(old_index))
            model.balance_proc = model.balance_proc[keep]
            model.ds_known = model.ds_known[keep]
            model.inc_b = model.inc_b[keep]
            model.ds_var = remap[model.ds_var]


# --------------------------------------------------------------------------------------------------------
# Elimination of the unknowns, block by block
# --------------------------------------------------------------------------------------------------------
class _Elimination:
    """What the elimination of the unknowns gives (internal).

    P (n_red × n_c): rows span the left null space of J_y; P_comp: component label of each row of P;
    Yplus (n_y × n_c): a generalised inverse of J_y (sparse matrix or operator, ``@``); comp_of_row /
    comp_of_y: component label of each equation / unknown; null (n_y × k): columns span the null space of
    J_y, null_comp: component of each; observable: bool per unknown. The null space (observability) is
    computed on first use: iterations of a bilinear park only need P and Yplus."""

    def __init__(self, P, P_comp, Yplus, comp_of_row, comp_of_y, null=None, null_comp=None, observable=None,
                 null_space=None):
        self.P, self.P_comp, self.Yplus = P, P_comp, Yplus
        self.comp_of_row, self.comp_of_y = comp_of_row, comp_of_y
        self._null, self._null_comp, self._observable = null, null_comp, observable
        self._null_space = null_space

    def _compute_null(self) -> None:
        if self._null is not None:
            return
        N, rep_c = self._null_space()
        n_y = len(self.comp_of_y)
        observable = np.ones(n_y, dtype=bool)
        if N.shape[1]:
            # a null-space direction moves the unknown: unobservable (relative to each direction's largest)
            colmax = np.asarray(abs(N).max(axis=0).todense()).ravel()
            Nn = N @ sp.diags(1.0 / np.maximum(colmax, 1e-300))
            rowmax = np.asarray(abs(Nn).max(axis=1).todense()).ravel()
            observable = rowmax <= _NULL_TOL
        self._null = N
        self._null_comp = self.comp_of_y[rep_c] if len(rep_c) else np.zeros(0, dtype=np.int64)
        self._observable = observable

    @property
    def null(self) -> sp.csc_matrix:
        self._compute_null()
        return self._null

    @property
    def null_comp(self) -> np.ndarray:
        self._compute_null()
        return self._null_comp

    @property
    def observable(self) -> np.ndarray:
        self._compute_null()
        return self._observable


def _components(Jy: sp.csr_matrix) -> tuple[int, np.ndarray, np.ndarray]:
    """Connected components of the equation–unknown graph: count, label per equation, label per unknown."""
    from scipy.sparse.csgraph import connected_components

    n_c, n_y = Jy.shape
    pattern = Jy.copy()
    pattern.data = np.ones_like(pattern.data)
    graph = sp.bmat([[None, pattern], [pattern.T, None]], format="csr") if n_y else sp.csr_matrix((n_c, n_c))
    if graph.shape[0] == 0:
        n_comp, labels = 0, np.zeros(0, dtype=np.int64)
    else:
        n_comp, labels = connected_components(graph, directed=False)
    return n_comp, labels[:n_c], labels[n_c:]


def _eliminate(Jy: sp.csr_matrix, previous: _Elimination | None = None) -> _Elimination:
    """Left null space, a generalised inverse and the null space (observability) of J_y (n_c × n_y), by
    sparse triangular elimination (:mod:`mfa._triangular`): a spanning forest of the unknown flows rooted at
    the boundary, O(non-zeros) for balance equations; only what transfer-coefficient rows leave over is
    resolved densely, block by block."""
    from mfa import _triangular

    n_c, n_y = Jy.shape
    Jy = sp.csr_matrix(Jy)
    prev = getattr(previous, "pattern", None)
    if prev is not None and _same_pattern(prev[0], Jy):
        lab_r, lab_c = prev[1], prev[2]          # the next iteration's Jacobian: same graph
    else:
        _, lab_r, lab_c = _components(Jy)
    red = _triangular.reduce(Jy, like=getattr(previous, "reduction", None))
    P, rep_r = red.left_null()
    el = _Elimination(P=P, P_comp=lab_r[rep_r] if len(rep_r) else np.zeros(0, dtype=np.int64),
                        Yplus=red.pinv(), comp_of_row=lab_r, comp_of_y=lab_c, null_space=red.null)
    el.reduction = red
    el.pattern = (Jy, lab_r, lab_c)
    return el


def _same_pattern(a: sp.csr_matrix, b: sp.csr_matrix) -> bool:
    return (a.shape == b.shape and a.nnz == b.nnz and np.array_equal(a.indptr, b.indptr)
            and np.array_equal(a.indices, b.indices))


def _eliminate_dense(Jy: sp.csr_matrix, previous: _Elimination | None = None) -> _Elimination:
    """The reference for :func:`_eliminate` (tests): J_y split into independent blocks, each with a dense
    SVD (left null space, pseudo-inverse, orthonormal null space), blocks of equal shape batched."""
    n_c, n_y = Jy.shape
    n_comp, lab_r, lab_c = _components(Jy)
    m_of = np.bincount(lab_r, minlength=n_comp)
    n_of = np.bincount(lab_c, minlength=n_comp)

    # position of every equation / unknown inside its component
    order_r = np.argsort(lab_r, kind="stable")
    start_r = np.concatenate([[0], np.cumsum(m_of)])[:-1]
    pos_r = np.empty(n_c, dtype=np.int64)
    pos_r[order_r] = np.arange(n_c) - start_r[lab_r[order_r]]
    order_c = np.argsort(lab_c, kind="stable")
    start_c = np.concatenate([[0], np.cumsum(n_of)])[:-1]
    pos_c = np.empty(n_y, dtype=np.int64)
    pos_c[order_c] = np.arange(n_y) - start_c[lab_c[order_c]]

    coo = Jy.tocoo()
    nz_comp = lab_r[coo.row]

    P_rows, P_cols, P_vals, P_comp = [], [], [], []
    Y_rows, Y_cols, Y_vals = [], [], []
    observable = np.ones(n_y, dtype=bool)
    null_blocks: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    next_row = 0

    shapes = np.stack([m_of, n_of], axis=1) if n_comp else np.zeros((0, 2), dtype=np.int64)
    uniq, group_of = (np.unique(shapes, axis=0, return_inverse=True) if n_comp
                      else (np.zeros((0, 2), dtype=np.int64), np.zeros(0, dtype=np.int64)))
    group_of = np.asarray(group_of).ravel()
    for gi, (m, n) in enumerate(uniq):
        comps = np.flatnonzero(group_of == gi)
        G = len(comps)
        slot = np.full(n_comp, -1)
        slot[comps] = np.arange(G)
        R = start_r[comps][:, None] + np.arange(m)[None, :]
        R = order_r[R] if m else np.zeros((G, 0), dtype=np.int64)   # equation indices (G × m)
        C = order_c[start_c[comps][:, None] + np.arange(n)[None, :]] if n else np.zeros((G, 0), dtype=np.int64)
        if n == 0:
            # equations without unknowns: each is its own reduced equation
            rows = R.ravel()
            P_rows.append(next_row + np.arange(len(rows)))
            P_cols.append(rows)
            P_vals.append(np.ones(len(rows)))
            P_comp.append(np.repeat(comps, m))
            next_row += len(rows)
            continue
        if m == 0:
            # unknowns in no equation: unobservable, free
            observable[C.ravel()] = False
            for g, comp in enumerate(comps):
                null_blocks[int(comp)] = (C[g], np.eye(n))
            continue
        sel = slot[nz_comp] >= 0
        blocks = np.zeros((G, m, n))
        np.add.at(blocks, (slot[nz_comp[sel]], pos_r[coo.row[sel]], pos_c[coo.col[sel]]), coo.data[sel])
        U, S, Vt = np.linalg.svd(blocks, full_matrices=True)
        k = min(m, n)
        smax = S[:, :1] if k else np.zeros((G, 1))
        rank = (S > _RANK_RTOL * max(m, n) * np.maximum(smax, 1e-300)).sum(axis=1)
        for r in np.unique(rank):
            sub = np.flatnonzero(rank == r)
            Gs = len(sub)
            if m - r > 0:
                Pn = np.swapaxes(U[sub][:, :, r:], 1, 2)            # Gs × (m−r) × m
                new = next_row + np.arange(Gs * (m - r)).reshape(Gs, m - r)
                P_rows.append(np.repeat(new[:, :, None], m, axis=2).ravel())
                P_cols.append(np.repeat(R[sub][:, None, :], m - r, axis=1).ravel())
                P_vals.append(Pn.ravel())
                P_comp.append(np.repeat(comps[sub], m - r))
                next_row += Gs * (m - r)
            if r > 0:
                # pseudo-inverse V_r S_r⁻¹ U_rᵀ: Gs × n × m
                Vr = np.swapaxes(Vt[sub][:, :r, :], 1, 2)
                Ur = U[sub][:, :, :r]
                pinv = np.einsum("gnr,gr,gmr->gnm", Vr, 1.0 / S[sub][:, :r], Ur)
                Y_rows.append(np.repeat(C[sub][:, :, None], m, axis=2).ravel())
                Y_cols.append(np.repeat(R[sub][:, None, :], n, axis=1).ravel())
                Y_vals.append(pinv.ravel())
            if n - r > 0:
                N = np.swapaxes(Vt[sub][:, r:, :], 1, 2)             # Gs × n × (n−r)
                unobs = np.linalg.norm(N, axis=2) > _NULL_TOL        # Gs × n
                observable[C[sub][unobs]] = False
                for g in np.flatnonzero(unobs.any(axis=1)):
                    null_blocks[int(comps[sub][g])] = (C[sub][g], N[g])

    def _cat(parts, dtype=float):
        return np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)

    P = sp.csr_matrix((_cat(P_vals), (_cat(P_rows, np.int64), _cat(P_cols, np.int64))), shape=(next_row, n_c))
    Yplus = sp.csr_matrix((_cat(Y_vals), (_cat(Y_rows, np.int64), _cat(Y_cols, np.int64))), shape=(n_y, n_c))
    Yplus.eliminate_zeros()
    nr, nc, nv, ncomp = [], [], [], []
    k = 0
    for comp, (cols, N) in sorted(null_blocks.items()):
        nr.append(np.repeat(cols, N.shape[1]))
        nc.append(np.tile(k + np.arange(N.shape[1]), len(cols)))
        nv.append(N.ravel())
        ncomp.append(np.full(N.shape[1], comp))
        k += N.shape[1]
    null = sp.csc_matrix((_cat(nv), (_cat(nr, np.int64), _cat(nc, np.int64))), shape=(n_y, k))
    return _Elimination(P=P, P_comp=_cat(P_comp, np.int64), Yplus=Yplus, observable=observable,
                        comp_of_row=lab_r, comp_of_y=lab_c, null=null, null_comp=_cat(ncomp, np.int64))


# --------------------------------------------------------------------------------------------------------
# The reduced normal matrix A Q Aᵀ
# --------------------------------------------------------------------------------------------------------
class _Normal:
    """Factorisation of M = A Q Aᵀ, with a rank-revealing fallback when equations are dependent.

    M is first scaled to unit diagonal (D M D, D = diag(M)^-½): flows span many orders of magnitude, and
    pivots are only comparable after scaling."""

    def __init__(self, M: sp.spmatrix):
        n = M.shape[0]
        self.n = n
        self.rank = n
        self._lu = None
        self._chol = None
        self._pinv = None
        self._chordal = None
        if n == 0:
            self._M = M
            self._d = np.ones(0)
            self._factored = True
            return
        diag = M.diagonal()
        self._d = 1.0 / np.sqrt(np.where(diag > 0, diag, 1.0))
        D = sp.diags(self._d)
        Ms = (D @ M @ D).tocsc()
        self._M = Ms
        self._factored = False
        if n <= _DENSE_LIMIT:
            self._dense(Ms.toarray())
            self._factored = True

    def chordal(self):
        """The supernodal Cholesky of the scaled matrix (symbolic analysis only until used), or None when
        chompack is not installed, the matrix is small (dense path) or was found singular."""
        if self._chordal is None and self._use_chordal():
            from mfa import _chordal

            self._chordal = _chordal.ChordalCholesky(self._M)
        return self._chordal

    def _use_chordal(self) -> bool:
        if self.n <= _DENSE_LIMIT or self.__dict__.get("_no_chordal"):
            return False
        from mfa import _chordal

        return _chordal.available()

    def quadratic_cost(self, H: sp.spmatrix) -> tuple[float, int] | None:
        """(floating-point operations, factor non-zeros) that :meth:`inverse_quadratic` will spend on H
        with the sparse Cholesky (chosen here from symbolic analyses only, and kept for it); None on the
        dense path (cheap by construction) or without chompack."""
        if not self._use_chordal():
            return None
        from mfa import _chordal

        Hs = (sp.diags(self._d) @ sp.csc_matrix(H)).tocsc()
        plan = self._plan = _chordal.for_inverse_quadratic(self._M, Hs)
        return plan.predicted_flops, plan.nnz

    def _factor(self) -> None:
        """Sparse LU of the scaled matrix (needed for many right-hand sides: uncertainty, Monte Carlo)."""
        if self._factored:
            return
        self._factored = True
        n = self.n
        c = self.chordal()
        if c is not None:
            try:
                c.factor()
                return
            except ArithmeticError:
                # not positive definite: dependent equations; the rank-revealing paths below handle them
                self._chordal = None
                self._no_chordal = True
        try:
            self._lu = self._splu(self._M)
            d = np.abs(self._lu.U.diagonal())
            if d.min() > 1e-12:
                return
        except RuntimeError:
            pass
        self._lu = None
        if n > 10_000:
            raise MfaError(f"the {n} reduced balance equations are numerically dependent (ill-conditioned "
                           "transfer coefficients?) and too many to resolve densely")
        self._dense(self._M.toarray())

    def _cg(self, b: np.ndarray) -> np.ndarray | None:
        """Conjugate gradients on the unit-diagonal matrix (well conditioned for balance networks: tens of
        iterations), for one right-hand side; None if it does not reach 1e-13."""
        from scipy.sparse.linalg import cg

        nb = float(np.linalg.norm(b))
        if nb == 0:
            return np.zeros_like(b)
        x, info = cg(self._M, b, rtol=1e-14, atol=0.0, maxiter=max(1000, 2 * self.n))
        if info != 0 and np.linalg.norm(self._M @ x - b) > 1e-12 * nb:
            return None
        return x

    @staticmethod
    def _splu(Ms):
        from scipy.sparse.linalg import splu

        return splu(Ms, permc_spec="MMD_AT_PLUS_A", diag_pivot_thresh=0.0, options={"SymmetricMode": True})

    def _dense(self, M: np.ndarray) -> None:
        import scipy.linalg as la

        try:
            c = la.cho_factor(M, lower=True, check_finite=False)
            d = np.abs(np.diag(c[0]))
            if d.min() ** 2 > 1e-12:
                self._chol = c
                return
        except la.LinAlgError:
            pass
        w, V = np.linalg.eigh(M)
        keep = w > 1e-11 * max(w.max(), 1e-300)
        self.rank = int(keep.sum())
        self._pinv = (V[:, keep] / w[keep]) @ V[:, keep].T

    def __getstate__(self) -> dict:
        # Neither SuperLU nor chompack factors can be pickled (executors in other processes): the
        # receiving process factors again.
        state = dict(self.__dict__)
        if state.get("_lu") is not None or state.get("_chordal") is not None:
            state["_refactor"] = True
        state["_lu"] = None
        state["_chordal"] = None
        state.pop("_plan", None)
        return state

    def __setstate__(self, state: dict) -> None:
        refactor = state.pop("_refactor", False)
        self.__dict__.update(state)
        if refactor:
            self._factored = False
            self._factor()

    def solve(self, b: np.ndarray) -> np.ndarray:
        """M⁻¹ b for a vector or a matrix of right-hand sides."""
        if self.n == 0:
            return np.zeros_like(b)
        d = self._d if b.ndim == 1 else self._d[:, None]
        bs = np.asarray(b, dtype=float) * d
        if not self._factored and bs.ndim == 1:
            z = self._cg(bs)
            if z is not None:
                return z * d
        self._factor()
        if self._chol is not None:
            import scipy.linalg as la

            z = la.cho_solve(self._chol, bs, check_finite=False)
        elif self._chordal is not None:
            z = self._chordal.solve(bs)
        elif self._lu is not None:
            z = self._lu.solve(bs)
        else:
            z = self._pinv @ bs
        return z * d

    def _inverse(self) -> np.ndarray:
        """Explicit inverse (or pseudo-inverse) of the scaled matrix, dense paths only; cached."""
        inv = self.__dict__.get("_inv")
        if inv is None:
            if self._pinv is not None:
                inv = self._pinv
            else:
                import scipy.linalg as la

                inv = la.cho_solve(self._chol, np.eye(self.n), check_finite=False)
            self._inv = inv
        return inv

    def inverse_quadratic(self, H: sp.spmatrix) -> np.ndarray:
        """diag(Hᵀ M⁻¹ H) for a sparse H (n × k): dense inverse when small, else the sparse Cholesky's
        projected inverse (mfa._chordal), else (no chompack, or dependent equations) sparse LU solves in
        chunks of columns."""
        H = sp.csc_matrix(H)
        out = np.zeros(H.shape[1])
        if self.n == 0 or H.nnz == 0:
            return out
        Hs = (sp.diags(self._d) @ H).tocsc()
        if self._use_chordal():
            from mfa import _chordal

            plan = self.__dict__.pop("_plan", None) or _chordal.for_inverse_quadratic(self._M, Hs)
            try:
                out = plan.inverse_quadratic(Hs)
            except ArithmeticError:
                self._chordal = None           # dependent equations: the rank-revealing paths below
                self._no_chordal = True
            else:
                if self._chordal is None or self._chordal.L is None:
                    self._chordal = plan       # later solves (Monte Carlo, covariance) reuse it
                    self._factored = True
                return out
        self._factor()
        if self._chol is not None or self._pinv is not None:
            # dense: the explicit inverse once (n³), then only n·nnz(H) work: Σ_i H_ij (M⁻¹H)_ij
            inv = self._inverse()
            Ht = Hs.T.tocsr()
            chunk = max(1, int(1e7 // max(self.n, 1)))
            for s in range(0, Ht.shape[0], chunk):
                Hc = Ht[s:s + chunk]
                Z = np.asarray(Hc @ inv)
                out[s:s + chunk] = np.asarray(Hc.multiply(Z).sum(axis=1)).ravel()
            return out
        chunk = max(1, int(2e7 // max(self.n, 1)))
        for s in range(0, Hs.shape[1], chunk):
            Hc = Hs[:, s:s + chunk]
            nz = np.flatnonzero(np.diff(Hc.indptr))
            if not len(nz):
                continue
            Hd = Hc[:, nz].toarray()
            Z = self._lu.solve(Hd) if self._lu is not None else self._pinv @ Hd
            out[s + nz] = np.einsum("ij,ij->j", Hd, Z)
        return out


# --------------------------------------------------------------------------------------------------------
# The result
# --------------------------------------------------------------------------------------------------------
class ReconcileResult(LegacyResult):
    """Reconciled and computed values with their uncertainties and the statistical tests.

    Attributes
    ----------
    flows : DataFrame
        id, source, target, material, value (t/a; NaN if unobservable), sigma (t/a; NaN if exact or
        unobservable), status, measured, measured_sigma, adjustment, normalised_adjustment, gross_error.
    transfer_coefficients : DataFrame
        flow, value, sigma, status, measured, measured_sigma, adjustment, normalised_adjustment, gross_error.
    stock_changes : DataFrame
        process, value, sigma, status — storage processes without stock data (Δstock unknown).
    combinations : DataFrame
        determined combinations of unobservable variables: expression, terms (list of (coefficient, id)),
        value, sigma.
    combinations_skipped : int
        connected parts with more than 2 000 unobservable unknowns, whose combinations are not listed.
    converged, iterations, chi2, dof, p_value, max_residual, max_residual_rel, alpha
    park : the reconciled Park (computed values filled in, reconciled values and σ written back).
    """

    title = "Data reconciliation"

    def __init__(self, **kw: Any):
        self.__dict__.update(kw)

    @property
    def park(self):
        p = self.__dict__.get("_park_cache")
        if p is None:
            p = self.__dict__["_park_cache"] = _reconciled_park(self)
        return p

    def covariance(self, ids: list[str]) -> pd.DataFrame:
        """Covariance matrix (t/a)² of the reconciled or computed variables ``ids`` (flow ids, or
        ``tc[<flow id>]`` for coefficients, ``Δstock[<process>]`` for unknown stock changes)."""
        return self._cov(list(ids))

    def _tables(self) -> dict[str, pd.DataFrame]:
        return {"flows": self.flows, "transfer_coefficients": self.transfer_coefficients,
                "stock_changes": self.stock_changes, "combinations": self.combinations}

    def _repr_html_(self) -> str:
        head = (f"<p>converged: {self.converged} after {self.iterations} iteration(s) · χ² = {self.chi2:.4g} · "
                f"dof = {self.dof} · p = {self.p_value:.4g} · largest residual {self.max_residual:.3g} t/a · "
                f"{int(self.flows['gross_error'].sum())} gross error(s) flagged</p>")
        return head + super()._repr_html_()

    def summary(self) -> dict:
        counts = self.flows["status"].value_counts()
        return {
            "converged": bool(self.converged), "iterations": int(self.iterations), "chi2": float(self.chi2),
            "dof": int(self.dof), "p_value": float(self.p_value), "max_residual": float(self.max_residual),
            "max_residual_rel": float(self.max_residual_rel), "alpha": float(self.alpha),
            "uncertainty_propagated": bool(self.uncertainty_propagated),
            "uncertainty_skipped": self.__dict__.get("uncertainty_skipped"),
            "combinations_skipped": int(self.__dict__.get("combinations_skipped", 0)),
            "gross_errors": int(self.flows["gross_error"].sum() + self.transfer_coefficients["gross_error"].sum()),
            "status_counts": {s: int(counts.get(s, 0)) for s in STATUSES},
        }

    def to_dict(self) -> dict:
        from mfa.results import frame_records

        flows = self.flows.copy()
        tcs = self.transfer_coefficients.copy()
        out = self.summary()
        out["flows"] = frame_records(flows)
        out["transfer_coefficients"] = frame_records(tcs)
        out["stock_changes"] = frame_records(self.stock_changes)
        comb = self.combinations.copy()
        if len(comb):
            comb["terms"] = [[{"coefficient": float(a), "variable": str(b)} for a, b in t] for t in comb["terms"]]
        out["combinations"] = frame_records(comb)
        return out


def _reconciled_park(res: ReconcileResult):
    neg = res.flows[res.flows["value"] < 0]
    neg_tc = res.transfer_coefficients[(res.transfer_coefficients["value"] < 0) |
                                       (res.transfer_coefficients["value"] > 1)]
    if len(neg) or len(neg_tc):
        lines = [f"flow '{i}' = {v:.6g} t/a" for i, v in zip(neg["id"][:10], neg["value"][:10])]
        lines += [f"tc of flow '{i}' = {v:.6g}" for i, v in zip(neg_tc["flow"][:10], neg_tc["value"][:10])]
        more = len(neg) + len(neg_tc) - len(lines)
        raise MfaError("the reconciled values leave their physical range, so they cannot form a park:\n  - "
                       + "\n  - ".join(lines) + (f"\n  … and {more} more" if more > 0 else "")
                       + "\n(reconcile with bounds: bounds=True / --bounds)")
    flows = res._input_park.flows
    r = res.flows.set_index("id")
    flows["value"] = r.loc[flows["id"], "value"].to_numpy()
    sig = r.loc[flows["id"], "sigma"].to_numpy(dtype=float)
    flows["sigma"] = np.where(sig > 0, sig, np.nan)
    if len(res.transfer_coefficients):
        t = res.transfer_coefficients.set_index("flow")
        has = flows["id"].isin(t.index)
        ids = flows.loc[has, "id"]
        flows.loc[has, "tc"] = t.loc[ids, "value"].to_numpy()
        ts = t.loc[ids, "sigma"].to_numpy(dtype=float)
        flows.loc[has, "tc_sigma"] = np.where(ts > 0, ts, np.nan)
    return res._input_park.replace(flows=flows)


# --------------------------------------------------------------------------------------------------------
# The solver
# --------------------------------------------------------------------------------------------------------
@dataclass
class LinearModel:
    """The reconciliation linearised at its solution: everything the Monte Carlo needs to map sampled
    measurements to reconciled and computed values without refactoring (factor once, many right-hand sides).

    For measured values ``x_s`` (n_x × S): ``x = x_s − Q Aᵀ M⁻¹ (A x_s − b)`` and the unknowns follow from
    :meth:`apply`; exact for linear equations, first-order otherwise (then :meth:`apply` iterates with the
    fixed Jacobian until the equations hold)."""

    model: _Model
    x_idx: np.ndarray
    y_idx: np.ndarray
    A: sp.csr_matrix
    QAt: sp.csr_matrix
    normal: _Normal
    P: sp.csr_matrix
    Yplus: sp.csr_matrix
    Jx: sp.csr_matrix
    v_hat: np.ndarray
    observable: np.ndarray

    def apply(self, xs: np.ndarray, max_iter: int = 50, tol: float = 1e-10) -> tuple[np.ndarray, np.ndarray]:
        """Variables (n_v × S) for sampled measurements ``xs`` (n_x × S), and a bool per sample: whether
        the equations hold (to ``1e-9`` of their throughput). Unobservable unknowns are NaN."""
        S = xs.shape[1]
        V = np.repeat(self.v_hat[:, None], S, axis=1)
        V[self.x_idx] = xs
        scale = max(float(np.max(np.abs(self.v_hat), initial=0.0)), 1.0)
        ok = np.zeros(S, dtype=bool)
        for _ in range(max_iter if self.model.bilinear else 1):
            F = self.model.residual(V)
            x = V[self.x_idx]
            # A x = A x̃ − P F, linearised at the current iterate with the Jacobian of the solution (chord)
            rhs = self.A @ x - self.P @ F
            lam = self.normal.solve(self.A @ xs - rhs)
            x_new = xs - self.QAt @ lam
            y_new = V[self.y_idx] + self.Yplus @ (-F - self.Jx @ (x_new - x))
            step = np.maximum(np.max(np.abs(x_new - x), axis=0, initial=0.0),
                              np.max(np.abs(y_new - V[self.y_idx]), axis=0, initial=0.0))
            V[self.x_idx] = x_new
            V[self.y_idx] = y_new
            if np.all(step <= tol * scale):
                break
        F = self.model.residual(np.where(np.isnan(V), 0.0, V))
        unobs = self.y_idx[~self.observable]
        Vz = V.copy()
        Vz[unobs] = 0.0
        row_scale = abs(self.model.jacobian(np.nan_to_num(self.v_hat))) @ np.abs(Vz)
        row_scale[:self.model.n_b] += np.abs(self.model.ds_known)[:, None]
        touched = np.zeros(self.model.n_c, dtype=bool)
        if len(unobs):
            touched = np.asarray(abs(self.model.jacobian(np.nan_to_num(self.v_hat))[:, unobs]).sum(axis=1)
                                 ).ravel() > 0
        rel = np.abs(F[~touched]) / np.maximum(row_scale[~touched], 1e-300)
        ok = np.all(rel <= 1e-9, axis=0) & np.all(np.isfinite(V[self.x_idx]), axis=0)
        V[unobs] = np.nan
        return V, ok


def reconcile(park: Any, bounds: bool = False, *, alpha: float = 0.05, max_iter: int = 100,
              tol: float = 1e-10, covariance: bool | None = None) -> ReconcileResult:
    """Solve the unknown flows of ``park`` and reconcile its measured flows and transfer coefficients.

    Parameters
    ----------
    park : mfa.Park
        Flow values in t/a; ``value`` NaN = unknown; ``sigma`` NaN (or 0) = exact, else the standard
        uncertainty in t/a; ``tc`` = share of the source process's total input leaving through the flow,
        ``tc_sigma`` its standard uncertainty (NaN = exact).
    bounds : bool
        Keep reconciled flows ≥ 0 and coefficients in [0, 1] (active set: violators are fixed at the bound,
        variables whose KKT multiplier has the wrong sign are released); a computed flow that comes out
        negative raises :class:`mfa.errors.MfaError`.
    alpha : float
        Significance level of the gross-error test on normalised adjustments (two-sided, default 0.05:
        |adjustment / σ_adjustment| > 1.96 flags a gross error).
    max_iter, tol
        Iteration limit and relative step tolerance of the iterative linearisation. Non-convergence raises
        :class:`mfa.errors.MfaError` with the last step and residual.
    covariance : bool or None
        Propagate uncertainties (σ of every reconciled and computed variable, first order, with
        covariances). None (default) = unless the predicted cost is prohibitive: small systems use a dense
        Cholesky; large ones a supernodal sparse Cholesky (AMD order) whose *projected inverse* gives the σ of
        every measured flow and one batched triangular solve per computed variable (see ``mfa._chordal``).
        The cost is predicted from the symbolic factorisation; above about 10¹² floating-point operations or
        1.5·10⁸ non-zeros in the factor (expander-like random networks of several 10⁵ flows) propagation is
        skipped, ``uncertainty_propagated`` is False, ``uncertainty_skipped`` says why and what it would
        cost, and sigma is NaN for reconciled and computed values. True forces it; False skips it.

    Returns
    -------
    ReconcileResult
        ``.flows``, ``.transfer_coefficients``, ``.stock_changes``, ``.combinations`` (DataFrames),
        ``.chi2``, ``.dof``, ``.p_value``, ``.converged``, ``.iterations``, ``.max_residual``, ``.park``,
        ``.to_dict()`` / ``.to_json()``.

    Conventions: χ² = Σ (x̂ − x)² / σ² over measured variables, with dof = number of independent
    redundancy equations; p_value = P(χ²_dof ≥ χ²) (1.0 when dof = 0). A park without redundancy is solved,
    not rejected (dof 0).
    """
    from mfa.park import require_park

    require_park(park, "reconcile")
    from scipy.special import chdtrc, ndtri

    model = _model_from_park(park)
    res = _solve(model, bounds=bounds, max_iter=max_iter, tol=tol, covariance=covariance, alpha=alpha)
    z_crit = float(ndtri(1 - alpha / 2))
    res["alpha"] = alpha
    dof = res["dof"]
    res["p_value"] = float(chdtrc(dof, res["chi2"])) if dof > 0 else 1.0
    return _build_result(park, model, res, z_crit)


def _solve(model: _Model, *, bounds: bool, max_iter: int, tol: float, covariance: bool, alpha: float,
           ) -> dict:
    kind = model.kind.copy()
    v_m = model.value0.copy()
    lb = np.zeros(model.n_v)
    ub = np.full(model.n_v, np.inf)
    ub[model.n_f:model.n_f + model.n_t] = 1.0
    lb[model.n_f + model.n_t:] = -np.inf  # stock changes may be negative

    # Bounds by an active set: violators are fixed at their bound; a fixed variable whose KKT multiplier has
    # the wrong sign (the objective would fall by moving it back inside) is released, one at a time.
    at_lower = np.zeros(model.n_v, dtype=bool)
    at_upper = np.zeros(model.n_v, dtype=bool)
    settled = False
    for _ in range(2 * model.n_v + 10):
        out = _iterate(model, kind, v_m, max_iter=max_iter, tol=tol)
        if not bounds:
            settled = True
            break
        v = out["v"]
        x_idx = out["x_idx"]
        low = x_idx[v[x_idx] < lb[x_idx] - 1e-12 * np.maximum(1, np.abs(model.value0[x_idx]))]
        high = x_idx[v[x_idx] > ub[x_idx] + 1e-12]
        if len(low) or len(high):
            kind[low] = 0
            v_m[low] = lb[low]
            at_lower[low] = True
            kind[high] = 0
            v_m[high] = ub[high]
            at_upper[high] = True
            continue
        fixed = np.flatnonzero(at_lower | at_upper)
        if len(fixed):
            A, normal = out["A"], out["normal"]
            xm = model.value0[x_idx]
            lam = normal.solve(A @ (xm - v[x_idx])) if A.shape[0] else np.zeros(0)
            a = (out["P_kept"] @ model.jacobian(v)[:, fixed]).tocsc() if A.shape[0] else None
            alam = (a.T @ lam) if a is not None else np.zeros(len(fixed))
            grad = (v[fixed] - model.value0[fixed]) / model.sigma[fixed] ** 2
            mu = np.where(at_lower[fixed], grad + alam, -grad - alam)
            scale = np.maximum(np.abs(grad), np.abs(alam)) + 1e-300
            worst = int(np.argmin(mu / scale))
            if mu[worst] < -1e-9 * scale[worst]:
                i = fixed[worst]
                kind[i] = 1
                v_m[i] = model.value0[i]
                at_lower[i] = at_upper[i] = False
                continue
        y_idx = out["y_idx"]
        neg = y_idx[out["observable"] & (v[y_idx] < lb[y_idx] - 1e-9 * np.maximum(1.0, np.abs(v[y_idx])))]
        if len(neg):
            labels = model.variable_labels()
            lines = [f"{labels[i]} = {v[i]:.6g}" for i in neg[:20]]
            raise MfaError("with bounds, these computed values are still negative (the exact and "
                           "reconciled data force them below zero):\n  - " + "\n  - ".join(lines))
        settled = True
        break
    if not settled:
        raise MfaError("the bounded reconciliation did not settle (active set cycling); try without bounds")
    fixed_at_bound = at_lower | at_upper
    out["fixed_at_bound"] = fixed_at_bound
    out["v_measured"] = model.value0
    out["kind_used"] = kind
    # the determined combinations of unobservable flows, whether or not their σ is propagated
    comb_rows, out["comb_meta"] = _combinations(model, out)
    out["uncertainty_skipped"] = None
    if covariance is not False:
        out["uncertainty_skipped"] = _propagate(model, out, comb_rows, only_if_affordable=covariance is None)
        covariance = out["uncertainty_skipped"] is None
    out["uncertainty_propagated"] = bool(covariance)
    if not covariance:
        out["var"] = np.full(model.n_v, np.nan)
        out["var_adj"] = np.full(model.n_v, np.nan)
        out["comb_var"] = None
    # χ² on the original measurements (variables fixed at a bound count with their full adjustment)
    m = model.kind == 1
    d = out["v"][m] - model.value0[m]
    out["chi2"] = float(np.sum(d * d / model.sigma[m] ** 2))
    return out


def _unaffordable(normal: _Normal, H: sp.spmatrix) -> str | None:
    """Why propagating uncertainties by default would cost too much (the predicted cost), or None."""
    cost = normal.quadratic_cost(H)
    if cost is None:
        if normal.n <= _DENSE_LIMIT or normal.n <= _AUTO_COVARIANCE_LIMIT:
            return None
        return (f"{normal.n} reduced equations and no sparse Cholesky (install chompack); "
                "pass covariance=True (--covariance) to propagate anyway")
    flops, nnz = cost
    if flops <= _AUTO_COVARIANCE_FLOPS and nnz <= _AUTO_COVARIANCE_NNZ:
        return None
    return (f"propagating would take about {flops:.2g} floating-point operations and a factor of "
            f"{nnz:.3g} non-zeros ({16 * nnz / 1e9:.1f} GB); pass covariance=True (--covariance) "
            "to propagate anyway")


def _iterate(model: _Model, kind: np.ndarray, v_m: np.ndarray, *, max_iter: int, tol: float) -> dict:
    x_idx = np.flatnonzero(kind == 1)
    y_idx = np.flatnonzero(kind == 2)
    z_idx = np.flatnonzero(kind == 0)
    q = model.sigma[x_idx] ** 2
    Q = sp.diags(q)
    xm = v_m[x_idx]
    v = np.where(kind == 2, 0.0, v_m)
    labels_eq = model.equation_labels()
    independent: list = []          # patterns of reduced systems found independent (bilinear iterations)

    J = model.jacobian(v)
    Jy = J[:, y_idx]
    el = _eliminate(Jy)
    # Starting unknowns from the measurements as given (exact where the unknowns enter linearly).
    F = model.residual(v)
    v[y_idx] = el.Yplus @ (-F)
    bilinear = model.bilinear or False
    scale = max(np.max(np.abs(v), initial=0.0), 1.0)

    converged = False
    it = 0
    last_step = np.inf
    unobs_v = np.zeros(model.n_v, dtype=bool)

    def residuals(v):
        unobs_v[:] = False
        unobs_v[y_idx[~el.observable]] = True
        F = model.residual(v)
        row_scale = model.row_scale(np.where(unobs_v, 0.0, v))
        # a floor of 1e-10 of the largest throughput: below that, rounding of the big flows dominates
        floor = 1e-10 * max(float(np.max(row_scale, initial=0.0)), 1e-300)
        return F, np.abs(F) / np.maximum(row_scale, floor)

    refine = 0
    for it in range(1, max_iter + 1):
        if it == 1 or bilinear:
            # (re-)linearise; for linear equations once: later passes only refine with the same factors
            J = model.jacobian(v)
            Jx = J[:, x_idx]
            if it > 1:
                el = _eliminate(J[:, y_idx], previous=el)
            F = model.residual(v)
            A = (el.P @ Jx).tocsr()
            rhs = A @ v[x_idx] - el.P @ F
            A, rhs, keep = _drop_empty_rows(A, rhs, el, model, v, labels_eq, independent, Jx)
            P_kept = el.P[keep] if not keep.all() else el.P
            QAt = (Q @ A.T).tocsr()
            normal = _Normal((A @ QAt).tocsr())
        else:
            F = model.residual(v)
            rhs = A @ v[x_idx] - P_kept @ F
        x = v[x_idx]
        lam = normal.solve(A @ xm - rhs)
        x_new = xm - QAt @ lam
        y_new = v[y_idx] + el.Yplus @ (-F - Jx @ (x_new - x))
        step = max(np.max(np.abs(x_new - x), initial=0.0), np.max(np.abs(y_new - v[y_idx]), initial=0.0))
        if not np.isfinite(step):
            break
        v[x_idx] = x_new
        v[y_idx] = y_new
        scale = max(np.max(np.abs(v), initial=0.0), 1.0)
        last_step = step
        if bilinear:
            if step <= tol * scale:
                converged = True
                break
        else:
            # linear: the first pass is the solution; refine rounding (at most twice) with the same factors
            converged = True
            _, rel = residuals(v)
            if float(np.max(rel, initial=0.0)) <= 1e-12 or refine >= 2:
                break
            refine += 1
    if bilinear and converged:
        # re-linearise at the solution for classification and uncertainty
        J = model.jacobian(v)
        Jx = J[:, x_idx]
        el = _eliminate(J[:, y_idx], previous=el)
        F = model.residual(v)
        A = (el.P @ Jx).tocsr()
        rhs = A @ v[x_idx] - el.P @ F
        A, rhs, keep = _drop_empty_rows(A, rhs, el, model, v, labels_eq, independent, Jx)
        QAt = (Q @ A.T).tocsr()
        normal = _Normal((A @ QAt).tocsr())

    F, rel = residuals(v)
    max_res = float(np.max(np.abs(F), initial=0.0))
    max_rel = float(np.max(rel, initial=0.0))
    if not bilinear:
        it = 1
    if not converged or max_rel > 1e-6:
        worst = int(np.argmax(rel)) if len(rel) else 0
        raise MfaError(
            f"reconciliation did not converge after {it} iteration(s) (limit {max_iter}): last step "
            f"{last_step:.3g}, largest constraint residual {max_res:.3g} t/a ({max_rel:.3g} of the throughput, "
            f"in the {labels_eq[worst] if len(labels_eq) else '-'}). The data may be contradictory or the "
            "transfer coefficients ill-posed; try bounds=True (--bounds), check σ larger than the values, "
            "or fix gross errors first.")
    return {"v": v, "x_idx": x_idx, "y_idx": y_idx, "z_idx": z_idx, "A": A, "QAt": QAt, "normal": normal,
            "el": el, "Jx": Jx, "observable": el.observable, "iterations": it, "converged": converged,
            "P_kept": el.P[keep] if not keep.all() else el.P,
            "max_residual": max_res, "max_residual_rel": max_rel, "dof": int(normal.rank), "q": q}


def _drop_empty_rows(A, rhs, el, model, v, labels_eq, independent: list | None = None, Jx=None):
    """Reduced equations that involve no measured variable only check exact data: they must hold, and are
    dropped from the reconciliation."""
    norms = np.sqrt(np.asarray(A.multiply(A).sum(axis=1)).ravel())
    # yardstick: the same combination applied to each equation's throughput
    scale = abs(el.P) @ model.row_scale(v)
    if Jx is not None:
        # A row is empty when what is left of it is rounding of the entries that went into it: measured
        # against |P|·|J_x| of that row, so the size of other rows' entries (a transfer coefficient's column
        # holds its source's whole input, 10¹² t/a at province scale) never makes a ±1 row look empty.
        ref = abs(el.P) @ abs(Jx)
        ref_norm = np.sqrt(np.asarray(ref.multiply(ref).sum(axis=1)).ravel())
        empty = norms <= 1e-12 * ref_norm
    else:
        col_scale = np.sqrt(np.asarray(abs(el.P) @ np.ones(model.n_c)).ravel())
        empty = norms <= 1e-12 * np.maximum(col_scale, 1.0) * max(1.0, float(np.max(np.abs(A.data), initial=1.0)))
    bad = empty & (np.abs(rhs) > 1e-9 * np.maximum(scale, 1.0))
    if bad.any():
        lines = []
        for i in np.flatnonzero(bad)[:10]:
            eqs = np.flatnonzero(el.comp_of_row == el.P_comp[i])
            names = ", ".join(labels_eq[eqs][:6]) + (" …" if len(eqs) > 6 else "")
            lines.append(f"{names}: off by {abs(rhs[i]):.6g} t/a")
        raise MfaError("the exact data contradict the model equations (no measured value can absorb the "
                       "difference):\n  - " + "\n  - ".join(lines) +
                       "\n(give one of the flows involved a sigma, or correct the values)")
    keep = ~empty
    if empty.any():
        A, rhs = A[keep], rhs[keep]
    dep = _drop_dependent_rows(A, rhs, el.P[keep] if empty.any() else el.P, scale[keep], labels_eq,
                               independent)
    if dep is not None:
        kept = np.flatnonzero(keep)
        keep[kept[~dep]] = False
        A, rhs = A[dep], rhs[dep]
    return A, rhs, keep


def _drop_dependent_rows(A: sp.csr_matrix, rhs: np.ndarray, P: sp.csr_matrix, scale: np.ndarray,
                         labels_eq: np.ndarray, independent: list | None = None) -> np.ndarray | None:
    """Reduced equations that are combinations of others (a group of processes whose every flow across
    its border is exact: their joint balance only checks exact data). Each such combination must hold; it
    is then dropped, so that A Q Aᵀ is non-singular. Returns the mask of rows to keep, or None if all are
    independent. Contradictions are reported with the processes involved."""
    from mfa import _triangular

    if not A.shape[0]:
        return None
    M = _triangular.clean(A)
    if independent is not None and any(_same_pattern(M, B) for B in independent):
        return None                                 # a matrix of this pattern was found independent
    if not len(_triangular.peel(M).rest_rows):
        if independent is not None:
            independent.append(M)                   # every row pivoted: independent (the usual case)
        return None
    red = _triangular.reduce(M)
    if red.rank == A.shape[0]:
        return None
    L, _ = red.left_null()                          # dependent combinations of the reduced equations
    off = np.abs(L @ rhs)
    yard = abs(L) @ np.maximum(scale, 1.0)
    bad = np.flatnonzero(off > 1e-9 * yard)
    if len(bad):
        eqs = (abs(L[bad]) @ abs(P)).tocsr()
        lines = []
        for i, b in enumerate(bad[:10]):
            e = eqs.indices[eqs.indptr[i]:eqs.indptr[i + 1]]
            e = np.sort(e)
            names = ", ".join(labels_eq[e][:8]) + (f" … ({len(e)} equations)" if len(e) > 8 else "")
            lines.append(f"{names}: off by {off[b]:.6g} t/a")
        raise MfaError("the exact data contradict the model equations: these processes exchange only exact "
                       "flows with the rest of the park, and their joint balance does not hold (no measured "
                       "value can absorb the difference):\n  - " + "\n  - ".join(lines) +
                       "\n(give one of the flows across their border a sigma, or correct the values)")
    return red.independent_rows()


def _propagate(model: _Model, out: dict, comb_rows: sp.csr_matrix | None,
               only_if_affordable: bool = False) -> str | None:
    """σ of every reconciled and computed variable: Cov(x̂) = Q − Q Aᵀ M⁻¹ A Q, computed values by
    first-order propagation through the block pseudo-inverse; only the diagonals are formed.
    ``comb_rows`` are the determined combinations of unobservable unknowns (:func:`_combinations`).
    With ``only_if_affordable``, returns why not (see :func:`_unaffordable`) instead of propagating when
    the predicted cost is too high; None once propagated."""
    x_idx, y_idx = out["x_idx"], out["y_idx"]
    el = out["el"]
    q = out["q"]
    QAt = out["QAt"]                   # n_x × n_a
    normal = out["normal"]
    n_x = len(x_idx)
    # Sensitivities of the outputs to the measurements: x̂ itself, observable unknowns, combinations.
    K = -(el.Yplus @ out["Jx"]).tocsr()                      # n_y × n_x
    Kc = comb_rows @ K if comb_rows is not None else None
    O = sp.vstack([sp.identity(n_x, format="csr"), K] + ([Kc.tocsr()] if Kc is not None else []),
                  format="csr")
    prior = np.asarray((O.multiply(O)) @ q).ravel()        # diag(O Q Oᵀ)
    H = (O @ QAt).T.tocsc()                                 # n_a × n_o
    if only_if_affordable:
        why = _unaffordable(normal, H)
        if why is not None:
            return why
    red = normal.inverse_quadratic(H)
    var = prior - red
    # Cancellation: Q − QAᵀM⁻¹AQ loses digits when a value is (almost) fixed by exact data; a posterior
    # variance below 1e-8 of the prior (σ below 1e-4 of the prior σ) is rounding and reported as 0.
    var[var <= 1e-8 * prior] = 0.0
    out_var = np.full(model.n_v, np.nan)
    out_var[x_idx] = var[:n_x]
    out_var[y_idx] = np.where(el.observable, var[n_x:n_x + len(y_idx)], np.nan)
    out_var[out["z_idx"]] = 0.0
    var_adj = np.full(model.n_v, np.nan)
    var_adj[x_idx] = np.maximum(red[:n_x], 0.0)
    out["var"] = out_var
    out["var_adj"] = var_adj
    out["comb_var"] = var[n_x + len(y_idx):] if Kc is not None else None
    return None


def _combinations(model: _Model, out: dict):
    """Determined combinations cᵀy of unobservable unknowns, per component: c ⟂ null space restricted to
    the unobservable unknowns, in reduced row echelon form (canonical: the same whatever basis the null
    space came in). Returned as sparse rows over the unknowns (for propagation) and metadata. Components
    with more than ``_COMBINATION_LIMIT`` unobservable unknowns are counted in ``out['combinations_skipped']``
    instead (their echelon form is dense)."""
    el = out["el"]
    y_idx = out["y_idx"]
    labels = model.variable_labels()
    rows, meta = [], []
    out["combinations_skipped"] = 0
    N = el.null.tocsc()
    unobs = np.flatnonzero(~el.observable)
    if not len(unobs) or not N.shape[1]:
        return None, []
    comp_u = el.comp_of_y[unobs]
    order_u = np.argsort(comp_u, kind="stable")
    order_n = np.argsort(el.null_comp, kind="stable")
    comps, start_u = np.unique(comp_u[order_u], return_index=True)
    end_u = np.r_[start_u[1:], len(order_u)]
    nsorted = el.null_comp[order_n]
    Nr = N.tocsr()
    for comp, s0, s1 in zip(comps, start_u, end_u):
        yi = unobs[order_u[s0:s1]]                            # ascending unknown index
        if len(yi) < 2:
            continue
        if len(yi) > _COMBINATION_LIMIT:
            out["combinations_skipped"] += 1
            continue
        a, b = np.searchsorted(nsorted, [comp, comp + 1])
        NU = Nr[yi][:, order_n[a:b]].toarray()                # u × k
        NU = NU / np.maximum(np.abs(NU).max(axis=0), 1e-300)
        # combinations c with cᵀ NU = 0
        Uc, Sc, Vc = np.linalg.svd(NU.T, full_matrices=True)
        r = int((Sc > _NULL_TOL * max(Sc.max(initial=0), 1e-300)).sum())
        basis = Vc[r:]                                        # (u − r) × u
        if not len(basis):
            continue
        basis = _rref(basis)
        for c in basis:
            nz = np.flatnonzero(np.abs(c) > 1e-9)
            c = c / np.max(np.abs(c[nz]))
            c = np.where(np.abs(c - np.round(c)) < 1e-9, np.round(c), c)
            yk = yi[nz]
            row = sp.csr_matrix((c[nz], (np.zeros(len(nz), dtype=int), yk)), shape=(1, len(y_idx)))
            rows.append(row)
            terms = [(float(a), str(labels[y_idx[j]])) for a, j in zip(c[nz], yk)]
            value = float(np.dot(c[nz], out["v"][y_idx[yk]]))
            meta.append((terms, value))
    if not rows:
        return None, []
    return sp.vstack(rows, format="csr"), meta


def _rref(B: np.ndarray) -> np.ndarray:
    """Reduced row echelon form of a small full-row-rank matrix (readable combinations)."""
    B = B.copy()
    rows, cols = B.shape
    r = 0
    for c in range(cols):
        if r >= rows:
            break
        p = r + int(np.argmax(np.abs(B[r:, c])))
        if abs(B[p, c]) < 1e-9:
            continue
        B[[r, p]] = B[[p, r]]
        B[r] /= B[r, c]
        for i in range(rows):
            if i != r:
                B[i] -= B[i, c] * B[r]
        r += 1
    return B[:r]


def _build_result(park: Any, model: _Model, out: dict, z_crit: float) -> ReconcileResult:
    n_f, n_t = model.n_f, model.n_t
    v = out["v"].copy()
    var = out["var"]
    y_idx = out["y_idx"]
    observable = out["observable"]
    unobs = np.zeros(model.n_v, dtype=bool)
    unobs[y_idx[~observable]] = True
    v[unobs] = np.nan

    # status per variable
    status = np.empty(model.n_v, dtype=object)
    status[model.kind == 0] = "exact"
    status[model.kind == 2] = "computed"
    status[unobs] = "unobservable"
    x_idx = out["x_idx"]
    A = out["A"]
    col_norm = np.sqrt(np.asarray(A.multiply(A).sum(axis=0)).ravel()) if A.shape[0] else np.zeros(len(x_idx))
    # a measurement is redundant if some reduced equation involves it (relative to its own size)
    jcol = np.sqrt(np.asarray(out["Jx"].multiply(out["Jx"]).sum(axis=0)).ravel())
    redundant = col_norm > 1e-10 * np.maximum(jcol, 1e-300)
    meas = model.kind == 1
    status[meas] = "measured"
    status[x_idx[redundant]] = "reconciled"
    status[meas & out["fixed_at_bound"]] = "reconciled"

    sigma = np.sqrt(var)
    sigma[unobs] = np.nan
    sigma[model.kind == 0] = np.nan
    # non-redundant measurements keep their σ
    nonred = meas & (status == "measured")
    sigma[nonred] = model.sigma[nonred]
    if np.isnan(out["var"]).all():
        sigma[(status == "reconciled") | (status == "computed")] = np.nan

    adj = np.where(meas, v - model.value0, np.nan)
    sd_adj = np.sqrt(out["var_adj"]) if out["var_adj"] is not None else np.full(model.n_v, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(meas & (sd_adj > 1e-12 * np.maximum(model.sigma, 1e-300)), adj / sd_adj, np.nan)
    z = np.where(meas & (status == "measured"), 0.0, z)
    gross = np.nan_to_num(np.abs(z)) > z_crit

    flows_in = park.flows
    flows = pd.DataFrame({
        "id": flows_in["id"], "source": flows_in["source"], "target": flows_in["target"],
        "material": flows_in["material"],
        "value": v[:n_f], "sigma": sigma[:n_f], "status": status[:n_f],
        "measured": model.value0[:n_f], "measured_sigma": model.sigma[:n_f],
        "adjustment": adj[:n_f], "normalised_adjustment": z[:n_f], "gross_error": gross[:n_f],
    })
    sl = slice(n_f, n_f + n_t)
    tcs = pd.DataFrame({
        "flow": model.flow_ids[model.tc_flow], "value": v[sl], "sigma": sigma[sl], "status": status[sl],
        "measured": model.value0[sl], "measured_sigma": model.sigma[sl], "adjustment": adj[sl],
        "normalised_adjustment": z[sl], "gross_error": gross[sl],
    })
    ss = slice(n_f + n_t, model.n_v)
    stocks = pd.DataFrame({
        "process": model.process_ids[model.balance_proc[model.ds_var]], "value": v[ss], "sigma": sigma[ss],
        "status": status[ss],
    })
    meta = out.get("comb_meta") or []
    comb_var = out.get("comb_var")
    comb = pd.DataFrame({
        "expression": [_expression(t) for t, _ in meta],
        "terms": [t for t, _ in meta],
        "value": [val for _, val in meta],
        "sigma": (np.sqrt(comb_var) if comb_var is not None else np.full(len(meta), np.nan)),
    }) if meta else pd.DataFrame({"expression": pd.Series([], dtype=object), "terms": pd.Series([], dtype=object),
                                   "value": pd.Series([], dtype=float), "sigma": pd.Series([], dtype=float)})
    lin = LinearModel(model=model, x_idx=x_idx, y_idx=y_idx, A=A, QAt=out["QAt"], normal=out["normal"],
                      P=out["P_kept"], Yplus=out["el"].Yplus, Jx=out["Jx"], v_hat=out["v"].copy(),
                      observable=observable)

    def _cov(ids: list[str]) -> pd.DataFrame:
        return _covariance(model, out, ids)

    return ReconcileResult(
        flows=flows, transfer_coefficients=tcs, stock_changes=stocks, combinations=comb,
        converged=out["converged"], iterations=out["iterations"], chi2=out["chi2"], dof=out["dof"],
        p_value=out["p_value"], max_residual=out["max_residual"], max_residual_rel=out["max_residual_rel"],
        alpha=out["alpha"], linear_model=lin, _input_park=park, _cov=_cov,
        uncertainty_propagated=out["uncertainty_propagated"], uncertainty_skipped=out.get("uncertainty_skipped"),
        combinations_skipped=out.get("combinations_skipped", 0))


def _expression(terms: list[tuple[float, str]]) -> str:
    parts = []
    for i, (a, name) in enumerate(terms):
        sign = "-" if a < 0 else "+"
        mag = abs(a)
        coef = "" if abs(mag - 1) < 1e-12 else f"{mag:.6g}·"
        parts.append((("-" if sign == "-" else "") if i == 0 else f" {sign} ") + coef + name)
    return "".join(parts)


def _covariance(model: _Model, out: dict, ids: list[str]) -> pd.DataFrame:
    labels = model.variable_labels()
    pos = {str(l): i for i, l in enumerate(labels)}
    missing = [i for i in ids if i not in pos]
    if missing:
        from mfa.errors import suggest

        hint = suggest(missing[0], pos)
        raise MfaError(f"unknown variable {missing[0]!r}" + (f" — {hint}" if hint else ""))
    x_idx, y_idx = out["x_idx"], out["y_idx"]
    el = out["el"]
    xpos = np.full(model.n_v, -1)
    xpos[x_idx] = np.arange(len(x_idx))
    ypos = np.full(model.n_v, -1)
    ypos[y_idx] = np.arange(len(y_idx))
    K = -(el.Yplus @ out["Jx"]).tocsr()
    rows = []
    for name in ids:
        i = pos[name]
        if xpos[i] >= 0:
            rows.append(sp.csr_matrix(([1.0], ([0], [xpos[i]])), shape=(1, len(x_idx))))
        elif ypos[i] >= 0 and el.observable[ypos[i]]:
            rows.append(K[ypos[i]])
        elif ypos[i] >= 0:
            raise MfaError(f"{name!r} is unobservable: it has no value and no covariance")
        else:
            rows.append(sp.csr_matrix((1, len(x_idx))))
    O = sp.vstack(rows, format="csr")
    q = out["q"]
    prior = (O @ sp.diags(q) @ O.T).toarray()
    H = (O @ out["QAt"]).T.toarray()
    C = prior - H.T @ out["normal"].solve(H) if H.shape[0] else prior
    return pd.DataFrame(C, index=ids, columns=ids)
