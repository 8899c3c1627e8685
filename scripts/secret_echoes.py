"""Measure: how many planted secret echoes, per encoding, reach the cassettes, stdout, stderr and ``--output``.

Run: ``.venv/bin/python scripts/secret_echoes.py`` (Markdown table on stdout; the figures are in
docs/reliability.md, "Secrets and writers"). Everything runs on loopback, in fresh processes of the real command:

1. ``catalog-guard record --source live --base-url huggingface=<loopback>`` against the fake Hub wrapped by
   :func:`catalog_guard.fakes.echo.echoing` (every response echoes the caller's token in every form of
   :data:`~catalog_guard.fakes.echo.ECHOES`, in headers, the body, and the ``Link`` URLs, the followed next link
   included), with ``HF_TOKEN`` planted;
2. ``catalog-guard audit --format markdown --output FILE`` against :func:`~catalog_guard.fakes.echo.refusing_gateway`
   (a 401 whose ``X-Error-Message`` and body echo the gateway token in every form), with
   ``CATALOG_GUARD_GATEWAY_TOKEN`` planted.

Hits are counted with :func:`catalog_guard.fakes.echo.hits`: occurrences of the exact planted texts. To measure an
older catalog-guard, put its ``src`` first on ``PYTHONPATH`` (with this ``fakes/echo.py`` copied in).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from catalog_guard import serve
from catalog_guard.fakes.echo import ECHOES, echoing_hub_app, hits, refusing_gateway
from catalog_guard.fakes.gateway import asgi_app

TOKEN = "Echo+Plant3d/Secret=0123456789abcdef"


def cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.upper().endswith(("_TOKEN", "_KEY"))}
    command = [sys.executable, "-c", "from catalog_guard.cli import main; raise SystemExit(main())", *args]
    return subprocess.run(command, env={**clean, **env}, capture_output=True, text=True, timeout=600)


def record(work: Path) -> tuple[int, dict[str, int], dict[str, int]]:
    directory = work / "cassettes"

    with serve.serving(echoing_hub_app) as local:
        done = cli(
            "record", "--source", "live", "--base-url", f"huggingface={local}", "--only", "huggingface/cursor",
            "--cassettes", str(directory), env={"HF_TOKEN": TOKEN},
        )  # fmt: skip
    written = [path.read_bytes() for path in directory.rglob("*") if path.is_file()] if directory.exists() else []
    return done.returncode, hits(TOKEN, *written), hits(TOKEN, done.stdout, done.stderr)


def audit(work: Path) -> tuple[int, dict[str, int], dict[str, int]]:
    output = work / "summary.md"
    with serve.serving(lambda _base_url: asgi_app(refusing_gateway)) as local:
        done = cli(
            "audit", "--gateway-url", local, "--gateway", "huggingface", "--truth", "recorded",
            "--format", "markdown", "--output",
            str(output), env={"CATALOG_GUARD_GATEWAY_TOKEN": TOKEN},
        )  # fmt: skip
    written = output.read_text() if output.exists() else ""
    return done.returncode, hits(TOKEN, done.stdout, done.stderr), hits(TOKEN, written)


def main() -> None:
    with tempfile.TemporaryDirectory() as temp:
        record_exit, in_cassettes, in_record_output = record(Path(temp))
        audit_exit, in_audit_output, in_file = audit(Path(temp))
    print("| encoding | cassettes | record stdout+stderr | audit stdout+stderr | audit --output |")
    print("|---|---|---|---|---|")
    for kind in ECHOES:
        counts = [str(found.get(kind, 0)) for found in (in_cassettes, in_record_output, in_audit_output, in_file)]
        print(f"| {kind} | {' | '.join(counts)} |")
    kinds = [
        sum(1 for found in (in_cassettes, in_record_output, in_audit_output, in_file) if kind in found)
        for kind in ECHOES
    ]
    print(
        f"\nkinds with a hit: {sum(1 for k in kinds if k)} of {len(ECHOES)}; record exit {record_exit}, "
        f"audit exit {audit_exit}"
    )


if __name__ == "__main__":
    main()
