"""Render an :class:`~catalog_guard.audit.Audit` as a terminal table, JSON, or Markdown.

One renderer per format over the same sections, so a CI job summary (Markdown), a machine (JSON) and a person at
a terminal (table) read the same figures. The layout follows the seed reports' tables: per gateway fetched /
unique / duplicates, then the Hub coverage, the merge, and every check with its reason.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from typing import Any

from catalog_guard.audit import Audit
from catalog_guard.truth import NO_BASELINE

Table = tuple[list[str], list[list[str]]]


def _n(value: int) -> str:
    return f"{value:,}"


def _walk_table(audit: Audit) -> Table:
    rows = [[w.gateway, _n(w.fetched), _n(w.unique), _n(w.duplicates), _n(w.pages), w.ended] for w in audit.walks]
    return ["gateway", "fetched", "unique", "duplicates", "pages", "walk ended"], rows


def _coverage_table(audit: Audit) -> Table:
    rows = [
        [
            c.strategy,
            _n(c.models),
            f"{_n(c.covered)} of {_n(c.upstream)}",
            f"{c.ratio:.1%}",
            _n(c.requests),
            "yes" if c.complete else f"no ({c.note})" if c.note else "no",
        ]
        for c in audit.coverage
    ]
    return ["strategy", "models", "covered", "coverage", "requests", "complete"], rows


_NOTHING_OBSERVED = "not judged"
_NOTHING_OBSERVED_DETAIL = "no catalog page came back, so there was nothing to check"


def _result(passed: bool, not_judged: Sequence[Any]) -> str:
    if not passed:
        return "FAIL"
    return f"pass, {len(not_judged)} not judged" if not_judged else "pass"


def _check_table(audit: Audit) -> Table:
    """A check's row; when no catalog page came back, a pass had nothing behind it and says so instead."""
    rows = [
        [r.name, _NOTHING_OBSERVED, _NOTHING_OBSERVED_DETAIL]
        if r.passed and audit.observed_nothing
        else [r.name, _result(r.passed, r.not_judged), r.summary() if not r.passed or r.not_judged else r.title]
        for r in audit.checks
    ]
    return ["check", "result", "detail"], rows


def _seconds(value: float) -> str:
    return f"{value:.3f}"


def _latency_table(audit: Audit) -> Table:
    rows = [
        [name, _n(f.requests), _seconds(f.p50), _seconds(f.p95), _seconds(f.max)] for name, f in audit.latency.items()
    ]
    return ["gateway", "requests", "p50 s", "p95 s", "max s"], rows


def _latency_title(audit: Audit) -> str:
    budget = f"budget p95 <= {audit.latency_budget:g} s" if audit.latency_budget else "no budget"
    return f"Latency per gateway (seconds to the last byte; {budget})"


def _latency_section(audit: Audit) -> Table | list[str]:
    if audit.latency:
        return _latency_table(audit)
    if audit.latency_measured:
        return ["no request was timed"]
    return [
        "not measured: the observation is replayed from cassettes, which record no timing; a live audit "
        "(--gateway-url) reports p50, p95 and max per gateway"
    ]


def _cause_lines(audit: Audit) -> list[str]:
    """What failed first: the checks that do not merely follow from another, each with its first reason."""
    return [f"{r.name}: {r.summary()}" for r in audit.root_causes]


def _history_table(audit: Audit) -> Table:
    rows = []
    for state in audit.history:
        caught = ", ".join(name for name, _ in state.failed) or "none"
        first = state.failed[0][1] if state.failed else "passes every check"
        rows.append([state.name, caught, first])
    return ["deployment", "failed checks", "first reason"], rows


def _merge_lines(audit: Audit) -> list[str]:
    stats = audit.merge
    lines = [
        f"exact-id merge of the gateway's listings: {_n(stats['total_fetched'])} fetched, "
        f"{_n(stats['total_unique'])} unique, {_n(stats['cross_gateway_duplicates'])} cross-gateway duplicates"
    ]
    seed = audit.seed_merge
    if seed:
        line = (
            f"seed-000 deployment ({seed['state']}, one limit=50000 request per gateway): "
            f"{_n(seed['total_fetched'])} fetched, {_n(seed['total_unique'])} unique"
        )
        focus = seed.get("focus")
        if focus:
            shared = ", ".join(f"{g} {n}" for g, n in sorted(focus["shared_with"].items(), key=lambda kv: -kv[1]))
            line += (
                f"; of the {_n(focus['unique'])} {focus['gateway']} models {_n(focus['only_here'])} are on no "
                f"other gateway and {_n(focus['shared'])} are shared ({shared})"
            )
        lines.append(line)
    return lines


def _header(audit: Audit) -> str:
    provenance = audit.provenance
    if provenance.get("kind") == "synthetic":
        origin = (
            f"synthetic cassettes (generator {provenance.get('generator')} "
            f"v{provenance.get('generator_version')}, seed {provenance.get('seed')}), not live recordings"
        )
    elif audit.source == "live":
        origin = f"live gateway at {audit.target}"
    else:
        origin = f"live recording of {', '.join(provenance.get('hosts', []))} on {provenance.get('recorded_at')}"
    header = f"catalog-guard audit: {audit.verdict} — {audit.target} — {origin}"
    if audit.truth is not None:  # which truth, on the first line of every report
        header += f" — {audit.truth.headline()}"
        for name, why in audit.truth.not_judged().items():
            header += f"\nNOT JUDGED: {name}: {why}"
        if audit.truth.baseline is None:
            header += f"\nNOT JUDGED: count-floor: {NO_BASELINE}"
    if audit.truth_kind == "synthetic" and audit.source == "live":
        header += (
            "\nWARNING: judged against the synthetic recorded upstream truth shipped with catalog-guard; "
            "use --truth live (the default with --gateway-url) to judge against the upstreams as they are now"
        )
    return header


