"""Benchmark: streaming ``read_bulk_csv`` vs a naive ``pandas.read_csv`` on a full-size GA bulk CSV.

    .venv/bin/python bench/bench_ingest.py [--records 4660] [--chunksize 200000] [--repeat 3]

Writes a synthetic GA bulk CSV in the 2026 layout (default 4,660 records x 193 states, about
900,000 rows and 350 MB, with long title / agenda_title / subjects columns, every record's
totals equal to its rows) into a temporary folder, deleted afterwards. Then, in the same run,
each in its own fresh child process (spawned, so their memory does not mix):

  (a) ``unga_brief.undl.bulk_csv.read_bulk_csv(path, symbols={a few symbols})``
  (b) ``pandas.read_csv(path)`` of the whole file, then the same symbols selected

and prints, for each, the wall time of the call (median of ``--repeat`` runs, alternated),
rows read per second, and the child's peak RSS (``getrusage(RUSAGE_SELF).ru_maxrss`` at the
end, highest over the runs, with the RSS after imports shown too), then the ratios. Run by hand, not by pytest.
"""

from __future__ import annotations

import argparse
import csv
import io
import multiprocessing as mp
import os
import random
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
FIXTURE = ROOT / "tests" / "fixtures" / "undl" / "record_4083529.xml"

HEADER = (
    "undl_id,ms_code,ms_name,ms_vote,date,session,resolution,draft,committee_report,"
    "meeting,title,agenda_title,subjects,vote_note,total_yes,total_no,total_abstentions,"
    "total_non_voting,total_ms,undl_link"
)

WORDS = (
    "protection of civilians and upholding legal and humanitarian obligations situation "
    "of human rights in the temporarily occupied territories of Ukraine including the "
    "Autonomous Republic of Crimea and the city of Sevastopol territorial integrity "
    "peaceful settlement of the question of Palestine implementation of the two-State "
    "solution assistance to Palestine refugees operations of the United Nations Relief "
    "and Works Agency comprehensive and lasting peace Syrian Golan Jerusalem "
    "permanent sovereignty over natural resources right of peoples to self-determination "
    "nuclear disarmament prohibition of the use of nuclear weapons general and complete "
    "disarmament oceans and the law of the sea sustainable development"
).split()
SUBJECTS = [
    "TERRITORIES OCCUPIED BY ISRAEL--SETTLEMENT POLICY",
    "HUMANITARIAN ASSISTANCE",
    "UKRAINE--TERRITORIAL INTEGRITY",
    "PALESTINE QUESTION",
    "HUMAN RIGHTS ADVANCEMENT",
    "NUCLEAR DISARMAMENT",
    "SELF-DETERMINATION OF PEOPLES",
    "PEACEFUL SETTLEMENT",
    "PALESTINE REFUGEES--ASSISTANCE",
    "ARMED CONFLICTS--CIVILIAN PERSONS",
    "INTERNATIONAL SECURITY",
    "DEVELOPMENT FINANCE",
    "LAW OF THE SEA",
]


def _q(value: str) -> str:
    """One CSV field, quoted as csv.writer would."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="").writerow([value])
    return buf.getvalue()


def generate(path: Path, n_records: int, seed: int = 20260206) -> list[str]:
    """Write the synthetic file; return every record's symbol (in file order)."""
    from unga_brief.undl.marc_xml import parse_marc_xml

    states = parse_marc_xml(FIXTURE).votes[["iso3", "name"]].itertuples(index=False)
    states = [(iso3, _q(name)) for iso3, name in states]
    rng = random.Random(seed)
    symbols = []
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(HEADER + "\n")
        for i in range(n_records):
            year = 1946 + i * 80 // n_records
            session = str(year - 1945)
            rid = str(100000 + i * 7)
            symbol = f"A/RES/{session}/{i % 400 + 1}"
            symbols.append(symbol)
            date = f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
            title = " ".join(rng.choices(WORDS, k=rng.randint(6, 14))).capitalize()
            agenda = " ".join(rng.choices(WORDS, k=rng.randint(4, 10))).capitalize()
            subjects = "|".join(rng.sample(SUBJECTS, rng.randint(2, 4)))
            weights = [
                rng.randint(40, 150),
                rng.randint(0, 20),
                rng.randint(5, 60),
                rng.randint(3, 20),
            ]
            votes = rng.choices("YNAX", weights=weights, k=len(states))
            t = {c: votes.count(c) for c in "YNAX"}
            middle = ",".join(
                [
                    date,
                    session,
                    symbol,
                    f"A/{session}/L.{rng.randint(1, 90)}",
                    f"A/{session}/{rng.randint(300, 700)}",
                    f"A/{session}/PV.{rng.randint(1, 120)}",
                    _q(f"{title} : resolution / adopted by the General Assembly"),
                    _q(agenda),
                    _q(subjects),
                    "",
                    f"{float(t['Y'])},{float(t['N'])},{float(t['A'])},{float(t['X'])},"
                    f"{float(len(states))}",
                    f"https://digitallibrary.un.org/record/{rid}",
                ]
            )
            f.write(
                "".join(
                    f"{rid},{iso3},{name},{v},{middle}\n"
                    for (iso3, name), v in zip(states, votes, strict=True)
                )
            )
    return symbols


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _current_rss_mb() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 2**20


