"""Posted letters: a queued outbox letter rendered as an A4 PDF with reportlab (what the print shop gets)."""

from __future__ import annotations

import io
import textwrap
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from govreach.notify.models import OutboxMessage

_SENDER = {
    "pt": "Direção-Geral de Energia e Geologia (DGEG) - Tarifa social de energia",
    "en": "Directorate-General for Energy and Geology (DGEG) - Social energy tariff",
}
_WRAP = 92


def letters_dir() -> Path:
    configured = getattr(settings, "GOVREACH_LETTERS_DIR", None)
    return Path(configured) if configured else Path(settings.VAR_DIR) / "letters"


def letter_pdf(message: OutboxMessage) -> bytes:
    """The letter as a PDF: sender, the address block, the date, the subject and the body as queued."""
    from reportlab.lib.pagesizes import A4  # type: ignore[import-untyped]
    from reportlab.lib.units import mm  # type: ignore[import-untyped]
    from reportlab.pdfgen import canvas  # type: ignore[import-untyped]

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, invariant=1)
    pdf.setTitle(message.subject or "GovReach")
    _width, height = A4
    left, y = 20 * mm, height - 20 * mm

    def line(text: str, size: float = 10.5, bold: bool = False) -> None:
        nonlocal y
        if y < 20 * mm:
            pdf.showPage()
            y = height - 20 * mm
        pdf.setFont("Helvetica-Bold" if bold else "Helvetica", size)
        pdf.drawString(left, y, text)
        y -= size * 1.45

    language = message.language.split("-")[0]
    line(_SENDER.get(language, _SENDER["en"]), 9)
    y -= 8 * mm
    for part in message.recipient.splitlines():
        line(part.strip())
    y -= 6 * mm
    created = timezone.localdate(message.created_at)
    line(created.isoformat(), 9)
    y -= 4 * mm
    line(message.subject, 12, bold=True)
    y -= 2 * mm
    for paragraph in message.body.splitlines():
        if not paragraph.strip():
            y -= 4
            continue
        indent = len(paragraph) - len(paragraph.lstrip())
        for piece in textwrap.wrap(paragraph.strip(), _WRAP - indent) or [""]:
            line(" " * indent + piece)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def letter_pdf_write(message: OutboxMessage) -> Path:
    """Write the letter's PDF under the letters folder (one file per outbox message) and return it."""
    path = letters_dir() / f"{message.pk:09d}.pdf"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(letter_pdf(message))
        tmp.replace(path)
    return path
