"""SQLAlchemy 2.x tables (Core): orders (line items as JSONB), jobs, job_failures, job_replays.

Line items live in a JSONB column of the order: an order is written and read as one aggregate, never
item by item, so one row per order keeps a 500-record batch at 500 rows (not ~2,000) and a read at one
index lookup. ``orders.job_id`` has no foreign key on purpose: a stray message naming an unknown job
must not fail the whole chunk it arrives in. The schema itself is owned by the Alembic migrations
in ``app/migrations``.

Core ``Table`` objects, not ORM classes: the repository writes and reads rows with Core statements, and
importing ``sqlalchemy.orm`` (which declarative models need) costs a cold start 40-200 ms for nothing
(docs/performance.md).
"""

from __future__ import annotations

from sqlalchemy import (
    CheckConstraint,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID

from app.schemas import ID_MAX_LENGTH, TOTAL_PRECISION, TOTAL_SCALE

metadata = MetaData()


def _timestamp(name: str) -> Column:
    return Column(name, DateTime(timezone=True), server_default=func.now(), nullable=False)


jobs = Table(
    "jobs",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("idempotency_key", String(128), unique=True),
    Column("status", String(32), nullable=False),  # enqueuing | queued | enqueue_failed
    Column("total", Integer, nullable=False),
    Column("enqueued", Integer, nullable=False, server_default="0"),
    Column("correlation_id", String(128)),
    Column("request_hash", String(64)),  # sha256 of the job's records (409 on reuse with other records)
    _timestamp("created_at"),
    _timestamp("updated_at"),
)

orders = Table(
    "orders",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("idempotency_key", String(ID_MAX_LENGTH), nullable=False, unique=True),
    Column("request_hash", String(64), nullable=False),
    Column("customer_id", String(ID_MAX_LENGTH), nullable=False),
    Column("items", JSONB, nullable=False),
    Column("total", Numeric(TOTAL_PRECISION, TOTAL_SCALE), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("status", String(32), nullable=False, server_default="accepted"),
    Column("job_id", UUID(as_uuid=True)),
    Column("job_index", Integer),
    _timestamp("created_at"),
    _timestamp("updated_at"),
    CheckConstraint("total >= 0", name="ck_orders_total_nonnegative"),
    Index("ix_orders_created_at_id", "created_at", "id"),
    Index("ix_orders_job", "job_id", "job_index", unique=True, postgresql_where="job_id IS NOT NULL"),
)

# A record of an async job that failed at least once (validation or database); cleared by success.
job_failures = Table(
    "job_failures",
    metadata,
    Column("job_id", UUID(as_uuid=True), primary_key=True),
    Column("record_index", Integer, primary_key=True),
    Column("error_class", String(32), nullable=False),
    Column("detail", Text, nullable=False),
    Column("attempts", Integer, nullable=False, server_default="1"),
    _timestamp("updated_at"),
)

# A record of an async job whose key already belonged to another order with the same body (a replay of
# an order this job does not own); counts as succeeded in the job's progress.
job_replays = Table(
    "job_replays",
    metadata,
    Column("job_id", UUID(as_uuid=True), primary_key=True),
    Column("record_index", Integer, primary_key=True),
    Column("order_id", UUID(as_uuid=True), nullable=False),
    _timestamp("created_at"),
)
