"""Mutation testing of the modules whose job is to fail exactly when a promise is broken.

For each module below, mutmut (https://github.com/boxed/mutmut) flips one thing at a time (``<`` to ``<=``, a
number by one, a string, an argument dropped) and runs the tests that cover the mutated function; a mutant the
tests do not notice "survives". The script prints, per module, the mutation score and every survivor as a
one-line diff, and exits 1 if a survivor is not listed as equivalent in ``scripts/mutation_equivalents.json``.

Why mutmut and not a hand-written mutator: it is maintained, understands this src layout, runs only the tests that
cover each mutant (its trampolines record coverage once), and forks per mutant, so a module's run takes minutes.
What it does not do: run under pytest-xdist (it parallelises itself with ``--max-children``) or mutate several
modules with different test selections in one run; hence one isolated copy of the checkout per module, made in a
temporary directory so the work tree never holds a ``mutants/`` folder.

    python scripts/mutation.py                    # every module (minutes per module)
    python scripts/mutation.py checks merge       # some modules
    tox -e mutation                               # the same, in its own environment

Not part of .ci/run: docs/mutation-testing.md records the current scores and the equivalent mutants.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EQUIVALENTS = Path(__file__).with_name("mutation_equivalents.json")

# module -> (the file mutated, the tests that judge it)
MODULES: dict[str, tuple[str, tuple[str, ...]]] = {
    "checks": ("src/catalog_guard/checks.py", ("tests/test_checks.py", "tests/test_check_boundaries.py")),
    "fetcher_checks": (
        "src/catalog_guard/fetcher_checks.py",
        ("tests/test_fetcher_contract.py", "tests/test_fetcher_judge.py"),
    ),
    "paging": ("src/catalog_guard/paging.py", ("tests/test_paging.py",)),
    "merge": ("src/catalog_guard/merge.py", ("tests/test_merge.py",)),
    # the recorder tests drive the scrubber end to end but take minutes; the format tests judge it in seconds
    "scrub": ("src/catalog_guard/cassettes/scrub.py", ("tests/test_cassette_format.py",)),
}
KILLED = {"killed", "timeout", "segfault", "suspicious"}  # mutmut's statuses for "the tests noticed"
RUN_TIMEOUT = 3600.0  # one module's whole run; a hung run is reported, never waited on forever


class MutationRunError(Exception):
    """mutmut could not judge a module: the script exits 2 instead of printing a score."""


@dataclass
class Score:
    module: str
    statuses: dict[str, str] = field(default_factory=dict)  # mutant name -> mutmut status
    diffs: dict[str, str] = field(default_factory=dict)  # survivor name -> "function: -old +new"
    equivalent: dict[str, str] = field(default_factory=dict)  # survivor name -> why it is equivalent
    seconds: float = 0.0

    @property
    def killed(self) -> int:
        return sum(status in KILLED for status in self.statuses.values())

    @property
    def survivors(self) -> list[str]:
        return sorted(n for n, s in self.statuses.items() if s not in KILLED and n not in self.equivalent)

    @property
    def judged(self) -> int:
        return len(self.statuses) - len(self.equivalent)

    def line(self) -> str:
        percent = 100.0 * self.killed / self.judged if self.judged else 100.0
        return (
            f"{self.module:<15} {self.killed:>4} killed of {self.judged:>4} non-equivalent mutants "
            f"({percent:5.1f}%), {len(self.equivalent)} equivalent, {len(self.survivors)} surviving, "
            f"{self.seconds:.0f} s"
        )


def copy_checkout(destination: Path) -> None:
    """The tracked and untracked-but-not-ignored files: what a fresh clone plus the work in progress holds."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
        timeout=60,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():
            target = destination / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)


def configure(checkout: Path, target: str, tests: tuple[str, ...]) -> None:
    pyproject = checkout / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text()
        + "\n[tool.mutmut]\n"
        + 'source_paths = ["src"]\n'
        + f"only_mutate = [{json.dumps(target)}]\n"
        + 'also_copy = ["cassettes", "schemas", "src", "scripts"]\n'
        # mutmut lists the tests with --collect-only, which leaves every snapshot unused: syrupy would fail it
        + 'pytest_add_cli_args = ["-p", "no:xdist", "-p", "no:cacheprovider", "-q", "-x", "--snapshot-warn-unused"]\n'
        + f"pytest_add_cli_args_test_selection = {json.dumps(list(tests))}\n"
    )


def mutmut(checkout: Path, *args: str, timeout: float = 120.0) -> str:
    return subprocess.run(
        [sys.executable, "-m", "mutmut", *args],
        cwd=checkout,
        capture_output=True,
        text=True,
        timeout=timeout,
    ).stdout


# One process for every diff: ``mutmut show`` costs a start-up (about a second) per mutant, minutes per module.
SHOW_DIFFS = """
import json, sys
from mutmut.mutation.diff_apply import get_diff_for_mutant
path, names = sys.argv[1], json.loads(sys.stdin.read())
print(json.dumps({name: get_diff_for_mutant(name, path=path) for name in names}))
"""


