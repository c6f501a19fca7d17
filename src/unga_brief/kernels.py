"""Notebook kernels started once per run and reused: fewer kernel start-ups (issue 17).

``unga-brief run`` used to start one kernel per notebook (five), each importing pandas,
matplotlib and the package anew. :class:`KernelPool` starts ``workers`` kernels (at most one per
CPU) as soon as the run knows it has work, while the main process validates the data; each
kernel imports the stack once (a warm-up that records nothing), takes its share of the run's
analysis pass (:meth:`KernelPool.run_everywhere`: the shared frames, the findings and their
charts, :func:`unga_brief.report.run_cache.compute_part`), then runs its share of the
notebooks one after the other through papermill (passed
the kernel manager, papermill starts no kernel of its own). Before each notebook (the first
too: the analysis pass ran before it) the kernel's namespace is reset (``%reset -f``; the warnings already shown are forgotten, so a notebook shows
the same warnings as in a fresh kernel): a notebook sees no variable of the one before it, and
starts from its parameters cell exactly as in a fresh kernel. Only the imported modules stay,
which is the point.

The pool is used from one thread (the run's); each kernel lives in its own worker thread, which
starts it, runs its notebooks and shuts it down (the asynchronous kernel manager is bound to the
thread's event loop).
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import queue
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from unga_brief.core.errors import RenderError, first_line

log = logging.getLogger(__name__)

#: Imported in each kernel while the run validates the data.
#: The imported modules are then moved out of the garbage collector's sight (``gc.freeze``):
#: they live as long as the kernel, and each full collection no longer walks them.
WARM_UP = (
    "import unga_brief.report.briefing, unga_brief.report.context, unga_brief.report.findings, "
    "unga_brief.report.weighing, unga_brief.report.who_abstains, unga_brief.report.us_position, "
    "unga_brief.report.run_cache, unga_brief.analysis.tables, unga_brief.analysis.posture, "
    "unga_brief.analysis.hedging, unga_brief.data.validate\n"
    "import gc as _gc\n"
    "_gc.freeze()\n"
    "del _gc"
)
#: Run before a notebook in a kernel that already ran one.
RESET = "\n".join(
    [
        "get_ipython().run_line_magic('reset', '-f')",
        "import gc as _gc, warnings as _warnings",
        "_warnings.onceregistry.clear()",
        "_warnings._filters_mutated()",
        "_gc.collect()",
        "del _gc, _warnings",
    ]
)
STARTUP_TIMEOUT = 60
STEP_TIMEOUT = 120  # warm-up, reset and each kernel's share of the analysis pass
#: How often a step's wait checks that its kernel is still alive (seconds).
POLL = 2.0
#: Added to each kernel's niceness (that of its main thread, where its code runs), right after
#: it starts: while the last notebooks run, Chromium prints the briefing's PDF, the run's
#: longest path, and on a busy core the kernels give way to it and to the run's own process
#: (which renders each notebook's page). Their notebooks end later; on a machine busy with
#: other work, the kernels get less of it too (docs/benchmark.md).
KERNEL_NICENESS = 10


class KernelError(RenderError):
    """A kernel could not be started, warmed up or reset (exit 4, like a notebook failure)."""


@functools.cache
def kernel_manager_class():
    """The kernel manager class of the run's kernels (jupyter_client's asynchronous one, which
    remembers the clients opened on it, each a ``ReadyClient``); built once, on first use, so
    that importing this module imports no Jupyter package."""
    from jupyter_client.asynchronous import AsyncKernelClient
    from jupyter_client.manager import AsyncKernelManager
    from traitlets import default

    class ReadyClient(AsyncKernelClient):
        """A kernel client whose :meth:`wait_for_ready` ends as soon as the kernel is ready.

        jupyter_client's own (``KernelClient._async_wait_for_ready``, 8.x, whose loop this
        follows, with its private ``_async_is_alive`` and ``_handle_kernel_info_reply``) makes
        the same handshake (``kernel_info`` answered on the shell channel, a message seen on
        IOPub, which is then connected), then drains IOPub until nothing has come for 0.2 s:
        every client pays that wait in full. Each kernel opens a client for its warm-up, its
        share of the analysis pass, and for each of its notebooks a reset and papermill's: two
        plus two per notebook, each 0.2 s of idling. What the drain would have thrown away is left
        on IOPub (the ``kernel_info`` request's messages; a second ``kernel_info`` reply on the shell
        channel if the loop went round again), which nbclient and :func:`execute_code` skip:
        each reads only the replies to its own request."""

        async def wait_for_ready(self, timeout: float | None = None) -> None:
            deadline = time.monotonic() + (float("inf") if timeout is None else timeout)
            while True:
                self.kernel_info()
                try:
                    msg = await self.shell_channel.get_msg(timeout=1)
                except queue.Empty:
                    pass
                else:
                    if msg["msg_type"] == "kernel_info_reply":
                        try:  # IOPub connected: the kernel's status for this request arrives
                            await self.iopub_channel.get_msg(timeout=0.2)
                        except queue.Empty:
                            pass
                        else:
                            self._handle_kernel_info_reply(msg)
                            return
                if not await self._async_is_alive():
                    raise RuntimeError("Kernel died before replying to kernel_info")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"Kernel didn't respond in {timeout:g} seconds")

    class TrackedKernelManager(AsyncKernelManager):
        """Remembers the clients papermill opens on the kernel: it owns no kernel here, so it
        leaves their channels open; the worker closes them after each notebook. Its clients
        are :class:`ReadyClient`."""

        def __init__(self, **kwargs) -> None:
            super().__init__(**kwargs)
            self.opened: list = []  # the clients opened since the worker last closed them

        @default("client_factory")
        def _ready_client(self):
            return ReadyClient

        def client(self, **kwargs):
            kc = super().client(**kwargs)
            self.opened.append(kc)
            return kc

    return TrackedKernelManager


class _Worker(threading.Thread):
    def __init__(self, pool: KernelPool, index: int) -> None:
        super().__init__(name=f"unga-brief-kernel-{index}", daemon=True)
        self.pool = pool
        self.km = None

    def run(self) -> None:
        from jupyter_core.utils import run_sync

        try:
            self.km = self._start()
        except BaseException as e:  # the jobs are answered with the error below
            startup_error: BaseException | None = (
                e
                if isinstance(e, KernelError)
                else KernelError(f"notebook kernel could not start: {type(e).__name__}: {e}")
            )
        else:
            startup_error = None
        used = False  # a notebook ran in this kernel: reset its namespace before the next
        try:
            while True:
                job = self.pool._jobs.get()
                if job is None:
                    return
                if self.pool._stopped.is_set():
                    self.pool._results.put((job, None, None))
                    continue
                if startup_error is not None:
                    self._fail(job, startup_error)
                    continue
                try:
                    if used:
                        self._step(RESET, "reset")
                    used = True
                    out = self.pool._execute(job, self.km)
                except BaseException as e:
                    self._fail(job, e)
                    continue
                finally:
                    self._close_clients()
                self.pool._results.put((job, out, None))
        finally:
            if self.km is not None:
                with contextlib.suppress(Exception):
                    run_sync(self.km.shutdown_kernel)(now=False)

    def _fail(self, job, error: BaseException) -> None:
        """Report ``job`` failed; in :meth:`KernelPool.run`, stop the rest first (before the
        report: this thread, or another, must not start the next notebook)."""
        if self.pool._stop_on_failure:
            self.pool._stopped.set()
        self.pool._results.put((job, None, error))

    def _start(self):
        from jupyter_core.utils import run_sync

        km = kernel_manager_class()(kernel_name="python3")
        run_sync(km.start_kernel)(
            cwd=str(self.pool.cwd), extra_arguments=list(self.pool.extra_arguments)
        )
        self.km = km
        lower_priority(getattr(km.provisioner, "pid", None))
        if self.pool.warm_up:
            self._step(self.pool.warm_up, "warm-up")
        return km

    def _step(self, code: str, what: str) -> None:
        """Run ``code`` in the kernel, recording nothing; raise KernelError if it fails."""
        try:
            execute_code(self.km, code, what)
        finally:
            self._close_clients()

    def _close_clients(self) -> None:
        if self.km is None:
            return
        for kc in self.km.opened:
            with contextlib.suppress(Exception):
                kc.stop_channels()
        self.km.opened.clear()


def lower_priority(pid: int | None) -> None:
    """Make process ``pid`` nicer by :data:`KERNEL_NICENESS`; nothing where that cannot be done
    (no pid, a process already gone, a system without ``setpriority``)."""
    if pid is None or not hasattr(os, "setpriority"):
        return
    with contextlib.suppress(OSError):
        os.setpriority(os.PRIO_PROCESS, pid, os.getpriority(os.PRIO_PROCESS, pid) + KERNEL_NICENESS)


def execute_code(km, code: str, what: str, timeout: float | None = None) -> None:
    """Run ``code`` in the kernel of ``km``, recording nothing (no output kept, no history);
    raise KernelError naming ``what`` if it fails, if the kernel dies meanwhile (checked every
    :data:`POLL` seconds) or if it takes longer than ``timeout`` (default
    :data:`STEP_TIMEOUT`). The caller closes the client it opens."""
    from jupyter_core.utils import run_sync

    limit = STEP_TIMEOUT if timeout is None else timeout
    kc = km.client()
    try:
        kc.start_channels()
        run_sync(kc.wait_for_ready)(timeout=STARTUP_TIMEOUT)
        msg_id = kc.execute(code, silent=True, store_history=False)
    except (RuntimeError, TimeoutError) as e:  # e.g. "Kernel died before replying"
        raise KernelError(f"kernel {what} failed: {first_line(e)}") from None
    deadline = time.monotonic() + limit
    while True:
        try:
            reply = run_sync(kc.get_shell_msg)(timeout=POLL)
        except queue.Empty:
            if not run_sync(km.is_alive)():
                raise KernelError(f"kernel {what} failed: the kernel died") from None
            if time.monotonic() > deadline:
                raise KernelError(f"kernel {what} failed: no reply after {limit:g} s") from None
            continue
        if reply.get("parent_header", {}).get("msg_id") == msg_id:
            break
    content = reply.get("content", {})
    if content.get("status") != "ok":
        raise KernelError(
            f"kernel {what} failed: {content.get('ename', '?')}: {content.get('evalue', '')}"
        )


def _not_running(name: str, _km) -> Path:
    raise KernelError(f"notebook {name} handed to a pool that is not running")


class KernelPool:
    """``workers`` kernels, started at once in their own threads; :meth:`run` hands them
    notebooks. Use as a context manager: leaving it shuts every kernel down."""

    def __init__(
        self,
        workers: int,
        *,
        cwd: Path,
        extra_arguments: Iterable[str] = (),
        warm_up: str = WARM_UP,
    ) -> None:
        self.cwd = cwd
        self.extra_arguments = tuple(extra_arguments)
        self.warm_up = warm_up
        self._execute: Callable[[str, object], Path] = _not_running
        self._jobs: queue.Queue = queue.Queue()
        self._results: queue.Queue = queue.Queue()
        self._stopped = threading.Event()
        # run(): a failure stops the notebooks not yet started; run_everywhere(): it does not
        self._stop_on_failure = True
        self._closed = False
        self._workers = [_Worker(self, i) for i in range(max(1, workers))]

    def start(self) -> KernelPool:
        """Start the kernels (each in its worker thread, in the background); returns the pool.
        :meth:`close` shuts them down."""
        for w in self._workers:
            w.start()
        return self

    def __enter__(self) -> KernelPool:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()

    def stop(self) -> None:
        """Start nothing more: the jobs not yet started are answered without running (the run
        calls it on Ctrl-C or SIGTERM, before stopping the kernels' processes)."""
        self._stopped.set()

    def close(self, timeout: float = 30) -> None:
        """Stop handing out notebooks, let each kernel shut down; wait ``timeout`` s at most
        (the worker threads are daemons: an interrupted run does not wait for them)."""
        if self._closed:
            return
        self._closed = True
        self._stopped.set()
        for _ in self._workers:
            self._jobs.put(None)
        for w in self._workers:
            if w.is_alive():  # a worker that never started (a failed start) has nothing to join
                w.join(timeout)

    def run_everywhere(self, code: str, what: str, timeout: float | None = None) -> None:
        """Run ``code`` as many times as there are kernels, at once, each time in the first free
        kernel (a kernel not ready yet leaves its share to the others, so one kernel may run it
        twice: ``code`` shares its work out itself), recording nothing; the kernels'
        namespaces are reset before the next notebook. Raises the first failure (KernelError:
        the code raised, its kernel died, or it ran over ``timeout``, default
        :data:`STEP_TIMEOUT`) once all have ended."""
        jobs = [f"{what} ({i + 1} of {len(self._workers)})" for i in range(len(self._workers))]
        self._execute = lambda job, km: execute_code(km, code, job, timeout)
        self._stop_on_failure = False
        for job in jobs:
            self._jobs.put(job)
        errors = [e for _job, _out, e in (self._results.get() for _ in jobs) if e is not None]
        if errors:  # the notebooks still run: unlike :meth:`run`, nothing is stopped
            raise errors[0]

    def run(
        self,
        names: list[str],
        execute: Callable[[str, object], Path],
        done: Callable[[str], None] = lambda _n: None,
    ) -> None:
        """``execute(name, kernel_manager)`` for each of ``names`` (handed out in this order,
        each to the first free kernel); call
        ``done(name)`` as each one finishes; the first failure stops the notebooks not yet
        started and is raised once the running ones have finished."""
        self._execute = execute
        self._stop_on_failure = True
        for n in names:
            self._jobs.put(n)
        error: BaseException | None = None
        for _ in names:
            name, _out, e = self._results.get()
            if e is not None:  # the worker stopped the rest before reporting it
                if error is None:
                    error = e
            elif _out is not None and error is None:
                try:
                    done(name)
                except Exception as e2:  # e.g. rendering its HTML failed: stop the rest too
                    error = e2
                    self._stopped.set()
                except BaseException:  # Ctrl-C, SIGTERM: at once (the run stops the kernels)
                    self._stopped.set()
                    raise
        if error is not None:
            raise error
