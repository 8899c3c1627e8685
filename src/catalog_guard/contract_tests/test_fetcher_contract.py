"""``FetcherContract`` against ``--catalog-guard-fetcher module:function``."""

from catalog_guard.contract import FetcherContract


class TestFetcherContract(FetcherContract):
    optional = True
