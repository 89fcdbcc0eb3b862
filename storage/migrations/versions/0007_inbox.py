"""the inbox: chat messages committed before their ACK, handled in arrival order

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import storage.columns

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "inbox_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("msg_id", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("conversation_id", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("received_at", storage.columns.UTCDateTime(timezone=True), nullable=False),
        sa.Column("handled_at", storage.columns.UTCDateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("msg_id"),
    )
    with op.batch_alter_table("inbox_message", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_inbox_message_handled_at"), ["handled_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("inbox_message", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inbox_message_handled_at"))
    op.drop_table("inbox_message")
