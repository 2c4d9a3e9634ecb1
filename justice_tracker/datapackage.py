"""The open data package: every processed table as CSV with a Frictionless `datapackage.json`.

One package per edition (editions/<id>/data/datapackage.json, written when the edition is frozen) and one in
every built site (<site>/data/, from `_extra/data/`). Resource paths are relative to the package's folder and
point at `processed/<table>.csv`, so the same descriptor serves the frozen copy and the published one.

What comes from where:
- tables, their descriptions and keys: tracker.yml `tables`;
- field names and types: the pandera schemas in justice_tracker/schemas.py (the CSV is validated against them
  before it is written);
- licences, attribution and sources: tracker.yml `sources`, for every source the table reads directly or through
  the tables it is derived from;
- field descriptions and units: `FIELDS` below, the one place they are written (a test fails if a column of any
  table lacks one).

`check_package` re-reads a written package the way a consumer would (sizes, hashes, header, every cell against
its declared type, the primary key): the build and `make edition` stop on any problem. The tests also validate
the package with the `frictionless` library.
"""
from __future__ import annotations

import csv
import datetime as dt
import json
import re
import shutil
from pathlib import Path

from .config import TrackerConfig
from .errors import BuildError
from .files import atomic_write_text, sha256_file

DESCRIPTOR = "datapackage.json"
TABLES_FOLDER = "processed"
PACKAGE_NAME = "justice-crisis-tracker"

# Open Definition licence ids (what Frictionless expects in `name`), by the licence URL tracker.yml gives.
LICENCE_IDS = {
    "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/": "OGL-UK-3.0",
    "https://creativecommons.org/licenses/by/4.0/": "CC-BY-4.0",
    "https://opensource.org/license/mit": "MIT",
}

# --- field descriptions -----------------------------------------------------------------------------------------
# (description, unit). Units: people, places, establishments, FTE (full-time equivalent staff), percent, days,
# months, count; "" for text, codes and dates.

PROVENANCE_FIELDS = {
    "source_id": ("Which source in the tracker's configuration the row was read from (its `id` in the package's "
                  "`sources`): an official MoJ file parsed by the tracker, or a third party's parse of one.", ""),
    "source_file": ("The raw file the row was read from, as <source folder>/<file name> in the tracker's raw data "
                    "store.", ""),
    "source_url": ("Where that raw file was published (GOV.UK, the MoJ data API, or the third party's repository at "
                   "the commit read).", ""),
    "raw_sha256": ("SHA-256 checksum of the raw file as downloaded, so the exact file read can be proven.", ""),
    "row_ref": ("Where in the raw file (or in the processed tables it was derived from) the row's figures were "
                "read: line, lines, row or item numbers.", ""),
}

