"""Open city data: aggregates of ridership, revenue and citizen reports, published safely as datasets that
CKAN clients read, with Frictionless packages and DCAT-AP metadata."""
