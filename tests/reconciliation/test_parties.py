"""Customers link across systems by Salesforce account id, then e-mail, then name, never by a
key two customers share."""

from __future__ import annotations

from canonical.records import Source, SourceRef
from reconciliation.linking import Parties
from reconciliation.snapshot_types import PartyRow

S, Q, F = Source.STRIPE, Source.QUICKBOOKS, Source.SALESFORCE


def row(
    source: Source,
    ident: str,
    name: str | None = None,
    email: str | None = None,
    account: str | None = None,
) -> PartyRow:
    return PartyRow(source, ident, name, email, account)


def test_a_ledger_customer_links_to_the_one_stripe_customer_with_its_email_in_any_case() -> None:
    parties = Parties(
        [
            row(S, "cus_1", "Acme", "billing@acme.example"),
            row(Q, "7", "ACME Ltd", " Billing@Acme.Example "),
        ]
    )
    assert parties.ref(Q, "7") == SourceRef(S, "cus_1")


def test_a_name_links_when_no_email_does() -> None:
    parties = Parties([row(S, "cus_1", "Acme", "a@acme.example"), row(Q, "7", " acme ", None)])
    assert parties.ref(Q, "7") == SourceRef(S, "cus_1")


def test_the_email_decides_before_the_name() -> None:
    parties = Parties(
        [
            row(S, "cus_1", "Acme", "billing@acme.example"),
            row(S, "cus_2", "Globex", "ap@globex.example"),
            row(Q, "7", "Globex", "billing@acme.example"),
        ]
    )
    assert parties.ref(Q, "7") == SourceRef(S, "cus_1")


def test_a_key_two_customers_share_on_either_side_links_nothing() -> None:
    shared_in_stripe = Parties(
        [
            row(S, "cus_1", "Acme", "shared@example.com"),
            row(S, "cus_2", "Acme", "shared@example.com"),
            row(Q, "7", "Acme", "shared@example.com"),
        ]
    )
    assert shared_in_stripe.ref(Q, "7") == SourceRef(Q, "7")
    shared_in_ledger = Parties(
        [
            row(S, "cus_1", "Acme", "a@acme.example"),
            row(Q, "7", None, "a@acme.example"),
            row(Q, "8", None, "a@acme.example"),
        ]
    )
    assert shared_in_ledger.ref(Q, "7") == SourceRef(Q, "7")
    assert shared_in_ledger.ref(Q, "8") == SourceRef(Q, "8")


def test_a_salesforce_account_named_on_the_stripe_customer_links_before_any_email() -> None:
    parties = Parties(
        [
            row(S, "cus_1", "Acme", "a@acme.example", account="001A"),
            row(S, "cus_2", "Globex", "g@globex.example"),
            row(F, "001A", "Globex", "g@globex.example"),
        ]
    )
    assert parties.ref(F, "001A") == SourceRef(S, "cus_1")


def test_stripe_and_unlinked_customers_are_their_own_reference_and_keep_their_names() -> None:
    parties = Parties(
        [row(S, "cus_1", "Acme", None), row(Q, "7", None, "x@y.example"), row(F, "001B")]
    )
    assert parties.ref(S, "cus_1") == SourceRef(S, "cus_1")
    assert parties.ref(S, "cus_unknown") == SourceRef(S, "cus_unknown")
    assert parties.ref(Q, "7") == SourceRef(Q, "7")
    assert parties.ref(Q, None) is None
    assert parties.name(SourceRef(S, "cus_1")) == "Acme"
    assert parties.name(SourceRef(Q, "7")) == "x@y.example"  # no name: the e-mail
    assert parties.name(SourceRef(F, "001B")) == "001B"  # neither: the id
    assert parties.name(SourceRef(Q, "99")) == "99"  # unknown: its id