_WEEK = "on the bulletin date"
FIELDS: dict[str, dict[str, tuple[str, str]]] = {
    "weekly_population_capacity": {
        "date": ("Date of the MoJ weekly population bulletin the figures are for (Fridays until 18 October 2024, "
                 "Mondays from 21 October 2024).", ""),
        "population": (f"Prison population of England and Wales {_WEEK}, as published (including people held in "
                       "NOMS/HMPPS-operated immigration removal centres where the bulletin's total does).", "people"),
        "uoc": (f"Useable operational capacity of the estate {_WEEK}: operational capacity less the operating "
                "margin, as published.", "places"),
        "headroom": ("Useable operational capacity minus population: the places free (negative if over "
                     "capacity).", "places"),
        "pct_uoc_in_use": ("Population as a percentage of useable operational capacity, recomputed from the two "
                           "published figures.", "percent"),
        "population_prisons": ("Population of prisons only (without immigration removal centres), where the "
                               "bulletin gives it (December 2011 to October 2024 layouts).", "people"),
        "population_irc": ("Population of NOMS/HMPPS-operated immigration removal centres, where the bulletin gives "
                           "it.", "people"),
        "population_male": ("Male prison population, where the bulletin gives it.", "people"),
        "population_female": ("Female prison population: the female estate from October 2024, before that the "
                              "bulletin's female population row.", "people"),
        "population_adult_male": ("Population of the adult male estate (bulletins from October 2024).", "people"),
        "population_ycs": ("Population of the Youth Custody Service estate (bulletins from October 2024).", "people"),
        "uoc_adult_male": ("Useable operational capacity of the adult male estate (from October 2024).", "places"),
        "uoc_female": ("Useable operational capacity of the female estate (from October 2024).", "places"),
        "uoc_ycs": ("Useable operational capacity of the Youth Custody Service estate (from October 2024).",
                    "places"),
        "headroom_adult_male": ("Adult male estate: useable operational capacity minus population (negative when "
                                "over capacity).", "places"),
        "headroom_female": ("Female estate: useable operational capacity minus population.", "places"),
        "headroom_ycs": ("Youth Custody Service estate: useable operational capacity minus population.", "places"),
        "operating_margin": ("Operating margin of the whole estate: the places held back from operational capacity "
                             "to manage movement and risk (operational capacity minus useable operational "
                             "capacity), as published.", "places"),
        "operating_margin_adult_male": ("Operating margin of the adult male estate (from October 2024).", "places"),
        "operating_margin_female": ("Operating margin of the female estate (from October 2024).", "places"),
        "operating_margin_ycs": ("Operating margin of the Youth Custody Service estate (from October 2024).",
                                 "places"),
        "hdc_caseload": ("People released on Home Detention Curfew (electronic tag) on the bulletin date, where "
                         "the bulletin gives it; they are not in the prison population.", "people"),
        "layout": ("Code of the bulletin's layout (D1, D2, A1, ..., B): a change of layout is a possible "
                   "definitional break, listed in definitional_breaks.", ""),
        "week_gap_days": ("Days since the previous row's bulletin date (7 for consecutive weeks; blank for the "
                          "first row).", "days"),
        "derivation": ("How the row's figures were obtained, in words: from the weekly bulletin itself, the 2011 "
                       "Word bulletins, or recovered from the next bulletin's 'last week' column.", ""),
        "bulletin_title": ("Title of the weekly bulletin as published on GOV.UK.", ""),
        "bulletin_url": ("Address of the bulletin file on GOV.UK (blank where it is not known).", ""),
    },
    "weekly_population_prt": {
        "date": ("Date of the weekly figure (Fridays), as given by the Prison Reform Trust.", ""),
        "population": ("Prison population of England and Wales on that date, as parsed by the Prison Reform Trust "
                       "from the MoJ weekly bulletin (kept to cross-check the main weekly series).", "people"),
    },
    "definitional_breaks": {
        "date": ("Date from which the break applies (the first bulletin with the new layout or margin).", ""),
        "date_precision": ("How precise `date` is: day, or month (the first of the month stands for the month).",
                           ""),
        "kind": ("What changed: layout (the weekly bulletin's layout) or operating_margin (the margin between "
                 "operational and useable operational capacity).", ""),
        "label": ("Short label of the break, as shown on the charts.", ""),
        "detail": ("What changed, in words, from the Walk Forward Research definitions or operating-margin log "
                   "(blank when neither gives detail).", ""),
        "detail_ref": ("The line of the log file `detail` was taken from (blank when none).", ""),
    },
    "monthly_establishments": {
        "month": ("Month of the MoJ monthly per-prison bulletin, YYYY-MM.", ""),
        "report_date": ("The date the bulletin's figures are for (the last Friday of the month).", ""),
        "prison_key": ("The tracker's stable identifier of the establishment (lower-case words joined by "
                       "hyphens), shared with the prisons and monthly_establishments_legacy tables.", ""),
        "prison": ("Establishment name as printed in that month's bulletin.", ""),
        "section": ("prison, or irc for an immigration removal centre run by HMPPS.", ""),
        "baseline_cna": ("Baseline Certified Normal Accommodation: the establishment's uncrowded capacity, as "
                         "certified.", "places"),
        "in_use_cna": ("In Use Certified Normal Accommodation: Baseline CNA less places not available for use "
                       "(blank when the bulletin gives none).", "places"),
        "op_cap": ("Operational capacity: the total number of people the establishment can hold safely, as "
                   "published.", "places"),
        "population": ("People held in the establishment on the report date.", "people"),
        "cells_out_of_use": ("Baseline CNA minus In Use CNA: places out of use, recomputed (blank when In Use CNA "
                             "is blank).", "places"),
    },
    "monthly_estate_totals": {
        "month": ("Month of the MoJ monthly per-prison bulletin, YYYY-MM.", ""),
        "report_date": ("The date the bulletin's figures are for.", ""),
        "published_uoc": ("Useable operational capacity of the whole estate, as printed in the bulletin.", "places"),
        "establishments": ("Number of establishment rows summed.", "establishments"),
        "sum_baseline_cna": ("Sum of Baseline CNA over the establishment rows.", "places"),
        "sum_in_use_cna": ("Sum of In Use CNA over the establishment rows.", "places"),
        "sum_op_cap": ("Sum of operational capacity over the establishment rows.", "places"),
        "sum_population": ("Sum of population over the establishment rows.", "people"),
        "derived_margin": ("Operating margin derived from the bulletin: sum of operational capacity minus "
                           "published useable operational capacity.", "places"),
    },
    "monthly_establishments_legacy": {
        "report_date": ("The date the bulletin's figures are for.", ""),
        "bulletin_month": ("Month of the bulletin, YYYY-MM (read from the file, never from its name).", ""),
        "section": ("prison, or irc for an immigration removal centre run by NOMS.", ""),
        "prison_key": ("The tracker's stable identifier of the establishment, shared with the prisons and "
                       "monthly_establishments tables.", ""),
        "prison_name": ("The establishment's name as the tracker normalises it.", ""),
        "establishment": ("The establishment as named in the bulletin's row.", ""),
        "baseline_cna": ("Baseline Certified Normal Accommodation, as printed.", "places"),
        "in_use_cna": ("In Use Certified Normal Accommodation, as printed (blank when not printed).", "places"),
        "op_cap": ("Operational capacity, as printed.", "places"),
        "population": ("People held in the establishment on the report date, as printed.", "people"),
        "pct_pop_to_in_use_cna": ("Population as a percentage of In Use CNA, as printed (rounded to a whole "
                                  "percent; blank when not printed).", "percent"),
        "pct_accommodation_available": ("In Use CNA as a percentage of Baseline CNA, as printed (blank when not "
                                        "printed).", "percent"),
        "row_label": ("The row's label exactly as printed, before name normalisation.", ""),
    },
    "monthly_totals_legacy": {
        "report_date": ("The date the bulletin's figures are for.", ""),
        "bulletin_month": ("Month of the bulletin, YYYY-MM.", ""),
        "title": ("The bulletin's title, 'Monthly Bulletin - <Month> <year>'.", ""),
        "container": ("The file format the bulletin was published in: doc, rtf or docx.", ""),
        "establishments": ("Number of establishment rows in the bulletin.", "establishments"),
        "published_baseline_cna": ("Baseline CNA of the estate, from the bulletin's Total row.", "places"),
        "published_in_use_cna": ("In Use CNA of the estate, from the Total row.", "places"),
        "published_uoc": ("Useable operational capacity of the estate, from the Total row.", "places"),
        "published_population": ("Population of the estate, from the Total row.", "people"),
        "published_pct_pop_to_in_use_cna": ("Population as a percentage of In Use CNA, from the Total row (blank "
                                            "when not printed).", "percent"),
        "published_pct_accommodation_available": ("In Use CNA as a percentage of Baseline CNA, from the Total row "
                                                  "(blank when not printed).", "percent"),
        "sum_baseline_cna": ("Sum of Baseline CNA over the establishment rows.", "places"),
        "sum_in_use_cna": ("Sum of In Use CNA over the establishment rows.", "places"),
        "sum_op_cap": ("Sum of operational capacity over the establishment rows.", "places"),
        "sum_population": ("Sum of population over the establishment rows.", "people"),
        "stated_operating_margin": ("The operating margin the bulletin states.", "places"),
        "derived_operating_margin": ("Sum of operational capacity minus the published useable operational "
                                     "capacity.", "places"),
        "total_layout": ("How the bulletin prints its totals (for example 'summary block').", ""),
        "percent_inconsistencies": ("Printed percentages that disagree with the printed figures, naming the row "
                                    "and both values (blank when none).", ""),
    },
    "prisons": {
        "prison_key": ("The tracker's stable identifier of the establishment: the key of its rows in the monthly "
                       "per-prison tables.", ""),
        "prison_name": ("The establishment's name.", ""),
        "status": ("open, temporarily closed, closed, merged, or no longer reported.", ""),
        "status_since": ("When the status began: YYYY, YYYY-MM or YYYY-MM-DD (blank for open).", ""),
        "status_into": ("For a merged establishment, the prison_key of the one it merged into (blank otherwise).",
                        ""),
        "status_basis": ("The evidence for the status: the MoJ list of changes, the monthly bulletins, the "
                         "curated change log; parts separated by ' | '.", ""),
        "in_latest": ("yes if the establishment is in the latest monthly bulletin, else no.", ""),
        "empty_since": ("First month, YYYY-MM, from which the bulletins show it holding nobody (blank if not "
                        "empty).", ""),
        "last_held_month": ("Last month, YYYY-MM, in which the bulletins show it holding people.", ""),
        "section": ("prison, or irc for an immigration removal centre.", ""),
        "first_month": ("First month, YYYY-MM, it appears in either monthly per-prison table.", ""),
        "last_month": ("Last month, YYYY-MM, it appears in either monthly per-prison table.", ""),
        "months_legacy": ("Months it appears in monthly_establishments_legacy (2011-2016).", "months"),
        "months_recent": ("Months it appears in monthly_establishments (2018 on).", "months"),
        "last_legacy_month": ("Last month in monthly_establishments_legacy (blank if none).", ""),
        "first_recent_month": ("First month in monthly_establishments (blank if none).", ""),
        "report_date": ("Report date of its latest monthly row, which the figures below are from.", ""),
        "population": ("People held on that report date.", "people"),
        "op_cap": ("Operational capacity on that report date.", "places"),
        "in_use_cna": ("In Use Certified Normal Accommodation on that report date.", "places"),
        "baseline_cna": ("Baseline Certified Normal Accommodation on that report date.", "places"),
        "crowding_pct": ("Population as a percentage of In Use CNA on that report date, to one decimal (over 100 "
                         "means crowded; blank without In Use CNA).", "percent"),
        "cells_out_of_use": ("Baseline CNA minus In Use CNA on that report date.", "places"),
        "nomis_code": ("Three-letter NOMIS establishment code(s), '/'-separated, from the 2016-17 register (blank "
                       "if not in it).", ""),
        "operator": ("public or private (contracted out); blank when no source says.", ""),
        "contractor": ("The company running a privately operated prison, per the 2016-17 register or the curated "
                       "change log.", ""),
        "operator_basis": ("The evidence for operator and contractor.", ""),
        "predominant_function": ("Predominant function per the 2016-17 register (Local, Category C, ...).", ""),
        "region": ("Region or directorate per the 2016-17 register.", ""),
        "officer_fte_change": ("Change in band 3-5 prison officers in post (FTE) over `officer_fte_window`, public-"
                               "sector prisons only, from Walk Forward Research's derivation of the HMPPS "
                               "workforce annex.", "FTE"),
        "officer_fte_window": ("The period the officer FTE change covers (blank when none).", ""),
        "officer_fte_note": ("Caveat on the officer FTE change (blank when none).", ""),
        "names_printed": ("Every name the bulletins printed for this establishment, with the months.", ""),
        "notes": ("Notes on the establishment's rows (joint reporting, renames).", ""),
        "estate_changes": ("Its entries in the MoJ list of changes to the estate, 'year: change'; '; '-separated.",
                           ""),
        "related_keys": ("prison_keys of establishments it merged with, split from or was reported with, "
                         "space-separated.", ""),
    },
    "release_calendar": {
        "series_id": ("Identifier of the statistical series in the MoJ publication calendar.", ""),
        "name": ("Name of the series.", ""),
        "index_uri": ("Address of the series' collection page.", ""),
        "frequency": ("How often the series is published (Annual, Quarterly, Monthly, ...).", ""),
        "current_publish_date": ("Date of the latest publication, YYYY-MM-DD (blank if not given).", ""),
        "next_publish_date": ("Announced date (and time, when given) of the next publication, ISO 8601 (blank if "
                              "not announced).", ""),
        "recorded_on": ("Date the calendar response was recorded.", ""),
    },
    "projections": {
        "edition": ("The projections edition, as its first and last years (for example 2023-2028).", ""),
        "edition_year": ("First year of the edition.", ""),
        "scenario": ("central, high or low projection, or actual: the published outturn the edition printed.", ""),
        "ref_date": ("The date the figure is projected for (or the outturn date).", ""),
        "total": ("Projected (or actual) prison population on ref_date, England and Wales.", "people"),
        "base_date": ("The edition's base date: the last actual population it starts from.", ""),
        "note": ("Caveat on the row (blank when none).", ""),
    },
    "prison_changes": {
        "establishment": ("The establishment as named in the MoJ list of changes.", ""),
        "year": ("Year of the change.", ""),
        "month": ("Month of the change, YYYY-MM (blank when the list gives none).", ""),
        "change": ("The change as listed (Opened, Closed, Re-roled to ..., ...).", ""),
        "change_kind": ("The tracker's classification: opened, closed, re-role, merger or other.", ""),
        "temporary": ("True when the list says the change is temporary (for example a temporary closure).", ""),
    },
    "cells_out_of_use_estate": {
        "month": ("Month of the monthly per-prison bulletin, YYYY-MM.", ""),
        "report_date": ("The date the bulletin's figures are for.", ""),
        "parse": ("Which per-prison table the month was summed from: legacy (monthly_establishments_legacy, the "
                  "tracker's parse of the 2011-2016 bulletins) or wfr (monthly_establishments, 2018 on).", ""),
        "establishments": ("Establishment rows summed.", "establishments"),
        "irc_establishments": ("Of which immigration removal centres.", "establishments"),
        "blank_in_use": ("Establishment rows with no In Use CNA (counted as having no places out of use).",
                         "establishments"),
        "baseline_cna": ("Sum of Baseline Certified Normal Accommodation.", "places"),
        "in_use_cna": ("Sum of In Use Certified Normal Accommodation (Baseline CNA where In Use CNA is blank).",
                       "places"),
        "cells_out_of_use": ("Baseline CNA minus In Use CNA: places out of use across the estate.", "places"),
        "derived_from": ("The processed table the month was summed from.", ""),
        "published_total_ref": ("For 2011-2016, the line of the bulletin's Total row, which equals the sums "
                                "(checked); blank for 2018 on.", ""),
    },
    "recall_population_monthly": {
        "month": ("Month of the figure, YYYY-MM.", ""),
        "date": ("First day of the month: a label for charts, not the day the count was taken (the sources do "
                 "not give the day).", ""),
        "recall_population": ("People in prison serving a licence recall, England and Wales (blank when not "
                              "published).", "people"),
    },
    "recalls_quarterly": {
        "quarter_start": ("First day of the quarter.", ""),
        "quarter": ("The quarter, YYYYQn.", ""),
        "recalls": ("Licence recalls to custody in the quarter, England and Wales.", "count"),
    },
    "recall_loop_quarterly": {
        "quarter_start": ("First day of the quarter.", ""),
        "quarter": ("The quarter, YYYYQn.", ""),
        "determinate_releases": ("Releases from determinate sentences in the quarter (blank when not in the "
                                 "source).", "people"),
        "recalls": ("Licence recalls in the quarter (blank when not in the source).", "count"),
        "recalls_per_release": ("Recalls divided by determinate releases in the same quarter.", "ratio"),
        "recalls_per_100_releases": ("Recalls per 100 determinate releases in the same quarter, recomputed.",
                                     "per 100 releases"),
    },
    "releases_recalls_annual": {
        "year": ("Calendar year the releases and recalls were in.", ""),
        "recalls": ("Licence recalls to custody in the year.", "count"),
        "releases": ("Releases from custody in the year (OMSQ annual releases tables; blank for 2025).", "people"),
        "recalls_per_100_releases": ("Recalls per 100 releases in the same year, recomputed.", "per 100 releases"),
        "sentence_length_months": ("Average sentence length of those released.", "months"),
        "time_served_months": ("Average time served in custody by those released.", "months"),
        "pct_sentence_served": ("Time served as a percentage of sentence length.", "percent"),
        "recall_share_of_pop_pct": ("The recall population as a percentage of the prison population at the "
                                    "projection edition's reference date (blank when not given).", "percent"),
        "recall_population_at_projection_date": ("People in prison on recall at the reference date of that year's "
                                                 "prison population projections (2017 on).", "people"),
    },
    "officer_fte_quarterly": {
        "date": ("Quarter end (staff in post date).", ""),
        "band_3_4_officers_fte": ("Band 3-4 prison officers in post, HMPS and YCS (full-time equivalent).", "FTE"),
        "operational_b2_b5_fte": ("Operational staff in bands 2-5 in post (full-time equivalent).", "FTE"),
        "all_staff_fte": ("All HMPS and YCS staff in post (full-time equivalent).", "FTE"),
        "population": ("Prison population, the weekly figure interpolated to the quarter end.", "people"),
        "public_population": ("Population of public-sector prisons at the quarter end (by Walk Forward Research's "
                              "public/private split; blank before 2018).", "people"),
        "prisoners_per_officer": ("public_population divided by band 3-4 officers FTE, to three decimals (blank "
                                  "before 2018).", "ratio"),
        "prisoners_per_operational_staff": ("public_population divided by operational staff FTE (blank before "
                                            "2018).", "ratio"),
    },
    "officer_staffing_vs_target": {
        "date": ("Quarter end (staff in post date).", ""),
        "officers": ("Band 3-5 prison officers in post, hours-adjusted FTE (37 h = 0.95, 39 h = 1, 41 h = 1.05), "
                     "summed over public-sector establishments.", "FTE"),
        "target": ("Target staffing of band 3-5 officers, summed over the same establishments.", "FTE"),
        "establishments": ("Public-sector establishments in the annex whose rows were summed.", "establishments"),
        "gap": ("officers minus target (negative when below target).", "FTE"),
        "pct_of_target": ("officers as a percentage of target.", "percent"),
    },
    "officers_annual_prt": {
        "year": ("Year (the source gives no day of the year).", ""),
        "officers": ("HMPPS-employed prison officers (the source does not say whether FTE or headcount).",
                     "people"),
        "population": ("Prison population in the year, as given by the Prison Reform Trust.", "people"),
        "officers_pct_change_vs_2010": ("Percentage change in officers on 2010, recomputed.", "percent"),
        "population_pct_change_vs_2010": ("Percentage change in population on 2010, recomputed.", "percent"),
    },
    "probation_caseload": {
        "date": ("Date of the caseload count: 31 December (annual series) or a quarter end.", ""),
        "series": ("annual (caseload at 31 December, 2014-2024) or quarterly (each quarter end from March "
                   "2025).", ""),
        "measure": ("Type of supervision, as a code (all_supervision, all_supervision_in_community, ...).", ""),
        "printed_label": ("The measure's label as printed in the MoJ table, with its notes.", ""),
        "sex": ("all, male or female.", ""),
        "value": ("The caseload (people under supervision), or for a duration measure the number of months "
                  "(see unit).", "see the unit column"),
        "unit": ("Unit of value: people or months.", ""),
        "series_break": ("The MoJ note announcing a break in the series at this date (blank when none).", ""),
        "source_column": ("Column of the source file the value was read from, with its header.", ""),
    },
}


