"""Investor-requirement matching in PostGIS: criteria, SQL, scores and explanations.

* :mod:`.spec` — the requirement as the officer states it (validated input).
* :mod:`.criteria` — every criterion once: hard constraints (SQL predicate, margin for near
  misses) and soft scores (SQL score 0–1, default weight).
* :mod:`.sql` — the SQL built from the criteria: the hard predicate shared by the matcher and
  the database functions/triggers that keep reverse matches and raise alerts, and the match
  query (indexed candidate filter, then scoring, in one statement).
* :mod:`.explain` — bilingual explanations of the returned rows (top N only).
* :mod:`.engine` — run a match on a connection.
"""
