"""The one way the project reads its YAML files (data/, the sources' metadata, refresh.yml):
PyYAML's safe loader, on libyaml's C parser when PyYAML was built with it (much
faster on ``data/catalog/texts.yml``; same documents, same errors, ``yaml.YAMLError``).

The analyst's parameters file is read by :mod:`unga_brief.report.params` with its own loader
(no aliases)."""

from __future__ import annotations

import yaml

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(text: str):
    """The YAML document in ``text`` (plain Python values: the safe subset)."""
    return yaml.load(text, Loader=_LOADER)  # noqa: S506 - a safe loader
