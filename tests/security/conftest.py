"""Fixtures: the Portuguese tariff pack (shared with the API tests) and a folder for the demo world."""

from pathlib import Path

import pytest
from tests.api.conftest import pt_pack, pt_service_pack

__all__ = ["demo_var_dir", "pt_pack", "pt_service_pack"]


@pytest.fixture(scope="session")
def demo_var_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's var folder (its synthetic populations are generated into it)."""
    return tmp_path_factory.mktemp("demo-var")
