"""Migrations upgrade to head and downgrade to base; models and migrations agree.

Every revision stands alone: its downgrade restores exactly the schema it found (compared as a
catalog snapshot), base → head → base → head ends where the first head did, and no revision
imports the application it ships with or another revision (what it does is frozen into its own
file, see ``gis_app/db/migrations/env.py``).
"""

from __future__ import annotations

import ast
import sys

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from geoalchemy2 import alembic_helpers

from gis_app.db import migrate, provision
from gis_app.db.models import Base
from gis_app.domain import landuse

VERSIONS = migrate.MIGRATIONS_DIR / "versions"
#: what a revision may import: the migration libraries and the standard library, but not
#: importlib (a revision loads no other module by name, e.g. an earlier revision)
ALLOWED_IMPORTS = frozenset({"alembic", "sqlalchemy", "geoalchemy2"}) | (
    frozenset(sys.stdlib_module_names) - {"importlib", "runpy", "imp", "pkgutil"}
)


def _tables(url: str) -> set[str]:
    eng = sa.create_engine(url)
    try:
        with eng.connect() as c:
            return set(sa.inspect(c).get_table_names())
    finally:
        eng.dispose()


#: the schema as the catalog describes it, one query per kind of object; objects that belong to
#: an extension (PostGIS) are left out, OIDs never appear
_OURS = (
    "NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = {cat}::regclass AND d.objid = {oid}"
    " AND d.deptype = 'e')"
)
_CATALOG: dict[str, str] = {
    "relations": "SELECT n.nspname, c.relname, c.relkind, c.relpersistence, c.reloptions::text,"
    # no ACL yet (NULL) and the owner's alone after a grant was revoked are the same rights
    " COALESCE(c.relacl, acldefault((CASE c.relkind WHEN 'S' THEN 's' ELSE 'r' END)::\"char\","
    " c.relowner))::text, obj_description(c.oid, 'pg_class')"
    " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
    " WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')"
    " AND " + _OURS.format(cat="'pg_class'", oid="c.oid"),
    "columns": "SELECT c.relname, a.attnum, a.attname, format_type(a.atttypid, a.atttypmod),"
    " a.attnotnull, a.attidentity, a.attgenerated, pg_get_expr(ad.adbin, ad.adrelid),"
    " col_description(c.oid, a.attnum)"
    " FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid"
    " JOIN pg_namespace n ON n.oid = c.relnamespace"
    " LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum"
    " WHERE n.nspname = 'public' AND a.attnum > 0 AND NOT a.attisdropped"
    " AND " + _OURS.format(cat="'pg_class'", oid="c.oid"),
    "constraints": "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid),"
    " condeferrable, condeferred FROM pg_constraint"
    " WHERE connamespace = 'public'::regnamespace",
    "indexes": "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index i"
    " JOIN pg_class c ON c.oid = i.indrelid WHERE c.relnamespace = 'public'::regnamespace",
    "triggers": "SELECT tgrelid::regclass::text, tgname, pg_get_triggerdef(oid), tgenabled"
    " FROM pg_trigger WHERE NOT tgisinternal",
    "functions": "SELECT p.proname, pg_get_function_identity_arguments(p.oid),"
    " pg_get_functiondef(p.oid), p.proacl::text, obj_description(p.oid, 'pg_proc')"
    " FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace"
    " AND " + _OURS.format(cat="'pg_proc'", oid="p.oid"),
    "types": "SELECT t.typname, t.typtype, format_type(t.typbasetype, t.typtypmod),"
    " (SELECT array_agg(e.enumlabel ORDER BY e.enumsortorder) FROM pg_enum e"
    "   WHERE e.enumtypid = t.oid)::text"
    " FROM pg_type t WHERE t.typnamespace = 'public'::regnamespace AND t.typtype IN ('d', 'e')"
    " AND " + _OURS.format(cat="'pg_type'", oid="t.oid"),
    "views": "SELECT viewname, definition FROM pg_views WHERE schemaname = 'public'"
    " AND " + _OURS.format(cat="'pg_class'", oid="format('%I', viewname)::regclass"),
    "sequences": "SELECT seqrelid::regclass::text, format_type(seqtypid, NULL), seqstart,"
    " seqincrement, seqmax, seqmin, seqcache, seqcycle FROM pg_sequence",
    "policies": "SELECT polrelid::regclass::text, polname, polcmd,"
    " pg_get_expr(polqual, polrelid), pg_get_expr(polwithcheck, polrelid) FROM pg_policy",
    "extensions": "SELECT extname, extversion FROM pg_extension",
    "rules": "SELECT tablename, rulename, definition FROM pg_rules WHERE schemaname = 'public'",
}