def one_line(name: str, diff: str) -> str:
    """``function: -old +new`` of a unified diff: the key of scripts/mutation_equivalents.json."""
    lines = diff.splitlines()
    removed = [line[1:].strip() for line in lines if line.startswith("-") and not line.startswith("---")]
    added = [line[1:].strip() for line in lines if line.startswith("+") and not line.startswith("+++")]
    function = re.sub(r"^x(ǁ|_)|__mutmut_\d+$", "", name.rsplit(".", 1)[-1]).replace("ǁ", ".")
    return f"{function}: -{' '.join(removed)} +{' '.join(added)}"


def diffs_of(checkout: Path, target: str, names: list[str]) -> dict[str, str]:
    shown = subprocess.run(
        [sys.executable, "-c", SHOW_DIFFS, target],
        cwd=checkout,
        input=json.dumps(names),
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    ).stdout
    return {name: one_line(name, diff) for name, diff in json.loads(shown).items()}


def rejudge_survivors(checkout: Path) -> None:
    """In a kept copy, forget the verdicts tests added since could change: survivors (exit 0) and mutants no
    test reached (33). mutmut itself keeps every verdict of an unchanged function, even against new tests."""
    for meta in (checkout / "mutants").rglob("*.meta"):
        data = json.loads(meta.read_text())
        codes = data.get("exit_code_by_key", {})
        data["exit_code_by_key"] = {name: None if code in (0, 33) else code for name, code in codes.items()}
        meta.write_text(json.dumps(data, indent=4))


@contextlib.contextmanager
def checkout_for(module: str, keep: Path | None) -> Iterator[Path]:
    """A throwaway copy, or with ``keep`` a copy kept in ``keep/module`` between runs: mutmut then re-judges
    only changed functions, survivors and unreached mutants (fast while writing tests; a recorded score comes
    from a fresh run, without ``--keep``)."""
    if keep is None:
        with tempfile.TemporaryDirectory(prefix=f"catalog-guard-mutation-{module}-") as tmp:
            yield Path(tmp)
        return
    checkout = keep.resolve() / module
    checkout.mkdir(parents=True, exist_ok=True)
    rejudge_survivors(checkout)
    yield checkout


def run_module(module: str, children: int, equivalents: dict[str, dict[str, str]], keep: Path | None = None) -> Score:
    target, tests = MODULES[module]
    score = Score(module)
    started = time.monotonic()
    with checkout_for(module, keep) as checkout:
        copy_checkout(checkout)
        configure(checkout, target, tests)
        run = subprocess.run(
            [sys.executable, "-m", "mutmut", "run", "--max-children", str(children)],
            cwd=checkout,
            capture_output=True,
            text=True,
            timeout=RUN_TIMEOUT,
            check=False,
        )
        for line in mutmut(checkout, "results", "--all", "true").splitlines():
            name, _, status = line.strip().rpartition(": ")
            if name:
                score.statuses[name] = status
        if run.returncode != 0 or not score.statuses:
            # no mutants judged is no score: never report 100% of nothing (e.g. mutmut missing, a broken copy)
            last = (run.stderr or run.stdout).strip().splitlines()[-1:] or ["no output"]
            raise MutationRunError(f"{module}: mutmut judged no mutants (exit {run.returncode}): {last[0]}")
        known = equivalents.get(module, {})
        score.diffs = diffs_of(checkout, target, [n for n, s in score.statuses.items() if s not in KILLED])
        score.equivalent = {name: known[diff] for name, diff in score.diffs.items() if diff in known}
    score.seconds = time.monotonic() - started
    return score


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", help=f"default: all of {', '.join(MODULES)}")
    parser.add_argument("--max-children", type=int, default=2)
    parser.add_argument("--json", type=Path, help="also write the scores and survivors to this file")
    parser.add_argument(
        "--keep", type=Path, help="keep each module's copy in this folder and re-judge only what may have changed"
    )
    args = parser.parse_args(argv)
    unknown = sorted(set(args.modules) - set(MODULES))
    if unknown:
        parser.error(f"unknown module(s) {', '.join(unknown)}; choose from {', '.join(MODULES)}")
    equivalents: dict[str, dict[str, str]] = json.loads(EQUIVALENTS.read_text()) if EQUIVALENTS.exists() else {}
    scores = []
    for module in args.modules or list(MODULES):
        try:
            score = run_module(module, args.max_children, equivalents, args.keep)
        except (MutationRunError, subprocess.TimeoutExpired) as error:
            print(f"mutation: not judged: {error}", file=sys.stderr)
            return 2
        scores.append(score)
        print(score.line(), flush=True)
        for name in score.survivors:
            print(f"    survived  {score.diffs[name]}   [{name}]", flush=True)
    if args.json:
        args.json.write_text(
            json.dumps(
                [
                    {
                        "module": s.module,
                        "mutants": len(s.statuses),
                        "killed": s.killed,
                        "equivalent": len(s.equivalent),
                        "survivors": [s.diffs[n] for n in s.survivors],
                        "seconds": round(s.seconds),
                    }
                    for s in scores
                ],
                indent=2,
            )
        )
    return 1 if any(score.survivors for score in scores) else 0


if __name__ == "__main__":
    sys.exit(main())
