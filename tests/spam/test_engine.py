"""Engine.check: trust, test values, verdicts with reasons, behaviour, determinism, bad input."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from spam.engine_kit import BLATANT, BROWSER, HAM, comment, tiny_model

from afterword.spam import Engine, MemoryStore, SiteConfig, Submission, Verdict


class Clock:
    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


def make_engine(store: MemoryStore | None = None, clock: Clock | None = None) -> Engine:
    return Engine(store or MemoryStore(), model=tiny_model(), clock=clock or Clock())


SPAMMY = comment(
    BLATANT + " http://bit.ly/a http://bit.ly/b",
    author="Cheap Pills Online",
    author_email="x@mailinator.com",
    user_agent="python-requests/2.31",
    referrer="",
)


def test_a_normal_comment_is_ham_and_says_why() -> None:
    verdict = make_engine().check("1", comment(HAM[0]))
    assert not verdict.is_spam and not verdict.discard and verdict.probability < 0.1
    assert verdict.reasons[0].code == "text_model"
    assert "normal comment" in verdict.reasons[0].text


def test_blatant_spam_is_spam_with_plain_reasons_strongest_first() -> None:
    verdict = make_engine().check("1", SPAMMY)
    assert verdict.is_spam and verdict.discard and verdict.probability > 0.999
    texts = [r.text for r in verdict.reasons]
    assert "2 links to a known shortener" in texts
    assert "sent by a script, not a browser" in texts
    weights = [r.weight for r in verdict.reasons]
    assert weights == sorted(weights, reverse=True) and len(weights) <= 5


def test_administrator_is_never_spam() -> None:
    verdict = make_engine().check("1", replace(SPAMMY, user_role=("editor", "administrator")))
    assert verdict == Verdict(0.0, False, False, verdict.reasons, trusted=True)
    assert verdict.reasons[0].code == "administrator"


@pytest.mark.parametrize(
    "fields",
    [
        {"author": "akismet-guaranteed-spam"},
        {"author_email": "akismet-guaranteed-spam@example.com"},
    ],
)
def test_akismet_test_values_are_always_spam(fields: dict[str, str]) -> None:
    verdict = make_engine().check("1", comment(HAM[0], **fields))
    assert verdict.is_spam and verdict.probability == 1.0 and verdict.reasons[0].code == "test_spam"


@pytest.mark.parametrize(
    "config",
    [
        SiteConfig(allow_authors={"cheap pills online"}),
        SiteConfig(allow_emails={"X@Mailinator.com"}),
        SiteConfig(allow_domains={"mailinator.com"}),
    ],
)
def test_allow_lists_trust_the_author(config: SiteConfig) -> None:
    verdict = make_engine().check("1", SPAMMY, config)
    assert verdict.trusted and not verdict.is_spam


def test_deny_list_makes_spam_and_discard() -> None:
    sub = comment(HAM[0] + " more at https://www.bad-shop.com/x")
    verdict = make_engine().check("1", sub, SiteConfig(deny_domains={"bad-shop.com"}))
    assert verdict.is_spam and verdict.discard
    assert verdict.reasons[0].text == "www.bad-shop.com is on this site's block list"


def test_site_threshold_decides_the_label() -> None:
    engine = make_engine()
    borderline = comment("nice post")
    p = engine.check("1", borderline, observe=False).probability
    assert engine.check("1", borderline, SiteConfig(threshold=p / 2), observe=False).is_spam
    assert not engine.check(
        "1", borderline, SiteConfig(threshold=min(1.0, p * 1.5)), observe=False
    ).is_spam


def test_repeated_text_from_many_senders_is_named_with_its_count() -> None:
    engine = make_engine()
    text = "Great article, I found a similar guide that explains everything in more detail"
    for i in range(14):
        engine.check(
            "1",
            comment(
                text, author=f"Reader {i}", author_email=f"r{i}@example.org", user_ip=f"192.0.2.{i}"
            ),
        )
    verdict = engine.check("1", comment(text, author="Reader 99", author_email="r99@example.org"))
    reasons = {r.code: r.text for r in verdict.reasons}
    assert reasons["repeated_text"] == "nearly the same text seen 14 times in the last hour"


def test_rechecking_the_same_comment_is_not_a_run() -> None:
    engine = make_engine()
    sub = comment("Great article, I found a similar guide that explains everything in detail")
    first = engine.check("1", sub)
    for _ in range(3):
        again = engine.check("1", sub)
    assert again.probability == first.probability


def test_velocity_per_network_and_email_expires_after_an_hour() -> None:
    clock = Clock()
    engine = make_engine(clock=clock)
    for i in range(12):
        engine.check(
            "1", comment(f"{HAM[i]} {i}", user_ip="203.0.113.50", author_email="a@example.org")
        )
    codes = {r.code for r in engine.check("1", comment(HAM[3], user_ip="203.0.113.51")).reasons}
    assert "network_velocity" in codes or "email_velocity" in codes
    clock.now += 3601
    verdict = engine.check("1", comment(HAM[3], user_ip="203.0.113.51"))
    assert {"network_velocity", "email_velocity"}.isdisjoint(r.code for r in verdict.reasons)


def test_sites_do_not_see_each_other() -> None:
    engine = make_engine()
    text = "Great article, I found a similar guide that explains everything in more detail"
    for i in range(10):
        engine.check("site-a", comment(text, author=f"R{i}", author_email=f"r{i}@example.org"))
    verdict = engine.check("site-b", comment(text, author="R", author_email="r@example.org"))
    assert "repeated_text" not in {r.code for r in verdict.reasons}


def test_observe_false_and_test_submissions_record_nothing() -> None:
    engine = make_engine()
    text = "Great article, I found a similar guide that explains everything in more detail"
    for i in range(5):
        engine.check("1", comment(text, author=f"R{i}"), observe=False)
        engine.check("1", comment(text, author=f"T{i}", is_test=True))
    verdict = engine.check("1", comment(text, author="Z"))
    assert "repeated_text" not in {r.code for r in verdict.reasons}


def test_approved_history_trusts_the_author() -> None:
    engine = make_engine()
    borderline = comment("nice post, check my page", author="Sam", author_email="sam@example.org")
    before = engine.check("1", borderline, observe=False)
    engine.note_approved(
        "1", comment("an earlier comment", author="Sam", author_email="sam@example.org")
    )
    after = engine.check("1", borderline, observe=False)
    assert after.probability < before.probability
    assert after.trusted and "the author has 1 approved comment" in [r.text for r in after.reasons]
    # Name and address together: the same address under another name is not trusted.
    other = comment("nice post, check my page", author="Someone", author_email="sam@example.org")
    assert not engine.check("1", other, observe=False).trusted


def test_same_state_same_verdicts() -> None:
    def run() -> list[dict]:
        engine = make_engine()
        out = []
        for i, text in enumerate(HAM + [BLATANT] * 3):
            sub = comment(text, author=f"A{i % 3}", user_ip=f"198.51.100.{i % 4}")
            out.append(engine.check("1", sub).to_dict())
            if i % 4 == 0:
                engine.learn("1", sub, is_spam=i % 8 == 0)
        return out

    assert json.dumps(run()) == json.dumps(run())


_text = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=()), max_size=300
) | st.text(alphabet=st.sampled_from("\x00\x07\u202e\u200b\ufeff<>&;:/.@ \nx0𝐒ⓢ"), max_size=300)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.builds(
        Submission,
        content=_text,
        author=_text,
        author_email=_text,
        author_url=_text,
        # A hand-built Submission keeps its address unparsed: superscript and Arabic-Indic
        # digits pass str.isdigit() but are no IPv4 address.
        user_ip=st.sampled_from(
            ["", "203.0.113.1", "2001:db8::1", "garbage", "203.0.113.²", "203.0.113.٣"]
        ),
        user_agent=_text,
        referrer=_text,
        comment_type=_text,
        blog_lang=st.lists(_text, max_size=3).map(tuple),
        user_role=st.lists(_text, max_size=3).map(tuple),
        honeypot_filled=st.none() | st.booleans(),
        seconds_to_submit=st.none() | st.floats(allow_nan=True, allow_infinity=True),
        headers=st.dictionaries(_text, _text, max_size=4),
        is_test=st.booleans(),
    ),
    st.builds(
        SiteConfig,
        languages=st.lists(st.sampled_from(["en", "ru", "ja", "xx", ""]), max_size=2).map(tuple),
        deny_domains=st.frozensets(st.sampled_from(["example.com", "bit.ly"])),
    ),
)
def test_any_submission_gets_a_verdict(sub: Submission, config: SiteConfig) -> None:
    engine = make_engine()
    verdict = engine.check("1", sub, config)
    assert 0.0 <= verdict.probability <= 1.0
    json.dumps(verdict.to_dict())
    engine.learn("1", sub, is_spam=verdict.is_spam)


@pytest.mark.parametrize(
    "sub",
    [
        Submission(),
        Submission(content="x" * 3_000_000),
        Submission(content=" ".join(f"http://bit.ly/{i}" for i in range(10_000))),
        Submission(content="\x00\x01\x02" * 10_000, author="\u202e" * 5000),
        Submission.from_fields({"comment_date_gmt": "99999-01-01", "POST_ak_js": "-1e308"}),
    ],
    ids=["empty", "megabytes", "10k-links", "control-chars", "absurd-times"],
)
def test_hostile_submissions_get_a_verdict(sub: Submission) -> None:
    verdict = make_engine().check("1", sub)
    assert isinstance(verdict.is_spam, bool)


def test_user_agent_alone_does_not_condemn_a_human_text() -> None:
    verdict = make_engine().check("1", comment(HAM[1], user_agent="", referrer=""))
    assert not verdict.is_spam
    assert (
        make_engine().check("1", comment(HAM[1], user_agent=BROWSER)).probability
        < verdict.probability
    )


def test_a_busy_reader_is_never_discarded() -> None:
    engine = make_engine()
    for i in range(30):
        verdict = engine.check(
            "1", comment(f"{HAM[i % len(HAM)]} ({i})", user_agent="", seconds_to_submit=1.0)
        )
    assert not verdict.discard
    assert sum(r.code.endswith("_velocity") for r in verdict.reasons) <= 1


def test_reasons_against_a_ham_verdict_come_strongest_first() -> None:
    """A filled honeypot on a text the model finds harmless is still named, before weak hints."""
    verdict = Engine(MemoryStore()).check(
        "1", Submission(content="Nice post", honeypot_filled=True, seconds_to_submit=0.01,
                        headers={"user-agent": "x"}))
    codes = [r.code for r in verdict.reasons]
    assert "honeypot" in codes
    against = [r for r in verdict.reasons if (r.weight > 0) != verdict.is_spam]
    assert [abs(r.weight) for r in against] == sorted((abs(r.weight) for r in against),
                                                      reverse=True)


def test_a_filled_honeypot_makes_even_harmless_words_spam_but_never_discard_alone() -> None:
    engine = make_engine()
    person = engine.check("1", comment(HAM[0]), observe=False)
    bot = engine.check("1", comment(HAM[0], honeypot_filled=True), observe=False)
    assert not person.is_spam and person.probability < 0.1  # the words alone: clearly ham
    assert bot.is_spam and not bot.discard
    assert bot.reasons[0].code == "honeypot"
    assert engine.check("1", replace(SPAMMY, honeypot_filled=True), observe=False).discard
