"""One row per establishment: the index behind the page per prison.

Every establishment (reporting unit) that appears in either monthly per-prison table gets one row, under the
`prison_key` those tables share: monthly_establishments (Walk Forward Research's parse, March 2018 on) and
monthly_establishments_legacy (the tracker's own parse of the MoJ Word/RTF bulletins, January 2011 to May 2016).
Nothing is parsed twice: both are inputs declared in tracker.yml (the `inputs` argument). To them are
joined, by the project's name normalisation (justice_tracker.parsers.prison_names):

- the prison register (2016-17): NOMIS code, operator, predominant function and region;
- the MoJ list of changes to the estate (table prison_changes): openings, closures, mergers, changes of operator;
- Walk Forward Research's per-prison change in band 3-5 officer FTE, March 2023 to June 2026 (public-sector
  prisons only). A name in that file that matches no prison_key is an error that names it;
- the curated change log data/curated/prison_status_changes.csv (declared as the table's `curated` input): dated,
  cited closures and operators the MoJ list does not give. Status is derived in justice_tracker.ingest.prison_status.

A key stays the key of one reporting unit whatever the unit was called that month; printed names are listed in
`names_printed`. Rows that report two establishments together (Moorland / Hatfield 2011-2015, the Sheppey cluster
in Aug-Oct 2011) keep keys of their own, as in the monthly tables, and their notes say so.

row_ref names every row the record was built from: the line of the processed table (data/processed/<table>.csv,
header = line 1) and of the raw file behind it, the register lines, the change-log lines and the staffing line.
"""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field

import pandas as pd

from ..config import Table, TrackerConfig
from ..parsers.prison_names import ALIASES_FILE, PrisonNames, UnknownPrisonName, load_prison_names, slug
from ..paths import REPO_ROOT
from ..raw import RawFile, find_raw
from .common import IngestError, read_csv_text
from .prison_status import STATUS_LOG, Event, derive_status, list_event, load_status_log, log_event, month_label

# Tested on the real sample files (tests/test_prison_pages.py re-derives the committed table from them).
VERIFIED_AGAINST_PUBLISHED_FILE = True

RECENT, LEGACY, CHANGES = "monthly_establishments", "monthly_establishments_legacy", "prison_changes"
REGISTER_SOURCE = "prison-register"          # prison-estate__prison_estate.tsv, former-prisons__prisons.tsv
CODES_SOURCE = "prison-register-codes"       # maps__nomis-code.tsv, contracted-out__prisons.tsv
STAFFING_SOURCE = "wfr-staffing-capacity"    # staffing_capacity_202303_202606.csv
STAFFING_FILE = "staffing_capacity_202303_202606.csv"

COLUMNS = [
    "prison_key", "prison_name", "status", "status_since", "status_into", "status_basis", "in_latest",
    "empty_since", "last_held_month", "section", "first_month", "last_month", "months_legacy",
    "months_recent", "last_legacy_month", "first_recent_month", "report_date", "population", "op_cap",
    "in_use_cna", "baseline_cna", "crowding_pct", "cells_out_of_use", "nomis_code", "operator", "contractor", "operator_basis",
    "predominant_function", "region", "officer_fte_change", "officer_fte_window", "officer_fte_note",
    "names_printed", "notes", "estate_changes", "related_keys",
    "source_id", "source_file", "source_url", "raw_sha256", "row_ref",
]
COUNTS = ("population", "op_cap", "in_use_cna", "baseline_cna", "cells_out_of_use")

# NOMIS names in maps__nomis-code.tsv carry the establishment type around the name ('HMP/YOI Askham Grange',
# 'HMPYOI & RC Glen Parva', 'Dover Immigration Removal Centre', 'Isis Hmp/yoi', 'Medway STC').
_TYPE_PREFIX = re.compile(r"^(?:hmp\s*/\s*yoi|hmpyoi(?:\s*&\s*rc)?|hmyoi|hmirc|hmp)\s+", re.I)
_TYPE_SUFFIX = re.compile(r"\s+(?:immigration removal centre|stc|hmp\s*/\s*yoi|hmp)$", re.I)
_OPERATOR_CHANGE = re.compile(r"^changed from (private|public) to (private|public)$", re.I)
MONTH_NAMES = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
               "November", "December"]
