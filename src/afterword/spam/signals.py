"""Evidence that is not in the words: links, author, network, browser, timing, language.

Each rule turns one observation into a :class:`Reason` with a weight in log-odds. The weights
are set by hand, deliberately modest, because the public labelled sets carry text only: a
rule may tip a comment the text model is unsure about, but no single soft rule outweighs a
clearly human text. The strong ones (honeypot filled, a site's own deny list) are facts about
the submission, not guesses. Sites correct the rest through feedback: every fired rule is
also a feature of the per-site learned delta (see ``learning.py``).
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import tldextract

from afterword.spam.normalize import extract_urls, normalize_text
from afterword.spam.submission import Submission, valid_text
from afterword.spam.verdict import Reason, SiteConfig

__all__ = [
    "Facts",
    "analyse",
    "deny_listed",
    "domain_matches",
    "ip_network",
    "is_disposable_email_domain",
    "is_shortener",
    "registrable_domain",
    "rule_reasons",
]

# How much of a comment is analysed. Real comments are far shorter; a megabyte of text
# costs the same as 20,000 characters and is itself a reason.
ANALYSE_CHARS = 20_000
MAX_WORDS = 400
_LONG = 10_000

# The bundled public-suffix snapshot, never fetched (no network at run time). Private
# suffixes are on: each blogspot.com or github.io site is somebody's own domain.
_EXTRACT = tldextract.TLDExtract(
    suffix_list_urls=(), cache_dir=None, include_psl_private_domains=True
)


def _load_list(name: str) -> frozenset[str]:
    text = resources.files("afterword.spam").joinpath("data", name).read_text("utf-8")
    return frozenset(
        line.strip().lower() for line in text.splitlines() if line.strip() and line[0] != "#"
    )


_SHORTENERS = _load_list("url-shorteners.txt")
_DISPOSABLE = _load_list("disposable-email-domains.txt")

_WORD = re.compile(r"\w+")
_HOST = re.compile(r"(?:[a-z][a-z0-9+.\-]*://)?(?:[^@/?#\s]*@)?([^/?#:\s]+)", re.IGNORECASE)
_EMAIL = re.compile(r"[^@\s]{1,64}@([a-z0-9](?:[a-z0-9\-]*[a-z0-9])?(?:\.[a-z0-9\-]+)+)\Z")
_SCRIPT_UA = re.compile(
    r"curl|wget|python|java/|go-http|libwww|okhttp|httpclient|scrapy|aiohttp|axios|node-fetch|"
    r"headless|phantomjs|selenium|puppeteer|\bbot\b|spider|crawler|^mozilla/4\.0$|^mozilla$",
    re.IGNORECASE,
)
_OLD_BROWSER = re.compile(r"MSIE [2-8]\.|Firefox/[1-9]\.|Chrome/[1-9]\.|Opera/[5-8]\.")
# Words that name a product or a pitch, not a person. A person may be called "Sunny"; nobody
# is called "cheap loans online".
_PITCH_WORDS = (
    "buy cheap casino loan loans seo viagra cialis porn sex slot slots bet betting poker "
    "crypto bitcoin forex download free online discount pharmacy replica essay essays "
    "escort escorts hack followers likes credit payday insurance mortgage dating xxx "
    "pills diet weight rolex jordans outlet sale deals coupon promo marketing backlinks "
    "traffic gacor judi togel maxwin jackpot vpn"
)
_PITCH = frozenset(_PITCH_WORDS.split())
_SCRIPTS = {
    "Latin": r"A-Za-z\u00c0-\u024f\u1e00-\u1eff",
    "Cyrillic": r"\u0400-\u052f",
    "Greek": r"\u0370-\u03ff\u1f00-\u1fff",
    "Arabic": r"\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff",
    "Hebrew": r"\u0590-\u05ff",
    "Devanagari": r"\u0900-\u097f",
    "Bengali": r"\u0980-\u09ff",
    "Tamil": r"\u0b80-\u0bff",
    "Thai": r"\u0e00-\u0e7f",
    "Georgian": r"\u10a0-\u10ff",
    "Armenian": r"\u0530-\u058f",
    "Hangul": r"\uac00-\ud7af\u1100-\u11ff\u3130-\u318f",
    "Han": r"\u4e00-\u9fff\u3400-\u4dbf\uf900-\ufaff",
    "Kana": r"\u3040-\u30ff",
}
_SCRIPT_RE = {name: re.compile(f"[{chars}]") for name, chars in _SCRIPTS.items()}
_LATIN_LANGS = (
    "en fr de es it pt nl id ms tl vi tr pl cs sk sl hr bs ro hu sv no nb nn da fi et lv lt "
    "sq is ga cy eu ca gl af sw az uz mt lb fo jv su so ha yo ig zu xh eo la"
)
_LANG_SCRIPTS: dict[str, tuple[str, ...]] = {code: ("Latin",) for code in _LATIN_LANGS.split()}
_LANG_SCRIPTS.update(
    {code: ("Cyrillic",) for code in ["ru", "uk", "be", "bg", "mk", "kk", "ky", "mn", "tg"]}
    | {code: ("Arabic",) for code in ["ar", "fa", "ur", "ps", "ug", "ku"]}
    | {
        "sr": ("Cyrillic", "Latin"),
        "el": ("Greek",),
        "he": ("Hebrew",),
        "yi": ("Hebrew",),
        "hi": ("Devanagari",),
        "mr": ("Devanagari",),
        "ne": ("Devanagari",),
        "bn": ("Bengali",),
        "ta": ("Tamil",),
        "th": ("Thai",),
        "ka": ("Georgian",),
        "hy": ("Armenian",),
        "ko": ("Hangul", "Han"),
        "zh": ("Han",),
        "ja": ("Han", "Kana"),
    }
)
_LETTER = re.compile(r"[^\W\d_]")
# ASCII digits only: "²" and "٣" are digits to Unicode but no address (int() refuses "²").
_IPV4 = re.compile(r"([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})")


@lru_cache(maxsize=8192)
def registrable_domain(host: str) -> str:
    """``shop.example.co.uk`` -> ``example.co.uk``; hosts without a public suffix as they are."""
    host = host.strip().lower().rstrip(".")
    if not host:
        return ""
    parts = _EXTRACT.extract_str(host)
    if parts.domain and parts.suffix:
        return f"{parts.domain}.{parts.suffix}"
    return host.removeprefix("www.")


def _host(url: str) -> str:
    match = _HOST.match(url.strip())
    return match.group(1).lower().rstrip(".") if match else ""


def domain_matches(host: str, domains: frozenset[str]) -> bool:
    """True when ``host`` or one of its parent domains is in ``domains``."""
    if not domains or not host:
        return False
    while host not in domains:
        dot = host.find(".")
        if dot < 0:
            return False
        host = host[dot + 1 :]
    return True


def is_shortener(host: str) -> bool:
    return domain_matches(host, _SHORTENERS)


def is_disposable_email_domain(domain: str) -> bool:
    return domain_matches(domain, _DISPOSABLE)


@dataclass(frozen=True, slots=True)
class Facts:
    """What the rules, the fingerprints and the learned delta need, computed once per check."""

    raw: str  # the content as sent (valid UTF-8), at most ANALYSE_CHARS of it
    text: str  # ``raw`` normalised
    words: tuple[str, ...]  # lower-case word tokens of ``text``, at most MAX_WORDS
    links: int  # URLs in ``text`` (what the text model counts too)
    hosts: tuple[str, ...]  # hosts of the links in the content, in order
    domains: tuple[str, ...]  # their registrable domains
    email_domain: str
    url_domain: str  # registrable domain of the author's URL
    network: str  # IP prefix: /24 for IPv4, /48 for IPv6 (what one actor controls)


def ip_network(ip: str) -> str:
    """The prefix one actor usually controls: /24 for IPv4, /48 for IPv6; "" if not an IP."""
    ipv4 = _IPV4.fullmatch(ip)
    if ipv4 is not None:
        a, b, c, d = map(int, ipv4.groups())
        if a < 256 and b < 256 and c < 256 and d < 256:
            return f"{a}.{b}.{c}.0/24"  # the common case, fast
        return ""
    return _ip6_network(ip) if ":" in ip else ""


@lru_cache(maxsize=4096)
def _ip6_network(ip: str) -> str:
    try:
        address = ipaddress.IPv6Address(ip)
    except ValueError:
        return ""
    return str(ipaddress.IPv6Network(f"{address}/48", strict=False))


def analyse(sub: Submission) -> Facts:
    # A Submission built by hand may still hold undecodable bytes as lone surrogates.
    content = valid_text(sub.content[:ANALYSE_CHARS])
    text = normalize_text(content)
    urls = extract_urls(text)
    hosts = tuple(h for h in map(_host, urls) if h)
    email = _EMAIL.match(sub.author_email.lower())
    url_host = _host(sub.author_url) if sub.author_url else ""
    return Facts(
        raw=content,
        text=text,
        links=len(urls),
        words=tuple(_WORD.findall(text.lower())[:MAX_WORDS]),
        hosts=hosts,
        domains=tuple(registrable_domain(h) for h in hosts),
        email_domain=email.group(1) if email else "",
        url_domain=registrable_domain(url_host) if url_host else "",
        network=ip_network(sub.user_ip),
    )


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}" if n == 1 else f"{n:,} {word}s"


def _link_reasons(sub: Submission, facts: Facts, config: SiteConfig) -> list[Reason]:
    reasons = []
    counted = [h for h in facts.hosts if not domain_matches(h, config.allow_domains)]
    n = len(counted)
    if n >= 2:
        # One link is ordinary; each further one is less so. Saturates: the text model
        # already sees the links themselves.
        weight = min(2.0, 0.4 * n)
        words = max(1, len(facts.words))
        if n >= 3 and n / words > 0.2:
            weight = min(2.5, weight + 0.5)
        reasons.append(Reason("links", f"{_plural(n, 'link')} in the text", weight))
    short = sum(1 for h in counted if is_shortener(h))
    if short:
        reasons.append(
            Reason(
                "shortener_links",
                f"{_plural(short, 'link')} to a known shortener",
                min(2.0, 0.8 + 0.4 * (short - 1)),
            )
        )
    if facts.url_domain and facts.url_domain in facts.domains:
        reasons.append(
            Reason("author_url_promoted", "the author's website is also linked in the text", 0.8)
        )
    if sub.author_url and is_shortener(_host(sub.author_url)):
        reasons.append(
            Reason("author_url_shortener", "the author's website is a shortened link", 1.2)
        )
    return reasons


def deny_listed(sub: Submission, facts: Facts, config: SiteConfig) -> str:
    """The first domain (link, author URL or email) on the site's deny list, or ``""``."""
    if not config.deny_domains:
        return ""
    candidates = list(facts.hosts)
    if sub.author_url:
        candidates.append(_host(sub.author_url))
    candidates.append(facts.email_domain)
    for host in candidates:
        if domain_matches(host, config.deny_domains):
            return host
    return ""


