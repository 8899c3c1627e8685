"""The pytest plugin (entry point ``pytest11``): the options and the live-test opt-in of catalog-guard's contracts.

Installing catalog-guard loads this module into *every* pytest session of that venv, including projects that never
heard of it, so it is inert by construction:

- every option is spelled ``--catalog-guard-…`` (its ``dest`` ``catalog_guard_…``), so it never collides with a
  project's own ``--live`` or ``--gateway-url`` (argparse refuses a second option of the same name or dest);
- the only marker it registers is ``catalog_guard_live``, and its one collection hook touches only tests that carry
  that marker: a project's own ``live`` marker, ``tests/live/`` folder or ``live`` parametrize id is none of its
  business;
- its one fixture is prefixed too (``catalog_guard_upstreams``) and reaches only a test that asks for it by
  name; it imports nothing of catalog-guard's until an option or that fixture needs it.

``-p no:catalog_guard`` leaves it out of a session altogether. ``tests/test_plugin.py`` proves the above by running
an unrelated project with and without it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

PREFIX = "--catalog-guard-"
GATEWAY_URL = f"{PREFIX}gateway-url"
GATEWAY_TOKEN = f"{PREFIX}gateway-token"
FETCHER = f"{PREFIX}fetcher"
TRUTH = f"{PREFIX}truth"
BASELINE = f"{PREFIX}baseline"
BASE_URL = f"{PREFIX}base-url"
REQUIRE_ALL_TRUTH = f"{PREFIX}require-all-truth"
LIVE = f"{PREFIX}live"
LIVE_ENV = "CATALOG_GUARD_LIVE"
LIVE_MARKER = "catalog_guard_live"


def _base_url(value: str) -> tuple[str, str]:
    """``NAME=URL``, parsed as ``catalog-guard record --base-url`` parses it. The command line is imported only
    when the option is given: the plugin loads in every pytest session of the venv and must stay light."""
    from catalog_guard.cli import parse_base_url

    return parse_base_url(value)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("catalog-guard")
    group.addoption(
        GATEWAY_URL,
        default=None,
        help="catalog-guard: base URL of the gateway the GatewayContract tests observe.",
    )
    group.addoption(
        GATEWAY_TOKEN,
        default=None,
        help="catalog-guard: the gateway's API key (prefer env CATALOG_GUARD_GATEWAY_TOKEN).",
    )
    group.addoption(
        FETCHER,
        default=None,
        metavar="MODULE:FUNCTION",
        help="catalog-guard: the Hugging Face catalog fetcher the FetcherContract tests run.",
    )
    group.addoption(
        TRUTH,
        default=None,
        metavar="live|recorded|DIR",
        help="catalog-guard: the upstream truth GatewayContract judges against (default: live for a URL).",
    )
    group.addoption(
        BASELINE,
        default=None,
        metavar="FILE",
        help="catalog-guard: the count-floor baseline, a previous audit's JSON report.",
    )
    group.addoption(
        BASE_URL,
        action="append",
        default=None,
        type=_base_url,
        metavar="NAME=URL",
        help="catalog-guard: fetch upstream NAME's live truth from URL (repeatable).",
    )
    group.addoption(
        REQUIRE_ALL_TRUTH,
        action="store_true",
        default=False,
        help="catalog-guard: an upstream whose truth could not be fetched fails the checks that need it "
        "(default: they are skipped with the reason, never passed).",
    )
    group.addoption(
        LIVE,
        action="store_true",
        default=False,
        help=f"catalog-guard: also run tests marked {LIVE_MARKER} (they talk to real upstream APIs; "
        f"or set {LIVE_ENV}=1).",
    )


def pytest_configure(config: pytest.Config) -> None:
    # Registered here, not in a project's ini, so that a team marking its own live contract subclass passes
    # --strict-markers; the name is prefixed like the options so that it cannot meet a project's own marker.
    config.addinivalue_line(
        "markers",
        f"{LIVE_MARKER}: catalog-guard test against real upstream APIs; skipped unless {LIVE} or {LIVE_ENV}=1",
    )


def live_enabled(config: pytest.Config) -> bool:
    """Whether this session opted in to catalog-guard's live tests (``--catalog-guard-live`` or
    ``CATALOG_GUARD_LIVE=1``); the one place that decides it, for the skip below and the suite's network guard."""
    return bool(config.getoption(LIVE, default=False)) or os.environ.get(LIVE_ENV) == "1"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked ``catalog_guard_live`` are opt-in; CI never needs them. Nothing else is touched."""
    if live_enabled(config):
        return
    skip = pytest.mark.skip(reason=f"catalog-guard live test: opt in with {LIVE} or {LIVE_ENV}=1")
    for item in items:
        if item.get_closest_marker(LIVE_MARKER) is not None:
            item.add_marker(skip)


@pytest.fixture
def catalog_guard_upstreams() -> Iterator[Any]:
    """For one test, the recorded Hub and providers answer the code under test's calls to their hosts, whatever
    HTTP client it uses; yields the ``FakeInternet`` holding every exchange. The same as
    ``with catalog_guard.contract.serve_upstreams():`` (and ``GatewayContract.upstreams = "recorded"``)."""
    from catalog_guard.fakes.upstreams import serve_upstreams

    with serve_upstreams() as internet:
        yield internet
