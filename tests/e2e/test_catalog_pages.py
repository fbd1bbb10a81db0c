"""A person uses the catalogue pages in a real browser: find a unit, open it, see its history."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.browser


def test_search_a_commune_and_open_its_history(live_server: str, page, reference_data) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server}/catalogs")
    assert page.locator("html").get_attribute("lang") == "vi"
    page.get_by_role("link", name="admin-units").click()
    page.wait_for_url(re.compile(r"/catalogs/admin-units"))

    # Typing without accents finds the unit; htmx swaps the results in without a page load.
    page.get_by_label("Tìm theo mã hoặc tên").fill("ha noi")
    page.get_by_label("Cấp").select_option("province")
    page.locator("#result-count").filter(has_text="1 mục").wait_for()
    link = page.locator("#items a", has_text="01").first
    link.click()

    page.wait_for_url(re.compile(r"/catalogs/admin-units/items/01"))
    assert "Hà Nội" in page.locator("h1").inner_text()
    history = page.locator("table").first
    assert history.locator("tbody tr").count() >= 2  # before and after 1/7/2025
    assert page.get_by_role("heading", name=re.compile("Đơn vị trực thuộc")).is_visible()


def test_time_travel_shows_the_63_provinces(live_server: str, page, reference_data) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server}/catalogs/admin-units?level=province&valid_on=2025-06-30")
    assert "63 mục" in page.locator("#result-count").inner_text()
    page.goto(f"{live_server}/catalogs/admin-units?level=province&valid_on=2025-07-01")
    assert "34 mục" in page.locator("#result-count").inner_text()


def test_english_switch_and_keyboard_reachable_search(live_server: str, page, reference_data) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server}/catalogs/ethnic-groups")
    page.get_by_role("link", name="English").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_label("Search by code or name").is_visible()
    page.keyboard.press("Tab")  # the skip link comes first
    assert page.evaluate("document.activeElement.className") == "skip"