def _author_reasons(sub: Submission, facts: Facts) -> list[Reason]:
    reasons = []
    name = sub.author.lower()
    if name:
        if "http" in name or "www." in name or ("." in name and extract_urls(name[:200])):
            reasons.append(Reason("author_name_url", "the author name is a web address", 1.5))
        else:
            words = _WORD.findall(name)
            pitch = [w for w in words if w in _PITCH]
            if pitch:
                reasons.append(
                    Reason(
                        "author_name_keywords",
                        f'the author name looks like keywords ("{sub.author[:40]}")',
                        1.2,
                    )
                )
            elif len(words) >= 5:
                reasons.append(
                    Reason("author_name_long", "the author name is a phrase, not a name", 0.5)
                )
    if sub.author_email:
        if not facts.email_domain:
            reasons.append(Reason("email_invalid", "the email address is not valid", 0.6))
        elif is_disposable_email_domain(facts.email_domain):
            reasons.append(
                Reason(
                    "email_disposable",
                    f"a throw-away email address ({facts.email_domain})",
                    1.2,
                )
            )
    return reasons


_NO_USER_AGENT = Reason("no_user_agent", "no browser identification was sent", 0.7)
_SCRIPT = Reason("script_user_agent", "sent by a script, not a browser", 1.5)
_SHORT_USER_AGENT = Reason("short_user_agent", "an implausibly short browser name", 0.6)
_OLD = Reason("old_browser", "claims a browser more than ten years old", 0.8)