def field_doc(table_id: str, column: str) -> tuple[str, str]:
    """(description, unit) of one column; KeyError names what is missing."""
    if column in PROVENANCE_FIELDS:
        return PROVENANCE_FIELDS[column]
    try:
        return FIELDS[table_id][column]
    except KeyError:
        raise KeyError(f"no description for column {column!r} of table {table_id!r} in "
                       "justice_tracker/datapackage.py FIELDS") from None


# --- types ------------------------------------------------------------------------------------------------------

_DATE_PATTERNS = {r"^\d{4}-\d{2}-\d{2}$", r"^\d{4}-(03-31|06-30|09-30|12-31)$", r"^\d{4}-(01|04|07|10)-01$",
                  r"^\d{4}-\d{2}-01$"}
_YEARMONTH_PATTERNS = {r"^\d{4}-\d{2}$"}


def field_type(column) -> dict:
    """A pandera column as a Frictionless field type (and format), from its dtype and its pattern check."""
    dtype = str(column.dtype)
    if dtype in ("int64", "Int64"):
        return {"type": "integer"}
    if dtype.lower().startswith("float"):
        return {"type": "number"}
    if dtype == "bool":
        return {"type": "boolean"}
    patterns = {c.statistics.get("pattern") for c in column.checks if c.name == "str_matches"}
    patterns = {p.pattern if hasattr(p, "pattern") else p for p in patterns}
    if patterns & _DATE_PATTERNS:
        return {"type": "date"}
    if patterns & _YEARMONTH_PATTERNS:
        return {"type": "yearmonth"}
    return {"type": "string"}


