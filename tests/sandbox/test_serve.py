"""Running the whole sandbox: three emulators, the env file, and the `revcycle sandbox` commands."""

from __future__ import annotations

import socket
import threading
import warnings
from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import pytest
import stripe
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sandbox.dataset import generate
from sandbox.emulators.stripe import objects
from sandbox.fire import route_scenarios
from sandbox.serve import AppServer, Sandbox, SandboxConfigs, SandboxError, run_forever

with warnings.catch_warnings():
    # typer 0.20 imports a name that click >= 8.2 deprecates, and pytest turns warnings into errors.
    warnings.simplefilter("ignore", DeprecationWarning)
    from typer.testing import CliRunner

    from hub.cli_sandbox import sandbox_app

EXPECTED_SETTINGS = {
    "STRIPE_API_KEY",
    "STRIPE_API_BASE",
    "STRIPE_WEBHOOK_SECRET",
    "SALESFORCE_INSTANCE_URL",
    "SALESFORCE_ACCESS_TOKEN",
    "SALESFORCE_CLIENT_ID",
    "SALESFORCE_CLIENT_SECRET",
    "SALESFORCE_REFRESH_TOKEN",
    "SALESFORCE_ORG_ID",
    "SALESFORCE_WEBHOOK_TOKEN",
    "QUICKBOOKS_CLIENT_ID",
    "QUICKBOOKS_CLIENT_SECRET",
    "QUICKBOOKS_REFRESH_TOKEN",
    "QUICKBOOKS_REALM_ID",
    "QUICKBOOKS_ENVIRONMENT",
    "QUICKBOOKS_API_BASE",
    "QUICKBOOKS_WEBHOOK_VERIFIER_TOKEN",
}


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    (tmp_path / "stripe").mkdir()
    customer = objects.customer(email="erin@example.com", name="Erin")
    invoice = objects.invoice(customer_id=customer["id"], amount=4200)
    (tmp_path / "stripe" / "customers.json").write_text(f"[{_json(customer)}]")
    (tmp_path / "stripe" / "invoices.json").write_text(f"[{_json(invoice)}]")
    return tmp_path


def _json(obj: object) -> str:
    return orjson.dumps(obj).decode()


def _read_env(path: Path) -> dict[str, str]:
    lines = path.read_text().splitlines()
    return dict(line.split("=", 1) for line in lines)


def _free_run_of_ports() -> tuple[int, socket.socket]:
    """A port P with P and P+2 free, and P+1 held by the returned socket."""
    for _ in range(50):
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
        probe.close()
        held = socket.socket()
        try:
            held.bind(("127.0.0.1", port + 1))
        except OSError:
            held.close()
            continue
        held.listen()
        return port, held
    raise RuntimeError("no run of free ports found")


def test_sandbox_serves_three_emulators_that_answer(data_dir: Path) -> None:
    with Sandbox(data_dir) as sandbox:
        urls = sandbox.urls
        assert set(urls) == {"stripe", "salesforce", "quickbooks"}
        for url in urls.values():
            assert httpx.get(url + "/_sandbox/faults").status_code == 200
    with pytest.raises(httpx.ConnectError):
        httpx.get(urls["stripe"] + "/_sandbox/faults")


def test_env_file_points_the_real_sdk_at_the_emulators(data_dir: Path, tmp_path: Path) -> None:
    env_file = tmp_path / "sandbox.env"
    with Sandbox(data_dir) as sandbox:
        sandbox.write_env(env_file)
        urls = sandbox.urls
        env = _read_env(env_file)
        transport = stripe.HTTPXClient(allow_sync_methods=True)
        client = stripe.StripeClient(
            env["STRIPE_API_KEY"],
            base_addresses={"api": env["STRIPE_API_BASE"]},
            http_client=transport,
        )
        invoices = client.v1.invoices.list().data
        transport.close()  # type: ignore[no-untyped-call]
    assert set(env) == EXPECTED_SETTINGS
    assert [invoice.amount_due for invoice in invoices] == [4200]
    assert env["SALESFORCE_INSTANCE_URL"] == urls["salesforce"]
    assert env["QUICKBOOKS_API_BASE"] == urls["quickbooks"]
    assert env["QUICKBOOKS_ENVIRONMENT"] == "sandbox"


