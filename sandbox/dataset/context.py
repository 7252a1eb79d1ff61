"""State shared while a dataset is generated: the seeded randomness, id factory, planter, open
files, the product catalogue, and the small running totals that payouts need."""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from sandbox.dataset import quickbooks as qbo
from sandbox.dataset.ids import IdFactory, day_of, day_start
from sandbox.dataset.money import CURRENCIES
from sandbox.dataset.plan import Planter
from sandbox.dataset.writer import DatasetWriter, JSONObject

DAY = 86400
HISTORY_DAYS = 540
# Ledger grace is 3 days; the generator leaves a margin on each side of it so a reconciler
# that measures from the start or the end of the as-of day gets the same answer.
UNPOSTED_MAX_AGE = int(1.5 * DAY)
PLANT_MIN_AGE = int(4.5 * DAY)


@dataclass(frozen=True)
class Product:
    code: str
    name: str
    usd_cents: int  # list price per unit (per year for annual plans, per month for monthly)
    sf_product: str
    sf_pricebook_entry: str
    stripe_product: str


@dataclass
class Clock:
    """The as-of date and instant (00:00 UTC of that date); every object is created before it."""

    as_of: date
    now: int = 0

    def __post_init__(self) -> None:
        self.now = day_start(self.as_of)

    def age(self, moment: int) -> int:
        return self.now - moment

    def date_of(self, moment: int) -> date:
        return day_of(moment)

    def days_ago(self, days: float) -> int:
        return self.now - int(days * DAY)

    def yesterday(self) -> date:
        return self.as_of - timedelta(days=1)


@dataclass
class Context:
    rng: random.Random
    ids: IdFactory
    planter: Planter
    out: DatasetWriter
    clock: Clock
    users: list[str]
    pricebook: str
    products: dict[str, Product]
    prices: dict[tuple[str, str], str]
    accounts: list[qbo.AccountRow]
    # (currency, available day) -> net minor units landing in the Stripe balance that day.
    balance_by_day: defaultdict[tuple[str, int], int] = field(
        default_factory=lambda: defaultdict(int)
    )
    native_doc_number: int = 1000

    def price_id(self, product: str, currency: str) -> str:
        key = (product, currency)
        if key not in self.prices:
            self.prices[key] = self.ids.stripe("price")
        return self.prices[key]

    def next_doc_number(self) -> str:
        self.native_doc_number += 1
        return str(self.native_doc_number)

    def emit(self, vendor: str, name: str, item: JSONObject) -> None:
        self.out.emit(vendor, name, item)

    def land_in_balance(self, currency: str, available_on: int, net: int) -> None:
        self.balance_by_day[(currency, available_on // DAY)] += net

    def pick(self, weights: tuple[tuple[str, int], ...]) -> str:
        names = [name for name, _ in weights]
        return self.rng.choices(names, weights=[weight for _, weight in weights])[0]


def processing_fee(amount: int, currency: str) -> int:
    """Stripe's card fee: 2.9% + a fixed part in the currency (3.6% flat for JPY)."""
    fixed = {"usd": 30, "eur": 25, "gbp": 20, "jpy": 0, "kwd": 100}[currency]
    rate_bp = 360 if currency == "jpy" else 290
    return (amount * rate_bp + 5000) // 10000 + fixed


def dispute_fee(currency: str) -> int:
    return {"usd": 1500, "eur": 1500, "gbp": 1500, "jpy": 2000, "kwd": 5000}[currency]


def available_on(created: int) -> int:
    """Card funds become available two days after capture, at 00:00 UTC."""
    return (created // DAY + 2) * DAY


def exponent(currency: str) -> int:
    return CURRENCIES[currency].exponent
