"""Data integration and sharing platform (nền tảng tích hợp, chia sẻ dữ liệu): national NDXP and LGSP.

Framework components 6 and 7: agencies' systems share data only through gateways (security servers) that
check access rights and record every call in a tamper-evident message log. So far: the registry (members,
subsystems, services, access rights; `service.py`, API under /api/v1/exchange) and the pure core of the
message log in `vnegov.exchange.messagelog`. The gateway comes later.
"""
