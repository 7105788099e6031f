"""Exceptions that stop a run: broken data files, unreadable input files, broken promises.

Row-level problems are not exceptions: they become `Rejection`s in the result.
"""
from __future__ import annotations


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


class OutputFileError(GrantsError):
    """The output file cannot be written (missing folder, no permission)."""


class ConservationError(GrantsError):
    """An input row produced no outcome or more than one kind of outcome: a lost line."""
