"""One customer as the three systems know it, and the records it buffers until it is complete."""

from __future__ import annotations

from dataclasses import dataclass, field

from sandbox.dataset import quickbooks as qbo
from sandbox.dataset.salesforce import AccountFacts
from sandbox.dataset.stripe_billing import CustomerFacts


@dataclass
class Party:
    index: int
    name: str
    email: str
    currency: str
    country: str
    city: str
    created: int
    taxable: bool
    stripe: CustomerFacts
    qbo: qbo.QboCustomerFacts
    sf_account: AccountFacts | None
    # Minor units the QuickBooks customer owes (open invoice balances less unapplied credits).
    qbo_balance: int = 0
    invoice_count: int = 0
    failing: bool = False
    card_last4: str = "4242"
    card_brand: str = "visa"
    won_deals: list[str] = field(default_factory=list)

    @property
    def qbo_currency(self) -> str:
        return self.currency.upper()
