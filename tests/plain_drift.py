"""``schemas.drift`` the straightforward way, as the oracle tests/test_schemas_drift.py holds the real one to and
the baseline scripts/bench_corpus_checks.py measures it against: each location's applicable nodes worked out from
scratch, nothing kept from one location to the next (what drift() did before it reused them)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from referencing.jsonschema import DRAFT202012

from catalog_guard import schemas


def plain_drift(instance: object, schema: str) -> list[str]:
    """drift() as the straightforward walk: each location's applicable nodes found from scratch, nothing kept."""
    checker = schemas.validator(schema)
    found: set[tuple[str | int, ...]] = set()

    def matches(value: object, subschema: object, resolver: Any) -> bool:
        return next(iter(checker.descend(value, subschema, resolver=resolver)), None) is None

    def applicable(node: object, resolver: Any, value: object, depth: int) -> list[tuple[Mapping[str, Any], Any]]:
        if not isinstance(node, Mapping):
            return []
        if depth > 64:
            raise RecursionError("schema nesting too deep")
        if "$id" in node:
            resolver = resolver.in_subresource(DRAFT202012.create_resource(node))
        nodes = [(node, resolver)]
        if isinstance(node.get("$ref"), str):
            resolved = resolver.lookup(node["$ref"])
            nodes += applicable(resolved.contents, resolved.resolver, value, depth + 1)
        for sub in node.get("allOf", ()):
            nodes += applicable(sub, resolver, value, depth + 1)
        for keyword in ("anyOf", "oneOf"):
            branches = node.get(keyword, [])
            for sub in [b for b in branches if matches(value, b, resolver)] or branches:
                nodes += applicable(sub, resolver, value, depth + 1)
        if "if" in node:
            branch = "then" if matches(value, node["if"], resolver) else "else"
            nodes += applicable(node.get(branch), resolver, value, depth + 1)
        if isinstance(value, Mapping):
            for key, sub in node.get("dependentSchemas", {}).items():
                if key in value:
                    nodes += applicable(sub, resolver, value, depth + 1)
        return nodes

    def naming(nodes: list[tuple[Mapping[str, Any], Any]], key: str) -> Iterator[tuple[object, Any]]:
        for node, resolver in nodes:
            named = [node["properties"][key]] if key in node.get("properties", {}) else []
            named += [sub for pattern, sub in node.get("patternProperties", {}).items() if re.search(pattern, key)]
            if not named and isinstance(node.get("additionalProperties"), Mapping):
                named = [node["additionalProperties"]]
            yield from ((sub, resolver) for sub in named)

    def walk(nodes: list[tuple[Mapping[str, Any], Any]], value: object, path: tuple[str | int, ...]) -> None:
        if isinstance(value, Mapping):
            described = any("properties" in node for node, _ in nodes)
            for key, child in value.items():
                subschemas = list(naming(nodes, key))
                if described and not subschemas:
                    found.add((*path, key))
                    continue
                walk([n for sub, r in subschemas for n in applicable(sub, r, child, 0)], child, (*path, key))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                below = []
                for node, resolver in nodes:
                    prefix = node.get("prefixItems", [])
                    below += applicable(prefix[index] if index < len(prefix) else node.get("items"), resolver, item, 0)
                walk(below, item, (*path, index))

    walk(applicable({"$ref": schemas.schema_uri(schema)}, schemas.registry().resolver(), instance, 0), instance, ())
    return [schemas._json_path(path) for path in sorted(found, key=schemas._path_key)]
