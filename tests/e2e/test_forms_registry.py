"""Every form and button of every page is submitted in Chromium by a named test (issue 18).

The inventory is read from the templates (api/templates/*.html) and from the forms the pages'
scripts write (maps/static/js/*.js): each ``<form>`` (by id, else by action) and each
``<button>`` that is not the plain submit button of a listed form (by id, else by class and
data-action). Each must be named in :data:`BROWSER_TESTED` with the test(s) that submit it in
Chromium and check the database, or in :data:`OWNED_ELSEWHERE` with the reason. A new form or
button without a browser test fails this test; so does a registry entry whose test is gone.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "api" / "templates"
SCRIPTS = ROOT / "maps" / "static" / "js"
PAGES = ROOT / "api" / "routers" / "pages.py"

_REQ = "tests/e2e/test_forms_requirements.py"
_PAGES = "tests/e2e/test_forms_pages.py"
_FLOW = "tests/e2e/test_requirement_workflow.py"
_MAP = "tests/e2e/test_map_page.py"
_STATUS = "tests/edits/test_status_form_browser.py"
_DASH = "tests/e2e/test_dashboard.py"
_ADMIN = "tests/e2e/test_admin_users.py"
_FILES = "tests/e2e/test_site_files_browser.py"
_FILES_TEST = "test_planner_uploads_publishes_and_the_investor_sees_only_public"
_LEDGER = "tests/e2e/test_project_ledger.py"
_RECORD = "test_officer_records_a_project_and_enters_a_month"
_ACTIVITIES = "tests/e2e/test_activities_page.py"
_LOGGED = "test_officer_logs_removes_and_leader_sets_the_minimum"

#: form or button → the Chromium tests that submit or click it and check the database
_RESULTS = "tests/e2e/test_map_results.py"
_SEARCH = "tests/e2e/test_map_search.py"
_IMPORTS = "tests/e2e/test_import_page.py::test_import_page_shows_progress_report_and_cancels"
BROWSER_TESTED: dict[str, tuple[str, ...]] = {
    # drawing a search area on the map
    **{
        f"map.html button#gis-{tool}": (
            f"{_SEARCH}::test_draw_polygon_circle_line_and_a_named_place",
        )
        for tool in ("draw-polygon", "draw-circle", "draw-line", "clear-area", "pick-centre")
    },
    # the planners' import page
    "imports.html form#gis-import-form": (_IMPORTS,),
    "imports.html button#gis-import-cancel": (_IMPORTS,),
    # the map's result tools and the comparison page
    "_result_tools.html button[data-export-format]": (
        f"{_RESULTS}::test_export_the_current_search_from_the_map",
    ),
    "_result_tools.html form#gis-save-form": (
        f"{_RESULTS}::test_save_a_search_and_see_the_alert_when_plain_sql_brings_a_site_in",
    ),
    "_result_tools.html button#gis-save-search": (
        f"{_RESULTS}::test_save_a_search_and_see_the_alert_when_plain_sql_brings_a_site_in",
    ),
    "compare.html button.gis-no-print": (
        f"{_RESULTS}::test_compare_three_sites_ticked_in_list_popup_and_sheet",
    ),
    # login
    "login.html form[action=/login]": (
        f"{_PAGES}::test_login_form_refuses_a_wrong_password_then_lands_on_the_map",
        f"{_PAGES}::test_login_form_goes_back_to_the_page_asked_for",
    ),
    # every officer page's top bar
    "_gis_macros.html form[action=/logout]": (f"{_PAGES}::test_logout_button_ends_the_session",),
    # the map
    "map.html form#gis-filters": (f"{_PAGES}::test_map_filter_apply_and_reset",),
    "map.html button#gis-reset": (f"{_PAGES}::test_map_filter_apply_and_reset",),
    "map.html button#gis-lang": (f"{_MAP}::test_language_switch",),  # switches language only
    # referrals between districts (issue 26, item 3)
    "requirement.html form#gis-refer-form": (
        "tests/e2e/test_referral_browser.py::test_refer_to_dinghai_match_there_and_see_the_outcome",
    ),
    "requirement.html form#gis-referral-match-form": (
        "tests/e2e/test_referral_browser.py::test_refer_to_dinghai_match_there_and_see_the_outcome",
    ),
    "requirement.html form#gis-referral-answer-form": (
        "tests/e2e/test_referral_browser.py::test_refer_to_dinghai_match_there_and_see_the_outcome",
    ),
    "requirement.html button.gis-referral-close": (
        "tests/e2e/test_referral_browser.py::test_refer_to_dinghai_match_there_and_see_the_outcome",
    ),
    # the requirements list (the form is the macro of _requirement_form.html, mode create)
    "_requirement_form.html form#gis-req-form": (
        f"{_REQ}::test_create_form_stores_every_kind_of_input",
        f"{_REQ}::test_change_form_saves_every_field_and_keeps_the_others",
        f"{_REQ}::test_two_officers_change_one_requirement_the_second_is_told",
        f"{_FLOW}::test_record_match_recommend_and_open_the_link",
    ),
    "_requirement_form.html button#gis-req-save": (
        f"{_REQ}::test_create_form_stores_every_kind_of_input",
        f"{_REQ}::test_change_form_saves_every_field_and_keeps_the_others",
    ),
    "requirements.html form#gis-req-filters": (
        f"{_REQ}::test_filters_form_lists_what_the_database_holds",
    ),
    "requirements.html button.gis-alert-seen": (
        f"{_REQ}::test_alert_seen_button_marks_the_alert_seen",
        f"{_FLOW}::test_record_match_recommend_and_open_the_link",
    ),
    # a requirement's page
    "_requirement_live.html form#gis-status-form": (
        f"{_REQ}::test_status_form_moves_and_a_stale_page_is_told",
        f"{_FLOW}::test_record_match_recommend_and_open_the_link",
    ),
    "requirement.html form#gis-match-options": (
        f"{_REQ}::test_match_options_form_rematches_with_the_margin_and_length",
    ),
    "requirement.html form#gis-recommend-form": (
        f"{_REQ}::test_recommend_form_creates_the_recommendation_and_link_then_copy",
        f"{_FLOW}::test_record_match_recommend_and_open_the_link",
    ),
    "requirement.html button#gis-recommend-save": (
        f"{_REQ}::test_recommend_form_creates_the_recommendation_and_link_then_copy",
    ),
    "requirement.html button#gis-link-copy": (
        f"{_REQ}::test_recommend_form_creates_the_recommendation_and_link_then_copy",
    ),
    "_requirement_live.html button.gis-link-action[data-action]": (
        f"{_FLOW}::test_record_match_recommend_and_open_the_link",  # extend, then revoke
    ),
    # the site sheet: its actions and the planner's status form
    "site_sheet.html button#gis-start-match": (
        f"{_MAP}::test_site_sheet_shows_history_and_constraint_overlaps",
    ),
    "site_sheet.html button#gis-add-recommendation": (
        f"{_MAP}::test_site_sheet_shows_history_and_constraint_overlaps",
    ),
    "sheet.js form#gis-link-form": (
        f"{_MAP}::test_site_sheet_shows_history_and_constraint_overlaps",
    ),
    "site_edit_form.html form#gis-status-form": (
        f"{_STATUS}::test_planner_changes_status_through_the_form",
        f"{_PAGES}::test_site_status_form_two_planners_the_second_is_told_and_reloads",
    ),
    "site_edit_form.html button#gis-status-save": (
        f"{_STATUS}::test_planner_changes_status_through_the_form",
        f"{_PAGES}::test_site_status_form_two_planners_the_second_is_told_and_reloads",
    ),
    "site_edit_form.html button#gis-status-reload": (
        f"{_PAGES}::test_site_status_form_two_planners_the_second_is_told_and_reloads",
    ),
    # the site sheet's photos, documents and brochure contact (issue 21)
    "site_files.html form#gis-files-form": (f"{_FILES}::{_FILES_TEST}",),
    "site_files.html button#gis-files-upload": (f"{_FILES}::{_FILES_TEST}",),
    "site_files.html form#gis-contact-form": (f"{_FILES}::{_FILES_TEST}",),
    "site_files.html button#gis-contact-save": (f"{_FILES}::{_FILES_TEST}",),
    # the dashboard
    "dashboard.html button#ctl-funnel-apply": (
        f"{_PAGES}::test_dashboard_funnel_apply_counts_the_officers_requirements",
        f"{_DASH}::test_dashboard_funnel_per_officer_in_english",
    ),
    # a requirement's live parts: the investors' answers marked read
    "_requirement_live.html button#gis-answers-read": (
        "tests/e2e/test_requirement_live.py::"
        "test_link_refreshes_status_and_list_then_an_answer_shows_as_a_badge",
    ),
    # the users page (admins)
    "admin_users.html form#gis-user-create": (
        f"{_ADMIN}::test_admin_creates_a_user_who_then_logs_in",
        f"{_ADMIN}::test_admin_sets_home_districts_by_name",
    ),
    "admin_users.html button.gis-user-roles": (
        f"{_ADMIN}::test_admin_sets_roles_but_not_away_their_own",
    ),
    "admin_users.html button.gis-user-toggle": (
        f"{_ADMIN}::test_admin_disables_a_user_whose_login_is_then_refused",
    ),
    "admin_users.html button.gis-user-reset": (f"{_ADMIN}::test_admin_resets_a_password",),
    "admin_users.html button.gis-user-district": (
        f"{_ADMIN}::test_admin_sets_home_districts_by_name",
    ),
    "admin_users.html button.gis-token-revoke": (
        f"{_ADMIN}::test_admin_sees_tokens_and_revokes_one",
    ),
    # the project ledger (issue 27)
    "projects.html form#gis-project-filters": (f"{_LEDGER}::{_RECORD}",),
    "projects.html form#gis-new-project": (f"{_LEDGER}::{_RECORD}",),
    "projects.html form#gis-import-months": (f"{_LEDGER}::test_import_form_all_or_nothing",),
    "project.html form#gis-milestone-form": (f"{_LEDGER}::{_RECORD}",),
    "project.html form#gis-site-form": (f"{_LEDGER}::{_RECORD}",),
    "project.html form#gis-month-form": (f"{_LEDGER}::{_RECORD}",),
    "report.html form#gis-report-period": (f"{_LEDGER}::{_RECORD}",),
    "report.html form#gis-set-target": (f"{_ACTIVITIES}::test_leader_sets_a_target_on_the_report",),
    **{
        f"activities.html {form}": (f"{_ACTIVITIES}::{_LOGGED}",)
        for form in (
            "form#gis-activity-year",
            "form#gis-log-activity",
            "form#gis-set-minimum",
            "form[action=/activities/{{ a.id }}/delete?lang={{ lang }}]",
        )
    },
}

#: forms and buttons another engineer owns, with where they are tested
OWNED_ELSEWHERE: dict[str, str] = {
    "compare.html button#gis-print": (
        "opens the browser's print dialog (window.print), which headless Chromium does not "
        "show; the printed layout is checked by emulating print media in "
        "tests/e2e/test_map_results.py::test_compare_three_sites_ticked_in_list_popup_and_sheet"
    ),
    "investor.html form[action=/r/{{ token }}/feedback]": (
        "the investor page's answer forms (owned with /r/; tests/investor/*browser*.py)"
    ),
    "investor.html button.inv-btn": "the investor page's print button (owned with /r/)",
}


class _Tags(HTMLParser):
    """Collects form and button start tags with their attributes, and the enclosing form."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, dict[str, str], str | None]] = []
        self._form: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._form = _form_key(a)
            self.found.append(("form", a, None))
        elif tag == "button":
            self.found.append(("button", a, self._form))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None


