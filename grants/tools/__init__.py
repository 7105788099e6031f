"""For the people who prepare a new period's rates: rate checks, budget impact, portfolios, diffs, the template."""
