"""Ecological network analysis (ENA) of a park: throughflow, cycling, structure, food-web and
information indices.

A park is read as an ENA network in one conserved currency (total mass by default, or one material, or one
material category):

* **Internal nodes** are the processes not of kind import, export, environment or landfill (production,
  collection, treatment, storage) that carry flow in the currency.
* **F** (n × n): ``f_ij`` = t/a flowing from internal node i to internal node j (row = donor, column =
  receiver; self-loops allowed).
* **z** (inputs): flows from boundary processes into internal nodes — imports, and also air or water drawn
  from an environment process, so that a combustion process keeps its mass balance.
* **y = e + r** (outputs): ``e`` = flows to export processes (usable export), ``r`` = flows to environment
  and landfill processes (dissipation).
* Stock change is part of the boundary: accumulation (Δstock > 0) is added to r, withdrawal from stock
  (Δstock < 0) to z. Stocks are in t, read as t/a over the reporting year.
* Unknown flows (NaN) are left out and counted in the notes; reconcile first (``mfa reconcile``) to fill them.

**Balance and orientation.** ENA assumes every node balances. Node residual = inputs − outputs − Δstock
(t/a, the :mod:`mfa.balance` convention), reported per node in :attr:`NetworkResult.nodes`. Where a node does
not balance, its input-side and output-side throughflows differ, and the ``orientation`` argument says which
one the metrics use (named in the result, its summary, the text output and the ``--json`` document):

* ``"output"`` (the default in total mass) — the data as given: ``T_i = Σ_j f_ij + y_i``, and
  ``g_ij = f_ij / T_i`` never exceeds a node's outputs, so ``N = (I − G)⁻¹`` exists for any data with an
  outlet. This reproduces enaR's published figures on unbalanced models: on the Oyster Reef (Dame & Patten
  1981; residuals up to 0.0005 kcal m⁻² d⁻¹) TST = 83.5833 as published. (enaR's ``enaFlow`` sums the input
  side of the data as given; on that model the two totals are equal and every flow statistic agrees to the
  published digits.)
* ``"input"`` (the default in one material or category) — residuals closed at the boundary first (a positive
  residual, more in than out, added to r, a negative one to z; columns ``closure_in``, ``closure_out``), then
  ``T_j = Σ_i f_ij + z_j``; after closure both sides are equal. On the Oyster Reef TST = 83.5839. In a
  single-material currency the residual is mostly conversion (fly ash entering a cement plant leaves as
  cement), which closure books as dissipation of the material and, where a node makes the material, as an
  input from outside (so APL and BFI count it).

Metrics (keys of :attr:`NetworkResult.metrics`; formulas after enaR, Borrett & Lau 2014, and NetIndices,
Soetaert & Kones; Fath & Borrett 2006 row → column form):

=====================  =================================================================================
``n_nodes``            internal nodes carrying flow in the currency
``n_links``            L, distinct directed internal pairs (i, j) with f_ij > 0 (self-loops count)
``connectance``        L / n²  (enaR); ``connectance_netindices`` = L_int / (n(n−1)) without self-loops;
                       ``connectance_community`` = 2 L_int / (n(n−1)) (Hardy & Graedel 2002)
``link_density``       L / n
``cyclicity``          spectral radius λ₁ of A = sign(F): 0 no cycles, 1 simple cycles, > 1 interlocking
                       cycles (Borrett, Fath & Patten 2007)
``tst``                total system throughflow Σ_j T_j (t/a)
``tstp``               total system throughput Σ f_ij + Σ z + Σ y (t/a)
``tstc``               cycled throughflow Σ_j (n_jj − 1)/n_jj · T_j, N = (I − G)⁻¹, g_ij = f_ij / T_i
``fci``                Finn cycling index TSTc / TST (Finn 1976); ``fci_b`` = TSTc / TSTp (NetIndices)
``apl``                average path length TST / Σz (Finn 1976)
``bfi, dfi, ifi``      boundary, direct and indirect flow intensity: Σz/TST, direct/TST, indirect/TST
``id_ratio``           realised indirect / direct flow (Borrett & Freeze 2011): direct = Σ_i z_i Σ_j g_ij,
                       indirect = Σ_i z_i Σ_j (N − I − G)_ij
``n_prey`` …           food-web measures on the internal supply matrix without self-loops (Hardy &
                       Graedel 2002; Layton, Bras & Weissburg 2016): prey (actors supplying another),
                       predators (actors receiving from another), ``prey_predator_ratio``,
                       ``generalisation`` L/n_pred, ``vulnerability`` L/n_prey,
                       ``specialised_predators`` (share of predators with one supplier),
                       ``exclusive_actors`` (share of actors that only supply or only receive)
``ascendency`` …       Ulanowicz on the extended matrix (input row, F, export and dissipation columns),
                       log base 2: ``flow_diversity`` H (bits), ``ami`` (bits), ``capacity`` = H·TSTp,
                       ``ascendency`` = AMI·TSTp, ``overhead`` = capacity − ascendency (bit·t/a),
                       ``relative_ascendency`` A/C, ``robustness`` = −(A/C) ln(A/C) (Ulanowicz et al. 2009)
=====================  =================================================================================

An acyclic network has cyclicity 0 and FCI 0 (with a note). A ratio whose denominator is 0 is ``None`` and
the reason is in :attr:`NetworkResult.notes`.

**Sparse computation.** Nodes are grouped into strongly connected components (SCC). Ordered by the
condensation's topological order, A and I − G are block triangular, so (i) λ₁(A) is the largest λ₁ of the
diagonal blocks and (ii) the diagonal of N = (I − G)⁻¹ is the diagonal of the inverses of the diagonal
blocks. A node in no cycle (a singleton SCC without self-loop) has n_jj = 1 exactly; only cyclic SCCs are
factorised. Small blocks use dense linear algebra, large ones ``scipy.sparse.linalg`` (``eigs`` on A + I,
whose Perron root is strictly dominant, and ``splu`` solves in column blocks for diag(N)). The realised
indirect flow needs no inverse where every node balances (T = Nᵀz, so Σ zᵀN = TST); otherwise one
sparse solve of (I − G)ᵀx = residual corrects it (Nᵀz = T + Nᵀ·residual on the output side).

>>> import mfa
>>> park = mfa.Park.from_frames(
...     processes=[{"id": "in", "name": "Import", "kind": "import"},
...                {"id": "a", "name": "A", "kind": "production"},
...                {"id": "b", "name": "B", "kind": "production"},
...                {"id": "out", "name": "Export", "kind": "export"}],
...     flows=[{"source": "in", "target": "a", "material": "coal", "value": 100},
...            {"source": "a", "target": "b", "material": "coal", "value": 150},
...            {"source": "b", "target": "a", "material": "coal", "value": 50},
...            {"source": "b", "target": "out", "material": "coal", "value": 100}],
...     materials=[{"id": "coal", "name": "Coal", "category": "fuel"}])
>>> r = metrics(park)
>>> r.metrics["tst"], round(r.metrics["fci"], 4), r.metrics["cyclicity"]
(300.0, 0.3333, 1.0)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from mfa.errors import Issue, MfaError, suggest
from mfa.results import Result, jsonable

if TYPE_CHECKING:  # pragma: no cover
    from mfa.park import Park

__all__ = ["FlowNetwork", "NetworkResult", "flow_network", "analyse", "metrics", "METRIC_INFO", "ORIENTATIONS"]

#: the sides throughflow is measured on (module docstring): "output", the data as given (enaR; the default),
#: or "input", after closing each node's residual at the boundary
ORIENTATIONS: tuple[str, ...] = ("output", "input")

#: component sizes above which sparse solvers replace dense LAPACK: ARPACK beats a dense eigenvalue solve
#: early; on fill-prone (random-like) SCCs a dense inverse beats sparse LU by far (bench/bench_network.py:
#: a 9000-node SCC fills SuperLU to 12.7 M entries) as long as n² doubles fit in memory
_EIG_DENSE_LIMIT = 64
_INV_DENSE_LIMIT = 12000

#: key → (unit, description); the order is the order of the printed table
METRIC_INFO: dict[str, tuple[str, str]] = {
    "n_nodes": ("", "internal nodes carrying flow in the currency"),
    "n_links": ("", "distinct directed internal links L (self-loops count)"),
    "connectance": ("", "L / n² (enaR)"),
    "connectance_netindices": ("", "L without self-loops / (n(n−1)) (NetIndices)"),
    "connectance_community": ("", "2 L without self-loops / (n(n−1)) (Hardy & Graedel 2002)"),
    "link_density": ("", "L / n"),
    "cyclicity": ("", "spectral radius of the adjacency matrix (0 acyclic, 1 simple, >1 interlocking)"),
    "tst": ("t/a", "total system throughflow Σ T (on the side the result's orientation names)"),
    "tstp": ("t/a", "total system throughput: internal flows + inputs + outputs"),
    "tstc": ("t/a", "cycled throughflow"),
    "fci": ("", "Finn cycling index TSTc / TST"),
    "fci_b": ("", "TSTc / TSTp (NetIndices variant)"),
    "apl": ("", "average path length TST / Σ inputs"),
    "boundary_input": ("t/a", "Σ z, inputs from outside (with orientation input: incl. closure of residuals)"),
    "boundary_output": ("t/a", "Σ y, outputs to outside (with orientation input: incl. closure of residuals)"),
    "direct_flow": ("t/a", "realised direct flow Σ z_i Σ_j g_ij"),
    "indirect_flow": ("t/a", "realised indirect flow Σ z_i Σ_j (N − I − G)_ij"),
    "bfi": ("", "boundary flow intensity Σz / TST"),
    "dfi": ("", "direct flow intensity direct / TST"),
    "ifi": ("", "indirect flow intensity indirect / TST"),
    "id_ratio": ("", "realised indirect / direct flow (Borrett & Freeze 2011)"),
    "n_prey": ("", "actors supplying at least one other actor"),
    "n_predators": ("", "actors receiving from at least one other actor"),
    "prey_predator_ratio": ("", "n_prey / n_predators"),
    "generalisation": ("", "L / n_predators (mean suppliers per receiver)"),
    "vulnerability": ("", "L / n_prey (mean receivers per supplier)"),
    "specialised_predators": ("", "share of receivers with exactly one supplier"),
    "exclusive_actors": ("", "share of actors that only supply or only receive"),
    "flow_diversity": ("bit", "H, Shannon diversity of the extended flow matrix"),
    "ami": ("bit", "average mutual information"),
    "capacity": ("bit·t/a", "development capacity H · TSTp"),
    "ascendency": ("bit·t/a", "ascendency AMI · TSTp"),
    "overhead": ("bit·t/a", "capacity − ascendency"),
    "relative_ascendency": ("", "A / C"),
    "robustness": ("", "−(A/C) ln(A/C), maximum 1/e (Ulanowicz et al. 2009)"),
    "max_residual": ("t/a", "largest |residual| closed at the boundary"),
}


# --------------------------------------------------------------------------------------------------
# the network in one currency
# --------------------------------------------------------------------------------------------------
@dataclass
class FlowNetwork:
    """A park as an ENA network in one currency (all values t/a).

    Attributes
    ----------
    nodes : numpy.ndarray
        Node ids (internal processes).
    F : scipy.sparse.csr_matrix
        n × n internal flows, row = donor, column = receiver.
    z, e, r : numpy.ndarray
        Inputs from outside, exports and dissipation (environment, landfill, stock accumulation) per node;
        z and r include the closure of node residuals when ``closed``.
    currency : str
        What the flows count.
    residual : numpy.ndarray or None
        inputs − outputs − Δstock per node before closure.
    stock_change, inputs, outputs : numpy.ndarray or None
        Per node, before closure.
    notes : list of Issue
        What was left out building the network.
    closed : bool
        Whether z and r include the closure of the residuals (:meth:`boundary` gives either form).

    Examples
    --------
    >>> net = FlowNetwork.from_arrays([[0, 5], [0, 0]], z=[10, 0], e=[5, 5])
    >>> net.n, net.throughflow().tolist()
    (2, [10.0, 5.0])
    """

    nodes: np.ndarray
    F: sp.csr_matrix
    z: np.ndarray
    e: np.ndarray
    r: np.ndarray
    currency: str = "total mass"
    residual: np.ndarray | None = None
    stock_change: np.ndarray | None = None
    inputs: np.ndarray | None = None
    outputs: np.ndarray | None = None
    notes: list[Issue] = field(default_factory=list)
    closed: bool = True

    @classmethod
    def from_arrays(cls, F: Any, z: Any, e: Any = None, r: Any = None, nodes: Any = None,
                    currency: str = "currency", close: bool = True) -> "FlowNetwork":
        """Build a network from plain arrays (e.g. a published ecosystem model).

        Parameters
        ----------
        F : array_like or sparse matrix
            n × n internal flows, row = donor.
        z : array_like
            Inputs per node (None = 0).
        e, r : array_like, optional
            Exports and dissipation per node (0 when omitted).
        nodes : sequence, optional
            Node names (default "0", "1", …).
        currency : str
            What the flows count, for the messages.
        close : bool
            Close each node's residual (Σin − Σout) at the boundary (module docstring); it stays reported.

        Returns
        -------
        FlowNetwork

        Raises
        ------
        MfaError
            For a non-square F or a negative flow.

        Examples
        --------
        >>> net = FlowNetwork.from_arrays([[0, 8], [0, 0]], z=[10, 0], r=[0, 8])
        >>> net.residual.tolist(), net.r.tolist()  # node 0 keeps 2 more than it passes on: dissipated
        ([2.0, 0.0], [2.0, 8.0])
        """
        F = sp.csr_matrix(F, dtype=float)
        n = F.shape[0]
        if F.shape != (n, n):
            raise MfaError(f"F must be square, got shape {F.shape}")
        z = np.zeros(n) if z is None else np.asarray(z, dtype=float).reshape(n)
        e = np.zeros(n) if e is None else np.asarray(e, dtype=float).reshape(n)
        r = np.zeros(n) if r is None else np.asarray(r, dtype=float).reshape(n)
        if (F.data < 0).any() or (z < 0).any() or (e < 0).any() or (r < 0).any():
            raise MfaError("flows must be ≥ 0 (a flow goes from source to target)")
        nodes = np.array([str(i) for i in range(n)] if nodes is None else [str(x) for x in nodes],
                         dtype=object)
        inputs = np.asarray(F.sum(axis=0)).ravel() + z
        outputs = np.asarray(F.sum(axis=1)).ravel() + e + r
        residual = inputs - outputs
        net = cls(nodes=nodes, F=F, z=z.copy(), e=e.copy(), r=r.copy(), currency=currency,
                  residual=residual, stock_change=np.zeros(n), inputs=inputs, outputs=outputs, closed=close)
        if close:
            net.z = net.z + np.maximum(-residual, 0.0)
            net.r = net.r + np.maximum(residual, 0.0)
        return net

    @property
    def n(self) -> int:
        """Number of nodes.

        Examples
        --------
        >>> net = FlowNetwork.from_arrays([[0, 5], [0, 0]], z=[10, 0], e=[5, 5])
        >>> net.n
        2
        """
        return len(self.nodes)

    def boundary(self, orientation: str = "output") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The boundary vectors (z, e, r) for an orientation: as given ("output"), or with every node's residual
        closed ("input": a positive residual added to r, a negative one to z).

        Parameters
        ----------
        orientation : {"output", "input"}
            See the module docstring.

        Returns
        -------
        z, e, r : numpy.ndarray
            Inputs, exports and dissipation per node (t/a).

        Examples
        --------
        >>> net = FlowNetwork.from_arrays([[0, 8], [0, 0]], z=[10, 0], r=[0, 8])  # node 0 keeps 2
        >>> [v.tolist() for v in net.boundary("output")], net.boundary("input")[2].tolist()
        ([[10.0, 0.0], [0.0, 0.0], [0.0, 8.0]], [2.0, 8.0])
        """
        check_orientation(orientation)
        res = self.residual if self.residual is not None else np.zeros(self.n)
        closure_in, closure_out = np.maximum(-res, 0.0), np.maximum(res, 0.0)
        z, r = (self.z - closure_in, self.r - closure_out) if self.closed else (self.z, self.r)
        if orientation == "input":
            return z + closure_in, self.e, r + closure_out
        return z, self.e, r

    def throughflow(self, orientation: str = "output") -> np.ndarray:
        """Node throughflow (t/a): ``T_i = Σ_j f_ij + y_i`` on the output side of the data as given, or
        ``T_j = Σ_i f_ij + z_j`` on the input side after closing the residuals (module docstring).

        Parameters
        ----------
        orientation : {"output", "input"}
            The side; both give the same for a network whose nodes balance.

        Returns
        -------
        numpy.ndarray
            One value per node.

        Examples
        --------
        >>> net = FlowNetwork.from_arrays([[0, 5], [0, 0]], z=[10, 0], e=[5, 5])
        >>> net.throughflow().tolist()
        [10.0, 5.0]
        >>> unbalanced = FlowNetwork.from_arrays([[0, 5], [0, 0]], z=[10, 0], e=[4, 5])  # node 0 keeps 1
        >>> unbalanced.throughflow("output").tolist(), unbalanced.throughflow("input").tolist()
        ([9.0, 5.0], [10.0, 5.0])
        """
        z, e, r = self.boundary(orientation)
        if orientation == "input":
            return np.asarray(self.F.sum(axis=0)).ravel() + z
        return np.asarray(self.F.sum(axis=1)).ravel() + e + r


