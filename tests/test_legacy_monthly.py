"""Legacy monthly per-prison bulletins (Jan 2011 - May 2016): all 50 real files parse, agree with the Total
rows recorded in shared/data/PROVENANCE.md and with their own totals; names resolve to keys that join the
2018-2026 series; broken files, made here in tmp_path, fail naming the file and what was expected."""
from __future__ import annotations

import csv
import json
import re
import shutil
import time
import zipfile

import pandas as pd
import pytest

from justice_tracker.files import sha256_file
from justice_tracker.ingest import table_csv_text
from justice_tracker.ingest.legacy_monthly import (build_monthly_establishments_legacy,
                                                   build_monthly_totals_legacy)
from justice_tracker.parsers import legacy_monthly
from justice_tracker.parsers.base import ParseError
from justice_tracker.parsers.prison_names import ALIASES_FILE, load_prison_names, slug
from justice_tracker.parsers.wordtext import read_word_text

SLUG = "prison-population-monthly-legacy"


@pytest.fixture(scope="session")
def shared_config(config, shared_raw):
    return config.model_copy(update={"raw_dirs": [str(shared_raw)]})


@pytest.fixture(scope="session")
def names(shared_config):
    return load_prison_names(shared_config)


@pytest.fixture(scope="session")
def provenance(shared_raw) -> dict[str, dict]:
    """PROVENANCE.md's row for each legacy file: report date, sha256, container and the Total row as published."""
    rows = {}
    for line in (shared_raw.parent / "PROVENANCE.md").read_text(encoding="utf-8").splitlines():
        if not line.startswith(f"| raw/{SLUG}/"):
            continue
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]]
        path, reference_date, sha256, contents = cells[0], cells[5], cells[6], cells[9]
        total_cells = [c.strip() for c in contents.split("Total row:", 1)[1].split("\\|")]
        rows[path.rsplit("/", 1)[1]] = {
            "report_date": reference_date.split()[0],
            "sha256": sha256,
            "contents": contents,
            "total_label": total_cells[0],
            # '  87,690**' and '97% NOTE: ...' -> first token; the '**' marker cell dropped
            "total_values": [c.split()[0] for c in total_cells[1:] if c.split()[0] != "**"],
        }
    return rows


@pytest.fixture(scope="session")
def parsed(shared_raw, names):
    """Every legacy file parsed once; the elapsed time is kept to check the suite stays fast."""
    start = time.perf_counter()
    results = {p.name: legacy_monthly.parse(p, names) for p in sorted((shared_raw / SLUG).iterdir())}
    return results, time.perf_counter() - start


def _row(parsed, file, key):
    table = parsed[0][file].table
    match = table[table["prison_key"] == key]
    assert len(match) == 1, f"{key} in {file}: {len(match)} rows"
    return match.iloc[0]


def test_all_50_files_parse_quickly(parsed, provenance):
    results, seconds = parsed
    assert len(results) == 50 and set(results) == set(provenance)
    assert seconds < 20, f"parsing the 50 files took {seconds:.1f} s"
    assert {r.meta["container"] for r in results.values()} == {"doc", "rtf", "docx"}
    assert len({r.meta["bulletin_month"] for r in results.values()}) == 50


def test_report_date_and_total_row_match_provenance(parsed, provenance, shared_raw):
    number = re.compile(r"^([\d,]+)(\*\*)?$|^(\d+)%$")
    for file, expected in provenance.items():
        result = parsed[0][file]
        assert sha256_file(shared_raw / SLUG / file) == expected["sha256"], file
        assert result.meta["report_date"] == expected["report_date"], file
        values = [int((m.group(1) or m.group(3)).replace(",", ""))
                  for m in (number.match(v) for v in expected["total_values"])]
        total = result.meta["total"]
        if expected["total_label"] == "Total Population":  # Jan and Feb 2011: the summary block
            assert result.meta["total_layout"] == "summary block"
            assert [total["population"]] == values, file
        else:
            assert expected["total_label"] == "Total"
            printed = [total[k] for k in ("baseline_cna", "in_use_cna", "uoc", "population",
                                          "pct_pop_to_in_use_cna", "pct_accommodation_available")]
            assert printed == values, file
        container = ("rtf" if "RTF" in expected["contents"] else "docx" if ".docx" in expected["contents"]
                     else "doc")
        assert result.meta["container"] == container, file


