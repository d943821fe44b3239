"""Dynamic stocks with lifetimes: what enters an in-use stock or a store in one year leaves it years later.

A **cohort** is the inflow of one year. A **lifetime model** says which share of a cohort is still in the stock
a given number of years after it entered (the survival function). From it:

- the **inflow-driven** model (:func:`inflow_driven`) turns an inflow series into the stock and the outflow,
  by cohort and in total (outflows of end-of-life products, scrap, waste released from a store);
- the **stock-driven** model (:func:`stock_driven`) turns a stock path into the inflows (and outflows) that
  keep the stock on that path, solved year by year, optionally after a legacy stock given by its cohorts;
- :func:`cohort_inflows` gives the inflows that left a known composition by cohort (a legacy stock).

Both are vectorised over many stocks at once: pass an inflow (or stock) array of shape ``(n_stocks, n_years)``.

Lifetime models (:class:`Lifetime`; the parameters are those of the lifetime in years):

========================= =============== =================================================================
model                     parameters      survival S(a) of age a
========================= =============== =================================================================
``fixed``                 mean            1 while a < mean, then 0
``normal``                mean, std       1 − Φ((a − mean)/std); the mass at negative ages leaves in the
                                          inflow's own year
``foldednormal``          mean, std       normal folded at 0; mean and std are those of the normal
                                          *before* folding (as in ODYM and flodym)
``lognormal``             mean, std       mean and std of the lifetime itself; the underlying normal has
                                          σ² = ln(1 + std²/mean²), μ = ln(mean) − σ²/2
``weibull``               shape, scale    exp(−(a/scale)^shape)
========================= =============== =================================================================

A mean of 0 (fixed, normal, foldednormal, lognormal) or a Weibull scale of 0 means the inflow leaves in its own
year: nothing survives.

Timing convention
-----------------
Stocks are counted at the **end** of each year. ``timing`` says when in its year a cohort enters, and so its age
at the end of year ``t`` if it entered in year ``c`` (t ≥ c):

- ``"start"``: at the start of year c; age t − c + 1. The cohort ages one full year in its first year.
- ``"middle"`` (the default): spread over the year, represented by its middle; age t − c + ½.
- ``"end"``: at the end of year c; age t − c. The cohort is counted at age 0 in its own year, and a continuous
  lifetime loses nothing in that year. This is the convention of ODYM's ``DynamicStockModel``
  (``sf[t, c] = S(t − c)``).

So ``survival[t, c] = S(t − c + δ)`` with δ = 1, ½, 0, and 0 for t < c. The default is ``"middle"`` because the
inflows of a park arrive through the year, not on 1 January nor on 31 December: with a constant inflow I and a
mean lifetime τ the steady stock is I·τ, where ``"start"`` gives about I·(τ − ½) and ``"end"`` about
I·(τ + ½) (flodym's default is also the middle). Use ``timing="end"`` to reproduce ODYM.

Each cohort's outflow in year t is what left it during that year:
``inflow[c] · (S(t − 1 − c + δ) − S(t − c + δ))`` for t > c, and ``inflow[c] · (1 − S(δ))`` in its own year
(so a lifetime of 0 sends the inflow straight out).
Stock change = stock(t) − stock(t − 1) = inflow(t) − outflow(t), with an empty stock before the first year.

Examples
--------
>>> import numpy as np
>>> from mfa.lifetime import Lifetime, inflow_driven, stock_driven
>>> lt = Lifetime("fixed", mean=2, timing="end")
>>> m = inflow_driven([1.0, 2.0, 3.0, 4.0], lt)
>>> m.stock.tolist(), m.outflow.tolist()
([1.0, 3.0, 5.0, 7.0], [0.0, 0.0, 1.0, 2.0])
>>> stock_driven(m.stock, lt).inflow.tolist()
[1.0, 2.0, 3.0, 4.0]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, Sequence

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import ArrayLike

from mfa.results import Result

__all__ = ["MODELS", "TIMINGS", "DEFAULT_TIMING", "Lifetime", "DynamicStock", "inflow_driven", "stock_driven",
           "cohort_inflows"]

Model = Literal["fixed", "normal", "foldednormal", "lognormal", "weibull"]
Timing = Literal["start", "middle", "end"]

#: The lifetime models and the parameters each needs.
MODELS: dict[str, tuple[str, ...]] = {
    "fixed": ("mean",),
    "normal": ("mean", "std"),
    "foldednormal": ("mean", "std"),
    "lognormal": ("mean", "std"),
    "weibull": ("shape", "scale"),
}
#: Age of a cohort at the end of its own year, by timing convention (δ in ``S(t − c + δ)``).
TIMINGS: dict[str, float] = {"start": 1.0, "middle": 0.5, "end": 0.0}
DEFAULT_TIMING: Timing = "middle"

_PARAMS = ("mean", "std", "shape", "scale")


@dataclass(frozen=True, eq=False)
class Lifetime:
    """A lifetime model of the cohorts of a stock.

    Parameters
    ----------
    model : {"fixed", "normal", "foldednormal", "lognormal", "weibull"}
        The distribution of the lifetime (see the module docstring for the formulas).
    mean, std : float or array_like, optional
        Mean and standard deviation of the lifetime in years (``fixed`` needs ``mean`` only). For
        ``lognormal`` they are the mean and standard deviation of the lifetime itself (converted to the
        underlying normal's μ and σ); for ``foldednormal`` those of the normal before folding.
    shape, scale : float or array_like, optional
        Weibull shape k and scale λ (years): S(a) = exp(−(a/λ)^k).
    timing : {"start", "middle", "end"}, default "middle"
        When in its year a cohort enters: its age at the end of year t is t − c + 1, t − c + ½ or t − c.

    Notes
    -----
    A parameter may be a scalar (every stock, every cohort) or an array that broadcasts against the inflow
    array ``(n_stocks, n_years)``, its last axis being the cohort: shape ``(n_stocks, 1)`` gives each stock
    its own lifetime, shape ``(n_years,)`` each cohort (the lifetime of new products can change over time,
    that of the cohorts already in use does not).

    Examples
    --------
    >>> lt = Lifetime("lognormal", mean=30, std=10)
    >>> lt.timing
    'middle'
    >>> round(float(lt.survival(3)[2, 0]), 6)   # share of year 0's inflow left at the end of year 2 (age 2.5)
    1.0
    >>> Lifetime("weibull", shape=1.2, scale=1.0, timing="end").survival(2).round(6).tolist()
    [[1.0, 0.0], [0.367879, 1.0]]
    """

    model: Model
    mean: ArrayLike | None = None
    std: ArrayLike | None = None
    shape: ArrayLike | None = None
    scale: ArrayLike | None = None
    timing: Timing = DEFAULT_TIMING
    _arrays: dict[str, np.ndarray] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.model not in MODELS:
            raise ValueError(f"lifetime model {self.model!r} is not one of {', '.join(MODELS)}")
        if self.timing not in TIMINGS:
            raise ValueError(f"timing {self.timing!r} is not one of {', '.join(TIMINGS)}")
        needed = MODELS[self.model]
        arrays: dict[str, np.ndarray] = {}
        for name in _PARAMS:
            value = getattr(self, name)
            if name not in needed:
                if value is not None:
                    raise ValueError(f"a {self.model} lifetime takes {' and '.join(needed)}, not {name}")
                continue
            if value is None:
                raise ValueError(f"a {self.model} lifetime needs {' and '.join(needed)}; {name} is missing")
            a = np.array(value, dtype=float)  # a copy, read-only: the model cannot change under its results
            a.flags.writeable = False
            if not np.all(np.isfinite(a)) or np.any(a < 0):
                raise ValueError(f"lifetime {name} must be finite and ≥ 0, got {value!r}")
            arrays[name] = a
        if self.model == "weibull" and np.any(arrays["shape"] == 0):
            raise ValueError("Weibull shape must be > 0")
        if "std" in arrays:
            # A zero std is a fixed lifetime in disguise; the distributions would divide by it.
            gone = np.broadcast_to(arrays["mean"] == 0, np.broadcast_shapes(arrays["mean"].shape, arrays["std"].shape))
            if np.any((np.broadcast_to(arrays["std"], gone.shape) == 0) & ~gone):
                raise ValueError(f"a {self.model} lifetime needs std > 0 (use model 'fixed' for a sharp lifetime)")
        object.__setattr__(self, "_arrays", arrays)

    @property
    def params(self) -> dict[str, np.ndarray]:
        """The parameters the model uses, as read-only float arrays.

        Examples
        --------
        >>> p = Lifetime("normal", mean=10, std=2).params
        >>> {k: float(v) for k, v in p.items()}, p["mean"].flags.writeable
        ({'mean': 10.0, 'std': 2.0}, False)
        """
        return dict(self._arrays)

    def __eq__(self, other: object) -> bool:
        # Parameters may be arrays: compare values, not the truth of an elementwise ==.
        if not isinstance(other, Lifetime):
            return NotImplemented
        return (self.model, self.timing, self._arrays.keys()) == (other.model, other.timing, other._arrays.keys()) \
            and all(np.array_equal(v, other._arrays[k]) for k, v in self._arrays.items())

    __hash__ = None  # type: ignore[assignment]  # parameters may be arrays

    def survival_at(self, age: ArrayLike) -> np.ndarray:
        """S(age): the share of a cohort still in the stock at ``age`` years, broadcast against the parameters.

        Parameters
        ----------
        age : array_like
            Ages in years (≥ 0).

        Returns
        -------
        numpy.ndarray
            Shares between 0 and 1, non-increasing in age.

        Examples
        --------
        >>> Lifetime("fixed", mean=5).survival_at([4.5, 5.0]).tolist()
        [1.0, 0.0]
        """
        return _survival(self.model, np.asarray(age, dtype=float), self._arrays)

    def survival(self, n_years: int) -> np.ndarray:
        """The survival matrix ``sf[..., t, c]``: share of year c's inflow in the stock at the end of year t.

        Zero above the diagonal (t < c); ``sf[t, c] = S(t − c + δ)`` with δ from :attr:`timing`. The leading
        axes are those of the parameters without their cohort axis (none for scalar parameters).

        Parameters
        ----------
        n_years : int
            The number of years (cohorts) of the model.

        Returns
        -------
        numpy.ndarray
            ``[..., n_years, n_years]``, lower triangular.

        Examples
        --------
        >>> Lifetime("fixed", mean=2, timing="end").survival(3).tolist()
        [[1.0, 0.0, 0.0], [1.0, 1.0, 0.0], [0.0, 1.0, 1.0]]
        """
        return _Kernel.build(self, int(n_years), ()).matrix()


# --- distributions --------------------------------------------------------------------------------------

def _survival(model: str, age: np.ndarray, p: dict[str, np.ndarray]) -> np.ndarray:
    """S(age) of one model, vectorised; ages ≥ 0. A mean (or Weibull scale) of 0 gives 0 everywhere."""
    import scipy.stats  # heavy at import; only the lifetime engine needs it

    if model == "fixed":
        # Strict: a lifetime of 5 years is present at age 4.5, gone at age 5 (ODYM and flodym read it so).
        return (age < p["mean"]).astype(float)
    if model == "weibull":
        gone = p["scale"] == 0
        scale = np.where(gone, 1.0, p["scale"])
        s = scipy.stats.weibull_min.sf(age, c=p["shape"], loc=0, scale=scale)
        return np.where(gone, 0.0, s)
    mean, std = p["mean"], p["std"]
    gone = mean == 0
    # Placeholders where nothing survives, so that no distribution is evaluated with a zero parameter.
    mean = np.where(gone, 1.0, mean)
    std = np.where(gone, 1.0, std)
    if model == "normal":
        s = scipy.stats.norm.sf(age, loc=mean, scale=std)
    elif model == "foldednormal":
        s = scipy.stats.foldnorm.sf(age, mean / std, loc=0, scale=std)
    else:  # lognormal: from the lifetime's own mean and std to the underlying normal's μ and σ
        sigma2 = np.log1p((std / mean) ** 2)
        s = scipy.stats.lognorm.sf(age, s=np.sqrt(sigma2), loc=0, scale=np.exp(np.log(mean) - sigma2 / 2))
    return np.where(gone, 0.0, s)


def _nonincreasing(s: np.ndarray, axis: int) -> np.ndarray:
    # A survival function never rises; floating-point evaluation can wiggle by an ulp, which would make
    # a cohort's outflow −1e-17. Flattening the wiggle keeps every outflow ≥ 0 exactly.
    return np.minimum.accumulate(s, axis=axis)


@dataclass(frozen=True)
class _Kernel:
    """The survival of every cohort, in the cheapest exact form.

    ``ages``: parameters constant over cohorts → ``s[..., a] = S(a + δ)`` (the matrix is Toeplitz,
    ``sf[t, c] = s[t − c]``) and ``q[..., a]`` the share leaving at age step a; ``matrix``: parameters that
    vary by cohort → the full ``sf[..., t, c]`` and ``pdf[..., t, c]``.
    """

    kind: Literal["ages", "matrix"]
    s: np.ndarray
    q: np.ndarray
    n: int

    @staticmethod
    def build(lifetime: Lifetime, n: int, batch: tuple[int, ...]) -> "_Kernel":
        delta = TIMINGS[lifetime.timing]
        params = lifetime._arrays
        try:
            shapes = np.broadcast_shapes(batch + (n,), *(a.shape for a in params.values()))
        except ValueError:
            raise ValueError(
                f"lifetime parameters of shapes {[a.shape for a in params.values()]} do not broadcast against "
                f"the inflow {batch + (n,)} (n_stocks, n_years): give a per-stock parameter the shape "
                f"(n_stocks, 1), a per-cohort one the shape (n_years,)") from None
        if len(shapes) > 2 or (len(batch) > 0 and shapes != batch + (n,)):
            raise ValueError(f"lifetime parameters would broadcast the inflow {batch + (n,)} to {shapes}; "
                             f"at most (n_stocks, n_years)")
        by_cohort = any(a.ndim > 0 and a.shape[-1] > 1 for a in params.values())
        if not by_cohort:
            # Drop the cohort axis (length 1) and evaluate on the ages 0..n-1 along a new last axis.
            p = {k: (a[..., 0] if a.ndim else a)[..., None] for k, a in params.items()}
            s = _nonincreasing(_survival(lifetime.model, np.arange(n) + delta, p), axis=-1)
            q = np.empty_like(s)
            q[..., 0] = 1.0 - s[..., 0]
            q[..., 1:] = s[..., :-1] - s[..., 1:]
            return _Kernel("ages", s, q, n)
        t = np.arange(n)
        age = np.subtract.outer(t, t) + delta  # [t, c]
        below = age < delta  # t < c: the cohort has not entered yet
        p = {k: a[..., None, :] if a.ndim else a for k, a in params.items()}
        sf = _survival(lifetime.model, np.where(below, delta, age), p)
        # Monotone from the diagonal down: the entries above it are set to 1 for the running minimum, then 0.
        sf = np.where(below, 0.0, _nonincreasing(np.where(below, 1.0, sf), axis=-2))
        prev = np.zeros_like(sf)
        prev[..., 1:, :] = sf[..., :-1, :]
        prev += np.eye(n)  # a cohort enters whole: 1 before its first year
        return _Kernel("matrix", sf, prev - sf, n)

    def matrix(self, which: str = "s") -> np.ndarray:
        """``sf[..., t, c]`` (which="s") or ``pdf[..., t, c]`` (which="q")."""
        v = self.s if which == "s" else self.q
        if self.kind == "matrix":
            return v
        t = np.arange(self.n)
        lag = np.subtract.outer(t, t)
        return np.where(lag >= 0, v[..., np.maximum(lag, 0)], 0.0)

    def apply(self, x: np.ndarray, which: str = "s") -> np.ndarray:
        """``Σ_c m[..., t, c] · x[..., c]`` for m = sf or pdf, without building the matrix if avoidable."""
        v = self.s if which == "s" else self.q
        if self.kind == "ages" and v.ndim == 1:
            # One lifetime for all stocks: one matrix product (BLAS) with the n × n matrix.
            return x @ self.matrix(which).T
        if self.kind == "ages":
            # Each stock its own lifetime: a causal convolution per stock. The Toeplitz matrix of every stock
            # is a strided view of its padded survival vector (no n × n copy per stock):
            # W[k, t, m] = v[k, t + m − n + 1], applied to x reversed along the cohorts.
            padded = np.concatenate([np.zeros(v.shape[:-1] + (self.n - 1,)), v], axis=-1)
            windows = sliding_window_view(padded, self.n, axis=-1)
            x = np.broadcast_to(x, np.broadcast_shapes(x.shape, v.shape))
            return np.einsum("...tm,...m->...t", windows, x[..., ::-1])
        if v.ndim == 2:  # by cohort, but the same for every stock: again one matrix product
            return x @ v.T
        return np.einsum("...tc,...c->...t", v, x)

    def row(self, t: int) -> np.ndarray:
        """``sf[..., t, :t + 1]``: the survival at the end of year t of cohorts 0..t."""
        if self.kind == "ages":
            return self.s[..., t::-1]
        return self.s[..., t, : t + 1]


# --- results --------------------------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class DynamicStock(Result):
    """A dynamic stock model solved: inflow, outflow and stock per year, and by cohort on demand.

    Arrays have shape ``(n_years,)`` for one stock or ``(n_stocks, n_years)``. Build it with
    :func:`inflow_driven` or :func:`stock_driven`. A :class:`~mfa.results.Result`: ``.table`` is the tidy
    totals table (``totals``), ``.summary`` the headline figures; the cohort tables (``n_years²`` rows per
    stock) are built only when asked, by :meth:`cohorts`.

    Attributes
    ----------
    years : ndarray of int
        The year of each column.
    inflow, outflow, stock : ndarray
        t/a, t/a and t (stock at the end of the year).
    lifetime : Lifetime
        The lifetime model used.
    ids : list or None
        Labels of the stocks (first axis) in the tables.

    Examples
    --------
    >>> d = inflow_driven([10, 20, 30], Lifetime("fixed", mean=2), years=[2020, 2021, 2022])
    >>> d.stock.tolist(), d.outflow.tolist()
    ([10.0, 30.0, 50.0], [0.0, 0.0, 10.0])
    """

    years: np.ndarray
    inflow: np.ndarray
    outflow: np.ndarray
    stock: np.ndarray
    lifetime: Lifetime
    ids: list | None = None
    _kernel: _Kernel | None = field(default=None, repr=False, compare=False)

    title: ClassVar[str] = "Dynamic stock"
    main_table: ClassVar[str] = "totals"

    @property
    def tables(self) -> dict[str, pd.DataFrame]:
        """``{"totals": self.table}``: the arrays as one tidy table (the cohorts on demand only).

        Examples
        --------
        >>> d = inflow_driven([10, 20, 30], Lifetime("fixed", mean=2), years=[2020, 2021, 2022])
        >>> d.tables["totals"].to_dict("records")[-1]
        {'year': 2022, 'inflow': 30.0, 'outflow': 10.0, 'stock': 50.0, 'stock_change': 20.0}
        """
        return {"totals": self._totals()}

    @property
    def summary(self) -> dict[str, Any]:
        """Headline figures over every stock: first and last year, total inflow and outflow (t), and the
        stock at the end of the last year (t).

        Examples
        --------
        >>> d = inflow_driven([10, 20, 30], Lifetime("fixed", mean=2), years=[2020, 2021, 2022])
        >>> d.summary  # doctest: +NORMALIZE_WHITESPACE
        {'first_year': 2020, 'last_year': 2022, 'inflow': 60.0, 'outflow': 10.0, 'final_stock': 50.0}
        """
        return {"first_year": int(self.years[0]), "last_year": int(self.years[-1]),
                "inflow": float(self.inflow.sum()), "outflow": float(self.outflow.sum()),
                "final_stock": float(self.stock[..., -1].sum())}

    @property
    def stock_change(self) -> np.ndarray:
        """stock(t) − stock(t − 1), the stock before the first year being empty (= inflow − outflow).

        Examples
        --------
        >>> d = inflow_driven([10, 20, 30], Lifetime("fixed", mean=2), years=[2020, 2021, 2022])
        >>> d.stock_change.tolist()
        [10.0, 20.0, 20.0]
        """
        return np.diff(self.stock, axis=-1, prepend=0.0)

    @property
    def survival(self) -> np.ndarray:
        """The survival matrix ``sf[..., t, c]`` used (see :meth:`Lifetime.survival`).

        Examples
        --------
        >>> d = inflow_driven([10, 20, 30], Lifetime("fixed", mean=2), years=[2020, 2021, 2022])
        >>> d.survival.tolist()  # a cohort is in the stock for 2 years
        [[1.0, 0.0, 0.0], [1.0, 1.0, 0.0], [0.0, 1.0, 1.0]]
        """
        return self._kernel.matrix("s")

    @property
    def stock_by_cohort(self) -> np.ndarray:
        """``[..., year, cohort]``: what is left of each cohort at the end of each year (t).

        Built on demand: ``n_stocks × n_years²`` values (720 MB for 10³ stocks × 300 years).

        Examples
        --------
        >>> d = inflow_driven([10, 20, 30], Lifetime("fixed", mean=2), years=[2020, 2021, 2022])
        >>> d.stock_by_cohort.tolist()
        [[10.0, 0.0, 0.0], [10.0, 20.0, 0.0], [0.0, 20.0, 30.0]]
        """
        return self._kernel.matrix("s") * self.inflow[..., None, :]

    @property
    def outflow_by_cohort(self) -> np.ndarray:
        """``[..., year, cohort]``: what leaves each cohort in each year (t/a); built on demand like
        :attr:`stock_by_cohort`.

        Examples
        --------
        >>> d = inflow_driven([10, 20, 30], Lifetime("fixed", mean=2), years=[2020, 2021, 2022])
        >>> d.outflow_by_cohort[-1].tolist()  # in 2022 the cohort of 2020 leaves
        [10.0, 0.0, 0.0]
        """
        return self._kernel.matrix("q") * self.inflow[..., None, :]

    def _id_column(self) -> tuple[int, list]:
        n = 1 if self.stock.ndim == 1 else self.stock.shape[0]
        return n, (self.ids if self.ids is not None else list(range(n)))

    def _totals(self) -> pd.DataFrame:
        """Tidy totals: [id,] year, inflow, outflow, stock, stock_change (id only for several stocks).

        Returns
        -------
        pandas.DataFrame
            One row per (stock,) year: t/a for the flows, t for the stock.

        Examples
        --------
        >>> inflow_driven([1.0, 1.0], Lifetime("fixed", mean=1, timing="end")).table
           year  inflow  outflow  stock  stock_change
        0     0     1.0      0.0    1.0           1.0
        1     1     1.0      1.0    1.0           0.0
        """
        cols = {"inflow": self.inflow, "outflow": self.outflow, "stock": self.stock,
                "stock_change": self.stock_change}
        frame = {"year": np.tile(self.years, 1 if self.stock.ndim == 1 else self.stock.shape[0])}
        if self.stock.ndim > 1:
            n, ids = self._id_column()
            frame = {"id": np.repeat(np.asarray(ids, dtype=object), len(self.years)), **frame}
        frame.update({k: np.broadcast_to(v, self.stock.shape).reshape(-1) for k, v in cols.items()})
        return pd.DataFrame(frame)

    def cohorts(self) -> pd.DataFrame:
        """Tidy cohort table: [id,] year, cohort, stock, outflow — one row per year ≥ cohort.

        Summed over cohorts it gives :attr:`table`'s stock and outflow.

        Returns
        -------
        pandas.DataFrame
            One row per (stock,) year and cohort born by then.

        Examples
        --------
        >>> inflow_driven([1.0, 2.0], Lifetime("fixed", mean=1, timing="end")).cohorts()
           year  cohort  stock  outflow
        0     0       0    1.0      0.0
        1     1       0    0.0      1.0
        2     1       1    2.0      0.0
        """
        n_t = len(self.years)
        t, c = np.tril_indices(n_t)
        sc = self.stock_by_cohort[..., t, c]
        oc = self.outflow_by_cohort[..., t, c]
        frame = {"year": np.tile(self.years[t], 1 if sc.ndim == 1 else sc.shape[0]),
                 "cohort": np.tile(self.years[c], 1 if sc.ndim == 1 else sc.shape[0])}
        if sc.ndim > 1:
            _, ids = self._id_column()
            frame = {"id": np.repeat(np.asarray(ids, dtype=object), len(t)), **frame}
        frame["stock"] = sc.reshape(-1)
        frame["outflow"] = oc.reshape(-1)
        return pd.DataFrame(frame)


# --- the two models -------------------------------------------------------------------------------------

def _series(x: ArrayLike, what: str, nan_before: int = 0) -> np.ndarray:
    """A float copy (the result must not change with the caller's array), checked; NaN allowed in the first
    ``nan_before`` years only."""
    a = np.array(x, dtype=float)
    if a.ndim not in (1, 2) or a.shape[-1] == 0:
        raise ValueError(f"{what} must be an array of shape (n_years,) or (n_stocks, n_years), got {a.shape}")
    later = a[..., nan_before:]
    if np.any(np.isinf(a)) or not np.all(np.isfinite(later)):
        raise ValueError(f"{what} must be finite (a missing year is an error, not a zero)")
    return a


def _years(years: Sequence[int] | None, n: int) -> np.ndarray:
    if years is None:
        return np.arange(n)
    y = np.array(years)  # a copy: it is made read-only in the result
    if y.shape != (n,):
        raise ValueError(f"{n} years of data but {y.size} years given")
    return y


def _result(years: np.ndarray, inflow: np.ndarray, outflow: np.ndarray, stock: np.ndarray, lifetime: Lifetime,
            ids: Sequence | None, kernel: _Kernel) -> DynamicStock:
    n_stocks = 1 if stock.ndim == 1 else stock.shape[0]
    if ids is not None and len(ids) != n_stocks:
        raise ValueError(f"{n_stocks} stocks but {len(ids)} ids")
    for a in (years, inflow, outflow, stock):
        a.flags.writeable = False  # results are values, like a Park
    return DynamicStock(years, inflow, outflow, stock, lifetime, list(ids) if ids is not None else None, kernel)


def inflow_driven(inflow: ArrayLike, lifetime: Lifetime, *, years: Sequence[int] | None = None,
                  ids: Sequence | None = None) -> DynamicStock:
    """Stock and outflow from the inflows of every year and a lifetime model.

    Parameters
    ----------
    inflow : array_like, shape (n_years,) or (n_stocks, n_years)
        What enters the stock each year (t/a); year i is cohort i.
    lifetime : Lifetime
        How long each cohort stays (its parameters may differ by stock and by cohort).
    years : sequence of int, optional
        Calendar year of each column, for the tables (default 0, 1, …).
    ids : sequence, optional
        Labels of the stocks, for the tables.

    Returns
    -------
    DynamicStock
        ``stock[t] = Σ_c inflow[c] · sf[t, c]``, ``outflow`` = what left the cohorts during year t, and by
        cohort on demand. ``stock_change == inflow − outflow`` to rounding.

    Examples
    --------
    Constant inflow 1 t/a, lognormal lifetime of mean 30 a and std 10 a: after 200 years the stock is the mean
    lifetime, give or take half a year's inflow by the timing convention.

    >>> lt = Lifetime("lognormal", mean=30, std=10)
    >>> [round(float(inflow_driven(np.ones(200), Lifetime("lognormal", mean=30, std=10, timing=tm)).stock[-1]), 2)
    ...  for tm in ("start", "middle", "end")]
    [29.5, 30.0, 30.5]
    >>> many = inflow_driven(np.ones((1000, 300)), lt)     # 10³ stocks at once
    >>> many.stock.shape
    (1000, 300)
    """
    x = _series(inflow, "inflow")
    kernel = _Kernel.build(lifetime, x.shape[-1], x.shape[:-1])
    stock = kernel.apply(x, "s")
    outflow = kernel.apply(x, "q")
    return _result(_years(years, x.shape[-1]), x, outflow, stock, lifetime, ids, kernel)


def stock_driven(stock: ArrayLike, lifetime: Lifetime, *, initial_inflow: ArrayLike | None = None,
                 years: Sequence[int] | None = None, ids: Sequence | None = None) -> DynamicStock:
    """Inflows (and outflows) that keep a stock on a given path, solved cohort by cohort.

    Year by year, the inflow is what the stock needs beyond the survivors of earlier cohorts, scaled up by
    what of the new cohort survives its own year:
    ``inflow[t] = (stock[t] − Σ_{c<t} inflow[c] · sf[t, c]) / sf[t, t]``. The solve is sequential over years
    and vectorised over stocks.

    Parameters
    ----------
    stock : array_like, shape (n_years,) or (n_stocks, n_years)
        The stock at the end of each year (t); empty before the first.
    lifetime : Lifetime
        As for :func:`inflow_driven`.
    initial_inflow : array_like, shape (k,) or (n_stocks, k), optional
        The known inflows of the first k years, e.g. the :func:`cohort_inflows` of a legacy stock whose
        composition by cohort is known. The stock of those years is what they leave (``stock`` may be NaN
        there; a finite value must agree to 10⁻⁹); the solve starts in year k.
    years, ids : optional
        Labels for the tables.

    Returns
    -------
    DynamicStock
        With the given stock (and, for the first k years, the stock the initial inflows leave); the inflows
        may be negative where the stock falls faster than its cohorts leave (reported as they are: no
        correction is applied).

    Raises
    ------
    ValueError
        If a cohort leaves entirely in its own year (sf[t, t] = 0, e.g. a lifetime of 0): no inflow can then
        build a stock.

    Examples
    --------
    >>> m = stock_driven([1.0, 3.0, 6.0], Lifetime("fixed", mean=2, timing="end"))
    >>> m.inflow.tolist(), m.outflow.tolist()
    ([1.0, 2.0, 4.0], [0.0, 0.0, 1.0])

    A legacy stock of 3 t from year 0 and 5 t from year 1 at the end of year 1, then a stock path:

    >>> lt = Lifetime("fixed", mean=3, timing="end")
    >>> m = stock_driven([np.nan, np.nan, 9.0, 9.0], lt, initial_inflow=cohort_inflows([3.0, 5.0], lt))
    >>> m.stock.tolist(), m.inflow.tolist()
    ([3.0, 8.0, 9.0, 9.0], [3.0, 5.0, 1.0, 3.0])
    """
    k = 0 if initial_inflow is None else np.shape(initial_inflow)[-1]
    s = _series(stock, "stock", nan_before=k)
    n = s.shape[-1]
    if k > n:
        raise ValueError(f"{k} years of initial inflow but {n} years of stock")
    kernel = _Kernel.build(lifetime, n, s.shape[:-1])
    diag = kernel.matrix("s")[..., np.arange(n), np.arange(n)] if kernel.kind == "matrix" else \
        np.broadcast_to(kernel.s[..., :1], kernel.s.shape[:-1] + (n,))
    if np.any(diag[..., k:] == 0):
        raise ValueError("the lifetime model leaves nothing of a cohort at the end of its own year "
                         "(a lifetime of 0, or a fixed lifetime shorter than the timing offset): "
                         "a stock path cannot determine the inflows")
    inflow = np.zeros(np.broadcast_shapes(s.shape, kernel.s.shape[:-1] + (n,) if kernel.kind == "ages"
                                          else kernel.s.shape[:-2] + (n,)))
    target = np.array(np.broadcast_to(s, inflow.shape))
    if k:
        known = _series(initial_inflow, "initial_inflow")
        inflow[..., :k] = known
        left = kernel.apply(inflow, "s")[..., :k]  # later cohorts are still 0: the stock the known ones leave
        given = target[..., :k]
        scale = max(1.0, float(np.abs(left).max()))
        if np.any(np.abs(np.where(np.isnan(given), left, given) - left) > 1e-9 * scale):
            raise ValueError("the stock given for the years of the initial inflows is not what they leave "
                             "(leave those years NaN)")
        target[..., :k] = left
    # One survival matrix for all stocks: its contiguous rows make each year one BLAS matrix-vector product.
    shared = kernel.matrix("s") if kernel.s.ndim == (1 if kernel.kind == "ages" else 2) else None
    for t in range(k, n):  # sequential in time by nature; every operation is over all stocks at once
        if shared is not None:
            row = shared[t, : t + 1]
            survivors = inflow[..., :t] @ row[:t]
        else:
            row = kernel.row(t)
            survivors = np.einsum("...c,...c->...", inflow[..., :t], row[..., :t])
        inflow[..., t] = (target[..., t] - survivors) / row[..., t]
    outflow = kernel.apply(inflow, "q")
    return _result(_years(years, n), inflow, outflow, target, lifetime, ids, kernel)


def cohort_inflows(stock_by_cohort: ArrayLike, lifetime: Lifetime) -> np.ndarray:
    """The inflows that left a known stock composition: what each cohort was when it entered.

    For a legacy stock (an ash yard filled over decades, products in use) whose composition by cohort at the
    end of the last year is known, ``inflow[c] = stock_by_cohort[c] / sf[n − 1, c]``. Feeding these inflows to
    :func:`inflow_driven` gives back that composition in the last year.

    Parameters
    ----------
    stock_by_cohort : array_like, shape (n_years,) or (n_stocks, n_years)
        What is left of each cohort (years 0 … n − 1) at the end of year n − 1 (t).
    lifetime : Lifetime

    Returns
    -------
    ndarray
        The inflow of each cohort (t/a); 0 for a cohort that is entirely gone and has no stock left.

    Raises
    ------
    ValueError
        If a cohort has stock left although the lifetime model says nothing of it can survive.

    Examples
    --------
    >>> cohort_inflows([0.0, 7.0, 5.0], Lifetime("fixed", mean=2, timing="end")).tolist()
    [0.0, 7.0, 5.0]
    """
    s = _series(stock_by_cohort, "stock_by_cohort")
    n = s.shape[-1]
    kernel = _Kernel.build(lifetime, n, s.shape[:-1])
    last = kernel.row(n - 1)
    last, s = np.broadcast_arrays(last, s)
    if np.any((last == 0) & (s != 0)):
        raise ValueError("a cohort has stock left that its lifetime model says cannot survive to the last year")
    return np.divide(s, last, out=np.zeros(last.shape), where=last != 0)
