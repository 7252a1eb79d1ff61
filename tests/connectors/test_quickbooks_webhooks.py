import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime

import pytest

from connectors.quickbooks.webhooks import (
    Notification,
    QuickBooksWebhookError,
    parse_notifications,
    verify_signature,
)

TOKEN = "sandbox-quickbooks-verifier-token"
LEGACY = {
    "eventNotifications": [
        {
            "realmId": "9130350000000001",
            "dataChangeEvent": {
                "entities": [
                    {
                        "name": "Invoice",
                        "id": "145",
                        "operation": "Update",
                        "lastUpdated": "2026-01-05T18:30:12.000Z",
                    },
                    {
                        "name": "Payment",
                        "id": "7",
                        "operation": "Delete",
                        "lastUpdated": "2026-01-05T18:31:00-08:00",
                    },
                ]
            },
        }
    ]
}
CLOUD_EVENTS = [
    {
        "specversion": "1.0",
        "id": "88cd52aa-33b6-4351-9aa4-47572edbd068",
        "source": "intuit.dsnBgbseACLLRZNxo2dfc4evmEJdxde58xeeYcZliOU=",
        "type": "qbo.creditmemo.created.v1",
        "datacontenttype": "application/json",
        "time": "2026-01-05T21:31:25.179Z",
        "intuitentityid": "95",
        "intuitaccountid": "310687",
        "data": {},
    }
]


def sign(body: bytes, token: str = TOKEN) -> str:
    return base64.b64encode(hmac.new(token.encode(), body, hashlib.sha256).digest()).decode()


def test_valid_signature_is_accepted_whatever_the_header_case() -> None:
    body = json.dumps(LEGACY).encode()

    verify_signature(body, {"Intuit-Signature": sign(body)}, TOKEN)


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({}, "missing_signature"),
        ({"intuit-signature": ""}, "missing_signature"),
        ({"intuit-signature": "%%% not base64"}, "bad_signature"),
        ({"intuit-signature": sign(b"other body")}, "bad_signature"),
        ({"intuit-signature": sign(b'{"eventNotifications": []}', "wrong-token")}, "bad_signature"),
    ],
)
def test_bad_or_missing_signature_is_rejected(headers: dict[str, str], reason: str) -> None:
    with pytest.raises(QuickBooksWebhookError) as caught:
        verify_signature(b'{"eventNotifications": []}', headers, TOKEN)
    assert caught.value.reason == reason


def test_one_changed_byte_breaks_the_signature() -> None:
    body = json.dumps(LEGACY).encode()
    signature = sign(body)

    with pytest.raises(QuickBooksWebhookError):
        verify_signature(body.replace(b"145", b"146"), {"intuit-signature": signature}, TOKEN)


def test_legacy_payload_gives_one_notification_per_entity() -> None:
    found = parse_notifications(json.dumps(LEGACY).encode())

    assert [(n.realm_id, n.entity, n.id, n.operation) for n in found] == [
        ("9130350000000001", "Invoice", "145", "Update"),
        ("9130350000000001", "Payment", "7", "Delete"),
    ]
    assert found[0].last_updated == datetime(2026, 1, 5, 18, 30, 12, tzinfo=UTC)
    assert found[1].last_updated == datetime(2026, 1, 6, 2, 31, tzinfo=UTC)


def test_legacy_dedupe_key_is_stable_and_depends_on_every_field() -> None:
    body = json.dumps(LEGACY).encode()
    again = parse_notifications(json.dumps(LEGACY, indent=2).encode())
    changed = json.loads(body)
    changed["eventNotifications"][0]["dataChangeEvent"]["entities"][0]["lastUpdated"] = (
        "2026-01-05T18:30:13.000Z"
    )

    first = parse_notifications(body)

    assert [n.event_id for n in first] == [n.event_id for n in again]
    assert first[0].event_id != first[1].event_id
    assert parse_notifications(json.dumps(changed).encode())[0].event_id != first[0].event_id


def test_cloudevents_payload_is_parsed_with_legacy_names() -> None:
    found = parse_notifications(json.dumps(CLOUD_EVENTS).encode())

    assert found == [
        Notification(
            realm_id="310687",
            entity="CreditMemo",
            id="95",
            operation="Create",
            last_updated=datetime(2026, 1, 5, 21, 31, 25, 179000, tzinfo=UTC),
            event_id="88cd52aa-33b6-4351-9aa4-47572edbd068",
        )
    ]


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b'{"something": "else"}',
        b'[{"specversion": "1.0", "type": "qbo.invoice.updated.v1"}]',
        b'[{"id": "x", "type": "other.thing", "intuitaccountid": "1", "intuitentityid": "2"}]',
        b'{"eventNotifications": [{"realmId": "1"}]}',
        b'{"eventNotifications": "nope"}',
    ],
)
def test_malformed_payloads_raise_malformed(body: bytes) -> None:
    with pytest.raises(QuickBooksWebhookError) as caught:
        parse_notifications(body)
    assert caught.value.reason == "malformed"