def _schema(url: str) -> dict[str, list[tuple]]:
    """The database's schema as sorted catalog rows per kind of object (Alembic's own table,
    created by the first upgrade and kept at base, left out)."""
    eng = sa.create_engine(url)
    try:
        with eng.connect() as c:
            return {
                kind: sorted(
                    (
                        row
                        for row in (tuple(map(str, r)) for r in c.execute(sa.text(q)))
                        if "alembic_version" not in repr(row)
                    ),
                    key=repr,
                )
                for kind, q in _CATALOG.items()
            }
    finally:
        eng.dispose()


def _assert_same_schema(got: dict, want: dict, when: str) -> None:
    for kind in _CATALOG:
        extra = sorted(set(got[kind]) - set(want[kind]))
        missing = sorted(set(want[kind]) - set(got[kind]))
        assert not extra and not missing, f"{when}: {kind} differ: extra {extra}, missing {missing}"
        assert got[kind] == want[kind], f"{when}: {kind} differ in order or duplicates"


def _revisions() -> list[str]:
    """The revisions from the first to head."""
    script = ScriptDirectory.from_config(migrate.alembic_config("postgresql://unused"))
    return [s.revision for s in reversed(list(script.walk_revisions("base", "heads")))]


def test_every_downgrade_restores_the_schema_it_found(make_db) -> None:
    """base → each revision in turn → base, then head again: same schema at every step.

    Each revision's downgrade must leave exactly the schema its upgrade started from (no
    function, trigger, index or column left behind or restored differently), and a database
    migrated down to base and up again must equal the first head.
    """
    url = make_db("none")
    provision.ensure_postgis(url)
    revisions = _revisions()
    assert revisions[-1] == migrate.head_revision()
    seen = {"base": _schema(url)}
    for rev in revisions:
        migrate.upgrade(url, rev)
        seen[rev] = _schema(url)
    for rev, before in zip(reversed(revisions), reversed(["base", *revisions[:-1]]), strict=True):
        migrate.downgrade(url, before)
        _assert_same_schema(_schema(url), seen[before], f"downgrade of {rev} to {before}")
    migrate.upgrade(url)
    _assert_same_schema(_schema(url), seen[revisions[-1]], "base → head → base → head")


def test_upgrade_head_downgrade_base_upgrade_again(make_db) -> None:
    url = make_db("none")
    provision.ensure_postgis(url)
    migrate.upgrade(url)
    assert {
        "site",
        "building",
        "constraint_zone",
        "infrastructure",
        "requirement",
        "recommendation",
        "share_link",
        "history",
    } <= _tables(url)
    migrate.downgrade(url)
    assert _tables(url) - {"spatial_ref_sys", "alembic_version"} == set()
    migrate.upgrade(url)
    eng = sa.create_engine(url)
    with eng.connect() as c:
        assert migrate.current_revision(c) == migrate.head_revision()
        assert c.execute(sa.text("SELECT count(*) FROM land_use_code")).scalar() > 100
    eng.dispose()


def test_models_match_migrations(engine: sa.Engine) -> None:
    with engine.connect() as c:
        ctx = MigrationContext.configure(
            c, opts={"include_object": alembic_helpers.include_object, "compare_type": True}
        )
        diff = compare_metadata(ctx, Base.metadata)
    assert diff == []