# Names in the change log that neither the alias table nor the register knows, for events from 2011 on (events
# before the monthly tables begin are kept only when their name resolves). The alias table cannot hold them: every
# alias there must be printed in a 2011-2016 bulletin (tests/test_legacy_monthly.py).
CHANGE_LOG_NAMES = {"lancaster-castle": "lancaster"}
FIRST_TABLE_YEAR = 2011
# Establishments whose officers the June 2026 workforce figures report together, so that the change at one site
# alone is not meaningful (Walk Forward Research's notes on the workforce annex, summarised in the project's
# research notes, data-sources section 3).
STAFFING_MERGED = [("hollesley-bay", "warren-hill", "Hollesley", "June 2026")]


def _tsv(raw: RawFile, required: list[str]) -> list[tuple[int, dict]]:
    with open(raw.path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f, delimiter="\t")
        missing = [c for c in required if c not in (reader.fieldnames or [])]
        if missing:
            raise IngestError(f"{raw.ref} line 1: expected column(s) {missing}; found {reader.fieldnames}")
        rows = []
        for row in reader:
            rows.append((reader.line_num, {k: (v or "").strip() for k, v in row.items()}))
    return rows


def _resolve(names: PrisonNames, name: str) -> str | None:
    try:
        return names.resolve(name).key
    except UnknownPrisonName:
        return None


def _month_label(month: str) -> str:
    """'2019-07' -> 'July 2019'."""
    year, mm = month.split("-")
    return f"{MONTH_NAMES[int(mm) - 1]} {year}"


@dataclass
class _Prison:
    key: str
    refs: list[str] = field(default_factory=list)
    register: dict | None = None
    nomis: str = ""
    contracted: bool = False
    events: list[tuple[str, str, str]] = field(default_factory=list)  # (sort key, text, ref)
    operator_changes: list[tuple[str, str, str]] = field(default_factory=list)  # (sort key, to, when)
    officers: tuple[float, str] | None = None
    notes: list[str] = field(default_factory=list)
    listed_status: list[Event] = field(default_factory=list)  # from the MoJ list of changes
    logged_status: list[Event] = field(default_factory=list)  # from the curated change log
    logged_operator: tuple[str, str, str] | None = None  # (public/private, contractor, basis)


def _line_of(frame: pd.DataFrame, index) -> int:
    """Line of a row in data/processed/<table>.csv (the built frame is written in this order, header first)."""
    return int(index) + 2


def _check_index(frame: pd.DataFrame, table_id: str) -> None:
    if not frame.index.equals(pd.RangeIndex(len(frame))):
        raise IngestError(f"table {table_id}: expected a 0..n-1 index (the order it is written in)")


def _register(config: TrackerConfig, names: PrisonNames, prisons: dict[str, _Prison]) -> None:
    estate = find_raw(config, REGISTER_SOURCE, "prison-estate__prison_estate.tsv")
    for line, row in _tsv(estate, ["name", "noms_region", "operator", "predominant_function"]):
        key = _resolve(names, row["name"])
        if key is None:
            raise IngestError(f"{estate.ref} line {line}: register name {row['name']!r} does not resolve to a key")
        if key in prisons:
            if prisons[key].register is not None:
                raise IngestError(f"{estate.ref} line {line}: {row['name']!r} is listed twice for key {key}")
            prisons[key].register = row
            prisons[key].refs.append(f"register: {estate.ref} line {line}")

    codes = find_raw(config, CODES_SOURCE, "maps__nomis-code.tsv")
    former = find_raw(config, REGISTER_SOURCE, "former-prisons__prisons.tsv")
    code_of: dict[str, tuple[str, str]] = {}  # hyphen-free key -> (code, ref)
    for raw, column in ((codes, "name"), (former, "name")):
        for line, row in _tsv(raw, ["nomis", column]):
            name = _TYPE_SUFFIX.sub("", _TYPE_PREFIX.sub("", row[column])).strip()
            if not name or not re.fullmatch(r"[A-Z]{3}", row["nomis"]):
                continue
            key = _resolve(names, name) or slug(name)
            code_of.setdefault(key.replace("-", ""), (row["nomis"], f"{raw.ref} line {line}"))
    for key, p in prisons.items():
        found = code_of.get(key.replace("-", ""))
        if found:
            p.nomis = found[0]
            p.refs.append(f"NOMIS code: {found[1]}")

    contracted = find_raw(config, CODES_SOURCE, "contracted-out__prisons.tsv")
    for line, row in _tsv(contracted, ["name", "supplier"]):
        # 'G4S Birmingham', 'Sodexo Northumberland': the operator's name is printed before the prison's.
        key = _resolve(names, row["name"]) or _resolve(names, row["name"].split(" ", 1)[-1])
        if key is None:
            raise IngestError(f"{contracted.ref} line {line}: contracted-out prison {row['name']!r} does not resolve "
                              "to a key")
        if key in prisons:
            prisons[key].contracted = True
            prisons[key].refs.append(f"contracted-out list: {contracted.ref} line {line}")


