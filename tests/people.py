"""People of a test database: users of the sample's two districts and its city, each with
their own PostgreSQL login (as QGIS connects), for the tests of districts and row security."""

from __future__ import annotations

import uuid

import psycopg2
import psycopg2.extensions
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from writers import CITY, DINGHAI, PUTUO

from gis_app.db.db_logins import libpq_url
from gis_app.services import accounts, db_logins


class People:
    """A copy of the sample with users of both districts and the city, each with a login."""

    def __init__(self, url: str, engine: sa.Engine) -> None:
        self.url, self.engine = url, engine
        tag = uuid.uuid4().hex[:6]
        self.names = {
            "putuo_planner": (f"pp-{tag}", ["planner"], PUTUO),
            "dinghai_officer": (f"do-{tag}", ["officer"], DINGHAI),
            "city_leader": (f"cl-{tag}", ["leader"], CITY),
            "admin": (f"ad-{tag}", ["admin"], PUTUO),
        }
        self.passwords: dict[str, str] = {}
        with engine.connect() as c:
            for name, roles, district in self.names.values():
                accounts.create_user(c, name, "people-password-1", roles, district_code=district)
            c.commit()
            for name, roles, _ in self.names.values():
                if roles != ["leader"]:  # a leader has no database login (no layer group)
                    self.passwords[name] = db_logins.create_db_login(c, name).password
            c.commit()

    def name(self, who: str) -> str:
        return self.names[who][0]

    def connect(self, who: str) -> psycopg2.extensions.connection:
        """A psycopg2 connection as ``who``'s own login (as QGIS connects)."""
        name = self.name(who)
        dsn = make_url(self.url).set(username=name, password=self.passwords[name])
        return psycopg2.connect(libpq_url(dsn.render_as_string(hide_password=False)))
