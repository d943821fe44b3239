"""The equations of a park: its flows, transfer coefficients and unknown stock changes as one vector of
variables, and the balances and transfer-coefficient equations as residuals with a sparse Jacobian.

* one **balance** per internal process: ``Σ inputs − Σ outputs − Δstock = 0`` (``Δstock`` known, 0, or an
  unknown for storage processes without stock data);
* one **transfer-coefficient equation** per flow ``k`` with a ``tc``: ``f_k − tc_k · Σ inputs(source(k)) = 0``
  (bilinear when the coefficient is measured).

Every variable is *exact* (kind 0), *measured* (kind 1, with a σ) or *unknown* (kind 2).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import scipy.sparse as sp

from mfa.compile import Count
from mfa.conventions import STOCK_KINDS
from mfa.errors import MfaError

if TYPE_CHECKING:  # pragma: no cover
    from mfa.park import Park

__all__ = ["Model", "model_from_park", "example_park", "throughput", "EXACT", "MEASURED", "UNKNOWN"]

# kinds of variables
EXACT, MEASURED, UNKNOWN = 0, 1, 2


def example_park() -> "Park":
    """A small park for examples: supply → plant → customers, both measured, and a landfill flow left
    unknown.

    Returns
    -------
    mfa.Park

    Examples
    --------
    >>> example_park().flows[["id", "value", "sigma"]].to_dict("records")[2]
    {'id': 'plant>dump:coal_gangue', 'value': nan, 'sigma': nan}
    """
    import mfa

    return mfa.Park.from_frames(
        processes=[{"id": "in", "name": "Supply", "kind": "import"},
                   {"id": "plant", "name": "Plant", "kind": "production"},
                   {"id": "out", "name": "Customers", "kind": "export"},
                   {"id": "dump", "name": "Dump", "kind": "landfill"}],
        flows=[{"source": "in", "target": "plant", "material": "coal_gangue", "value": 100, "sigma": 5},
               {"source": "plant", "target": "out", "material": "coal_gangue", "value": 60, "sigma": 3},
               {"source": "plant", "target": "dump", "material": "coal_gangue"}])


@dataclass
class Model:
    """Variables and equations of a park.

    Variable vector ``v = [flows (n_f), transfer coefficients (n_t), unknown stock changes (n_s)]``.
    Equations: balances of internal processes, then one transfer-coefficient equation per coefficient.
    Built by :func:`model_from_park`.

    Attributes
    ----------
    flow_ids, process_ids : numpy.ndarray
        Identifiers of the flows and processes, in the park's order.
    src, tgt : numpy.ndarray
        Source and target process index of every flow.
    n_p : int
        Number of processes.
    balance_proc : numpy.ndarray
        Process index of each balance equation.
    ds_known : numpy.ndarray
        Known stock change (t/a) per balance equation (0 where none or unknown).
    ds_var : numpy.ndarray
        Balance-equation index of each unknown (or measured) stock change.
    tc_flow : numpy.ndarray
        Flow index of each transfer coefficient.
    value0, sigma : numpy.ndarray
        Values as given and standard uncertainties of all variables (NaN: unknown / not measured).
    kind : numpy.ndarray
        ``EXACT`` (0), ``MEASURED`` (1) or ``UNKNOWN`` (2) per variable.
    inc_b : scipy.sparse.csr_matrix
        Balance rows of the incidence matrix (n_b × n_f).
    inflow : scipy.sparse.csr_matrix
        n_p × n_f, 1 where the flow enters the process.
    n_f, n_t, n_s, n_v : int
        Numbers of flows, transfer coefficients, stock-change variables, and all variables (their sum).
    n_b, n_c : int
        Numbers of balance equations, and of all equations (``n_b + n_t``).

    Examples
    --------
    >>> m = model_from_park(example_park())
    >>> m.n_f, m.n_b, m.n_t, m.kind.tolist()
    (3, 1, 0, [1, 1, 2])
    >>> m.n_s, m.n_v, m.n_c
    (0, 3, 1)
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
    # the Jacobian's sparsity pattern and where each term lands in it, built on first use (see jacobian)
    _jacobian_pattern: tuple | None = field(default=None, init=False, repr=False, compare=False)

    # the sizes of the variable vector and of the equations (counts, in the class docstring's example)
    n_f = Count("flow_ids", doc="Number of flows.")
    n_t = Count("tc_flow", doc="Number of transfer coefficients.")
    n_s = Count("ds_var", doc="Number of unknown (or measured) stock-change variables.")
    n_v = Count("flow_ids", "tc_flow", "ds_var", doc="Number of variables: ``n_f + n_t + n_s``.")
    n_b = Count("balance_proc", doc="Number of balance equations, one per balanced (internal) process.")
    n_c = Count("balance_proc", "tc_flow", doc="Number of equations: ``n_b + n_t``.")

    @property
    def bilinear(self) -> bool:
        """True when a measured coefficient multiplies a flow that is not exact.

        Returns
        -------
        bool
            Whether the constraints are bilinear (not linear).

        Examples
        --------
        >>> model_from_park(example_park()).bilinear
        False
        """
        return bool(np.any(self.kind[self.n_f:self.n_f + self.n_t] == 1))

    def variable_labels(self) -> np.ndarray:
        """Names of the variables: flow ids, ``tc[<flow id>]``, ``Δstock[<process>]``.

        Returns
        -------
        numpy.ndarray
            One label (str) per variable.

        Examples
        --------
        >>> model_from_park(example_park()).variable_labels().tolist()[-1]
        'plant>dump:coal_gangue'
        """
        tc = np.array([f"tc[{f}]" for f in self.flow_ids[self.tc_flow]], dtype=object)
        ds = np.array([f"Δstock[{p}]" for p in self.process_ids[self.balance_proc[self.ds_var]]],
                      dtype=object)
        return np.concatenate([self.flow_ids.astype(object), tc, ds])

    def equation_labels(self) -> np.ndarray:
        """Names of the equations, as error messages quote them.

        Returns
        -------
        numpy.ndarray
            One label (str) per equation.

        Examples
        --------
        >>> model_from_park(example_park()).equation_labels().tolist()
        ["balance of process 'plant'"]
        """
        bal = np.array([f"balance of process '{p}'" for p in self.process_ids[self.balance_proc]], dtype=object)
        tc = np.array([f"transfer coefficient of flow '{f}'" for f in self.flow_ids[self.tc_flow]],
                      dtype=object)
        return np.concatenate([bal, tc])

    # -- residuals and Jacobian ----------------------------------------------------------------------
    def residual(self, v: np.ndarray) -> np.ndarray:
        """The residuals F(v): balances then coefficient equations.

        Parameters
        ----------
        v : numpy.ndarray
            Variables, one vector (n_v) or many columns (n_v × S).

        Returns
        -------
        numpy.ndarray
            n_c residuals (t/a), or n_c × S.

        Examples
        --------
        >>> model_from_park(example_park()).residual(np.array([100.0, 60.0, 30.0])).tolist()
        [10.0]
        """
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
        """∂F/∂v at v.

        Parameters
        ----------
        v : numpy.ndarray
            Variables (n_v), no NaN.

        Returns
        -------
        scipy.sparse.csr_matrix
            n_c × n_v.

        Examples
        --------
        >>> model_from_park(example_park()).jacobian(np.array([100.0, 60.0, 40.0])).toarray().tolist()
        [[1.0, -1.0, -1.0]]
        """
        n_f, n_t = self.n_f, self.n_t
        target, indptr, indices, inc_data, sub_row, sub_data, src = self._pattern()
        vals = [inc_data, -np.ones(self.n_s)]
        if n_t:
            total_in = self.inflow @ v[:n_f]
            vals += [np.ones(n_t), -v[n_f:n_f + n_t][sub_row] * sub_data, -total_in[src]]
        # the terms summed into their places: the pattern is the same at every point, only the numbers change
        data = np.bincount(target, weights=np.concatenate(vals), minlength=len(indices))
        return sp.csr_matrix((data, indices, indptr), shape=(self.n_c, self.n_v))

    def _pattern(self) -> tuple:
        """The Jacobian's terms in the order :meth:`jacobian` lists them: the CSR place of each (duplicates
        share one), the CSR index arrays, and the constant arrays the values are made of."""
        key = (id(self.inc_b), self.n_c, self.n_v)
        if self._jacobian_pattern is not None and self._jacobian_pattern[0] == key:
            return self._jacobian_pattern[1]
        n_f, n_t, n_b = self.n_f, self.n_t, self.n_b
        inc = self.inc_b.tocoo()
        rows = [inc.row, self.ds_var]
        cols = [inc.col, n_f + n_t + np.arange(self.n_s)]
        src = self.src[self.tc_flow]
        sub = self.inflow[src].tocoo()               # row i: inputs of the source of coefficient i
        if n_t:
            rows += [n_b + np.arange(n_t), n_b + sub.row, n_b + np.arange(n_t)]
            cols += [self.tc_flow, sub.col, n_f + np.arange(n_t)]
        r = np.concatenate(rows).astype(np.int64)
        c = np.concatenate(cols).astype(np.int64)
        key_rc = r * max(self.n_v, 1) + c
        places, target = np.unique(key_rc, return_inverse=True)   # sorted by row, then column: CSR order
        index = np.int32 if len(places) < 2**31 and self.n_v < 2**31 else np.int64
        indptr = np.zeros(self.n_c + 1, dtype=index)
        np.cumsum(np.bincount(places // max(self.n_v, 1), minlength=self.n_c), out=indptr[1:])
        pattern = (target.ravel(), indptr, (places % max(self.n_v, 1)).astype(index),
                   np.asarray(inc.data, dtype=float), sub.row, np.asarray(sub.data, dtype=float), src)
        self._jacobian_pattern = (key, pattern)
        return pattern

    def row_scale(self, v: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
        """Throughput of each equation (Σ |terms|), the yardstick of 'relative' residuals.

        Parameters
        ----------
        v : numpy.ndarray
            Variables (n_v); NaN counts as 0.
        rows : numpy.ndarray, optional
            Only these equations, zero elsewhere.

        Returns
        -------
        numpy.ndarray
            n_c throughputs (t/a).

        Examples
        --------
        >>> model_from_park(example_park()).row_scale(np.array([100.0, 60.0, np.nan])).tolist()
        [160.0]
        """
        v = np.nan_to_num(v)
        return throughput(self.jacobian(v), np.abs(v), self.ds_known, rows)


def throughput(J: sp.csr_matrix, w: np.ndarray, ds_known: np.ndarray, rows: np.ndarray | None = None
               ) -> np.ndarray:
    """Σ |J_ij| w_j of each equation, plus the known stock change of each balance (the first ``len(ds_known)``
    equations): the throughput that relative residuals are measured against.

    Parameters
    ----------
    J : scipy.sparse.csr_matrix
        The Jacobian (n_c × n_v).
    w : numpy.ndarray
        |variables| (n_v).
    ds_known : numpy.ndarray
        Known stock change of each balance.
    rows : numpy.ndarray, optional
        Only these equations (zero elsewhere): the others need not be summed.

    Returns
    -------
    numpy.ndarray
        n_c throughputs.

    Examples
    --------
    >>> J = sp.csr_matrix(np.array([[1.0, -1.0], [0.0, 2.0]]))
    >>> throughput(J, np.array([3.0, 1.0]), np.array([0.5])).tolist(), throughput(J, np.ones(2), np.zeros(1),
    ...                                                                          np.array([1])).tolist()
    ([4.5, 2.0], [0.0, 2.0])
    """
    n_b = len(ds_known)
    if rows is None:
        scale = abs(J) @ w
        scale[:n_b] += np.abs(ds_known)
        return scale
    scale = np.zeros(J.shape[0])
    scale[rows] = abs(J[rows]) @ w
    b = rows[rows < n_b]
    scale[b] += np.abs(ds_known[b])
    return scale


def model_from_park(park: "Park") -> Model:
    """The variables and equations of ``park`` (from its compiled arrays).

    Parameters
    ----------
    park : mfa.Park
        Values in t/a; blank ``value`` = unknown; ``sigma`` makes a value measured; ``tc`` / ``tc_sigma``
        transfer coefficients; stocks rows give the stock changes (and their ``sigma``).

    Returns
    -------
    Model

    Raises
    ------
    mfa.errors.MfaError
        A coefficient outside [0, 1] or on a flow out of a boundary process, or exact coefficients of all
        the outputs of a process that do not sum to 1.

    Examples
    --------
    >>> m = model_from_park(example_park())
    >>> m.value0[:2].tolist(), m.sigma[:2].tolist()
    ([100.0, 60.0], [5.0, 3.0])
    """
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
    model = Model(flow_ids=np.asarray(c.flow_ids, dtype=object), process_ids=np.asarray(c.process_ids, dtype=object),
                   src=src, tgt=tgt, n_p=n_p, balance_proc=balance_proc, ds_known=ds_known, ds_var=ds_var,
                   tc_flow=tc_flow, value0=value0, sigma=sig, kind=var_kind, inc_b=inc[balance_proc],
                   inflow=inflow)
    _check_closed_tc(model, c.flow_ids)
    return model


def _check_closed_tc(model: Model, flow_ids: np.ndarray) -> None:
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
