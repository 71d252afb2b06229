from e2e_helpers import open_page


def test_dbg(browser, live_app):
    w = open_page(browser, live_app, "/sites/6")
    page = w.page
    page.wait_for_timeout(1000)
    page.click("#gis-start-match")
    page.wait_for_timeout(2000)
    print("RESULT", page.inner_text("#gis-action-result"), w.errors, page.evaluate("document.getElementById('gis-start-match').tagName"))
