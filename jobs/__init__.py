"""Units of work (ingest a file, run the demo, …), the configuration, and the CLI over them."""
