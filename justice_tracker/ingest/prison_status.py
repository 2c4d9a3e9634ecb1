"""Whether each establishment is open, temporarily closed, closed or merged into another, and since when.

Three things are weighed, and all three are kept in the row so that a reader sees each:

- the monthly per-prison figures: whether the establishment is in the latest bulletin, and whether it has held
  anyone there (a run of bulletins with a population of 0 or blank up to the latest one);
- the MoJ list of changes to the estate (table prison_changes): openings, closures, temporary closures, mergers;
- a small curated change log, data/curated/prison_status_changes.csv, for what neither says (the date a closure was
  announced, the operator of a prison opened after the 2016-17 register), each row cited to a primary source.

Where they contradict each other (a closure recorded before a month in which the bulletin still shows people held,
or the list and the log giving different statuses) the build stops with a message that names the establishment and
both facts: neither is silently preferred.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pandas as pd
from pydantic import Field

from ..errors import IngestError
from ..facts import _Cited, _validated_rows
from ..paths import REPO_ROOT

STATUS_LOG = REPO_ROOT / "data" / "curated" / "prison_status_changes.csv"
STATUSES = ["open", "temporarily closed", "closed", "merged", "no longer reported"]
# An establishment still printed in the bulletin but holding no one is called temporarily closed from the data
# alone only after this many bulletins in a row: one empty month can be a move between wings or a late return.
MIN_EMPTY_BULLETINS = 3
LIST_NAME = "MoJ list of changes to the estate"
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]


class StatusChange(_Cited):
    """One row of the curated change log: a change of status or of operator, with the source that dates it."""

    prison_key: str = Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")
    change: Literal["temporarily closed", "closed", "merged", "reopened", "operator"]
    date: str = Field(pattern=r"^\d{4}-\d{2}(-\d{2})?$")
    date_precision: Literal["day", "month"]
    merged_into: str = Field("", pattern=r"^([a-z0-9]+(-[a-z0-9]+)*)?$")
    operator: Literal["", "public", "private"] = ""
    contractor: str = ""
    detail: str = Field(min_length=10)
    # Parliament's answered-questions service is http only; every other source in this log is https.
    url: str = Field(pattern=r"^https?://")
    quote: str = Field(min_length=10)


def load_status_log(path: Path = STATUS_LOG) -> list[StatusChange]:
    rows = []
    for line, row in _validated_rows(path, StatusChange, "prison_key"):
        if row.change == "merged" and not row.merged_into:
            raise IngestError(f"{path.name} line {line} ({row.prison_key}): a merger names the prison it merged into "
                              "(merged_into)")
        if row.change == "operator" and not row.operator:
            raise IngestError(f"{path.name} line {line} ({row.prison_key}): an operator row gives the operator")
        if row.change != "operator" and (row.operator or row.contractor):
            raise IngestError(f"{path.name} line {line} ({row.prison_key}): operator and contractor belong on an "
                              "operator row")
        rows.append(row)
    return rows


def month_label(month: str) -> str:
    """'2019-07' -> 'July 2019'; '2016-06-17' -> '17 June 2016'; '2011' -> '2011'."""
    parts = month.split("-")
    if len(parts) == 1:
        return month
    text = f"{MONTHS[int(parts[1]) - 1]} {parts[0]}"
    return f"{int(parts[2])} {text}" if len(parts) == 3 else text


def _last_month_of(when: str) -> str:
    """The latest month a date can mean: a year alone is read as its December, so that a closure dated only by
    year is never taken to come before a bulletin of the same year."""
    return f"{when}-12" if len(when) == 4 else when[:7]


@dataclass
class Event:
    when: str    # YYYY, YYYY-MM or YYYY-MM-DD
    status: str  # one of STATUSES except "no longer reported"
    into: str    # key of the establishment merged into, for a merger
    source: str  # where it is recorded, in reader words
    text: str    # what happened, in reader words


@dataclass
class Status:
    status: str
    since: str
    into: str
    in_latest: bool
    empty_since: str
    empty_bulletins: int
    last_held_month: str
    basis: list[str] = field(default_factory=list)


def list_event(year: int, month: str, kind: str, temporary: bool, text: str, listed_key: str | None,
               target: str) -> Event | None:
    """A change from the MoJ list, as it bears on the status of `target` (None when it does not)."""
    when = month or str(year)
    if kind == "closed":
        return Event(when, "temporarily closed" if temporary else "closed", "", LIST_NAME, text)
    if kind == "opened":
        return Event(when, "open", "", LIST_NAME, text)
    if kind == "merger" and listed_key and listed_key != target:
        # 'Everthorpe and Wolds merged', listed under Humber: Everthorpe and Wolds merged into Humber.
        return Event(when, "merged", listed_key, LIST_NAME, text)
    return None


def log_event(row: StatusChange) -> Event | None:
    if row.change == "operator":
        return None
    status = "open" if row.change == "reopened" else row.change
    return Event(row.date, status, row.merged_into, f"{row.publisher}, {row.title} ({month_label(row.published)})",
                 f"{row.detail} \u201c{row.quote}\u201d")


def derive_status(key: str, name: str, series: pd.DataFrame, latest_month: str, listed: list[Event],
                  logged: list[Event]) -> Status:
    """Status of one establishment from its monthly rows (columns month, population; any order), the latest month
    of the bulletins, and its events from the MoJ list and from the curated log."""
    s = series.sort_values("month", kind="stable")
    months, pop = s["month"].astype(str).tolist(), pd.to_numeric(s["population"], errors="coerce").tolist()
    last_month = months[-1]
    in_latest = last_month == latest_month
    held = [m for m, p in zip(months, pop) if pd.notna(p) and p > 0]
    last_held = held[-1] if held else ""
    empty = 0
    for p in reversed(pop):
        if pd.notna(p) and p > 0:
            break
        empty += 1
    empty_since = months[-empty] if empty and in_latest else ""

    def order(e: Event) -> str:
        return _last_month_of(e.when) + ("~" if len(e.when) == 10 else "")

    final_list = max(listed, key=order) if listed else None
    final_log = max(logged, key=order) if logged else None
    if final_list and final_log and final_list.status != final_log.status:
        raise IngestError(f"{name} ({key}): the {LIST_NAME} ends with '{final_list.status}' ({month_label(final_list.when)}"
                          f": {final_list.text}) but the curated change log ends with '{final_log.status}' "
                          f"({month_label(final_log.when)}: {final_log.source}); correct one, or record both")
    for event in listed + logged:
        if event.status in ("temporarily closed", "closed", "merged") and last_held > _last_month_of(event.when):
            later = [e for e in listed + logged if e.status == "open" and order(e) > order(event)
                     and _last_month_of(e.when) <= last_held]
            if not later:
                raise IngestError(
                    f"{name} ({key}): {event.source} records '{event.status}' in {month_label(event.when)} "
                    f"({event.text}), but the monthly bulletin of {month_label(last_held)} shows "
                    f"{int(pop[months.index(last_held)]):,} people held there")

    final = max([e for e in (final_list, final_log) if e], key=order, default=None)
    basis: list[str] = []
    for e in sorted(listed + logged, key=order):
        if e.status != "open" or e is final:
            basis.append(f"{e.source}: {month_label(e.when)}, {e.text}")
    if in_latest:
        if empty:
            basis.append(f"monthly bulletins: no one held in the {empty} bulletin{'s' * (empty != 1)} from "
                         f"{month_label(empty_since)} to {month_label(latest_month)}"
                         + (f"; last held people in {month_label(last_held)}" if last_held else ""))
        else:
            basis.append(f"monthly bulletins: in the latest bulletin ({month_label(latest_month)}), holding people")
    else:
        basis.append(f"monthly bulletins: last reported {month_label(last_month)}; not in the latest bulletin "
                     f"({month_label(latest_month)})")

    if in_latest and not empty:
        return Status("open", "", "", True, "", 0, last_held, basis)
    if final is not None and final.status != "open":
        # Since the first of the last run of events that agree (an announcement before the MoJ list's month); on
        # the same month the dated day is kept.
        run = []
        for e in sorted(listed + logged, key=order, reverse=True):
            if e.status != final.status or e.into != final.into:
                break
            run.append(e)
        first = min(run, key=lambda e: (_last_month_of(e.when), -len(e.when)))
        return Status(final.status, first.when, final.into, in_latest, empty_since, empty if in_latest else 0,
                      last_held, basis)
    if in_latest:
        if empty >= MIN_EMPTY_BULLETINS:
            basis.append("no closure is recorded in the MoJ list or the change log, so the status rests on the "
                         "bulletins alone")
            return Status("temporarily closed", empty_since, "", True, empty_since, empty, last_held, basis)
        return Status("open", "", "", True, empty_since, empty, last_held, basis)
    basis.append("no closure or merger is recorded in the MoJ list or the change log")
    return Status("no longer reported", last_month, "", False, "", 0, last_held, basis)
