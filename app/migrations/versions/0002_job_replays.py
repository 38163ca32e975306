"""job_replays: async records resolved by an order that belongs to another request

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # An async record whose idempotency key was already used by another order with the same body is an
    # idempotent replay, but that order's job_id is not this job's: without this row the job would never
    # count the record as done (GET /jobs/{id} stuck "in_progress").
    op.create_table(
        "job_replays",
        sa.Column("job_id", postgresql.UUID(as_uuid=True), primary_key=True),
        sa.Column("record_index", sa.Integer, primary_key=True),
        sa.Column("order_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )


def downgrade() -> None:
    op.drop_table("job_replays")
