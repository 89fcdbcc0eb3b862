"""One typed settings tree: a TOML file plus ``DINGSHIFT_``-prefixed environment variables.

Built once in ``main()`` with :func:`load_settings` and passed down; nothing reads settings at
import time. Environment variables win over the file (``DINGSHIFT_DATABASE__URL=...``).
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from core.messages import Language
from planner.lifecycle import Offsets

DEFAULT_CONFIG_PATH = Path("config.toml")
# Values that mean "not filled in yet"; refused outside demo mode.
PLACEHOLDER_SECRETS = frozenset({"", "changeme", "your-client-secret", "demo-secret"})


def _sdk_endpoint() -> str:
    # The SDK binds the same variable at import time; defaulting to it keeps both on one host.
    return os.environ.get("DINGTALK_OPENAPI_ENDPOINT", "https://api.dingtalk.com").rstrip("/")


class DingTalkSettings(BaseModel):
    client_id: str = Field(min_length=1)
    client_secret: SecretStr
    robot_code: str = ""
    card_template_id: str = ""
    api_base: str = Field(default_factory=_sdk_endpoint)
    request_timeout_seconds: float = Field(default=10.0, gt=0)
    stream_idle_seconds: float = Field(default=180.0, gt=0)

    @model_validator(mode="after")
    def _robot_code_defaults_to_client_id(self) -> DingTalkSettings:
        # An internal app's robot code is its client id unless the console shows otherwise.
        if not self.robot_code:
            self.robot_code = self.client_id
        self.api_base = self.api_base.rstrip("/")
        return self


class DatabaseSettings(BaseModel):
    url: str = "sqlite+aiosqlite:///./data/dingshift.db"


class OrgSettings(BaseModel):
    timezone: str = "Asia/Hong_Kong"
    language: Language = "zh-HK"
    admins: list[str] = Field(default_factory=list)

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"unknown time zone {value!r}") from error
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class ScheduleSettings(BaseModel):
    horizon_weeks: int = Field(default=4, ge=1, le=26)
    tick_seconds: float = Field(default=60, gt=0)
    min_rest_minutes: int = Field(default=0, ge=0)
    confirm_hours_before: float = Field(default=48, gt=0)
    nudge_hours_before: float = Field(default=36, gt=0)
    remind_hours_before: float = Field(default=24, gt=0)
    weekly_cap: int = Field(default=3, ge=1)
    """Backfill offers go only to volunteers with fewer shifts than this in the ISO week."""
    offer_batch: int = Field(default=3, ge=1)
    """How many volunteers are offered each vacancy at once."""
    offer_hours: float = Field(default=6, gt=0)
    """How long an offer stays open (never past the shift's start)."""

    @property
    def min_rest(self) -> timedelta:
        return timedelta(minutes=self.min_rest_minutes)

    def offsets(self) -> Offsets:
        """The organisation's lifecycle offsets; templates and shifts may override them."""
        return Offsets.from_hours(
            self.confirm_hours_before, self.nudge_hours_before, self.remind_hours_before
        )

    @model_validator(mode="after")
    def _steps_in_order(self) -> ScheduleSettings:
        if not (self.confirm_hours_before > self.nudge_hours_before > self.remind_hours_before):
            raise ValueError(
                "confirm_hours_before > nudge_hours_before > remind_hours_before must hold"
            )
        return self


class LimitSettings(BaseModel):
    outbound_per_second: float = Field(default=10, gt=0)
    monthly_api_budget: int = Field(default=5000, ge=0)
    outbox_max_attempts: int = Field(default=12, ge=1)
    shutdown_flush_seconds: float = Field(default=2.0, ge=0)
    max_message_chars: int = Field(default=2000, ge=100, le=10_000)
    """A message longer than this is answered with one short error and not parsed."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="DINGSHIFT_", env_nested_delimiter="__", extra="forbid"
    )

    dingtalk: DingTalkSettings
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    org: OrgSettings = Field(default_factory=OrgSettings)
    schedule: ScheduleSettings = Field(default_factory=ScheduleSettings)
    limits: LimitSettings = Field(default_factory=LimitSettings)
    demo_mode: bool = False

    @model_validator(mode="after")
    def _refuse_placeholder_secret(self) -> Settings:
        if not self.demo_mode and self.dingtalk.client_secret.get_secret_value() in (
            PLACEHOLDER_SECRETS
        ):
            raise ValueError("dingtalk.client_secret is a placeholder; set the real secret")
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,  # noqa: ARG003 - no .env files: TOML + env
        file_secret_settings: PydanticBaseSettingsSource,  # noqa: ARG003 - likewise
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # toml_file comes from model_config, which load_settings sets per call.
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls))


class ConfigError(Exception):
    """A missing or invalid setting, phrased as one line that names the key."""


def load_settings(path: Path | None = DEFAULT_CONFIG_PATH, **overrides: object) -> Settings:
    """Read ``path`` (if given) plus the environment; ``overrides`` win over both."""
    if path is not None and not path.is_file():
        raise ConfigError(f"config file not found: {path} (copy config.example.toml)")

    class SettingsFromFile(Settings):
        model_config = SettingsConfigDict(toml_file=path)

    try:
        return SettingsFromFile(**overrides)  # type: ignore[arg-type]
    except ValidationError as error:
        raise ConfigError(describe_validation_error(error)) from None


def describe_validation_error(error: ValidationError) -> str:
    first = error.errors()[0]
    key = ".".join(str(part) for part in first["loc"]) or "settings"
    problem = first["msg"].removeprefix("Value error, ")
    if first["type"] == "missing":
        problem = "missing"
    more = len(error.errors()) - 1
    suffix = f" (and {more} more)" if more else ""
    return f"config error: {key}: {problem}{suffix}"