def test_sums_of_rows_reconcile_with_every_total(parsed):
    for file, result in parsed[0].items():
        meta, table = result.meta, result.table
        assert meta["operating_margin"] == 2000, file
        total = meta["total"]
        assert table["baseline_cna"].sum() == total["baseline_cna"], file
        assert table["in_use_cna"].sum() == total["in_use_cna"], file
        assert table["population"].sum() == total["population"], file
        assert table["op_cap"].sum() - meta["operating_margin"] == total["uoc"], file
        assert {c["measure"] for c in meta["checks"] if c["row"] == "Total"} >= {
            "baseline_cna", "in_use_cna", "uoc", "population"}


def test_report_date_comes_from_the_file_not_its_name(parsed):
    june = parsed[0]["prison-population-monthly-july2012.docx"].meta
    assert (june["report_date"], june["bulletin_month"]) == ("2012-06-29", "2012-06")
    assert june["title"] == "Monthly Bulletin - June 2012"
    assert parsed[0]["prison-population-monthly-jul2012.docx"].meta["report_date"] == "2012-07-27"


@pytest.mark.parametrize("file, key, expected", [
    # closed: Baseline, In Use and op cap printed, population and % Pop to In Use CNA blank
    ("prison-population-january-2016.rtf", "blantyre-house", (122, 0, 0, None, None, 0)),
    # emptying: op cap printed (129) but no population; confirmed by the exact op-cap total
    ("prison-population-monthly-feb2013.docx", "gloucester", (225, 225, 129, None, None, 100)),
    # only Baseline CNA printed
    ("prison-population-monthly-december-2013.docx", "downview", (355, None, None, None, None, None)),
    # population printed as 0 stays 0; the lone percentage is In Use / Baseline
    ("prison-population-monthly-oct-2011.doc", "latchmere-house", (207, 0, 0, 0, None, 0)),
    # cells separated by runs of spaces instead of tabs
    ("10004C6Apop_bull_feb_11.doc", "ashwell", (599, 184, 214, 0, 0, 31)),
])
def test_short_rows_are_read_by_value_not_position(parsed, file, key, expected):
    row = _row(parsed, file, key)
    columns = legacy_monthly.COUNT_COLUMNS + legacy_monthly.PERCENT_COLUMNS
    assert tuple(None if pd.isna(row[c]) else int(row[c]) for c in columns) == expected


def test_quirks_of_labels_and_sections(parsed):
    results = parsed[0]
    wrapped = _row(parsed, "prison-population-bulletin-june.doc", "standford-hill")
    assert wrapped["row_label"] == "Standford Hill (Sheppey Cluster)"  # name wrapped onto a second line
    assert (wrapped["baseline_cna"], wrapped["population"]) == (464, 452)
    marked = _row(parsed, "prison-population-bulletin-march-2011.doc", "hatfield")
    assert (marked["row_label"], marked["establishment"]) == ("Hatfield***", "Hatfield")
    irc = results["prison-population-january-2016.rtf"].table
    assert set(irc.loc[irc["section"] == "irc", "prison_key"]) == {"morton-hall", "the-verne"}
    assert set(results["10004C44pop_bull_jan_11.doc"].table["section"]) == {"prison"}  # no IRC section yet
    for result in results.values():
        assert not result.table["row_label"].str.contains(r"(?i)^(?:sub ?)?total").any()