MAX_CELL = 96  # a terminal table stays readable; the JSON and Markdown reports carry every word


def _clip(cell: str) -> str:
    return cell if len(cell) <= MAX_CELL else cell[: MAX_CELL - 3] + "..."


def _format_table(table: Table) -> list[str]:
    headers, rows = table
    rows = [[_clip(cell) for cell in row] for row in rows]
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=False)]
    numeric = [all(_is_number(row[i]) for row in rows) and bool(rows) for i in range(len(headers))]

    def line(cells: Sequence[str]) -> str:
        parts = [
            cell.rjust(w) if numeric[i] else cell.ljust(w)
            for i, (cell, w) in enumerate(zip(cells, widths, strict=True))
        ]
        return "  ".join(parts).rstrip()

    return [line(headers), line(["-" * w for w in widths]), *(line(row) for row in rows)]


def _is_number(cell: str) -> bool:
    return cell.replace(",", "").replace(".", "").replace("%", "").isdigit()


def _sections(audit: Audit) -> list[tuple[str, Table | list[str]]]:
    sections: list[tuple[str, Table | list[str]]] = []
    if not audit.passed:
        sections.append(("Root cause (the failures the others follow from)", _cause_lines(audit)))
    sections.append(("Gateway walks (GET /v1/models, offset pages)", _walk_table(audit)))
    sections.append((_latency_title(audit), _latency_section(audit)))
    if audit.coverage:
        sections.append(
            ("Hugging Face Hub coverage by strategy (truth: the recorded cursor walk)", _coverage_table(audit))
        )
    sections.append(("Cross-gateway merge", _merge_lines(audit)))
    sections.append(("Contract checks", _check_table(audit)))
    if audit.history:
        sections.append(("Historical deployments: what the gate would have said", _history_table(audit)))
    return sections


def render_table(audit: Audit) -> str:
    out = [_header(audit), ""]
    for title, body in _sections(audit):
        out.append(title)
        out.extend(_format_table(body) if isinstance(body, tuple) else body)
        out.append("")
    out.append(_closing(audit))
    return "\n".join(out)


def _closing(audit: Audit) -> str:
    failed = sum(not r.passed for r in audit.checks)
    if audit.observed_nothing:
        closing = (
            f"no catalog page came back: {failed} of {len(audit.checks)} checks failed on what was seen, "
            f"the others judged nothing; exit code {audit.exit_code}"
        )
    else:
        passed = len(audit.checks) - failed
        closing = f"{passed} of {len(audit.checks)} checks passed; exit code {audit.exit_code}"
    if audit.incomplete:
        closing = f"NOT JUDGED: {audit.incomplete}\n{closing} (the checks above saw an incomplete observation)"
    return closing


def _md_cell(value: str) -> str:
    return value.replace("|", "\\|").replace("\n", " ")


def render_markdown(audit: Audit) -> str:
    out = [f"## {_header(audit)}", ""]
    for title, body in _sections(audit):
        out.append(f"### {title}")
        out.append("")
        if isinstance(body, tuple):
            headers, rows = body
            out.append("| " + " | ".join(headers) + " |")
            out.append("|" + "|".join("---" for _ in headers) + "|")
            out.extend("| " + " | ".join(_md_cell(c) for c in row) + " |" for row in rows)
        else:
            out.extend(f"- {line}" for line in body)
        out.append("")
    out.append(_closing(audit))
    return "\n".join(out)


def to_json(audit: Audit) -> dict[str, Any]:
    return {
        "passed": audit.passed,
        "verdict": audit.verdict,
        "observed_nothing": audit.observed_nothing,
        "incomplete": audit.incomplete,
        "exit_code": audit.exit_code,
        "source": audit.source,
        "target": audit.target,
        "provenance": audit.provenance,
        "truth_kind": audit.truth_kind,
        "truth": audit.truth.summary() if audit.truth is not None else None,
        "walks": [dataclasses.asdict(w) for w in audit.walks],
        "coverage": [{**dataclasses.asdict(c), "ratio": round(c.ratio, 4)} for c in audit.coverage],
        "merge": audit.merge,
        "seed_merge": audit.seed_merge,
        "latency": {
            "measured": audit.latency_measured,
            "budget_p95_seconds": audit.latency_budget,
            "gateways": {name: dataclasses.asdict(f) for name, f in audit.latency.items()},
        },
        "root_causes": [r.name for r in audit.root_causes],
        "checks": [
            {
                "name": r.name,
                "title": r.title,
                "passed": r.passed,
                "judged": not (r.passed and audit.observed_nothing),
                "violations": [{"message": v.message, "evidence": v.evidence, "cause": v.cause} for v in r.violations],
                "not_judged": [{"gateway": name, "reason": why} for name, why in r.not_judged],
            }
            for r in audit.checks
        ],
        "history": [{"name": h.name, "source": h.source, "failed": [list(f) for f in h.failed]} for h in audit.history],
    }


def render(audit: Audit, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(to_json(audit), indent=2, sort_keys=True, default=str)
    if fmt == "markdown":
        return render_markdown(audit)
    return render_table(audit)
