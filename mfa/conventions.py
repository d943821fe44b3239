"""The conventions every part of circular-mfa follows, in one place.

Units
    Every flow value in a :class:`~mfa.park.Park` is in **t/a** (tonnes per year of the park's reporting
    year); stocks are in **t**. Input files may use any mass or mass-per-time unit (t, kg, kt, Mt, 万t, 万吨,
    亿t, per a / yr / month / d / h); values are normalised when read. A mass without a time (``t``) means
    tonnes in the reporting year. Per-day and per-hour figures use the park's ``days_per_year`` (365 unless the
    park says otherwise); per-month figures are multiplied by 12.
Signs
    A flow goes from ``source`` to ``target`` and is never negative. A process's balance residual is
    ``inputs − outputs − Δstock`` with ``Δstock = closing − opening`` (positive = accumulation).
Boundary
    Processes of kind import, export, environment and landfill form the system boundary and have no balance.
    The system balance reads ``imports = exports + environment + landfill + Δstock(internal) + Σ residuals``.
    Storage and consumption processes may hold a stock; without stock data their stock change is what their
    flows leave.
Unknowns
    Every command first computes the unknown flows that the balances and transfer coefficients determine
    (:func:`mfa.solved.solve_park`; measured values kept as given); ``--as-given`` opts out.
Fates
    A waste flow to production or consumption is utilised, to landfill or treatment disposed, to the
    environment discarded. Collection and storage pass waste on; a store keeps max(0, closing − opening) as
    newly stored and releases max(0, opening − closing) of prior-year storage. Waste to an export process is
    unresolved unless the process's ``fate`` or the flow's ``fate`` (which wins) says what happens to it.
Conventions of utilisation
    ``official`` (enterprise reporting: waste handed to a user is utilised where it arises; a user's or
    handler's residue is its own generation) and ``traced`` (each tonne followed to where it finally ends; a
    process that receives and sends waste utilises only the difference). See :mod:`mfa.trace`,
    :mod:`mfa.indicators` and ``docs/indicators.md``.
"""

from __future__ import annotations

PROCESS_KINDS: tuple[str, ...] = (
    "production", "collection", "treatment", "landfill", "storage", "environment", "import", "export",
    "consumption",
)
#: Chinese names of the process kinds, as a park's staff type them (a kind may be given in Chinese).
KIND_NAMES_ZH: dict[str, tuple[str, ...]] = {
    "production": ("生产",), "collection": ("收集", "收运", "回收站"), "treatment": ("处置", "处理"),
    "landfill": ("填埋",), "storage": ("贮存", "储存", "堆存"), "environment": ("环境",),
    "import": ("输入", "购入"), "export": ("输出", "外运"), "consumption": ("消费", "社会源"),
}
BOUNDARY_KINDS: frozenset[str] = frozenset({"import", "export", "environment", "landfill"})
INTERNAL_KINDS: frozenset[str] = frozenset(PROCESS_KINDS) - BOUNDARY_KINDS
#: Internal kinds that may hold a stock: without stock data their stock change is what the balance leaves
#: (a storage yard's stock, a consumption process's in-use stock of goods).
STOCK_KINDS: frozenset[str] = frozenset({"storage", "consumption"})
#: Kinds whose waste outputs are the enterprise's (or the households') own generation in the official
#: (enterprise-reporting) view: a residue that a user or a handler makes is its own generation.
GENERATING_KINDS: frozenset[str] = frozenset({"production", "treatment", "consumption"})

CATEGORIES: tuple[str, ...] = (
    "industrial_solid_waste", "hazardous_waste", "straw", "manure", "renewable_resource",
    "construction_waste", "municipal_waste", "product", "raw_material", "fuel", "water", "emission", "other",
)
WASTE_CATEGORIES: frozenset[str] = frozenset({
    "industrial_solid_waste", "hazardous_waste", "straw", "manure", "renewable_resource",
    "construction_waste", "municipal_waste",
})

FATES: tuple[str, ...] = ("utilised", "disposed", "stored", "discarded", "exported")
#: What happens to waste a process receives when neither the flow nor the process says (a process's ``fate``
#: column overrides this, a flow's ``fate`` overrides both). Export has no default: waste leaving the park
#: with no declared fate is *unresolved* (see docs/indicators.md, "Fates at the boundary").
DEFAULT_FATE_BY_KIND: dict[str, str] = {
    "production": "utilised",
    "consumption": "utilised",
    "landfill": "disposed",
    "treatment": "disposed",
    "storage": "stored",
    "environment": "discarded",
    "export": "exported",
}
#: Kinds on which a ``fate`` in the processes table is allowed (what happens to the waste they receive).
FATE_PROCESS_KINDS: frozenset[str] = frozenset({"export", "landfill", "treatment", "environment", "production",
                                               "consumption"})

#: The canonical unit of every flow value in a Park.
FLOW_UNIT = "t/a"
#: The canonical unit of every stock in a Park.
STOCK_UNIT = "t"
DEFAULT_DAYS_PER_YEAR = 365.0

PROCESS_COLUMNS: tuple[str, ...] = ("id", "name", "name_zh", "kind", "group", "x", "y", "capacity", "note", "fate")
FLOW_COLUMNS: tuple[str, ...] = (
    "id", "source", "target", "material", "value", "sigma", "tc", "tc_sigma", "route", "fate", "year",
    "note", "estimated", "activity",
)
MATERIAL_COLUMNS: tuple[str, ...] = ("id", "name", "name_zh", "category", "bulk", "hw_code", "source", "note")
STOCK_COLUMNS: tuple[str, ...] = ("process", "material", "opening", "closing", "note", "sigma")
#: The lifetimes table: a lifetime model per stock of a material in a process (docs/time.md).
LIFETIME_COLUMNS: tuple[str, ...] = ("process", "material", "model", "mean", "std", "shape", "scale", "timing",
                                     "note")
