"""Projections (issue 16, item 4, a first part): a park continued year by year to a later year, as a scenario
says, its stocks with lifetimes running on.

Each projected year repeats the park's last year: its own flows (values, transfer coefficients), its stocks
(the opening carried from the year before, the closing = opening + what enters − what leaves), and a stock
with a lifetime takes the inflows of the new years and releases what its lifetime says. A **scenario** changes flows over the years: a table of
rows ``flow, column, year, value`` (``column`` = ``value``, ``tc`` or ``growth``) gives the flow's value, or its
transfer coefficient, in a year, or its growth in %/a from that year on (compounded, held until the flow's next
growth row); between two years of a flow the change is linear, after the last one it is held, and
before the first one it starts from the last year's own figure. A blank ``value`` makes the flow unknown from
that year on (the balances then compute it); a ``tc`` makes the flow's value unknown (the transfer coefficient
decides it). A **new plant** is added by rows of column ``capacity`` (its id, its capacity from a year),
``take`` (what it takes and from where: the flow it diverts, ``instead_of``, or a store's stock it draws down)
and ``tc`` of its outputs; it fills its capacity year by year from what its sources have, so the tonnes it takes
leave where they went before. A store's stock without a lifetime follows its projected flows. The projected
park is read and checked like any multi-year park (:mod:`mfa.io.years`).

>>> import mfa
>>> from mfa.projection import project
>>> p = project(mfa.read_park("farm_film"), 2030)
>>> p.years[-1], round(mfa.stocks(p).table.query("process == 'soil'")["stock"].iat[-1])
(2030, 25389)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from mfa.errors import Issue, Message, MfaError, ParkError, RawTable, suggest
from mfa.validation import in_set

if TYPE_CHECKING:
    from mfa.park import Park

__all__ = ["project", "read_scenario", "read_rows", "SCENARIO_COLUMNS", "SCENARIO_KINDS", "PLANT_KINDS"]

#: The columns of a scenario table (``kind``, ``name``, ``name_zh`` and ``instead_of`` only for the rows of a
#: new plant).
SCENARIO_COLUMNS: tuple[str, ...] = ("flow", "column", "year", "value", "note", "kind", "name", "name_zh",
                                     "instead_of")
#: What a scenario row changes (its ``column``): a flow's value, share or growth; a new plant's capacity, or
#: what it takes.
SCENARIO_KINDS: tuple[str, ...] = ("value", "tc", "growth", "capacity", "take")
#: The kinds a new plant may be (a process that passes on what it takes, without a stock).
PLANT_KINDS: tuple[str, ...] = ("production", "treatment", "collection")


def read_rows(source: Any, name: str) -> RawTable:
    """A small table given as a CSV file, a DataFrame or an iterable of dicts, every cell as text with its
    location (the file's rows, or ``name[i]``), ready for :class:`mfa.validation.TableChecker`.

    Parameters
    ----------
    source : path, DataFrame or iterable of dict
    name : str
        What the table is (``scenario``, ``targets``): named in its problems.

    Returns
    -------
    RawTable

    Raises
    ------
    mfa.errors.ParkError
        An unreadable or empty file.

    Examples
    --------
    >>> read_rows([{"flow": "a>b:m", "year": 2030}], "scenario").frame.values.tolist()
    [['a>b:m', '2030']]
    """
    from mfa.io.frames import raw_from_frame

    if isinstance(source, (str, bytes)) or hasattr(source, "__fspath__"):
        from pathlib import Path

        from mfa.io.readers import read_csv_table

        issues: list[Issue] = []
        raw = read_csv_table(Path(source), name, issues)
        if issues or raw is None:
            raise ParkError(issues or [Issue(str(source), Message(f"empty {name} file", "projection.empty_file",
                                                                  table=name))])
        return raw
    frame = source if isinstance(source, pd.DataFrame) else pd.DataFrame(list(source))
    return raw_from_frame(name, frame)


def read_scenario(scenario: Any, park: "Park", until: int) -> pd.DataFrame:
    """A scenario table (a CSV file, a DataFrame or a list of dicts) validated against ``park``: every problem
    located (file, row, column, value) and raised at once.

    Besides the rows that change the park's flows (``value``, ``tc``, ``growth``), rows of column
    ``capacity`` add a new plant (the ``flow`` cell is its new process id, the optional ``kind`` column its
    kind), rows of column ``take`` say what it takes and from where (``instead_of``: the process the tonnes go
    to today; blank: the source's own stock), and ``tc`` rows of flows from the new plant give its outputs
    (docs/time.md, "A new plant").

    Parameters
    ----------
    scenario : path, DataFrame or iterable of dict
    park : Park
        The park it changes (its flow ids, its last year).
    until : int
        The last projected year.

    Returns
    -------
    DataFrame
        flow, column (``value``, ``tc``, ``growth``, ``capacity`` or ``take``), year (int), value (float, NaN =
        unknown, or no limit of its own for a take), kind, instead_of; in the order of the rows.

    Raises
    ------
    mfa.errors.ParkError

    Examples
    --------
    >>> import mfa
    >>> park = mfa.read_park("farm_film")
    >>> s = read_scenario([{"flow": "fields>collection:farm_film", "column": "tc", "year": 2030, "value": 0.9}],
    ...                   park, 2030)
    >>> s[["column", "year", "value"]].values.tolist()
    [['tc', 2030, 0.9]]
    >>> read_scenario([{"flow": "fields>colection:farm_film", "column": "tc", "year": 2031, "value": 1.5}],
    ...               park, 2030)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    mfa.errors.ParkError: 3 problems in the input:
      - scenario (DataFrame), scenario[0].flow: unknown flow (value: 'fields>colection:farm_film') — did you mean ...
    """
    from mfa.validation import TableChecker

    raw = read_rows(scenario, "scenario")
    issues: list[Issue] = []
    c = TableChecker(raw, issues)
    if not c.required(("flow", "column", "year", "value")):
        raise ParkError(issues)
    ids = park.flows["id"].drop_duplicates().tolist()
    column = c.choice("column", SCENARIO_KINDS, "scenario column")
    plant = _PlantRows(c, park, column)
    # a flow the park lacks, between two of its processes, may be switched on by its values (a new coupling)
    procs = set(park.processes["id"])
    added = plant.src.isin(procs) & plant.dst.isin(procs) & (plant.mat != "") & (column == "value")
    allowed = ids + sorted(set(plant.flow[added.to_numpy()]) - set(ids))
    others = ~plant.rows
    flow = plant.flow
    c.add(others & ~in_set(flow, allowed), "flow", Message("unknown flow", "input.unknown_choice", what="flow"),
          suggestion=lambda v: suggest(v, allowed) or Message("a flow of the park: source>target:material",
                                                              "hint.flow_id"))
    year, _ = c.numbers("year", what="a year")
    last = park.years[-1] if park.years else None
    # a cell that is not a number is reported by numbers() already
    bad_year = np.isfinite(year) & ((year != np.round(year)) | (year <= (last or 0)) | (year > until))
    first = last + 1 if last else "…"
    c.add(bad_year & (c.text("year") != "").to_numpy(), "year",
          Message(f"a scenario year is a projected year, {first}–{until}", "projection.year", first=first, last=until),
          suggestion=Message("the park's own years are its data; a scenario changes the years after them",
                             "hint.projected_years"))
    c.add((c.text("year") == "").to_numpy(), "year", Message("blank year", "input.blank", column="year"),
          suggestion=Message(f"the projected year the row applies from ({first}–{until})", "hint.projected_year",
                             first=first, last=until))
    value, _ = c.numbers("value", nonnegative=False,
                         what="a value in t/a, a transfer coefficient, a growth in %/a or a capacity in t/a")
    c.add((column == "tc").to_numpy() & (value > 1), "value",
          Message("a transfer coefficient is a share, at most 1", "projection.tc_share"),
          suggestion=Message("a share of the source's input between 0 and 1 (0.9, not 90)", "hint.tc_between"))
    is_growth = (column == "growth").to_numpy()
    c.add(~is_growth & (value < 0), "value", Message("a flow's value or share is not negative", "projection.negative"))
    c.add(is_growth & (value <= -100), "value",
          Message("a growth in %/a above −100 (−100 % would remove the flow)", "projection.growth_floor"),
          suggestion=Message("to stop a flow, give it a value row of 0", "hint.stop_flow"))
    c.add(is_growth & (c.text("value") == "").to_numpy(), "value",
          Message("a growth rate needs its %/a (0 stops it)", "projection.growth_blank"))
    dup = pd.Series(list(zip(flow, column, year))).duplicated().to_numpy()
    c.add(dup, "year", Message("the same flow, column and year twice", "projection.duplicate"),
          suggestion=Message("give one row per flow, column and year", "hint.one_scenario_row"))
    plant.check_plants(value, year)
    if issues:
        raise ParkError(issues)
    if not c.n:
        return pd.DataFrame({c: [] for c in ("flow", "column", "year", "value", "kind", "name", "name_zh",
                                             "instead_of")})
    return pd.DataFrame({"flow": flow, "column": column, "year": year.astype(int), "value": value,
                         "kind": plant.kind,
                         "name": c.text("name"), "name_zh": c.text("name_zh"), "instead_of": plant.instead})


class _PlantRows:
    """The checks of a scenario's new-plant rows: ``capacity`` rows (a new process id in ``flow``), ``take``
    rows (``source>plant:material`` with ``instead_of``) and the plant's output ``tc`` rows."""

    def __init__(self, c: Any, park: "Park", column: pd.Series):
        from mfa.catalogue import materials

        self.c = c
        self.flow = c.text("flow")
        parts = self.flow.str.extract(r"^([^>]+)>([^:]+):(.+)$")
        self.src, self.dst, self.mat = (parts[i].fillna("").astype(str) for i in range(3))
        procs = park.processes
        kinds = dict(zip(procs["id"], procs["kind"]))
        cap = (column == "capacity").to_numpy()
        take = (column == "take").to_numpy()
        self.cap = cap
        self.take = take
        named = self.flow.str.contains(r"[>:]", regex=True).to_numpy() | (self.flow == "").to_numpy()
        c.add(cap & named, "flow", "a capacity row names a new plant by its process id, not a flow",
              suggestion="e.g. ash_blocks,capacity,2026,500000")
        c.add(cap & ~named & self.flow.isin(list(kinds)).to_numpy(), "flow",
              "the park has this process already: a capacity row adds a new plant",
              suggestion="give the new plant an id of its own")
        ok = cap & ~named & ~self.flow.isin(list(kinds)).to_numpy()
        self.plants = list(dict.fromkeys(self.flow[ok]))
        self.kind = c.text("kind")
        c.add(cap & ~in_set(self.kind, ("",) + PLANT_KINDS), "kind", "unknown kind of a new plant",
              suggestion=f"one of {', '.join(PLANT_KINDS)} (blank: production)")
        for col in ("kind", "name", "name_zh"):
            c.add(~cap & (c.text(col) != "").to_numpy(), col, f"{col} is for a capacity row (the new plant's {col})",
                  suggestion=f"leave {col} blank on this row")
        self.output = (column == "tc").to_numpy() & self.src.isin(self.plants).to_numpy()
        self.rows = cap | take | self.output
        known = set(park.materials["id"]) | set(materials()["id"])
        from_plant = self.dst.isin(self.plants).to_numpy()
        c.add(take & ~from_plant, "flow", "a take row's flow goes into a new plant of the scenario: "
              "source>plant:material, the plant added by a capacity row",
              suggestion=lambda v: suggest(v.split(">", 1)[-1].split(":", 1)[0], self.plants)
              or "add a capacity row for the plant")
        c.add(take & from_plant & ~self.src.isin(list(kinds)).to_numpy(), "flow",
              "a take row's source is a process of the park",
              suggestion=lambda v: suggest(v.split(">")[0], list(kinds)) or "source>plant:material")
        c.add(self.output & ~self.dst.isin(list(kinds)).to_numpy(), "flow",
              "a new plant's output goes to a process of the park", suggestion="plant>target:material")
        c.add((take | self.output) & ~self.mat.isin(known).to_numpy(), "flow", "unknown material in the flow",
              suggestion=lambda v: suggest(v.rsplit(":", 1)[-1], known) or "a material of the park or of flows/")
        self.instead = c.text("instead_of")
        blank = (self.instead == "").to_numpy()
        c.add(~take & ~blank, "instead_of", "instead_of is for a take row (where the tonnes go today)",
              suggestion="leave instead_of blank on this row")
        ids = set(park.flows["id"])
        diverted = (self.src + ">" + self.instead + ":" + self.mat)
        c.add(take & ~blank & ~diverted.isin(ids).to_numpy(), "instead_of",
              "the park has no flow of this material from the take's source to this process to take the tonnes from",
              suggestion="name the process the material goes to today (a landfill, a yard), or leave it blank "
                         "to draw on the source's stock")
        lifetimes = set(zip(park.lifetimes["process"], park.lifetimes["material"]))
        held = set(zip(park.stocks["process"], park.stocks["material"])) - lifetimes
        store = np.array([kinds.get(s) == "storage" and (s, m) in held for s, m in zip(self.src, self.mat)],
                         dtype=bool)
        c.add(take & blank & from_plant & ~store, "instead_of",
              "a blank instead_of draws on the source's stock, but the source is not a store with a stock of "
              "this material in the stocks table (without a lifetime)",
              suggestion="name where the tonnes go today (a landfill, a yard), or take from a store")

    def check_plants(self, value: np.ndarray, year: np.ndarray) -> None:
        """Each plant has a capacity, takes something, sends it somewhere; its output shares add up to 1."""
        c = self.c
        value = np.asarray(value, dtype=float)
        c.add(self.cap & np.isnan(value), "value", "a new plant's capacity needs its t/a",
              suggestion="the most it takes a year, in t/a")
        self._blank_in_all_or_none(self.take, value, "a take without a limit of its own (blank) in one row and "
                                   "with one in another", "give its most t/a in every row of the take, or in none")
        self._blank_in_all_or_none(self.output, value, "an output of a new plant whose share is the rest (blank) "
                                   "in one row has a share of its own in another",
                                   "leave its share blank in every row, or give it in every row")
        for p in self.plants:
            at = np.flatnonzero(self.cap & (self.flow == p).to_numpy())[0]
            first = np.zeros(len(value), dtype=bool)
            first[at] = True
            if not (self.take & (self.dst == p).to_numpy()).any():
                c.add(first, "flow", "a new plant takes something: add its take rows",
                      suggestion=f"source>{p}:material,take,YEAR,[most t/a] with instead_of")
            out = self.output & (self.src == p).to_numpy()
            if not out.any():
                c.add(first, "flow", "a new plant sends what it takes somewhere: add its outputs",
                      suggestion=f"{p}>target:material,tc,YEAR,share (the shares add up to 1)")
                continue
            blank = pd.unique(self.flow[out & np.isnan(value)])
            given = out & ~np.isnan(value) & np.isfinite(year)
            # the shares are linear between their years and held outside: their sum is extreme at those years
            points = sorted(set(year[given].astype(int)))
            total = sum(np.interp(points, *_sorted_points(year, value, given & (self.flow == f).to_numpy()))
                        for f in pd.unique(self.flow[given])) if points else np.zeros(1)
            where = np.flatnonzero(out)[:1]
            mark = np.zeros(len(value), dtype=bool)
            mark[where] = True
            if len(blank) > 1:
                c.add(mark, "value", f"{len(blank)} outputs of {p} are the rest (blank): at most one",
                      suggestion="give the share of all of them but one")
            elif len(blank) == 1 and np.max(total) > 1 + 1e-9:
                c.add(mark, "value", f"the output shares of {p} add up to {np.max(total):.6g}, more than 1",
                      suggestion="the shares of a plant's outputs add up to 1")
            elif not len(blank) and np.max(np.abs(np.asarray(total) - 1)) > 1e-9:
                c.add(mark, "value", f"the output shares of {p} add up to "
                      f"{float(np.asarray(total).flat[np.argmax(np.abs(np.asarray(total) - 1))]):.6g}, not 1: "
                      "the plant would not balance", suggestion="make them add up to 1, or leave one blank (the rest)")

    def _blank_in_all_or_none(self, rows: np.ndarray, value: np.ndarray, message: str, suggestion: str) -> None:
        """An issue at the blank values of a flow of ``rows`` whose other rows give a value."""
        for fid in self.flow[rows].unique():
            mine = rows & (self.flow == fid).to_numpy()
            if np.isnan(value[mine]).any() and not np.isnan(value[mine]).all():
                self.c.add(mine & np.isnan(value), "value", message, suggestion=suggestion)


def _ramp(start: float, points: pd.DataFrame, years: list[int], last: int) -> np.ndarray:
    """The value of each projected year: linear between the points, from the last year's ``start``, held after."""
    xs = np.concatenate([[last], points["year"].to_numpy(dtype=float)])
    ys = np.concatenate([[start], points["value"].to_numpy(dtype=float)])
    out = np.interp(years, xs, ys)
    # a blank point: unknown from that year on
    blank = points.loc[points["value"].isna(), "year"]
    if len(blank):
        out[np.asarray(years) >= blank.min()] = np.nan
        known = points["value"].notna()
        if known.any():
            xs = np.concatenate([[last], points.loc[known, "year"].to_numpy(dtype=float)])
            ys = np.concatenate([[start], points.loc[known, "value"].to_numpy(dtype=float)])
            keep = np.asarray(years) < blank.min()
            out[keep] = np.interp(np.asarray(years)[keep], xs, ys)
    return out


def _sorted_points(year: np.ndarray, value: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The years and values of ``rows``, in year order (the points of a ramp, for :func:`numpy.interp`)."""
    order = np.argsort(year[rows], kind="stable")
    return np.asarray(year[rows], dtype=float)[order], np.asarray(value[rows], dtype=float)[order]


def _from_first(points: pd.DataFrame, steps: list[int]) -> np.ndarray:
    """A path that starts with its first point: 0 before it, linear between the points, held after the last."""
    xs, ys = _sorted_points(points["year"].to_numpy(), points["value"].to_numpy(dtype=float),
                            np.ones(len(points), dtype=bool))
    return np.where(np.asarray(steps) < xs[0], 0.0, np.interp(steps, xs, ys))


def _plant_mask(changes: pd.DataFrame) -> np.ndarray:
    """The rows of a scenario that make its new plants: capacity and take rows, and the plants' outputs."""
    plants = changes.loc[changes["column"] == "capacity", "flow"].unique()
    source = changes["flow"].str.split(">", n=1).str[0]
    return (changes["column"].isin(("capacity", "take")) | ((changes["column"] == "tc") & source.isin(plants))
            ).to_numpy(dtype=bool)


def _net(flows: pd.DataFrame, process: str, material: str, year: int) -> float:
    """What enters minus what leaves ``process`` of ``material`` in ``year`` (NaN if a flow is unknown)."""
    here = flows[(flows["year"] == year).to_numpy() & (flows["material"] == material).to_numpy()]
    into = here.loc[here["target"] == process, "value"].to_numpy(dtype=float)
    out = here.loc[here["source"] == process, "value"].to_numpy(dtype=float)
    return float(into.sum() - out.sum())


def _add_plants(new: pd.DataFrame, rows: pd.DataFrame, own_years: list[int], steps: list[int],
                closing: dict[tuple[str, str], float]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The flows of each new plant of a scenario (0 in the park's own years and before its first capacity),
    the tonnes it takes lowered in place from the flows of ``new`` it diverts, and its process rows.

    Year by year, each plant fills its capacity from its take rows in their order: a take with ``instead_of``
    diverts tonnes from the flow ``source>instead_of:material`` (up to that flow); a take without draws on the
    source's stock (up to what the store holds that year: its opening, ``closing`` of the year before, plus
    what enters less what else leaves). Its outputs are the shares of what it took."""
    n = len(steps)
    caps = rows[rows["column"] == "capacity"]
    plants = list(dict.fromkeys(caps["flow"]))
    capacity = {p: _from_first(caps[caps["flow"] == p], steps) for p in plants}
    takes = []
    for (fid, instead), points in rows[rows["column"] == "take"].groupby(["flow", "instead_of"], sort=False):
        source, rest = fid.split(">", 1)
        plant, material = rest.split(":", 1)
        # a blank limit (in every row of the take, as read_scenario checks): up to what the capacity leaves
        limit = _from_first(points, steps) if points["value"].notna().all() else \
            np.where(np.asarray(steps) < points["year"].min(), 0.0, np.inf)
        takes.append((fid, source, plant, material, instead, limit))
    position = pd.MultiIndex.from_arrays([new["id"], new["year"].astype(int)])
    took = np.zeros((len(takes), n))
    # the stores a plant draws on, followed year by year from the last year's closing
    stock = {(t[1], t[3]): float(closing[(t[1], t[3])]) for t in takes if not t[4]}
    drawn = {key: np.zeros(n) for key in stock}
    for k, y in enumerate(steps):
        room = {p: float(capacity[p][k]) for p in plants}
        for j, (fid, source, plant, material, instead, limit) in enumerate(takes):
            want = min(room[plant], float(limit[k]))
            if want <= 0:
                continue
            if instead:
                i = int(position.get_indexer([(f"{source}>{instead}:{material}", y)])[0])
                if i < 0:
                    raise MfaError(f"the new plant {plant} takes {material} from {source} instead of {instead}, "
                                   f"but the park's last year has no flow {source}>{instead}:{material} to repeat")
                available = float(new.at[i, "value"])
                what = f"the flow {source}>{instead}:{material}"
            else:
                available = stock[(source, material)] + _net(new, source, material, y) - drawn[(source, material)][k]
                what = f"the flows of {material} into and out of {source}"
            if np.isnan(available):
                raise MfaError(f"the new plant {plant} takes {material} from {source} in {y}, but {what} "
                               f"{'is' if instead else 'are'} unknown that year: a plant takes known tonnes "
                               "(give the values in the scenario)")
            x = max(0.0, min(want, available))
            took[j, k] = x
            room[plant] -= x
            if instead:
                new.at[i, "value"] = available - x
            else:
                drawn[(source, material)][k] += x
        for key in drawn:
            stock[key] += _net(new, key[0], key[1], y) - drawn[key][k]
    every = list(own_years) + list(steps)
    zeros = np.zeros(len(own_years))
    flows: dict[str, np.ndarray] = {}
    intake = {p: np.zeros(n) for p in plants}
    for (fid, _, plant, *_rest), amount in zip(takes, took):
        flows[fid] = flows.get(fid, np.zeros(n)) + amount
        intake[plant] += amount
    outputs = rows[rows["column"] == "tc"]
    for p in plants:
        mine = outputs[outputs["flow"].str.startswith(p + ">")]
        given = mine[mine["value"].notna()]
        shares = {fid: np.interp(steps, *_sorted_points(pts["year"].to_numpy(), pts["value"].to_numpy(dtype=float),
                                                         np.ones(len(pts), dtype=bool)))
                  for fid, pts in given.groupby("flow", sort=False)}
        rest = [f for f in mine["flow"].unique() if f not in shares]
        if rest:
            shares[rest[0]] = 1.0 - sum(shares.values(), np.zeros(n))
        for fid in mine["flow"].unique():
            flows[fid] = shares[fid] * intake[p]
    frames = []
    for fid, values in flows.items():
        source, rest_ = fid.split(">", 1)
        target, material = rest_.split(":", 1)
        frames.append(pd.DataFrame({"id": fid, "source": source, "target": target, "material": material,
                                    "value": np.concatenate([zeros, values]), "year": every,
                                    "note": "a new plant of the scenario"}))
    # the plant's kind and names: those of its first capacity row that gives them
    own = {p: caps[caps["flow"] == p] for p in plants}

    def given(p: str, col: str, default: str) -> str:
        said = own[p][col].astype(str) if col in own[p] else pd.Series([], dtype=str)
        said = said[said != ""]
        return said.iat[0] if len(said) else default

    procs = pd.DataFrame({"id": plants, "name": [given(p, "name", p) for p in plants],
                          "name_zh": [given(p, "name_zh", "") for p in plants],
                          "kind": [given(p, "kind", "production") for p in plants],
                          "note": [f"a new plant of the scenario from {int(own[p]['year'].min())}" for p in plants]})
    return pd.concat(frames, ignore_index=True).reindex(columns=new.columns), procs


def _follow_stocks(held: pd.DataFrame, flows: pd.DataFrame, steps: list[int]) -> pd.DataFrame | None:
    """The rows of the stocks without a lifetime in the projected years: closing = opening + what enters − what
    leaves, with the last year's stock change held in a year where one of its flows is unknown (the balances
    then compute that flow)."""
    if not len(held):
        return None
    f = flows[flows["year"].isin(steps).to_numpy()]
    net = pd.concat([f.groupby(["target", "material", "year"])["value"].sum(min_count=1),
                     -f.groupby(["source", "material", "year"])["value"].sum(min_count=1)])
    unknown = pd.concat([f["value"].isna().groupby([f["target"], f["material"], f["year"]]).any(),
                         f["value"].isna().groupby([f["source"], f["material"], f["year"]]).any()])
    net = net.groupby(level=[0, 1, 2]).sum()
    unknown = unknown.groupby(level=[0, 1, 2]).any()
    out = []
    for p_, m, opening, closing, note in zip(held["process"], held["material"], held["opening"], held["closing"],
                                             held["note"]):
        keys = pd.MultiIndex.from_tuples([(p_, m, y) for y in steps])
        d = np.array(net.reindex(keys, fill_value=0.0), dtype=float)
        d[unknown.reindex(keys, fill_value=False).to_numpy(dtype=bool)] = np.nan
        change = float(closing - opening) if not np.isnan(opening) else 0.0
        path = float(closing) + np.cumsum(np.where(np.isnan(d), change, d))
        low = np.flatnonzero(path < -1e-6 * max(1.0, abs(float(closing))))
        if len(low):
            raise MfaError(f"the stock of {m} in {p_} would fall to {path[low[0]]:,.6g} t in {steps[low[0]]}: its "
                           "projected flows take out more than it holds (lower what leaves it in the scenario)")
        out.append(pd.DataFrame({"process": p_, "material": m, "year": steps, "opening": np.nan,
                                 "closing": np.maximum(path, 0.0), "note": note}))
    return pd.concat(out, ignore_index=True).reindex(columns=held.columns)


def _switched_on(changes: pd.DataFrame, base: pd.DataFrame, steps: list[int]) -> pd.DataFrame:
    """The rows of each flow a scenario adds (a coupling switched on) in every year of ``steps`` (the park's own
    years too: a multi-year park gives every flow in every year): 0 t/a before its first year, its values from
    then on (linear between them, held after the last)."""
    fresh = changes[~changes["flow"].isin(base["id"])]
    rows = []
    for fid, points in fresh.sort_values("year").groupby("flow", sort=False):
        source, rest = fid.split(">", 1)
        target, material = rest.split(":", 1)
        values = _from_first(points, steps)
        rows.append(pd.DataFrame({"id": fid, "source": source, "target": target, "material": material,
                                  "value": values, "year": steps, "note": "switched on by the scenario"}))
    if not rows:
        return base.iloc[:0]
    return pd.concat(rows, ignore_index=True).reindex(columns=base.columns)


def _grow(new: pd.DataFrame, growth: pd.DataFrame, steps: list[int]) -> None:
    """Scale the projected flows of each growth row by (1 + g/100) a year from the row's year on, the rate
    held until the flow's next growth row (compounded on the flow's value path)."""
    years = np.asarray(steps)
    for fid, points in growth.sort_values("year").groupby("flow", sort=False):
        idx = np.searchsorted(points["year"].to_numpy(), years, side="right") - 1
        rate = np.where(idx >= 0, points["value"].to_numpy(dtype=float)[np.maximum(idx, 0)], 0.0)
        factor = np.cumprod(1 + rate / 100)
        rows = new.index[new["id"] == fid]
        new.loc[rows, "value"] = new.loc[rows, "value"].to_numpy(dtype=float) * factor[
            new.loc[rows, "year"].to_numpy(dtype=int) - steps[0]]


def project(park: "Park", until: int, scenario: Any = None) -> "Park":
    """The park continued year by year to ``until`` (see the module docstring).

    Parameters
    ----------
    park : Park
        One year or several; its last year is repeated.
    until : int
        The last projected year (after the park's last year).
    scenario : path, DataFrame or iterable of dict, optional
        Rows ``flow, column, year, value`` (:func:`read_scenario`).

    Returns
    -------
    Park
        A multi-year park: the park's own years, then the projected ones.

    Raises
    ------
    mfa.errors.MfaError
        A park without a year, with activity data, or ``until`` not after its last year; a scenario's
        problems as :class:`mfa.errors.ParkError`.

    Examples
    --------
    The farm-film park at a recovery rate rising from 85 % (2025) to 90 % in 2030: the residue left in the
    fields comes from the fields' balance, the landfilled film from the collection network's.

    >>> import mfa
    >>> target = [{"flow": "fields>collection:farm_film", "column": "tc", "year": 2030, "value": 0.90},
    ...           {"flow": "fields>soil:farm_film", "column": "value", "year": 2026, "value": None},
    ...           {"flow": "collection>landfill:farm_film", "column": "value", "year": 2026, "value": None}]
    >>> p = project(mfa.read_park("farm_film"), 2030, target)
    >>> soil = mfa.stocks(p).table.query("process == 'soil' and year >= 2026")
    >>> soil["inflow"].round(1).tolist()
    [868.0, 806.0, 744.0, 682.0, 620.0]
    """
    from mfa.io.years import LIFETIME_COLUMNS
    from mfa.park import Park, extended_park, require_park

    if not isinstance(park, Park):
        require_park(park, "project")
    years = park.years
    if not years:
        raise MfaError("project() needs a park with a year: set the park's year (park.csv, 'year')")
    last = years[-1]
    if not isinstance(until, (int, np.integer)) or isinstance(until, bool) or not last < int(until) <= 2200:
        raise MfaError(f"project until a year after the park's last year {last} (at most 2200), not {until!r}")
    until = int(until)
    if len(park.activities):
        raise MfaError("project(): a park with activity data is not projected yet (its generated flows would be "
                       "repeated without their activities); give the flows themselves")
    steps = list(range(last + 1, until + 1))
    changes = read_scenario(scenario, park, until) if scenario is not None else None
    lifetimes = park.lifetimes
    flows = park.flows
    flows = flows[flows["activity"] == ""].drop(columns=["activity", "estimated"])
    flows["year"] = flows["year"].fillna(last if len(years) == 1 else pd.NA)
    base = flows[flows["year"] == last]
    new = pd.concat([base.assign(year=y) for y in steps], ignore_index=True)
    # a stock with a lifetime releases what its lifetime says: its one computed outflow is blank again
    for p_, m in zip(lifetimes["process"], lifetimes["material"]):
        out = (new["source"] == p_) & (new["material"] == m)
        if out.any():
            last_out = new[out].groupby("year").tail(1).index
            new.loc[last_out, "value"] = np.nan
    plants = None
    if changes is not None:
        is_plant = _plant_mask(changes)
        plants, changes = changes[is_plant], changes[~is_plant]
        new = pd.concat([new, _switched_on(changes, base, list(years) + steps)], ignore_index=True)
        changes = changes[changes["flow"].isin(base["id"])]
    growth = changes[changes["column"] == "growth"] if changes is not None else None
    if changes is not None:
        changes = changes[changes["column"] != "growth"]
    if changes is not None and len(changes):
        for (fid, col), points in changes.groupby(["flow", "column"], sort=False):
            rows = new.index[new["id"] == fid]
            row = base[base["id"] == fid]
            start = float(row[col].iat[0]) if len(row) else np.nan
            if col == "tc" and len(row) and np.isnan(start):
                # the share the flow had in the last year: its value over its source's total input
                total = base.loc[base["target"] == row["source"].iat[0], "value"].sum()
                start = float(row["value"].iat[0]) / total if total > 0 else np.nan
            ramp = _ramp(start, points.sort_values("year"), steps, last)
            new.loc[rows, col] = ramp[new.loc[rows, "year"].to_numpy(dtype=int) - steps[0]]
            if col == "tc":
                new.loc[rows, "value"] = np.nan  # the transfer coefficient decides the value
    if growth is not None and len(growth):
        _grow(new, growth, steps)
    stocks = park.stocks
    if "year" not in stocks.columns:
        stocks = stocks.assign(year=last)
    stocks["year"] = stocks["year"].fillna(last)
    with_lifetime = set(zip(lifetimes["process"], lifetimes["material"]))
    is_lt = np.array([(p_, m) in with_lifetime for p_, m in zip(stocks["process"], stocks["material"])], dtype=bool)
    first = stocks["year"] == stocks["year"].min()
    # stocks with a lifetime: only the first opening is data, the rest is the model's
    kept = stocks[~is_lt | first.to_numpy()].copy()
    kept.loc[is_lt[~is_lt | first.to_numpy()], "closing"] = np.nan
    held = stocks[~is_lt & (stocks["year"] == last).to_numpy()]
    processes = park.processes
    if plants is not None and len(plants):
        closing = dict(zip(zip(held["process"], held["material"]), held["closing"].astype(float)))
        extra, added = _add_plants(new, plants, list(years), steps, closing)
        new = pd.concat([new, extra], ignore_index=True)
        processes = pd.concat([processes, added], ignore_index=True)
    more = _follow_stocks(held, new, steps)
    all_stocks = pd.concat([kept] + ([more] if more is not None else []), ignore_index=True)
    # the park and the scenario are validated: when the new years are the last year's flows with other
    # numbers, the trusted path builds them without validating every row of every year again
    fast = extended_park(park, new, more) if len(new) and (plants is None or not len(plants)) else None
    if fast is not None:
        return fast
    info = park.info.model_copy(update={"year": years[0]}) if park.info.year is None else park.info
    return Park.from_frames(processes=processes, flows=pd.concat([flows, new], ignore_index=True).assign(
                                unit="t/a"),
                            materials=park.materials, stocks=all_stocks.assign(unit="t"), info=info.model_dump(),
                            coefficients=park.coefficients,
                            lifetimes=lifetimes[list(LIFETIME_COLUMNS)] if len(lifetimes) else None)
