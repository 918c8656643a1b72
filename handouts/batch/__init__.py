"""Plan, fingerprint, build and run the jobs of a build (pool or Dask)."""
