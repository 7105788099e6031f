"""Helpers every command shares: exit codes, reading the input file, checking the output."""
from __future__ import annotations

import argparse
import os
import stat
import sys
from pathlib import Path

from ..csv_reader import read_lines_csv
from ..errors import OutputFileError

EXIT_OK, EXIT_REJECTED, EXIT_FATAL = 0, 1, 2

_DELIMITERS = {",": ",", "komma": ",", "comma": ",", ";": ";", "semikolon": ";", "semicolon": ";",
               "tab": "\t", "\t": "\t", "\\t": "\t"}


def delimiter(value: str) -> str:
    try:
        return _DELIMITERS[value.strip().lower()]
    except KeyError:
        raise argparse.ArgumentTypeError(f"ukjent skilletegn «{value}»; bruk komma, semikolon eller tab") from None


def check_output(args: argparse.Namespace) -> None:
    """Refuse an output the tool cannot write well before computing anything."""
    out = Path(args.output)
    if out.suffix.lower() not in (".csv", ".json", ".xlsx"):
        raise OutputFileError(f"utfilen {out} må slutte på .csv, .json eller .xlsx (Excel-arbeidsbok)")
    if out.exists() and out.resolve() == Path(args.input).resolve():
        raise OutputFileError(f"utfilen {out} er den samme som innfilen; velg et annet navn så søknaden ikke overskrives")
    check_writable(out)


def check_writable(out: Path) -> None:
    """Refuse, before any work, a target in a missing folder or one marked read-only (also
    when running as root, who could write it anyway: the read-only mark is the user's wish)."""
    folder = out.parent if str(out.parent) else Path(".")
    if not folder.is_dir():
        raise OutputFileError(f"mappen {folder} finnes ikke; opprett den eller velg en annen plassering for {out.name}")
    if out.is_dir():
        raise OutputFileError(f"utfilen {out} er en mappe")
    if not os.access(folder, os.W_OK | os.X_OK) or not folder.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH):
        raise OutputFileError(f"kan ikke skrive i mappen {folder} (skrivebeskyttet)")
    if out.exists() and (not os.access(out, os.W_OK) or not out.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)):
        raise OutputFileError(f"utfilen {out} er skrivebeskyttet; velg et annet navn eller fjern skrivebeskyttelsen")


def load_input(path: str):
    csv_input = read_lines_csv(path)
    for note in csv_input.notes:
        print(f"Merk: {note}", file=sys.stderr)
    return csv_input
