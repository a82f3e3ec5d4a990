"""What an uploaded file really is, judged by its bytes, and whether it is safe to keep and show to staff.

Every upload of GovReach (application documents, signed consent forms) goes through ``inspect_upload``:
- the type comes from the content (``filetype``'s signatures), never from the name or the browser;
- an image must decode as the image it claims to be (Pillow checks the whole structure), so a JPEG
  header glued to something else is refused;
- a PDF must be a whole PDF (header and end-of-file marker) and carry no active content: scripts,
  launch actions or embedded files are refused, since an officer opens these files on a work computer.
  The scan looks at the bytes as written; content hidden in a compressed object stream is out of its
  sight, which is why officers' PDF viewers are also expected to run with scripts off.
Archives (ZIP, RAR, 7z...), executables, HTML and SVG never match an accepted type.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

import filetype  # type: ignore[import-untyped]
from PIL import Image, UnidentifiedImageError

#: Detected type -> the Pillow format name it must decode as.
_IMAGE_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG"}
_PDF_ACTIVE = re.compile(rb"/(JavaScript|JS|Launch|EmbeddedFiles?|RichMedia|XFA)\b")
_ARCHIVES = {
    "application/zip",
    "application/x-rar-compressed",
    "application/x-7z-compressed",
    "application/gzip",
    "application/x-tar",
    "application/x-bzip2",
    "application/x-xz",
}


@dataclass(frozen=True)
class Inspection:
    """``mime``: the detected type (None when unknown); ``problem``: why the file is unsafe, if it is."""

    mime: str | None
    problem: str = ""

    @property
    def is_archive(self) -> bool:
        return self.mime in _ARCHIVES


def _image_problem(content: bytes, expected: str) -> str:
    try:
        with Image.open(io.BytesIO(content)) as image:
            if image.format != expected:
                return f"the file says it is {expected} but is {image.format}"
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        return f"the image is damaged or incomplete ({type(error).__name__})"
    return ""


def _pdf_problem(content: bytes) -> str:
    if b"%%EOF" not in content[-2048:]:
        return (
            "the PDF is incomplete (it has no end-of-file marker): it may have been cut off while uploading"
        )
    found = _PDF_ACTIVE.search(content)
    if found is not None:
        return f"the PDF contains active content ({found.group(1).decode()}), which is not accepted"
    return ""


def inspect_upload(content: bytes) -> Inspection:
    """The detected type of ``content`` and, for an accepted kind, whether its structure is sound."""
    kind = filetype.guess(content[:8192])
    mime = None if kind is None else str(kind.mime)
    if mime in _IMAGE_FORMATS:
        return Inspection(mime, _image_problem(content, _IMAGE_FORMATS[mime]))
    if mime == "application/pdf":
        return Inspection(mime, _pdf_problem(content))
    return Inspection(mime)
