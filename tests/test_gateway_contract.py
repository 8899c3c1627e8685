"""GatewayContract's wiring for an in-process app: upstreams served to it, a failed lifespan quoted, a deployment
serving fewer gateways judged on those with one finding naming the rest."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from catalog_guard import checks
from catalog_guard.contract import ContractConfig, GatewayTarget, LifespanError, ObservePlan, serve_upstreams
from catalog_guard.gateways import KNOWN
from catalog_guard.observe import observe
from catalog_guard.truth import recorded_context

fastapi = pytest.importorskip("fastapi", reason="pip install 'catalog-guard[clients]'")
EXAMPLE = Path(__file__).resolve().parent.parent / "docs" / "examples" / "fastapi_gateway"


@pytest.fixture(scope="module")
def example() -> Iterator[Any]:
    sys.path.insert(0, str(EXAMPLE))
    try:
        import gateway

        yield gateway
    finally:
        sys.path.remove(str(EXAMPLE))
        sys.modules.pop("gateway", None)


def test_a_gateway_serving_some_gateways_gets_one_finding_listing_the_others(example: Any) -> None:
    target = GatewayTarget(app=example.app)
    with serve_upstreams(), target.client() as client:
        seen = observe(client, target.base_url, ObservePlan(), sleep=target.sleep())
    results = checks.run_checks(seen, recorded_context(ContractConfig()))
    failed = {result.name: result.violations for result in results if not result.passed}
    assert list(failed) == ["known-gateways"], {name: [v.message for v in vs] for name, vs in failed.items()}
    (finding,) = failed["known-gateways"]
    unserved = [name for name in KNOWN if name not in example.GATEWAYS]
    assert finding.evidence["unserved"].keys() == set(unserved)
    assert finding.message.startswith(f"serves {len(example.GATEWAYS)} of the {len(KNOWN)} gateways asked for")
    assert f"plan = ObservePlan(gateways={tuple(example.GATEWAYS)!r})" in finding.message


def test_the_catalog_guard_upstreams_fixture_serves_the_recorded_hub(catalog_guard_upstreams: Any) -> None:
    import requests

    response = requests.get("https://huggingface.co/api/models", timeout=5)
    assert response.status_code == 200
    assert catalog_guard_upstreams.exchanges[-1].url == "https://huggingface.co/api/models"


def test_a_failed_lifespan_is_reported_with_the_apps_traceback() -> None:
    @asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[None]:
        raise RuntimeError("the catalog database is unreachable")
        yield

    app = fastapi.FastAPI(lifespan=lifespan)
    with pytest.raises(LifespanError) as raised, GatewayTarget(app=app).client():
        pass
    message = str(raised.value)
    assert message.startswith("the ASGI app's lifespan startup failed, so nothing could be observed; the app said:")
    assert "Traceback" in message
    assert "RuntimeError: the catalog database is unreachable" in message


def test_a_raw_asgi_app_raising_at_startup_is_quoted_too() -> None:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await receive()
        raise ValueError("no config file")

    with pytest.raises(LifespanError, match="ValueError: no config file"), GatewayTarget(app=app).client():
        pass


def test_an_app_without_lifespan_support_still_starts() -> None:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            raise NotImplementedError(scope["type"])
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    with GatewayTarget(app=app).client() as client:
        assert client.get("http://gateway.catalog-guard.test/").status_code == 204


def test_a_check_that_passes_on_an_observation_without_a_catalog_page_fails_as_not_judged() -> None:
    """A gateway down everywhere is judged (known-gateways fails with its finding), and the checks it passes had
    nothing to check: each fails saying so, never passes. One catalog page is enough to pass again."""
    import httpx

    from catalog_guard.contract import GatewayContract

    def down(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503, json={"error": "upstreams unavailable"})

    plan = ObservePlan(gateways=("groq",), include_all=False, include_unique=False)
    target = GatewayTarget(handler=down)
    with target.client() as client:
        seen = observe(client, target.base_url, plan, sleep=target.sleep())
    context = recorded_context(ContractConfig())
    contract = GatewayContract()
    with pytest.raises(pytest.fail.Exception, match=r"\[known-gateways\] serves 0 of the 1 gateways"):
        contract._check("known-gateways", seen, context)
    with pytest.raises(pytest.fail.Exception, match="not judged: no catalog page came back, so schema had nothing"):
        contract._check("schema", seen, context)

    def empty(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"data": [], "total": 0, "returned": 0, "offset": 0, "has_more": False})

    target = GatewayTarget(handler=empty)
    with target.client() as client:
        contract._check("schema", observe(client, target.base_url, plan, sleep=target.sleep()), context)
