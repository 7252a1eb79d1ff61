import pytest

from hub.settings import DEFAULT_DATABASE_URL, SettingsError, load_settings


def test_defaults_need_no_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REVCYCLE_DATABASE_URL", raising=False)
    monkeypatch.delenv("REVCYCLE_REDIS_URL", raising=False)
    settings = load_settings()
    assert settings.REVCYCLE_DATABASE_URL == DEFAULT_DATABASE_URL
    assert settings.REVCYCLE_REDIS_URL is None


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("REVCYCLE_DATABASE_URL", "not a url"),
        ("QUICKBOOKS_ENVIRONMENT", "staging"),
        ("REVCYCLE_WEBHOOK_MAX_BYTES", "lots"),
        ("STRIPE_API_BASE", "localhost"),
    ],
)
def test_malformed_setting_names_the_variable_in_one_line(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    message = str(caught.value)
    assert message.startswith(f"{name}:")
    assert "\n" not in message


def test_secrets_do_not_show_in_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STRIPE_API_KEY", "sk_test_supersecret")
    settings = load_settings()
    assert "supersecret" not in repr(settings)
    assert settings.STRIPE_API_KEY is not None
    assert settings.STRIPE_API_KEY.get_secret_value() == "sk_test_supersecret"


def test_require_names_the_missing_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("STRIPE_API_KEY", raising=False)
    with pytest.raises(SettingsError) as caught:
        load_settings().require("STRIPE_API_KEY", purpose="the Stripe sync")
    assert str(caught.value) == "STRIPE_API_KEY is not set; the Stripe sync needs it"


def test_trailing_slash_is_dropped_from_api_bases(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STRIPE_API_BASE", "http://127.0.0.1:12111/")
    assert load_settings().STRIPE_API_BASE == "http://127.0.0.1:12111"


@pytest.mark.parametrize("value", ["whsec_abc\n", " whsec_abc", "   "])
def test_a_secret_with_whitespace_around_it_is_refused_without_showing_it(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    message = str(caught.value)
    assert message.startswith("STRIPE_WEBHOOK_SECRET: has whitespace")  # no pydantic prefix
    assert "whsec_abc" not in message


def test_an_empty_secret_is_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REVCYCLE_OPS_TOKEN", "")
    assert load_settings().REVCYCLE_OPS_TOKEN is None
