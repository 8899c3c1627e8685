"""No known secret reaches a cassette, stdout, stderr or ``--output``, in any encoding an upstream echoes it in.

The oracle is :data:`catalog_guard.fakes.echo.ECHOES`: the exact texts a leaky server sends back, counted in what
was written or printed (:func:`catalog_guard.fakes.echo.hits`), independently of the redactor's own idea of them.
Every end-to-end test also checks that the echoes really happened (the placeholder is where they were), so it
cannot pass because nothing was echoed.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from catalog_guard import corpus, recorder, report, serve, universe
from catalog_guard.audit import Audit
from catalog_guard.cassettes import REDACTED, ScrubPolicy, scan_for_secrets
from catalog_guard.checks import CheckResult, Violation
from catalog_guard.fakes.echo import ECHOES, echoing, echoing_hub_app, hits, planted, refusing_gateway
from catalog_guard.fakes.gateway import asgi_app
from catalog_guard.fakes.hub import FakeHub
from catalog_guard.fakes.providers import make_fake
from catalog_guard.fakes.upstreams import FakeUpstreams
from catalog_guard.redaction import Redactor, encoded_forms
from inner_sessions import WITHOUT_UNUSED_PLUGINS

pytest_plugins = ["pytester"]

# ``+ / =`` make every percent form differ from the plain one; not token-shaped, so only the known value finds it.
TOKEN = "Echo+Plant3d/Secret=0123456789abcdef"
CLI = str(Path(sys.executable).with_name("catalog-guard"))
KINDS = list(ECHOES)


def contexts(text: str) -> list[str]:
    """Where an echo lands: a header value, a JSON body, a URL's path and query, a ``Link`` header."""
    return [
        f"invalid credentials: {text}",
        json.dumps({"echo": "@"}).replace("@", text),
        f"https://upstream.test/echo/{text}/x?a=1&echo={text}&b=2",
        f'<https://upstream.test/api/models?cursor=abc&echo={text}>; rel="next"',
    ]


@pytest.mark.parametrize("kind", KINDS)
def test_each_encoding_is_found_and_redacted_wherever_it_lands(kind: str) -> None:
    redactor = Redactor({"HF_TOKEN": TOKEN})
    echo = planted(TOKEN)[kind]
    for text in contexts(echo):
        assert redactor.findings(text), f"{kind} not found in {text!r}"
        redacted = redactor.redact(text)
        assert echo not in redacted
        assert REDACTED in redacted
        assert redactor.findings(redacted) == []
        assert redactor.redact(redacted) == redacted  # idempotent


def test_text_without_the_secret_is_returned_untouched() -> None:
    redactor = Redactor({"HF_TOKEN": TOKEN})
    text = 'org/sk-learn-classifier-v2 %2B%2F%3D \\u0041 RWNobytQbGFudDNk 456789abcdef "Echo+Plant3d"'
    assert redactor.findings(text) == []
    assert redactor.redact(text) is text


def test_base64_is_looked_for_at_each_of_the_three_alignments() -> None:
    """Base64 of ``Bearer T``, ``api:T`` and ``T:`` put ``T`` at three different offsets modulo 3."""
    kinds = [form.kind for form in encoded_forms(TOKEN)]
    assert kinds.count("base64") == 3
    for prefix in ("", "a", "ab", "Bearer ", "user:"):
        encoded = base64.b64encode(f"{prefix}{TOKEN}".encode()).decode()
        assert Redactor([TOKEN]).findings(encoded), prefix


@pytest.mark.parametrize("kind", KINDS)
def test_the_scanner_catches_each_encoding_the_scrubber_missed(kind: str, tmp_path: Path) -> None:
    echo = planted(TOKEN)[kind]
    leaked = tmp_path / "leaked.json"
    body_line = json.dumps({"id": "org/model", "echo": "@"}).replace("@", echo)
    leaked.write_text(json.dumps({"interactions": [{"response": {"body_lines": ["[", body_line, "]"]}}]}, indent=2))
    findings = scan_for_secrets(tmp_path, policy=ScrubPolicy({"HF_TOKEN": TOKEN}))
    assert any(finding.what.startswith("value of $HF_TOKEN") for finding in findings), kind
    assert all(echo not in str(finding) and TOKEN not in str(finding) for finding in findings)


