"""The `unga-brief` command line: curate, validate, run, ingest, fetch, diff, params.

Every failure the user can act on is one line on stderr and a documented exit code
(DESIGN §6): 0 ok, 2 invalid data or parameters (or an input that cannot be read or
decoded), 3 network, 4 notebook, render or write failure, 5 another run holds the lock,
6 an input file that matches no catalogue text; 130 interrupted, 141 output pipe closed, 143 terminated (SIGTERM); 1 an unexpected error
(``-v`` shows its traceback). The commands that write ``data/`` or publish (curate, ingest,
fetch, run) hold the project lock and first clean up what a killed command left behind.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import errno
import logging
import os
import signal
import sys
from collections.abc import Iterator
from typing import NoReturn

from unga_brief.core.errors import Terminated, UngaBriefError, one_line
from unga_brief.core.paths import Paths
from unga_brief.notebook_runs import DEFAULT_JOBS

#: OS errors that mean an output could not be written (exit 4); any other is an input (exit 2).
WRITE_ERRNOS = frozenset(
    {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EFBIG, errno.EIO, errno.EACCES, errno.EPERM}
)


def _say(msg: str) -> None:
    print(one_line(msg, 1000), file=sys.stderr, flush=True)


@contextlib.contextmanager
def writing_data(paths: Paths, command: str, wait: float | None = None) -> Iterator[Paths]:
    """Hold the project lock, clean up after a killed command, and yield ``paths`` with
    ``data/`` staged: whatever the command writes there replaces ``data/`` in one step when it
    succeeds, and nothing when it fails or is killed."""
    from unga_brief.core.lock import project_lock
    from unga_brief.core.transaction import recover, staged_data

    with project_lock(paths, command, wait=wait):
        for line in recover(paths):
            _say(f"recovered: {line}")
        with staged_data(paths) as staged:
            yield staged


def _cmd_curate(args: argparse.Namespace, paths: Paths) -> int:
    from unga_brief.data.curate import curate_and_log

    with writing_data(paths, "curate", args.wait) as staged:
        cur, changed, _ = curate_and_log(staged)
    cat = cur.catalog
    cov = cat.groupby(["body", "coverage"], observed=True).size()
    print(
        f"curated {len(cat)} texts ({', '.join(f'{b} {c}: {n}' for (b, c), n in cov.items())}); "
        f"{len(cur.votes)} country votes; {len(cur.conflicts)} conflicts listed"
    )
    print("changed: " + (", ".join(changed) if changed else "nothing (byte-identical)"))
    return 0


def _cmd_validate(args: argparse.Namespace, paths: Paths) -> int:
    from unga_brief.data.validate import validate_data

    table = validate_data(paths)
    with_pd_options(lambda: print(table.drop(columns=["id"]).to_string(index=False)))
    cov = table.groupby(["body", "coverage"]).size()
    print(f"\nvalid: {len(table)} texts; " + ", ".join(f"{b} {c} {n}" for (b, c), n in cov.items()))
    from unga_brief.data.validate import assembly_coverage, basis_counts

    print("country rows by basis: " + ", ".join(f"{b} {n}" for b, n in basis_counts(table).items()))

    asm = assembly_coverage(paths)
    if len(asm):
        print("\nwhole Assembly (data/assembly/), by GA session and Council year:")
        with_pd_options(lambda: print(asm.drop(columns=["expected source"]).to_string(index=False)))
    return 0


def _cmd_ingest(args: argparse.Namespace, paths: Paths) -> int:
    from unga_brief.live.ingest import ingest

    with writing_data(paths, "ingest", args.wait) as staged:
        res = ingest(
            staged,
            args.files,
            add=args.add,
            topic=args.topic,
            series=args.series,
            symbols=args.symbols,
            records=args.records,
            since=args.since,
            retrieved_at=args.retrieved_on,
            origin=args.origin,
            accept_totals=args.accept_totals,
        )
    _report_ingest(res)
    return 0


def _report_ingest(res) -> None:
    """What `ingest` (or `fetch`) did, on stdout."""
    from unga_brief.data.changes import summary

    for line in res.already:
        print(f"already ingested, nothing to do: {line}")
    for line in getattr(res, "confirmed", []):
        print(f"confirmed (--accept-totals): {line}")
    for line in res.skipped:
        print(f"skipped: {line} (use --add --topic T to add it)")
    for f in res.stored:
        print(f"stored {f}")
    for tid in res.added:
        print(f"added text {tid} to data/catalog/texts.yml (check its series and short title)")
    if res.stored:
        print("changes:")
        for line in summary(res.changes):
            print(f"  {line}")


def _cmd_fetch(args: argparse.Namespace, paths: Paths) -> int:
    from unga_brief.live.fetch import fetch

    with writing_data(paths, "fetch", args.wait) as staged:
        res = fetch(
            staged,
            records=args.record,
            symbols=args.symbol,
            since=args.since,
            add=args.add,
            topic=args.topic,
            series=args.series,
            base=args.base_url,
            progress=_say,
        )
    if res.ingest is None:
        print("nothing fetched: no voting record matched")
    else:
        _report_ingest(res.ingest)
    return 0


def _cmd_diff(args: argparse.Namespace, paths: Paths) -> int:
    from pathlib import Path

    from unga_brief.data.changes import diff, snapshot, summary

    def data_dir(p: str) -> Path:
        d = Path(p)
        return d / "data" if (d / "data" / "catalog").is_dir() else d

    old, new = data_dir(args.old), data_dir(args.new)
    for d in (old, new):
        if not (d / "catalog" / "catalog.csv").exists():
            from unga_brief.core.errors import MalformedFile

            raise MalformedFile(
                f"{d}: no catalog/catalog.csv (give a data/ folder or a project root)"
            )
    ch = diff(snapshot(old), snapshot(new))
    for line in summary(ch):
        print(line)
    if args.csv:
        from unga_brief.core.safe_output import write_csv

        write_csv(ch, args.csv)
    return 0


def with_pd_options(fn):
    import pandas as pd

    with pd.option_context(
        "display.width", 200, "display.max_colwidth", 60, "display.max_rows", 500
    ):
        fn()


def _cmd_params(args: argparse.Namespace, paths: Paths) -> int:
    from unga_brief.core.errors import ParameterError
    from unga_brief.report.params import write_parameters_cells

    changed = write_parameters_cells(paths, check=args.check)
    if args.check and changed:
        raise ParameterError(
            f"parameters cells differ from params.yaml: {', '.join(changed)} "
            "(run `unga-brief params` to regenerate them)"
        )
    print(
        ("rewrote: " + ", ".join(changed))
        if changed and not args.check
        else "parameters cells match params.yaml"
    )
    return 0


def _cmd_run(args: argparse.Namespace, paths: Paths) -> int:
    from unga_brief.pipeline import run

    run(
        paths,
        args.params,
        force=args.force,
        jobs=args.jobs,
        progress=_say,
        refresh=args.refresh,
        lock_wait=args.wait,
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="unga-brief", description=__doc__.splitlines()[0])
    p.add_argument("--root", help="project root (default: the folder holding data/)")
    p.add_argument("--sources", help="gathered sources folder (default: ../shared/data/sources)")
    p.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    p.add_argument(
        "--wait",
        type=float,
        metavar="SECONDS",
        help="wait this long for another command's lock before exit 5 "
        "(default: UNGA_BRIEF_LOCK_WAIT or 0)",
    )
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser(
        "curate", help="build data/ from the gathered sources (byte-identical re-runs)"
    )
    s.set_defaults(func=_cmd_curate)
    s = sub.add_parser("validate", help="check data/ and print the coverage table")
    s.set_defaults(func=_cmd_validate)
    s = sub.add_parser(
        "ingest", help="bring UN Digital Library files (MARC XML or bulk CSV) into data/"
    )
    s.add_argument("files", nargs="+", help="files you downloaded from the UN Digital Library")
    s.add_argument(
        "--add",
        action="store_true",
        help="add records that no catalogue text matches (needs --topic)",
    )
    s.add_argument(
        "--topic", help="keep only texts of this topic (ukraine or gaza); the topic of added texts"
    )
    s.add_argument("--series", help="series of added texts (default: <topic>-added)")
    s.add_argument("--symbols", nargs="+", help="keep only these symbols")
    s.add_argument("--records", nargs="+", help="keep only these UNDL record ids")
    s.add_argument("--since", help="keep only votes on or after this day, YYYY-MM-DD")
    s.add_argument(
        "--retrieved-on",
        metavar="DATE",
        help="the day the file was downloaded from the UN Digital Library (for the attribution; "
        "default: a FILE.source.yml beside it, else 'not stated')",
    )
    s.add_argument("--origin", help="where the file came from (default: a file you downloaded)")
    s.add_argument(
        "--accept-totals",
        action="store_true",
        help="let a record's totals replace different official totals from another source",
    )
    s.set_defaults(func=_cmd_ingest)
    s = sub.add_parser(
        "fetch",
        help="download UN Digital Library voting records (network; off by default) and ingest them",
        description="Download voting records from the UN Digital Library, one request at a "
        "time, and ingest them as `ingest` does. The UNDL terms forbid automated downloading "
        "without approval: use it sparingly (see docs/scheduling.md). Base URL: "
        "UNGA_BRIEF_UNDL_BASE or --base-url.",
    )
    what = s.add_mutually_exclusive_group(required=True)
    what.add_argument("--record", nargs="+", metavar="ID", help="UNDL record id(s)")
    what.add_argument("--symbol", nargs="+", metavar="S", help="symbol(s), e.g. A/RES/ES-11/7")
    what.add_argument("--since", metavar="DATE", help="every voting record since YYYY-MM-DD")
    s.add_argument(
        "--add",
        action="store_true",
        help="add records that no catalogue text matches (needs --topic)",
    )
    s.add_argument("--topic", help="the topic of added texts (ukraine or gaza)")
    s.add_argument("--series", help="series of added texts (default: <topic>-added)")
    s.add_argument("--base-url", help="UNDL base URL (default: https://digitallibrary.un.org)")
    s.set_defaults(func=_cmd_fetch)
    s = sub.add_parser(
        "diff", help="what changed between two data snapshots (data/ folders or project roots)"
    )
    s.add_argument("old")
    s.add_argument("new")
    s.add_argument("--csv", help="also write the changes as CSV")
    s.set_defaults(func=_cmd_diff)
    s = sub.add_parser(
        "params", help="write (or --check) every notebook's parameters cell from params.yaml"
    )
    s.add_argument("--check", action="store_true", help="change nothing; exit 2 if any differs")
    s.set_defaults(func=_cmd_params)
    s = sub.add_parser(
        "run", help="validate, run the notebooks, render HTML and PDF, publish report/ atomically"
    )
    s.add_argument("--params", help="parameters file (default: params.yaml)")
    s.add_argument("--force", action="store_true", help="run even if no input changed")
    s.add_argument(
        "--jobs",
        type=int,
        default=DEFAULT_JOBS,
        help=f"kernels running the notebooks in parallel, at most one per CPU "
        f"(default {DEFAULT_JOBS})",
    )
    s.add_argument(
        "--refresh",
        action="store_true",
        help="first fetch/ingest what refresh.yml names (unattended regeneration)",
    )
    s.set_defaults(func=_cmd_run)
    return p


def _on_sigterm(signum, frame) -> None:
    """The first SIGTERM stops the command where it is: ``finally`` blocks clean up staging
    and temporary folders; later ones are ignored so that the cleanup itself finishes."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise Terminated()


