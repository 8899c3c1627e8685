"""The JSON Schema registry: every ``schemas/**/*.json`` loaded once, validators built once, readable errors.

Why it is built this way (docs/tooling.md §4):

- Every schema file has ``"$schema"`` (2020-12) and an ``$id`` under :data:`SCHEMA_BASE_URI` that mirrors its
  path, so cross-file ``$ref``\\ s are plain relative URIs (``"model.json#default"``) and resolve without a
  file-system base. The loader refuses a file whose ``$id`` does not match its path: a copied file with a stale
  ``$id`` would otherwise silently shadow another schema.
- All files go into one immutable :class:`referencing.Registry`, crawled once. It has no ``retrieve`` callable,
  so an unknown URI is an ``Unresolvable`` error, never a network fetch.
- ``format`` is only an annotation unless a format checker is passed, and a format whose helper package is
  missing passes silently. Validators always get ``Draft202012Validator.FORMAT_CHECKER``, and building the
  first validator fails loudly if any format the schemas use (``date-time``, ``hostname``) has no checker.
- Validators are cached per absolute URI: building one costs more than validating a small instance.

Picking a schema: pass an ``$id`` or a path relative to ``schemas/`` (``"providers/groq.json"``), optionally
with a fragment. Files that describe several shapes expose them as anchors: the Hub model shapes are
``hub/model.json#default``, ``#full`` and ``#expand`` (``hub/list.json`` has the same anchors for a page);
each provider file's list item is ``providers/<name>.json#model``. The bare ``hub/model.json`` is the
shape-agnostic core (``_id`` and ``id`` required, every known key typed).

Schemas are strict where the specs are sure and open elsewhere: unknown upstream fields are allowed, and
:func:`drift` lists them so a test can *report* them instead of failing on them.
"""

from __future__ import annotations

import difflib
import functools
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from itertools import groupby, islice
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal

from jsonschema import Draft202012Validator  # type: ignore[import-untyped]
from jsonschema.exceptions import (  # type: ignore[import-untyped]
    SchemaError,
    ValidationError,
    best_match,
    relevance,
)
from referencing import Registry
from referencing.exceptions import Unresolvable
from referencing.jsonschema import DRAFT202012, Schema, SchemaRegistry, SchemaResource

if TYPE_CHECKING:
    from referencing._core import Resolved, Resolver

__all__ = [
    "DIALECT",
    "HUB_SHAPES",
    "SCHEMA_BASE_URI",
    "HubShape",
    "MissingFormatCheckerError",
    "SchemaLayoutError",
    "SchemaViolation",
    "UnknownSchemaError",
    "drift",
    "find_schemas_dir",
    "hub_list_schema",
    "hub_model_schema",
    "is_valid",
    "load_registry",
    "registry",
    "schema_ids",
    "schema_uri",
    "validate",
    "validator",
]

SCHEMA_BASE_URI: Final = "https://catalog-guard.dev/schemas/"
DIALECT: Final = "https://json-schema.org/draft/2020-12/schema"

HubShape = Literal["default", "full", "expand"]
HUB_SHAPES: Final[tuple[HubShape, ...]] = ("default", "full", "expand")

# A wheel carries the schemas inside the package (pyproject's hatch force-include); a checkout keeps them at
# the repository top level.
_PACKAGED_SCHEMAS: Final = "_schemas"
_MAX_MESSAGE: Final = 400
_MAX_DEPTH: Final = 64

PathElement = str | int
PathKey = tuple[tuple[int, int, str], ...]


class SchemaLayoutError(RuntimeError):
    """The schemas directory is missing, or a file in it is not a well-formed, correctly identified schema."""


class UnknownSchemaError(LookupError):
    """The caller named a schema (or an anchor in one) that the registry does not hold."""


class MissingFormatCheckerError(RuntimeError):
    """A ``format`` the schemas rely on has no checker, so it would silently pass (install format-nongpl)."""


