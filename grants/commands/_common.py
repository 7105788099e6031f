"""Helpers every command shares: exit codes, reading the input file, checking the output, and
printing text from a file safely."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from grants.io.output import check_output_path, sidecar_path, terminal_safe
from grants.io.application import ApplicationFile, read_application

EXIT_OK, EXIT_REJECTED, EXIT_FATAL = 0, 1, 2


class LazyChoices:
    """An option's `choices` read from `module.name` on first use (a value given on the command
    line, or an error message), so building the parser imports nothing heavy. Give
    the option a `metavar` too: argparse lists the choices of an option without one as soon
    as it is added."""

    def __init__(self, module: str, name: str):
        self._where = (module, name)

    def _values(self) -> tuple[str, ...]:
        import importlib

        module, name = self._where
        return tuple(getattr(importlib.import_module(module), name))

    def __contains__(self, value: object) -> bool:
        return value in self._values()

    def __iter__(self):
        return iter(self._values())

_DELIMITERS = {",": ",", "komma": ",", "comma": ",", ";": ";", "semikolon": ";", "semicolon": ";",
               "tab": "\t", "\t": "\t", "\\t": "\t"}

OUTPUT_SUFFIXES = (".csv", ".json", ".xlsx")
"""What `compute -o` writes (the suffix decides the format)."""


def delimiter(value: str) -> str:
    try:
        return _DELIMITERS[value.strip().lower()]
    except KeyError:
        raise argparse.ArgumentTypeError(f"ukjent skilletegn «{value}»; bruk komma, semikolon eller tab") from None


READ_FILES = (("input", "innfilen"), ("sessions", "øktfilen (--sessions)"))
"""Every option naming a file a command reads, with how a message calls it: `-o` is checked
against each (a new option that reads a file is added here)."""


def check_output(args: argparse.Namespace, suffixes: tuple[str, ...] = OUTPUT_SUFFIXES, *, sidecar: bool = False) -> Path:
    """Refuse an output the tool cannot write (missing folder, read-only mode, any file the
    command reads, an unknown suffix) before computing anything. `sidecar`: a result CSV's
    manifest is written beside it (NAME.csv.kontroll.json), so its path is checked too."""
    inputs = [(what, getattr(args, option)) for option, what in READ_FILES if getattr(args, option, None)]
    out = check_output_path(args.output, inputs=inputs, suffixes=suffixes)
    if sidecar and out.suffix.lower() == ".csv":
        check_output_path(sidecar_path(out), inputs=inputs)
    return out


def add_input_options(parser: argparse.ArgumentParser) -> None:
    """The options of every command that reads an application file."""
    parser.add_argument("--sheet", help="arket i Excel-filen som skal leses (standard: det første synlige; et skjult ark leses bare når det er valgt)")
    parser.add_argument("--ignore-column", action="append", default=[], metavar="KOLONNE",
                        help="en kolonne som ligner på en kjent overskrift, men som ikke skal brukes (kan gjentas)")


def load_input(path: str, sheet: str | None = None) -> ApplicationFile:
    """Read a CSV or .xlsx file (the one reader, grants.read_application) and say what it noticed."""
    application = read_application(path, sheet)
    for note in application.notes:
        say(f"Merk: {note}", err=True)
    return application


def add_sessions_option(parser: argparse.ArgumentParser, text: str) -> None:
    parser.add_argument("--sessions", metavar="FIL", help=text)


def say(text: str = "", *, err: bool = False) -> None:
    """Print text that may quote the input file: control characters are shown, never obeyed."""
    print(terminal_safe(text), file=sys.stderr if err else sys.stdout)


def print_rate_notes(engine, named: str | None = None) -> None:
    """Say which files in rates/ were left out (drafts, other names), on every command; not the
    table the command itself names (`impact --new rates/NY.yaml` uses it)."""
    own = Path(named).resolve() if named else None
    for note in engine.ratebook.skipped:
        if own is not None and str(own) in note or (named and named in note):
            continue
        say(f"Merk: {note}", err=True)


def rate_table_path(spec: str) -> str:
    """A rate table given on the command line: a file path, or a period id (2024-25) meaning
    that period's shipped table."""
    from grants.datafiles.paths import data_dir
    from grants.rates.tables import PERIOD_FILE_NAME

    if not Path(spec).exists() and PERIOD_FILE_NAME.fullmatch(spec):
        shipped = data_dir("rates") / f"{spec}.yaml"
        if shipped.exists():
            return str(shipped)
    if not Path(spec).exists():
        from grants.errors import RateTableError

        raise RateTableError(f"{spec}: finner ikke satstabellen (verken en fil eller en kjent periode)")
    return spec
