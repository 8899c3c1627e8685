"""``constraints.txt`` (the last known-green versions, ``scripts/lock_constraints.py``) stays inside the ranges that
``pyproject.toml`` declares and pins every declared dependency, so ``tox -e pinned`` installs what it says.

CI installs the newest versions the ranges allow; this keeps the other half of the decision (a reproducible pinned
run) from rotting when a range moves without the lock being regenerated.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent


def declared() -> list[Requirement]:
    """The dependencies and the ``test`` extra, with the extras it names of catalog-guard itself expanded."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    found, todo, seen = [Requirement(text) for text in project["dependencies"]], ["test"], set()
    while todo:
        extra = todo.pop()
        seen.add(extra)
        for requirement in map(Requirement, extras[extra]):
            if canonicalize_name(requirement.name) == canonicalize_name(project["name"]):
                todo += [name for name in requirement.extras if name not in seen]
            else:
                found.append(requirement)
    return found


def pins(text: str) -> dict[str, Version]:
    found = {}
    for line in text.splitlines():
        name, sep, version = line.partition("==")
        if sep and not line.startswith("#"):
            found[canonicalize_name(name)] = Version(version)
    return found


def problems(requirements: list[Requirement], locked: dict[str, Version]) -> list[str]:
    """Why ``locked`` would not install ``requirements`` as declared (``[]``: it would)."""
    found = []
    for requirement in requirements:
        if requirement.marker is not None and not requirement.marker.evaluate():
            continue
        version = locked.get(canonicalize_name(requirement.name))
        if version is None:
            found.append(f"{requirement.name} is declared but not pinned")
        elif not requirement.specifier.contains(version, prereleases=True):
            found.append(f"{requirement.name}=={version} is outside the declared {requirement}")
    return found


def test_the_lock_pins_every_declared_dependency_inside_its_range() -> None:
    locked = pins((ROOT / "constraints.txt").read_text())
    assert len(locked) >= len(declared())
    assert problems(declared(), locked) == []


def test_a_pin_outside_its_range_or_missing_is_named() -> None:
    locked = pins((ROOT / "constraints.txt").read_text())
    locked[canonicalize_name("httpx")] = Version("1.0.0")
    del locked[canonicalize_name("vcrpy")]
    assert problems(declared(), locked) == [
        "httpx==1.0.0 is outside the declared httpx<1,>=0.28",
        "vcrpy is declared but not pinned",
    ]
