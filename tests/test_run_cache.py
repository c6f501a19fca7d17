"""One analysis pass per run: the frames the pipeline computes once (``build/cache/<digest>/``)
are those a notebook run by hand computes itself, and a broken cache is never fatal."""

from __future__ import annotations

import dataclasses
import pickle

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from unga_brief.pipeline import input_digest, input_files
from unga_brief.report import finding, findings, run_cache, weighing
from unga_brief.report.context import open_context


def _prepare(paths, params):
    _digest, per_file = input_digest(input_files(paths, paths.params_yaml))
    return run_cache.prepare(paths, params, per_file)


def _sentences(ctx) -> list[tuple[str, str, str]]:
    return [
        (f.key, f.sentence, f.firm)
        for f in [*findings.all_findings(ctx), *weighing.all_weighing(ctx)]
    ]


@pytest.fixture
def standalone(project, tmp_path):
    """A notebook run by hand: no cache_dir, everything computed in its own context."""
    return open_context({"output_dir": str(tmp_path / "alone")}, paths=project)


@pytest.mark.slow
def test_shared_and_standalone_paths_give_identical_frames_and_sentences(
    project, standalone, tmp_path
):
    folder = _prepare(project, standalone.params)
    assert folder.parent == project.build / "cache" and (folder / "params.json").is_file()
    shared = open_context(
        {"output_dir": str(tmp_path / "shared"), "cache_dir": str(folder)}, paths=project
    )
    assert shared.cache_dir == folder
    for f in dataclasses.fields(run_cache.load_frames_from(folder)):
        assert_frame_equal(getattr(shared, f.name), getattr(standalone, f.name))
    alone_sentences = _sentences(standalone)  # fills standalone.cache with its own frames
    shared_sentences = _sentences(shared)
    for key, name in run_cache.SHARED.items():
        cached = run_cache.load_entry(folder, key)
        assert isinstance(cached, pd.DataFrame), f"{name} not in the cache"
        assert_frame_equal(cached, standalone.cache[key])
        assert_frame_equal(shared.cache[key], standalone.cache[key])
    assert shared_sentences == alone_sentences
    # The same inputs find the same folder: nothing recomputed, nothing added.
    assert _prepare(project, standalone.params) == folder
    assert [p.name for p in (project.build / "cache").iterdir()] == [folder.name]


def test_the_notebook_reads_the_shared_frame_and_falls_back_when_it_is_broken(
    project, standalone, tmp_path
):
    folder = _prepare(project, standalone.params)
    ns = {"output_dir": str(tmp_path / "nb"), "cache_dir": str(folder)}
    # The shared file is what the notebook gets (a marker frame proves the read path is used).
    marker = pd.DataFrame({"read_from": [str(folder)]})
    with (folder / "profiles.pkl").open("wb") as f:
        pickle.dump(marker, f)
    assert_frame_equal(finding.profiles(open_context(ns, paths=project)), marker)
    # Truncated or missing files: computed, equal to the standalone result.
    (folder / "profiles.pkl").write_bytes(b"\x80\x05trunc")
    (folder / "ballots.pkl").unlink()
    (folder / "frames.pkl").write_bytes(b"not a pickle")
    ctx = open_context(ns, paths=project)
    assert_frame_equal(ctx.votes, standalone.votes)
    assert_frame_equal(ctx.ballots(), standalone.ballots())
    assert_frame_equal(finding.profiles(ctx), finding.profiles(standalone))
    # A folder built for other parameters is not used at all.
    (folder / "params.json").write_text("{}", encoding="utf-8")
    assert open_context(ns, paths=project).cache_dir is None
    # No cache_dir (JupyterLab) or a folder that does not exist: computed.
    assert open_context({"output_dir": ""}, paths=project).cache_dir is None
    gone = {"output_dir": str(tmp_path / "nb"), "cache_dir": str(tmp_path / "absent")}
    ctx = open_context(gone, paths=project)
    assert ctx.cache_dir is None
    assert_frame_equal(ctx.ballots(True), standalone.ballots(True))


def test_the_digest_follows_the_data_and_the_parameters(project, standalone):
    _d, per_file = input_digest(input_files(project, project.params_yaml))
    base = run_cache.digest(per_file, standalone.params)
    assert run_cache.digest({**per_file, "notebooks/00_data.ipynb": "x"}, standalone.params) == base
    some_data = next(k for k in per_file if k.startswith("data/"))
    assert run_cache.digest({**per_file, some_data: "edited"}, standalone.params) != base
    other = dataclasses.replace(standalone.params, focus_countries=["USA"])
    assert other.focus_countries != standalone.params.focus_countries
    assert run_cache.digest(per_file, other) != base
