"""The public contract as data: `grants.__all__` with each name's signature, and the JSON
Schemas of grants.service.api_models. tests/api_snapshot/ holds the committed copy and a test compares;
its fingerprint must appear in CHANGELOG.md, so no change to the contract goes unrecorded. It
describes the package's face (grants/__init__.py), so it stands above it; `alis-grant schema`
writes it."""
from __future__ import annotations

import dataclasses
import functools
import hashlib
import inspect
import json
from pathlib import Path
from typing import Any

from grants.service.api_models import SCHEMAS


def schemas() -> dict[str, dict[str, Any]]:
    """name -> JSON Schema (validation mode for requests, serialisation for responses alike)."""
    return {name: model.model_json_schema() for name, model in SCHEMAS.items()}


def _describe(obj: Any) -> Any:
    if inspect.isclass(obj):
        if hasattr(obj, "model_fields"):  # pydantic
            return {"kind": "model", "fields": sorted(obj.model_fields)}
        if dataclasses.is_dataclass(obj):
            members = {"kind": "dataclass", "fields": [f.name for f in dataclasses.fields(obj) if not f.name.startswith("_")]}
        elif issubclass(obj, BaseException):
            return {"kind": "exception", "bases": [b.__name__ for b in obj.__mro__[1:] if b is not object]}
        elif hasattr(obj, "__members__"):  # enum
            return {"kind": "enum", "members": sorted(str(v.value) for v in obj)}
        else:
            members = {"kind": "class"}
        methods = {}
        for name, member in sorted(vars(obj).items()):
            if name.startswith("_") and name != "__init__":
                continue
            if isinstance(member, (staticmethod, classmethod)):
                member = member.__func__
            if inspect.isfunction(member):
                methods[name] = str(inspect.signature(member))
            elif isinstance(member, (property, functools.cached_property)):
                methods[name] = "property"
        members["methods"] = methods
        return members
    if callable(obj):
        return {"kind": "function", "signature": str(inspect.signature(obj))}
    return {"kind": type(obj).__name__}


def public_api() -> dict[str, Any]:
    import grants

    return {"__all__": sorted(grants.__all__), "names": {n: _describe(getattr(grants, n)) for n in sorted(grants.__all__)}}


def _canonical(data: Any) -> str:
    return json.dumps(data, sort_keys=True, ensure_ascii=False, indent=1) + "\n"


def snapshot_files() -> dict[str, str]:
    """File name -> content of the contract snapshot."""
    files = {f"{name}.schema.json": _canonical(schema) for name, schema in schemas().items()}
    files["public_api.json"] = _canonical(public_api())
    return files


def fingerprint(files: dict[str, str] | None = None) -> str:
    """A short hash of the whole contract, quoted in CHANGELOG.md."""
    files = files if files is not None else snapshot_files()
    h = hashlib.sha256()
    for name in sorted(files):
        h.update(name.encode() + b"\0" + files[name].encode() + b"\0")
    return h.hexdigest()[:16]


def write(directory: str | Path, files: dict[str, str] | None = None) -> list[Path]:
    """Each file through the one atomic writer (grants.io.output.atomic_output)."""
    from grants.errors import OutputFileError
    from grants.io.output import atomic_output

    folder = Path(directory)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputFileError(f"kan ikke lage mappen {folder}: {exc.strerror or exc}") from None
    written = []
    for name, text in (files or snapshot_files()).items():
        path = folder / name
        with atomic_output(path, encoding="utf-8", newline="") as fh:
            fh.write(text)
        written.append(path)
    return written
