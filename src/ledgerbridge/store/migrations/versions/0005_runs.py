"""Sync runs and leases: what the jobs were asked to do, and which worker runs each realm.

Revision ID: 0005
Revises: 0004
Create Date: 2025-03-01

``runs`` holds every sync request (manual, bulk, auto, scheduled, sweeper) from the moment it
is made, so that a job lost with a killed worker loses no request. ``leases`` holds the
realm lanes (one worker at a time per QBO company, cluster-wide) and the once-a-period
periodic jobs; a lease expires by itself, so a killed holder needs no clean-up.

The partial unique index lets at most one never-started queued run per tenant and
coalescing trigger exist: auto-sync saves within the debounce window join it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COALESCING = "status = 'queued' AND attempts = 0 AND trigger IN ('auto', 'scheduled', 'sweeper')"


def _when(name: str, *, nullable: bool = False) -> sa.Column[datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "runs",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("lane", sa.String(128), nullable=False),
        sa.Column("trigger", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("record_types", sa.JSON(), nullable=True),
        sa.Column("records", sa.JSON(), nullable=True),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("lease", sa.String(32), nullable=True),
        _when("created_at"),
        _when("due_at"),
        _when("started_at", nullable=True),
        _when("finished_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_runs")),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_runs_tenant_id_tenants")
        ),
        sa.CheckConstraint(
            "trigger IN ('manual', 'bulk', 'auto', 'scheduled', 'sweeper')",
            name=op.f("ck_runs_trigger"),
        ),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'succeeded', 'partial', 'failed')",
            name=op.f("ck_runs_status"),
        ),
    )
    op.create_index(op.f("ix_runs_tenant_id_created_at"), "runs", ["tenant_id", "created_at"])
    op.create_index(
        op.f("ix_runs_tenant_id_trigger_created_at"), "runs", ["tenant_id", "trigger", "created_at"]
    )
    op.create_index(op.f("ix_runs_lane_status_due_at"), "runs", ["lane", "status", "due_at"])
    op.create_index(op.f("ix_runs_status_lane"), "runs", ["status", "lane"])
    op.create_index(
        op.f("uq_runs_queued_coalescing"),
        "runs",
        ["tenant_id", "trigger"],
        unique=True,
        sqlite_where=sa.text(_COALESCING),
        postgresql_where=sa.text(_COALESCING),
    )

    op.create_table(
        "leases",
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("token", sa.String(32), nullable=True),
        sa.Column("holder", sa.String(255), nullable=True),
        _when("acquired_at", nullable=True),
        _when("expires_at", nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_leases")),
    )


def downgrade() -> None:
    op.drop_table("leases")
    op.drop_index(op.f("uq_runs_queued_coalescing"), table_name="runs")
    op.drop_index(op.f("ix_runs_status_lane"), table_name="runs")
    op.drop_index(op.f("ix_runs_lane_status_due_at"), table_name="runs")
    op.drop_index(op.f("ix_runs_tenant_id_trigger_created_at"), table_name="runs")
    op.drop_index(op.f("ix_runs_tenant_id_created_at"), table_name="runs")
    op.drop_table("runs")
