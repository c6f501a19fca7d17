"""One analysis pass per run: the frames the pipeline computes once (``build/cache/<digest>/``)
are those a notebook run by hand computes itself, and a broken cache is never fatal."""

from __future__ import annotations

import dataclasses
import pickle

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from unga_brief.pipeline import input_digest, input_files
from unga_brief.report import finding, run_cache
from unga_brief.report.context import open_context


def _prepare(paths, params):
    _digest, per_file = input_digest(input_files(paths, paths.params_yaml))
    return run_cache.prepare(paths, params, per_file)


def _sentences(ctx) -> list[tuple[str, str, str]]:
    """Every finding of the briefing computed by its own function in ``ctx`` (not read from a
    cache: the frames they read are then in ``ctx.cache``)."""
    from unga_brief.report.briefing_findings import LISTS, compute_one

    found = [compute_one(ctx, key) for keys in LISTS.values() for key in keys]
    return [(f.key, f.sentence, f.firm) for f in found]


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


def _same_finding(a, b) -> None:
    assert (a.key, a.sentence, a.firm, a.headline, a.holds, a.texts, a.left_out) == (
        b.key,
        b.sentence,
        b.firm,
        b.headline,
        b.holds,
        b.texts,
        b.left_out,
    )
    assert_frame_equal(a.data, b.data)
    assert (a.chart is None) == (b.chart is None)
    if a.chart is not None:
        assert (a.chart.title, a.chart.subtitle, a.chart.alt) == (
            b.chart.title,
            b.chart.subtitle,
            b.chart.alt,
        )
        assert_frame_equal(a.chart.data, b.chart.data)


@pytest.mark.slow
def test_every_finding_alone_equals_its_entry_in_the_briefing_and_in_the_shared_cache(
    project, standalone, tmp_path
):
    """A notebook run by hand computes one finding with ``ctx.finding(key)``; `unga-brief run`
    reads it from the cache, computed in the briefing's lists: the same finding either way."""
    from unga_brief.report.briefing_findings import EXTRA, LISTS, makers

    lists = {name: standalone.briefing_findings(name) for name in LISTS}
    in_lists = [f.key for found in lists.values() for f in found]
    assert sorted(makers()) == sorted([*in_lists, *EXTRA])  # no finding without its maker
    folder = _prepare(project, standalone.params)
    shared = open_context(
        {"output_dir": str(tmp_path / "shared"), "cache_dir": str(folder)}, paths=project
    )
    for name, found in lists.items():
        assert [f.key for f in shared.briefing_findings(name)] == [f.key for f in found]
    by_key = {f.key: f for found in lists.values() for f in found}
    for key in makers():
        alone = open_context({"output_dir": str(tmp_path / key)}, paths=project).finding(key)
        assert alone.key == key
        if key in by_key:
            _same_finding(alone, by_key[key])
        cached = run_cache.load_entry(folder, ("finding", key))
        assert cached is not None, f"finding {key} not in the cache"
        _same_finding(cached, alone)
        _same_finding(shared.finding(key), alone)
    with pytest.raises(KeyError, match="no finding named"):
        standalone.finding("nonesuch")


def test_the_notebook_reads_a_shared_finding_from_the_cache(project, standalone, tmp_path):
    folder = _prepare(project, standalone.params)
    ns = {"output_dir": str(tmp_path / "nb"), "cache_dir": str(folder)}
    marker = dataclasses.replace(run_cache.load_entry(folder, ("finding", "hedgers")), sentence="M")
    with (folder / "finding-hedgers.pkl").open("wb") as f:
        pickle.dump(marker, f)
    assert open_context(ns, paths=project).finding("hedgers").sentence == "M"
    (folder / "finding-hedgers.pkl").write_bytes(b"broken")  # unreadable: computed instead
    assert open_context(ns, paths=project).finding("hedgers").sentence == (
        standalone.finding("hedgers").sentence
    )


def test_a_shared_chart_is_drawn_once_and_written_as_charts_save_writes_it(
    project, standalone, tmp_path
):
    from unga_brief.report import chart_style

    # A figure is drawn once (constrained layout moves things when drawn again): each drawing
    # gets its own copy, as each notebook of a run unpickles its own.
    blob = pickle.dumps(standalone.finding("ukraine_trend").chart)

    def chart():
        return pickle.loads(blob)

    direct = chart_style.save(chart(), "01_ukraine_trend", tmp_path / "direct")
    folder = tmp_path / "cache" / "charts" / "ukraine_trend"
    first = run_cache.save_chart(chart(), "01_ukraine_trend", tmp_path / "first", folder)
    assert first == direct
    for ext in ("svg", "csv"):
        assert (tmp_path / "first" / f"01_ukraine_trend.{ext}").read_bytes() == (
            tmp_path / "direct" / f"01_ukraine_trend.{ext}"
        ).read_bytes()

    class NotDrawn:  # a second notebook must not draw it again
        def __getattr__(self, name):
            raise AssertionError(f"chart drawn again ({name})")

    other = run_cache.save_chart(NotDrawn(), "ukraine_trend", tmp_path / "second", folder)
    assert other == chart_style.save(chart(), "ukraine_trend", tmp_path / "direct")
    assert (tmp_path / "second" / "ukraine_trend.svg").read_bytes() == (
        tmp_path / "direct" / "ukraine_trend.svg"
    ).read_bytes()
    # A folder missing a file is not trusted: the chart is drawn.
    (folder / f"{run_cache.CHART_PLACEHOLDER}.svg").unlink()
    again = run_cache.save_chart(chart(), "ukraine_trend", tmp_path / "third", folder)
    assert again == other