def _combined_codes(prisons: dict[str, _Prison], display: dict[str, str], names: PrisonNames,
                    config: TrackerConfig) -> None:
    """A row that reports two establishments ('Moorland / Hatfield') gets both codes, joined by '/'."""
    by_flat: dict[str, tuple[str, int]] = {}
    codes = find_raw(config, CODES_SOURCE, "maps__nomis-code.tsv")
    for line, row in _tsv(codes, ["nomis", "name"]):
        name = _TYPE_SUFFIX.sub("", _TYPE_PREFIX.sub("", row["name"])).strip()
        if name and re.fullmatch(r"[A-Z]{3}", row["nomis"]):
            by_flat.setdefault((_resolve(names, name) or slug(name)).replace("-", ""), (row["nomis"], line))
    for key, p in prisons.items():
        if p.nomis or "/" not in display[key]:
            continue
        found = [by_flat.get(slug(part).replace("-", "")) for part in display[key].split("/")]
        if all(found):
            p.nomis = "/".join(code for code, _ in found)
            p.refs.append(f"NOMIS codes of {' and '.join(s.strip() for s in display[key].split('/'))}: "
                          f"{codes.ref} lines {', '.join(str(line) for _, line in found)}")


def _changes(changes: pd.DataFrame, names: PrisonNames, prisons: dict[str, _Prison], display: dict[str, str]) -> None:
    """Attach each change to the establishment it is listed under, and to any other establishment it names
    ('Acklington and Castington merged', listed under Northumberland)."""
    _check_index(changes, CHANGES)
    mention = {k: re.compile(r"\b" + re.escape(name) + r"\b") for k, name in display.items() if "/" not in name}
    for index, ev in changes.iterrows():
        name, year, month, text = str(ev["establishment"]), int(ev["year"]), str(ev["month"] or ""), str(ev["change"])
        if month == "nan":
            month = ""
        key = (_resolve(names, name) or CHANGE_LOG_NAMES.get(slug(name))
               or (slug(name) if slug(name) in prisons else None))
        if (key is None or key not in prisons) and year >= FIRST_TABLE_YEAR:
            # Before 2011 an establishment may have closed before the monthly tables begin; from 2011 on it may not.
            raise IngestError(f"{ev['source_file']} {ev['row_ref']}: establishment {name!r} ({year}) matches no "
                              f"prison_key of the monthly tables; add it to CHANGE_LOG_NAMES in {__name__}")
        when = _month_label(month) if month else str(year)
        sort_key = month or f"{year}-00"
        ref = f"{ev['source_file']} {ev['row_ref']}"
        targets = {key} if key in prisons else set()
        targets |= {k for k, pattern in mention.items() if pattern.search(text)}
        for target in sorted(targets):
            listed = "" if target == key else f" (listed under {name})"
            prisons[target].events.append((sort_key, f"{when}: {text}{listed}", ref))
            temporary = str(ev["temporary"]).strip().lower() == "true"
            event = list_event(year, month, str(ev["change_kind"]), temporary, text, key, target)
            if event is not None and (target == key or event.status == "merged"):
                prisons[target].listed_status.append(event)
            prisons[target].refs.append(f"change: {CHANGES}.csv line {_line_of(changes, index)} ({ref})")
        m = _OPERATOR_CHANGE.match(text)
        if m and key in prisons:
            prisons[key].operator_changes.append((sort_key, m.group(2).lower(), when))


