"""Justice Crisis Tracker: ingest, charts and book build for prisons and probation statistics."""
