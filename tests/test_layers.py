"""The package's layers import in one direction only (docs/architecture.md, "Layers").

Each module of ``src/catalog_guard`` belongs to one layer; a module may import from its own layer and the layers
below, never from a layer above. The imports are read with :mod:`ast` (every ``import`` and ``from ... import``,
including those inside functions), so nothing is executed.

:data:`KNOWN_UPWARD` lists the upward imports that exist today and are scheduled to go (each with the move that
removes it). The test is a ratchet: a new upward import fails, and so does an entry that no longer exists, so the
list only ever shrinks.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "catalog_guard"

#: Lowest first. A module not named here fails the test: a new module must be given its place.
LAYERS: tuple[tuple[str, frozenset[str]], ...] = (
    (
        "foundation",
        frozenset({
            "catalog_guard", "errors", "retry", "gateways", "records", "netguard", "progress", "schemas", "target",
            "universe", "skew", "redaction", "record_lock", "chains", "worker_cache", "limits", "bounded", "history",
            "cassettes", "cassettes.compare", "cassettes.errors", "cassettes.format", "cassettes.persister",
            "cassettes.provenance", "cassettes.replay", "cassettes.scrub",
        }),
    ),
    ("paging", frozenset({"paging"})),
    ("clients", frozenset({"hub", "providers", "gateway_client", "merge"})),
    ("observation", frozenset({"observe", "latency"})),
    # the corpus package, in the order of its own imports: location < files < manifest < replay (and __init__)
    ("corpus", frozenset({"corpus", "corpus.location", "corpus.files", "corpus.manifest", "corpus.replay"})),
    ("checks", frozenset({"checks"})),
    (
        "simulation",
        frozenset({
            "fakes", "fakes.transport", "fakes.hub", "fakes.providers", "fakes.gateway", "fakes.mounted", "fakes.echo",
            "fakes.hostile", "regressions",
            "fakes.interception", "fakes.sleeps",
            "fakes.clock",
        }),
    ),
    ("scenarios", frozenset({"fetcher_checks", "gallery", "truth", "diagnosis"})),
    (
        "applications",
        frozenset({"audit", "report", "gallery_run", "serve", "recorder", "contract", "fakes.upstreams"}),
    ),
    (
        "interfaces",
        frozenset({"cli", "plugin", "contract_tests", "contract_tests.test_fetcher_contract",
                   "contract_tests.test_gateway_contract"}),
    ),
)  # fmt: skip

#: Upward imports that exist today, each with what removes it. Empty since issue 13's corpus work: a new upward
#: import is a failure, not an entry here.
KNOWN_UPWARD: dict[tuple[str, str], str] = {}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts) or "catalog_guard"


def _is_module(name: str) -> bool:
    base = PACKAGE.joinpath(*name.split("."))
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def _imports(path: Path) -> set[str]:
    """The package modules ``path`` imports, as names relative to ``catalog_guard`` (the package itself is
    ``catalog_guard``)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            continue
        for name in names:
            if name != "catalog_guard" and not name.startswith("catalog_guard."):
                continue
            relative = name.removeprefix("catalog_guard").lstrip(".")
            while relative and not _is_module(relative):  # ``from catalog_guard.x import Name``: the module is x
                relative = relative.rpartition(".")[0]
            found.add(relative or "catalog_guard")
    return found


Layers = tuple[tuple[str, frozenset[str]], ...]


def _layer_of(layers: Layers = LAYERS) -> dict[str, int]:
    return {module: rank for rank, (_name, modules) in enumerate(layers) for module in modules}


def _upward_imports(layers: Layers = LAYERS) -> dict[tuple[str, str], str]:
    layer = _layer_of(layers)
    upward = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        module = _module_name(path)
        for imported in _imports(path):
            if imported != module and layer[imported] > layer[module]:
                upward[(module, imported)] = f"{layers[layer[module]][0]} -> {layers[layer[imported]][0]}"
    return upward


def test_every_module_has_a_layer() -> None:
    modules = {_module_name(path) for path in PACKAGE.rglob("*.py")}
    assert modules - set(_layer_of()) == set(), "give each new module its layer in LAYERS (and docs/architecture.md)"
    assert set(_layer_of()) - modules == set(), "LAYERS names a module that no longer exists"


def test_no_module_imports_a_higher_layer() -> None:
    upward = _upward_imports()
    new = {edge: layers for edge, layers in upward.items() if edge not in KNOWN_UPWARD}
    assert new == {}, f"these modules import a higher layer (move the code down, or the import up): {new}"


def test_known_upward_imports_still_exist() -> None:
    gone = set(KNOWN_UPWARD) - set(_upward_imports())
    assert gone == set(), f"remove these from KNOWN_UPWARD, they are fixed: {sorted(gone)}"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from catalog_guard.fakes.hub import FakeHub\n", {"fakes.hub"}),
        ("from catalog_guard import corpus, gallery\n", {"corpus", "gallery"}),
        ("from catalog_guard import __version__\n", {"catalog_guard"}),
        ("def f():\n    import catalog_guard.checks\n", {"checks"}),
        ("import httpx\nfrom . import nothing\n", set()),
    ],
)
def test_imports_are_read_the_way_python_resolves_them(source: str, expected: set[str], tmp_path: Path) -> None:
    """The reader itself can fail: a name imported from a module counts as that module, lazy imports count."""
    path = tmp_path / "module.py"
    path.write_text(source, encoding="utf-8")
    assert _imports(path) == expected


def test_an_upward_import_is_reported() -> None:
    """The failing case: with ``checks`` put below ``observe``, its import of observe is an upward one."""
    names = [name for name, _modules in LAYERS]
    swapped = list(LAYERS)
    low, high = names.index("observation"), names.index("checks")
    swapped[low], swapped[high] = swapped[high], swapped[low]
    assert _upward_imports(tuple(swapped))[("checks", "observe")] == "checks -> observation"


#: The corpus package's own order, lowest first: the package's ``__init__`` re-exports them all.
CORPUS_ORDER = ("corpus.location", "corpus.files", "corpus.manifest", "corpus.replay", "corpus")


def test_the_corpus_modules_import_in_one_direction() -> None:
    for rank, module in enumerate(CORPUS_ORDER):
        base = PACKAGE.joinpath(*module.split("."))
        path = base / "__init__.py" if base.is_dir() else base.with_suffix(".py")
        later = set(CORPUS_ORDER[rank + 1 :])
        assert _imports(path) & later == set(), f"{module} imports a later corpus module"
