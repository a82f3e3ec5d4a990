"""The published summary of a dry run as plain text (the command line) and as SVG bars (the staff web)."""

from __future__ import annotations

from typing import Any

from django.utils.html import escape

HIDDEN = "<10"


def _cell(value: int | None) -> str:
    return HIDDEN if value is None else str(value)


def summary_text(summary: dict[str, Any]) -> str:
    """The summary for a terminal: totals, then gains and losses by area and by criterion."""
    lines = [
        f"{summary['pack']}: {summary['from_version']} -> {summary['to_version']} on {summary['on']}",
        f"  units decided: {_cell(summary['units'])}",
        f"  granted before: {_cell(summary['granted_before'])}; after: {_cell(summary['granted_after'])}",
        f"  would gain: {_cell(summary['gains'])}; would lose: {_cell(summary['losses'])}",
    ]
    if summary["cost_change_eur"] is not None:
        lines.append(
            f"  estimated yearly cost change: EUR {summary['cost_change_eur']:,.2f} "
            f"(EUR {summary['value_after_eur']:,.2f} a year per unit granted, as the pack values it)"
        )
    for title, key, rows in (
        (f"by {summary['level']}", "area", summary["by_area"]),
        ("by the criterion that changed the outcome", "criterion", summary["by_criterion"]),
    ):
        lines.append(f"  {title}:")
        if not rows:
            lines.append("    (nobody changes)")
        for row in rows:
            lines.append(f"    {row[key]:<32} gain {_cell(row['gains']):>6}   lose {_cell(row['losses']):>6}")
    lines.append(f"  ({HIDDEN}: fewer than 10 units, or hidden so that such a count cannot be worked out)")
    return "\n".join(lines)


def bars_svg(rows: list[dict[str, Any]], key: str, *, title: str, gain_label: str, loss_label: str) -> str:
    """A horizontal bar chart of gains and losses per row, server-rendered; hidden cells draw no bar.

    The chart repeats the table beside it (which is what screen readers read); it is marked as an image
    with a title so it is not read twice.
    """
    width, label_w, bar_h, gap = 640, 200, 14, 10
    values = [v for r in rows for v in (r["gains"], r["losses"]) if v is not None]
    top = max(values, default=1) or 1
    scale = (width - label_w - 60) / top
    height = max(1, len(rows)) * (2 * bar_h + gap) + 30
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}" class="policy-chart"><title>{escape(title)}</title>',
        f'<rect x="{label_w}" y="2" width="12" height="12" fill="#1d70b8"/>'
        f'<text x="{label_w + 16}" y="13" font-size="12">{escape(gain_label)}</text>'
        f'<rect x="{label_w + 140}" y="2" width="12" height="12" fill="#d4351c"/>'
        f'<text x="{label_w + 156}" y="13" font-size="12">{escape(loss_label)}</text>',
    ]
    y = 24
    for row in rows:
        parts.append(f'<text x="0" y="{y + bar_h + 4}" font-size="12">{escape(str(row[key]))[:30]}</text>')
        for value, colour, dy in ((row["gains"], "#1d70b8", 0), (row["losses"], "#d4351c", bar_h)):
            w = 0 if value is None else value * scale
            text_y = y + dy + bar_h - 3
            parts.append(
                f'<rect x="{label_w}" y="{y + dy}" width="{w:.1f}" height="{bar_h - 2}" fill="{colour}"/>'
                f'<text x="{label_w + w + 4:.1f}" y="{text_y}" font-size="11">{_cell(value)}</text>'
            )
        y += 2 * bar_h + gap
    parts.append("</svg>")
    return "".join(parts)
