"""The status page in a real browser: Debian's headless Chromium, driven by
chromedriver through Selenium, against the Socket Mode page server
(waitress) on a local port. It checks what a client sees (the text, the
chart image drawn), the phone layout, that no request leaves the server,
and that a revoked link shows nothing.

Without Chromium and chromedriver the test skips, saying so, unless
REQUIRE_BROWSER=1 (`.ci/run` sets it and installs them), where it fails."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest

from bot.web.standalone import PageServer
from tests.support.client_story import COSTS, INTERNAL_RISK, SECRETS, SHARED_RISK, client_project
from tests.support.helpers import ok

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--hide-scrollbars")
PHONE = {"width": 375, "height": 812, "deviceScaleFactor": 2, "mobile": True}
SCREENSHOT = os.environ.get("PM_BOT_SCREENSHOT", "")  # write the README's screenshot here, when set


def _browser_or_skip():
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not Path(p).exists()]
    if missing:
        reason = f"no {' or '.join(missing)} (apt-get install -y chromium chromium-driver)"
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(f"browser test required (REQUIRE_BROWSER=1) but {reason}", pytrace=False)
        pytest.skip(reason)


@pytest.fixture
def browser(tmp_path):
    _browser_or_skip()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path / 'profile'}")
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def site(sqlite_engine, now):
    run = client_project(sqlite_engine, now)
    server = PageServer(sqlite_engine, host="127.0.0.1", port=0, clock=lambda: now).start()
    try:
        yield run, f"http://127.0.0.1:{server.port}"
    finally:
        server.close()


def requested_urls(driver) -> list[str]:
    """Every network URL the browser asked for since the last call (Chrome's
    network log; its own chrome:// pages, such as the first blank tab, aside)."""
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            url = message["params"]["request"]["url"]
            if not url.startswith(("chrome://", "chrome-untrusted://", "chrome-extension://")):
                urls.append(url)
    return urls


def outside(urls: list[str], base: str) -> list[str]:
    return [u for u in urls if not u.startswith(base + "/")]


def path_of(reply_text: str) -> str:
    return re.search(r"https://pm\.example\.com(/p/[A-Za-z0-9_-]{43})", reply_text).group(1)


def test_a_client_opens_the_page_in_a_browser_and_sees_the_truth_and_nothing_internal(browser, site, tmp_path):
    from selenium.webdriver.common.by import By

    run, base = site
    path = path_of(ok(run('share for 30d "Acme board"')))
    status = ok(run("status"))
    browser.set_window_size(1000, 900)
    requested_urls(browser)  # forget the browser's own start-up
    browser.get(base + path)
    text = browser.find_element(By.TAG_NAME, "body").text
    assert browser.title == "Website relaunch: project status"
    for expected in ("Website relaunch", "Red", "1 critical risk open", "56% of estimated hours · 7 of 13 tasks done",
                     "Wed 31 Mar 2027 (124 days left)", "Design approved", SHARED_RISK, "Next steps", "Decisions needed"):
        assert expected in text, expected
    assert "56% of estimated hours · 7 of 13 tasks done" in status  # the same numbers as /project status
    assert [word for word in SECRETS + COSTS + (INTERNAL_RISK,) if word in browser.page_source] == []
    chart = browser.find_element(By.CSS_SELECTOR, "figure img")
    assert chart.get_attribute("alt").startswith("Burn-up chart of Website relaunch")
    assert browser.execute_script("return arguments[0].complete && arguments[0].naturalWidth", chart) == 800
    assert [h.text for h in browser.find_elements(By.TAG_NAME, "h2")][:2] == ["Health", "Progress"]
    urls = requested_urls(browser)
    assert {u.split("?")[0] for u in urls} >= {base + path, base + path + "/burnup.png", base + "/p/style.css"}
    assert outside(urls, base) == []  # nothing from anywhere else

    # a phone: one column, nothing wider than the screen
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", PHONE)
    browser.get(base + path)
    widths = browser.execute_script(
        "return [document.documentElement.scrollWidth, window.innerWidth,"
        " document.querySelector('figure img').getBoundingClientRect().width,"
        " getComputedStyle(document.querySelector('.facts')).gridTemplateColumns.split(' ').length]")
    assert widths[0] <= widths[1] == PHONE["width"] and widths[2] <= PHONE["width"] and widths[3] == 1
    png = browser.get_screenshot_as_png()
    assert png.startswith(b"\x89PNG")
    browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})

    if SCREENSHOT:  # the README's picture, from this very page
        browser.set_window_size(900, 900)
        browser.get(base + path)
        height = browser.execute_script("return document.documentElement.scrollHeight")
        browser.set_window_size(900, height + 120)
        browser.get(base + path)
        Path(SCREENSHOT).write_bytes(browser.get_screenshot_as_png())


def test_a_revoked_link_shows_nothing_in_the_browser(browser, site):
    from selenium.webdriver.common.by import By

    run, base = site
    path = path_of(ok(run("share")))
    ok(run("share revoke S1"))
    requested_urls(browser)
    browser.get(base + path)
    text = browser.find_element(By.TAG_NAME, "body").text
    assert "This link does not work" in text and "Website relaunch" not in browser.page_source
    assert browser.find_elements(By.TAG_NAME, "img") == []
    assert outside(requested_urls(browser), base) == []
