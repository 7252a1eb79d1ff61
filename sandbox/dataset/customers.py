"""A customer's identity in the three systems: Stripe and QuickBooks customers, and for
sales-led customers the Salesforce account, contacts and the lead that was converted."""

from __future__ import annotations

from sandbox.dataset import names
from sandbox.dataset import quickbooks as qbo
from sandbox.dataset import salesforce as sf
from sandbox.dataset import stripe_billing as sb
from sandbox.dataset.context import DAY, HISTORY_DAYS, Context
from sandbox.dataset.money import CURRENCIES, CURRENCY_WEIGHTS, to_decimal
from sandbox.dataset.party import Party
from sandbox.dataset.posting import sync_time

SALES_LED_SHARE = 0.85
CARD_BRANDS = (("visa", 55), ("mastercard", 35), ("amex", 10))


def new_party(ctx: Context, index: int) -> Party:
    rng = ctx.rng
    currency = ctx.pick(CURRENCY_WEIGHTS)
    country = CURRENCIES[currency].country
    name = names.company_name(rng, country, index)
    email = f"billing@{names.slug(name)}{index}.example"
    city = rng.choice(names.CITIES[country])
    created = ctx.clock.days_ago(rng.uniform(45, HISTORY_DAYS))
    sales_led = rng.random() < SALES_LED_SHARE
    account = _sf_account(ctx, name, currency, country, city, created) if sales_led else None
    metadata = {"salesforce_account_id": account.id} if account else {}
    stripe_customer = sb.CustomerFacts(
        id=ctx.ids.stripe("cus"),
        name=name,
        email=email,
        currency=currency,
        country=country,
        city=city,
        created=created,
        invoice_prefix=ctx.ids.hex_upper(8),
        metadata=metadata,
        tax_exempt=False,
    )
    qbo_customer = qbo.QboCustomerFacts(
        id=ctx.ids.quickbooks("Customer"),
        display_name=name,
        email=email,
        currency=currency.upper(),
        city=city,
        country=country,
        created=sync_time(ctx, created),
    )
    taxable = CURRENCIES[currency].tax_rate_bp > 0 and rng.random() < 0.7
    stripe_customer.tax_exempt = not taxable
    party = Party(
        index,
        name,
        email,
        currency,
        country,
        city,
        created,
        taxable,
        stripe_customer,
        qbo_customer,
        account,
    )
    party.card_brand = ctx.pick(CARD_BRANDS)
    party.card_last4 = f"{rng.randint(0, 9999):04d}"
    return party


def _sf_account(
    ctx: Context, name: str, currency: str, country: str, city: str, became_customer: int
) -> sf.AccountFacts:
    rng = ctx.rng
    created = became_customer - rng.randint(30, 120) * DAY
    return sf.AccountFacts(
        id=ctx.ids.salesforce("Account"),
        name=name,
        owner=rng.choice(ctx.users[1:]),
        currency=currency.upper(),
        industry=rng.choice(names.INDUSTRIES),
        country=country,
        city=city,
        website=f"https://www.{names.slug(name)}.example",
        employees=rng.choice((12, 40, 85, 250, 1200, 5000)),
        created=created,
        modified=min(became_customer + DAY, ctx.clock.now - 60),
        is_customer=True,
    )


def emit_party(ctx: Context, party: Party) -> None:
    """Customers go out last, once their balances and invoice counters are known."""
    ctx.emit("stripe", "customers", sb.customer(party.stripe))
    party.qbo.balance = to_decimal(party.qbo_balance, party.currency)
    ctx.emit("quickbooks", "Customer", qbo.customer(party.qbo))
    if party.sf_account is not None:
        ctx.emit("salesforce", "Account", sf.account(party.sf_account))


def emit_contacts(ctx: Context, account: sf.AccountFacts) -> tuple[str, str, str]:
    """One to three contacts; returns the first one's id and name (the converted lead's)."""
    first_contact = ("", "", "")
    for position in range(ctx.rng.randint(1, 3)):
        first, last = names.person(ctx.rng)
        contact_id = ctx.ids.salesforce("Contact")
        domain = account.website.removeprefix("https://www.")
        email = f"{first.lower()}.{last.lower()}@{domain}".replace("'", "")
        ctx.emit(
            "salesforce",
            "Contact",
            sf.contact(
                contact_id,
                account,
                first,
                last,
                email,
                ctx.rng.choice(names.TITLES),
                account.created + position * DAY,
            ),
        )
        if position == 0:
            first_contact = (contact_id, first, last)
    return first_contact


def emit_converted_lead(
    ctx: Context, account: sf.AccountFacts, contact: tuple[str, str, str], opportunity: str
) -> None:
    contact_id, first, last = contact
    created = account.created - ctx.rng.randint(3, 40) * DAY
    facts = sf.LeadFacts(
        id=ctx.ids.salesforce("Lead"),
        owner=account.owner,
        first=first,
        last=last,
        company=account.name,
        email=f"{first.lower()}@{account.website.removeprefix('https://www.')}",
        status="Closed - Converted",
        source=ctx.rng.choice(("Web", "Partner Referral", "Trade Show", "Phone Inquiry")),
        currency=account.currency,
        created=created,
        modified=account.created,
        converted_account=account.id,
        converted_contact=contact_id,
        converted_opportunity=opportunity,
        converted_date=ctx.clock.date_of(account.created),
    )
    ctx.emit("salesforce", "Lead", sf.lead(facts))


def emit_open_lead(ctx: Context, index: int) -> None:
    rng = ctx.rng
    first, last = names.person(rng)
    currency = ctx.pick(CURRENCY_WEIGHTS)
    company = names.company_name(rng, CURRENCIES[currency].country, 10_000_000 + index)
    created = ctx.clock.days_ago(rng.uniform(1, HISTORY_DAYS))
    facts = sf.LeadFacts(
        id=ctx.ids.salesforce("Lead"),
        owner=rng.choice(ctx.users[1:]),
        first=first,
        last=last,
        company=company,
        email=f"{first.lower()}@{names.slug(company)}{index}.example",
        status=rng.choice(
            ("Open - Not Contacted", "Working - Contacted", "Closed - Not Converted")
        ),
        source=rng.choice(("Web", "Partner Referral", "Trade Show", "Purchased List")),
        currency=currency.upper(),
        created=created,
        modified=min(created + rng.randint(0, 20) * DAY, ctx.clock.now - 60),
    )
    ctx.emit("salesforce", "Lead", sf.lead(facts))


def emit_users(ctx: Context) -> None:
    created = ctx.clock.days_ago(HISTORY_DAYS + 200)
    admin = ctx.users[0]
    for position, user_id in enumerate(ctx.users):
        first, last = ("Sandbox", "Admin") if position == 0 else names.person(ctx.rng)
        email = f"{first.lower()}.{last.lower()}.{position}@revcycle-sandbox.example"
        ctx.emit("salesforce", "User", sf.user(user_id, first, last, email, created, admin))