def _form_key(a: dict[str, str]) -> str:
    if a.get("id"):
        return f"form#{a['id']}"
    return f"form[action={a.get('action', '')}]"


def _button_keys(a: dict[str, str], form: str | None, page: str = "") -> list[str]:
    ident = a.get("id", "")
    if "{{" in ident and page == "site_sheet.html":
        # the sheet's actions: ids come from the page's list of actions
        return [f"button#{i}" for i in re.findall(r'_Action\(\s*"([^"]+)"', PAGES.read_text())]
    if "{{" in ident:  # ids made in a loop: keyed by their data- attribute or class below
        ident = ""
    if ident:
        return [f"button#{ident}"]
    if a.get("type", "submit") == "submit" and form is not None:
        return []  # the plain submit button of a listed form
    if a.get("class"):
        extra = "[data-action]" if "data-action" in a else ""
        return [f"button.{a['class'].split()[-1]}{extra}"]
    data = [k for k in a if k.startswith("data-")]
    return [f"button[{data[0]}]"] if data else ["button"]


def inventory() -> set[str]:
    """Every form and button of the pages, as registry keys."""
    keys: set[str] = set()
    sources = [(p.name, p.read_text(encoding="utf-8")) for p in sorted(TEMPLATES.glob("*.html"))]
    for js in sorted(SCRIPTS.glob("*.js")):
        # forms a script writes into the page as HTML strings
        markup = "".join(re.findall(r"'(<form[^']*)'", js.read_text(encoding="utf-8")))
        if markup:
            sources.append((js.name, markup))
    for name, text in sources:
        parser = _Tags()
        parser.feed(text)
        for tag, attrs, form in parser.found:
            found = [_form_key(attrs)] if tag == "form" else _button_keys(attrs, form, name)
            keys.update(f"{name} {k}" for k in found)
    return keys