def _enum(column) -> list | None:
    for check in column.checks:
        if check.name == "isin":
            values = check.statistics.get("allowed_values")
            return sorted(str(v) for v in values if v != "")
    return None


def table_schema(table) -> dict:
    from .schemas import SCHEMAS

    schema = SCHEMAS[table.id]
    fields = []
    for name, column in schema.columns.items():
        description, unit = field_doc(table.id, name)
        field = {"name": name, **field_type(column), "description": description}
        if unit:
            field["unit"] = unit
        constraints = {}
        if not column.nullable and field["type"] != "string":
            constraints["required"] = True
        if column.unique:
            constraints["unique"] = True
        allowed = _enum(column)
        if allowed and field["type"] == "string":
            constraints["enum"] = allowed
        if constraints:
            field["constraints"] = constraints
        fields.append(field)
    return {"fields": fields, "primaryKey": list(table.key), "missingValues": [""]}


# --- sources and licences ---------------------------------------------------------------------------------------

def table_sources(config: TrackerConfig, table_id: str) -> list[str]:
    """Source ids a table reads, directly or through the processed tables it is derived from."""
    seen, order = set(), []

    def visit(tid: str) -> None:
        table = config.table(tid)
        for sid in table.sources:
            if sid not in seen:
                seen.add(sid)
                order.append(sid)
        for upstream in table.tables:
            visit(upstream)

    visit(table_id)
    return order


