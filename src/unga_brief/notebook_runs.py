"""The run's notebooks executed: papermill on the run's kernels (:mod:`unga_brief.kernels`), the
briefing first so that its HTML and PDF are made while the others run; a failed notebook kept
under ``build/failed/`` with its traceback; children stopped on the way out.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path

from unga_brief.core.errors import RenderError, first_line
from unga_brief.core.paths import Paths

#: The notebooks, in reading order. Each only needs the validated data, so they run in parallel.
NOTEBOOKS = ["00_data", "01_vote_tables", "02_abstention", "03_us_posture", "04_briefing"]
BRIEFING = "04_briefing"
#: ``unga-brief run --jobs``: kernels asked for (at most one per CPU, :func:`kernel_workers`).
DEFAULT_JOBS = 4
#: CRITICAL, not ERROR: on shutdown jupyter_client always interrupts the kernel (SIGINT) first;
#: when that lands while the kernel is still inside a message handler, ipykernel logs
#: "KeyboardInterrupt caught in kernel." at ERROR level (kernelbase.dispatch_shell), a spurious
#: line in a successful run. Cell errors and dead kernels still reach us through nbclient.
#: The history in memory, as nbclient sets it for the kernels it starts: the run's cells do not
#: go into the user's IPython history (~/.ipython/.../history.sqlite grew with every run),
#: and a kernel shuts down without waiting for its history to be written.
KERNEL_ARGUMENTS = ("--IPKernelApp.log_level=CRITICAL", "--HistoryManager.hist_file=:memory:")
#: Failed runs whose executed notebooks are kept under build/failed/ (older ones are removed).
KEEP_FAILED = 10


# --- notebooks ----------------------------------------------------------------------------------


@contextlib.contextmanager
def kernel_env(paths: Paths):
    """Kernels inherit the environment: point them at this run's project root and sources."""
    saved = {k: os.environ.get(k) for k in ("UNGA_BRIEF_ROOT", "UNGA_BRIEF_SOURCES")}
    os.environ["UNGA_BRIEF_ROOT"] = str(paths.root)
    os.environ["UNGA_BRIEF_SOURCES"] = str(paths.sources)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


class _InjectedOnPurpose(logging.Filter):
    """papermill warns of a parameter the notebook's cell does not define: ``cache_dir`` (the
    run's shared frames, :mod:`unga_brief.report.run_cache`) is injected on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != "Passed unknown parameter: cache_dir"


_INJECTED = _InjectedOnPurpose()


def execute_notebook(
    paths: Paths, name: str, out_dir: Path, parameters: dict, km: object | None = None
) -> Path:
    """Run one notebook with papermill into ``out_dir``; raise RenderError naming it on failure.
    ``km``: the kernel manager of a running kernel to run it in (:mod:`unga_brief.kernels`);
    without it papermill starts (and stops) a kernel of its own."""
    import papermill as pm

    logging.getLogger("papermill").addFilter(_INJECTED)  # once: addFilter ignores repeats

    src = paths.notebooks / f"{name}.ipynb"
    if not src.exists():
        raise RenderError(f"notebook {src} not found")
    dst = out_dir / f"{name}.ipynb"
    try:
        pm.execute_notebook(
            str(src),
            str(dst),
            parameters=parameters,
            kernel_name="python3",
            progress_bar=False,
            cwd=str(paths.notebooks),
            log_output=False,
            # Written once, when it ends (with its traceback if a cell fails), not after every
            # cell: papermill's per-cell saves re-serialise and re-validate the whole notebook
            # (the briefing's charts included) about sixty times per run.
            request_save_on_cell_execute=False,
            extra_arguments=list(KERNEL_ARGUMENTS),
            **({"km": km} if km is not None else {}),
        )
    except pm.PapermillExecutionError as e:
        raise RenderError(
            f"notebook {name} failed in cell {e.exec_count}: {e.ename}: {first_line(e.evalue)}"
        ) from None
    except Exception as e:  # kernel died, timeout, bad notebook JSON
        raise RenderError(f"notebook {name} failed: {type(e).__name__}: {first_line(e)}") from None
    return dst


#: The loggers of papermill and of the Jupyter clients (nbclient's and jupyter_client's log
#: through traitlets'): they report a kernel that dies, with a traceback when it cannot be
#: shut down.
JUPYTER_LOGGERS = ("traitlets", "papermill")


def stop_children() -> None:
    """Stop every process this one started (notebook kernels, Chromium): on SIGTERM or Ctrl-C
    the run must not leave them behind, nor wait for them. The Jupyter loggers are silenced
    first: the kernels' deaths are the stop itself, and the run says so in its one line."""
    import psutil

    for name in JUPYTER_LOGGERS:
        logging.getLogger(name).setLevel(logging.CRITICAL + 1)

    try:
        children = psutil.Process().children(recursive=True)
    except psutil.Error:
        return
    for c in children:
        with contextlib.suppress(psutil.Error):
            c.terminate()
    _gone, alive = psutil.wait_procs(children, timeout=3)
    for c in alive:
        with contextlib.suppress(psutil.Error):
            c.kill()


