"""Discovery against replayed GOV.UK responses: the recorded collections and search, and later editions built
from the recorded shapes with the new titles and slugs the publisher has since used."""

from justice_tracker.fetch.govuk import API_BASE_ENV, Discoverer, GovUkApi
from justice_tracker.fetch.http import HttpClient
from justice_tracker.cli import main as cli_main
from test_fetch_support import (  # noqa: F401  (web is a fixture)
    API, PRISON_COLLECTION, attachment, collection, derived_page, document_link, publication, recorded_2012_page,
    recorded_collection, replay_cassette, run, web,
)

PAGE_2012 = "/government/statistics/prison-population-2012"
WEEKLY_2024 = "/government/publications/prison-population-figures-2024"
MONTHLY_2024 = "/government/publications/prison-population-monthly-prison-figures-2024"
WEEKLY_2025 = "/government/publications/prison-population-weekly-estate-figures-2025"
MONTHLY_2025 = "/government/publications/prison-population-monthly-prison-figures-2025"


def _release(config, release_id):
    return next(r for r in config.releases if r.id == release_id)


def _listed(config, release_id):
    api = GovUkApi(HttpClient(min_interval=0))
    return [base_path for base_path, _, _ in Discoverer(api).listed_pages(_release(config, release_id))]


def test_prison_population_pages_are_chosen_by_title(shared_raw, web, config):
    replay_cassette(web, shared_raw)
    recorded = recorded_collection(shared_raw, "prison-population-statistics")["links"]["documents"]
    titles = {d["base_path"]: d["title"] for d in recorded}
    for release_id in ("prison-population-weekly", "prison-population-monthly"):
        listed = _listed(config, release_id)
        # every yearly page 2011-2024 (16 documents minus "Population in custody: Jan 2009 to Aug 2010")
        assert set(listed) == set(titles) - {"/government/statistics/population-in-custody"}
        assert titles[WEEKLY_2024] == "Prison population: weekly estate figures 2024"  # renamed, slug kept
        assert titles[MONTHLY_2024] == "Prison population: monthly prison figures 2024"
        assert {WEEKLY_2024, MONTHLY_2024, "/government/statistics/prison-population-figures"} <= set(listed)


def test_omsq_and_workforce_take_the_latest_editions_by_title(shared_raw, web, config):
    replay_cassette(web, shared_raw)
    assert _listed(config, "omsq") == [
        "/government/statistics/offender-management-statistics-quarterly-april-to-june-2024",
        "/government/statistics/offender-management-statistics-quarterly-january-to-march-2024",
        "/government/statistics/offender-management-statistics-quarterly-october-to-december-2023",
        "/government/statistics/offender-management-statistics-quarterly-july-to-september-2023",
    ]
    assert _listed(config, "hmpps-workforce") == [
        "/government/statistics/hm-prison-and-probation-service-workforce-quarterly-june-2024",
        "/government/statistics/hm-prison-and-probation-service-workforce-quarterly-march-2024",
        "/government/statistics/hm-prison-probation-service-workforce-quarterly-december-2023",
        "/government/statistics/hm-prison-probation-service-workforce-quarterly-september-2023",
    ]


def test_workforce_title_pattern_spans_every_slug_stem(shared_raw, web, config):
    replay_cassette(web, shared_raw)
    everything = _release(config, "hmpps-workforce").model_copy(update={"latest": None})
    api = GovUkApi(HttpClient(min_interval=0))
    listed = [p for p, _, _ in Discoverer(api).listed_pages(everything)]
    assert len(listed) == 45  # 47 documents, less HMP Liverpool and the recruitment management information
    for stem in ("hm-prison-and-probation-service-workforce-quarterly-", "hm-prison-probation-service-workforce-",
                 "her-majestys-prison-and-probation-service-workforce-", "national-offender-management-service-"):
        assert any(stem in p for p in listed), stem
    assert not any("hmp-liverpool" in p or "recruitment" in p for p in listed)


