"""Executable checks for the bank's migration claims: Flask-Migrate's CLI, Alembic autogenerate, batch mode, heads."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.migration import MigrationContext
from alembic.operations import Operations
from click.testing import Result
from flask import Flask
from flask.testing import FlaskCliRunner
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy

# Flask-Migrate 4.1's env.py template tries db.get_engine() first (for Flask-SQLAlchemy < 3) and falls back to
# db.engine; Flask-SQLAlchemy 3.1 answers the first try with this DeprecationWarning.
pytestmark = pytest.mark.filterwarnings("ignore:'get_engine' is deprecated:DeprecationWarning")

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class _Project:
    """A Flask app with Flask-Migrate in a temporary folder, driven through `flask db ...` as a user would."""

    def __init__(self, root: Path, db: SQLAlchemy | None = None, **migrate_options: Any) -> None:
        self.url = f"sqlite:///{root / 'app.db'}"
        self.folder = root / "migrations"
        self.app = Flask(__name__)
        self.app.config["SQLALCHEMY_DATABASE_URI"] = self.url
        self.db = db or SQLAlchemy()
        self.db.init_app(self.app)
        self.migrate = Migrate(self.app, self.db, directory=str(self.folder), **migrate_options)
        self.runner: FlaskCliRunner = self.app.test_cli_runner()

    def flask_db(self, *args: str, ok: bool = True) -> Result:
        result = self.runner.invoke(args=["db", *args])
        if ok:
            assert result.exit_code == 0, (args, result.output, result.exception)
        return result

    def init(self) -> None:
        self.flask_db("init")
        env = self.folder / "env.py"
        # The generated env.py reconfigures logging from alembic.ini, which would disable the test run's loggers.
        env.write_text(env.read_text().replace("fileConfig(config.config_file_name)", "pass"))

    def script(self, message: str) -> str:
        (path,) = (self.folder / "versions").glob(f"*_{message}.py")
        return path.read_text()

    def revision(self, rev: str, down: str | tuple[str, ...] | None, upgrade: str, downgrade: str) -> None:
        """Write a hand-made revision file, as a teammate's branch would bring one in."""
        (self.folder / "versions" / f"{rev}.py").write_text(
            "from alembic import op\nimport sqlalchemy as sa\n"
            f"revision = {rev!r}\ndown_revision = {down!r}\nbranch_labels = None\ndepends_on = None\n"
            f"def upgrade():\n    {upgrade}\ndef downgrade():\n    {downgrade}\n"
        )

    def sql(self, statement: str) -> list[Any]:
        engine = sa.create_engine(self.url)
        try:
            with engine.begin() as conn:
                result = conn.exec_driver_sql(statement)
                return list(result) if result.returns_rows else []
        finally:
            engine.dispose()

    def columns(self, table: str) -> dict[str, dict[str, Any]]:
        engine = sa.create_engine(self.url)
        try:
            return {c["name"]: c for c in sa.inspect(engine).get_columns(table)}
        finally:
            engine.dispose()

    def current(self) -> str | None:
        engine = sa.create_engine(self.url)
        try:
            with engine.connect() as conn:
                return MigrationContext.configure(conn).get_current_revision()
        finally:
            engine.dispose()


def _users_v1(db: SQLAlchemy) -> None:
    class User(db.Model):  # type: ignore[name-defined,misc]
        id = sa.Column(sa.Integer, primary_key=True)
        name = sa.Column(sa.String(50))
        legacy = sa.Column(sa.String(50))


def _users_v2(db: SQLAlchemy) -> None:
    class User(db.Model):  # type: ignore[name-defined,misc]
        id = sa.Column(sa.Integer, primary_key=True)
        name = sa.Column(sa.String(100), server_default="anon")  # type widened, server default added
        plan = sa.Column(sa.String(20))  # new column
        # `legacy` removed


def test_autogenerate_sees_types_and_columns_but_not_server_defaults(tmp_path: Path) -> None:
    first = _Project(tmp_path)
    _users_v1(first.db)
    first.init()
    first.flask_db("migrate", "-m", "one")
    first.flask_db("upgrade")

    second = _Project(tmp_path)
    _users_v2(second.db)
    second.flask_db("migrate", "-m", "two")
    script = second.script("two")
    upgrade = script.split("def downgrade")[0]
    assert "add_column(sa.Column('plan'" in upgrade
    assert "drop_column('legacy')" in upgrade
    assert "type_=sa.String(length=100)" in upgrade  # Flask-Migrate passes compare_type=True
    # The new server default is not compared by default, so the script says nothing about it.
    assert "anon" not in script and "server_default" not in upgrade
    # On SQLite, Flask-Migrate renders the changes in batch mode (render_as_batch=True by default).
    assert "with op.batch_alter_table('user', schema=None) as batch_op:" in upgrade
    assert second.migrate.alembic_ctx_kwargs == {"compare_type": True, "render_as_batch": True}

    # Asked for, the comparison happens: Migrate passes extra keyword arguments on to Alembic.
    next((second.folder / "versions").glob("*_two.py")).unlink()
    third = _Project(tmp_path, compare_server_default=True)
    _users_v2(third.db)
    third.flask_db("migrate", "-m", "three")
    assert "server_default='anon'" in third.script("three").split("def downgrade")[0]


