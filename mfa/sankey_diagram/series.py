"""Sankey diagrams through time: one diagram per year of a multi-year park, all at **one** scale (t/a per mm),
and an HTML page with a time slider that shows one year at a time.

The common scale is the largest of the years' fitted scales (the year with the most throughput fits the
diagram's height; every other year is drawn narrower), so a link twice as wide carries twice the tonnes in
any two years. Without JavaScript the page shows the last year.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from mfa.errors import Issue, MfaError
from mfa.formatting import check_lang
from mfa.results import Result

if TYPE_CHECKING:  # pragma: no cover
    from mfa.park import Park
    from mfa.sankey_diagram import SankeyDiagram

__all__ = ["SankeySeries", "sankey_series", "series_slider_html"]

_WORDS = {"en": {"year": "Year", "scale": "Every year at the same scale: {s} per mm (the largest fitted scale of "
                                          "the years), so widths compare across years."},
          "zh": {"year": "年份", "scale": "各年采用同一比例：每毫米 {s}（各年拟合比例中的最大值），宽度可跨年比较。"}}

# a few lines that show the year the slider points at; without them the last year stays shown
_SCRIPT = ("<script>(function(){{var r=document.getElementById('{id}-slider'),o=document.getElementById('{id}-year'),"
           "p=document.querySelectorAll('#{id} .mfa-sankey-year');function show(){{var i=+r.value;"
           "p.forEach(function(e,k){{e.hidden=k!==i;}});o.textContent=p[i].getAttribute('data-year');}}"
           "r.addEventListener('input',show);show();}})();</script>")


@dataclass(frozen=True, eq=False)
class SankeySeries(Result, title="Sankey diagrams by year", main_table="links"):
    """The Sankey diagram of every year of a park at one common scale.

    ``.table`` is every year's links with a ``year`` column; ``diagrams`` the per-year
    :class:`~mfa.sankey_diagram.SankeyDiagram` objects in year order; ``scale`` the common t/a per mm.

    Parameters
    ----------
    links : every year's links (the columns of :attr:`SankeyDiagram.links`, plus ``year``).
    years : the years, ascending.
    diagrams : one diagram per year, each drawn at ``scale``.
    scale : t/a per mm of link width in every diagram.
    lang : ``"en"`` or ``"zh"``.
    div_id : id of the slider block in HTML pages.

    Examples
    --------
    >>> import mfa
    >>> s = sankey_series(mfa.read_park("farm_film"))
    >>> s.years, sorted(set(s.table["year"])) == list(s.years)
    ((2021, 2022, 2023, 2024, 2025), True)
    >>> {d.scale for d in s.diagrams} == {s.scale}
    True
    """

    links: pd.DataFrame
    years: tuple[int, ...]
    diagrams: tuple["SankeyDiagram", ...]
    scale: float
    lang: str = "en"
    div_id: str = "mfa-sankey-years"

    @property
    def summary(self) -> dict[str, Any]:
        """Years, links per year and the common scale.

        Examples
        --------
        >>> import mfa
        >>> sorted(sankey_series(mfa.read_park("farm_film")).summary)
        ['links', 'nodes', 'scale_t_per_mm', 'years']
        """
        return {"years": list(self.years), "nodes": int(sum(len(d.nodes) for d in self.diagrams)),
                "links": int(len(self.links)), "scale_t_per_mm": float(self.scale)}

    def diagram(self, year: int) -> "SankeyDiagram":
        """The diagram of ``year``.

        Parameters
        ----------
        year : one of :attr:`years`.

        Returns
        -------
        SankeyDiagram

        Examples
        --------
        >>> import mfa
        >>> sankey_series(mfa.read_park("farm_film")).diagram(2023).title
        'farm_film 2023'
        """
        if year not in self.years:
            raise MfaError(f"no Sankey for year {year}: the park's years are {', '.join(map(str, self.years))}")
        return self.diagrams[self.years.index(year)]

    def note(self) -> str:
        """The sentence saying the common scale.

        Examples
        --------
        >>> import mfa
        >>> sankey_series(mfa.read_park("farm_film"), lang="zh").note().startswith("各年采用同一比例")
        True
        """
        from mfa.sankey_diagram import format_value

        return _WORDS[self.lang]["scale"].format(s=format_value(self.scale, self.lang))

    def to_html(self, full_html: bool = True) -> str:
        """The slider page (``full_html``) or the block to put in a page.

        Parameters
        ----------
        full_html : a whole page (True) or a ``<div>``.

        Returns
        -------
        str
            HTML: the slider, the scale's note and one ``div.mfa-sankey-year`` per year.

        Examples
        --------
        >>> import mfa
        >>> h = sankey_series(mfa.read_park("farm_film")).to_html(full_html=False)
        >>> h.count('class="mfa-sankey-year"'), '<input type="range"' in h, "http" in h.split("<svg")[0]
        (5, True, False)
        """
        from mfa.sankey_diagram.svg import sankey_svg

        frag = series_slider_html([(y, sankey_svg(d, f"{self.div_id}-{y}")) for y, d in zip(self.years, self.diagrams)],
                                  self.lang, self.div_id, self.note())
        if not full_html:
            return frag
        from mfa.sankey_diagram.svg import page

        last = self.diagrams[-1]
        return page(frag, f"{last.title or 'Sankey'}", self.lang, head=self._font_head())

    def _font_head(self) -> list[str]:
        texts = " ".join(self.note() + " " + _WORDS[self.lang]["year"] + " "
                         + " ".join([d.title or "", d.note()] + [str(x) for x in d.nodes["label"]]
                                    + [str(x) for x in d.links["material_name"]]
                                    + [lab for lab, _c in sum(d.legends(), [])]) for d in self.diagrams)
        try:
            from mfa.fonts import cjk_font_face

            face = cjk_font_face(texts)  # the Chinese glyphs travel with the page (offline, any machine)
        except MfaError:
            face = ""
        return [f"<style>{face}</style>"] if face else []

    def save(self, path: str | os.PathLike) -> Path:
        """Write the slider page (.html, atomically); static formats take one year (:meth:`diagram`).

        Parameters
        ----------
        path : an .html file.

        Returns
        -------
        pathlib.Path

        Examples
        --------
        >>> import mfa, tempfile
        >>> s = sankey_series(mfa.read_park("farm_film"))
        >>> s.save(Path(tempfile.mkdtemp()) / "film.html").suffix
        '.html'
        """
        path = Path(path)
        if path.suffix.lower() not in (".html", ".htm"):
            raise MfaError(f"cannot save the Sankeys of {len(self.years)} years as {path.name!r}: the time slider "
                           "needs an .html file; for a .png/.svg/.pdf choose one year (--year Y)")
        from mfa.io.writers import atomic_write_bytes

        atomic_write_bytes(path, self.to_html().encode("utf-8"))
        return path

    def _repr_html_(self) -> str:
        return self.to_html(full_html=False)


def series_slider_html(svgs: list[tuple[int, str]], lang: str, div_id: str, note: str) -> str:
    """A block showing one of several SVGs at a time, chosen with a range slider (the last shown by default
    and without JavaScript).

    Parameters
    ----------
    svgs : (year, SVG text) in year order.
    lang : ``"en"`` or ``"zh"``.
    div_id : id of the block (ids of the slider and its label derive from it).
    note : the line under the slider (the common scale).

    Returns
    -------
    str
        ``<div id=div_id class="mfa-sankey-series">`` with an ``<input type="range">`` and one
        ``div.mfa-sankey-year`` per year (``data-year``).

    Examples
    --------
    >>> h = series_slider_html([(2021, "<svg/>"), (2022, "<svg/>")], "en", "s", "same scale")
    >>> h.count(" hidden style"), 'max="1" value="1"' in h
    (1, True)
    """
    import html

    check_lang(lang)
    n = len(svgs)
    last = svgs[-1][0] if svgs else ""
    parts = [f'<div id="{html.escape(div_id)}" class="mfa-sankey-series">'
             f'<p class="mfa-slider"><label for="{div_id}-slider">{_WORDS[lang]["year"]}</label> '
             f'<input type="range" id="{div_id}-slider" min="0" max="{n - 1}" value="{n - 1}" step="1" '
             f'list="{div_id}-ticks" style="width:min(40em,90%)"> <output id="{div_id}-year">{last}</output></p>'
             f'<datalist id="{div_id}-ticks">' + "".join(f'<option value="{i}" label="{y}"></option>'
                                                          for i, (y, _s) in enumerate(svgs)) + "</datalist>"
             f'<p class="mfa-sankey-note">{html.escape(note)}</p>']
    for i, (year, svg) in enumerate(svgs):
        hidden = "" if i == n - 1 else " hidden"
        parts.append(f'<div class="mfa-sankey-year" data-year="{year}"{hidden} style="overflow-x:auto">{svg}</div>')
    parts.append("</div>" + _SCRIPT.format(id=div_id))
    return "".join(parts)


def sankey_series(park: "Park", *, solve: bool = True, scale: float | None = None, lang: str = "en",
                  div_id: str = "mfa-sankey-years", **options: Any) -> SankeySeries:
    """The Sankey of every year of ``park`` at one scale (see the module docstring).

    Parameters
    ----------
    park : a multi-year park (a one-year park gives a series of one).
    solve : compute each year's unknown flows that the balances determine first (:func:`mfa.solve_park`).
    scale : t/a per mm for every year; None takes the largest of the years' fitted scales.
    lang : ``"en"`` or ``"zh"``.
    div_id : id of the slider block in HTML.
    **options : passed to :func:`mfa.sankey` for every year (material, category, group_by, carriers, …).

    Returns
    -------
    SankeySeries

    Examples
    --------
    A link's width is its value divided by the common scale in every year:

    >>> import mfa
    >>> s = sankey_series(mfa.read_park("farm_film"))
    >>> d = s.diagram(2021)
    >>> bool(((d.layout.links["width"] - d.links["value"] / s.scale).abs() < 1e-9).all())
    True
    """
    from mfa.sankey_diagram import sankey
    from mfa.time_series import year_parks

    check_lang(lang)
    drawn = [(year, sankey(p, lang=lang, scale=scale, div_id=f"{div_id}-{year}", **options))
             for year, p in year_parks(park, solve)]
    # one scale for all: the largest fitted one, so the busiest year fits the height and widths compare
    common = scale if scale is not None else max(d.layout.scale for _y, d in drawn)
    diagrams = tuple(d if scale is not None else replace(d, requested_scale=common) for _y, d in drawn)
    years = tuple(int(y) if y is not None else 0 for y, _d in drawn)
    links = pd.concat([d.links.assign(year=y) for y, d in zip(years, diagrams)], ignore_index=True)
    links = links[["year"] + [c for c in links.columns if c != "year"]]
    messages = tuple(Issue.note(f"{y}: {m.message}", severity=m.severity)
                     for y, d in zip(years, diagrams) for m in d.messages)
    return SankeySeries(links=links, years=years, diagrams=diagrams, scale=float(common), lang=lang,
                        div_id=div_id, messages=messages)
