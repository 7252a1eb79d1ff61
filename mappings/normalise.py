"""Small normalisations shared by the mappers and identity resolution (emails, domains)."""

from __future__ import annotations


def normalise_email(email: str | None) -> str | None:
    """Trimmed and lower-cased, or `None` when it is not an address.

    Deliberately simple: dots and `+tags` are kept, because on business domains they can name
    different mailboxes, and a wrong merge of two customers costs more than a missed one.
    """
    if not email:
        return None
    value = email.strip().lower()
    local, at, domain = value.rpartition("@")
    if not at or not local or "." not in domain:
        return None
    return value


def email_domain(email: str | None) -> str | None:
    normalised = normalise_email(email)
    return None if normalised is None else normalised.rpartition("@")[2]


def website_domain(website: str | None) -> str | None:
    """`https://www.Acme.com/about` -> `acme.com` (Salesforce `Account.Website`)."""
    if not website:
        return None
    value = website.strip().lower()
    if "://" in value:
        value = value.split("://", 1)[1]
    host = value.split("/", 1)[0].split("?", 1)[0].split(":", 1)[0].rsplit("@", 1)[-1]
    host = host.removeprefix("www.").strip(".")
    return host if "." in host else None