LICENCE_TITLES = {"OGL-UK-3.0": "Open Government Licence v3.0", "CC-BY-4.0": "Creative Commons Attribution 4.0",
                  "MIT": "MIT License"}
OGL_URL = "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"


def licences(source) -> list[dict]:
    """The licence the file was published under and, for a third party's parse of Crown copyright statistics,
    the Open Government Licence those statistics carry."""
    urls = [source.licence_url]
    if "Open Government Licence v3.0" in source.original_licence:
        urls.append(OGL_URL)
    out = []
    for url in urls:
        lid = LICENCE_IDS.get(url)
        out.append({"name": lid, "title": LICENCE_TITLES[lid], "path": url} if lid else
                   {"title": source.licence, "path": url})
    return out


def _source_entry(source) -> dict:
    entry = {"title": f"{source.publisher}: {source.title}", "path": source.url}
    extra = {"id": source.id, "licence": source.licence, "attribution": " ".join(source.attribution.split()),
             "original_publisher": source.original_publisher}
    if source.original_url:
        extra["original_url"] = source.original_url
    if source.original_licence:
        extra["original_licence"] = source.original_licence
    return {**entry, **extra}


def _unique(items: list[dict]) -> list[dict]:
    out, seen = [], set()
    for item in items:
        key = json.dumps(item, sort_keys=True)
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


