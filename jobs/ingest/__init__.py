"""Ingestion of payment-system exports: read → find header → map columns → validate → store.

A file is taken whole, in one transaction, or refused whole with every problem listed.
"""

from jobs.ingest.job import FileOutcome, ingest_file, ingest_paths

__all__ = ["FileOutcome", "ingest_file", "ingest_paths"]
