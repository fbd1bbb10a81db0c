"""A person checks a signed decision on the public verification page, in a real browser."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from tests.conftest import Caller
from tests.e2e.conftest import browser_sign_in
from tests.signing.documents.conftest import minimal_pdf

pytestmark = pytest.mark.browser


def test_verify_a_signed_pdf_and_a_tampered_copy(
    live_server: str,
    page,
    ministry_finance: Caller,
    platform_pki,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    signed = httpx.post(
        f"{live_server}/api/v1/signing/sign",
        headers=ministry_finance.headers,
        files={"file": ("quyet-dinh.pdf", minimal_pdf("Quyet dinh so 15"))},
        data={"level": "B-LT"},
        timeout=30,
    )
    assert signed.status_code == 200, signed.text
    good = tmp_path / "quyet-dinh-signed.pdf"
    good.write_bytes(signed.content)
    bad = tmp_path / "quyet-dinh-sua.pdf"
    bad.write_bytes(signed.content.replace(b"Quyet dinh so 15", b"Quyet dinh so 16"))

    page.goto(f"{live_server}/verify")
    page.get_by_label("Tài liệu đã ký số").set_input_files(str(good))
    page.get_by_role("button", name="Xác thực").click()
    page.wait_for_load_state()
    assert page.locator("#verdict").inner_text().startswith("Hợp lệ")
    assert "MDDT:G12" in page.locator(".report").inner_text()  # sealed by the Ministry of Finance

    page.get_by_label("Tài liệu đã ký số").set_input_files(str(bad))
    page.get_by_role("button", name="Xác thực").click()
    page.wait_for_load_state()
    assert page.locator("#verdict").inner_text().startswith("Không hợp lệ")
    assert "HASH_FAILURE" in page.locator("#reason").inner_text()


def test_pki_page_shows_the_health_of_the_chain(live_server: str, page, platform_pki) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server}/pki?lang=en")
    page.locator("#status table").wait_for()
    assert "All working" in page.locator("#status").inner_text()
    assert page.locator("#status .badge.on").count() == 6  # the summary and five checks


def test_an_official_requests_and_revokes_a_certificate(
    live_server: str,
    app: FastAPI,
    page,
    province_hanoi: Caller,  # type: ignore[no-untyped-def]
    platform_pki,
) -> None:
    browser_sign_in(page, live_server, app, "H24", start="/signing/certificates")

    page.get_by_label("Mục đích").select_option("document_signing")
    page.get_by_label("Tên (khi không gửi CSR)").fill("Phạm Thị Dung")
    page.get_by_label("Mã định danh, ví dụ CCCD:001090001234").fill("CCCD:001190004321")
    page.get_by_label("Mật khẩu bảo vệ khóa được tạo cho bạn").fill("a long passphrase")
    page.get_by_role("button", name="Gửi đề nghị").click()
    page.wait_for_load_state()
    assert "BEGIN ENCRYPTED PRIVATE KEY" in page.locator("#private-key").input_value()
    row = page.locator("tbody tr", has_text="Phạm Thị Dung").first
    assert "còn hiệu lực" in row.inner_text()
    row.get_by_role("button", name="Thu hồi").click()
    page.wait_for_load_state()
    assert "đã thu hồi" in page.locator("tbody tr", has_text="Phạm Thị Dung").first.inner_text()
