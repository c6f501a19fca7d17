"""Parameters: params.yaml is the only source of defaults; every bad value is refused before any
notebook starts, with one line naming the parameter and why (DESIGN §5)."""

from __future__ import annotations

import datetime as dt

import nbformat
import pytest
import yaml
from conftest import ROOT

from unga_brief.core import errors
from unga_brief.core.paths import Paths
from unga_brief.data.catalog import load_catalog
from unga_brief.data.members import load_groups, load_members
from unga_brief.report.params import (
    PARAMETERS,
    defaults,
    load_params_file,
    near_miss,
    notebook_values,
    parameters_cell_source,
    plain,
    read_yaml_mapping,
    resolve,
    write_parameters_cells,
)


@pytest.fixture(scope="module")
def frames():
    paths = Paths.default()
    return load_catalog(paths), load_members(paths), load_groups(paths)


def _resolve(frames, **override):
    cat, mem, grp = frames
    return resolve({**defaults(), **override}, cat, mem, grp)


def test_params_yaml_names_every_parameter_and_nothing_else():
    raw = yaml.safe_load((ROOT / "params.yaml").read_text())
    assert list(raw) == list(PARAMETERS)
    assert defaults() == raw


def test_every_notebook_parameters_cell_is_generated_from_params_yaml(tmp_path):
    """The cells equal what `unga-brief params` writes; editing params.yaml changes them."""
    assert write_parameters_cells(Paths.default(), check=True) == []
    want = yaml.safe_load((ROOT / "params.yaml").read_text())
    for nb_path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        nb = nbformat.read(nb_path, as_version=4)
        cells = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
        assert len(cells) == 1 and nb.cells.index(cells[0]) <= 1, nb_path.name
        ns: dict = {}
        exec(cells[0].source, ns)
        assert {k: ns[k] for k in want} == want, nb_path.name
        assert ns["output_dir"] == ""
    # a changed default reaches the generated source
    root = tmp_path / "p"
    root.mkdir()
    changed = dict(want, focus_countries=["USA", "FRA"])
    (root / "params.yaml").write_text(yaml.safe_dump(changed))
    assert "focus_countries = ['USA', 'FRA']" in parameters_cell_source(Paths.default(root=root))


def test_default_text_sets_are_the_ga_texts_of_each_topic_in_the_window(frames):
    cat = frames[0]
    p = _resolve(frames)
    chosen = cat.set_index("id").loc[p.all_texts]
    assert set(chosen["body"]) == {"GA"} and set(chosen["kind"]) <= {"resolution", "decision"}
    assert chosen["date"].min() >= p.window[0]
    start = {t: defaults()["default_from"][t] for t in ("ukraine", "gaza")}
    for topic, ids in (("ukraine", p.ukraine_texts), ("gaza", p.gaza_texts)):
        want = cat[
            (cat["body"] == "GA")
            & (cat["topic"] == topic)
            & cat["kind"].isin(["resolution", "decision"])
            & (cat["coverage"].astype(str) != "totals")
            & (cat["date"] >= max(p.window[0], __import__("pandas").Timestamp(start[topic])))
            & (cat["date"] <= p.window[1])
        ]
        assert set(ids) == set(want["id"]), topic


def test_window_bounds_the_default_sets(frames):
    p = _resolve(frames, window=["2023-01-01", "2024-12-31"])
    cat = frames[0].set_index("id")
    dates = cat.loc[p.all_texts, "date"]
    assert dates.min().year == 2023 and dates.max().year == 2024


def test_yaml_dates_are_dates(frames, tmp_path):
    f = tmp_path / "w.yaml"
    f.write_text("window: [2024-01-01, 2026-12-31]\n")
    raw = load_params_file(f)
    assert isinstance(raw["window"][0], dt.date)
    p = _resolve(frames, window=raw["window"])
    assert p.window[0].year == 2024


