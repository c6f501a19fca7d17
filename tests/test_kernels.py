"""Kernels reused across notebooks (issue 17): a notebook run in a kernel that ran another one
sees none of its variables, the kernel is really reused, and the first failure stops the
notebooks not yet started."""

from __future__ import annotations

import nbformat
import papermill as pm
import pytest

from unga_brief.core.errors import RenderError
from unga_brief.kernels import KernelPool
from unga_brief.notebook_runs import KERNEL_ARGUMENTS, NOTEBOOKS, kernel_workers


def _notebook(path, *sources: str) -> None:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells = [nbformat.v4.new_code_cell(s) for s in sources]
    nbformat.write(nb, path)


def _text(path) -> str:
    nb = nbformat.read(path, as_version=4)
    return "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))


def _execute(folder, out):
    def run(name, km):
        pm.execute_notebook(
            str(folder / f"{name}.ipynb"),
            str(out / f"{name}.ipynb"),
            kernel_name="python3",
            progress_bar=False,
            km=km,
        )
        return out / f"{name}.ipynb"

    return run


def test_one_kernel_runs_notebooks_one_after_the_other_with_a_clean_namespace(tmp_path):
    _notebook(
        tmp_path / "first.ipynb",
        "import os, warnings\nleaked = 1\nprint('pid', os.getpid())",
        "warnings.warn('shown in every notebook')",
    )
    _notebook(
        tmp_path / "second.ipynb",
        "import os, warnings\nprint('leaked' in globals(), 'pid', os.getpid())",
        "warnings.warn('shown in every notebook')",
    )
    out = tmp_path / "out"
    out.mkdir()
    done = []
    with KernelPool(1, cwd=tmp_path, extra_arguments=KERNEL_ARGUMENTS, warm_up="") as pool:
        pool.run(["first", "second"], _execute(tmp_path, out), done=done.append)
    assert done == ["first", "second"]
    first, second = _text(out / "first.ipynb"), _text(out / "second.ipynb")
    pid = first.split("pid ")[1].split()[0]
    assert second.startswith("False pid ")  # the first notebook's variable is gone
    assert second.split("pid ")[1].split()[0] == pid  # ... in the same kernel process
    for nb in ("first", "second"):  # a warning already shown once is shown again
        outputs = [o for c in nbformat.read(out / f"{nb}.ipynb", 4).cells for o in c.outputs]
        assert any("shown in every notebook" in o.get("text", "") for o in outputs), nb


def test_the_first_failure_stops_the_notebooks_not_yet_started(tmp_path):
    _notebook(tmp_path / "bad.ipynb", "raise ValueError('broken on purpose')")
    _notebook(tmp_path / "good.ipynb", "print('ran')")
    out = tmp_path / "out"
    out.mkdir()
    done = []
    with (
        KernelPool(1, cwd=tmp_path, warm_up="") as pool,
        pytest.raises(pm.PapermillExecutionError, match="broken on purpose"),
    ):
        pool.run(["bad", "good"], _execute(tmp_path, out), done=done.append)
    assert done == []
    assert not (out / "good.ipynb").exists()


def test_a_failure_after_a_notebook_stops_the_rest_too(tmp_path):
    """``done`` (rendering the notebook's HTML) failing counts as the run's first failure."""
    for name in ("one", "two", "three"):
        _notebook(tmp_path / f"{name}.ipynb", "print('ran')")
    out = tmp_path / "out"
    out.mkdir()

    def done(name):
        raise OSError(f"cannot render {name}")

    with (
        KernelPool(1, cwd=tmp_path, warm_up="") as pool,
        pytest.raises(OSError, match="cannot render one"),
    ):
        pool.run(["one", "two", "three"], _execute(tmp_path, out), done=done)
    assert not (out / "three.ipynb").exists()


def test_a_kernel_that_cannot_warm_up_fails_the_run_with_a_render_error(tmp_path):
    _notebook(tmp_path / "nb.ipynb", "print('ran')")
    out = tmp_path / "out"
    out.mkdir()
    with (
        KernelPool(1, cwd=tmp_path, warm_up="import no_such_module_here") as pool,
        pytest.raises(RenderError, match="no_such_module_here"),
    ):
        pool.run(["nb"], _execute(tmp_path, out))
    assert not (out / "nb.ipynb").exists()


def test_no_more_kernels_than_cpus_or_notebooks():
    assert kernel_workers(1) == 1
    import os

    assert kernel_workers(64) == min(len(os.sched_getaffinity(0)), len(NOTEBOOKS))


def test_the_warm_up_imports_modules_that_exist():
    """A renamed module would fail every run's kernel start (exit 4): the names stay true."""
    import importlib
    import re

    from unga_brief.kernels import WARM_UP

    names = re.findall(r"unga_brief[\w.]+", WARM_UP)
    assert len(names) >= 5
    for name in names:
        importlib.import_module(name)