def test_the_context_draws_a_shared_finding_chart_through_the_cache(project, tmp_path):
    folder = _prepare(project, open_context({"output_dir": ""}, paths=project).params)
    ns = {"output_dir": str(tmp_path / "nb"), "cache_dir": str(folder)}
    # The run's analysis pass drew every shared finding's chart: a notebook copies it.
    from unga_brief.report.briefing_findings import every_key

    drawn = {p.name for p in (folder / run_cache.CHARTS).iterdir()}
    with_chart = {k for k in every_key() if run_cache.load_entry(folder, ("finding", k)).chart}
    assert drawn == with_chart and "gaza_trend" in drawn
    ctx = open_context(ns, paths=project)
    ctx.show(ctx.finding("gaza_trend").chart, "01_gaza_trend")
    alone = open_context({"output_dir": str(tmp_path / "alone")}, paths=project)
    alone.show(alone.finding("gaza_trend").chart, "01_gaza_trend")
    assert not alone.chart_keys  # no run cache: drawn directly
    assert (ctx.figures_dir / "01_gaza_trend.svg").read_bytes() == (
        alone.figures_dir / "01_gaza_trend.svg"
    ).read_bytes()


def test_a_project_without_the_assembly_layer_still_shares_its_findings(project, tmp_path):
    """The whole-Assembly layer is optional (a project may not have it): the run's one pass
    then shares everything else instead of failing and leaving every notebook to recompute."""
    import shutil

    shutil.rmtree(project.data / "assembly")
    params = open_context({"output_dir": str(tmp_path / "p")}, paths=project).params
    folder = _prepare(project, params)
    assert not run_cache.missing_entries(folder) and (folder / "ballots.pkl").is_file()
    assert not (folder / "assembly_layer.pkl").exists()
    assert run_cache.load_entry(folder, ("finding", "us_all_votes")).left_out


def test_the_analysis_pass_shared_out_by_two_processes_computes_each_finding_once(
    project, standalone, tmp_path
):
    """``unga-brief run`` shares the pass out among its kernels (:func:`run_cache.compute_part`
    in each, every finding taken by the first free): two processes at once compute every
    finding exactly once, and the folder holds what one process alone writes."""
    import concurrent.futures
    import multiprocessing

    from unga_brief.report.briefing_findings import every_key

    def fresh(name):
        folder = tmp_path / name
        folder.mkdir()
        with (folder / run_cache.RESOLVED_PARAMS).open("wb") as f:
            pickle.dump(standalone.params, f)
        return folder

    args = (str(project.root), str(project.sources), None)
    alone = fresh("alone")
    # every finding, once, claimed last first (the one-sentence findings end the pass)
    assert run_cache.compute_part(alone, *args) == list(reversed(every_key()))
    assert run_cache.compute_part(alone, *args) == []  # all taken: nothing computed again
    both = fresh("both")
    spawn = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(2, mp_context=spawn) as pool:
        shares = list(pool.map(run_cache.compute_part, [both, both], *zip(args, args)))
    assert all(shares)  # both processes took part (each computes for seconds)
    assert sorted(k for share in shares for k in share) == sorted(every_key())
    assert not run_cache.missing_entries(both)
    names = {p.relative_to(alone) for p in alone.rglob("*") if p.is_file()}
    assert names == {p.relative_to(both) for p in both.rglob("*") if p.is_file()}
    for key in every_key():
        _same_finding(
            run_cache.load_entry(both, ("finding", key)),
            run_cache.load_entry(alone, ("finding", key)),
        )
    for chart in (alone / run_cache.CHARTS).rglob("*.svg"):
        assert chart.read_bytes() == (both / chart.relative_to(alone)).read_bytes()


def test_a_failing_finding_fails_the_pass_and_leaves_no_cache_folder(
    project, standalone, monkeypatch
):
    from unga_brief.report import briefing_findings

    def broken(ctx):
        raise ValueError("broken on purpose")

    makers = briefing_findings.makers()
    monkeypatch.setattr(briefing_findings, "makers", lambda: {**makers, "cohesion": broken})
    with pytest.raises(ValueError, match="broken on purpose"):
        _prepare(project, standalone.params)
    assert [p.name for p in (project.build / "cache").iterdir()] == []


def test_a_cached_finding_drops_its_drawn_figure_and_can_draw_it_again(
    project, standalone, tmp_path
):
    """The pass pickles a finding without its chart's figure (its drawing is in the cache); a
    notebook that cannot read the drawing draws it again from the chart's recipe: same bytes."""
    from unga_brief.report import chart_style

    folder = _prepare(project, standalone.params)
    cached = run_cache.load_entry(folder, ("finding", "gaza_trend"))
    assert cached.chart.fig is None and cached.chart.phone is not None
    direct = chart_style.save(standalone.finding("gaza_trend").chart, "g", tmp_path / "direct")
    broken = tmp_path / "no-such" / "charts" / "gaza_trend"
    broken.parent.parent.write_text("a file where the cache folder should be")
    again = run_cache.save_chart(cached.chart, "g", tmp_path / "again", broken)
    assert again == direct
    for ext in ("svg", "csv"):
        assert (tmp_path / "again" / f"g.{ext}").read_bytes() == (
            tmp_path / "direct" / f"g.{ext}"
        ).read_bytes()
