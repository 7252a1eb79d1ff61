"""The emulator delivers QBO webhooks as Intuit does; our verifier and parser accept them."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from connectors.quickbooks import QuickBooksWebhookError, parse_notifications, verify_signature
from sandbox.serve import AppServer
from tests.connectors.quickbooks_fixtures import QboSandbox, running

Delivery = tuple[bytes, dict[str, str]]


@pytest.fixture
def qbo(tmp_path: Path) -> Iterator[QboSandbox]:
    yield from running(tmp_path)


@pytest.fixture
def receiver() -> Iterator[tuple[AppServer, list[Delivery]]]:
    received: list[Delivery] = []

    async def webhook(request: Request) -> Response:
        received.append((await request.body(), dict(request.headers)))
        return Response(status_code=200)

    server = AppServer(Starlette(routes=[Route("/webhooks/quickbooks", webhook, methods=["POST"])]))
    server.start()
    try:
        yield server, received
    finally:
        server.stop()


@pytest.mark.parametrize("scenario", ["invoice_updated", "invoice_updated_cloudevents"])
def test_emulator_deliveries_verify_and_parse(
    qbo: QboSandbox, receiver: tuple[AppServer, list[Delivery]], scenario: str
) -> None:
    server, received = receiver

    qbo.admin.post("/_sandbox/fire", json={"to": server.url, "scenario": scenario})

    assert received
    for body, headers in received:
        verify_signature(body, headers, qbo.emulator.webhook_verifier_token)
        notifications = parse_notifications(body)
        assert notifications
        assert {n.realm_id for n in notifications} == {qbo.emulator.realm_id}
        assert {n.entity for n in notifications} == {"Invoice"}
        assert {n.operation for n in notifications} == {"Update"}


def test_forged_emulator_delivery_is_rejected(
    qbo: QboSandbox, receiver: tuple[AppServer, list[Delivery]]
) -> None:
    server, received = receiver

    qbo.admin.post("/_sandbox/fire", json={"to": server.url, "scenario": "forged"})

    assert received
    body, headers = received[0]
    with pytest.raises(QuickBooksWebhookError) as caught:
        verify_signature(body, headers, qbo.emulator.webhook_verifier_token)
    assert caught.value.reason == "bad_signature"
