"""Salesforce sObject records as the REST API returns them (`/services/data/vXX.X/sobjects/...`):
`attributes {type, url}`, 18-character ids, audit fields, multi-currency `CurrencyIsoCode`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sandbox.dataset.ids import sf_datetime

JSONObject = dict[str, Any]
API_VERSION = "59.0"


def _base(
    sobject: str, record_id: str, created: int, modified: int, owner: str | None
) -> JSONObject:
    body: JSONObject = {
        "attributes": {
            "type": sobject,
            "url": f"/services/data/v{API_VERSION}/sobjects/{sobject}/{record_id}",
        },
        "Id": record_id,
        "IsDeleted": False,
        "CreatedDate": sf_datetime(created),
        "CreatedById": owner,
        "LastModifiedDate": sf_datetime(modified),
        "LastModifiedById": owner,
        "SystemModstamp": sf_datetime(modified),
    }
    if owner is not None:
        body["OwnerId"] = owner
    return body


# https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_user.htm
def user(
    record_id: str, first: str, last: str, email: str, created: int, admin_id: str
) -> JSONObject:
    body = _base("User", record_id, created, created, None)
    body["CreatedById"] = admin_id
    body["LastModifiedById"] = admin_id
    body.update(
        {
            "Username": email,
            "FirstName": first,
            "LastName": last,
            "Name": f"{first} {last}",
            "Email": email,
            "Alias": (first[:1] + last[:4]).lower(),
            "IsActive": True,
            "UserType": "Standard",
            "Title": "Account Executive",
            "Department": "Sales",
            "TimeZoneSidKey": "America/Los_Angeles",
            "LocaleSidKey": "en_US",
            "LanguageLocaleKey": "en_US",
            "DefaultCurrencyIsoCode": "USD",
            "CurrencyIsoCode": "USD",
        }
    )
    return body


@dataclass
class AccountFacts:
    id: str
    name: str
    owner: str
    currency: str
    industry: str
    country: str
    city: str
    website: str
    employees: int
    created: int
    modified: int
    is_customer: bool


# https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_account.htm
def account(facts: AccountFacts) -> JSONObject:
    body = _base("Account", facts.id, facts.created, facts.modified, facts.owner)
    body.update(
        {
            "Name": facts.name,
            "Type": "Customer - Direct" if facts.is_customer else "Prospect",
            "ParentId": None,
            "BillingCity": facts.city,
            "BillingCountry": facts.country,
            "Phone": None,
            "Website": facts.website,
            "Industry": facts.industry,
            "NumberOfEmployees": facts.employees,
            "AnnualRevenue": None,
            "AccountSource": "Web",
            "CurrencyIsoCode": facts.currency,
        }
    )
    return body


# https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_contact.htm
def contact(
    record_id: str,
    account: AccountFacts,
    first: str,
    last: str,
    email: str,
    title: str,
    created: int,
) -> JSONObject:
    body = _base("Contact", record_id, created, created, account.owner)
    body.update(
        {
            "AccountId": account.id,
            "FirstName": first,
            "LastName": last,
            "Name": f"{first} {last}",
            "Email": email,
            "Title": title,
            "Phone": None,
            "LeadSource": "Web",
            "MailingCountry": account.country,
            "CurrencyIsoCode": account.currency,
        }
    )
    return body


@dataclass
class LeadFacts:
    id: str
    owner: str
    first: str
    last: str
    company: str
    email: str
    status: str
    source: str
    currency: str
    created: int
    modified: int
    converted_account: str | None = None
    converted_contact: str | None = None
    converted_opportunity: str | None = None
    converted_date: date | None = None


# https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_lead.htm
def lead(facts: LeadFacts) -> JSONObject:
    body = _base("Lead", facts.id, facts.created, facts.modified, facts.owner)
    body.update(
        {
            "FirstName": facts.first,
            "LastName": facts.last,
            "Name": f"{facts.first} {facts.last}",
            "Company": facts.company,
            "Email": facts.email,
            "Status": facts.status,
            "LeadSource": facts.source,
            "IsConverted": facts.converted_account is not None,
            "ConvertedAccountId": facts.converted_account,
            "ConvertedContactId": facts.converted_contact,
            "ConvertedOpportunityId": facts.converted_opportunity,
            "ConvertedDate": facts.converted_date.isoformat() if facts.converted_date else None,
            "IsUnreadByOwner": False,
            "CurrencyIsoCode": facts.currency,
        }
    )
    return body


STAGES_OPEN: tuple[tuple[str, int, str], ...] = (
    ("Prospecting", 10, "Pipeline"),
    ("Qualification", 10, "Pipeline"),
    ("Needs Analysis", 20, "Pipeline"),
    ("Value Proposition", 50, "Pipeline"),
    ("Proposal/Price Quote", 75, "BestCase"),
    ("Negotiation/Review", 90, "Commit"),
)


@dataclass
class OpportunityFacts:
    id: str
    account: AccountFacts
    name: str
    stage: str
    probability: int
    forecast: str
    amount: Decimal
    close_date: date
    kind: str
    created: int
    modified: int
    has_lines: bool

    @property
    def is_won(self) -> bool:
        return self.stage == "Closed Won"

    @property
    def is_closed(self) -> bool:
        return self.stage in ("Closed Won", "Closed Lost")


# https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_opportunity.htm
def opportunity(facts: OpportunityFacts, pricebook: str) -> JSONObject:
    body = _base("Opportunity", facts.id, facts.created, facts.modified, facts.account.owner)
    body.update(
        {
            "AccountId": facts.account.id,
            "Name": facts.name,
            "StageName": facts.stage,
            "Amount": facts.amount,
            "Probability": facts.probability,
            "CloseDate": facts.close_date.isoformat(),
            "Type": facts.kind,
            "LeadSource": "Web",
            "IsClosed": facts.is_closed,
            "IsWon": facts.is_won,
            "ForecastCategory": facts.forecast,
            "ForecastCategoryName": {"Closed": "Closed", "Omitted": "Omitted"}.get(
                facts.forecast, facts.forecast.replace("BestCase", "Best Case")
            ),
            "HasOpportunityLineItem": facts.has_lines,
            "Pricebook2Id": pricebook if facts.has_lines else None,
            "CurrencyIsoCode": facts.account.currency,
        }
    )
    return body


@dataclass(frozen=True)
class LineItemFacts:
    id: str
    product_id: str
    pricebook_entry_id: str
    product_code: str
    name: str
    quantity: int
    unit_price: Decimal
    discount_percent: int
    total: Decimal
    sort_order: int


# https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_opportunitylineitem.htm
def opportunity_line_item(opp: OpportunityFacts, facts: LineItemFacts) -> JSONObject:
    body = _base("OpportunityLineItem", facts.id, opp.created, opp.modified, None)
    body["CreatedById"] = opp.account.owner
    body["LastModifiedById"] = opp.account.owner
    body.update(
        {
            "OpportunityId": opp.id,
            "SortOrder": facts.sort_order,
            "PricebookEntryId": facts.pricebook_entry_id,
            "Product2Id": facts.product_id,
            "ProductCode": facts.product_code,
            "Name": f"{opp.name} {facts.name}",
            "Quantity": facts.quantity,
            "UnitPrice": facts.unit_price,
            "ListPrice": facts.unit_price,
            "Discount": facts.discount_percent or None,
            "TotalPrice": facts.total,
            "ServiceDate": opp.close_date.isoformat(),
            "Description": None,
            "CurrencyIsoCode": opp.account.currency,
        }
    )
    return body
