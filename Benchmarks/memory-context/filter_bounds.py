#!/usr/bin/env python3
"""How much room the persistence filter leaves for a context head, measured from the base model's logits alone.

    .build/release/stmd eval streams --context-head Models/topic-news-context \
        --data .build/data/topic-news/valid.tsv --subset all --seeds 1 --export-vectors .build/bench-context/vectors.tsv
    ~/.cache/stmd/venv/bin/python Benchmarks/memory-context/filter_bounds.py \
        --vectors .build/bench-context/vectors.tsv --weights Models/topic-news/weights.safetensors [--seeds 100]

(`make context-bounds` runs both.) A NumPy re-implementation of `PersistenceFilter` and of `StreamOrder`'s stream
generator (the same distribution, not the same streams as `stmd eval streams`, whose generator is Swift's), used to
ask four questions on the same two split assignments as `make bench-context` (temperature fitted on one half of the
validation split, streams over the other half):

* oracle  — the filter told the true stay probability p instead of averaging over its grid: an upper bound on what
            learning a stream's persistence better could add;
* epsilon — a robust likelihood (evidence mixed with the uniform, weight eps): do confident mistakes hurt the filter;
* temperature — the evidence temperature scaled by 0.8 … 1.25 around the fitted one;
* knn     — evidence from the stream's own recent documents: a soft k-NN over the last 25 document vectors, labelled
            by the filter's posteriors, added to the evidence with weight lambda (information the logits lack).

Each prints, per persistence p, the filter's accuracy and the paired difference of the variant (mean ± standard error
over streams, in points). Needs numpy and torch (for the bf16 safetensors), both in the benchmark venv.
"""
import argparse

import numpy as np
from safetensors.torch import load_file

GRID = np.array([0, 0.2, 0.4, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.98, 0.99])
PERSISTENCES = (0.5, 0.8, 0.95, 0.0)


def log_softmax(values):
    top = values.max(-1, keepdims=True)
    return values - top - np.log(np.exp(values - top).sum(-1, keepdims=True))


def fit_temperature(logits, labels):
    """The temperature of least negative log-likelihood on a log grid (what `stmd train context` fits)."""
    grid = np.exp(np.linspace(np.log(0.3), np.log(5), 200))
    losses = [-log_softmax(logits / t)[np.arange(len(labels)), labels].mean() for t in grid]
    return grid[int(np.argmin(losses))]


def stream_order(labels, persistence, rng, classes):
    """`StreamOrder.make`: keep the label with probability p (a random remaining document of it), otherwise a random
    remaining document of any label; every document once."""
    count = len(labels)
    remaining = rng.permutation(count)
    by_label = {k: list(rng.permutation(np.where(labels == k)[0])) for k in range(classes)}
    taken = np.zeros(count, bool)
    order, current, cursor = [], remaining[0], 0
    while current is not None:
        order.append(current)
        taken[current] = True
        following = None
        if rng.random() < persistence:
            pool = by_label[labels[current]]
            while pool:
                candidate = pool.pop()
                if not taken[candidate]:
                    following = candidate
                    break
        if following is None:
            while cursor < count and taken[remaining[cursor]]:
                cursor += 1
            if cursor < count:
                following = remaining[cursor]
        current = following
    return np.array(order)


