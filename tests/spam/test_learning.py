"""Engine.learn: feedback shapes the next check, within bounds no flood can break."""

from __future__ import annotations

import numpy as np
import pytest
from spam.engine_kit import BLATANT, HAM, comment, tiny_model

from afterword.spam import Engine, MemoryStore, SiteConfig
from afterword.spam import behaviour
from afterword.spam.behaviour import Reports
from afterword.spam.learning import MAX_NORM, MAX_STEP, Delta, features, learn_weight


def make_engine(store: MemoryStore | None = None) -> Engine:
    return Engine(store or MemoryStore(), model=tiny_model(), clock=lambda: 1_800_000_000.0)


BORDERLINE = "Loved this, you should also read my blog for the full story about the harbour"
SIMILAR = "Loved it, you should read my blog for the whole story about the old harbour"


def test_spam_feedback_takes_effect_on_the_next_check_of_a_similar_text() -> None:
    engine = make_engine()
    before = engine.check("1", comment(SIMILAR), observe=False).probability
    engine.learn("1", comment(BORDERLINE, author="Other", author_email="o@example.org"), True)
    after = engine.check("1", comment(SIMILAR), observe=False)
    assert after.probability > 2 * before
    assert "this site's moderators marked similar comments as spam" in [
        r.text for r in after.reasons
    ]


def test_ham_feedback_lowers_a_false_positive() -> None:
    engine = make_engine()
    fp = comment("Check out the new ferry timetable, click here for the council page")
    before = engine.check("1", fp, observe=False).probability
    engine.learn("1", fp, False)
    assert engine.check("1", fp, observe=False).probability < before


def test_learning_is_per_site() -> None:
    engine = make_engine()
    before = engine.check("b", comment(SIMILAR), observe=False).probability
    engine.learn("a", comment(BORDERLINE), True)
    assert engine.check("b", comment(SIMILAR), observe=False).probability == before


def test_one_step_moves_the_reported_comment_by_at_most_max_step() -> None:
    engine = make_engine()
    sub = comment(HAM[0])
    before = engine.check("1", sub, observe=False)
    engine.learn("1", sub, True)  # a misclick on a clearly human comment
    after = engine.check("1", sub, observe=False)
    learned = {r.code: r.weight for r in after.reasons}.get("site_feedback", 0.0)
    assert 0 < learned <= MAX_STEP + 1e-6
    assert not after.is_spam and before.reasons[0].code == "text_model"


BLATANT_SUB = comment(
    BLATANT + " http://bit.ly/x", author_email="x@mailinator.com", user_agent="curl/8.0"
)


@pytest.mark.parametrize("reporters", [1, 500], ids=["one-reporter", "many-reporters"])
def test_a_flood_of_fake_ham_cannot_flip_blatant_spam(reporters: int) -> None:
    engine = make_engine()
    assert engine.check("1", BLATANT_SUB, observe=False).discard
    guaranteed = comment(BLATANT, author="akismet-guaranteed-spam")
    for i in range(500):
        engine.learn("1", BLATANT_SUB, False, reporter=f"r{i % reporters}")
        engine.learn("1", guaranteed, False, reporter=f"r{i % reporters}")
    verdict = engine.check("1", BLATANT_SUB, observe=False)
    assert verdict.is_spam
    assert engine.check("1", guaranteed, observe=False).is_spam
    # And the bound that makes it so: the site's delta never grows past MAX_NORM.
    blob = engine._store.read("1", ["delta"], [])[0][0]
    assert Delta.from_bytes(blob).norm() <= MAX_NORM + 1e-4


def test_fake_spam_reports_cannot_make_a_real_comment_vanish() -> None:
    engine = make_engine()
    real = comment(HAM[2])
    for i in range(300):
        engine.learn("1", real, True, reporter=f"r{i}")
    assert not engine.check("1", real, observe=False).discard


def test_test_submissions_teach_nothing() -> None:
    engine = make_engine()
    before = engine.check("1", comment(SIMILAR), observe=False).probability
    engine.learn("1", comment(BORDERLINE, is_test=True), True)
    assert engine.check("1", comment(SIMILAR), observe=False).probability == before


def test_learning_is_deterministic_to_the_byte() -> None:
    def run() -> bytes:
        store = MemoryStore()
        engine = make_engine(store)
        for i, text in enumerate(HAM + [BLATANT, BORDERLINE]):
            engine.learn("1", comment(text), is_spam=i % 3 == 0, reporter=f"m{i % 2}")
        return store.read("1", ["delta"], [])[0][0] or b""

    first = run()
    assert first and first == run()


def test_a_busy_reporter_and_a_repeated_text_count_less() -> None:
    assert learn_weight(1.0, 0, 0) == 1.0
    assert learn_weight(1.0, 600, 0) < 0.11
    assert learn_weight(1.0, 0, 9) == pytest.approx(0.1)
    assert learn_weight(float("nan"), 0, 0) == 0.0 and learn_weight(5.0, 0, 0) == 1.0


