"""Drives Debian's headless Chromium through Playwright: pages that reach only this machine,
screenshots at phone and desktop width, and axe-core's accessibility check."""

import asyncio
import shutil
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

from playwright.async_api import Browser, BrowserContext, Page, Route, async_playwright

from tests.system import ROOT

CHROMIUM = "/usr/bin/chromium"
AXE = ROOT / "services/reports/web-assets/node_modules/axe-core/axe.min.js"
SCREENSHOTS = ROOT / "var/test-artifacts/screenshots"
PHONE = {"width": 360, "height": 780}
DESKTOP = {"width": 1280, "height": 900}
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
# What WCAG 2.1 A and AA ask for; axe's "best-practice" rules are advice, not the standard.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
T = TypeVar("T")


def chromium_path() -> str:
    found = shutil.which("chromium") or (CHROMIUM if Path(CHROMIUM).exists() else None)
    if found is None:
        raise RuntimeError(
            "The browser tests need Debian's Chromium: `make test` installs it "
            "(apt-get install chromium)."
        )
    return found


@asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    """Debian's Chromium, never a downloaded build (`playwright install` is not used)."""
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=chromium_path(),
            headless=True,
            args=["--disable-background-networking", "--disable-component-update"],
        )
        try:
            yield browser
        finally:
            await browser.close()


async def _only_this_machine(route: Route) -> None:
    """Map tiles and anything else off this machine fail, as when the tile server is down:
    the tests reach no other address, and the pages must stay usable without tiles."""
    host = urlsplit(route.request.url).hostname or ""
    if host in LOCAL_HOSTS or route.request.url.startswith(("data:", "blob:")):
        await route.continue_()
    else:
        await route.abort("internetdisconnected")


async def new_context(browser: Browser, base_url: str, **options: Any) -> BrowserContext:
    """A fresh browser profile (own cookies) that talks to `base_url` only, with the pages'
    Content-Security-Policy in force, so a script it would block fails the test."""
    context = await browser.new_context(
        base_url=base_url,
        viewport=DESKTOP,  # type: ignore[arg-type]
        locale="de-DE",
        **options,
    )
    await context.route("**/*", _only_this_machine)
    return context


async def screenshots(page: Page, name: str, phone: dict[str, int] = PHONE) -> list[Path]:
    """The whole page at phone and at desktop width, under var/test-artifacts/screenshots/;
    `phone` may name a larger phone (390 px, as issue 19 asks) than the narrowest one."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    written = []
    for label, size in ((str(phone["width"]), phone), ("1280", DESKTOP)):
        await page.set_viewport_size(size)  # type: ignore[arg-type]
        await _settled(page)
        path = SCREENSHOTS / f"{name}-{label}.png"
        await page.screenshot(path=str(path), full_page=True)
        written.append(path)
    await page.set_viewport_size(DESKTOP)  # type: ignore[arg-type]
    return written


async def _settled(page: Page) -> None:
    """Images loaded and the new width laid out and painted, so the picture is complete; each
    wait gives up after a few seconds, since an image that never ends loading or a frame that is
    never painted must cost a less complete picture, not a test that never ends."""
    await _within(
        page.evaluate(
            """async () => {
            const atMost = (ms, promise) =>
                Promise.race([promise, new Promise(done => setTimeout(done, ms))]);
            await atMost(5000, Promise.all(Array.from(document.images)
                .filter(i => !i.complete)
                .map(i => new Promise(done => { i.onload = i.onerror = done; }))));
            await atMost(2000, new Promise(
                done => requestAnimationFrame(() => requestAnimationFrame(done))));
        }"""
        ),
        "waiting for the page's images and paint",
    )


async def serious_accessibility_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's WCAG 2.1 A/AA violations of impact serious or critical on the page."""
    # Evaluated through the DevTools protocol: the page's CSP rightly refuses injected tags.
    await _within(page.evaluate(AXE.read_text(encoding="utf-8")), "loading axe-core")
    violations: list[dict[str, Any]] = await _within(
        page.evaluate(
            """async (tags) => {
            const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
            return result.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                targets: v.nodes.slice(0, 5).map(n => n.target.join(' ')),
            }));
        }""",
            WCAG_TAGS,
        ),
        "axe-core's check",
    )
    return [v for v in violations if v["impact"] in ("serious", "critical")]


async def _within(call: Awaitable[T], what: str, seconds: float = 60) -> T:
    """Playwright's `evaluate` has no time limit of its own: a browser that stops answering
    fails the test with what it was doing, instead of holding the whole run."""
    try:
        return await asyncio.wait_for(call, seconds)
    except TimeoutError:
        raise AssertionError(f"The browser did not answer within {seconds:.0f} s: {what}") from None


async def width_at_phone_size(page: Page) -> int:
    """How wide the page lays out on a 360-pixel screen; wider means sideways scrolling."""
    await page.set_viewport_size(PHONE)  # type: ignore[arg-type]
    await _settled(page)
    width: int = await page.evaluate("() => document.documentElement.scrollWidth")
    await page.set_viewport_size(DESKTOP)  # type: ignore[arg-type]
    return width
