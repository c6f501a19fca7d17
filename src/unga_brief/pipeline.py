"""`unga-brief run`: validate -> notebooks -> render -> publish atomically (DESIGN §6).

Every output of a run is built in one temporary folder and moved into ``report/`` and
``figures/`` only when everything succeeded; on any failure nothing is published and the
previous outputs stay byte-identical.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import tempfile
import time
from pathlib import Path

from .paths import Paths

log = logging.getLogger(__name__)


def publish(staging: Path, target: Path) -> None:
    """Replace ``target`` by ``staging`` as one rename (the old folder is kept aside until the
    new one is in place, then removed). The target's tracked README.md is carried over."""
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


def run(paths: Paths) -> dict:
    """Validate the data and publish the coverage table (the notebooks come in later steps)."""
    from .validate import validate_data

    t0 = time.perf_counter()
    table = validate_data(paths)
    staging = Path(tempfile.mkdtemp(prefix=".report-", dir=paths.root))
    try:
        table.to_csv(staging / "coverage.csv", index=False, lineterminator="\n")
        manifest = {"validation": "ok", "texts": int(len(table)),
                    "timings_s": {"validate": round(time.perf_counter() - t0, 3)}}
        (staging / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
        publish(staging, paths.report)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return manifest


def _cmd_run(args: argparse.Namespace, paths: Paths) -> int:
    m = run(paths)
    print(f"published report/ ({m['texts']} texts validated)")
    return 0


def register(sub) -> None:
    s = sub.add_parser("run", help="validate, run the notebooks, render, publish report/ atomically")
    s.add_argument("--params", help="parameters file (default: params.yaml)")
    s.set_defaults(func=_cmd_run)