def test_printed_percentages_that_contradict_their_row_are_reported_not_changed(parsed):
    gaps = {(file, g["row_label"], g["printed"]) for file, r in parsed[0].items()
            for g in r.meta["percent_inconsistencies"]}
    assert gaps == {
        ("10004C44pop_bull_jan_11.doc", "Usk/ Prescoed", 116),  # 426 / 335 = 127%
        ("prison-population-bulletin-may-2011.doc", "Lindholme", 12),  # 994 / 930 = 107%
        ("prison-population-monthly-mar2012.doc", "Sub total", 96),  # 87,080 / 77,467 = 112%
        ("prison-population-monthly-mar2012.doc", "Total", 96),  # 87,868 / 78,335 = 112%
    }
    assert _row(parsed, "prison-population-bulletin-may-2011.doc", "lindholme")["pct_pop_to_in_use_cna"] == 12


def test_every_printed_name_has_a_key_and_every_alias_is_used(parsed, names):
    for file, result in parsed[0].items():  # an unknown name would have failed the parse, naming it
        assert result.table["prison_key"].str.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*").all(), file
        assert (result.table["prison_name"].str.strip() != "").all(), file
    printed = {slug(label) for r in parsed[0].values() for label in r.table["row_label"]}
    with open(ALIASES_FILE, newline="", encoding="utf-8") as f:
        aliases = [row["alias"] for row in csv.DictReader(f)]
    assert [a for a in aliases if slug(a) not in printed] == []
    assert [a for a in aliases if names.register.get(slug(a)) == names.aliases[slug(a)]] == []


def test_keys_join_the_2018_2026_series(parsed, names, shared_raw):
    legacy = {k for r in parsed[0].values() for k in r.table["prison_key"]}
    with open(shared_raw / "processed-prisoncap" / "monthly_establishments.csv", newline="") as f:
        later = {slug(row["prison_key"]) for row in csv.DictReader(f)}
    # Establishments in 2018-2026 but not 2011-2016 are the prisons opened since.
    assert later - legacy == {"berwyn", "five-wells", "fosse-way", "millsike"}
    with open(shared_raw / "prison-register" / "former-prisons__prisons.tsv", newline="") as f:
        closed = {slug(row["name"]) for row in csv.DictReader(f, delimiter="\t")}
    alias_only = {p.key for p in names.aliases.values()} - {p.key for p in names.register.values()}
    unexplained = legacy - later - closed - alias_only
    assert unexplained == {"glen-parva"}  # closed in 2017, after the 2016-17 register


def test_parsing_is_deterministic(shared_raw, names):
    for file in ("prison-population-monthly-nov2012.doc", "prison-population-may-2015.rtf",
                 "prison-population-monthly-feb2013.docx"):
        first, second = (legacy_monthly.parse(shared_raw / SLUG / file, names) for _ in range(2))
        assert table_csv_text(first.table) == table_csv_text(second.table)
        assert json.dumps(first.meta, sort_keys=True) == json.dumps(second.meta, sort_keys=True)


def test_identify_recognises_the_bulletins_only(shared_raw):
    assert all(legacy_monthly.identify(p) for p in (shared_raw / SLUG).iterdir())
    assert not legacy_monthly.identify(shared_raw / "processed-prisoncap" / "monthly_establishments.csv")


def test_processed_rows_point_at_the_line_they_came_from(config, shared_raw):
    table = pd.read_csv(config.processed_path("monthly_establishments_legacy"), dtype={"row_ref": str})
    assert list(table.columns[-5:]) == ["source_id", "source_file", "source_url", "raw_sha256", "row_ref"]
    assert len(table.drop_duplicates(["report_date", "prison_key"])) == len(table)
    for _, row in table.sample(30, random_state=2).iterrows():
        path = shared_raw / row["source_file"]
        assert sha256_file(path) == row["raw_sha256"]
        line = read_word_text(path).lines[int(row["row_ref"].split()[1]) - 1]
        assert line.split()[0] == row["row_label"].split()[0]
        assert f"{int(row['baseline_cna']):,}" in line.split()


# Broken files, written here.

