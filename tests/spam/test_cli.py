"""``afterword spam ...``: real engine, real files; bad input is one line and exit 2."""

import json

import pytest
from typer.testing import CliRunner

from afterword.spam.cli import app

runner = CliRunner()


def _run(*args, **env):
    return runner.invoke(app, list(args), env=env or None)


def test_check_prints_verdict_and_reasons():
    result = _run("check", "--text", "Check out my channel http://bit.ly/abc subscribe!!!")
    assert result.exit_code == 0, result.output
    first = result.output.splitlines()[0]
    assert first.startswith(("spam", "DISCARD")) and "probability" in first
    assert len(result.output.splitlines()) > 1  # at least one reason


def test_check_json_for_a_plain_comment():
    result = _run("check", "--text", "Lovely write-up, thanks for sharing", "--author", "Ann",
                  "--json")
    assert result.exit_code == 0, result.output
    verdict = json.loads(result.output)
    assert verdict["is_spam"] is False and 0.0 <= verdict["probability"] < 0.5


def test_eval_file_reports_metrics_and_confusion_matrix(tmp_path):
    path = tmp_path / "items.csv"
    path.write_text(
        "text,label\n"
        '"URGENT! You won a £1000 prize, call 09061701461 to claim",spam\n'
        '"Check out my channel http://bit.ly/xyz and subscribe",spam\n'
        "Ok see you at home later,ham\n"
        "I was at this concert in 2012 and it was amazing,ham\n",
        encoding="utf-8",
    )
    result = _run("eval", str(path))
    assert result.exit_code == 0, result.output
    assert "n=4" in result.output and "MCC" in result.output and "ROC-AUC" in result.output
    assert "confusion matrix" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("eval",), "either a FILE or --folds"),
        (("eval", "/nonexistent/items.csv"), "no such file"),
        (("eval", "--folds", "nope"), "unknown split"),
    ],
)
def test_eval_errors_are_one_line(args, message):
    result = _run(*args)
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_eval_bad_label_is_one_line(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("text,label\nhello,perhaps\n", encoding="utf-8")
    result = _run("eval", str(path))
    assert result.exit_code == 2 and "label 'perhaps'" in result.output
    assert "Traceback" not in result.output


def test_train_without_shared_data_is_a_clear_error(tmp_path):
    result = _run("train", "--no-eval", "--out", str(tmp_path / "out"),
                  AFTERWORD_SHARED_DIR=str(tmp_path))
    assert result.exit_code == 2
    assert "afterword spam: error:" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "out" / "base_model.npz").exists()