@pytest.mark.parametrize(
    "override, pattern",
    [
        (
            {"ukraine_texts": ["ga-es11-01", "no-such-text"]},
            r"ukraine_texts: unknown text id\(s\) no-such-text",
        ),
        ({"gaza_texts": ["ga-es11-01"]}, r"gaza_texts: ga-es11-01: not gaza texts"),
        (
            {"ukraine_texts": ["sc-2022-155", "sc-res-2623"]},
            r"ukraine_texts: .*Security Council texts",
        ),
        (
            {"ukraine_texts": ["ga-amend-2026-02-24-usa", "ga-es11-2026-02-24"]},
            r"ukraine_texts: ga-amend-2026-02-24-usa: amendments",
        ),
        ({"ukraine_texts": ["ga-68-262"]}, r"ukraine_texts: ga-68-262: outside the window"),
        (
            {"ukraine_texts": ["ga-77-229", "ga-78-221"]},
            r"hedger_series: series 'es11' has no text among the ukraine texts",
        ),
        (
            {"hedger_series": {"ukraine": "es10", "gaza": "es11"}},
            r"hedger_series: series 'es10' has no text among the ukraine texts",
        ),
        ({"hedger_series": {"ukraine": "es11"}}, r"hedger_series: expected \{ukraine"),
        ({"blocs": []}, r"parameter blocs: empty"),
        ({"switch_series": []}, r"parameter switch_series: empty"),
        ({"switch_series": ["es99"]}, r"switch_series: unknown series es99"),
        ({"focus_countries": ["USA", "XXX"]}, r"focus_countries: unknown country code\(s\) XXX"),
        ({"focus_countries": "USA"}, r"focus_countries: expected a list"),
        ({"focus_countries": ["USA"] * 500}, r"focus_countries: 500 items, at most"),
        ({"us_partners": ["USA"]}, r"us_partners: USA"),
        ({"window": ["2026-01-01", "2022-01-01"]}, r"window: empty window"),
        ({"window": ["2030-01-01", "2031-01-01"]}, r"window: empty window, no text voted"),
        ({"window": ["2022-02-30", "2023-01-01"]}, r"window: '2022-02-30' is not a date"),
        (
            {"window": ["2026-01-01", "2026-12-31"]},
            r"gaza_texts: no gaza Assembly text in the window",
        ),
        ({"coincidence_method": "2019"}, r"coincidence_method: '2019' is not one of"),
        ({"blocs": ["EU", "QUAD"]}, r"blocs: unknown bloc\(s\) QUAD"),
        ({"formats": ["docx"]}, r"parameter formats"),
        ({"report_title": " "}, r"report_title: empty"),
        ({"colour": "red"}, r"unknown parameter\(s\) colour"),
        (
            {"focus_country": ["USA"]},
            r"unknown parameter 'focus_country' — did you mean 'focus_countries'",
        ),
    ],
)
def test_bad_parameter_is_named(frames, override, pattern):
    with pytest.raises(errors.ParameterError, match=pattern):
        _resolve(frames, **override)


def test_notebook_globals_merge_over_params_yaml_and_near_misses_are_refused():
    got = notebook_values({"focus_countries": ["FRA"], "ctx": object(), "pd": None, "In": []})
    assert got["focus_countries"] == ["FRA"] and got["blocs"] == defaults()["blocs"]
    with pytest.raises(errors.ParameterError, match="did you mean 'focus_countries'"):
        notebook_values({"focus_country": ["USA"]})
    assert near_miss("windows") == "window" and near_miss("ctx") is None


def test_plain_values_pass_through_papermill():
    raw = {"window": [dt.date(2024, 1, 1), "2026-12-31"], "hedger_series": {"ukraine": "es11"}}
    assert plain(raw) == {
        "window": ["2024-01-01", "2026-12-31"],
        "hedger_series": {"ukraine": "es11"},
    }


@pytest.mark.parametrize(
    "content, pattern",
    [
        ("a: &x [1, 2]\nb: *x\n", "aliases are not accepted"),
        ("window: [2022-01-01\n", "not valid YAML"),
        ("- 1\n- 2\n", "expected a mapping"),
        ("1: x\n", "names must be text"),
    ],
)
def test_params_file_refusals(tmp_path, content, pattern):
    f = tmp_path / "p.yaml"
    f.write_text(content)
    with pytest.raises(errors.ParameterError, match=pattern):
        read_yaml_mapping(f)


def test_params_file_not_regular_or_not_utf8(tmp_path):
    with pytest.raises(errors.ParameterError, match="not a regular file"):
        read_yaml_mapping(tmp_path)
    f = tmp_path / "latin.yaml"
    f.write_bytes("report_title: caf\xe9\n".encode("latin-1"))
    with pytest.raises(errors.ParameterError, match="not UTF-8"):
        read_yaml_mapping(f)
    with pytest.raises(errors.ParameterError, match="not found"):
        read_yaml_mapping(tmp_path / "nope.yaml")
