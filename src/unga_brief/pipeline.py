"""`unga-brief run`: validate -> notebooks (papermill) -> render -> publish atomically (DESIGN §6).

Every output of a run is built in one staging folder and published only when everything
succeeded, ``report/``, ``figures/`` and ``build/executed/`` together
(:func:`unga_brief.core.transaction.publish`); on any failure nothing is published and the previous
outputs stay byte-identical, and the executed notebooks (tracebacks included) are kept under
``build/failed/<time>/``. A run with parameters other than ``params.yaml`` is a what-if and
publishes into ``report/whatif/<name>/`` (:mod:`unga_brief.report.whatif`). Unchanged inputs (data,
parameters, notebooks, package) and published outputs intact -> nothing is re-executed.
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import json
import logging
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from unga_brief.core.errors import RenderError, Terminated, UngaBriefError, first_line
from unga_brief.core.lock import project_lock
from unga_brief.core.paths import Paths
from unga_brief.core.transaction import (
    RUN_STAGING_PREFIX,
    publish,
    recover,
    staged_data,
    stop_point,
)
from unga_brief.notebook_runs import (
    BRIEFING,
    DEFAULT_JOBS,
    NOTEBOOKS,
    keep_failed,
    kernel_env,
    run_notebooks,
    skip_unused_iri_grammar,
    start_kernels,
    stop_children,
)
from unga_brief.report.whatif import (
    WHATIF_DIR,
    changed_parameters,
    describe,
    whatif_folder,
    whatif_name,
)

log = logging.getLogger(__name__)
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


def output_hashes(layout: dict[str, Path]) -> dict[str, str]:
    """sha256 of every published file, named ``<prefix><path>`` for each (prefix, folder) of
    ``layout``; the manifest itself, tracked READMEs and what-if folders are not outputs."""
    out = {}
    for prefix, folder in layout.items():
        if not folder.is_dir():
            continue
        for p in sorted(folder.rglob("*")):
            rel = p.relative_to(folder)
            if not p.is_file() or rel.parts[0] in (WHATIF_DIR, "manifest.json", "README.md"):
                continue
            out[f"{prefix}{rel}"] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def up_to_date(manifest_file: Path, layout: dict[str, Path], digest: str) -> bool:
    """The last run used these very inputs, and every output it published is still there,
    unedited, with nothing added: then there is nothing to do."""
    try:
        manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    outputs = manifest.get("outputs") if isinstance(manifest, dict) else None
    return (
        manifest.get("inputs_sha256") == digest
        and isinstance(outputs, dict)
        and any(k.endswith("briefing.html") for k in outputs)
        and output_hashes(layout) == outputs
    )


def validation_summary(paths: Paths, table) -> dict:
    """What validation found: texts, country rows and coverage per body, conflicts per status."""
    import pandas as pd

    coverage: dict[str, dict[str, int]] = {}
    for (body, cov), n in table.groupby(["body", "coverage"]).size().items():
        coverage.setdefault(str(body), {})[str(cov)] = int(n)
    conflicts = (
        pd.read_csv(paths.conflicts_csv, dtype=str, keep_default_na=False)
        if paths.conflicts_csv.exists()
        else pd.DataFrame(columns=["status"])
    )
    return {
        "result": "passed",
        "texts": int(len(table)),
        "country_rows": int(table["rows"].sum()),
        "coverage": coverage,
        "conflicts": {
            "total": int(len(conflicts)),
            "by_status": {str(k): int(v) for k, v in conflicts["status"].value_counts().items()},
        },
    }


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


@dataclass(frozen=True)
class Destination:
    """Where a run publishes: the report (``report/`` + ``figures/``) or a what-if folder."""

    manifest: Path
    layout: dict[str, Path]  # output-name prefix -> published folder
    label: str
    changes: list = field(default_factory=list)  # (name, default, value) of a what-if

    @property
    def whatif(self) -> bool:
        return bool(self.changes)


def destination(paths: Paths, params_path: Path, given: dict) -> Destination:
    """The report when the parameters are those of ``params.yaml``; else a what-if folder."""
    from unga_brief.report.params import load_params_file

    same = params_path.resolve() == paths.params_yaml.resolve()
    changes = [] if same else changed_parameters(load_params_file(None, paths), given)
    if not changes:
        return Destination(
            manifest=paths.report / "manifest.json",
            layout={"report/": paths.report, "figures/": paths.figures},
            label="report/ and figures/",
        )
    folder = whatif_folder(paths, whatif_name(params_path, changes))
    return Destination(
        manifest=folder / "manifest.json",
        layout={"": folder},
        label=f"{folder.relative_to(paths.root)}/",
        changes=changes,
    )


def _carry_over(staging_report: Path, staging_figures: Path, paths: Paths) -> None:
    """What the report run does not build but must not lose: the tracked READMEs of report/
    and figures/, and the what-if folders under report/whatif/ (hard links, never copies
    written in place)."""
    for target, staged in ((paths.report, staging_report), (paths.figures, staging_figures)):
        readme = target / "README.md"
        if readme.is_file() and not (staged / "README.md").exists():
            shutil.copy2(readme, staged / "README.md")
    whatif = paths.report / WHATIF_DIR
    if whatif.is_dir():

        def link(src, dst):
            try:
                os.link(src, dst)
            except OSError:
                shutil.copy2(src, dst)

        shutil.copytree(whatif, staging_report / WHATIF_DIR, copy_function=link)


def run(
    paths: Paths,
    params_file: Path | str | None = None,
    *,
    force: bool = False,
    jobs: int = DEFAULT_JOBS,
    progress: Callable[[str], None] = log.info,
    refresh: bool = False,
    lock_wait: float | None = None,
) -> dict:
    """The whole report. Returns the manifest (or the previous one when nothing changed).

    ``refresh``: first bring in what ``refresh.yml`` names (fetch, inbox files), under the
    same lock and into a staged ``data/`` swapped in only when all of it succeeded (see
    :func:`unga_brief.live.refresh.refresh`); a failure there stops the run. ``lock_wait``: seconds
    to wait for another command's lock (default ``UNGA_BRIEF_LOCK_WAIT`` or 0)."""
    from unga_brief.report.params import load_params_file

    t_start = time.perf_counter()
    # Absolute: papermill changes the working folder while notebooks run.
    params_path = Path(params_file).resolve() if params_file else paths.params_yaml
    given = load_params_file(params_path, paths)
    timings: dict[str, float] = {}

    with project_lock(paths, "run", wait=lock_wait), kernel_env(paths):
        for line in recover(paths):
            progress(f"recovered: {line}")
        if refresh:
            from unga_brief.live.refresh import refresh as refresh_inputs

            with staged_data(paths) as staged:
                refresh_inputs(staged, progress=progress)
        dest = destination(paths, params_path, given)
        digest, per_file = input_digest(input_files(paths, params_path))
        if not force and up_to_date(dest.manifest, dest.layout, digest):
            progress(
                f"nothing changed since the last run (inputs and outputs identical): "
                f"{dest.label} left as they are"
            )
            return json.loads(dest.manifest.read_text(encoding="utf-8"))

        # The kernels start (and import the stack) while the data are validated; they then
        # compute the shared frames and findings, and run the notebooks.
        kernels = start_kernels(paths, jobs)
        staging = None
        try:
            kernels.start()
            skip_unused_iri_grammar()
            t = time.perf_counter()
            from unga_brief.data.catalog import load_catalog
            from unga_brief.data.members import load_groups, load_members
            from unga_brief.data.validate import validate_data
            from unga_brief.report.params import resolve

            table = validate_data(paths)
            P = resolve(given, load_catalog(paths), load_members(paths), load_groups(paths))
            timings["validate"] = round(time.perf_counter() - t, 2)
            progress(
                f"[1/4] data valid: {len(table)} texts; parameters valid ({timings['validate']} s)"
                + (f"; what-if: {describe(dest.changes)}" if dest.whatif else "")
            )
            if "pdf" in P.formats:
                from unga_brief.report.render import CHROMIUM_MISSING, find_chromium

                if find_chromium() is None:  # fail before any notebook runs; nothing is touched
                    raise RenderError(f"{CHROMIUM_MISSING}; or run with formats: [html]")
            for target in list(dest.layout.values()) + [paths.build / "executed"]:
                if target.exists() and not target.is_dir():
                    raise RenderError(
                        f"cannot publish outputs: {target} exists and is not a folder"
                    )

            try:
                paths.build.mkdir(parents=True, exist_ok=True)
                staging = Path(tempfile.mkdtemp(prefix=RUN_STAGING_PREFIX, dir=paths.build))
            except OSError as e:
                raise RenderError(
                    f"cannot write outputs: {e.filename or paths.build}: {e.strerror or e}"
                ) from None
            report_dir, figures_dir = staging / "report", staging / "figures"
            executed = staging / "executed"
            try:
                for d in (report_dir / "notebooks", report_dir / "tables", figures_dir, executed):
                    d.mkdir(parents=True)
                shared = _shared_frames(paths, P, per_file, progress, timings, table, kernels)
                manifest = {
                    "inputs_sha256": digest,
                    "inputs": per_file,
                    **_build(
                        paths,
                        P,
                        given,
                        dest,
                        staging,
                        table,
                        progress,
                        timings,
                        t_start,
                        shared,
                        kernels,
                    ),
                }
                moves = _arrange(paths, dest, staging, manifest, params_path)
            except (UngaBriefError, OSError) as e:
                kept = keep_failed(paths, executed)
                note = (
                    f"; executed notebooks kept in {kept.relative_to(paths.root)}/" if kept else ""
                )
                if isinstance(e, OSError):
                    raise RenderError(
                        f"cannot write outputs: {e.filename or staging}: {e.strerror or e}{note}"
                    ) from None
                e.args = (f"{e}{note}",)
                raise
            stop_point("run-built")
            try:
                publish(paths, moves)
            except OSError as e:
                raise RenderError(
                    f"cannot publish outputs: {e.filename}: {e.strerror or e} "
                    f"({dest.label} left as they were)"
                ) from None
            progress(
                f"[4/4] published {dest.label} ({manifest['timings_s']['total']} s in all)"
                + ("; report/ left as it was (a what-if run)" if dest.whatif else "")
            )
            return manifest
        except (KeyboardInterrupt, Terminated):  # stop the kernels, do not wait for them
            kernels.stop()  # first: no notebook starts on a kernel being stopped
            stop_children()
            kernels.close(timeout=3)
            raise
        finally:
            kernels.close()
            if staging is not None:
                shutil.rmtree(staging, ignore_errors=True)


