"""Bar charts drawn on the server as inline SVG, by hand: no script, no library.

A chart is an image with a title and a description that screen readers announce
(``role="img"``, ``<title>``, ``<desc>``); its colours are the stylesheet's (classes
``chart``, ``bar``, ``grid``, ``axis``, ``tick``), so it follows the site's palette in
the light and the dark scheme, with presentation attributes underneath for a page
read without the stylesheet. Pages follow each chart with its figures as a table.

Every text it draws (title, labels, units) is escaped: labels may come from members
(place names) or from a translation.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

from flask_babel import format_decimal
from flask_babel import gettext as _
from markupsafe import Markup, escape

__all__ = ["bar_chart", "nice_ticks"]

#: Ids of the charts' title and description, unique on a page (and in a process).
_ids = itertools.count(1)

# Sizes in the SVG's units, pixels when shown at its natural size. The bars are
# horizontal, one row per label: rows stack down a narrow phone where columns would
# squeeze their labels, and each value is written at the end of its bar.
_FONT = 14
_CHAR = 8.0  # the width of an average character at that size, to size the margins
_ROW = 28
_BAR = 18
_PLOT = 180  # the longest bar
_GAP = 6
_TOP = 4
_BELOW = 46  # under the bars: the tick values, then the axis label
_TICKS = 4

# Colours when the stylesheet is not there (the light scheme's --accent, --text,
# --muted and --subtle); the stylesheet's rules override them.
_FALLBACK = {"bar": "#0b6b50", "text": "#1d2623", "muted": "#55625e", "subtle": "#d3dad7"}


def nice_ticks(maximum: float, *, count: int = _TICKS, whole: bool = True) -> list[float]:
    """Values for the axis' marks, from 0 to the first "round" step (1, 2 or 5
    times a power of ten) at or above ``maximum``, about ``count`` steps apart.

    With ``whole``, steps are whole numbers (counts of trips cannot be 2.5).

    Examples
    --------
    >>> nice_ticks(0), nice_ticks(7), nice_ticks(130)
    ([0, 1], [0, 2, 4, 6, 8], [0, 50, 100, 150])
    >>> nice_ticks(0.7, whole=False)
    [0.0, 0.2, 0.4, 0.6, 0.8]
    """
    if maximum <= 0:
        return [0, 1]
    raw = maximum / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step: float = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    if whole:
        step = max(1, round(step))
    steps = math.ceil(maximum / step - 1e-9)
    if isinstance(step, int):
        return [i * step for i in range(steps + 1)]
    # Rounded so that 3 × 0.2 is 0.6, not 0.6000000000000001.
    return [round(i * step, _digits(step)) for i in range(steps + 1)]


def _digits(step: float) -> int:
    """Digits after the decimal point that a step of the axis needs (0.2: 1)."""
    return 0 if float(step).is_integer() else max(0, -math.floor(math.log10(step)))


def _number(value: float, decimals: int) -> str:
    pattern = "#,##0." + "0" * decimals if decimals else "#,##0"
    return str(format_decimal(value, format=pattern))


def _with_unit(number: str, unit: str) -> str:
    # A no-break space: "12 km" never splits in two.
    return f"{number}\u00a0{unit}" if unit else number


def _width(text: str) -> float:
    return len(text) * _CHAR


def bar_chart(
    title: str,
    labels: Sequence[str],
    values: Sequence[float],
    *,
    unit: str = "",
    axis_label: str | None = None,
    decimals: int = 0,
    description: str | None = None,
) -> Markup:
    """An accessible SVG bar chart: one horizontal bar per label, top to bottom,
    each with its value written at its end.

    Parameters
    ----------
    title : str
        What the chart shows; its accessible name.
    labels : sequence of str
        One per bar, short (a month: "Jan 2025").
    values : sequence of float
        One per label, none negative.
    unit : str, optional
        Written after each value ("km"); none for counts.
    axis_label : str, optional
        Under the value axis; the unit by default.
    decimals : int, optional
        Digits after the decimal point of the values shown.
    description : str, optional
        Its accessible description; by default every label with its value.

    Returns
    -------
    Markup
        An ``<svg>`` element, well-formed XML, to put in a page as it is.

    Raises
    ------
    ValueError
        For as many labels as values, or a value that is negative or not finite.
    """
    if len(labels) != len(values):
        raise ValueError(f"{len(labels)} labels for {len(values)} values")
    if any(not math.isfinite(v) or v < 0 for v in values):
        raise ValueError(f"a bar chart shows finite values of 0 or more, not {list(values)!r}")
    shown = [_with_unit(_number(v, decimals), unit) for v in values]
    ticks, tick_texts = _axis(max(values, default=0), whole=decimals == 0)
    left = max([_width(label) for label in labels] + [3 * _CHAR]) + 2 * _GAP
    right = max([_width(text) for text in shown] + [_width(tick_texts[-1]) / 2]) + 2 * _GAP
    width = math.ceil(left + _PLOT + right)
    height = _TOP + len(labels) * _ROW + _BELOW
    bottom = _TOP + len(labels) * _ROW
    scale = _PLOT / ticks[-1]
    chart_id = f"chart-{next(_ids)}"
    if description is None:
        pairs = zip(labels, shown, strict=True)
        description = "; ".join(_("%(label)s: %(value)s", label=label, value=text) for label, text in pairs)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" font-family="sans-serif" font-size="{_FONT}" '
        f'fill="{_FALLBACK["text"]}">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>',
        _grid(ticks, tick_texts, left, scale, bottom),
    ]
    for row, (label, value, text) in enumerate(zip(labels, values, shown, strict=True)):
        parts.append(_bar(row, label, value * scale, text, left))
    parts.append(
        f'<text class="axis-label" x="{left + _PLOT / 2:g}" y="{height - _GAP}" text-anchor="middle" '
        f'fill="{_FALLBACK["muted"]}">{escape(axis_label if axis_label is not None else unit)}</text>'
    )
    parts.append("</svg>")
    return Markup("".join(parts))


def _axis(maximum: float, *, whole: bool) -> tuple[list[float], list[str]]:
    """The axis' marks and their texts: as many as fit without their texts touching."""
    for count in range(_TICKS, 0, -1):
        ticks = nice_ticks(maximum, count=count, whole=whole)
        texts = [_number(t, _digits(ticks[1] - ticks[0])) for t in ticks]
        if _PLOT / (len(ticks) - 1) >= max(_width(text) for text in texts) + 2 * _GAP:
            break
    return ticks, texts