def test_0004_expands_the_land_uses_of_existing_requirements(make_db) -> None:
    url = make_db("none")
    provision.ensure_postgis(url)
    migrate.upgrade(url, "0003")
    eng = sa.create_engine(url)
    try:
        with eng.begin() as c:
            ids = [
                c.execute(
                    sa.text(
                        "INSERT INTO requirement (project_name, need, land_use_codes)"
                        " VALUES ('r', 'land', :u) RETURNING id"
                    ),
                    {"u": u},
                ).scalar_one()
                for u in (["M2", "XX9"], ["1001"], ["m2"], [])
            ]
        migrate.upgrade(url, "0004")
        with eng.connect() as c:
            got = {
                r.id: (r.land_use_2023_codes, r.land_use_gb_codes)
                for r in c.execute(
                    sa.text("SELECT id, land_use_2023_codes, land_use_gb_codes FROM requirement")
                )
            }
    finally:
        eng.dispose()
    stated, parent, lower, none = (got[i] for i in ids)
    assert stated == (["100102"], ["M2"])  # a code that is not one is left out
    assert parent == (["1001", "100101", "100102", "100103"], ["M", "M1", "M2", "M3"])
    assert lower == none == ([], [])  # codes are taken exactly as stored


def test_0008_fills_match_units_and_mends_free_text_industries(make_db) -> None:
    url = make_db("none")
    provision.ensure_postgis(url)
    migrate.upgrade(url, "0007")
    eng = sa.create_engine(url)
    try:
        with eng.begin() as c:
            ids = [
                c.execute(
                    sa.text(
                        "INSERT INTO requirement (project_name, need, industry, land_use_codes)"
                        " VALUES (:p, 'land', :i, :u) RETURNING id"
                    ),
                    {"p": p, "i": i, "u": u},
                ).scalar_one()
                for p, i, u in (
                    ("代码", "c26", []),
                    ("代码且已写用地", "26", ["M1"]),
                    ("文字", "化工", []),
                )
            ]
        migrate.upgrade(url, "0008")
        with eng.connect() as c:
            rows = {
                r.id: r
                for r in c.execute(
                    sa.text(
                        "SELECT id, industry, land_use_2023_codes, land_use_gb_codes, notes"
                        " FROM requirement"
                    )
                )
            }
    finally:
        eng.dispose()
    coded, stated, text = (rows[i] for i in ids)
    assert coded.industry == "C26" and {"100102", "100103"} <= set(coded.land_use_2023_codes)
    assert {"M2", "M3"} <= set(coded.land_use_gb_codes)
    # stated land uses win over the industry: the sets the service stored stay as they were
    assert stated.industry == "C26" and stated.land_use_2023_codes == []
    assert text.industry is None and "化工" in text.notes


def test_0009_expands_requirements_written_without_their_land_use_sets(make_db) -> None:
    url = make_db("none")
    provision.ensure_postgis(url)
    migrate.upgrade(url, "0008")
    eng = sa.create_engine(url)
    insert = (
        "INSERT INTO requirement (project_name, need, industry, land_use_codes,"
        " land_use_2023_codes, land_use_gb_codes) VALUES (:p, 'land', :i, :u, :a, :b) RETURNING id"
    )
    rows_in = (
        ("psql 写的代码", None, ["m2"], [], []),
        ("psql 写的行业", "C26", [], [], []),
        ("服务保存的", None, ["M2"], ["100102"], ["M2"]),
        ("不是代码", None, ["XX9"], [], []),
    )
    try:
        with eng.begin() as c:
            ids = [
                c.execute(sa.text(insert), dict(zip("piuab", r, strict=True))).scalar_one()
                for r in rows_in
            ]
        migrate.upgrade(url)
        with eng.connect() as c:
            got = {
                r.id: r
                for r in c.execute(
                    sa.text(
                        "SELECT id, land_use_codes, land_use_2023_codes, land_use_gb_codes"
                        " FROM requirement"
                    )
                )
            }
    finally:
        eng.dispose()
    codes, industry, kept, wrong = (got[i] for i in ids)
    assert codes.land_use_codes == ["M2"]  # normalised as the service would
    assert codes.land_use_2023_codes == ["100102"] and codes.land_use_gb_codes == ["M2"]
    assert {"100102", "100103"} <= set(industry.land_use_2023_codes)
    assert (kept.land_use_2023_codes, kept.land_use_gb_codes) == (["100102"], ["M2"])
    assert wrong.land_use_codes == ["XX9"] and wrong.land_use_2023_codes == []


def _imports(tree: ast.AST) -> list[str]:
    """Every module a revision names: imports, relative imports, ``__import__`` and
    ``import_module`` calls (as ``.`` for relative ones)."""
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            found.append("." * node.level + (node.module or ""))
        elif isinstance(node, ast.Call):
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name in ("__import__", "import_module"):
                found.append(f"{name}(…)")
    return found


