"""The gateway names of the contract (docs/contract.md §1), defined once for the library, fakes and checks."""

from __future__ import annotations

PROVIDERS = (
    "openrouter", "featherless", "deepinfra", "together", "chutes", "groq",
    "fireworks", "cerebras", "xai", "nebius", "novita", "google",
)  # fmt: skip
HUGGINGFACE = "huggingface"
KNOWN = (HUGGINGFACE, *PROVIDERS)
ALL = "all"
ALIASES = {"hug": HUGGINGFACE}  # the old name must keep working (seed 003)
HUB_HOST = "huggingface.co"
HUB_URL = f"https://{HUB_HOST}"
# The reference gateway's canonical host: the fakes serve it, the gateway cassettes are recorded at it.
GATEWAY_HOST = "gateway.catalog-guard.test"
GATEWAY_URL = f"https://{GATEWAY_HOST}"