# --- the descriptor ---------------------------------------------------------------------------------------------

def _title(table) -> str:
    return table.id.replace("_", " ").capitalize()


def descriptor(config: TrackerConfig, tables_dir: Path, edition: dict | None = None) -> dict:
    """The datapackage.json for the CSVs in `tables_dir` (named as in tracker.yml), resources in tracker.yml order.
    `edition` ({"id", "date"}) names the package's version; None for a working draft."""
    resources = []
    for table in config.tables:
        path = tables_dir / f"{table.id}.csv"
        if not path.exists():
            raise BuildError(f"data package: processed table {path} is missing; rebuild the tables (make data)")
        sources = [config.source(s) for s in table_sources(config, table.id)]
        resources.append({
            "name": table.id.replace("_", "-"),
            "title": _title(table),
            "description": " ".join(table.description.split()),
            "path": f"{TABLES_FOLDER}/{path.name}",
            "profile": "tabular-data-resource",
            "format": "csv",
            "mediatype": "text/csv",
            "encoding": "utf-8",
            "bytes": path.stat().st_size,
            "hash": "sha256:" + sha256_file(path),
            "schema": table_schema(table),
            "licenses": _unique([lic for s in sources for lic in licences(s)]),
            "sources": [_source_entry(s) for s in sources],
        })
    all_licences = _unique([lic for r in resources for lic in r["licenses"]])
    package = {
        "profile": "tabular-data-package",
        "name": PACKAGE_NAME + (f"-{edition['id']}" if edition else "-draft"),
        "title": f"{config.site.title}: processed tables" + (f", edition {edition['id']}" if edition else
                                                             " (working draft)"),
        "description": (
            " ".join(config.site.description.split()) + " Every processed table behind the site, as CSV. Each "
            "table keeps the licence of the data it was made from (see each resource's `licenses` and "
            "`sources`, with the attribution each licence asks for); the Ministry of Justice's statistics are "
            "Crown copyright under the Open Government Licence v3.0 whichever third party's parse was read. "
            "Every row carries provenance columns: " + " ".join(
                f"`{name}`: {text}" for name, (text, _) in PROVENANCE_FIELDS.items())),
        "homepage": config.site.base_url or config.site.repository_url or "",
        "licenses": all_licences,
        "contributors": [{"title": config.site.author, "role": "author"}],
        "keywords": ["prisons", "probation", "England and Wales", "Ministry of Justice", "official statistics"],
        "resources": resources,
    }
    if not package["homepage"]:
        del package["homepage"]
    if edition:
        package["version"] = edition["id"]
        if edition.get("date"):
            package["created"] = f"{edition['date']}T00:00:00Z"
    return package


