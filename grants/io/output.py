"""The one way a file is written, and the one definition of text that is unsafe to show.

- `check_output_path` refuses an output the run cannot write BEFORE anything is computed.
- `atomic_output` writes through a unique temporary file in the target's folder, fsyncs it and
  renames it over the target: a failure never leaves a half-written result, and two runs writing
  the same target never share a temporary file.
- `spreadsheet_safe` / `looks_like_formula`: cells from input text that a spreadsheet would run
  as a formula are written as plain text (OWASP's CSV-injection advice).
- `terminal_safe`: control characters from a file are shown escaped, so a file cannot move the
  cursor, recolour or retitle the officer's terminal.
"""
from __future__ import annotations

import errno
import os
import re
import stat
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, Iterable, Iterator

from grants.errors import OutputFileError

_WRITE_BITS = stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH


def _mode(st: os.stat_result) -> str:
    return f"{stat.S_IMODE(st.st_mode):04o}"


def check_output_path(
    path: str | os.PathLike,
    *,
    input_path: str | os.PathLike | None = None,
    inputs: Iterable[tuple[str, str | os.PathLike]] = (),
    suffixes: Iterable[str] | None = None,
) -> Path:
    """The output path, after refusing what cannot or must not be written: a suffix not in
    `suffixes`, a missing folder, a folder or target without a write bit in its mode (read by
    the mode, not by access(): root may write anything, but a read-only mode is the owner's
    wish), a target that is a folder or not a regular file, and every file the command reads
    (`input_path`, and `inputs` as (what it is, path) pairs such as ("øktfilen (--sessions)",
    path)), also through a symbolic or a hard link."""
    out = Path(path)
    if suffixes is not None:
        allowed = tuple(s.lower() for s in suffixes)
        if out.suffix.lower() not in allowed:
            listed = ", ".join(allowed[:-1]) + (" eller " if len(allowed) > 1 else "") + allowed[-1]
            raise OutputFileError(f"utfilen {out} må slutte på {listed}")
    folder = out.parent
    try:
        fst = os.stat(folder)
    except FileNotFoundError:
        raise OutputFileError(f"mappen {folder} for utfilen {out} finnes ikke") from None
    except OSError as exc:
        raise OutputFileError(f"kan ikke bruke mappen {folder} for utfilen {out}: {exc.strerror}") from None
    if not stat.S_ISDIR(fst.st_mode):
        raise OutputFileError(f"{folder} er ikke en mappe, så utfilen {out} kan ikke skrives der")
    if not fst.st_mode & _WRITE_BITS or not os.access(folder, os.W_OK | os.X_OK):
        raise OutputFileError(f"mappen {folder} er skrivebeskyttet (modus {_mode(fst)}); velg en annen mappe")
    try:
        tst = os.stat(out)
    except FileNotFoundError:
        tst = None
    except OSError as exc:
        raise OutputFileError(f"kan ikke bruke utfilen {out}: {exc.strerror}") from None
    if tst is not None:
        if stat.S_ISDIR(tst.st_mode):
            raise OutputFileError(f"utfilen {out} er en mappe; gi et filnavn")
        if not stat.S_ISREG(tst.st_mode):
            raise OutputFileError(f"utfilen {out} er ikke en vanlig fil (men en enhet, FIFO eller socket)")
        if not tst.st_mode & _WRITE_BITS or not os.access(out, os.W_OK):
            raise OutputFileError(
                f"utfilen {out} er skrivebeskyttet (modus {_mode(tst)}); den blir ikke overskrevet, "
                "velg et annet navn"
            )
    read = [("innfilen", input_path)] if input_path is not None else []
    for what, source in read + list(inputs):
        if source is not None and _same_file(out, Path(source)):
            raise OutputFileError(
                f"utfilen {out} er den samme som {what} ({source}); velg et annet navn så den ikke overskrives"
            )
    return out


SIDECAR_SUFFIX = ".kontroll.json"
"""A CSV result's manifest is written beside it as NAME.csv.kontroll.json (a CSV has no place
for it): the manifest and the CSV's own SHA-256, so the two are known to belong together."""


def sidecar_path(path: str | os.PathLike) -> Path:
    """The manifest file beside a CSV result: resultat.csv -> resultat.csv.kontroll.json."""
    path = Path(path)
    return path.with_name(path.name + SIDECAR_SUFFIX)


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.realpath(a) == os.path.realpath(b)


def _umask() -> int:
    """The process umask, read without setting it (os.umask would change process state)."""
    try:
        with open("/proc/self/status", encoding="ascii", errors="replace") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    return 0o022