class SchemaDriftWarning(UserWarning):
    """A recorded body carries a field its schema does not name (:func:`drift`).

    A warning, not an error: upstreams add fields, and an unknown field breaks nothing. It is a warning rather
    than a ``print`` so that it shows in pytest's warnings summary (also under pytest-xdist) instead of being
    swallowed by a passing test; ``pyproject.toml`` keeps it a warning with ``always::...SchemaDriftWarning``.
    """


@dataclass(frozen=True)
class SchemaViolation:
    """One readable reason an instance fails a schema.

    ``json_path`` locates the offending value (``$.data[3].id``; keys that are not identifiers are quoted, as
    in ``$['_id']``, exactly as jsonschema writes them). ``keyword`` is the failing keyword (``"false"`` for a
    ``false`` subschema), so tests can assert *why* something failed, not only that it did.
    """

    json_path: str
    message: str
    keyword: str
    schema_path: str

    def __str__(self) -> str:
        return f"{self.json_path}: {self.message}"


# --------------------------------------------------------------------------------------------------- loading


def find_schemas_dir(package_dir: Path | None = None) -> Path:
    """Find the schemas directory for the package installed at ``package_dir`` (default: this package).

    A wheel has them at ``catalog_guard/_schemas`` (looked at first, so an installed package never reads a
    stray checkout). A source checkout or editable install has them at the repository top level: walk up to the
    first directory holding ``pyproject.toml`` and use its ``schemas/``, and stop there rather than wander into
    an unrelated outer project.
    """
    here = (package_dir if package_dir is not None else Path(__file__).parent).resolve()
    packaged = here / _PACKAGED_SCHEMAS
    if packaged.is_dir():
        return packaged
    for parent in here.parents:
        if (parent / "pyproject.toml").is_file():
            candidate = parent / "schemas"
            if candidate.is_dir():
                return candidate
            break
    raise SchemaLayoutError(
        f"no schemas directory for the package at {here}: looked for {packaged} and for schemas/ next to the "
        "nearest pyproject.toml above it"
    )


def load_registry(directory: Path) -> SchemaRegistry:
    """Load every ``*.json`` under ``directory`` into one crawled, immutable registry.

    Every problem found is reported at once (not just the first), because a schema refactor usually breaks
    several files the same way.
    """
    resources: list[tuple[str, SchemaResource]] = []
    problems: list[str] = []
    for path in sorted(directory.rglob("*.json")):
        relative = path.relative_to(directory).as_posix()
        expected_id = SCHEMA_BASE_URI + relative
        try:
            contents = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            problems.append(f"{relative}: unreadable JSON ({exc})")
            continue
        if not isinstance(contents, dict):
            problems.append(f"{relative}: a schema file must hold a JSON object")
            continue
        if contents.get("$schema") != DIALECT:
            problems.append(f"{relative}: $schema must be {DIALECT!r}, not {contents.get('$schema')!r}")
        if contents.get("$id") != expected_id:
            problems.append(f"{relative}: $id must be {expected_id!r}, not {contents.get('$id')!r}")
        problem = _metaschema_problem(contents)
        if problem:
            problems.append(f"{relative}: not a valid 2020-12 schema: {problem}")
        resources.append((expected_id, DRAFT202012.create_resource(contents)))
    if problems:
        raise SchemaLayoutError(f"bad schema files in {directory}:\n  " + "\n  ".join(problems))
    if not resources:
        raise SchemaLayoutError(f"no *.json schema files under {directory}")
    empty: SchemaRegistry = Registry()
    return empty.with_resources(resources).crawl()


