import json

import pytest
import structlog

from hub.logging import MASK, configure_logging


@pytest.fixture
def json_logs(capsys: pytest.CaptureFixture[str]) -> pytest.CaptureFixture[str]:
    configure_logging("json", "debug")
    yield capsys
    structlog.reset_defaults()


def test_secret_keys_and_values_never_reach_the_log(json_logs: pytest.CaptureFixture[str]) -> None:
    log = structlog.get_logger()
    log.info(
        "calling vendor",
        api_key="sk_test_abcdef123456",
        headers={"Authorization": "Bearer abc.def.ghi.jkl", "Accept": "application/json"},
        note="retrying with whsec_abcdef0123456789 after sk_live_zzzzzz9999",
        event_id="evt_123",
    )
    line = json_logs.readouterr().err.strip().splitlines()[-1]
    record = json.loads(line)
    assert record["api_key"] == MASK
    assert record["headers"]["Authorization"] == MASK
    assert record["headers"]["Accept"] == "application/json"
    assert "whsec_" not in line
    assert "sk_live" not in line
    assert record["event_id"] == "evt_123"
