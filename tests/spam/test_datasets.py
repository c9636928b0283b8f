"""Loaders reproduce the fixed split files exactly, or the tests skip without shared data."""

import pytest

from afterword.spam import datasets
from afterword.spam.datasets import DatasetError, folds, load, shared_dir

needs_shared = pytest.mark.skipif(
    not (shared_dir() / "eval" / "splits" / "youtube.json").is_file(),
    reason=f"shared data not found at {shared_dir()} (set AFTERWORD_SHARED_DIR)",
)


@needs_shared
@pytest.mark.parametrize(("name", "n", "n_spam"), [("youtube", 1759, 840), ("sms", 5160, 642)])
def test_loader_matches_split_file_digest_and_counts(name, n, n_spam):
    records = load(name)  # raises if records_sha256 differs
    assert len(records) == n
    assert sum(r.label for r in records) == n_spam
    assert len({r.text for r in records}) == n  # de-duplicated


@needs_shared
def test_folds_partition_the_records_without_overlap():
    split = folds("youtube-lovo")
    assert [f.name for f in split][0] == "Youtube01-Psy"
    for fold in split:
        assert not {r.id for r in fold.train} & {r.id for r in fold.test}
        assert {r.group for r in fold.test} == {fold.name}
    assert sum(len(f.test) for f in split) == 1759


@needs_shared
def test_youtube_text_processing_unescapes_and_breaks_lines():
    texts = [r.text for r in load("youtube")]
    assert not any("&amp;" in t or "<br" in t.lower() for t in texts)
    assert any("\n" in t for t in texts)


def test_missing_shared_dir_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("AFTERWORD_SHARED_DIR", str(tmp_path))
    assert shared_dir() == tmp_path
    with pytest.raises(DatasetError, match="youtube"):
        load("youtube")
    with pytest.raises(DatasetError, match="no split file"):
        folds("sms")
    with pytest.raises(DatasetError, match="unknown dataset"):
        load("nope")


def test_digest_mismatch_is_detected(tmp_path, monkeypatch):
    folder = tmp_path / "datasets" / "sms-spam-collection"
    folder.mkdir(parents=True)
    (folder / "SMSSpamCollection").write_text("ham\thello\nspam\tWIN &amp; cash\nham\thello\n")
    splits = tmp_path / "eval" / "splits"
    splits.mkdir(parents=True)
    (splits / "sms.json").write_text('{"dataset": "sms", "records_sha256": "0", "folds": []}')
    records = datasets.load("sms", tmp_path, verify=False)
    assert [(r.id, r.label, r.text) for r in records] == [
        ("sms-1", 0, "hello"),
        ("sms-2", 1, "WIN & cash"),
    ]
    with pytest.raises(DatasetError, match="does not match its split file"):
        datasets.load("sms", tmp_path)
