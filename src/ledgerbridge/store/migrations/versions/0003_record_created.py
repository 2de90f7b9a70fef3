"""When a record was first received; deletions and voids as link results.

Revision ID: 0003
Revises: 0002
Create Date: 2025-02-15

``records.first_received_at`` dates customers and projects for the sync-start-date gate:
``received_at`` moves on every put, so a customer sent again after the start date looked new.
Rows that exist already get ``updated_at``, the earliest moment the store still knows of
them (it is never later than ``received_at``).

``links.last_result`` also takes ``deleted`` and ``voided``: the app deleted the record and
ledgerbridge deleted or voided its QBO object, which the engine must not do twice.

SQLite cannot add a NOT NULL column without a default nor change a CHECK constraint, so both
tables are rebuilt in batch mode there (``env.py`` turns it on); PostgreSQL alters in place.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_RESULTS_BEFORE = "last_result IN ('ok', 'failed', 'skipped', 'waiting')"
_RESULTS_AFTER = "last_result IN ('ok', 'failed', 'skipped', 'waiting', 'deleted', 'voided')"


def upgrade() -> None:
    with op.batch_alter_table("records") as batch:
        batch.add_column(sa.Column("first_received_at", sa.DateTime(timezone=True)))
    op.execute("UPDATE records SET first_received_at = updated_at")
    with op.batch_alter_table("records") as batch:
        batch.alter_column(
            "first_received_at", existing_type=sa.DateTime(timezone=True), nullable=False
        )
    _results(_RESULTS_AFTER)


def downgrade() -> None:
    # the QBO object is still the record's (deleted or voided there): the old schema's "ok"
    op.execute("UPDATE links SET last_result = 'ok' WHERE last_result IN ('deleted', 'voided')")
    _results(_RESULTS_BEFORE)
    with op.batch_alter_table("records") as batch:
        batch.drop_column("first_received_at")


def _results(condition: str) -> None:
    with op.batch_alter_table("links") as batch:
        batch.drop_constraint(op.f("ck_links_last_result"), type_="check")
        batch.create_check_constraint(op.f("ck_links_last_result"), condition)
