"""The parts of an .xlsx package grants.io.xlsx reads a sheet through: the zip, checked before
anything is inflated (every member's declared size and compression ratio; members read through
`zipfile`, which stops at the declared size and checks the CRC, with the bytes inflated counted
against the same limit), and the XML parts around the sheet (relationships, the workbook's list
of sheets, the styles' number formats, the shared strings), each read by one streaming parser
that refuses a DOCTYPE, so no entity is ever declared or resolved.
"""
from __future__ import annotations

import io
import posixpath
import re
import zipfile
from dataclasses import dataclass
from typing import Any, Iterator
from xml.parsers import expat

from grants.errors import InputFileError

MAX_RATIO = 100
"""A member that inflates more than this many times its packed size (and to more than
`RATIO_FLOOR` bytes) is refused before it is read: real sheets pack 5-20 to 1, a deflate bomb
about 1 000 to 1."""
RATIO_FLOOR = 1 << 20
_CHUNK = 1 << 16

MAIN = frozenset({"http://schemas.openxmlformats.org/spreadsheetml/2006/main",
                   "http://purl.oclc.org/ooxml/spreadsheetml/main"})
RELATIONSHIP_ATTR = frozenset({"http://schemas.openxmlformats.org/officeDocument/2006/relationships",
                                "http://purl.oclc.org/ooxml/officeDocument/relationships"})
PACKAGE_RELS = frozenset({"http://schemas.openxmlformats.org/package/2006/relationships"})
TRUE, FALSE = frozenset({"1", "true"}), frozenset({"0", "false"})


class Damaged(Exception):
    """A part does not say what it must; the message (bokmål) names the place."""


# --- the package -------------------------------------------------------------------------------


class Package:
    """The zip, refused before anything is inflated when a member is not what Excel writes or
    would unpack to more than `max_unpacked` bytes (declared) or inflates suspiciously well."""

    def __init__(self, name: str, raw: bytes, max_unpacked: int):
        self.name, self.max_unpacked, self.inflated = name, max_unpacked, 0
        try:
            self.zf = zipfile.ZipFile(io.BytesIO(raw))
            infos = self.zf.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
            raise self._broken(exc) from None
        self.members: dict[str, zipfile.ZipInfo] = {}
        for info in infos:
            key = info.filename.lower()
            if key in self.members:
                raise InputFileError(f"{name}: Excel-filen er skadet: delen {info.filename} står to ganger i "
                                     "zip-filen; lagre den på nytt fra Excel")
            self.members[key] = info
        declared = 0
        for info in infos:
            if info.flag_bits & 0x1:
                raise InputFileError(f"{name}: Excel-filen er kryptert (passord); lagre den som .xlsx uten passord")
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise InputFileError(f"{name}: Excel-filen er pakket med en metode Excel ikke bruker "
                                     f"(delen {info.filename}); lagre den på nytt fra Excel")
            declared += info.file_size
            if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
                raise InputFileError(
                    f"{name}: delen {info.filename} i Excel-filen pakker ut til {info.file_size} byte fra "
                    f"{info.compress_size} (over {MAX_RATIO} ganger); en slik fil (en zip-bombe) leses ikke"
                )
        if declared > max_unpacked:
            raise InputFileError(
                f"{name}: Excel-filen pakker ut til {declared} byte, over grensen på {max_unpacked} byte; del den opp"
            )

    def _broken(self, exc: BaseException) -> InputFileError:
        return InputFileError(
            f"{self.name}: filen ser ut som en Excel-fil (.xlsx), men kan ikke åpnes: den er skadet eller "
            f"ufullstendig ({type(exc).__name__}); lagre den på nytt fra Excel"
        )

    def has(self, path: str) -> bool:
        return path.lower() in self.members

    def names(self) -> list[str]:
        return [info.filename for info in self.members.values()]

    def chunks(self, path: str) -> Iterator[bytes]:
        """The member's bytes, inflated a chunk at a time and counted against the limit (zipfile
        itself stops at the declared size and checks the CRC)."""
        info = self.members[path.lower()]
        try:
            with self.zf.open(info) as fh:
                while True:
                    chunk = fh.read(_CHUNK)
                    if not chunk:
                        return
                    self.inflated += len(chunk)
                    if self.inflated > self.max_unpacked:
                        raise InputFileError(f"{self.name}: Excel-filen pakker ut til mer enn grensen på "
                                             f"{self.max_unpacked} byte; del den opp")
                    yield chunk
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError, RuntimeError) as exc:
            raise self._broken(exc) from None

    def head(self, path: str, size: int) -> bytes:
        out = b""
        for chunk in self.chunks(path):
            out += chunk
            if len(out) >= size:
                break
        return out[:size]

    def parse(self, path: str, handler: Any) -> None:
        """Feed the member to expat; a DOCTYPE (and so any entity) is refused outright."""
        parser = expat.ParserCreate(namespace_separator=" ")
        parser.buffer_text = True
        parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)

        def refuse(*_: Any) -> None:
            raise InputFileError(f"{self.name}: delen {path} i Excel-filen har en DOCTYPE (entiteter); "
                                 "Excel skriver aldri det, og filen leses ikke")

        parser.StartDoctypeDeclHandler = refuse
        parser.EntityDeclHandler = refuse
        parser.ExternalEntityRefHandler = refuse
        parser.StartElementHandler = handler.start
        parser.EndElementHandler = handler.end
        parser.CharacterDataHandler = handler.data
        try:
            for chunk in self.chunks(path):
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
        except expat.ExpatError as exc:
            raise Damaged(f"delen {path} er ikke gyldig XML (linje {exc.lineno}: "
                           f"{expat.ErrorString(exc.code)})") from None


