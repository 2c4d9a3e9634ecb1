"""The `update` command's engine: find MoJ files through the GOV.UK Content API and keep an immutable raw store.

Modules:
  releases  what to fetch (pydantic models behind the `releases:` list of tracker.yml)
  http      the one HTTP client: User-Agent, timeouts, rate limit, bounded retries
  govuk     Content API / Search API discovery: collection or search -> publication pages -> attachments
  classify  attachment title -> kind + reference date (the date comes from titles, never from file names)
  store     download to a temporary file, verify, never overwrite, rename into place
  lock      data/sources.lock: one entry per raw file
  runner    run_update() and the command line helpers the CLI calls
  schedule  the data.justice.gov.uk release calendar ("next release" dates)

This file imports nothing on purpose: justice_tracker.config imports fetch.releases, and an eager import of the
runner here would import config back while it is half initialised.
"""
