"""The pytest plugin is inert in projects that do not use catalog-guard, and the contract classes run warnings-clean.

The plugin loads in every pytest session of a venv that has catalog-guard installed. The proof that it changes
nothing: an unrelated project with every name catalog-guard once claimed (a ``tests/live/`` folder, its own ``live``
marker, its own ``--live``, ``--gateway-url`` and ``--fetcher`` options, a ``live`` parametrize id), run under
``--strict-markers`` and ``-W error``, gives the same outcome for every test with the plugin loaded and with
``-p no:catalog_guard``, and the same fixture listing. The comparison is shown to catch a plugin that is not inert
(the old keyword-based skip, reproduced in a local plugin module).
"""

from __future__ import annotations

import inspect
import re
from typing import Any

import pytest

from catalog_guard import checks, contract, fetcher_checks, plugin

pytest_plugins = ["pytester"]

UNRELATED_INI = """
[pytest]
addopts = --strict-markers
markers =
    live: the project's own tests against its own staging server
filterwarnings =
    error
"""

UNRELATED_CONFTEST = """
import pytest

def pytest_addoption(parser):
    parser.addoption("--live", action="store_true", default=False, help="the project's own live switch")
    parser.addoption("--gateway-url", default="http://127.0.0.1:9", help="the project's own gateway")
    parser.addoption("--fetcher", default="ours", help="the project's own fetcher name")

def pytest_collection_modifyitems(config, items):
    if config.getoption("--live"):
        return
    for item in items:
        if item.get_closest_marker("live"):
            item.add_marker(pytest.mark.skip(reason="the project's own rule: live tests need --live"))

@pytest.fixture
def settings(request):
    return request.config.getoption("--gateway-url"), request.config.getoption("--fetcher")
"""

UNRELATED_TESTS = {
    "tests/live/test_staging.py": """
def test_in_the_live_folder():
    assert True

def test_live_in_its_name_fails_on_purpose():
    assert 1 == 2
""",
    "tests/test_marked.py": """
import pytest

@pytest.mark.live
def test_marked_live_by_the_project():
    assert True

@pytest.mark.parametrize("mode", ["live", "replay"])
def test_a_live_parametrize_id(mode, settings):
    assert settings == ("http://127.0.0.1:9", "ours")
""",
}

# What catalog-guard's plugin did before it was made inert: skip everything whose keywords say "live".
KEYWORD_SKIPPER = """
import pytest

def pytest_collection_modifyitems(config, items):
    for item in items:
        if "live" in item.keywords:
            item.add_marker(pytest.mark.skip(reason="live upstream test"))
"""

Outcomes = dict[str, list[tuple[str, str, str | None]]]


def unrelated_project(pytester: pytest.Pytester) -> None:
    pytester.makeini(UNRELATED_INI)
    pytester.makeconftest(UNRELATED_CONFTEST)
    for path, source in UNRELATED_TESTS.items():
        target = pytester.path / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(source)


def outcomes(pytester: pytest.Pytester, *args: str) -> tuple[int, Outcomes, list[str]]:
    """Exit code, every test's phases as ``(when, outcome, skip reason)``, and every warning recorded."""
    recorder = pytester.inline_run("-p", "no:cacheprovider", "-W", "error", *args)
    seen: Outcomes = {}
    for report in recorder.getreports("pytest_runtest_logreport"):
        reason = report.longrepr[2] if report.skipped and isinstance(report.longrepr, tuple) else None
        seen.setdefault(report.nodeid, []).append((report.when, report.outcome, reason))
    for report in recorder.getreports("pytest_collectreport"):
        if report.failed:
            seen.setdefault(report.nodeid, []).append(("collect", "failed", str(report.longrepr)))
    warnings = [str(call.warning_message.message) for call in recorder.getcalls("pytest_warning_recorded")]
    return int(recorder.ret), seen, warnings


def fixture_listing(pytester: pytest.Pytester, *args: str) -> list[str]:
    """``pytest --fixtures``: every fixture line, from after the header (which lists the plugins loaded) to before
    the closing line (which says how long it took)."""
    lines = pytester.runpytest_inprocess("-p", "no:cacheprovider", "--fixtures", *args).outlines
    start = next(index for index, line in enumerate(lines) if line.startswith("collected"))
    return lines[start:-1]


@pytest.mark.parametrize("project_args", [(), ("--live",)], ids=["project-default", "project-live"])
def test_an_unrelated_project_runs_the_same_with_and_without_the_plugin(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, project_args: tuple[str, ...]
) -> None:
    monkeypatch.delenv(plugin.LIVE_ENV, raising=False)
    unrelated_project(pytester)
    loaded = pytester.runpytest_inprocess("-p", "no:cacheprovider", "--help")
    assert plugin.LIVE in loaded.stdout.str(), "the plugin is not loaded: this test would prove nothing"
    assert "--live" in loaded.stdout.str()  # the project's own option, beside catalog-guard's

    with_plugin = outcomes(pytester, *project_args)
    without = outcomes(pytester, "-p", "no:catalog_guard", *project_args)

    assert with_plugin == without
    ret, seen, warnings = with_plugin
    assert ret == pytest.ExitCode.TESTS_FAILED  # the deliberate failure, nothing else
    assert warnings == []
    assert len(seen) == 5
    skipped = {nodeid for nodeid, phases in seen.items() if any(outcome == "skipped" for _, outcome, _ in phases)}
    if project_args:
        assert skipped == set()
    else:  # the project's own rule, with its own reason, is the only skip
        assert skipped == {"tests/test_marked.py::test_marked_live_by_the_project"}
        assert "the project's own rule" in str(seen["tests/test_marked.py::test_marked_live_by_the_project"])


