"""Roles within an agency: what `Principal.holds` and `require` allow."""

from __future__ import annotations

import pytest

from vnegov.kernel.context import SYSTEM, Principal
from vnegov.kernel.errors import PermissionDenied


def test_a_role_counts_only_in_the_officials_own_agency() -> None:
    officer = Principal(subject="identity:a", agency_code="H24", roles=frozenset({"processing"}))
    assert officer.holds("processing", "H24")
    assert not officer.holds("processing", "H29")
    assert not officer.holds("approval", "H24")
    assert not Principal(subject="x", agency_code="", roles=frozenset({"processing"})).holds("processing", "")
    with pytest.raises(PermissionDenied) as refused:
        officer.require("approval", "H24")
    assert refused.value.data == {"role": "approval", "agency_code": "H24"}


def test_platform_administrators_hold_every_role() -> None:
    admin = Principal(subject="identity:b", agency_code="G22", roles=frozenset({"platform-admin"}))
    assert admin.holds("agency-admin", "H29") and SYSTEM.holds("processing", "G01")
    admin.require("approval", "H24")
