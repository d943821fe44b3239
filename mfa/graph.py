"""A park as a networkx graph, and back: for researchers who reach for networkx's algorithms.

The graph is a :class:`networkx.MultiDiGraph` (two flows of different materials may join the same pair of
processes):

* **nodes** are processes, keyed by id, with the attributes of the ``processes`` table (name, name_zh, kind,
  group, x, y, capacity, note, fate);
* **edges** are flows, ``source → target`` keyed by the flow id, with material, value and unit (t/a; NaN = unknown),
  sigma (t/a, NaN = exact), tc, tc_sigma, route, fate, year, note, and ``status`` (``known``, ``unknown``
  or ``estimated`` — generated from activity data);
* ``G.graph`` holds the park's metadata (name, region, year …), its ``materials``, ``stocks``, activities and
  coefficients as lists of records and the flows' order, so :func:`from_networkx` gives the same park back.

networkx is imported only here, on first use (``import mfa`` stays light).

>>> import mfa
>>> park = mfa.read_park("hazardous")
>>> G = park.to_networkx()
>>> G.number_of_nodes(), G.number_of_edges()
(22, 63)
>>> mfa.Park.from_networkx(G) == park
True
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import pandas as pd

from mfa.conventions import FLOW_COLUMNS, PROCESS_COLUMNS

if TYPE_CHECKING:  # pragma: no cover
    import networkx as nx

    from mfa.park import Park

__all__ = ["to_networkx", "from_networkx"]

_EDGE_COLUMNS = tuple(c for c in FLOW_COLUMNS if c not in ("id", "source", "target", "estimated", "activity"))


def _plain(v: Any) -> Any:
    if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
        return float("nan") if isinstance(v, float) else None
    if hasattr(v, "item"):
        return v.item()
    return v


def to_networkx(park: Park) -> nx.MultiDiGraph:
    """The park as a ``MultiDiGraph`` of processes (nodes) and flows (edges keyed by flow id).

    Parameters
    ----------
    park : mfa.Park
        The park (values in t/a); a name or a path gives an error saying to read it first.

    Returns
    -------
    networkx.MultiDiGraph
        Node and edge attributes as in the module docstring; ``G.graph`` holds what
        :func:`from_networkx` needs to give the same park back.

    Examples
    --------
    >>> import mfa
    >>> G = to_networkx(mfa.read_park("hazardous"))
    >>> G.nodes["hw_reception"]["kind"], sorted({d["status"] for *_, d in G.edges(data=True)})
    ('collection', ['known', 'unknown'])
    """
    import networkx as nx

    from mfa.park import require_park

    require_park(park, "to_networkx")
    G = nx.MultiDiGraph()
    frames = park.to_frames()
    G.graph.update({"park": dict(frames["info"]),
                    "materials": frames["materials"].to_dict("records"),
                    "stocks": frames["stocks"].to_dict("records"),
                    "activities": frames["activities"].to_dict("records"),
                    "coefficients": frames["coefficients"].to_dict("records"),
                    # networkx keeps edges by node; the park's flow order is kept here so that it comes back
                    "flow_order": park.flows["id"].tolist()})
    for rec in park.processes.to_dict("records"):
        G.add_node(rec["id"], **{k: _plain(rec.get(k)) for k in PROCESS_COLUMNS if k != "id"})
    flows = park.flows
    status = pd.Series("known", index=flows.index, dtype=object)
    status[flows["value"].isna()] = "unknown"
    status[flows["estimated"].astype(bool)] = "estimated"
    for rec, st in zip(flows.to_dict("records"), status):
        attrs = {k: _plain(rec.get(k)) for k in _EDGE_COLUMNS if k in rec}
        attrs["status"] = st
        attrs["unit"] = "t/a"  # the park's values are t/a whatever its default unit
        attrs["activity"] = _plain(rec.get("activity", ""))
        G.add_edge(rec["source"], rec["target"], key=rec["id"], **attrs)
    return G


def from_networkx(G: nx.MultiDiGraph | nx.DiGraph) -> Park:
    """A :class:`~mfa.park.Park` from a graph made by :func:`to_networkx` or built by hand: node attributes
    are process columns (``kind`` is required; ``name`` defaults to the id), edge attributes flow columns
    (``material`` required; ``value`` in t/a unless ``unit`` says otherwise; the edge key, if a string, is the
    flow id). ``G.graph`` may hold ``park`` (metadata), ``materials`` and ``stocks``. Every row is validated as
    for any park; problems are raised together as :class:`mfa.errors.ParkError`.

    Parameters
    ----------
    G : networkx.MultiDiGraph or networkx.DiGraph
        Processes as nodes, flows as edges.

    Returns
    -------
    mfa.Park
        The validated park.

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.DiGraph()
    >>> G.add_node("mine", kind="import"); G.add_node("plant", kind="production")
    >>> G.add_edge("mine", "plant", material="raw_coal", value=10.0, unit="万t/a")
    >>> from_networkx(G).flows[["id", "value"]].values.tolist()
    [['mine>plant:raw_coal', 100000.0]]
    """
    from mfa.errors import MfaError
    from mfa.park import Park

    try:
        import networkx as nx
    except ImportError as exc:  # pragma: no cover - networkx is a dependency
        raise MfaError("networkx is not installed") from exc
    if not isinstance(G, (nx.DiGraph, nx.MultiDiGraph)):
        raise MfaError(f"from_networkx needs a directed networkx graph (DiGraph or MultiDiGraph), not "
                       f"{type(G).__name__}")
    processes = [{"id": n, "name": n, **{k: v for k, v in d.items() if k in PROCESS_COLUMNS}}
                 for n, d in G.nodes(data=True)]
    flows = []
    edges = G.edges(keys=True, data=True) if G.is_multigraph() else ((u, v, None, d) for u, v, d in G.edges(data=True))
    for u, v, key, d in edges:
        row = {"source": u, "target": v, **{k: d[k] for k in d if k in FLOW_COLUMNS or k == "unit"}}
        row.pop("estimated", None)
        if isinstance(key, str):
            row["id"] = key
        if row.get("activity"):
            continue  # generated flows are made again from the activities
        row.pop("activity", None)
        row.pop("status", None)
        flows.append(row)
    meta = dict(G.graph)
    order = {fid: i for i, fid in enumerate(meta.get("flow_order") or [])}
    if order:
        flows.sort(key=lambda r: order.get(r.get("id"), len(order)))
    info = meta.get("park")
    stocks = meta.get("stocks")
    return Park.from_frames(processes=processes, flows=flows, materials=meta.get("materials"),
                            stocks=pd.DataFrame(stocks).assign(unit="t") if stocks else None, info=info,
                            activities=meta.get("activities") or None,
                            coefficients=meta.get("coefficients") or None)
