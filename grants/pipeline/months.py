"""Kept only for grants/tools/impact.py, which imports shift_months from here: month counting
lives in grants/months.py. Delete this module when impact imports grants.months."""
from grants.months import shift_months

__all__ = ["shift_months"]
