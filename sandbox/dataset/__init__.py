"""A seeded revenue-cycle dataset: Salesforce, Stripe and QuickBooks records exactly as each
vendor's API returns them, with planted discrepancies and their ground truth (`truth.json`).

The rules the data follows, and the traps it sets, are in docs/sandbox-dataset.md.
"""

from sandbox.dataset.generate import GenerateSummary, generate
from sandbox.dataset.plan import FINDING_KINDS, TRAP_KINDS, PlantRates

__all__ = ["FINDING_KINDS", "TRAP_KINDS", "GenerateSummary", "PlantRates", "generate"]
