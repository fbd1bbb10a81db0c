"""The exchange gateway (cổng an ninh, X-Road's security server): see `proxy` for its interface."""
