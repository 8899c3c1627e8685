"""Latency as a figure of the gate: nearest-rank percentiles, per-gateway figures in every report format, the
budget as a finding, and the command's options. Slowness is simulated (U10 spends seconds on a SimulatedClock
that the observer reads), so nothing here sleeps and no figure depends on the machine's load."""

from __future__ import annotations

import json

import pytest

from catalog_guard import audit, gallery, latency, report
from catalog_guard.checks import ContractConfig
from catalog_guard.cli import main
from catalog_guard.fakes.gateway import U10_SECONDS
from catalog_guard.observe import ObservePlan


def test_percentiles_are_nearest_rank_never_interpolated() -> None:
    values = [float(n) for n in range(1, 15)]  # 14 pages
    assert latency.percentile(values, 0.95) == 14.0  # ceil(0.95 * 14) = 14: a page that was served
    assert latency.percentile(values, 0.5) == 7.0
    assert latency.percentile([3.0], 0.95) == 3.0
    assert latency.figures([]) is None
    with pytest.raises(ValueError, match="no values"):
        latency.percentile([], 0.5)


@pytest.fixture(scope="module")
def slow_audit() -> audit.Audit:
    """A live audit of U10 (every Hugging Face page takes 12 simulated seconds), Hugging Face and Groq only."""
    plan = ObservePlan(gateways=("huggingface", "groq"), include_all=False)
    return audit.live_audit(gallery.MODES["U10"].target(), plan)


def test_latency_figures_per_gateway_come_from_the_observation(slow_audit: audit.Audit) -> None:
    figures = slow_audit.latency
    assert figures["huggingface"].p95 == figures["huggingface"].max == U10_SECONDS
    assert figures["hug"].p50 == U10_SECONDS  # the alias is the same slow catalog
    assert figures["groq"].max == 0.0  # nothing spent any simulated time on Groq
    pages = len(gallery.MODES["U10"].build().catalog("huggingface")) // 100 + 1
    assert figures["huggingface"].requests == pages + 1  # the walk's pages and the limit=1000 request


def test_latency_appears_in_table_json_and_markdown(slow_audit: audit.Audit) -> None:
    shown = f"{U10_SECONDS:.3f}"
    table, markdown = report.render(slow_audit, "table"), report.render(slow_audit, "markdown")
    for text in (table, markdown):
        assert "Latency per gateway (seconds to the last byte; budget p95 <= 10 s)" in text
        assert shown in text
    assert "| huggingface | 15 |" in markdown
    data = json.loads(report.render(slow_audit, "json"))
    assert data["latency"]["measured"] is True
    assert data["latency"]["budget_p95_seconds"] == latency.DEFAULT_BUDGET
    assert data["latency"]["gateways"]["huggingface"]["p95"] == U10_SECONDS


def test_a_slow_gateway_is_a_finding_and_the_report_leads_with_it(slow_audit: audit.Audit) -> None:
    assert slow_audit.exit_code == 1
    assert [r.name for r in slow_audit.root_causes] == ["latency"]
    table = report.render(slow_audit, "table")
    assert table.index("Root cause") < table.index("Gateway walks")
    assert "latency: huggingface: p95 12.00 s over the 10 s budget" in table


def test_latency_budget_is_generous_by_default_and_can_be_turned_off() -> None:
    assert ContractConfig().latency_budget == latency.DEFAULT_BUDGET
    plan = ObservePlan(gateways=("groq",), include_all=False)
    relaxed = audit.live_audit(gallery.MODES["U10"].target(), plan, config=ContractConfig(latency_budget=None))
    assert relaxed.latency_budget is None
    assert "no budget" in report.render(relaxed, "table")


def test_recorded_audit_says_latency_is_not_measured_on_a_replay(capsys: pytest.CaptureFixture[str]) -> None:
    options = ["--latency-budget", "0", "--curated", "openrouter=openrouter/*"]
    assert main(["audit", "--format", "markdown", *options]) == 0
    assert "not measured: the observation is replayed from cassettes" in capsys.readouterr().out
    assert main(["audit", "--curated", "no-equals-sign"]) == 2
    assert "--curated wants GATEWAY=PATTERN" in capsys.readouterr().err
