"""Shared fixtures: one engine per test session (durable_rules rulesets are process-global)."""
from __future__ import annotations

from pathlib import Path

import pytest

from grants import Engine, default_engine

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "fixtures"


@pytest.fixture(scope="session")
def engine() -> Engine:
    return default_engine()


def line(**overrides):
    """A valid input line (dict form) for tests, with any field overridden."""
    base = {
        "alis_id": "T1",
        "kommunenummer": "0301",
        "grant_type": "alis_avtale",
        "role": "fastlege",
        "position_share": "100",
        "start": "2022-10-01",
        "end": "2023-08-31",
    }
    base.update(overrides)
    return base
