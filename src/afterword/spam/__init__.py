"""The spam engine as a library: no web framework, no database schema.

``Submission`` in, ``Verdict`` out, per-site state behind a ``StateStore``. The shipped text
model loads on first use (``load_base_model``), so importing this package stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from afterword.spam.engine import Engine, TextModel
from afterword.spam.state import COUNT_CAP, Count, MemoryStore, StateStore
from afterword.spam.submission import Submission
from afterword.spam.verdict import Reason, SiteConfig, Verdict

if TYPE_CHECKING:
    from afterword.spam.model import BaseModel, load_base_model

__all__ = [
    "COUNT_CAP",
    "BaseModel",
    "Count",
    "Engine",
    "MemoryStore",
    "Reason",
    "SiteConfig",
    "StateStore",
    "Submission",
    "TextModel",
    "Verdict",
    "load_base_model",
]


def __getattr__(name: str) -> Any:
    # The model pulls in scikit-learn and its artifact: only when someone asks for it.
    if name in ("BaseModel", "load_base_model"):
        from afterword.spam import model

        return getattr(model, name)
    raise AttributeError(f"module 'afterword.spam' has no attribute {name!r}")
