"""Benchmark: the whole-Assembly measures on a layer of ~900,000 state-votes.

    .venv/bin/python bench/bench_measures.py [--records 4700] [--seed 0]

Generates a synthetic long layer in the shape of :func:`unga_brief.data.assembly.load_assembly`
(``--records`` GA roll calls × 193 states, dated across five years, votes drawn Y 70 %, N 8 %,
A 15 %, X 7 %), then times, one after the other, :func:`unga_brief.analysis.baselines.state_baselines`,
:func:`unga_brief.analysis.baselines.coincidence_all_votes` and
:func:`unga_brief.analysis.agreement.any_pair_agreement` (every pair of the 193 states), each with its
wall time (a plain call) and the peak of memory allocated during a second call
(``tracemalloc``: numpy and pandas buffers included), and the process's peak RSS at the end. Targets: each call ≤ 2 s and
≤ 1 GB. Run by hand, never by pytest; exit 0 whether or not the targets are met.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
import tracemalloc

import numpy as np
import pandas as pd

from unga_brief.analysis.agreement import any_pair_agreement
from unga_brief.analysis.baselines import coincidence_all_votes, state_baselines

GB = 1024**3
TARGET_S = 2.0


def synthetic_layer(records: int, seed: int = 0) -> pd.DataFrame:
    """A long layer of ``records`` GA roll calls × 193 states (``load_assembly`` columns)."""
    rng = np.random.default_rng(seed)
    states = [f"S{i:03d}" for i in range(192)] + ["USA"]
    days = np.sort(rng.integers(0, 5 * 365, records))
    dates = pd.Timestamp("2021-01-01") + pd.to_timedelta(days, unit="D")
    n = records * len(states)
    rec_ids = np.repeat(np.arange(records).astype(str), len(states))
    votes = rng.choice(np.array(list("YNAX")), size=n, p=[0.70, 0.08, 0.15, 0.07])
    return pd.DataFrame(
        {
            "undl_record": rec_ids,
            "body": pd.Categorical(["GA"] * n),
            "session": pd.array(np.repeat(76 + days // 365, len(states)), dtype="Int64"),
            "meeting": pd.Categorical(["regular"] * n),
            "date": np.repeat(dates.to_numpy(), len(states)),
            "symbol": "",
            "title": "",
            "text_id": "",
            "iso3": np.tile(states, records),
            "vote": pd.Categorical(votes, categories=list("YNAX")),
        }
    )


def measure(label: str, fn, *args, **kw) -> dict:
    """Wall time of a plain call, then the allocation peak of a second call under tracemalloc
    (kept apart because tracing slows every allocation)."""
    t0 = time.perf_counter()
    out = fn(*args, **kw)
    wall = time.perf_counter() - t0
    tracemalloc.start()
    fn(*args, **kw)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    ok = wall <= TARGET_S and peak <= GB
    print(
        f"{label:<28} {wall:6.2f} s   peak {peak / 1024**2:7.1f} MB   rows {len(out):>7}   "
        f"{'ok' if ok else 'OVER TARGET'}"
    )
    return {"label": label, "wall": wall, "peak": peak, "ok": ok}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=4700)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    layer = synthetic_layer(args.records, args.seed)
    print(
        f"synthetic layer: {args.records} roll calls × 193 states = {len(layer):,} state-votes "
        f"(built in {time.perf_counter() - t0:.1f} s)"
    )
    results = [
        measure("state_baselines (year)", state_baselines, layer),
        measure("coincidence_all_votes", coincidence_all_votes, layer),
        measure("any_pair_agreement", any_pair_agreement, layer),
    ]
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(f"process peak RSS {rss / 1024**2:.0f} MB (layer included)")
    print(
        "targets (≤ 2 s and ≤ 1 GB each): "
        + ("met" if all(r["ok"] for r in results) else "NOT met")
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
