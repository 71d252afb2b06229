"""Investor-requirement matching in PostGIS: criteria, SQL, scores and explanations.

* :mod:`.spec` — the requirement as the officer states it (validated input).
* :mod:`gis_app.domain.match_criteria` — the registry: every criterion declared once with its
  labels, SQL parts (hard constraints: predicate, margin for near misses; soft scores: SQL
  score 0–1, default weight), explanation formatter and public wording; :mod:`.criteria` is
  the matcher's view of it.
* :mod:`.sql` — the SQL rendered from the criteria for each source (base tables, match units,
  listed rows): the hard predicate shared by the matcher and the database functions/triggers
  that keep reverse matches and raise alerts, the match query (indexed candidate filter, then
  scoring, in one statement, assembled from named clauses) and the explanation query.
* :mod:`.explain` — bilingual explanations of the returned rows (top N only).
* :mod:`.engine` — run a match on a connection.
"""
