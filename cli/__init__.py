"""The ``rootstate`` command: the process around the indexer and the API (flags, logging,
signals, exit codes). It may import every library package; none imports it."""
