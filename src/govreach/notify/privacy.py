"""Recipients are personal data: masks for what a human reads, and scrubbing of text that may echo them."""

from __future__ import annotations

MASK = "•"


def recipient_mask(recipient: str) -> str:
    """``+8801712345678`` -> ``+880•••••••78``; ``rahima@example.org`` -> ``r•••••@example.org``.

    Enough for a person to recognise their own number or address, never enough to use it.
    """
    text = recipient.strip()
    if "@" in text:
        local, _, domain = text.rpartition("@")
        return (local[:1] + MASK * max(len(local) - 1, 1)) + "@" + domain
    if text.startswith("+") and len(text) > 8:
        return text[:4] + MASK * (len(text) - 6) + text[-2:]
    return MASK * 8  # a postal address, or a number in another form: nothing of it


def scrub(text: str, recipient: str) -> str:
    """``text`` with every occurrence of ``recipient`` masked (a gateway's error may echo the number)."""
    if not recipient:
        return text
    out = text.replace(recipient, recipient_mask(recipient))
    bare = recipient.lstrip("+")
    if len(bare) >= 6:
        out = out.replace(bare, recipient_mask(recipient))
    return out
