"""Rewrite the recorded corpus's history store (``cassettes/gateway/history.verdicts``), cassettes untouched.

Run: ``python scripts/history_store.py [CASSETTES_DIR]`` after a change to the checks (or to the gallery's
expectations, or to the historical deployments) that ``tests/test_history_store.py`` reports: the historical
deployments are replayed and judged again and the store is written atomically, under the corpus's record lock.
``catalog-guard record`` does the same whenever it re-records one of the store's inputs. Review the diff.
"""

from __future__ import annotations

import sys

from catalog_guard.recorder import rewrite_history_store

if __name__ == "__main__":
    print(f"rewrote {rewrite_history_store(sys.argv[1] if len(sys.argv) > 1 else None)}")
