"""The officer's door in a real headless chromium (Debian's chromium and chromium-driver): the
API page with no network at all, the upload page's outputs (the workbook and the report, the
Norwegian CSV), its sums, warnings and rejected rows, and the page and the report laid out
without horizontal overflow at 1 024 and 1 400 px. One browser and one service for the module;
the screenshots are kept under out/ for a person to look at."""
from __future__ import annotations

import json
import time
from pathlib import Path

import openpyxl

from grants.cli import main as cli_main

from .browser import By, WebDriverWait, needs_browser, upload
from .conftest import FIXTURES, REPO

pytestmark = needs_browser

OUT = REPO / "out"
WIDTHS = (1024, 1400)


APPLICATION = (
    "lege_id;kommunenr;tilskuddstype;rolle;stillingsandel;fra;til;vikarbyrå;merknad\n"
    "ALIS-001;0301;ALIS-avtale;fastlege;100;01.10.2022;31.08.2023;nei;Oslo, hele perioden, en lang merknad\n"
    "ALIS-002;3401;ALIS-avtale;fastlege;80;15.11.2022;31.08.2023;nei;Kongsvinger\n"
    "ALIS-004;1804;ALIS-avtale;fastlege;120;01.01.2023;30.06.2023;nei;andelen er for høy\n"
    "ALIS-005;3822;kun veiledning;fastlege;60;01.08.2022;15.03.2023;nei;starter før perioden\n"
)


def _viewport(browser, width, height=900):
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})


def _overflow(browser) -> tuple[int, int]:
    return tuple(browser.execute_script(
        "return [document.documentElement.scrollWidth, document.documentElement.clientWidth];"))


def _requests(browser) -> list[str]:
    urls = []
    for entry in browser.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def _keep(browser, name: str) -> Path:
    OUT.mkdir(exist_ok=True)
    path = OUT / name
    browser.save_screenshot(str(path))
    return path


def _wait_for_file(folder: Path, suffix: str, seconds: float = 30) -> Path:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        done = [p for p in folder.iterdir() if p.suffix == suffix]
        if done:
            return done[0]
        time.sleep(0.2)
    raise AssertionError(f"no {suffix} file was downloaded")


def test_the_api_page_works_with_no_network(service, browser):
    browser.get_log("performance")  # start from an empty log
    _viewport(browser, 1400)
    browser.get(service.url + "/docs")
    WebDriverWait(browser, 30).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".opblock-summary-path"))
    paths = {e.text.replace("\u200b", "") for e in browser.find_elements(By.CSS_SELECTOR, ".opblock-summary-path")}
    assert {"/compute", "/explain", "/rates"} <= paths, paths
    shot = _keep(browser, "api_docs_offline.png")
    urls = _requests(browser)
    assert any(u.endswith("/docs/assets/swagger-ui-bundle.js") for u in urls)
    foreign = [u for u in urls if not u.startswith((service.url, "data:", "blob:", "about:"))]
    assert not foreign, f"the API page asked another host: {foreign}"
    html = browser.page_source
    assert "cdn" not in html.lower() and "googleapis" not in html
    print(f"\nskjermbilde: {shot}")


