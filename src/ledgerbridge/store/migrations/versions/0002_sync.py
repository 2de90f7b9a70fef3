"""The sync tables: the host app's records, their links to QBO, tenant settings, operations.

Revision ID: 0002
Revises: 0001
Create Date: 2025-02-01

Written out in full like 0001 (a migration describes the schema as it was at its revision).
The partial unique index on ``operations`` (at most one unfinished operation per record) is
written for both databases; SQLite has had partial indexes since 3.8.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: the partial index's condition, the same text for SQLite and PostgreSQL
_OPEN = "status IN ('queued', 'running')"


def _when(name: str, *, nullable: bool = False) -> sa.Column[datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _tenant(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["tenant_id"], ["tenants.id"], name=op.f(f"fk_{table}_tenant_id_tenants")
    )


def upgrade() -> None:
    op.create_table(
        "records",
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("record_type", sa.String(64), nullable=False),
        sa.Column("app_id", sa.String(255), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("content_hash", sa.String(128), nullable=False),
        _when("received_at"),
        _when("updated_at"),
        _when("deleted_at", nullable=True),
        sa.Column("dirty", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "record_type", "app_id", name=op.f("pk_records")),
        _tenant("records"),
    )
    op.create_index(
        op.f("ix_records_tenant_id_dirty_record_type_app_id"),
        "records",
        ["tenant_id", "dirty", "record_type", "app_id"],
    )

    op.create_table(
        "links",
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("record_type", sa.String(64), nullable=False),
        sa.Column("app_id", sa.String(255), nullable=False),
        sa.Column("qbo_type", sa.String(64), nullable=True),
        sa.Column("qbo_id", sa.String(64), nullable=True),
        sa.Column("sync_token", sa.String(32), nullable=True),
        sa.Column("pushed_hash", sa.String(128), nullable=True),
        sa.Column("last_result", sa.String(16), nullable=False),
        sa.Column("last_error_code", sa.String(64), nullable=True),
        sa.Column("last_message", sa.Text(), nullable=True),
        sa.Column("last_intuit_tid", sa.String(128), nullable=True),
        sa.Column("warning", sa.Text(), nullable=True),
        _when("updated_at"),
        sa.PrimaryKeyConstraint("tenant_id", "record_type", "app_id", name=op.f("pk_links")),
        _tenant("links"),
        sa.UniqueConstraint(
            "tenant_id", "qbo_type", "qbo_id", name=op.f("uq_links_tenant_id_qbo_type_qbo_id")
        ),
        sa.CheckConstraint(
            "last_result IN ('ok', 'failed', 'skipped', 'waiting')",
            name=op.f("ck_links_last_result"),
        ),
        sa.CheckConstraint(
            "(qbo_type IS NULL) = (qbo_id IS NULL)", name=op.f("ck_links_qbo_object")
        ),
    )
    op.create_index(op.f("ix_links_tenant_id_last_result"), "links", ["tenant_id", "last_result"])

    op.create_table(
        "tenant_settings",
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        _when("created_at"),
        sa.Column("created_by", sa.String(255), nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", "version", name=op.f("pk_tenant_settings")),
        _tenant("tenant_settings"),
    )

    op.create_table(
        "operations",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("realm_id", sa.String(32), nullable=False),
        sa.Column("record_type", sa.String(64), nullable=False),
        sa.Column("app_id", sa.String(255), nullable=False),
        sa.Column("qbo_type", sa.String(64), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("request_id", sa.String(32), nullable=False),
        sa.Column("trigger", sa.String(16), nullable=False),
        sa.Column("run_id", sa.String(32), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=True),
        sa.Column("qbo_id", sa.String(64), nullable=True),
        sa.Column("sync_token", sa.String(32), nullable=True),
        sa.Column("intuit_tid", sa.String(128), nullable=True),
        sa.Column("error_code", sa.String(64), nullable=True),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _when("created_at"),
        _when("started_at", nullable=True),
        _when("finished_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_operations")),
        _tenant("operations"),
        sa.UniqueConstraint("request_id", name=op.f("uq_operations_request_id")),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'succeeded', 'failed', 'skipped')",
            name=op.f("ck_operations_status"),
        ),
        sa.CheckConstraint(
            "trigger IN ('manual', 'bulk', 'auto', 'scheduled', 'inbound')",
            name=op.f("ck_operations_trigger"),
        ),
    )
    op.create_index(
        op.f("ix_operations_tenant_id_created_at"), "operations", ["tenant_id", "created_at"]
    )
    op.create_index(
        op.f("ix_operations_tenant_id_record_type_app_id"),
        "operations",
        ["tenant_id", "record_type", "app_id"],
    )
    op.create_index(op.f("ix_operations_tenant_id_status"), "operations", ["tenant_id", "status"])
    op.create_index(op.f("ix_operations_tenant_id_run_id"), "operations", ["tenant_id", "run_id"])
    op.create_index(
        op.f("uq_operations_open_record"),
        "operations",
        ["tenant_id", "record_type", "app_id"],
        unique=True,
        sqlite_where=sa.text(_OPEN),
        postgresql_where=sa.text(_OPEN),
    )


def downgrade() -> None:
    op.drop_index(op.f("uq_operations_open_record"), table_name="operations")
    op.drop_index(op.f("ix_operations_tenant_id_run_id"), table_name="operations")
    op.drop_index(op.f("ix_operations_tenant_id_status"), table_name="operations")
    op.drop_index(op.f("ix_operations_tenant_id_record_type_app_id"), table_name="operations")
    op.drop_index(op.f("ix_operations_tenant_id_created_at"), table_name="operations")
    op.drop_table("operations")
    op.drop_table("tenant_settings")
    op.drop_index(op.f("ix_links_tenant_id_last_result"), table_name="links")
    op.drop_table("links")
    op.drop_index(op.f("ix_records_tenant_id_dirty_record_type_app_id"), table_name="records")
    op.drop_table("records")