def check_orientation(orientation: str) -> str:
    """The orientation if it is one of :data:`ORIENTATIONS`, else an :class:`~mfa.errors.MfaError`.

    Parameters
    ----------
    orientation : str
        As given by the caller.

    Returns
    -------
    str
        ``orientation``.

    Examples
    --------
    >>> check_orientation("input")
    'input'
    >>> check_orientation("inputs")
    Traceback (most recent call last):
    mfa.errors.MfaError: orientation must be 'output' or 'input', not 'inputs' — did you mean 'input'?
    """
    if orientation not in ORIENTATIONS:
        hint = suggest(str(orientation), list(ORIENTATIONS))
        raise MfaError(f"orientation must be 'output' or 'input', not {orientation!r}"
                       + (f" — {hint}" if hint else ""))
    return orientation


def _currency_mask(park: "Park", material: str | None, category: str | None) -> tuple[np.ndarray, str]:
    c = park.compiled
    if material is not None and category is not None:
        raise MfaError("give either a material or a category as the currency, not both")
    if material is not None:
        used = set(c.material_ids.tolist())
        if material not in used:
            hint = suggest(material, sorted(used))
            raise MfaError(f"material {material!r} does not occur in the flows of park "
                           f"{park.info.name!r}" + (f" — {hint}" if hint else ""))
        return c.material == material, f"material {material}"
    if category is not None:
        cats = np.where(pd.isna(c.category), "", c.category).astype(object)
        if category not in set(cats.tolist()):
            known = sorted(set(cats.tolist()) - {""})
            hint = suggest(category, known)
            raise MfaError(f"no flow of category {category!r} in park {park.info.name!r}; categories "
                           f"present: {', '.join(known)}" + (f" — {hint}" if hint else ""))
        return cats == category, f"category {category}"
    return np.ones(c.n_flows, dtype=bool), "total mass"


