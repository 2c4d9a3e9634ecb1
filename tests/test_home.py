"""The home page: every chapter listed, and each sentence about the latest figures true to the processed tables
(recomputed here from the CSV files, not through the page's code)."""
from __future__ import annotations

import html
import re

import pandas as pd
import pytest

from justice_tracker.chapters.home import Change
from justice_tracker.config import load_config
from justice_tracker.paths import REPO_ROOT

PROCESSED = REPO_ROOT / "data" / "processed"


def _main_text(site) -> tuple[str, str]:
    page = (site / "book" / "intro.html").read_text(encoding="utf-8")
    main = page[page.index("<main"):page.index("</main>")]
    # Tags drop out without a space: a glossary link inside a sentence must not split it.
    return main, " ".join(html.unescape(re.sub(r"<[^>]+>", "", main)).split())


def test_the_home_page_links_every_page_of_the_table_of_contents(site):
    main, _ = _main_text(site)
    links = set(re.findall(r'href="([^"#]+)"', main))
    config = load_config()
    missing = [c.title for part in config.toc.parts for c in part.chapters
               if f"{c.file.removeprefix('book/')}.html" not in links]
    assert missing == []
    assert len(config.toc.parts) >= 3


def test_the_recall_sentence_says_the_direction_the_series_went(site):
    series = pd.read_csv(PROCESSED / "recall_population_monthly.csv", dtype={"month": str})
    series = series.dropna(subset=["recall_population"]).set_index("month")["recall_population"]
    latest = max(series.index)
    year, month = latest.split("-")
    a_year_before = f"{int(year) - 1}-{month}"
    now, then = series[latest], series[a_year_before]
    word = "up" if now > then else "down"
    label = pd.Timestamp(a_year_before + "-01").strftime("%B %Y")
    expected = f"{now:,.0f} people were in prison on a licence recall in " \
               f"{pd.Timestamp(latest + '-01').strftime('%B %Y')}, {word} {abs(now - then) / then * 100:.1f}% on {label}."
    _, text = _main_text(site)
    assert expected in text
    assert "keeps growing" not in text


def test_the_population_sentence_is_the_latest_week(site):
    weekly = pd.read_csv(PROCESSED / "weekly_population_capacity.csv").dropna(subset=["population", "uoc"])
    row = weekly.loc[weekly["date"].idxmax()]
    day = pd.Timestamp(row["date"])
    _, text = _main_text(site)
    assert (f"On {day.day} {day.strftime('%B %Y')} there were {row['population']:,.0f} people in prison in England "
            f"and Wales: {row['population'] / row['uoc'] * 100:.1f}% of useable operational capacity, leaving "
            f"{row['uoc'] - row['population']:,.0f} places free") in text


@pytest.mark.parametrize("now, then, words", [(110, 100, "up 10.0% on"), (89, 100, "down 11.0% on"),
                                              (100.02, 100, "about the same as in")])
def test_a_change_is_worded_by_its_sign(now, then, words):
    assert Change(now, then, "May 2026", "May 2025").phrase().startswith(words)


# --- the dashboard ----------------------------------------------------------------------------------------------

TILE = re.compile(r'<p class="jct-tile-label">(.*?)</p>\s*<p class="jct-tile-value">(.*?)</p>')
DASH = re.compile(r'<a class="jct-dash-link" href="([^"]+)">\s*<span class="jct-dash-label">(.*?)</span>\s*'
                  r'<span class="jct-dash-value">(.*?)</span>\s*<span class="jct-dash-date">(.*?)</span>', re.S)


def _text(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", fragment)).split())


def _dashboard(site) -> dict[str, tuple[str, str, str]]:
    page = (site / "book" / "intro.html").read_text(encoding="utf-8")
    return {_text(label): (href, _text(value), _text(date)) for href, label, value, date in DASH.findall(page)}


# Each front-page tile against the tile of the chapter it links to (label on the home page, label on the chapter).
SAME_FIGURE = [("Prison population", "Prison population"), ("Prisons: capacity in use", "Capacity in use"),
               ("Adult male prisons: capacity in use", "Adult male estate: capacity in use"),
               ("People in prison on recall", "People in prison on recall (month)"),
               ("Band 3-5 officers in post as % of target staffing",
                "Band 3-5 officers in post as % of target staffing (against a target)"),
               ("People under probation supervision (caseload)", "People under probation supervision (caseload)"),
               ("Places out of use (Baseline CNA minus In Use CNA)", "Places out of use (Baseline CNA minus In Use CNA)")]


@pytest.mark.parametrize("home_label, chapter_label", SAME_FIGURE)
def test_each_front_page_figure_is_the_figure_on_its_chapter(site, home_label, chapter_label):
    href, value, _ = _dashboard(site)[home_label]
    chapter = (site / "book" / href).resolve().read_text(encoding="utf-8")
    tiles = {_text(label): _text(v) for label, v in TILE.findall(chapter)}
    assert chapter_label in tiles, sorted(tiles)
    number = re.match(r"[\d,.]+%?", value).group(0)
    assert number == tiles[chapter_label]


def test_the_front_page_shows_every_tile_with_a_date_and_the_age_of_its_figures(site):
    tiles = _dashboard(site)
    config = load_config()
    assert len(tiles) == len(config.home().notebook.parameters["dashboard"]) >= 8
    assert all(date for _, _, date in tiles.values())
    page = (site / "book" / "intro.html").read_text(encoding="utf-8")
    weekly = pd.read_csv(PROCESSED / "weekly_population_capacity.csv")
    day = pd.Timestamp(weekly["date"].max())
    assert f"the weekly prison population bulletin of {day.day} {day.strftime('%B %Y')}" in _text(page)
    assert "newer figures may exist" in _text(page)


def test_a_trend_line_is_described_from_its_own_data():
    from justice_tracker.chapters.home import tiles

    config = load_config()
    spec = [{"headline": "prison-population", "page": "book/chapters/population-capacity", "years": 1}]
    tile = tiles(config, spec)[0]
    weekly = pd.read_csv(PROCESSED / "weekly_population_capacity.csv", parse_dates=["date"]).sort_values("date")
    latest = weekly.iloc[-1]
    first = weekly[weekly["date"] >= latest["date"] - pd.DateOffset(years=1)].iloc[0]
    assert tile.trend.endswith(f"from {first['population']:,.0f} to {latest['population']:,.0f}")
    assert len(tile.points.split()) == len(weekly[weekly["date"] >= first["date"]])