MINIMAL = [
    "\tMonthly Bulletin - June 2015",
    "Report Date:\t26/06/2015\tPage\t1",
    "\tPrison Name\tBaseline \tIn Use CNA\tOperational \tPopulation *\t% Pop to     In \t% Accommodation ",
    "\tCNA\tCapacity\tUse CNA\tAvailable",
    "Altcourse\t794\t794\t1,033\t1,032\t130%\t100%",
    "Blantyre House\t122\t0\t0\t0%",
    "Sub total\t916\t794\t1,033\t1,032\t130%\t87%",
    "NOMS Operated Immigration Removal Centres (IRCs)",
    "Morton Hall (IRC)\t392\t392\t392\t363\t93%\t100%",
    "Sub total\t392\t392\t392\t363\t93%\t100%",
    "Total\t1,308\t1,186\t1,225\t**\t1,395\t118%\t91%",
    "** Useable Operational Capacity of the estate is the sum of all establishments' operational capacity less 200 places.",
]


def _rtf(lines: list[str]) -> bytes:
    body = "".join(line.replace("\\", "\\\\").replace("{", "\\{").replace("}", "\\}").replace("\t", "\\tab ")
                   + "\\par\n" for line in lines)
    return ("{\\rtf1\\ansi\\ansicpg1252 " + body + "}").encode("cp1252")


def test_a_minimal_bulletin_parses_the_same_from_rtf_and_docx(tmp_path, names):
    import docx

    (tmp_path / "bulletin.rtf").write_bytes(_rtf(MINIMAL))
    document = docx.Document()
    for line in MINIMAL:
        document.add_paragraph(line)
    document.save(tmp_path / "bulletin.doc")  # a .docx under a .doc name: sniffed, not trusted
    from_rtf = legacy_monthly.parse(tmp_path / "bulletin.rtf", names)
    from_docx = legacy_monthly.parse(tmp_path / "bulletin.doc", names)
    assert (from_rtf.meta["container"], from_docx.meta["container"]) == ("rtf", "docx")
    columns = [c for c in from_rtf.table.columns if c != "source_file"]
    assert table_csv_text(from_rtf.table[columns]) == table_csv_text(from_docx.table[columns])
    assert list(from_rtf.table["prison_key"]) == ["altcourse", "blantyre-house", "morton-hall"]
    assert from_rtf.meta["total"]["uoc"] == 1225 and from_rtf.meta["operating_margin"] == 200


def _replace(old: str, new: str):
    return lambda lines: [line.replace(old, new) for line in lines]


@pytest.mark.parametrize("edit, message", [
    (_replace("Total\t1,308\t1,186\t1,225\t**\t1,395", "Total\t1,308\t1,186\t1,225\t**\t1,396"),
     r"Total population: the rows give 1,395, the bulletin prints 1,396"),
    (_replace("\t1,225\t**", "\t1,425\t**"), r"Total uoc: the rows give 1,225, the bulletin prints 1,425"),
    (lambda lines: lines[:2] + lines[4:], r"no table header line 'Prison Name"),
    (lambda lines: lines[:3] + lines[4:], r"line 3: the header's second line .* does not follow"),
    (lambda lines: lines[1:], r"no title line 'Monthly Bulletin"),
    (lambda lines: [lines[0]] + lines[2:], r"no 'Report Date: dd/mm/yyyy"),
    (_replace("26/06/2015", "26/07/2015"), r"title 'Monthly Bulletin - June 2015' disagrees with report date 2015-07-26"),
    (lambda lines: lines[:10] + lines[11:], r"line 11: expected the 'Total' row after the Sub total on line 10"),
    (_replace("Altcourse\t794\t794", "Altcourse\t794\tx794"), r"line 5: cannot interpret 'Altcourse 794 x794"),
    (_replace("Altcourse", "Atlantis"), r"line 5: establishment name 'Atlantis' is neither in"),
    (_replace("Blantyre House\t122\t0\t0\t0%", "Blantyre House\t122\t0\t0\t50%"),
     r"line 6: cannot tell which column the lone percentage 50%"),
    (_replace("less 200 places", "less N places"), r"no statement of the operating margin"),
])
def test_broken_bulletins_fail_naming_the_file_and_what_was_expected(tmp_path, names, edit, message):
    path = tmp_path / "broken-bulletin.rtf"
    path.write_bytes(_rtf(edit(list(MINIMAL))))
    with pytest.raises(ParseError, match=r"^broken-bulletin\.rtf: " + message):
        legacy_monthly.parse(path, names)


