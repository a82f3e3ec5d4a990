"""Files that lie about what they are, archives, damaged files and PDFs with active content are refused,
each with a message that names the document and what to do instead, and nothing is stored."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from tests.cases.conftest import PACK_ID, pdf_bytes, png_bytes

from govreach.accounts.models import CitizenAccount
from govreach.cases import services
from govreach.cases.models import Application, Document
from govreach.uploads import inspect_upload


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("deed.pdf", pdf_bytes())
    return buffer.getvalue()


def _jpeg_header_then_garbage() -> bytes:
    return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00garbage" * 200


def _pdf_with_javascript() -> bytes:
    clean = pdf_bytes()
    # an OpenAction that runs a script when the file is opened, added before the trailer
    return clean.replace(b"%%EOF", b"1 0 obj << /S /JavaScript /JS (app.alert(1)) >> endobj\n%%EOF")


def _draft(citizen: CitizenAccount) -> Application:
    return services.application_draft_save(
        applicant=citizen.user, pack_id=PACK_ID, form_id="application", answers={}
    )


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("deed.pdf", _zip(), "is an archive"),
        (
            "deed.pdf",
            b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 600,
            "not a PDF, JPEG, PNG",
        ),
        ("deed.pdf", b"<html><script>alert(1)</script></html>" * 20, "not a PDF, JPEG, PNG"),
        (
            "deed.pdf",
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>' * 10,
            "not a PDF, JPEG, PNG",
        ),
        ("deed.jpg", _jpeg_header_then_garbage(), "damaged or incomplete"),
        ("deed.pdf", pdf_bytes()[: len(pdf_bytes()) // 2], "incomplete"),
        ("deed.pdf", _pdf_with_javascript(), "active content (JavaScript)"),
    ],
    ids=["zip", "executable", "html", "svg", "fake-jpeg", "truncated-pdf", "pdf-with-script"],
)
def test_a_lying_dangerous_or_damaged_file_is_refused_and_nothing_is_kept(
    citizen: CitizenAccount, name: str, content: bytes, expected: str
) -> None:
    draft = _draft(citizen)
    upload = SimpleUploadedFile(name, content, content_type="application/pdf")
    with pytest.raises(services.DocumentRefused) as refused:
        services.document_attach(
            application=draft, kind="deed_copy", uploaded_file=upload, by_user=citizen.user
        )
    assert expected in refused.value.message, refused.value.message
    assert refused.value.field == "deed_copy" and refused.value.fix
    assert not Document.objects.exists()


def test_real_files_of_each_accepted_kind_pass_the_inspection() -> None:
    assert inspect_upload(pdf_bytes()).problem == ""
    assert inspect_upload(pdf_bytes()).mime == "application/pdf"
    assert inspect_upload(png_bytes()).problem == ""
    assert inspect_upload(png_bytes()).mime == "image/png"
    assert inspect_upload(_zip()).is_archive
