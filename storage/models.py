"""The tables. Timestamps are UTC (see :class:`storage.columns.UTCDateTime`)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Text
from sqlmodel import Field, SQLModel

from storage.columns import UTCDateTime


class Volunteer(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    staff_id: str = Field(max_length=64, unique=True, index=True)
    dingtalk_id: str = Field(default="", max_length=128)
    nickname: str = Field(max_length=128)
    districts: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    languages: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    availability: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    language_preference: str | None = Field(default=None, max_length=8)
    active: bool = True
    registered_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class ProcessedEvent(SQLModel, table=True):
    """One row per platform event handled; written in the same transaction as its effects."""

    __tablename__ = "processed_event"

    key: str = Field(primary_key=True, max_length=200)
    processed_at: datetime = Field(sa_type=UTCDateTime)
    ack: str = Field(sa_column=Column(Text, nullable=False))
    """The ACK response given the first time (JSON), replayed verbatim for a redelivery."""


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    DROPPED = "dropped"


class OutboxMessage(SQLModel, table=True):
    """A message the bot owes someone; sent after the transaction that created it commits."""

    __tablename__ = "outbox_message"

    id: int | None = Field(default=None, primary_key=True)
    dedup_key: str = Field(max_length=200, unique=True)
    """The logical message: enqueueing the same key twice keeps one row."""
    kind: str = Field(max_length=32)
    conversation_id: str | None = Field(default=None, max_length=128)
    user_ids: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    session_webhook: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    session_webhook_expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    essential: bool = True
    status: str = Field(default=OutboxStatus.PENDING, max_length=16, index=True)
    attempts: int = 0
    next_attempt_at: datetime = Field(sa_type=UTCDateTime, index=True)
    created_at: datetime = Field(sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class MonthlyUsage(SQLModel, table=True):
    """The bot's own count of what DingTalk meters, per calendar month in the org's zone."""

    __tablename__ = "monthly_usage"

    month: str = Field(primary_key=True, max_length=7)
    metered_api_calls: int = 0
    stream_deliveries: int = 0
    session_replies: int = 0
