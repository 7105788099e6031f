"""Rate tables, one per grant period, loaded by one loader; SSB centrality reference data."""
