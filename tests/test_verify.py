"""The auditor's check: every result file carries its manifest, and `alis-grant verify` /
`grants.verify` says, for each format (CSV with its sidecar, JSON, the workbook, the HTML
report), whether the result is reproduced, computed from another input, under rules or rates
that changed since, by another program version, altered, or cannot be verified."""
from __future__ import annotations

import csv
import hashlib
import html
import io
import json
import shutil

import openpyxl
import pytest

import grants
from grants.cli import main
from grants.io.writers import write_result
from grants.pipeline.provenance import records_sha256, rows_sha256
from grants.report.kontroll import KONTROLLDATA, MANIFEST_CHUNK
from tests.conftest import FIXTURES, REPO

EXAMPLE = FIXTURES / "examples" / "soknad_2023.csv"
OTHER = FIXTURES / "examples" / "soknad_2025-26.csv"
FORMATS = ("csv", "json", "xlsx", "html")


def _write(tmp_path, fmt, source=EXAMPLE, period="2023", engine=None, name="resultat"):
    """The example's input copied beside the result, and the result written as the command line
    writes it (`engine`: computed with other rules or tables, through the API)."""
    src = tmp_path / source.name
    if not src.exists():
        shutil.copy(source, src)
    out = tmp_path / f"{name}.{fmt}"
    if engine is not None:
        from grants.report.html import report_page

        application = grants.read_application(src)
        result = grants.compute(application, period, engine=engine)
        if fmt == "html":
            out.write_text(report_page(result, [engine.ratebook.get(period)], rulebook=engine.rulebook, source=src.name,
                                       records=application.lines, name=out.name), encoding="utf-8")
        elif fmt == "xlsx":
            from grants.io.workbook import write_workbook

            write_workbook(result, out, engine.rulebook)
        else:
            write_result(result, out, application.delimiter)
        return out, src
    command = "report" if fmt == "html" else "compute"
    assert main([command, str(src), "--period", period, "-o", str(out)] + (["--quiet"] if command == "compute" else [])) == 0
    return out, src


def _verify(result, *args):
    """What a user sees: the exit code and the text of `alis-grant verify`."""
    buffer = io.StringIO()
    from contextlib import redirect_stdout

    with redirect_stdout(buffer):
        code = main(["verify", str(result), *map(str, args)])
    return code, buffer.getvalue()


