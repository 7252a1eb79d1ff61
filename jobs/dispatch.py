"""Which stored events a job acts on: the gateway asks `handles` to store an event as `received`
(a `process_event` job will act on it) or `ignored` (nothing here acts on it).

How the gateway names `event_type` and what `process_event` expects in each inbox row:

- `stripe`: one row per event; type = the event's `type` (`invoice.paid`); key = `evt_…`.
- `quickbooks`, CloudEvents: one row per array element; type = its `type`
  (`qbo.invoice.updated.v1`); key = its `id`.
- `quickbooks`, legacy: one row per changed entity; type = `"<name>.<operation>"`
  (`Invoice.Update`, see `legacy_quickbooks_type`); key = `Notification.event_id`.
- `salesforce`, Outbound Message: one row per `Notification`; type = the sObject type
  (`Opportunity`); key = the Notification `Id`.
- `salesforce`, Flow callout: type = the sObject type (`attributes.type`); key = the callout's id.

QuickBooks and Salesforce rows may keep the whole delivery as their body: the job picks its own
notification out of it by `dedupe_key` (`connectors.quickbooks.webhooks.Notification.event_id`,
`connectors.salesforce.webhooks.Notification.id`).
"""

from __future__ import annotations

from typing import Final

from connectors.quickbooks.streams import ENTITIES

STRIPE: Final = "stripe"
QUICKBOOKS: Final = "quickbooks"
SALESFORCE: Final = "salesforce"

# Stripe event types we act on: the objects we sync, and the ones that trigger follow-ups.
STRIPE_TYPES: Final[frozenset[str]] = frozenset(
    {
        "customer.created",
        "customer.updated",
        "customer.deleted",
        "customer.subscription.created",
        "customer.subscription.updated",
        "customer.subscription.deleted",
        "customer.subscription.paused",
        "customer.subscription.resumed",
        "invoice.created",
        "invoice.finalized",
        "invoice.updated",
        "invoice.paid",
        "invoice.payment_succeeded",
        "invoice.payment_failed",
        "invoice.voided",
        "invoice.marked_uncollectible",
        "invoice.deleted",
        "invoice_payment.paid",
        "charge.succeeded",
        "charge.failed",
        "charge.refunded",
        "charge.updated",
        "charge.captured",
        "charge.dispute.created",
        "charge.dispute.updated",
        "charge.dispute.closed",
        "charge.dispute.funds_withdrawn",
        "charge.dispute.funds_reinstated",
        "payment_intent.created",
        "payment_intent.succeeded",
        "payment_intent.payment_failed",
        "payment_intent.canceled",
        "payment_intent.processing",
        "payment_intent.requires_action",
        "payment_intent.amount_capturable_updated",
        "payment_intent.partially_funded",
        "refund.created",
        "refund.updated",
        "refund.failed",
        "charge.refund.updated",
        "credit_note.created",
        "credit_note.updated",
        "credit_note.voided",
        "payout.created",
        "payout.updated",
        "payout.paid",
        "payout.failed",
        "payout.canceled",
        "payout.reconciliation_completed",
    }
)

# The entities the QuickBooks connector syncs.
QUICKBOOKS_ENTITIES: Final[frozenset[str]] = frozenset(ENTITIES)
QUICKBOOKS_OPERATIONS: Final[frozenset[str]] = frozenset(
    {"Create", "Update", "Delete", "Merge", "Void", "Emailed"}
)
_CLOUD_OPERATIONS: Final = {
    "created": "Create",
    "updated": "Update",
    "deleted": "Delete",
    "merged": "Merge",
    "voided": "Void",
    "emailed": "Emailed",
}
_ENTITY_BY_LOWER: Final = {name.lower(): name for name in QUICKBOOKS_ENTITIES}

# The objects the Salesforce connector syncs (connectors.salesforce.objects.OBJECTS).
SALESFORCE_OBJECTS: Final[frozenset[str]] = frozenset(
    {"User", "Account", "Contact", "Lead", "Opportunity", "OpportunityLineItem"}
)


def handles(source: str, event_type: str | None) -> bool:
    """True when a `process_event` job acts on events of this source and type."""
    if event_type is None:
        return False
    if source == STRIPE:
        return event_type in STRIPE_TYPES
    if source == QUICKBOOKS:
        return quickbooks_change(event_type) is not None
    if source == SALESFORCE:
        return event_type in SALESFORCE_OBJECTS
    return False


def quickbooks_change(event_type: str) -> tuple[str, str] | None:
    """`(entity, operation)` in legacy words for a handled QuickBooks type, else None.

    `qbo.invoice.updated.v1` and `Invoice.Update` both give `("Invoice", "Update")`.
    """
    parts = event_type.split(".")
    if len(parts) >= 3 and parts[0] == "qbo":
        entity = _ENTITY_BY_LOWER.get(parts[1].lower())
        operation = _CLOUD_OPERATIONS.get(parts[2].lower())
    elif len(parts) == 2:
        entity = parts[0] if parts[0] in QUICKBOOKS_ENTITIES else None
        operation = parts[1] if parts[1] in QUICKBOOKS_OPERATIONS else None
    else:
        return None
    if entity is None or operation is None:
        return None
    return entity, operation


def legacy_quickbooks_type(entity: str, operation: str) -> str:
    """The `event_type` the gateway stores for a legacy notification: `Invoice.Update`."""
    return f"{entity}.{operation}"