def test_projections_come_from_the_search_api(shared_raw, web, config):
    """Projection editions are in no collection; the query matches the recorded URL exactly, repeated filters
    and all, so the replay also checks the request."""
    replay_cassette(web, shared_raw)
    assert _listed(config, "prison-population-projections") == [
        "/government/statistics/prison-population-projections-2023-to-2028",
        "/government/statistics/prison-population-projections-2022-to-2027",
        "/government/statistics/prison-population-projections-2021-to-2026",
        "/government/statistics/prison-population-projections-2020-to-2026",
        "/government/statistics/prison-population-projections-2016-to-2021",
    ]  # not the landing page "Prison population projections", which has no edition years


def test_search_follows_pages_until_total(web):
    base = {"filter_organisations": "ministry-of-justice"}
    fields = "&".join(f"fields={f}" for f in
                      ("description", "document_collections", "link", "public_timestamp", "title", "first_published_at"))
    for start, links in ((0, ["/a", "/b"]), (2, ["/c"])):
        web.add(f"{API}/api/search.json?filter_organisations=ministry-of-justice&{fields}&count=2&start={start}",
                {"results": [{"link": link, "title": link} for link in links], "total": 3, "start": start})
    results = GovUkApi(HttpClient(min_interval=0)).search(base, page_size=2)
    assert [r.link for r in results] == ["/a", "/b", "/c"]


def test_dry_run_lists_the_2012_bulletins_with_their_classification(shared_raw, web, config, tmp_path):
    replay_cassette(web, shared_raw)
    web.add_content(PAGE_2012, recorded_2012_page(shared_raw))
    summary = run(config, tmp_path, dry_run=True, only=["prison-population-weekly", "prison-population-monthly"])

    by_title = {c.title: c for c in summary.to_fetch}
    kinds = [c.classification.kind for c in summary.to_fetch]
    assert (kinds.count("weekly"), kinds.count("monthly")) == (51, 12)  # 63 attachments on the 2012 page
    december = by_title["Population bulletin - Monthly December 2012"]
    assert (december.classification.reference_date, december.file_size, december.url) == (
        "2012-12", 50836,
        "https://assets.publishing.service.gov.uk/media/5a7564c840f0b6360e473c50/prison-population-monthly-dec2012.doc")
    assert december.release.slug == "prison-population-monthly"
    june = by_title["Population Bulletin - Monthly June 2012"]
    assert (june.filename, june.classification.reference_date) == ("prison-population-monthly-july2012.docx", "2012-06")
    weekly = by_title["Population Bulletin - Weekly 28 December 2012"]
    assert (weekly.classification.kind, weekly.classification.reference_date, weekly.release.slug) == (
        "weekly", "2012-12-28", "prison-population-weekly")
    assert by_title["Population bulletin - Weekly 9 March 2012"].classification.reference_date == "2012-03-09"
    assert {c.publication.title for c in summary.to_fetch} == {"Prison population figures: 2012"}
    # both releases read the same collection and page: one request each
    assert web.calls_to(f"{API}/api/content{PRISON_COLLECTION}") == 1
    assert web.calls_to(f"{API}/api/content{PAGE_2012}") == 1

    # the other 14 selected pages were never recorded: each is a failure naming its URL, for each release
    assert len(summary.failures) == 28 and all("HTTP 404" in f.reason for f in summary.failures)
    assert f"{API}/api/content{WEEKLY_2024}" in {f.url for f in summary.failures}
    assert summary.exit_code == 1
    report = summary.report()
    assert "Population Bulletin - Weekly 28 December 2012 | weekly 2012-12-28 | 28,672 bytes" in report
    assert "nothing was written" in report
    assert list(tmp_path.iterdir()) == []


