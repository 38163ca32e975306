"""The database roles: an owner that migrations run as, and an application role with only its DML.

* ``owner`` (default ``app_owner``) owns every table; migrations run as it (through RDS Proxy, IAM token).
  It has CREATEROLE so that the migrations themselves create the application role, and it holds
  ``rds_iam`` with ADMIN OPTION so they can let that role sign in with IAM tokens.
* ``app`` (default ``app_user``): SELECT/INSERT/UPDATE on exactly the tables the code writes (see
  :data:`APP_GRANTS`), nothing else: no DDL (it owns nothing and has no CREATE on any schema), no
  TRUNCATE/DELETE, no access to other schemas. Created and granted by revision 0003 and later ones.
* ``reader`` (default ``app_reader``): the role the api signs in as on the read replica, SELECT on what the
  replica reads need (:data:`READER_GRANTS`). It carries the replica's hard cap of direct app connections
  (``CONNECTION LIMIT``, set by every migrate run from the data layer's ``reader_connection_limit``;
  0, no sign-in at all, until then): PostgreSQL itself refuses the connection past the cap (SQLSTATE 53300,
  "too many connections for role"), and the app then reads from the primary through the proxy
  (app/replica.py). A per-role limit counts only that role's sessions, so the master, the owner and any
  operator role keep the rest of the replica's ``max_connections`` (docs/data.md, "Connection budget").
  Roles live in the catalog, which the replica replays: what the migrations set on the primary is what the
  replica enforces, and the app never signs in as this role on the primary.
* The master user (``app_admin``) is break-glass only: it signs in with its password, directly to the
  instance, and its one routine use is :func:`bootstrap_owner`, once per database.

``rds_iam`` exists only on RDS. Where it does not (a local PostgreSQL), the grants of it are skipped and
the roles sign in however the server's pg_hba allows.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from sqlalchemy import text

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

DEFAULT_OWNER = "app_owner"
DEFAULT_APP = "app_user"
DEFAULT_READER = "app_reader"
RDS_IAM_ROLE = "rds_iam"
# What the application's code needs, table by table (app/repository.py). A new table gets its line here
# in the revision that creates it; tests/app/functional/test_app_roles.py runs the app as this role.
APP_GRANTS: dict[str, tuple[str, ...]] = {
    "orders": ("SELECT", "INSERT"),
    "jobs": ("SELECT", "INSERT", "UPDATE"),
    "job_failures": ("SELECT", "INSERT", "UPDATE"),
    "job_replays": ("SELECT", "INSERT"),
}
# What the replica serves (app/repository.py's role="reader" transactions: list and get orders).
READER_GRANTS: dict[str, tuple[str, ...]] = {"orders": ("SELECT",)}
# A Lambda environment frozen between invocations keeps its replica connection, and with it one of the
# capped slots: a reader session idle this long is closed by the server (PostgreSQL 14+
# idle_session_timeout), so the slot goes to an environment that is reading. The pool's pre-ping notices
# the closed connection at the next checkout and connects again (or falls back to the primary).
READER_IDLE_SESSION_TIMEOUT_MS = 60_000
_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class RoleNameError(ValueError):
    """A role name that is not a plain lowercase PostgreSQL identifier."""


def ident(name: str) -> str:
    """A role name safe to put in DDL (no quoting games: plain lowercase identifiers only)."""
    if not _IDENTIFIER.match(name) or name.startswith(("pg_", "rds")):
        raise RoleNameError(f"role name {name!r} must match {_IDENTIFIER.pattern} and not start with pg_/rds")
    return name


def _role_exists(conn: Connection, name: str) -> bool:
    return conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :n"), {"n": name}).first() is not None


def create_login_role(
    conn: Connection, name: str, *, createrole: bool = False, connection_limit: int | None = None
) -> None:
    """CREATE ROLE .. LOGIN unless it exists; with ``rds_iam`` present, it signs in with IAM tokens only.

    ``connection_limit`` applies to a role created here (an existing role keeps its own)."""
    role = ident(name)
    if not _role_exists(conn, role):
        limit = "" if connection_limit is None else f" CONNECTION LIMIT {_limit(connection_limit)}"
        conn.execute(text(f"CREATE ROLE {role} LOGIN{' CREATEROLE' if createrole else ''}{limit}"))
    if _role_exists(conn, RDS_IAM_ROLE):
        admin = " WITH ADMIN OPTION" if createrole else ""
        conn.execute(text(f"GRANT {RDS_IAM_ROLE} TO {role}{admin}"))


def bootstrap_owner(conn: Connection, owner: str = DEFAULT_OWNER) -> list[str]:
    """Run once per database as the master user: create the owner and hand it the app's existing tables.

    Idempotent. Returns the tables whose ownership moved (a database migrated before the roles existed).
    """
    role = ident(owner)
    create_login_role(conn, role, createrole=True)
    database = conn.execute(text("SELECT current_database()")).scalar_one()
    conn.execute(text(f'GRANT CONNECT ON DATABASE "{database}" TO {role}'))
    # Nobody but the owner creates anything: no objects in public, no temporary tables (which would also
    # pin RDS Proxy sessions).
    conn.execute(text(f'REVOKE TEMPORARY ON DATABASE "{database}" FROM PUBLIC'))
    conn.execute(text("REVOKE CREATE ON SCHEMA public FROM PUBLIC"))
    conn.execute(text(f"GRANT USAGE, CREATE ON SCHEMA public TO {role}"))
    # ALTER .. OWNER needs membership in the new owner (PostgreSQL 16+: CREATEROLE alone is not enough).
    conn.execute(text(f"GRANT {role} TO CURRENT_USER"))
    moved = list(
        conn.execute(
            text(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tableowner = CURRENT_USER "
                "AND tablename = ANY(:names)"
            ),
            {"names": [*APP_GRANTS, "alembic_version"]},
        ).scalars()
    )
    for table in moved:
        conn.execute(text(f'ALTER TABLE public."{table}" OWNER TO {role}'))
    return moved


def grant_app(conn: Connection, app: str, tables: dict[str, tuple[str, ...]] | None = None) -> None:
    """Create the application role (LOGIN, IAM) and grant it exactly ``tables``' privileges (run as owner)."""
    role = ident(app)
    create_login_role(conn, role)
    for table, privileges in (APP_GRANTS if tables is None else tables).items():
        conn.execute(text(f'REVOKE ALL ON public."{table}" FROM {role}'))
        conn.execute(text(f'GRANT {", ".join(privileges)} ON public."{table}" TO {role}'))


