"""The HTML report (`alis-grant report`): what the page says, that it escapes the input, that it
fetches nothing, and that the timeline shows the days the engine paid and the days it did not.

Expected figures come from tests/test_cli.py's docstring (example total 1 142 500 kr) and from
the dates of the lines below, worked out by hand."""
from __future__ import annotations

import os
import html
import re
import xml.etree.ElementTree as ET
from datetime import date, timedelta
from pathlib import Path

import pytest

from grants.cli import main
from grants.io.reader import read_table
from grants.report.explain import rates_warning
from grants.money import format_nok
from grants.report.html import rejected_lines, render_report, segments
from tests.conftest import FIXTURES

EXAMPLE = FIXTURES / "examples" / "soknad_2023.csv"
SVG = "{http://www.w3.org/2000/svg}"

HEADER = "lege_id;kommunenr;tilskuddstype;rolle;stillingsandel;fra;til;avtale_signert\n"
RICH_2023 = HEADER + (
    "A-KLIPP;0301;ALIS-avtale;fastlege;100;01.06.2022;31.12.2022;\n"        # row 1: Jun-Sep 2022 clipped
    "A-DELT;3401;ALIS-avtale;fastlege;100;01.10.2022;15.03.2023;\n"         # row 2: March split with row 3
    "A-DELT;3401;ALIS-avtale;fastlege;100;16.03.2023;30.09.2023;\n"         # row 3: September clipped
    "A-OVERLAPP;0301;ALIS-avtale;fastlege;50;01.10.2022;30.04.2023;\n"      # rows 4/5 overlap Feb-Apr
    "A-OVERLAPP;0301;ALIS-avtale;fastlege;50;01.02.2023;31.08.2023;\n"
    '<script>alert("id")</script>;0301;ALIS-avtale;fastlege;100;01.10.2022;31.08.2023;\n'  # row 6: escaped
    '<b>R</b>;0301;ALIS-avtale;fastlege;<img src=x onerror=alert(1)>;01.10.2022;31.08.2023;\n'  # row 7: rejected
)
AGREEMENT_2023_24 = HEADER + "B-AVTALE;0301;ALIS-avtale;fastlege;100;01.09.2023;31.08.2024;15.01.2024\n"


