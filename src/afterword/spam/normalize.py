"""Text normalisation that undoes the usual spam obfuscation tricks.

Spammers write ``𝑺𝑳𝑶𝑻 𝟖𝟖``, ``P͟U͟L͟A͟U͟W͟I͟N``, ``ѕlоt`` (Cyrillic), ``s l o t 8 8`` or
``example [dot] com`` so that word filters and naive tokenisers miss them. Everything that
looks at text (the learned model, link rules, fingerprints) works on the output of
:func:`normalize_text`, so the same site name is the same token however it was dressed up.

This runs on every check, so it is built for speed: the tables are made once at import,
pure-ASCII input skips the Unicode passes, and every regular expression is linear (no nested
quantifiers), so megabytes of hostile text cost milliseconds, never minutes.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable

__all__ = ["extract_urls", "normalize_text"]

# Letters that NFKC leaves alone but that render like Latin letters or digits. Folding them
# everywhere would mangle real Greek or Russian, so script homoglyphs are folded only inside
# words that also contain a Latin letter or digit (mixed-script words are the trick; a pure
# Cyrillic word is just Russian). Small capitals, dingbat digits and the like have no other
# use in prose, so they are always folded.
_SCRIPT_HOMOGLYPHS = {
    # Cyrillic
    "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p",
    "с": "c", "т": "t", "у": "y", "х": "x", "ѕ": "s", "і": "i", "ї": "i", "ј": "j", "ԁ": "d",
    "һ": "h", "ӏ": "l", "ԛ": "q", "ԝ": "w", "ь": "b", "п": "n", "г": "r", "ш": "w", "и": "u",
    "А": "A", "В": "B", "Е": "E", "Ё": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P",
    "С": "C", "Т": "T", "У": "Y", "Х": "X", "Ѕ": "S", "І": "I", "Ї": "I", "Ј": "J", "Я": "R",
    "И": "N", "Л": "N", "П": "N", "Ш": "W", "Ь": "B", "З": "3", "Ԁ": "D", "Ԛ": "Q", "Ԝ": "W",
    # Greek
    "α": "a", "β": "b", "γ": "y", "δ": "d", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v",
    "ο": "o", "ρ": "p", "σ": "o", "τ": "t", "υ": "u", "χ": "x", "ω": "w", "ς": "c", "μ": "u",
    "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M", "Ν": "N",
    "Ο": "O", "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X", "Λ": "A", "Σ": "E", "Π": "N",
    # Canadian syllabics, Lycian, Cherokee: used as styled capitals in gambling spam
    "ᗩ": "A", "ᗷ": "B", "ᑕ": "C", "ᗪ": "D", "ᕮ": "E", "ᖴ": "F", "ᕼ": "H", "ᒍ": "J", "ᛕ": "K",
    "ᒪ": "L", "ᗰ": "M", "ᑎ": "N", "ᑭ": "P", "ᖇ": "R", "ᔕ": "S", "ᑌ": "U", "ᐯ": "V", "ᗯ": "W",
    "𐊗": "T", "𐊠": "A", "𐊡": "B", "𐊢": "C", "𐊣": "D", "𐊤": "E", "𐊥": "F", "𐊦": "G",
    "Ꭺ": "A", "Ᏼ": "B", "Ꮯ": "C", "Ꭰ": "D", "Ꭼ": "E", "Ꮐ": "G", "Ꮋ": "H", "Ꭻ": "J", "Ꮶ": "K",
    "Ꮮ": "L", "Ꮇ": "M", "Ꮲ": "P", "Ꮪ": "S", "Ꭲ": "T", "Ꮩ": "V", "Ꮃ": "W", "Ꮓ": "Z",
}
_ALWAYS = {
    # Latin small capitals and IPA look-alikes
    "ᴀ": "a", "ʙ": "b", "ᴄ": "c", "ᴅ": "d", "ᴇ": "e", "ꜰ": "f", "ɢ": "g", "ʜ": "h", "ɪ": "i",
    "ᴊ": "j", "ᴋ": "k", "ʟ": "l", "ᴍ": "m", "ɴ": "n", "ᴏ": "o", "ᴘ": "p", "ǫ": "q", "ʀ": "r",
    "ꜱ": "s", "ᴛ": "t", "ᴜ": "u", "ᴠ": "v", "ᴡ": "w", "ʏ": "y", "ᴢ": "z", "ɑ": "a", "ɡ": "g",
    "ı": "i", "ȷ": "j", "ɩ": "i", "ʋ": "u", "ɒ": "a", "ɔ": "c", "ɛ": "e", "ꞵ": "b",
    "ᥲ": "a", "ᥒ": "n", "ᥱ": "e", "ᥙ": "u", "ᥣ": "l",
}
# Dingbat and negative circled digits: NFKC folds plain circled digits but not these.
for _i, _base in enumerate(range(0x2776, 0x2780)):
    _ALWAYS[chr(_base)] = str(_i + 1) if _i < 9 else "10"
for _i, _base in enumerate(range(0x2780, 0x278A)):
    _ALWAYS[chr(_base)] = str(_i + 1) if _i < 9 else "10"
for _i, _base in enumerate(range(0x278A, 0x2794)):
    _ALWAYS[chr(_base)] = str(_i + 1) if _i < 9 else "10"
for _i, _base in enumerate(range(0x24EB, 0x24F5)):
    _ALWAYS[chr(_base)] = str(_i + 11)
_ALWAYS["⓿"] = "0"
# Negative circled / negative squared capital letters (🅐, 🅰): no NFKC decomposition.
for _i in range(26):
    _ALWAYS[chr(0x1F150 + _i)] = chr(ord("A") + _i)
    _ALWAYS[chr(0x1F170 + _i)] = chr(ord("A") + _i)


def _char_class(chars: Iterable[str]) -> re.Pattern[str]:
    """A pattern matching any one of ``chars``, consecutive code points written as ranges.

    The regular-expression engine tests characters beyond U+FFFF one set entry at a time
    (those below it by one table lookup): 52 look-alike capitals listed one by one cost
    a non-ASCII comment more than the rest of its normalisation; as two ranges, nothing.
    """
    codes = sorted({ord(c) for c in chars})
    runs: list[list[int]] = []
    for code in codes:
        if runs and runs[-1][1] == code - 1:
            runs[-1][1] = code
        else:
            runs.append([code, code])
    return re.compile(
        "["
        + "".join(
            re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}"
            for a, b in runs
        )
        + "]"
    )


_SCRIPT_TABLE = str.maketrans(_SCRIPT_HOMOGLYPHS)
_ALWAYS_TABLE = str.maketrans(_ALWAYS)
_SCRIPT_CHARS = _char_class(_SCRIPT_HOMOGLYPHS)
_ALWAYS_CHARS = _char_class(_ALWAYS)
_MIXED_WORD = re.compile(r"\S+")
_LATIN_OR_DIGIT = re.compile(r"[A-Za-z0-9]")

# Characters that render as nothing, or that only decorate the previous letter: zero-width
# spaces and joiners, bidi controls, variation selectors, tag characters, fillers, and the
# combining marks used for "zalgo" / underline / strike-through styling. NFKC runs first, so
# real accented letters (é = e + U+0301) are already composed and survive.
_INVISIBLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e"
    "\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufff8"
    "\U000e0000-\U000e007f\U000e0100-\U000e01ef"
    "\u0300-\u036f\u0483-\u0489\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]+"
)
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\u2800]")

# An HTML tag: starts like a tag name, comment or declaration, no nested brackets, bounded
# length so "<3 you > all" stays text. Links keep their target: spam hides its URL in href.
_TAG = re.compile(r"<(?:/?[A-Za-z][^<>]{0,2000}|!--[^<>]{0,2000}|![A-Za-z][^<>]{0,200})>")
_HREF = re.compile(r"""\b(?:href|src)\s*=\s*["']?([^"'\s>]+)""", re.IGNORECASE)

# "s l o t 8 8", "s.l.o.t", "s-l-o-t": at least three single letters/digits joined by one
# separator each. A lone "I a" is left alone.
_SPACED = re.compile(r"(?<![^\W_])(?:[^\W_][ .\-_*|·•]){2,}[^\W_](?![^\W_])")
# What every match of _SPACED ends with: a separator, a single letter or digit, a separator
# and the last single one. Ordinary prose rarely has two one-character words in a row, and
# this scan, which starts at separators only, costs a fraction of _SPACED's.
_SPACED_HINT = re.compile(r"[ .\-_*|·•][^\W_][ .\-_*|·•][^\W_](?![^\W_])")
_SPACED_SEP = re.compile(r"[ .\-_*|·•]")
_LETTER = re.compile(r"[^\W\d_]")

# URL de-obfuscation.
_HXXP = re.compile(r"\bhxxp(s?)\b", re.IGNORECASE)
_BRACKET_DOT = re.compile(r"\s*[\[({<]\s*(?:dot|d0t|\.)\s*[\])}>]\s*", re.IGNORECASE)
_BRACKET_AT = re.compile(r"\s*[\[({<]\s*(?:at|@)\s*[\])}>]\s*", re.IGNORECASE)
_BRACKET_COLON = re.compile(r"\s*[\[({]\s*:\s*[\])}]\s*")
_BRACKET_SLASH = re.compile(r"\s*[\[({]\s*/\s*[\])}]\s*")
_SPAM_TLDS = (
    "com|net|org|info|biz|xyz|top|club|online|site|vip|shop|store|link|click|live|"
    "io|ly|ru|cn|tk|ml|ga|cf|gq|pw|cc|ws|su|co\\.id|co\\.uk|bet|casino|games?|win|fun"
)
_WORD_DOT = re.compile(r"\s+(?:dot|d0t)\s+(?=(?:" + _SPAM_TLDS + r")\b)", re.IGNORECASE)
_SPACED_DOT = re.compile(
    r"(?<=[A-Za-z0-9])\s*\.\s+(?=(?:" + _SPAM_TLDS + r")\b)|"
    r"(?<=[A-Za-z0-9])\s+\.\s*(?=(?:" + _SPAM_TLDS + r")\b)"
)
# What every match of _SPACED_DOT holds once white space is collapsed to single spaces:
# a dot, at most one space, a top-level domain. Most sentences end in ". " and this scan
# (it starts at dots only) costs a fraction of _SPACED_DOT's.
_SPACED_DOT_HINT = re.compile(r"\. ?(?:" + _SPAM_TLDS + r")\b", re.IGNORECASE)


def _strip_tag(match: re.Match[str]) -> str:
    href = _HREF.search(match.group(0))
    return f" {href.group(1)} " if href else " "


def _fold_word(match: re.Match[str]) -> str:
    word = match.group(0)
    return word.translate(_SCRIPT_TABLE) if _LATIN_OR_DIGIT.search(word) else word


def _join_spaced(match: re.Match[str]) -> str:
    run = match.group(0)
    # Digits only ("10.0.0.1", "1 2 3") are addresses and lists, not a hidden word.
    return _SPACED_SEP.sub("", run) if _LETTER.search(run) else run


def normalize_text(text: str) -> str:
    """Return ``text`` with HTML, Unicode and spacing tricks undone, whitespace collapsed.

    Case is kept (the model and reasons may want it); callers that need a case-insensitive
    key lower-case the result themselves. Never raises on any ``str``.
    """
    if not text:
        return ""
    if "<" in text:
        text = _TAG.sub(_strip_tag, text)
    # Entities can be escaped twice ("&amp;lt;") to slip past one unescape; three rounds.
    for _ in range(3):
        if "&" not in text:
            break
        unescaped = html.unescape(text)
        if unescaped == text:
            break
        text = unescaped
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
        text = _INVISIBLE.sub("", text)
        if _ALWAYS_CHARS.search(text):
            text = text.translate(_ALWAYS_TABLE)
        if _SCRIPT_CHARS.search(text):
            text = _MIXED_WORD.sub(_fold_word, text)
        if not text.isascii():
            # Folding can produce new composable sequences; a second NFKC pass is cheap here.
            text = unicodedata.normalize("NFKC", text)
    if "<" in text:
        # Again: entities and look-alike letters ("&lt;b&gt;", "<Ь>") can form new tags.
        text = _TAG.sub(_strip_tag, text)
    text = _CONTROL.sub(" ", text)
    if "xx" in text or "XX" in text:
        text = _HXXP.sub(r"http\1", text)
    if "[" in text or "(" in text or "{" in text or "<" in text:
        text = _BRACKET_DOT.sub(".", text)
        text = _BRACKET_AT.sub("@", text)
        text = _BRACKET_COLON.sub(":", text)
        text = _BRACKET_SLASH.sub("/", text)
    # str.split() and the patterns' \s agree on what is white space. Collapsing it first
    # changes no match below (they take any run of it) and lets cheap tests skip them.
    text = " ".join(text.split())
    if " d" in text or " D" in text:
        # A match is " dot " or " d0t " in any case (none of those letters has a look-alike
        # that the pattern's case folding would take), so the lower-cased text holds one.
        lowered = text.lower()
        if " dot " in lowered or " d0t " in lowered:
            text = _WORD_DOT.sub(".", text)
    if (" ." in text or ". " in text) and _SPACED_DOT_HINT.search(text):
        text = _SPACED_DOT.sub(".", text)
    if _SPACED_HINT.search(text):
        text = _SPACED.sub(_join_spaced, text)
    return text


# URLs in normalised text: explicit ones (scheme or www.) and bare host names whose last
# label is a country code or a common generic TLD. The TLD list is deliberately small and
# offline; registrable-domain parsing (public suffixes) happens where the URLs are used.
_GENERIC_TLDS = (
    "com|net|org|edu|gov|mil|int|info|biz|name|pro|mobi|xyz|top|club|online|site|vip|shop|"
    "store|link|click|live|bet|casino|games?|win|fun|app|dev|blog|news|tech|space|website|"
    "life|world|today|email|loan|money|cash|finance|trade|review|stream|download|work|"
    "agency|buzz|icu|cyou|rest|monster|lol|wtf|sex|xxx|porn|adult|dating|date|party|"
    "racing|men|bid|cam|best|ink|guru|art|one"
)
_URL = re.compile(
    r"(?:https?://|www\.)[^\s<>\"'`]+"
    r"|(?<![\w@.-])(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+"
    r"(?:" + _GENERIC_TLDS + r"|[A-Za-z]{2})(?![\w@-])(?::\d{1,5})?(?:/[^\s<>\"'`]*)?",
    re.IGNORECASE,
)
_TRAILING = ".,;:!?)]}'\"*"
# What every match of _URL contains: "://", "www." or a dot before a top-level domain's
# first letter. Most comments have none, and this scan costs a third of _URL's.
_URL_HINT = re.compile(r"\.[A-Za-z]|://|www\.", re.IGNORECASE)


def extract_urls(text: str) -> list[str]:
    """Return the URLs in already-normalised ``text``, in order, duplicates kept.

    Duplicates are kept because "the same link three times" is itself a signal. Trailing
    sentence punctuation is trimmed; e-mail addresses are not URLs and are skipped.
    """
    urls: list[str] = []
    if not _URL_HINT.search(text):
        return urls
    for match in _URL.finditer(text):
        url = match.group(0).rstrip(_TRAILING)
        if url:
            urls.append(url)
    return urls