def test_every_form_and_button_is_browser_tested() -> None:
    found = inventory()
    registered = set(BROWSER_TESTED) | set(OWNED_ELSEWHERE)
    missing = sorted(found - registered)
    assert not missing, (
        "forms/buttons without a Chromium test (submit them as their user would, check the "
        "database, and name the test in BROWSER_TESTED): " + ", ".join(missing)
    )
    stale = sorted(registered - found)
    assert not stale, "registry entries that no page has any more: " + ", ".join(stale)


def test_every_named_test_exists() -> None:
    problems = []
    for key, tests in BROWSER_TESTED.items():
        assert tests, key
        for ref in tests:
            path, _, name = ref.partition("::")
            source = (ROOT / path).read_text(encoding="utf-8")
            if not re.search(rf"^def {re.escape(name)}\(", source, re.M):
                problems.append(f"{key}: {ref} does not exist")
    assert not problems, "\n".join(problems)


def test_the_inventory_sees_the_forms_it_should() -> None:
    """A guard on the parser itself: known forms and buttons are found."""
    found = inventory()
    for key in (
        "login.html form[action=/login]",
        "requirement.html form#gis-recommend-form",
        "site_sheet.html button#gis-start-match",
        "sheet.js form#gis-link-form",
        "requirements.html button.gis-alert-seen",
    ):
        assert key in found, sorted(found)
