"""Least privilege on a real PostgreSQL: the app role writes orders and can create, alter or drop nothing;
the owner migrates. The roles are those the session fixture made the way a deploy does (bootstrap as the
master, migrations as the owner); every other app test already runs as the app role."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from app.migrate import head_revision, upgrade
from app.roles import APP_GRANTS, DEFAULT_READER, READER_IDLE_SESSION_TIMEOUT_MS, RoleNameError, ident
from tests.app.conftest import ROLE_APP, ROLE_OWNER, as_role

pytestmark = [pytest.mark.functional, pytest.mark.usefixtures("clean_db")]

REFUSED = [
    "CREATE TABLE evil (id int)",
    "CREATE TEMPORARY TABLE evil (id int)",
    "CREATE SCHEMA evil",
    "CREATE INDEX evil ON orders (currency)",
    "ALTER TABLE orders ADD COLUMN evil int",
    "ALTER TABLE orders DROP CONSTRAINT ck_orders_total_nonnegative",
    "DROP TABLE orders",
    "DROP TABLE alembic_version",
    "TRUNCATE orders",
    "DELETE FROM orders",
    "UPDATE orders SET total = 0",
    "SELECT * FROM alembic_version",
    "CREATE ROLE evil",
    "CREATE FUNCTION evil() RETURNS int LANGUAGE sql AS 'SELECT 1'",
    "SELECT * FROM other_schema.secrets",
]


@pytest.fixture(scope="module")
def other_schema(pg_url: str) -> Iterator[None]:
    """A schema the app has no business in (another team's tables in the same database)."""
    admin = sa.create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text("CREATE SCHEMA IF NOT EXISTS other_schema"))
        conn.execute(sa.text("CREATE TABLE IF NOT EXISTS other_schema.secrets (v text)"))
    yield
    with admin.connect() as conn:
        conn.execute(sa.text("DROP SCHEMA other_schema CASCADE"))
    admin.dispose()


def run_as(url: str, role: str, statement: str) -> None:
    engine = sa.create_engine(as_role(url, role))
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(statement))
    finally:
        engine.dispose()


def test_app_role_writes_and_reads_orders(stack: dict, make_order) -> None:
    run_as(
        stack["pg_url"],
        ROLE_APP,
        "INSERT INTO orders (id, idempotency_key, request_hash, customer_id, items, total, currency) "
        "VALUES (gen_random_uuid(), 'roles-1', 'h', 'c', '[]', 1, 'EUR')",
    )
    engine = sa.create_engine(as_role(stack["pg_url"], ROLE_APP))
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM orders")).scalar_one() == 1
    engine.dispose()


@pytest.mark.parametrize("statement", REFUSED)
def test_app_role_cannot_create_alter_drop_or_reach_other_schemas(
    stack: dict, other_schema: None, statement: str
) -> None:
    with pytest.raises(sa.exc.ProgrammingError) as refused:
        run_as(stack["pg_url"], ROLE_APP, statement)
    assert refused.value.orig.sqlstate == "42501", statement  # insufficient_privilege


def test_app_role_has_exactly_the_documented_grants(pg_url: str) -> None:
    admin = sa.create_engine(pg_url)
    with admin.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT table_name, privilege_type FROM information_schema.role_table_grants "
                "WHERE grantee = :r ORDER BY 1, 2"
            ),
            {"r": ROLE_APP},
        ).all()
        owners = dict(conn.execute(sa.text("SELECT tablename, tableowner FROM pg_tables WHERE schemaname='public'")).all())
    admin.dispose()
    granted: dict[str, set[str]] = {}
    for table, privilege in rows:
        granted.setdefault(table, set()).add(privilege)
    assert granted == {table: set(privileges) for table, privileges in APP_GRANTS.items()}
    assert set(owners.values()) == {ROLE_OWNER}, owners  # the owner owns every table, alembic_version too


def test_owner_can_migrate_and_the_app_role_cannot(stack: dict) -> None:
    owner_url = as_role(stack["pg_url"], ROLE_OWNER)
    assert upgrade(owner_url, app_username=ROLE_APP) == {
        "before": head_revision(), "after": head_revision(), "reader_connection_limit": 0
    }
    with pytest.raises(sa.exc.ProgrammingError, match="permission denied"):
        upgrade(as_role(stack["pg_url"], ROLE_APP), app_username=ROLE_APP)


