"""The neighbourhood of a process or group as a park of its own, for a detailed Sankey of one corner of a
park too large to draw whole (``mfa sankey PARK --around P [--depth N]``, ``sankey(park, around=…)``).

The neighbourhood of depth *d* is every process within *d* flows of the selection (in either direction);
the flows between two of its processes are kept as they are. What a process of the neighbourhood exchanges
with the rest of the park is summed per process and material into two nodes, *rest of park (in)* and
*rest of park (out)*: every tonne entering or leaving a drawn process is drawn, so each process keeps its
inputs, outputs, stock change and hence its balance. A group is drawn as one node (the flows inside it
are left out, as in ``group_by="group"``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from mfa.errors import Message, MfaError, suggest

if TYPE_CHECKING:  # pragma: no cover
    from mfa.park import Park

__all__ = ["neighbourhood", "REST_IN", "REST_OUT", "GROUP_PREFIX"]

# synthetic ids cannot clash with a park's: they contain a character park ids do not use
REST_IN, REST_OUT = "⊕rest-of-park-in", "⊕rest-of-park-out"
GROUP_PREFIX = "⊕group:"
_REST_NAMES = {"en": ("rest of park (in)", "rest of park (out)"), "zh": ("园区其余部分（流入）", "园区其余部分（流出）")}
_AROUND_EN = ("around {process}, depth {depth}: {n} processes; {rest_in} from and {rest_out} to the rest of the "
              "park drawn as 'rest of park'")


def _selection(park: "Park", around: str) -> tuple[np.ndarray, str, str]:
    """Member process ids, the node id and the label of ``around`` (a process id, else a group)."""
    procs = park.processes
    ids = procs["id"].astype(str)
    if (ids == around).any():
        return np.array([around], dtype=object), around, around
    group = procs["group"].fillna("").astype(str).str.strip()
    members = ids[group == around].to_numpy(dtype=object)
    if len(members) and around:
        return members, GROUP_PREFIX + around, around  # the prefix marks the node as a group
    names = sorted(set(ids) | (set(group) - {""}))
    hint = suggest(around, names)
    raise MfaError(f"--around {around!r} is neither a process id nor a group of park {park.info.name!r}"
                   + (f"; {hint}" if hint else ""))


def neighbourhood(park: "Park", around: str, depth: int = 1, lang: str = "en",
                  carriers: np.ndarray | None = None) -> tuple["Park", dict[str, Any]]:
    """The processes within ``depth`` flows of ``around`` and the flows between them, as a park; what they
    exchange with the rest of the park summed into *rest of park* processes (see the module docstring).

    Parameters
    ----------
    park : mfa.Park
    around : str
        A process id, or a ``group`` of the processes table (drawn as one node).
    depth : int
        1: the selection and the processes it exchanges with; 2: also theirs; …
    lang : {"en", "zh"}
        Language of the *rest of park* names and of the message.
    carriers : numpy.ndarray of bool, optional
        Per row of ``park.flows``: the carrier flows (:func:`mfa.sankey_diagram.carrier_flows` of the whole
        park, so air cut off from its atmosphere stays a carrier). They do not widen the neighbourhood;
        they are kept in it (so every balance is the park's) and ``info["carriers"]`` marks them.

    Returns
    -------
    park : mfa.Park
        The neighbourhood (processes, flows, stocks of its processes; :data:`REST_IN` of kind import and
        :data:`REST_OUT` of kind export where used).
    info : dict
        ``node`` (id of the selection's node), ``label``, ``members`` (process ids), ``processes`` (drawn),
        ``rest_in``, ``rest_out`` (t/a), ``internal`` (t/a inside a group, not drawn), ``carriers`` (bool per
        row of the neighbourhood's flows), ``message``
        (:class:`mfa.errors.Message` in ``lang``).

    Examples
    --------
    >>> import mfa
    >>> park = mfa.read_park("wuhai")
    >>> sub, info = neighbourhood(park, "cement_plant")
    >>> info["processes"], sorted(sub.processes["id"])[:3]
    (12, ['aac_plant', 'ash_logistics', 'atmosphere'])
    >>> from mfa.mass_balance import balance
    >>> b, b_sub = balance(park).processes.set_index("process"), balance(sub).processes.set_index("process")
    >>> float(b_sub.at["cement_plant", "inputs"]) == float(b.at["cement_plant", "inputs"])
    True
    """
    import mfa
    from mfa.formatting import check_lang

    check_lang(lang)
    if isinstance(depth, bool) or not isinstance(depth, (int, np.integer)) or depth < 1:
        raise MfaError(f"--depth must be a whole number of 1 or more, not {depth!r}")
    members, node, label = _selection(park, str(around).strip())
    procs = park.processes
    flows = park.flows
    is_member = procs["id"].isin(members).to_numpy()
    node_of = pd.Series(procs["id"].to_numpy(dtype=object), index=procs["id"].to_numpy(dtype=object))
    node_of[is_member] = node
    src = flows["source"].map(node_of).to_numpy(dtype=object)
    tgt = flows["target"].map(node_of).to_numpy(dtype=object)
    value = flows["value"].to_numpy(dtype=float)
    inside = src == tgt  # only flows within the group: they cancel in its balance
    carrier = np.zeros(len(flows), dtype=bool) if carriers is None else np.asarray(carriers, dtype=bool)
    reached = np.array([node], dtype=object)
    for _ in range(int(depth)):
        touch = (np.isin(src, reached) | np.isin(tgt, reached)) & ~inside & ~carrier
        reached = np.union1d(reached, np.concatenate([src[touch], tgt[touch]]))
    s_in, t_in = np.isin(src, reached), np.isin(tgt, reached)
    keep = s_in & t_in & ~inside
    kept = flows[keep].assign(source=src[keep], target=tgt[keep])
    rest_in_name, rest_out_name = _REST_NAMES[lang]

    def cut(mask: np.ndarray, end: np.ndarray, rest: str, towards: bool) -> pd.DataFrame:
        f = pd.DataFrame({"process": end[mask], "material": flows["material"].to_numpy(dtype=object)[mask],
                          "value": value[mask], "carrier": carrier[mask]})
        g = f.groupby(["process", "material", "carrier"], sort=True)["value"]
        # a sum with an unknown flow in it is unknown: the process's balance stays "unknown", as in the park
        f = g.sum().where(g.count() == g.size()).reset_index()
        f = f[f["value"] != 0]
        a, b = (f["process"], rest) if towards else (rest, f["process"])
        # a material both carried and not (rare) gets two rows: ids stay unique
        tag = np.where(f["carrier"].to_numpy(dtype=bool), "~carrier", "")
        return pd.DataFrame({"id": a + ">" + b + ":" + f["material"] + tag, "source": a, "target": b,
                             "material": f["material"], "value": f["value"], "carrier": f["carrier"]})

    into = cut(~s_in & t_in, tgt, REST_IN, towards=False)
    out_of = cut(s_in & ~t_in, src, REST_OUT, towards=True)
    cols = ["id", "source", "target", "material", "value", "sigma", "note", "estimated"]
    # values are t/a already: the unit column keeps the park's own unit (万t/a, say) from rescaling them
    kept = kept[[c for c in cols if c in kept.columns]].assign(carrier=carrier[keep])
    new_flows = pd.concat([kept, into, out_of], ignore_index=True)
    sub_carriers = new_flows.pop("carrier").to_numpy(dtype=bool)
    new_flows = new_flows.assign(unit="t/a")
    drawn = procs[procs["id"].map(node_of).isin(reached).to_numpy() & ~is_member]
    rows = [drawn[["id", "name", "name_zh", "kind", "group"]]]
    if node.startswith(GROUP_PREFIX):
        kinds = procs.loc[is_member, "kind"].value_counts(sort=True)
        rows.append(pd.DataFrame({"id": [node], "name": [label], "name_zh": [label],
                                  "kind": [kinds.index[0]], "group": [label]}))
    else:
        rows.append(procs.loc[is_member, ["id", "name", "name_zh", "kind", "group"]])
    if len(into):
        rows.append(pd.DataFrame({"id": [REST_IN], "name": [_REST_NAMES["en"][0]], "name_zh": [_REST_NAMES["zh"][0]],
                                  "kind": ["import"], "group": [""]}))
    if len(out_of):
        rows.append(pd.DataFrame({"id": [REST_OUT], "name": [_REST_NAMES["en"][1]],
                                  "name_zh": [_REST_NAMES["zh"][1]], "kind": ["export"], "group": [""]}))
    new_procs = pd.concat(rows, ignore_index=True)
    st = park.stocks
    new_stocks = None
    if len(st):
        s2 = st.assign(process=st["process"].map(node_of))
        s2 = s2[s2["process"].isin(reached)]
        if len(s2):
            new_stocks = (s2.groupby(["process", "material"], sort=True)[["opening", "closing"]].sum()
                          .reset_index().assign(unit="t"))
    used = park.materials[park.materials["id"].isin(new_flows["material"].unique())]
    sub = mfa.Park.from_frames(processes=new_procs, flows=new_flows, materials=used, stocks=new_stocks,
                               info=park.info.model_dump())
    rest_in, rest_out = float(into["value"].sum()), float(out_of["value"].sum())
    shown_name = new_procs.set_index("id")["name_zh" if lang == "zh" else "name"].get(node)
    shown_name = shown_name if isinstance(shown_name, str) and shown_name else label
    from mfa.sankey_diagram import format_value

    shown = {"process": shown_name, "depth": int(depth), "n": len(reached), "rest_in": format_value(rest_in, lang),
             "rest_out": format_value(rest_out, lang)}
    if lang == "zh":
        from mfa.i18n import MESSAGES_ZH

        text = MESSAGES_ZH["sankey.around"].format(**shown)
    else:
        text = _AROUND_EN.format(**shown)
    return sub, {"node": node, "label": label, "members": [str(m) for m in members], "processes": len(reached),
                 "rest_in": rest_in, "rest_out": rest_out, "internal": float(np.nansum(value[inside])),
                 "carriers": sub_carriers,
                 "message": Message(text, "sankey.around", process=shown_name, depth=int(depth), n=len(reached),
                                    rest_in=rest_in, rest_out=rest_out)}