def _staffing(config: TrackerConfig, names: PrisonNames, prisons: dict[str, _Prison]) -> None:
    raw = find_raw(config, STAFFING_SOURCE, STAFFING_FILE)
    frame = read_csv_text(raw, required=["", "d_officers", "window"])
    unmatched, seen = [], {}
    for line, rec in frame.iterrows():
        printed = rec[""]
        key = _resolve(names, printed) or (slug(printed) if slug(printed) in prisons else None)
        if key is None or key not in prisons:
            unmatched.append(f"{printed!r} (line {line})")
            continue
        if key in seen:
            raise IngestError(f"{raw.ref} line {line}: {printed!r} is a second row for {key} (first: line {seen[key]})")
        seen[key] = line
        try:
            change = float(rec["d_officers"])
        except ValueError:
            raise IngestError(f"{raw.ref} line {line} column d_officers: expected a number, found "
                              f"{rec['d_officers']!r}") from None
        prisons[key].officers = (round(change, 1), rec["window"])
        prisons[key].refs.append(f"officers: {raw.ref} line {line}")
    if unmatched:
        raise IngestError(f"{raw.ref}: establishment name(s) matching no prison_key of the monthly tables: "
                          f"{', '.join(unmatched)}; add an alias to {ALIASES_FILE.relative_to(REPO_ROOT)}")


