"""The database: schema (``models``), engines and sessions (``session``), migrations (``migrate``)."""
