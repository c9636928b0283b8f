"""Tokenisation for relatedness, for any language a site writes in.

Words are Unicode ``\\w`` runs after NFKC folding and lower-casing, so accents, Cyrillic,
Greek, Arabic or Devanagari need no per-language code. Chinese, Japanese and Korean have no
spaces, so their runs become overlapping character bigrams (the classic CJK indexing trick
that needs no dictionary). A small stop-word list (English plus the commonest function
words of a few European languages) keeps "the"/"und"/"les" out of the similarity.
"""

from __future__ import annotations

import re
import unicodedata

MAX_TOKENS = 3000  # a megabyte page contributes its beginning, not unbounded work

_CJK = (r"\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
        r"\U00020000-\U0002fa1f")
_TOKEN = re.compile(rf"[{_CJK}]+|[^\W\d_](?:[\w'’]*\w)?", re.UNICODE)
_CJK_RUN = re.compile(rf"[{_CJK}]")

STOPWORDS = frozenset("""
a about above after again against all also am an and any are as at be because been before
being below between both but by can could did do does doing down during each few for from
further had has have having he her here hers herself him himself his how i if in into is it
its itself just me more most my myself no nor not now of off on once only or other our ours
out over own same she should so some such than that the their theirs them then there these
they this those through to too under until up very was we were what when where which while
who whom why will with would you your yours yourself re ve ll don doesn didn isn wasn aren
can't won't i'm it's that's there's one two get got like know think may might must shall us
le la les un une des du de et est en que qui dans pour pas sur au aux ce il elle ne se
der die das und ist nicht ein eine den dem des mit von zu im auf sich es für auch
el los las y del lo por con para una es al su se como
il di che non per un una sono gli nel della
""".split())


def tokenize(text: str, limit: int = MAX_TOKENS) -> list[str]:
    """Index terms of ``text``: folded words, CJK bigrams; stop words and 1-letter words out."""
    # Words average well under 12 characters: cut first so a megabyte page costs little.
    text = unicodedata.normalize("NFKC", text[: limit * 12]).lower()
    words = _TOKEN.findall(text)
    if not _CJK_RUN.search(text):
        out = [w for w in words if len(w) > 1 and w not in STOPWORDS]
    else:
        out = []
        for word in words:
            if _CJK_RUN.match(word):
                out.extend([word] if len(word) == 1 else
                           [word[i:i + 2] for i in range(len(word) - 1)])
            elif len(word) > 1 and word not in STOPWORDS:
                out.append(word)
    return [w.replace("’", "'") if "’" in w else w for w in out[:limit]]
