"""Identity resolution tables: explicit ids, then email, then domain + name."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from canonical.records import IdentityLink, LinkMethod, Party, Source, SourceRef
from mappings import party_clusters, resolve_parties
from mappings.identity import normalise_name

AT = datetime(2026, 3, 1, tzinfo=UTC)
SF, ST, QB = Source.SALESFORCE, Source.STRIPE, Source.QUICKBOOKS


def party(source: Source, source_id: str, **fields: object) -> Party:
    return Party(source=source, source_id=source_id, version=AT, **fields)  # type: ignore[arg-type]


def ref(source: Source, source_id: str) -> SourceRef:
    return SourceRef(source, source_id)


def pairs(links: list[IdentityLink]) -> list[tuple[str, str, str]]:
    return [(link.left.source_id, link.right.source_id, link.method.value) for link in links]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("ACME, Inc.", "acme"),
        ("Acme Inc", "acme"),
        ("  acme   LLC ", "acme"),
        ("Müller GmbH", "müller"),
        ("Smith & Sons Ltd.", "smith and sons"),
        ("Northwind Traders, Inc.", "northwind traders"),
        ("The Co. Company", "the"),
        ("Inc.", None),
        ("", None),
        (None, None),
    ],
)
def test_normalise_name(name: str | None, expected: str | None) -> None:
    assert normalise_name(name) == expected


CASES = [
    pytest.param(
        [
            party(ST, "cus_1", salesforce_account_id="001A", email="x@free.example"),
            party(SF, "001A", name="Anything"),
        ],
        [("001A", "cus_1", "explicit_id")],
        id="explicit id",
    ),
    pytest.param(
        [party(ST, "cus_1", salesforce_account_id="001Z"), party(SF, "001A")],
        [],
        id="explicit id of an account we do not hold",
    ),
    pytest.param(
        [party(ST, "cus_1", email=" AP@Acme.com "), party(QB, "58", email="ap@acme.com")],
        [("58", "cus_1", "email")],
        id="email trimmed and lower-cased",
    ),
    pytest.param(
        [party(ST, "cus_1", email="a.p+x@acme.com"), party(QB, "58", email="ap@acme.com")],
        [],
        id="dots and plus tags are kept",
    ),
    pytest.param(
        [
            party(ST, "cus_1", name="Acme, Inc.", domain="acme.com"),
            party(SF, "001A", name="ACME LLC", domain="acme.com"),
        ],
        [("001A", "cus_1", "domain_name")],
        id="domain and normalised name",
    ),
    pytest.param(
        [
            party(ST, "cus_1", name="Jane Doe", domain="gmail.com"),
            party(QB, "58", name="Jane Doe", domain="gmail.com"),
        ],
        [],
        id="free-mail domains never link by domain",
    ),
    pytest.param(
        [
            party(ST, "cus_1", name="Acme", domain="acme.com"),
            party(SF, "001A", name="Acme Labs", domain="acme.com"),
        ],
        [],
        id="same domain, other name",
    ),
    pytest.param(
        [party(ST, "cus_1", email="ap@acme.com"), party(ST, "cus_2", email="ap@acme.com")],
        [],
        id="never two parties of the same source",
    ),
    pytest.param(
        [
            party(ST, "cus_1", email="ap@acme.com"),
            party(ST, "cus_2", email="ap@acme.com"),
            party(QB, "58", email="ap@acme.com"),
        ],
        [],
        id="ambiguous email links nobody",
    ),
    pytest.param(
        [
            party(ST, "cus_1", email="ap@acme.com", salesforce_account_id="001A"),
            party(SF, "001A"),
            party(SF, "001B", name="Acme", domain="acme.com"),
            party(QB, "58", email="ap@acme.com"),
        ],
        [("001A", "cus_1", "explicit_id"), ("58", "cus_1", "email")],
        id="an explicit link wins over a later one to the same source",
    ),
    pytest.param(
        [
            party(ST, "cus_1", email="ap@acme.com", deleted=True),
            party(QB, "58", email="ap@acme.com"),
        ],
        [],
        id="deleted parties do not link",
    ),
    pytest.param(
        [
            party(ST, "cus_1", email="ap@acme.com", name="Acme", domain="acme.com"),
            party(QB, "58", email="ap@acme.com", name="Acme Inc", domain="acme.com"),
            party(SF, "001A", name="Acme Ltd", domain="acme.com"),
        ],
        [
            ("58", "cus_1", "email"),
            ("58", "001A", "domain_name"),
            ("001A", "cus_1", "domain_name"),
        ],
        id="three systems, strongest evidence first",
    ),
]


@pytest.mark.parametrize(("parties", "expected"), CASES)
def test_resolve_parties(parties: list[Party], expected: list[tuple[str, str, str]]) -> None:
    assert pairs(resolve_parties(parties)) == expected


def test_links_record_their_evidence() -> None:
    (link,) = resolve_parties(
        [party(ST, "cus_1", email="AP@acme.com"), party(QB, "58", email="ap@acme.com")]
    )
    assert link.method is LinkMethod.EMAIL
    assert link.evidence == "email=ap@acme.com"
    assert (link.left, link.right) == (ref(QB, "58"), ref(ST, "cus_1"))


@pytest.mark.parametrize("seed", range(5))
def test_output_does_not_depend_on_input_order(seed: int) -> None:
    parties = [p for case in CASES for p in _parties_of(case.values[0])]
    unique = list({p.ref: p for p in parties}.values())
    shuffled = unique[:]
    random.Random(seed).shuffle(shuffled)
    assert resolve_parties(shuffled) == resolve_parties(unique)


def test_clusters_join_links_and_keep_singletons() -> None:
    parties = [
        party(ST, "cus_1", email="ap@acme.com", salesforce_account_id="001A"),
        party(SF, "001A"),
        party(QB, "58", email="ap@acme.com"),
        party(QB, "77", email="billing@other.example"),
    ]
    clusters = party_clusters(parties, resolve_parties(parties))
    assert clusters == [
        (ref(QB, "58"), ref(SF, "001A"), ref(ST, "cus_1")),
        (ref(QB, "77"),),
    ]


def _parties_of(value: object) -> list[Party]:
    assert isinstance(value, list)
    return [p for p in value if isinstance(p, Party)]
