"""The built book, opened page by page in headless Chromium (Debian's ``chromium``).

Slow: it needs a built book. ``CRS_BOOK_HTML`` names its ``_build/html`` (``make
book-check`` points it at the offline build of ``make book-offline``); without it, the
checkout's own ``_build/html``. Each page fails on a broken image or internal link, a literal
``{glue``, a raw ``NaN``, a ``Traceback``, or a figure wider than the page; a screenshot of
each page goes to ``build/screenshots/``.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
HTML = Path(os.environ.get("CRS_BOOK_HTML", ROOT / "_build" / "html"))
SHOTS = ROOT / "build" / "screenshots"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
WIDTH = 1280

#: a page that only redirects (Sphinx's root index.html)
REFRESH = re.compile(r'http-equiv="Refresh"\s+content="\d+;\s*url=([^"]+)"', re.I)

#: text that must never reach a reader
FORBIDDEN = {
    "a literal glue role": re.compile(r"\{glue"),
    "a raw NaN": re.compile(r"\bNaN\b"),
    "a Python traceback": re.compile(r"Traceback \(most recent call last\)"),
}


def _pages() -> list[Path]:
    if not HTML.is_dir():
        return []
    skip = {"genindex.html", "search.html"}
    return sorted(
        p for p in HTML.rglob("*.html") if "_static" not in p.parts and p.name not in skip
    )


@pytest.fixture(scope="module")
def browser():
    required = os.environ.get("CRS_REQUIRE_BROWSER") == "1"  # make book-check: fail, not skip
    if CHROMIUM is None:
        (pytest.fail if required else pytest.skip)("no chromium here (apt-get install chromium)")
    try:
        from playwright import sync_api
    except ImportError:
        (pytest.fail if required else pytest.skip)(
            "playwright is not installed (pip install -e '.[dev]')"
        )
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield b
        b.close()


def test_the_book_is_built():
    assert _pages(), f"no built book at {HTML} (run make book, or set CRS_BOOK_HTML)"


def _local_target(here: str, href: str) -> Path | None:
    """The file an internal link points to, relative to the URL the tab ended on (the
    book's root index.html redirects)."""
    u = urlparse(href)
    if u.scheme not in ("", "file") or u.netloc or not u.path:
        return None  # external, or an anchor on this page
    return (Path(unquote(urlparse(here).path)).parent / unquote(u.path)).resolve()


@pytest.mark.parametrize("page", _pages(), ids=lambda p: str(p.relative_to(HTML)))
def test_page_reads_cleanly(browser, page):
    problems = []
    tab = browser.new_page(viewport={"width": WIDTH, "height": 900})
    redirect = REFRESH.search(page.read_text(errors="replace"))
    if redirect:  # the root index.html is a meta-refresh: check its target exists, read that
        target = (page.parent / unquote(redirect.group(1))).resolve()
        assert target.exists(), f"{page.relative_to(HTML)} redirects to a missing {target}"
        page_uri = target.as_uri()
    else:
        page_uri = page.as_uri()
    # a refresh fired after "load" would destroy the context mid-query: wait until idle
    tab.goto(page_uri, wait_until="networkidle")
    text = tab.inner_text("main") if tab.query_selector("main") else tab.inner_text("body")
    for what, pat in FORBIDDEN.items():
        for m in list(pat.finditer(text))[:3]:
            problems.append(f"{what}: ...{text[max(0, m.start() - 60) : m.end() + 60]!r}...")
    imgs = tab.eval_on_selector_all(
        "img",
        "els => els.map(e => ({src: e.getAttribute('src'), ok: e.complete && e.naturalWidth > 0,"
        " w: e.getBoundingClientRect().width}))",
    )
    content = tab.evaluate(
        "() => { const m = document.querySelector('main') || document.body;"
        " return m.getBoundingClientRect().width; }"
    )
    for im in imgs:
        if not im["ok"]:
            problems.append(f"broken image {im['src']}")
        elif im["w"] > max(content, WIDTH) + 1:
            problems.append(f"figure {im['src']} is {im['w']:.0f} px wide, the page {content:.0f}")
    hrefs = tab.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
    for href in hrefs:
        target = _local_target(tab.url, href)
        if target is not None and not target.exists():
            problems.append(f"broken link {href}")
    SHOTS.mkdir(parents=True, exist_ok=True)
    name = str(page.relative_to(HTML)).replace(os.sep, "_").removesuffix(".html")
    tab.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    tab.close()
    assert not problems, f"{page.relative_to(HTML)}:\n  " + "\n  ".join(problems)
