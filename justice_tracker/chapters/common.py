"""What every chapter needs: reading processed tables and crediting sources."""
from __future__ import annotations

import html
from dataclasses import dataclass

import pandas as pd

from ..config import TrackerConfig


@dataclass
class HtmlBlock:
    html: str

    def _repr_html_(self) -> str:
        return self.html


def load_table(config: TrackerConfig, table_id: str, parse_dates: list[str] | None = None) -> pd.DataFrame:
    path = config.processed_path(table_id)
    if not path.exists():
        raise FileNotFoundError(f"processed table {path} is missing; run `make data` with the raw files present")
    frame = pd.read_csv(path, dtype={"row_ref": str, "detail": str, "detail_ref": str}, keep_default_na=True)
    for col in ("detail", "detail_ref", "bulletin_title", "bulletin_url", "layout"):
        if col in frame.columns:
            frame[col] = frame[col].fillna("")
    for col in parse_dates or []:
        frame[col] = pd.to_datetime(frame[col], format="%Y-%m-%d")
    return frame


def attribution_html(config: TrackerConfig, source_ids: list[str], short: bool = False) -> str:
    """Credit the original publisher first, then any third party whose parse we use, with its licence."""
    if short:
        originals = sorted({config.source(s).original_publisher for s in source_ids})
        thirds = [config.source(s) for s in source_ids if config.source(s).third_party]
        text = "Source: " + "; ".join(html.escape(o) for o in originals)
        if thirds:
            text += ", as parsed by " + ", ".join(
                f'<a href="{html.escape(s.url, quote=True)}">{html.escape(s.publisher)}</a> '
                f'(<a href="{html.escape(s.licence_url, quote=True)}">{html.escape(s.licence)}</a>)' for s in thirds)
        return text + "."
    items = []
    for sid in source_ids:
        s = config.source(sid)
        original = html.escape(s.original_publisher)
        if s.original_url:
            original = f'<a href="{html.escape(s.original_url, quote=True)}">{original}</a>'
        items.append(
            "<li>"
            f"<strong>{html.escape(s.title)}</strong>. Statistics: {original}"
            f"{', ' + html.escape(s.original_licence) if s.original_licence else ''}. "
            f'Parsed file: <a href="{html.escape(s.url, quote=True)}">{html.escape(s.publisher)}</a>, '
            f'<a href="{html.escape(s.licence_url, quote=True)}">{html.escape(s.licence)}</a>. '
            f"Credit: {html.escape(s.attribution)} Coverage: {html.escape(s.coverage)}."
            "</li>"
        )
    return f'<ul class="jct-sources">{"".join(items)}</ul>'
