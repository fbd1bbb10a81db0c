"""A real server on loopback and a real headless Chromium (Debian's, never a downloaded build)."""

from __future__ import annotations

import os
import shutil

import pytest

CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        if os.environ.get("VNEGOV_REQUIRE_BROWSER"):
            pytest.fail("Chromium is required (VNEGOV_REQUIRE_BROWSER is set) but not installed")
        pytest.skip("Debian's chromium is not installed (apt-get install chromium); browser tests skipped")
    return path


# Module scope: Playwright's sync API keeps an event loop running in this thread while it lives,
# which would break later tests that call asyncio-based libraries (pyHanko) synchronously.
@pytest.fixture(scope="module")
def browser(chromium_path: str):  # type: ignore[no-untyped-def]
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path, args=CHROMIUM_FLAGS, headless=True)
        yield b
        b.close()


@pytest.fixture()
def page(browser):  # type: ignore[no-untyped-def]
    context = browser.new_context(locale="vi-VN")
    pg = context.new_page()
    yield pg
    context.close()


def browser_sign_in(
    page, live_server: str, app, agency: str, roles: tuple[str, ...] = (), start: str = "/"
) -> str:  # type: ignore[no-untyped-def]
    """A new official of `agency` opens `start`, is sent to sign in, and signs in at the identity provider
    as a person would; back on `start`. Their username."""
    import re

    from tests.conftest import OFFICIAL_PASSWORD, official_account

    username = official_account(app, agency, roles)
    page.goto(f"{live_server}{start}")
    page.wait_for_url(re.compile(r"/login"))
    page.locator("#login-oidc").click()
    page.wait_for_url(re.compile(r"/identity/login"))
    page.get_by_label("Số định danh cá nhân hoặc tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu", exact=True).fill(OFFICIAL_PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(re.compile(re.escape(start) + "$"))
    return username
