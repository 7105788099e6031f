"""The upload page in a real headless browser (Debian's chromium through chromium-driver):
upload the example file, see the total and the rates warning, download the result CSV (the
command line's file), statuses in the one bokmål vocabulary, and columns left out on purpose."""
from __future__ import annotations

import json
import time


from grants.cli import main as cli_main
from grants.io.reader import read_table
from grants.report.vocabulary_nb import STATUS_NB

from .browser import By, Select, WebDriverWait, needs_browser, upload
from .conftest import FIXTURES

pytestmark = needs_browser

EXAMPLE = FIXTURES / "examples" / "soknad_2023.csv"


def _digits(text: str) -> int:
    return int("".join(c for c in text if c.isdigit()))


def _submit(browser, url, path, period="2023", ignore=""):
    browser.get(url + "/")
    browser.find_element(By.ID, "file").send_keys(str(path))
    Select(browser.find_element(By.ID, "period")).select_by_value(period)
    if ignore:
        browser.find_element(By.ID, "ignore_columns").send_keys(ignore)
    browser.find_element(By.ID, "submit").click()


def _shown(browser, element_id):
    return WebDriverWait(browser, 30).until(
        lambda d: d.find_element(By.ID, element_id) if d.find_element(By.ID, element_id).is_displayed() else None
    )


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
    assert cli_main(["compute", str(EXAMPLE), "--period", "2023", "-o", str(tmp_path / "cli.csv"), "--lang", "nb",
                     "--quiet"]) == 0
    assert done[0].read_bytes() == (tmp_path / "cli.csv").read_bytes()  # the command line's file (--lang nb), byte for byte


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
    upload(browser, service.url, hostile, "2023")
    cell = browser.find_element(By.CSS_SELECTOR, "#results tbody tr td.id")
    assert cell.text == "<img src=x onerror=document.title='pwned'>"
    assert not browser.find_elements(By.CSS_SELECTOR, "#results img")
    assert browser.title != "pwned"


def test_statuses_in_the_one_vocabulary_and_counts_with_lines_outside_the_period(service, browser, tmp_path):
    mixed = tmp_path / "blandet.csv"
    mixed.write_text(
        "lege_id;kommunenr;tilskuddstype;rolle;stillingsandel;fra;til;vikarbyrå\n"
        "A1;0301;alis_avtale;fastlege;100;01.10.2022;31.08.2023;nei\n"
        "A2;0301;alis_avtale;fastlege;100;01.10.2022;31.08.2023;ja\n"
        "A3;0301;alis_avtale;fastlege;100;01.01.2025;30.06.2025;nei\n"
        "A4;0301;alis_avtale;fastlege;120;01.01.2023;30.06.2023;nei\n",
        encoding="utf-8",
    )
    _submit(browser, service.url, mixed)
    WebDriverWait(browser, 30).until(lambda d: d.find_element(By.ID, "total").text.strip())
    rows = browser.find_elements(By.CSS_SELECTOR, "#results tbody tr")
    statuses = [r.find_elements(By.TAG_NAME, "td")[8].text for r in rows]
    assert statuses == [STATUS_NB[s] for s in ("ok", "ineligible", "outside_period", "rejected")]
    counts = browser.find_element(By.ID, "counts").text
    assert counts == "4 rader inn: 3 linjer beregnet (1 innvilget, 1 ikke rett, 1 utenfor perioden), 1 avvist."
    headers = [th.text for th in browser.find_elements(By.CSS_SELECTOR, "#results thead th")]
    assert headers[:3] == ["Rad", "Linje/rad i filen", "Lege (ALIS-id)"] and "Status" in headers
    assert [r.find_elements(By.TAG_NAME, "td")[1].text for r in rows] == ["2", "3", "4", "5"]
    assert "illustrative satser" in browser.find_element(By.ID, "provenance").text


def test_a_column_that_resembles_a_header_can_be_left_out_on_the_page(service, browser, tmp_path):
    rows = EXAMPLE.read_text(encoding="utf-8").splitlines()
    path = tmp_path / "med_kolonne.csv"
    path.write_text("\n".join([rows[0] + ";Ansatt hos vikarbyrå AS"] + [r + ";ja" for r in rows[1:]]) + "\n",
                    encoding="utf-8")
    _submit(browser, service.url, path)
    error = _shown(browser, "error")
    assert "Kolonner som ikke skal brukes" in error.text and "--ignore-column" not in error.text
    label = browser.find_element(By.ID, "ignore_columns").find_element(By.XPATH, "..").text
    assert "Kolonner som ikke skal brukes" in label
    _submit(browser, service.url, path, ignore="Ansatt hos vikarbyrå AS")
    WebDriverWait(browser, 30).until(lambda d: d.find_element(By.ID, "total").text.strip())
    assert not browser.find_element(By.ID, "error").is_displayed()
    want = read_table(EXAMPLE).records()
    assert len(browser.find_elements(By.CSS_SELECTOR, "#results tbody tr")) == len(want)


def test_the_readers_notes_on_the_file_are_shown(service, browser, tmp_path):
    """A title line above the header is skipped, and the page says so, as the command line does."""
    titled = tmp_path / "tittel.csv"
    titled.write_text("Søknad om ALIS-tilskudd 2023\n" + EXAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    upload(browser, service.url, titled, "2023")
    notes = browser.find_element(By.ID, "notes")
    assert notes.is_displayed() and "Merk: linje 1 står over overskriften" in notes.text, notes.text
    upload(browser, service.url, EXAMPLE, "2023")
    assert not browser.find_element(By.ID, "notes").is_displayed()


def test_a_sessions_file_on_the_page_pays_what_compute_sessions_pays(service, browser, downloads, tmp_path):
    """The page's sessions field sends the file as `compute --sessions` reads it: the total,
    the notes on sessions not paid and the result CSV are the command line's."""
    application = FIXTURES / "examples" / "soknad_2025-26_timer.csv"
    sessions = FIXTURES / "examples" / "veiledningsokter_2025-26.csv"
    out = tmp_path / "cli.json"
    assert cli_main(["compute", str(application), "--sessions", str(sessions), "-o", str(out), "--quiet"]) == 0
    want = json.loads(out.read_text(encoding="utf-8"))
    browser.get(service.url + "/")
    browser.find_element(By.ID, "file").send_keys(str(application))
    browser.find_element(By.ID, "sessions").send_keys(str(sessions))
    browser.find_element(By.ID, "submit").click()
    WebDriverWait(browser, 30).until(lambda d: d.find_element(By.ID, "total").text.strip())
    assert _digits(browser.find_element(By.ID, "total").text) == want["total_nok"]
    notes = browser.find_element(By.ID, "notes").text
    assert want["notes"] and all(f"Merk: {n}" in notes for n in want["notes"]), notes
