"""Options for the pytest sessions the suite starts in a subprocess (``pytester.runpytest_subprocess``).

Every pytest process of this venv loads every installed plugin, and two of them cost more to start than the small
projects these sessions run: anyio's (it imports anyio) and Hypothesis's (it imports Hypothesis), each
assertion-rewritten at every start when bytecode is not written (``PYTHONDONTWRITEBYTECODE``, as on the project's
machine): about 1.4 s of CPU per process against 0.4 s without them, and an ``-n 2`` session is three processes.
A session that uses neither leaves them out; what it tests (syrupy, xdist, catalog-guard's own plugin and
contract classes) is unaffected.
"""

from __future__ import annotations

WITHOUT_UNUSED_PLUGINS = ("-p", "no:anyio", "-p", "no:hypothesispytest")
