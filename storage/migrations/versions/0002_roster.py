"""sites, templates, shifts, assignments, roles, shift changes

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import storage.columns

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "role_grant",
        sa.Column("staff_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("role", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("regions", sa.JSON(), nullable=False),
        sa.Column("granted_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("granted_at", storage.columns.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("staff_id"),
    )
    op.create_table(
        "site",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("district", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("address", sqlmodel.sql.sqltypes.AutoString(length=256), nullable=False),
        sa.Column("contact", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("conversation_id", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
        sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at", storage.columns.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("site", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_site_code"), ["code"], unique=True)

    op.create_table(
        "shift_template",
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("headcount", sa.Integer(), nullable=False),
        sa.Column("language_needs", sa.JSON(), nullable=False),
        sa.Column("meeting_point", sqlmodel.sql.sqltypes.AutoString(length=256), nullable=False),
        sa.Column("contact", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("equipment", sa.JSON(), nullable=False),
        sa.Column("tasks", sa.JSON(), nullable=False),
        sa.Column("health_declaration", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("rule", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("anchor_date", sa.Date(), nullable=False),
        sa.Column("exceptions", sa.JSON(), nullable=False),
        sa.Column("start_time", sa.Time(), nullable=False),
        sa.Column("end_time", sa.Time(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("expanded_until", sa.Date(), nullable=True),
        sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at", storage.columns.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", storage.columns.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["site_id"],
            ["site.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("shift_template", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_shift_template_site_id"), ["site_id"], unique=False)

    op.create_table(
        "shift",
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("headcount", sa.Integer(), nullable=False),
        sa.Column("language_needs", sa.JSON(), nullable=False),
        sa.Column("meeting_point", sqlmodel.sql.sqltypes.AutoString(length=256), nullable=False),
        sa.Column("contact", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("equipment", sa.JSON(), nullable=False),
        sa.Column("tasks", sa.JSON(), nullable=False),
        sa.Column("health_declaration", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("template_id", sa.Integer(), nullable=True),
        sa.Column("occurs_on", sa.Date(), nullable=False),
        sa.Column("starts_at", storage.columns.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", storage.columns.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("announced_at", storage.columns.UTCDateTime(timezone=True), nullable=True),
        sa.Column("cancel_reason", sqlmodel.sql.sqltypes.AutoString(length=256), nullable=False),
        sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at", storage.columns.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", storage.columns.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["site_id"],
            ["site.id"],
        ),
        sa.ForeignKeyConstraint(
            ["template_id"],
            ["shift_template.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("template_id", "occurs_on"),
    )
    with op.batch_alter_table("shift", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_shift_site_id"), ["site_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_shift_starts_at"), ["starts_at"], unique=False)

    op.create_table(
        "assignment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shift_id", sa.Integer(), nullable=False),
        sa.Column("volunteer_id", sa.Integer(), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("assigned_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at", storage.columns.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", storage.columns.UTCDateTime(timezone=True), nullable=False),
        sa.Column("responded_at", storage.columns.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["shift_id"],
            ["shift.id"],
        ),
        sa.ForeignKeyConstraint(
            ["volunteer_id"],
            ["volunteer.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("shift_id", "volunteer_id"),
    )
    with op.batch_alter_table("assignment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_assignment_shift_id"), ["shift_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_assignment_volunteer_id"), ["volunteer_id"], unique=False
        )

    op.create_table(
        "shift_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shift_id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("changed_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("changed_at", storage.columns.UTCDateTime(timezone=True), nullable=False),
        sa.Column("notified_at", storage.columns.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["shift_id"],
            ["shift.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("shift_change", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_shift_change_shift_id"), ["shift_id"], unique=False)

    with op.batch_alter_table("volunteer", schema=None) as batch_op:
        # Existing volunteers get an empty list of skills.
        batch_op.add_column(
            sa.Column("skills", sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
        )


def downgrade() -> None:

    with op.batch_alter_table("volunteer", schema=None) as batch_op:
        batch_op.drop_column("skills")

    with op.batch_alter_table("shift_change", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_shift_change_shift_id"))

    op.drop_table("shift_change")
    with op.batch_alter_table("assignment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assignment_volunteer_id"))
        batch_op.drop_index(batch_op.f("ix_assignment_shift_id"))

    op.drop_table("assignment")
    with op.batch_alter_table("shift", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_shift_starts_at"))
        batch_op.drop_index(batch_op.f("ix_shift_site_id"))

    op.drop_table("shift")
    with op.batch_alter_table("shift_template", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_shift_template_site_id"))

    op.drop_table("shift_template")
    with op.batch_alter_table("site", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_site_code"))

    op.drop_table("site")
    op.drop_table("role_grant")
