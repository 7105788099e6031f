"""Helpers every command shares: exit codes, reading the input file, checking the output."""
from __future__ import annotations

import argparse
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
    if out.suffix.lower() not in (".csv", ".json"):
        raise OutputFileError(f"utfilen {out} må slutte på .csv eller .json (Excel åpner .csv)")
    if out.exists() and out.resolve() == Path(args.input).resolve():
        raise OutputFileError(f"utfilen {out} er den samme som innfilen; velg et annet navn så søknaden ikke overskrives")


def load_input(path: str):
    csv_input = read_lines_csv(path)
    for note in csv_input.notes:
        print(f"Merk: {note}", file=sys.stderr)
    return csv_input


def print_rate_notes(engine) -> None:
    """Say which files in rates/ were left out (drafts, other names), on every command."""
    for note in engine.ratebook.skipped:
        print(f"Merk: {note}", file=sys.stderr)