@contextmanager
def atomic_output(
    path: str | os.PathLike, *, binary: bool = False, encoding: str = "utf-8", newline: str | None = ""
) -> Iterator[IO[Any]]:
    """Yield a file handle; on a clean exit its content replaces `path` in one rename.

    The temporary file is unique (mkstemp) and in the target's own folder (a rename across file
    systems is not atomic). It is flushed and fsynced before the rename, and the folder after it.
    On any exception the temporary file is removed and the target is left as it was. A target
    that is read-only by its mode, or not a regular file, is refused as in `check_output_path`,
    also for a caller that did not check first. A symlink
    target is followed, so the link keeps pointing at the new content. The new file keeps an
    existing target's mode, or gets the mode a normal create would give.
    """
    target = Path(os.path.realpath(path))
    folder = target.parent
    try:
        existing = os.stat(target)
        mode = stat.S_IMODE(existing.st_mode)
        if not stat.S_ISREG(existing.st_mode) or not mode & _WRITE_BITS:
            check_output_path(target)  # raises with the reason: a folder, a device, a read-only mode
    except FileNotFoundError:
        mode = 0o666 & ~_umask()
    except OSError as exc:
        raise OutputFileError(f"kan ikke skrive {path}: {exc.strerror}") from None
    existed = os.path.lexists(target)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise write_error(path, exc, existed) from None
    try:
        if binary:
            fh = os.fdopen(fd, "wb")
        else:
            fh = os.fdopen(fd, "w", encoding=encoding, newline=newline)
    except BaseException:
        os.close(fd)
        _remove(tmp)
        raise
    try:
        with fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except OutputFileError:
        _remove(tmp)
        raise
    except OSError as exc:
        _remove(tmp)
        raise write_error(path, exc, existed) from None
    except BaseException:
        _remove(tmp)
        raise
    _fsync_folder(folder)


_WRITE_ERRORS = {
    errno.ENOSPC: ("disken er full", "frigjør plass eller skriv til en annen mappe"),
    errno.EDQUOT: ("diskkvoten er brukt opp", "frigjør plass eller skriv til en annen mappe"),
    errno.EFBIG: ("filen blir større enn systemet tillater", "skriv til .csv, eller del opp innfilen"),
    errno.EROFS: ("filsystemet er skrivebeskyttet", "skriv til en annen mappe"),
    errno.EACCES: ("ingen skrivetilgang", "skriv til en annen mappe"),
    errno.EPERM: ("ingen skrivetilgang", "skriv til en annen mappe"),
    errno.EIO: ("lese-/skrivefeil på disken", "prøv igjen, eller skriv til en annen disk"),
}


def write_error(path: str | os.PathLike, exc: OSError, existed: bool) -> OutputFileError:
    """One readable line for a failed write: what went wrong, which file, what to do, and that
    the old file (if any) is as it was."""
    reason, remedy = _WRITE_ERRORS.get(exc.errno or 0, (exc.strerror or type(exc).__name__, "prøv igjen"))
    where = f" (ved skriving til {exc.filename})" if exc.filename and os.fspath(exc.filename) != os.fspath(path) else ""
    kept = "den gamle filen er uendret" if existed else "ingen fil er skrevet"
    return OutputFileError(f"kan ikke skrive {path}: {reason}{where}; {remedy} ({kept})")


def _remove(tmp: str) -> None:
    try:
        os.unlink(tmp)
    except FileNotFoundError:
        pass


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable; some file systems cannot fsync a folder: then it is the
    file system's own guarantee."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# --- cells and terminals -----------------------------------------------------------------------

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""Text beginning with one of these is run as a formula by some spreadsheet (OWASP CSV injection)."""


def looks_like_formula(text: str) -> bool:
    """True if a spreadsheet could take this text for a formula: the one definition of
    dangerous, used by the CSV and the Excel writer."""
    return text.startswith(FORMULA_STARTS)


def spreadsheet_safe(value: Any) -> Any:
    """Text a spreadsheet would evaluate gets a leading ' (shown as text, not run); anything
    else, numbers included, is returned unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


_UNSAFE_FOR_TERMINAL = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]"
)
"""C0 controls except tab and newline, DEL, C1 controls (ESC and CSI included), and the bidi
controls that reorder what is shown (text that reads differently from what it is)."""


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def terminal_safe(text: str) -> str:
    """Text with every control character shown as an escape (ESC as \\x1b), so text from a file
    cannot drive the terminal; newline and tab are kept."""
    return _UNSAFE_FOR_TERMINAL.sub(_escape, str(text))
