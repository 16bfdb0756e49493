"""Fixtures of the end-to-end tests: one headless Chromium per module, a fresh citizen's tab,
and the system with the fleet service started."""

from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Browser, BrowserContext

from tests.browser import chromium, new_context
from tests.conftest import LocalSystem


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with chromium() as browser:
        yield browser


@pytest.fixture
async def citizen(browser: Browser, running_system: LocalSystem) -> AsyncIterator[BrowserContext]:
    context = await new_context(browser, running_system.reports_url)
    yield context
    await context.close()


@pytest.fixture(scope="module")
async def fleet_system(running_system: LocalSystem) -> LocalSystem:
    running_system.start("fleet")
    return running_system
