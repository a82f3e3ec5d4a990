"""Synthetic registry pairs with known truth, and one shared linkage run over 2,000 persons."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from govreach.linkage import LinkageOutcome, LinkageSettings, link_records
from govreach.linkage.synthetic import DefectRates, RegistryPair, make_registry_pair

#: Defaults, with a smaller u-sampling budget: a few thousand records need far fewer than 2e6 pairs.
TEST_SETTINGS = LinkageSettings(max_pairs_u=3e5)


def settings_for_tests(**changes: Any) -> LinkageSettings:
    """`TEST_SETTINGS` with `changes` applied."""
    return replace(TEST_SETTINGS, **changes)


def make_pair(n_persons: int, *, seed: int = 7, **rates: float) -> RegistryPair:
    """N persons drawn with a seeded numpy rng and two noisy copies (defaults: 5% typos, 10% missing ids)."""
    return make_registry_pair(n_persons, seed=seed, rates=DefectRates(**rates))


@pytest.fixture(scope="session")
def pair_2000() -> RegistryPair:
    return make_pair(2000)


@pytest.fixture(scope="session")
def outcome_2000(pair_2000: RegistryPair) -> LinkageOutcome:
    return link_records(pair_2000.left, pair_2000.right, settings=TEST_SETTINGS)
