"""Release dates, in one place: when each series was last published and when the next release is due.

The MoJ publication calendar (data.justice.gov.uk, saved by `update` and turned into the processed table
release_calendar) announces the next release of each series; weekly bulletins come every 7 days. A date in the
calendar that is older than the data it is shown beside is said to be stale rather than shown as upcoming.
"""
from __future__ import annotations

import datetime as dt

import pandas as pd

from .config import TrackerConfig
from .tables import load_table


def fmt_date(d) -> str:
    ts = pd.Timestamp(d)
    return f"{ts.day} {ts.strftime('%B %Y')}"


def calendar(config: TrackerConfig) -> pd.DataFrame:
    if "release_calendar" not in {t.id for t in config.tables}:
        return pd.DataFrame(columns=["series_id"])
    return load_table(config, "release_calendar").fillna("")


def next_release(calendar: pd.DataFrame, schedule_id: str, latest: str) -> str:
    """The announced next release, said plainly when the announcement is older than the data shown."""
    if not schedule_id:
        return "not in the MoJ publication calendar"
    row = calendar[calendar["series_id"] == schedule_id]
    if row.empty:
        return f"series {schedule_id!r} not in the saved calendar"
    r = row.iloc[0]
    recorded = fmt_date(r["recorded_on"])
    if not r["next_publish_date"]:
        text = f"no date announced (calendar saved {recorded})"
    else:
        text = f"{fmt_date(r['next_publish_date'][:10])} (announced; calendar saved {recorded})"
    if latest and r["recorded_on"] < latest[:10]:
        # Readers see this on every page with a headline; how to refresh the calendar is in the README.
        text += "; the saved calendar is older than the data shown, so this date may already have passed"
    return text


def weekly_next(latest: str) -> str:
    nxt = dt.date.fromisoformat(latest[:10]) + dt.timedelta(days=7)
    return f"weekly; next bulletin expected {fmt_date(nxt.isoformat())} (7 days after the latest)"


def next_release_text(config: TrackerConfig, source_id: str, latest: str, weekly: bool = False) -> str:
    """From the saved MoJ publication calendar; for weekly bulletins, 7 days after the latest."""
    text = next_release(calendar(config), config.source(source_id).schedule_id, latest)
    if weekly and latest:
        nxt = pd.Timestamp(latest) + pd.Timedelta(days=7)
        return f"weekly bulletin expected {fmt_date(nxt)} (7 days after the latest)"
    return text
