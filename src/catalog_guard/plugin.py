"""The pytest plugin (entry point ``pytest11``): options and fixtures for running catalog-guard's contracts."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest


def _base_url(value: str) -> tuple[str, str]:
    """``NAME=URL``, parsed as ``catalog-guard record --base-url`` parses it. The recorder is imported only when
    the option is given: the plugin loads in every pytest session of the venv and must stay light."""
    from catalog_guard.recorder import parse_base_url

    return parse_base_url(value)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("catalog-guard")
    group.addoption(
        "--gateway-url",
        default=None,
        help="catalog-guard: base URL of the gateway the GatewayContract tests observe.",
    )
    group.addoption(
        "--gateway-token",
        default=None,
        help="catalog-guard: the gateway's API key (prefer env CATALOG_GUARD_GATEWAY_TOKEN).",
    )
    group.addoption(
        "--fetcher",
        default=None,
        metavar="MODULE:FUNCTION",
        help="catalog-guard: the Hugging Face catalog fetcher the FetcherContract tests run.",
    )
    group.addoption(
        "--catalog-guard-truth",
        default=None,
        metavar="live|recorded|DIR",
        help="catalog-guard: the upstream truth GatewayContract judges against (default: live for a URL).",
    )
    group.addoption(
        "--catalog-guard-baseline",
        default=None,
        metavar="FILE",
        help="catalog-guard: the count-floor baseline, a previous audit's JSON report.",
    )
    group.addoption(
        "--catalog-guard-base-url",
        action="append",
        default=None,
        type=_base_url,
        metavar="NAME=URL",
        help="catalog-guard: fetch upstream NAME's live truth from URL (repeatable).",
    )
    group.addoption(
        "--live",
        action="store_true",
        default=False,
        help="catalog-guard: also run tests marked 'live' (they talk to real upstream APIs).",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Live tests are opt-in: ``--live`` or ``CATALOG_GUARD_LIVE=1``; CI never needs them."""
    import os

    if config.getoption("--live") or os.environ.get("CATALOG_GUARD_LIVE") == "1":
        return
    skip = pytest.mark.skip(reason="live upstream test: opt in with --live or CATALOG_GUARD_LIVE=1")
    for item in items:
        if "live" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def catalog_guard_upstreams() -> Iterator[Any]:
    """For one test, the recorded Hub and providers answer the code under test's calls to their hosts, whatever
    HTTP client it uses; yields the ``FakeInternet`` holding every exchange. The same as
    ``with catalog_guard.contract.serve_upstreams():`` (and ``GatewayContract.upstreams = "recorded"``)."""
    from catalog_guard.fakes.upstreams import serve_upstreams

    with serve_upstreams() as internet:
        yield internet
