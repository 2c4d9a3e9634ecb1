"""First paint on a slow phone connection, shared by tests/test_first_paint.py and scripts/benchmark.py (pages).

The emulation is Lighthouse's mobile "Slow 4G" preset as DevTools throttling applies it (Lighthouse's
core/config/constants.js, mobileSlow4G): 150 ms round trip x 3.75 = 562.5 ms added to every request, 1.6 Mbit/s
x 0.9 down and 750 kbit/s x 0.9 = 675 kbit/s up (Lighthouse's kbit is 1,024 bits), and the CPU slowed 4x. The
page is Lighthouse's mobile screen (412 x 823 CSS px). First Contentful Paint is the browser's own figure,
`performance.getEntriesByType('paint')`, in ms from the start of the navigation.

The site is served gzipped, as any real host serves HTML, CSS and JavaScript (the page-weight figures in
benchmark.py are gzip sizes for the same reason): served raw, a chapter of half a megabyte would take 2.7 s to
arrive at this speed. The local server speaks HTTP/1.0, so the browser opens at most six connections to it at a
time; a host that speaks HTTP/2 sends every request at once, so these figures are if anything pessimistic.
"""
from __future__ import annotations

import contextlib
import functools
import gzip
import http.server
import re
import threading
from pathlib import Path

from justice_tracker.config import load_config

BUDGET_MS = 3000.0
LATENCY_MS = 150 * 3.75
DOWNLOAD_KBPS = 1.6 * 1024 * 0.9
UPLOAD_KBPS = 750 * 0.9
CPU_SLOWDOWN = 4
SLOW_4G = {"offline": False, "latency": LATENCY_MS, "downloadThroughput": DOWNLOAD_KBPS * 1024 / 8,
           "uploadThroughput": UPLOAD_KBPS * 1024 / 8}
PHONE = {"viewport": {"width": 412, "height": 823}, "device_scale_factor": 1.75, "is_mobile": True,
         "has_touch": True}
VEGA_BUNDLE = "vendor/vega-bundle.js"
_CONFIG = load_config()
# The site's root, index.html, is a meta-refresh to the front page (tracker.yml's toc root) and paints nothing.
FRONT_PAGE = ("index.html", f"{_CONFIG.toc.root_file}.html")
# As tests/test_browser.py's CHART_PAGES, without the prison page.
CHAPTER_PAGES = [f"{c.file}.html" for c in _CONFIG.chapters() if c.notebook is not None
                 and c.file.startswith("book/chapters/")]
COMPRESSED = {".html", ".css", ".js", ".json", ".svg", ".txt", ".map"}

# Each document's navigation start, kept across the root's redirect (sessionStorage outlives the document), so
# the front page's paint is counted from the moment the reader asked for the root.
_REMEMBER_START = """(() => { try {
  if (!sessionStorage.getItem('jct-fp-start')) sessionStorage.setItem('jct-fp-start', String(performance.timeOrigin));
} catch (e) {} })();"""
_HAS_PAINTED = "performance.getEntriesByType('paint').some(e => e.name === 'first-contentful-paint')"
_COLLECT = """() => {
  const fcp = performance.getEntriesByType('paint').find(e => e.name === 'first-contentful-paint');
  const nav = performance.getEntriesByType('navigation')[0];
  const resources = performance.getEntriesByType('resource');
  const start = Number(sessionStorage.getItem('jct-fp-start')) || performance.timeOrigin;
  const at = fcp ? fcp.startTime : null;
  const entry = r => ({url: r.name, bytes: r.transferSize, end: r.responseEnd});
  return {
    url: location.href, fcp: at, since_root: at === null ? null : performance.timeOrigin - start + at,
    document_bytes: nav.transferSize,
    resources: resources.map(entry),
    scripts: [...document.querySelectorAll('script[src]')].map(s => ({src: s.src, defer: s.defer, async: s.async})),
  };
}"""


class _GzipHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            path = path / "index.html"
        if (path.suffix in COMPRESSED and path.is_file()
                and "gzip" in self.headers.get("Accept-Encoding", "")):
            body = _gzipped(path, path.stat().st_mtime_ns)
            self.send_response(200)
            self.send_header("Content-Type", self.guess_type(str(path)))
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Vary", "Accept-Encoding")
            self.end_headers()
            with contextlib.suppress(ConnectionError):  # the browser may close a tab before the body is read
                self.wfile.write(body)
            return
        super().do_GET()


