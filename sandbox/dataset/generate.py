"""The generator's driver: set up the shared context, run each customer's story, then payouts,
and finally the ground truth and the run's metadata."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from sandbox.dataset import quickbooks as qbo
from sandbox.dataset.context import DAY, HISTORY_DAYS, Clock, Context, Product
from sandbox.dataset.customers import emit_open_lead, emit_party, emit_users, new_party
from sandbox.dataset.deals import sales_story
from sandbox.dataset.extras import ledger_only_invoices, one_off_payment
from sandbox.dataset.ids import IdFactory
from sandbox.dataset.money import CURRENCIES
from sandbox.dataset.payouts import emit_payouts
from sandbox.dataset.plan import FINDING_KINDS, Planter, PlantRates
from sandbox.dataset.subscriptions import monthly_story
from sandbox.dataset.writer import DatasetWriter, write_json

# From this size on, every finding kind is forced to appear at least once.
FORCE_ALL_KINDS_FROM = 50
MAX_CUSTOMERS = 1_000_000
PROGRESS_EVERY = 100
CATALOGUE = (
    ("PLAT", "Platform license (annual)", 600_000),
    ("SEAT", "User seat (annual)", 24_000),
    ("ONB", "Onboarding package", 250_000),
    ("SUP", "Premium support (annual)", 180_000),
    ("STARTER", "Starter plan (monthly)", 4_900),
    ("TEAM", "Team plan seat (monthly)", 1_900),
    ("BUSINESS", "Business plan (monthly)", 29_900),
)


@dataclass(frozen=True)
class GenerateSummary:
    out: Path
    seed: int
    customers: int
    as_of: date
    counts: dict[str, dict[str, int]]
    planted: dict[str, int]


def _context(
    rng: random.Random, writer: DatasetWriter, as_of: date, rates: PlantRates, n: int
) -> Context:
    ids = IdFactory(rng)
    users = [ids.salesforce("User") for _ in range(max(5, min(200, n // 40)) + 1)]
    products = {
        code: Product(
            code,
            name,
            cents,
            ids.salesforce("Product2"),
            ids.salesforce("PricebookEntry"),
            ids.stripe("prod"),
        )
        for code, name, cents in CATALOGUE
    }
    return Context(
        rng=rng,
        ids=ids,
        planter=Planter(rng, rates, force_each_kind=n >= FORCE_ALL_KINDS_FROM),
        out=writer,
        clock=Clock(as_of),
        users=users,
        pricebook=ids.salesforce("Pricebook2"),
        products=products,
        prices={},
        accounts=qbo.chart_of_accounts([code.upper() for code in CURRENCIES]),
    )


def _customer(ctx: Context, index: int) -> None:
    party = new_party(ctx, index)
    if party.sf_account is not None:
        sales_story(ctx, party)
        if ctx.rng.random() < 0.2:
            start = party.created + ctx.rng.randint(1, 40) * DAY
            if start < ctx.clock.now - DAY:
                monthly_story(ctx, party, start)
    else:
        monthly_story(ctx, party, party.created)
    one_off_payment(ctx, party)
    ledger_only_invoices(ctx, party)
    emit_party(ctx, party)
    if ctx.rng.random() < 0.6:
        emit_open_lead(ctx, index)


def generate(
    out: Path,
    *,
    seed: int,
    customers: int,
    as_of: date | None = None,
    rates: PlantRates | None = None,
    progress: Callable[[int], None] | None = None,
) -> GenerateSummary:
    """Write a dataset for `customers` customers under `out`; same seed and as-of, same bytes.

    `progress(done)` receives the running number of finished customers (every 100, and at
    the end), ready for a progress bar's `update(completed=done)`.
    """
    if not 1 <= customers <= MAX_CUSTOMERS:
        raise ValueError(f"customers must be between 1 and {MAX_CUSTOMERS}, got {customers}")
    as_of = as_of or datetime.now(UTC).date()
    rates = rates or PlantRates()
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    with DatasetWriter(out) as writer:
        ctx = _context(rng, writer, as_of, rates, customers)
        created = ctx.clock.days_ago(HISTORY_DAYS + 200)
        for row in ctx.accounts:
            writer.emit("quickbooks", "Account", qbo.account(row, created))
        emit_users(ctx)
        for index in range(customers):
            _customer(ctx, index)
            if progress is not None and (
                (index + 1) % PROGRESS_EVERY == 0 or index + 1 == customers
            ):
                progress(index + 1)
        emit_payouts(ctx)
    truth = ctx.planter.truth()
    write_json(out / "truth.json", truth)
    meta = {
        "seed": seed,
        "customers": customers,
        "as_of": as_of.isoformat(),
        "rates": asdict(rates),
        "traps": ctx.planter.traps,
    }
    write_json(out / "meta.json", meta)
    planted = {kind: ctx.planter.counts[kind] for kind in FINDING_KINDS}
    return GenerateSummary(out, seed, customers, as_of, writer.counts(), planted)
