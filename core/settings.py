"""One typed settings tree: a TOML file plus ``DINGSHIFT_``-prefixed environment variables.

Built once in ``main()`` with :func:`load_settings` and passed down; nothing reads settings at
import time. Environment variables win over the file (``DINGSHIFT_DATABASE__URL=...``).
"""

from __future__ import annotations

import difflib
import os
import tomllib
from collections.abc import Iterator, Mapping
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from core.messages import Language
from planner.lifecycle import Offsets
from storage.database import SUPPORTED_DRIVERS

DEFAULT_CONFIG_PATH = Path("config.toml")
# Values that mean "not filled in yet"; refused outside demo mode.
PLACEHOLDER_SECRETS = frozenset({"", "changeme", "your-client-secret", "demo-secret"})


def _sdk_endpoint() -> str:
    # The SDK binds the same variable at import time; defaulting to it keeps both on one host.
    return os.environ.get("DINGTALK_OPENAPI_ENDPOINT", "https://api.dingtalk.com").rstrip("/")


def _http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"must be an http:// or https:// URL with a host, not {value!r}")
    return value


HttpUrl = Annotated[str, AfterValidator(_http_url)]


class DingTalkSettings(BaseModel):
    client_id: str = Field(min_length=1)
    client_secret: SecretStr
    robot_code: str = ""
    card_template_id: str = ""
    api_base: HttpUrl = Field(default_factory=_sdk_endpoint)
    request_timeout_seconds: float = Field(default=10.0, gt=0)
    stream_idle_seconds: float = Field(default=180.0, gt=0)
    """Reconnect after this long without a frame, once DingTalk's SYSTEM pings have been seen."""
    stream_ping_interval_seconds: float = Field(default=20.0, gt=0)
    """How often the bot sends a websocket ping; an unanswered one means a dead connection."""
    stream_ping_timeout_seconds: float = Field(default=20.0, gt=0)
    session_webhook_origins: list[str] = Field(
        default_factory=lambda: ["https://oapi.dingtalk.com"]
    )
    """Where replies may be posted besides ``api_base``'s own origin; a message's session
    webhook anywhere else is not trusted and the reply goes through the OpenAPI."""

    @model_validator(mode="after")
    def _robot_code_defaults_to_client_id(self) -> DingTalkSettings:
        # An internal app's robot code is its client id unless the console shows otherwise.
        if not self.robot_code:
            self.robot_code = self.client_id
        self.api_base = self.api_base.rstrip("/")
        return self


class DatabaseSettings(BaseModel):
    url: str = "sqlite+aiosqlite:///./data/dingshift.db"

    @field_validator("url")
    @classmethod
    def _supported_driver(cls, value: str) -> str:
        try:
            driver = make_url(value).drivername
        except ArgumentError:
            raise ValueError(f"not a database URL: {value!r}") from None
        if driver not in SUPPORTED_DRIVERS:
            supported = ", ".join(SUPPORTED_DRIVERS)
            raise ValueError(f"unsupported database driver {driver!r}; supported: {supported}")
        return value


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
    """On shutdown: at most half answering received messages, the rest sending what is queued;
    whatever is left waits for the next start."""
    max_message_chars: int = Field(default=2000, ge=100, le=10_000)
    """A message longer than this is answered with one short error and not parsed."""


class HealthSettings(BaseModel):
    http_port: int = Field(default=0, ge=0, le=65535)
    """The health endpoint's port on 127.0.0.1; 0 leaves it off."""
    snapshot_seconds: float = Field(default=5.0, gt=0)
    """How often the running bot writes its state for ``dingshift status``."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="DINGSHIFT_", env_nested_delimiter="__", extra="forbid"
    )

    dingtalk: DingTalkSettings
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    org: OrgSettings = Field(default_factory=OrgSettings)
    schedule: ScheduleSettings = Field(default_factory=ScheduleSettings)
    limits: LimitSettings = Field(default_factory=LimitSettings)
    health: HealthSettings = Field(default_factory=HealthSettings)
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


ENV_PREFIX = "DINGSHIFT_"


def _section(annotation: Any) -> type[BaseModel] | None:
    """The model of a TOML section (``[dingtalk]``), or None for a plain key."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return None


def _known_keys(model: type[BaseModel], prefix: str = "") -> Iterator[str]:
    """Every dotted key a configuration may set: each section and each key within one."""
    for name, field in model.model_fields.items():
        yield prefix + name
        section = _section(field.annotation)
        if section is not None:
            yield from _known_keys(section, f"{prefix}{name}.")


def _unknown_keys(data: Mapping[str, Any], model: type[BaseModel], prefix: str) -> Iterator[str]:
    # Sections ignore keys they do not know (pydantic's default), so a typo would otherwise
    # leave the setting at its default without a word.
    for key, value in data.items():
        name = prefix + key
        field = model.model_fields.get(key)
        if field is None:
            kind = "section" if isinstance(value, Mapping) else "key"
            elsewhere = [k for k in _known_keys(Settings) if not name.startswith(k + ".")]
            nearest = difflib.get_close_matches(name, elsewhere, n=1)
            where = prefix.removesuffix(".") or "the file"
            hint = (
                f"did you mean {nearest[0]}?"
                if nearest
                else f"{where} has {', '.join(model.model_fields)}"
            )
            yield f"{name}: unknown {kind} ({hint})"
            continue
        section = _section(field.annotation)
        if section is not None and isinstance(value, Mapping):
            yield from _unknown_keys(value, section, name + ".")


def _check_file(path: Path) -> None:
    """The file exists, is TOML and names only keys the settings have."""
    if not path.is_file():
        raise ConfigError(f"config file not found: {path} (copy config.example.toml)")
    try:
        data = tomllib.loads(path.read_bytes().decode())
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise ConfigError(f"config error: {path}: not valid TOML: {error}") from None
    unknown = list(_unknown_keys(data, Settings, ""))
    if unknown:
        more = f" (and {len(unknown) - 1} more)" if len(unknown) > 1 else ""
        raise ConfigError(f"config error: {unknown[0]}{more}")


def unknown_environment_variables(environ: Mapping[str, str]) -> list[str]:
    """A warning for each ``DINGSHIFT_`` variable that names no setting (they are ignored)."""
    known = sorted(ENV_PREFIX + key.replace(".", "__").upper() for key in _known_keys(Settings))
    warnings = []
    for name in sorted(environ):
        if name.upper().startswith(ENV_PREFIX) and name.upper() not in known:
            nearest = difflib.get_close_matches(name.upper(), known, n=1)
            hint = f" (did you mean {nearest[0]}?)" if nearest else ""
            warnings.append(
                f"warning: environment variable {name} names no setting and is ignored{hint}"
            )
    return warnings


def load_settings(path: Path | None = DEFAULT_CONFIG_PATH, **overrides: object) -> Settings:
    """Read ``path`` (if given) plus the environment; ``overrides`` win over both."""
    if path is not None:
        _check_file(path)

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