@pytest.fixture(scope="module")
def changed_rates(tmp_path_factory):
    """A copy of the shipped rate tables with the 2023 fastlege rate in classes 1-5 raised."""
    folder = tmp_path_factory.mktemp("changed") / "rates"
    shutil.copytree(REPO / "rates", folder)
    table = folder / "2023.yaml"
    text = table.read_text(encoding="utf-8")
    assert text.count("300000") == 1
    table.write_text(text.replace("300000", "310000"), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def changed_engine(changed_rates):
    return grants.load_engine(rates_dir=changed_rates)


# --- the manifest in every result ---------------------------------------------------------------


def test_the_json_result_carries_the_embedded_data_the_input_and_the_options(tmp_path):
    out, src = _write(tmp_path, "json")
    manifest = json.loads(out.read_text(encoding="utf-8"))["provenance"]
    assert manifest["version"] == grants.__version__ and manifest["manifest"] == 1
    for name, entry in manifest["embedded"]["rules"].items():  # whole files, each its own hash
        assert entry["text"].encode() == (REPO / "rules" / name).read_bytes()
        assert entry["sha256"] == manifest["rules_sha256"][name] == hashlib.sha256(entry["text"].encode()).hexdigest()
    assert set(manifest["embedded"]["rates"]) == {p.stem for p in (REPO / "rates").glob("*.yaml")}
    assert manifest["embedded"]["rates"]["2023"]["text"].encode() == (REPO / "rates" / "2023.yaml").read_bytes()
    assert set(manifest["rates_sha256"]) == {"2023"}  # the tables the result used
    centrality = REPO / "fixtures" / "centrality"
    assert manifest["centrality_sha256"]["sentralitet_2024_med_indeks.csv"] == \
        hashlib.sha256((centrality / "sentralitet_2024_med_indeks.csv").read_bytes()).hexdigest()
    assert manifest["input"] == {"kind": "file", "name": "soknad_2023.csv", "format": "csv", "sheet": None,
                                 "sha256": hashlib.sha256(src.read_bytes()).hexdigest(), "rows": 9,
                                 "rows_sha256": grants.read_application(src).rows_sha256, "positions": [[2, 9]]}
    assert manifest["sessions"] is None
    assert manifest["options"] == {"period": "2023", "sheet": None, "ignore_columns": [], "evaluator": "auto",
                                   "evaluator_ran": manifest["options"]["evaluator_ran"], "format": "json"}


def test_a_trace_carries_only_the_hashes_the_texts_are_per_file(tmp_path):
    out, _ = _write(tmp_path, "json")
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["traces"] and all("embedded" not in t["provenance"] for t in doc["traces"])
    assert len(json.dumps(doc["provenance"])) < 100_000  # a few kB a file, once


def test_a_csv_gets_a_sidecar_naming_its_sha256_and_the_options_that_shape_it(tmp_path, capsys):
    src = tmp_path / EXAMPLE.name
    shutil.copy(EXAMPLE, src)
    out = tmp_path / "r.csv"
    assert main(["compute", str(src), "--period", "2023", "-o", str(out), "--lang", "nb", "--delimiter", "tab",
                 "--ignore-column", "merknad"]) == 0
    assert "og kontrollfilen r.csv.kontroll.json" in capsys.readouterr().out
    side = json.loads((tmp_path / "r.csv.kontroll.json").read_text(encoding="utf-8"))
    assert side["csv"] == {"file": "r.csv", "sha256": hashlib.sha256(out.read_bytes()).hexdigest(),
                           "bytes": out.stat().st_size}
    options = side["provenance"]["options"]
    assert (options["lang"], options["delimiter"], options["ignore_columns"], options["format"]) == ("nb", "\t", ["merknad"], "csv")
    assert _verify(out)[0] == 0  # the language and separator are read back from the manifest


def test_the_sidecar_is_covered_by_the_output_checks(tmp_path, capsys):
    src = tmp_path / EXAMPLE.name
    shutil.copy(EXAMPLE, src)
    side = tmp_path / "r.csv.kontroll.json"
    side.write_text("{}", encoding="utf-8")
    side.chmod(0o444)
    assert main(["compute", str(src), "--period", "2023", "-o", str(tmp_path / "r.csv")]) == 2
    assert "r.csv.kontroll.json er skrivebeskyttet" in capsys.readouterr().err
    assert not (tmp_path / "r.csv").exists()  # refused before anything was computed or written
    sessions = tmp_path / "s.csv.kontroll.json"
    sessions.write_text("lege;dato;timer\n", encoding="utf-8")
    assert main(["compute", str(src), "--period", "2023", "--sessions", str(sessions), "-o", str(tmp_path / "s.csv")]) == 2
    assert "øktfilen" in capsys.readouterr().err


def test_the_workbook_and_the_report_say_the_manifest_in_words(tmp_path):
    book, _ = _write(tmp_path, "xlsx")
    rows = {r[0]: r[1] for r in openpyxl.load_workbook(book)["Kontroll"].iter_rows(values_only=True) if r[0]}
    assert rows["Innfil"] == "soknad_2023.csv (CSV, 9 rader)"
    assert rows["Kontroller senere med"] == "alis-grant verify resultat.xlsx --input soknad_2023.csv"
    assert "ingen signatur" in rows["Hva kontrollen viser"]
    page, _ = _write(tmp_path, "html")
    text = page.read_text(encoding="utf-8")
    assert '<section id="kontroll">' in text and "alis-grant verify resultat.html --input soknad_2023.csv" in text
    assert "<script" not in text.lower()  # the data is escaped text, never a script


def test_the_rows_hash_is_one_definition_for_files_and_lines(tmp_path):
    application = grants.read_application(EXAMPLE)
    records = [dict(r) for r in application.lines]
    assert records_sha256(records)[0] == application.rows_sha256  # the same rows given as dicts
    import pandas as pd

    assert records_sha256(pd.DataFrame(records))[0] == application.rows_sha256
    assert grants.compute(application.columns, "2023").provenance.input.rows_sha256 == application.rows_sha256
    resaved = tmp_path / "resaved.csv"
    _resave(EXAMPLE, resaved)
    assert resaved.read_bytes() != EXAMPLE.read_bytes()
    assert grants.read_application(resaved).rows_sha256 == application.rows_sha256
    # a value is never mistaken for another, nor for the separator between them
    assert rows_sha256(["a"], [["x\x1fy"]], 1) != rows_sha256(["a"], [["x", "y"]], 2)
    assert rows_sha256(["a"], [[""]], 1) != rows_sha256(["a"], [[None]], 1)
    assert rows_sha256(["a"], [["80"]], 1) != rows_sha256(["a"], [[80]], 1)
    assert rows_sha256(["a", "b"], [["1"], ["2"]], 1) != rows_sha256(["b", "a"], [["1"], ["2"]], 1)


def _resave(source, target, title=False):
    """The same rows in other bytes: commas for semicolons, LF line ends, every cell quoted (and
    with `title`, a title line above the header, so every row stands one line lower)."""
    rows = list(csv.reader(io.StringIO(source.read_text(encoding="utf-8")), delimiter=";"))
    with open(target, "w", encoding="utf-8", newline="") as fh:
        if title:
            fh.write("Søknad om tilskudd, lagret på nytt\n")
        csv.writer(fh, delimiter=",", quoting=csv.QUOTE_ALL, lineterminator="\n").writerows(rows)


# --- each outcome on each format ----------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_result_is_reproduced_from_its_input_beside_it(fmt, tmp_path):
    out, _ = _write(tmp_path, fmt)
    code, text = _verify(out)
    assert code == 0, text
    assert "GJENSKAPT: alle 9 linjene, ingen avviste rader og totalen (1 142 500 kr) er like" in text
    assert "ingen signatur" in text and "Utfall: gjenskapt (avslutningskode 0)." in text


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_amount_edited_by_hand_is_named_cell_by_cell(fmt, tmp_path):
    out, _ = _write(tmp_path, fmt)
    if fmt == "xlsx":  # as someone would in Excel: openpyxl opens, edits one amount, saves
        wb = openpyxl.load_workbook(out)
        ws = wb["Linjer"]
        column = [c.value for c in ws[2]].index("Beløp (kr)") + 1
        assert ws.cell(3, column).value == 275000
        ws.cell(3, column).value = 285000
        wb.save(out)
        where = "ark «Linjer», celle R3 (rad 1, «Beløp (kr)»): i filen «285000», beregnet på nytt «275000»"
    elif fmt == "csv":
        text = out.read_text(encoding="utf-8-sig")
        out.write_text("\ufeff" + text.replace(";275000;ok;", ";285000;ok;", 1), encoding="utf-8")
        where = "linje 2 (rad 1), «amount_nok»: i filen «285000», beregnet på nytt «275000»"
    elif fmt == "json":
        doc = json.loads(out.read_text(encoding="utf-8"))
        doc["lines"][0]["amount_nok"] = 285000
        out.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
        where = "«lines»[0] (rad 1), «amount_nok»: i filen «285000», beregnet på nytt «275000»"
    else:
        text = out.read_text(encoding="utf-8")
        assert text.count('<td class="num">1 142 500</td>') == 1
        out.write_text(text.replace('<td class="num">1 142 500</td>', '<td class="num">1 152 500</td>'), encoding="utf-8")
        where = "tabell «Sum per kommune», rad 8 («Sum»), «Beløp (kr)»: i filen «1 152 500», beregnet på nytt «1 142 500»"
    code, text = _verify(out)
    assert code == 1, text
    assert "RESULTATET ER ENDRET" in text and where in text, text
    assert "ANNEN PROGRAMVERSJON" not in text


def test_a_line_deleted_from_the_workbook_is_named_as_itself_not_every_line_after_it(tmp_path):
    out, _ = _write(tmp_path, "xlsx")
    wb = openpyxl.load_workbook(out)
    ws = wb["Linjer"]
    assert ws.cell(4, 1).value == 2  # the second line of the example: row 2 of the input
    ws.delete_rows(4)
    wb.save(out)
    code, text = _verify(out)
    assert code == 1, text
    listed = [line for line in text.splitlines() if line.startswith("  ark «Linjer»")]
    assert listed and all("(rad 2, «" in line and "i filen (finnes ikke)" in line for line in listed), text
    assert "ark «Linjer», celle A4 (rad 2, «Rad»): i filen (finnes ikke), beregnet på nytt «2»" in text


@pytest.mark.parametrize("fmt", FORMATS)
def test_another_input_file_is_not_the_one(fmt, tmp_path):
    out, _ = _write(tmp_path, fmt)
    code, text = _verify(out, "--input", OTHER)
    assert code == 1, text
    assert "IKKE SAMME INNFIL: innfilen soknad_2025-26.csv er ikke den resultatet ble beregnet fra (soknad_2023.csv" in text
    assert "GJENSKAPT" not in text


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_resaved_input_with_the_same_rows_is_reproduced_with_a_note(fmt, tmp_path):
    out, _ = _write(tmp_path, fmt)
    resaved = tmp_path / "lagret_paa_nytt.csv"
    _resave(EXAMPLE, resaved, title=True)
    code, text = _verify(out, "--input", resaved)
    assert code == 0, text
    assert "GJENSKAPT" in text and "MERK: innfilen lagret_paa_nytt.csv er ikke byte for byte den samme" in text
    assert "filen er lagret på nytt med de samme radene" in text
    assert "Radene står på andre linjer i den nye filen" in text  # the result's file_line are the original's


def test_a_rejected_rows_text_names_its_original_line_when_the_input_was_saved_again(tmp_path):
    src = tmp_path / "soknad.csv"
    src.write_text("lege_id;kommunenr;tilskuddstype;rolle;stillingsandel;fra;til\n"
                   "A1;0301;ALIS-avtale;fastlege;100;01.10.2022;31.08.2023\n"
                   "A2;0301;ALIS-avtale;fastlege;120;01.10.2022;31.08.2023\n", encoding="utf-8")
    out = tmp_path / "r.json"
    assert main(["compute", str(src), "--period", "2023", "-o", str(out), "--quiet"]) == 1
    assert "rad 2 (linje 3)" in out.read_text(encoding="utf-8")
    resaved = tmp_path / "ny.csv"
    _resave(src, resaved, title=True)
    code, text = _verify(out, "--input", resaved)
    assert code == 0, text
    assert "GJENSKAPT: linjen, den avviste raden og totalen (275 000 kr) er like" in text


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_rate_table_changed_since_names_the_change_and_the_lines_it_moves(fmt, tmp_path, changed_engine):
    """Computed with a changed copy of the tables: verify recomputes with the embedded (changed)
    table and reproduces it, and says the table shipped now differs, how, and what that moves."""
    out, _ = _write(tmp_path, fmt, engine=changed_engine)
    code, text = _verify(out)
    assert code == 1, text
    assert "GJENSKAPT" in text  # under the data it carries
    assert "REGLER ELLER SATSER ER ENDRET SIDEN: dataene som leveres med programmet nå er ikke de som er lagret i " \
           "resultatet: satstabellen 2023 er endret" in text
    assert "ALIS-avtale, fastlege, klasse 1–5: 310 000 kr → 300 000 kr" in text  # the rates diff view
    assert "rad 1 (ALIS-001, 2023): da 284 167 kr, nå 275 000 kr" in text  # then and now
    assert "totalt: da 1 166 834 kr, nå 1 142 500 kr" in text
    assert "RESULTATET ER ENDRET" not in text


def test_a_rate_table_changed_after_the_result_is_seen_through_the_api_too(tmp_path, changed_engine):
    out, _ = _write(tmp_path, "json")
    verification = grants.verify(out, engine=changed_engine)  # the tables "shipped now" are the changed copy
    assert verification.exit_code == 1 and verification.outcomes == ["reproduced", "data_changed"]
    assert [(m.row, m.then, m.now) for m in verification.moves] == [
        (1, "275 000 kr", "284 167 kr"), (2, "180 000 kr", "186 000 kr"), (9, "275 000 kr", "284 167 kr")]


def test_a_changed_rules_file_is_named_with_the_rule(tmp_path, rules_copy):
    pricing = rules_copy / "pricing.yaml"
    text = pricing.read_text(encoding="utf-8")
    start = text.index("text_nb:", text.index("id: amount.model_a"))
    pricing.write_text(text[:start] + "text_nb: Beløpet er årssats × andel × måneder / 12.\n    " + text[start:].split("\n", 1)[1].lstrip(), encoding="utf-8")
    engine = grants.load_engine(rules_dir=rules_copy)
    out, _ = _write(tmp_path, "json")
    verification = grants.verify(out, engine=engine)
    assert verification.exit_code == 1
    said = verification.text()
    assert "regelfilen pricing.yaml er endret" in said and "amount.model_a" in said and "ingen linje endres" in said


@pytest.mark.parametrize("fmt", FORMATS)
def test_another_program_version(fmt, tmp_path):
    """A result from another version is made by editing the manifest's version (there is no
    other version to install in a test). Alone, the lines are the same: reproduced, with a note.
    With an amount that differs too, the difference is laid to the version, not called altered."""
    out, _ = _write(tmp_path, fmt)
    _set_version(out, fmt, "0.0.1")
    code, text = _verify(out)
    assert code == 0, text
    assert "MERK: resultatet er laget med versjon 0.0.1; denne versjonen" in text
    if fmt == "csv":
        side = out.with_name(out.name + ".kontroll.json")
        doc = json.loads(side.read_text(encoding="utf-8"))
        data = out.read_text(encoding="utf-8-sig").replace(";275000;ok;", ";285000;ok;", 1)
        out.write_text("\ufeff" + data, encoding="utf-8")
        doc["csv"]["sha256"] = hashlib.sha256(out.read_bytes()).hexdigest()  # as the other version would have written it
        side.write_text(json.dumps(doc), encoding="utf-8")
    elif fmt == "json":
        doc = json.loads(out.read_text(encoding="utf-8"))
        doc["lines"][0]["amount_nok"] = 285000
        out.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    elif fmt == "xlsx":
        wb = openpyxl.load_workbook(out)
        ws = wb["Linjer"]
        ws.cell(3, [c.value for c in ws[2]].index("Beløp (kr)") + 1).value = 285000
        wb.save(out)
    else:
        text = out.read_text(encoding="utf-8")
        out.write_text(text.replace('<td class="num">1 142 500</td>', '<td class="num">1 152 500</td>'), encoding="utf-8")
    code, text = _verify(out)
    assert code == 1, text
    assert "ANNEN PROGRAMVERSJON: resultatet er laget med alis-grants 0.0.1" in text
    assert "kontroller med versjon 0.0.1" in text and "RESULTATET ER ENDRET" not in text


def _set_version(out, fmt, version):
    if fmt == "csv":
        side = out.with_name(out.name + ".kontroll.json")
        doc = json.loads(side.read_text(encoding="utf-8"))
        doc["provenance"]["version"] = version
        side.write_text(json.dumps(doc), encoding="utf-8")
    elif fmt == "json":
        doc = json.loads(out.read_text(encoding="utf-8"))
        doc["provenance"]["version"] = version
        out.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    elif fmt == "xlsx":
        wb = openpyxl.load_workbook(out)
        ws = wb["Kontroll"]
        cells = [row for row in ws.iter_rows() if str(row[0].value or "").startswith(KONTROLLDATA)]
        manifest = json.loads("".join(row[1].value for row in cells))
        manifest["version"] = version
        data = json.dumps(manifest, ensure_ascii=False, separators=(",", ":"))
        chunks = [data[i:i + MANIFEST_CHUNK] for i in range(0, len(data), MANIFEST_CHUNK)]
        assert len(chunks) == len(cells)
        for row, chunk in zip(cells, chunks):
            row[1].value = chunk
        wb.save(out)
    else:
        text = out.read_text(encoding="utf-8")
        old = html.escape(f'"version":"{grants.__version__}"', quote=True)
        assert text.count(old) == 1
        out.write_text(text.replace(old, html.escape(f'"version":"{version}"', quote=True)), encoding="utf-8")


# --- cannot verify ------------------------------------------------------------------------------


def test_a_csv_without_its_sidecar_cannot_be_verified(tmp_path):
    out, _ = _write(tmp_path, "csv")
    out.with_name(out.name + ".kontroll.json").unlink()
    code, text = _verify(out)
    assert code == 2
    assert "KAN IKKE KONTROLLERES: kontrollfilen resultat.csv.kontroll.json mangler ved siden av resultat.csv" in text


def test_a_stale_sidecar_cannot_vouch_for_another_csv(tmp_path):
    """The CSV was replaced by another run's (another input, other rows); the sidecar still
    names the first one."""
    out, _ = _write(tmp_path, "csv")
    other, _ = _write(tmp_path, "csv", source=OTHER, period="2025-26", name="annen")
    shutil.copy(other, out)
    code, text = _verify(out)
    assert code == 2, text
    assert "kontrollfilen resultat.csv.kontroll.json hører ikke til denne CSV-filen" in text
    assert "IKKE SAMME INNFIL" not in text and "GJENSKAPT" not in text


def test_a_csv_saved_again_with_the_same_cells_is_reproduced_with_a_note(tmp_path):
    out, _ = _write(tmp_path, "csv")
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8-sig")), delimiter=";"))
    with open(out, "w", encoding="utf-8", newline="") as fh:  # no BOM, LF, every cell quoted
        csv.writer(fh, delimiter=";", quoting=csv.QUOTE_ALL, lineterminator="\n").writerows(rows)
    code, text = _verify(out)
    assert code == 0, text
    assert "MERK: CSV-filen er lagret på nytt etter at kontrollfilen ble skrevet (andre bytes)" in text


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_missing_input_cannot_be_verified(fmt, tmp_path):
    out, src = _write(tmp_path, fmt)
    src.unlink()
    code, text = _verify(out)
    assert code == 2
    assert "KAN IKKE KONTROLLERES: innfilen «soknad_2023.csv» finnes ikke ved siden av resultatet" in text
    assert "gi den med --input FIL" in text


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_result_without_a_manifest_cannot_be_verified(fmt, tmp_path):
    out, _ = _write(tmp_path, fmt)
    if fmt == "csv":
        side = out.with_name(out.name + ".kontroll.json")
        doc = json.loads(side.read_text(encoding="utf-8"))
        del doc["provenance"]["manifest"]
        side.write_text(json.dumps(doc), encoding="utf-8")
    elif fmt == "json":  # as an older version wrote it: version and hashes only
        doc = json.loads(out.read_text(encoding="utf-8"))
        doc["provenance"] = {k: doc["provenance"][k] for k in ("package", "version", "rules_sha256", "rates_sha256")}
        out.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    elif fmt == "xlsx":
        wb = openpyxl.load_workbook(out)
        del wb["Kontroll"]
        wb.save(out)
    else:
        text = out.read_text(encoding="utf-8")
        out.write_text(text[:text.index('<section id="kontroll">')] + "</body></html>\n", encoding="utf-8")
    code, text = _verify(out)
    assert code == 2, text
    assert "KAN IKKE KONTROLLERES" in text and "kontrolldata" in text


def test_an_unreadable_result_and_edited_embedded_data_cannot_be_verified(tmp_path):
    broken = tmp_path / "resultat.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a workbook")
    code, text = _verify(broken)
    assert code == 2 and "resultat.xlsx kan ikke leses" in text
    assert _verify(tmp_path / "finnes_ikke.json")[0] == 2
    out, _ = _write(tmp_path, "json")
    doc = json.loads(out.read_text(encoding="utf-8"))
    embedded = doc["provenance"]["embedded"]["rates"]["2023"]
    embedded["text"] = embedded["text"].replace("300000", "310000")  # the hash it gives no longer fits
    out.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    code, text = _verify(out)
    assert code == 2 and "kontrolldataene er endret: teksten til satstabellen 2023 har ikke SHA-256-en" in text