def child_streaming(path: str, symbols: list[str], chunksize: int, out) -> None:
    sys.path.insert(0, str(ROOT / "src"))
    from unga_brief.undl.bulk_csv import read_bulk_csv

    base = _current_rss_mb()
    t0 = time.perf_counter()
    got = read_bulk_csv(path, symbols=set(symbols), chunksize=chunksize)
    wall = time.perf_counter() - t0
    out.put(
        {
            "wall": wall,
            "kept": len(got.votes),
            "records": len(got.texts),
            "base_mb": base,
            "peak_mb": _peak_rss_mb(),
        }
    )


def child_naive(path: str, symbols: list[str], out) -> None:
    import pandas as pd

    base = _current_rss_mb()
    t0 = time.perf_counter()
    df = pd.read_csv(path)
    kept = df[df["resolution"].isin(symbols)]
    wall = time.perf_counter() - t0
    out.put(
        {
            "wall": wall,
            "kept": len(kept),
            "records": kept["undl_id"].nunique(),
            "rows": len(df),
            "base_mb": base,
            "peak_mb": _peak_rss_mb(),
        }
    )


def run_child(target, *args) -> dict:
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    p = ctx.Process(target=target, args=(*args, q))
    p.start()
    result = q.get()
    p.join()
    if p.exitcode:
        raise SystemExit(f"{target.__name__} failed with exit code {p.exitcode}")
    return result


def summarise(runs: list[dict]) -> dict:
    """Median wall time, highest peak RSS over the repeats."""
    out = dict(runs[0])
    out["wall"] = statistics.median(r["wall"] for r in runs)
    out["peak_mb"] = max(r["peak_mb"] for r in runs)
    out["base_mb"] = max(r["base_mb"] for r in runs)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--records", type=int, default=4660)
    ap.add_argument("--chunksize", type=int, default=200_000)
    ap.add_argument("--repeat", type=int, default=3, help="runs of each approach (median shown)")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench_ingest_") as tmp:
        path = Path(tmp) / "2026_02_06_ga_voting.csv"
        t0 = time.perf_counter()
        symbols = generate(path, args.records)
        gen = time.perf_counter() - t0
        size = path.stat().st_size
        n_rows = args.records * 193
        # A few symbols, spread over the file (the last one near its end).
        wanted = sorted({symbols[int(args.records * f)] for f in (0.05, 0.5, 0.8, 0.999)})
        print(
            f"file: {n_rows:,} rows, {args.records:,} records, {size / 2**20:,.0f} MiB "
            f"(written in {gen:.1f} s); filter: {len(wanted)} symbols {', '.join(wanted)}"
        )
        print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs\n")

        runs_a, runs_b = [], []
        for _ in range(args.repeat):  # alternated, each in a fresh child process
            runs_a.append(run_child(child_streaming, str(path), wanted, args.chunksize))
            runs_b.append(run_child(child_naive, str(path), wanted))
        a, b = summarise(runs_a), summarise(runs_b)
        assert a["kept"] == b["kept"] and a["records"] == b["records"], (a, b)
        assert b["rows"] == n_rows
        walls = {
            k: ", ".join(f"{r['wall']:.2f}" for r in runs)
            for k, runs in (("a", runs_a), ("b", runs_b))
        }
        print(f"wall times, s: (a) {walls['a']}; (b) {walls['b']} (medians below)\n")

    rows = "rows kept"
    print(
        f"{'approach':<52} {'wall s':>8} {'rows/s':>12} {'peak RSS MiB':>13} "
        f"{'(after imports)':>16} {rows:>10}"
    )
    for label, r in (
        (f"(a) read_bulk_csv(symbols=..., chunksize={args.chunksize:,})", a),
        ("(b) pandas.read_csv(path) + filter", b),
    ):
        print(
            f"{label:<52} {r['wall']:>8.2f} {n_rows / r['wall']:>12,.0f} "
            f"{r['peak_mb']:>13,.0f} {r['base_mb']:>16,.0f} {r['kept']:>10,}"
        )
    print(
        f"\nratios (b)/(a): wall time {b['wall'] / a['wall']:.2f}x, peak RSS "
        f"{b['peak_mb'] / a['peak_mb']:.2f}x, peak RSS above imports "
        f"{(b['peak_mb'] - b['base_mb']) / (a['peak_mb'] - a['base_mb']):.2f}x; "
        f"rows/s (a)/(b) {b['wall'] / a['wall']:.2f}x"
    )


if __name__ == "__main__":
    main()
