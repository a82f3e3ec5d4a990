"""Server-rendered bar charts: inline SVG readable without JavaScript, one bar per area, each value written
beside its bar, and a table with the same figures next to it for screen readers and for copying."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

WIDTH = 320
ROW_HEIGHT = 38
LABEL_HEIGHT = 15
BAR_HEIGHT = 14
VALUE_SPACE = 70  # room right of the longest bar for its value
BAR_COLOUR = "#0a4d94"  # 8.6:1 against white: a non-text contrast well above 3:1
TEXT_COLOUR = "#1b1b1b"


@dataclass(frozen=True)
class Bar:
    label: str
    value: float | None  # None: suppressed or not available, drawn as no bar
    shown: str  # the value as written beside the bar ("1 234", "[c]")


def bar_chart(*, chart_id: str, title: str, bars: Sequence[Bar]) -> SafeString:
    """An SVG with ``role="img"``, a ``<title>`` it is labelled by, and one labelled bar per row."""
    top = max((b.value for b in bars if b.value is not None), default=0.0) or 1.0
    height = ROW_HEIGHT * max(len(bars), 1) + 4
    rows = []
    for i, bar in enumerate(bars):
        y = ROW_HEIGHT * i + 2
        length = 0.0 if not bar.value else max(1.0, (WIDTH - VALUE_SPACE) * bar.value / top)
        rows.append(
            (
                y + LABEL_HEIGHT - 3,
                bar.label,
                y + LABEL_HEIGHT,
                f"{length:.1f}",
                f"{length + 6:.1f}",
                y + LABEL_HEIGHT + BAR_HEIGHT - 2,
                bar.shown,
            )
        )
    body = format_html_join(
        "",
        '<text x="0" y="{}" font-size="13" fill="' + TEXT_COLOUR + '">{}</text>'
        '<rect x="0" y="{}" width="{}" height="' + str(BAR_HEIGHT) + '" fill="' + BAR_COLOUR + '"></rect>'
        '<text x="{}" y="{}" font-size="13" fill="' + TEXT_COLOUR + '">{}</text>',
        rows,
    )
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="{}" viewBox="0 0 {} {}" '
        'width="100%" style="max-width:{}px;height:auto" class="chart"><title id="{}">{}</title>{}</svg>',
        f"{chart_id}-title",
        WIDTH,
        height,
        WIDTH * 2,
        f"{chart_id}-title",
        title,
        body,
    )
