"""Block and township names in English on the English officers' map (issue 20, item 6): the
filter offers the English names (from ``block_en``/``township_en``) and still filters by the
stored Chinese name."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from e2e_helpers import LiveApp, open_page, wait_idle


def test_english_map_names_blocks_and_townships_in_english(live_app: LiveApp, browser: Any) -> None:
    with live_app.engine.connect() as c:
        names = dict(
            c.execute(
                sa.text("SELECT DISTINCT block, block_en FROM site WHERE block_en IS NOT NULL")
            )
            .tuples()
            .all()
        )
        towns = dict(
            c.execute(
                sa.text(
                    "SELECT DISTINCT township, township_en FROM site WHERE township_en IS NOT NULL"
                )
            )
            .tuples()
            .all()
        )
    assert names["白莲区块"] == "Bailian Block" and towns["六横镇"] == "Liuheng Town"
    w = open_page(browser, live_app, "/map?lang=en")
    page = w.page
    wait_idle(page)
    for select, table in (("#f-block", names), ("#f-township", towns)):
        options = page.eval_on_selector_all(
            f"{select} option", "os => os.filter(o => o.value).map(o => [o.value, o.textContent])"
        )
        assert options and all(text == table[value] for value, text in options), options
    # choosing the English name filters by the stored (Chinese) one
    page.select_option("#f-block", label="Bailian Block")
    assert page.input_value("#f-block") == "白莲区块"
    # the Chinese page keeps the Chinese names
    page.goto(f"{live_app.base_url}/map?lang=zh")
    wait_idle(page)
    assert page.eval_on_selector("#f-block option[value='白莲区块']", "o => o.textContent") == (
        "白莲区块"
    )
    assert w.errors == []
