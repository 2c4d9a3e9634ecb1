"""Dated vertical lines (breaks in a series, emergency measures, rule changes) are labelled on the chart with short
labels from the data that do not collide, with a legend that says what each kind of line means and shows a kind
alone when clicked; the projections chart shows the latest edition in colour and every earlier one in grey."""
import json
import re

import pandas as pd
import pytest
import vl_convert as vlc

from justice_tracker.chapters import marks
from justice_tracker.chapters import population
from justice_tracker.chapters import recalls
from justice_tracker.chapters import staffing
from justice_tracker.chapters.common import load_table
from support.chart_specs import only_spec


def _spec(block_html: str) -> dict:
    return only_spec(block_html)


def _mark(layer: dict) -> str | None:
    mark = layer.get("mark")
    return mark if isinstance(mark, str) or mark is None else mark.get("type")


def _records(spec: dict, layer: dict) -> list[dict]:
    data = layer.get("data", {})
    return spec["datasets"][data["name"]] if "name" in data else data.get("values", [])


@pytest.fixture(scope="module")
def weekly_and_breaks(config):
    weekly, _, breaks = population.load(config, "weekly_population_capacity", "weekly_population_prt",
                                        "definitional_breaks", "2011-01-01")
    return weekly, breaks


@pytest.fixture(scope="module")
def measures():
    return population.emergency_measures()


@pytest.fixture(scope="module")
def charts(config, weekly_and_breaks, measures):
    """Every chart that draws dated lines, by chart id."""
    weekly, breaks = weekly_and_breaks
    recall_data = recalls.load(config)
    staff = staffing.load(config, "officer_fte_quarterly", "officer_staffing_vs_target", "officers_annual_prt",
                          "probation_caseload")
    blocks = {
        "population-vs-capacity": population.population_chart(weekly, breaks, config),
        "headroom": population.headroom_chart(weekly, breaks, config),
        "population-emergency-measures": population.recent_chart(weekly, measures, config),
        "adult-male-estate-fullness": population.fullness_chart(weekly, measures, config),
        "projections-vs-outturn": population.projections_chart(weekly, load_table(config, "projections"), config,
                                                               measures),
        "recall-population": recalls.recall_population_chart(recall_data, config),
        "recall-share-of-population": recalls.recall_share_chart(recall_data, config),
        "recalls-per-quarter": recalls.recalls_per_quarter_chart(recall_data, config),
        "recalls-vs-releases": recalls.recalls_vs_releases_chart(recall_data, config),
        "recalls-per-100-releases-annual": recalls.recalls_per_100_annual_chart(recall_data, config),
        "probation-caseload": staffing.probation_chart(staff, config),
    }
    return {chart_id: block.html for chart_id, block in blocks.items()}


def test_every_dated_line_is_labelled_and_has_a_legend_that_shows_a_kind_alone(charts):
    for chart_id, block in charts.items():
        spec = _spec(block)
        layers = spec["layer"]
        rules = [la for la in layers if _mark(la) == "rule" and "label" in (_records(spec, la) or [{}])[0]]
        assert rules, f"{chart_id}: no dated lines"
        texts = [la for la in layers if _mark(la) == "text"]
        labels = [r for la in texts for r in _records(spec, la) if "text" in r]
        for rule in rules:
            # The legend says what each kind means, and a click on it shows that kind alone.
            stroke = rule["encoding"]["stroke"]
            assert stroke["field"] == "kind" and stroke["legend"] is not None and stroke["title"], chart_id
            [param] = [p for p in spec.get("params", []) + rule.get("params", [])
                       if rule.get("name") in p.get("views", [rule.get("name")])]
            assert param["bind"] == "legend" and param["select"]["fields"] == ["kind"], chart_id
            assert rule["encoding"]["opacity"]["condition"]["param"] == param["name"], chart_id
            for line in _records(spec, rule):
                # Each line rises to the row of a label of its kind (or a label shared by lines of two kinds).
                names = [t for t in labels if t["top"] == line["top"] and (t["kind"] == line["kind"] or t["n"] > 1)]
                assert names, (chart_id, line)
            for text in texts:
                assert text["encoding"]["opacity"]["condition"]["param"] == param["name"], chart_id