class Experiment:
    def __init__(self, vectors, labels, weight, bias):
        self.vectors = vectors
        self.units = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
        self.labels = labels
        self.logits = vectors @ weight.T + bias
        self.classes = weight.shape[0]

    def streams(self, indices, persistence, seeds):
        orders = []
        for seed in range(seeds):
            rng = np.random.default_rng(1234 + seed * 7919 + int(persistence * 1000))
            orders.append(indices[stream_order(self.labels[indices], persistence, rng, self.classes)])
        length = min(len(order) for order in orders)
        return np.stack([order[:length] for order in orders])

    def evidence(self, order, temperature, epsilon=0.0):
        evidence = log_softmax(self.logits[order] / temperature)
        if epsilon > 0:
            evidence = np.log((1 - epsilon) * np.exp(evidence) + epsilon / self.classes)
        return evidence

    def filtered(self, evidence, grid=GRID, order=None, knn_weight=0.0, knn_sharpness=10.0, window=25):
        """Posteriors (streams, length, classes) of the grid-averaging HMM filter, `PersistenceFilter`'s update."""
        streams, length, classes = evidence.shape
        beliefs = np.zeros((streams, len(grid), classes))
        log_stay = np.log(np.maximum(grid, 1e-300))[None, :, None]
        log_switch = np.log(1 - grid)[None, :, None]
        posteriors = np.zeros((streams, length, classes))
        for t in range(length):
            current = evidence[:, t].copy()
            if knn_weight > 0 and t > 0:
                first = max(0, t - window)
                units = self.units[order]
                similarity = np.einsum("sd,swd->sw", units[:, t], units[:, first:t])
                weights = np.exp(knn_sharpness * (similarity - similarity.max(1, keepdims=True)))
                votes = np.einsum("sw,swc->sc", weights, posteriors[:, first:t]) / weights.sum(1, keepdims=True)
                current = current + knn_weight * np.log(votes + 1e-3)
            mass = np.logaddexp.reduce(beliefs, axis=2, keepdims=True)
            switch = log_switch + mass - np.log(classes)
            prior = np.where(grid[None, :, None] > 0, np.logaddexp(log_stay + beliefs, switch), switch)
            joint = prior + current[:, None, :]
            by_class = np.logaddexp.reduce(joint, axis=1)
            posteriors[:, t] = np.exp(by_class - np.logaddexp.reduce(by_class, axis=1, keepdims=True))
            beliefs = np.maximum(joint - joint.max(axis=(1, 2), keepdims=True), -40)
            beliefs -= beliefs.mean(axis=(1, 2), keepdims=True)
        return posteriors

    def accuracy(self, posteriors, order):
        return (posteriors.argmax(2) == self.labels[order]).mean(1) * 100


def report(name, persistence, filter_accuracy, variants):
    parts = [f"{name} p={persistence}: filter {filter_accuracy.mean():.2f}%"]
    for label, accuracy in variants:
        difference = accuracy - filter_accuracy
        parts.append(f"{label} {difference.mean():+.3f} ± {difference.std() / np.sqrt(len(difference)):.3f}")
    print(" | ".join(parts), flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vectors", required=True, help="label index<TAB>vector, from stmd eval streams --export-vectors")
    parser.add_argument("--weights", required=True, help="the base model's weights.safetensors (head.weight, head.bias)")
    parser.add_argument("--seeds", type=int, default=100)
    parser.add_argument("--only", default="oracle,epsilon,temperature,knn")
    args = parser.parse_args()
    tensors = load_file(args.weights)
    weight, bias = tensors["head.weight"].float().numpy(), tensors["head.bias"].float().numpy()
    rows = [line.rstrip("\n").split("\t") for line in open(args.vectors, encoding="utf-8") if line.strip()]
    labels = np.array([int(row[0]) for row in rows])
    vectors = np.array([[float(x) for x in row[1].split()] for row in rows], dtype=np.float32)
    experiment = Experiment(vectors, labels, weight, bias)
    print(f"context-free accuracy on all {len(labels)} documents: {(experiment.logits.argmax(1) == labels).mean() * 100:.2f}%")
    even, odd = np.arange(0, len(labels), 2), np.arange(1, len(labels), 2)
    parts = args.only.split(",")
    for name, fit, evaluated in (("shipped split", even, odd), ("swapped halves", odd, even)):
        temperature = fit_temperature(experiment.logits[fit], labels[fit])
        print(f"{name}: temperature {temperature:.3f}")
        for persistence in PERSISTENCES:
            order = experiment.streams(evaluated, persistence, args.seeds)
            evidence = experiment.evidence(order, temperature)
            base = experiment.accuracy(experiment.filtered(evidence), order)
            variants = []
            if "oracle" in parts and persistence > 0:
                oracle = experiment.filtered(evidence, grid=np.array([persistence]))
                variants.append(("oracle p", experiment.accuracy(oracle, order)))
            if "epsilon" in parts:
                for epsilon in (0.005, 0.02):
                    robust = experiment.filtered(experiment.evidence(order, temperature, epsilon))
                    variants.append((f"eps {epsilon}", experiment.accuracy(robust, order)))
            if "temperature" in parts:
                for scale in (0.9, 1.1):
                    scaled = experiment.filtered(experiment.evidence(order, temperature * scale))
                    variants.append((f"T×{scale}", experiment.accuracy(scaled, order)))
            if "knn" in parts:
                knn = experiment.filtered(evidence, order=order, knn_weight=0.2)
                variants.append(("knn 0.2", experiment.accuracy(knn, order)))
            report(name, persistence, base, variants)


if __name__ == "__main__":
    main()