@lru_cache(maxsize=4096)
def _user_agent_reason(ua: str) -> Reason | None:
    # Cached: a site sees a few hundred distinct browsers, and the script pattern is the
    # costliest regular expression of a check.
    if not ua:
        return _NO_USER_AGENT
    if _SCRIPT_UA.search(ua):
        return _SCRIPT
    if len(ua) < 12:
        return _SHORT_USER_AGENT
    if _OLD_BROWSER.search(ua):
        return _OLD
    return None


def _client_reasons(sub: Submission, facts: Facts) -> list[Reason]:
    reasons = []
    ua = sub.user_agent
    # Long ones uncached: a cache of 4,096 megabyte-long names would be gigabytes.
    client = _user_agent_reason(ua) if len(ua) <= 512 else _user_agent_reason.__wrapped__(ua)
    if client is not None:
        reasons.append(client)
    if not sub.referrer and sub.comment_type not in ("trackback", "pingback"):
        reasons.append(Reason("no_referrer", "no referring page", 0.25))
    if len(sub.headers) >= 3 and "accept-language" not in sub.headers:
        reasons.append(Reason("no_accept_language", "the browser sent no preferred language", 0.5))
    if sub.honeypot_filled:
        reasons.append(
            Reason("honeypot", "a hidden form field that people never see was filled in", 5.0)
        )
    seconds = sub.seconds_to_submit
    if seconds is not None:
        chars = len(facts.text)
        if seconds < 2.0:
            reasons.append(
                Reason("too_fast", f"sent {seconds:.1f} s after the page was shown", 2.5)
            )
        elif seconds < 5.0:
            reasons.append(
                Reason("too_fast", f"sent {seconds:.1f} s after the page was shown", 1.2)
            )
        elif chars >= 200 and chars / seconds > 25.0:
            reasons.append(
                Reason(
                    "typed_too_fast",
                    f"{chars:,} characters typed in {seconds:.0f} s",
                    1.0,
                )
            )
    return reasons


