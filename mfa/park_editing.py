"""Editing a park so that every process that balanced still balances: a symbiosis plan built into the park
(:func:`apply_plan`) and enterprises taken out of it (:func:`remove_processes`), with the check they share
(:func:`check_residuals_kept`). Every edit returns a new, validated Park (``park.replace``).

>>> import mfa
>>> park = mfa.Park.from_frames(
...     processes=[{"id": "coal", "name": "Coal", "kind": "import"},
...                {"id": "power", "name": "Power plant", "kind": "production"},
...                {"id": "cement", "name": "Cement plant", "kind": "production"},
...                {"id": "dump", "name": "Ash yard", "kind": "landfill"},
...                {"id": "market", "name": "Market", "kind": "export"}],
...     flows=[{"source": "coal", "target": "power", "material": "raw_coal", "value": 100},
...            {"source": "power", "target": "cement", "material": "fly_ash", "value": 30},
...            {"source": "power", "target": "market", "material": "raw_coal", "value": 70},
...            {"source": "cement", "target": "market", "material": "cement", "value": 30}])
>>> new, info = remove_processes(park, ["cement"])
>>> new.flows[["source", "target", "value"]].values.tolist()
[['coal', 'power', 100.0], ['power', 'dump', 30.0], ['power', 'market', 70.0]]
>>> info["producers_to_landfill"], info["tonnes_no_longer_utilised"]
(['power'], 30.0)
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Iterable

import numpy as np
import pandas as pd

from mfa.conventions import BOUNDARY_KINDS, PROCESS_COLUMNS, WASTE_CATEGORIES
from mfa.errors import MfaError, suggest

if TYPE_CHECKING:  # pragma: no cover
    from mfa.park import Park

__all__ = ["apply_plan", "remove_processes", "residuals", "check_residuals_kept", "RETROFIT_SUFFIX"]

RETROFIT_SUFFIX = " (symbiosis retrofit)"
_EPS = 1e-9  # t/a below which an amount is rounding, not a flow
_EMPTY = np.zeros(0, dtype=int)


# --------------------------------------------------------------------------------------------------
# the balance check every edit shares
# --------------------------------------------------------------------------------------------------
def residuals(flows: pd.DataFrame, stocks: pd.DataFrame) -> pd.Series:
    """Every process's residual, inputs − outputs − Δstock (t/a; unknown flows and stock changes count 0).

    Parameters
    ----------
    flows : pandas.DataFrame
        source, target, value (t/a) — a park's ``flows``.
    stocks : pandas.DataFrame
        process, opening, closing (t) — a park's ``stocks``.

    Returns
    -------
    pandas.Series
        Residual per process id (every process that has a flow or a stock row).

    Examples
    --------
    >>> f = pd.DataFrame({"source": ["a", "b"], "target": ["b", "c"], "value": [10.0, 7.0]})
    >>> s = pd.DataFrame({"process": ["b"], "opening": [0.0], "closing": [2.0]})
    >>> residuals(f, s).to_dict()
    {'a': -10.0, 'b': 1.0, 'c': 7.0}
    """
    v = flows["value"].to_numpy(dtype=float)
    ok = ~np.isnan(v)
    inn = pd.Series(v[ok], index=flows["target"].to_numpy(dtype=object)[ok]).groupby(level=0).sum()
    out = pd.Series(v[ok], index=flows["source"].to_numpy(dtype=object)[ok]).groupby(level=0).sum()
    ds = (stocks["closing"].astype(float) - stocks["opening"].astype(float)).fillna(0.0)
    dst = pd.Series(ds.to_numpy(), index=stocks["process"].to_numpy(dtype=object)).groupby(level=0).sum()
    idx = inn.index.union(out.index).union(dst.index)
    return inn.reindex(idx, fill_value=0.0) - out.reindex(idx, fill_value=0.0) - dst.reindex(idx, fill_value=0.0)


def check_residuals_kept(flows0: pd.DataFrame, stocks0: pd.DataFrame, flows1: pd.DataFrame,
                         stocks1: pd.DataFrame, what: str, skip: Iterable[str] | None = None) -> None:
    """Nothing lost: every process keeps its residual (:func:`residuals`) through an edit.

    Parameters
    ----------
    flows0, stocks0 : pandas.DataFrame
        The tables before the edit.
    flows1, stocks1 : pandas.DataFrame
        The tables after it.
    what : str
        The edit, for the message.
    skip : iterable of str, optional
        Processes not compared (boundary processes, removed ones).

    Raises
    ------
    RuntimeError
        When a residual changed by more than 10⁻⁹ of the largest flow: a bug in the edit, not a user error.

    Examples
    --------
    >>> f0 = pd.DataFrame({"source": ["a"], "target": ["b"], "value": [10.0]})
    >>> s = pd.DataFrame({"process": [], "opening": [], "closing": []})
    >>> check_residuals_kept(f0, s, f0.assign(value=[10.0]), s, "nothing")  # passes silently
    >>> check_residuals_kept(f0, s, f0.assign(value=[9.0]), s, "a leak", skip={"a"})
    Traceback (most recent call last):
    RuntimeError: a leak changed the balance of b (by up to 1 t/a); this is a bug in circular-mfa
    """
    r0 = residuals(flows0, stocks0)
    r1 = residuals(flows1, stocks1)
    idx = r0.index.union(r1.index)
    if skip:
        idx = idx.difference(list(skip))
    d = (r1.reindex(idx, fill_value=0.0) - r0.reindex(idx, fill_value=0.0)).abs()
    scale = flows0["value"].abs().max() if len(flows0) else 1.0
    bad = d[d > 1e-9 * max(1.0, float(np.nan_to_num(scale)))]
    if len(bad):
        raise RuntimeError(f"{what} changed the balance of {', '.join(map(str, bad.index[:5]))} "
                           f"(by up to {bad.max():.6g} t/a); this is a bug in circular-mfa")


# --------------------------------------------------------------------------------------------------
# a symbiosis plan built into the park
# --------------------------------------------------------------------------------------------------
def _plan_frame(park: "Park", plan: Any) -> pd.DataFrame:
    """The plan as a table with stream, substitutes and ratio (looked up among the candidates if absent)."""
    couplings = getattr(plan, "couplings", None)
    if isinstance(couplings, pd.DataFrame):  # a SymbiosisResult
        return couplings
    frame = plan if isinstance(plan, pd.DataFrame) else pd.DataFrame(list(plan))
    missing = {"from", "to", "material", "tonnes"} - set(frame.columns)
    if missing:
        raise MfaError(f"a symbiosis plan needs the columns from, to, material, tonnes (missing: "
                       f"{', '.join(sorted(missing))})")
    if {"stream", "substitutes", "ratio"} <= set(frame.columns):
        return frame
    from mfa.coupling_candidates import candidates

    cands = candidates(park).arcs
    rows = []
    for d in frame.to_dict("records"):
        m = cands[(cands["from"] == d["from"]) & (cands["to"] == d["to"]) & (cands["material"] == d["material"])]
        if not len(m):
            raise MfaError(f"no compatible coupling {d['from']} → {d['to']} for {d['material']} in the "
                           f"catalogue (flows/compatibility.csv)")
        first = m.iloc[0]
        rows.append({**{k: first[k] for k in ("stream", "substitutes", "ratio", "source", "rule_id", "outputs")
                        if k in first.index}, **d})
    return pd.DataFrame(rows)


class _PlanEditor:
    """The flow values of a park being edited coupling by coupling; index maps are built once, so every
    coupling touches only the few flows it concerns."""

    def __init__(self, park: "Park"):
        from mfa.coupling_candidates import stream_table

        c = park.compiled
        self.park = park
        self.kind_of = c.kind_of
        self.flows = park.flows.reset_index(drop=True).copy()
        self.value = c.value.copy()
        self.stocks = park.stocks.reset_index(drop=True).copy()
        self.src, self.tgt = c.process_ids[c.src], c.process_ids[c.tgt]
        self.fid = c.flow_ids
        self.skind = c.kind[c.src]
        self.notes = self.flows["note"].fillna("").astype(str).to_numpy(dtype=object).copy()
        self.export_ids = sorted(c.process_ids[c.kind == "export"].tolist())
        self.new_rows: list[dict] = []
        self.new_key: dict[tuple, dict] = {}
        known = ~np.isnan(self.value)
        self.known = known
        pool = known & ~np.isin(self.fid, stream_table(park)["id"].to_numpy(dtype=object))
        tkind = c.kind[c.tgt]
        nidx = np.arange(len(self.value))
        self.pos_of = {f: i for i, f in zip(nidx[::-1], self.fid[::-1])}  # first occurrence wins
        mat = c.material
        self.key_of = {k: i for i, k in zip(nidx[known][::-1],
                                            zip(self.src[known][::-1], self.tgt[known][::-1], mat[known][::-1]))}
        self.out_by_kind = self._groups(pool & np.isin(tkind, ["export", "environment", "landfill"]),
                                        self.src, tkind)
        self.sink_of = self._groups(pool & np.isin(tkind, ["landfill", "environment"]), self.src)
        self.in_by_mat = self._groups(known, self.tgt, mat)
        self.out_by_mat = self._groups(known, self.src, mat)
        self.tkind = tkind
        self.category_of = c.category_of
        self.stock_row = {(p, m): j for j, (p, m) in
                          enumerate(zip(self.stocks["process"], self.stocks["material"]))}

    def _groups(self, mask: np.ndarray, *keys: np.ndarray) -> dict:
        if not mask.any():
            return {}
        sel = np.flatnonzero(mask)
        by = [k[mask] for k in keys] if len(keys) > 1 else keys[0][mask]
        return {k: sel[v] for k, v in pd.Series(sel).groupby(by).indices.items()}

    def take(self, idx: np.ndarray, amount: float, what: str) -> None:
        """Reduce the flows ``idx`` proportionally by ``amount`` (t/a)."""
        if amount <= 0:
            return
        value = self.value
        avail = float(value[idx].sum())
        if amount > avail * (1 + 1e-9) + _EPS:
            raise MfaError(f"cannot take {amount:,.3f} t/a off {what}: only {avail:,.3f} t/a there")
        value[idx] -= amount * value[idx] / avail
        value[idx] = np.maximum(value[idx], 0.0)

    def add_flow(self, s: str, t: str, m: str, amount: float, route: str, note: str) -> None:
        """``amount`` t/a more from ``s`` to ``t``: an existing exchange grows (its note says by how much and
        why), or a new flow is added."""
        if amount <= 0:
            return
        i = self.key_of.get((s, t, m))
        if i is not None:
            self.value[i] += amount
            self.notes[i] = "; ".join(x for x in (self.notes[i], f"+{amount:,.1f} t/a: {note}") if x)
            return
        r = self.new_key.get((s, t, m))
        if r is not None:
            r["value"] += amount
            return
        r = {"id": "", "source": s, "target": t, "material": m, "value": amount, "sigma": np.nan,
             "tc": np.nan, "tc_sigma": np.nan, "route": route, "fate": "", "year": pd.NA,
             "note": note, "estimated": False, "activity": ""}
        self.new_rows.append(r)
        self.new_key[(s, t, m)] = r

    def relieve(self, t: str, m: str, q: float) -> None:
        """``q`` t/a less of ``m`` reaches the internal process ``t``: its stock of ``m`` grows less, then its
        outflows to landfill and environment shrink proportionally."""
        rem = q
        j = self.stock_row.get((t, m))
        if j is not None:
            st = self.stocks
            use = min(rem, max(float(st.at[j, "closing"]) - float(st.at[j, "opening"]), 0.0))
            st.at[j, "closing"] = float(st.at[j, "closing"]) - use
            rem -= use
        self.take(self.sink_of.get(t, _EMPTY), rem, f"the outflows of {t} to landfill/environment")

    def substitute(self, p: str, u: str, sub: str, x: float) -> None:
        """``u`` buys ``x`` t/a less of ``sub``: imports first, then internal suppliers, whose surplus then
        leaves through the park's export process."""
        value, skind = self.value, self.skind
        into = self.in_by_mat.get((u, sub), _EMPTY)
        imp = into[np.isin(skind[into], ["import", "environment"])]
        a_imp = float(value[imp].sum())
        self.take(imp, min(x, a_imp), f"the imports of {sub} into {u}")
        rest = x - min(x, a_imp)
        if rest <= _EPS:
            return
        idx = into[~np.isin(skind[into], list(BOUNDARY_KINDS))]
        avail = float(value[idx].sum())
        if rest > avail * (1 + 1e-9) + _EPS or not self.export_ids:
            raise MfaError(f"coupling {p} → {u}: {x:,.3f} t/a of {sub} to replace but {u} takes "
                           f"only {a_imp + avail:,.3f} t/a that can be replaced")
        shares = value[idx] / avail
        self.take(idx, rest, f"the supply of {sub} to {u}")
        for i_, s_ in zip(idx, shares):
            self.add_flow(str(self.src[i_]), self.export_ids[0], sub, rest * s_, "symbiosis_surplus",
                          f"surplus {sub} after the symbiosis retrofit of {u}")

    def book_difference(self, p: str, u: str, delta: float) -> None:
        """The user's input changed by ``delta`` t/a: its largest output to export (then environment,
        landfill) grows, or its outputs to environment (then export, landfill) shrink proportionally."""
        if abs(delta) <= _EPS:
            return
        grow = delta > 0
        order = ("export", "environment", "landfill") if grow else ("environment", "export", "landfill")
        k_, idx = next(((k, i) for k in order if len(i := self.out_by_kind.get((u, k), _EMPTY))), ("", _EMPTY))
        if not len(idx):
            raise MfaError(f"coupling {p} → {u}: {u} has no outflow to a boundary process to "
                           + (f"carry the extra {delta:,.3f} t/a" if grow else f"shrink by {-delta:,.3f} t/a"))
        if grow:
            self.value[idx[np.argmax(self.value[idx])]] += delta
        else:
            self.take(idx, -delta, f"the outflows of {u} to {k_}")

    def push(self, u: str, m: str, amount: float, depth: int = 4) -> None:
        """``amount`` t/a more ``m`` leaves ``u`` where its ``m`` goes today: its outflows of ``m`` to boundary
        processes and storage yards grow proportionally (a yard's stock grows by what it receives); lacking
        those, its largest outflow of ``m`` to a collection/treatment process grows and that process passes
        it on the same way; lacking any outflow of ``m``, a new flow goes where its largest outflow of a
        material of the same category goes (:func:`mfa.coupling_rules.residue_route` says whether one
        exists)."""
        if amount <= _EPS:
            return
        idx = self.out_by_mat.get((u, m), _EMPTY)
        idx = idx[~np.isnan(self.value[idx])]
        kinds = np.array([self.kind_of.get(t) for t in self.tgt[idx]], dtype=object)
        end = idx[np.isin(kinds, ["landfill", "environment", "export", "storage"])]
        if len(end):
            v = self.value[end]
            shares = v / v.sum() if v.sum() > 0 else np.full(len(end), 1.0 / len(end))
            for i, sh in zip(end, shares):
                self._grow(int(i), amount * sh, m)
            return
        via = idx[np.isin(kinds, ["collection", "treatment"])]
        if len(via) and depth > 0:
            i = int(via[np.argmax(self.value[via])])
            self._grow(i, amount, m)
            self.push(str(self.tgt[i]), m, amount, depth - 1)
            return
        from mfa.coupling_rules import material_categories

        cat = str(material_categories(self.park, [m])[0])
        same = [i for k, ix in self.out_by_mat.items() if k[0] == u and self.category_of.get(k[1], "") == cat
                for i in ix if self.kind_of.get(self.tgt[i]) in ("landfill", "environment", "export", "storage")
                and not np.isnan(self.value[i])]
        if not same:
            raise MfaError(f"{u}: no route for {amount:,.3f} t/a more {m} (it has no outflow of {m} or of another "
                           f"{cat or 'material'} to a boundary process or a yard)")
        i = max(same, key=lambda j: (self.value[j], str(self.tgt[j])))
        t = str(self.tgt[i])
        self.add_flow(u, t, m, amount, "symbiosis_residue", f"residue of a symbiosis coupling at {u}")
        if self.kind_of.get(t) == "storage":
            self._stock_grows(t, m, amount)

    def _grow(self, i: int, amount: float, m: str) -> None:
        self.value[i] += amount
        self.notes[i] = "; ".join(x for x in (self.notes[i], f"+{amount:,.1f} t/a: residue of a symbiosis "
                                                               f"coupling") if x)
        t = str(self.tgt[i])
        if self.kind_of.get(t) == "storage":
            self._stock_grows(t, m, amount)

    def _stock_grows(self, t: str, m: str, amount: float) -> None:
        j = self.stock_row.get((t, m))
        if j is None:
            row = {c: np.nan for c in self.stocks.columns}
            row.update({"process": t, "material": m, "opening": 0.0, "closing": 0.0,
                        "note": "residue of a symbiosis coupling"})
            self.stocks = pd.concat([self.stocks, pd.DataFrame([row])], ignore_index=True)
            j = len(self.stocks) - 1
            self.stock_row[(t, m)] = j
        self.stocks.at[j, "closing"] = float(self.stocks.at[j, "closing"]) + amount

    def shrink_output(self, u: str, m: str, amount: float) -> None:
        """``amount`` t/a less ``m`` leaves ``u``: its outflows of ``m`` to boundary processes shrink
        proportionally."""
        idx = self.out_by_mat.get((u, m), _EMPTY)
        idx = idx[np.isin(self.tkind[idx], ["landfill", "environment", "export"]) & ~np.isnan(self.value[idx])]
        self.take(idx, amount, f"the outflows of {m} from {u}")

    def couple(self, d: dict) -> None:
        """One coupling of the plan (a row with from, to, material, tonnes, stream, substitutes, ratio)."""
        q = float(d["tonnes"])
        if not q > 0:
            return
        p, u, m = str(d["from"]), str(d["to"]), str(d["material"])
        kind_of = self.kind_of
        if kind_of.get(u) != "production":
            raise MfaError(f"coupling {p} → {u}: the user must be a production process")
        gamma = float(d.get("ratio", 0.0) or 0.0)
        sub = d.get("substitutes", "")
        sub = "" if sub is None or (isinstance(sub, float) and math.isnan(sub)) else str(sub)
        k = self.pos_of.get(d.get("stream"))
        if k is None:
            raise MfaError(f"coupling {p} → {u}: stream flow {d.get('stream')!r} not in the park")
        k = int(k)
        if self.value[k] + _EPS < q * (1 - 1e-9):
            raise MfaError(f"coupling {p} → {u}: {q:,.3f} t/a asked but stream {self.fid[k]} carries "
                           f"{self.value[k]:,.3f} t/a")
        self.value[k] = max(self.value[k] - q, 0.0)
        t = self.tgt[k]
        if kind_of.get(t) not in BOUNDARY_KINDS:
            self.relieve(t, m, q)
        note = (f"symbiosis retrofit: {m} from {p} instead of {kind_of.get(t)} {t}"
                + (f"; replaces {gamma * q:,.1f} t/a {sub} (ratio {gamma:g})" if sub else "")
                + (f"; source {d.get('source')}" if d.get("source") else ""))
        self.add_flow(p, u, m, q, "symbiosis", note)
        if sub and gamma > 0:
            self.substitute(p, u, sub, gamma * q)
        rule = d.get("rule_id")
        if isinstance(rule, str) and rule:
            # the rule's outputs carry the mass difference (1 − γ)·q themselves
            outputs = d.get("outputs") or {}
            if isinstance(outputs, list):  # as --json writes them: [{"material", "per_t"}]
                outputs = {o["material"]: float(o["per_t"]) for o in outputs}
            for mat, per_t in sorted(outputs.items()):
                if per_t > 0:
                    self.push(u, mat, per_t * q)
                else:
                    self.shrink_output(u, mat, -per_t * q)
            return
        self.book_difference(p, u, (1.0 - (gamma if sub else 0.0)) * q)

    def edited_flows(self) -> tuple[pd.DataFrame, np.ndarray]:
        """The new flows table (emptied flows dropped, relative σ kept, new flows appended) and which of the
        original flows changed."""
        flows, value = self.flows, self.value
        old_value = flows["value"].to_numpy(dtype=float)
        changed = self.known & (np.abs(value - old_value) > 1e-12 * np.maximum(1.0, np.abs(old_value)))
        out = flows.copy()
        out["value"] = value
        out["note"] = self.notes
        sig = out["sigma"].to_numpy(dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            out["sigma"] = np.where(changed & (old_value > 0), sig * value / old_value, sig)
        if self.new_rows:
            out = pd.concat([out, pd.DataFrame(self.new_rows)], ignore_index=True)
        gone = np.concatenate([changed & (value <= 1e-12), np.zeros(len(out) - len(flows), dtype=bool)])
        return out[~gone].reset_index(drop=True), changed


def _recompute_tc(out: pd.DataFrame, touched: set) -> None:
    """Transfer coefficients of the processes whose flows changed: tc = flow / total input of its source."""
    v = out["value"].to_numpy(dtype=float)
    tot_in = pd.Series(v, index=out["target"].to_numpy(dtype=object)).groupby(level=0).sum(min_count=1)
    has_tc = out["tc"].notna().to_numpy() & out["source"].isin(touched).to_numpy()
    if has_tc.any():
        denom = out.loc[has_tc, "source"].map(tot_in).to_numpy(dtype=float)
        out.loc[has_tc, "tc"] = np.where(denom > 0, v[has_tc] / denom, np.nan)


def apply_plan(park: "Park", plan: Any) -> "Park":
    """The retrofit park: a symbiosis plan built into ``park``.

    For every coupling q t/a is taken off the stream (and the disposal target relieved), a flow producer →
    user of q t/a is added (route ``symbiosis``), the user's input of the substituted material drops by γ·q
    (imports first, then internal suppliers whose surplus goes to the park's export process) and the mass
    difference (1 − γ)·q is booked on the user's boundary outflows (:mod:`mfa.symbiosis`). Every process that
    balanced still balances; transfer coefficients of changed processes are recomputed, relative
    uncertainties kept.

    Parameters
    ----------
    park : Park
        The park the plan was made for.
    plan : SymbiosisResult or pandas.DataFrame or list of dict
        A result of :func:`mfa.symbiosis.discover`, or a table with from, to, material, tonnes (t/a) and
        optionally stream, substitutes, ratio (looked up in the catalogue when absent).

    Returns
    -------
    Park
        A new, validated park, named with the suffix " (symbiosis retrofit)".

    Raises
    ------
    MfaError
        If a plan asks for more than a stream, a demand or an outflow holds, or names no compatible coupling.

    Examples
    --------
    >>> import mfa
    >>> park = mfa.Park.from_frames(
    ...     processes=[{"id": "pvc", "name": "PVC", "kind": "production"},
    ...                {"id": "cement", "name": "Cement", "kind": "production"},
    ...                {"id": "dump", "name": "Landfill", "kind": "landfill"},
    ...                {"id": "market", "name": "Market", "kind": "export"}],
    ...     flows=[{"source": "pvc", "target": "dump", "material": "fly_ash", "value": 100},
    ...            {"source": "cement", "target": "market", "material": "cement", "value": 500}])
    >>> plan = [{"from": "pvc", "to": "cement", "material": "fly_ash", "tonnes": 40.0,
    ...          "stream": "pvc>dump:fly_ash", "substitutes": "", "ratio": 0.0}]
    >>> new = apply_plan(park, plan)
    >>> new.flows.set_index("id")["value"].to_dict()
    {'pvc>dump:fly_ash': 60.0, 'cement>market:cement': 540.0, 'pvc>cement:fly_ash': 40.0}
    """
    frame = _plan_frame(park, plan)
    ed = _PlanEditor(park)
    for d in frame.to_dict("records"):
        ed.couple(d)
    out, changed = ed.edited_flows()
    touched = set(ed.src[changed]) | set(ed.tgt[changed]) | {r["source"] for r in ed.new_rows} | {
        r["target"] for r in ed.new_rows}
    _recompute_tc(out, touched)
    boundary = {p for p, k in ed.kind_of.items() if k in BOUNDARY_KINDS}
    check_residuals_kept(park.flows, park.stocks, out, ed.stocks, "the symbiosis retrofit", skip=boundary)
    changes: dict[str, Any] = {"flows": out, "stocks": ed.stocks}
    name = park.info.name
    if not name.endswith(RETROFIT_SUFFIX):
        changes["info"] = {"name": name + RETROFIT_SUFFIX}
    generated = out["activity"].fillna("").astype(str) != ""
    if generated.any() and set(ed.fid[changed]) & set(out.loc[generated, "id"]):
        # a generated flow changed: freeze the generated flows as data (activities dropped)
        out.loc[generated, "activity"] = ""
        changes["activities"] = park.activities.iloc[0:0]
    return park.replace(**changes)


# --------------------------------------------------------------------------------------------------
# enterprises taken out of the park
# --------------------------------------------------------------------------------------------------
def _largest(flows: pd.DataFrame, kind: np.ndarray, ids: np.ndarray, wanted: str, column: str) -> str | None:
    """The process of kind ``wanted`` with the most flow in ``column`` (source or target); ties by id."""
    cands = sorted(ids[kind == wanted].tolist())
    if not cands:
        return None
    v = flows.groupby(column)["value"].sum()
    return max(cands, key=lambda p: float(v.get(p, 0.0)))


def _check_removable(park: "Park", ids: list[str]) -> None:
    kind_of = park.compiled.kind_of
    for i in ids:
        if i not in kind_of:
            hint = suggest(i, list(kind_of))
            raise MfaError(f"unknown process {i!r} in park {park.info.name!r}" + (f" — {hint}" if hint else ""))
        if kind_of[i] in BOUNDARY_KINDS:
            raise MfaError(f"{i!r} is a {kind_of[i]} process (system boundary); only internal processes "
                           f"(production, collection, treatment, storage) can be removed")


def remove_processes(park: "Park", ids: Iterable[str]) -> tuple["Park", dict[str, Any]]:
    """``park`` without the internal processes ``ids``; every survivor still balances.

    Flows between removed processes, and between them and the boundary, vanish with their stocks. A waste
    flow from a survivor to a removed process goes to the park's landfill (the one receiving most; a process
    ``landfill_fallback`` is added if there is none); any other flow to a removed process leaves through the
    export process (``export_fallback``); a flow from a removed process to a survivor comes from outside
    instead (the import process supplying most; ``import_fallback``).

    Parameters
    ----------
    park : Park
        The park.
    ids : iterable of str
        Ids of internal processes (production, collection, treatment, storage), removed together.

    Returns
    -------
    park : Park
        The park without them.
    info : dict
        exchanges_lost (distinct internal links touching a removed process), tonnes_exchanged_lost,
        tonnes_no_longer_utilised (waste survivors sent to them with fate utilised, t/a), lost_utilised_flows
        (those flows), producers_to_landfill, consumers_on_outside_supply, tonnes_replaced_by_imports.

    Raises
    ------
    MfaError
        For an unknown id (with a suggestion), a boundary process, or when nothing would be left.

    Examples
    --------
    >>> import mfa
    >>> park = mfa.Park.from_frames(
    ...     processes=[{"id": "coal", "name": "Coal", "kind": "import"},
    ...                {"id": "power", "name": "Power", "kind": "production"},
    ...                {"id": "cement", "name": "Cement", "kind": "production"},
    ...                {"id": "market", "name": "Market", "kind": "export"}],
    ...     flows=[{"source": "coal", "target": "power", "material": "raw_coal", "value": 50},
    ...            {"source": "power", "target": "cement", "material": "fly_ash", "value": 50},
    ...            {"source": "cement", "target": "market", "material": "cement", "value": 50}])
    >>> new, info = remove_processes(park, ["power"])
    >>> info["consumers_on_outside_supply"], info["tonnes_replaced_by_imports"]
    (['cement'], 50.0)
    """
    ids = list(dict.fromkeys(str(i) for i in ids))
    _check_removable(park, ids)
    c = park.compiled
    gone = set(ids)
    flows = park.flows.reset_index(drop=True).copy()
    src_in = np.isin(c.process_ids[c.src], ids)
    tgt_in = np.isin(c.process_ids[c.tgt], ids)
    skind, tkind = c.kind[c.src], c.kind[c.tgt]
    s_int, t_int = ~c.is_boundary[c.src], ~c.is_boundary[c.tgt]
    waste = np.isin(c.category, list(WASTE_CATEGORIES))
    value = c.value
    known = ~np.isnan(value)
    own = flows["fate"].fillna("").astype(str).to_numpy()
    utilised = np.where(own != "", own == "utilised", tkind == "production")

    touch = s_int & t_int & (c.src != c.tgt) & (src_in | tgt_in)
    links = set(zip(flows["source"][touch], flows["target"][touch]))
    into = ~src_in & tgt_in & s_int  # survivor → removed
    out_of = src_in & ~tgt_in & t_int  # removed → survivor
    to_landfill = into & waste
    to_export = into & ~waste
    new_procs = []
    ends = {"landfill": _largest(flows, c.kind, c.process_ids, "landfill", "target"),
            "export": _largest(flows, c.kind, c.process_ids, "export", "target"),
            "import": _largest(flows, c.kind, c.process_ids, "import", "source")}
    for k, needed, name in (("landfill", to_landfill, "Landfill (added: waste of a removed user)"),
                            ("export", to_export, "Export (added: sales to a removed process)"),
                            ("import", out_of, "Import (added: supply of a removed process)")):
        if needed.any() and ends[k] is None:
            ends[k] = f"{k}_fallback"
            new_procs.append({"id": ends[k], "name": name, "kind": k})
    tag = "+".join(ids)
    out = flows.copy()
    out.loc[to_landfill, "target"] = ends["landfill"]
    out.loc[to_export, "target"] = ends["export"]
    out.loc[out_of, "source"] = ends["import"]
    for mask, what in ((to_landfill, "landfilled"), (to_export, "exported"), (out_of, "supplied from outside")):
        if mask.any():
            out.loc[mask, "note"] = f"resilience: {tag} removed, {what}"
            out.loc[mask, "fate"] = ""
            out.loc[mask, "id"] = ""  # ids follow the new ends
            out.loc[mask, "tc"] = np.nan
    drop = (src_in & tgt_in) | (src_in & ~t_int) | (tgt_in & ~s_int)
    out = out[~drop].reset_index(drop=True)
    procs = park.processes
    new_p = procs[~procs["id"].isin(gone)]
    if new_procs:
        new_p = pd.concat([new_p, pd.DataFrame(new_procs).reindex(columns=list(PROCESS_COLUMNS))],
                          ignore_index=True)
    stocks = park.stocks
    stocks = stocks[~stocks["process"].isin(gone)]
    changes: dict[str, Any] = {"processes": new_p, "flows": out, "stocks": stocks}
    if (out["activity"].fillna("").astype(str) != "").any() and len(park.activities):
        # generated flows of survivors stay as data; activities of removed processes would regenerate them
        out["activity"] = ""
        changes["activities"] = park.activities.iloc[0:0]
    # survivors keep their balance; removed processes and boundary processes (no balance) are not compared
    boundary = set(c.process_ids[c.is_boundary].tolist()) | {x["id"] for x in new_procs}
    check_residuals_kept(flows, park.stocks, out, stocks, f"removing {tag}", skip=gone | boundary)
    if not len(out):
        raise MfaError(f"removing {tag} leaves no flow in the park")
    new = park.replace(**changes)
    lost_util = to_landfill & utilised & known
    info = {
        "exchanges_lost": len(links),
        "tonnes_exchanged_lost": float(value[touch & known].sum()),
        "tonnes_no_longer_utilised": float(value[lost_util].sum()),
        "lost_utilised_flows": flows.loc[lost_util, ["source", "target", "material", "value"]],
        "producers_to_landfill": sorted(set(flows["source"][to_landfill])),
        "consumers_on_outside_supply": sorted(set(flows["target"][out_of])),
        "tonnes_replaced_by_imports": float(value[out_of & known].sum()),
    }
    return new, info
