"""The rules as data: the condition language, the rule book, formulas, and the one door to durable_rules."""
