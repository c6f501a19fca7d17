"""All-or-nothing writes: a new ``data/`` and a run's outputs are built aside and swapped in.

* :func:`staged_data`: ``curate``, ``ingest``, ``fetch`` and ``run --refresh`` write into a
  copy of ``data/`` in ``<root>/.data-staging-*/data``; when they succeed the copy replaces
  ``data/`` in one step (``renameat2(RENAME_EXCHANGE)``: readers see the old folder or the new
  one, never a mix); when they fail or are killed, ``data/`` is untouched.
* :func:`publish`: a run publishes ``report/``, ``figures/`` and ``build/executed/`` together.
  A journal (``build/publish-journal.json``) lists each folder's new and previous inode before
  the first swap and is removed after the last; a run that dies in between leaves the journal,
  and the next start (:func:`recover`) puts every previous folder back. So the published
  outputs are always those of one run.
* :func:`recover`: run by every writing command once it holds the lock; rolls back an
  interrupted publish and removes what a dead run left behind (staging folders, ``.*-old-*``
  folders of older versions, temporary files, Chromium profiles of dead processes), and says so.

``UNGA_BRIEF_STOP_AT=<point>`` kills the process (SIGKILL) at a named point (:func:`stop_point`),
and ``UNGA_BRIEF_PAUSE_AT=<point>`` makes it wait there for a signal, so that tests can check
each of the states above.
"""

from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import errno
import json
import os
import re
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from unga_brief.core.errors import UngaBriefError
from unga_brief.core.paths import Paths, write_atomic

STOP_ENV = "UNGA_BRIEF_STOP_AT"
PAUSE_ENV = "UNGA_BRIEF_PAUSE_AT"
DATA_STAGING_PREFIX = ".data-staging-"
RUN_STAGING_PREFIX = "staging-"
JOURNAL_NAME = "publish-journal.json"
CHROMIUM_TMP_PREFIX = "unga-brief-chromium-"
#: Temporary files of :func:`unga_brief.core.paths.write_atomic` and of the PDF print.
_TEMP_FILE = re.compile(r"^\..+\.[A-Za-z0-9_]{6,}\.tmp(\.pdf)?$")

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def stop_point(name: str) -> None:
    """Test hook: die here, as a kill -9 would, when ``UNGA_BRIEF_STOP_AT`` names this point;
    wait here for a signal when ``UNGA_BRIEF_PAUSE_AT`` does (saying so on stderr)."""
    if os.environ.get(STOP_ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)
    if os.environ.get(PAUSE_ENV) == name:
        print(f"paused at {name}", file=sys.stderr, flush=True)
        time.sleep(600)


def _load_renameat2():
    try:
        fn = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return None
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    fn.restype = ctypes.c_int
    return fn


_renameat2 = _load_renameat2()


def exchange(a: Path, b: Path) -> bool:
    """Swap two existing paths in one step (Linux ``renameat2``); False where the system or the
    file system cannot (the caller then falls back to two renames)."""
    if _renameat2 is None:
        return False
    if _renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP, errno.ENOTSUP):
        return False
    raise OSError(err, os.strerror(err), str(a), None, str(b))


def _ino(p: Path) -> int | None:
    try:
        return os.lstat(p).st_ino
    except FileNotFoundError:
        return None