def test_the_page_gives_the_officers_outputs(service, browser, downloads, tmp_path):
    path = tmp_path / "soknad.csv"
    path.write_text(APPLICATION, encoding="utf-8")
    _viewport(browser, 1400)
    upload(browser, service.url, path, "2023")
    cli_json = tmp_path / "cli.json"
    assert cli_main(["compute", str(path), "--period", "2023", "-o", str(cli_json), "--quiet"]) == 1
    want = json.loads(cli_json.read_text(encoding="utf-8"))
    # sums per municipality and per doctor, as the command line's
    munis = [r.text for r in browser.find_elements(By.CSS_SELECTOR, "#by-municipality tbody tr")]
    doctors = [r.text for r in browser.find_elements(By.CSS_SELECTOR, "#by-doctor tbody tr")]
    assert len(munis) == len(want["totals"]["by_municipality"]) and "0301 Oslo" in munis[0]
    assert len(doctors) == len(want["totals"]["by_doctor"]) and doctors[0].startswith("ALIS-001")
    # the rejected row names its municipality
    rejected = browser.find_element(By.CSS_SELECTOR, "#results tbody tr.rejected")
    assert "1804 Bodø" in rejected.text
    # the Norwegian CSV is the page's download: what `compute --lang nb` writes
    link = WebDriverWait(browser, 30).until(
        lambda d: d.find_element(By.ID, "download") if d.find_element(By.ID, "download").is_displayed() else None)
    for old in downloads.iterdir():
        old.unlink()
    link.click()
    got = _wait_for_file(downloads, ".csv")
    assert cli_main(["compute", str(path), "--period", "2023", "-o", str(tmp_path / "nb.csv"), "--lang", "nb",
                     "--quiet"]) == 1
    assert got.read_bytes() == (tmp_path / "nb.csv").read_bytes()
    # the workbook: the command line's sheets and cells
    browser.find_element(By.ID, "download-xlsx").click()
    got = _wait_for_file(downloads, ".xlsx")
    (tmp_path / "cli").mkdir()
    cli_xlsx = tmp_path / "cli" / "beregning.xlsx"  # the name the page gives it: the Kontroll sheet names the file
    assert cli_main(["compute", str(path), "--period", "2023", "-o", str(cli_xlsx), "--quiet"]) == 1
    page_book, cli_book = openpyxl.load_workbook(got), openpyxl.load_workbook(cli_xlsx)
    assert page_book.sheetnames == cli_book.sheetnames
    for name in cli_book.sheetnames:
        assert [list(r) for r in page_book[name].iter_rows(values_only=True)] == \
               [list(r) for r in cli_book[name].iter_rows(values_only=True)], name
    # the report with its timeline: the command line's page
    browser.find_element(By.ID, "download-html").click()
    got = _wait_for_file(downloads, ".html")
    assert cli_main(["report", str(path), "--period", "2023", "-o", str(tmp_path / "rapport.html")]) == 1
    assert got.read_text(encoding="utf-8") == (tmp_path / "rapport.html").read_text(encoding="utf-8")
    assert 'class="bar"' in got.read_text(encoding="utf-8")


def test_most_lines_outside_the_period_warn_on_the_page(service, browser, tmp_path):
    path = tmp_path / "feil_periode.csv"
    path.write_text(APPLICATION, encoding="utf-8")
    upload(browser, service.url, path, "2024-25")
    warnings = browser.find_element(By.ID, "warnings")
    assert warnings.is_displayed() and "utenfor perioden 2024-25" in warnings.text and "2023" in warnings.text


def test_the_page_and_the_report_fit_at_1024_and_1400_px(service, browser, tmp_path):
    path = tmp_path / "soknad.csv"
    path.write_text(APPLICATION, encoding="utf-8")
    report = tmp_path / "rapport.html"
    assert cli_main(["report", str(path), "--period", "2023", "-o", str(report)]) == 1
    model_b = tmp_path / "rapport_b.html"
    assert cli_main(["report", str(FIXTURES / "examples" / "soknad_2025-26.csv"), "--period", "2025-26",
                     "-o", str(model_b)]) == 0
    shots = []
    for width in WIDTHS:
        _viewport(browser, width)
        upload(browser, service.url, path, "2023")
        scroll, client = _overflow(browser)
        assert scroll <= client, f"the page is {scroll} px wide in a {client} px viewport"
        shots.append(_keep(browser, f"page_{width}.png"))
        for page, name in ((report, "report"), (model_b, "report_model_b")):
            browser.get(page.as_uri())
            scroll, client = _overflow(browser)
            assert scroll <= client, f"{name} is {scroll} px wide in a {client} px viewport"
            shots.append(_keep(browser, f"{name}_{width}.png"))
    print("\nskjermbilder: " + ", ".join(str(s) for s in shots))


def test_in_print_every_heading_stays_with_what_it_heads(browser, tmp_path):
    """In print (A4 landscape), a doctor's heading, table and explanations are one block that
    is not split, and headings are never the last thing on a page (break-after: avoid)."""
    path = tmp_path / "soknad.csv"
    path.write_text(APPLICATION, encoding="utf-8")
    report = tmp_path / "rapport.html"
    assert cli_main(["report", str(path), "--period", "2023", "-o", str(report)]) == 1
    browser.get(report.as_uri())
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        found = browser.execute_script("""
          const out = [];
          for (const h of document.querySelectorAll('h2, h3, h4')) {
            const block = h.closest('.keep');
            out.push([h.tagName, h.textContent.slice(0, 30), getComputedStyle(h).breakAfter,
                      block ? getComputedStyle(block).breakInside : null,
                      block ? block.querySelectorAll('table, .explain').length : 0]);
          }
          return out;""")
    finally:
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
    assert found and all(after == "avoid" for _, _, after, _, _ in found), found
    doctors = [f for f in found if f[0] == "H3" and f[1].startswith("Lege ")]
    assert doctors and all(inside == "avoid" and n >= 1 for _, _, _, inside, n in doctors), doctors