def _describe_os_error(e: OSError) -> str:
    names = " -> ".join(str(f) for f in (e.filename, e.filename2) if f is not None)
    what = e.strerror or str(e) or type(e).__name__
    return f"{names}: {what}" if names else what


def failure_line(e: BaseException, verbose: bool = False) -> tuple[int, str]:
    """(exit code, the one line on stderr) for an exception that ended a command."""
    if isinstance(e, UngaBriefError):
        return e.exit_code, str(e)
    if isinstance(e, Terminated):
        return e.exit_code, "terminated (SIGTERM): nothing published; staging folders removed"
    if isinstance(e, KeyboardInterrupt):
        return 130, "interrupted: nothing published; staging folders removed"
    if isinstance(e, BrokenPipeError):
        return 141, "output closed early (broken pipe)"
    if isinstance(e, OSError):
        code = 4 if e.errno in WRITE_ERRNOS else 2
        verb = "cannot write" if code == 4 else "cannot read"
        return code, f"{verb} {_describe_os_error(e)}"
    if isinstance(e, UnicodeError):
        return 2, f"a file is not valid UTF-8 text ({e})"
    if isinstance(e, csv.Error):
        return 2, f"malformed CSV ({e})"
    hint = "" if verbose else " (a bug: run with -v for the traceback)"
    return 1, f"unexpected error: {type(e).__name__}: {e}{hint}"


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(message)s",
        stream=sys.stderr,
    )
    paths = Paths.default(args.root, args.sources)
    previous = None
    with contextlib.suppress(ValueError):  # not the main thread: leave signals alone
        previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        return args.func(args, paths)
    except (Exception, KeyboardInterrupt, Terminated) as e:
        code, line = failure_line(e, args.verbose)
        if code == 1 and args.verbose:
            import traceback

            traceback.print_exc()
        if isinstance(e, BrokenPipeError):
            # Nothing more can be written to stdout; do not let Python complain at exit.
            with contextlib.suppress(OSError):
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        with contextlib.suppress(OSError):
            print(f"unga-brief: {one_line(line)}", file=sys.stderr, flush=True)
        return code
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def entry() -> None:
    """The ``unga-brief`` command (and ``python -m unga_brief.cli``): :func:`main`, then
    :func:`exit_now` with its exit code."""
    exit_now(main())


