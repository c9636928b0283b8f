"""Related posts: the site's own articles ranked by relatedness (see docs/related.md).

Public surface: :class:`RelatedIndex` (the ranking), :class:`RelatedService` (per-worker
indexes that follow the database), :func:`upsert_article`, :func:`import_wxr_posts`.
"""

from afterword.related.index import Doc, Hit, Options, RelatedIndex
from afterword.related.store import ArticleIn, RelatedService, set_status, upsert_article
from afterword.related.wxr import import_wxr_posts

__all__ = ["ArticleIn", "Doc", "Hit", "Options", "RelatedIndex", "RelatedService",
           "import_wxr_posts", "set_status", "upsert_article"]
