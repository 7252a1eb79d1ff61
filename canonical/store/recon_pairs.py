"""PostgreSQL pairs the linking conventions that need no pattern, so their rows never reach Python.

Most QuickBooks invoices name their Stripe invoice by DocNumber, and most QuickBooks payments
name their charge by a PaymentRefNum that is the whole `ch_…` id. Equality joins find those
pairs exactly; the reconciler then gets just the fields it compares of the counterpart: beside
each Stripe invoice (`invoice_numbers`, in the order of the `invoices` family), and for each
charge so paired, with its id (`charge_postings`, in no particular order, so the server neither
sorts nor joins every charge again; only the posting's booking date when it agrees with the
charge, `agreed_postings`), and the QuickBooks families lose the rows so paired. Every
row whose link needs the id pattern (a memo, a reference that is not one whole id) still goes to
the pure Python linking, which stays the reference (`reconciliation.linking`).

- A DocNumber names the QuickBooks invoice posted last with it (the highest row id), as in the
  Python index, where later rows overwrite earlier ones. Such an invoice leaves the QuickBooks
  family only when its memo has no underscore, so no Stripe id can be in it.
- A payment is paired here only when nothing else could name its charge: it is the one such
  payment of that charge, and no other QuickBooks payment's reference or memo holds the charge
  id or its payment intent id as a token of `(ch|pi)_[A-Za-z0-9]+`. Tokens scanned without the
  pattern's word-boundary test are a superset of the ids the Python pattern finds (its `\\b`
  follows Unicode classes PostgreSQL does not share), so a charge that any memo might name is
  left to Python whole, and the order of its postings stays the reference's.

The links between Stripe invoices and their charges (invoice payments by payment intent or by
charge, and the older charges' own allocations) are resolved here too: `invoice_charges` gives
each invoice's charges, as positions in the `charges` family, in the order and with the
repeats dropped as `reconciliation.reconcile.charges_by_invoice` finds them, so the million
link rows and the map of every payment intent never reach Python (the `REPLACED` families).

`PAIRING_SETUP` runs first, in the loader's transaction (its temporary tables go at commit);
`PAIRED_QUERIES` then override or extend `snapshot_loader.COMPACT_QUERIES`, and
`RESOLVED_QUERIES` take the place of the `REPLACED` families.
"""

from __future__ import annotations

from typing import Final

_AT = "('epoch'::timestamptz + {c} * interval '1 microsecond')"
_SIMPLE = "coalesce(p.reference ~ '^ch_[A-Za-z0-9]+$', false) AND coalesce(p.private_note, '') = ''"

PAIRING_SETUP: Final[tuple[str, ...]] = (
    # Every statement here reads whole tables: hash joins, never a probe per row (a misjudged
    # anti-join on a fresh temporary table once took minutes), and room to hash in memory.
    "SET LOCAL enable_nestloop = off",
    "SET LOCAL work_mem = '64MB'",
    # Each statement reads every row once: compiling them (with inlining, for the estimates
    # are large) cost more than it saved (ledger_payments: 0.87 s against 1.0 s at a million).
    "SET LOCAL jit = off",
    # Each Stripe invoice and the QuickBooks invoice its DocNumber names: of the QuickBooks
    # invoices with one number, the last posted. DISTINCT ON keeps it in one scan and a sort in
    # byte order ("C"), where an anti-join against every QuickBooks invoice took a third scan
    # and a second hash (2.9-3.3 s against 1.9-2.1 s at a million). Numbers are equal in "C"
    # exactly when they are equal in the database's collation, which is deterministic.
    """
CREATE TEMP TABLE recon_invoice_pairs ON COMMIT DROP AS
SELECT s.id AS stripe_row, q.id AS ledger_row, q.source_id, q.currency, q.total, q.balance,
    q.plain
FROM invoices AS s JOIN (
    SELECT DISTINCT ON (number COLLATE "C") id, number, source_id, total_currency AS currency,
        total_minor AS total, coalesce(balance_minor, 0) AS balance,
        strpos(coalesce(private_note, ''), '_') = 0 AS plain
    FROM invoices
    WHERE source = 'quickbooks' AND NOT deleted AND number <> ''
    ORDER BY number COLLATE "C", id DESC
) AS q ON q.number = s.number
WHERE s.source = 'stripe' AND NOT s.deleted""",
    # Every ch_/pi_ token the other QuickBooks payments hold (see the module's docstring).
    f"""
CREATE TEMP TABLE recon_named_tokens ON COMMIT DROP AS
SELECT DISTINCT (regexp_matches(
    coalesce(p.reference, '') || ' ' || coalesce(p.private_note, ''),
    '(?:ch|pi)_[A-Za-z0-9]+', 'g'))[1] AS token
FROM payments AS p
WHERE p.source = 'quickbooks' AND NOT p.deleted AND NOT ({_SIMPLE})""",
    # An index, so no plan can scan the tokens once per charge.
    "CREATE INDEX ON recon_named_tokens (token)",
    "ANALYZE recon_named_tokens",
    # Each charge and its one QuickBooks payment by whole-id PaymentRefNum, when nothing else
    # may name it.
    f"""
CREATE TEMP TABLE recon_charge_pairs ON COMMIT DROP AS
WITH simple AS (
    -- A reference posted once: each min() is that one payment's value.
    SELECT p.reference, min(p.id) AS id, count(*) AS postings, min(p.source_id) AS source_id,
        min(p.amount_currency) AS currency, min(p.amount_minor) AS amount,
        min(p.created_at) AS created_at, min(p.paid_on) AS paid_on
    FROM payments AS p
    WHERE p.source = 'quickbooks' AND NOT p.deleted AND {_SIMPLE}
    GROUP BY p.reference
)
SELECT c.source_id AS charge_id, s.id AS payment_row, s.source_id, s.currency, s.amount,
    s.created_at, s.paid_on,
    -- What the payment rules check of a lone posting (`linking.agrees`), for an ASCII currency
    -- only, whose upper case is the same here and in Python. Never NULL: each pair is read by
    -- exactly one of the queries below.
    coalesce(s.amount = c.amount_minor AND s.currency = upper(c.amount_currency COLLATE "C")
        AND octet_length(c.amount_currency) = char_length(c.amount_currency), false) AS agrees
FROM payments AS c JOIN simple AS s ON s.reference = c.source_id AND s.postings = 1
WHERE c.source = 'stripe' AND NOT c.deleted AND c.kind = 'charge'
AND NOT EXISTS (SELECT 1 FROM recon_named_tokens AS t WHERE t.token = c.source_id)
AND NOT EXISTS (SELECT 1 FROM recon_named_tokens AS t WHERE t.token = c.payment_intent_id)""",
    "ANALYZE recon_invoice_pairs",
    "ANALYZE recon_charge_pairs",
)

