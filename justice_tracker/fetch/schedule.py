"""The MoJ release calendar from data.justice.gov.uk (`/api/publications`), for a "next release" column.

Each record names a statistical series (`omsq`, `hmpps-workforce`, `prison-population`, ...) with its current
and next publication dates. The API gives each date twice: as text ("15 August 2024 9:30am") and as a
machine field (`nextPublishDateAsDateTime`: "2024-08-15T09:30:00Z"). They disagree in summer: MoJ releases at
9:30 UK time, which is 08:30Z under BST, so the machine field is local time mislabelled as UTC. The text is
what the statisticians announce, so it is read first, in Europe/London time; the machine fields are the
fallback when the text is missing or unreadable. Some current dates only have text
(`currentPublishDateAsDate` is null for courts-civil), which this order also covers.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from ..files import atomic_write_bytes
from .http import HttpClient
from ..errors import ScheduleError  # noqa: F401 (re-exported)

DEFAULT_JUSTICE_DATA_BASE = "https://data.justice.gov.uk"
JUSTICE_DATA_BASE_ENV = "JCT_JUSTICE_DATA_API_BASE"
LONDON = ZoneInfo("Europe/London")
_TEXT_DATE = re.compile(
    r"^\s*(\d{1,2})\s+([A-Za-z]+)\s+(\d{4})(?:\s+(\d{1,2})(?::(\d{2}))?\s*([ap]m))?\s*$", re.IGNORECASE
)


@dataclass(frozen=True)
class ScheduledRelease:
    id: str
    name: str
    index_uri: str | None
    frequency: str | None
    current_publish_date: dt.date | None
    next_publish_date: dt.datetime | dt.date | None  # a datetime when the announcement gives a time

    def as_record(self) -> dict[str, str | None]:
        """The record with ISO dates, keyed as in the API: id, name, indexUri, frequency, current/nextPublishDate."""
        return {
            "id": self.id,
            "name": self.name,
            "indexUri": self.index_uri,
            "frequency": self.frequency,
            "currentPublishDate": self.current_publish_date.isoformat() if self.current_publish_date else None,
            "nextPublishDate": self.next_publish_date.isoformat() if self.next_publish_date else None,
        }


def parse_text_date(text: str | None) -> dt.datetime | dt.date | None:
    """'16 May 2024' -> date(2024, 5, 16); '15 August 2024 9:30am' -> 09:30 Europe/London; else None."""
    match = _TEXT_DATE.match(text or "")
    if not match:
        return None
    day, month_name, year, hour, minute, ampm = match.groups()
    try:
        day_date = dt.datetime.strptime(f"{day} {month_name} {year}", "%d %B %Y").date()
    except ValueError:
        return None
    if hour is None:
        return day_date
    hour24 = int(hour) % 12 + (12 if ampm.lower() == "pm" else 0)
    return dt.datetime.combine(day_date, dt.time(hour24, int(minute or 0)), tzinfo=LONDON)


def _machine_date(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


def _one(item: Any) -> ScheduledRelease:
    if not isinstance(item, dict) or not isinstance(item.get("id"), str) or not isinstance(item.get("name"), str):
        raise ScheduleError(f"a publication without a string id and name: {str(item)[:120]}")
    try:
        current = parse_text_date(item.get("currentPublishDate"))
        if current is None and item.get("currentPublishDateAsDate"):
            current = _machine_date(item["currentPublishDateAsDate"])
        following = parse_text_date(item.get("nextPublishDate")) or _machine_date(item.get("nextPublishDateAsDateTime"))
    except ValueError as e:
        raise ScheduleError(f"publication {item['id']!r}: unreadable date ({e})") from e
    return ScheduledRelease(
        id=item["id"],
        name=item["name"],
        index_uri=item.get("indexUri"),
        frequency=item.get("frequency"),
        current_publish_date=current.date() if isinstance(current, dt.datetime) else current,
        next_publish_date=following,
    )


def parse_publications(payload: Any) -> list[ScheduledRelease]:
    """The decoded body of /api/publications (a JSON list) -> one ScheduledRelease per series, in API order."""
    if not isinstance(payload, list):
        raise ScheduleError(f"expected a JSON list of publications, got {type(payload).__name__}")
    return [_one(item) for item in payload]


def resolve_base(base: str | None = None) -> str:
    return (base or os.environ.get(JUSTICE_DATA_BASE_ENV) or DEFAULT_JUSTICE_DATA_BASE).rstrip("/")


def fetch_schedule(client: HttpClient | None = None, *, base: str | None = None,
                   save_to: Path | None = None) -> list[ScheduledRelease]:
    """Read the live calendar (base: argument, else $JCT_JUSTICE_DATA_API_BASE, else data.justice.gov.uk).
    With save_to, the response is also written there (atomically) for read_schedule to use offline."""
    payload = (client or HttpClient()).get_json(f"{resolve_base(base)}/api/publications")
    releases = parse_publications(payload)
    if save_to is not None:
        atomic_write_bytes(save_to, (json.dumps(payload, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))
    return releases


def read_schedule(path: Path | str) -> list[ScheduledRelease]:
    """The calendar from a saved /api/publications response (as written by fetch_schedule(save_to=...))."""
    path = Path(path)
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as e:
        raise ScheduleError(f"{path}: not JSON ({e})") from e
    return parse_publications(payload)


def by_id(releases: list[ScheduledRelease]) -> dict[str, ScheduledRelease]:
    """Keyed by series id, the key tracker.yml sources use in `schedule_id`."""
    return {r.id: r for r in releases}