def test_sqlite_alter_column_needs_batch_mode_which_copies_the_table() -> None:
    engine = sa.create_engine("sqlite://")
    statements: list[str] = []
    sa.event.listen(engine, "before_cursor_execute", lambda c, cur, s, *a: statements.append(" ".join(s.split())))
    with engine.begin() as conn:
        conn.exec_driver_sql("create table user (id integer primary key, name varchar(50))")
        conn.exec_driver_sql("insert into user (name) values ('ann')")
        op = Operations(MigrationContext.configure(conn))
        with pytest.raises(sa.exc.OperationalError, match="ALTER TABLE user ALTER COLUMN"):
            op.alter_column("user", "name", existing_type=sa.String(50), nullable=False)
        statements.clear()
        with op.batch_alter_table("user") as batch:
            batch.alter_column("name", existing_type=sa.String(50), nullable=False)
        writes = [s for s in statements if not s.startswith(("PRAGMA", "SELECT sql"))]
        assert writes == [
            "CREATE TABLE _alembic_tmp_user ( id INTEGER, name VARCHAR(50) NOT NULL, PRIMARY KEY (id) )",
            "INSERT INTO _alembic_tmp_user (id, name) SELECT user.id, user.name FROM user",
            "DROP TABLE user",
            "ALTER TABLE _alembic_tmp_user RENAME TO user",
        ]
        assert conn.exec_driver_sql("select name from user").all() == [("ann",)]


def test_not_null_column_on_a_filled_table_needs_a_data_migration() -> None:
    engine = sa.create_engine("sqlite://")
    with engine.begin() as conn:
        conn.exec_driver_sql("create table account (id integer primary key, email varchar)")
        conn.exec_driver_sql("insert into account (email) values ('a@x.io'), ('b@x.io')")
        op = Operations(MigrationContext.configure(conn))
        # What autogenerate writes for `plan = sa.Column(sa.String(20), nullable=False)`:
        # SQLite refuses it outright ("Cannot add a NOT NULL column with default value NULL").
        with (
            pytest.raises(sa.exc.OperationalError, match="NOT NULL column with default value NULL"),
            op.batch_alter_table("account") as batch,
        ):
            batch.add_column(sa.Column("plan", sa.String(20), nullable=False))
        # Expand, backfill, then tighten.
        with op.batch_alter_table("account") as batch:
            batch.add_column(sa.Column("plan", sa.String(20), nullable=True))
        account = sa.table("account", sa.column("plan", sa.String))
        op.execute(account.update().values(plan="free"))
        with op.batch_alter_table("account") as batch:
            batch.alter_column("plan", existing_type=sa.String(20), nullable=False)
        assert conn.exec_driver_sql("select plan from account").all() == [("free",), ("free",)]
        (plan,) = [c for c in sa.inspect(conn).get_columns("account") if c["name"] == "plan"]
        assert plan["nullable"] is False


def test_downgrade_goes_back_one_revision_and_restores_the_column_empty(tmp_path: Path) -> None:
    project = _Project(tmp_path)
    project.init()
    project.revision(
        "base1",
        None,
        "op.create_table('user', sa.Column('id', sa.Integer, primary_key=True), sa.Column('notes', sa.String))",
        "op.drop_table('user')",
    )
    project.revision(
        "drop_notes", "base1", "op.drop_column('user', 'notes')", "op.add_column('user', sa.Column('notes', sa.String))"
    )
    project.revision(
        "add_tags", "drop_notes", "op.create_table('tag', sa.Column('id', sa.Integer))", "op.drop_table('tag')"
    )
    project.flask_db("upgrade", "base1")
    project.sql("insert into user (notes) values ('important')")
    project.flask_db("upgrade")
    assert project.current() == "add_tags"
    project.flask_db("downgrade")  # no argument: one step back
    assert project.current() == "drop_notes"
    project.flask_db("downgrade")
    assert project.current() == "base1"
    # The column is back, its data is not: the downgrade recreated an empty column.
    assert "notes" in project.columns("user")
    assert project.sql("select notes from user") == [(None,)]


