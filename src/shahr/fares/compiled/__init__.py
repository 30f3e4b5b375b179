"""The fare engine's rules compiled for a whole day of taps: the policy as arrays (`tables`) and
per-card scans in numba (`scan`). Same rules, same order as `shahr.fares.engine`; the differential
test in tests/batch holds them to identical journeys, fares and shares."""