def flow_network(park: "Park", material: str | None = None, category: str | None = None) -> FlowNetwork:
    """The park as an ENA :class:`FlowNetwork` in one currency (see the module docstring).

    Parameters
    ----------
    park : Park
        The park (read through ``park.compiled``).
    material : str, optional
        A material id as the currency.
    category : str, optional
        A material category (such as ``industrial_solid_waste``) as the currency; by default all flows
        count (total mass, t/a).

    Returns
    -------
    FlowNetwork
        Internal flows, boundary inputs and outputs with residuals closed, and notes on what was left out.

    Examples
    --------
    >>> import mfa
    >>> park = mfa.Park.from_frames(
    ...     processes=[{"id": "in", "name": "Import", "kind": "import"},
    ...                {"id": "a", "name": "A", "kind": "production"},
    ...                {"id": "b", "name": "B", "kind": "production"},
    ...                {"id": "out", "name": "Export", "kind": "export"}],
    ...     flows=[{"source": "in", "target": "a", "material": "coal", "value": 100},
    ...            {"source": "a", "target": "b", "material": "coal", "value": 100},
    ...            {"source": "b", "target": "out", "material": "coal", "value": 100}])
    >>> net = flow_network(park)
    >>> net.nodes.tolist(), net.F.toarray().tolist(), net.z.tolist(), net.e.tolist()
    (['a', 'b'], [[0.0, 100.0], [0.0, 0.0]], [100.0, 0.0], [0.0, 100.0])
    """
    c = park.compiled
    mask, currency = _currency_mask(park, material, category)
    notes: list[Issue] = []
    values = c.value
    unknown = mask & np.isnan(values)
    if unknown.any():
        notes.append(Issue.note(f"{int(unknown.sum())} unknown flow(s) (blank value) left out of the network; "
                                f"run `mfa reconcile` first to determine them", severity="warning"))
    keep = mask & ~np.isnan(values) & (np.nan_to_num(values) > 0)  # a zero flow carries no currency
    ids, kinds, boundary = c.process_ids, c.kind, c.is_boundary
    src, tgt = c.src[keep], c.tgt[keep]
    val = values[keep]
    s_int, t_int = ~boundary[src], ~boundary[tgt]

    # stock change in the currency (t over the reporting year, read as t/a)
    stocks = park.stocks
    ds_proc = np.zeros(len(ids))
    if len(stocks):
        st = stocks
        if material is not None:
            st = st[st["material"] == material]
        elif category is not None:
            st = st[st["material"].map(c.category_of) == category]
        d = (st["closing"].astype(float) - st["opening"].astype(float)).to_numpy()
        ok = ~np.isnan(d)
        pi = pd.Index(ids).get_indexer(st["process"].to_numpy(dtype=object)[ok])
        np.add.at(ds_proc, pi, d[ok])

    internal_all = np.flatnonzero(~boundary)
    n_all = len(ids)
    inflow = np.bincount(tgt, weights=val, minlength=n_all)
    outflow = np.bincount(src, weights=val, minlength=n_all)
    active = (inflow + outflow + np.abs(ds_proc)) > 0
    nodes_idx = internal_all[active[internal_all]]
    dropped = len(internal_all) - len(nodes_idx)
    if dropped and currency == "total mass":
        notes.append(Issue.note(f"{dropped} internal process(es) without any known flow left out"))
    pos = np.full(n_all, -1)
    pos[nodes_idx] = np.arange(len(nodes_idx))
    n = len(nodes_idx)

    ii = s_int & t_int
    F = sp.csr_matrix((val[ii], (pos[src[ii]], pos[tgt[ii]])), shape=(n, n))
    F.sum_duplicates()
    zi = ~s_int & t_int
    z = np.bincount(pos[tgt[zi]], weights=val[zi], minlength=n)
    out_b = s_int & ~t_int
    to_export = out_b & (kinds[tgt] == "export")
    to_other = out_b & ~(kinds[tgt] == "export")
    e = np.bincount(pos[src[to_export]], weights=val[to_export], minlength=n)
    r = np.bincount(pos[src[to_other]], weights=val[to_other], minlength=n)
    bypass = ~s_int & ~t_int
    if bypass.any():
        notes.append(Issue.note(f"{int(bypass.sum())} flow(s) between boundary processes "
                                f"({val[bypass].sum():,.1f} t/a) do not enter the network"))

    ds = ds_proc[nodes_idx]
    inputs = np.asarray(F.sum(axis=0)).ravel() + z
    outputs = np.asarray(F.sum(axis=1)).ravel() + e + r
    residual = inputs - outputs - ds
    net = FlowNetwork(nodes=ids[nodes_idx], F=F, z=z + np.maximum(-ds, 0.0) + np.maximum(-residual, 0.0),
                      e=e, r=r + np.maximum(ds, 0.0) + np.maximum(residual, 0.0), currency=currency,
                      residual=residual, stock_change=ds, inputs=inputs, outputs=outputs, notes=notes)
    return net


