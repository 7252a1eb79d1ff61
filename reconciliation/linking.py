"""How records in different systems point at each other (DESIGN.md "Linking conventions").

`LedgerIndex` reads every QuickBooks record once and indexes it by the Stripe ids its memo,
reference or document number carries. `Parties` links Stripe, QuickBooks and Salesforce customers
(explicit Salesforce id, then e-mail, then display name) for the fallback matches and to name the
customer a finding belongs to. `MatchTally` counts every pair and how it was found.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from canonical.records import Source, SourceRef
from reconciliation.model import MatchMethod, MatchRate, PairType
from reconciliation.snapshot import Snapshot
from reconciliation.snapshot_types import (
    Charge,
    InvoiceCounterpart,
    LedgerInvoice,
    LedgerNote,
    LedgerPayment,
    PartyRow,
    RefPosting,
)

_Key = Callable[[PartyRow], str | None]
# A posting that names a charge: a QuickBooks payment the Python index read, or one the store
# paired (the rules read the fields both carry).
NamedPosting = LedgerPayment | RefPosting
_STRIPE_ID = re.compile(r"\b((?:in|ch|pi|re|cn|dp|po)_[A-Za-z0-9]+)")


def stripe_ids(text: str | None, prefix: str) -> list[str]:
    """The Stripe ids with `prefix` (`"in"`, `"ch"`, ...) that `text` mentions, in order."""
    start = prefix + "_"
    if text and text.startswith(start) and text.isascii() and text[len(start) :].isalnum():
        return [text]  # the whole text is one id (a PaymentRefNum): what the pattern finds
    return with_prefix(all_stripe_ids(text), prefix)


def all_stripe_ids(text: str | None) -> list[str]:
    """Every Stripe id `text` mentions, in order: `stripe_ids` for all prefixes at once."""
    return _STRIPE_ID.findall(text) if text and "_" in text else []


def with_prefix(ids: list[str], prefix: str) -> list[str]:
    """The ids of `all_stripe_ids` that `stripe_ids(text, prefix)` finds."""
    start = prefix + "_"
    return [found for found in ids if found.startswith(start)]


@dataclass(slots=True)
class MatchTally:
    totals: Counter[PairType] = field(default_factory=Counter)
    methods: dict[PairType, Counter[MatchMethod]] = field(
        default_factory=lambda: defaultdict(Counter)
    )

    def count(self, pair: PairType, method: MatchMethod | None) -> None:
        self.totals[pair] += 1
        if method is not None:
            self.methods[pair][method] += 1

    def count_all(self, pair: PairType, methods: Counter[MatchMethod | None]) -> None:
        """Add a rule's own tally of `pair` (None: no counterpart), in the order first seen.

        Rules over a million records count locally and add once: a call per record was 5 % of
        the run.
        """
        self.totals[pair] += methods.total()
        found = self.methods[pair]
        for method, times in methods.items():
            if method is not None:
                found[method] += times

    def rates(self) -> tuple[MatchRate, ...]:
        return tuple(
            MatchRate.of(
                pair,
                sum(self.methods[pair].values()),
                self.totals[pair],
                dict(self.methods[pair]),
            )
            for pair in PairType
        )


@dataclass(slots=True)
class LedgerIndex:
    """QuickBooks records keyed by the Stripe ids they name.

    The snapshot may come with pairs the store made (`Snapshot.paired`); they take the place of
    the rows they paired, and everything else is indexed here, the same way.
    """

    # `number_matches[i]`: the QuickBooks invoice `snapshot.invoices[i]`'s DocNumber names.
    number_matches: list[InvoiceCounterpart | None] = field(default_factory=list)
    invoice_by_note: dict[str, LedgerInvoice] = field(default_factory=dict)
    # A charge's postings, in order, are `postings(charge_id)`: the one posting naming it by
    # PaymentRefNum (the common case, kept without a list and a pair: 130 MB at a million) is in
    # `payment_by_ref`, or in `paired_by_ref` when the store paired it; every other charge's
    # postings are in `payments_by_charge`. A posting the store paired that agrees with its
    # charge in amount and currency is only its booking date, in `agreed_by_ref`.
    payment_by_ref: dict[str, NamedPosting] = field(default_factory=dict)
    paired_by_ref: Mapping[str, NamedPosting] = field(default_factory=dict)
    agreed_by_ref: Mapping[str, date | None] = field(default_factory=dict)
    payments_by_charge: dict[str, list[tuple[NamedPosting, MatchMethod]]] = field(
        default_factory=dict
    )
    payments_by_invoice: dict[str, list[LedgerPayment]] = field(
        default_factory=lambda: defaultdict(list)
    )
    credits_by_ref: dict[str, list[LedgerNote]] = field(default_factory=lambda: defaultdict(list))
    journal_disputes: set[str] = field(default_factory=set)
    deposit_by_payout: dict[str, LedgerNote] = field(default_factory=dict)
    free_deposits: list[LedgerNote] = field(default_factory=list)

    @classmethod
    def build(cls, snapshot: Snapshot) -> LedgerIndex:
        index = cls()
        by_note = index.invoice_by_note
        for inv in snapshot.ledger_invoices:
            if inv.note:
                for ident in stripe_ids(inv.note, "in"):
                    by_note[ident] = inv
        if snapshot.paired is None:
            index.number_matches = number_matches(snapshot)
        else:
            index.number_matches = snapshot.paired.invoice_numbers
            # Only charges nothing else names are paired, so no posting below joins these.
            index.paired_by_ref = snapshot.paired.charge_postings
            index.agreed_by_ref = snapshot.paired.agreed_postings
        index._index_payments(snapshot)
        for note in (*snapshot.refund_receipts, *snapshot.credit_memos):
            for ident in (*stripe_ids(note.note, "re"), *stripe_ids(note.note, "cn")):
                index.credits_by_ref[ident].append(note)
        for entry in snapshot.journal_entries:
            index.journal_disputes.update(stripe_ids(entry.note, "dp"))
        for deposit in snapshot.deposits:
            payouts = stripe_ids(deposit.note, "po")
            for ident in payouts:
                index.deposit_by_payout[ident] = deposit
            if not payouts:
                index.free_deposits.append(deposit)
        return index

    def _index_payments(self, snapshot: Snapshot) -> None:
        # A `pi_` in a memo stands for the one succeeded charge of that intent; only the intents
        # some memo names are looked up (a map of every charge would cost 80 MB at a million).
        # Each memo is scanned once, for every prefix read below.
        in_notes = [all_stripe_ids(p.note) for p in snapshot.ledger_payments]
        named_intents = {i for ids in in_notes for i in with_prefix(ids, "pi")}
        succeeded = {
            c.intent_id: c.id
            for c in snapshot.charges
            if c.intent_id in named_intents and c.status == "succeeded"
        }
        by_ref, by_charge = self.payment_by_ref, self.payments_by_charge
        for payment, in_note in zip(snapshot.ledger_payments, in_notes, strict=True):
            refs = stripe_ids(payment.reference, "ch")
            if len(refs) == 1 and not payment.note:  # the common case: PaymentRefNum alone
                if (charge_id := refs[0]) not in by_ref and charge_id not in by_charge:
                    by_ref[charge_id] = payment  # the charge's first posting
                else:
                    self._post(charge_id, payment, MatchMethod.PAYMENT_REF)
                continue
            named: dict[str, MatchMethod] = dict.fromkeys(refs, MatchMethod.PAYMENT_REF)
            for ident in with_prefix(in_note, "ch"):
                named.setdefault(ident, MatchMethod.PRIVATE_NOTE)
            for intent in with_prefix(in_note, "pi"):
                if intent in succeeded:
                    named.setdefault(succeeded[intent], MatchMethod.INTENT_NOTE)
            for charge_id, method in named.items():
                self._post(charge_id, payment, method)
            if not named:
                for invoice_id in payment.invoice_ids:
                    self.payments_by_invoice[invoice_id].append(payment)

    def _post(self, charge_id: str, payment: NamedPosting, method: MatchMethod) -> None:
        postings = self.payments_by_charge.get(charge_id)
        if postings is not None:
            postings.append((payment, method))
        elif (alone := self.payment_by_ref.pop(charge_id, None)) is not None:
            self.payments_by_charge[charge_id] = [
                (alone, MatchMethod.PAYMENT_REF),
                (payment, method),
            ]
        elif method is MatchMethod.PAYMENT_REF:
            self.payment_by_ref[charge_id] = payment
        else:
            self.payments_by_charge[charge_id] = [(payment, method)]

    def agrees_alone(self, charge: Charge) -> bool:
        """True when one posting alone names the charge, by PaymentRefNum, with its amount and
        currency: the common case, in which the payment rules find nothing."""
        if charge.id in self.agreed_by_ref:
            return True
        alone = self.ref_posting(charge.id)
        return alone is not None and agrees(alone, charge)

    def ref_posting(self, charge_id: str) -> NamedPosting | None:
        """The one posting naming the charge, by PaymentRefNum, when nothing else names it and,
        if the store paired them, it differs from the charge (see `agrees_alone`)."""
        payment = self.payment_by_ref.get(charge_id)
        return self.paired_by_ref.get(charge_id) if payment is None else payment

    def postings(self, charge_id: str) -> Sequence[tuple[NamedPosting, MatchMethod]]:
        """The QuickBooks payments naming the charge, and how each names it, in posting order;
        none for a charge that `agrees_alone` because the store paired it."""
        if (payment := self.ref_posting(charge_id)) is not None:
            return ((payment, MatchMethod.PAYMENT_REF),)
        return self.payments_by_charge.get(charge_id, ())

    def booked_on(self, charge_id: str) -> date | None:
        """The day the charge reached the books: its first posting's (UTC) creation day, else
        payment date, of the first posting that has either."""
        if charge_id in self.agreed_by_ref:
            return self.agreed_by_ref[charge_id]
        for payment, _ in self.postings(charge_id):
            if payment.created_at is not None:
                return payment.created_at.date()
            if payment.paid_on is not None:
                return payment.paid_on
        return None

    def unnamed_payment_for(
        self, charge: Charge, ledger_invoice_id: str, window: int
    ) -> LedgerPayment | None:
        """Fallback: a payment naming no charge, on the matched invoice, same amount, close by."""
        if charge.created_at is None:
            return None
        day = charge.created_at.date()
        for payment in self.payments_by_invoice.get(ledger_invoice_id, ()):
            close = payment.paid_on is not None and abs((payment.paid_on - day).days) <= window
            if close and payment.amount == charge.amount and payment.currency == charge.currency:
                self.payments_by_invoice[ledger_invoice_id].remove(payment)
                return payment
        return None


def agrees(posting: NamedPosting, charge: Charge) -> bool:
    """A posting and the charge it names agree: same amount, same currency."""
    return posting.amount == charge.amount and posting.currency == charge.currency.upper()


def number_matches(snapshot: Snapshot) -> list[InvoiceCounterpart | None]:
    """Each Stripe invoice's QuickBooks counterpart by DocNumber, the last posted one winning."""
    by_number: dict[str, LedgerInvoice] = {}
    for ledger in snapshot.ledger_invoices:
        if ledger.number:
            by_number[ledger.number] = ledger
    found: list[InvoiceCounterpart | None] = []
    for inv in snapshot.invoices:
        q = by_number.get(inv.number) if inv.number else None
        found.append(
            None if q is None else InvoiceCounterpart(q.id, q.currency, q.total, q.balance)
        )
    return found


