"""reader role: the api's role on the read replica, SELECT only, closed until the migrate step caps it

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01

Runs as the owner (see app/roles.py). The role is created with CONNECTION LIMIT 0; every migrate run
then sets the data layer's ``reader_connection_limit`` (app.migrate.upgrade), so a cap changed in the
stack file reaches the replica at the next deploy without a new revision.
"""

from __future__ import annotations

from alembic import context, op

from app.roles import DEFAULT_READER, grant_reader

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    grant_reader(op.get_bind(), context.config.attributes.get("reader_username") or DEFAULT_READER)


def downgrade() -> None:
    # Revoke this revision's grants and close the role (it may have sessions on the replica; keep it).
    from app.roles import READER_GRANTS, ident

    role = ident(context.config.attributes.get("reader_username") or DEFAULT_READER)
    for table in READER_GRANTS:
        op.execute(f'REVOKE ALL ON public."{table}" FROM {role}')
    op.execute(f"ALTER ROLE {role} CONNECTION LIMIT 0")