def test_env_values_are_the_fixed_sandbox_credentials(data_dir: Path) -> None:
    configs = SandboxConfigs()
    with Sandbox(data_dir, configs=configs) as first:
        env_one = first.env()
    with Sandbox(data_dir) as second:
        env_two = second.env()
    secrets = EXPECTED_SETTINGS - {
        "STRIPE_API_BASE",
        "SALESFORCE_INSTANCE_URL",
        "QUICKBOOKS_API_BASE",
    }
    assert {k: env_one[k] for k in secrets} == {k: env_two[k] for k in secrets}
    assert env_one["STRIPE_WEBHOOK_SECRET"] == configs.stripe.webhook_secret
    assert env_one["SALESFORCE_ORG_ID"] == configs.salesforce.organization_id
    assert env_one["QUICKBOOKS_REALM_ID"] == configs.quickbooks.realm_id


def test_consecutive_ports_follow_the_given_one(data_dir: Path) -> None:
    port, held = _free_run_of_ports()
    held.close()
    with Sandbox(data_dir, port=port) as sandbox:
        ports = [int(url.rsplit(":", 1)[1]) for url in sandbox.urls.values()]
    assert ports == [port, port + 1, port + 2]


def test_env_file_is_not_written_when_one_emulator_cannot_start(
    data_dir: Path, tmp_path: Path
) -> None:
    port, held = _free_run_of_ports()
    env_file = tmp_path / "sandbox.env"
    try:
        with pytest.raises(SandboxError, match=str(port + 1)):
            run_forever(data_dir, port=port, env_out=env_file)
    finally:
        held.close()
    assert not env_file.exists()


def test_run_forever_writes_the_env_file_once_all_answer_and_stops(
    data_dir: Path, tmp_path: Path
) -> None:
    env_file = tmp_path / "sandbox.env"
    stop = threading.Event()
    seen: dict[str, int] = {}

    def on_ready(sandbox: Sandbox) -> None:
        env = _read_env(env_file)
        for name in ("STRIPE_API_BASE", "SALESFORCE_INSTANCE_URL", "QUICKBOOKS_API_BASE"):
            seen[name] = httpx.get(env[name] + "/_sandbox/faults").status_code
        stop.set()

    worker = threading.Thread(
        target=run_forever,
        args=(data_dir,),
        kwargs={"port": 0, "env_out": env_file, "on_ready": on_ready, "stop": stop},
    )
    worker.start()
    worker.join(timeout=30)
    assert not worker.is_alive()
    assert seen == dict.fromkeys(seen, 200)
    assert len(seen) == 3


async def test_sandbox_is_usable_from_async_code(data_dir: Path) -> None:
    async with Sandbox(data_dir) as sandbox, httpx.AsyncClient() as client:
        answer = await client.get(sandbox.urls["quickbooks"] + "/_sandbox/faults")
    assert answer.status_code == 200


class Hub:
    def __init__(self) -> None:
        self.paths: list[str] = []

    async def webhook(self, request: Request) -> Response:
        await request.body()
        self.paths.append(request.url.path)
        return Response(status_code=200)


@pytest.fixture
def hub() -> Iterator[tuple[Hub, str]]:
    recorder = Hub()
    app = Starlette(routes=[Route("/webhooks/{vendor}", recorder.webhook, methods=["POST"])])
    with AppServer(app) as server:
        yield recorder, server.url


runner = CliRunner()


