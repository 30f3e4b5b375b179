"""A whole day of taps at once: generation (simulate), columnar settlement, local and Dask runners."""
