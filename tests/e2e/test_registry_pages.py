"""A registry official finds a citizen, records a move with its reason, and sees it in the history,
in a real browser against a real server."""

from __future__ import annotations

import re

import pytest
from fastapi import FastAPI

from tests.e2e.conftest import browser_sign_in
from vnegov.exchange.seed import seed as seed_exchange
from vnegov.kernel.context import SYSTEM
from vnegov.kernel.db import Database
from vnegov.kernel.settings import Settings
from vnegov.registries.seed import seed as seed_registries

pytestmark = pytest.mark.browser
MAI = "001195000104"  # demo citizen Nguyễn Thị Mai


def test_an_official_records_a_move(
    live_server: str,
    app: FastAPI,
    page,  # type: ignore[no-untyped-def]
    reference_data: Database,
    settings: Settings,
) -> None:
    db = reference_data
    with db.transaction() as session:  # the demo data, as `vnegov up` has it (idempotent)
        seed_exchange(session, SYSTEM, None, settings)
        seed_registries(session, SYSTEM, None, settings)
    browser_sign_in(page, live_server, app, "G01", start="/registries")

    page.get_by_label("Số định danh, mã số doanh nghiệp hoặc tên").fill("nguyen thi mai")
    page.get_by_role("button", name="Tìm kiếm").click()
    page.locator("#citizens").get_by_role("link", name=MAI).click()
    page.wait_for_url(re.compile(rf"/registries/citizens/{MAI}$"))
    assert "Nguyễn Thị Mai" in page.locator("h1").inner_text()

    page.get_by_label("Trường thông tin").select_option("permanent_commune")
    page.get_by_label("Giá trị mới").fill("00008")
    page.get_by_label("Lý do").fill("Đăng ký thường trú mới, hồ sơ số 12/2026")
    page.get_by_role("button", name="Lưu điều chỉnh").click()
    page.wait_for_url(re.compile(r"saved=1"))
    assert "Đã lưu điều chỉnh" in page.locator("#form-notice").inner_text()
    assert "00008" in page.locator("#permanent").inner_text()
    history = page.locator("#history").inner_text()
    assert "moved" in history and "hồ sơ số 12/2026" in history
