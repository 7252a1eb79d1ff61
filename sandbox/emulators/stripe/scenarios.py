"""Webhook scenarios: each changes the emulator's state as the story says, records the events
Stripe would emit, and returns the deliveries in the order (and number) Stripe would make them."""

from __future__ import annotations

import time
from collections.abc import Callable

from sandbox.emulators.stripe import objects, payments
from sandbox.emulators.stripe.collection import JSONObject
from sandbox.emulators.stripe.ids import new_id
from sandbox.emulators.stripe.store import StripeStore
from sandbox.emulators.stripe.webhooks import Delivery

FORGED_SECRET = "whsec_forged_by_someone_without_the_secret"  # noqa: S105 (deliberately wrong)


class ScenarioRun:
    """Collects the events a scenario records, in order."""

    def __init__(self, store: StripeStore) -> None:
        self.store = store
        self.events: list[JSONObject] = []

    def event(self, event_type: str, obj: JSONObject) -> JSONObject:
        event = self.store.record_event(event_type, obj)
        self.events.append(event)
        return event

    def created(self, collection: str, obj: JSONObject) -> None:
        event = self.store.change(collection, obj)
        if event is not None:
            self.events.append(event)

    def deliveries(self, events: list[JSONObject] | None = None) -> list[Delivery]:
        secret = self.store.config.webhook_secret
        return [Delivery(event, secret) for event in (self.events if events is None else events)]


def open_invoice(run: ScenarioRun) -> JSONObject:
    """The newest open invoice with money left to pay, or a new one if the dataset has none."""
    invoices = run.store.collection("invoices")
    for invoice in invoices.newest_first(_payable):
        return invoice
    customer = next(run.store.collection("customers").newest_first(), None)
    if customer is None:
        customer = objects.customer(email="buyer@example.com", name="Sandbox Buyer")
        run.created("customers", customer)
    invoice = objects.invoice(customer_id=customer["id"], amount=12_500, currency="usd")
    run.created("invoices", invoice)
    return invoice


def _payable(invoice: JSONObject) -> bool:
    return invoice.get("status") == "open" and int(invoice.get("amount_remaining") or 0) > 0


def _customer_id(obj: JSONObject) -> str | None:
    customer = obj.get("customer")
    return customer.get("id") if isinstance(customer, dict) else customer


def fail_attempt(run: ScenarioRun, invoice: JSONObject, decline_code: str) -> JSONObject:
    amount, currency = int(invoice["amount_remaining"]), invoice["currency"]
    intent = payments.payment_intent(
        customer_id=_customer_id(invoice), amount=amount, currency=currency
    )
    failed = payments.charge(
        customer_id=_customer_id(invoice),
        amount=amount,
        currency=currency,
        payment_intent_id=intent["id"],
        decline_code=decline_code,
    )
    intent["latest_charge"] = failed["id"]
    intent["last_payment_error"] = {
        "charge": failed["id"],
        "code": "card_declined",
        "decline_code": decline_code,
        "message": failed["failure_message"],
        "type": "card_error",
    }
    run.store.put("payment_intents", intent)
    run.store.put("charges", failed)
    attempted = {
        **invoice,
        "attempt_count": int(invoice.get("attempt_count") or 0) + 1,
        "attempted": True,
        "next_payment_attempt": int(time.time()) + 3 * 86400,
    }
    run.store.put("invoices", attempted)
    run.event("invoice.payment_failed", attempted)
    run.event("charge.failed", failed)
    return attempted


def pay(run: ScenarioRun, invoice: JSONObject) -> tuple[JSONObject, JSONObject]:
    """A successful card payment of what remains; returns the paid invoice and the charge."""
    amount, currency = int(invoice["amount_remaining"]), invoice["currency"]
    customer_id = _customer_id(invoice)
    intent = payments.payment_intent(customer_id=customer_id, amount=amount, currency=currency)
    charge = payments.charge(
        customer_id=customer_id, amount=amount, currency=currency, payment_intent_id=intent["id"]
    )
    txn = payments.balance_transaction(
        source_id=charge["id"], amount=amount, currency=currency, kind="charge"
    )
    charge["balance_transaction"] = txn["id"]
    intent.update(status="succeeded", amount_received=amount, latest_charge=charge["id"])
    payment = payments.invoice_payment(
        invoice_id=invoice["id"], amount=amount, currency=currency, payment_intent_id=intent["id"]
    )
    now = int(time.time())
    paid = {
        **invoice,
        "amount_paid": int(invoice.get("amount_paid") or 0) + amount,
        "amount_remaining": 0,
        "attempt_count": int(invoice.get("attempt_count") or 0) + 1,
        "attempted": True,
        "next_payment_attempt": None,
        "status": "paid",
        "status_transitions": {**(invoice.get("status_transitions") or {}), "paid_at": now},
    }
    for collection, obj in (
        ("balance_transactions", txn),
        ("payment_intents", intent),
        ("charges", charge),
        ("invoice_payments", payment),
        ("invoices", paid),
    ):
        run.store.put(collection, obj)
    run.event("charge.succeeded", charge)
    run.event("invoice_payment.paid", payment)
    run.event("invoice.paid", paid)
    return paid, charge


