"""The project lock: one command at a time writes ``data/`` or publishes (DESIGN §6).

``run`` (``--refresh`` included), ``curate``, ``ingest`` and ``fetch`` each hold
:func:`project_lock` for their whole length, so a run never reads a ``data/`` that an ingest
is changing and two ingests never interleave. A second command waits up to ``wait`` seconds
(``--wait`` or ``UNGA_BRIEF_LOCK_WAIT``; default 0) and then fails with exit 5 naming who
holds the lock. The lock is an ``flock`` on ``<root>/.unga-brief.lock``: the kernel releases
it when its holder dies, however it dies, so a killed run never blocks the next one.

Only the command entries take it (``run`` in :func:`unga_brief.pipeline.run`): the library
functions they call (``ingest``, ``fetch``, ``run_curate``) do not, so ``run --refresh`` holds it
once for its fetches, ingests and notebooks.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Iterator
from pathlib import Path

from unga_brief.core.clock import utc_now
from unga_brief.core.errors import LockedError, one_line
from unga_brief.core.paths import Paths

LOCK_FILE = ".unga-brief.lock"
WAIT_ENV = "UNGA_BRIEF_LOCK_WAIT"
_POLL_S = 0.2


def lock_path(paths: Paths) -> Path:
    return paths.root / LOCK_FILE


def default_wait() -> float:
    """Seconds to wait for the lock: ``UNGA_BRIEF_LOCK_WAIT`` or 0 (fail at once)."""
    value = os.environ.get(WAIT_ENV, "").strip()
    try:
        return max(0.0, float(value)) if value else 0.0
    except ValueError:
        return 0.0


def _holder(f) -> str:
    """What the holder wrote into the lock file (its command, pid and start time)."""
    try:
        f.seek(0)
        text = f.read(200)
    except OSError:
        return ""
    return one_line(text, 120)


@contextlib.contextmanager
def project_lock(paths: Paths, command: str, *, wait: float | None = None) -> Iterator[Path]:
    """Hold the project lock for ``command`` (run, curate, ingest, fetch); raise
    :class:`LockedError` (exit 5) when another process still holds it after ``wait`` seconds."""
    path = lock_path(paths).resolve()
    wait = default_wait() if wait is None else max(0.0, wait)
    paths.root.mkdir(parents=True, exist_ok=True)
    f = open(path, "a+", encoding="utf-8")  # noqa: SIM115 (held until the block ends)
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    who = _holder(f)
                    waited = f" after waiting {wait:g} s" if wait else ""
                    raise LockedError(
                        f"another unga-brief run holds {path}"
                        + (f" ({who})" if who else "")
                        + f"{waited}; try again when it ends"
                    ) from None
                time.sleep(_POLL_S)
        now = utc_now()
        f.seek(0)
        f.truncate()
        f.write(f"unga-brief {command}, pid {os.getpid()}, since {now}\n")
        f.flush()
        yield path
    finally:
        f.close()  # releases the flock
