"""The command line: the audit's three formats and exit codes, the gallery, and usage errors."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from catalog_guard import audit, corpus
from catalog_guard.cli import main
from catalog_guard.truth import recorded_context


@pytest.fixture(scope="module")
def recorded() -> audit.Audit:
    return audit.recorded_audit()


def test_audit_of_the_recorded_cassettes_passes_and_says_it_is_synthetic(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit"]) == 0
    out = capsys.readouterr().out
    assert "catalog-guard audit: PASS" in out
    assert "synthetic cassettes" in out
    for section in (
        "Gateway walks",
        "Hub coverage by strategy",
        "Cross-gateway merge",
        "Contract checks",
        "Historical deployments",
    ):
        assert section in out


def test_audit_json_carries_the_figures(capsys: pytest.CaptureFixture[str], recorded: audit.Audit) -> None:
    assert main(["audit", "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["passed"] is True
    assert {c["name"] for c in report["checks"]} == {r.name for r in recorded.checks}
    coverage = {row["strategy"]: row for row in report["coverage"]}
    truth = len(corpus.recorded_truth()["huggingface"])
    assert coverage["cursor"]["covered"] == truth
    assert coverage["sort-union"]["covered"] < truth
    assert report["seed_merge"]["total_fetched"] > report["seed_merge"]["total_unique"]
    assert all(state["failed"] for state in report["history"]), "every historical deployment must fail the gate"


def test_audit_markdown_goes_to_the_job_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    summary = tmp_path / "summary.md"
    assert main(["audit", "--format", "markdown", "--output", str(summary)]) == 0
    text = summary.read_text()
    assert text.startswith("## catalog-guard audit: PASS")
    assert "| check | result | detail |" in text
    assert text.rstrip().endswith("exit code 0")
    assert text.strip() == capsys.readouterr().out.strip()


def test_audit_exit_code_is_1_on_a_violation(recorded: audit.Audit) -> None:
    """The same renderer and exit code over a failing observation: the seed-000 deployment."""
    from catalog_guard import checks, report

    past = corpus.replay_observation("2025-10-17-seed-000")
    failing = audit.Audit(
        "recorded",
        "history",
        {},
        audit.walk_rows(past),
        checks.run_checks(past, recorded_context()),
        audit.merge_walks(past).stats.to_dict(),
    )
    assert failing.exit_code == 1
    assert "FAIL" in report.render(failing, "table")
    assert json.loads(report.render(failing, "json"))["exit_code"] == 1


def test_gallery_subcommand(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["gallery", "--mode", "correct", "--mode", "G4"]) == 0
    assert "1 of 1 regressions caught" in capsys.readouterr().out


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as raised:
        main(["audit", "--format", "yaml"])
    assert raised.value.code == 2
    assert main(["serve", "--regression", "G99"]) == 2
    assert "unknown regression mode" in capsys.readouterr().err
    assert main(["audit", "--gateway", "groq"]) == 2  # --gateway without --gateway-url
    assert "--gateway-url" in capsys.readouterr().err
    assert main(["audit", "--gateway-url", "http://127.0.0.1:9", "--gateway", "nosuch"]) == 2
    assert "unknown gateway" in capsys.readouterr().err


def test_record_is_wired(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as raised:
        main(["record", "--help"])
    assert raised.value.code == 0
    assert "--only" in capsys.readouterr().out


def test_a_recorded_audit_forgives_no_skew_and_a_live_one_does() -> None:
    """The recorded gateway and its truth were recorded in one run: one model short is a finding there, while a live
    gateway's cache may be a few ids behind upstreams fetched now. Explicit options win either way."""
    from catalog_guard import checks
    from catalog_guard.cli import _config, build_parser
    from catalog_guard.skew import EXACT, SkewAllowance
    from test_check_boundaries import GROQ, drop
    from test_checks import observed, tampered, universe_context

    def config(*argv: str, live: bool) -> checks.ContractConfig:
        return _config(build_parser().parse_args(["audit", *argv]), live=live)

    def failed(seen: Any, config: checks.ContractConfig) -> set[str]:
        context = dataclasses.replace(universe_context(), config=config)
        return {r.name for r in checks.run_checks(seen, context) if not r.passed}

    one_short = observed(tampered(drop("groq", 1)), GROQ)
    assert config(live=False).skew == EXACT
    assert config(live=True).skew == SkewAllowance()
    assert "coverage" in failed(one_short, config(live=False))
    assert "coverage" not in failed(one_short, config(live=True))
    assert config("--skew-max-ids", "3", live=False).skew == SkewAllowance(3, 0.0)
    assert config("--skew-max-fraction", "0.5", live=True).skew == SkewAllowance(10, 0.5)


