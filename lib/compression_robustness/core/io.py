"""Safe writes for concurrent runs: atomic replacement through uniquely named temporary
files, writes that leave an unchanged file untouched, and inter-process file locks.

Two first runs of the same chapter may start at once (two notebooks, two terminals, two
workers of a sweep). Every write here goes to a temporary file with a unique name in the
target's folder and is then renamed over the target, so a reader never sees half a file
and two writers never share a temporary. :func:`file_lock` serialises the work that must
happen once (training a checkpoint, computing a cell, consolidating a table): the second
process waits for the first and then finds its result.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

log = logging.getLogger(__name__)

#: folder (beside the locked file) that holds the lock files; git-ignored
LOCK_DIR = ".locks"


def atomic_write(path: Path, write: Callable[[Path], None]) -> Path:
    """Call ``write(tmp)`` on a uniquely named temporary file beside ``path``, then rename
    it over ``path`` (atomic on POSIX). The temporary is removed if ``write`` fails."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        write(tmp)
        os.chmod(tmp, 0o644)
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def write_bytes_if_changed(path: Path, data: bytes) -> bool:
    """Write ``data`` atomically unless ``path`` already holds exactly these bytes (so a
    run that changes nothing rewrites nothing); returns whether it wrote."""
    path = Path(path)
    if path.is_file() and path.read_bytes() == data:
        return False
    atomic_write(path, lambda tmp: tmp.write_bytes(data))
    return True


def write_text_if_changed(path: Path, text: str) -> bool:
    return write_bytes_if_changed(path, text.encode())


def lock_path(path: Path) -> Path:
    path = Path(path)
    return path.parent / LOCK_DIR / f"{path.name}.lock"


@contextlib.contextmanager
def file_lock(path: Path, what: str | None = None, poll: float = 0.5) -> Iterator[None]:
    """Hold an exclusive inter-process lock on ``path`` (a lock file under ``.locks/``
    beside it). A second process blocks until the first releases it, and logs once that it
    waits. The lock goes with the process: a killed holder frees it."""
    lp = lock_path(path)
    lp.parent.mkdir(parents=True, exist_ok=True)
    with open(lp, "a") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log.warning("waiting for another process working on %s", what or path)
            t0 = time.monotonic()
            fcntl.flock(fh, fcntl.LOCK_EX)
            log.warning("%s is free after %.0f s", what or path, time.monotonic() - t0)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
