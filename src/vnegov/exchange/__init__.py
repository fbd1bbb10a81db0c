"""Data integration and sharing platform (nền tảng tích hợp, chia sẻ dữ liệu): national NDXP and LGSP.

Framework components 6 and 7: agencies' systems share data only through gateways (security servers) that
check access rights and record every call in a tamper-evident message log. So far only the pure core of
the message log exists, in `vnegov.exchange.messagelog`, with no database and no web code.
"""
