"""The rate-table property suite under its old name: other services import
`grants.testing.check_rate_table`. The suite lives in grants/ratecheck/, one module per check."""
from __future__ import annotations

from grants.tools.ratecheck import MUNICIPALITIES, PROPERTY_TITLES, CheckReport, PropertyResult, check_rate_table

__all__ = ["check_rate_table", "CheckReport", "PropertyResult", "PROPERTY_TITLES", "MUNICIPALITIES"]