def test_later_editions_with_new_titles_and_slugs_are_found(shared_raw, web, config, tmp_path):
    """The 2025 pages are not in the recording: the collection gains them (shape as recorded), and their
    attachments use the later title style, one with the publisher's 'Jnauary'."""
    recorded = recorded_collection(shared_raw, "prison-population-statistics")
    page_2012 = recorded_2012_page(shared_raw)
    documents = [document_link(WEEKLY_2025, "Prison population: weekly estate figures 2025", "2025-01-20T11:00:00Z"),
                 document_link(MONTHLY_2025, "Prison population: monthly prison figures 2025", "2025-02-07T16:00:00Z")]
    documents += recorded["links"]["documents"]
    web.add_content(PRISON_COLLECTION, collection(PRISON_COLLECTION, recorded["title"], documents))
    web.add_content(WEEKLY_2025, derived_page(page_2012, WEEKLY_2025, documents[0]["title"], "2025-01-20T11:00:00Z", [
        attachment("Population bulletin: weekly 13 Jnauary 2025", "prison-pop-13-jan-2025.ods", 9000),
        attachment("Population bulletin: weekly 6 January 2025 ", "6_January_PSWEBREPORT.ods", 9100),
    ]))
    web.add_content(MONTHLY_2025, derived_page(page_2012, MONTHLY_2025, documents[1]["title"], "2025-02-07T16:00:00Z", [
        attachment("Population bulletin: monthly January 2025", "monthly-bulletin-jan-2025.ods", 20000),
    ]))
    web.add_content(WEEKLY_2024, derived_page(page_2012, WEEKLY_2024, "Prison population: weekly estate figures 2024",
                                              "2024-11-18T11:38:20Z", [
        attachment("Population bulletin: weekly 18 November 2024 ", "prison-pop-18-nov-2024.ods", 9200),
    ]))

    summary = run(config, tmp_path, dry_run=True, only=["prison-population-weekly", "prison-population-monthly"])
    got = {(c.release.id, c.publication.base_path, c.classification.describe()) for c in summary.to_fetch}
    assert got == {
        ("prison-population-weekly", WEEKLY_2025, "weekly 2025-01-13"),
        ("prison-population-weekly", WEEKLY_2025, "weekly 2025-01-06"),
        ("prison-population-weekly", WEEKLY_2024, "weekly 2024-11-18"),
        ("prison-population-monthly", MONTHLY_2025, "monthly 2025-01"),
    }
    assert {c.title for c in summary.to_fetch} >= {"Population bulletin: weekly 6 January 2025"}  # stripped
    assert all("HTTP 404" in f.reason for f in summary.failures)  # only the pages nobody recorded


def test_an_unknown_attachment_title_is_an_error_naming_it_and_its_page(web, config, tmp_path):
    web.add_content(PRISON_COLLECTION, collection(PRISON_COLLECTION, "Prison population statistics", [
        document_link(WEEKLY_2025, "Prison population: weekly estate figures 2025", "2025-01-20T11:00:00Z")]))
    web.add_content(WEEKLY_2025, publication(WEEKLY_2025, "Prison population: weekly estate figures 2025",
                                             "2025-01-20T11:00:00Z", [
        attachment("Population bulletin: weekly 6 January 2025", "prison-pop-6-jan-2025.ods", 9000),
        attachment("Prison population: estate notes, January 2025", "notes.ods", 500),
    ]))
    summary = run(config, tmp_path, dry_run=True, only=["prison-population-weekly"])
    assert [c.title for c in summary.to_fetch] == ["Population bulletin: weekly 6 January 2025"]  # carries on
    [failure] = summary.failures
    assert failure.title == "Prison population: estate notes, January 2025"
    assert "unknown attachment title format" in failure.reason and WEEKLY_2025 in failure.reason
    assert "notes.ods" in failure.url
    assert summary.exit_code == 1


