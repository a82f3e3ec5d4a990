"""Audit tests reuse the e-Mutation builders of the web tests: areas, officers, an intermediary, a case."""

from tests.web.conftest import (  # noqa: F401 - fixtures, registered by being imported
    bd_areas,
    bd_service_pack,
    emutation,
    fresh_cache,
    intermediary,
    media,
    officers,
)
