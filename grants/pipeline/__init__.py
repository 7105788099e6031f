"""From input lines to results: normalise, check overlaps, split by period, run the rules, price, prove conservation."""