def test_labels_are_drawn_in_the_static_picture_and_do_not_collide_at_its_width(charts):
    """The static SVG (what a reader without JavaScript, and every download, sees) has no selection: every line and
    label shows. Each label lies inside the picture, and no two labels in a row overlap at its plot width."""
    for chart_id, block in charts.items():
        spec = _spec(block)
        svg = vlc.vegalite_to_svg(spec)
        width = float(re.search(r'<svg[^>]*width="([\d.]+)"', svg).group(1))
        drawn = re.findall(r'<text[^>]*aria-roledescription="text mark"[^>]*text-anchor="(start|end)"[^>]*'
                           r'transform="translate\(([-\d.]+),([-\d.]+)\)"[^>]*opacity="1">([^<]+)</text>', svg)
        plot_left = float(re.search(r'<g fill="none" stroke-miterlimit="10" transform="translate\(([\d.]+),', svg)
                          .group(1))
        labels = {t["text"] for la in spec["layer"] if _mark(la) == "text" for t in _records(spec, la)}
        seen = {text.replace("&amp;", "&") for *_, text in drawn}
        assert labels and labels <= seen, (chart_id, labels - seen)
        rows: dict[str, list[tuple[float, float]]] = {}
        for anchor, x, y, text in drawn:
            text = text.replace("&amp;", "&")
            if text not in labels:
                continue
            w = marks.text_width(text)
            x0 = float(x) if anchor == "start" else float(x) - w
            assert -plot_left <= x0 and plot_left + x0 + w <= width + 1, (chart_id, text)
            rows.setdefault(y, []).append((x0, x0 + w))
        for y, spans in rows.items():
            spans = sorted(set(spans))
            for (a0, a1), (b0, b1) in zip(spans, spans[1:]):
                assert a1 <= b0, (chart_id, y, spans)


def test_the_layout_keeps_labels_apart_and_lines_off_other_labels():
    """Thirty lines in a year on a plot the width of the static picture: however crowded, labels never share
    pixels in a row and stay inside the plot (or the gutter left of it)."""
    dates = pd.Timestamp("2020-01-01") + pd.to_timedelta([i * 12 for i in range(30)], unit="D")
    lines = pd.DataFrame({"date": dates, "kind": ["a", "b"] * 15, "short": [f"change {i}" for i in range(30)]})
    labels = marks.layout(lines, dates.min(), dates.max())
    assert labels["n"].sum() == 30
    for _, row in labels.groupby("row"):
        spans = sorted(zip(row["x0"], row["x1"]))
        assert all(a1 + marks.GAP_PX <= b0 for (_, a1), (b0, _) in zip(spans, spans[1:]))
    assert (labels["x0"] >= -marks.LEFT_SPILL_PX).all() and (labels["x1"] <= marks.MIN_PLOT_WIDTH).all()
    # Lines a pixel apart are one line on screen: they share one label, their short labels joined.
    close = pd.DataFrame({"date": pd.to_datetime(["2024-09-09", "2024-09-10", "2026-01-01"]), "kind": ["a", "b", "a"],
                          "short": ["ECSL ends", "SDS40", "later"]})
    shared = marks.layout(close, pd.Timestamp("2022-07-01"), pd.Timestamp("2026-09-01"))
    assert list(shared["text"]) == ["ECSL ends / SDS40", "later"] and list(shared["n"]) == [2, 1]
    # Where a line would have to cross another's label, the layout puts that label above the line instead.
    pair = pd.DataFrame({"date": pd.to_datetime(["2024-04-02", "2024-09-10"]), "kind": ["a", "a"],
                         "short": ["a long label here", "b"]})
    two = marks.layout(pair, pd.Timestamp("2023-01-01"), pd.Timestamp("2026-06-01"))
    first, second = two.iloc[0], two.iloc[1]
    x_second = (pd.Timestamp("2024-09-10") - pd.Timestamp("2023-01-01")) / (
        pd.Timestamp("2026-06-01") - pd.Timestamp("2023-01-01")) * marks.MIN_PLOT_WIDTH
    assert not (first["x0"] <= x_second <= first["x1"] and second["row"] > first["row"])


