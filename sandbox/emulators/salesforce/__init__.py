"""The Salesforce REST API emulator (SOQL query/queryAll, sObjects, OAuth, Outbound Messages).

`build_app(data_dir, config)` serves `DIR/salesforce/*.json`; simple-salesforce runs against it
unmodified (through a session that maps its forced https back to http).
"""

from sandbox.emulators.salesforce.app import build_app
from sandbox.emulators.salesforce.config import SalesforceConfig

__all__ = ["SalesforceConfig", "build_app"]
