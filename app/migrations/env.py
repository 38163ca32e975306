"""Alembic environment: runs online against the connection handed in by :func:`app.migrate.upgrade`.

There is no engine here on purpose: every engine comes from ``app.db.build_engine`` (IAM token, TLS),
so ``alembic`` on the command line is not a way in; use ``app.migrate.upgrade`` (``invoke serve`` and
the migrate function do).
"""

from __future__ import annotations

from alembic import context

from app.models import metadata as target_metadata

config = context.config


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("run migrations with app.migrate.upgrade(), which connects through app.db.build_engine")
    context.configure(connection=connection, target_metadata=target_metadata, transaction_per_migration=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    context.configure(
        url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata, literal_binds=True
    )
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
