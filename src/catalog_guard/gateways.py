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
STRATEGIES = ("cursor", "sort-union", "single")  # the Hub fetcher's strategies, the correct one first