def _alias_notes(prisons: dict[str, _Prison]) -> None:
    with open(ALIASES_FILE, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        for row in reader:
            key = row["prison_key"].strip()
            if key in prisons and row["note"].strip():
                note = f"{row['alias'].strip()}: {row['note'].strip()}"
                if note not in prisons[key].notes:
                    prisons[key].notes.append(note)
                    prisons[key].refs.append(f"alias: {ALIASES_FILE.relative_to(REPO_ROOT)} line {reader.line_num}")


def _operator(p: _Prison) -> tuple[str, str, str]:
    """public / private / '' (not known), the contractor when the change log names one, and where that comes
    from."""
    basis, operator = [], ""
    if p.register is not None:
        printed = p.register["operator"]
        operator = "public" if printed == "PSP" else "private"
        if (operator == "private") != p.contracted:
            raise IngestError(f"{p.key}: the 2016-17 register gives operator {printed!r} but the contracted-out list "
                              f"{'lists' if p.contracted else 'does not list'} it")
        basis.append(f"2016-17 register: {'public sector (PSP)' if printed == 'PSP' else printed}"
                     + ("; on the contracted-out list" if p.contracted else ""))
    for _, to, when in sorted(p.operator_changes):
        operator = to
        basis.append(f"changed to {to} sector {when} (MoJ list of changes to the estate)")
    contractor = ""
    if p.logged_operator is not None:
        logged, contractor, cited = p.logged_operator
        if operator and operator != logged:
            raise IngestError(f"{p.key}: the register and the MoJ list of changes give operator {operator!r} "
                              f"({'; '.join(basis)}) but the curated change log gives {logged!r} ({cited})")
        operator = logged
        basis.append(cited)
    if p.officers is not None:
        if operator == "private":
            raise IngestError(f"{p.key}: private by the register and change list, but in the public-sector-only "
                              f"officer staffing file ({STAFFING_FILE})")
        if not operator:
            operator = "public"
            basis.append("listed among public-sector prisons in the Mar 2023-Jun 2026 officer staffing figures")
    if not basis:
        basis.append("not in the 2016-17 register")
    return operator, contractor, "; ".join(basis)


def _status_log(prisons: dict[str, _Prison]) -> None:
    """Attach the curated change log; a row for an establishment the monthly tables do not know is an error."""
    where = STATUS_LOG.relative_to(REPO_ROOT)
    for row in load_status_log():
        if row.prison_key not in prisons:
            raise IngestError(f"{where}: prison_key {row.prison_key!r} is not in the monthly tables")
        p = prisons[row.prison_key]
        cited = f"{row.publisher}, {row.title} ({month_label(row.published)})"
        if row.change == "operator":
            if p.logged_operator is not None:
                raise IngestError(f"{where}: two operator rows for {row.prison_key}")
            who = f"run by {row.contractor} under contract" if row.contractor else f"{row.operator} sector"
            p.logged_operator = (row.operator, row.contractor, f"{who}: {cited}")
        else:
            p.logged_status.append(log_event(row))
        p.refs.append(f"change log: {where} ({row.change}, {row.date})")


def _officer_note(key: str, prisons: dict[str, _Prison], display: dict[str, str]) -> str:
    for a, b, merged_name, when in STAFFING_MERGED:
        if key in (a, b) and prisons[a].officers and prisons[b].officers:
            total = prisons[a].officers[0] + prisons[b].officers[0]
            return (f"The {when} workforce figures report {display[a]} and {display[b]} together (as "
                    f"'{merged_name}'), so the change at either site alone is not meaningful; the two together "
                    f"changed by {total:+.1f} FTE.")
    return ""


def _related(prisons: dict[str, _Prison], display: dict[str, str], names: PrisonNames) -> dict[str, set[str]]:
    """Keys of establishments linked to each other: the parts of a row printed as 'A / B', and any establishment
    named in another's alias notes or changes ('Highpoint and Edmunds Hill merged ...')."""
    related: dict[str, set[str]] = {k: set() for k in prisons}
    flat = {k.replace("-", ""): k for k in prisons}
    mention = {k: re.compile(r"\b" + re.escape(name) + r"\b") for k, name in display.items() if "/" not in name}
    for key, p in prisons.items():
        if "/" in display[key]:
            for part in display[key].split("/"):
                other = _resolve(names, part.strip()) or slug(part)
                other = other if other in prisons else flat.get(other.replace("-", ""))
                if other:
                    related[key].add(other)
        text = " ".join(p.notes + [t for _, t, _ in p.events])
        related[key] |= {k for k, pattern in mention.items() if pattern.search(text)}
    for key in list(related):
        related[key].discard(key)
        for other in related[key]:
            related[other].add(key)
    for key in related:
        related[key].discard(key)
    return related


def _names_printed(rows: pd.DataFrame) -> str:
    spans = rows.groupby("printed", sort=False)["month"].agg(["min", "max", "count"]).sort_values(["min", "max"])
    return "; ".join(f"{name} ({lo}" + ("" if lo == hi else f" to {hi}") + f", {n} month{'s' * (n != 1)})"
                     for name, (lo, hi, n) in spans.iterrows())


def build_prisons(config: TrackerConfig, table: Table, inputs: dict[str, pd.DataFrame]) -> pd.DataFrame:
    recent, legacy, changes = inputs[RECENT], inputs[LEGACY], inputs[CHANGES]
    for frame, tid in ((recent, RECENT), (legacy, LEGACY)):
        _check_index(frame, tid)
    names = load_prison_names(config)
    latest_month = recent["month"].max()

    r = recent.assign(printed=recent["prison"], line=recent.index + 2, table=RECENT)
    lg = legacy.rename(columns={"bulletin_month": "month"})
    lg = lg.assign(printed=lg["establishment"], line=lg.index + 2, table=LEGACY,
                   cells_out_of_use=(lg["baseline_cna"] - lg["in_use_cna"]).astype("Int64"))
    cols = ["prison_key", "month", "report_date", "section", "printed", "line", "table", *COUNTS,
            "source_id", "source_file", "source_url", "raw_sha256", "row_ref"]
    both = pd.concat([lg[cols], r[cols]], ignore_index=True).sort_values(["prison_key", "month"], kind="stable")
    overlap = both.duplicated(["prison_key", "month"], keep=False)
    if overlap.any():
        first = both[overlap].iloc[0]
        raise IngestError(f"{first['prison_key']} {first['month']} is in both monthly tables; expected each month "
                          "from one parse only")

    prisons = {key: _Prison(key) for key in sorted(both["prison_key"].unique())}
    display: dict[str, str] = {}
    for key, rows in both.groupby("prison_key", sort=True):
        last = rows.iloc[-1]
        if last["table"] == LEGACY:
            display[key] = str(legacy.loc[int(last["line"]) - 2, "prison_name"])
        else:
            try:
                found = names.resolve(last["printed"])
            except UnknownPrisonName:  # opened after the 2016-17 register: the name as printed
                found = None
            if found is not None and found.key != key:
                raise IngestError(f"{RECENT}.csv line {last['line']}: {last['printed']!r} is filed under {key} but "
                                  f"the name normalisation gives {found.key}")
            display[key] = found.display if found is not None else str(last["printed"]).strip()

    _register(config, names, prisons)
    _combined_codes(prisons, display, names, config)
    _changes(changes, names, prisons, display)
    _staffing(config, names, prisons)
    _alias_notes(prisons)
    _status_log(prisons)
    related = _related(prisons, display, names)

    out = []
    for key, rows in both.groupby("prison_key", sort=True):
        p = prisons[key]
        last = rows.iloc[-1]
        in_legacy, in_recent = rows[rows["table"] == LEGACY], rows[rows["table"] == RECENT]
        operator, contractor, operator_basis = _operator(p)
        status = derive_status(key, display[key], rows[["month", "population"]], latest_month, p.listed_status,
                               p.logged_status)
        if status.into and status.into not in prisons:
            raise IngestError(f"{display[key]} ({key}): merged into {status.into!r}, which is no prison_key")
        reg = p.register or {}
        population, in_use = last["population"], last["in_use_cna"]
        crowding = (round(float(population) / float(in_use) * 100, 1)
                    if pd.notna(population) and pd.notna(in_use) and in_use > 0 else None)
        spans = []
        for tid, part in ((LEGACY, in_legacy), (RECENT, in_recent)):
            if len(part):
                spans.append(f"{tid}.csv: {len(part)} rows with prison_key={key}, {part['month'].min()} to "
                             f"{part['month'].max()}, first line {part['line'].min()}, last line {part['line'].max()}")
        latest_ref = (f"latest: {last['table']}.csv line {last['line']} ({last['month']}, from "
                      f"{last['source_file']} {last['row_ref']})")
        out.append({
            "prison_key": key,
            "prison_name": display[key],
            "status": status.status,
            "status_since": status.since,
            "status_into": status.into,
            "status_basis": " | ".join(status.basis),
            "in_latest": "yes" if status.in_latest else "no",
            "empty_since": status.empty_since,
            "last_held_month": status.last_held_month,
            "section": last["section"],
            "first_month": rows["month"].min(),
            "last_month": last["month"],
            "months_legacy": len(in_legacy),
            "months_recent": len(in_recent),
            "last_legacy_month": in_legacy["month"].max() if len(in_legacy) else "",
            "first_recent_month": in_recent["month"].min() if len(in_recent) else "",
            "report_date": last["report_date"],
            **{c: (None if pd.isna(last[c]) else int(last[c])) for c in COUNTS},
            "crowding_pct": crowding,
            "nomis_code": p.nomis,
            "operator": operator,
            "contractor": contractor,
            "operator_basis": operator_basis,
            "predominant_function": reg.get("predominant_function", ""),
            "region": reg.get("noms_region", ""),
            "officer_fte_change": p.officers[0] if p.officers else None,
            "officer_fte_window": p.officers[1] if p.officers else "",
            "officer_fte_note": _officer_note(key, prisons, display),
            "names_printed": _names_printed(rows),
            "notes": " | ".join(p.notes),
            "estate_changes": " | ".join(text for _, text, _ in sorted(p.events)),
            "related_keys": " ".join(sorted(related[key])),
            "source_id": last["source_id"],
            "source_file": last["source_file"],
            "source_url": last["source_url"],
            "raw_sha256": last["raw_sha256"],
            "row_ref": "; ".join([latest_ref, *spans, *p.refs]),
        })
    frame = pd.DataFrame(out, columns=COLUMNS)
    for c in COUNTS:
        frame[c] = frame[c].astype("Int64")
    for c in ("crowding_pct", "officer_fte_change"):
        frame[c] = frame[c].astype("float64")
    return frame.reset_index(drop=True)
