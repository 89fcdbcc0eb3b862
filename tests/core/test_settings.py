from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from core.settings import ConfigError, load_settings

EXAMPLE = Path(__file__).resolve().parents[2] / "config.example.toml"


@pytest.fixture(autouse=True)
def _no_dingshift_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for name in list(os.environ):
        if name.startswith("DINGSHIFT_"):
            monkeypatch.delenv(name)


def test_the_example_config_loads_once_the_secret_is_given(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DINGSHIFT_DINGTALK__CLIENT_SECRET", "s3cret-from-env")
    settings = load_settings(EXAMPLE)
    assert settings.dingtalk.client_secret.get_secret_value() == "s3cret-from-env"
    assert settings.dingtalk.robot_code == settings.dingtalk.client_id
    assert settings.org.timezone == "Asia/Hong_Kong"
    assert settings.org.language == "zh-HK"
    assert settings.limits.monthly_api_budget == 5000
    assert settings.schedule.confirm_hours_before == 48


def test_the_example_keeps_its_placeholder_secret_out_of_production() -> None:
    with pytest.raises(ConfigError, match=r"^config error: .*client_secret is a placeholder"):
        load_settings(EXAMPLE)


def test_environment_overrides_nested_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DINGSHIFT_DINGTALK__CLIENT_SECRET", "x-real")
    monkeypatch.setenv("DINGSHIFT_DATABASE__URL", "postgresql+asyncpg://u:p@db/dingshift")
    monkeypatch.setenv("DINGSHIFT_ORG__ADMINS", '["u-admin"]')
    settings = load_settings(EXAMPLE)
    assert settings.database.url == "postgresql+asyncpg://u:p@db/dingshift"
    assert settings.org.admins == ["u-admin"]


def test_api_base_defaults_to_the_sdk_endpoint_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DINGTALK_OPENAPI_ENDPOINT", "http://127.0.0.1:9/")
    settings = load_settings(None, dingtalk={"client_id": "a", "client_secret": "real"})
    assert settings.dingtalk.api_base == "http://127.0.0.1:9"


@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        ('[org]\ntimezone="UTC"\n', "config error: dingtalk: missing"),
        (
            '[dingtalk]\nclient_secret="real"\n',
            "config error: dingtalk.client_id: missing",
        ),
        (
            '[dingtalk]\nclient_id="a"\nclient_secret="real"\n[org]\ntimezone="Mars/Base"\n',
            "config error: org.timezone: unknown time zone 'Mars/Base'",
        ),
        (
            '[dingtalk]\nclient_id="a"\nclient_secret="real"\n[org]\nlanguage="fr"\n',
            "config error: org.language: Input should be 'zh-HK' or 'en'",
        ),
        (
            '[dingtalk]\nclient_id="a"\nclient_secret="real"\n[limits]\noutbound_per_second=0\n',
            "config error: limits.outbound_per_second: Input should be greater than 0",
        ),
        (
            '[dingtalk]\nclient_id="a"\nclient_secret="real"\n[dingtalk_typo]\nx=1\n',
            "config error: dingtalk_typo: Extra inputs are not permitted",
        ),
    ],
)
def test_a_bad_setting_is_one_line_naming_the_key(
    tmp_path: Path, toml: str, expected: str
) -> None:
    path = tmp_path / "config.toml"
    path.write_text(toml)
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    assert str(caught.value) == expected
    assert "\n" not in str(caught.value)


def test_a_missing_file_is_named() -> None:
    with pytest.raises(ConfigError, match=r"config file not found: nowhere\.toml"):
        load_settings(Path("nowhere.toml"))


def test_check_config_command_reports_ok_and_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = tmp_path / "good.toml"
    good.write_text('[dingtalk]\nclient_id="ding123"\nclient_secret="real-secret"\n')
    assert main(["check-config", "--config", str(good)]) == 0
    output = capsys.readouterr()
    assert "config OK: app ding123" in output.out
    assert "warning: dingtalk.card_template_id is empty" in output.err

    good.write_text(good.read_text() + 'card_template_id="abc.schema"\n')
    assert main(["check-config", "--config", str(good)]) == 0
    assert capsys.readouterr().err == ""

    bad = tmp_path / "bad.toml"
    bad.write_text('[dingtalk]\nclient_id="ding123"\n')
    assert main(["check-config", "--config", str(bad)]) == 2
    assert capsys.readouterr().err.strip() == "config error: dingtalk.client_secret: missing"
