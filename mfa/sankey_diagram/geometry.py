"""Outlines of Sankey links as drawing commands, shared by the matplotlib and the SVG renderers.

A command is ``(op, points)`` with ``op`` one of ``"M"`` (move), ``"L"`` (line), ``"Q"`` (quadratic Bézier:
control, end), ``"C"`` (cubic Bézier: two controls, end) and ``"Z"`` (close); points in mm, ``y`` downwards.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

__all__ = ["band_outline", "loop_centre_line", "loop_arrows", "svg_path"]

Point = tuple[float, float]
Command = tuple[str, list[Point]]


def band_outline(pts: Sequence[Point], width: float) -> list[Command]:
    """A forward link as a closed band: top edge along the stations, bottom edge back.

    Consecutive stations at different heights are joined by S-curves with horizontal tangents, so a band
    meets each node square-on and keeps its vertical thickness everywhere (a stroked centre line as wide as
    a large flow would bulge backwards where it bends).

    Examples
    --------
    >>> [op for op, _ in band_outline([(0.0, 0.0), (10.0, 4.0)], 2.0)]
    ['M', 'C', 'L', 'C', 'Z']
    """
    h = width / 2

    def edge(points: Sequence[Point], dy: float) -> list[Command]:
        out: list[Command] = []
        for (xa, ya), (xb, yb) in zip(points[:-1], points[1:]):
            if abs(ya - yb) < 1e-9:
                out.append(("L", [(xb, yb + dy)]))
            else:
                xm = (xa + xb) / 2
                out.append(("C", [(xm, ya + dy), (xm, yb + dy), (xb, yb + dy)]))
        return out

    back = list(reversed(pts))
    return ([("M", [(pts[0][0], pts[0][1] - h)])] + edge(pts, -h) + [("L", [(back[0][0], back[0][1] + h)])]
            + edge(back, h) + [("Z", [])])


def loop_centre_line(pts: Sequence[Point], radius: float) -> list[Command]:
    """The centre line of a return link: straight legs joined by rounded corners of ``radius`` mm.

    Examples
    --------
    >>> [op for op, _ in loop_centre_line([(0.0, 0.0), (5.0, 0.0), (5.0, 10.0)], 2.0)]
    ['M', 'L', 'Q', 'L']
    """
    out: list[Command] = [("M", [tuple(map(float, pts[0]))])]
    for i in range(1, len(pts) - 1):
        p_prev, p, p_next = (np.asarray(pts[j], dtype=float) for j in (i - 1, i, i + 1))
        d1, d2 = p - p_prev, p_next - p
        l1, l2 = float(np.hypot(*d1)), float(np.hypot(*d2))
        r = min(radius, l1 / 2, l2 / 2)
        a = p - d1 / l1 * r if l1 > 0 else p
        b = p + d2 / l2 * r if l2 > 0 else p
        out += [("L", [(float(a[0]), float(a[1]))]), ("Q", [(float(p[0]), float(p[1])), (float(b[0]), float(b[1]))])]
    out.append(("L", [tuple(map(float, pts[-1]))]))
    return out


def loop_arrows(pts: Sequence[Point], width: float) -> tuple[list[Point], list[Point]]:
    """An arrowhead where a return link enters its target and a chevron in its channel (pointing the way
    it runs, right to left), so a reader can tell where it goes.

    Examples
    --------
    >>> head, chevron = loop_arrows([(40, 5), (44, 5), (44, 20), (2, 20), (2, 5), (4, 5)], 1.0)
    >>> head
    [(2.4, 4.2), (4, 5), (2.4, 5.8)]
    """
    x_end, y_end = pts[-1]
    hw = max(width / 2, 0.8)
    head = min(max(1.6, 0.5 * hw), 4.0)
    (xa, yc), (xb, _) = pts[2], pts[3]
    xm = xa - min(8.0, abs(xa - xb) / 4)
    chev = max(1.2, 0.6 * hw)
    return ([(round(x_end - head, 6), round(y_end - hw, 6)), (x_end, y_end), (round(x_end - head, 6), round(y_end + hw, 6))],
            [(xm + chev, yc - hw * 0.8), (xm - chev / 2, yc), (xm + chev, yc + hw * 0.8)])


def svg_path(commands: Sequence[Command], digits: int = 2) -> str:
    """SVG path data of drawing commands (coordinates rounded to ``digits``, so output is deterministic).

    Examples
    --------
    >>> svg_path([("M", [(0, 0)]), ("L", [(1.234, 2)]), ("Z", [])])
    'M0 0L1.23 2Z'
    """
    def num(v: float) -> str:
        s = f"{v:.{digits}f}".rstrip("0").rstrip(".")
        return "0" if s in ("-0", "") else s

    return "".join(op + " ".join(f"{num(x)} {num(y)}" for x, y in points) for op, points in commands)
