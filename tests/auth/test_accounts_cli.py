"""`gis-app user …`, `gis-app token …` and the first admin created by `gis-app setup`."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from cli.main import main


@pytest.fixture
def db_env(make_db, monkeypatch):
    url = make_db("empty")
    monkeypatch.setenv("GIS_APP_DATABASE_URL", url)
    monkeypatch.delenv("GIS_APP_ADMIN_PASSWORD", raising=False)
    eng = sa.create_engine(url)
    yield eng
    eng.dispose()


def test_setup_creates_one_admin_with_random_password(db_env, capsys) -> None:
    assert main(["setup", "--no-sample"]) == 0
    out = capsys.readouterr().out
    pw = re.search(r"password: (\S+)", out).group(1)
    assert len(pw) >= 16
    assert main(["setup", "--no-sample"]) == 0
    assert "created user" not in capsys.readouterr().out
    with db_env.connect() as c:
        rows = c.execute(sa.text("SELECT username, roles, password_hash FROM app_user")).all()
    assert [(r.username, r.roles) for r in rows] == [("admin", ["admin"])]
    assert rows[0].password_hash.startswith("$argon2") and pw not in rows[0].password_hash


def test_setup_takes_admin_password_from_setting(db_env, monkeypatch, capsys) -> None:
    monkeypatch.setenv("GIS_APP_ADMIN_PASSWORD", "from-the-setting-1")
    assert main(["setup", "--no-sample"]) == 0
    assert "from-the-setting-1" not in capsys.readouterr().out
    from gis_app.services import accounts
    from gis_app.settings import SecuritySettings

    with db_env.begin() as c:
        ident = accounts.authenticate(c, "admin", "from-the-setting-1", "t", SecuritySettings())
    assert ident.roles == frozenset({"admin"})


def test_user_and_token_commands(db_env, capsys) -> None:
    assert (
        main(["user", "create", "Wang.Li", "--roles", "officer", "--password", "long-password-9"])
        == 0
    )
    assert main(["user", "set-role", "wang.li", "--roles", "officer,planner"]) == 0
    assert main(["user", "list"]) == 0
    assert re.search(r"wang\.li\s+officer,planner\s+active", capsys.readouterr().out)
    assert main(["user", "create", "xu", "--roles", "chef", "--password", "long-password-9"]) == 2
    assert "unknown role value 'chef'" in capsys.readouterr().err
    assert main(["user", "create", "wang.li", "--password", "long-password-9"]) == 2
    assert "already exists" in capsys.readouterr().err
    assert main(["user", "reset-password", "wang.li"]) == 0
    assert "new password" in capsys.readouterr().out
    assert main(["user", "disable", "wang.li"]) == 0
    with db_env.connect() as c:
        assert c.execute(sa.text("SELECT disabled FROM app_user")).scalar_one() is True
    assert main(["token", "create", "wang.li", "--name", "etl"]) == 0
    tid = re.search(r"token (\d+)", capsys.readouterr().out).group(1)
    assert main(["token", "revoke", "--token-id", tid]) == 0
    assert main(["token", "list"]) == 0
    assert "revoked" in capsys.readouterr().out


def test_setup_with_the_sample_records_its_example_requirements_once(db_env, capsys) -> None:
    assert main(["setup"]) == 0
    assert "recorded 2 example requirements for admin" in capsys.readouterr().out
    assert main(["setup"]) == 0
    assert "example requirements" not in capsys.readouterr().out
    with db_env.connect() as c:
        rows = c.execute(
            sa.text("SELECT project_name, officer, created_by FROM requirement ORDER BY id")
        ).all()
        sites = c.execute(sa.text("SELECT count(*) FROM site")).scalar()
    assert [r.officer for r in rows] == ["admin", "admin"] and sites == 77
    assert all(r.project_name.endswith("（示例）") for r in rows)
    # the QGIS project and the layers' styles are in the database for QGIS users
    with db_env.connect() as c:
        assert c.execute(sa.text("SELECT count(*) FROM qgis_projects")).scalar() == 1
        assert c.execute(sa.text("SELECT count(*) FROM layer_styles")).scalar() > 0


def test_setup_on_a_fresh_database_loads_the_districts_before_the_first_admin(
    make_db, monkeypatch, capsys
) -> None:
    """The README's first command on a new machine: nothing in the database yet (no district,
    no user). The sample's districts come first, so the admin has a home district."""
    url = make_db("none")
    monkeypatch.setenv("GIS_APP_DATABASE_URL", url)
    monkeypatch.delenv("GIS_APP_ADMIN_PASSWORD", raising=False)
    assert main(["setup"]) == 0
    out = capsys.readouterr().out
    assert "created user 'admin'" in out and "recorded 2 example requirements" in out
    eng = sa.create_engine(url)
    try:
        with eng.connect() as c:
            admin = c.execute(
                sa.text("SELECT district_code FROM app_user WHERE username = 'admin'")
            ).scalar_one()
            assert admin == c.execute(sa.text("SELECT gis_app_home_district()")).scalar_one()
            assert c.execute(sa.text("SELECT count(*) FROM site")).scalar_one() == 77
    finally:
        eng.dispose()


def test_setup_without_the_sample_on_a_fresh_database_says_what_to_load(
    make_db, monkeypatch, capsys
) -> None:
    url = make_db("none")
    monkeypatch.setenv("GIS_APP_DATABASE_URL", url)
    assert main(["setup", "--no-sample"]) == 0
    out = capsys.readouterr().out
    assert "no district is configured yet, so no admin was created" in out
    assert "gis-app load-sample --path" in out
    eng = sa.create_engine(url)
    try:
        with eng.connect() as c:
            assert c.execute(sa.text("SELECT count(*) FROM app_user")).scalar_one() == 0
    finally:
        eng.dispose()


def test_user_grant_revoke_and_scope_commands(db_env, capsys) -> None:
    from writers import CITY, DINGHAI, PUTUO

    create = ["user", "create", "zhou", "--roles", "planner", "--district", DINGHAI]
    assert main([*create, "--password", "long-password-9"]) == 0
    capsys.readouterr()
    assert main(["user", "grant", "zhou", "--district", CITY, "--roles", "leader"]) == 0
    out = capsys.readouterr().out
    assert f"zhou: leader in {CITY} granted" in out
    assert f"zhou: reads {CITY},{DINGHAI},{PUTUO}; writes {DINGHAI}" in out
    assert main(["user", "grant", "zhou", "--district", CITY, "--roles", "leader"]) == 0
    assert "unchanged" in capsys.readouterr().out
    # a bad grant names what is wrong and changes nothing
    assert main(["user", "grant", "zhou", "--district", "999999", "--roles", "officer"]) == 2
    assert "no district '999999'" in capsys.readouterr().err
    assert main(["user", "grant", "zhou", "--roles", "officer"]) == 2
    assert "--district" in capsys.readouterr().err
    assert main(["user", "revoke", "zhou", "--district", CITY, "--roles", "leader"]) == 0
    assert main(["user", "scope", "zhou"]) == 0
    assert capsys.readouterr().out.endswith(f"zhou: reads {DINGHAI}; writes {DINGHAI}\n")