def test_weight_scales_a_bulk_import() -> None:
    full, light = make_engine(), make_engine()
    full.learn("1", comment(BORDERLINE), True)
    light.learn("1", comment(BORDERLINE), True, weight=0.2)
    p_full = full.check("1", comment(SIMILAR), observe=False).probability
    p_light = light.check("1", comment(SIMILAR), observe=False).probability
    base = make_engine().check("1", comment(SIMILAR), observe=False).probability
    assert base < p_light < p_full


def test_delta_encoding_round_trips_and_rejects_damage() -> None:
    index, values = features(
        np.array([3, 1, 2, 3]), np.array([0.5, 0.5, 0.5, 0.5]), ["example.com"], ["links"]
    )
    assert list(index) == sorted(set(index)) and len(index) == 5  # duplicates summed
    assert np.isclose(np.dot(values, values), 1.0)
    delta = Delta.empty().step(index, values, 1.0)
    again = Delta.from_bytes(delta.to_bytes())
    assert again.score(index, values) == pytest.approx(1.0, abs=1e-6)
    for damaged in (b"", b"junk", delta.to_bytes()[:-3], b"AWD1" + b"\xff" * 12):
        assert len(Delta.from_bytes(damaged)) == 0


def test_workers_sharing_a_store_see_each_others_learning() -> None:
    store = MemoryStore()
    a, b = make_engine(store), make_engine(store)
    before = b.check("1", comment(SIMILAR), observe=False).probability  # b caches the delta
    a.learn("1", comment(BORDERLINE), True)
    assert b.check("1", comment(SIMILAR), observe=False).probability > before
    assert b.check("1", comment(SIMILAR), SiteConfig(), observe=False) == a.check(
        "1", comment(SIMILAR), observe=False
    )


def test_a_reported_text_is_recognised_in_its_near_duplicates_for_thirty_days() -> None:
    clock = [1_800_000_000.0]
    engine = Engine(MemoryStore(), model=tiny_model(), clock=lambda: clock[0])
    pitch = "Earn money from home with this simple trick, message me on telegram for details now"
    engine.learn("1", comment(pitch, author="A"), True)
    engine.learn("1", comment(pitch + "!", author="B"), True)
    near = comment(
        "Earn money from home with this simple trick, message me on telegram for details"
    )
    reasons = {r.code: r.text for r in engine.check("1", near, observe=False).reasons}
    assert reasons["reported_text"] == "nearly the same text was reported as spam 2 times"
    clock[0] += 31 * 86400
    reasons = {r.code for r in engine.check("1", near, observe=False).reasons}
    assert "reported_text" not in reasons


def test_reports_match_near_fingerprints_round_trip_and_stay_bounded(monkeypatch) -> None:
    text = 0b1011 << 40
    reports = Reports.empty().add(text, True, 10.0).add(text ^ 0b111, False, 20.0)
    again = Reports.from_bytes(reports.to_bytes())
    assert again.counts(text, 20.0) == (1, 1)  # 3 bits apart: nearly the same text
    assert again.counts(text ^ 0b11111, 20.0) == (0, 1)  # 5 bits from the first report
    assert again.counts(~text & (2**64 - 1), 20.0) == (0, 0)
    assert again.counts(None, 20.0) == (0, 0)
    assert again.counts(text, 20.0 + 31 * 86400) == (0, 0)  # older than thirty days
    assert Reports.from_bytes(b"AWR2junk").counts(text, 20.0) == (0, 0)
    assert Reports.from_bytes(reports.to_bytes()[:-1]).counts(text, 20.0) == (0, 0)
    monkeypatch.setattr(behaviour, "MAX_REPORTS", 3)
    for i in range(5):  # 16 bits apart from each other
        reports = reports.add(0xFF << (8 * i), True, 30.0 + i)
    assert len(reports.prints) == 3 and reports.counts(0xFF, 40.0) == (0, 0)  # oldest went
    assert reports.counts(0xFF << 32, 40.0) == (1, 0)


def test_learning_sees_the_rules_the_sites_config_turns_on() -> None:
    """A Thai site's moderators mark English comments as spam: the rule "written in another
    script" is part of what they teach, so other English comments score higher after."""
    thai = SiteConfig(languages=("th",))
    with_config, without = make_engine(), make_engine()
    for text in HAM[:6]:
        with_config.learn("1", comment(text), True, config=thai)
        without.learn("1", comment(text), True)
    unseen = comment(HAM[8])
    assert "foreign_script" in {r.code for r in with_config.check("1", unseen, thai).reasons}
    assert (
        with_config.check("1", unseen, thai, observe=False).probability
        > without.check("1", unseen, thai, observe=False).probability
    )
