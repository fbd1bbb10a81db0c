"""A plain PDF to sign when you have none at hand (văn bản mẫu): for demos, tests and benchmarks."""

from __future__ import annotations


def sample_pdf(text: str = "Quyet dinh so 1/QD-UBND", pages: int = 1, lines_per_page: int = 1) -> bytes:
    """A PDF 1.7 of `pages` pages, each with `lines_per_page` lines of `text` (Helvetica, Latin-1)."""
    objects: list[bytes] = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    kids = []
    for page in range(pages):
        numbered = pages > 1 or lines_per_page > 1
        body = " ".join(
            f"({f'{text} - trang {page + 1} dong {n + 1}' if numbered else text}) Tj 0 -14 Td"
            for n in range(lines_per_page)
        )
        stream = f"BT /F1 11 Tf 72 770 Td {body} ET".encode("latin-1")
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents %d 0 R "
            b"/Resources << /Font << /F1 3 0 R >> >> >>" % len(objects)
        )
        kids.append(len(objects))
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(b"%d 0 R" % k for k in kids), pages)
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, obj in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)
