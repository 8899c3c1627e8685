"""Fake upstreams: the Hub, the providers and a gateway, as httpx handlers."""
