"""Opt-in checks against the real upstreams (``--catalog-guard-live`` or ``CATALOG_GUARD_LIVE=1``); never needed by CI.

They judge the live APIs with the same reference code the cassettes were recorded with, so a failure here says
the upstream changed (or the fakes drifted): re-record with ``catalog-guard record`` and review the diff summary.
"""

from __future__ import annotations

import asyncio

import httpx
import pytest

from catalog_guard import corpus
from catalog_guard.hub import fetch_hub
from catalog_guard.providers import GATEWAY_SPECS, fetch_all

pytestmark = pytest.mark.catalog_guard_live


def test_the_hub_cursor_walk_is_complete_and_covers_the_recording() -> None:
    with httpx.Client(timeout=60) as client:
        result = fetch_hub(client, strategy="cursor")
    assert result.complete, result.error
    assert result.requests <= -(-len(result.ids) // 1000) + 1
    recorded = set(corpus.replay_hub("cursor").ids)
    print(f"live Hub: {len(result.ids)} models, recorded {len(recorded)}, in both {len(recorded & set(result.ids))}")


def test_every_provider_answers_in_its_recorded_envelope() -> None:
    results = asyncio.run(fetch_all(GATEWAY_SPECS))
    failures = {name: str(result.error) for name, result in results.items() if not result.complete}
    assert not failures, failures
