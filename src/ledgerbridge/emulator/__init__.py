"""A faithful QuickBooks Online emulator: Accounting API v3 and Intuit OAuth 2.0.

Serve it with ``ledgerbridge emulator`` or mount :func:`create_app` as an httpx transport.
It imports nothing else of ledgerbridge: developers of any QBO integration can use it.
"""

from ._clock import Clock
from ._faults import ErrorItem, FaultError
from ._http import create_app
from ._service import Emulator, EmulatorConfig

__all__ = ["Clock", "Emulator", "EmulatorConfig", "ErrorItem", "FaultError", "create_app"]
