"""docs/examples/ runs as a new user would run it: the example gateway's own contract tests, green."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from catalog_guard import fetcher_checks
from catalog_guard.checks import CHECKS

pytest_plugins = ["pytester"]

EXAMPLES = Path(__file__).resolve().parent.parent / "docs" / "examples"


def test_the_example_fastapi_gateway_is_green(pytester: pytest.Pytester) -> None:
    pytest.importorskip("fastapi", reason="pip install 'catalog-guard[clients]'")
    for source in (EXAMPLES / "fastapi_gateway").glob("*.py"):
        shutil.copy(source, pytester.path / source.name)
    pytester.syspathinsert()
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-q", "-W", "ignore::DeprecationWarning")
    # every GatewayContract check, every FetcherContract scenario
    result.assert_outcomes(passed=len(CHECKS) + len(fetcher_checks.SCENARIOS))