def skip_unused_iri_grammar() -> None:
    """Spare this process an import that costs about 1.2 s of CPU and serves nothing here.

    nbformat (for papermill and nbconvert) imports jsonschema, which imports the optional
    ``rfc3987_syntax`` when it is installed (JupyterLab's jupyter-events pulls it in): that
    module compiles a Lark grammar at import, for jsonschema's ``iri`` format check, which no
    notebook schema uses (nbformat's schemas have no ``format`` keyword). Marking it absent in
    ``sys.modules`` makes that import raise ImportError, which jsonschema expects and handles.
    Only this process, only before jsonschema is imported; kernels and the other commands
    are not affected."""
    if "jsonschema" not in sys.modules:
        sys.modules.setdefault("rfc3987_syntax", None)


def kernel_workers(jobs: int) -> int:
    """Kernels to start: ``jobs`` at most, one per usable CPU at most, one per notebook at most."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cpus = os.cpu_count() or 1
    return max(1, min(jobs, cpus, len(NOTEBOOKS)))


def start_kernels(paths: Paths, jobs: int):
    """The run's kernels (:class:`unga_brief.kernels.KernelPool`; they start, in the
    background, on ``.start()`` or when a ``with`` block is entered)."""
    from unga_brief.kernels import KernelPool

    return KernelPool(kernel_workers(jobs), cwd=paths.notebooks, extra_arguments=KERNEL_ARGUMENTS)


def run_notebooks(
    paths: Paths,
    executed: Path,
    parameters: dict,
    progress: Callable[[str], None],
    pool,
    finished: Callable[[str], None] = lambda _name: None,
) -> None:
    """Every notebook (they only read the validated data/ and the shared frames), each in the
    first free kernel of ``pool`` (the run's :class:`~unga_brief.kernels.KernelPool`, which
    the run stops on Ctrl-C or SIGTERM); ``finished(name)`` is called (in this thread) as each
    one ends, while the others run; the first failure stops those not yet started and is
    raised.

    The briefing goes first (its HTML and PDF are made while the others run); the analysis
    notebooks follow from the last to the first, so that the quickest, ``00_data``, ends the
    run's notebooks. Their shared charts are already drawn by the
    run's analysis pass: each notebook copies them (:func:`run_cache.save_chart`)."""
    order = [BRIEFING, *reversed([n for n in NOTEBOOKS if n != BRIEFING])]
    t = time.perf_counter()
    cwd = os.getcwd()  # papermill's chdir from parallel threads can leave another one set
    try:
        pool.run(
            order,
            lambda name, km: execute_notebook(paths, name, executed, parameters, km=km),
            done=lambda name: (
                progress(f"[2/4] notebooks: {name} done ({time.perf_counter() - t:.1f} s)"),
                finished(name),
            ),
        )
    finally:
        os.chdir(cwd)


def keep_failed(paths: Paths, executed: Path) -> Path | None:
    """Move a failed run's executed notebooks to ``build/failed/<UTC time>/``; keep the latest
    :data:`KEEP_FAILED` such folders. None when there is nothing to keep or it cannot be moved."""
    if not executed.is_dir() or not any(executed.glob("*.ipynb")):
        return None
    root = paths.build / "failed"
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    dest, n = root / stamp, 1
    while dest.exists():
        n += 1
        dest = root / f"{stamp}-{n}"
    try:
        root.mkdir(parents=True, exist_ok=True)
        os.rename(executed, dest)
    except OSError:
        return None
    for old in sorted(p for p in root.iterdir() if p.is_dir())[:-KEEP_FAILED]:
        shutil.rmtree(old, ignore_errors=True)
    return dest