def _arrange(
    paths: Paths, dest: Destination, staging: Path, manifest: dict, params_path: Path
) -> list[tuple[Path, Path]]:
    """Lay the staged outputs out as they will be published, write the manifest (with the hash
    of every output), and return the (staged, target) folder pairs to publish."""
    report_dir, figures_dir = staging / "report", staging / "figures"
    if dest.whatif:
        os.rename(figures_dir, report_dir / "figures")
        shutil.copy2(params_path, report_dir / "parameters.yaml")
        moves = [(report_dir, dest.layout[""])]
        published = {"": report_dir}
    else:
        _carry_over(report_dir, figures_dir, paths)
        moves = [
            (report_dir, paths.report),
            (figures_dir, paths.figures),
            (staging / "executed", paths.build / "executed"),
        ]
        published = {"report/": report_dir, "figures/": figures_dir}
    manifest["outputs"] = output_hashes(published)
    (report_dir / "manifest.json").write_text(
        json.dumps(manifest, indent=2, sort_keys=False) + "\n", encoding="utf-8"
    )
    return moves


def _shared_frames(paths, P, per_file, progress, timings, table, kernels) -> Path | None:
    """The frames and findings several notebooks use, computed once for the run
    (:mod:`unga_brief.report.run_cache`), shared out among the run's ``kernels``; None when they
    cannot be cached: then each notebook computes its own, with the same result."""
    from unga_brief.report import run_cache

    t = time.perf_counter()
    try:
        folder = run_cache.prepare(paths, P, per_file, validated=table, pool=kernels)
    except Exception as e:  # never fatal: the notebooks compute the frames themselves
        progress(f"[1/4] shared frames not cached ({type(e).__name__}: {first_line(e)})")
        return None
    timings["shared"] = round(time.perf_counter() - t, 2)
    progress(f"[1/4] shared frames ready ({timings['shared']} s)")
    return folder


