"""Workbooks written by hand, part by part, for the reader's hostile and odd cases: the XML is
given as text, so a test can spell an attribute, a prefix or a duplicate exactly as some
generator (or an attacker) does."""
from __future__ import annotations

import io
import struct
import zipfile
from xml.sax.saxutils import escape

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
HEADER = ["lege_id", "kommunenr", "tilskuddstype", "rolle", "stillingsandel", "fra", "til"]


def claim(alis_id: str) -> list[str]:
    """One valid 2023 line (model A), as cell texts."""
    return [alis_id, "0301", "alis_avtale", "fastlege", "80", "2023-01-01", "2023-09-30"]


def cells_xml(row: int, values: list[str], prefix: str = "") -> str:
    out = []
    for i, v in enumerate(values):
        if v is None or v == "":
            continue
        ref = f"{chr(65 + i)}{row}"
        out.append(f'<{prefix}c r="{ref}" t="inlineStr"><{prefix}is><{prefix}t>{escape(v)}</{prefix}t></{prefix}is></{prefix}c>')
    return "".join(out)


def sheet_xml(rows: list[str], *, prefix: str = "", head: str = "", before_data: str = "") -> str:
    """A worksheet whose <sheetData> holds the given row elements (as text)."""
    xmlns = f'xmlns:{prefix[:-1]}="{MAIN}"' if prefix else f'xmlns="{MAIN}"'
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n{head}'
            f'<{prefix}worksheet {xmlns} xmlns:r="{REL}">{before_data}<{prefix}sheetData>'
            + "".join(rows) + f"</{prefix}sheetData></{prefix}worksheet>")


def row_xml(row: int, values: list[str], attrs: str = "", prefix: str = "") -> str:
    return f'<{prefix}row r="{row}"{attrs}>{cells_xml(row, values, prefix)}</{prefix}row>'


def claims_sheet(n: int = 3, row_attrs: dict[int, str] | None = None, prefix: str = "") -> str:
    """Header on row 1 and claims A1..An on rows 2..n+1; `row_attrs` adds attribute text to rows."""
    row_attrs = row_attrs or {}
    rows = [row_xml(1, HEADER, row_attrs.get(1, ""), prefix)]
    rows += [row_xml(r, claim(f"A{r - 1}"), row_attrs.get(r, ""), prefix) for r in range(2, n + 2)]
    return sheet_xml(rows, prefix=prefix)


def workbook(sheets: list[tuple[str, str]] | list[tuple[str, str, str]], *, styles: str | None = None,
             shared: str | None = None, extra: dict[str, bytes] | None = None,
             compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    """An .xlsx package: sheets as (name, xml) or (name, xml, state); state "hidden" or "veryHidden"."""
    entries, rels, types = [], [], []
    files: dict[str, bytes] = {}
    for i, sheet in enumerate(sheets, start=1):
        name, xml = sheet[0], sheet[1]
        state = f' state="{sheet[2]}"' if len(sheet) > 2 and sheet[2] else ""
        entries.append(f'<sheet name="{escape(name)}" sheetId="{i}"{state} r:id="rId{i}"/>')
        rels.append(f'<Relationship Id="rId{i}" Type="{REL}/worksheet" Target="worksheets/sheet{i}.xml"/>')
        types.append(f'<Override PartName="/xl/worksheets/sheet{i}.xml" '
                     'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>')
        files[f"xl/worksheets/sheet{i}.xml"] = xml.encode("utf-8")
    n = len(sheets)
    if styles is not None:
        n += 1
        rels.append(f'<Relationship Id="rId{n}" Type="{REL}/styles" Target="styles.xml"/>')
        files["xl/styles.xml"] = styles.encode("utf-8")
    if shared is not None:
        n += 1
        rels.append(f'<Relationship Id="rId{n}" Type="{REL}/sharedStrings" Target="sharedStrings.xml"/>')
        files["xl/sharedStrings.xml"] = shared.encode("utf-8")
    files["[Content_Types].xml"] = (
        '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        + "".join(types) + "</Types>").encode()
    files["_rels/.rels"] = (
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>').encode()
    files["xl/workbook.xml"] = (
        f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN}" xmlns:r="{REL}"><sheets>'
        + "".join(entries) + "</sheets></workbook>").encode()
    files["xl/_rels/workbook.xml.rels"] = (
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        + "".join(rels) + "</Relationships>").encode()
    files.update(extra or {})
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as z:
        for name, data in files.items():
            z.writestr(name, data)
    return out.getvalue()


def declare_size(package: bytes, member: str, size: int) -> bytes:
    """The same zip with `member`'s uncompressed size rewritten in its local header and in the
    central directory: a declaration that lies (bigger or smaller than the truth)."""
    data = bytearray(package)
    name = member.encode()
    # local file header: signature, ..., uncompressed size at offset 22, name length at 26
    at = 0
    while True:
        at = data.find(b"PK\x03\x04", at)
        if at < 0:
            raise ValueError(member)
        n_len = struct.unpack_from("<H", data, at + 26)[0]
        if bytes(data[at + 30: at + 30 + n_len]) == name:
            struct.pack_into("<I", data, at + 22, size)
            break
        at += 4
    # central directory header: uncompressed size at offset 24, name length at 28, name at 46
    at = 0
    while True:
        at = data.find(b"PK\x01\x02", at)
        if at < 0:
            raise ValueError(member)
        n_len = struct.unpack_from("<H", data, at + 28)[0]
        if bytes(data[at + 46: at + 46 + n_len]) == name:
            struct.pack_into("<I", data, at + 24, size)
            return bytes(data)
        at += 4
