"""Normalisation must undo each trick spammers use, and never fail on any input."""

from hypothesis import given, settings
from hypothesis import strategies as st

from afterword.spam.normalize import extract_urls, normalize_text


def test_math_alphanumerics_and_fullwidth_become_plain_letters():
    assert normalize_text("main di 𝑺𝑼𝑯𝑼𝟑𝟐𝟖 sekarang") == "main di SUHU328 sekarang"
    assert normalize_text("ＦＵＬＬ ｂｏｎｕｓ") == "FULL bonus"


def test_circled_and_negative_squared_letters_fold():
    assert normalize_text("Ⓢⓛⓞⓣ") == "Slot"
    assert normalize_text("🅢🅛🅞🅣 ❼❼❼") == "SLOT 777"


def test_zalgo_and_underline_marks_are_removed():
    assert normalize_text("di P͓̽U͓̽L͓̽A͓̽U͓̽7͓̽7͓̽7͓̽, cuan") == "di PULAU777, cuan"
    assert normalize_text("P͟͟U͟͟L͟͟A͟͟U͟͟W͟͟I͟͟N͟͟") == "PULAUWIN"


def test_homoglyphs_fold_in_mixed_words_but_real_cyrillic_survives():
    assert normalize_text("ѕlоt casino") == "slot casino"  # Cyrillic s and o inside Latin words
    assert normalize_text("ehh pυ͠l͠α͠υ͠ω͠ι͠ɴ͠ nongol") == "ehh pulauwin nongol"
    assert normalize_text("Привет мир") == "Привет мир"


def test_zero_width_and_keycaps_vanish():
    assert normalize_text("VI\u200bSI\u200d4️⃣D") == "VISI4D"
    assert normalize_text("\ufeffhello\u00adworld") == "helloworld"


def test_spaced_out_words_are_joined():
    assert normalize_text("KEREN P U L A U 7 7 7 TERBAIK") == "KEREN PULAU777 TERBAIK"
    assert normalize_text("pakai 𝑩 0 𝑺 𝑺 𝑾 𝑫 cepat") == "pakai B0SSWD cepat"
    assert normalize_text("s.l.o.t.8.8") == "slot88"
    # Digits-only runs are addresses or lists, not hidden words.
    assert normalize_text("server 10.0.0.1 ok") == "server 10.0.0.1 ok"


def test_html_tags_and_entities_are_stripped_but_link_targets_kept():
    text = '<a href="http://spam.example.com/x">click</a> &amp; <br/>more'
    assert normalize_text(text) == "http://spam.example.com/x click & more"
    assert normalize_text("I <3 you > all") == "I <3 you > all"


def test_obfuscated_urls_are_repaired_and_extracted():
    assert extract_urls(normalize_text("visit example [dot] com now")) == ["example.com"]
    assert extract_urls(normalize_text("go to example(.)com/x")) == ["example.com/x"]
    assert extract_urls(normalize_text("hxxp://bad[.]ru")) == ["http://bad.ru"]
    assert extract_urls(normalize_text("vote at example dot com")) == ["example.com"]


def test_extract_urls_keeps_duplicates_trims_punctuation_and_skips_emails():
    text = "see bit.ly/abc, bit.ly/abc and (http://t.co/x). mail me at a.b@mail.com"
    assert extract_urls(text) == ["bit.ly/abc", "bit.ly/abc", "http://t.co/x"]
    assert extract_urls("no links here, e.g. this one.") == []


_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u00ad\u0301\u035f"


@settings(max_examples=300, deadline=None)
@given(st.text() | st.text(alphabet=" .-_*sl0t[]()dot<>&;#a\u200b\u0301𝑺Ａа", max_size=40))
def test_never_raises_and_leaves_no_hidden_characters_or_loose_whitespace(text):
    out = normalize_text(text)
    assert isinstance(out, str)
    assert isinstance(extract_urls(out), list)
    assert not any(c in out for c in _INVISIBLE)
    assert out == out.strip() and "  " not in out and "\n" not in out


def test_double_escaped_entities_and_homoglyph_tags_are_undone():
    assert normalize_text("&amp;lt;b&amp;gt;bold&amp;lt;/b&amp;gt; text") == "bold text"
    assert normalize_text("a <Ь>b") == "a b"  # Cyrillic soft sign folds to B, forming a tag


_URL_BITS = ["http", "s", "://", "www", "WWW", ".", "ſ", "K", "é", "0", " ", "-", "@", "x", "com"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_URL_BITS), max_size=12).map("".join) | st.text(max_size=30))
def test_the_quick_test_for_urls_never_skips_one(text):
    """extract_urls skips texts without a URL's tell-tale ("://", "www.", ".x"); the full
    pattern must find nothing in those either."""
    from afterword.spam.normalize import _TRAILING, _URL

    full = [u for m in _URL.finditer(text) if (u := m.group(0).rstrip(_TRAILING))]
    assert extract_urls(text) == full


# Pieces of the obfuscations the pre-tests guard: single letters and digits between
# separators, dots and "dot" before top-level domains, in any case and spacing.
_DOT_BITS = ["a", "B", "7", "x", " ", ".", "-", "_", "*", "|", "·", "•", "dot", "D0T",
             "com", "Net", "co.id", "slot", "é", "ok"]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(_DOT_BITS), max_size=12).map("".join) | st.text(max_size=30))
def test_the_quick_tests_for_spaced_words_and_dots_never_skip_one(text):
    """Each pre-test that lets a text skip a pattern holds wherever the pattern matches."""
    from afterword.spam.normalize import (
        _SPACED,
        _SPACED_DOT,
        _SPACED_DOT_HINT,
        _SPACED_HINT,
        _WORD_DOT,
    )

    if _SPACED.search(text):
        assert _SPACED_HINT.search(text)
    collapsed = " ".join(text.split())  # what normalize_text has done before both below
    if _SPACED_DOT.search(collapsed):
        assert _SPACED_DOT_HINT.search(collapsed)
    if _WORD_DOT.search(collapsed):
        assert " dot " in collapsed.lower() or " d0t " in collapsed.lower()


def test_look_alike_sets_match_exactly_their_letters():
    """The sets written as ranges hold every folded letter and nothing between them."""
    import sys

    from afterword.spam.normalize import _ALWAYS, _ALWAYS_CHARS, _SCRIPT_CHARS, _SCRIPT_HOMOGLYPHS

    for table, pattern in ((_ALWAYS, _ALWAYS_CHARS), (_SCRIPT_HOMOGLYPHS, _SCRIPT_CHARS)):
        found = {chr(c) for c in range(sys.maxunicode + 1) if pattern.match(chr(c))}
        assert found == set(table)
