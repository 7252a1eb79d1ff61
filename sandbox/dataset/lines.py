"""Priced lines shared by deals and subscriptions: Stripe invoice lines and Salesforce line items
built from the same numbers, so a deal's Amount is exactly what its invoice bills (net of
discount, before tax)."""

from __future__ import annotations

from sandbox.dataset.context import Context, Product
from sandbox.dataset.money import CURRENCIES, scale_price, tax_for
from sandbox.dataset.party import Party
from sandbox.dataset.stripe_billing import LineFacts


def unit_price(product: Product, currency: str, discounted: bool) -> int:
    # Discount percentages are multiples of 5, so a unit that is a multiple of 20 minor units
    # makes every discount exact; KWD otherwise keeps odd fils (12.345) to exercise 3 decimals.
    step = 5 if currency == "kwd" and not discounted else (20 if currency == "kwd" else 100)
    return scale_price(product.usd_cents, currency, step)


def make_line(
    ctx: Context,
    party: Party,
    product: Product,
    quantity: int,
    period: tuple[int, int],
    discount_pct: int,
    subscription_item: str | None = None,
) -> LineFacts:
    unit = unit_price(product, party.currency, discount_pct > 0)
    line = LineFacts(
        id=ctx.ids.stripe("il"),
        description=f"{quantity} x {product.name}",
        unit_amount=unit,
        quantity=quantity,
        price_id=ctx.price_id(product.code, party.currency),
        product_id=product.stripe_product,
        period_start=period[0],
        period_end=period[1],
        subscription_item=subscription_item,
        invoice_item=None if subscription_item else ctx.ids.stripe("ii"),
    )
    line.discount = line.amount * discount_pct // 100
    if party.taxable:
        line.tax = tax_for(line.amount - line.discount, CURRENCIES[party.currency].tax_rate_bp)
    return line


def copy_lines(ctx: Context, lines: list[LineFacts]) -> list[LineFacts]:
    """The same lines with fresh ids, for a renewal or a reissued invoice."""
    return [
        LineFacts(
            id=ctx.ids.stripe("il"),
            description=line.description,
            unit_amount=line.unit_amount,
            quantity=line.quantity,
            price_id=line.price_id,
            product_id=line.product_id,
            period_start=line.period_start,
            period_end=line.period_end,
            discount=line.discount,
            tax=line.tax,
            subscription_item=line.subscription_item,
            invoice_item=None if line.subscription_item else ctx.ids.stripe("ii"),
        )
        for line in lines
    ]


def shift_period(lines: list[LineFacts], start: int, end: int) -> None:
    for line in lines:
        line.period_start, line.period_end = start, end
