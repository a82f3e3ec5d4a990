"""The one error the GovStack views raise: a status and the JSON body the building block documents."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """Answer ``status`` with ``body`` (``{"detail": ...}`` unless the document shapes it otherwise)."""

    def __init__(self, status: int, detail: str, *, body: Any = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.body = body if body is not None else {"detail": detail}


def system_error(status: int, code: str, message: str) -> ApiError:
    """An error shaped as the Registration building block's ``systemError``."""
    return ApiError(status, message, body={"code": code, "message": message, "localizedMessage": message})