# --------------------------------------------------------------------------------------------------
# the analysis
# --------------------------------------------------------------------------------------------------
def _spectral_radius_block(A: sp.csr_matrix) -> float:
    m = A.shape[0]
    if m <= _EIG_DENSE_LIMIT:
        return float(np.max(np.abs(np.linalg.eigvals(A.toarray()))))
    from scipy.sparse.linalg import ArpackNoConvergence, eigs

    # A irreducible and non-negative ⇒ A + I is primitive: its Perron root ρ(A)+1 strictly dominates, which
    # ARPACK (and power iteration) converges to reliably even when A has several eigenvalues of modulus ρ.
    B = (A + sp.identity(m, format="csr")).astype(float)
    try:
        vals = eigs(B, k=1, which="LM", return_eigenvectors=False, tol=1e-12, maxiter=20 * m)
        return float(np.abs(vals[0]) - 1.0)
    except ArpackNoConvergence:  # pragma: no cover - power iteration fallback
        x = np.ones(m) / m
        lam = 0.0
        for _ in range(100_000):
            y = B @ x
            lam_new = y.sum() / x.sum()
            x = y / y.sum()
            if abs(lam_new - lam) < 1e-12 * max(1.0, lam_new):
                break
            lam = lam_new
        return float(lam_new - 1.0)