def _metaschema_problem(contents: Schema) -> str | None:
    """Check a schema against the 2020-12 metaschema; jsonschema-rs does it in microseconds where jsonschema's
    ``check_schema`` took most of a second for the whole directory at every start-up."""
    try:
        import jsonschema_rs
    except ImportError:  # pragma: no cover
        try:
            Draft202012Validator.check_schema(contents)
        except SchemaError as exc:
            return str(exc.message)
        return None
    try:
        jsonschema_rs.meta.validate(contents)  # type: ignore[arg-type]
    except jsonschema_rs.ValidationError as exc:
        return str(exc).splitlines()[0]
    return None


@functools.cache
def registry() -> SchemaRegistry:
    """The one registry of the package's schemas, built on first use and shared by every validator."""
    return load_registry(find_schemas_dir())


def schema_ids() -> tuple[str, ...]:
    """The ``$id`` of every schema file, sorted."""
    return tuple(sorted(uri for uri in registry() if uri.startswith(SCHEMA_BASE_URI)))


def schema_uri(schema: str) -> str:
    """The absolute URI for an ``$id`` or a ``schemas/``-relative path, both with an optional fragment.

    Raises :class:`UnknownSchemaError` for a file the registry does not hold (with the closest names, since
    the usual cause is a typo) and for foreign URIs, which are never retrieved.
    """
    if schema.startswith(SCHEMA_BASE_URI):
        uri = schema
    elif "://" in schema:
        raise UnknownSchemaError(f"{schema!r} is not a catalog-guard schema; remote schemas are never retrieved")
    else:
        uri = SCHEMA_BASE_URI + schema.removeprefix("./").lstrip("/")
    document = uri.partition("#")[0]
    known = schema_ids()
    if document not in known:
        names = [each.removeprefix(SCHEMA_BASE_URI) for each in known]
        close = difflib.get_close_matches(document.removeprefix(SCHEMA_BASE_URI), names, n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else f"; known: {', '.join(names)}"
        raise UnknownSchemaError(f"no schema {schema!r}{hint}")
    return uri


def hub_model_schema(shape: HubShape | None = None) -> str:
    """The schema for one Hub model object of ``shape`` (``None``: the shape-agnostic core)."""
    return _hub_schema("hub/model.json", shape)


def hub_list_schema(shape: HubShape | None = None) -> str:
    """The schema for one ``/api/models`` page (a bare array) whose items have ``shape``."""
    return _hub_schema("hub/list.json", shape)


def _hub_schema(document: str, shape: HubShape | None) -> str:
    if shape is None:
        return document
    if shape not in HUB_SHAPES:
        raise ValueError(f"unknown Hub shape {shape!r}; one of {', '.join(HUB_SHAPES)}")
    return f"{document}#{shape}"


# ------------------------------------------------------------------------------------------------ validators


def validator(schema: str) -> Any:
    """The cached ``Draft202012Validator`` for ``schema`` (an ``$id`` or relative path, optional fragment).

    Both spellings of one schema give the same object, so callers may use whichever reads better.
    """
    return _validator_for_uri(schema_uri(schema))


@functools.cache
def _validator_for_uri(uri: str) -> Any:
    checker = _format_checker()
    reg = registry()
    if "#" in uri:
        # A fragment (anchor or pointer) names a subschema: validate through a $ref so that relative refs
        # inside it keep resolving against its own file.
        try:
            reg.resolver().lookup(uri)
        except Unresolvable as exc:
            raise UnknownSchemaError(f"{uri!r} does not resolve to a subschema: {exc}") from exc
        contents: Schema = {"$schema": DIALECT, "$ref": uri}
    else:
        contents = reg.contents(uri)
    return Draft202012Validator(contents, registry=reg, format_checker=checker)


@functools.cache
def _format_checker() -> Any:
    """``Draft202012Validator.FORMAT_CHECKER``, after making sure every format the schemas use is checked."""
    checker = Draft202012Validator.FORMAT_CHECKER
    used: set[str] = set()
    for uri in schema_ids():
        used |= _formats_in(registry().contents(uri))
    missing = sorted(used - set(checker.checkers))
    if missing:
        raise MissingFormatCheckerError(
            f"no checker for format(s) {', '.join(missing)}: they would pass anything. "
            "Install jsonschema[format-nongpl] (date-time needs rfc3339-validator, hostname needs fqdn)."
        )
    return checker


def _formats_in(node: object) -> set[str]:
    found: set[str] = set()
    if isinstance(node, Mapping):
        if isinstance(node.get("format"), str):
            found.add(node["format"])
        for value in node.values():
            found |= _formats_in(value)
    elif isinstance(node, list):
        for value in node:
            found |= _formats_in(value)
    return found


def is_valid(instance: object, schema: str) -> bool:
    """Whether ``instance`` matches ``schema``.

    The answer comes from jsonschema-rs (about 400x faster: a contract run validates tens of thousands of model
    objects) with the very same registry; jsonschema itself is only asked to explain a failure, because its
    messages and paths are the readable ones. ``tests/test_schemas_fast.py`` holds the two to the same verdicts.
    """
    fast = _fast_validator_for_uri(schema_uri(schema))
    return bool(fast.is_valid(instance) if fast is not None else validator(schema).is_valid(instance))


@functools.cache
def _fast_validator_for_uri(uri: str) -> Any:
    try:
        import jsonschema_rs
    except ImportError:  # pragma: no cover - the dependency is declared; this only keeps a broken env usable
        return None
    _format_checker()  # same guarantee as the slow path: no format passes unchecked
    reg = registry()
    resources: list[Any] = [(resource, reg.contents(resource)) for resource in schema_ids()]
    fast_registry = jsonschema_rs.Registry(resources)
    return jsonschema_rs.validator_for({"$schema": DIALECT, "$ref": uri}, registry=fast_registry, validate_formats=True)


MAX_EXPLAINED = 200


def validate(instance: object, schema: str) -> list[SchemaViolation]:
    """Every violation of ``schema`` by ``instance``, readable, in a stable order.

    Ordered by location in the instance (``$.data[2]`` before ``$.data[10]``), and at one location the most
    relevant first, by jsonschema's ``best_match`` heuristic. An ``anyOf``/``oneOf`` failure also names its
    closest branch, since "not valid under any of the given schemas" alone does not say what to fix.
    """
    if is_valid(instance, schema):
        return []
    # At most MAX_EXPLAINED errors are explained: a 200 MB page of invalid models would otherwise build millions
    # of error objects (minutes and gigabytes) to report the first few.
    errors = sorted(islice(validator(schema).iter_errors(instance), MAX_EXPLAINED), key=_error_key)
    violations: list[SchemaViolation] = []
    for _, group in groupby(errors, key=_error_key):
        for error in sorted(group, key=relevance, reverse=True):
            violations.append(_violation(error))
    return violations


def _violation(error: Any) -> SchemaViolation:
    message = str(error.message)
    if error.validator == "not" and error.validator_value in ({}, True) and error.path:
        # `"key": {"not": {}}` is how a schema says "this key must be absent"; jsonschema's own wording
        # ("... should not be valid under {}") does not say that.
        message = f"{error.path[-1]!r} must not be present (got {error.instance!r})"
    if error.context:
        # best_match descends into an anyOf/oneOf's branches the way it is meant to (deepest, type-matching
        # error first); when no branch stands out it returns the error itself, and then every branch is named.
        closest = best_match([error])
        if closest is not error:
            where = "" if closest.json_path == error.json_path else f"{closest.json_path}: "
            message = f"{message} (closest branch: {where}{closest.message})"
        else:
            branches = "; ".join(sorted({str(each.message) for each in error.context}))
            message = f"{message} (branches: {branches})"
    keyword = "false" if error.validator is None else str(error.validator)
    return SchemaViolation(
        json_path=str(error.json_path),
        message=_shorten(message),
        keyword=keyword,
        schema_path="/".join(str(part) for part in error.schema_path),
    )


def _shorten(message: str) -> str:
    """Cut the middle out of huge messages: jsonschema embeds the whole failing instance (a 7 MB catalog)."""
    if len(message) <= _MAX_MESSAGE:
        return message
    return f"{message[: _MAX_MESSAGE // 2]} … {message[-_MAX_MESSAGE // 4 :]}"


def _error_key(error: Any) -> PathKey:
    return _path_key(tuple(error.absolute_path))


def _path_key(path: tuple[PathElement, ...]) -> PathKey:
    """Sort key for instance paths mixing indexes and keys: indexes numerically, before keys."""
    return tuple((0, part, "") if isinstance(part, int) else (1, 0, part) for part in path)


def _json_path(path: tuple[PathElement, ...]) -> str:
    # Reuse jsonschema's own rendering so drift paths and violation paths look the same.
    return str(ValidationError("", path=path).json_path)


# ---------------------------------------------------------------------------------------------------- drift


def drift(instance: object, schema: str) -> list[str]:
    """JSON paths of fields in ``instance`` that ``schema`` does not name, sorted by location.

    Only objects the schema describes with ``properties`` are inspected (a free-form object such as a Hub
    ``config`` has no unknown fields), and keys matched by ``patternProperties`` or covered by an
    ``additionalProperties`` subschema (a map such as ``pricing``) count as named. The schema is followed as
    validation follows it: through ``$ref``, ``allOf``, the ``then``/``else`` branch that applies, and the
    ``anyOf``/``oneOf`` branches the value matches. An unknown field is reported once; its contents are not.
    """
    walker = _DriftWalker(validator(schema))
    wrapper: Schema = {"$ref": schema_uri(schema)}
    walker.walk(_Frame(tuple(walker.applicable(wrapper, registry().resolver(), instance, 0))), instance, ())
    return [_json_path(path) for path in sorted(walker.found, key=_path_key)]


_Node = tuple[Mapping[str, Any], "Resolver[Schema]"]
_Subschema = tuple[object, "Resolver[Schema]"]

#: The keywords whose subschemas apply or not depending on the instance; a subschema that reaches none of them
#: through ``$ref`` and ``allOf`` applies the same nodes to every instance.
_INSTANCE_DEPENDENT: Final = ("anyOf", "oneOf", "if", "dependentSchemas")
#: The keywords that say anything about the keys or items inside a value.
_CONTENT_KEYWORDS: Final = ("properties", "patternProperties", "additionalProperties", "items", "prefixItems")
_TOO_DEEP: Final = f"schema nesting deeper than {_MAX_DEPTH} while computing drift"


@dataclass(frozen=True)
class _Static:
    """The nodes a subschema applies to any instance, and the deepest level below it that expanding them reached
    (the same depth bound holds wherever the expansion is reused)."""

    nodes: tuple[_Node, ...]
    height: int


_NOTHING: Final = _Static((), -1)


class _Step:
    """Going from a location to one key or array position: the subschemas that name it, and the frame there when
    those apply the same nodes whatever the value (``None``: expanded per value, through an ``anyOf`` or an
    ``if``). ``closed``: that frame names nothing inside the value, so the walk need not go in."""

    __slots__ = ("closed", "frame", "subschemas")

    def __init__(self, subschemas: tuple[_Subschema, ...], frame: _Frame | None) -> None:
        self.subschemas = subschemas
        self.frame = frame
        self.closed = frame is not None and not frame.opens


class _Frame:
    """The schema nodes that apply at one location, and the steps from there, worked out once per key and array
    position. A frame reached through instance-independent subschemas is shared by every location it describes
    (the 50,000 items of a listing, each item's ``tags``), so a listing costs one lookup per key, not one per
    item (drift of every shipped body: 7-12 s before, 0.5 s; docs/benchmarks.md)."""

    __slots__ = ("described", "keys", "nodes", "opens", "positions", "prefix")

    def __init__(self, nodes: tuple[_Node, ...]) -> None:
        self.nodes = nodes
        self.described = any("properties" in node for node, _ in nodes)
        # Without these keywords no key below is named, nor unknown: nothing below can be reported.
        self.opens = any(keyword in node for node, _ in nodes for keyword in _CONTENT_KEYWORDS)
        self.prefix = max((len(node.get("prefixItems", ())) for node, _ in nodes), default=0)
        self.keys: dict[str, _Step] = {}
        self.positions: dict[int, _Step] = {}  # an index below ``prefix``, or -1 for every later one


class _DriftWalker:
    """One drift() call: walks instance and schema together, collecting the paths of unnamed fields.

    The nodes a subschema applies depend on the instance only through ``anyOf``/``oneOf``/``if``/
    ``dependentSchemas``; every other subschema is expanded once per call (:meth:`static`), and the frames built
    from such expansions carry their own per-key lookups. ``tests/test_schemas_drift.py`` holds the result to a
    plain walk that keeps nothing (``tests/plain_drift.py``), on the shipped corpus and on generated instances.
    """

    def __init__(self, schema_validator: Any) -> None:
        self.validator = schema_validator
        self.found: set[tuple[PathElement, ...]] = set()
        # A `$ref` node always resolves to the same target (a node belongs to one document), and a catalog
        # repeats the same item `$ref` thousands of times: resolve each once per call.
        self._resolved: dict[int, Resolved[Schema]] = {}
        # Keyed by identity; each value keeps its node and resolver alive so that an id is never reused.
        self._statics: dict[tuple[int, int], tuple[object, Resolver[Schema], _Static | None]] = {}

    def _resolve(self, node: Mapping[str, Any], resolver: Resolver[Schema], ref: str) -> Resolved[Schema]:
        resolved = self._resolved.get(id(node))
        if resolved is None:
            resolved = self._resolved[id(node)] = resolver.lookup(ref)
        return resolved

    def applicable(
        self, node: object, resolver: Resolver[Schema], instance: object, depth: int
    ) -> tuple[_Node, ...] | list[_Node]:
        """Every object subschema that applies to ``instance`` at this location, with its resolver."""
        if not isinstance(node, Mapping):
            return ()  # true / false schemas name nothing
        static = self.static(node, resolver)
        if static is not None:
            if depth + static.height > _MAX_DEPTH:
                raise RecursionError(_TOO_DEEP)
            return static.nodes
        if depth > _MAX_DEPTH:
            raise RecursionError(_TOO_DEEP)
        if "$id" in node:
            resolver = resolver.in_subresource(DRAFT202012.create_resource(node))
        found: list[_Node] = [(node, resolver)]
        ref = node.get("$ref")
        if isinstance(ref, str):
            resolved = self._resolve(node, resolver, ref)
            found += self.applicable(resolved.contents, resolved.resolver, instance, depth + 1)
        for sub in node.get("allOf", ()):
            found += self.applicable(sub, resolver, instance, depth + 1)
        for keyword in ("anyOf", "oneOf"):
            branches = node.get(keyword, ())
            matching = [b for b in branches if self._matches(instance, b, resolver)] or branches
            for sub in matching:
                found += self.applicable(sub, resolver, instance, depth + 1)
        if "if" in node:
            branch = "then" if self._matches(instance, node["if"], resolver) else "else"
            if branch in node:
                found += self.applicable(node[branch], resolver, instance, depth + 1)
        if isinstance(instance, Mapping):
            for key, sub in node.get("dependentSchemas", {}).items():
                if key in instance:
                    found += self.applicable(sub, resolver, instance, depth + 1)
        return found

    def static(self, node: object, resolver: Resolver[Schema]) -> _Static | None:
        """What ``node`` applies to any instance, or ``None`` when that depends on the instance; once per call."""
        if not isinstance(node, Mapping):
            return _NOTHING
        key = (id(node), id(resolver))
        cached = self._statics.get(key)
        if cached is None:
            cached = self._statics[key] = (node, resolver, self._expand_static(node, resolver, 0))
        return cached[2]

    def _expand_static(self, node: Mapping[str, Any], resolver: Resolver[Schema], depth: int) -> _Static | None:
        # The order and the depth bound of applicable(), for the keywords that do not look at the instance.
        if depth > _MAX_DEPTH:
            raise RecursionError(_TOO_DEEP)
        if any(keyword in node for keyword in _INSTANCE_DEPENDENT):
            return None
        if "$id" in node:
            resolver = resolver.in_subresource(DRAFT202012.create_resource(node))
        below: list[_Subschema] = []
        ref = node.get("$ref")
        if isinstance(ref, str):
            resolved = self._resolve(node, resolver, ref)
            below.append((resolved.contents, resolved.resolver))
        below += [(sub, resolver) for sub in node.get("allOf", ())]
        nodes: list[_Node] = [(node, resolver)]
        height = depth
        for sub, sub_resolver in below:
            if not isinstance(sub, Mapping):
                continue
            expanded = self._expand_static(sub, sub_resolver, depth + 1)
            if expanded is None:
                return None
            nodes += expanded.nodes
            height = max(height, expanded.height)
        return _Static(tuple(nodes), height)

    def _matches(self, instance: object, subschema: object, resolver: Resolver[Schema]) -> bool:
        # ``descend`` is the validator API keywords use to check a subschema with an explicit resolver.
        errors = self.validator.descend(instance, subschema, resolver=resolver)
        return next(iter(errors), None) is None

    def walk(self, frame: _Frame, instance: object, path: tuple[PathElement, ...]) -> None:
        if isinstance(instance, Mapping):
            for key, value in instance.items():
                step = frame.keys.get(key)
                if step is None:
                    step = frame.keys[key] = self._step(list(self._subschemas_for_key(frame.nodes, key)))
                if frame.described and not step.subschemas:
                    self.found.add((*path, key))
                elif not step.closed:
                    self._descend(step, value, (*path, key))
        elif isinstance(instance, list):
            for index, item in enumerate(instance):
                position = index if index < frame.prefix else -1
                step = frame.positions.get(position)
                if step is None:
                    step = frame.positions[position] = self._step(
                        [(self._item_schema(node, index), resolver) for node, resolver in frame.nodes]
                    )
                if not step.closed:
                    self._descend(step, item, (*path, index))

    def _step(self, subschemas: list[_Subschema]) -> _Step:
        nodes: list[_Node] = []
        for sub, resolver in subschemas:
            static = self.static(sub, resolver)
            if static is None:
                return _Step(tuple(subschemas), None)
            nodes += static.nodes
        return _Step(tuple(subschemas), _Frame(tuple(nodes)))

    def _descend(self, step: _Step, value: object, path: tuple[PathElement, ...]) -> None:
        frame = step.frame
        if frame is None:
            frame = _Frame(tuple(node for sub, r in step.subschemas for node in self.applicable(sub, r, value, 0)))
        if frame.opens:
            self.walk(frame, value, path)

    @staticmethod
    def _item_schema(node: Mapping[str, Any], index: int) -> object:
        prefix = node.get("prefixItems", ())
        return prefix[index] if index < len(prefix) else node.get("items")

    @staticmethod
    def _subschemas_for_key(nodes: tuple[_Node, ...], key: str) -> Iterator[_Subschema]:
        """The subschemas that name ``key`` (none means the key is unknown to the schema)."""
        for node, resolver in nodes:
            named_here = False
            properties = node.get("properties", {})
            if key in properties:
                yield properties[key], resolver
                named_here = True
            for pattern, sub in node.get("patternProperties", {}).items():
                if re.search(pattern, key):
                    yield sub, resolver
                    named_here = True
            extra = node.get("additionalProperties")
            if not named_here and isinstance(extra, Mapping):
                yield extra, resolver