def echoing_upstreams() -> FakeUpstreams:
    world = universe.build()
    offers = world.catalogs[universe.DAY_1]["openrouter"]
    return FakeUpstreams(
        hub=lambda: echoing(FakeHub.from_universe(world)),
        providers={"openrouter": lambda: echoing(make_fake("openrouter", offers))},
    )


ECHOED = ["huggingface/cursor", "providers/openrouter"]
ENVIRON = {"HF_TOKEN": TOKEN, "OPENROUTER_API_KEY": TOKEN[::-1]}


def echo_headers(directory: Path) -> list[str]:
    """The ``x-echo-*`` header values of every recorded response: the proof that the upstream did echo."""
    values: list[str] = []
    for name in ECHOED:
        for interaction in corpus.read_cassette(corpus.cassette_path(name, directory)).interactions:
            values += [v for header, vs in interaction.headers.items() if header.startswith("x-echo-") for v in vs]
    return values


def test_recording_echoing_upstreams_writes_no_encoding_of_any_token(tmp_path: Path) -> None:
    directory = tmp_path / "cassettes"
    report = recorder.record_corpus(
        cassettes_dir=directory, only=ECHOED, source="fakes", fakes=echoing_upstreams(), environ=ENVIRON
    )
    assert report.ok, report.failures
    written = [path.read_bytes() for path in directory.rglob("*") if path.is_file()]
    assert hits(TOKEN, *written) == {}
    assert hits(ENVIRON["OPENROUTER_API_KEY"], *written) == {}
    values = echo_headers(directory)
    assert len(values) >= 2 * len(ECHOES)  # every form was echoed, at least once per upstream
    assert all(REDACTED in value for value in values)
    assert scan_for_secrets(directory, policy=ScrubPolicy(ENVIRON)) == []
    assert "\n".join(report.lines()).count(REDACTED) == 0  # the report itself never needed one


