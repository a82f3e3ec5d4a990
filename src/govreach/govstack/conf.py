"""Settings of the GovStack APIs, read when used: ``getattr(settings, "GOVREACH_GOVSTACK_...", default)``.

- ``GOVREACH_GOVSTACK_MAX_UPLOAD_MB``: the largest document ``POST /documents`` accepts (10 MB).
- ``GOVREACH_GOVSTACK_MAX_RECORD_FILE_MB``: the largest file a generic registry field may hold (5 MB).
- ``GOVREACH_GOVSTACK_PAGE_SIZE_MAX``: the most records one registry list page returns (100).
"""

from __future__ import annotations

from django.conf import settings


def max_upload_bytes() -> int:
    return int(float(getattr(settings, "GOVREACH_GOVSTACK_MAX_UPLOAD_MB", 10)) * 1_000_000)


def max_record_file_bytes() -> int:
    return int(float(getattr(settings, "GOVREACH_GOVSTACK_MAX_RECORD_FILE_MB", 5)) * 1_000_000)


def page_size_max() -> int:
    return int(getattr(settings, "GOVREACH_GOVSTACK_PAGE_SIZE_MAX", 100))