# --- other doors: lines as data, sessions, the service ------------------------------------------


def test_lines_given_to_the_library_are_verified_with_the_same_lines(tmp_path):
    lines = [dict(r) for r in grants.read_application(EXAMPLE).lines]
    result = grants.compute(lines, "2023")
    assert result.provenance.input.kind == "lines"
    out = tmp_path / "api.json"
    write_result(result, out)
    assert grants.verify(out, input=lines).exit_code == 0
    cannot = grants.verify(out)
    assert cannot.exit_code == 2 and "gi de samme linjene med --input FIL.json" in cannot.text()
    lines[3]["stillingsandel"] = "60"
    other = grants.verify(out, input=lines)
    assert other.outcomes == ["input_differs"] and other.exit_code == 1


def test_a_model_b_result_with_sessions_is_verified_with_its_sessions_file(tmp_path):
    application = FIXTURES / "examples" / "soknad_2025-26_timer.csv"
    sessions = FIXTURES / "examples" / "veiledningsokter_2025-26.csv"
    for f in (application, sessions):
        shutil.copy(f, tmp_path / f.name)
    out = tmp_path / "b.json"
    main(["compute", str(tmp_path / application.name), "--period", "2025-26", "--sessions", str(tmp_path / sessions.name),
          "-o", str(out), "--quiet"])
    manifest = json.loads(out.read_text(encoding="utf-8"))["provenance"]
    assert manifest["sessions"]["name"] == sessions.name and manifest["sessions"]["rows"] > 0
    code, text = _verify(out)
    assert code == 0, text
    fewer = tmp_path / "faerre_okter.csv"
    fewer.write_text("\n".join(sessions.read_text(encoding="utf-8").splitlines()[:-1]) + "\n", encoding="utf-8")
    code, text = _verify(out, "--sessions", fewer)
    assert code == 1 and "IKKE SAMME INNFIL: øktfilen faerre_okter.csv er ikke den resultatet ble beregnet fra" in text


