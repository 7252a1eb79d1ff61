"""`revcycle sync`, `check` and `status` end to end: the CLI in a subprocess, the real SDKs, and
the three emulators on loopback serving a generated dataset."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest

from sandbox.dataset import generate
from sandbox.serve import Sandbox

AS_OF = date(2026, 6, 1)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dataset")
    generate(out, seed=3, customers=15, as_of=AS_OF)
    return out


@pytest.fixture
def sandbox(dataset: Path) -> Iterator[Sandbox]:
    with Sandbox(dataset) as running:
        yield running


@pytest.fixture
def env(sandbox: Sandbox, tmp_path: Path) -> dict[str, str]:
    values = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "REVCYCLE_DATABASE_URL": f"sqlite:///{tmp_path / 'hub.db'}",
        **sandbox.env(),
    }
    assert cli(values, "db", "upgrade").returncode == 0
    return values


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from hub.cli import main; main()", *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=120,
    )


def sync_json(env: dict[str, str], *args: str) -> dict[str, dict[str, dict[str, int]]]:
    done = cli(env, "sync", *args, "--json")
    assert done.returncode == 0, done.stderr
    result: dict[str, dict[str, dict[str, int]]] = json.loads(done.stdout)
    return result


def file_length(dataset: Path, vendor: str, name: str) -> int:
    return len(json.loads((dataset / vendor / f"{name}.json").read_bytes()))


def changed(result: dict[str, dict[str, dict[str, int]]]) -> dict[str, dict[str, int]]:
    return {
        f"{source}.{obj}": counts
        for source, objects in result.items()
        for obj, counts in objects.items()
        if counts["created"] or counts["updated"] or counts["deleted"]
    }


def admin(sandbox: Sandbox, vendor: str, method: str, path: str, body: Any = None) -> None:
    response = httpx.request(method, f"{sandbox.urls[vendor]}/_sandbox/{path}", json=body)
    assert response.status_code < 300, response.text


def test_first_sync_reads_every_object_of_every_source(env: dict[str, str], dataset: Path) -> None:
    result = sync_json(env)
    assert set(result) == {"stripe", "salesforce", "quickbooks"}
    for vendor, objects in result.items():
        for name, counts in objects.items():
            expected = file_length(dataset, vendor, name)
            # Stripe hides canceled subscriptions from a plain list, as Stripe does.
            if name != "subscriptions":
                assert counts["read"] == expected, f"{vendor}.{name}"
            assert counts["created"] == counts["read"]


def test_second_sync_changes_nothing(env: dict[str, str]) -> None:
    sync_json(env)
    assert changed(sync_json(env)) == {}


def test_incremental_sync_sees_creates_updates_and_deletes(
    env: dict[str, str], sandbox: Sandbox, dataset: Path
) -> None:
    sync_json(env)
    opportunity = json.loads((dataset / "salesforce" / "Opportunity.json").read_bytes())[0]
    invoice = json.loads((dataset / "quickbooks" / "Invoice.json").read_bytes())[0]
    customer = json.loads((dataset / "stripe" / "customers.json").read_bytes())[0]
    admin(sandbox, "salesforce", "PATCH", f"objects/Opportunity/{opportunity['Id']}", {"Name": "X"})
    admin(sandbox, "quickbooks", "DELETE", f"objects/Invoice/{invoice['Id']}")
    new_customer = {**customer, "id": "cus_brandnew0001", "email": "new@example.com"}
    admin(sandbox, "stripe", "POST", "objects/customers", new_customer)

    delta = changed(sync_json(env))
    assert delta["salesforce.Opportunity"]["updated"] == 1
    assert delta["quickbooks.Invoice"]["deleted"] == 1
    assert delta["stripe.customers"]["created"] == 1


def test_a_rate_limit_storm_slows_the_sync_but_loses_nothing(
    env: dict[str, str], sandbox: Sandbox, dataset: Path
) -> None:
    admin(sandbox, "stripe", "POST", "faults", {"rate_limit": 4})
    admin(sandbox, "quickbooks", "POST", "faults", {"rate_limit": 3})
    result = sync_json(env)
    assert result["stripe"]["invoices"]["read"] == file_length(dataset, "stripe", "invoices")
    assert result["quickbooks"]["Invoice"]["read"] == file_length(dataset, "quickbooks", "Invoice")


def test_a_failing_source_exits_non_zero_and_keeps_its_checkpoints(env: dict[str, str]) -> None:
    sync_json(env, "stripe")
    before = {r["object"]: r["checkpoint"] for r in json.loads(cli(env, "status", "--json").stdout)}
    done = cli({**env, "STRIPE_API_KEY": "sk_test_revoked"}, "sync", "stripe", "--json")
    assert done.returncode == 1
    assert "rejected the API key" in done.stderr
    # A rejected key stops the source: the first object says why, the rest were not tried.
    first, *rest = json.loads(done.stdout)["stripe"].values()
    assert "rejected the API key" in first["error"]
    assert rest
    assert all(counts["error"] == f"not tried: {first['error']}" for counts in rest)
    rows = [r for r in json.loads(cli(env, "status", "--json").stdout) if r["source"] == "stripe"]
    assert rows
    assert all(row["last_error"] for row in rows)
    assert all(row["checkpoint"] == before[row["object"]] for row in rows)


def test_check_reports_each_configured_source(env: dict[str, str]) -> None:
    done = cli(env, "check")
    assert done.returncode == 0, done.stderr
    for name in ("stripe", "salesforce", "quickbooks"):
        assert name in done.stdout


def test_check_fails_with_the_vendors_own_message_on_a_bad_key(env: dict[str, str]) -> None:
    done = cli({**env, "STRIPE_API_KEY": "sk_test_wrong"}, "check", "stripe")
    assert done.returncode == 1
    assert "Invalid API Key" in done.stdout


def test_status_lists_every_synced_object_with_records_held(
    env: dict[str, str], dataset: Path
) -> None:
    sync_json(env)
    rows = json.loads(cli(env, "status", "--json").stdout)
    invoices = next(r for r in rows if (r["source"], r["object"]) == ("quickbooks", "Invoice"))
    assert invoices["records"] == file_length(dataset, "quickbooks", "Invoice")
    assert invoices["last_error"] is None
    assert invoices["age_seconds"] >= 0


def test_an_unconfigured_source_is_a_one_line_error(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "REVCYCLE_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"}
    cli(env, "db", "upgrade")
    done = cli(env, "sync", "stripe")
    assert done.returncode == 1
    assert "STRIPE_API_KEY" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    "command",
    [
        ["sync"],
        ["check"],
        ["status"],
        ["reconcile"],
        ["events", "list"],
        ["events", "replay", "1"],
        ["worker", "--burst"],
        ["gateway"],
    ],
    ids=" ".join,
)
def test_a_command_before_db_upgrade_says_what_to_do_and_creates_nothing(
    tmp_path: Path, sandbox: Sandbox, command: list[str]
) -> None:
    path = tmp_path / "y.db"
    env = {"PATH": "/usr/bin:/bin", "REVCYCLE_DATABASE_URL": f"sqlite:///{path}"}
    done = cli({**env, **sandbox.env()}, *command)
    assert done.returncode == 1
    assert (
        done.stderr.strip() == f"error: no store at {path}; run `revcycle db upgrade` to create it"
    )
    assert not path.exists()


def test_a_command_on_an_empty_database_says_to_run_db_upgrade(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    path = tmp_path / "z.db"
    path.touch()
    env = {"PATH": "/usr/bin:/bin", "REVCYCLE_DATABASE_URL": f"sqlite:///{path}"}
    done = cli({**env, **sandbox.env()}, "reconcile")
    assert done.returncode == 1
    assert "no schema yet; run `revcycle db upgrade` first" in done.stderr
    assert "Traceback" not in done.stderr


def test_check_of_vendors_nobody_answers_names_the_cause_for_each(env: dict[str, str]) -> None:
    with socket.socket() as closed:  # bound, never listening: every connection is refused
        closed.bind(("127.0.0.1", 0))
        nowhere = f"http://127.0.0.1:{closed.getsockname()[1]}"
        done = cli(
            {
                **env,
                "COLUMNS": "250",
                "STRIPE_API_BASE": nowhere,
                "SALESFORCE_INSTANCE_URL": nowhere,
                "QUICKBOOKS_API_BASE": nowhere,
            },
            "check",
        )
    assert done.returncode == 1, done.stdout
    rows = [line for line in done.stdout.splitlines() if "connection refused" in line]
    assert {row.split("│")[1].strip() for row in rows} == {"stripe", "salesforce", "quickbooks"}
