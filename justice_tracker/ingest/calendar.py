"""The MoJ publication calendar (data.justice.gov.uk /api/publications): when each series was last published
and when the next release is announced. Read from the newest saved response: `update` saves one as
data/raw/justice-data-api/publications-<date>.json; the sample folder holds a recorded response (a VCR cassette).
"""
from __future__ import annotations

import json
from email.utils import parsedate_to_datetime

import pandas as pd
import yaml

from ..config import Table, TrackerConfig
from ..fetch.schedule import ScheduleError, parse_publications
from ..raw import RawFile, list_raw
from .common import IngestError, provenance_columns

VERIFIED_AGAINST_PUBLISHED_FILE = True  # the recorded response is a real one


def _from_cassette(raw: RawFile) -> tuple[list, str, str]:
    data = yaml.safe_load(raw.path.read_text(encoding="utf-8"))
    for i, interaction in enumerate(data.get("interactions", [])):
        if interaction["request"]["uri"].rstrip("/").endswith("/api/publications"):
            date = interaction["response"]["headers"].get("Date", [""])[0]
            recorded = parsedate_to_datetime(date).date().isoformat() if date else ""
            return json.loads(interaction["response"]["body"]["string"]), recorded, f"interaction {i}"
    raise IngestError(f"{raw.ref}: no recorded /api/publications response")


def _from_json(raw: RawFile) -> tuple[list, str, str]:
    recorded = raw.name.removeprefix("publications-").removesuffix(".json")
    return json.loads(raw.path.read_text(encoding="utf-8")), recorded, "response"


def build_release_calendar(config: TrackerConfig, table: Table,
                           inputs: dict[str, pd.DataFrame] | None = None) -> pd.DataFrame:
    raws = list_raw(config, table.sources[0])
    candidates = []
    for raw in raws:
        payload, recorded, where = (_from_cassette if raw.name.endswith((".yaml", ".yml")) else _from_json)(raw)
        candidates.append((recorded, raw, payload, where))
    recorded, raw, payload, where = max(candidates, key=lambda c: c[0])
    try:
        releases = parse_publications(payload)
    except ScheduleError as e:
        raise IngestError(f"{raw.ref}: {e}") from None
    rows = []
    for i, r in enumerate(releases):
        rec = r.as_record()
        rows.append({
            "series_id": rec["id"], "name": rec["name"], "index_uri": rec["indexUri"] or "",
            "frequency": rec["frequency"] or "", "current_publish_date": rec["currentPublishDate"] or "",
            "next_publish_date": rec["nextPublishDate"] or "", "recorded_on": recorded,
            **provenance_columns(raw, f"{where}, item {i}"),
        })
    return pd.DataFrame(rows).sort_values("series_id").reset_index(drop=True)
