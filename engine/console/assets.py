"""The console's static files, addressed by a hash of their content.

Every file lives under ``/assets/<build>/...`` where ``build`` is a hash over the whole static
tree: the ES modules import each other by relative paths, so one hash for the tree keeps
those imports working while any change to any file gives every URL a new name. Browsers may
then keep the files for a year (``immutable``); only the small page shell is revalidated.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

__all__ = ["STATIC", "build_id", "ONE_YEAR"]

STATIC = Path(__file__).with_name("static")
ONE_YEAR = 365 * 24 * 3600


@lru_cache(maxsize=None)
def build_id(root: Path = STATIC) -> str:
    """A short hash of every static file's relative name and content (computed once per process)."""
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:12]
