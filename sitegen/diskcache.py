"""A content-addressed cache on disk, shared by every build on this machine.

It keeps what is slow to make and depends only on its inputs' bytes: compiled Jinja templates
(Jinja keys them on the template's source) and the generated cover (keyed here on title,
author, fonts and this module's version). Entries are never trusted by name alone, so a stale
entry cannot be served; a cache that cannot be written to is simply not used. It lives in
`$SITEGEN_CACHE`, else `$XDG_CACHE_HOME/sitegen`, else `~/.cache/sitegen`.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable
from functools import cache
from pathlib import Path

from jinja2 import BytecodeCache, FileSystemBytecodeCache

from . import __version__


@cache
def cache_dir() -> Path | None:
    """The cache folder, created if need be; None where it cannot be written."""
    if explicit := os.environ.get("SITEGEN_CACHE"):
        folder = Path(explicit)
    elif xdg := os.environ.get("XDG_CACHE_HOME"):
        folder = Path(xdg) / "sitegen"
    else:
        folder = Path.home() / ".cache" / "sitegen"
    folder = folder / __version__
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder):
            pass
    except OSError:
        return None
    return folder


def template_cache() -> BytecodeCache | None:
    folder = cache_dir()
    if folder is None:
        return None
    (folder / "templates").mkdir(exist_ok=True)
    return FileSystemBytecodeCache(str(folder / "templates"))


def remembered(kind: str, key: bytes, make: Callable[[], bytes]) -> bytes:
    """`make()`, or the bytes it gave before for the same `kind` and `key`."""
    folder = cache_dir()
    if folder is None:
        return make()
    path = folder / kind / hashlib.sha256(key).hexdigest()
    try:
        return path.read_bytes()
    except OSError:
        pass
    data = make()
    try:
        path.parent.mkdir(exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as staged:
            staged.write(data)
        os.replace(staged.name, path)
    except OSError:
        pass
    return data
