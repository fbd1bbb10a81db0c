"""Kernel: settings, database, errors, audit, outbox, clock and calendar, logging, metrics.

Framework component 3 (Hạ tầng kỹ thuật - công nghệ). The kernel depends on nothing else in vnegov;
every component may depend on it (checked by the import-linter contracts in `make lint`).
"""