def test_a_scrubber_that_misses_the_encodings_fails_the_record_closed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only the plain value is removed (as before encodings were covered): the scan must stop the run."""
    monkeypatch.setattr(Redactor, "redact", lambda self, text: text.replace(TOKEN, REDACTED))
    directory = tmp_path / "cassettes"
    report = recorder.record_corpus(
        cassettes_dir=directory, only=ECHOED, source="fakes", fakes=echoing_upstreams(), environ=ENVIRON
    )
    assert list(report.failures) == ["secrets"]
    assert "value of $HF_TOKEN (" in report.failures["secrets"]
    assert report.exit_code == 1
    assert not directory.exists() or not any(directory.rglob("*.json"))
    assert hits(TOKEN, "\n".join(report.lines())) == {}


def run_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.upper().endswith(("_TOKEN", "_KEY"))}
    return subprocess.run([CLI, *args], env={**environ, **env}, capture_output=True, text=True, timeout=300)


def test_the_record_command_against_a_loopback_echoing_hub_leaks_nothing(tmp_path: Path) -> None:
    directory = tmp_path / "cassettes"

    with serve.serving(echoing_hub_app) as local:
        done = run_cli(
            "record", "--source", "live", "--base-url", f"huggingface={local}", "--only", "huggingface/cursor",
            "--cassettes", str(directory), env={"HF_TOKEN": TOKEN},
        )  # fmt: skip
    assert done.returncode == 0, done.stderr
    written = corpus.cassette_path("huggingface/cursor", directory).read_bytes()
    assert hits(TOKEN, written, done.stdout, done.stderr) == {}
    assert written.count(b'"x-echo-') >= len(ECHOES)  # the echoes were recorded, scrubbed
    assert "huggingface/cursor" in done.stdout


@pytest.mark.parametrize("output_format", ["table", "json", "markdown"])
def test_a_token_echoed_in_a_401_never_reaches_the_audit_report(output_format: str, tmp_path: Path) -> None:
    output = tmp_path / "report.out"
    with serve.serving(lambda _base_url: asgi_app(refusing_gateway)) as local:
        done = run_cli(
            "audit", "--gateway-url", local, "--gateway", "huggingface", "--truth", "recorded",
            "--format", output_format,
            "--output", str(output), "--max-requests", "50", env={"CATALOG_GUARD_GATEWAY_TOKEN": TOKEN},
        )  # fmt: skip
    assert done.returncode in (1, 2), done.stderr
    written = output.read_text() if output.exists() else ""
    assert hits(TOKEN, done.stdout, done.stderr, written) == {}
    assert "401" in done.stdout + done.stderr  # the refusal was reported ...
    if output_format != "table":  # (a terminal table clips the cell before the echo; see the test below)
        assert REDACTED in done.stdout + done.stderr + written  # ... with the echoed token cut out


def test_a_clipped_table_cell_never_shows_the_first_half_of_a_secret() -> None:
    """The table clips cells to 96 characters: redacting the rendered text would miss a cut secret, so the audit is
    redacted before it is rendered."""
    message = f"401: invalid credentials {TOKEN}" + " and more" * 20
    audit = Audit(
        source="live",
        target="http://127.0.0.1:1",
        provenance={},
        walks=[],
        checks=[CheckResult("known-gateways", "t", (Violation("known-gateways", message, {"body": TOKEN}),))],
        merge={"total_fetched": 0, "total_unique": 0, "cross_gateway_duplicates": 0},
    )
    cut = len(message.split(TOKEN)[0]) + len(TOKEN) // 2
    with pytest.MonkeyPatch.context() as narrow:
        narrow.setattr(report, "MAX_CELL", cut + 3)  # the clip falls in the middle of the token
        unsafe = report.render(audit, "table")
        redactor = Redactor({"CATALOG_GUARD_GATEWAY_TOKEN": TOKEN})
        safe = redactor.redact_output(report.render(redactor.redact_data(audit), "table"))
    half = TOKEN[: len(TOKEN) // 2]
    assert half in redactor.redact_output(unsafe)  # what redacting only the rendered text would print
    assert half not in safe
    assert TOKEN not in json.dumps(dataclasses.asdict(redactor.redact_data(audit)))


def test_a_token_given_as_an_option_is_redacted_too(tmp_path: Path) -> None:
    output = tmp_path / "report.md"
    with serve.serving(lambda _base_url: asgi_app(refusing_gateway)) as local:
        done = run_cli(
            "audit", "--gateway-url", local, "--gateway", "huggingface", "--truth", "recorded",
            "--token", TOKEN, "--format", "markdown",
            "--output", str(output), env={},
        )  # fmt: skip
    assert hits(TOKEN, done.stdout, done.stderr, output.read_text() if output.exists() else "") == {}
    assert REDACTED in done.stdout


def test_the_refusing_gateway_really_echoes_every_form() -> None:
    """The audit tests' gateway is no straw man: its 401 holds every planted form."""
    response = refusing_gateway(
        httpx.Request("GET", "http://gw.test/v1/models", headers={"authorization": f"Bearer {TOKEN}"})
    )
    assert response.status_code == 401
    assert set(hits(TOKEN, response.headers["x-error-message"])) == set(ECHOES)


def test_the_gateway_contract_never_prints_the_token_its_gateway_echoes(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        f"""
from catalog_guard.contract import GatewayContract, GatewayTarget
from catalog_guard.fakes.echo import refusing_gateway
from catalog_guard.observe import ObservePlan

class TestEchoing(GatewayContract):
    target = GatewayTarget(handler=refusing_gateway, token={TOKEN!r})
    plan = ObservePlan(gateways=("huggingface",), include_all=False)
"""
    )
    run = pytester.runpytest_subprocess(*WITHOUT_UNUSED_PLUGINS, "-p", "no:cacheprovider", "-q", "-k", "known_gateways")
    output = "\n".join(run.outlines + run.errlines)
    run.assert_outcomes(failed=1)
    assert "401" in output
    assert REDACTED in output
    assert hits(TOKEN, output) == {}


def test_an_unexpected_error_leaves_the_command_without_the_token(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The last net of ``cli.main`` prints it as one line (exit 2, no traceback) inside the output boundary: the
    message is redacted on the way out."""
    from catalog_guard import cli

    def crash(_args: object) -> int:
        try:
            raise ValueError(f"upstream said {planted(TOKEN)['base64 of Bearer token']}")
        except ValueError as cause:
            raise RuntimeError(f"while talking to the gateway with {TOKEN}") from cause

    monkeypatch.setattr(cli, "run_audit", crash)
    assert cli.main(["audit", "--token", TOKEN]) == 2
    err = capsys.readouterr().err
    assert "RuntimeError" in err
    assert REDACTED in err
    assert hits(TOKEN, err) == {}
