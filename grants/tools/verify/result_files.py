"""The result file, by format (CSV with its sidecar, JSON, the workbook, the HTML report): its
manifest read, and its content compared item by item with the same format rendered again from a
new computation."""
from __future__ import annotations

import csv
import hashlib
import io
import json
import tempfile
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, Iterator

from grants.io.output import sidecar_path
from grants.report.kontroll import KONTROLLDATA
from grants.tools.verify.verdict import Difference, _Cannot


class _ResultFile:
    """A result file as read: its manifest, and how to compare it with a new computation."""

    format = ""
    stale: str | None = None  # a CSV whose sidecar names another SHA-256: why it may not belong

    def __init__(self, path: Path, raw: bytes):
        self.path, self.raw = path, raw
        self.manifest: Any = None

    def compare(self, fresh: Any, engine: Any, application: Any, lines: Any) -> list[Difference]:
        return _differences(self.items(), self.render_items(fresh, engine, application))

    def lines_up(self, fresh: Any) -> bool:
        return True

    def items(self) -> dict[str, tuple[str, str | None]]:
        raise NotImplementedError

    def render_items(self, fresh: Any, engine: Any, application: Any) -> dict[str, tuple[str, str | None]]:
        raise NotImplementedError


def _differences(mine: dict[str, tuple[Any, ...]], theirs: dict[str, tuple[Any, ...]]) -> list[Difference]:
    """Items are key -> (text, column name[, where]); compared by key. `where` (a cell of a
    workbook's line, keyed by the line so that a row deleted or moved is named as itself) is
    said as the file has it, else as the new computation has it; without it the key is said."""
    out = []
    for key in dict.fromkeys([*mine, *theirs]):
        a, b = mine.get(key), theirs.get(key)
        if (a and a[0]) != (b and b[0]):
            item = a or b
            out.append(Difference(item[2] if len(item) > 2 else key, a[0] if a else None, b[0] if b else None,
                                  item[1]))
    return out


def _read_result(path: Path) -> _ResultFile:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise _Cannot(f"resultatfilen {path} finnes ikke") from None
    except OSError as exc:
        raise _Cannot(f"resultatfilen {path} kan ikke leses: {exc.strerror or exc}") from None
    head = raw[:512].lstrip(b"\xef\xbb\xbf \t\r\n")
    if raw.startswith(b"PK\x03\x04"):
        doc: _ResultFile = _Workbook(path, raw)
    elif head.startswith(b"{"):
        doc = _Json(path, raw)
    elif head[:15].lower().startswith((b"<!doctype html", b"<html")):
        doc = _Html(path, raw)
    else:
        doc = _Csv(path, raw)
    doc.load()
    return doc


