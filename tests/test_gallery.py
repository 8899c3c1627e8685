"""Meta-tests: the contract classes, run as a team would run them (an in-process pytest session per mode),
catch every regression of the gallery with the intended check, and raise no false alarm on the reference.

Each mode gets its own ``pytester`` run of a ``GatewayContract`` subclass pointed at that mode's gateway; the
test then reads which contract tests failed. ``catalog-guard gallery`` prints the same verdicts as a table
(docs/regression-gallery.md).
"""

from __future__ import annotations

import pytest

from catalog_guard import gallery

pytest_plugins = ["pytester"]

CONTRACT_MODULE = """
from catalog_guard import gallery
from catalog_guard.contract import GatewayContract


class TestMode(GatewayContract):
    target = gallery.MODES[{mode!r}].target()
"""


def contract_run(pytester: pytest.Pytester, mode: str) -> tuple[set[str], set[str]]:
    """``(failed checks, passed checks)`` of a GatewayContract session against ``mode``."""
    pytester.makepyfile(test_mode=CONTRACT_MODULE.format(mode=mode))
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-p", "no:randomly", "-q")
    reports = [r for r in result.reprec.getreports("pytest_runtest_logreport") if r.when == "call"]
    name = lambda report: report.nodeid.rsplit("::test_", 1)[-1].replace("_", "-")  # noqa: E731
    return {name(r) for r in reports if r.failed}, {name(r) for r in reports if r.passed}


@pytest.mark.parametrize("mode", [m for m in gallery.mode_names() if m != gallery.CORRECT])
def test_every_regression_is_caught_by_its_intended_check(pytester: pytest.Pytester, mode: str) -> None:
    failed, _ = contract_run(pytester, mode)
    expected = set(gallery.MODES[mode].expected)
    assert expected, f"mode {mode} names no check that must catch it"
    assert expected <= failed, f"{mode} should fail {sorted(expected)}, failed {sorted(failed)}"
    spared = set(gallery.MODES[mode].spared)
    assert not spared & failed, f"{mode} must not fail {sorted(spared & failed)}: its cause is elsewhere"


def test_the_reference_gateway_passes_every_contract_test(pytester: pytest.Pytester) -> None:
    from catalog_guard.checks import CHECKS

    failed, passed = contract_run(pytester, gallery.CORRECT)
    assert failed == set()
    assert passed == set(CHECKS)


def test_every_check_of_the_contract_is_exercised_by_some_mode_or_unit_test() -> None:
    """Each check fails somewhere: in a gallery mode, or in a ``test_<check>_...`` of tests/test_checks.py."""
    import ast
    from pathlib import Path

    from catalog_guard.checks import CHECKS

    by_gallery = {check for mode in gallery.MODES.values() for check in mode.expected}
    tree = ast.parse(Path(__file__).with_name("test_checks.py").read_text())
    tests = [node.name for node in tree.body if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")]
    by_unit_tests = {name for name in CHECKS if any(t.startswith(f"test_{name.replace('-', '_')}_") for t in tests)}
    assert set(CHECKS) <= by_gallery | by_unit_tests, set(CHECKS) - by_gallery - by_unit_tests


def test_gallery_command_reports_every_mode_caught() -> None:
    from catalog_guard import gallery_run

    rows = gallery_run.run_gallery(["correct", "G3", "F5"])
    assert [row.ok for row in rows] == [True, True, True]
    table = gallery_run.render(rows, "markdown")
    assert "| G3 |" in table
    assert "2 of 2 regressions caught" in table
