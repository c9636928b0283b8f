"""``afterword spam ...``: check one comment, evaluate on labelled data, rebuild the model.

Every expected failure (missing file, bad label, shared data absent) is one line on stderr
and exit status 2, never a traceback.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from afterword.spam.datasets import DatasetError
from afterword.spam.evaluate import EvalError, Metrics, metrics, read_labelled, summarise

app = typer.Typer(
    help="The spam engine: check a comment, measure quality, rebuild the base model.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _fail(message: str) -> typer.Exit:
    typer.echo(f"afterword spam: error: {message}", err=True)
    return typer.Exit(2)


def _engine():
    from afterword.spam.engine import Engine
    from afterword.spam.state import MemoryStore

    return Engine(MemoryStore())


@app.command()
def check(
    text: Annotated[str, typer.Option("--text", help="The comment text.")],
    author: Annotated[str, typer.Option(help="Author name.")] = "",
    email: Annotated[str, typer.Option(help="Author e-mail.")] = "",
    url: Annotated[str, typer.Option(help="Author URL.")] = "",
    ip: Annotated[str, typer.Option(help="Author IP address.")] = "",
    as_json: Annotated[bool, typer.Option("--json", help="Print the verdict as JSON.")] = False,
) -> None:
    """Score one comment with the shipped model and rules; print the verdict and reasons."""
    from afterword.spam.submission import Submission

    submission = Submission.from_fields(
        {
            "comment_content": text,
            "comment_author": author,
            "comment_author_email": email,
            "comment_author_url": url,
            "user_ip": ip,
        }
    )
    verdict = _engine().check("cli", submission, observe=False)
    if as_json:
        typer.echo(json.dumps(verdict.to_dict(), ensure_ascii=False))
        return
    label = "DISCARD (blatant spam)" if verdict.discard else "spam" if verdict.is_spam else "ham"
    typer.echo(f"{label}  probability {verdict.probability:.4f}")
    for reason in verdict.reasons:
        typer.echo(f"  {reason.weight:+6.2f}  {reason.text}  [{reason.code}]")


def _print_metrics(m: Metrics) -> None:
    typer.echo(
        f"n={m.n}  precision {m.precision:.4f}  recall {m.recall:.4f}  F1 {m.f1:.4f}  "
        f"FPR {100 * m.fpr:.2f} %  MCC {m.mcc:.4f}  ROC-AUC {m.roc_auc:.4f}"
    )
    typer.echo("confusion matrix (rows: actual, columns: predicted)")
    typer.echo(f"            ham    spam\n  ham   {m.tn:6d}  {m.fp:6d}\n  spam  {m.fn:6d}  {m.tp:6d}")


@app.command("eval")
def eval_(
    file: Annotated[
        Path | None,
        typer.Argument(help="CSV (with header) or JSON Lines: text,label[,author,email,url,ip]."),
    ] = None,
    folds: Annotated[
        str | None,
        typer.Option(help="Retrain and score on the fixed folds of this split instead "
                     "(youtube, youtube-lovo, sms, gambling)."),
    ] = None,
    threshold: Annotated[float, typer.Option(min=0.0, max=1.0, help="Spam threshold.")] = 0.5,
    as_json: Annotated[bool, typer.Option("--json", help="Print metrics as JSON.")] = False,
) -> None:
    """Precision, recall, F1, false-positive rate, MCC, ROC-AUC and a confusion matrix."""
    if (file is None) == (folds is None):
        raise _fail("give either a FILE or --folds NAME")
    try:
        if folds is not None:
            _eval_folds(folds, threshold, as_json)
        else:
            _eval_file(file, threshold, as_json)
    except (EvalError, DatasetError) as exc:
        raise _fail(str(exc)) from None


def _eval_file(path: Path, threshold: float, as_json: bool) -> None:
    from afterword.spam.submission import Submission

    items = read_labelled(path)
    engine = _engine()
    scores = []
    for item in items:
        submission = Submission.from_fields(
            {
                "comment_content": item.text,
                "comment_author": item.author,
                "comment_author_email": item.email,
                "comment_author_url": item.url,
                "user_ip": item.ip,
            }
        )
        # observe=False: the file is a test set, not traffic; velocity must not build up.
        scores.append(engine.check("eval", submission, observe=False).probability)
    result = metrics([item.label for item in items], scores, threshold)
    if as_json:
        typer.echo(json.dumps(result.as_dict()))
    else:
        _print_metrics(result)


def _eval_folds(split: str, threshold: float, as_json: bool) -> None:
    from afterword.spam.datasets import split_names
    from afterword.spam.evaluate import fold_scores
    from afterword.spam.train import fold_trainer

    if split not in split_names():
        raise EvalError(f"unknown split {split!r}; known: {', '.join(split_names())}")
    per_fold = []
    for fold, scores in fold_scores(split, fold_trainer, use_other_sets=False):
        m = metrics([r.label for r in fold.test], scores, threshold)
        per_fold.append(m)
        if not as_json:
            typer.echo(f"{fold.name}: F1 {m.f1:.4f}  MCC {m.mcc:.4f}  FPR {100 * m.fpr:.2f} %")
    summary = summarise(per_fold)
    if as_json:
        typer.echo(json.dumps({"folds": [m.as_dict() for m in per_fold], "mean_std": summary}))
        return
    for name, (mean, std) in summary.items():
        typer.echo(f"  {name:9s} {mean:.4f} ± {std:.4f}")


@app.command()
def train(
    no_eval: Annotated[
        bool, typer.Option("--no-eval", help="Skip the fold measurements in the model card.")
    ] = False,
    out: Annotated[
        Path | None, typer.Option(help="Output folder (default: the package's data folder).")
    ] = None,
) -> None:
    """Rebuild the base model from the shared data sets and write its model card."""
    from afterword.spam.model import DATA_DIR
    from afterword.spam.train import build

    try:
        build(evaluate=not no_eval, out_dir=out or DATA_DIR, log=typer.echo)
    except (DatasetError, EvalError) as exc:
        raise _fail(str(exc)) from None
    except OSError as exc:
        raise _fail(f"cannot write model: {exc}") from None
