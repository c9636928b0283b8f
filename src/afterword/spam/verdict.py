"""What the engine answers (Verdict, Reason) and what a site tells it (SiteConfig)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

__all__ = ["Reason", "SiteConfig", "Verdict"]


@dataclass(frozen=True, slots=True)
class Reason:
    """One piece of evidence, in words a moderator understands.

    ``weight`` is its contribution in log-odds: positive pushes towards spam, negative
    towards ham, so reasons from the text model, the rules and behaviour add up and can be
    sorted by how much they mattered.
    """

    code: str
    text: str
    weight: float

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "text": self.text, "weight": round(self.weight, 3)}


@dataclass(frozen=True, slots=True)
class Verdict:
    probability: float
    is_spam: bool
    discard: bool
    reasons: tuple[Reason, ...]
    trusted: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "probability": round(self.probability, 6),
            "is_spam": self.is_spam,
            "discard": self.discard,
            "trusted": self.trusted,
            "reasons": [reason.to_dict() for reason in self.reasons],
        }


def _names(values: Iterable[str], *, strip_at: bool = False) -> frozenset[str]:
    if isinstance(values, str):
        raise TypeError("allow/deny lists must be collections of strings, not one string")
    out = set()
    for value in values:
        value = str(value).strip().lower()
        if strip_at:
            value = value.lstrip("@").removeprefix("www.").rstrip(".")
        if value:
            out.add(value)
    return frozenset(out)


@dataclass(frozen=True, slots=True)
class SiteConfig:
    """Per-site knobs. Lists are matched case-insensitively; domains match their subdomains.

    ``threshold`` labels spam; ``discard_threshold`` is the blatant tier that a site may drop
    unseen, so it sits far above the threshold by default.
    """

    threshold: float = 0.5
    discard_threshold: float = 0.995
    allow_authors: frozenset[str] = frozenset()
    allow_emails: frozenset[str] = frozenset()
    allow_domains: frozenset[str] = frozenset()
    deny_domains: frozenset[str] = frozenset()
    languages: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name in ("threshold", "discard_threshold"):
            value = getattr(self, name)
            if not isinstance(value, int | float) or not 0.0 < value <= 1.0:
                raise ValueError(f"{name} must be a number in (0, 1], got {value!r}")
        if self.discard_threshold < self.threshold:
            raise ValueError(
                f"discard_threshold ({self.discard_threshold}) must not be below "
                f"threshold ({self.threshold})"
            )
        object.__setattr__(self, "allow_authors", _names(self.allow_authors))
        object.__setattr__(self, "allow_emails", _names(self.allow_emails))
        object.__setattr__(self, "allow_domains", _names(self.allow_domains, strip_at=True))
        object.__setattr__(self, "deny_domains", _names(self.deny_domains, strip_at=True))
        if isinstance(self.languages, str):
            raise TypeError("languages must be a sequence of codes such as ('en', 'fr')")
        object.__setattr__(
            self,
            "languages",
            tuple(str(code).strip().lower().replace("-", "_") for code in self.languages if code),
        )