@functools.lru_cache(maxsize=None)
def _gzipped(path: Path, mtime_ns: int) -> bytes:
    return gzip.compress(path.read_bytes(), compresslevel=6, mtime=0)


@contextlib.contextmanager
def serve_gzipped(site: Path):
    """The built site on a local port, HTML, CSS and JavaScript gzipped; yields its base URL."""
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_GzipHandler, directory=str(site)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def _render_blocking_head(html: str) -> list[str]:
    """The stylesheets and classic scripts in <head> that the parser must wait for before the first paint."""
    head = html.split("</head>", 1)[0]
    out = [m.group(1) for m in re.finditer(r'<link\b[^>]*rel="stylesheet"[^>]*href="([^"]+)"', head)]
    for m in re.finditer(r"<script\b([^>]*)>", head):
        attrs = m.group(1)
        src = re.search(r'\bsrc="([^"]+)"', attrs)
        if src and not re.search(r"\b(defer|async)\b", attrs) and 'type="module"' not in attrs:
            out.append(src.group(1))
    return out


def bytes_before_paint(site: Path, page: str) -> int:
    """What a first visit must download before anything can be painted: the page and the stylesheets and
    scripts that block rendering, gzipped."""
    html_path = site / page
    total = len(_gzipped(html_path, html_path.stat().st_mtime_ns))
    for url in dict.fromkeys(_render_blocking_head(html_path.read_text(encoding="utf-8"))):
        path = (html_path.parent / url.split("?")[0]).resolve()
        if path.is_file():
            total += len(_gzipped(path, path.stat().st_mtime_ns))
    return total


def heaviest_chapter(site: Path) -> str:
    return max(CHAPTER_PAGES, key=lambda page: bytes_before_paint(site, page))


def measure(browser, base: str, page: str, lands_on: str | None = None, cpu_slowdown: float = CPU_SLOWDOWN,
            wait_for_request: str | None = None, timeout_ms: float = 60_000) -> dict:
    """Load `page` once, from an empty cache, under the slow-4G emulation: its first paint and what came before.

    `lands_on`: the page a redirecting `page` arrives at; its paint is the reader's first, timed from the request
    for `page`. `wait_for_request`: also wait until a request whose URL contains this has been sent, so that the
    browser's classification of it (CDP's renderBlockingBehavior: Blocking, NonBlocking, ...) is in the result.
    Returns the paint in ms, the bytes and requests that arrived before it, the requests the browser marked
    render-blocking, and every request with its classification."""
    context = browser.new_context(service_workers="block", **PHONE)
    requests: dict[str, str] = {}
    try:
        tab = context.new_page()
        cdp = context.new_cdp_session(tab)
        cdp.on("Network.requestWillBeSent",
               lambda e: requests.setdefault(e["request"]["url"], e.get("renderBlockingBehavior", "unknown")))
        cdp.send("Network.enable")
        cdp.send("Network.emulateNetworkConditions", SLOW_4G)
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": cpu_slowdown})
        tab.add_init_script(_REMEMBER_START)
        tab.goto(f"{base}/{page}", wait_until="commit", timeout=timeout_ms)
        if lands_on:
            tab.wait_for_url(f"**/{lands_on}", timeout=timeout_ms)
        tab.wait_for_function(_HAS_PAINTED, timeout=timeout_ms, polling=100)
        seen = tab.evaluate(_COLLECT)
        waited = 0
        while wait_for_request and not any(wait_for_request in url for url in requests) and waited < timeout_ms:
            tab.wait_for_timeout(100)
            waited += 100
    finally:
        context.close()
    fcp = seen["since_root"]
    before = [r for r in seen["resources"] if r["end"] <= seen["fcp"]]
    return {"page": page, "url": seen["url"], "fcp_ms": fcp, "own_fcp_ms": seen["fcp"],
            "within_budget": fcp <= BUDGET_MS, "x_budget": fcp / BUDGET_MS,
            "bytes_before_paint": seen["document_bytes"] + sum(r["bytes"] for r in before),
            "requests_before_paint": 1 + len(before),
            "render_blocking": [url for url, how in requests.items() if how == "Blocking"],
            "requests": requests, "scripts": seen["scripts"]}
