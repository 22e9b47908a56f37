"""Scores prediction/reference pairs with Google's rouge-score (use_stemmer=True), the reference the project's
RougeScorer is checked against (Tests/STMTasksTests/RougeScorerTests.swift).

Input: a JSON file [{"prediction": ..., "reference": ...}, ...]; output (stdout): a JSON list with, per pair,
the stemmed tokens of both texts and the rouge1/rouge2/rougeL precision, recall and F1.
"""
import json
import sys

from nltk.stem import porter
from rouge_score import rouge_scorer, tokenize


def main():
    pairs = json.load(open(sys.argv[1], encoding="utf-8"))
    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"], use_stemmer=True)
    stemmer = porter.PorterStemmer()
    out = []
    for pair in pairs:
        scores = scorer.score(pair["reference"], pair["prediction"])
        out.append({
            "prediction_tokens": tokenize.tokenize(pair["prediction"], stemmer),
            "reference_tokens": tokenize.tokenize(pair["reference"], stemmer),
            "scores": {name: [s.precision, s.recall, s.fmeasure] for name, s in scores.items()},
        })
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
