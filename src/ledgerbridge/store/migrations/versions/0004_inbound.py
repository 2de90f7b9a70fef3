"""Inbound sync: the events feed, webhook notifications, CDC bookmarks, QBO-owned records.

Revision ID: 0004
Revises: 0003
Create Date: 2025-02-20

``events`` is the tenant's feed (a gapless ``seq`` per tenant is the cursor) and
``event_endpoints`` where it is pushed. ``webhook_notifications`` keeps each notification's
signed bytes, once (unique SHA-256). ``inbound_versions`` remembers the newest version of
each QBO object processed, so that a webhook and the CDC back-stop apply a change once;
``cdc_bookmarks`` is where each connection's CDC resumes. ``qbo_owned_records`` marks the
records that came from QBO. The index on ``operations`` answers "did ledgerbridge write this
version of this object?" (echo suppression).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _when(name: str, *, nullable: bool = False) -> sa.Column[datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _tenant(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["tenant_id"], ["tenants.id"], name=op.f(f"fk_{table}_tenant_id_tenants")
    )


def _qbo_object() -> list[sa.Column[str]]:
    return [
        sa.Column("qbo_type", sa.String(64), nullable=False),
        sa.Column("qbo_id", sa.String(64), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("record_type", sa.String(64), nullable=True),
        sa.Column("app_id", sa.String(255), nullable=True),
        sa.Column("qbo_type", sa.String(64), nullable=True),
        sa.Column("qbo_id", sa.String(64), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        _when("created_at"),
        sa.PrimaryKeyConstraint("tenant_id", "seq", name=op.f("pk_events")),
        _tenant("events"),
    )
    op.create_table(
        "event_endpoints",
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("secret", sa.LargeBinary(), nullable=False),
        sa.Column("delivered_seq", sa.Integer(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _when("next_attempt_at", nullable=True),
        sa.Column("lease_token", sa.String(32), nullable=True),
        _when("leased_until", nullable=True),
        sa.Column("last_status", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        _when("updated_at"),
        sa.PrimaryKeyConstraint("tenant_id", name=op.f("pk_event_endpoints")),
        _tenant("event_endpoints"),
    )
    op.create_table(
        "webhook_notifications",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("body_sha256", sa.String(64), nullable=False),
        _when("received_at"),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _when("processed_at", nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_notifications")),
        sa.UniqueConstraint("body_sha256", name=op.f("uq_webhook_notifications_body_sha256")),
        sa.CheckConstraint(
            "status IN ('received', 'processed', 'failed')",
            name=op.f("ck_webhook_notifications_status"),
        ),
    )
    op.create_index(
        op.f("ix_webhook_notifications_status_id"), "webhook_notifications", ["status", "id"]
    )
    op.create_table(
        "inbound_versions",
        sa.Column("tenant_id", sa.String(64), nullable=False),
        *_qbo_object(),
        sa.Column("sync_token", sa.String(32), nullable=True),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        _when("processed_at"),
        sa.PrimaryKeyConstraint(
            "tenant_id", "qbo_type", "qbo_id", name=op.f("pk_inbound_versions")
        ),
        _tenant("inbound_versions"),
    )
    op.create_table(
        "cdc_bookmarks",
        sa.Column("connection_id", sa.String(32), nullable=False),
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("realm_id", sa.String(32), nullable=False),
        _when("changed_since"),
        _when("updated_at"),
        sa.PrimaryKeyConstraint("connection_id", name=op.f("pk_cdc_bookmarks")),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["connections.id"],
            name=op.f("fk_cdc_bookmarks_connection_id_connections"),
        ),
        _tenant("cdc_bookmarks"),
    )
    op.create_table(
        "qbo_owned_records",
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("record_type", sa.String(64), nullable=False),
        sa.Column("app_id", sa.String(255), nullable=False),
        *_qbo_object(),
        sa.Column("content_hash", sa.String(128), nullable=False),
        _when("created_at"),
        _when("updated_at"),
        sa.PrimaryKeyConstraint(
            "tenant_id", "record_type", "app_id", name=op.f("pk_qbo_owned_records")
        ),
        _tenant("qbo_owned_records"),
    )
    op.create_index(
        op.f("ix_operations_tenant_id_qbo_type_qbo_id"),
        "operations",
        ["tenant_id", "qbo_type", "qbo_id"],
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_operations_tenant_id_qbo_type_qbo_id"), table_name="operations")
    op.drop_table("qbo_owned_records")
    op.drop_table("cdc_bookmarks")
    op.drop_table("inbound_versions")
    op.drop_index(op.f("ix_webhook_notifications_status_id"), table_name="webhook_notifications")
    op.drop_table("webhook_notifications")
    op.drop_table("event_endpoints")
    op.drop_table("events")
