"""Shared fixtures: one engine per test session (durable_rules rulesets are process-global)."""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from grants import Engine, default_engine
from grants.rates.tables import RateBook
from grants.rules import durable_adapter

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "fixtures"

needs_durable_rules = pytest.mark.skipif(
    not durable_adapter.available(),
    reason=f"needs durable_rules, which is installed below Python 3.13 only "
           f"(this is Python {sys.version_info.major}.{sys.version_info.minor})",
)
"""For the adapter's own tests and the differential tests between durable_rules and the numpy
compilation: they run where both evaluators exist (Python 3.11 and 3.12; CI runs 3.11)."""

EVALUATORS_HERE = ("durable", "vectorised") if durable_adapter.available() else ("vectorised",)
"""The evaluators this interpreter can run (tests that hold other paths equal on each of them)."""


def shipped_book() -> RateBook:
    """The shipped rate tables: tests that enumerate periods read them from here, so adding a
    table to rates/ needs no change in any test."""
    return RateBook.load()


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


@pytest.fixture(scope="module")
def ratebook() -> RateBook:
    """The shipped rate tables."""
    return RateBook.load()


@pytest.fixture
def rules_copy(tmp_path) -> Path:
    """A copy of rules/ that a test may edit."""
    folder = tmp_path / "rules"
    shutil.copytree(REPO / "rules", folder)
    return folder


# --- the real service, once per test module --------------------------------------------------


@pytest.fixture(scope="module")
def service(request, tmp_path_factory):
    """The real service (`alis-grant serve` on a free loopback port), started once for the test
    module that asks for it. A module starts it otherwise by setting SERVICE_ARGS (command-line
    arguments) and SERVICE_ENV (environment variables)."""
    from .service_process import ServiceProcess

    module = request.module
    name = module.__name__.rpartition(".")[2]
    svc = ServiceProcess(tmp_path_factory.mktemp(name) / "server.log", *getattr(module, "SERVICE_ARGS", ()),
                         env=getattr(module, "SERVICE_ENV", None))
    yield svc
    svc.stop()


@pytest.fixture(scope="module")
def client(request, service):
    """An HTTP client on the module's service (CLIENT_TIMEOUT seconds a request, 30 unless the
    module sets it)."""
    import httpx

    with httpx.Client(base_url=service.url, timeout=getattr(request.module, "CLIENT_TIMEOUT", 30)) as c:
        yield c


# --- a real browser, once per test module (tests/browser.py) ----------------------------------


@pytest.fixture(scope="module")
def downloads(tmp_path_factory):
    """The folder the module's browser saves downloads in."""
    return tmp_path_factory.mktemp("downloads")


@pytest.fixture(scope="module")
def browser(downloads):
    from .browser import chrome

    yield from chrome(downloads)
