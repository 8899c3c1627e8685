"""catalog-guard: contract and regression tests, with recorded HTTP fixtures, for an LLM gateway's model catalog."""

__version__ = "0.1.0"