def test_the_services_csv_answer_and_its_kontroll_verify_with_the_request(tmp_path):
    """The real service: its CSV answer and the sidecar from the same request with
    format=kontroll verify with the request's body as the input; so does its JSON answer."""
    import httpx

    from tests.service_process import ServiceProcess

    service = ServiceProcess(tmp_path / "server.log")
    try:
        with httpx.Client(base_url=service.url, timeout=60) as client:
            _service_answers(client, tmp_path)
    finally:
        service.stop()


def _service_answers(client, tmp_path):
    lines = [{"alis_id": "A1", "kommunenummer": "0301", "grant_type": "alis_avtale", "role": "fastlege",
              "position_share": 80.5, "start": "2022-10-01", "end": "2023-08-31"},
             {"alis_id": "A2", "kommunenummer": "1812", "grant_type": "kun_veiledning", "role": "fastlege",
              "position_share": "100", "start": "2022-10-01", "end": "2023-03-31"}]
    request = {"period": "2023", "lines": lines}
    csv_answer = client.post("/compute?format=csv", json=request)
    kontroll = client.post("/compute?format=kontroll", json=request)
    assert csv_answer.status_code == kontroll.status_code == 200
    assert 'filename="resultat.csv.kontroll.json"' in kontroll.headers["content-disposition"]
    assert kontroll.json()["csv"]["sha256"] == hashlib.sha256(csv_answer.content).hexdigest()
    (tmp_path / "resultat.csv").write_bytes(csv_answer.content)
    (tmp_path / "resultat.csv.kontroll.json").write_bytes(kontroll.content)
    body = tmp_path / "foresporsel.json"
    body.write_text(json.dumps(request), encoding="utf-8")
    code, text = _verify(tmp_path / "resultat.csv", "--input", body)
    assert code == 0, text
    answer = client.post("/compute", json=request)
    (tmp_path / "svar.json").write_bytes(answer.content)
    assert answer.json()["provenance"]["input"]["kind"] == "lines"
    assert _verify(tmp_path / "svar.json", "--input", body)[0] == 0
    upload = client.post("/compute", files={"file": ("min_soknad.csv", EXAMPLE.read_bytes(), "text/csv")},
                         data={"period": "2023"})
    assert upload.json()["provenance"]["input"]["name"] == "min_soknad.csv"  # the client's name, never a temporary one


def test_the_readme_shows_one_verification_as_a_user_sees_it(tmp_path, monkeypatch, capsys):
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### For the auditor"):]
    commands = [line.strip() for line in section.splitlines() if line.startswith("    alis-grant ")][:2]
    assert commands[1].startswith("alis-grant verify")
    shown = section[section.index("```\n") + 4:section.index("\n```", section.index("```\n"))]
    (tmp_path / "fixtures").symlink_to(FIXTURES)
    monkeypatch.chdir(tmp_path)
    import shlex

    assert main(shlex.split(commands[0])[1:]) == 0
    capsys.readouterr()
    assert main(shlex.split(commands[1])[1:]) == 0
    assert capsys.readouterr().out.strip() == shown.strip()