@pytest.mark.parametrize("content, found", [
    (b"<!DOCTYPE html><html><body>Page not found</body></html>", "'html'"),
    (b"", "'empty'"),
    (b"Prison Name,Baseline CNA\nAltcourse,794\n", "'csv-or-text'"),
])
def test_files_that_are_not_word_documents_fail_naming_what_they_are(tmp_path, names, content, found):
    path = tmp_path / "monthly-bulletin.doc"
    path.write_bytes(content)
    assert not legacy_monthly.identify(path)
    with pytest.raises(ParseError, match=rf"^monthly-bulletin\.doc: expected a Word document .* found {found}"):
        legacy_monthly.parse(path, names)


def test_two_files_for_one_month_keep_one_and_say_which(tmp_path, shared_config, shared_raw):
    raw = tmp_path / "raw"
    shutil.copytree(shared_raw / "prison-register", raw / "prison-register")
    (raw / SLUG).mkdir(parents=True)
    for name in ("prison-population-monthly-nov2012.doc", "prison-population-may-2015.rtf",
                 "prison-population-monthly-july2012.docx"):
        shutil.copy(shared_raw / SLUG / name, raw / SLUG / name)
    cfg = shared_config.model_copy(update={"raw_dirs": [str(raw)]})
    table = cfg.table("monthly_establishments_legacy")
    assert len(build_monthly_totals_legacy(cfg, cfg.table("monthly_totals_legacy"))) == 3
    # The same bytes under another name (a sample file also downloaded by update) count once, silently.
    shutil.copy(shared_raw / SLUG / "prison-population-monthly-july2012.docx", raw / SLUG / "june-again.docx")
    again = build_monthly_establishments_legacy(cfg, table)
    assert again["bulletin_month"].nunique() == 3 and not again.attrs["notes"]
    # Other bytes for the same month: one is kept (the newer publication; here, with no lock to date them, the
    # later name) and the note names both, so nothing is dropped silently.
    (raw / SLUG / "a-may-2015-reissue.rtf").write_bytes((raw / SLUG / "prison-population-may-2015.rtf").read_bytes()
                                                         + b"\n")
    built = build_monthly_establishments_legacy(cfg, table)
    assert built["bulletin_month"].nunique() == 3
    assert set(built.loc[built["bulletin_month"] == "2015-05", "source_file"]) == {f"{SLUG}/prison-population-may-2015.rtf"}
    assert built.attrs["notes"] == [f"{SLUG}/a-may-2015-reissue.rtf and {SLUG}/prison-population-may-2015.rtf are both "
                                    "the bulletin for 2015-05; kept "
                                    f"{SLUG}/prison-population-may-2015.rtf, the newer publication"]


def test_damaged_documents_fail_naming_the_damage(tmp_path, shared_raw, names):
    truncated = tmp_path / "truncated.doc"
    truncated.write_bytes((shared_raw / SLUG / "prison-population-monthly-nov2012.doc").read_bytes()[:6000])
    with pytest.raises(ParseError, match=r"^truncated\.doc: damaged ole document, cannot read its text"):
        legacy_monthly.parse(truncated, names)
    broken = tmp_path / "broken.docx"
    with zipfile.ZipFile(broken, "w") as z:
        z.writestr("word/document.xml", "<w:document")
    with pytest.raises(ParseError, match=r"^broken\.docx: damaged docx document, cannot read its text"):
        legacy_monthly.parse(broken, names)
