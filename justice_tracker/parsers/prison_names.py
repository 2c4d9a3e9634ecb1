"""Establishment names as printed -> a stable `prison_key` and a display name.

The bulletins print the same establishment under several names over the years ('Elmley (Sheppey Cluster)',
'Elmley (Sheppey)'; 'Grendon/ Spring Hill', 'Grendon / Springhill') and sometimes print two establishments
as one row, or one as two. A key names one reporting unit, whatever it was called that month, so a series
can be followed across years.

Keys are the slugs the 2018-2026 per-prison table uses (data/processed/monthly_establishments.csv, made
from Walk Forward Research's `prison_key` 'askham grange' by justice_tracker.ingest.monthly.slug):
'askham-grange', 'the-verne', 'grendon-springhill', so the legacy series joins it. A name is looked up in
this order:

1. the committed alias table data/reference/prison_aliases.csv (alias, prison_key, note), for variants the
   register does not know and for combined or split rows, which get keys of their own ('moorland-hatfield');
2. the prison register (2016-17 lists of current and former prisons, read from the raw directories).

Both are matched on their slug (case, punctuation, footnote asterisks and 'X, The' ignored), so
'Usk/ Prescoed' and 'Usk / Prescoed' are one name, and a register name's slug is its key. A name found in neither is an error: a new name in a
bulletin should be noticed, not guessed.
"""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from ..config import TrackerConfig
from ..paths import REPO_ROOT
from ..raw import list_raw
from ..errors import UnknownPrisonName  # noqa: F401 (re-exported)

ALIASES_FILE = REPO_ROOT / "data" / "reference" / "prison_aliases.csv"
# The tracker.yml source whose files (current and former prisons) list establishments in a `name` column.
REGISTER_SOURCE = "prison-register"


@dataclass(frozen=True)
class PrisonName:
    key: str
    display: str


def slug(name: str) -> str:
    """'Grendon/ Spring Hill' -> 'grendon-spring-hill'; 'Mount, The' -> 'the-mount'; 'Isle of Wight***' ->
    'isle-of-wight'; 'Peterborough (Male & Female)' -> 'peterborough-male-and-female'."""
    text = name.replace("*", " ").strip()
    text = re.sub(r"^(.*),\s*the$", r"the \1", text, flags=re.IGNORECASE)
    text = text.lower().replace("&", " and ")
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")


def display_name(register_name: str) -> str:
    """'Mount, The' -> 'The Mount'; other register names as written."""
    match = re.match(r"^(.*),\s*The$", register_name.strip())
    return f"The {match.group(1)}" if match else register_name.strip()


class PrisonNames:
    """Resolves printed names. `aliases` and `register` map a name's slug to a PrisonName."""

    def __init__(self, aliases: dict[str, PrisonName], register: dict[str, PrisonName]):
        self.aliases = aliases
        self.register = register

    def resolve(self, printed: str) -> PrisonName:
        found = self.aliases.get(slug(printed)) or self.register.get(slug(printed))
        if found is None:
            raise UnknownPrisonName(
                f"establishment name {printed!r} is neither in {ALIASES_FILE.relative_to(REPO_ROOT)} nor in the "
                f"prison register; add an alias row for it")
        return found


def read_aliases(path: Path, register: dict[str, PrisonName]) -> dict[str, PrisonName]:
    """The alias table. A key's display name is the register's name when the key is a register key, else the
    first alias listed for it (so the table is ordered with the preferred spelling first)."""
    display_by_key = {entry.key: entry.display for entry in register.values()}
    aliases: dict[str, PrisonName] = {}
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        if reader.fieldnames != ["alias", "prison_key", "note"]:
            raise ValueError(f"{path}: expected columns alias,prison_key,note; found {reader.fieldnames}")
        for line, row in enumerate(reader, start=2):
            alias, key = row["alias"].strip(), row["prison_key"].strip()
            if not slug(alias) or not key or key != slug(key):
                raise ValueError(f"{path} line {line}: alias {alias!r} or key {key!r} is empty or not a slug")
            if slug(alias) in aliases:
                raise ValueError(f"{path} line {line}: alias {alias!r} repeats an earlier alias")
            display_by_key.setdefault(key, alias)
            aliases[slug(alias)] = PrisonName(key, display_by_key[key])
    return aliases


def read_register(paths: list[Path]) -> dict[str, PrisonName]:
    """Slug of the short name -> PrisonName from the register TSVs (each with a `name` column)."""
    register: dict[str, PrisonName] = {}
    for path in paths:
        with open(path, newline="", encoding="utf-8") as f:
            reader = csv.DictReader(f, delimiter="\t")
            if "name" not in (reader.fieldnames or []):
                raise ValueError(f"{path}: expected a 'name' column; found {reader.fieldnames}")
            for row in reader:
                name = row["name"].strip()
                if name:
                    register.setdefault(slug(name), PrisonName(slug(name), display_name(name)))
    return register


def load_prison_names(config: TrackerConfig) -> PrisonNames:
    """The alias table plus the register files of source `prison-register`, found through the raw dirs."""
    register = read_register([raw.path for raw in list_raw(config, REGISTER_SOURCE)])
    return PrisonNames(read_aliases(ALIASES_FILE, register), register)

