"""Tenants, their QBO connections (encrypted tokens) and one-time OAuth states.

Revision ID: 0001
Revises:
Create Date: 2025-01-01

Written out in full rather than importing the models: a migration describes the schema as it
was at this revision, and must not change when the models do. Datetimes are plain
``DateTime(timezone=True)``; the models' ``UTCDateTime`` only converts values in Python.
Constraint names are spelled out and marked final with ``op.f`` (the metadata's naming
convention would otherwise wrap them a second time).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _when(name: str, *, nullable: bool = False) -> sa.Column[datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "tenants",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        _when("created_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tenants")),
    )
    op.create_table(
        "connections",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("environment", sa.String(16), nullable=False),
        sa.Column("realm_id", sa.String(32), nullable=False),
        sa.Column("company_name", sa.String(255), nullable=False),
        sa.Column("access_token", sa.LargeBinary(), nullable=False),
        sa.Column("refresh_token", sa.LargeBinary(), nullable=False),
        _when("access_expires_at"),
        _when("refresh_expires_at"),
        _when("hard_expires_at", nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("status_reason", sa.Text(), nullable=True),
        _when("connected_at"),
        _when("last_refresh_at", nullable=True),
        _when("updated_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_connections")),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_connections_tenant_id_tenants")
        ),
        sa.UniqueConstraint(
            "tenant_id", "environment", name=op.f("uq_connections_tenant_id_environment")
        ),
        sa.CheckConstraint(
            "environment IN ('production', 'sandbox', 'emulator')",
            name=op.f("ck_connections_environment"),
        ),
        sa.CheckConstraint(
            "status IN ('connected', 'disconnected', 'expiring')",
            name=op.f("ck_connections_status"),
        ),
    )
    op.create_index(op.f("ix_connections_realm_id"), "connections", ["realm_id"])
    op.create_table(
        "oauth_states",
        sa.Column("nonce", sa.String(128), nullable=False),
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("environment", sa.String(16), nullable=False),
        _when("created_at"),
        _when("used_at", nullable=True),
        sa.PrimaryKeyConstraint("nonce", name=op.f("pk_oauth_states")),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_oauth_states_tenant_id_tenants")
        ),
    )


def downgrade() -> None:
    op.drop_table("oauth_states")
    op.drop_index(op.f("ix_connections_realm_id"), table_name="connections")
    op.drop_table("connections")
    op.drop_table("tenants")