def test_the_plugin_adds_only_its_own_prefixed_fixtures(pytester: pytest.Pytester) -> None:
    """A fixture reaches only a test that asks for it by name: prefixed, none can shadow or meet a project's own."""
    unrelated_project(pytester)

    def names(listing: list[str]) -> set[str]:
        return {line.split(" ")[0] for line in listing if " -- " in line and not line.startswith(" ")}

    with_plugin = names(fixture_listing(pytester))
    without = names(fixture_listing(pytester, "-p", "no:catalog_guard"))
    assert "settings" in without  # the project's own fixture is listed
    assert without <= with_plugin
    assert with_plugin - without == {"catalog_guard_upstreams"}


def test_the_comparison_catches_a_plugin_that_is_not_inert(pytester: pytest.Pytester) -> None:
    """The failing case of the inertness proof: the old keyword-based skip changes the unrelated project."""
    unrelated_project(pytester)
    pytester.makepyfile(keyword_skipper=KEYWORD_SKIPPER)
    pytester.syspathinsert()
    with_skipper = outcomes(pytester, "-p", "keyword_skipper", "--live")
    without = outcomes(pytester, "--live")
    assert with_skipper != without
    assert with_skipper[0] == pytest.ExitCode.OK  # the deliberate failure was skipped away: CI would stay green
    assert without[0] == pytest.ExitCode.TESTS_FAILED


def test_only_catalog_guards_own_marker_is_skipped_and_opting_in_runs_it(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(plugin.LIVE_ENV, raising=False)
    pytester.makeini("[pytest]\naddopts = --strict-markers\n")
    pytester.makepyfile(
        f"""
import pytest

@pytest.mark.{plugin.LIVE_MARKER}
def test_against_the_real_hub():
    assert True

def test_live_replay():
    assert True
"""
    )
    default = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-rs", "-W", "error")
    default.assert_outcomes(passed=1, skipped=1)
    default.stdout.fnmatch_lines([f"*catalog-guard live test: opt in with {plugin.LIVE} or {plugin.LIVE_ENV}=1*"])
    pytester.runpytest_inprocess("-p", "no:cacheprovider", plugin.LIVE).assert_outcomes(passed=2)
    monkeypatch.setenv(plugin.LIVE_ENV, "1")
    pytester.runpytest_inprocess("-p", "no:cacheprovider").assert_outcomes(passed=2)


def registered_options() -> list[tuple[tuple[str, ...], dict[str, Any]]]:
    """Every ``(names, attributes)`` the plugin's ``pytest_addoption`` registers."""

    class Recorder:
        def __init__(self) -> None:
            self.options: list[tuple[tuple[str, ...], dict[str, Any]]] = []

        def getgroup(self, *_args: Any, **_kwargs: Any) -> Recorder:
            return self

        def addoption(self, *names: str, **attrs: Any) -> None:
            self.options.append((names, attrs))

        addini = addoption

    recorder = Recorder()
    plugin.pytest_addoption(recorder)  # type: ignore[arg-type]
    return recorder.options


def test_every_option_carries_the_prefix() -> None:
    """A new option added without the prefix fails here, before it can collide with a project's own."""
    options = registered_options()
    assert options
    for names, attrs in options:
        assert all(name.startswith(plugin.PREFIX) for name in names), names
        assert attrs.get("dest") is None or attrs["dest"].startswith("catalog_guard_"), attrs


def test_the_contract_classes_read_only_options_the_plugin_registers() -> None:
    used = set(re.findall(r'option\("(--[a-z-]+)"', inspect.getsource(contract)))
    assert used
    assert used <= {name for names, _ in registered_options() for name in names}


CONTRACT_SUBCLASSES = """
import httpx

from catalog_guard.contract import FetcherContract, GatewayContract
from catalog_guard.fakes.gateway import fake_gateway
from catalog_guard.gateways import GATEWAY_URL
from catalog_guard.hub import fetch_hub
from catalog_guard.target import GatewayTarget


def reference_fetcher():
    with httpx.Client() as client:
        return fetch_hub(client, token="", sleep=lambda _seconds: None)


class TestOurFetcher(FetcherContract):
    fetcher = staticmethod(reference_fetcher)


class TestOurGateway(GatewayContract):
    target = GatewayTarget(base_url=GATEWAY_URL, handler=fake_gateway())
"""


def test_contract_subclasses_run_clean_where_every_warning_is_an_error(pytester: pytest.Pytester) -> None:
    """A team's project with ``filterwarnings = ["error"]``: every contract test passes, none errors on a
    deprecation (the class-scoped fixtures were once instance methods: PytestRemovedIn10Warning)."""
    pytester.makepyprojecttoml('[tool.pytest.ini_options]\nfilterwarnings = ["error"]\naddopts = "--strict-markers"\n')
    pytester.makepyfile(test_our_contract=CONTRACT_SUBCLASSES)
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-W", "error")
    result.assert_outcomes(passed=len(fetcher_checks.SCENARIOS) + len(checks.CHECKS))
    assert "warnings summary" not in result.stdout.str()
