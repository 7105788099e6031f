"""The upload form (multipart/form-data): the application file, the period, the sheet, the
columns to leave out and the sessions file, read into a batch."""
from __future__ import annotations

from typing import Any

from fastapi import Request
from starlette.requests import ClientDisconnect

from grants.service.batch import _Batch, _Upload, _read_upload
from grants.service.config import ServiceConfig
from grants.service.errors import ServiceError
from grants.service.guard import _BodyTimeout, _BodyTooLarge
from grants.service.worker import _off_loop


def _form_text(form: Any, name: str) -> str | None:
    value = form.get(name)
    if value is not None and not isinstance(value, str):
        raise ServiceError(400, f"feltet «{name}» må være tekst")
    return (value.strip() or None) if value else None


def _form_ignore_columns(form: Any) -> tuple[str, ...]:
    """`ignore_columns`: column names separated by commas (the page's text field); the field
    may also be repeated."""
    names: list[str] = []
    for value in form.getlist("ignore_columns"):
        if not isinstance(value, str):
            raise ServiceError(400, "feltet «ignore_columns» må være tekst")
        names += [part.strip() for part in value.split(",") if part.strip()]
    return tuple(names)


async def _upload(request: Request, config: ServiceConfig) -> _Batch:
    try:
        form = await request.form(max_files=2, max_fields=10, max_part_size=config.max_body_bytes)
    except (_BodyTooLarge, _BodyTimeout, ClientDisconnect):
        raise
    except Exception:  # noqa: BLE001 - python-multipart's parse errors: a malformed upload
        raise ServiceError(400, "skjemaet (multipart/form-data) kan ikke leses") from None
    try:
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise ServiceError(400, "mangler filen (feltet «file»)")
        period, sheet = _form_text(form, "period"), _form_text(form, "sheet")
        ignore = _form_ignore_columns(form)
        application = _Upload(await upload.read(), upload.filename)
        sessions = None
        given = form.get("sessions")
        if isinstance(given, str):
            if given.strip():
                raise ServiceError(400, "feltet «sessions» må være en fil (veiledningsøktene som CSV eller .xlsx)")
        elif given is not None:
            data = await given.read()
            if data or given.filename:  # a form's file field left empty sends no name and no bytes
                sessions = _Upload(data, given.filename)
    finally:
        await form.close()
    source = await _off_loop(_read_upload, application, sheet, config.max_body_bytes)
    return _Batch(source, period, ignore, sessions, upload.filename)
