"""The compiled form of a park: integer indices and a sparse incidence matrix, built once and shared by
every engine (balance, solve, trace, network…).

Incidence convention: ``incidence[p, f] = +1`` if flow ``f`` enters process ``p`` and ``−1`` if it leaves
it, so ``incidence @ values`` is each process's inputs minus outputs.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from mfa.conventions import BOUNDARY_KINDS, PROCESS_KINDS, WASTE_CATEGORIES

if TYPE_CHECKING:
    import scipy.sparse as sp

    from mfa.park import Park

__all__ = ["CompiledPark", "compile_park", "Count", "kind_codes"]


class Count(property):
    """A read-only count: the summed lengths of the named array attributes (one, or several for a total).

    A property (so ``help()`` and the doctests see its docstring), written as one line per count so that each
    count says what it counts; the compiled park and the linear model (:mod:`mfa.solve.model`) use it.

    Parameters
    ----------
    *arrays : str
        Names of the owner's sized attributes (arrays, tuples, indexes) whose lengths are summed.
    doc : str
        The count's docstring.

    Examples
    --------
    >>> class Shape:
    ...     rows, cols = (1, 2, 3), (4, 5)
    ...     n_rows = Count("rows", doc="Rows.")
    ...     n_cells = Count("rows", "cols", doc="Rows and columns.")
    >>> Shape().n_rows, Shape().n_cells, Shape.n_rows.__doc__
    (3, 5, 'Rows.')
    """

    def __init__(self, *arrays: str, doc: str) -> None:
        super().__init__(lambda obj: sum(len(getattr(obj, name)) for name in arrays))
        self.__doc__ = doc  # on the instance: the class's own docstring would shadow property's doc slot
        self.arrays = arrays


@dataclass(frozen=True, eq=False)
class CompiledPark:
    """A park as integer indices and arrays: what every engine reads instead of the frames.

    Build it with :func:`compile_park` or read ``park.compiled`` (cached on the park). Processes are in the
    order of ``park.processes``, flows in the order of ``park.flows``. String columns and lookups are built on
    first use (docs/architecture.md lists them).

    Attributes
    ----------
    process_ids, kind : ndarray of str
        Per process.
    process_index : dict
        Process id → position.
    is_boundary : ndarray of bool
        Per process: import, export, environment or landfill.
    src, tgt : ndarray of int
        Per flow, the positions of its source and target.
    value, sigma, tc, tc_sigma : ndarray of float
        Per flow (t/a; NaN = unknown, exact, no coefficient).
    delta_stock : ndarray of float
        Per process, closing − opening (t; NaN without stock data).
    process_table : pandas.DataFrame
        The park's processes frame.

    Examples
    --------
    >>> import mfa
    >>> c = mfa.read_park("hazardous").compiled
    >>> c.n_processes, c.n_flows, c.kind_of["hw_reception"]
    (22, 63, 'collection')
    >>> bool((c.incidence @ np.nan_to_num(c.value) == c.known_totals()[0] - c.known_totals()[1]).all())
    True
    """

    src: np.ndarray
    tgt: np.ndarray
    value: np.ndarray
    sigma: np.ndarray
    tc: np.ndarray
    tc_sigma: np.ndarray
    delta_stock: np.ndarray
    process_table: pd.DataFrame = field(repr=False)  # the park's processes frame (id, name, kind, …)
    _flows: object = field(repr=False)        # the park's flows frame: string columns converted on first use
    _materials_table: object = field(default=None, repr=False)  # () -> park.materials, read on first use

    # Lookups, string columns as object arrays and the material factorisation cost more than a balance
    # (Arrow-backed strings convert element by element), so each is built on first use and kept:
    # cached_property writes to the instance's __dict__, which a frozen dataclass allows.

    @cached_property
    def process_ids(self) -> np.ndarray:
        """Per process, its id (object array).

        Examples
        --------
        >>> from mfa.solve.model import example_park
        >>> example_park().compiled.process_ids.tolist()
        ['in', 'plant', 'out', 'dump']
        """
        return self.process_table["id"].to_numpy(dtype=object)

    @cached_property
    def process_index(self) -> dict:
        """Process id → position.

        Examples
        --------
        >>> from mfa.solve.model import example_park
        >>> example_park().compiled.process_index["out"]
        2
        """
        return {p: i for i, p in enumerate(self.process_ids.tolist())}

    @cached_property
    def kind(self) -> np.ndarray:
        """Per process, its kind (object array; :attr:`kind_code` is the same as small integers).

        Examples
        --------
        >>> from mfa.solve.model import example_park
        >>> example_park().compiled.kind.tolist()
        ['import', 'production', 'export', 'landfill']
        """
        return self.process_table["kind"].to_numpy(dtype=object)

    @cached_property
    def is_boundary(self) -> np.ndarray:
        """Per process: import, export, environment or landfill.

        Examples
        --------
        >>> from mfa.solve.model import example_park
        >>> example_park().compiled.is_boundary.tolist()
        [True, False, True, True]
        """
        return np.isin(self.kind_code, kind_codes(BOUNDARY_KINDS))

    @cached_property
    def category_of(self) -> dict:
        """Material id → category, for every material the park defines (catalogue ∪ its own).

        Examples
        --------
        >>> from mfa.solve.model import example_park
        >>> example_park().compiled.category_of
        {'coal_gangue': 'industrial_solid_waste'}
        """
        mats = self._materials_table() if self._materials_table is not None else None
        return {} if mats is None else dict(zip(mats["id"].tolist(), mats["category"].tolist()))

    @cached_property
    def kind_of(self) -> dict:
        """Process id → kind.

        Examples
        --------
        >>> from mfa.solve.model import example_park
        >>> example_park().compiled.kind_of
        {'in': 'import', 'plant': 'production', 'out': 'export', 'dump': 'landfill'}
        """
        return dict(zip(self.process_ids.tolist(), self.kind.tolist()))

    @cached_property
    def material_category(self) -> np.ndarray:
        """Per entry of :attr:`material_ids`, its category (object array; ``""`` for a material the park does
        not define).

        Examples
        --------
        >>> from mfa.solve.model import example_park
        >>> example_park().compiled.material_category.tolist()
        ['industrial_solid_waste']
        """
        return np.array([self.category_of.get(x, "") for x in self.material_ids.tolist()], dtype=object)

    @cached_property
    def is_waste_material(self) -> np.ndarray:
        """Per entry of :attr:`material_ids`, whether its category is a waste category
        (:data:`mfa.conventions.WASTE_CATEGORIES`); index it with :attr:`material_codes` for the flows.

        Examples
        --------
        >>> from mfa.solve.model import example_park
        >>> c = example_park().compiled
        >>> c.is_waste_material.tolist(), c.is_waste_material[c.material_codes].tolist()
        ([True], [True, True, True])
        """
        return np.isin(self.material_category, list(WASTE_CATEGORIES))

    @cached_property
    def process_fate(self) -> np.ndarray:
        """Per process, the ``fate`` of the processes table (what happens to waste it receives; ``""``
        blank).

        Examples
        --------
        >>> from mfa.solve.model import example_park
        >>> example_park().compiled.process_fate.tolist()
        ['', '', '', '']
        """
        if "fate" not in self.process_table:
            return np.full(self.n_processes, "", dtype=object)
        return self.process_table["fate"].fillna("").to_numpy(dtype=object)

    @cached_property
    def flow_fate(self) -> np.ndarray:
        """Per flow, its own ``fate`` (``""`` blank: the target process or kind decides).

        Examples
        --------
        >>> from mfa.solve.model import example_park
        >>> example_park().compiled.flow_fate.tolist()
        ['', '', '']
        """
        return self._flows["fate"].fillna("").to_numpy(dtype=object)

    @cached_property
    def flow_route(self) -> np.ndarray:
        """Per flow, its ``route`` (``""`` blank).

        Examples
        --------
        >>> from mfa.solve.model import example_park
        >>> example_park().compiled.flow_route.tolist()
        ['', '', '']
        """
        return self._flows["route"].fillna("").to_numpy(dtype=object)

    @cached_property
    def category(self) -> np.ndarray:
        """Per flow, its material's category (object array; None for a material the park does not define).

        Examples
        --------
        >>> from mfa.solve.model import example_park
        >>> example_park().compiled.category.tolist()
        ['industrial_solid_waste', 'industrial_solid_waste', 'industrial_solid_waste']
        """
        cats = self.material_category[self.material_codes]
        return np.where(cats == "", None, cats).astype(object)

    @cached_property
    def flow_ids(self) -> np.ndarray:
        """Per flow, its id (object array).

        Examples
        --------
        >>> from mfa.solve.model import example_park
        >>> example_park().compiled.flow_ids.tolist()
        ['in>plant:coal_gangue', 'plant>out:coal_gangue', 'plant>dump:coal_gangue']
        """
        return self._flows["id"].to_numpy(dtype=object)

    @cached_property
    def material(self) -> np.ndarray:
        """Per flow, its material id (object array).

        Examples
        --------
        >>> from mfa.solve.model import example_park
        >>> example_park().compiled.material.tolist()
        ['coal_gangue', 'coal_gangue', 'coal_gangue']
        """
        return self._flows["material"].to_numpy(dtype=object)

    @cached_property
    def _materials(self) -> tuple[np.ndarray, np.ndarray]:
        if len(self._flows):
            codes, ids = self._flows["material"].factorize(sort=True)
        else:
            codes, ids = np.zeros(0, int), []
        return np.asarray(codes, dtype=np.int64), np.asarray(ids, dtype=object)

    @property
    def material_codes(self) -> np.ndarray:
        """Per flow, the position of its material in :attr:`material_ids`.

        Examples
        --------
        >>> from mfa.solve.model import example_park
        >>> example_park().compiled.material_codes.tolist()
        [0, 0, 0]
        """
        return self._materials[0]

    @property
    def material_ids(self) -> np.ndarray:
        """The materials the flows carry, sorted (object array).

        Examples
        --------
        >>> from mfa.solve.model import example_park
        >>> example_park().compiled.material_ids.tolist()
        ['coal_gangue']
        """
        return self._materials[1]

    @cached_property
    def incidence(self) -> sp.csr_matrix:
        """n_processes × n_flows, +1 where the flow enters the process, −1 where it leaves (built on first
        use: balancing needs only ``src`` and ``tgt``, and scipy is not imported before).

        Examples
        --------
        >>> from mfa.solve.model import example_park
        >>> example_park().compiled.incidence.toarray().tolist()
        [[-1.0, 0.0, 0.0], [1.0, -1.0, -1.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
        """
        import scipy.sparse as sp

        n_p, n_f = self.n_processes, self.n_flows
        cols = np.arange(n_f)
        data = np.concatenate([np.ones(n_f), -np.ones(n_f)])
        return sp.csr_matrix((data, (np.concatenate([self.tgt, self.src]), np.concatenate([cols, cols]))),
                             shape=(n_p, n_f))

    n_processes = Count("process_ids", doc="The number of processes (``example_park()``: 4).")
    n_flows = Count("src", doc="The number of flows (``example_park()``: 3).")

    @cached_property
    def kind_code(self) -> np.ndarray:
        """Process kinds as small integers, positions in :data:`mfa.conventions.PROCESS_KINDS`.

        Examples
        --------
        >>> from mfa.solve.model import example_park
        >>> c = example_park().compiled
        >>> [PROCESS_KINDS[i] for i in c.kind_code] == c.kind.tolist()
        True
        """
        # the few distinct kinds are looked up, not every process's (no string per process is made)
        codes, kinds = pd.factorize(self.process_table["kind"])
        return kind_codes(kinds.tolist())[codes] if len(codes) else np.zeros(0, dtype=np.int8)

    @cached_property
    def touch(self) -> sp.csr_matrix:
        """n_processes × n_flows, 1 where the flow enters or leaves the process.

        Examples
        --------
        >>> from mfa.solve.model import example_park
        >>> example_park().compiled.touch.toarray().tolist()
        [[1.0, 0.0, 0.0], [1.0, 1.0, 1.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
        """
        return abs(self.incidence).tocsr()

    @cached_property
    def inflow(self) -> sp.csr_matrix:
        """n_processes × n_flows, 1 where the flow enters the process.

        Examples
        --------
        >>> from mfa.solve.model import example_park
        >>> example_park().compiled.inflow.toarray().tolist()
        [[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
        """
        return self.incidence.multiply(self.incidence > 0).tocsr()

    @cached_property
    def outflow(self) -> sp.csr_matrix:
        """n_processes × n_flows, 1 where the flow leaves the process.

        Examples
        --------
        >>> from mfa.solve.model import example_park
        >>> example_park().compiled.outflow.toarray().tolist()
        [[1.0, 0.0, 0.0], [0.0, 1.0, 1.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]]
        """
        return (-self.incidence).multiply(self.incidence < 0).tocsr()

    def known_totals(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Per process: the known inputs and outputs (t/a, unknown flows counted as 0) and the number of
        unknown flows in and out — bincounts over the flows' endpoints, the incidence mat-vecs without
        building the matrices.

        Returns
        -------
        tuple of four ndarrays
            Known inputs, known outputs (t/a), unknown flows in, unknown flows out (counts), per process.

        Examples
        --------
        >>> from mfa.solve.model import example_park
        >>> known_in, known_out, unknown_in, unknown_out = example_park().compiled.known_totals()
        >>> known_in.tolist(), known_out.tolist()
        ([0.0, 100.0, 60.0, 0.0], [100.0, 60.0, 0.0, 0.0])
        >>> unknown_in.tolist(), unknown_out.tolist()
        ([0.0, 0.0, 0.0, 1.0], [0.0, 1.0, 0.0, 0.0])
        """
        v = self.value
        unknown = np.isnan(v)
        kv = np.where(unknown, 0.0, v)
        n = len(self.delta_stock)  # one per process, without making the ids' strings
        if not unknown.any():  # most parks as checked: no unknown flow to count
            none = np.zeros(n)
            return np.bincount(self.tgt, weights=kv, minlength=n), np.bincount(self.src, weights=kv, minlength=n), \
                none, none.copy()
        return (np.bincount(self.tgt, weights=kv, minlength=n), np.bincount(self.src, weights=kv, minlength=n),
                np.bincount(self.tgt, weights=unknown, minlength=n),
                np.bincount(self.src, weights=unknown, minlength=n))


    def with_values(self, park: Park) -> "CompiledPark":
        """The compiled form of ``park``, whose processes, materials and flows (ids, ends, materials, routes,
        fates, in the same order) are this one's: the lookups, codes and matrices built so far are shared,
        the values and stock changes are the park's (the years of a multi-year park).

        Parameters
        ----------
        park : mfa.Park

        Returns
        -------
        CompiledPark

        Examples
        --------
        >>> from mfa.solve.model import example_park
        >>> park = example_park()
        >>> c = park.compiled
        >>> c.incidence.shape
        (4, 3)
        >>> shared = c.with_values(park.with_values(park.flows["value"] * 2))
        >>> shared.value.tolist(), shared.incidence is c.incidence
        ([200.0, 120.0, nan], True)
        """
        out = replace(self, **_values_of(park))
        out.__dict__.update({k: v for k, v in self.__dict__.items() if k in _STRUCTURE_CACHE})
        return out


#: The lazily built fields of :class:`CompiledPark`: the structure (ids, kinds, codes, matrices), never a value.
_STRUCTURE_CACHE = frozenset(k for k, v in vars(CompiledPark).items() if isinstance(v, cached_property))


def kind_codes(kinds) -> np.ndarray:
    """The positions of process kinds in :data:`mfa.conventions.PROCESS_KINDS` (int8).

    Parameters
    ----------
    kinds : iterable of str
        Process kinds.

    Returns
    -------
    numpy.ndarray of int8

    Examples
    --------
    >>> kind_codes(["import", "production"]).tolist() == [PROCESS_KINDS.index("import"),
    ...                                                   PROCESS_KINDS.index("production")]
    True
    """
    order = {kind: i for i, kind in enumerate(PROCESS_KINDS)}
    return np.array([order[k] for k in kinds], dtype=np.int8)


def compile_park(park: Park, endpoints: tuple[np.ndarray, np.ndarray] | None = None) -> CompiledPark:
    """Index a park's flows (O(n_flows)); per-process strings, lookups and the sparse incidence matrix are
    built on first use.

    Parameters
    ----------
    park : mfa.Park
        A validated park.
    endpoints : tuple of two int arrays, optional
        Per flow, the rows of its source and of its target in ``park.processes``, when the reader already
        looked them up (then no id is hashed here again).

    Returns
    -------
    CompiledPark
        Usually read as ``park.compiled``, which caches it.

    Examples
    --------
    >>> import mfa
    >>> c = compile_park(mfa.read_park("wuhai"))
    >>> c.process_ids[c.src[0]] == mfa.read_park("wuhai").flows.at[0, "source"]
    True
    """
    procs = park.processes
    flows = park.flows
    n_p, n_f = len(procs), len(flows)
    if endpoints is not None and len(endpoints[0]) == n_f:
        src, tgt = endpoints
    elif n_f:
        # One factorisation of process ids, sources and targets together (hashing in the string array's own
        # kernel): the process ids come first and are unique, so their codes are their positions.
        codes, _ = pd.factorize(pd.concat([procs["id"], flows["source"], flows["target"]], ignore_index=True))
        codes = np.where(codes < n_p, codes, -1)  # a flow to an undeclared process (validated before)
        src, tgt = codes[n_p:n_p + n_f], codes[n_p + n_f:]
    else:
        src = tgt = np.zeros(0, dtype=np.int64)
    return CompiledPark(src=np.asarray(src, dtype=np.int64), tgt=np.asarray(tgt, dtype=np.int64),
                        process_table=procs, **_values_of(park))


def _values_of(park: Park) -> dict:
    """The compiled fields of a park that are its numbers (and the frames its lazy columns come from)."""
    procs, flows = park.processes, park.flows
    delta = np.full(len(procs), np.nan)
    stocks = park.stocks
    if len(stocks):
        d = (stocks["closing"] - stocks["opening"]).groupby(stocks["process"]).sum(min_count=1)
        pos = procs.set_index("id").index.get_indexer(d.index)
        delta[pos] = d.to_numpy()
    return dict(value=flows["value"].to_numpy(dtype=float), sigma=flows["sigma"].to_numpy(dtype=float),
                tc=flows["tc"].to_numpy(dtype=float), tc_sigma=flows["tc_sigma"].to_numpy(dtype=float),
                delta_stock=delta, _flows=flows, _materials_table=lambda: park.materials)
