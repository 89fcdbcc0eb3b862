"""backfill

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import storage.columns

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "offer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shift_id", sa.Integer(), nullable=False),
        sa.Column("volunteer_id", sa.Integer(), nullable=False),
        sa.Column("out_track_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("offered_at", storage.columns.UTCDateTime(timezone=True), nullable=False),
        sa.Column("answered_at", storage.columns.UTCDateTime(timezone=True), nullable=True),
        sa.Column("deadline", storage.columns.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["shift_id"],
            ["shift.id"],
        ),
        sa.ForeignKeyConstraint(
            ["volunteer_id"],
            ["volunteer.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("out_track_id"),
        sa.UniqueConstraint("shift_id", "volunteer_id"),
    )
    with op.batch_alter_table("offer", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_offer_deadline"), ["deadline"], unique=False)
        batch_op.create_index(batch_op.f("ix_offer_shift_id"), ["shift_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_offer_state"), ["state"], unique=False)
        batch_op.create_index(batch_op.f("ix_offer_volunteer_id"), ["volunteer_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("offer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_offer_volunteer_id"))
        batch_op.drop_index(batch_op.f("ix_offer_state"))
        batch_op.drop_index(batch_op.f("ix_offer_shift_id"))
        batch_op.drop_index(batch_op.f("ix_offer_deadline"))

    op.drop_table("offer")