def descriptor_text(package: dict) -> str:
    return json.dumps(package, indent=1, ensure_ascii=False) + "\n"


def write_package(config: TrackerConfig, tables_dir: Path, out_dir: Path, edition: dict | None = None,
                  copy_tables: bool = True) -> dict:
    """Write datapackage.json into out_dir (and, with copy_tables, the CSVs into out_dir/processed/), check it,
    and return the descriptor. A package that does not check out raises BuildError and is removed."""
    if copy_tables:
        shutil.rmtree(out_dir / TABLES_FOLDER, ignore_errors=True)
        (out_dir / TABLES_FOLDER).mkdir(parents=True)
        for table in config.tables:
            shutil.copy2(tables_dir / f"{table.id}.csv", out_dir / TABLES_FOLDER / f"{table.id}.csv")
    package = descriptor(config, out_dir / TABLES_FOLDER, edition)
    atomic_write_text(out_dir / DESCRIPTOR, descriptor_text(package), durable=False)
    problems = check_package(out_dir)
    if problems:
        raise BuildError(f"the data package in {out_dir} does not validate ({len(problems)} problem(s)):\n  "
                         + "\n  ".join(problems[:20]))
    return package


# --- checking a written package ---------------------------------------------------------------------------------

_INTEGER = re.compile(r"^[+-]?\d+$")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_YEARMONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def _cell_ok(kind: str, value: str) -> bool:
    if kind == "integer":
        return bool(_INTEGER.match(value))
    if kind == "number":
        return bool(_NUMBER.match(value)) or value in ("NaN", "INF", "-INF")
    if kind == "boolean":
        return value in ("true", "True", "TRUE", "1", "false", "False", "FALSE", "0")
    if kind == "date":
        try:
            dt.date.fromisoformat(value)
        except ValueError:
            return False
        return len(value) == 10
    if kind == "yearmonth":
        return bool(_YEARMONTH.match(value))
    return True