def test_two_heads_block_upgrade_until_merged(tmp_path: Path) -> None:
    project = _Project(tmp_path)
    project.init()
    project.revision("base1", None, "op.create_table('a', sa.Column('id', sa.Integer))", "op.drop_table('a')")
    # Two branches each added a migration on top of base1.
    project.revision("feat_x", "base1", "op.create_table('x', sa.Column('id', sa.Integer))", "op.drop_table('x')")
    project.revision("feat_y", "base1", "op.create_table('y', sa.Column('id', sa.Integer))", "op.drop_table('y')")
    result = project.flask_db("upgrade", ok=False)
    assert result.exit_code == 1
    assert project.current() is None  # nothing was applied, not even base1
    # Going back to the shared parent does not help: the two heads are in the scripts, not in the database.
    project.flask_db("upgrade", "base1")
    assert project.current() == "base1"
    assert project.flask_db("upgrade", ok=False).exit_code == 1
    assert project.current() == "base1"
    project.flask_db("merge", "heads", "-m", "merge_xy")
    merge = project.script("merge_xy")
    assert "down_revision = ('feat_x', 'feat_y')" in merge or "down_revision = ('feat_y', 'feat_x')" in merge
    project.flask_db("upgrade")
    engine = sa.create_engine(project.url)
    try:
        assert {"a", "x", "y"} <= set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_two_heads_error_message(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    project = _Project(tmp_path)
    project.init()
    project.revision("base1", None, "pass", "pass")
    project.revision("feat_x", "base1", "pass", "pass")
    project.revision("feat_y", "base1", "pass", "pass")
    with caplog.at_level("ERROR", logger="flask_migrate"):
        project.flask_db("upgrade", ok=False)
    assert "Multiple head revisions are present" in caplog.text
    # Naming the target `heads` applies both branches, and leaves the history forked.
    project.flask_db("upgrade", "heads")
    engine = sa.create_engine(project.url)
    try:
        with engine.connect() as conn:
            assert set(MigrationContext.configure(conn).get_current_heads()) == {"feat_x", "feat_y"}
    finally:
        engine.dispose()


def test_naming_convention_names_constraints_for_later_migrations(tmp_path: Path) -> None:
    named = SQLAlchemy(metadata=sa.MetaData(naming_convention=NAMING))
    plain = SQLAlchemy()
    for db in (named, plain):

        class Customer(db.Model):  # type: ignore[name-defined,misc]
            id = sa.Column(sa.Integer, primary_key=True)
            email = sa.Column(sa.String, unique=True)

    (uq_named,) = [c for c in named.metadata.tables["customer"].constraints if isinstance(c, sa.UniqueConstraint)]
    (uq_plain,) = [c for c in plain.metadata.tables["customer"].constraints if isinstance(c, sa.UniqueConstraint)]
    assert uq_named.name == "uq_customer_email"
    assert uq_plain.name is None

    # Autogenerate accepts the unnamed constraint too; it just has no name to refer to later.
    unnamed = _Project(tmp_path / "plain", db=plain)
    unnamed.init()
    unnamed.flask_db("migrate", "-m", "customers")
    assert "sa.UniqueConstraint('email')" in unnamed.script("customers")

    project = _Project(tmp_path, db=named)
    project.init()
    project.flask_db("migrate", "-m", "customers")
    assert "sa.UniqueConstraint('email', name=op.f('uq_customer_email'))" in project.script("customers")
    project.flask_db("upgrade")
    # A later migration can address the constraint by that name, even on SQLite in batch mode.
    engine = sa.create_engine(project.url)
    try:
        with engine.begin() as conn:
            op = Operations(MigrationContext.configure(conn))
            with op.batch_alter_table("customer") as batch:
                batch.drop_constraint("uq_customer_email", type_="unique")
            assert sa.inspect(conn).get_unique_constraints("customer") == []
            with pytest.raises(ValueError, match="Constraint must have a name"), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                with op.batch_alter_table("customer") as batch:
                    batch.drop_constraint(None, type_="unique")  # type: ignore[arg-type]
    finally:
        engine.dispose()


def test_upgrade_twice_is_a_no_op_and_old_code_survives_an_expand_step(tmp_path: Path) -> None:
    project = _Project(tmp_path)
    project.init()
    project.revision(
        "base1", None, "op.create_table('user', sa.Column('id', sa.Integer, primary_key=True))", "op.drop_table('user')"
    )
    project.revision(
        "expand", "base1", "op.add_column('user', sa.Column('nickname', sa.String, nullable=True))", "pass"
    )
    project.flask_db("upgrade")
    project.flask_db("upgrade")  # a second deploy step, or a second instance running it: nothing left to do
    assert project.current() == "expand"
    # The previous release's code does not know `nickname`; its INSERT still works after the expand step.
    project.sql("insert into user (id) values (1)")
    project.revision(
        "contract", "expand", "op.add_column('user', sa.Column('plan', sa.String, nullable=False))", "pass"
    )
    result = project.flask_db("upgrade", ok=False)
    assert result.exit_code != 0  # NOT NULL without a default on a filled table: not backwards compatible
    assert project.current() == "expand"
