"""The example gateway's contract tests: every check of the endpoint, and every scenario of its Hub fetcher.

Run from this directory: ``pytest -q`` (catalog-guard's suite runs it too: tests/test_examples.py).
"""

from __future__ import annotations

import gateway

from catalog_guard.contract import FetcherContract, GatewayContract, GatewayTarget, ObservePlan


class TestModelsEndpoint(GatewayContract):
    target = GatewayTarget(app=gateway.app)  # in-process, with its lifespan
    upstreams = "recorded"  # its calls to huggingface.co and openrouter.ai get the recorded catalogs
    plan = ObservePlan(gateways=gateway.GATEWAYS)  # judged on the gateways it serves


class TestHubFetcher(FetcherContract):
    fetcher = staticmethod(gateway.fetch_hub_models)
