"""jobs.request_hash: a repeated Idempotency-Key with another body is a conflict, not a replay

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # POST /orders answers 409 when its key comes back with a different body; POST /orders/async used to
    # return the first job instead (the client believed its second job was accepted). Jobs written
    # before this column existed have NULL: they are compared by record count only, as before.
    op.add_column("jobs", sa.Column("request_hash", sa.String(64), nullable=True))


def downgrade() -> None:
    op.drop_column("jobs", "request_hash")