def test_code_run_everywhere_runs_in_each_kernel_and_a_failure_stops_no_notebook(tmp_path):
    """The run's analysis pass (:meth:`KernelPool.run_everywhere`): one share per kernel, in
    two processes; its failure is raised, and the notebooks after it still run, each in a
    clean namespace."""
    _notebook(tmp_path / "nb.ipynb", "print('leaked' in globals())")
    out = tmp_path / "out"
    out.mkdir()
    code = (
        "import os, pathlib, time\n"
        "leaked = 1\n"
        f"folder = pathlib.Path({str(tmp_path)!r})\n"
        "(folder / f'ran-{os.getpid()}').touch()\n"
        "deadline = time.monotonic() + 60  # each share waits for the other's: two kernels\n"
        "while len(list(folder.glob('ran-*'))) < 2 and time.monotonic() < deadline:\n"
        "    time.sleep(0.05)\n"
    )
    with KernelPool(2, cwd=tmp_path, warm_up="") as pool:
        pool.run_everywhere(code, "analysis pass")
        assert len(list(tmp_path.glob("ran-*"))) == 2  # two kernels, one share each
        with pytest.raises(RenderError, match=r"analysis pass \(\d of 2\) failed: ValueError"):
            pool.run_everywhere("leaked = 1\nraise ValueError('on purpose')", "analysis pass")
        pool.run(["nb"], _execute(tmp_path, out))
    assert _text(out / "nb.ipynb").strip() == "False"


def test_a_kernel_that_dies_during_the_pass_fails_it_at_once_and_the_next_step_says_so(tmp_path):
    """The analysis pass in a kernel that dies (out of memory, killed) fails within seconds,
    not after the step's timeout; the kernel's next step fails with a KernelError (exit 4),
    never an unexpected error."""
    import time

    _notebook(tmp_path / "nb.ipynb", "print('ran')")
    with KernelPool(1, cwd=tmp_path, warm_up="") as pool:
        t = time.monotonic()
        with pytest.raises(RenderError, match="the kernel died"):
            pool.run_everywhere("import os\nos._exit(1)", "analysis pass")
        assert time.monotonic() - t < 30
        with pytest.raises(RenderError, match="kernel reset failed"):
            pool.run(["nb"], _execute(tmp_path, tmp_path))


def test_a_step_over_its_time_fails_naming_the_limit(tmp_path):
    with KernelPool(1, cwd=tmp_path, warm_up="") as pool:
        with pytest.raises(RenderError, match=r"slow step \(1 of 1\) failed: no reply after 1 s"):
            pool.run_everywhere("import time; time.sleep(8)", "slow step", timeout=1)


def test_a_client_is_ready_without_waiting_for_iopub_to_fall_silent():
    """The run's clients end their handshake once the kernel has answered (jupyter_client's own
    then drains IOPub until nothing came for 0.2 s, four times per notebook): the status the
    kernel published for the handshake is still on IOPub, where readers skip it. A client on a
    dead kernel still fails."""
    import queue

    from jupyter_core.utils import run_sync

    from unga_brief.kernels import kernel_manager_class

    km = kernel_manager_class()(kernel_name="python3")
    run_sync(km.start_kernel)(extra_arguments=list(KERNEL_ARGUMENTS))
    try:
        kc = km.client()
        kc.start_channels()
        reads = []  # each IOPub read of the handshake: "msg", or "empty" when it timed out
        get_msg = kc.iopub_channel.get_msg

        async def recorded(*args, **kwargs):
            try:
                msg = await get_msg(*args, **kwargs)
            except queue.Empty:
                reads.append("empty")
                raise
            reads.append("msg")
            return msg

        kc.iopub_channel.get_msg = recorded
        run_sync(kc.wait_for_ready)(timeout=60)
        # Ready on the first message seen: jupyter_client's own then reads on until a read
        # times out (["msg", ..., "empty"]); a read may time out before IOPub connects.
        assert reads[-1] == "msg"
        kc.stop_channels()
        run_sync(km.shutdown_kernel)(now=True)
        dead = km.client()
        dead.start_channels()
        with pytest.raises(RuntimeError, match="died"):
            run_sync(dead.wait_for_ready)(timeout=10)
        dead.stop_channels()
    finally:
        if run_sync(km.is_alive)():
            run_sync(km.shutdown_kernel)(now=True)


def test_the_kernels_keep_no_history_in_the_users_ipython_folder(tmp_path, monkeypatch):
    """The run's cells stay out of the user's IPython history (``history.sqlite`` grew with
    every run, by the cron job too)."""
    ipython_dir = tmp_path / "ipython"
    monkeypatch.setenv("IPYTHONDIR", str(ipython_dir))
    _notebook(tmp_path / "nb.ipynb", "x = 1", "print(x)")
    out = tmp_path / "out"
    out.mkdir()
    with KernelPool(1, cwd=tmp_path, extra_arguments=KERNEL_ARGUMENTS, warm_up="") as pool:
        pool.run(["nb"], _execute(tmp_path, out))
    assert _text(out / "nb.ipynb").strip() == "1"
    assert ipython_dir.is_dir()  # the kernel used this folder ...
    assert not list(ipython_dir.rglob("history.sqlite"))  # ... and wrote no history there


def test_the_kernels_run_nicer_than_the_run_itself(tmp_path):
    """The kernels give way to Chromium printing the PDF and to the run's own process."""
    import os

    import psutil

    from unga_brief.kernels import KERNEL_NICENESS

    mine = os.getpriority(os.PRIO_PROCESS, 0)
    with KernelPool(1, cwd=tmp_path, extra_arguments=KERNEL_ARGUMENTS, warm_up="") as pool:
        pool.run_everywhere(
            f"open({str(tmp_path / 'pid')!r}, 'w').write(str(__import__('os').getpid()))", "pid"
        )
        kernel = psutil.Process(int((tmp_path / "pid").read_text()))
        assert kernel.nice() == min(19, mine + KERNEL_NICENESS)