def _not_here(request: httpx.Request) -> httpx.Response:
    return httpx.Response(404, json={"detail": "Not Found"})  # FastAPI's answer to a path given twice


def _welcome_page(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, text="<html><h1>Welcome to nginx!</h1></html>", headers={"content-type": "text/html"})


@pytest.mark.parametrize("handler", [_not_here, _welcome_page], ids=["404-everywhere", "html-welcome-page"])
def test_a_base_url_that_serves_no_catalog_is_not_judged_not_a_violation(handler: Any) -> None:
    """Exit 1 means the contract was broken; a URL pointing at something that is no catalog at all (a doubled
    path, a web server's welcome page) breaks nothing that can be judged: exit 2, naming the first answer."""
    from catalog_guard.observe import ObservePlan
    from catalog_guard.target import GatewayTarget

    plan = ObservePlan(gateways=("huggingface", "groq"), include_all=False, include_unique=False)
    result = audit.live_audit(GatewayTarget(handler=handler), plan)
    assert result.exit_code == 2
    assert result.incomplete is not None
    assert result.incomplete.startswith("no /v1/models catalog at ")
    assert "gateway=huggingface" in result.incomplete
    assert_no_pass_without_evidence(result)


def assert_no_pass_without_evidence(result: audit.Audit) -> None:
    """No catalog page came back: the report shows no check as passed (the failures stay failures)."""
    from catalog_guard import report

    assert result.observed_nothing
    assert any(r.passed for r in result.checks), "the case must have checks that passed vacuously"
    table = report.render(result, "table")
    lines = table.split("Contract checks")[1].split("\n\n")[0].splitlines()[3:]
    rows = dict(re.split(r"\s{2,}", line)[:2] for line in lines)
    assert "pass" not in rows.values(), table
    assert {name for name, verdict in rows.items() if verdict == "not judged"} == {
        r.name for r in result.checks if r.passed
    }
    assert "checks passed" not in table
    document = report.to_json(result)
    assert document["observed_nothing"] is True
    assert [c["judged"] for c in document["checks"]] == [not c["passed"] for c in document["checks"]]


def test_a_gateway_whose_listings_are_empty_or_down_is_still_judged() -> None:
    """The other side of that line: an empty but well-formed listing, or an outage, is the gateway's answer."""
    from catalog_guard.observe import ObservePlan
    from catalog_guard.target import GatewayTarget

    def empty(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"data": [], "total": 0, "returned": 0, "offset": 0, "has_more": False})

    def down(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503, json={"error": "upstreams unavailable"})

    plan = ObservePlan(gateways=("huggingface", "groq"), include_all=False, include_unique=False)
    for handler in (empty, down):
        result = audit.live_audit(GatewayTarget(handler=handler), plan)
        assert result.exit_code == 1, (handler.__name__, result.incomplete)
        assert result.observed_nothing is (handler is down), handler.__name__
    assert_no_pass_without_evidence(result)  # the outage: its failures judged, its passes not


def test_a_run_with_no_catalog_page_never_exits_0() -> None:
    """Fail closed: should every check pass on an observation without a single catalog page (a check set that
    fails nothing on an empty observation), the verdict is still NOT JUDGED, exit 2."""
    from catalog_guard.observe import ObservePlan
    from catalog_guard.target import GatewayTarget

    plan = ObservePlan(gateways=("groq",), include_all=False, include_unique=False)
    result = audit.live_audit(GatewayTarget(handler=_not_here), plan)
    vacuous = dataclasses.replace(result, checks=[r for r in result.checks if r.passed], incomplete=None)
    assert vacuous.observed_nothing
    assert vacuous.passed
    assert (vacuous.verdict, vacuous.exit_code) == ("NOT JUDGED", 2)
    with_a_page = dataclasses.replace(vacuous, walks=[dataclasses.replace(vacuous.walks[0], pages=1)])
    assert (with_a_page.verdict, with_a_page.exit_code) == ("PASS", 0)