def _diag_inverse_block(M: sp.csc_matrix) -> np.ndarray:
    m = M.shape[0]
    if m <= _INV_DENSE_LIMIT:
        return np.diag(np.linalg.inv(M.toarray())).copy()
    from scipy.sparse.linalg import splu

    lu = splu(M.tocsc())
    out = np.empty(m)
    block = 256
    for start in range(0, m, block):  # column blocks keep memory at m × 256 doubles
        stop = min(m, start + block)
        rhs = np.zeros((m, stop - start))
        rhs[np.arange(start, stop), np.arange(stop - start)] = 1.0
        sol = lu.solve(rhs)
        out[start:stop] = sol[np.arange(start, stop), np.arange(stop - start)]
    return out


def _ratio(num: float, den: float, name: str, why: str, notes: list[Issue]) -> float | None:
    if den == 0 or not np.isfinite(den):
        notes.append(Issue.note(f"{name} undefined: {why}"))
        return None
    return float(num / den)


def analyse(net: FlowNetwork, orientation: str = "output") -> tuple[dict[str, Any], pd.DataFrame, list[Issue]]:
    """Every metric of the module docstring for a network.

    Parameters
    ----------
    net : FlowNetwork
        The network (:func:`flow_network` or :meth:`FlowNetwork.from_arrays`).
    orientation : {"output", "input"}
        The side throughflow is measured on where a node does not balance (module docstring): "output", the
        data as given (enaR's published figures), or "input", after closing the residuals at the boundary.

    Returns
    -------
    metrics : dict
        Key of :data:`METRIC_INFO` → value (None where undefined).
    nodes : pandas.DataFrame
        Per node: inputs, outputs, residual and closure, throughflow, n_jj, cycled, component, degrees.
    notes : list of Issue
        The network's notes and why a metric is undefined.

    Examples
    --------
    >>> # balanced two-node loop: T = (15, 15); n_jj = 1 / (1 − 15/15 · 5/15) = 1.5, TSTc = 2 · 15 · 0.5/1.5
    >>> m, nodes, notes = analyse(FlowNetwork.from_arrays([[0, 15], [5, 0]], z=[10, 0], e=[0, 10]))
    >>> m["tst"], m["tstc"], m["cyclicity"], round(m["fci"], 4)
    (30.0, 10.0, 1.0, 0.3333)
    """
    from scipy.sparse.csgraph import connected_components

    check_orientation(orientation)
    notes = list(net.notes)
    n = net.n
    F = net.F.tocsr()
    T = net.throughflow(orientation)
    z, e, r = net.boundary(orientation)
    res = net.residual if net.residual is not None else np.zeros(n)
    y = e + r
    m: dict[str, Any] = {}
    m["n_nodes"] = n
    A = F.copy()
    A.data = (A.data > 0).astype(float)
    A.eliminate_zeros()
    L = int(A.nnz)
    self_loops = int((A.diagonal() > 0).sum()) if n else 0
    L_int = L - self_loops
    m["n_links"] = L
    m["connectance"] = _ratio(L, n * n, "connectance", "the network has no node", notes)
    m["connectance_netindices"] = (float(L_int / (n * (n - 1))) if n > 1 else None)
    m["connectance_community"] = (float(2 * L_int / (n * (n - 1))) if n > 1 else None)
    m["link_density"] = _ratio(L, n, "link_density", "the network has no node", notes)

    # strongly connected components: cyclicity and diag(N) block by block
    if n:
        n_comp, labels = connected_components(A, directed=True, connection="strong")
    else:
        n_comp, labels = 0, np.zeros(0, dtype=int)
    sizes = np.bincount(labels, minlength=n_comp)
    diag_loop = A.diagonal() > 0 if n else np.zeros(0, dtype=bool)
    rho = 0.0
    n_diag = np.ones(n)
    G = sp.diags(np.divide(1.0, T, out=np.zeros(n), where=T > 0)) @ F  # g_ij = f_ij / T_i
    G = G.tocsr()
    cyclic_nodes = 0
    for c in np.flatnonzero(sizes > 1):
        idx = np.flatnonzero(labels == c)
        cyclic_nodes += len(idx)
        rho = max(rho, _spectral_radius_block(A[idx][:, idx]))
        M = sp.identity(len(idx), format="csc") - G[idx][:, idx].tocsc()
        n_diag[idx] = _diag_inverse_block(M)
    singles = np.flatnonzero((sizes[labels] == 1) & diag_loop) if n else np.zeros(0, dtype=int)
    if len(singles):
        rho = max(rho, 1.0)
        cyclic_nodes += len(singles)
        gjj = G.diagonal()[singles]
        n_diag[singles] = 1.0 / (1.0 - gjj)
    m["cyclicity"] = float(rho)

    tst = float(T.sum())
    sum_f = float(F.sum())
    m["tst"] = tst
    m["tstp"] = sum_f + float(z.sum()) + float(y.sum())
    tstc = float(np.sum((n_diag - 1.0) / n_diag * T)) if n else 0.0
    m["tstc"] = tstc
    if cyclic_nodes == 0:
        notes.append(Issue.note("the network is acyclic: cyclicity 0 and FCI 0 (no flow returns to a node)"))
    m["fci"] = _ratio(tstc, tst, "fci", "total system throughflow is 0", notes)
    m["fci_b"] = _ratio(tstc, m["tstp"], "fci_b", "total system throughput is 0", notes)
    sz = float(z.sum())
    m["apl"] = _ratio(tst, sz, "apl", "the network has no input from outside (Σz = 0)", notes)
    m["boundary_input"] = sz
    m["boundary_output"] = float(y.sum())
    out_int = np.asarray(F.sum(axis=1)).ravel()
    direct = float(np.sum(np.divide(z * out_int, T, out=np.zeros(n), where=T > 0)))
    indirect = tst - sz - direct  # Σ zᵀN = TST since T = Nᵀz where every node balances …
    if orientation == "output" and n and np.abs(res).max() > 1e-12 * max(1.0, tst):
        # … and on the output side of unbalanced data Nᵀz = T + Nᵀ·residual: one sparse solve
        from scipy.sparse.linalg import spsolve

        indirect += float(np.sum(spsolve((sp.identity(n, format="csc") - G).T.tocsc(), res)))
    if abs(indirect) < 1e-9 * max(1.0, tst):
        indirect = 0.0
    m["direct_flow"] = direct
    m["indirect_flow"] = indirect
    m["bfi"] = _ratio(sz, tst, "bfi", "total system throughflow is 0", notes)
    m["dfi"] = _ratio(direct, tst, "dfi", "total system throughflow is 0", notes)
    m["ifi"] = _ratio(indirect, tst, "ifi", "total system throughflow is 0", notes)
    m["id_ratio"] = _ratio(indirect, direct, "id_ratio", "no input reaches a second node (direct flow 0)",
                           notes)

    # food web (internal supply matrix without self-loops)
    Afw = A.tolil() if n else A
    if n:
        Afw.setdiag(0)
        Afw = Afw.tocsr()
        Afw.eliminate_zeros()
    outdeg = np.asarray(Afw.sum(axis=1)).ravel() if n else np.zeros(0)
    indeg = np.asarray(Afw.sum(axis=0)).ravel() if n else np.zeros(0)
    n_prey = int((outdeg > 0).sum())
    n_pred = int((indeg > 0).sum())
    m["n_prey"] = n_prey
    m["n_predators"] = n_pred
    m["prey_predator_ratio"] = _ratio(n_prey, n_pred, "prey_predator_ratio", "no actor receives from another",
                                      notes)
    m["generalisation"] = _ratio(L_int, n_pred, "generalisation", "no actor receives from another", notes)
    m["vulnerability"] = _ratio(L_int, n_prey, "vulnerability", "no actor supplies another", notes)
    m["specialised_predators"] = _ratio(int((indeg == 1).sum()), n_pred, "specialised_predators",
                                        "no actor receives from another", notes)
    linked = (outdeg > 0) | (indeg > 0)
    exclusive = int((linked & ((outdeg == 0) | (indeg == 0))).sum())
    m["exclusive_actors"] = _ratio(exclusive, int(linked.sum()), "exclusive_actors",
                                   "no internal exchange", notes)

    # information indices on the extended (n+1) × (n+2) matrix: input row, F, export and dissipation cols
    Fc = F.tocoo()
    vals = np.concatenate([Fc.data, z, e, r])
    rows_ = np.concatenate([Fc.row + 1, np.zeros(n, dtype=int), np.arange(n) + 1, np.arange(n) + 1])
    cols_ = np.concatenate([Fc.col, np.arange(n), np.full(n, n), np.full(n, n + 1)])
    pos = vals > 0
    vals, rows_, cols_ = vals[pos], rows_[pos], cols_[pos]
    tstp = float(vals.sum())
    if tstp > 0:
        row_sum = np.bincount(rows_, weights=vals, minlength=n + 1)
        col_sum = np.bincount(cols_, weights=vals, minlength=n + 2)
        p = vals / tstp
        # sums of logs, not logs of products: tiny flows must not underflow to log(0)
        lg = np.log2(vals)
        H = float(-np.sum(p * (lg - np.log2(tstp))))
        ami = float(np.sum(p * (lg + np.log2(tstp) - np.log2(row_sum[rows_]) - np.log2(col_sum[cols_]))))
        cap, asc = H * tstp, ami * tstp
        m["flow_diversity"] = H
        m["ami"] = ami
        m["capacity"] = cap
        m["ascendency"] = asc
        m["overhead"] = cap - asc
        ac = asc / cap if cap > 0 else None
        m["relative_ascendency"] = ac
        m["robustness"] = (float(-ac * math.log(ac)) if ac and ac > 0 else (0.0 if ac == 0 else None))
    else:
        for k in ("flow_diversity", "ami", "capacity", "ascendency", "overhead", "relative_ascendency",
                  "robustness"):
            m[k] = None
        notes.append(Issue.note("information indices undefined: the network carries no flow"))
    m["max_residual"] = float(np.max(np.abs(res))) if n else 0.0
    closed = orientation == "input"

    nodes = pd.DataFrame({
        "process": pd.Series(net.nodes, dtype=object),
        "inputs": net.inputs if net.inputs is not None else T,
        "outputs": net.outputs if net.outputs is not None else T,
        "stock_change": net.stock_change if net.stock_change is not None else np.zeros(n),
        "residual": res,
        "closure_in": np.maximum(-res, 0.0) if closed else np.zeros(n),
        "closure_out": np.maximum(res, 0.0) if closed else np.zeros(n),
        "z": z, "export": e, "dissipation": r,
        "throughflow": T,
        "n_jj": n_diag,
        "cycled": (n_diag - 1.0) / n_diag * T,
        "component": labels,
        "in_degree": indeg.astype(int), "out_degree": outdeg.astype(int),
    })
    big = np.abs(res) > 1e-6 * np.maximum(1.0, np.maximum(nodes["inputs"].to_numpy(), 0))
    if big.any():
        how = ("residuals closed at the boundary (positive → dissipation, negative → input), throughflow on the "
               "input side" if closed else "throughflow on the output side of the data as given (enaR); "
               "orientation input closes the residuals at the boundary instead")
        notes.append(Issue.note(f"{int(big.sum())} node(s) not balanced in this currency (largest |residual| "
                                f"{np.abs(res).max():,.1f} t/a); {how}, see the node table", severity="warning"))
    for k, v in list(m.items()):
        if isinstance(v, (np.floating, np.integer)):
            m[k] = v.item()
    return m, nodes, notes


