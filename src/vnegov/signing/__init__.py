"""Electronic transaction system (Hệ thống thông tin phục vụ giao dịch điện tử) — framework component 16.

The platform's trust layer: a certificate authority (tổ chức cung cấp dịch vụ chứng thực chữ ký số) with
root and intermediate CAs and certificate profiles, certificate status (CRL and OCSP), an RFC 3161
time-stamp authority (dịch vụ cấp dấu thời gian), signing and verification of documents. So far only the
pure cryptographic core exists, in `vnegov.signing.crypto`: functions that take keys and certificates and
return bytes or objects, with no database and no web code.
"""
