"""Identity resolution: which parties in Stripe, Salesforce and QuickBooks are the same customer.

Links are made in three passes, strongest evidence first:
1. explicit ids: a party's `salesforce_account_id` names a Salesforce account we hold;
2. the same normalised email (see `normalise_email`: trimmed and lower-cased, nothing more);
3. the same email domain (or, for a Salesforce account, website domain) and the same normalised
   name (lower-case, punctuation and legal suffixes such as Inc, LLC, Ltd, GmbH removed). Free-mail
   domains (gmail.com, outlook.com, …) say nothing about a company and never link here.

Rules that keep the output safe and stable:
- two parties of the same source are never linked to each other;
- a pair linked by an earlier pass is not linked again;
- in passes 2 and 3 a party links to another source only when the evidence is unambiguous: it has
  no link to that source yet, and the key matches exactly one party on each side. Two Stripe
  customers sharing an email with one QuickBooks customer link neither; a human decides;
- deleted parties do not link;
- links are ordered by pass, then by (left, right), with left < right.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Final

from canonical.records import IdentityLink, LinkMethod, Party, Source, SourceRef
from mappings.normalise import normalise_email

FREE_MAIL_DOMAINS: Final = frozenset(
    [
        "gmail.com",
        "googlemail.com",
        "outlook.com",
        "hotmail.com",
        "hotmail.co.uk",
        "live.com",
        "msn.com",
        "yahoo.com",
        "yahoo.co.uk",
        "yahoo.fr",
        "ymail.com",
        "rocketmail.com",
        "icloud.com",
        "me.com",
        "mac.com",
        "aol.com",
        "proton.me",
        "protonmail.com",
        "pm.me",
        "gmx.com",
        "gmx.de",
        "gmx.net",
        "web.de",
        "mail.com",
        "zoho.com",
        "yandex.com",
        "yandex.ru",
        "mail.ru",
        "qq.com",
        "163.com",
        "126.com",
        "fastmail.com",
        "hey.com",
        "tutanota.com",
    ]
)

LEGAL_SUFFIXES: Final = frozenset(
    [
        "inc",
        "incorporated",
        "llc",
        "llp",
        "lp",
        "ltd",
        "limited",
        "gmbh",
        "ag",
        "co",
        "corp",
        "corporation",
        "company",
        "plc",
        "sa",
        "sas",
        "sarl",
        "srl",
        "spa",
        "bv",
        "nv",
        "oy",
        "ab",
        "as",
        "aps",
        "kk",
        "pty",
        "pte",
        "sl",
        "kg",
    ]
)

_NOT_WORD = re.compile(r"[^\w\s]+")

_PASS_ORDER: Final = {LinkMethod.EXPLICIT_ID: 0, LinkMethod.EMAIL: 1, LinkMethod.DOMAIN_NAME: 2}


def normalise_name(name: str | None) -> str | None:
    """`"ACME, Inc."` -> `"acme"`; `None` when nothing but suffixes and punctuation is left."""
    if not name:
        return None
    folded = unicodedata.normalize("NFKC", name).casefold()
    words = _NOT_WORD.sub(" ", folded.replace("&", " and ")).split()
    while words and words[-1] in LEGAL_SUFFIXES:
        words.pop()
    return " ".join(words) or None


def resolve_parties(parties: Iterable[Party]) -> list[IdentityLink]:
    """The links between parties of different sources, strongest evidence first."""
    live = sorted((p for p in parties if not p.deleted), key=lambda p: p.ref)
    state = _Links()
    _link_explicit(live, state)
    _link_by_key(live, state, LinkMethod.EMAIL, _email_key)
    _link_by_key(live, state, LinkMethod.DOMAIN_NAME, _domain_name_key)
    return sorted(state.links, key=lambda link: (_PASS_ORDER[link.method], link.left, link.right))


def party_clusters(
    parties: Iterable[Party], links: Iterable[IdentityLink]
) -> list[tuple[SourceRef, ...]]:
    """Each party in exactly one cluster, singletons included; sorted within and between."""
    parent: dict[SourceRef, SourceRef] = {party.ref: party.ref for party in parties}

    def root(ref: SourceRef) -> SourceRef:
        parent.setdefault(ref, ref)
        while parent[ref] != ref:
            parent[ref] = parent[parent[ref]]
            ref = parent[ref]
        return ref

    for link in links:
        left, right = root(link.left), root(link.right)
        if left != right:
            parent[max(left, right)] = min(left, right)
    groups: dict[SourceRef, list[SourceRef]] = defaultdict(list)
    for ref in list(parent):
        groups[root(ref)].append(ref)
    return sorted(tuple(sorted(group)) for group in groups.values())


class _Links:
    """The links made so far, and which sources each party is already linked to."""

    def __init__(self) -> None:
        self.links: list[IdentityLink] = []
        self.pairs: set[tuple[SourceRef, SourceRef]] = set()
        self.linked_to: dict[SourceRef, set[Source]] = defaultdict(set)

    def add(self, a: SourceRef, b: SourceRef, method: LinkMethod, evidence: str) -> None:
        left, right = min(a, b), max(a, b)
        if left.source is right.source or (left, right) in self.pairs:
            return
        self.pairs.add((left, right))
        self.linked_to[left].add(right.source)
        self.linked_to[right].add(left.source)
        self.links.append(IdentityLink(left=left, right=right, method=method, evidence=evidence))


def _link_explicit(parties: list[Party], state: _Links) -> None:
    accounts = {p.source_id: p.ref for p in parties if p.source is Source.SALESFORCE}
    for party in parties:
        account = accounts.get(party.salesforce_account_id or "")
        if party.source is not Source.SALESFORCE and account is not None:
            evidence = f"salesforce_account_id={party.salesforce_account_id}"
            state.add(party.ref, account, LinkMethod.EXPLICIT_ID, evidence)


def _link_by_key(
    parties: list[Party],
    state: _Links,
    method: LinkMethod,
    key_of: Callable[[Party], str | None],
) -> None:
    by_key: dict[str, dict[Source, list[SourceRef]]] = defaultdict(lambda: defaultdict(list))
    for party in parties:
        key = key_of(party)
        if key is not None:
            by_key[key][party.source].append(party.ref)
    for key in sorted(by_key):
        sides = by_key[key]
        for a_source, b_source in _source_pairs(sides):
            a_refs, b_refs = sides[a_source], sides[b_source]
            if len(a_refs) != 1 or len(b_refs) != 1:
                continue  # ambiguous: several candidates on one side
            a, b = a_refs[0], b_refs[0]
            if b_source in state.linked_to[a] or a_source in state.linked_to[b]:
                continue
            state.add(a, b, method, f"{method.value}={key}")


def _source_pairs(sides: dict[Source, list[SourceRef]]) -> list[tuple[Source, Source]]:
    present = sorted(sides)
    return [(a, b) for i, a in enumerate(present) for b in present[i + 1 :]]


def _email_key(party: Party) -> str | None:
    return normalise_email(party.email)


def _domain_name_key(party: Party) -> str | None:
    domain = (party.domain or "").strip().lower()
    name = normalise_name(party.name)
    if not domain or domain in FREE_MAIL_DOMAINS or name is None:
        return None
    return f"{domain}|{name}"
