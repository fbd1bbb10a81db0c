"""The SOAP/XML shape of the population registry's verification, as provincial platforms call it today.

`XacThucThongTinCongDanRequest{MaYeuCau, MaDichVu, MaCanBo, SoDinhDanh, SoCMND, HoVaTen}` in a SOAP 1.1
envelope (namespace `http://dancuquocgia.bca`) → `KetQuaXacThucResponse{TonTai}` (framework.md §2.1,
after the XSDs of the public LGSP mock `anhnbt/lgsp`). This request has no date of birth, so it
matches on personal ID and name only. Parsed with defusedxml: no DTDs, no entity expansion.
"""

from __future__ import annotations

from xml.etree.ElementTree import Element, SubElement, tostring

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from vnegov.kernel.errors import InvalidInput

SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
NS = "http://dancuquocgia.bca"
REQUEST = "XacThucThongTinCongDanRequest"
FIELDS = ("MaYeuCau", "MaDichVu", "MaCanBo", "SoDinhDanh", "SoCMND", "HoVaTen")


def parse_request(body: bytes) -> dict[str, str]:
    """The request's fields (empty string when absent), or InvalidInput naming what is wrong."""
    try:
        root = fromstring(body)
    except (DefusedXmlException, SyntaxError) as exc:  # ParseError is a SyntaxError
        raise InvalidInput(f"not a well-formed XML request: {exc}", field="body") from None
    request = root.find(f"{{{SOAP}}}Body/{{{NS}}}{REQUEST}")
    if request is None:
        request = root.find(f".//{{{NS}}}{REQUEST}")
    if request is None:
        raise InvalidInput(f"the SOAP body has no {REQUEST} in namespace {NS}", field="body")
    values = {}
    for name in FIELDS:
        element = request.find(f"{{{NS}}}{name}")
        if element is None:
            element = request.find(name)  # unqualified children, as some clients send them
        values[name] = (element.text or "").strip() if element is not None else ""
    if not values["SoDinhDanh"]:
        raise InvalidInput("SoDinhDanh (the personal ID) is required", field="SoDinhDanh")
    if not values["HoVaTen"]:
        raise InvalidInput("HoVaTen (the full name) is required", field="HoVaTen")
    return values


def response(request_id: str, exists: bool) -> bytes:
    envelope = Element(f"{{{SOAP}}}Envelope")
    result = SubElement(SubElement(envelope, f"{{{SOAP}}}Body"), f"{{{NS}}}KetQuaXacThucResponse")
    SubElement(result, f"{{{NS}}}MaYeuCau").text = request_id
    SubElement(result, f"{{{NS}}}TonTai").text = "true" if exists else "false"
    return tostring(envelope, encoding="utf-8", xml_declaration=True)
