#!/usr/bin/env python3
"""Export a plain stmd LSTM classifier bundle to ONNX, for the daemon benchmark's Python peer.

The bundle must be the shape `stmd train classify --cell lstm --no-bidirectional --pooling last --bag-size 0
--subword-buckets 0 --dtype f32 --precision f32` makes: with no subword buckets every token's bag is just its
word id, so the network is exactly

    nn.Embedding(V, E) -> nn.LSTM(E, H) (one layer, one direction) -> last state -> nn.Linear(H, C) -> softmax

Weight keys (docs/WEIGHTS.md): embedding.weight, encoder.0.forward.{wx,wh,bx,bh} (gate order i, f, g, o, which
is PyTorch's), head.weight, head.bias. The ONNX graph takes `ids` int64 [1, T] (T dynamic) and returns
`probabilities` float32 [1, C]. Written to <bundle>/model.onnx unless --out says otherwise.

    ~/.cache/stmd/venv/bin/python Benchmarks/daemon/export_onnx.py --bundle DIR [--check-stmd .build-bench/release/stmd]

--check-stmd: annotate a few documents with `stmd annotate --task topic=DIR` and check that onnxruntime's
probabilities (with the tokenizer port Scripts/data/stmtext.py) match within 1e-3 (stmd's annotation rounds
to 6 decimals).
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import warnings

import numpy as np
import torch
from safetensors.numpy import load_file

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "Scripts", "data"))
import stmtext  # noqa: E402


class LSTMClassifier(torch.nn.Module):
    def __init__(self, vocabulary, embedding, hidden, classes):
        super().__init__()
        self.embedding = torch.nn.Embedding(vocabulary, embedding)
        self.lstm = torch.nn.LSTM(embedding, hidden, num_layers=1, batch_first=True)
        self.head = torch.nn.Linear(hidden, classes)

    def forward(self, ids):
        _, (h, _) = self.lstm(self.embedding(ids))
        return torch.softmax(self.head(h[-1]), dim=-1)


def check_bundle(config):
    problems = []
    expect = {"cell": "lstm", "bidirectional": False, "pooling": "last", "bagSize": 0, "layers": 1}
    for key, value in expect.items():
        if config.get(key) != value:
            problems.append(f"{key} is {config.get(key)!r}, expected {value!r}")
    if config["features"]["subwordBuckets"] != 0:
        problems.append("features.subwordBuckets must be 0")
    if config.get("ensembleSize") not in (None, 1):
        problems.append("ensembles are not supported")
    if problems:
        raise SystemExit("export_onnx: not a plain LSTM bundle: " + "; ".join(problems))


def load_model(bundle):
    config = json.load(open(os.path.join(bundle, "config.json")))
    check_bundle(config)
    tensors = load_file(os.path.join(bundle, "weights.safetensors"))
    vocabulary, embedding = tensors["embedding.weight"].shape
    hidden = config["hiddenSize"]
    classes = len(config["labels"])
    model = LSTMClassifier(vocabulary, embedding, hidden, classes)
    state = {
        "embedding.weight": tensors["embedding.weight"],
        "lstm.weight_ih_l0": tensors["encoder.0.forward.wx"],
        "lstm.weight_hh_l0": tensors["encoder.0.forward.wh"],
        "lstm.bias_ih_l0": tensors["encoder.0.forward.bx"],
        "lstm.bias_hh_l0": tensors["encoder.0.forward.bh"],
        "head.weight": tensors["head.weight"],
        "head.bias": tensors["head.bias"],
    }
    model.load_state_dict({k: torch.from_numpy(np.asarray(v, dtype=np.float32).copy()) for k, v in state.items()})
    model.eval()
    return config, model


def encode(text, vocabulary, maximum_tokens):
    """stmd's TextFeaturizer for subwordBuckets = 0: normalised tokens -> word ids (<unk> = 1), cut."""
    ids = [vocabulary.get(t, 1) for t in stmtext.tokens_of(text)[:maximum_tokens]]
    return ids


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bundle", required=True)
    parser.add_argument("--out")
    parser.add_argument("--opset", type=int, default=17)
    parser.add_argument("--check-stmd", metavar="STMD", help="stmd binary to compare probabilities with")
    parser.add_argument("--check-data", default=os.path.join(ROOT, ".build/data/topic-news/valid.tsv"))
    parser.add_argument("--check-count", type=int, default=8)
    args = parser.parse_args()
    out = args.out or os.path.join(args.bundle, "model.onnx")
    config, model = load_model(args.bundle)
    example = torch.tensor([[5, 6, 7, 8, 9]], dtype=torch.int64)
    with warnings.catch_warnings():  # the TorchScript exporter's deprecation and batch-size notes
        warnings.simplefilter("ignore")
        torch.onnx.export(
                model, (example,), out, input_names=["ids"], output_names=["probabilities"],
            dynamic_axes={"ids": {1: "tokens"}}, opset_version=args.opset, dynamo=False)
    import onnxruntime as ort
    session = ort.InferenceSession(out, providers=["CPUExecutionProvider"])
    with torch.inference_mode():
        for length in (1, 7, 123):
            ids = torch.randint(0, model.embedding.num_embeddings, (1, length))
            want = model(ids).numpy()
            got = session.run(None, {"ids": ids.numpy()})[0]
            assert np.abs(want - got).max() < 1e-5, (length, want, got)
    ops = sorted({node.op_type for node in __import__("onnx").load(out).graph.node})
    print(f"export_onnx: wrote {out} (ops: {', '.join(ops)}); onnxruntime matches torch within 1e-5", file=sys.stderr)

    if args.check_stmd:
        vocabulary = {t: i for i, t in enumerate(json.load(open(os.path.join(args.bundle, "vocabulary.json")))["tokens"])}
        maximum_tokens = config["features"]["maximumTokens"]
        texts = [line.split("\t")[0] for line in open(args.check_data, encoding="utf-8").read().splitlines()[:args.check_count]]
        worst = 0.0
        with tempfile.TemporaryDirectory() as folder:
            paths = []
            for i, text in enumerate(texts):
                path = os.path.join(folder, f"doc{i}.txt")
                with open(path, "w", encoding="utf-8") as f:
                    f.write(text)
                paths.append(path)
            result = subprocess.run([args.check_stmd, "annotate", "--task", f"topic={os.path.abspath(args.bundle)}"] + paths,
                                    capture_output=True, text=True, check=True)
            annotations = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
        for text, annotation in zip(texts, annotations):
            ids = encode(text, vocabulary, maximum_tokens)
            got = session.run(None, {"ids": np.asarray([ids], dtype=np.int64)})[0][0]
            scores = annotation["tasks"]["topic"]["scores"]
            want = np.asarray([scores[label] for label in config["labels"]])
            if annotation["input"]["tokens"] != len(stmtext.tokens_of(text)):
                raise SystemExit(f"export_onnx: token count differs: stmd {annotation['input']['tokens']}, port {len(ids)}")
            worst = max(worst, float(np.abs(want - got).max()))
        verdict = "match" if worst < 1e-3 else "DIFFER"
        print(f"export_onnx: {len(texts)} documents, onnxruntime vs stmd annotate: max |Δp| = {worst:.2e} ({verdict}, tolerance 1e-3)",
              file=sys.stderr)
        if worst >= 1e-3:
            raise SystemExit(1)


if __name__ == "__main__":
    main()
