"""``FetcherContract`` against ``--fetcher module:function``."""

from catalog_guard.contract import FetcherContract


class TestFetcherContract(FetcherContract):
    optional = True
