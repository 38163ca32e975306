"""app role: the application's login role with only the DML its tables need

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01

Runs as the owner (see app/roles.py). The role name comes from the migrate run (the data layer's
``appUsername``, passed by app.migrate.upgrade); ``app_user`` when none is given.
"""

from __future__ import annotations

from alembic import context, op

from app.roles import DEFAULT_APP, grant_app

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    grant_app(op.get_bind(), context.config.attributes.get("app_username") or DEFAULT_APP)


def downgrade() -> None:
    # The role may own sessions or be granted elsewhere: revoke this revision's grants, keep the role.
    from app.roles import APP_GRANTS, ident

    role = ident(context.config.attributes.get("app_username") or DEFAULT_APP)
    for table in APP_GRANTS:
        op.execute(f'REVOKE ALL ON public."{table}" FROM {role}')