def test_short_labels_come_from_the_data(weekly_and_breaks, measures, config):
    _, breaks = weekly_and_breaks
    # A break's label says what its full label says the margin or layout became.
    for _, b in breaks.iterrows():
        short = population.break_short_label(b["kind"], b["label"])
        became = re.search(r" to ([^;\s]+)", b["label"]).group(1)
        assert short == f"{population.BREAK_WORDS[b['kind']]} {became}", b["label"]
    assert population.break_short_label("operating_margin", "Operating margin 1,000 to 900") == "margin 900"
    # Emergency measures and recall rule changes carry a curated short label, short enough for a narrow chart.
    rules = recalls.load_rule_changes()
    for short in [*measures["short_label"], *rules["short_label"]]:
        assert 2 <= len(short) <= 18
    assert set(measures["kind"]) == set(population.MEASURE_KINDS)
    # Lines too close to label one by one share a label that says how many it names and where the margin ended.
    weekly, breaks = weekly_and_breaks
    lines = population.break_lines(breaks, weekly["date"].min(), weekly["date"].max())
    shared = lines.labels[lines.labels["n"] > 1]
    assert len(shared) > 0 and int(lines.labels["n"].sum()) == len(breaks)
    for _, s in shared.iterrows():
        run = breaks[(breaks["date"] >= s["first"]) & (breaks["date"] <= s["last"])]
        assert len(run) == s["n"] and run["kind"].nunique() == 1
        assert s["text"].endswith(re.search(r" to ([^;\s]+)", run["label"].iloc[-1]).group(1))
        assert f"×{s['n']}" in s["text"]


def test_alt_texts_name_the_labels(charts, measures):
    summaries = {cid: re.search(r'<p class="jct-chart-summary">(.*?)</p>', block).group(1)
                 for cid, block in charts.items()}
    spec = _spec(charts["population-vs-capacity"])
    labels = {t["text"] for la in spec["layer"] if _mark(la) == "text" for t in _records(spec, la)}
    for label in labels:
        assert label in summaries["population-vs-capacity"] and label in summaries["headroom"]
    recent = summaries["population-emergency-measures"]
    for short in measures["short_label"]:
        assert f"(labelled {short})" in recent


def test_projections_colour_the_latest_edition_and_grey_every_earlier_one(charts, config):
    projections = load_table(config, "projections")
    central = projections[projections["scenario"] == "central"]
    latest = central.loc[pd.to_datetime(central["base_date"]).idxmax(), "edition"]
    spec = _spec(charts["projections-vs-outturn"])
    edition_layers = []
    for layer in spec["layer"]:
        for inner in layer.get("layer", []):
            colour = inner.get("encoding", {}).get("color", {})
            if colour.get("field") == "shown_as":
                edition_layers.append((inner, dict(zip(colour["scale"]["domain"], colour["scale"]["range"]))))
    colour_of = {}
    for layer, scale in edition_layers:
        tooltips = {t["field"] for t in layer["encoding"]["tooltip"]}
        for r in _records(spec, layer):
            if "edition" in r and "after_policy" in r:
                colour_of.setdefault(r["edition"], set()).add(scale[r["shown_as"]])
                assert "edition" in tooltips  # each edition is still named on hover
    assert set(colour_of) == set(central["edition"])
    grey = {c for e, cs in colour_of.items() if e != latest for c in cs}
    assert len(grey) == 1
    (g,) = grey
    r, gr, b = (int(g[i:i + 2], 16) for i in (1, 3, 5))
    assert r == gr == b and r >= 0x99  # a light, neutral grey
    assert colour_of[latest] != grey and len(colour_of[latest]) == 1