def test_revisions_import_nothing_of_the_application() -> None:
    files = sorted(VERSIONS.glob("*.py"))
    assert len(files) == len(_revisions())
    wrong = {
        f.name: bad
        for f in files
        if (
            bad := [
                m
                for m in _imports(ast.parse(f.read_text(encoding="utf-8")))
                if m.split(".")[0] not in ALLOWED_IMPORTS
            ]
        )
    }
    assert wrong == {}, (
        "a revision must stand alone: paste the SQL or data it needs (generated once from "
        "today's code) instead of importing gis_app or another revision (see env.py)"
    )


def test_the_import_rule_sees_every_way_in() -> None:
    code = (
        "import gis_app.domain\nfrom gis_app.matching.sql import install_ddl\n"
        "from . import x\nimport importlib\n"
        "def f():\n    from gis_app.domain import landuse\n"
        "    return importlib.import_module('gis_app.db'), __import__('gis_app')\n"
    )
    bad = [m for m in _imports(ast.parse(code)) if m.split(".")[0] not in ALLOWED_IMPORTS]
    assert sorted(bad) == sorted(
        [
            "gis_app.domain",
            "gis_app.matching.sql",
            ".",
            "importlib",
            "gis_app.domain",
            "import_module(…)",
            "__import__(…)",
        ]
    )


def test_reference_rows_at_head_are_the_vocabulary(engine: sa.Engine) -> None:
    """Revision 0003 froze the land-use rows; a vocabulary change needs a migration."""
    with engine.connect() as c:
        codes = set(
            c.execute(
                sa.text("SELECT system, code, parent, level, name_zh, name_en FROM land_use_code")
            ).all()
        )
        pairs = set(c.execute(sa.text("SELECT code_2023, code_gb50137 FROM land_use_mapping")))
    want = {
        (e.system, e.code, e.parent, e.level, e.zh, e.en)
        for table in (landuse.CLASSIFICATION_2023, landuse.GB50137, landuse.SANDIAO)
        for e in table.values()
    }
    assert codes == want, (
        "the land-use vocabulary changed: ship a migration updating land_use_code (see 0003)"
    )
    assert pairs == set(landuse.MAPPING_2023_GB50137), (
        "the land-use mapping changed: ship a migration updating land_use_mapping (see 0003)"
    )


def test_migrating_a_missing_database_says_so_without_a_traceback(server_url: str) -> None:
    import os
    import subprocess
    import sys

    from sqlalchemy.engine import make_url

    missing = make_url(server_url).set(database="gis_app_no_such_db")
    env = os.environ | {"GIS_APP_DATABASE_URL": missing.render_as_string(hide_password=False)}
    res = subprocess.run(
        [sys.executable, "-m", "cli", "db", "migrate"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert res.returncode == 2
    assert "Traceback" not in res.stderr
    assert 'database "gis_app_no_such_db" does not exist' in res.stderr


def test_an_upgrade_that_rewrites_match_units_leaves_them_vacuumed(make_db) -> None:
    """Revision 0042 rewrites ``match_unit`` (its envelope becomes a box); the matches' index-only
    scans need its visibility map, which the rewrite empties: the upgrade vacuums the table."""
    url = make_db("sample")
    migrate.downgrade(url, "0041")
    eng = sa.create_engine(url)
    try:
        with eng.connect() as c:
            kind = "SELECT format_type(atttypid, atttypmod) FROM pg_attribute"
            kind += " WHERE attrelid = 'match_unit'::regclass AND attname = 'envelope'"
            assert c.execute(sa.text(kind)).scalar_one().startswith("geometry")
            units = c.execute(sa.text("SELECT count(*) FROM match_unit")).scalar_one()
        assert units > 50
        migrate.upgrade(url, "head")
        with eng.connect() as c:
            assert c.execute(sa.text(kind)).scalar_one() == "box"
            visible = c.execute(
                sa.text("SELECT relallvisible FROM pg_class WHERE oid = 'match_unit'::regclass")
            ).scalar_one()
            assert visible > 0
            assert c.execute(sa.text("SELECT count(*) FROM match_unit")).scalar_one() == units
    finally:
        eng.dispose()
