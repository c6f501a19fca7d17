"""The `unga-brief` command line: curate, validate, run, ingest, fetch, diff.

Every failure the user can act on is one line on stderr and a documented exit code
(DESIGN §6): 0 ok, 2 invalid data or parameters, 3 network, 4 notebook or render failure,
5 another run holds the lock.
"""

from __future__ import annotations

import argparse
import logging
import sys

from .errors import UngaBriefError
from .paths import Paths


def _cmd_curate(args: argparse.Namespace, paths: Paths) -> int:
    from .curate import run_curate

    cur, changed = run_curate(paths)
    cat = cur.catalog
    cov = cat.groupby(["body", "coverage"], observed=True).size()
    print(
        f"curated {len(cat)} texts ({', '.join(f'{b} {c}: {n}' for (b, c), n in cov.items())}); "
        f"{len(cur.votes)} country votes; {len(cur.conflicts)} conflicts listed"
    )
    print("changed: " + (", ".join(changed) if changed else "nothing (byte-identical)"))
    return 0


def _cmd_validate(args: argparse.Namespace, paths: Paths) -> int:
    from .validate import validate_data

    table = validate_data(paths)
    with_pd_options(lambda: print(table.drop(columns=["id"]).to_string(index=False)))
    cov = table.groupby(["body", "coverage"]).size()
    print(f"\nvalid: {len(table)} texts; " + ", ".join(f"{b} {c} {n}" for (b, c), n in cov.items()))
    return 0


def _cmd_ingest(args: argparse.Namespace, paths: Paths) -> int:
    from .ingest import ingest

    res = ingest(
        paths,
        args.files,
        add=args.add,
        topic=args.topic,
        series=args.series,
        symbols=args.symbols,
        records=args.records,
        since=args.since,
    )
    _report_ingest(res)
    return 0


def _report_ingest(res) -> None:
    """What `ingest` (or `fetch`) did, on stdout."""
    from .changes import summary

    for line in res.already:
        print(f"already ingested, nothing to do: {line}")
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
    from .fetch import fetch
    from .pipeline import run_lock

    with run_lock(paths):
        res = fetch(
            paths,
            records=args.record,
            symbols=args.symbol,
            since=args.since,
            add=args.add,
            topic=args.topic,
            series=args.series,
            base=args.base_url,
            progress=lambda msg: print(msg, file=sys.stderr, flush=True),
        )
    if res.ingest is None:
        print("nothing fetched: no voting record matched")
    else:
        _report_ingest(res.ingest)
    return 0


def _cmd_diff(args: argparse.Namespace, paths: Paths) -> int:
    from pathlib import Path

    from .changes import diff, snapshot, summary

    def data_dir(p: str) -> Path:
        d = Path(p)
        return d / "data" if (d / "data" / "catalog").is_dir() else d

    old, new = data_dir(args.old), data_dir(args.new)
    for d in (old, new):
        if not (d / "catalog" / "catalog.csv").exists():
            from .errors import MalformedFile

            raise MalformedFile(
                f"{d}: no catalog/catalog.csv (give a data/ folder or a project root)"
            )
    ch = diff(snapshot(old), snapshot(new))
    for line in summary(ch):
        print(line)
    if args.csv:
        ch.to_csv(args.csv, index=False, lineterminator="\n")
    return 0


def with_pd_options(fn):
    import pandas as pd

    with pd.option_context(
        "display.width", 200, "display.max_colwidth", 60, "display.max_rows", 500
    ):
        fn()


def _cmd_params(args: argparse.Namespace, paths: Paths) -> int:
    from .errors import ParameterError
    from .params import write_parameters_cells

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


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="unga-brief", description=__doc__.splitlines()[0])
    p.add_argument("--root", help="project root (default: the folder holding data/)")
    p.add_argument("--sources", help="gathered sources folder (default: ../shared/data/sources)")
    p.add_argument("-v", "--verbose", action="store_true", help="log progress details")
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
    s.add_argument("--symbols", nargs="+", help="keep only these symbols (bulk CSV)")
    s.add_argument("--records", nargs="+", help="keep only these UNDL record ids (bulk CSV)")
    s.add_argument("--since", help="keep only votes on or after this day, YYYY-MM-DD (bulk CSV)")
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
    try:
        from . import pipeline  # noqa: F401  (registers run/ingest/fetch/diff when present)

        pipeline.register(sub)
    except ImportError:
        pass
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(message)s",
        stream=sys.stderr,
    )
    paths = Paths.default(args.root, args.sources)
    try:
        return args.func(args, paths)
    except UngaBriefError as e:
        print(f"unga-brief: {e}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        print("unga-brief: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
