"""What-if runs: parameters other than ``params.yaml`` never replace the published report.

A run whose parameters differ from the project's ``params.yaml`` (``formats`` aside: it only
chooses HTML and/or PDF) publishes into ``report/whatif/<name>/`` (:func:`whatif_folder`), a
folder of its own holding its briefing, notebooks, tables, figures, manifest and parameters.
:func:`changed_parameters` lists what differs, for the run's output line and the title page;
in a notebook, :func:`notebook_changes` gives the same list from the notebook's parameters.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from unga_brief.core.paths import Paths
from unga_brief.report.params import plain

#: Parameters that choose how the report is delivered, not what it says.
DELIVERY_ONLY = frozenset({"formats"})
WHATIF_DIR = "whatif"


def changed_parameters(defaults: dict, chosen: dict) -> list[tuple[str, object, object]]:
    """``(name, default, value)`` for every parameter of ``chosen`` that differs from
    ``defaults`` (both as read from their YAML files), in the order of ``defaults``;
    delivery-only parameters (``formats``) are left out."""
    names = list(defaults) + [k for k in chosen if k not in defaults]
    out = []
    for name in names:
        if name in DELIVERY_ONLY or name not in chosen:
            continue
        default, value = plain(defaults.get(name)), plain(chosen[name])
        if default != value:
            out.append((name, default, value))
    return out


def notebook_changes(
    namespace: dict, paths: Paths | None = None
) -> list[tuple[str, object, object]]:
    """:func:`changed_parameters` of a notebook's parameters (its globals) against the
    project's ``params.yaml``: what a title page lists."""
    from unga_brief.report.params import load_params_file

    defaults = load_params_file(None, paths or Paths.default())
    return changed_parameters(defaults, {k: namespace[k] for k in defaults if k in namespace})


def whatif_name(params_file: Path, changes: list[tuple[str, object, object]]) -> str:
    """``<params file stem>-<8 hex digits of the changed values>``: the same parameters give
    the same folder, other ones a new folder."""
    stem = re.sub(r"[^A-Za-z0-9_]+", "-", Path(params_file).stem).strip("-")[:40] or "params"
    digest = hashlib.sha256(
        json.dumps([[n, v] for n, _d, v in changes], sort_keys=True, default=str).encode()
    ).hexdigest()[:8]
    return f"{stem}-{digest}"


def whatif_folder(paths: Paths, name: str) -> Path:
    return paths.report / WHATIF_DIR / name


def describe(changes: list[tuple[str, object, object]], limit: int = 160) -> str:
    """One short phrase: ``window [a, b] -> [c, d]; blocs …``."""
    text = "; ".join(f"{n} {d!r} -> {v!r}" for n, d, v in changes)
    return text if len(text) <= limit else text[: limit - 1] + "…"
