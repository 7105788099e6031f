"""The report in a real browser: Debian's chromium, headless, renders the page written by
`alis-grant report`; the test fails if it does not render, if the total is missing from the
rendered DOM, or if the timeline has no bars. The screenshot is kept (path printed, and copied
to out/report_screenshot.png) so a person can look at it.

Skipped, with the reason, where /usr/bin/chromium is not installed (`.ci/run` installs it)."""
from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
import warnings
from pathlib import Path

import pytest

from grants.cli import main
from tests.conftest import REPO
from tests.test_report import RICH_2023

CHROMIUM = Path(os.environ.get("ALIS_TEST_CHROMIUM", "/usr/bin/chromium"))  # override: only to test the skip
EXAMPLE = REPO / "fixtures" / "examples" / "soknad_2023.csv"
WIDTH, HEIGHT = 1280, 2000

NO_BROWSER = "/usr/bin/chromium is not installed (apt-get install chromium): the report was not checked in a browser"


@pytest.fixture(autouse=True)
def _browser_or_skip():
    """Skip without chromium, and say so in the warnings summary that `pytest -q` prints too."""
    if not CHROMIUM.exists():
        warnings.warn(NO_BROWSER, pytest.PytestWarning, stacklevel=1)
        pytest.skip(NO_BROWSER)


def chromium(profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """One headless run, offline and without the browser's own background traffic."""
    cmd = [
        str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage", "--hide-scrollbars", f"--user-data-dir={profile}", *args,
    ]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "the screenshot is not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


@pytest.mark.parametrize("source, period, total", [
    (EXAMPLE, "2023", "1 142 500 kr"),
    (None, "2023", None),  # the lines with clipped, split and overlapping days, and escaped ids
])
def test_report_renders_in_chromium(tmp_path, capsys, source, period, total):
    if source is None:
        source = tmp_path / "soknad.csv"
        source.write_text(RICH_2023, encoding="utf-8")
    page = tmp_path / "rapport.html"
    code = main(["report", str(source), "--period", period, "-o", str(page)])
    printed = capsys.readouterr().out
    assert code in (0, 1) and page.exists()
    if total is None:
        total = re.search(r"totalt tilskudd ([\d ]+ kr)", printed).group(1)
    n_lines = int(re.search(r"(\d+) linjer?,", printed).group(1))

    dom_run = chromium(tmp_path / "profil-dom", "--dump-dom", page.as_uri())
    assert dom_run.returncode == 0, dom_run.stderr[-2000:]
    dom = dom_run.stdout
    assert "<body" in dom and "Tilskuddsberegning" in dom, "the page did not render"
    assert re.search(r'id="total"[^>]*>\s*' + re.escape(total) + r"\s*<", dom), f"the total {total} is not in the rendered DOM"
    assert "ADVARSEL" in dom
    all_rects = re.findall(r"<rect\b[^>]*>", dom)
    bars = [r for r in all_rects if re.search(r'class="bar"', r)]
    paid = [r for r in all_rects if re.search(r'class="month paid"', r)]
    assert bars, "the timeline has no bars"
    assert len(bars) == n_lines
    assert paid, "the timeline shows no paid month"
    assert "<script" not in dom.lower()

    shot = tmp_path / "report_screenshot.png"
    shot_run = chromium(tmp_path / "profil-bilde", f"--screenshot={shot}", f"--window-size={WIDTH},{HEIGHT}", page.as_uri())
    assert shot_run.returncode == 0 and shot.exists(), shot_run.stderr[-2000:]
    assert png_size(shot) == (WIDTH, HEIGHT)
    # a blank page compresses to a few kilobytes; this one has text, tables and the coloured timeline
    assert shot.stat().st_size > 60_000, f"the screenshot is nearly empty ({shot.stat().st_size} bytes)"
    pdf = tmp_path / "rapport.pdf"
    pdf_run = chromium(tmp_path / "profil-pdf", f"--print-to-pdf={pdf}", "--no-pdf-header-footer", page.as_uri())
    assert pdf_run.returncode == 0 and pdf.exists(), pdf_run.stderr[-2000:]
    pages = len(re.findall(rb"/Type\s*/Page\b", pdf.read_bytes()))
    assert pdf.read_bytes()[:5] == b"%PDF-" and pages >= 1, "printing the report to PDF gave no page"
    keep = REPO / "out" / ("report_screenshot.png" if source == EXAMPLE else "report_screenshot_lines.png")
    keep.parent.mkdir(exist_ok=True)
    shutil.copyfile(shot, keep)
    with capsys.disabled():
        print(f"\nskjermbilde av rapporten: {shot} (kopi: {keep}); total {total}, {len(bars)} stolper, "
              f"{len(paid)} betalte måneder, {len(all_rects)} rect-elementer; PDF {pages} sider")
