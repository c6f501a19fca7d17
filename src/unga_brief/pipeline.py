"""`unga-brief run`: validate -> notebooks (papermill) -> render -> publish atomically (DESIGN §6).

Every output of a run is built in one staging folder and moved into ``report/`` and ``figures/``
only when everything succeeded; on any failure nothing is published and the previous outputs
stay byte-identical. Unchanged inputs (data, parameters, notebooks, package) -> nothing is
re-executed.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import logging
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from .errors import LockedError, RenderError
from .paths import Paths

log = logging.getLogger(__name__)

#: The notebooks, in reading order. Each only needs the validated data, so they run in parallel.
NOTEBOOKS = ["00_data", "01_vote_tables", "02_abstention", "03_us_posture", "04_briefing"]
BRIEFING = "04_briefing"
PACKAGE_DIR = Path(__file__).resolve().parent


# --- inputs and the "nothing changed" check -------------------------------------------------


def _files_under(folder: Path, patterns: tuple[str, ...]) -> list[Path]:
    out: list[Path] = []
    for pat in patterns:
        out.extend(p for p in folder.rglob(pat) if p.is_file() and "__pycache__" not in p.parts)
    return sorted(set(out))


def input_files(paths: Paths, params_file: Path) -> dict[str, Path]:
    """Every file a run reads: data, parameters, notebooks, the package and its template."""
    # All of data/: the curated files, and the ingested files and change log that the
    # briefing's sources page reads too.
    files = {f"data/{p.relative_to(paths.data)}": p for p in _files_under(paths.data, ("*",))}
    files.update({f"docs/{p.name}": p for p in _files_under(paths.root / "docs", ("*.md",))})
    files["params"] = params_file
    for nb in NOTEBOOKS:
        files[f"notebooks/{nb}.ipynb"] = paths.notebooks / f"{nb}.ipynb"
    for p in _files_under(PACKAGE_DIR, ("*.py", "*.j2", "*.css", "*.json")):
        files[f"package/{p.relative_to(PACKAGE_DIR)}"] = p
    return files


def input_digest(files: dict[str, Path]) -> tuple[str, dict[str, str]]:
    """(digest of everything, sha256 per file)."""
    per = {}
    for name, p in sorted(files.items()):
        try:
            per[name] = hashlib.sha256(p.read_bytes()).hexdigest()
        except FileNotFoundError:
            per[name] = "missing"
    total = hashlib.sha256(json.dumps(per, sort_keys=True).encode()).hexdigest()
    return total, per


def up_to_date(paths: Paths, digest: str, formats: list[str]) -> bool:
    m = paths.report / "manifest.json"
    if not m.exists():
        return False
    try:
        manifest = json.loads(m.read_text())
    except json.JSONDecodeError:
        return False
    need = [paths.report / "briefing.html"] + (
        [paths.report / "briefing.pdf"] if "pdf" in formats else []
    )
    return manifest.get("inputs_sha256") == digest and all(p.exists() for p in need)


# --- locking ----------------------------------------------------------------------------------


@contextlib.contextmanager
def run_lock(paths: Paths):
    """Exclusive lock so that two runs never overlap (the second fails at once, exit 5)."""
    import fcntl

    lock_path = paths.root / ".unga-brief.lock"
    f = open(lock_path, "a+")
    try:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise LockedError(
                f"another unga-brief run holds {lock_path}; try again when it ends"
            ) from None
        f.seek(0)
        f.truncate()
        f.write(f"{os.getpid()}\n")
        f.flush()
        yield
    finally:
        f.close()


# --- notebooks ----------------------------------------------------------------------------------


@contextlib.contextmanager
def _kernel_env(paths: Paths):
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


def execute_notebook(paths: Paths, name: str, out_dir: Path, parameters: dict) -> Path:
    """Run one notebook with papermill into ``out_dir``; raise RenderError naming it on failure."""
    import papermill as pm

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
            # CRITICAL, not ERROR: on shutdown jupyter_client always interrupts the kernel
            # (SIGINT) first; when that lands while the kernel is still inside a message
            # handler, ipykernel logs "KeyboardInterrupt caught in kernel." at ERROR level
            # (kernelbase.dispatch_shell), a spurious line in a successful run. Cell errors
            # and dead kernels still reach us through nbclient.
            extra_arguments=["--IPKernelApp.log_level=CRITICAL"],
        )
    except pm.PapermillExecutionError as e:
        raise RenderError(
            f"notebook {name} failed in cell {e.exec_count}: {e.ename}: {str(e.evalue).splitlines()[0] if e.evalue else ''}"
        ) from None
    except Exception as e:  # kernel died, timeout, bad notebook JSON
        raise RenderError(
            f"notebook {name} failed: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"
        ) from None
    return dst


def publish(staging: Path, target: Path) -> None:
    """Replace ``target`` by ``staging`` with renames (the old folder is kept aside until the new
    one is in place, then removed). The target's tracked README.md is carried over."""
    target.parent.mkdir(parents=True, exist_ok=True)
    readme = target / "README.md"
    if readme.exists() and not (staging / "README.md").exists():
        shutil.copy2(readme, staging / "README.md")
    old = None
    if target.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{target.name}-old-", dir=target.parent))
        os.rmdir(old)
        os.replace(target, old)
    try:
        os.replace(staging, target)
    except BaseException:
        if old is not None:
            os.replace(old, target)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": sys.version.split()[0]}
    for pkg in (
        "unga-brief",
        "pandas",
        "numpy",
        "matplotlib",
        "seaborn",
        "papermill",
        "nbconvert",
        "nbclient",
        "ipykernel",
        "pandera",
        "pyarrow",
    ):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = "not installed"
    return out


