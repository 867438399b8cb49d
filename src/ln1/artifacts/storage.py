"""Where artifact bytes live: a folder under the data directory (local by default).

Keys are built from ids (``<company_id>/<artifact_id>.<ext>``), so no user-supplied text
ever becomes part of a path.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path


class LocalStorage:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root.resolve()):
            raise ValueError(f"storage key escapes the storage folder: {key!r}")
        return path

    def temp_path(self, key: str) -> Path:
        """Where to write before :meth:`commit`; same folder, so the rename is atomic."""
        final = self.path(key)
        final.parent.mkdir(parents=True, exist_ok=True)
        return final.with_name(final.name + ".part")

    def promote(self, key: str) -> None:
        """Move the written temp file into place (its size and hash are already known)."""
        final = self.path(key)
        os.replace(final.with_name(final.name + ".part"), final)

    def discard(self, key: str) -> None:
        final = self.path(key)
        final.with_name(final.name + ".part").unlink(missing_ok=True)

    def commit(self, key: str) -> tuple[int, str]:
        """Move the written temp file into place; returns its size and sha256."""
        final = self.path(key)
        temp = final.with_name(final.name + ".part")
        digest = hashlib.sha256()
        with temp.open("rb") as f:
            while block := f.read(1 << 20):
                digest.update(block)
        size = temp.stat().st_size
        os.replace(temp, final)
        return size, digest.hexdigest()
