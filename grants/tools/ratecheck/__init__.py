"""The property suite that checks a rate table before it is published.

    from grants.tools.ratecheck import check_rate_table   # or grants.testing, the old name
    report = check_rate_table("rates/2023.yaml")          # or a draft anywhere: /tmp/x/2026-27.yaml
    print(report.text())
    assert report.ok, report.text()

The table at `path` is loaded together with the shipped tables (it replaces a shipped table with
the same period id), the shipped rules (or those of `rules_dir`, a draft) are loaded against
that book, and one `Engine` runs the checks below, one module each in this package. A table that does not load (`RateTableError`, `RulesError`) fails the check
"loads" with the loader's message (it names the file and the key) and nothing else runs.

Checks (each a `PropertyResult`; the random ones run hypothesis with a fixed seed and report the
smallest counter-example hypothesis shrinks to, as the line dict given to `Engine.compute`):

- loads                     the table, the shipped tables and the rules load and fit together
- completeness              model A: every rate path a rule selects has both groups, every
                            amount in the table is selected by a rule, every grant type x role x
                            class is priced from the table, at the rate of its own grant type
                            and role (not the one the engine chose); model B: every element a rule names
                            exists with its parameters, every element is used
- class6_not_below_class15  class_6 >= class_1_5 for every rate; a line in class 6 never gets
                            less than the same line in class 1-5
- non_negative              no computed line or element is negative (a negative number in the
                            table is refused by the loader, check loads)
- monotone_in_period        lines inside the period: the amount never falls when the share
                            rises or the end date moves later; 0 whole months give 0 kr
- full_year                 12 whole months at 100 % give the annual amount (model B: the
                            veiledning maximum of a kun_veiledning line), the rate read from the
                            line's own grant type, role and class; a period shorter than 12
                            months gives annual x months / 12 for the whole period
- neighbours                the period overlaps the neighbouring periods by at most the one
                            boundary day they share
- no_month_paid_twice       lines across this period and its neighbours, computed without a
                            period: the parts never share a day, no calendar month repeats, and
                            each part's whole months are counted again independently (calendar
                            or from the start date)

A table that loads cannot break non_negative, monotone_in_period, full_year or
no_month_paid_twice: they guard the engine and the rules against the table
(tests/test_ratecheck_can_fail.py shows each failing on broken rules or results); every other
check has a broken table in tests/broken_rates/.

Runs on hypothesis, a dependency of the package (rates check is a user command).
"""
from __future__ import annotations

from grants.tools.ratecheck.context import MUNICIPALITIES
from grants.tools.ratecheck.report import PROPERTY_TITLES, CheckReport, PropertyResult
from grants.tools.ratecheck.run import check_rate_table

__all__ = ["check_rate_table", "CheckReport", "PropertyResult", "PROPERTY_TITLES", "MUNICIPALITIES"]