def _language_reason(sub: Submission, facts: Facts, config: SiteConfig) -> Reason | None:
    """Text in a script none of the site's languages uses (a Russian comment on a Thai blog)."""
    codes = config.languages or sub.blog_lang
    allowed: set[str] = set()
    for code in codes:
        scripts = _LANG_SCRIPTS.get(code.split("_", 1)[0])
        if scripts is None:
            return None  # a language we cannot place: no opinion rather than a wrong one
        allowed.update(scripts)
    if not allowed:
        return None
    sample = facts.text[:1000]
    if sample.isascii():
        if "Latin" in allowed:
            return None
        letters = sum(1 for c in sample if c.isalpha())
        own, script = 0, "Latin"
    else:
        letters = len(_LETTER.findall(sample))
        own = sum(len(_SCRIPT_RE[s].findall(sample)) for s in allowed)
        script = ""
    if letters < 20 or own / letters >= 0.4:
        return None
    if not script:
        counts = {name: len(rx.findall(sample)) for name, rx in _SCRIPT_RE.items()}
        script = max(counts, key=counts.__getitem__)
    return Reason(
        "foreign_script",
        f"written in {script} script; this site writes in {', '.join(codes)}",
        1.0,
    )


def rule_reasons(sub: Submission, facts: Facts, config: SiteConfig) -> list[Reason]:
    """Every rule that fired, unsorted; the caller adds them to the model's evidence."""
    reasons = _link_reasons(sub, facts, config)
    reasons += _author_reasons(sub, facts)
    reasons += _client_reasons(sub, facts)
    language = _language_reason(sub, facts, config)
    if language is not None:
        reasons.append(language)
    if len(sub.content) > _LONG:
        reasons.append(
            Reason("very_long", f"a very long text ({len(sub.content):,} characters)", 0.3)
        )
    return reasons
