"""The stack x scenario matrix: FetcherContract judges a fetcher whatever HTTP client it is written with.

For each stack of tests/fetcher_stacks.py (httpx sync and async, httpx2, requests, aiohttp, urllib3, and
``HfApi().list_models()`` of the installed huggingface_hub), the correct fetcher passes every scenario with its
waits recorded and none slept, and its twin that stops after page 1 fails with the same cause-naming message on
every stack. No scenario really sleeps: :func:`fetcher_stacks.real_sleeps` watches every call of the real
``time.sleep``/``asyncio.sleep`` while each one runs. The matrix is parametrised on the installed versions (the
``clients`` extra: huggingface_hub 2.x); ``tox -e hf0`` and ``tox -e hf1`` run this file on huggingface_hub 0.36.x
(requests) and 1.x (httpx), docs/fetcher-matrix.md has the three tables.
"""

from __future__ import annotations

import functools
from typing import Any

import pytest

from catalog_guard import fetcher_checks
from catalog_guard.corpus import recorded_hub_models
from fetcher_stacks import STACKS, real_sleeps

for _client in ("requests", "aiohttp", "httpx2", "huggingface_hub", "urllib3"):
    pytest.importorskip(_client, reason="pip install 'catalog-guard[clients]'")


@pytest.fixture(scope="module")
def models() -> list[dict[str, Any]]:
    return recorded_hub_models()


@pytest.mark.parametrize("scenario", fetcher_checks.SCENARIOS)
@pytest.mark.parametrize("stack", sorted(STACKS))
def test_a_correct_fetcher_passes_on_every_stack(stack: str, scenario: str, models: list[dict[str, Any]]) -> None:
    with real_sleeps() as slept_for_real:
        result = fetcher_checks.run_scenario(scenario, STACKS[stack], models)
    assert result.passed, [v.message for v in result.violations]
    assert not slept_for_real, slept_for_real
    if scenario in ("rate-limited-then-success", "server-errors"):
        # two 429s with RateLimit t=1, or 503s: each wait was asked for through a sleep captured at import (or
        # huggingface_hub's own backoff), recorded and reported instead of slept
        assert result.outcome.slept, result.report()
        assert "none slept" in result.report()


def test_the_buggy_twin_fails_with_the_same_cause_on_every_stack(models: list[dict[str, Any]]) -> None:
    """The twin stops after page 1: every stack's message is the same, names the `Link` never followed, and
    gives example missing ids."""
    messages = {}
    for stack, fetch in STACKS.items():
        buggy = functools.partial(fetch, pages=1)
        results = {s: fetcher_checks.run_scenario(s, buggy, models) for s in fetcher_checks.SCENARIOS}
        passed = {s for s, result in results.items() if result.passed}
        assert not passed, f"{stack}'s buggy twin passed {sorted(passed)}"
        messages[stack] = [v.message for v in results["recorded-hub"].violations]
    first_page = min(1000, len(models))
    reference = messages["httpx"]
    assert len(reference) == 1
    assert reference[0].startswith(
        f"got {first_page:,} of the {len(models):,} models ({len(models) - first_page:,} missing, e.g. "
    )
    assert 'rel="next"`, which was never requested (the fetcher stopped after 1 request)' in reference[0]
    for stack, found in messages.items():
        assert found == reference, f"{stack}: {found}"