def split(name: str) -> tuple[str, str]:
    """("namespace", "local") of an expat name ("uri local" or "local")."""
    ns, _, local = name.rpartition(" ")
    return ns, local


class Handler:
    """Tracks the path of elements; subclasses look at the elements they know."""

    def __init__(self) -> None:
        self.path: list[str] = []  # local names; "" for an element outside the main namespaces

    def start(self, name: str, attrs: dict[str, str]) -> None:
        ns, local = split(name)
        self.path.append(local if ns in self.namespaces else "")
        self.opened(self.path, attrs)

    def end(self, name: str) -> None:
        self.closed(self.path)
        self.path.pop()

    def data(self, text: str) -> None:
        pass

    namespaces: frozenset[str] = MAIN

    def opened(self, path: list[str], attrs: dict[str, str]) -> None:
        pass

    def closed(self, path: list[str]) -> None:
        pass


def boolean(value: str | None, where: str) -> bool:
    """An xsd:boolean attribute, in every spelling XML allows ("1", "true", " true "); anything
    else is refused rather than guessed."""
    if value is None:
        return False
    v = value.strip()
    if v in TRUE:
        return True
    if v in FALSE:
        return False
    raise Damaged(f"{where} har verdien «{value}», som verken er sann eller usann")


def attr(attrs: dict[str, str], namespaces: frozenset[str], local: str) -> str | None:
    for ns in namespaces:
        value = attrs.get(f"{ns} {local}")
        if value is not None:
            return value
    return None


# --- relationships, workbook, styles, shared strings ------------------------------------------


class Relationships(Handler):
    namespaces = PACKAGE_RELS

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[str, tuple[str, str, bool]] = {}  # id -> (type, target, external)

    def opened(self, path: list[str], attrs: dict[str, str]) -> None:
        if path == ["Relationships", "Relationship"]:
            rid = attrs.get("Id", "")
            self.items[rid] = (attrs.get("Type", ""), attrs.get("Target", ""), attrs.get("TargetMode") == "External")