def test_renamed_pages_that_no_longer_match_are_reported(web, config, tmp_path):
    web.add_content(PRISON_COLLECTION, collection(PRISON_COLLECTION, "Prison population statistics", [
        document_link(WEEKLY_2025, "Weekly estate figures: 2025", "2025-01-20T11:00:00Z")]))
    summary = run(config, tmp_path, dry_run=True, only=["prison-population-weekly"])
    [failure] = summary.failures
    assert "no publication title matches" in failure.reason
    assert failure.url == f"{API}/api/content{PRISON_COLLECTION}"


def _tiny_prison_collection(web, base):
    web.add(f"{base}/api/content{PRISON_COLLECTION}", collection(PRISON_COLLECTION, "Prison population statistics", [
        document_link(WEEKLY_2025, "Prison population: weekly estate figures 2025", "2025-01-20T11:00:00Z")]))
    web.add(f"{base}/api/content{WEEKLY_2025}", publication(
        WEEKLY_2025, "Prison population: weekly estate figures 2025", "2025-01-20T11:00:00Z",
        [attachment("Population bulletin: weekly 6 January 2025", "prison-pop-6-jan-2025.ods", 9000)]))


def test_the_api_base_comes_from_the_argument_or_the_environment(web, config, tmp_path, monkeypatch):
    _tiny_prison_collection(web, "http://mirror.test")
    monkeypatch.setenv(API_BASE_ENV, "http://mirror.test/")
    assert len(run(config, tmp_path, dry_run=True, only=["prison-population-weekly"]).to_fetch) == 1
    monkeypatch.setenv(API_BASE_ENV, "http://elsewhere.test")
    summary = run(config, tmp_path, dry_run=True, only=["prison-population-weekly"], api_base="http://mirror.test")
    assert len(summary.to_fetch) == 1 and not summary.failures
    assert web.calls_to(f"{API}/api/content{PRISON_COLLECTION}") == 0


def test_update_command_prints_the_dry_run_and_returns_the_exit_code(web, capsys):
    _tiny_prison_collection(web, API)
    assert cli_main(["update", "--dry-run", "--no-progress", "--only", "prison-population-weekly"]) == 0
    out = capsys.readouterr().out
    assert "1 file(s) would be fetched" in out and "Population bulletin: weekly 6 January 2025 | weekly 2025-01-06" in out
    assert all(agent.startswith("justice-crisis-tracker/") for agent in web.user_agents)

    web.add(f"{API}/api/content{WEEKLY_2025}", b"<html>maintenance</html>")
    assert cli_main(["update", "--dry-run", "--no-progress", "--only", "prison-population-weekly"]) == 1
    assert "response is not valid JSON" in capsys.readouterr().out

    assert cli_main(["update", "--dry-run", "--only", "no-such-release"]) == 1
    assert "unknown release id(s) ['no-such-release']" in capsys.readouterr().err


def test_latest_keeps_the_newest_pages_whatever_the_listed_order(web, config):
    omsq = "/government/collections/offender-management-statistics-quarterly"
    editions = [("january-to-march-2024", "January to March 2024", "2024-07-25T10:29:50Z"),
                ("july-to-september-2024", "July to September 2024", "2025-01-30T09:30:00Z"),
                ("april-to-june-2023", "April to June 2023", "2023-10-25T23:00:00Z"),
                ("april-to-june-2024", "April to June 2024", "2024-10-31T00:00:00Z"),
                ("october-to-december-2023", "October to December 2023", "2024-04-24T23:00:00+01:00"),
                ("july-to-september-2023", "July to September 2023", "2024-01-25T09:30:10Z")]
    web.add_content(omsq, collection(omsq, "Offender management statistics quarterly", [
        document_link(f"/government/statistics/offender-management-statistics-quarterly-{slug}",
                      f"Offender management statistics quarterly: {period}", updated, "national_statistics")
        for slug, period, updated in editions]))
    assert [p.rsplit("quarterly-", 1)[1] for p in _listed(config, "omsq")] == [
        "july-to-september-2024", "april-to-june-2024", "january-to-march-2024", "october-to-december-2023"]
