"""Command line: `python -m justice_tracker <command>` (the Makefile calls these).

`--config PATH` makes the folder of PATH the project root for the whole run (see paths.py). That is why nothing
from the package is imported at the top of this module: the root is set from the arguments first.
"""
from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import threading
import time
from pathlib import Path


def load_config(path=None):
    from .config import load_config as load

    return load(path) if path else load()


def cmd_data(args) -> int:
    from .ingest import run_data

    config = load_config(args.config)
    run = run_data(config, only=args.table or None, force=args.force, log=None)
    print(run.report())
    return 0


def cmd_parse(args) -> int:
    import json

    from .parsers.base import ParseError
    from .parsers.prison_names import load_prison_names
    from .parsers.registry import parse_file

    try:
        parsed = parse_file(args.path, names=load_prison_names(load_config(args.config)))
    except ParseError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    try:
        parsed.table.to_csv(sys.stdout, index=False, lineterminator="\n")
    except BrokenPipeError:  # `parse FILE | head` closed the pipe: not an error
        return 0
    print(f"# {parsed.kind}: {len(parsed.table):,} rows; " + json.dumps(parsed.meta, default=str, sort_keys=True),
          file=sys.stderr)
    return 0


def cmd_update(args) -> int:
    import datetime as dt

    from .fetch.http import FetchError
    from .fetch.runner import update_from_args
    from .fetch.schedule import ScheduleError, fetch_schedule

    config = load_config(args.config)
    with _signals_interrupt("update", "any partial download was removed, and the files stored before it are kept "
                            "and recorded in data/sources.lock"):
        code = update_from_args(config, args)
    if args.dry_run:
        return code
    # The publication calendar feeds the "next release" dates; each day's copy is kept, never overwritten.
    target = config.download_dir() / config.source("moj-release-calendar").slug / \
        f"publications-{dt.date.today().isoformat()}.json"
    if target.exists():
        print(f"calendar: {target.name} already saved today")
    else:
        try:
            releases = fetch_schedule(save_to=target)
            print(f"calendar: {len(releases)} series saved to {target.relative_to(config.root)}")
        except (FetchError, ScheduleError) as e:
            print(f"error: publication calendar not updated: {e}", file=sys.stderr)
            code = 1
    _print_data_plan(config)
    return code


@contextlib.contextmanager
def _signals_interrupt(command: str, cleaned: str, signals=(signal.SIGTERM, signal.SIGINT)):
    """SIGTERM (a CI job cancelled, `kill`, a container stopping) and SIGINT become one KeyboardInterrupt naming
    the signal, so the `finally` blocks run: the partial download is deleted and the lock keeps only whole files.
    Python's default for SIGTERM is to die on the spot, which left a .part file in data/raw. A second signal
    while cleaning up is ignored, so the cleanup itself is never cut short."""
    received: list[str] = []

    def interrupt(signum, frame):
        if received:
            return
        received.append(signal.Signals(signum).name)
        raise KeyboardInterrupt(f"{command} interrupted by {received[0]}; {cleaned}")

    if threading.current_thread() is not threading.main_thread():  # only the main thread may set handlers
        yield
        return
    previous = {sig: signal.signal(sig, interrupt) for sig in signals}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _print_data_plan(config) -> None:
    """After an update: which tables `make data` will rebuild, and why (new or changed raw files)."""
    from .errors import MissingRawFile
    from .ingest import plan_data

    try:
        planned = [t for t in plan_data(config) if t.status == "planned"]
    except MissingRawFile as e:
        print(f"make data cannot run here yet: {str(e).splitlines()[0]} (see `make data`)")
        return
    if not planned:
        print("make data: every processed table is up to date with the raw files")
        return
    print(f"make data will rebuild {len(planned)} table(s):")
    for t in planned:
        print(f"  {t.table.id:<30} ({t.reason})")


def cmd_toc(args) -> int:
    from .build import write_toc

    changed = write_toc(load_config(args.config))
    print("_toc.yml " + ("regenerated" if changed else "already up to date"))
    return 0


def cmd_build(args) -> int:
    from .config import check_templates

    start = time.perf_counter()
    config = load_config(args.config)
    # A toc naming a missing notebook is reported before the drawing libraries are imported (a second).
    check_templates(config)
    from .build import build_site

    site = build_site(config, force=args.force)
    print(f"Built the site in {time.perf_counter() - start:.1f} s: open {site / 'index.html'}")
    print("or run `make serve` and visit http://127.0.0.1:8000/")
    return 0


def cmd_edition(args) -> int:
    from .editions import default_id, make_edition

    edition_id = args.id or default_id()
    site = make_edition(load_config(args.config), edition_id, date=args.date, allow_dirty=args.allow_dirty)
    print(f"Edition {edition_id} built into {site / 'editions' / edition_id}; commit editions/{edition_id}/ "
          f"and tag it: git tag edition-{edition_id}")
    return 0


def cmd_site(args) -> int:
    from .editions import build_all

    site = build_all(load_config(args.config))
    print(f"Every edition is built and matches its manifest: {site}")
    return 0


def cmd_verify_edition(args) -> int:
    from .editions import build_edition, load_edition, rebuildable

    edition = load_edition(args.id)
    build_edition(args.id, from_commit=rebuildable(edition) and not args.worktree, install=False)
    return 0


