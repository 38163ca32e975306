"""SQLAlchemy 2.x models: orders (line items as JSONB), jobs, job_failures, job_replays.

Line items live in a JSONB column of the order: an order is written and read as one aggregate, never
item by item, so one row per order keeps a 500-record batch at 500 rows (not ~2,000) and a read at one
index lookup. ``orders.job_id`` has no foreign key on purpose: a stray message naming an unknown job
must not fail the whole chunk it arrives in. The schema itself is owned by the Alembic migrations
in ``app/migrations``.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    Index,
    Integer,
    Numeric,
    String,
    Table,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from app.schemas import ID_MAX_LENGTH, TOTAL_PRECISION, TOTAL_SCALE


class Base(DeclarativeBase):
    pass


class Job(Base):
    __tablename__ = "jobs"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(128), unique=True)
    status: Mapped[str] = mapped_column(String(32), nullable=False)  # enqueuing | queued | enqueue_failed
    total: Mapped[int] = mapped_column(Integer, nullable=False)
    enqueued: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    correlation_id: Mapped[str | None] = mapped_column(String(128))
    request_hash: Mapped[str | None] = mapped_column(String(64))  # sha256 of the job's records (409 on reuse)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (
        CheckConstraint("total >= 0", name="ck_orders_total_nonnegative"),
        Index("ix_orders_created_at_id", "created_at", "id"),
        Index("ix_orders_job", "job_id", "job_index", unique=True, postgresql_where="job_id IS NOT NULL"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(ID_MAX_LENGTH), nullable=False, unique=True)
    request_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    customer_id: Mapped[str] = mapped_column(String(ID_MAX_LENGTH), nullable=False)
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, nullable=False)
    total: Mapped[Decimal] = mapped_column(Numeric(TOTAL_PRECISION, TOTAL_SCALE), nullable=False)
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    status: Mapped[str] = mapped_column(String(32), nullable=False, server_default="accepted")
    job_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    job_index: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )


class JobFailure(Base):
    """A record of an async job that failed at least once (validation or database); cleared by success."""

    __tablename__ = "job_failures"

    job_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    record_index: Mapped[int] = mapped_column(Integer, primary_key=True)
    error_class: Mapped[str] = mapped_column(String(32), nullable=False)
    detail: Mapped[str] = mapped_column(Text, nullable=False)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, server_default="1")
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )


class JobReplay(Base):
    """A record of an async job whose key already belonged to another order with the same body (a replay
    of an order this job does not own); counts as succeeded in the job's progress."""

    __tablename__ = "job_replays"

    job_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    record_index: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )


# Core tables for the repository's bulk statements (``__table__`` is typed as a FromClause).
orders = cast(Table, Order.__table__)
jobs = cast(Table, Job.__table__)
job_failures = cast(Table, JobFailure.__table__)
job_replays = cast(Table, JobReplay.__table__)