class Parties:
    """Customers across systems, keyed to one reference (the Stripe customer when there is one).

    Only links are stored (a QuickBooks or Salesforce id to a Stripe customer id); a Stripe
    customer, or one that links to nothing, is its own reference. Names are kept per system.
    """

    def __init__(self, rows: Iterable[PartyRow]) -> None:
        by_source: dict[Source, list[PartyRow]] = defaultdict(list)
        for row in rows:
            by_source[row.source].append(row)
        self._names: dict[Source, dict[str, str]] = {
            source: {row.id: row.name or row.email or row.id for row in group}
            for source, group in by_source.items()
        }
        self._linked: dict[Source, dict[str, str]] = {Source.QUICKBOOKS: {}, Source.SALESFORCE: {}}
        stripe = by_source[Source.STRIPE]
        to_account = self._linked[Source.SALESFORCE]
        for row in stripe:
            if row.salesforce_account_id:
                to_account.setdefault(row.salesforce_account_id, row.id)
        # E-mail first, then display name, in each system.
        for key in (_email, _name):
            unique = _unique_keys(stripe, key)
            for other in (Source.QUICKBOOKS, Source.SALESFORCE):
                self._link_unique(unique, by_source[other], key, self._linked[other])

    @staticmethod
    def _link_unique(
        stripe: Mapping[str, str | None], others: list[PartyRow], key: _Key, linked: dict[str, str]
    ) -> None:
        # Only an unambiguous key links: exactly one party on each side.
        right: dict[str, list[PartyRow]] = defaultdict(list)
        for row in others:
            if row.id not in linked and (k := key(row)) is not None:
                right[k].append(row)
        for k, rows in right.items():
            if len(rows) == 1 and (stripe_id := stripe.get(k)) is not None:
                linked[rows[0].id] = stripe_id

    def ref(self, source: Source, ident: str | None) -> SourceRef | None:
        """The customer's one reference, or its own reference when it links to nothing."""
        if ident is None:
            return None
        linked = self._linked.get(source)
        stripe_id = None if linked is None else linked.get(ident)
        return (
            SourceRef(source, ident) if stripe_id is None else SourceRef(Source.STRIPE, stripe_id)
        )

    def name(self, ref: SourceRef) -> str:
        return self._names.get(ref.source, {}).get(ref.source_id, ref.source_id)


def _unique_keys(rows: list[PartyRow], key: _Key) -> dict[str, str | None]:
    """Each key of `rows`: the id of the one row with it, or None when several have it."""
    found: dict[str, str | None] = {}
    for row in rows:
        if (k := key(row)) is not None:
            found[k] = row.id if k not in found else None
    return found


def _email(row: PartyRow) -> str | None:
    return _clean(row.email)


def _name(row: PartyRow) -> str | None:
    return _clean(row.name)


def _clean(text: str | None) -> str | None:
    return text.strip().lower() or None if text else None
