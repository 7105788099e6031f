"""What one request asks to compute (a JSON request's lines, or an uploaded file as read), and
an upload as a temporary file for the command line's readers."""
from __future__ import annotations

from contextlib import contextmanager
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator


from grants.service.api_models import ComputeRequest, ExplainRequest
from grants.io.application import ApplicationFile, read_application
from grants.errors import InputFileError
from grants.service.errors import ServiceError


def _safe_name(name: str | None) -> str:
    base = Path(name or "filen").name or "filen"
    return "".join(c for c in base if c.isprintable())[:120]


@contextmanager
def _as_file(upload: "_Upload") -> Iterator[Path]:
    """An uploaded file as a temporary file, for the readers of the command line (the kind is
    decided by the content). Messages name the file as the client called it, never the
    temporary path."""
    shown = _safe_name(upload.filename)
    with tempfile.TemporaryDirectory(prefix="alis-upload-") as folder:
        # under the client's own name (in a private folder), which the result's manifest records
        name = shown if shown not in ("filen", ".", "..") and not shown.startswith(".") else None
        path = Path(folder) / (name or ("upload.xlsx" if upload.data[:4] == b"PK\x03\x04" else "upload.csv"))
        path.write_bytes(upload.data)
        try:
            yield path
        except InputFileError as exc:
            raise ServiceError(400, str(exc).replace(str(path), shown).replace(folder, "")) from None


@dataclass(frozen=True)
class _Upload:
    data: bytes
    filename: str | None


def _read_upload(upload: "_Upload", sheet: str | None, max_bytes: int) -> ApplicationFile:
    """An uploaded CSV or XLSX, read as the command line reads it (grants.read_application),
    with the upload limit as the file limit: a workbook may unpack to at most
    XLSX_EXPANSION times it."""
    with _as_file(upload) as path:
        return read_application(path, sheet, max_bytes=max_bytes)


@dataclass(frozen=True)
class _Batch:
    """What one request asks to compute: the lines (a JSON request's records, or an uploaded
    file as read, so rows carry `file_line` and the CSV is the command line's file), and the
    supervision sessions (a JSON request's rows, or an uploaded sessions file)."""

    lines: Any
    period: str | None
    ignore_columns: tuple[str, ...] = ()
    sessions: list[dict[str, Any]] | _Upload | None = None
    filename: str | None = None  # an upload's name as the client gave it

    @property
    def n_lines(self) -> int:
        return self.source.n_rows if self.source is not None else len(self.lines)

    @property
    def source(self) -> ApplicationFile | None:
        return self.lines if isinstance(self.lines, ApplicationFile) else None

    @property
    def delimiter(self) -> str:
        return self.source.delimiter if self.source is not None else ","


def _json_batch(req: ComputeRequest | ExplainRequest) -> _Batch:
    sessions = [s.record() for s in req.sessions] if req.sessions is not None else None
    return _Batch([line.record() for line in req.lines], req.period, tuple(req.ignore_columns), sessions)