def payment_failed_then_recovered(run: ScenarioRun) -> list[Delivery]:
    invoice = fail_attempt(run, open_invoice(run), "insufficient_funds")
    pay(run, invoice)
    return run.deliveries()


def invoice_paid(run: ScenarioRun) -> list[Delivery]:
    pay(run, open_invoice(run))
    return run.deliveries()


def dispute_created(run: ScenarioRun) -> list[Delivery]:
    charges = run.store.collection("charges")
    charge = next(charges.newest_first(_disputable), None)
    if charge is None:
        _, charge = pay(run, open_invoice(run))
    dispute = payments.dispute(charge_obj=charge)
    run.store.put("disputes", dispute)
    run.store.put("charges", {**charge, "disputed": True})
    run.event("charge.dispute.created", dispute)
    return run.deliveries()


def _disputable(charge: JSONObject) -> bool:
    return (
        charge.get("status") == "succeeded"
        and not charge.get("disputed")
        and not charge.get("amount_refunded")
    )


def customer_deleted(run: ScenarioRun) -> list[Delivery]:
    customer = next(run.store.collection("customers").newest_first(), None)
    if customer is None:
        customer = objects.customer(email="leaver@example.com", name="Sandbox Leaver")
        run.created("customers", customer)
    event = run.store.delete("customers", customer["id"])
    assert event is not None  # customers always emit events
    run.events.append(event)
    return run.deliveries()


def duplicates(run: ScenarioRun) -> list[Delivery]:
    """Stripe delivers at least once: the same `invoice.paid` arrives five times."""
    pay(run, open_invoice(run))
    paid_event = run.events[-1]
    return run.deliveries([*run.events[:-1], *[paid_event] * 5])


def out_of_order(run: ScenarioRun) -> list[Delivery]:
    """Three `invoice.updated` (the due date moved a day each time), delivered newest first.

    The events are dated one second apart, ending now, so their `created` tells the true order;
    real updates this close together would share a second and leave the order undecidable."""
    invoice = open_invoice(run)
    now = int(time.time())
    for step in range(3):
        due = invoice.get("due_date") or int(invoice["created"]) + 30 * 86400
        updated = {**invoice, "due_date": int(due) + 86400}
        run.store.put("invoices", updated)
        previous = {"due_date": invoice.get("due_date")}
        event = run.store.record_event("invoice.updated", updated, previous, created=now - 2 + step)
        run.events.append(event)
        invoice = updated
    return run.deliveries(list(reversed(run.events)))


def forged(run: ScenarioRun) -> list[Delivery]:
    """Someone without the secret posts an `invoice.paid`; Stripe never sent it, so it is not
    recorded and changes nothing."""
    invoice = next(run.store.collection("invoices").newest_first(), None)
    target = invoice or {"id": new_id("in"), "object": "invoice"}
    event: JSONObject = {
        "id": new_id("evt"),
        "object": "event",
        "api_version": run.store.config.api_version,
        "created": int(time.time()),
        "data": {"object": {**target, "status": "paid", "amount_remaining": 0}},
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": "invoice.paid",
    }
    return [Delivery(event, FORGED_SECRET, retry=False)]


_STORIES: tuple[Callable[[ScenarioRun], list[Delivery]], ...] = (
    payment_failed_then_recovered,
    dispute_created,
    invoice_paid,
    customer_deleted,
    duplicates,
    out_of_order,
    forged,
)


def burst(run: ScenarioRun) -> list[Delivery]:
    """Every scenario, one after another."""
    deliveries: list[Delivery] = []
    for story in _STORIES:
        deliveries.extend(story(ScenarioRun(run.store)))
    return deliveries


SCENARIOS: dict[str, Callable[[ScenarioRun], list[Delivery]]] = {
    story.__name__: story for story in (*_STORIES, burst)
}


def plan(store: StripeStore, name: str) -> list[Delivery]:
    """Run scenario `name` against the state; raises KeyError for an unknown name."""
    return SCENARIOS[name](ScenarioRun(store))
