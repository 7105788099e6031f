"""A real browser for the page tests: headless Chromium under selenium, with no network beyond
this machine (every host name resolves to nothing; the service is on 127.0.0.1, which needs no
resolving), downloads into a folder of the test's, and the page's requests logged."""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any, Iterator

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")

try:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait
except ImportError:  # pragma: no cover
    webdriver = None
    By = Select = WebDriverWait = None

needs_browser = pytest.mark.skipif(
    webdriver is None or not CHROMIUM or not DRIVER,
    reason="needs chromium and chromium-driver (apt-get install -y chromium chromium-driver) and selenium",
)

__all__ = ["By", "Select", "WebDriverWait", "chrome", "needs_browser", "upload"]


def chrome(downloads: Path) -> Iterator[Any]:
    """A headless Chromium that saves downloads in `downloads`; quits when the caller is done."""
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1", "--disable-background-networking",
                "--disable-component-update"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    options.add_experimental_option("prefs", {"download.default_directory": str(downloads),
                                              "download.prompt_for_download": False})
    driver = webdriver.Chrome(service=Service(executable_path=DRIVER), options=options)
    driver.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    try:
        yield driver
    finally:
        driver.quit()


def upload(browser: Any, url: str, application: Path, period: str) -> None:
    """As an officer does: open the page, choose the file and the period, compute, and wait
    until the page shows the total."""
    browser.get(url + "/")
    browser.find_element(By.ID, "file").send_keys(str(application))
    Select(browser.find_element(By.ID, "period")).select_by_value(period)
    browser.find_element(By.ID, "submit").click()
    WebDriverWait(browser, 30).until(lambda d: d.find_element(By.ID, "total").text.strip())
