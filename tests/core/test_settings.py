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


GOOD = '[dingtalk]\nclient_id="ding123"\nclient_secret="real-secret"\n'


@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        (
            '[dingtalk]\nclientid="ding123"\nclient_id="a"\nclient_secret="real"\n',
            "config error: dingtalk.clientid: unknown key (did you mean dingtalk.client_id?)",
        ),
        (
            GOOD + "[shedule]\nweekly_cap=2\n",
            "config error: shedule: unknown section (did you mean schedule?)",
        ),
        (
            GOOD + "[dingtalk_typo]\nx=1\n",
            "config error: dingtalk_typo: unknown section (did you mean dingtalk?)",
        ),
        (
            'client_id="ding123"\n' + GOOD,
            "config error: client_id: unknown key (did you mean dingtalk.client_id?)",
        ),
        (
            GOOD + "[limits]\nzzz=1\n",
            "config error: limits.zzz: unknown key (limits has outbound_per_second,"
            " monthly_api_budget, outbox_max_attempts, shutdown_flush_seconds)",
        ),
        (
            GOOD + '[org]\ntimezone="UTC"\nadmin=[]\nlangauge="en"\n',
            "config error: org.admin: unknown key (did you mean org.admins?) (and 1 more)",
        ),
    ],
)
def test_an_unknown_key_is_named_with_the_nearest_known_one(
    tmp_path: Path, toml: str, expected: str
) -> None:
    path = tmp_path / "config.toml"
    path.write_text(toml)
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    assert str(caught.value) == expected


def test_a_toml_syntax_error_is_one_line_naming_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[dingtalk]\nclient_id="ding123\nclient_secret="real"\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    assert str(caught.value) == (
        f"config error: {path}: not valid TOML: Illegal character '\\n' (at line 2, column 19)"
    )


@pytest.mark.parametrize(
    "api_base", ["api.dingtalk.com", "ftp://api.dingtalk.com", "https://", "https:///v1.0"]
)
def test_an_api_base_that_is_no_http_url_is_refused(tmp_path: Path, api_base: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(GOOD + f'api_base="{api_base}"\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    assert str(caught.value) == (
        "config error: dingtalk.api_base: must be an http:// or https:// URL with a host,"
        f" not {api_base!r}"
    )


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        (
            "mysql://u:p@db/dingshift",
            "unsupported database driver 'mysql'; supported: postgresql+asyncpg, sqlite+aiosqlite",
        ),
        (
            "sqlite:///./data/dingshift.db",
            "unsupported database driver 'sqlite';"
            " supported: postgresql+asyncpg, sqlite+aiosqlite",
        ),
        (
            "postgresql://u:p@db/dingshift",
            "unsupported database driver 'postgresql';"
            " supported: postgresql+asyncpg, sqlite+aiosqlite",
        ),
        ("not a url", "not a database URL: 'not a url'"),
    ],
)
def test_an_unsupported_database_is_refused_naming_the_supported_ones(
    tmp_path: Path, url: str, problem: str
) -> None:
    path = tmp_path / "config.toml"
    path.write_text(GOOD + f'[database]\nurl="{url}"\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    assert str(caught.value) == f"config error: database.url: {problem}"


@pytest.mark.parametrize(
    ("toml", "error"),
    [
        ('[dingtalk]\nclient_id="ding123"\nclinet_secret="x"\n', "dingtalk.clinet_secret"),
        ('[dingtalk]\nclient_id="ding123"\nclient_secret="x"\n[db]\nurl="x"\n', "db"),
        ('[dingtalk]\nclient_id="ding123"\nclient_secret="x"\napi_base="x"\n', "api_base"),
        ('[dingtalk]\nclient_id="ding123"\nclient_secret="x"\n[database]\nurl="a://"\n', "url"),
        ("[dingtalk\n", "not valid TOML"),
    ],
)
def test_check_config_does_not_call_a_mistake_ok(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], toml: str, error: str
) -> None:
    path = tmp_path / "config.toml"
    path.write_text(toml)
    assert main(["check-config", "--config", str(path)]) == 2
    output = capsys.readouterr()
    assert output.out == ""
    assert output.err.startswith("config error: ")
    assert error in output.err
    assert output.err.count("\n") == 1


def test_an_unknown_environment_override_is_warned_about(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "config.toml"
    path.write_text(GOOD + 'card_template_id="abc.schema"\n')
    monkeypatch.setenv("DINGSHIFT_DINGTALK__CLIENTID", "ding999")
    monkeypatch.setenv("DINGSHIFT_DATABASE_URL", "sqlite+aiosqlite:///x.db")
    monkeypatch.setenv("DINGSHIFT_ORG__ADMINS", '["u1"]')
    monkeypatch.setenv("dingshift_limits__monthly_api_budget", "100")
    assert main(["check-config", "--config", str(path)]) == 0
    assert capsys.readouterr().err.splitlines() == [
        "warning: environment variable DINGSHIFT_DATABASE_URL names no setting and is"
        " ignored (did you mean DINGSHIFT_DATABASE__URL?)",
        "warning: environment variable DINGSHIFT_DINGTALK__CLIENTID names no setting and is"
        " ignored (did you mean DINGSHIFT_DINGTALK__CLIENT_ID?)",
    ]
