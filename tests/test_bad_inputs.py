"""Every subcommand, every option, bad values: exit 2, one line on stderr, no traceback, nothing judged.

Exit 1 means "the contract was violated" and nothing else; an input the tool cannot judge must never look like
that, nor like a pass. The sweep calls ``main`` in-process (an escaping exception fails the test as it would print a
traceback); the variable case runs the real command in a subprocess, as CI would.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from catalog_guard.checks import CHECKS
from catalog_guard.cli import URL_ENV

pytest_plugins = ["pytester"]

CLI = [sys.executable, "-m", "catalog_guard.cli"]
LIVE = ["--gateway-url", "http://127.0.0.1:9"]  # a live audit that parses; the bad value must stop it first

BAD: dict[str, list[list[str]]] = {
    "audit": [
        ["--gateway-url", ""],
        ["--gateway-url", "   "],
        ["--gateway-url", "http://[::1"],
        ["--gateway-url", "ftp://example.test"],
        ["--gateway-url", "not a url"],
        ["--format", "yaml"],
        ["--output", "."],
        ["--output", "/proc/no-such-dir/report.md"],
        [*LIVE, "--gateway", "no-such-gateway"],
        ["--gateway", "groq"],  # a live-only option without a gateway
        ["--token", "t"],
        *([*LIVE, flag, value] for flag in ("--limit",) for value in ("0", "-1", "1001", "ten", "1.5")),
        *(
            [*LIVE, flag, value]
            for flag in ("--timeout", "--deadline", "--max-wait", "--wait-budget")
            for value in ("nan", "inf", "-1", "x")
        ),
        [*LIVE, "--timeout", "0"],
        [*LIVE, "--deadline", "0"],
        *(
            [*LIVE, flag, value]
            for flag in ("--max-body", "--max-requests", "--max-failures")
            for value in ("0", "-5", "1e3")
        ),
        *(
            [flag, value]
            for flag in ("--coverage-floor", "--count-tolerance")
            for value in ("nan", "-1", "5", "inf", "1.01", "x")
        ),
        *(["--latency-budget", value] for value in ("-5", "nan", "inf", "x")),
        *(["--skew-max-ids", value] for value in ("-1", "x")),
        *(["--skew-max-fraction", value] for value in ("-0.1", "1.5", "nan")),
        ["--cassettes", "/proc/no-such-corpus"],
        ["--no-such-option"],
    ],
    "serve": [
        ["--port", "99999"],
        ["--port", "0"],
        ["--port", "-1"],
        ["--port", "http"],
        ["--regression", "G99"],
        ["--log-level", "loud"],
        ["--host", "203.0.113.1"],  # TEST-NET-3: never this machine's address, so it cannot be bound
    ],
    "gallery": [["--mode", "NOPE"], ["--format", "yaml"], ["--mode", "G1", "--mode", "nope"]],
    "record": [
        ["--gateway-url", ""],
        ["--gateway-url", "http://[::1"],
        ["--base-url", "huggingface"],
        ["--base-url", "huggingface=ftp://x"],
        ["--source", "nope"],
        ["--only", "no-such-recording"],
        ["--wait", "-1"],
        # the limits of a live recording, validated as the audit's are
        *(
            [flag, value]
            for flag in ("--timeout", "--deadline", "--max-wait", "--wait-budget")
            for value in ("nan", "inf", "-1", "x")
        ),
        ["--timeout", "0"],
        ["--deadline", "0"],
        *([flag, value] for flag in ("--max-body", "--max-requests", "--max-failures") for value in ("0", "-5", "1e3")),
        ["--source", "fakes", "--timeout", "5"],  # the fakes are in-process: a limit given for them bounds nothing
    ],
}


def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k != URL_ENV}
    environment.update(env or {})
    return subprocess.run([*CLI, *args], capture_output=True, text=True, env=environment, timeout=120)


def _assert_refused(result: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in result.stderr + result.stdout, result.stderr
    assert result.returncode == 2, (result.returncode, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("catalog-guard"), lines[0]


@pytest.mark.parametrize(
    ("command", "args"),
    [(command, args) for command, cases in BAD.items() for args in cases],
    ids=[f"{command} {' '.join(args)}" for command, cases in BAD.items() for args in cases],
)
def test_a_bad_value_is_exit_2_in_one_line(
    command: str, args: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from catalog_guard.cli import main

    monkeypatch.delenv(URL_ENV, raising=False)
    try:
        code = main([command, *args])
    except SystemExit as exited:  # argparse's own refusals
        code = exited.code if isinstance(exited.code, int) else 2
    out, err = capsys.readouterr()
    _assert_refused(subprocess.CompletedProcess([command, *args], code, out, err))


def test_the_variable_set_but_empty_is_not_a_replay_audit() -> None:
    """The README's CI step on a fork, where ``vars.STAGING_GATEWAY_URL`` is unset: it must not pass."""
    result = _run("audit", "--max-requests", "3000", env={URL_ENV: ""})
    _assert_refused(result)
    assert URL_ENV in result.stderr
    _assert_refused(_run("record", "--source", "fakes", env={URL_ENV: ""}))


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.create_server(("127.0.0.1", 0)) as listener:
        yield int(listener.getsockname()[1])


def test_serve_on_a_taken_port_is_exit_2(taken_port: int) -> None:
    """uvicorn itself says exit 1 here, which would read as "contract violated"."""
    _assert_refused(_run("serve", "--port", str(taken_port)))


def test_an_output_that_goes_away_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--output checked up front, and again when written: a failing write is one line, exit 2."""
    from catalog_guard import cli

    target = tmp_path / "gone" / "report.md"
    assert cli.main(["audit", "--output", str(target)]) == 2
    assert capsys.readouterr().err.count("\n") == 1


CONTRACT = (
    "from catalog_guard.contract import GatewayContract\n\n\nclass TestLive(GatewayContract):\n    optional = True\n"
)


def test_contract_tests_with_an_empty_gateway_url_fail_instead_of_skipping(pytester: pytest.Pytester) -> None:
    """``optional`` classes skip without --gateway-url; given but empty (an unset CI variable) is no skip."""
    pytester.makepyfile(CONTRACT)
    run = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-q", "--catalog-guard-gateway-url", "")
    outcomes = run.parseoutcomes()
    assert "skipped" not in outcomes
    assert outcomes.get("errors") == len(CHECKS)
    run.stdout.fnmatch_lines(["*--catalog-guard-gateway-url was given but is empty*"])


def test_contract_tests_against_a_gateway_that_never_answers_are_not_judged(pytester: pytest.Pytester) -> None:
    """Nothing listens (port 9, discard): every test errors with the line that says why, after one request."""
    pytester.makepyfile(CONTRACT)
    run = pytester.runpytest_inprocess(
        "-p",
        "no:cacheprovider",
        "-q",
        "--catalog-guard-gateway-url",
        "http://127.0.0.1:9",
        "--catalog-guard-truth",
        "recorded",
    )
    assert run.parseoutcomes().get("errors") == len(CHECKS)
    run.stdout.fnmatch_lines(["*not judged: stopped: the gateway never answered*"])
