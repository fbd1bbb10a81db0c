"""vnegov — Vietnam's e-Government Architecture Framework 3.0, as software that runs.

One package per framework component (see `docs/architecture.md`); `kernel` is the shared
infrastructure (component 3, hạ tầng kỹ thuật) every component stands on.
"""

__version__ = "0.1.0"
