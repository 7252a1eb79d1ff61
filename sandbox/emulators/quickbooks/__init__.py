"""The QuickBooks Online Accounting API v3 emulator (query, read, CDC, Payment create, OAuth 2).

`build_app(data_dir, config)` serves `DIR/quickbooks/*.json`; python-quickbooks and intuit-oauth run
against it unmodified (point `QuickBooks.sandbox_api_url_v3` and the discovery URL at it).
"""

from sandbox.emulators.quickbooks.app import build_app
from sandbox.emulators.quickbooks.config import QuickBooksConfig

__all__ = ["QuickBooksConfig", "build_app"]