def check_package(folder: Path) -> list[str]:
    """What a consumer would trip on: a missing file, a size or hash that differs, a header that is not the
    fields, a cell that is not of its field's type or breaks a constraint, a primary key that repeats or is
    blank, a field without a description. [] when the package is sound."""
    problems: list[str] = []
    package = json.loads((folder / DESCRIPTOR).read_text(encoding="utf-8"))
    for res in package["resources"]:
        name = res["name"]
        path = folder / res["path"]
        if not path.is_file():
            problems.append(f"{name}: {res['path']} is missing")
            continue
        if path.stat().st_size != res["bytes"]:
            problems.append(f"{name}: {res['path']} is {path.stat().st_size} bytes, the descriptor says {res['bytes']}")
        if "sha256:" + sha256_file(path) != res["hash"]:
            problems.append(f"{name}: {res['path']} does not match its sha256 in the descriptor")
        if not res.get("licenses"):
            problems.append(f"{name}: no licence")
        fields = res["schema"]["fields"]
        problems += [f"{name}: field {f['name']} has no description" for f in fields if not f.get("description")]
        with path.open(newline="", encoding="utf-8") as fh:
            reader = csv.reader(fh)
            header = next(reader, [])
            names = [f["name"] for f in fields]
            if header != names:
                problems.append(f"{name}: header {header} is not the fields {names}")
                continue
            key_at = [names.index(k) for k in res["schema"]["primaryKey"]]
            unique_at = [i for i, f in enumerate(fields) if f.get("constraints", {}).get("unique")]
            seen_keys: set = set()
            seen_unique: dict[int, set] = {i: set() for i in unique_at}
            for line, row in enumerate(reader, start=2):
                if len(row) != len(names):
                    problems.append(f"{name} line {line}: {len(row)} cells for {len(names)} fields")
                    continue
                for f, value in zip(fields, row):
                    constraints = f.get("constraints", {})
                    if value == "":
                        if constraints.get("required"):
                            problems.append(f"{name} line {line}: {f['name']} is required but blank")
                        continue
                    if not _cell_ok(f["type"], value):
                        problems.append(f"{name} line {line}: {f['name']} {value!r} is not a {f['type']}")
                    if "enum" in constraints and value not in constraints["enum"]:
                        problems.append(f"{name} line {line}: {f['name']} {value!r} not in {constraints['enum']}")
                key = tuple(row[i] for i in key_at)
                if key in seen_keys:
                    problems.append(f"{name} line {line}: primary key {key} repeats")
                seen_keys.add(key)
                for i in unique_at:
                    if row[i] in seen_unique[i]:
                        problems.append(f"{name} line {line}: {names[i]} {row[i]!r} repeats (unique)")
                    seen_unique[i].add(row[i])
    return problems


def package_summary(folder: Path) -> dict:
    """Bytes and counts of a written package: for logs and the closing note."""
    package = json.loads((folder / DESCRIPTOR).read_text(encoding="utf-8"))
    size = (folder / DESCRIPTOR).stat().st_size + sum(r["bytes"] for r in package["resources"])
    return {"resources": len(package["resources"]), "fields": sum(len(r["schema"]["fields"])
                                                                 for r in package["resources"]),
            "bytes": size}


# --- where the packages are written -----------------------------------------------------------------------------

SITE_DATA_DIR = "data"  # <site>/data/: written as _extra/data/, which html_extra_path copies to the site root


def edition_from_env() -> dict | None:
    """The edition a build is making ({"id", "date"}), None for a working draft (set by editions._run_build)."""
    import os

    edition_id = os.environ.get("JCT_EDITION", "")
    return {"id": edition_id, "date": os.environ.get("JCT_EDITION_DATE", "")} if edition_id else None


def write_site_package(config: TrackerConfig, extra_dir: Path, log=print) -> dict:
    """The package the built site publishes at <site>/data/. In an edition build it must be the package frozen
    with the edition (data/datapackage.json in the edition's tree), byte for byte."""
    out = extra_dir / SITE_DATA_DIR
    edition = edition_from_env()
    package = write_package(config, config.processed_folder, out, edition)
    frozen = config.root / "data" / DESCRIPTOR
    if edition and frozen.exists() and frozen.read_bytes() != (out / DESCRIPTOR).read_bytes():
        raise BuildError(f"the data package built for edition {edition['id']} differs from the one frozen with it "
                         f"({frozen}); the edition's data or code changed since it was frozen")
    summary = package_summary(out)
    log(f"  data package: {summary['resources']} tables, {summary['fields']} fields, {summary['bytes']:,} bytes")
    return package
