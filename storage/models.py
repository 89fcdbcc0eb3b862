"""The tables. Timestamps are UTC (see :class:`storage.columns.UTCDateTime`)."""

from __future__ import annotations

from datetime import date, datetime, time
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Text, UniqueConstraint
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
    skills: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
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


class InboxMessage(SQLModel, table=True):
    """A chat message as received: committed before its ACK, handled later in arrival order."""

    __tablename__ = "inbox_message"

    id: int | None = Field(default=None, primary_key=True)
    """Arrival order."""
    msg_id: str = Field(max_length=200, unique=True)
    """DingTalk's msgId: a redelivered frame finds its row and adds none."""
    conversation_id: str = Field(max_length=128)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    received_at: datetime = Field(sa_type=UTCDateTime)
    handled_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    """Set in the transaction that answers the message."""
    attempts: int = 0
    """Answers that failed for a reason of the message's own; after a few it is given up, so
    the messages behind it are answered."""


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
    process_query_key: str | None = Field(default=None, max_length=256)
    """DingTalk's key for asking who has read a robot message (read tracking)."""
    card_created_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    """When a create of this row's card was first sent: a later create (a retry, or a repeat
    after a crash) that DingTalk refuses as existing found our own card."""


class Installation(SQLModel, table=True):
    """This database's one row: the tag that makes our card ids unique among all installations
    DingTalk has seen (``ds-<tag>-confirm-42``); a new database gets a new tag."""

    __tablename__ = "installation"

    id: int = Field(default=1, primary_key=True)
    tag: str = Field(max_length=8)
    created_at: datetime = Field(sa_type=UTCDateTime)


class MonthlyUsage(SQLModel, table=True):
    """The bot's own count of what DingTalk meters, per calendar month in the org's zone."""

    __tablename__ = "monthly_usage"

    month: str = Field(primary_key=True, max_length=7)
    metered_api_calls: int = 0
    stream_deliveries: int = 0
    session_replies: int = 0


class HealthSnapshot(SQLModel, table=True):
    """What a running bot last said of itself (stream, tasks), for ``dingshift status``."""

    __tablename__ = "health_snapshot"

    process: str = Field(primary_key=True, max_length=32)
    written_at: datetime = Field(sa_type=UTCDateTime)
    state: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class Site(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=16, unique=True, index=True)
    """Short upper-case code coordinators type (``SSP``)."""
    name: str = Field(max_length=128)
    district: str = Field(max_length=32)
    address: str = Field(default="", max_length=256)
    contact: str = Field(default="", max_length=128)
    conversation_id: str | None = Field(default=None, max_length=128)
    """The site's group chat, where its announcements and cards go."""
    created_by: str = Field(max_length=64)
    created_at: datetime = Field(sa_type=UTCDateTime)


class ShiftDetails(SQLModel):
    """What a volunteer needs to know about a shift; templates hand a copy to each occurrence."""

    title: str = Field(default="", max_length=128)
    headcount: int
    language_needs: dict[str, int] = Field(default_factory=dict, sa_type=JSON)
    """Language code -> the minimum number of speakers on the shift (``{"cmn": 1}``)."""
    meeting_point: str = Field(default="", max_length=256)
    contact: str = Field(default="", max_length=128)
    # sa_type, not a shared sa_column: each table needs columns of its own.
    equipment: list[str] = Field(default_factory=list, sa_type=JSON)
    tasks: list[str] = Field(default_factory=list, sa_type=JSON)
    health_declaration: bool = False
    # The lifecycle's timing for this shift, in hours before the start; None keeps the
    # organisation's ``[schedule]`` value. Coordinators see these, volunteers never do.
    confirm_hours_before: float | None = None
    nudge_hours_before: float | None = None
    remind_hours_before: float | None = None


class ShiftTemplate(ShiftDetails, table=True):
    __tablename__ = "shift_template"

    id: int | None = Field(default=None, primary_key=True)
    site_id: int = Field(foreign_key="site.id", index=True)
    name: str = Field(max_length=128)
    rule: str = Field(max_length=64)
    """The canonical recurrence rule (planner.recurrence), e.g. ``2w:sat``."""
    anchor_date: date
    """The first day it may occur; fixes the phase of every-N-weeks rules."""
    exceptions: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    """ISO dates on which it does not occur."""
    start_time: time
    end_time: time
    active: bool = True
    expanded_until: date | None = None
    created_by: str = Field(max_length=64)
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class ShiftStatus(StrEnum):
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"


