"""A Content-Security-Policy on every built page: scripts run only from the site's own files and from the inline
scripts the page was built with (each allowed by its sha256), so markup that data smuggles into a page cannot run.

The policy is a <meta http-equiv> (the site is static: no server sets headers). It is written after Sphinx has
written the pages, from the pages themselves, so every inline script of the theme and of Jupyter Book is hashed as
the browser will see it, and nothing else is allowed.
"""
from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

# What a browser takes as an inline script's text: everything up to the first "</script".
INLINE_SCRIPT = re.compile(r"<script\b([^>]*)>(.*?)</script", re.S | re.I)
CSP_META = re.compile(r'<meta http-equiv="Content-Security-Policy" content="[^"]*">\n?')
HEAD = re.compile(r"<head\b[^>]*>\n?", re.I)
# Data blocks (chart specs, the scenario's inputs) are never run, so they need no hash.
DATA_TYPES = ("application/json", "application/ld+json")

# 'unsafe-eval': Vega compiles each chart's expressions (axis labels, conditions) with new Function(); inline
# script stays forbidden unless hashed. Styles may be inline: Vega and the theme set them, and CSS cannot run code.
POLICY = ("default-src 'self'; script-src 'self' 'unsafe-eval'{hashes}; style-src 'self' 'unsafe-inline'; "
          "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self' blob:; object-src 'none'; "
          "base-uri 'self'; form-action 'self'")


def _is_code(attrs: str) -> bool:
    if re.search(r"\bsrc\s*=", attrs, re.I):
        return False
    kind = re.search(r"""\btype\s*=\s*["']?([^"'\s>]+)""", attrs, re.I)
    return not (kind and kind.group(1).lower() in DATA_TYPES)


def policy_for(page: str) -> str:
    hashes = sorted({"'sha256-" + base64.b64encode(hashlib.sha256(body.encode("utf-8")).digest()).decode() + "'"
                     for attrs, body in INLINE_SCRIPT.findall(page) if _is_code(attrs)})
    return POLICY.format(hashes="".join(" " + h for h in hashes))


def with_policy(page: str) -> str:
    page = CSP_META.sub("", page)
    head = HEAD.search(page)
    if head is None:
        return page  # not a page (a fragment, a redirect stub without <head>): nothing runs in it
    meta = f'<meta http-equiv="Content-Security-Policy" content="{policy_for(page)}">\n'
    return page[:head.end()] + meta + page[head.end():]


def add_policies(site: Path) -> int:
    """Give every page under `site` its policy; returns how many files changed."""
    changed = 0
    for path in sorted(site.rglob("*.html")):
        text = path.read_text(encoding="utf-8")
        new = with_policy(text)
        if new != text:
            path.write_text(new, encoding="utf-8")
            changed += 1
    return changed
