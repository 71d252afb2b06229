import time
import sqlalchemy as sa
from gis_app.db.engine import make_engine


def test_perf(make_db):
    eng = make_engine(make_db("sample"))
    with eng.connect() as c:
        for b in range(3):
            plan = c.execute(sa.text("""
              EXPLAIN (ANALYZE) INSERT INTO site (code, name_zh, kind, availability, geom)
              SELECT 'P-' || :b || g, 'x', 'land', 'unavailable',
                     ST_Multi(ST_Buffer(ST_SetSRID(ST_MakePoint(122.25 + g * 0.00001, 29.95), 4490), 0.0001, 2))
                FROM generate_series(1, 1000) g"""), {"b": b}).scalars().all()
            print("\n".join(p for p in plan if "Trigger" in p or "Execution" in p))
        c.rollback()
    eng.dispose()
