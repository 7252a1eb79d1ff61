"""The dataset on disk: determinism, file layout, referential integrity, traps and exact amounts."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from sandbox.dataset import FINDING_KINDS, TRAP_KINDS, PlantRates, generate
from sandbox.dataset.writer import LAYOUT
from sandbox.salesforce_ids import checksum

J = dict[str, Any]
AS_OF = date(2026, 3, 1)


def load(root: Path, vendor: str, name: str) -> list[J]:
    items: list[J] = json.loads((root / vendor / f"{name}.json").read_text(), parse_float=Decimal)
    return items


def all_files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*.json"))}


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dataset")
    generate(out, seed=5, customers=200, as_of=AS_OF)
    return out


def test_same_seed_and_as_of_give_identical_bytes(tmp_path: Path) -> None:
    generate(tmp_path / "a", seed=42, customers=60, as_of=AS_OF)
    generate(tmp_path / "b", seed=42, customers=60, as_of=AS_OF)

    assert all_files(tmp_path / "a") == all_files(tmp_path / "b")


def test_different_seed_gives_different_data(tmp_path: Path) -> None:
    generate(tmp_path / "a", seed=42, customers=60, as_of=AS_OF)
    generate(tmp_path / "b", seed=43, customers=60, as_of=AS_OF)

    first, second = all_files(tmp_path / "a"), all_files(tmp_path / "b")
    assert first.keys() == second.keys()
    assert first["stripe/invoices.json"] != second["stripe/invoices.json"]
    assert first["truth.json"] != second["truth.json"]


def test_layout_is_one_json_list_per_file(dataset: Path) -> None:
    for vendor, names in LAYOUT.items():
        for name in names:
            items = json.loads((dataset / vendor / f"{name}.json").read_text())
            assert isinstance(items, list), f"{vendor}/{name}"
            assert items, f"{vendor}/{name} is empty"
            assert all(isinstance(item, dict) for item in items)


def test_meta_records_seed_size_as_of_rates_and_traps(dataset: Path) -> None:
    meta = json.loads((dataset / "meta.json").read_text())

    assert (meta["seed"], meta["customers"], meta["as_of"]) == (5, 200, "2026-03-01")
    assert set(meta["rates"]) == set(FINDING_KINDS)
    assert set(meta["traps"]) == set(TRAP_KINDS)


def test_summary_counts_match_the_files(tmp_path: Path) -> None:
    done: list[int] = []
    summary = generate(tmp_path, seed=3, customers=150, as_of=AS_OF, progress=done.append)

    for vendor, names in LAYOUT.items():
        for name in names:
            assert summary.counts[vendor][name] == len(load(tmp_path, vendor, name))
    truth = json.loads((tmp_path / "truth.json").read_text())
    assert summary.planted == {k: sum(t["kind"] == k for t in truth) for k in FINDING_KINDS}
    assert done == [100, 150]


def test_zero_rates_below_the_forcing_size_plant_nothing(tmp_path: Path) -> None:
    zero = PlantRates(**dict.fromkeys(FINDING_KINDS, 0.0))

    summary = generate(tmp_path, seed=9, customers=30, as_of=AS_OF, rates=zero)

    assert json.loads((tmp_path / "truth.json").read_text()) == []
    assert set(summary.planted.values()) == {0}


def test_truth_is_sorted_keyed_and_upper_case(dataset: Path) -> None:
    truth = json.loads((dataset / "truth.json").read_text())

    assert truth == sorted(truth, key=lambda t: (t["kind"], t["source"], t["id"]))
    for entry in truth:
        assert set(entry) == {"kind", "source", "id", "amount_at_stake"}
        assert entry["amount_at_stake"]["minor"] > 0
        assert re.fullmatch("[A-Z]{3}", entry["amount_at_stake"]["currency"])
    assert not [k for k, n in Counter((t["kind"], t["id"]) for t in truth).items() if n > 1]


def _ids(root: Path, vendor: str, name: str, key: str = "id") -> set[str]:
    return {item[key] for item in load(root, vendor, name)}


def test_truth_ids_exist_in_the_data(dataset: Path) -> None:
    stripe = set().union(*(_ids(dataset, "stripe", n) for n in LAYOUT["stripe"]))
    qbo_invoices_and_payments = _ids(dataset, "quickbooks", "Invoice", "Id") | _ids(
        dataset, "quickbooks", "Payment", "Id"
    )
    opportunities = _ids(dataset, "salesforce", "Opportunity", "Id")
    known = {"stripe": stripe, "quickbooks": qbo_invoices_and_payments, "salesforce": opportunities}

    for entry in json.loads((dataset / "truth.json").read_text()):
        assert entry["id"] in known[entry["source"]], entry


def test_traps_are_present_and_never_in_truth(dataset: Path) -> None:
    traps = json.loads((dataset / "meta.json").read_text())["traps"]
    truth_ids = {t["id"] for t in json.loads((dataset / "truth.json").read_text())}

    for kind in TRAP_KINDS:
        # Payouts are in transit only for their last day or so: one per busy currency.
        assert len(traps[kind]) >= (1 if kind == "payout_in_transit" else 3), kind
        assert not set(traps[kind]) & truth_ids, kind


def test_partial_payment_trap_is_booked_as_an_open_balance(dataset: Path) -> None:
    traps = json.loads((dataset / "meta.json").read_text())["traps"]["partial_payment"]
    invoices = {i["id"]: i for i in load(dataset, "stripe", "invoices")}
    ledger = {q.get("DocNumber"): q for q in load(dataset, "quickbooks", "Invoice")}
    checked = 0
    for invoice_id in traps:
        invoice = invoices[invoice_id]
        assert invoice["status"] == "open"
        assert 0 < invoice["amount_paid"] < invoice["total"]
        booked = ledger.get(invoice["number"])
        if booked is not None:
            exponent = {"jpy": 0, "kwd": 3}.get(invoice["currency"], 2)
            assert Decimal(booked["Balance"]).scaleb(exponent) == invoice["amount_remaining"]
            checked += 1
    assert checked


def test_zero_and_three_decimal_amounts_are_exact_in_quickbooks(dataset: Path) -> None:
    invoices = {i["number"]: i for i in load(dataset, "stripe", "invoices") if i["number"]}
    seen = Counter[str]()
    for booked in load(dataset, "quickbooks", "Invoice"):
        invoice = invoices.get(booked.get("DocNumber"))
        if invoice is None or invoice["currency"] not in ("jpy", "kwd"):
            continue
        exponent = {"jpy": 0, "kwd": 3}[invoice["currency"]]
        for amount in (booked["TotalAmt"], booked["Balance"], booked["TxnTaxDetail"]["TotalTax"]):
            assert -Decimal(amount).as_tuple().exponent <= exponent  # type: ignore[operator]
        same_currency = booked["CurrencyRef"]["value"] == invoice["currency"].upper()
        exact = Decimal(booked["TotalAmt"]).scaleb(exponent) == invoice["total"]
        if invoice["status"] != "void" and same_currency and exact:
            seen[invoice["currency"]] += 1
    assert seen["jpy"]
    assert seen["kwd"]


def test_kwd_amounts_keep_their_fils(dataset: Path) -> None:
    text = (dataset / "quickbooks" / "Invoice.json").read_text()

    assert re.search(r'"TotalAmt":\d+\.\d\d[1-9],', text), (
        "no KWD total with 3 significant decimals"
    )
    assert not re.search(r'"TotalAmt":\d+\.\d*0,', text), "trailing zeros written"


def test_stripe_references_resolve(dataset: Path) -> None:
    s = {name: {i["id"]: i for i in load(dataset, "stripe", name)} for name in LAYOUT["stripe"]}
    for invoice in s["invoices"].values():
        assert invoice["customer"] in s["customers"]
        parent = invoice["parent"]
        if parent is not None:
            assert parent["subscription_details"]["subscription"] in s["subscriptions"]
        assert invoice["lines"]["total_count"] == len(invoice["lines"]["data"])
    for link in s["invoice_payments"].values():
        assert link["invoice"] in s["invoices"]
        assert link["payment"]["payment_intent"] in s["payment_intents"]
    for charge in s["charges"].values():
        assert charge["payment_intent"] in s["payment_intents"]
        assert charge["customer"] in s["customers"]
        assert "invoice" not in charge
        assert (charge["balance_transaction"] is None) == (charge["status"] == "failed")
        if charge["balance_transaction"]:
            assert charge["balance_transaction"] in s["balance_transactions"]
    for refund in s["refunds"].values():
        assert refund["charge"] in s["charges"]
        assert refund["balance_transaction"] in s["balance_transactions"]
    for dispute in s["disputes"].values():
        assert dispute["charge"] in s["charges"]
    for note in s["credit_notes"].values():
        assert note["invoice"] in s["invoices"]
    for payout in s["payouts"].values():
        assert payout["balance_transaction"] in s["balance_transactions"]
    sources = s["charges"].keys() | s["refunds"].keys() | s["payouts"].keys()
    for txn in s["balance_transactions"].values():
        assert txn["source"] in sources
    for sub in s["subscriptions"].values():
        assert sub["customer"] in s["customers"]
        assert sub["latest_invoice"] in s["invoices"]


def test_retried_payments_fail_then_succeed_on_one_intent(dataset: Path) -> None:
    by_intent: dict[str, list[J]] = {}
    for charge in load(dataset, "stripe", "charges"):
        by_intent.setdefault(charge["payment_intent"], []).append(charge)
    retried = [
        cs
        for cs in by_intent.values()
        if [c["status"] for c in cs][-1] == "succeeded" and len(cs) > 1
    ]
    declines = {
        c["outcome"]["reason"] for cs in by_intent.values() for c in cs if c["failure_code"]
    }

    assert retried
    assert all(c["status"] == "failed" for cs in retried for c in cs[:-1])
    assert {"insufficient_funds", "do_not_honor"} <= declines


def test_ledger_references_resolve(dataset: Path) -> None:
    customers = _ids(dataset, "quickbooks", "Customer", "Id")
    invoices = _ids(dataset, "quickbooks", "Invoice", "Id")
    payments = _ids(dataset, "quickbooks", "Payment", "Id")
    accounts = _ids(dataset, "quickbooks", "Account", "Id")
    for invoice in load(dataset, "quickbooks", "Invoice"):
        assert invoice["CustomerRef"]["value"] in customers
        assert {link["TxnId"] for link in invoice["LinkedTxn"]} <= payments
    for payment in load(dataset, "quickbooks", "Payment"):
        assert payment["CustomerRef"]["value"] in customers
        for line in payment["Line"]:
            assert {link["TxnId"] for link in line["LinkedTxn"]} <= invoices
    for entry in load(dataset, "quickbooks", "JournalEntry"):
        for line in entry["Line"]:
            assert line["JournalEntryLineDetail"]["AccountRef"]["value"] in accounts
    for deposit in load(dataset, "quickbooks", "Deposit"):
        assert deposit["DepositToAccountRef"]["value"] in accounts


def test_salesforce_ids_and_references_are_valid(dataset: Path) -> None:
    records = {name: load(dataset, "salesforce", name) for name in LAYOUT["salesforce"]}
    prefixes = {
        "Account": "001",
        "Contact": "003",
        "Lead": "00Q",
        "Opportunity": "006",
        "OpportunityLineItem": "00k",
        "User": "005",
    }
    ids = {name: {r["Id"] for r in rows} for name, rows in records.items()}
    for name, rows in records.items():
        for record in rows:
            assert record["attributes"]["type"] == name
            assert record["Id"].startswith(prefixes[name])
            assert len(record["Id"]) == 18
            assert checksum(record["Id"][:15]) == record["Id"][15:]
            assert re.fullmatch(
                r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000\+0000", record["SystemModstamp"]
            )
    for contact in records["Contact"]:
        assert contact["AccountId"] in ids["Account"]
    for opp in records["Opportunity"]:
        assert opp["AccountId"] in ids["Account"]
        assert opp["OwnerId"] in ids["User"]
        assert opp["IsWon"] == (opp["StageName"] == "Closed Won")
    for item in records["OpportunityLineItem"]:
        assert item["OpportunityId"] in ids["Opportunity"]
    converted = [lead for lead in records["Lead"] if lead["IsConverted"]]
    assert converted
    for lead in converted:
        assert lead["ConvertedAccountId"] in ids["Account"]
        assert lead["ConvertedOpportunityId"] in ids["Opportunity"]
        assert lead["ConvertedContactId"] in ids["Contact"]
    accounts = ids["Account"]
    linked = [c for c in load(dataset, "stripe", "customers") if c["metadata"]]
    assert len(linked) > 0.7 * 200
    assert all(c["metadata"]["salesforce_account_id"] in accounts for c in linked)


def test_deal_amounts_equal_their_line_items(dataset: Path) -> None:
    totals: dict[str, Decimal] = {}
    for item in load(dataset, "salesforce", "OpportunityLineItem"):
        totals[item["OpportunityId"]] = (
            totals.get(item["OpportunityId"], Decimal(0)) + item["TotalPrice"]
        )
    for opp in load(dataset, "salesforce", "Opportunity"):
        assert opp["Amount"] == totals[opp["Id"]]


def test_customers_outside_ten_to_a_million_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        generate(tmp_path, seed=1, customers=0, as_of=AS_OF)