def exit_now(code: int) -> NoReturn:
    """End the process with ``code`` as Python's own exit does, less the interpreter's teardown.

    First what an exit does that can be seen: the interpreter's thread shutdown (the hooks that
    let idle thread-pool workers end, then a join of every thread that is not a daemon), the
    ``atexit`` functions (logging flushed and closed, temporary folders removed), stdout and
    stderr flushed. Output that cannot be written fails the command, as it would fail Python's
    exit: with :func:`failure_line`'s code and line (141 for a closed pipe, 4 otherwise, a
    full disk for one), unless the command had already failed. Only the teardown of every
    module and object is left out (pandas, matplotlib, nbconvert, the kernels' clients; its
    cost is in docs/benchmark.md): it writes nothing."""
    import atexit
    import threading

    threading._shutdown()  # what Python's exit runs first (threading's own atexit hooks, joins)
    atexit._run_exitfuncs()
    try:
        sys.stdout.flush()
    except OSError as e:
        if code == 0:  # an output error, whatever its errno (failure_line says 2 for a read)
            e.filename = e.filename or "standard output"
            failed, line = failure_line(e)
            code = failed if failed in (141, 4) else 4
            with contextlib.suppress(OSError):
                print(f"unga-brief: {one_line(line)}", file=sys.stderr, flush=True)
    with contextlib.suppress(OSError, ValueError):
        sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    entry()
