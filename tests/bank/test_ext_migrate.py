"""Executable checks for the bank's Flask-Migrate and Alembic autogenerate claims."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy


def _tables(url: str) -> set[str]:
    engine = sa.create_engine(url)
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


# Flask-Migrate 4.1's env.py template tries db.get_engine() first (for Flask-SQLAlchemy < 3) and falls back to
# db.engine; Flask-SQLAlchemy 3.1 answers the first try with this DeprecationWarning.
@pytest.mark.filterwarnings("ignore:'get_engine' is deprecated:DeprecationWarning")
def test_flask_db_migrate_writes_a_script_and_upgrade_applies_it(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'app.db'}"
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    db = SQLAlchemy(app)

    class Note(db.Model):  # type: ignore[name-defined,misc]
        id = sa.Column(sa.Integer, primary_key=True)

    folder = tmp_path / "migrations"
    Migrate(app, db, directory=str(folder))
    runner = app.test_cli_runner()
    assert runner.invoke(args=["db", "init"]).exit_code == 0
    env = folder / "env.py"
    # The generated env.py reconfigures logging from alembic.ini, which would disable the test run's loggers.
    env.write_text(env.read_text().replace("fileConfig(config.config_file_name)", "pass"))

    result = runner.invoke(args=["db", "migrate", "-m", "add notes"])
    assert result.exit_code == 0, result.output
    scripts = list((folder / "versions").glob("*add_notes.py"))
    assert len(scripts) == 1 and "op.create_table('note'" in scripts[0].read_text()
    # `migrate` only generated the script (like makemigrations): the table does not exist yet.
    assert "note" not in _tables(url)

    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert {"note", "alembic_version"} <= _tables(url)


def test_create_all_never_alters_an_existing_table(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'app.db'}"
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("create table user (id integer primary key, fullname varchar)")
    engine.dispose()
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    db = SQLAlchemy(app)

    class User(db.Model):  # type: ignore[name-defined,misc]
        id = sa.Column(sa.Integer, primary_key=True)
        fullname = sa.Column(sa.String)
        email = sa.Column(sa.String)

    with app.app_context():
        db.create_all()
        columns = {c["name"] for c in sa.inspect(db.engine).get_columns("user")}
    assert columns == {"id", "fullname"}


def test_autogenerate_sees_a_rename_as_drop_plus_add(tmp_path: Path) -> None:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'app.db'}")
    with engine.begin() as conn:
        conn.exec_driver_sql("create table user (id integer primary key, fullname varchar)")
    renamed = sa.MetaData()
    sa.Table("user", renamed, sa.Column("id", sa.Integer, primary_key=True), sa.Column("display_name", sa.String))
    try:
        with engine.connect() as conn:
            diffs = compare_metadata(MigrationContext.configure(conn), renamed)
    finally:
        engine.dispose()
    # Column-level changes come as tuples; a nested list holds column modifications (none is a rename).
    column_ops = sorted((d[0], d[3].name) for d in diffs if isinstance(d, tuple))
    assert not any(op[0] == "modify_name" for group in diffs if isinstance(group, list) for op in group)
    assert column_ops == [("add_column", "display_name"), ("remove_column", "fullname")]
