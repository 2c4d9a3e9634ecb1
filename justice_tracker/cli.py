"""Command line: `python -m justice_tracker <command>` (the Makefile calls these)."""
from __future__ import annotations

import argparse
import sys
import time

from .config import ConfigError, load_config


def cmd_data(args) -> int:
    from .ingest import build_tables, write_tables

    config = load_config(args.config)
    built = build_tables(config, only=args.table or None)
    hashes = write_tables(config, built)
    for tid, digest in hashes.items():
        print(f"  {config.processed_dir}/{tid}.csv  {len(built[tid]):>6,} rows  sha256 {digest[:12]}")
    return 0


def cmd_parse(args) -> int:
    import json

    from .parsers.base import ParseError
    from .parsers.registry import parse_file

    try:
        parsed = parse_file(args.path)
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
    from .paths import REPO_ROOT

    config = load_config(args.config)
    code = update_from_args(config, args)
    if args.dry_run:
        return code
    # The publication calendar feeds the "next release" dates; each day's copy is kept, never overwritten.
    target = REPO_ROOT / config.raw_dirs[0] / config.source("moj-release-calendar").slug / \
        f"publications-{dt.date.today().isoformat()}.json"
    if target.exists():
        print(f"calendar: {target.name} already saved today")
        return code
    try:
        releases = fetch_schedule(save_to=target)
        print(f"calendar: {len(releases)} series saved to {target.relative_to(REPO_ROOT)}")
    except (FetchError, ScheduleError) as e:
        print(f"error: publication calendar not updated: {e}", file=sys.stderr)
        return 1
    return code


def cmd_toc(args) -> int:
    from .build import write_toc

    changed = write_toc(load_config(args.config))
    print("_toc.yml " + ("regenerated" if changed else "already up to date"))
    return 0


def cmd_build(args) -> int:
    from .build import build_site

    start = time.perf_counter()
    site = build_site(load_config(args.config), force=args.force)
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="justice-tracker", description=__doc__)
    parser.add_argument("--config", default="tracker.yml", help="path to tracker.yml")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("data", help="rebuild data/processed from the raw files")
    p.add_argument("--table", action="append", help="only this table (repeatable)")
    p.set_defaults(func=cmd_data)
    p = sub.add_parser("parse", help="print the tidy table for one raw file as CSV on stdout")
    p.add_argument("path", help="a raw file (any supported MoJ release or legacy bulletin)")
    p.set_defaults(func=cmd_parse)
    p = sub.add_parser("update", help="fetch new MoJ files from GOV.UK into data/raw and record them in "
                                      "data/sources.lock")
    from .fetch.runner import add_update_arguments

    add_update_arguments(p)
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
    try:
        return args.func(args)
    except ConfigError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except (FileNotFoundError, ValueError, RuntimeError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt as e:
        # Ctrl-C: one line, not a traceback (writes are atomic; a build publishes only at its very end).
        print(f"error: {e or f'{args.command} interrupted'}", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
