"""Every error the tracker raises on purpose, in one place.

Each is raised with a message that says what went wrong and where (file, sheet, cell or row; URL; page), so the
command line can print it as one line instead of a traceback. The command line catches these by their bases:
ValueError (bad input), FileNotFoundError (missing input), RuntimeError (a step that failed).
"""
from __future__ import annotations

from pathlib import Path


class ConfigError(Exception):
    """tracker.yml is missing, malformed or inconsistent."""


class MissingRawFile(FileNotFoundError):
    """A raw file a table needs is in none of the raw directories."""


class IngestError(ValueError):
    """A raw file or table does not look as expected; the message names the file, the row and what was expected."""


class ParseError(ValueError):
    """A raw file is not in a layout the parser knows. The message says file, sheet and what was expected."""

    def __init__(self, path: Path | str, message: str, sheet: str | None = None):
        self.path = str(path)
        self.sheet = sheet
        where = Path(path).name + (f", sheet {sheet!r}" if sheet else "")
        super().__init__(f"{where}: {message}")


class UnknownPrisonName(ValueError):
    """A printed establishment name matches neither the alias table nor the prison register."""


class FetchError(Exception):
    """A request failed for good. The message starts with the URL so a log line says what to look at."""

    def __init__(self, url: str, reason: str):
        self.url = url
        self.reason = reason
        super().__init__(f"{url}: {reason}")


class LockError(ValueError):
    """data/sources.lock is unreadable or of another version."""


class ClassifyError(ValueError):
    """An attachment title does not give the kind or date its release rule expects."""


class ScheduleError(ValueError):
    """The MoJ publication calendar is not in the shape expected."""


class FactsError(ValueError):
    """A curated CSV (facts, measures, rule changes) breaks its rules; the message names the file and line."""


class BuildError(RuntimeError):
    """A build step failed; the published site is left as it was."""


class BuildInterrupted(KeyboardInterrupt):
    """Ctrl-C during a build; the message says which step it stopped in (the CLI prints it, not a traceback)."""


class NotebookError(RuntimeError):
    """A template could not be prepared or raised while executing; the message names the page and cell."""


class EditionError(RuntimeError):
    """An edition cannot be made, built or verified; nothing was changed."""


class TableWriteError(RuntimeError):
    """The processed tables could not be written (a full or read-only disk); none of them changed."""
