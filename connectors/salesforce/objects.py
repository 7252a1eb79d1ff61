"""The objects the connector reads and the fields it asks for: explicit lists, because SOQL has
no `SELECT *` and every field named must exist in the org.

The fields are what `mappings.salesforce` reads plus the audit fields every stream needs
(Id, IsDeleted, CreatedDate, LastModifiedDate, SystemModstamp). `CurrencyIsoCode` exists only in
multi-currency orgs, so it is added per configuration. User has no IsDeleted: users are
deactivated (IsActive = false), never deleted.
"""

from __future__ import annotations

_AUDIT = ("Id", "IsDeleted", "CreatedDate", "LastModifiedDate", "SystemModstamp")

FIELDS: dict[str, tuple[str, ...]] = {
    "User": (
        "Id", "Username", "FirstName", "LastName", "Name", "Email", "IsActive", "UserType",
        "CreatedDate", "LastModifiedDate", "SystemModstamp",
    ),
    "Account": (
        *_AUDIT, "Name", "Type", "ParentId", "Website", "Industry", "BillingCity",
        "BillingCountry", "OwnerId",
    ),
    "Contact": (
        *_AUDIT, "AccountId", "FirstName", "LastName", "Name", "Email", "Title", "OwnerId",
    ),
    "Lead": (
        *_AUDIT, "FirstName", "LastName", "Name", "Company", "Email", "Status", "LeadSource",
        "OwnerId", "IsConverted", "ConvertedAccountId", "ConvertedContactId",
        "ConvertedOpportunityId", "ConvertedDate",
    ),
    "Opportunity": (
        *_AUDIT, "Name", "AccountId", "OwnerId", "StageName", "Amount", "Probability",
        "CloseDate", "Type", "IsClosed", "IsWon", "ForecastCategory", "HasOpportunityLineItem",
        "Pricebook2Id",
    ),
    "OpportunityLineItem": (
        *_AUDIT, "OpportunityId", "Product2Id", "Product2.Name", "ProductCode", "Name",
        "PricebookEntryId", "Quantity", "UnitPrice", "ListPrice", "Discount", "TotalPrice",
        "ServiceDate", "SortOrder",
    ),
}  # fmt: skip

# Parents before children, so a sync links what it reads.
OBJECTS: tuple[str, ...] = tuple(FIELDS)


def fields_for(sobject: str, *, multi_currency: bool) -> tuple[str, ...]:
    fields = FIELDS[sobject]
    return (*fields, "CurrencyIsoCode") if multi_currency else fields