def _fsync_tree(folder: Path) -> None:
    """Flush a freshly written tree to disk before it replaces the live one."""
    for dirpath, _dirs, files in os.walk(folder):
        for name in files:
            fd = os.open(os.path.join(dirpath, name), os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        fd = os.open(dirpath, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _copy_tree(src: Path, dst: Path) -> None:
    """Copy a folder (symlinks as links); the first failure is raised as the OSError it is,
    naming its file (``shutil.copytree`` gathers them into one list)."""
    dst.mkdir()
    shutil.copystat(src, dst)
    for entry in os.scandir(src):
        target = dst / entry.name
        if entry.is_symlink():
            os.symlink(os.readlink(entry.path), target)
        elif entry.is_dir():
            _copy_tree(Path(entry.path), target)
        else:
            shutil.copy2(entry.path, target)


def _same_tree(a: Path, b: Path) -> bool:
    def files(root: Path) -> dict[str, Path]:
        return {str(p.relative_to(root)): p for p in root.rglob("*") if p.is_file()}

    fa, fb = files(a), files(b)
    return fa.keys() == fb.keys() and all(fa[k].read_bytes() == fb[k].read_bytes() for k in fa)


def _renamed_in_message(exc: BaseException, staged: Path, live: Path) -> None:
    """Errors raised while working on the staging copy name the live ``data/`` files."""
    s, lv = str(staged), str(live)
    if isinstance(exc, OSError):
        for attr in ("filename", "filename2"):
            v = getattr(exc, attr, None)
            if isinstance(v, str) and s in v:
                setattr(exc, attr, v.replace(s, lv))
    elif isinstance(exc, UngaBriefError):
        exc.args = tuple(a.replace(s, lv) if isinstance(a, str) else a for a in exc.args)


def _is_staged(paths: Paths) -> bool:
    d = paths.data_dir
    return d is not None and d.parent.name.startswith(DATA_STAGING_PREFIX)


@contextlib.contextmanager
def staged_data(paths: Paths) -> Iterator[Paths]:
    """Yield ``paths`` with ``data`` pointing at a staging copy of ``data/``; when the block ends
    without error the copy replaces ``data/`` in one step (nothing happens if no byte changed).
    An error or a kill inside the block leaves ``data/`` as it was. Re-entrant: inside another
    ``staged_data`` block it yields ``paths`` unchanged. Call it holding the project lock."""
    if _is_staged(paths):
        yield paths
        return
    live = paths.data
    paths.root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=DATA_STAGING_PREFIX, dir=paths.root))
    new = staging / "data"
    try:
        try:
            if live.is_dir():
                _copy_tree(live, new)
            else:
                new.mkdir()
            yield dataclasses.replace(paths, data_dir=new)
        except BaseException as e:
            _renamed_in_message(e, new, live)
            raise
        stop_point("data-staged")
        if live.is_dir() and _same_tree(live, new):
            return
        _fsync_tree(new)
        if not live.exists():
            os.rename(new, live)
        elif not exchange(new, live):
            # Two renames: a kill between them leaves data/ missing and the previous folder in
            # staging as data.old, which recover() puts back.
            os.rename(live, staging / "data.old")
            stop_point("data-between-renames")
            os.rename(new, live)
        stop_point("data-swapped")
    finally:
        shutil.rmtree(staging, ignore_errors=True)


# --- publishing a run's outputs ---------------------------------------------------------------


def journal_path(paths: Paths) -> Path:
    return paths.build / JOURNAL_NAME


def publish(paths: Paths, moves: list[tuple[Path, Path]]) -> None:
    """Move each complete staged folder onto its target (``(staged, target)`` pairs), all or
    none: on any error the previous targets are put back; after a kill, :func:`recover` does.
    The previous folders end up inside the staging tree, which the caller removes."""
    entries = [
        {
            "target": str(target),
            "staged": str(staged),
            "aside": str(staged.with_name(staged.name + ".old")),
            "new_ino": _ino(staged),
            "old_ino": _ino(target),
        }
        for staged, target in moves
    ]
    for staged, _target in moves:
        _fsync_tree(staged)
    journal = journal_path(paths)
    write_atomic(journal, (json.dumps({"targets": entries}, indent=1) + "\n").encode())
    stop_point("publish-journal")
    try:
        for e in entries:
            staged, target, aside = Path(e["staged"]), Path(e["target"]), Path(e["aside"])
            target.parent.mkdir(parents=True, exist_ok=True)
            if e["old_ino"] is None:
                os.rename(staged, target)
            elif not exchange(staged, target):
                os.rename(target, aside)
                stop_point(f"publish-{target.name}-between-renames")
                os.rename(staged, target)
            stop_point(f"publish-{target.name}")
    except BaseException:
        roll_back(journal)
        raise
    journal.unlink()  # the commit point: from here on the new outputs stand
    stop_point("publish-committed")


