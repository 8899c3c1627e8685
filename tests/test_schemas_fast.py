"""The fast validator (jsonschema-rs) and the explaining one (jsonschema) give the same verdicts."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from catalog_guard import schemas
from catalog_guard import universe as u
from catalog_guard.fakes.gateway import current_state, render_hub_model


def slow_valid(instance: Any, schema: str) -> bool:
    return bool(schemas.validator(schema).is_valid(instance))


def gateway_page() -> dict[str, Any]:
    rows = current_state().catalog("huggingface")[:50]
    return {
        "object": "list",
        "data": rows,
        "total": 50,
        "returned": 50,
        "offset": 0,
        "limit": 100,
        "gateway": "huggingface",
        "has_more": False,
        "next_offset": None,
        "note": None,
        "timestamp": "2025-10-17T00:00:00Z",
    }


def broken_pages() -> list[dict[str, Any]]:
    pages = []
    for mutate in (
        lambda p: p["data"][3].update(id=""),
        lambda p: p["data"][7].pop("id"),
        lambda p: p.update(total="50"),
        lambda p: p.update(has_more=True, next_offset=None),
        lambda p: p["data"][1].update(context_length=-4),
    ):
        page = copy.deepcopy(gateway_page())
        mutate(page)
        pages.append(page)
    return pages


@pytest.mark.parametrize("index", range(5))
def test_both_validators_reject_the_same_broken_pages(index: int) -> None:
    page = broken_pages()[index]
    assert not schemas.is_valid(page, "gateway/models-response.json")
    assert not slow_valid(page, "gateway/models-response.json")
    assert schemas.validate(page, "gateway/models-response.json"), "a rejected page must come with a reason"


def test_both_validators_accept_real_pages_and_hub_models() -> None:
    page = gateway_page()
    assert schemas.is_valid(page, "gateway/models-response.json")
    assert slow_valid(page, "gateway/models-response.json")
    hub = [m for m in u.hub_order(u.build().hub_models)[:200]]
    full = schemas.hub_list_schema("full")
    assert schemas.is_valid(hub, full) == slow_valid(hub, full) is True
    rendered = [render_hub_model(m) for m in hub[:20]]
    assert all(schemas.is_valid(r, "gateway/model.json") for r in rendered)


def test_formats_are_checked_by_the_fast_path_too() -> None:
    model = dict(u.hub_order(u.build().hub_models)[0])
    model["lastModified"] = "yesterday"
    full = schemas.hub_model_schema("full")
    assert not slow_valid(model, full)
    assert not schemas.is_valid(model, full)