def _limit(value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"a connection limit is a whole number >= 0, got {value!r}")
    return value


def grant_reader(conn: Connection, reader: str, tables: dict[str, tuple[str, ...]] | None = None) -> None:
    """Create the replica reader role, closed (CONNECTION LIMIT 0) until :func:`set_reader_limit` opens it."""
    role = ident(reader)
    create_login_role(conn, role, connection_limit=0)
    for table, privileges in (READER_GRANTS if tables is None else tables).items():
        conn.execute(text(f'REVOKE ALL ON public."{table}" FROM {role}'))
        conn.execute(text(f'GRANT {", ".join(privileges)} ON public."{table}" TO {role}'))


def set_reader_limit(conn: Connection, reader: str, limit: int) -> None:
    """The replica's cap of direct app connections (run as the owner, who created the role: PostgreSQL 16+
    lets a CREATEROLE role alter the roles it has ADMIN OPTION on). 0 closes the role."""
    role = ident(reader)
    conn.execute(text(f"ALTER ROLE {role} CONNECTION LIMIT {_limit(limit)}"))
    conn.execute(text(f"ALTER ROLE {role} SET idle_session_timeout = {READER_IDLE_SESSION_TIMEOUT_MS}"))


def reader_limit(conn: Connection, reader: str) -> int | None:
    """The role's CONNECTION LIMIT (-1: none), or None when the role does not exist."""
    return conn.execute(
        text("SELECT rolconnlimit FROM pg_roles WHERE rolname = :n"), {"n": ident(reader)}
    ).scalar_one_or_none()