def write(tmp_path: Path, text: str, name: str = "in.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def build(engine, path: Path, period: str | None):
    records = read_table(path).records()
    result = engine.compute(records, period)
    tables = [engine.ratebook.get(period)] if period else []
    return result, render_report(result, tables, rulebook=engine.rulebook, source=path.name,
                                 rejected=rejected_lines(records, result.rejections))


def svg_of(page: str) -> ET.Element:
    """The timeline, parsed as XML: it must be well-formed SVG."""
    match = re.search(r"<svg\b.*?</svg>", page, re.S)
    assert match, "the report has no inline SVG"
    return ET.fromstring(match.group(0))


def rects(svg: ET.Element, cls: str) -> list[ET.Element]:
    return [r for r in svg.iter(f"{SVG}rect") if cls in (r.get("class") or "").split()]


def spans(svg: ET.Element, cls: str, row: int) -> list[tuple[str, str]]:
    return [(r.get("data-start"), r.get("data-end")) for r in rects(svg, cls) if r.get("data-row") == str(row)]


@pytest.fixture(scope="module")
def example(engine):
    return build(engine, EXAMPLE, "2023")


@pytest.fixture(scope="module")
def rich(engine, tmp_path_factory):
    return build(engine, write(tmp_path_factory.mktemp("rich"), RICH_2023), "2023")


# -- the page -----------------------------------------------------------------------------

def test_total_is_the_results_total_formatted(example):
    result, page = example
    assert result.total_nok == 1_142_500
    assert format_nok(result.total_nok) == "1 142 500 kr"
    assert re.search(r'id="total">1 142 500 kr<', page)
    assert page.count("Totalt tilskudd: 1 142 500 kr") == 1


def test_one_table_per_doctor_with_months_share_and_amount(example):
    result, page = example
    doctors = re.findall(r'<table class="doctor" data-doctor="([^"]*)"', page)
    assert doctors == [f"ALIS-00{i}" for i in range(1, 10)]
    assert len(doctors) == len(result.totals_by_doctor())
    table = re.search(r'data-doctor="ALIS-002".*?</table>', page, re.S).group(0)
    for text in ("Hele måneder", "Stillingsandel (%)", "Beløp (kr)", ">9<", ">80<", ">180 000<", "innvilget",
                 "15.11.2022–<wbr>31.08.2023", "Sum for ALIS-002"):
        assert text in table, text


def test_warning_and_rate_status_are_shown(example):
    result, page = example
    warning = rates_warning(result.rates_statuses)
    assert warning and warning in page
    assert page.count(warning) == 2  # top and bottom
    assert "ILLUSTRATIVE (ikke Helsedirektoratets offisielle satser)" in page
    assert "Kalendermåneder" in page or "kalendermåneder" in page


def test_municipalities_period_and_the_explanation_of_each_line(example):
    result, page = example
    assert "0301 Oslo" in page and "5412 Tjeldsund" in page
    assert "2023 (01.10.2022–31.08.2023)" in page
    explained = re.findall(r'<div class="explain" data-row="(\d+)">', page)
    assert sorted(map(int, explained)) == [r.row for r in result.lines]
    assert "300 000 kr × 80 % × 9/12 = 180 000 kr" in page  # row 2's arithmetic, from explain_line
    assert "<pre" not in page  # text people read, not console output


def test_each_explanation_reads_as_text_and_keeps_every_word(example):
    """The explanation is explain_line's text (the command line's) as a heading, steps and
    lists: every word is there, in order, and the underline of ===== is gone."""
    from grants.pipeline.engine import default_engine
    from grants.report.explain import explain_line

    result, page = example
    for line in result.lines:
        block = re.search(rf'<div class="explain" data-row="{line.row}">(.*?)</div>', page, re.S).group(1)
        assert block.startswith("<h4>") and "<li>" in block and '<p class="step">' in block
        shown = html.unescape(re.sub(r"<[^>]+>", " ", block)).split()
        text = explain_line(line, default_engine().rulebook).split("\n")
        assert set(text[1]) == {"="}  # the console's underline
        words = [w for w in " ".join(text[:1] + text[2:]).split() if w not in ("-", "•")]  # bullets become list items
        assert shown == words


def test_every_input_text_is_escaped(rich):
    result, page = rich
    assert any(r.alis_id == '<script>alert("id")</script>' for r in result.lines)
    assert [rej.row for rej in result.rejections] == [7]
    assert "<script" not in page.lower()
    assert "<img" not in page.lower() and "<b>r</b>" not in page.lower()
    assert "&lt;script&gt;alert(&quot;id&quot;)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page  # the rejected value, shown as text


def test_no_external_resource(example, rich):
    for _, page in (example, rich):
        refs = re.findall(r'\b(?:src|href)\s*=\s*["\']?([^"\'\s>]*)', page, re.I)
        assert not [r for r in refs if r.lower().startswith(("http:", "https:", "//"))]
        assert "<link" not in page.lower() and "@import" not in page.lower() and "<script" not in page.lower()
        assert not re.search(r"url\(\s*['\"]?(?!#)", page), "only in-page url(#pattern) references"


def test_rejected_rows_with_reasons(rich):
    _, page = rich
    section = page[page.index("Avviste rader (1)"):]
    assert "stillingsandel" in section and "&lt;b&gt;R&lt;/b&gt;" in section


def test_only_rejected_rows_says_nothing_was_computed(engine, tmp_path):
    path = write(tmp_path, HEADER + "X;0301;ALIS-avtale;fastlege;0;01.10.2022;31.08.2023;\n")
    result, page = build(engine, path, "2023")
    assert not result.lines and len(result.rejections) == 1
    assert "Ingen linjer er beregnet" in page and 'id="total">0 kr<' in page
    assert "rates/2023.yaml" in page and rates_warning({"2023": "illustrative"}) in page


# -- the timeline ---------------------------------------------------------------------------

def test_one_bar_per_line_part_and_a_cell_per_paid_month(example):
    result, page = example
    svg = svg_of(page)
    bars = rects(svg, "bar")
    assert [int(b.get("data-row")) for b in bars] == [r.row for r in result.lines]
    for r in result.lines:
        paid = spans(svg, "paid", r.row)
        unpaid = spans(svg, "counted_unpaid", r.row)
        if r.amount_nok:
            assert len(paid) == r.whole_months and not unpaid
        else:  # rows 4 and 8: ineligible, their whole months drawn but not paid
            assert not paid and len(unpaid) == r.whole_months
    assert spans(svg, "paid", 1)[0] == ("2022-10-01", "2022-10-31")
    assert spans(svg, "paid", 1)[-1] == ("2023-08-01", "2023-08-31")


def test_a_line_starting_mid_month_shows_the_unpaid_days(example):
    _, page = example
    svg = svg_of(page)
    assert spans(svg, "partial", 2) == [("2022-11-15", "2022-11-30")]
    assert spans(svg, "paid", 2)[0] == ("2022-12-01", "2022-12-31")
    assert spans(svg, "partial", 1) == []


def test_agreement_signed_mid_period_shows_the_days_before_it(engine, tmp_path):
    result, page = build(engine, write(tmp_path, AGREEMENT_2023_24), "2023-24")
    (line,) = result.lines
    assert line.counted_start == date(2024, 1, 15) and line.whole_months == 7
    svg = svg_of(page)
    assert spans(svg, "before_agreement", 1) == [("2023-09-01", "2024-01-14")]
    assert spans(svg, "partial", 1) == [("2024-01-15", "2024-01-31")]
    assert len(spans(svg, "paid", 1)) == 7
    assert "ALIS-avtalen signert 15.01.2024" in page


def test_clipped_split_and_overlapping_lines(rich):
    result, page = rich
    svg = svg_of(page)
    assert spans(svg, "clipped", 1) == [("2022-06-01", "2022-09-30")]
    assert spans(svg, "clipped", 3) == [("2023-09-01", "2023-09-30")]
    assert spans(svg, "split", 2) == [("2023-03-01", "2023-03-15")]
    assert spans(svg, "split", 3) == [("2023-03-16", "2023-03-31")]
    overlap = rects(svg, "overlap")
    assert len(overlap) == 1
    assert "rad 4 og rad 5" in overlap[0].find(f"{SVG}title").text
    assert "01.02.2023–30.04.2023" in overlap[0].find(f"{SVG}title").text


def test_a_partial_month_is_split_only_when_the_other_line_lacks_that_month_too(engine, tmp_path):
    """Two 50 % lines at once: the one starting 15.11 has a partial November, but the other has
    the whole of November, so the month is not split between them."""
    text = HEADER + ("P;0301;ALIS-avtale;fastlege;50;01.10.2022;31.08.2023;\n"
                     "P;0301;ALIS-avtale;fastlege;50;15.11.2022;31.08.2023;\n")
    _, page = build(engine, write(tmp_path, text), "2023")
    svg = svg_of(page)
    assert spans(svg, "partial", 2) == [("2022-11-15", "2022-11-30")]
    assert spans(svg, "split", 2) == [] and spans(svg, "split", 1) == []
    (overlap,) = rects(svg, "overlap")
    assert (overlap.get("data-start"), overlap.get("data-end")) == ("2022-11-15", "2023-08-31")


def test_rows_rejected_for_overlapping_are_drawn_with_the_overlap(engine, tmp_path):
    text = HEADER + (
        "C-OVL;0301;ALIS-avtale;fastlege;100;01.10.2022;30.04.2023;\n"
        "C-OVL;0301;ALIS-avtale;fastlege;100;01.02.2023;31.08.2023;\n"
        "C-OK;0301;ALIS-avtale;fastlege;100;01.10.2022;31.08.2023;\n"
        "C-BAD;0301;ALIS-avtale;fastlege;100;01.10.2022;31.13.2023;\n"
    )
    result, page = build(engine, write(tmp_path, text), "2023")
    assert [rej.row for rej in result.rejections] == [1, 2, 4]
    svg = svg_of(page)
    assert [b.get("data-row") for b in rects(svg, "bar")] == ["3"]
    drawn = {r.get("data-row"): (r.get("data-start"), r.get("data-end")) for r in rects(svg, "rejected")}
    assert drawn == {"1": ("2022-10-01", "2023-04-30"), "2": ("2023-02-01", "2023-08-31")}  # row 4 has no date to draw
    (overlap,) = rects(svg, "overlap")
    assert (overlap.get("data-start"), overlap.get("data-end")) == ("2023-02-01", "2023-04-30")
    assert "rad 1 og rad 2" in overlap.find(f"{SVG}title").text


def test_only_rejected_rows_without_a_period(engine, tmp_path):
    result, page = build(engine, write(tmp_path, HEADER + "X;0301;ALIS-avtale;fastlege;0;01.10.2022;31.08.2023;\n"), None)
    assert not result.lines and "Ingen linjer er beregnet" in page and "<svg" not in page


def test_open_ended_and_far_away_lines(engine, tmp_path):
    """A line to 31.12.9999 is drawn to the edge (no date overflow); one years before the period
    gets a stub and its dates in words."""
    text = HEADER + ("O;0301;ALIS-avtale;fastlege;100;15.03.2023;31.12.9999;\n"
                     "F;0301;ALIS-avtale;fastlege;100;01.01.2019;31.12.2019;\n")
    result, page = build(engine, write(tmp_path, text), "2023")
    svg = svg_of(page)
    assert spans(svg, "clipped", 1) == [("2023-09-01", "9999-12-31")]
    assert spans(svg, "partial", 1) == [("2023-03-15", "2023-03-31")]
    assert len(spans(svg, "paid", 1)) == 5
    assert [b.get("data-row") for b in rects(svg, "bar")] == ["1", "2"]
    assert "hele linjen (01.01.2019–31.12.2019) ligger utenfor perioden: 0 måneder" in page
    for rect in svg.iter(f"{SVG}rect"):
        if rect.get("x") is not None:
            assert 0 <= float(rect.get("x")) <= 1000 and float(rect.get("width")) >= 0


def test_segments_cover_every_day_of_a_line_once(rich, engine, tmp_path):
    """Paid, unpaid, clipped, before the agreement: together exactly the line's days."""
    result, _ = rich
    agreement, _ = build(engine, write(tmp_path, AGREEMENT_2023_24), "2023-24")
    for r in result.lines + agreement.lines:
        days: list[date] = []
        for seg in segments(r, [o for o in result.lines if o.alis_id == r.alis_id]):
            days.extend(seg.start + timedelta(n) for n in range((seg.end - seg.start).days + 1))
        expected = [r.line.start + timedelta(n) for n in range((r.line.end - r.line.start).days + 1)]
        assert sorted(days) == expected, r.row


def test_lines_split_across_periods_get_one_bar_per_part(engine, tmp_path):
    result, page = build(engine, write(tmp_path, RICH_2023), None)
    assert len(result.lines) > len({r.row for r in result.lines})
    bars = rects(svg_of(page), "bar")
    assert sorted((int(b.get("data-row")), b.get("data-period")) for b in bars) == sorted((r.row, r.period) for r in result.lines)
    svg = svg_of(page)
    assert spans(svg, "clipped", 1) == []  # June-Sep 2022 is in period 2022: drawn there, not clipped


def test_model_b_anniversary_months(engine):
    result, page = build(engine, FIXTURES / "examples" / "soknad_2025-26.csv", "2025-26")
    svg = svg_of(page)
    for r in result.lines:
        assert len(spans(svg, "paid", r.row)) == (r.whole_months if r.amount_nok else 0)
    assert format_nok(result.total_nok) in page
    assert "FORELØPIGE" in page


# -- the command ----------------------------------------------------------------------------

def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_writes_the_report(tmp_path, capsys):
    target = tmp_path / "rapport.html"
    code, out, _ = run(capsys, "report", EXAMPLE, "--period", "2023", "-o", target)
    assert code == 0
    assert "ADVARSEL" in out and "1 142 500 kr" in out
    page = target.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and 'id="total">1 142 500 kr<' in page
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rapport.html"]


def test_cli_only_rejected_rows_exit_1_with_a_report(tmp_path, capsys):
    source = write(tmp_path, HEADER + "X;0301;ALIS-avtale;fastlege;0;01.10.2022;31.08.2023;\n")
    target = tmp_path / "rapport.html"
    code, out, _ = run(capsys, "report", source, "--period", "2023", "-o", target)
    assert code == 1
    assert "Ingen linjer er beregnet" in out
    assert "Ingen linjer er beregnet" in target.read_text(encoding="utf-8")


def test_cli_missing_folder_exit_2_nothing_written(tmp_path, capsys):
    target = tmp_path / "finnes_ikke" / "rapport.html"
    code, out, err = run(capsys, "report", EXAMPLE, "--period", "2023", "-o", target)
    assert code == 2
    assert "finnes_ikke" in err and "finnes ikke" in err and "Traceback" not in err
    assert not target.parent.exists()


def test_cli_read_only_target_exit_2_unchanged(tmp_path, capsys):
    target = tmp_path / "rapport.html"
    target.write_text("gammel rapport", encoding="utf-8")
    target.chmod(0o444)
    code, _, err = run(capsys, "report", EXAMPLE, "--period", "2023", "-o", target)
    assert code == 2 and "skrivebeskyttet" in err
    assert target.read_text(encoding="utf-8") == "gammel rapport"


def test_cli_failed_write_leaves_nothing_half_written(tmp_path, capsys, monkeypatch):
    target = tmp_path / "rapport.html"
    target.write_text("gammel rapport", encoding="utf-8")

    def refuse(*_args, **_kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "replace", refuse)
    code, _, err = run(capsys, "report", EXAMPLE, "--period", "2023", "-o", target)
    assert code == 2 and "kan ikke skrive" in err and "rapport.html" in err
    assert target.read_text(encoding="utf-8") == "gammel rapport"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rapport.html"]  # no temp file left


@pytest.mark.parametrize("name, words", [("rapport.pdf", ".html"), ("mappe.html", "er en mappe")])
def test_cli_refuses_a_bad_target_before_computing(tmp_path, capsys, name, words):
    target = tmp_path / name
    if name == "mappe.html":
        target.mkdir()
    code, out, err = run(capsys, "report", EXAMPLE, "--period", "2023", "-o", target)
    assert code == 2 and words in err and out == ""


def test_cli_missing_input_exit_2_nothing_written(tmp_path, capsys):
    code, _, err = run(capsys, "report", tmp_path / "finnes_ikke.csv", "--period", "2023", "-o", tmp_path / "r.html")
    assert code == 2 and "finner ikke filen" in err
    assert list(tmp_path.iterdir()) == []


def test_cli_unknown_period_exit_2(tmp_path, capsys):
    code, _, err = run(capsys, "report", EXAMPLE, "--period", "1999", "-o", tmp_path / "r.html")
    assert code == 2 and not (tmp_path / "r.html").exists()


def test_a_row_rejected_as_a_copy_is_drawn_as_a_copy_not_an_overlap(engine, tmp_path):
    """Row 2 is a copy-paste of row 1: the engine set it aside before checking overlaps, so the
    timeline labels it a copy of row 1 and outlines no overlap for it; the real overlap of rows
    1 and 3 (two 50 % lines, Feb-Apr) is still outlined."""
    text = HEADER + (
        "K;0301;ALIS-avtale;fastlege;50;01.10.2022;30.04.2023;\n"
        "K;0301;ALIS-avtale;fastlege;50;01.10.2022;30.04.2023;\n"
        "K;0301;ALIS-avtale;fastlege;50;01.02.2023;31.08.2023;\n"
    )
    result, page = build(engine, write(tmp_path, text), "2023")
    assert [rej.row for rej in result.rejections] == [2] and "kopi av rad 1" in result.rejections[0].message
    assert result.rejections[0].copy_of == 1  # a field the report reads, not words it parses
    svg = svg_of(page)
    (copy,) = rects(svg, "copy")
    assert (copy.get("data-row"), copy.get("data-copy-of")) == ("2", "1")
    assert (copy.get("data-start"), copy.get("data-end")) == ("2022-10-01", "2023-04-30")
    assert "kopi av rad 1" in copy.find(f"{SVG}title").text
    assert rects(svg, "rejected") == []  # not drawn as an ordinary rejection either
    labels = [t.text for t in svg.iter(f"{SVG}text") if t.get("class") == "line-label"]
    assert "rad 2 · kopi av rad 1" in labels
    overlaps = [o.find(f"{SVG}title").text for o in rects(svg, "overlap")]
    assert len(overlaps) == 1 and "rad 1 og rad 3" in overlaps[0]
    legend = [t.text for t in svg.iter(f"{SVG}text")]
    assert any(t and t.startswith("kopi av en annen rad") for t in legend)


def test_the_timeline_legend_fits_inside_the_drawing(rich):
    _, page = rich
    svg = svg_of(page)
    height = float(svg.get("viewBox").split()[3])
    assert max(float(r.get("y")) + float(r.get("height")) for r in rects(svg, "legend")) <= height