# Families the paired queries make unnecessary: `invoice_charges` holds what they linked.
REPLACED: Final[tuple[str, ...]] = ("invoice_links", "charge_links")

PAIRED_QUERIES: Final[dict[str, str]] = {
    # Without the DocNumber-only rows (same columns and order as the compact family).
    "ledger_invoices": """
SELECT q.source_id, q.party_id, q.total_currency, q.total_minor, coalesce(q.balance_minor, 0),
    q.number, q.private_note, q.issued_on
FROM invoices AS q
WHERE q.source = 'quickbooks' AND NOT q.deleted
AND NOT EXISTS (SELECT 1 FROM recon_invoice_pairs AS r WHERE r.ledger_row = q.id AND r.plain)
ORDER BY q.id""",
    # Without the payments paired to their charge here.
    "ledger_payments": f"""
SELECT p.source_id, p.amount_currency, p.amount_minor, p.reference, p.private_note,
    {_AT.format(c="p.created_at")}, p.paid_on,
    ARRAY(SELECT e->>'invoice_id' FROM json_array_elements(p.allocations) AS e)
FROM payments AS p
WHERE p.source = 'quickbooks' AND NOT p.deleted
AND NOT EXISTS (SELECT 1 FROM recon_charge_pairs AS r WHERE r.payment_row = p.id)
ORDER BY p.id""",
    # One row per Stripe invoice, in the `invoices` family's order: its DocNumber counterpart.
    "invoice_numbers": """
SELECT r.source_id, r.currency, r.total, r.balance
FROM invoices AS s LEFT JOIN recon_invoice_pairs AS r ON r.stripe_row = s.id
WHERE s.source = 'stripe' AND NOT s.deleted
ORDER BY s.id""",
    # Each paired charge's id and its one PaymentRefNum posting, in no particular order, when
    # they differ in amount or currency (the rules compare them: a few rows).
    "charge_postings": f"""
SELECT charge_id, source_id, currency, amount, {_AT.format(c="created_at")}, paid_on
FROM recon_charge_pairs WHERE NOT agrees""",
    # When they agree, the rules need only the posting's booking date (the funnel's "booked"):
    # the UTC day it was created, else its payment date. Three-quarters of a million postings
    # at a million charges, which as whole rows took this process 2.5 s to read and hold.
    "agreed_postings": f"""
SELECT charge_id, coalesce(({_AT.format(c="created_at")} AT TIME ZONE 'UTC')::date, paid_on)
FROM recon_charge_pairs WHERE agrees""",
}

# Read on the loader's first connection, after its own families (they need no temporary table):
# the server resolves them while Python decodes what the pairing connection sends.
RESOLVED_QUERIES: Final[dict[str, str]] = {
    # One row per link and charge it finds, in the reference's order (invoice payments by row,
    # then each charge's allocations; an intent's charges in charge order): the invoice id and
    # the charge's position in `charges` (NULL: none). A link by payment intent finds every
    # charge of that intent; only a link whose intent finds none falls back to its charge id.
    # (Positions of the invoices too would spare Python 60 MB of ids at a million, but cost the
    # server a numbered scan and a join of every invoice: 1 to 2 s.)
    # The charges are read once, for their positions and their allocations both.
    "invoice_charges": """
WITH charge_rows AS MATERIALIZED (
    SELECT id, source_id, payment_intent_id, allocations,
        row_number() OVER (ORDER BY id) - 1 AS position
    FROM payments WHERE source = 'stripe' AND NOT deleted AND kind = 'charge'
), links AS (
    SELECT 0 AS part, id AS row_id, 0::bigint AS position, invoice_id,
        payment_intent_id AS intent_id, charge_id
    FROM invoice_payments WHERE source = 'stripe' AND NOT deleted
    UNION ALL
    SELECT 1, p.id, a.position, a.value->>'invoice_id', NULL::text, p.source_id
    FROM charge_rows AS p,
        json_array_elements(p.allocations) WITH ORDINALITY AS a(value, position)
    WHERE p.allocations::text <> '[]'
)
SELECT l.invoice_id, coalesce(i.position, c.position)
FROM links AS l
LEFT JOIN charge_rows AS i ON i.payment_intent_id = l.intent_id AND l.intent_id <> ''
LEFT JOIN charge_rows AS c
    ON c.source_id = l.charge_id AND l.charge_id <> '' AND i.position IS NULL
ORDER BY l.part, l.row_id, l.position, i.position""",
}