def run(
    paths: Paths,
    params_file: Path | str | None = None,
    *,
    force: bool = False,
    jobs: int = 4,
    progress: Callable[[str], None] = log.info,
    refresh: bool = False,
) -> dict:
    """The whole report. Returns the manifest (or the previous one when nothing changed).

    ``refresh``: first bring in what ``refresh.yml`` names (fetch, inbox files), under the
    same lock (see :func:`unga_brief.fetch.refresh`); a failure there stops the run."""
    from .params import load_params_file

    t_start = time.perf_counter()
    params_path = Path(params_file) if params_file else paths.params_yaml
    raw = load_params_file(params_path, paths)
    timings: dict[str, float] = {}

    with run_lock(paths), _kernel_env(paths):
        if refresh:
            from .fetch import refresh as refresh_inputs

            refresh_inputs(paths, progress=progress)
        digest, per_file = input_digest(input_files(paths, params_path))
        if not force and up_to_date(paths, digest, list(raw.get("formats", []))):
            progress("nothing changed since the last run (inputs identical): report/ left as it is")
            return json.loads((paths.report / "manifest.json").read_text())

        t = time.perf_counter()
        from .catalog import load_catalog
        from .members import load_groups, load_members
        from .params import resolve
        from .validate import validate_data

        table = validate_data(paths)
        P = resolve(raw, load_catalog(paths), load_members(paths), load_groups(paths))
        timings["validate"] = round(time.perf_counter() - t, 2)
        progress(
            f"[1/4] data valid: {len(table)} texts; parameters valid ({timings['validate']} s)"
        )
        if "pdf" in P.formats:
            from .render import CHROMIUM_MISSING, find_chromium

            if find_chromium() is None:  # fail before any notebook runs; nothing is touched
                raise RenderError(f"{CHROMIUM_MISSING}; or run with formats: [html]")

        try:
            paths.build.mkdir(parents=True, exist_ok=True)
            staging = Path(tempfile.mkdtemp(prefix="staging-", dir=paths.build))
        except OSError as e:
            raise RenderError(
                f"cannot write outputs: {e.filename or paths.build}: {e.strerror}"
            ) from None
        try:
            report_dir, figures_dir = staging / "report", staging / "figures"
            executed = staging / "executed"
            for d in (report_dir / "notebooks", report_dir / "tables", figures_dir, executed):
                d.mkdir(parents=True)
            parameters = {**raw, "output_dir": str(staging)}
            t = time.perf_counter()
            # The notebooks only read data/ (validated above), so all run at once, the longest
            # (the briefing) first; the first failure cancels those not yet started.
            order = [BRIEFING] + [n for n in NOTEBOOKS if n != BRIEFING]
            with ThreadPoolExecutor(max_workers=max(1, min(jobs, len(order)))) as pool:
                futures = {
                    pool.submit(execute_notebook, paths, n, executed, parameters): n for n in order
                }
                for f in as_completed(futures):
                    try:
                        f.result()
                    except RenderError:
                        for other in futures:
                            other.cancel()
                        raise
                    progress(
                        f"[2/4] notebooks: {futures[f]} done ({time.perf_counter() - t:.1f} s)"
                    )
            timings["notebooks"] = round(time.perf_counter() - t, 2)

            t = time.perf_counter()
            from .render import html_to_pdf, notebook_to_html, write_html

            title = P.report_title
            write_html(
                notebook_to_html(executed / f"{BRIEFING}.ipynb", title=title),
                report_dir / "briefing.html",
            )
            for n in NOTEBOOKS[:-1]:
                write_html(
                    notebook_to_html(executed / f"{n}.ipynb", title=f"{title}: notebook {n}"),
                    report_dir / "notebooks" / f"{n}.html",
                )
            timings["html"] = round(time.perf_counter() - t, 2)
            progress(f"[3/4] HTML rendered ({timings['html']} s)")
            if "pdf" in P.formats:
                t = time.perf_counter()
                html_to_pdf(report_dir / "briefing.html", report_dir / "briefing.pdf")
                timings["pdf"] = round(time.perf_counter() - t, 2)
                progress(f"[3/4] PDF printed ({timings['pdf']} s)")

            table.to_csv(report_dir / "coverage.csv", index=False, lineterminator="\n")
            timings["total"] = round(time.perf_counter() - t_start, 2)
            manifest = {
                "inputs_sha256": digest,
                "inputs": per_file,
                "parameters": P.as_dict(),
                "coverage": table.groupby(["body", "coverage"])
                .size()
                .rename("texts")
                .reset_index()
                .to_dict("records"),
                "validation": "passed",
                "data_vintage": str(table["date"].max()),
                "versions": _versions(),
                "timings_s": timings,
                "outputs": sorted(
                    str(p.relative_to(staging)) for p in staging.rglob("*") if p.is_file()
                ),
            }
            (report_dir / "manifest.json").write_text(
                json.dumps(manifest, indent=2, sort_keys=False) + "\n"
            )
            for target in (paths.figures, paths.report, paths.build / "executed"):
                if target.exists() and not target.is_dir():
                    raise RenderError(
                        f"cannot publish outputs: {target} exists and is not a folder"
                    )
            try:
                publish(figures_dir, paths.figures)
                publish(report_dir, paths.report)
                publish(executed, paths.build / "executed")
            except OSError as e:
                raise RenderError(f"cannot publish outputs: {e.filename}: {e.strerror}") from None
            progress(f"[4/4] published report/ and figures/ ({timings['total']} s in all)")
            return manifest
        finally:
            shutil.rmtree(staging, ignore_errors=True)


def _cmd_run(args: argparse.Namespace, paths: Paths) -> int:
    def progress(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    run(
        paths,
        args.params,
        force=args.force,
        jobs=args.jobs,
        progress=progress,
        refresh=args.refresh,
    )
    return 0


def register(sub) -> None:
    s = sub.add_parser(
        "run", help="validate, run the notebooks, render HTML and PDF, publish report/ atomically"
    )
    s.add_argument("--params", help="parameters file (default: params.yaml)")
    s.add_argument("--force", action="store_true", help="run even if no input changed")
    s.add_argument(
        "--jobs", type=int, default=4, help="notebooks run in parallel after 00_data (default 4)"
    )
    s.add_argument(
        "--refresh",
        action="store_true",
        help="first fetch/ingest what refresh.yml names (unattended regeneration)",
    )
    s.set_defaults(func=_cmd_run)