def _build(
    paths, P, given, dest, staging, table, progress, timings, t_start, shared, kernels
) -> dict:
    """Notebooks, HTML, PDF and the manifest's content, all inside ``staging``."""
    from unga_brief.core.safe_output import write_csv
    from unga_brief.report.params import plain
    from unga_brief.report.render import html_exporter, html_to_pdf, notebook_to_html, write_html

    report_dir, executed = staging / "report", staging / "executed"
    t = time.perf_counter()
    injected = {**plain(given), "output_dir": str(staging)}
    if shared is not None:
        injected["cache_dir"] = str(shared)
    title = P.report_title
    html_s = 0.0
    exporter = html_exporter()  # one for the five notebooks: the templates are loaded once

    # Chromium prints the briefing's PDF in a thread of its own while the other notebooks run.
    printer = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="unga-brief-pdf")
    pdf: list[concurrent.futures.Future] = []

    def print_pdf() -> None:
        t = time.perf_counter()
        html_to_pdf(report_dir / "briefing.html", report_dir / "briefing.pdf")
        timings["pdf"] = round(time.perf_counter() - t, 2)
        progress(f"[3/4] PDF printed ({timings['pdf']} s)")

    def briefing_pages() -> None:
        """The briefing's HTML, then its PDF printed by Chromium in a thread of its own, while
        the other notebooks run and their pages are rendered."""
        t = time.perf_counter()
        write_html(
            notebook_to_html(executed / f"{BRIEFING}.ipynb", title=title, exporter=exporter),
            report_dir / "briefing.html",
        )
        timings["html"] = round(time.perf_counter() - t, 2)
        progress(f"[3/4] briefing HTML rendered ({timings['html']} s)")
        if "pdf" in P.formats:
            pdf.append(printer.submit(print_pdf))

    def to_html(name: str) -> None:
        """A notebook's HTML, rendered as soon as it is executed, while the others run (the
        briefing's PDF too); a notebook failing later still fails the run, and these pages,
        in the staging folder, are then never published."""
        nonlocal html_s
        if name == BRIEFING:
            briefing_pages()
            return
        t_html = time.perf_counter()
        write_html(
            notebook_to_html(
                executed / f"{name}.ipynb", title=f"{title}: notebook {name}", exporter=exporter
            ),
            report_dir / "notebooks" / f"{name}.html",
        )
        html_s += time.perf_counter() - t_html

    try:
        run_notebooks(paths, executed, injected, progress, kernels, finished=to_html)
        kernels.close()  # they shut down while Chromium prints (the run's exit closes no more)
    except Exception:  # a failed run waits for Chromium, which writes into the staging folder
        printer.shutdown(wait=True)
        raise
    except BaseException:  # Ctrl-C, SIGTERM: the run stops Chromium (stop_children)
        printer.shutdown(wait=False)
        raise
    timings["notebooks"] = round(time.perf_counter() - t, 2)  # Chromium may still be printing
    printer.shutdown(wait=True)
    for done in pdf:
        done.result()  # Chromium's failure, raised here
    timings["notebook_pages"] = round(html_s, 2)
    stop_point("run-notebooks")

    write_csv(table, report_dir / "coverage.csv")
    timings["total"] = round(time.perf_counter() - t_start, 2)
    return {
        "parameters": P.as_dict(),
        "changed_parameters": [{"name": n, "default": d, "value": v} for n, d, v in dest.changes],
        "coverage": table.groupby(["body", "coverage"])
        .size()
        .rename("texts")
        .reset_index()
        .to_dict("records"),
        "validation": validation_summary(paths, table),
        "data_vintage": str(table["date"].max()),
        "versions": _versions(),
        "timings_s": timings,
    }
