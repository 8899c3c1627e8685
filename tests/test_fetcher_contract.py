"""Meta-tests for FetcherContract: the reference fetcher passes every scenario; each historical buggy fetcher
fails the scenario that describes its bug.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from catalog_guard import fetcher_checks, regressions
from catalog_guard.corpus import recorded_hub_models
from catalog_guard.hub import fetch_hub

pytest_plugins = ["pytester"]


def reference_fetcher() -> Any:
    """What a backend should ship: the cursor walk (module-level clients are fine; FakeInternet answers)."""
    with httpx.Client() as client:
        return fetch_hub(client, token="", sleep=lambda _seconds: None)


BUGGY: dict[str, tuple[Callable[[], Any], set[str]]] = {
    "F1": (regressions.f1_offset_paging_without_dedup, {"recorded-hub", "offset-ignored"}),
    "F2": (regressions.f2_dedup_and_stop_after_duplicate_batches, {"recorded-hub", "offset-ignored"}),
    "F3": (regressions.f3_stop_on_short_batch, {"recorded-hub", "offset-ignored"}),
    "F4": (regressions.f4_one_request, {"recorded-hub", "server-errors"}),
    "F5": (regressions.f5_sort_union, {"recorded-hub", "drifting-sort-keys"}),
    "F6": (regressions.f6_invalid_sort_swallowed, {"recorded-hub"}),
    "F7": (regressions.f7_error_becomes_fallback, {"recorded-hub", "server-errors"}),
    "F8": (functools.partial(regressions.f8_follows_link_but_retries_only_429, lambda _s: None), {"server-errors"}),
}


@pytest.fixture(scope="module")
def models() -> list[dict[str, Any]]:
    return recorded_hub_models()


@pytest.mark.parametrize("scenario", fetcher_checks.SCENARIOS)
def test_reference_fetcher_passes(scenario: str, models: list[dict[str, Any]]) -> None:
    result = fetcher_checks.run_scenario(scenario, reference_fetcher, models)
    assert result.passed, [v.message for v in result.violations]


@pytest.mark.parametrize("code", sorted(BUGGY))
def test_buggy_fetchers_fail_their_scenarios(code: str, models: list[dict[str, Any]]) -> None:
    fetcher, expected = BUGGY[code]
    failed = {s for s in fetcher_checks.SCENARIOS if not fetcher_checks.run_scenario(s, fetcher, models).passed}
    assert expected <= failed, f"{code} failed {sorted(failed)}, expected at least {sorted(expected)}"


def test_fetcher_contract_class_via_pytester(pytester: pytest.Pytester) -> None:
    """The class a team subclasses, with its fetcher given on the command line
    (`--catalog-guard-fetcher module:function`)."""
    pytester.makepyfile(
        shipped="""
import httpx
from catalog_guard.hub import fetch_hub

def good():
    with httpx.Client() as client:
        return fetch_hub(client, token="", sleep=lambda s: None)
""",
        test_contract="""
from catalog_guard.contract import FetcherContract

class TestShipped(FetcherContract):
    pass
""",
    )
    pytester.syspathinsert()
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-q", "--catalog-guard-fetcher", "shipped:good")
    result.assert_outcomes(passed=len(fetcher_checks.SCENARIOS))


def test_fetcher_contract_without_a_fetcher_fails_clearly(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        "from catalog_guard.contract import FetcherContract\n\nclass TestX(FetcherContract):\n    pass\n"
    )
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-q")
    result.assert_outcomes(errors=len(fetcher_checks.SCENARIOS))
    result.stdout.fnmatch_lines(["*FetcherContract needs a fetcher*"])


def test_a_fetcher_that_bypasses_httpx_is_named_not_run_against_the_network(models: list[dict[str, Any]]) -> None:
    """A ``urllib``/``requests`` fetcher never sees the fakes: the scenario says so instead of reaching the Hub."""
    import json
    import urllib.request

    def urllib_fetcher() -> list[dict[str, Any]]:
        with urllib.request.urlopen("https://huggingface.co/api/models?limit=1000") as response:
            return list(json.load(response))

    result = fetcher_checks.run_scenario("recorded-hub", urllib_fetcher, models)
    assert not result.passed
    assert "instead of going through httpx" in result.violations[0].message
