"""The file boundary: every input file is read by `read_table`, every output file is written
through `atomic_output`, and text from a file is made safe for spreadsheets and terminals here.

One place for these concerns, so a hostile or awkward file is handled the same way by every
command (compute, explain, impact, portfolio).
"""
from grants.io.output import (
    atomic_output,
    check_output_path,
    looks_like_formula,
    spreadsheet_safe,
    terminal_safe,
)
from grants.io.reader import MAX_INPUT_BYTES, SourceTable, read_table

__all__ = [
    "MAX_INPUT_BYTES", "SourceTable", "read_table",
    "atomic_output", "check_output_path", "looks_like_formula", "spreadsheet_safe", "terminal_safe",
]