def resolve(source: str, target: str) -> str:
    """A relationship's target as a member name, relative to the part that names it."""
    if target.startswith("/"):
        return posixpath.normpath(target.lstrip("/"))
    return posixpath.normpath(posixpath.join(posixpath.dirname(source), target))


def rels_part(part: str) -> str:
    folder, base = posixpath.split(part)
    return posixpath.join(folder, "_rels", base + ".rels")


@dataclass
class SheetEntry:
    name: str
    state: str          # visible, hidden, veryHidden
    rid: str


class WorkbookPart(Handler):
    def __init__(self) -> None:
        super().__init__()
        self.sheets: list[SheetEntry] = []
        self.date1904 = False

    def opened(self, path: list[str], attrs: dict[str, str]) -> None:
        if path == ["workbook", "workbookPr"]:
            self.date1904 = boolean(attrs.get("date1904"), "workbookPr date1904")
        elif path == ["workbook", "sheets", "sheet"]:
            state = (attrs.get("state") or "visible").strip()
            if state not in ("visible", "hidden", "veryHidden"):
                raise Damaged(f"arket «{attrs.get('name', '')}» har ukjent synlighet «{state}»")
            self.sheets.append(SheetEntry(attrs.get("name", ""), state, attr(attrs, RELATIONSHIP_ATTR, "id") or ""))


class Styles(Handler):
    def __init__(self) -> None:
        super().__init__()
        self.custom: dict[int, str] = {}
        self.xf_formats: list[int] = []

    def opened(self, path: list[str], attrs: dict[str, str]) -> None:
        if path == ["styleSheet", "numFmts", "numFmt"]:
            try:
                self.custom[int(attrs.get("numFmtId", ""))] = attrs.get("formatCode", "")
            except ValueError:
                raise Damaged(f"stilarket har et tallformat med ugyldig nummer «{attrs.get('numFmtId')}»") from None
        elif path == ["styleSheet", "cellXfs", "xf"]:
            try:
                self.xf_formats.append(int(attrs.get("numFmtId") or 0))
            except ValueError:
                raise Damaged(f"stilarket har en stil med ugyldig tallformat «{attrs.get('numFmtId')}»") from None

    def formats(self) -> list["Format"]:
        from openpyxl.styles.numbers import builtin_format_code

        out = []
        for fmt_id in self.xf_formats:
            code = self.custom.get(fmt_id)
            if code is None:
                code = builtin_format_code(fmt_id) or "General"
            out.append(Format.of(code))
        return out


@dataclass(frozen=True)
class Format:
    code: str
    date: bool
    timedelta: bool
    percent: bool

    @classmethod
    def of(cls, code: str) -> "Format":
        from openpyxl.styles.numbers import is_date_format, is_timedelta_format

        shown = re.sub(r'"[^"]*"|\\.', "", code)  # a % inside quotes or escaped is text, not a percent
        return cls(code, is_date_format(code), is_timedelta_format(code), "%" in shown)


GENERAL = Format("General", False, False, False)


class SharedStrings(Handler):
    """`si` items: their own `t` and the `t` of each rich-text run `r`, not the phonetic `rPh`."""

    def __init__(self) -> None:
        super().__init__()
        self.strings: list[str] = []
        self._parts: list[str] | None = None
        self._in_text = False

    def opened(self, path: list[str], attrs: dict[str, str]) -> None:
        n = len(path)
        if n == 2 and path[1] == "si":
            self._parts = []
        elif path[-1] == "t" and self._parts is not None and (n == 3 or (n == 4 and path[2] == "r")):
            self._in_text = True

    def data(self, text: str) -> None:
        if self._in_text and self._parts is not None:
            self._parts.append(text)

    def closed(self, path: list[str]) -> None:
        if path[-1] == "t":
            self._in_text = False
        elif len(path) == 2 and path[1] == "si" and self._parts is not None:
            self.strings.append("".join(self._parts).replace("x005F_", ""))  # as openpyxl reads it
            self._parts = None


# --- the sheet ---------------------------------------------------------------------------------
