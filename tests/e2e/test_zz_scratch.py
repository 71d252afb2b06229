from e2e_helpers import open_page


def test_scratch(browser, live_app):
    w = open_page(browser, live_app, "/")
    page = w.page
    bad = []
    page.on("response", lambda r: bad.append((r.status, r.url)) if r.status >= 400 else None)
    page.reload()
    page.wait_for_timeout(5000)
    print("bad", bad)
    page.screenshot(path="/tmp/map.png")
    print("errors", w.errors)
    print("state", page.evaluate("document.body.getAttribute('data-gis-state')"), page.evaluate("window.gisApp && JSON.stringify(window.gisApp.busy)"))
    print("drawn", page.inner_text("#gis-drawn-count"), page.inner_text("#gis-list-status"))
    print([u for u in w.requests if not u.startswith(live_app.base_url)])
    print(len(w.requests), page.url)