# --------------------------------------------------------------------------------------------------
# result
# --------------------------------------------------------------------------------------------------
#: the figures a network result shows first (``.summary``)
HEADLINE: tuple[str, ...] = ("n_nodes", "n_links", "cyclicity", "tst", "fci")


@dataclass(frozen=True, eq=False)
class NetworkResult(Result, title="Network metrics", main_table="metrics"):
    """Network metrics of a park in one currency.

    Attributes
    ----------
    metrics : dict
        Metric key (as in :data:`METRIC_INFO`) → value (``None`` where undefined); also ``result[key]``.
    nodes : pandas.DataFrame
        Per internal process: inputs, outputs, stock_change, residual and its closure, z, export,
        dissipation, throughflow, n_jj, cycled, component, degrees (t/a).
    currency : str
        "total mass", "material <id>" or "category <category>".
    park_name : str
        The park's name.
    balance : pandas.DataFrame or None
        The process balance (:func:`mfa.balance`) in total mass, else None.
    orientation : {"output", "input"}
        The side throughflow was measured on (module docstring).
    messages : tuple of Issue
        What was left out, closed or undefined (``.notes``: their texts).

    The main table (``.table``, ``.tables["metrics"]``) lists metric, value, unit and description.

    Examples
    --------
    >>> r = NetworkResult({"n_nodes": 2, "fci": 0.25}, pd.DataFrame({"process": ["a", "b"]}), "total mass")
    >>> r.table["metric"].tolist(), r["fci"], r.summary
    (['n_nodes', 'fci'], 0.25, {'n_nodes': 2, 'fci': 0.25, 'orientation': 'output'})
    """

    metrics: dict[str, Any]
    nodes: pd.DataFrame
    currency: str
    park_name: str = ""
    balance: pd.DataFrame | None = None
    orientation: str = "output"

    @property
    def tables(self) -> dict[str, pd.DataFrame]:
        """metrics (metric, value, unit, description), nodes and, in total mass, the balance.

        Examples
        --------
        >>> r = NetworkResult({"n_nodes": 2, "fci": 0.25}, pd.DataFrame({"process": ["a", "b"]}), "total mass")
        >>> sorted(r.tables), r.tables["metrics"]["metric"].tolist()
        (['metrics', 'nodes'], ['n_nodes', 'fci'])
        """
        rows = [{"metric": k, "value": self.metrics.get(k), "unit": METRIC_INFO[k][0],
                 "description": METRIC_INFO[k][1]} for k in METRIC_INFO if k in self.metrics]
        out = {"metrics": pd.DataFrame(rows, columns=["metric", "value", "unit", "description"]),
               "nodes": self.nodes}
        if self.balance is not None:
            out["balance"] = self.balance
        return out

    @property
    def summary(self) -> dict[str, Any]:
        """Nodes, links, cyclicity, TST (t/a), FCI and the orientation throughflow was measured in.

        Examples
        --------
        >>> r = NetworkResult({"n_nodes": 2, "fci": 0.25}, pd.DataFrame({"process": ["a", "b"]}), "total mass")
        >>> r.summary
        {'n_nodes': 2, 'fci': 0.25, 'orientation': 'output'}
        """
        return {**{k: self.metrics[k] for k in HEADLINE if k in self.metrics}, "orientation": self.orientation}

    notes = Result.message_texts  # the name earlier versions used

    def __getitem__(self, key: str) -> Any:
        return self.metrics[key]

    def to_dict(self) -> dict[str, Any]:
        """``{"park", "currency", "orientation", "metrics": {key: value}, "nodes": [...], "notes": [...]}``
        (JSON-ready).

        Returns
        -------
        dict

        Examples
        --------
        >>> r = NetworkResult({"n_nodes": 2, "fci": 0.25}, pd.DataFrame({"process": ["a", "b"]}), "total mass")
        >>> r.to_dict()  # doctest: +NORMALIZE_WHITESPACE
        {'park': '', 'currency': 'total mass', 'orientation': 'output', 'metrics': {'n_nodes': 2, 'fci': 0.25},
         'nodes': [{'process': 'a'}, {'process': 'b'}], 'notes': []}
        """
        return jsonable({"park": self.park_name, "currency": self.currency, "orientation": self.orientation,
                         "metrics": self.metrics, "nodes": self.nodes, "notes": self.notes})

    def __repr__(self) -> str:
        from mfa.formatting import number

        inner = ", ".join(f"{k}={v if isinstance(v, str) else number(v)}" for k, v in self.summary.items())
        return f"<NetworkResult {self.park_name!r} ({self.currency}): {inner}>"


