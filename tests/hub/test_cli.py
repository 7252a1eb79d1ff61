import json
import subprocess
import sys
from pathlib import Path

import pytest

from hub import __version__
from hub.cli import main
from hub.settings import get_settings


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from hub.cli import main; main()", *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=60,
    )


def test_version_prints_the_package_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.strip() == f"revcycle {__version__}"


def test_help_lists_the_working_commands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert "db" in out
    assert "not implemented" not in out.lower()


def test_db_upgrade_creates_the_schema(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env = {"REVCYCLE_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}", "PATH": "/usr/bin:/bin"}
    done = run_cli("db", "upgrade", env=env)
    assert done.returncode == 0, done.stderr
    assert "database at revision" in done.stdout
    again = run_cli("db", "current", env=env)
    assert again.stdout.strip() == done.stdout.strip().rsplit(" ", 1)[-1]


def test_bad_setting_is_one_line_without_traceback(tmp_path: Path) -> None:
    env = {"REVCYCLE_DATABASE_URL": "nonsense", "PATH": "/usr/bin:/bin"}
    done = run_cli("db", "upgrade", env=env)
    assert done.returncode == 1
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1
    assert "REVCYCLE_DATABASE_URL" in lines[0]
    assert "Traceback" not in done.stderr


def test_debug_shows_the_traceback() -> None:
    env = {"REVCYCLE_DATABASE_URL": "nonsense", "PATH": "/usr/bin:/bin"}
    done = run_cli("--debug", "db", "upgrade", env=env)
    assert done.returncode != 0
    assert "Traceback" in done.stderr


def test_map_prints_one_json_line_per_record_with_exact_money(tmp_path: Path) -> None:
    payload = tmp_path / "invoice.json"
    payload.write_text(
        '[{"Id": "130", "DocNumber": "ABC-0001", "TotalAmt": 12.345, "Balance": 12.345,'
        ' "CurrencyRef": {"value": "KWD"}, "CustomerRef": {"value": "58"}, "TxnDate": "2026-03-01",'
        ' "MetaData": {"LastUpdatedTime": "2026-03-01T10:00:00-08:00"}, "Line": []}]'
    )
    done = run_cli("map", "quickbooks", "Invoice", str(payload))
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(lines) == 1
    assert lines[0]["source_id"] == "130"
    assert lines[0]["total"] == {"minor": 12345, "currency": "KWD"}


def test_map_rejects_an_unknown_object_in_one_line_naming_the_known_ones(tmp_path: Path) -> None:
    payload = tmp_path / "x.json"
    payload.write_text('{"id": "x"}')
    done = run_cli("map", "stripe", "widgets", str(payload))
    assert done.returncode == 2
    [line] = done.stderr.splitlines()
    assert "stripe has no object 'widgets'; it has customers, subscriptions, invoices" in line


def test_a_bad_option_value_names_the_option_and_exits_2(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as done:
        main(["events", "list", "--limit", "0"])
    assert done.value.code == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith("error: Invalid value for '--limit'")
    assert line.endswith("(see revcycle events list --help)")


def test_an_unknown_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["bogus"])
    assert done.value.code == 2
    assert "No such command 'bogus'" in capsys.readouterr().err


@pytest.mark.parametrize(
    "command",
    [
        ["reconcile"],
        ["demo"],
        ["sandbox", "generate", "--seed", "1", "--customers", "1", "--out", "unused"],
    ],
)
def test_a_bad_as_of_date_names_the_option(
    command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as done:
        main([*command, "--as-of", "2026-13-01"])
    assert done.value.code == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith("error: Invalid value for '--as-of': expected a date like 2025-01-31")


def test_help_wraps_each_paragraph_once(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    with pytest.raises(SystemExit):
        main(["sync", "--help"])
    out = capsys.readouterr().out
    description = out.split("Usage:", 1)[1].split("╭", 1)[0].splitlines()[1:]
    paragraphs = "\n".join(line.strip() for line in description).strip().split("\n\n")
    assert len(paragraphs) == 2
    for paragraph in paragraphs:
        *inner, _ = paragraph.splitlines()
        # A line cut short before the paragraph's end means the text was wrapped twice.
        assert all(len(line) > 60 for line in inner), paragraph


@pytest.mark.parametrize(
    ("command", "usage"),
    [
        (["map"], "revcycle map [OPTIONS] {SOURCE} {OBJECT} {FILE}"),
        (["sync"], "revcycle sync [OPTIONS] [SOURCE]"),
        (["check"], "revcycle check [OPTIONS] [SOURCE]"),
        (["events", "replay"], "revcycle events replay [OPTIONS] [ID]"),
        (["db", "upgrade"], "revcycle db upgrade [OPTIONS] [REVISION]"),
    ],
    ids=" ".join,
)
def test_usage_names_arguments_as_the_readme_does(
    command: list[str], usage: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        main([*command, "--help"])
    [line] = [line for line in capsys.readouterr().out.splitlines() if "Usage:" in line]
    assert line.split("Usage:", 1)[1].strip() == usage


@pytest.mark.parametrize("option", ["--json", "--csv", "--html"])
def test_a_report_file_that_cannot_be_written_is_refused_before_reconciling(
    option: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    # Migrated in a child process: asyncio.run here would unset the loop an earlier async test
    # left current, and that loop would never be closed.
    env = {"REVCYCLE_DATABASE_URL": url, "PATH": "/usr/bin:/bin"}
    assert run_cli("db", "upgrade", env=env).returncode == 0
    monkeypatch.setenv("REVCYCLE_DATABASE_URL", url)
    get_settings.cache_clear()
    before = (tmp_path / "hub.db").read_bytes()

    for target, says in [
        (tmp_path / "missing" / "report.out", f"no directory {tmp_path / 'missing'}"),
        (tmp_path, f"{tmp_path} is a directory"),
    ]:
        with pytest.raises(SystemExit) as done:
            main(["reconcile", option, str(target)])
        assert done.value.code == 2
        [line] = capsys.readouterr().err.splitlines()
        assert line.startswith(f"error: Invalid value for '{option}': {says}")
    assert (tmp_path / "hub.db").read_bytes() == before  # no reconciliation ran
    get_settings.cache_clear()
