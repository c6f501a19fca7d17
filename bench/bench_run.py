"""Benchmark: ``unga-brief run`` (cold, unchanged, after an ingest) against plain ``nbconvert``.

    .venv/bin/python bench/bench_run.py [--keep] [--doc docs/benchmark.md] [--before REF]
                                        [--repeat N]

    (``make bench`` runs it without options.)

On the shipped data, in ONE run and on a scratch copy of the project (data/, notebooks/,
params.yaml and a pyproject.toml marker copied to a temporary folder, deleted afterwards unless
``--keep``), each step a subprocess with ``UNGA_BRIEF_ROOT`` pointing at the scratch root:

  (a) cold:      ``unga-brief run --force`` on the fresh copy (no build/, report/, figures/),
                 ``--repeat`` times (3; alternating with (a0) under ``--before``): the run of
                 median wall time is reported, with every run's wall time
  (b) unchanged: ``unga-brief run`` again, nothing changed (must do no work)
  (c) naive:     ``jupyter nbconvert --to html --execute`` of each notebook in order (each with
                 the defaults of its parameters cell), then the same headless-Chromium print of
                 the briefing's HTML (``unga_brief.report.render.html_to_pdf``) to PDF
  (d) ingest:    ``unga-brief ingest`` of one UN Digital Library record
                 (``tests/fixtures/undl/record_4088074.xml``), then ``unga-brief run`` (the
                 data changed: a full run with a new shared-frames cache)

For each: wall time; CPU time (user + sys of the whole process tree, from
``resource.getrusage(RUSAGE_CHILDREN)`` before and after: kernels and Chromium included as
they are reaped); peak RSS of the largest single process (its own high-water mark, VmHWM, read
for each process of the tree every 50 ms in a command's first second, then every 0.5 s: polling
every 50 ms throughout took the CPU of the run it measured: docs/benchmark.md). Then the
ratios to (c) of wall and CPU, the machine's load average before and after,
and the targets of issue 17: (a) CPU at most half of (c)'s, (a) wall at most 8 s (on an idle
machine: compare the load), (b) at most 0.5 s, (d) at most 15 s, peak RSS under 1 GB. Run by
hand, never by pytest. Exit 0 whether or not the targets are met (1 if a step fails).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path

import psutil

from unga_brief.core.paths import copy_project
from unga_brief.notebook_runs import DEFAULT_JOBS, NOTEBOOKS, kernel_workers

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
SOURCES = ROOT.parent / "shared" / "data" / "sources"
#: Each poll walks every process of the machine (psutil.children): slow enough not to take
#: the measured run's CPU; each process's peak (VmHWM) is its own, so nothing is missed
#: between polls but a process that lives less than this.
POLL_S = 0.5
#: ... and every 50 ms during a command's first second (an unchanged run lasts 0.1 s).
POLL_FAST_S, POLL_FAST_FOR_S = 0.05, 1.0
GB = 1024**3

RECORD = ROOT / "tests" / "fixtures" / "undl" / "record_4088074.xml"  # (d): one new record

TARGET_CPU_RATIO = 0.5  # (a) CPU at most this share of (c)'s
TARGET_COLD_S = 8.0  # (a) wall on an idle 2-core machine
TARGET_UNCHANGED_S = 0.5  # (b)
TARGET_INGEST_S = 15.0  # (d) ingest + run
TARGET_PEAK = 1 * GB  # largest single process under this


@dataclass
class Step:
    key: str
    label: str
    wall: float = 0.0
    cpu: float = 0.0
    peak_rss: int = 0
    peak_proc: str = ""
    processes: int = 0
    #: every cold run's wall time, sorted (the step's figures are those of the median run)
    runs: tuple[float, ...] = ()


class TreeSampler:
    """Poll a process and its descendants; keep the largest RSS of any one process."""

    def __init__(self, pid: int) -> None:
        self.root = psutil.Process(pid)
        self.peak = 0
        self.peak_name = ""
        self.seen: set[tuple[int, float]] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def __enter__(self) -> TreeSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _loop(self) -> None:
        start = time.monotonic()
        while not self._stop.is_set():
            self.sample()
            short = time.monotonic() - start < POLL_FAST_FOR_S  # a command of 0.1 s is seen too
            self._stop.wait(POLL_FAST_S if short else POLL_S)

    def sample(self) -> None:
        try:
            procs = [self.root, *self.root.children(recursive=True)]
        except psutil.Error:
            return
        for p in procs:
            try:
                rss = _peak_rss(p)
                self.seen.add((p.pid, p.create_time()))
                if rss > self.peak:
                    self.peak, self.peak_name = rss, _describe(p)
            except psutil.Error:
                continue


def _peak_rss(p: psutil.Process) -> int:
    """The process's peak resident size so far (Linux: VmHWM), else its current RSS."""
    try:
        with open(f"/proc/{p.pid}/status", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return p.memory_info().rss


def _describe(p: psutil.Process) -> str:
    try:
        cmd = p.cmdline()
    except psutil.Error:
        return p.name()
    words = [Path(cmd[0]).name] if cmd else [p.name()]
    for arg in cmd[1:]:
        if arg.startswith("-m") or arg.startswith("--type=") or not arg.startswith("-"):
            words.append(Path(arg).name if "/" in arg else arg)
        if len(words) >= 3:
            break
    return " ".join(words)[:48]


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def measure(step: Step, commands: list[list[str]], env: dict, cwd: Path, log: Path) -> Step:
    """Run ``commands`` one after the other (each a subprocess); fill in the step's figures."""
    cpu0 = _children_cpu()
    t0 = time.perf_counter()
    for cmd in commands:
        with open(log, "ab") as out:
            out.write(f"\n$ {' '.join(cmd)}\n".encode())
            out.flush()
            proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
            with TreeSampler(proc.pid) as sampler:
                rc = proc.wait()
        if sampler.peak > step.peak_rss:
            step.peak_rss, step.peak_proc = sampler.peak, sampler.peak_name
        step.processes += len(sampler.seen)
        if rc != 0:
            tail = "\n".join(log.read_text(errors="replace").splitlines()[-15:])
            sys.exit(f"bench: step ({step.key}) failed: {' '.join(cmd)} exited {rc}\n{tail}")
    step.wall = time.perf_counter() - t0
    step.cpu = _children_cpu() - cpu0
    return step


def median_run(runs: list[Step]) -> Step:
    """The run of median wall time (of an even number, the slower middle one), carrying every
    run's wall time (sorted)."""
    ordered = sorted(runs, key=lambda s: s.wall)
    return replace(ordered[len(ordered) // 2], runs=tuple(s.wall for s in ordered))


def fresh(root: Path) -> None:
    """Back to a cold start: no build/ (cache, executed notebooks), report/ or figures/."""
    for name in ("build", "report", "figures"):
        shutil.rmtree(root / name, ignore_errors=True)


def scratch_copy(dest: Path) -> Path:
    """The project's inputs under ``dest``, the package source included (``src/``, put first on
    PYTHONPATH): the run hashes the package, so a snapshot keeps edits made elsewhere in the
    working tree during the benchmark from turning (b) into a full run."""
    return copy_project(ROOT, dest, extra=("src",))


def before_copy(ref: str, scratch: Path, env: dict) -> tuple[Path, dict]:
    """A scratch copy of the project as it was at git ``ref`` (its package, notebooks and
    data), and the environment that runs it (its own ``src/`` first on PYTHONPATH)."""
    tree = scratch / "before-tree"
    tree.mkdir()
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", ref], capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
    root = copy_project(tree, scratch / "before", extra=("src",))
    shutil.rmtree(tree)
    old_env = {
        **env,
        "UNGA_BRIEF_ROOT": str(root),
        "PYTHONPATH": os.pathsep.join(
            [str(root / "src"), *filter(None, [os.environ.get("PYTHONPATH")])]
        ),
    }
    return root, old_env


def same_report(old: Path, new: Path) -> str:
    """Whether two runs published the same report: every file of report/ and figures/ byte
    for byte (the PDF, which carries its creation time, and the manifest excepted)."""

    def files(root: Path) -> dict[str, bytes]:
        out = {}
        for sub in ("report", "figures"):
            for p in sorted((root / sub).rglob("*")):
                if p.is_file() and p.suffix != ".pdf" and p.name != "manifest.json":
                    out[str(p.relative_to(root))] = p.read_bytes()
        return out

    a, b = files(old), files(new)
    differ = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
    return (
        f"yes, {len(a)} files identical"
        if not differ
        else f"NO: {len(differ)} differ ({', '.join(differ[:5])})"
    )


def machine() -> dict[str, str]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count() or 0
    chromium = "not found"
    from unga_brief.report.render import find_chromium

    exe = find_chromium()
    if exe:
        out = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=30)
        chromium = out.stdout.strip() or exe
    return {
        "cpus": f"{usable} usable ({os.cpu_count()} online), {cpu}",
        "ram": f"{psutil.virtual_memory().total / GB:.1f} GiB",
        "os": platform.platform(),
        "python": platform.python_version(),
        "chromium": chromium,
        "load average at start (1/5/15 min)": load(),
    }


def table(steps: list[Step]) -> list[str]:
    rows = [
        "| step | wall (s) | CPU user+sys (s) | peak RSS, largest process | processes |",
        "|---|---:|---:|---|---:|",
    ]
    for s in steps:
        runs = f", median of {len(s.runs)}: {' / '.join(f'{w:.2f}' for w in s.runs)} s"
        label = s.label + (runs if len(s.runs) > 1 else "")
        rows.append(
            f"| ({s.key}) {label} | {s.wall:.2f} | {s.cpu:.2f} | "
            f"{s.peak_rss / 2**20:.0f} MiB ({s.peak_proc}) | {s.processes} |"
        )
    return rows


def ratios(steps: list[Step], c: Step) -> list[str]:
    """Each step's wall and CPU as a share of the naive baseline's."""
    return [
        f"({s.key})/(c): wall {s.wall / c.wall:.3f}, CPU {s.cpu / c.cpu:.3f}"
        for s in steps
        if s is not c
    ]


def verdicts(a: Step, b: Step, c: Step, d: Step) -> list[tuple[str, bool]]:
    peak = max(a.peak_rss, b.peak_rss, d.peak_rss)
    return [
        (
            f"(a) CPU at most {TARGET_CPU_RATIO:g} x (c): {a.cpu:.2f} s against {c.cpu:.2f} s "
            f"(ratio {a.cpu / c.cpu:.2f})",
            a.cpu <= TARGET_CPU_RATIO * c.cpu,
        ),
        (
            f"(a) cold wall at most {TARGET_COLD_S:g} s (idle machine): {a.wall:.2f} s "
            f"(wall ratio to (c) {a.wall / c.wall:.2f})",
            a.wall <= TARGET_COLD_S,
        ),
        (
            f"(b) unchanged run at most {TARGET_UNCHANGED_S:g} s: {b.wall:.2f} s",
            b.wall <= TARGET_UNCHANGED_S,
        ),
        (
            f"(d) ingest of one record + run at most {TARGET_INGEST_S:g} s: {d.wall:.2f} s",
            d.wall <= TARGET_INGEST_S,
        ),
        (
            f"peak RSS of `unga-brief` under {TARGET_PEAK / GB:g} GB: {peak / 2**20:.0f} MiB",
            peak < TARGET_PEAK,
        ),
    ]


def load() -> str:
    return " / ".join(f"{x:.2f}" for x in os.getloadavg())


#: Everything after this line of the page is written by hand and kept when it is rewritten.
NOTES_MARK = "<!-- notes: written by hand, kept when bench_run.py --doc rewrites this page -->"


def write_doc(
    path: Path, info: dict[str, str], steps: list[Step], checks, when: str, shares: list[str]
) -> None:
    kernels = kernel_workers(DEFAULT_JOBS)
    lines = [
        "# Benchmark: `unga-brief run` against plain `jupyter nbconvert --execute`",
        "",
        "Measured by `bench/bench_run.py` (run by hand: `make bench`, or",
        "`.venv/bin/python bench/bench_run.py --doc docs/benchmark.md` to rewrite the measured part;",
        "the notes written by hand after it are kept).",
        "",
        "On a scratch copy of the project with the shipped data, in one run:",
        "",
        "- **(a) cold**: `unga-brief run --force` on a fresh copy (no `build/`, `report/`,",
        "  `figures/`; `--repeat` times, three by default, the median run reported): validate",
        f"  while the kernels start (one per CPU: {kernels} here); the analysis",
        "  pass shared out between them (the shared frames, every finding of the briefing and its chart,",
        f"  each computed once, into `build/cache/<digest>/`); the {len(NOTEBOOKS)} notebooks in",
        "  the same kernels (namespace reset before each), copying the charts; the briefing's HTML and",
        "  PDF while the last notebooks run; atomic publish;",
        "- **(b) unchanged**: `unga-brief run` again with nothing changed (inputs hashed, no work);",
        "- **(a0), (b0)** (with `--before REF`): the same two steps on a copy of the project at",
        "  git `REF` (its package, notebooks and data), measured in the same run, before (a) and",
        "  after (b) respectively; the reports of (a0) and (a) are then compared file by file;",
        "- **(c) naive baseline**: `jupyter nbconvert --to html --execute` of each notebook in",
        "  order (default parameters, `UNGA_BRIEF_ROOT` set to the scratch copy), then the same",
        "  headless-Chromium print of the briefing's HTML (`unga_brief.report.render.html_to_pdf`);",
        "- **(d) ingest**: `unga-brief ingest` of one UN Digital Library record",
        "  (`tests/fixtures/undl/record_4088074.xml`), then `unga-brief run` (a full run).",
        "",
        "CPU time is user + sys of the whole process tree (`getrusage(RUSAGE_CHILDREN)` deltas,",
        "kernels and Chromium included); peak RSS is that of the largest single process (its own",
        "high-water mark, VmHWM), the tree polled every 50 ms in a command's first second, then every",
        "0.5 s (a process living less than that may be missed, in the processes column too).",
        "",
        f"Date: {when}",
        "",
        "Machine:",
        "",
        *[f"- {k}: {v}" for k, v in info.items()],
        "",
        *table(steps),
        "",
        "Ratios to (c):",
        "",
        *[f"- {r}" for r in shares],
        "",
        "Targets (issue 17):",
        "",
        *[f"- {'met' if ok else 'NOT met'}: {text}" for text, ok in checks],
        "",
        "Notes: (a) spends less CPU than (c) because the analysis is done once per run (the",
        f"frames, the briefing's findings and their charts, shared out between the run's {kernels}",
        "kernels), one kernel per CPU imports the stack instead of one per notebook, and papermill writes each",
        "executed notebook once; its wall time also depends on free cores (compare the load",
        "averages above). (b) reads params.yaml and hashes the inputs without importing",
        "pandas; the scratch copy carries its own `src/`, so edits elsewhere in the working tree",
        "cannot invalidate it.",
        "",
    ]
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    notes = old[old.index(NOTES_MARK) :] if NOTES_MARK in old else NOTES_MARK + "\n"
    path.write_text("\n".join(lines) + "\n" + notes, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--keep", action="store_true", help="keep the scratch copy (path printed)")
    ap.add_argument("--doc", type=Path, help="also write the results as Markdown to this file")
    ap.add_argument(
        "--before",
        metavar="REF",
        help="also measure (a) and (b) with the project (package and notebooks) of this git "
        "ref, in the same run, alternating with this tree's: before/after side by side",
    )
    ap.add_argument(
        "--repeat",
        type=int,
        default=3,
        metavar="N",
        help="cold runs of (a) (and of (a0)), alternating; the median is reported (default 3)",
    )
    args = ap.parse_args(argv)
    if args.repeat < 1:
        ap.error("--repeat must be at least 1")

    info = machine()
    if info["chromium"] == "not found":
        print(
            "bench: no Chromium (apt-get install chromium): cannot print the PDF", file=sys.stderr
        )
        return 1
    when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    scratch = Path(tempfile.mkdtemp(prefix="unga-brief-bench-"))
    try:
        root = scratch_copy(scratch / "proj")
        logs = {k: scratch / f"bench-{k}.log" for k in "abcd"}
        env = {
            **os.environ,
            "UNGA_BRIEF_ROOT": str(root),
            "UNGA_BRIEF_SOURCES": str(SOURCES),
            "PYTHONPATH": os.pathsep.join(
                [str(root / "src"), *filter(None, [os.environ.get("PYTHONPATH")])]
            ),
            "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
            "PYTHONUNBUFFERED": "1",
        }
        # The command as its console script runs it, through the package on PYTHONPATH: the
        # "before" tree's own way of ending, whatever the installed script names.
        cli = [sys.executable, "-m", "unga_brief.cli"]
        print(f"scratch copy: {root}\nmachine: {info['cpus']}, {info['ram']} RAM", flush=True)
        before: list[Step] = []
        trees = [("a", "`unga-brief run --force`, cold", env, root)]
        if args.before:
            old_root, old_env = before_copy(args.before, scratch, env)
            logs.update({k: scratch / f"bench-{k}.log" for k in ("a0", "b0")})
            label = f"before ({args.before})"
            trees.insert(0, ("a0", f"{label}: `unga-brief run --force`, cold", old_env, old_root))
        # The cold run, ``--repeat`` times (alternating with the "before" tree's): a single cold
        # run on this machine varied by over a second from one minute to the next.
        cold: dict[str, list[Step]] = {key: [] for key, *_ in trees}
        for _ in range(args.repeat):
            for key, text, tree_env, tree_root in trees:
                fresh(tree_root)
                cold[key].append(
                    measure(
                        Step(key, text), [[*cli, "run", "--force"]], tree_env, tree_root, logs[key]
                    )
                )
                print(f"({key}) {cold[key][-1].wall:.2f} s", flush=True)
        if args.before:
            before.append(median_run(cold["a0"]))
        a = median_run(cold["a"])
        assert (root / "report" / "briefing.pdf").is_file(), "(a) published no PDF"
        b = measure(
            Step("b", "`unga-brief run`, nothing changed"), [[*cli, "run"]], env, root, logs["b"]
        )
        print(f"(b) {b.wall:.2f} s", flush=True)
        if "nothing changed" not in logs["b"].read_text(errors="replace"):
            print("WARNING: (b) re-executed the notebooks: an input changed after (a)", flush=True)
        if args.before:
            before.append(
                measure(
                    Step("b0", f"{label}: `unga-brief run`, nothing changed"),
                    [[*cli, "run"]],
                    old_env,
                    old_root,
                    logs["b0"],
                )
            )
            print(f"(b0) {before[-1].wall:.2f} s", flush=True)
            same = same_report(old_root, root)
            print(f"report text before = after: {same}", flush=True)
            info["report before = after (briefing.html, tables, figures)"] = same

        naive = root / "build" / "naive"
        notebooks = sorted((root / "notebooks").glob("[0-9][0-9]_*.ipynb"))
        commands = [
            [
                str(BIN / "jupyter"),
                "nbconvert",
                "--to",
                "html",
                "--execute",
                str(nb),
                "--output-dir",
                str(naive),
            ]
            for nb in notebooks
        ]
        briefing = naive / f"{notebooks[-1].stem}.html"
        commands.append(
            [
                sys.executable,
                "-c",
                "import sys; from unga_brief.report.render import html_to_pdf; html_to_pdf(sys.argv[1], sys.argv[2])",
                str(briefing),
                str(naive / "briefing.pdf"),
            ]
        )
        c = measure(
            Step("c", f"naive: `jupyter nbconvert --execute` x{len(notebooks)} + Chromium PDF"),
            commands,
            env,
            root,
            logs["c"],
        )
        print(f"(c) {c.wall:.2f} s", flush=True)

        d = measure(
            Step("d", "`unga-brief ingest` one record + `unga-brief run`"),
            [[*cli, "ingest", str(RECORD)], [*cli, "run"]],
            env,
            root,
            logs["d"],
        )
        print(f"(d) {d.wall:.2f} s\n", flush=True)
        if "[4/4] published" not in logs["d"].read_text(errors="replace"):
            print("WARNING: (d) published nothing: the ingest changed no input", flush=True)
        info["load average at end (1/5/15 min)"] = load()
        for k in [k for k in info if k.startswith("report before")]:
            info[k] = info.pop(k)  # listed after the loads

        steps = [*before[:1], a, *before[1:], b, c, d]
        checks = verdicts(a, b, c, d)
        shares = ratios(steps, c)
        print("\n".join(table(steps)))
        print()
        print("\n".join(shares))
        print(
            f"load average (1/5/15 min): at start {info['load average at start (1/5/15 min)']}, "
            f"at end {info['load average at end (1/5/15 min)']}"
        )
        print()
        for text, ok in checks:
            print(f"{'met    ' if ok else 'NOT met'}  {text}")
        if args.doc:
            write_doc(args.doc, info, steps, checks, when, shares)
            print(f"\nwrote {args.doc}")
        if args.keep:
            print(f"kept {scratch} (logs: bench-a.log ... bench-d.log)")
        return 0
    finally:
        if not args.keep:
            shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