def cmd_publish_check(args) -> int:
    from pathlib import Path

    from .sitecheck import publish_check

    config = load_config(args.config)
    site = Path(args.site)
    if not (site / "editions.json").exists():
        print(f"error: {site}/editions.json not found: build the editions first (make site)", file=sys.stderr)
        return 1
    problems = publish_check(site, site_url=config.site.base_url)
    for problem in problems[:200]:
        print(f"  {problem}", file=sys.stderr)
    if problems:
        print(f"error: {len(problems)} problem(s) in {site}; do not publish it", file=sys.stderr)
        return 1
    print(f"{site}: links, anchors, image alt text, editions.json, feed and every edition's manifest are good")
    return 0


def _set_project_root(config: str | None) -> None:
    """Make the config's folder the project root for this process and everything it starts."""
    if not config:
        return
    path = Path(config).resolve()
    if not path.is_file():
        print(f"error: config file {path} not found", file=sys.stderr)
        raise SystemExit(2)
    if "justice_tracker.paths" in sys.modules:
        from .paths import CONFIG_FILE

        if CONFIG_FILE != path:
            raise RuntimeError(f"--config {path}: the project root was already set to {CONFIG_FILE.parent}")
    os.environ["JCT_CONFIG"] = str(path)
    os.environ["JCT_PROJECT_ROOT"] = str(path.parent)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="justice-tracker", description=__doc__.split("\n")[0])
    parser.add_argument("--config", default=None,
                        help="path to the config file (default: tracker.yml in the repository); its folder is the "
                             "project root: data/, notebooks/, book/ and _build/ are found there")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("data", help="rebuild the processed tables whose inputs changed")
    p.add_argument("--table", action="append", help="only this table and the tables derived from it (repeatable)")
    p.add_argument("--force", action="store_true", help="rebuild every table, changed or not")
    p.set_defaults(func=cmd_data)
    p = sub.add_parser("parse", help="print the tidy table for one raw file as CSV on stdout")
    p.add_argument("path", help="a raw file (any supported MoJ release or legacy bulletin)")
    p.set_defaults(func=cmd_parse)
    p = sub.add_parser("update", help="fetch new MoJ files from GOV.UK into data/raw and record them in "
                                      "data/sources.lock")
    p.add_argument("--dry-run", action="store_true",
                   help="list what would be fetched (page, attachment, classification, url, size); write nothing")
    p.add_argument("--only", action="append", metavar="RELEASE", help="only this release id (repeatable)")
    p.add_argument("--api-base", default=None,
                   help="GOV.UK API base URL (default: $JCT_GOVUK_API_BASE, else https://www.gov.uk)")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.add_argument("--download-deadline", type=float, default=None, metavar="SECONDS",
                   help="the most time one file's download may take, retries included (default: 600)")
    p.set_defaults(func=cmd_update)
    sub.add_parser("toc", help="regenerate _toc.yml from tracker.yml").set_defaults(func=cmd_toc)
    p = sub.add_parser("build", help="execute the notebooks and build the site into _build/html")
    p.add_argument("--force", action="store_true", help="execute every notebook and rebuild every page")
    p.set_defaults(func=cmd_build)
    p = sub.add_parser("edition", help="freeze the data and build a new immutable edition into _build/site")
    p.add_argument("--id", help="edition id, e.g. 2026-12 or 2026-12-15 (default: this month)")
    p.add_argument("--date", help="publication date, YYYY-MM-DD (default: today)")
    p.add_argument("--allow-dirty", action="store_true",
                   help="allow uncommitted code changes (the edition then cannot be rebuilt from a commit)")
    p.set_defaults(func=cmd_edition)
    sub.add_parser("site", help="build every edition missing from _build/site, verify the rest, write the root"
                   ).set_defaults(func=cmd_site)
    p = sub.add_parser("verify-edition", help="rebuild an edition from the repo and compare it with its manifest")
    p.add_argument("id")
    p.add_argument("--worktree", action="store_true", help="use the working tree's code, not the edition's commit")
    p.set_defaults(func=cmd_verify_edition)
    p = sub.add_parser("publish-check", help="check a built site before publishing it")
    p.add_argument("--site", default="_build/site")
    p.set_defaults(func=cmd_publish_check)
    args = parser.parse_args(argv)
    _set_project_root(args.config)
    from .errors import ConfigError

    from .lock import LOCKED_COMMANDS, project_lock

    try:
        # Every command, SIGTERM'd (a CI job cancelled), unwinds like Ctrl-C: a half-assembled edition, a partial
        # download or a build's temporary folders are removed by the cleanup that runs on the way out.
        with _signals_interrupt(args.command, "nothing half-written was kept", (signal.SIGTERM,)), \
                (project_lock(args.command) if args.command in LOCKED_COMMANDS else contextlib.nullcontext()):
            return args.func(args)
    except ConfigError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except (FileNotFoundError, ValueError, RuntimeError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    except OSError as e:
        # A read-only or full disk anywhere else: the OS's words name the file (writes are atomic, see files.py).
        print(f"error: {args.command}: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt as e:
        # Ctrl-C: one line, not a traceback (writes are atomic; a build publishes only at its very end).
        print(f"error: {e or f'{args.command} interrupted'}", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