def metrics(park: "Park", material: str | None = None, category: str | None = None,
            reconcile: bool = False, orientation: str | None = None) -> NetworkResult:
    """Network metrics of ``park`` in one currency (conventions: the module docstring — internal nodes, z, y,
    orientation of throughflow, residuals, t/a).

    Parameters
    ----------
    park : Park
        The park.
    material : str, optional
        A material id: the currency is that material.
    category : str, optional
        A material category (e.g. ``industrial_solid_waste``): the currency is that category.
    reconcile : bool
        Determine unknown flows and reconcile measured ones first (:func:`mfa.solve.reconcile`, weighted
        least squares under the balances); the χ² test is noted and the metrics are those of the reconciled
        park. Without it, unknown flows are left out and every residual is reported.
    orientation : {"output", "input"}, optional
        Where a node does not balance: throughflow on the output side of the data as given ("output", as
        enaR's published figures), or on the input side after closing each residual at the boundary
        ("input"). Default: "output" in total mass; "input" in one material or category, whose residuals are
        conversions (a process making the material counts as an input from outside, one turning it into
        something else as dissipation). Named in the result.

    Returns
    -------
    NetworkResult
        Metrics, node table, balance and messages.

    Raises
    ------
    MfaError
        For both a material and a category, or one the park's flows do not carry.

    Examples
    --------
    >>> import mfa
    >>> park = mfa.Park.from_frames(
    ...     processes=[{"id": "in", "name": "Import", "kind": "import"},
    ...                {"id": "plant", "name": "Plant", "kind": "production"},
    ...                {"id": "dump", "name": "Dump", "kind": "landfill"}],
    ...     flows=[{"source": "in", "target": "plant", "material": "coal", "value": 10},
    ...            {"source": "plant", "target": "dump", "material": "coal", "value": 10}],
    ...     materials=[{"id": "coal", "name": "Coal", "category": "fuel"}])
    >>> r = metrics(park)
    >>> r.metrics["fci"], r.metrics["cyclicity"], r.metrics["apl"]
    (0.0, 0.0, 1.0)
    """
    from mfa.park import require_park

    require_park(park, "network_metrics")
    if orientation is None:
        orientation = "output" if material is None and category is None else "input"
    check_orientation(orientation)
    pre: list[Issue] = []
    if reconcile:
        from mfa.solve import reconcile as reconcile_park

        rec = reconcile_park(park)
        pre.append(Issue.note(f"reconciled first (mfa.solve.reconcile): χ² = {rec.chi2:.3g} with {rec.dof} "
                              f"degree(s) of freedom" + (f", p = {rec.p_value:.3g}" if rec.p_value is not None
                                                          else "") + "; metrics are those of the reconciled park"))
        park = rec.park
    net = flow_network(park, material=material, category=category)
    m, nodes, notes = analyse(net, orientation)
    notes = pre + notes
    balance_table = None
    if material is None and category is None:
        from mfa.mass_balance import balance

        balance_table = balance(park).processes
        bad = balance_table[balance_table["status"].astype(str) == "imbalanced"]
        if len(bad):
            notes.append(Issue.note(f"mfa.balance flags {len(bad)} imbalanced process(es): "
                                    + ", ".join(map(str, bad["process"].head(10)))
                                    + (" …" if len(bad) > 10 else ""), severity="warning"))
    names = dict(zip(park.processes["id"], park.processes["name"]))
    nodes.insert(1, "name", nodes["process"].map(names))
    return NetworkResult(m, nodes, net.currency, park_name=park.info.name, balance=balance_table,
                         orientation=orientation, messages=tuple(notes))