def _grid(ticks: list[float], texts: list[str], left: float, scale: float, bottom: float) -> str:
    """The value axis: a line and a value under each mark, and faint lines across."""
    lines = [f'<g class="grid" stroke="{_FALLBACK["subtle"]}">']
    lines += [
        f'<line x1="{left + t * scale:g}" y1="{_TOP}" x2="{left + t * scale:g}" y2="{bottom}"/>'
        for t in ticks[1:]
    ]
    lines.append("</g>")
    lines.append(
        f'<line class="axis" x1="{left:g}" y1="{bottom}" x2="{left + _PLOT:g}" y2="{bottom}" '
        f'stroke="{_FALLBACK["muted"]}"/>'
        f'<line class="axis" x1="{left:g}" y1="{_TOP}" x2="{left:g}" y2="{bottom}" '
        f'stroke="{_FALLBACK["muted"]}"/>'
    )
    lines += [
        f'<text class="tick" x="{left + t * scale:g}" y="{bottom + _FONT + _GAP}" text-anchor="middle" '
        f'fill="{_FALLBACK["muted"]}">{escape(text)}</text>'
        for t, text in zip(ticks, texts, strict=True)
    ]
    return "".join(lines)


def _bar(row: int, label: str, length: float, text: str, left: float) -> str:
    """One row: the label on the left, the bar, its value just after it."""
    top = _TOP + row * _ROW + (_ROW - _BAR) / 2
    middle = _TOP + row * _ROW + _ROW / 2
    # dy: text centred on the row without dominant-baseline, which some readers ignore.
    return (
        f'<text class="label" x="{left - _GAP:g}" y="{middle:g}" dy="0.35em" text-anchor="end">'
        f"{escape(label)}</text>"
        f'<rect class="bar" x="{left:g}" y="{top:g}" width="{length:.1f}" height="{_BAR}" '
        f'fill="{_FALLBACK["bar"]}"/>'
        f'<text class="value" x="{left + length + _GAP:.1f}" y="{middle:g}" dy="0.35em">{escape(text)}</text>'
    )