def test_cli_fire_delivers_a_stripe_scenario_and_prints_a_table(
    data_dir: Path, hub: tuple[Hub, str]
) -> None:
    with Sandbox(data_dir) as sandbox:
        result = runner.invoke(
            sandbox_app,
            ["fire", "--to", hub[1], "--scenario", "invoice_paid"],
            env=sandbox.env(),
        )
    assert result.exit_code == 0, result.output
    assert "invoice.paid" in result.output
    assert hub[0].paths == ["/webhooks/stripe"] * 3


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("generated")
    generate(out, seed=7, customers=12)
    return out


def test_cli_fire_all_plays_every_vendors_burst(generated: Path, hub: tuple[Hub, str]) -> None:
    with Sandbox(generated) as sandbox:
        result = runner.invoke(
            sandbox_app, ["fire", "--to", hub[1], "--scenario", "all"], env=sandbox.env()
        )
    assert result.exit_code == 0, result.output
    vendors = {path.rsplit("/", 1)[1] for path in hub[0].paths}
    assert vendors == {"stripe", "salesforce", "quickbooks"}


def test_cli_fire_routes_vendor_prefixed_names(generated: Path, hub: tuple[Hub, str]) -> None:
    with Sandbox(generated) as sandbox:
        result = runner.invoke(
            sandbox_app,
            ["fire", "--to", hub[1], "--scenario", "quickbooks.forged"],
            env=sandbox.env(),
        )
    assert result.exit_code == 0, result.output
    assert set(hub[0].paths) == {"/webhooks/quickbooks"}


def test_cli_generate_writes_the_dataset_and_a_summary(tmp_path: Path) -> None:
    out = tmp_path / "data"
    result = runner.invoke(
        sandbox_app,
        [
            "generate",
            "--seed",
            "5",
            "--customers",
            "10",
            "--out",
            str(out),
            "--as-of",
            "2025-06-30",
        ],
    )
    assert result.exit_code == 0, result.output
    assert (out / "stripe" / "invoices.json").exists()
    assert (out / "truth.json").exists()
    assert "invoices" in result.output
    assert "2025-06-30" in result.output


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("duplicates", [("stripe", "duplicates")]),
        ("stripe.forged", [("stripe", "forged")]),
        ("quickbooks.burst", [("quickbooks", "burst")]),
        ("all", [("stripe", "burst"), ("salesforce", "burst"), ("quickbooks", "burst")]),
    ],
)
def test_scenario_names_route_to_vendors(name: str, expected: list[tuple[str, str]]) -> None:
    assert route_scenarios(name) == expected


@pytest.mark.parametrize(
    "args",
    [
        ["fire", "--to", "http://127.0.0.1:9", "--scenario", "hubspot.burst"],
        ["fire", "--to", "not-a-url", "--sandbox", "http://127.0.0.1:9"],
        ["fire", "--to", "http://127.0.0.1:9", "--sandbox", "nonsense"],
        ["serve", "--data", "/definitely/not/here"],
        ["generate", "--seed", "1", "--customers", "10", "--out", "x", "--as-of", "yesterday"],
    ],
)
def test_cli_bad_input_is_one_line_and_exit_code_2(args: list[str]) -> None:
    result = runner.invoke(sandbox_app, args, env={"STRIPE_API_BASE": "http://127.0.0.1:9"})
    assert result.exit_code == 2
    assert "Traceback" not in result.output


def test_cli_serve_of_a_directory_without_a_dataset_says_how_to_make_one(tmp_path: Path) -> None:
    args = ["serve", "--data", str(tmp_path), "--port", "0"]
    result = runner.invoke(sandbox_app, args, env={"COLUMNS": "400"})
    assert result.exit_code == 2
    assert "holds no sandbox dataset (no meta.json)" in result.output
    assert f"revcycle sandbox generate --out {tmp_path}" in result.output


def test_cli_fire_unknown_stripe_scenario_is_bad_input(data_dir: Path) -> None:
    with Sandbox(data_dir) as sandbox:
        result = runner.invoke(
            sandbox_app,
            ["fire", "--to", "http://127.0.0.1:9", "--scenario", "meteor_strike"],
            env=sandbox.env(),
        )
    assert result.exit_code == 2
    assert "meteor_strike" in result.output
