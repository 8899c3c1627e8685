"""Measure: one writer per corpus. Two ``catalog-guard record`` processes at once, a refusal, a killed run.

Run: ``.venv/bin/python scripts/record_writers.py`` (prints one line per case; the figures are in
docs/reliability.md, "Secrets and writers"). Everything records from the in-process fakes into a temporary
directory, in fresh processes:

1. ``catalog-guard record --source fakes --wait 300`` and, at the same moment, a process recording the same
   cassettes from changed fakes (every file differs): both exit codes, wall time, and whether the corpus left
   behind is exactly one of the two (each recorded alone first, for reference);
2. a record started while the lock is held: exit code, time to refuse, the line it prints;
3. a full record killed (SIGKILL) mid-way: the staging directory it leaves (size), and what the next run does.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from catalog_guard.record_lock import OWNER_FILE, RecordLock, staging_prefix

ONLY = ["huggingface/cursor", "providers/groq", "providers/xai"]
CLI = [sys.executable, "-c", "from catalog_guard.cli import main; raise SystemExit(main())", "record"]
CHANGED = """
import sys
from catalog_guard import recorder, universe
from catalog_guard.fakes.hub import FakeHub
from catalog_guard.fakes.providers import make_fake
from catalog_guard.fakes.upstreams import FakeUpstreams
world = universe.build()
models = [dict(m, likes=m["likes"] + 1) for m in world.hub_models]
fakes = FakeUpstreams(hub=lambda: FakeHub(models), providers={
    name: (lambda name=name: make_fake(name, world.catalogs[universe.DAY_1][name][1:])) for name in ("groq", "xai")})
report = recorder.record_corpus(cassettes_dir=sys.argv[1], only=sys.argv[2:], source="fakes", fakes=fakes,
                                environ={}, wait=300.0)
raise SystemExit(report.exit_code)
"""


def snapshot(directory: Path) -> dict[str, bytes]:
    return {p.relative_to(directory).as_posix(): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


def plain(directory: Path, *extra: str) -> subprocess.Popen[str]:
    args = [*CLI, "--source", "fakes", "--no-progress", "--cassettes", str(directory), *extra]
    args += [arg for name in ONLY for arg in ("--only", name)]
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def changed(directory: Path) -> subprocess.Popen[str]:
    command = [sys.executable, "-c", CHANGED, str(directory), *ONLY]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def concurrent(root: Path) -> None:
    references = []
    for name, start in (("plain", plain), ("changed", changed)):
        process = start(root / name)
        process.communicate(timeout=600)
        references.append(snapshot(root / name))
    differ = sum(references[0][path] != references[1].get(path) for path in references[0])
    target = root / "both"
    started = time.monotonic()
    processes = [plain(target, "--wait", "300"), changed(target)]
    for process in processes:
        process.communicate(timeout=900)
    seconds = time.monotonic() - started
    left = snapshot(target)
    which = "plain" if left == references[0] else "changed" if left == references[1] else "A MIX"
    print(
        f"two concurrent records ({len(ONLY)} cassettes, {differ} differ between the two): exit codes "
        f"{[p.returncode for p in processes]}, {seconds:.1f} s wall; corpus left: the {which} one, whole"
    )


def refused(root: Path) -> None:
    directory = root / "held"
    with RecordLock(directory):
        started = time.monotonic()
        process = plain(directory)
        _out, err = process.communicate(timeout=600)
        seconds = time.monotonic() - started
    print(f"record while another holds the lock: exit {process.returncode} after {seconds:.1f} s: {err.strip()}")


def killed(root: Path) -> None:
    directory = root / "killed"
    args = [*CLI, "--source", "fakes", "--no-progress", "--cassettes", str(directory)]
    victim = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while not list(root.glob(staging_prefix(directory) + "*")) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(3.0)  # a few cassettes into the full corpus
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    stagings = [p for p in root.glob(staging_prefix(directory) + "*") if (p / OWNER_FILE).is_file()]
    size = sum(f.stat().st_size for p in stagings for f in p.rglob("*") if f.is_file())
    started = time.monotonic()
    process = plain(directory)
    out, _err = process.communicate(timeout=600)
    seconds = time.monotonic() - started
    left = list(root.glob(staging_prefix(directory) + "*"))
    removed = [line for line in out.splitlines() if line.startswith("removed ")]
    print(
        f"killed record left {len(stagings)} staging director(ies), {size / 1e6:.1f} MB; the next record "
        f"(exit {process.returncode}, {seconds:.1f} s) printed {removed}, {len(left)} left"
    )


def main() -> None:
    with tempfile.TemporaryDirectory() as temp:
        concurrent(Path(temp))
        refused(Path(temp))
        killed(Path(temp))


if __name__ == "__main__":
    main()
