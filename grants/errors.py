"""Exceptions that stop a run: broken data files, unreadable input files, broken promises.

Row-level problems are not exceptions: they become `Rejection`s in the result.
"""
from __future__ import annotations

from typing import Callable, Iterable


class GrantsError(Exception):
    """Base class: something that stops the whole run (exit code 2 in the CLI)."""


class RateTableError(GrantsError):
    """A rate table is malformed; the message names the file and the key."""


class RulesError(GrantsError):
    """A rules file is malformed, or the dated rules have a gap or an overlap."""


class UnknownPeriodError(GrantsError):
    """No rate table exists for the requested grant period."""


class InputFileError(GrantsError):
    """The input as a whole cannot be read (missing file, empty, bad or duplicate header)."""


def cli_remedy(column: str) -> str:
    """How the command line leaves a column out."""
    return f"kjør med --ignore-column «{column}»"


def api_remedy(column: str) -> str:
    """How the Python API (grants.compute, grants.explain) leaves a column out."""
    return f"gi compute(..., ignore_columns=[{column!r}])"


API_IGNORE_OPTION = "ignore_columns="
"""The Python API's name for the columns to leave out, as messages call it."""


class ColumnChoiceError(InputFileError):
    """A column the program will not guess about (it resembles a known header, or names an
    unknown expense element). The message says how to leave it out in the Python API
    (`ignore_columns=`), where the library raises it; `worded` says it in another front end's
    words (the command line's --ignore-column, the service's form field)."""

    def __init__(self, parts: Iterable[tuple[str, str, str]]):
        self.parts = tuple(parts)
        """(text before the remedy, column, text after) per column."""
        super().__init__(self.worded(api_remedy))

    def __reduce__(self):  # rebuilt from its parts, not from the message
        return type(self), (self.parts,)

    @property
    def columns(self) -> list[str]:
        return [column for _, column, _ in self.parts]

    def worded(self, remedy: Callable[[str], str]) -> str:
        return "; ".join(before + remedy(column) + after for before, column, after in self.parts)


class UnknownIgnoredColumnError(InputFileError):
    """Columns named to be ignored that the input does not have; the message names the Python
    API's `ignore_columns=`, `worded` the option as another front end calls it."""

    def __init__(self, columns: Iterable[str]):
        self.columns = tuple(columns)
        super().__init__(self.worded(API_IGNORE_OPTION))

    def __reduce__(self):
        return type(self), (self.columns,)

    def worded(self, option: str, source: str = "filen") -> str:
        return f"{option} nevner en kolonne som ikke finnes i {source}: " + ", ".join(f"«{c}»" for c in self.columns)


class OutputFileError(GrantsError):
    """The output file cannot be written (missing folder, no permission)."""


class ConservationError(GrantsError):
    """An input row produced no outcome or more than one kind of outcome: a lost line."""


class EvaluatorUnavailableError(GrantsError):
    """The evaluator asked for cannot run in this interpreter (durable_rules where it is not
    installed, as on Python 3.13 and later); the message says why and what to use instead."""
