"""The Portuguese social energy tariff pack, loaded into the catalogue the way `govreach packs load` does."""

from __future__ import annotations

from functools import cache

import pytest
from django.conf import settings

from govreach.catalogue.models import ServicePack
from govreach.catalogue.services import service_pack_load
from govreach.packs.loader import Pack, load_pack

PT_PACK_DIR = settings.BASE_DIR / "packs" / "pt-social-energy-tariff"


@cache
def _pt_pack() -> Pack:
    return load_pack(PT_PACK_DIR)


@pytest.fixture
def pt_pack() -> Pack:
    return _pt_pack()


@pytest.fixture
def pt_service_pack(db: None, pt_pack: Pack) -> ServicePack:
    return service_pack_load(pack=pt_pack)