class _Json(_ResultFile):
    format = "json"

    def load(self) -> None:
        try:
            self.doc = json.loads(self.raw.decode("utf-8-sig"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise _Cannot(f"{self.path.name} kan ikke leses som JSON: {exc}") from None
        if not isinstance(self.doc, dict):
            raise _Cannot(f"{self.path.name} er ikke et resultat fra alis-grant (ikke et JSON-objekt)")
        self.manifest = self.doc.get("provenance")
        if self.manifest is None:
            raise _Cannot(f"{self.path.name} har ingen «provenance» med kontrolldata")

    def items(self) -> dict[str, tuple[str, str | None]]:
        return dict(_flatten(_comparable(self.doc, self.doc)))

    def render_items(self, fresh: Any, engine: Any, application: Any) -> dict[str, tuple[str, str | None]]:
        from grants.io.writers import write_json_stream

        out = io.StringIO()
        write_json_stream(fresh, out)
        return dict(_flatten(_comparable(json.loads(out.getvalue()), self.doc)))


def _comparable(doc: dict[str, Any], shape: dict[str, Any]) -> dict[str, Any]:
    """The document without what is not the result: its manifest, the traces' provenance
    (version and hashes, checked through the manifest), the service's reading notes; traces
    only when the file has them (the service leaves them out unless asked)."""
    out = {k: v for k, v in doc.items() if k not in ("provenance", "file_notes")}
    if "traces" not in shape or shape.get("traces") is None:
        out.pop("traces", None)
    elif isinstance(out.get("traces"), list):
        out["traces"] = [{k: v for k, v in t.items() if k != "provenance"} if isinstance(t, dict) else t
                         for t in out["traces"]]
    return out


def _flatten(value: Any, path: str = "", column: str | None = None) -> Iterator[tuple[str, tuple[str, str | None]]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _flatten(item, f"{path}, «{key}»" if path else f"«{key}»", str(key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            label = f"{path}[{i}]"
            if isinstance(item, dict) and "row" in item and path in ("«lines»", "«rejections»", "«traces»"):
                label += f" (rad {item['row']})"
            yield from _flatten(item, label, column)
    else:
        yield path, (json.dumps(value, ensure_ascii=False), column)


class _Csv(_ResultFile):
    format = "csv"

    def load(self) -> None:
        side = sidecar_path(self.path)
        try:
            data = side.read_bytes()
        except FileNotFoundError:
            raise _Cannot(f"kontrollfilen {side.name} mangler ved siden av {self.path.name}: en CSV-fil bærer ikke "
                          "kontrolldata selv; uten kontrollfilen kan den ikke kontrolleres") from None
        except OSError as exc:
            raise _Cannot(f"kontrollfilen {side.name} kan ikke leses: {exc.strerror or exc}") from None
        try:
            doc = json.loads(data.decode("utf-8-sig"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise _Cannot(f"kontrollfilen {side.name} kan ikke leses som JSON: {exc}") from None
        if not isinstance(doc, dict) or not isinstance(doc.get("csv"), dict):
            raise _Cannot(f"kontrollfilen {side.name} er ikke en kontrollfil fra alis-grant")
        self.manifest = doc.get("provenance")
        actual = hashlib.sha256(self.raw).hexdigest()
        named = doc["csv"].get("sha256")
        if actual != named:
            self.stale = (f"kontrollfilen {side.name} hører ikke til denne CSV-filen: den oppgir SHA-256 "
                          f"{str(named)[:12]}…, filen har {actual[:12]}… (CSV-filen er endret, eller kontrollfilen er "
                          "fra en annen kjøring)")
        try:
            self.text = self.raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise _Cannot(f"{self.path.name} er ikke UTF-8 (byte {exc.start}); den er lagret på nytt i et annet "
                          "program og kan ikke sammenlignes") from None

    def _options(self) -> tuple[str, str]:
        options = self.manifest.get("options") or {}
        return options.get("delimiter") or ",", options.get("lang") or "en"

    def _rows(self, text: str) -> list[list[str]]:
        return list(csv.reader(io.StringIO(text, newline=""), delimiter=self._options()[0]))

    def _fresh_text(self, fresh: Any) -> str:
        from grants.io.writers import write_csv

        out = io.StringIO(newline="")
        delimiter, lang = self._options()
        write_csv(fresh, out, delimiter, lang)
        return out.getvalue()

    def _columns(self, fresh: Any) -> list[str]:
        return list(fresh.columns)

    def _items(self, rows: list[list[str]], names: list[str]) -> dict[str, tuple[str, str | None]]:
        out: dict[str, tuple[str, str | None]] = {}
        if not rows:
            return out
        header = rows[0]
        for i, name in enumerate(header):
            out[f"overskriften, kolonne {i + 1}"] = (name, None)
        for n, row in enumerate(rows[1:], start=2):
            where = f"linje {n} (rad {row[0] if row else '?'})"
            for i, cell in enumerate(row):
                title = header[i] if i < len(header) else f"kolonne {i + 1}"
                label = f"{where}, «{title}»"
                if label in out:
                    label += f" (kolonne {i + 1})"
                out[label] = (cell, names[i] if i < len(names) else None)
        return out

    def compare(self, fresh: Any, engine: Any, application: Any, lines: Any) -> list[Difference]:
        names = self._columns(fresh)
        self._fresh_rows = self._rows(self._fresh_text(fresh))
        self._file_rows = self._rows(self.text)
        return _differences(self._items(self._file_rows, names), self._items(self._fresh_rows, names))

    def lines_up(self, fresh: Any) -> bool:
        """Same header, same rows and the same doctor, municipality and period on each: the CSV
        is this result, edited; otherwise the sidecar belongs to another file."""
        mine, theirs = self._file_rows, self._fresh_rows
        if len(mine) != len(theirs) or not mine or mine[0] != theirs[0]:
            return False
        names = self._columns(fresh)
        keys = [i for i, n in enumerate(names) if n in ("row", "alis_id", "kommunenummer", "period")]
        return all([a[i] if i < len(a) else None for i in keys] == [b[i] if i < len(b) else None for i in keys]
                   for a, b in zip(mine[1:], theirs[1:]))


class _Workbook(_ResultFile):
    format = "xlsx"
    _SKIP = "Kontroll"

    def load(self) -> None:
        self.sheets = self._read(self.path.name, self.raw)
        kontroll = self.sheets.get(self._SKIP)
        if kontroll is None:
            raise _Cannot(f"{self.path.name} har ikke arket «Kontroll» med kontrolldata (laget av en eldre versjon, "
                          "eller arket er fjernet)")
        parts = []
        for _, cells in kontroll.rows:
            label = next((text for col, text, _ in cells if col == 1), "")
            if label.startswith(KONTROLLDATA + " "):
                parts.append(next((text for col, text, _ in cells if col == 2), ""))
        if not parts:
            raise _Cannot(f"arket «Kontroll» i {self.path.name} har ingen kontrolldata")
        try:
            self.manifest = json.loads("".join(parts))
        except ValueError as exc:
            raise _Cannot(f"kontrolldataene på arket «Kontroll» kan ikke leses: {exc}") from None

    @staticmethod
    def _read(name: str, raw: bytes) -> dict[str, Any]:
        from grants.errors import InputFileError
        from grants.io.xlsx import read_sheets

        try:
            return {s.name: s for s in read_sheets(name, raw, max(len(raw) * 100, 1 << 26))}
        except InputFileError as exc:
            raise _Cannot(f"{name} kan ikke leses: {exc}") from None

    @classmethod
    def _cells(cls, sheets: dict[str, Any]) -> dict[str, tuple[Any, ...]]:
        from grants.io.xlsx import column_letters

        out: dict[str, tuple[str, str | None]] = {}
        for name, sheet in sheets.items():
            if name == cls._SKIP:
                continue
            header: dict[int, str] = {}
            for _, cells in sheet.rows:
                if len(cells) >= 2:
                    header = {col: text for col, text, _ in cells}
                    break
            out[f"ark «{name}»"] = ("finnes", None)
            row_col = next((col for col, title in header.items() if title == "Rad"), None)
            period_col = next((col for col, title in header.items() if title == "Periode"), None)
            seen: dict[tuple[str, str | None], int] = {}
            for row, cells in sheet.rows:
                data_row = next((text for col, text, _ in cells if col == row_col), None) if row_col else None
                line = None  # a line's cells are keyed by the line (row, period, repeat), not by their address
                if data_row and data_row.isdigit():
                    period = next((text for col, text, _ in cells if col == period_col), None) if period_col else None
                    repeat = seen[(data_row, period)] = seen.get((data_row, period), -1) + 1
                    line = f"ark «{name}», rad {data_row}" + (f" ({period})" if period else "") + (
                        f" #{repeat + 1}" if repeat else "")
                for col, text, _ in cells:
                    title = header.get(col)
                    where = (f"ark «{name}», celle {column_letters(col)}{row}"
                             + (f" (rad {data_row}, «{title}»)" if data_row and title and data_row.isdigit() else
                                f" («{title}»)" if title else ""))
                    if line is not None and title:
                        out[f"{line}, «{title}»"] = (text, _COLUMN_OF.get(title), where)
                    else:
                        out[where] = (text, _COLUMN_OF.get(title or ""))
        return out

    def items(self) -> dict[str, tuple[str, str | None]]:
        return self._cells(self.sheets)

    def render_items(self, fresh: Any, engine: Any, application: Any) -> dict[str, tuple[str, str | None]]:
        from grants.io.workbook import write_workbook

        with tempfile.TemporaryDirectory(prefix="alis-verify-") as folder:
            target = Path(folder) / self.path.name
            write_workbook(fresh, target, engine.rulebook)
            return self._cells(self._read(self.path.name, target.read_bytes()))


_COLUMN_OF = {"Linje/rad i filen": "file_line"}
"""Workbook headers whose column says where the row stood in the input file."""


class _Html(_ResultFile):
    format = "html"

    def load(self) -> None:
        from grants.report.html import KONTROLL_ID

        try:
            self.text = self.raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise _Cannot(f"{self.path.name} er ikke UTF-8 (byte {exc.start})") from None
        parser = _Page(KONTROLL_ID)
        parser.feed(self.text)
        parser.close()
        if parser.data is None:
            raise _Cannot(f"{self.path.name} har ingen kontrolldata nederst (laget av en eldre versjon, eller delen er fjernet)")
        try:
            self.manifest = json.loads(parser.data)
        except ValueError as exc:
            raise _Cannot(f"kontrolldataene i {self.path.name} kan ikke leses: {exc}") from None
        self.page = parser

    def items(self) -> dict[str, tuple[str, str | None]]:
        return self.page.items

    def render_items(self, fresh: Any, engine: Any, application: Any) -> dict[str, tuple[str, str | None]]:
        from grants.report.html import KONTROLL_ID, report_page

        options = self.manifest.get("options") or {}
        period = options.get("period")
        tables = [engine.ratebook.get(period)] if period else []
        source = (self.manifest.get("input") or {}).get("name") or ""
        records = application.lines if application is not None else []
        page = _Page(KONTROLL_ID)
        page.feed(report_page(fresh, tables, rulebook=engine.rulebook, source=source, records=records, name=self.path.name))
        page.close()
        return page.items


class _Page(HTMLParser):
    """The report's text, item by item, labelled by where it stands: a table cell by its table,
    row and column header; other text by its section and element. The section «Kontroll» is
    the manifest: its JSON is kept apart, its words are not compared."""

    _TEXT = {"td", "th", "dt", "dd", "p", "pre", "li", "h1", "h2", "h3", "title", "summary", "text", "code", "footer"}

    def __init__(self, kontroll_id: str):
        super().__init__(convert_charrefs=True)
        self.kontroll_id = kontroll_id
        self.items: dict[str, tuple[str, str | None]] = {}
        self.data: str | None = None
        self._stack: list[tuple[str, dict[str, str | None]]] = []
        self._buffer: list[str] = []
        self._section = "sidehodet"
        self._in_kontroll = 0
        self._table: str | None = None
        self._headers: list[str] = []
        self._row = 0
        self._col = 0
        self._first_cell = ""
        self._count: dict[str, int] = {}
        self._in_head = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "section" and a.get("id") == "kontroll":
            self._in_kontroll = 1
        elif self._in_kontroll and tag == "section":
            self._in_kontroll += 1
        if tag == "table":
            self._table = a.get("data-doctor") and f"lege {a['data-doctor']}" or a.get("class") or self._section
            self._headers, self._row, self._in_head = [], 0, False
        elif tag == "thead":
            self._in_head = True
        elif tag == "tbody":
            self._in_head = False
        elif tag == "tr":
            self._col = 0
            if not self._in_head:
                self._row += 1
        if tag in self._TEXT or (tag == "pre" and a.get("id") == self.kontroll_id):
            self._flush()
            self._stack.append((tag, a))

    def handle_endtag(self, tag: str) -> None:
        if tag == "section" and self._in_kontroll:
            self._in_kontroll -= 1
            return
        if tag == "table":
            self._table = None
        if self._stack and self._stack[-1][0] == tag:
            _, attrs = self._stack.pop()
            text = " ".join("".join(self._buffer).split())
            raw = "".join(self._buffer)
            self._buffer = []
            if attrs.get("id") == self.kontroll_id:
                self.data = raw
                return
            if self._in_kontroll:
                return
            if tag == "h2":
                self._section = text
            self._add(tag, attrs, text)

    def handle_data(self, data: str) -> None:
        if self._stack:
            self._buffer.append(data)

    def _flush(self) -> None:
        if self._stack and self._buffer:  # text before a nested element belongs to the outer one
            self._buffer.append(" ")

    def _add(self, tag: str, attrs: dict[str, str | None], text: str) -> None:
        if tag in ("td", "th") and self._table is not None:
            first = self._col
            span = attrs.get("colspan") or "1"
            self._col += int(span) if span.isdigit() and 0 < int(span) < 1000 else 1
            if self._in_head:
                self._headers += [text] * (self._col - first)
                where = f"tabell «{self._table}», overskrift {first + 1}"
            else:
                if first == 0:
                    self._first_cell = text
                title = self._headers[first] if first < len(self._headers) else f"kolonne {first + 1}"
                where = f"tabell «{self._table}», rad {self._row} («{self._first_cell}»), «{title}»"
            self.items[self._unique(where)] = (text, None)
            return
        what = {"pre": "forklaringen", "p": "avsnitt", "li": "punkt", "dd": "verdi", "dt": "felt", "text": "tekst i tidslinjen",
                "title": "tittel"}.get(tag, tag)
        ident = attrs.get("data-row")
        label = f"«{self._section}», {what}" + (f" for rad {ident}" if ident else "")
        self.items[self._unique(label)] = (text, None)

    def _unique(self, label: str) -> str:
        n = self._count.get(label, 0) + 1
        self._count[label] = n
        return label if n == 1 else f"{label} ({n})"
