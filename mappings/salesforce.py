"""Salesforce REST records: User, Account, Contact, Lead, Opportunity, OpportunityLineItem.

Records arrive as the REST API returns them (`attributes: {type, url}`, 18-character `Id`s,
ISO-8601 times with `+0000`). Amounts are decimals in the record's `CurrencyIsoCode`; an org without
multi-currency has no such field and works in its corporate currency, which we take to be USD.
`IsDeleted: true` (from `queryAll`) marks the record deleted; the rest of it still maps.
"""

from __future__ import annotations

from canonical.records import Contact, Deal, DealLine, Lead, Party, Record, User
from mappings.normalise import website_domain
from mappings.reader import Reader
from mappings.spec import ObjectSpec

DEFAULT_CURRENCY = "USD"


def _currency(r: Reader) -> str:
    return r.currency("CurrencyIsoCode", default=DEFAULT_CURRENCY)


def _person_name(r: Reader) -> str | None:
    name = r.text("Name")
    if name:
        return name
    parts = [part for part in (r.text("FirstName"), r.text("LastName")) if part]
    return " ".join(parts) or None


def map_user(r: Reader) -> list[Record]:
    return [
        User(
            **r.lineage(),
            name=_person_name(r),
            email=r.text("Email"),
            active=r.flag("IsActive", default=True),
        )
    ]


def map_account(r: Reader) -> list[Record]:
    currency = r.text("CurrencyIsoCode")
    return [
        Party(
            **r.lineage(),
            name=r.text("Name"),
            domain=website_domain(r.text("Website")),
            currency=_currency(r) if currency else None,
            owner_id=r.text("OwnerId"),
            created_at=r.instant("CreatedDate"),
        )
    ]


def map_contact(r: Reader) -> list[Record]:
    return [
        Contact(
            **r.lineage(),
            party_id=r.text("AccountId"),
            name=_person_name(r),
            email=r.text("Email"),
        )
    ]


def map_lead(r: Reader) -> list[Record]:
    return [
        Lead(
            **r.lineage(),
            name=_person_name(r),
            email=r.text("Email"),
            company=r.text("Company"),
            status=r.text("Status"),
            owner_id=r.text("OwnerId"),
            is_converted=r.flag("IsConverted"),
            converted_account_id=r.text("ConvertedAccountId"),
            converted_deal_id=r.text("ConvertedOpportunityId"),
            converted_on=r.day("ConvertedDate"),
            created_at=r.instant("CreatedDate"),
        )
    ]


def map_opportunity(r: Reader) -> list[Record]:
    return [
        Deal(
            **r.lineage(),
            name=r.text("Name"),
            party_id=r.text("AccountId"),
            owner_id=r.text("OwnerId"),
            stage=r.text("StageName"),
            is_closed=r.flag("IsClosed"),
            is_won=r.flag("IsWon"),
            amount=r.major("Amount", currency=_currency(r)),
            close_date=r.day("CloseDate"),
            created_at=r.instant("CreatedDate"),
        )
    ]


def map_opportunity_line_item(r: Reader) -> list[Record]:
    currency = _currency(r)
    return [
        DealLine(
            **r.lineage(),
            deal_id=r.required_text("OpportunityId"),
            product=r.text("Product2", "Name") or r.text("Name") or r.text("Product2Id"),
            quantity=r.quantity("Quantity"),
            unit_price=r.major("UnitPrice", currency=currency),
            total=r.major("TotalPrice", currency=currency),
        )
    ]


OBJECTS: tuple[ObjectSpec, ...] = (
    ObjectSpec("User", User, map_user),
    ObjectSpec("Account", Party, map_account),
    ObjectSpec("Contact", Contact, map_contact),
    ObjectSpec("Lead", Lead, map_lead),
    ObjectSpec("Opportunity", Deal, map_opportunity),
    ObjectSpec("OpportunityLineItem", DealLine, map_opportunity_line_item),
)
