"""The park model: processes, flows, materials and stocks as immutable tidy tables.

A :class:`Park` is built by the readers in :mod:`mfa.io` (CSV folder, YAML, Excel) or from pandas
DataFrames with :meth:`Park.from_frames`; either way every row is validated and every problem reported at
once. A Park never changes: :meth:`Park.replace` returns a new, re-validated Park.

Conventions: flow values in t/a, stocks in t (see :mod:`mfa.conventions`).

>>> import mfa
>>> park = mfa.Park.from_frames(
...     processes=[{"id": "mine", "name": "Mine", "kind": "import"},
...                {"id": "plant", "name": "Plant", "kind": "production"},
...                {"id": "dump", "name": "Dump", "kind": "landfill"}],
...     flows=[{"source": "mine", "target": "plant", "material": "raw_coal", "value": 100},
...            {"source": "plant", "target": "dump", "material": "coal_gangue", "value": "1 万t/a"}],
...     materials=[{"id": "raw_coal", "name": "Raw coal", "category": "raw_material"},
...                {"id": "coal_gangue", "name": "Coal gangue", "category": "industrial_solid_waste",
...                 "bulk": True}])
>>> park.flows[["id", "value"]].to_dict("records")
[{'id': 'mine>plant:raw_coal', 'value': 100.0}, {'id': 'plant>dump:coal_gangue', 'value': 10000.0}]
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

import numpy as np
import pandas as pd

from mfa.park_info import ParkInfo

if TYPE_CHECKING:
    from mfa.compile import CompiledPark
    from mfa.io.frames import ParkTables

__all__ = ["Park", "ParkInfo", "assemble_park", "read_park", "park_from_raw", "require_park", "extended_park"]


def _records(obj: Any) -> pd.DataFrame | None:
    if obj is None:
        return None
    if isinstance(obj, pd.DataFrame):
        return obj
    return pd.DataFrame(list(obj))


#: What a pickled park keeps of its cache: data read with it, not what engines computed from it.
_PICKLED_CACHE = frozenset({"warnings", "endpoints", "lifetimes", "years"})


class _Table(property):
    """A table of the park, read-only: each read returns a shallow copy of the frame in the named slot, so that
    a caller adding or dropping columns never reaches the park (its frames are never modified in place)."""

    def __init__(self, slot: str, doc: str) -> None:
        super().__init__(lambda park: getattr(park, slot).copy(deep=False))
        self.__doc__ = doc  # on the instance: the class's own docstring would shadow property's doc slot


class Park:
    """An immutable material-flow model of a park. Build it with :func:`mfa.read_park` or
    :meth:`Park.from_frames`; read it through the table properties, which return fresh DataFrames.

    Examples
    --------
    >>> import mfa
    >>> park = mfa.Park.from_frames(
    ...     processes=[{"id": "mine", "name": "Mine", "kind": "import"},
    ...                {"id": "plant", "name": "Plant", "kind": "production"},
    ...                {"id": "dump", "name": "Dump", "kind": "landfill"}],
    ...     flows=[{"source": "mine", "target": "plant", "material": "raw_coal", "value": 100},
    ...            {"source": "plant", "target": "dump", "material": "coal_gangue", "value": 100}])
    >>> park
    <Park 'park': 3 processes, 2 flows, 2 materials>

    The tables (``processes``, ``flows``, ``materials``, ``stocks``, ``activities``, ``coefficients``) are
    new DataFrame objects on every read: adding or dropping a column leaves the park as it was.

    >>> park.flows[["id", "value"]].to_dict("records")  # doctest: +NORMALIZE_WHITESPACE
    [{'id': 'mine>plant:raw_coal', 'value': 100.0}, {'id': 'plant>dump:coal_gangue', 'value': 100.0}]
    >>> park.processes[["id", "kind"]].values.tolist()
    [['mine', 'import'], ['plant', 'production'], ['dump', 'landfill']]
    >>> park.materials.set_index("id").loc["coal_gangue", "category"]
    'industrial_solid_waste'
    >>> list(park.stocks.columns[:4]), len(park.stocks), park.activities.empty, park.coefficients.empty
    (['process', 'material', 'opening', 'closing'], 0, True, True)
    >>> park.flows is park.flows
    False
    """

    __slots__ = ("_processes", "_flows", "_materials", "_stocks", "_activities", "_coefficients", "_info",
                 "_cache", "_source")

    def __init__(self, *, processes: pd.DataFrame, flows: pd.DataFrame, materials: pd.DataFrame,
                 stocks: pd.DataFrame, info: ParkInfo, activities: pd.DataFrame | None = None,
                 coefficients: pd.DataFrame | None = None):
        # Only the readers call this with validated, canonical frames; users go through from_frames.
        self._processes = processes
        self._flows = flows
        self._materials = materials
        self._stocks = stocks
        self._info = info
        self._activities = activities if activities is not None else pd.DataFrame()
        self._coefficients = coefficients if coefficients is not None else pd.DataFrame()
        self._cache: dict[str, Any] = {}
        self._source = ""

    # -- construction ---------------------------------------------------------------------------
    @classmethod
    def from_frames(cls, processes: Any, flows: Any, materials: Any = None, stocks: Any = None,
                    info: ParkInfo | Mapping[str, Any] | None = None, activities: Any = None,
                    coefficients: Any = None, year: int | None = None, lifetimes: Any = None) -> "Park":
        """Build and validate a Park from DataFrames (or lists of dicts) with the file columns.

        Values may carry units (``value`` ``"2 万t/a"`` or a ``unit`` column); they are normalised to t/a.
        Rows of several ``year`` make a multi-year park (:attr:`years`, :meth:`for_year`); ``year`` keeps
        one (its rows and the undated rows of the park's year; ``year`` becomes ``info.year``).
        Raises :class:`mfa.errors.ParkError` listing every problem.

        Parameters
        ----------
        processes, flows : DataFrame or iterable of dict
            The process and flow rows (file columns).
        materials, stocks, activities, coefficients, lifetimes : DataFrame or iterable of dict, optional
            The other tables; materials default to the catalogue's.
        info : ParkInfo or mapping, optional
            The park's own data (name, year, unit …).
        year : int, optional
            The period to keep when rows carry different years.

        Returns
        -------
        Park

        Examples
        --------
        >>> import mfa
        >>> park = mfa.Park.from_frames(
        ...     processes=[{"id": "mine", "name": "Mine", "kind": "import"},
        ...                {"id": "plant", "name": "Plant", "kind": "production"},
        ...                {"id": "dump", "name": "Dump", "kind": "landfill"}],
        ...     flows=[{"source": "mine", "target": "plant", "material": "raw_coal", "value": "1 万t/a"},
        ...            {"source": "plant", "target": "dump", "material": "coal_gangue", "value": 100}],
        ...     info={"name": "Tiny"})
        >>> park
        <Park 'Tiny': 3 processes, 2 flows, 2 materials>
        >>> park.flows["value"].tolist()
        [10000.0, 100.0]
        """
        from mfa.io import RawPark
        from mfa.io.frames import raw_tables_from_frames

        tables, info = raw_tables_from_frames(
            processes=_records(processes), flows=_records(flows), materials=_records(materials),
            stocks=_records(stocks), info=info, activities=_records(activities),
            coefficients=_records(coefficients), lifetimes=_records(lifetimes))
        return park_from_raw(RawPark(tables, info, [], set(), "DataFrames"), year)

    def replace(self, **changes: Any) -> "Park":
        """A new Park with some tables (processes, flows, materials, stocks, activities, coefficients) or
        ``info`` (a ParkInfo or a dict of fields to change) replaced; the result is validated again.

        Flows generated from activity data (``activity`` not blank) are regenerated, so pass the flows
        without them (``park.flows[park.flows.activity == ""]``) or with them: they are dropped first.

        Parameters
        ----------
        **changes : DataFrame, iterable of dict, ParkInfo or mapping
            The tables (or ``info``) to replace, by name.

        Returns
        -------
        Park
            A new, validated park; this one is unchanged.

        Examples
        --------
        >>> from mfa.solve.model import example_park
        >>> park = example_park()
        >>> renamed = park.replace(info={"name": "Small"})
        >>> renamed, park.info.name
        (<Park 'Small': 4 processes, 3 flows, 1 materials>, 'park')
        """
        unknown = set(changes) - {"processes", "flows", "materials", "stocks", "info", "activities",
                                  "coefficients", "lifetimes"}
        if unknown:
            raise TypeError(f"replace() got unknown tables {sorted(unknown)}")
        info = changes.get("info", self._info)
        if isinstance(info, Mapping):
            info = self._info.model_copy(update=dict(info))
        flows = _records(changes.get("flows", self._flows))
        if "activity" in flows.columns:
            flows = flows[flows["activity"].fillna("") == ""]
        if "unit" not in flows.columns:  # the model's values are t/a, whatever the park's default unit
            flows = flows.assign(unit="t/a")
        stocks = _records(changes.get("stocks", self._stocks))
        if stocks is not None and "unit" not in stocks.columns:
            stocks = stocks.assign(unit="t")
        return Park.from_frames(
            processes=changes.get("processes", self._processes),
            flows=flows,
            materials=changes.get("materials", self._materials),
            stocks=stocks,
            info=info,
            activities=changes.get("activities", self._activities),
            coefficients=changes.get("coefficients", self._coefficients),
            lifetimes=changes.get("lifetimes", self.lifetimes if len(self.lifetimes) else None),
        )._sourced(self._source)

    def with_values(self, value: Any, sigma: Any = None) -> "Park":
        """A new Park whose flow values (and optionally sigmas), in t/a and in the order of
        ``park.flows``, are replaced — checked as a column (finite or NaN, never negative), without
        re-validating every row. Made for engines that evaluate a park many times (Monte Carlo, scenario
        sweeps). Everything else, generated flows included, is shared with this park.

        >>> import mfa
        >>> park = mfa.read_park("wuhai")                         # doctest: +SKIP
        >>> doubled = park.with_values(park.flows["value"] * 2)   # doctest: +SKIP
        """
        import numpy as np

        from mfa.errors import MfaError

        if len(self.years) > 1:  # the one-year parks behind it would keep the old values
            raise MfaError(f"with_values() takes one year: park.for_year({self.years[0]}).with_values(...)")
        flows = self._flows.copy()
        for column, new in (("value", value), ("sigma", sigma)):
            if new is None:
                continue
            arr = np.asarray(new, dtype=float)
            if arr.shape != (len(flows),):
                raise MfaError(f"with_values: {column} needs {len(flows)} numbers, got shape {arr.shape}")
            bad = np.isinf(arr) | (arr < 0)
            if bad.any():
                first = int(np.flatnonzero(bad)[0])
                raise MfaError(f"with_values: {column} of flow {flows['id'].iat[first]!r} is {arr[first]!r}; "
                               f"flow {column}s are finite and never negative ({int(bad.sum())} such)")
            flows[column] = arr
        park = Park(processes=self._processes, flows=flows, materials=self._materials, stocks=self._stocks,
                    info=self._info, activities=self._activities, coefficients=self._coefficients)
        park._cache["warnings"] = self.warnings
        return park._sourced(self._source)

    def __getstate__(self) -> dict[str, Any]:
        # what engines cached on the park (the compiled form holds closures) is rebuilt where it is needed:
        # a park sent to a worker process carries its data only
        state = {k: getattr(self, k) for k in self.__slots__}
        state["_cache"] = {k: v for k, v in self._cache.items() if k in _PICKLED_CACHE}
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        for k, v in state.items():
            setattr(self, k, v)

    def _sourced(self, source: str) -> "Park":
        # a park derived from a file's park (solved, edited, retrofitted) is still of that site: it keeps
        # the file's place, so that the site's own data (e.g. its coupling/ folder) stays the park's
        self._source = source
        return self

    @property
    def source(self) -> str | None:
        """The file or folder the park was read from (None for a park built in code).

        Parks derived from it (:meth:`replace`, :meth:`with_values`, a solved or retrofitted park) keep it:
        they model the same site, whose own data (:func:`mfa.coupling_rules.site_folder`) they share.

        Returns
        -------
        str or None

        Examples
        --------
        >>> import mfa
        >>> from pathlib import Path
        >>> Path(mfa.read_park("wuhai").source).name
        'wuhai'
        >>> mfa.solve_park(mfa.read_park("wuhai")).park.source == mfa.read_park("wuhai").source
        True
        """
        return self._source or None

    # -- tables -----------------------------------------------------------------------------------
    processes = _Table("_processes", "id, name, name_zh, kind, group, x, y, capacity (t/a of input), note.")
    flows = _Table("_flows", "id, source, target, material, value (t/a; NaN = unknown), sigma (t/a; NaN = exact), "
                   "tc, tc_sigma, route, fate, year, note, estimated, activity (id of the activity that generated "
                   "the flow, or \"\").")
    materials = _Table("_materials", "Definitions of every material the park uses or defines (catalogue ∪ park; "
                       "the park wins).")
    stocks = _Table("_stocks", "process, material, opening, closing (t), note.")
    activities = _Table("_activities", "Activity data from which flows were generated (see :mod:`mfa.generation`); "
                        "may be empty.")
    coefficients = _Table("_coefficients", "The park's overrides of generation coefficients; may be empty.")

    @property
    def info(self) -> ParkInfo:
        """The park's own data: name, region, level, reporting year, unit, days per year, value added …

        Examples
        --------
        >>> from mfa.solve.model import example_park
        >>> park = example_park()
        >>> park.info.name, park.info.unit, park.info.days_per_year
        ('park', 't/a', 365.0)
        """
        return self._info

    @property
    def warnings(self) -> list:
        """Problems found while reading that did not stop it (:class:`mfa.errors.Issue` with severity
        ``warning``), e.g. an unknown extra file or waste generated at a process that is not production.

        Examples
        --------
        >>> from mfa.solve.model import example_park
        >>> park = example_park()
        >>> park.warnings
        []
        """
        return list(self._cache.get("warnings", []))

    @property
    def years(self) -> tuple[int, ...]:
        """The years of the park: one for a one-year park (its reporting year; empty when it has none),
        several for a multi-year park (see :meth:`for_year`).

        Examples
        --------
        >>> from mfa.solve.model import example_park
        >>> example_park().years
        ()
        """
        parks = self._cache.get("years")
        if parks is not None:
            return tuple(sorted(parks))
        return (self._info.year,) if self._info.year is not None else ()

    def for_year(self, year: int) -> "Park":
        """The one-year park of ``year``: what every engine takes (each year balances on its own).

        Parameters
        ----------
        year : int

        Returns
        -------
        Park

        Raises
        ------
        mfa.errors.MfaError
            If the park has no such year.

        Examples
        --------
        >>> import mfa
        >>> park = mfa.read_park("hazardous")
        >>> park.for_year(2023) is park
        True
        """
        from mfa.errors import MfaError

        parks = self._cache.get("years")
        if parks is None and (year == self._info.year or self._info.year is None):
            return self
        if parks is not None and year in parks:
            return parks[year]._sourced(self._source)
        raise MfaError(f"the park has no year {year}: its years are "
                       f"{', '.join(map(str, self.years)) or 'not given (no reporting year)'}")

    @property
    def lifetimes(self) -> pd.DataFrame:
        """The lifetimes of stocks (process, material, model, mean, std, shape, scale, timing, note); empty
        when the park has none (see docs/time.md).

        Examples
        --------
        >>> from mfa.solve.model import example_park
        >>> example_park().lifetimes.empty
        True
        """
        lt = self._cache.get("lifetimes")
        if lt is None:
            from mfa.io.years import LIFETIME_COLUMNS

            return pd.DataFrame(columns=list(LIFETIME_COLUMNS))
        return lt.copy()

    @property
    def compiled(self) -> "CompiledPark":
        """The compiled (indexed, sparse) form shared by every engine; built once.

        Examples
        --------
        >>> from mfa.solve.model import example_park
        >>> park = example_park()
        >>> park.compiled.kind_of["plant"]
        'production'
        >>> park.compiled is park.compiled
        True
        """
        c = self._cache.get("compiled")
        if c is None:
            from mfa.compile import compile_park

            like = self._cache.get("structure_of")  # a year of the same structure: its lookups shared
            c = self._cache["compiled"] = (like.compiled.with_values(self) if like is not None
                                           else compile_park(self, self._cache.get("endpoints")))
        return c

    def to_frames(self) -> dict[str, Any]:
        """The tables as a dict of DataFrames plus ``info`` (a dict), ready for :meth:`from_frames`; flows and
        stocks carry a ``unit`` column (t/a, t) so that the park's default unit does not rescale them.

        Returns
        -------
        dict
            processes, flows, materials, stocks, activities, coefficients (DataFrames) and info (a dict).

        Examples
        --------
        >>> from mfa.solve.model import example_park
        >>> park = example_park()
        >>> frames = park.to_frames()
        >>> sorted(frames)
        ['activities', 'coefficients', 'flows', 'info', 'materials', 'processes', 'stocks']
        >>> import mfa
        >>> mfa.Park.from_frames(**frames) == park
        True
        """
        return {
            "processes": self.processes, "flows": self.flows.assign(unit="t/a"), "materials": self.materials,
            "stocks": self.stocks.assign(unit="t"), "activities": self.activities,
            "coefficients": self.coefficients, "info": self._info.model_dump(),
        }

    # -- comparison and display ------------------------------------------------------------------
    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Park):
            return NotImplemented
        if self._info != other._info:
            return False
        pairs = [(self._processes, other._processes), (self._flows, other._flows),
                 (self._materials, other._materials), (self._stocks, other._stocks),
                 (self._activities, other._activities), (self._coefficients, other._coefficients)]
        for a, b in pairs:
            if len(a) == 0 and len(b) == 0:
                continue
            if list(a.columns) != list(b.columns) or not a.reset_index(drop=True).equals(
                    b.reset_index(drop=True)):
                return False
        return True

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        years = self.years
        span = f" {years[0]}–{years[-1]}" if len(years) > 1 else ""
        return (f"<Park {self._info.name!r}{span}: {len(self._processes)} processes, {len(self._flows)} flows, "
                f"{len(self._materials)} materials>")

    def summary(self) -> pd.DataFrame:
        """Processes per kind with their total input and output (t/a).

        Returns
        -------
        DataFrame
            Indexed by kind; columns (inputs|outputs, count|sum).

        Examples
        --------
        >>> from mfa.solve.model import example_park
        >>> park = example_park()
        >>> park.summary()[("outputs", "sum")].to_dict()
        {'export': 0.0, 'import': 100.0, 'landfill': 0.0, 'production': 60.0}
        """
        from mfa.mass_balance import balance

        b = balance(self).processes
        return (b.groupby("kind", sort=True)[["inputs", "outputs"]].agg(["count", "sum"])
                if len(b) else b)

    def _repr_html_(self) -> str:
        esc = html.escape
        flows = self._flows
        known = flows["value"].notna()
        kinds = self._processes["kind"].value_counts().sort_index()
        rows = "".join(f"<tr><td>{esc(str(k))}</td><td>{int(v)}</td></tr>" for k, v in kinds.items())
        title = esc(self._info.name) + (f" · {esc(self._info.name_zh)}" if self._info.name_zh else "")
        return (
            f"<div class='mfa-park'><b>Park {title}</b>"
            f"{' (' + str(self._info.year) + ')' if self._info.year else ''}<br>"
            f"{len(self._processes)} processes · {len(flows)} flows ({int((~known).sum())} unknown, "
            f"{int(flows['estimated'].sum())} estimated) · {len(self._materials)} materials · "
            f"{flows.loc[known, 'value'].sum():,.1f} t/a in known flows"
            f"<table><tr><th>kind</th><th>processes</th></tr>{rows}</table></div>"
        )

    def to_networkx(self) -> Any:
        """The park as a networkx ``MultiDiGraph`` (processes as nodes, flows as edges keyed by flow id, with
        their attributes); see :mod:`mfa.graph`. :meth:`from_networkx` turns it back into the same park.

        Returns
        -------
        networkx.MultiDiGraph

        Examples
        --------
        >>> from mfa.solve.model import example_park
        >>> park = example_park()
        >>> sorted(park.to_networkx().edges(keys=True))  # doctest: +NORMALIZE_WHITESPACE
        [('in', 'plant', 'in>plant:coal_gangue'), ('plant', 'dump', 'plant>dump:coal_gangue'),
         ('plant', 'out', 'plant>out:coal_gangue')]
        """
        from mfa.graph import to_networkx

        return to_networkx(self)

    @classmethod
    def from_networkx(cls, graph: Any) -> "Park":
        """A validated Park from a networkx directed graph (see :func:`mfa.graph.from_networkx`).

        Parameters
        ----------
        graph : networkx.DiGraph or networkx.MultiDiGraph
            Processes as nodes, flows as edges with their attributes.

        Returns
        -------
        Park

        Examples
        --------
        >>> from mfa.solve.model import example_park
        >>> park = example_park()
        >>> import mfa
        >>> mfa.Park.from_networkx(park.to_networkx()) == park
        True
        """
        from mfa.graph import from_networkx

        return from_networkx(graph)

    def sankey(self, **kwargs: Any) -> Any:
        """A Sankey diagram of the park (shown inline in Jupyter); see :func:`mfa.sankey`.

        Parameters
        ----------
        **kwargs
            Passed to :func:`mfa.sankey`.

        Returns
        -------
        mfa.sankey_diagram.SankeyDiagram

        Examples
        --------
        >>> from mfa.solve.model import example_park
        >>> park = example_park()
        >>> type(park.sankey()).__name__
        'SankeyDiagram'
        """
        from mfa.sankey_diagram import sankey

        return sankey(self, **kwargs)


def assemble_park(tables: "ParkTables") -> Park:
    """The Park of validated tables: the generation engine (:func:`mfa.generation.generated_flows`) adds the
    flows of the activity data, then every problem of reading, validation and generation is raised at once.

    Parameters
    ----------
    tables : mfa.io.frames.ParkTables
        What the reader found (:func:`mfa.io.read_tables`, :func:`mfa.io.frames.park_from_frames`).

    Returns
    -------
    Park
        With the non-fatal problems in :attr:`Park.warnings`.

    Raises
    ------
    mfa.errors.ParkError
        Listing every error, located.

    Examples
    --------
    >>> from mfa.io import read_tables
    >>> park = assemble_park(read_tables("bayannur"))
    >>> int(park.flows["estimated"].sum()) > 0
    True
    """
    from mfa.errors import ParkError
    from mfa.generation import generated_flows

    generated, issues = generated_flows(tables)
    issues = tables.issues + issues
    errors = [i for i in issues if i.severity == "error"]
    if errors:
        raise ParkError(errors)
    park = Park(**tables.park_frames(generated))
    park._cache["warnings"] = [i for i in issues if i.severity != "error"]
    park._cache["endpoints"] = tables.flow_endpoints(generated)  # compiling reuses validation's look-ups
    return park


def read_park(path_or_name: str | Path, year: int | None = None) -> Park:
    """Read a park from a CSV folder, a YAML file or an Excel workbook (or a shipped example by name).

    The reader (:func:`mfa.io.read_tables`) reads and validates; :func:`assemble_park` generates the flows
    of activity data and builds the Park. Rows of several years make a multi-year park (:attr:`Park.years`,
    :meth:`Park.for_year`; see :mod:`mfa.io.years`); ``year`` reads one year. Every value is normalised to
    t/a (stocks to t).

    Parameters
    ----------
    path_or_name : str or Path
        A folder of CSV files, a .yaml file, an .xlsx workbook, or the name of a shipped example park.
    year : int, optional
        The period to read (its rows and the undated rows of the park's year).

    Returns
    -------
    Park

    Raises
    ------
    mfa.errors.ParkError
        Every problem in every file (file, row as a spreadsheet shows it or YAML path, column, value,
        suggestion).

    Examples
    --------
    >>> park = read_park("wuhai")
    >>> park.info.year
    2015
    """
    from mfa.io import read_raw

    raw = read_raw(path_or_name)
    return park_from_raw(raw, year)._sourced(str(Path(raw.source).resolve()))


def park_from_raw(raw: Any, year: int | None = None) -> Park:
    """The Park of a park's raw tables (:func:`mfa.io.read_raw`): one year, or a multi-year park when the
    rows carry several years or the park has a lifetimes table (see :mod:`mfa.io.years`).

    With ``year``, the park of that year: for a multi-year park, the year of the series (its stocks carried
    forward and its lifetime outflows computed from the past years), otherwise the rows of that period.

    Parameters
    ----------
    raw : mfa.io.RawPark
    year : int, optional

    Returns
    -------
    Park

    Raises
    ------
    mfa.errors.ParkError
        Every problem of every year, located.

    Examples
    --------
    >>> from mfa.io import read_raw
    >>> park_from_raw(read_raw("hazardous")).years
    (2023,)
    """
    from mfa.errors import ParkError
    from mfa.io.frames import validate_tables
    from mfa.io.periods import periods_of
    from mfa.io.years import needs_series, park_year_of, unique_issues

    if needs_series(raw.tables, raw.info):
        from mfa.park_info import ParkInfo

        periods = periods_of(raw.tables, ParkInfo(year=park_year_of(raw.info, raw.source)))
        if year is None or year in periods:
            parks, lifetimes, errors = _series_parks(raw)
            has_lifetimes = len(lifetimes) > 0 or raw.tables.get("lifetimes") is not None
            # Year Y of a series whose years do not tie together is read on its own, as its rows say,
            # unless its stocks age over the years (a lifetime needs the past inflows).
            if not errors and year is not None:
                return parks[year]
            if not errors:
                return next(iter(parks.values())) if len(parks) == 1 else _multi_year(parks, lifetimes)
            if year is None or has_lifetimes:
                raise ParkError(unique_issues(errors))
    tables = validate_tables(raw.tables, raw.info, raw.source, year=year, refused=raw.refused)
    tables.issues[:0] = raw.issues  # the reading problems first, as the files were met
    return assemble_park(tables)


def _series_parks(raw: Any) -> tuple[dict[int, Park], pd.DataFrame, list]:
    """The one-year parks of a series (:func:`mfa.io.years.series_tables`), its lifetimes, and every error."""
    from mfa.dynamic_stocks import lifetime_model, solved_values, stock_driven_model
    from mfa.errors import ParkError
    from mfa.io.years import series_tables

    def solve(tables: Any) -> Any:
        try:
            return solved_values(assemble_park(tables))[:len(tables.flows)]
        except ParkError:
            return None  # the year's own errors are reported by its assembly below

    series = series_tables(raw.tables, raw.info, raw.source, raw.refused, model=lifetime_model, solve=solve,
                           stock_model=stock_driven_model)
    parks: dict[int, Park] = {}
    errors = [i for i in raw.issues if i.severity == "error"]
    for y, tables in series.tables.items():
        try:
            parks[y] = assemble_park(tables)
        except ParkError as e:
            errors.extend(e.issues)
    errors += [i for i in series.issues if i.severity == "error"]
    _share_structure(parks)
    warnings = [i for i in list(raw.issues) + series.issues if i.severity != "error"]
    for p in parks.values():
        p._cache["lifetimes"] = series.lifetimes
        p._cache["warnings"] = warnings + p.warnings
    return parks, series.lifetimes, errors


def _share_structure(parks: dict[int, Park]) -> None:
    """Years whose processes, materials and flows are the first year's (the same frames, the flows' ends
    found once by validation) compile the first year's structure with their own values."""
    first = next(iter(parks.values()), None)
    ends = first._cache.get("endpoints") if first is not None else None
    if ends is None:
        return
    for p in parks.values():
        other = p._cache.get("endpoints")
        if p is not first and other is not None and all(a is b for a, b in zip(other, ends)) and \
                p._processes is first._processes and p._materials is first._materials:
            p._cache["structure_of"] = first


def _multi_year(parks: dict[int, Park], lifetimes: pd.DataFrame) -> Park:
    """One Park holding the years: every table stacked with its ``year`` (flows and stocks), the one-year
    parks kept for :meth:`Park.for_year`."""
    years = sorted(parks)
    first = parks[years[0]]
    flows = pd.concat([parks[y]._flows.assign(year=y) for y in years], ignore_index=True)
    flows["year"] = flows["year"].astype("Int64")
    stocks = pd.concat([parks[y]._stocks.assign(year=y) for y in years], ignore_index=True)
    stocks["year"] = stocks["year"].astype("Int64")
    materials = pd.concat([parks[y]._materials for y in years]).drop_duplicates("id").sort_values(
        "id", kind="stable").reset_index(drop=True)
    acts = [parks[y]._activities.assign(year=y) for y in years if len(parks[y]._activities)]
    park = Park(processes=first._processes, flows=flows, materials=materials, stocks=stocks,
                info=first._info.model_copy(update={"year": None}),
                activities=pd.concat(acts, ignore_index=True) if acts else None,
                coefficients=first._coefficients)
    park._cache.update(years=parks, lifetimes=lifetimes, warnings=first.warnings)
    return park


class _YearFrames:
    """The frames of one year on the trusted path (what :func:`mfa.io.years.tie_years` reads and replaces)."""

    __slots__ = ("flows", "stocks", "info", "source")

    def __init__(self, flows: pd.DataFrame, stocks: pd.DataFrame, info: ParkInfo, source: str):
        self.flows, self.stocks, self.info, self.source = flows, stocks, info, source


def _year_park(like: Park, frames: _YearFrames) -> Park:
    """A one-year park with ``like``'s structure (processes, materials, flow order) and the year's frames."""
    park = Park(processes=like._processes, flows=frames.flows, materials=like._materials,
                stocks=frames.stocks.astype(like._stocks.dtypes.to_dict()).reset_index(drop=True),
                info=frames.info, activities=like._activities, coefficients=like._coefficients)
    if "endpoints" in like._cache:  # same processes, same flows in the same order
        park._cache["endpoints"] = like._cache["endpoints"]
    park._cache["warnings"] = like.warnings
    return park


#: The flow columns a projected year may change (the rest is the last year's, already validated).
_YEAR_VALUES = ("value", "sigma", "tc", "tc_sigma")


def extended_park(park: Park, flows: pd.DataFrame, stocks: pd.DataFrame | None) -> Park | None:
    """The park continued by the years of ``flows``, built without validating again what the park's last year
    already validated: each new year has exactly the last year's flows (same ids, in the same order) with
    their ``value``, ``sigma``, ``tc`` and ``tc_sigma`` from ``flows``, and the stock rows of ``stocks`` (a
    blank opening is the previous closing); the stocks with a lifetime run over every year. The trusted path
    of :func:`mfa.project`: the caller has checked the new numbers (finite, never negative, a transfer
    coefficient within [0, 1]); the result equals what :meth:`Park.from_frames` of all the rows gives.

    Parameters
    ----------
    park : Park
        One year or several, read and validated; no activity data.
    flows : DataFrame
        The rows of the new years (columns id, year and those above), the years following the park's last.
    stocks : DataFrame or None
        The stock rows of the new years, but those with a lifetime (process, material, year, opening,
        closing, note, sigma: numbers in t, checked by the caller), in each year the order of its rows.

    Returns
    -------
    Park or None
        The multi-year park (a one-year park's undated rows dated with its year, as the full path dates
        them); None when the new years are not the last year's flows (a flow added or dropped, another
        order, a park of activity data or without a year): validate the rows in full then.

    Raises
    ------
    mfa.errors.ParkError
        What tying the years together finds (a lifetime's inflow the balances do not determine …).

    Examples
    --------
    >>> import mfa
    >>> park = mfa.read_park("farm_film")
    >>> last = park.flows[park.flows["year"] == 2025]
    >>> fields = park.stocks.query("process == 'fields' and year == 2025").assign(year=2026, opening=float("nan"))
    >>> more = extended_park(park, last.assign(year=2026), fields)
    >>> more.years[-1], more.for_year(2026).stocks[["process", "opening", "closing"]].round(1).values.tolist()
    (2026, [['fields', 0.0, 0.0], ['soil', 23168.7, 23630.7]])
    >>> extended_park(park, last.iloc[:3].assign(year=2026), fields) is None  # not the last year's flows
    True
    """
    from mfa.dynamic_stocks import lifetime_model, solved_values
    from mfa.errors import ParkError
    from mfa.io.years import YearSeries, lifetimes_table, tie_years, unique_issues

    parks = park._cache.get("years") or ({park.years[0]: park} if len(park.years) == 1 else None)
    if parks is None or len(park._activities) or not len(flows):
        return None
    last_year = max(parks)
    last = parks[last_year]
    row_year = last._flows["year"].to_numpy(dtype=float, na_value=np.nan)
    undated = row_year != last_year
    if undated.any():
        if len(parks) > 1 or (~np.isnan(row_year) & undated).any():
            return None
        # a one-year park's undated rows are of its year: dated, as the full path dates them
        dated = Park(processes=last._processes, flows=last._flows.assign(
                         year=pd.array(np.full(len(last._flows), last_year), dtype="Int64")),
                     materials=last._materials, stocks=last._stocks, info=last._info,
                     activities=last._activities, coefficients=last._coefficients)
        dated._cache.update({k: v for k, v in last._cache.items() if k != "compiled"})
        parks = {last_year: dated._sourced(last._source)}
        last = dated
    ids = last._flows["id"].to_numpy(dtype=object)
    year = flows["year"].to_numpy(dtype=np.int64)
    years = list(range(last_year + 1, last_year + 1 + len(flows) // max(len(ids), 1)))
    if len(ids) == 0 or len(flows) != len(ids) * len(years) or not np.array_equal(
            year, np.repeat(years, len(ids))) or not np.array_equal(
            flows["id"].to_numpy(dtype=object), np.tile(ids, len(years))):
        return None
    lifetimes = park.lifetimes if len(park.lifetimes) else lifetimes_table(None, last._processes, None, [])
    columns = list(last._stocks.columns)
    stocks = stocks if stocks is not None else pd.DataFrame(columns=columns + ["year"])
    stock_year = stocks["year"].to_numpy(dtype=float, na_value=np.nan)
    source = park._source or "park"
    tables: dict[int, Any] = {y: _YearFrames(p._flows, p._stocks, p._info, source) for y, p in parks.items()}
    for k, y in enumerate(years):
        rows = flows.iloc[k * len(ids):(k + 1) * len(ids)]
        f = last._flows.assign(**{c: rows[c].to_numpy(dtype=float) for c in _YEAR_VALUES if c in rows.columns})
        f["year"] = pd.array(np.full(len(f), y), dtype="Int64")
        tables[y] = _YearFrames(f, stocks[stock_year == y].reindex(columns=columns).reset_index(drop=True),
                                last._info.model_copy(update={"year": y}), source)

    def solve(frames: _YearFrames) -> np.ndarray:
        return solved_values(_year_park(last, frames))

    series = YearSeries(tables, lifetimes)
    tie_years(series, lifetime_model, solve)
    if series.issues:
        raise ParkError(unique_issues(series.issues))
    out = {}
    for y, p in parks.items():  # the years held are as they were: their frames and what was computed on them
        out[y] = Park(processes=p._processes, flows=p._flows, materials=p._materials, stocks=p._stocks,
                      info=p._info, activities=p._activities, coefficients=p._coefficients)
        out[y]._cache.update({k: v for k, v in p._cache.items() if k != "years"})
    out.update({y: _year_park(last, tables[y]) for y in years})
    for p in out.values():
        p._cache["lifetimes"] = lifetimes
    return _multi_year(out, lifetimes)


def require_park(obj: Any, function: str) -> None:
    """Raise a clear :class:`mfa.errors.MfaError` when an engine is called with something other than a Park
    (``mfa.balance("wuhai")``: a name or a path must be read first).

    Parameters
    ----------
    obj : object
        What the engine was given.
    function : str
        The engine's public name, for the message.

    Raises
    ------
    mfa.errors.MfaError

    Examples
    --------
    >>> require_park("wuhai", "balance")
    Traceback (most recent call last):
    mfa.errors.MfaError: balance() needs a Park, not the name or path 'wuhai': read it first, park = mfa.read_park('wuhai'); mfa.balance(park)
    """
    from mfa.errors import MfaError

    if isinstance(obj, Park):
        if len(obj.years) > 1:
            y = obj.years
            raise MfaError(f"{function}() takes one year, and this park holds {y[0]}–{y[-1]}: "
                           f"mfa.{function}(park.for_year({y[0]})), or on the command line --year {y[0]}; "
                           "mfa.indicator_series(park) and mfa.stocks(park) take every year")
        return

    if isinstance(obj, (str, bytes)) or hasattr(obj, "__fspath__"):
        raise MfaError(f"{function}() needs a Park, not the name or path {str(obj)!r}: read it first, "
                       f"park = mfa.read_park({str(obj)!r}); mfa.{function}(park)")
    raise MfaError(f"{function}() needs a Park (mfa.read_park(...) or mfa.Park.from_frames(...)), not "
                   f"{type(obj).__name__}")
