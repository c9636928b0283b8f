"""Moving a site's comments in and out: WordPress (WXR), Disqus, Isso, and Afterword's JSON.

Every reader turns its format into :class:`~afterword.importers.core.Record` objects and one
:class:`~afterword.importers.core.Writer` stores them, so the guarantees (one transaction per
file, idempotent re-runs, spam never published, IPs anonymised, counted and named rejects)
are written once.
"""

from afterword.importers.core import Record, Report, Writer, run_import
from afterword.importers.xmlstream import ImportFileError

__all__ = ["ImportFileError", "Record", "Report", "Writer", "run_import"]