def test_reader_role_is_closed_until_the_migrate_step_caps_it_and_then_only_reads_orders(stack: dict) -> None:
    """The replica reader (app/roles.py): CONNECTION LIMIT 0 until a migrate run sets the data layer's cap."""
    owner_url = as_role(stack["pg_url"], ROLE_OWNER)
    with pytest.raises(sa.exc.OperationalError, match="too many connections for role"):
        run_as(stack["pg_url"], DEFAULT_READER, "SELECT 1")
    assert upgrade(owner_url, app_username=ROLE_APP, reader_connection_limit=1)["reader_connection_limit"] == 1
    try:
        run_as(stack["pg_url"], DEFAULT_READER, "SELECT count(*) FROM orders")
        for statement in ("SELECT * FROM jobs", "INSERT INTO orders (id) VALUES (gen_random_uuid())",
                          "CREATE TABLE evil (id int)"):
            with pytest.raises(sa.exc.ProgrammingError) as refused:
                run_as(stack["pg_url"], DEFAULT_READER, statement)
            assert refused.value.orig.sqlstate == "42501", statement
        admin = sa.create_engine(stack["pg_url"])
        with admin.connect() as conn:
            settings = conn.execute(sa.text(
                "SELECT s.setconfig FROM pg_db_role_setting s JOIN pg_roles r ON r.oid = s.setrole "
                "WHERE r.rolname = :r"), {"r": DEFAULT_READER}).scalar_one()
        admin.dispose()
        assert f"idle_session_timeout={READER_IDLE_SESSION_TIMEOUT_MS}" in settings
    finally:
        assert upgrade(owner_url, app_username=ROLE_APP, reader_connection_limit=0)["reader_connection_limit"] == 0


def test_the_migrate_function_caps_the_reader_with_the_data_layers_value(
    stack: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SSM ``reader_connection_limit`` (written by the data layer) -> the migrate function -> the role."""
    from app import config as app_config
    from app.handlers import migrate
    from app.local import FakeContext

    database = app_config.DatabaseSettings(host="proxy.invalid", port=5432, name="app", username=ROLE_OWNER,
                                           app_username=ROLE_APP, reader_username=DEFAULT_READER,
                                           reader_connection_limit=7)
    config = app_config.AppConfig(env="dev", api=app_config.ApiSettings(), cache=app_config.CacheSettings(),
                                  database=database, database_url=as_role(stack["pg_url"], ROLE_OWNER))
    monkeypatch.setattr(app_config, "get_config", lambda: config)
    try:
        result = migrate.lambda_handler({}, FakeContext(function_name="migrate"))
        assert result["status"] == "ok" and result["reader_connection_limit"] == 7
    finally:
        upgrade(as_role(stack["pg_url"], ROLE_OWNER), app_username=ROLE_APP, reader_connection_limit=0)


def test_role_names_are_plain_identifiers() -> None:
    assert ident("app_user") == "app_user"
    for bad in ("app user", 'x"; DROP TABLE orders; --', "rds_iam", "pg_monitor", "App"):
        with pytest.raises(RoleNameError):
            ident(bad)


def test_both_roles_sign_in_with_iam_and_only_the_owner_manages_roles(pg_url: str) -> None:
    """On RDS, membership in rds_iam is what lets a role sign in with an IAM token (and refuses it a
    password); the owner holds it WITH ADMIN OPTION so that its migrations can pass it to the app role."""
    admin = sa.create_engine(pg_url)
    with admin.connect() as conn:
        attrs = dict(conn.execute(
            sa.text("SELECT rolname, rolcreaterole FROM pg_roles WHERE rolname IN (:o, :a)"), {"o": ROLE_OWNER, "a": ROLE_APP}
        ).all())
        iam = dict(conn.execute(sa.text(
            "SELECT m.rolname, am.admin_option FROM pg_auth_members am JOIN pg_roles r ON r.oid = am.roleid "
            "JOIN pg_roles m ON m.oid = am.member WHERE r.rolname = 'rds_iam'"
        )).all())
    admin.dispose()
    assert attrs == {ROLE_OWNER: True, ROLE_APP: False}
    assert iam[ROLE_OWNER] is True and iam[ROLE_APP] is False