def roll_back(journal: Path) -> list[str]:
    """Put back every previous folder an interrupted :func:`publish` had swapped out; return the
    targets restored. The new folders go back to the staging tree (removed afterwards)."""
    entries = json.loads(journal.read_text(encoding="utf-8"))["targets"]
    restored = []
    for e in reversed(entries):
        target, staged, aside = Path(e["target"]), Path(e["staged"]), Path(e["aside"])
        old_ino, new_ino = e["old_ino"], e["new_ino"]
        free = [p for p in (staged, aside) if _ino(p) is None]
        if old_ino is None:
            if _ino(target) == new_ino and free:
                os.rename(target, free[0])
                restored.append(f"{target} (removed: it did not exist before)")
            continue
        where = next((p for p in (target, staged, aside) if _ino(p) == old_ino), None)
        if where is None or where == target:
            continue
        if _ino(target) is not None:
            os.rename(target, free[0])
        os.rename(where, target)
        restored.append(str(target))
    journal.unlink()
    return restored


# --- leftovers of a dead run --------------------------------------------------------------------


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def chromium_profile_prefix() -> str:
    """Prefix of this process's temporary Chromium folders (the pid tells a dead owner)."""
    return f"{CHROMIUM_TMP_PREFIX}{os.getpid()}-"


def _rel(paths: Paths, p: Path) -> str:
    try:
        return str(p.relative_to(paths.root))
    except ValueError:
        return str(p)


def recover(paths: Paths) -> list[str]:
    """Undo or remove what a dead command left behind; return one phrase per action. Call it
    holding the project lock (no live command of this project then owns any of it)."""
    done: list[str] = []
    journal = journal_path(paths)
    if journal.is_file():
        restored = roll_back(journal)
        done.append(
            "an interrupted publish was rolled back ("
            + (", ".join(_rel(paths, Path(t)) for t in restored) or "nothing had moved yet")
            + " as before)"
        )
    if paths.build.is_dir():
        for d in sorted(paths.build.glob(f"{RUN_STAGING_PREFIX}*")):
            if d.is_dir():
                shutil.rmtree(d, ignore_errors=True)
                done.append(f"removed {_rel(paths, d)}/ (outputs of an unfinished run)")
    if paths.root.is_dir():
        for d in sorted(paths.root.glob(f"{DATA_STAGING_PREFIX}*")):
            old = d / "data.old"
            if old.is_dir() and not paths.data.exists():
                os.rename(old, paths.data)
                done.append(f"restored data/ from {_rel(paths, old)} (a swap cut short)")
            shutil.rmtree(d, ignore_errors=True)
            done.append(f"removed {_rel(paths, d)}/ (an unfinished data update)")
    # Folders set aside by earlier versions of the publish step.
    for target in (paths.report, paths.figures, paths.build / "executed"):
        parent = target.parent
        if not parent.is_dir():
            continue
        for old in sorted(parent.glob(f".{target.name}-old-*")):
            if not target.exists():
                os.rename(old, target)
                done.append(f"restored {_rel(paths, target)}/ from {_rel(paths, old)}")
            else:
                shutil.rmtree(old, ignore_errors=True)
                done.append(f"removed {_rel(paths, old)}/")
    for folder in (paths.data, paths.report, paths.figures):
        if folder.is_dir():
            for p in folder.rglob(".*"):
                if p.is_file() and _TEMP_FILE.match(p.name):
                    p.unlink(missing_ok=True)
                    done.append(f"removed temporary file {_rel(paths, p)}")
    tmp = Path(tempfile.gettempdir())
    for d in tmp.glob(f"{CHROMIUM_TMP_PREFIX}*-*"):
        pid = d.name[len(CHROMIUM_TMP_PREFIX) :].split("-", 1)[0]
        if d.is_dir() and pid.isdigit() and not _pid_alive(int(pid)):
            shutil.rmtree(d, ignore_errors=True)
            done.append(f"removed {d}/ (Chromium profile of a dead run)")
    return done
