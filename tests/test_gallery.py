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


# What the message of each regression's intended check must say: its cause, with the evidence (the unserved
# gateway, the page that repeats, how the walk went, the probe that got a 200, the example ids).
CAUSES: dict[str, tuple[str, ...]] = {
    "G1": ("not served: huggingface (404)",),
    "G2": ("repeats", "answered 200, not a 4xx"),
    "G3": ("its walk: offset 0 gave", "); missing "),
    "G4": ("its walk: offset 0 gave", "); missing "),
    "G5": ("its walk: offset 0 gave", "); missing "),
    "G6": ("(limit ignored)",),
    "G7": ("while its note says", "e.g. "),
    "G8": ("negative-offset: ", "answered 200, not a 4xx"),
    "G9": ("unknown-gateway: ", "answered 200, not a 4xx"),
    "G10": ("the flag is ignored",),
    "G11": ("ETag changed between identical requests",),
    "G12": ("leaves out models of", "e.g. "),
    "G13": ("answered 404, expected 401",),
    **{f"F{n}": ("its walk: offset 0 gave",) for n in (2, 3, 4, 5, 7, 8, 10)},
    "F6": ("not served: huggingface (5", "an outage of that gateway, not a choice"),
    "F1": ("repeats",),
    "F9": ("repeats",),
    **{f"U{n}": ("models listed under more than one id, e.g. ",) for n in (1, 2, 3)},
    "U4": ("its upstream does not list",),
    "U5": ("instead of an empty page",),
    "U6": ("(the documented maximum) answered 400",),
    "U7": ("last-row: ", "has_more=True"),
    "U8": ("attributed to cerebras, listed by groq",),
    "U9": ("name the wrong providers",),
    "U10": ("over the 10 s budget",),
    "U11": ("extra rows", "duplication factor"),
}


def contract_run(pytester: pytest.Pytester, mode: str) -> tuple[dict[str, str], set[str]]:
    """``({failed check: its failure text}, passed checks)`` of a GatewayContract session against ``mode``."""
    pytester.makepyfile(test_mode=CONTRACT_MODULE.format(mode=mode))
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-p", "no:randomly", "-q")
    reports = [r for r in result.reprec.getreports("pytest_runtest_logreport") if r.when == "call"]
    name = lambda report: report.nodeid.rsplit("::test_", 1)[-1].replace("_", "-")  # noqa: E731
    return {name(r): r.longreprtext for r in reports if r.failed}, {name(r) for r in reports if r.passed}


@pytest.mark.parametrize("mode", [m for m in gallery.mode_names() if m != gallery.CORRECT])
def test_every_regression_is_caught_by_its_intended_check_naming_its_cause(
    pytester: pytest.Pytester, mode: str
) -> None:
    failed, _ = contract_run(pytester, mode)
    expected = set(gallery.MODES[mode].expected)
    assert expected, f"mode {mode} names no check that must catch it"
    assert expected <= set(failed), f"{mode} should fail {sorted(expected)}, failed {sorted(failed)}"
    assert mode in CAUSES, f"add to CAUSES what {mode}'s message must say about its cause"
    said = "\n".join(failed[check] for check in expected)
    for phrase in CAUSES[mode]:
        assert phrase in said, f"{mode}: {phrase!r} not in\n{said}"
    spared = set(gallery.MODES[mode].spared)
    assert not spared & set(failed), f"{mode} must not fail {sorted(spared & set(failed))}: its cause is elsewhere"


def test_the_reference_gateway_passes_every_contract_test(pytester: pytest.Pytester) -> None:
    from catalog_guard.checks import CHECKS

    failed, passed = contract_run(pytester, gallery.CORRECT)
    assert failed == {}
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
