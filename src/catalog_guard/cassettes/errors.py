"""The one error the cassette layer raises on purpose.

A cassette that cannot be trusted (missing in replay, corrupt, truncated, partly unplayed) must stop the run with
a message that names the file and says how to fix it; vcrpy's own answer to a file it cannot decode is to log a
warning and record over it (#501), which is exactly what a regression suite must never do.
"""

from __future__ import annotations

from catalog_guard.errors import CatalogGuardError


class CassetteError(CatalogGuardError):
    """A cassette file is missing, unreadable, or was not used the way it was recorded.

    Deliberately *not* a subclass of vcrpy's ``CassetteDecodeError``: vcrpy swallows that one and treats the file as
    empty, after which a recording run would overwrite it.
    """

    def __init__(self, message: str, *, path: str = "") -> None:
        super().__init__(message)
        self.path = path
