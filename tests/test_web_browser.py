"""The web app and the HTML report in a real headless Chromium (one browser for the module).

What a reader does, checked the way a reader would see it: every page loads without a
JavaScript error; the loop graph shows every party of the bundled history; moving the as-of
control redraws the loops table to exactly what ``audit --as-of D --json`` says; clicking a
party opens its page; the journal filters; the report file works with networking off; and the
store's bytes are the same after the whole session. Screenshots (1440×900) of every page are
written to a temporary folder whose path is printed (``pytest -s``) for a person to look at.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from ledger.faces.output import billions
from tests.conftest import EXAMPLE, run_cli
from tests.support.browser import chromium, console_errors, served, wait_for

pytestmark = pytest.mark.slow

PAGES = {
    "loop": "/",
    "parties": "/parties",
    "party-openai": "/party/openai",
    "events": "/events",
    "metrics": "/metrics",
    "warrants": "/warrants",
    "verify": "/verify",
}


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("web") / "loopledger.db"
    ran = run_cli("--store", str(path), "replay", str(EXAMPLE))
    assert ran.code == 0, ran.err
    return path


@pytest.fixture(scope="module")
def bytes_before(store) -> str:
    return digest(store)


@pytest.fixture(scope="module")
def server(store, bytes_before):
    with served(store) as url:
        yield url
    assert digest(store) == bytes_before, "serve changed the store's bytes"


@pytest.fixture(scope="module")
def browser():
    with chromium() as driver:
        yield driver


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("screenshots")
    print(f"\nscreenshots in {folder}")
    return folder


def parties_of_history(store: Path) -> set[str]:
    import ledger

    with ledger.open(str(store), read_only=True) as book:
        return set(book.run().book.parties) - {"world"}


def audit_json(store: Path, *args: str) -> dict:
    ran = run_cli("--store", str(store), "audit", *args, "--json")
    assert ran.code == 0, ran.err
    return json.loads(ran.out)


def open_page(driver, url: str) -> None:
    driver.get(url)
    wait_for(
        lambda: driver.execute_script("return document.body.getAttribute('data-ready')") == "true",
        what=f"{url} to be ready",
    )


def loops_table(driver) -> list[tuple[str, list[str], str, str]]:
    return [
        (row["layer"], row["path"].split(">"), row["bottleneck"], row["shown"])
        for row in driver.execute_script(
            """return Array.from(document.querySelectorAll('#loops-table tbody tr[data-path]')).map(
                 r => ({layer: r.dataset.layer, path: r.dataset.path, bottleneck: r.dataset.bottleneck,
                        shown: r.querySelector('td.r .num').textContent}))"""
        )
    ]


def expected_loops(audit: dict) -> list[tuple[str, list[str], str, str]]:
    return [
        (c["layer"], c["path"], c["bottleneck"], billions(Decimal(c["bottleneck"])))
        for c in audit["cycles"]
    ]


def move_as_of(driver, day: str) -> None:
    """Move the slider to ``day`` as a user would (keyboard on the focused range input)."""
    from selenium.webdriver.common.keys import Keys

    dates = driver.execute_script(
        "return JSON.parse(document.getElementById('ll-loop').textContent).dates"
    )
    slider = driver.find_element("id", "asof-range")
    current = int(slider.get_attribute("value"))
    target = dates.index(day)
    key = Keys.ARROW_RIGHT if target > current else Keys.ARROW_LEFT
    slider.send_keys(*([key] * abs(target - current)))
    # A key press fires input at once; change fires when the control's value settles: blur it.
    driver.execute_script("arguments[0].blur()", slider)
    driver.execute_script(
        "arguments[0].dispatchEvent(new Event('change', {bubbles: true}))", slider
    )
    wait_for(
        lambda: (
            driver.execute_script(
                "return document.getElementById('loops-table').getAttribute('data-as-of')"
            )
            == day
        ),
        what=f"the loops table as of {day}",
    )


def test_every_page_loads_without_a_console_error(server, browser, shots):
    console_errors(browser)
    for name, path in PAGES.items():
        open_page(browser, server + path)
        assert console_errors(browser) == [], name
        assert browser.execute_script("return document.getElementById('page-error').hidden")
        browser.save_screenshot(str(shots / f"{name}.png"))
    size = browser.execute_script("return [window.innerWidth, window.innerHeight]")
    assert size == [1440, 900]


def test_the_graph_shows_every_party_and_toggles_layers(server, browser, store):
    # At the end of 2025 all four layers are drawn (the NVIDIA letter of intent, a non-binding
    # promise, is cancelled in 2026); every party is on the graph at any date.
    open_page(browser, server + "/?as_of=2025-12-31")
    shown = browser.execute_script("return window.loopledgerLoop.cy.nodes().map(n => n.id())")
    assert set(shown) == parties_of_history(store) and len(shown) == len(set(shown)) == 23
    layers = browser.execute_script(
        "return Array.from(new Set(window.loopledgerLoop.cy.edges().map(e => e.data('row').layer)))"
    )
    assert set(layers) == {"cash", "binding", "non_binding", "equity"}
    styles = browser.execute_script(
        """const cy = window.loopledgerLoop.cy; const out = {};
           for (const l of ['cash', 'binding', 'non_binding', 'equity']) {
             const e = cy.edges('.' + l)[0];
             out[l] = [e.style('line-style'), String(e.style('line-dash-pattern')), String(e.style('line-outline-width')), e.style('line-color')];
           } return out"""
    )
    assert len({tuple(v) for v in styles.values()}) == 4, styles  # four distinct line styles
    browser.find_element("css selector", "#layer-toggles input[value=cash]").click()
    hidden = browser.execute_script(
        "return window.loopledgerLoop.cy.edges('.cash').every(e => e.style('display') === 'none')"
        " && window.loopledgerLoop.cy.edges('.equity').every(e => e.style('display') !== 'none')"
    )
    assert hidden


def test_as_of_control_redraws_the_loops_table_as_audit_json_says(server, browser, store):
    open_page(browser, server + "/")
    before = browser.execute_script(
        "return window.loopledgerLoop.cy.nodes().map(n => [n.id(), n.position('x'), n.position('y')])"
    )
    latest = audit_json(store)
    assert loops_table(browser) == expected_loops(latest)
    for day in ("2025-09-30", "2025-10-05", "2025-06-30"):
        move_as_of(browser, day)
        expected = expected_loops(audit_json(store, "--as-of", day))
        assert loops_table(browser) == expected, day
        after = browser.execute_script(
            "return window.loopledgerLoop.cy.nodes().map(n => [n.id(), n.position('x'), n.position('y')])"
        )
        assert after == before, "node positions moved with the date"
    assert expected_loops(audit_json(store, "--as-of", "2025-06-30")) != expected_loops(latest)
    assert browser.current_url.endswith("?as_of=2025-06-30")
    assert console_errors(browser) == []


def test_clicking_a_party_opens_its_page(server, browser):
    from selenium.webdriver.common.action_chains import ActionChains

    open_page(browser, server + "/")
    graph = browser.find_element("id", "graph")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", graph)
    x, y, width, height = browser.execute_script(
        """const p = window.loopledgerLoop.cy.getElementById('openai').renderedPosition();
           const r = document.getElementById('graph').getBoundingClientRect();
           return [p.x, p.y, r.width, r.height]"""
    )
    ActionChains(browser).move_to_element_with_offset(
        graph, int(x - width / 2), int(y - height / 2)
    ).click().perform()
    wait_for(lambda: "/party/openai" in browser.current_url, what="the party page")
    wait_for(lambda: browser.execute_script("return document.body.dataset.ready") == "true")
    assert browser.find_element("tag name", "h1").text.startswith("OpenAI")
    assert console_errors(browser) == []


def test_the_events_page_filters(server, browser, store):
    from selenium.webdriver.support.ui import Select

    ran = run_cli("--store", str(store), "events", "--json")
    events = json.loads(ran.out)["events"]
    open_page(browser, server + "/events")

    def visible() -> list[dict]:
        return browser.execute_script(
            """return Array.from(document.querySelectorAll('tr.event-row')).filter(r => !r.hidden)
                 .map(r => ({id: r.dataset.id, type: r.dataset.type, parties: r.dataset.parties}))"""
        )

    assert len(visible()) == len(events) == 148
    Select(browser.find_element("id", "f-type")).select_by_value("commitment")
    commitments = [e["id"] for e in events if e["type"] == "commitment"]
    assert [r["id"] for r in visible()] == commitments
    Select(browser.find_element("id", "f-party")).select_by_value("amd")
    shown = visible()
    assert shown and all(r["type"] == "commitment" and " amd " in r["parties"] for r in shown)
    assert len(shown) < len(commitments)
    browser.find_element("id", "f-reset").click()
    wait_for(lambda: len(visible()) == 148, what="the filters to clear")
    browser.find_element("id", "f-text").send_keys("warrant")
    wait_for(lambda: 0 < len(visible()) < 148, what="the text search")
    assert browser.find_element("id", "event-count").text.startswith("Showing ")


def test_serve_refuses_writes_and_the_store_is_unchanged(server, store, bytes_before):
    import urllib.error
    import urllib.request

    for method in ("POST", "PUT", "DELETE", "PATCH"):
        for path in ("/", "/api/loop", "/events", "/nope", "/static/loopledger.js"):
            request = urllib.request.Request(server + path, data=b"x=1", method=method)
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(request, timeout=10)
            assert refused.value.code == 405, (method, path)
            assert refused.value.headers["Allow"] == "GET, HEAD"
    assert digest(store) == bytes_before


# --- the one-file report ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def report_file(store, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("report") / "report.html"
    ran = run_cli("--store", str(store), "report", "--format", "html", "--out", str(out))
    assert ran.code == 0, ran.err
    alone = tmp_path_factory.mktemp("alone") / "report.html"
    shutil.copy(out, alone)  # nothing beside it: the file must be enough
    return alone


def test_the_report_file_works_offline(report_file, browser, store, shots):
    browser.execute_cdp_cmd("Network.enable", {})
    browser.execute_cdp_cmd(
        "Network.emulateNetworkConditions",
        {"offline": True, "latency": 0, "downloadThroughput": 0, "uploadThroughput": 0},
    )
    try:
        console_errors(browser)
        open_page(browser, report_file.as_uri())
        assert console_errors(browser) == []
        browser.save_screenshot(str(shots / "report.png"))
        fetched = browser.execute_script(
            "return performance.getEntriesByType('resource').map(e => e.name)"
        )
        assert [u for u in fetched if not u.startswith(("file:", "data:"))] == []
        shown = browser.execute_script("return window.loopledgerLoop.cy.nodes().map(n => n.id())")
        assert set(shown) == parties_of_history(store)
        assert loops_table(browser) == expected_loops(audit_json(store))
        move_as_of(browser, "2025-06-30")
        assert loops_table(browser) == expected_loops(audit_json(store, "--as-of", "2025-06-30"))
        browser.execute_script("window.loopledgerLoop.cy.getElementById('amd').emit('tap')")
        wait_for(lambda: browser.current_url.endswith("#party-amd"), what="the party anchor")
        browser.save_screenshot(str(shots / "report-party.png"))
    finally:
        browser.execute_cdp_cmd(
            "Network.emulateNetworkConditions",
            {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
        )


def test_the_report_shows_the_json_outputs_figures(report_file, browser, store):
    open_page(browser, report_file.as_uri())
    metrics = json.loads(run_cli("--store", str(store), "metrics", "--by", "quarter", "--json").out)
    expected = {
        (point["as_of"], f["metric"], str(f["subject"])): f["value"]
        for point in metrics["series"]
        for f in point["figures"]
    }
    cells = browser.execute_script(
        """return Array.from(document.querySelectorAll('table.metric-table td[data-as-of]')).map(td => {
             const n = td.querySelector('.num');
             return [td.dataset.asOf, td.closest('table').dataset.metric,
                     td.closest('tr').dataset.subject, n ? n.dataset.exact : null];
           })"""
    )
    assert len(expected) > 100
    shown = {(day, metric, subject): exact for day, metric, subject, exact in cells}
    assert set(expected) <= set(shown)
    for key, exact in shown.items():
        assert exact == expected.get(key), key  # no figure that quarter: shown as —
    for rule in ("pro-rata", "fifo", "lifo"):
        trips = {r["party"]: r for r in audit_json(store, "--rule", rule)["round_trips"]}
        rows = browser.execute_script(
            f"""return Array.from(document.querySelectorAll('section[id^=party-] tr[data-rule="{rule}"]'))
                 .map(r => [r.closest('section[id^=party-]').id.slice(6),
                            Array.from(r.querySelectorAll('.num')).map(n => n.dataset.exact)])"""
        )
        assert len(rows) == len(parties_of_history(store)) == 23
        for party, exacts in rows:
            trip = trips.get(party)
            if trip is None:
                assert exacts == []
            else:
                assert exacts == [
                    v for v in (trip["departed"], trip["returned"], trip["share"]) if v is not None
                ]
    value = json.loads(run_cli("--store", str(store), "value", "--json").out)
    worth = {(h["party"], h["instrument"]): h["value"] for h in value["holdings"]}
    holdings = browser.execute_script(
        """return Array.from(document.querySelectorAll('section[id^=party-] table.holdings tbody tr')).map(r =>
             [r.closest('section[id^=party-]').id.slice(6), r.querySelector('td .small').textContent,
              r.querySelectorAll('td')[3].querySelector('.num') ? r.querySelectorAll('td')[3].querySelector('.num').dataset.exact : null])"""
    )
    assert len(holdings) == len(worth)
    for party, instrument, exact in holdings:
        assert exact == worth[(party, instrument)], (party, instrument)
    verify = json.loads(run_cli("--store", str(store), "verify", "--json").out)
    checks = browser.execute_script(
        "return Array.from(document.querySelectorAll('table.checks tr[data-check]')).map(r => [r.dataset.check, r.dataset.ok])"
    )
    assert checks == [[c["name"], "true" if c["ok"] else "false"] for c in verify["checks"]]
    # Every rounded amount shown is the documented rounding of its exact value.
    shown = browser.execute_script(
        "return Array.from(document.querySelectorAll('.num')).map(n => [n.textContent, n.dataset.exact])"
    )
    billions_shown = [(text, exact) for text, exact in shown if text.endswith("B")]
    assert len(billions_shown) > 200
    for text, exact in billions_shown:
        assert text == billions(Decimal(exact)), (text, exact)


def test_the_page_rounds_exactly_as_python_does(report_file, browser):
    open_page(browser, report_file.as_uri())
    values = [
        "0",
        "5000000000",
        "26150000000",
        "26250000000",
        "-13027680133.552",
        "49999999.99",
        "50000000",
        "150000000",
        "1234567890123.5",
        "0.00000001",
    ]
    got = browser.execute_script(
        "return arguments[0].map(v => window.loopledger.billions(v))", values
    )
    assert got == [billions(Decimal(v)) for v in values]
