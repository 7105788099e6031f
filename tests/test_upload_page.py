"""The upload page in a real headless browser (Debian's chromium through chromium-driver):
upload the example file, see the total and the rates warning, download the result CSV."""
from __future__ import annotations

import shutil
import time

import pytest

from grants.io.reader import read_table
from grants.writers import write_result

from .conftest import FIXTURES
from .service_process import ServiceProcess

EXAMPLE = FIXTURES / "examples" / "soknad_2023.csv"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")

try:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait
except ImportError:  # pragma: no cover
    webdriver = None

pytestmark = pytest.mark.skipif(
    webdriver is None or not CHROMIUM or not DRIVER,
    reason="needs chromium and chromium-driver (apt-get install -y chromium chromium-driver) and selenium",
)


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    svc = ServiceProcess(tmp_path_factory.mktemp("page") / "server.log")
    yield svc
    svc.stop()


@pytest.fixture(scope="module")
def downloads(tmp_path_factory):
    return tmp_path_factory.mktemp("downloads")


@pytest.fixture(scope="module")
def browser(downloads):
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"):
        options.add_argument(arg)
    options.add_experimental_option("prefs", {
        "download.default_directory": str(downloads), "download.prompt_for_download": False,
    })
    driver = webdriver.Chrome(service=Service(executable_path=DRIVER), options=options)
    driver.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    yield driver
    driver.quit()


def _digits(text: str) -> int:
    return int("".join(c for c in text if c.isdigit()))


def test_upload_the_example_see_the_total_and_download_the_result(service, browser, downloads, engine, tmp_path):
    want = engine.compute(read_table(EXAMPLE).records(), "2023")
    browser.get(service.url + "/")
    assert "ALIS" in browser.title
    browser.find_element(By.ID, "file").send_keys(str(EXAMPLE))
    Select(browser.find_element(By.ID, "period")).select_by_value("2023")
    browser.find_element(By.ID, "submit").click()
    wait = WebDriverWait(browser, 30)
    wait.until(lambda d: d.find_element(By.ID, "total").text.strip())
    assert _digits(browser.find_element(By.ID, "total").text) == want.total_nok
    warning = browser.find_element(By.ID, "warning")
    assert warning.is_displayed() and "ADVARSEL" in warning.text
    rows = browser.find_elements(By.CSS_SELECTOR, "#results tbody tr")
    assert len(rows) == len(want.lines) + len(want.rejections)
    assert "2023" in browser.find_element(By.ID, "provenance").text
    link = wait.until(lambda d: d.find_element(By.ID, "download") if d.find_element(By.ID, "download").is_displayed() else None)
    link.click()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        done = [p for p in downloads.iterdir() if p.suffix == ".csv"]
        if done:
            break
        time.sleep(0.2)
    assert done, "no file was downloaded"
    write_result(want, tmp_path / "cli.csv", ";")
    assert done[0].read_bytes() == (tmp_path / "cli.csv").read_bytes()


def test_a_broken_file_shows_the_error(service, browser, tmp_path):
    bad = tmp_path / "feil.csv"
    bad.write_text("lege;noe\nA;1\n", encoding="utf-8")
    browser.get(service.url + "/")
    browser.find_element(By.ID, "file").send_keys(str(bad))
    browser.find_element(By.ID, "submit").click()
    error = WebDriverWait(browser, 30).until(
        lambda d: d.find_element(By.ID, "error") if d.find_element(By.ID, "error").is_displayed() else None
    )
    assert "mangler påkrevd kolonne" in error.text
    assert not browser.find_element(By.ID, "output").is_displayed()


def test_values_from_the_file_are_shown_as_text_never_as_html(service, browser, tmp_path):
    hostile = tmp_path / "hostile.csv"
    hostile.write_text(
        "lege_id;kommunenr;tilskuddstype;rolle;stillingsandel;fra;til\n"
        "<img src=x onerror=document.title='pwned'>;0301;alis_avtale;fastlege;100;01.10.2022;31.08.2023\n",
        encoding="utf-8",
    )
    browser.get(service.url + "/")
    browser.find_element(By.ID, "file").send_keys(str(hostile))
    Select(browser.find_element(By.ID, "period")).select_by_value("2023")
    browser.find_element(By.ID, "submit").click()
    WebDriverWait(browser, 30).until(lambda d: d.find_element(By.ID, "total").text.strip())
    cell = browser.find_element(By.CSS_SELECTOR, "#results tbody tr td.id")
    assert cell.text == "<img src=x onerror=document.title='pwned'>"
    assert not browser.find_elements(By.CSS_SELECTOR, "#results img")
    assert browser.title != "pwned"
