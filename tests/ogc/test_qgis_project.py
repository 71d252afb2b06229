"""QGIS as a planner: headless QGIS opens the project stored in PostgreSQL with a planner's own
login and finds every layer valid, with Chinese aliases, value maps and the web map's colours —
and, row security (revision 0035), a Putuo planner's layers hold Putuo's sites and buildings
only (zones and district outlines are everyone's).
"""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from pathlib import Path

import sqlalchemy as sa
from needs import need
from sqlalchemy.engine import make_url
from writers import PUTUO

from gis_app.db.engine import make_engine
from gis_app.services import accounts, db_logins, qgis
from maps.style import AVAILABILITY_COLOURS

PYTHON = "/usr/bin/python3"


def test_qgis_opens_the_stored_project_as_a_planner(make_db, admin_engine: sa.Engine) -> None:
    check = subprocess.run([PYTHON, "-c", "import qgis.core"], capture_output=True, text=True)
    need(check.returncode == 0, f"python3-qgis is not installed: {check.stderr.strip()[-300:]}")
    url = make_db("sample")
    name = f"pl-{uuid.uuid4().hex[:6]}"
    eng = make_engine(url)
    try:
        with eng.connect() as c:
            assert qgis.publish(c, AVAILABILITY_COLOURS) == qgis.PROJECT_NAME
            accounts.create_user(c, name, "planner-password-1", ["planner"], district_code=PUTUO)
            c.commit()
            login = db_logins.create_db_login(c, name)
            groups = list(db_logins.db_logins.group_names(c).values())
            own = f"site_id IN (SELECT id FROM site WHERE district_code = '{PUTUO}')"
            counts = {
                t: c.execute(sa.text(f"SELECT count(*) FROM {t} WHERE {where}")).scalar_one()
                for t, where in (
                    ("site", f"district_code = '{PUTUO}'"),
                    ("building", own),
                    ("constraint_zone", "true"),
                    ("jurisdiction", "true"),
                )
            }
            everything = c.execute(sa.text("SELECT count(*) FROM site")).scalar_one()
            assert 0 < counts["site"] < everything
            qml = c.execute(
                sa.text(
                    "SELECT styleqml::text FROM layer_styles"
                    " WHERE f_table_name = 'site' AND useasdefault"
                )
            ).scalar_one()
        u = make_url(url)
        runtime = Path("/tmp/runtime-qgis-tests")
        runtime.mkdir(mode=0o700, exist_ok=True)
        proc = subprocess.run(
            [
                PYTHON,
                str(Path(__file__).with_name("qgis_project_probe.py")),
                f"postgresql://{u.host}:{u.port}?sslmode=disable&dbname={u.database}"
                f"&schema=public&project={qgis.PROJECT_NAME}",
            ],
            capture_output=True,
            text=True,
            env=os.environ
            | {
                "QT_QPA_PLATFORM": "offscreen",
                "XDG_RUNTIME_DIR": str(runtime),
                "PGUSER": name,
                "PGPASSWORD": login.password,
            },
            timeout=300,
        )
    finally:
        eng.dispose()
        with admin_engine.connect() as c:
            c.execute(sa.text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
            for role in (name, *groups):
                c.execute(sa.text(f'DROP ROLE IF EXISTS "{role}"'))
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["read"]
    layers = result["layers"]
    assert {lid.removesuffix("_gis_app") for lid in layers} == set(counts)
    for lid, info in layers.items():
        table = lid.removesuffix("_gis_app")
        assert info["valid"], info
        assert info["count"] == counts[table]
    site = layers["site_gis_app"]
    assert site["aliases"]["availability"] == "招商状态"
    assert site["aliases"]["legacy_use"] == "用地分类（GB 50137）"
    assert site["renderer"] == "categorizedSymbol"
    assert site["categories"] == {k: v.lower() for k, v in AVAILABILITY_COLOURS.items()}
    assert site["widgets"]["availability"] == "ValueMap"
    assert site["editable"]  # the planner's login may edit the layer
    assert layers["building_gis_app"]["aliases"]["occupancy"] == "使用状态"
    assert layers["constraint_zone_gis_app"]["aliases"]["kind"] == "管控类型"
    # the default style QGIS applies to a layer added from the browser carries the same
    for key, colour in AVAILABILITY_COLOURS.items():
        h = colour.lstrip("#")
        rgb = f"{int(h[0:2], 16)},{int(h[2:4], 16)},{int(h[4:6], 16)}"
        assert f'value="{key}"' in qml and rgb in qml
