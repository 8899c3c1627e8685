"""``schemas.drift`` reuses what it worked out (the nodes a subschema applies, the subschemas naming a key) from one
location to the next; here it is held to a plain walk that works everything out afresh at every location, on the
shipped corpus's bodies (synthesized from the project's fakes) and on generated instances, with unknown fields
planted at every depth. A cache shared where it must not be (an ``anyOf``/``if`` branch reused for a value it
does not match, one item's lookups given to another) reports different paths here.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from catalog_guard import corpus, schemas
from plain_drift import plain_drift

SHIPPED = corpus.find_cassettes_dir(environ={})
# Every schema a shipped body is judged by: the Hub and provider recordings, and one day of the gateway's history
# (the other gateway recordings are the same pages, longer; the walk's reuse depends on shapes, not sizes).
RECORDINGS = [
    *(name for name in corpus.MANIFEST if not name.startswith("gateway/")),
    "gateway/history/2025-10-18-seed-003",
]
ITEMS_KEPT = 25


def planted(value: Any, rng: random.Random) -> Any:
    """``value`` with unknown keys added to about half of its objects, at every depth, some holding known names
    (their contents must not be reported), and lists cut to their first items."""
    if isinstance(value, list):
        return [planted(item, rng) for item in value[:ITEMS_KEPT]]
    if not isinstance(value, dict):
        return value
    result = {key: planted(item, rng) for key, item in value.items()}
    if rng.random() < 0.5:
        result[f"planted_{rng.randrange(3)}"] = {"id": "x", "data": [{"id": 1}]}
    return result


def corpus_bodies() -> Iterator[tuple[str, str, Any]]:
    for name in RECORDINGS:
        for interaction in corpus.read_cassette(corpus.cassette_path(name, SHIPPED)).interactions:
            schema = corpus.body_schema(interaction.method, interaction.uri, interaction.status)
            if schema is not None:
                yield name, schema, interaction.parsed


def test_drift_is_the_plain_walks_on_the_corpus_with_planted_fields() -> None:
    rng = random.Random(12)
    reported = 0
    for name, schema, body in corpus_bodies():
        instance = planted(body, rng)
        fast = schemas.drift(instance, schema)
        assert fast == plain_drift(instance, schema), f"{name}: {schema}"
        reported += len(fast)
    assert reported > 100  # the planted fields are found, so an empty answer from both could not pass


# --------------------------------------------------------------------------------------------- generated


def _named_in(node: object) -> Iterator[str]:
    if isinstance(node, Mapping):
        yield from (node.get("properties") or {})
        for value in node.values():
            yield from _named_in(value)
    elif isinstance(node, list):
        for value in node:
            yield from _named_in(value)


def _anchors_in(node: object) -> Iterator[str]:
    if isinstance(node, Mapping):
        if isinstance(node.get("$anchor"), str):
            yield node["$anchor"]
        for value in node.values():
            yield from _anchors_in(value)
    elif isinstance(node, list):
        for value in node:
            yield from _anchors_in(value)


DOCUMENTS = schemas.schema_ids()
SCHEMA_NAMES = sorted(
    [*DOCUMENTS, *(f"{uri}#{anchor}" for uri in DOCUMENTS for anchor in _anchors_in(schemas.registry().contents(uri)))]
)
KEYS = sorted({key for uri in DOCUMENTS for key in _named_in(schemas.registry().contents(uri))} | {"planted", "zz"})
SCALARS = st.none() | st.booleans() | st.integers(-2, 3) | st.sampled_from(["", "list", "model", "text", "live"])
JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(KEYS), inner, max_size=6),
    max_leaves=40,
)


@given(schema=st.sampled_from(SCHEMA_NAMES), instance=JSON)
def test_drift_is_the_plain_walks_on_generated_instances(schema: str, instance: Any) -> None:
    assert schemas.drift(instance, schema) == plain_drift(instance, schema)


@pytest.mark.parametrize("schema", ["providers/xai.json", "providers/deepinfra.json", "gateway/error.json"])
def test_a_branch_picked_per_item_is_not_reused_for_the_next(schema: str) -> None:
    """Items that take different ``if``/``anyOf`` branches in one body: what one branch names is not another's."""
    rows: list[Any] = [{"id": "a", "object": "model", "zz": 1}, {"id": "b", "input_modalities": [], "zz": 2}]
    for instance in ({"models": rows}, {"data": rows}, rows, {"error": {"message": "m", "zz": 1}, "zz": 2}):
        assert schemas.drift(instance, schema) == plain_drift(instance, schema)
