"""The search form's parameters (gis_app.domain.filters.SEARCH_PARAMETERS) are exactly the
filters of GET /api/sites and of SiteFilter, each labelled in both languages."""

from __future__ import annotations

import dataclasses
import inspect

from api.deps import site_filter
from gis_app.db.site_queries import SiteFilter
from gis_app.domain import filters


def test_every_api_filter_is_a_search_parameter_and_back() -> None:
    api = set(inspect.signature(site_filter).parameters)
    form = {p.name for p in filters.SEARCH_PARAMETERS}
    assert api == form
    fields = {f.name for f in dataclasses.fields(SiteFilter)} - {"include_retired"}
    assert fields == form
    assert len(form) == len(filters.SEARCH_PARAMETERS)  # no parameter twice


def test_each_parameter_has_labels_a_control_and_a_section() -> None:
    for p in filters.SEARCH_PARAMETERS:
        assert p.zh and p.en and p.zh != p.en, p
        assert p.control in filters.CONTROLS and p.section in filters.SEARCH_SECTIONS, p
        assert (p.control == "choices") == (p.vocabulary is not None), p
    explicit = {p.name for p in filters.EXPLICIT_PARAMETERS}
    assert not explicit & {f.parameter for f in filters.REGISTRY_FILTERS}