class Shift(ShiftDetails, table=True):
    """One concrete occurrence, with its own copy of the details."""

    __table_args__ = (UniqueConstraint("template_id", "occurs_on"),)

    id: int | None = Field(default=None, primary_key=True)
    site_id: int = Field(foreign_key="site.id", index=True)
    template_id: int | None = Field(default=None, foreign_key="shift_template.id")
    occurs_on: date
    """The local date it starts on (the organisation's zone)."""
    starts_at: datetime = Field(sa_type=UTCDateTime, index=True)
    ends_at: datetime = Field(sa_type=UTCDateTime)
    status: str = Field(default=ShiftStatus.SCHEDULED, max_length=16)
    revision: int = 1
    published_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    """Set by ``/publish``: from then on the lifecycle (announce, confirm, ...) runs."""
    announced_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    cancel_reason: str = Field(default="", max_length=256)
    created_by: str = Field(max_length=64)
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class AssignmentState(StrEnum):
    INVITED = "invited"
    CONFIRMED = "confirmed"
    DECLINED = "declined"
    STANDBY = "standby"
    WITHDRAWN = "withdrawn"
    ATTENDED = "attended"
    NO_SHOW = "no_show"


# States that hold a seat on the shift and a slot in the volunteer's time.
HOLDS_A_SEAT = frozenset(
    {AssignmentState.INVITED, AssignmentState.CONFIRMED, AssignmentState.ATTENDED}
)
# Everyone who counts as on the shift: told of its changes, and able to be taken off it.
ON_SHIFT = HOLDS_A_SEAT | {AssignmentState.STANDBY}


class Assignment(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("shift_id", "volunteer_id"),)

    id: int | None = Field(default=None, primary_key=True)
    shift_id: int = Field(foreign_key="shift.id", index=True)
    volunteer_id: int = Field(foreign_key="volunteer.id", index=True)
    state: str = Field(default=AssignmentState.INVITED, max_length=16)
    assigned_by: str = Field(max_length=64)
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)
    responded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class RoleGrant(SQLModel, table=True):
    """A role given in the chat; admins come from the configuration, not from here."""

    __tablename__ = "role_grant"

    staff_id: str = Field(primary_key=True, max_length=64)
    role: str = Field(max_length=16)
    regions: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    """District codes a viewer may see; empty means everywhere."""
    granted_by: str = Field(max_length=64)
    granted_at: datetime = Field(sa_type=UTCDateTime)


class ShiftChange(SQLModel, table=True):
    """What changed on a shift after it was announced, so that the people on it can be told."""

    __tablename__ = "shift_change"

    id: int | None = Field(default=None, primary_key=True)
    shift_id: int = Field(foreign_key="shift.id", index=True)
    revision: int
    kind: str = Field(max_length=16)
    """``edit`` or ``cancel``."""
    changes: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    """Field -> [before, after], as shown to people."""
    changed_by: str = Field(max_length=64)
    changed_at: datetime = Field(sa_type=UTCDateTime)
    notified_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ShiftStep(SQLModel, table=True):
    """A lifecycle step handled for a shift: recorded once, so that it happens once."""

    __tablename__ = "shift_step"

    shift_id: int = Field(foreign_key="shift.id", primary_key=True)
    step: str = Field(primary_key=True, max_length=16)
    """planner.lifecycle.Step: announce, confirm, nudge, remind."""
    outcome: str = Field(max_length=16)
    """``sent``, ``merged`` (went out inside another step's message) or ``skipped`` (stale)."""
    handled_at: datetime = Field(sa_type=UTCDateTime)


class OfferState(StrEnum):
    OPEN = "open"
    TAKEN = "taken"
    """This volunteer tapped first and got the seat."""
    LOST = "lost"
    """Someone else took the last seat first."""
    EXPIRED = "expired"
    """Nobody took it before the deadline (or the shift was cancelled or started meanwhile)."""


class Offer(SQLModel, table=True):
    """A vacancy offered privately to one volunteer (backfill); one card per shift and person."""

    __table_args__ = (UniqueConstraint("shift_id", "volunteer_id"),)

    id: int | None = Field(default=None, primary_key=True)
    shift_id: int = Field(foreign_key="shift.id", index=True)
    volunteer_id: int = Field(foreign_key="volunteer.id", index=True)
    out_track_id: str = Field(max_length=64, unique=True)
    """The offer card: ``ds-offer-<shift>-<staffId>``."""
    state: str = Field(default=OfferState.OPEN, max_length=16, index=True)
    offered_at: datetime = Field(sa_type=UTCDateTime)
    answered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    """When it was taken, lost or expired."""
    deadline: datetime = Field(sa_type=UTCDateTime, index=True)
