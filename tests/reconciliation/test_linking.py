"""The linking indexes' compact forms give what the plain conventions say, posting order kept."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from canonical.records import Source
from reconciliation.linking import (
    _STRIPE_ID,
    LedgerIndex,
    MatchTally,
    all_stripe_ids,
    stripe_ids,
    with_prefix,
)
from reconciliation.model import MatchMethod, PairType
from reconciliation.reconcile import charges_by_invoice, find
from reconciliation.snapshot import Snapshot
from reconciliation.snapshot_types import (
    Charge,
    InvoiceLink,
    LedgerInvoice,
    LedgerPayment,
    PartyRow,
    StripeInvoice,
)

AS_OF = date(2026, 3, 1)
PAID = datetime(2026, 1, 5, 12, tzinfo=UTC)
M = MatchMethod


def charge(ident: str, intent: str | None = None, status: str = "succeeded") -> Charge:
    return Charge(ident, "cus_1", intent, status, 5000, "usd", PAID)


def posting(
    ident: str, reference: str | None = None, note: str | None = None, hours: int = 0
) -> LedgerPayment:
    at = PAID + timedelta(hours=hours)
    return LedgerPayment(ident, "USD", 5000, reference, note, at, at.date(), ())


def stripe_invoice(ident: str) -> StripeInvoice:
    at = PAID - timedelta(hours=1)
    return StripeInvoice(
        ident, "cus_1", "paid", "usd", 5000, 5000, 0, 0, 0, f"RC-{ident}", at, at, PAID, None,
        None, None, None,
    )  # fmt: skip


def by_pattern_only(text: str | None, prefix: str) -> list[str]:
    if not text:
        return []
    return [found for found in _STRIPE_ID.findall(text) if found.startswith(prefix + "_")]


@given(
    st.one_of(
        st.text(alphabet="ch_pinAZaz09é -/", max_size=24),
        st.from_regex(r"(ch|pi)_[A-Za-z0-9]{1,8}", fullmatch=True),
        st.none(),
    ),
    st.sampled_from(["ch", "pi", "in"]),
)
def test_stripe_id_shortcuts_find_what_the_pattern_finds(text: str | None, prefix: str) -> None:
    # The whole-id shortcut of one prefix, and one scan filtered for each prefix.
    assert stripe_ids(text, prefix) == by_pattern_only(text, prefix)
    assert with_prefix(all_stripe_ids(text), prefix) == by_pattern_only(text, prefix)


def test_lone_payment_ref_posting_is_the_charges_only_posting() -> None:
    index = LedgerIndex.build(
        Snapshot(charges=[charge("ch_1")], ledger_payments=[posting("7", reference="ch_1")])
    )

    assert index.postings("ch_1") == ((posting("7", reference="ch_1"), M.PAYMENT_REF),)
    assert index.payments_by_charge == {}
    assert index.postings("ch_2") == ()


def test_postings_keep_their_order_whichever_convention_names_the_charge_first() -> None:
    by_note = posting("8", note="Stripe ch_1", hours=1)
    by_ref = posting("9", reference="ch_1", hours=2)
    by_intent = posting("10", note="paid pi_1", hours=3)

    ref_first = LedgerIndex.build(
        Snapshot(charges=[charge("ch_1", "pi_1")], ledger_payments=[by_ref, by_note, by_intent])
    )
    note_first = LedgerIndex.build(
        Snapshot(charges=[charge("ch_1", "pi_1")], ledger_payments=[by_note, by_ref])
    )

    assert ref_first.postings("ch_1") == [
        (by_ref, M.PAYMENT_REF),
        (by_note, M.PRIVATE_NOTE),
        (by_intent, M.INTENT_NOTE),
    ]
    assert note_first.postings("ch_1") == [(by_note, M.PRIVATE_NOTE), (by_ref, M.PAYMENT_REF)]
    assert ref_first.payment_by_ref == note_first.payment_by_ref == {}


def test_second_payment_ref_posting_of_a_charge_is_a_duplicate() -> None:
    snapshot = Snapshot(
        invoices=[stripe_invoice("in_1")],
        ledger_invoices=[LedgerInvoice("3", "1", "USD", 5000, 0, "RC-in_1", None, PAID.date())],
        charges=[charge("ch_1", "pi_1")],
        invoice_links=[InvoiceLink("in_1", "pi_1", None)],
        ledger_payments=[posting("9", reference="ch_1"), posting("12", reference="ch_1", hours=5)],
    )

    found = find(snapshot, as_of=AS_OF)

    duplicates = [f for f in found.findings if f.kind == "duplicate_payment"]
    assert [(f.key.source_id, f.records[-1].source_id) for f in duplicates] == [("12", "9")]
    assert found.ledger.postings("ch_1")[0] == (posting("9", reference="ch_1"), M.PAYMENT_REF)


def test_intent_memo_names_only_the_intents_succeeded_charge() -> None:
    snapshot = Snapshot(
        charges=[charge("ch_f", "pi_1", status="failed"), charge("ch_s", "pi_1")],
        ledger_payments=[posting("7", note="Stripe pi_1")],
    )

    index = LedgerIndex.build(snapshot)

    assert index.postings("ch_s") == [(posting("7", note="Stripe pi_1"), M.INTENT_NOTE)]
    assert index.postings("ch_f") == ()


def test_invoice_reaches_every_charge_of_a_retried_intent_once_in_charge_order() -> None:
    first, retry, other = charge("ch_1", "pi_1", "failed"), charge("ch_2", "pi_1"), charge("ch_3")
    snapshot = Snapshot(
        charges=[first, retry, other],
        invoice_links=[
            InvoiceLink("in_1", "pi_1", None),
            InvoiceLink("in_1", None, "ch_2"),  # an older API's allocation, already reached
            InvoiceLink("in_2", "pi_unknown", "ch_3"),  # the intent is not here: by charge id
            InvoiceLink("in_3", None, "ch_gone"),
        ],
    )

    linked = charges_by_invoice(snapshot)

    assert linked == {"in_1": [first, retry], "in_2": [other], "in_3": []}


def test_tally_added_per_rule_counts_unmatched_and_keeps_first_seen_method_order() -> None:
    tally = MatchTally()
    tally.count_all(
        PairType.PAYMENT, Counter([M.PRIVATE_NOTE, None, M.PAYMENT_REF, M.PRIVATE_NOTE])
    )

    (rate,) = [r for r in tally.rates() if r.pair is PairType.PAYMENT]

    assert (rate.matched, rate.total) == (3, 4)
    assert list(rate.by_method.items()) == [(M.PRIVATE_NOTE, 2), (M.PAYMENT_REF, 1)]


def test_invoice_a_docnumber_names_is_never_the_fallback_of_another_invoice() -> None:
    recent = datetime(2026, 2, 28, 12, tzinfo=UTC)  # within the ledger grace at AS_OF
    named = stripe_invoice("in_named")._replace(finalized_at=recent, created_at=recent)
    unnamed = stripe_invoice("in_other")._replace(number=None)
    snapshot = Snapshot(
        invoices=[named, unnamed],
        ledger_invoices=[LedgerInvoice("7", "1", "USD", 5000, 0, "RC-in_named", None, PAID.date())],
        parties=[
            PartyRow(Source.STRIPE, "cus_1", "Acme", "billing@acme.example", None),
            PartyRow(Source.QUICKBOOKS, "1", "Acme", "billing@acme.example", None),
        ],
    )

    found = find(snapshot, as_of=AS_OF)

    assert [(f.kind.value, f.key.source_id) for f in found.findings] == [
        ("missing_in_ledger", "in_other")
    ]
