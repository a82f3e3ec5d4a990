"""Fixtures shared with the API tests: the Portuguese tariff pack loaded into the catalogue."""

from tests.api.conftest import pt_pack, pt_service_pack

__all__ = ["pt_pack", "pt_service_pack"]
