"""Live mode through a real socket: ``catalog-guard serve`` on a free loopback port, ``catalog-guard audit
--gateway-url`` and the ``GatewayContract`` suite against it.

The reference server must pass (exit 0); restarted with a regression mode it must fail (exit 1) and name the
violation. Servers are bound to 127.0.0.1 and always stopped, also when a test fails. The commands run as
separate processes once, end to end (the reference server: ``serve`` and ``audit`` each a process of its own); the
other tests serve the same app in a thread of this process (:func:`catalog_guard.serve.serving`) and run the
audit through the same entry point in-process (:func:`catalog_guard.cli.main`, its exit code and its output), which
spares a Python start and a replay of the recorded truth per audit: what they judge is what the audit finds over
the socket, not how a process starts.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass

import httpcore  # noqa: F401  # imported up front: pytester's module snapshot would drop a lazy import
import httpx
import pytest

from catalog_guard import cli, serve

pytest_plugins = ["pytester"]

CLI = [sys.executable, "-m", "catalog_guard.cli"]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def server(regression: str | None = None) -> Iterator[str]:
    """``catalog-guard serve`` in a subprocess; yields its base URL once it answers, and always stops it."""
    port = free_port()
    command = [*CLI, "serve", "--host", "127.0.0.1", "--port", str(port)]
    if regression:
        command += ["--regression", regression]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"serve exited with {process.returncode}: {process.stderr.read()}")
            try:
                httpx.get(f"{url}/v1/models", params={"gateway": "groq"}, timeout=1.0)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def threaded_server(regression: str | None = None) -> AbstractContextManager[str]:
    """The app ``catalog-guard serve [--regression MODE]`` serves, in a thread of this process."""
    return serve.serving(lambda _base_url: serve.reference_app(regression))


def audit(url: str, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "CATALOG_GUARD_GATEWAY_URL"}
    return subprocess.run(
        # the reference server serves the recorded corpus: it is judged against the recorded truth
        [*CLI, "audit", "--gateway-url", url, "--truth", "recorded", "--format", "json", "--no-progress", *extra],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        check=False,
    )


@dataclass(frozen=True)
class Audit:
    """What ``catalog-guard audit`` gave: its exit code and its two streams."""

    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def audit_here(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Callable[..., Audit]:
    """``catalog-guard audit --gateway-url URL`` judged against the recorded truth, in this process: the
    arguments :func:`audit` passes, through :func:`catalog_guard.cli.main`."""
    monkeypatch.delenv("CATALOG_GUARD_GATEWAY_URL", raising=False)

    def run(url: str, *extra: str, progress: bool = False) -> Audit:
        capsys.readouterr()
        arguments = ["audit", "--gateway-url", url, "--truth", "recorded", "--format", "json", *extra]
        code = cli.main([*arguments, *([] if progress else ["--no-progress"])])
        out, err = capsys.readouterr()
        return Audit(code, out, err)

    return run


def failed_checks(result: subprocess.CompletedProcess[str] | Audit) -> dict[str, list[str]]:
    report = json.loads(result.stdout)
    return {c["name"]: [v["message"] for v in c["violations"]] for c in report["checks"] if not c["passed"]}


def test_reference_server_passes_the_live_audit_and_the_contract(pytester: pytest.Pytester) -> None:
    with server() as url:
        result = audit(url)
        assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
        assert failed_checks(result) == {}
        pytester.makepyfile(
            "from catalog_guard.contract import GatewayContract\n\n\nclass TestLive(GatewayContract):\n    pass\n"
        )
        run = pytester.runpytest_inprocess(
            "-p", "no:cacheprovider", "-q", "--catalog-guard-gateway-url", url, "--catalog-guard-truth", "recorded"
        )
        from catalog_guard.checks import CHECKS

        run.assert_outcomes(passed=len(CHECKS))  # one contract test per check


@pytest.mark.parametrize(
    ("mode", "violation", "words"),
    [
        ("G2", "no-duplicates", "duplication factor"),
        ("F3", "coverage", "lists 101 of the"),
        ("G6", "page-bounds", "limit ignored"),
    ],
)
def test_regression_servers_fail_the_live_audit(
    mode: str, violation: str, words: str, audit_here: Callable[..., Audit]
) -> None:
    with threaded_server(mode) as url:
        result = audit_here(url)
    assert result.returncode == 1, result.stderr[-2000:]
    found = failed_checks(result)
    assert violation in found, sorted(found)
    assert any(words in message for message in found[violation]), found[violation]


def test_unreachable_gateway_is_a_connection_error(audit_here: Callable[..., Audit]) -> None:
    # --max-failures 1: the first refused connection ends the audit (the default 3 only adds backoff waits)
    result = audit_here(
        f"http://127.0.0.1:{free_port()}", "--gateway", "groq", "--max-requests", "20", "--max-failures", "1"
    )
    assert result.returncode == 2
    assert "TransportError" in result.stderr or "ConnectError" in result.stderr


def test_request_budget_stops_a_runaway_audit(audit_here: Callable[..., Audit]) -> None:
    with threaded_server() as url:
        result = audit_here(url, "--max-requests", "5")
    assert result.returncode == 2
    assert "gave up after 5 requests" in result.stderr


def test_live_audit_shows_progress_per_request(audit_here: Callable[..., Audit]) -> None:
    with threaded_server() as url:
        result = audit_here(url, "--gateway", "groq", progress=True)
    assert result.returncode == 0, result.stderr[-2000:]
    steps = [line for line in result.stderr.splitlines() if line.startswith("[")]
    # concurrent chains (the default --concurrency) answer in any order, but the count is one and consecutive
    assert [step.split("]")[0] for step in steps] == [f"[{n}" for n in range(1, len(steps) + 1)]
    assert any(step.endswith("] GET gateway=groq offset=0") for step in steps)
    report = json.loads(result.stdout)
    pages = sum(row["pages"] for row in report["walks"])
    assert len(steps) > pages, "a step per response: every walked page and every probe"
