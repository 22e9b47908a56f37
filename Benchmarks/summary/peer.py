"""The summarization benchmark's peer side: on the validation articles, sumy's TextRank and LexRank at the same
length as stmd's summarizer, and stmd's own summaries, all scored by Google's rouge-score (use_stemmer=True) —
an independent check of the table `stmd eval summarize` prints.

Sentences come from `stmd summarize --ratio 1 --scores` (stmd's splitter, so every system picks from the same
candidates); K per article is the number of sentences `stmd summarize` keeps by default. sumy tokenizes words
with a regular expression (no downloaded NLTK data) and stems with NLTK's Snowball stemmer (no data either).

Usage: peer.py --stmd .build/release/stmd --model summary-news --data DIR
"""
import argparse
import json
import os
import re
import subprocess
import sys

from rouge_score import rouge_scorer
from sumy.models.dom import ObjectDocumentModel, Paragraph, Sentence
from sumy.nlp.stemmers import Stemmer
from sumy.summarizers.lex_rank import LexRankSummarizer
from sumy.summarizers.text_rank import TextRankSummarizer
from sumy.utils import get_stop_words


class RegexTokenizer:
    """Words for sumy without NLTK's punkt data."""
    language = "english"

    def to_words(self, text):
        return re.findall(r"[A-Za-z0-9]+(?:'[A-Za-z]+)?", text)

    def to_sentences(self, text):
        return [text]


def validation_articles(data):
    """The documented split: within each topic, in file-name order, position i % 10 == 9."""
    for topic in sorted(os.listdir(os.path.join(data, "articles"))):
        names = sorted(n for n in os.listdir(os.path.join(data, "articles", topic)) if n.endswith(".txt"))
        for i, name in enumerate(names):
            if i % 10 == 9:
                yield topic, name


def stmd_lines(stmd, model, path, *extra):
    out = subprocess.run([stmd, "summarize", "--model", model, "--title", "first-line", *extra, path],
                         check=True, capture_output=True, text=True).stdout
    return [line for line in out.split("\n") if line]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--stmd", required=True)
    parser.add_argument("--model", default="summary-news")
    parser.add_argument("--data", required=True)
    args = parser.parse_args()

    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"], use_stemmer=True)
    tokenizer = RegexTokenizer()
    summarizers = {}
    for name, cls in [("sumy-textrank", TextRankSummarizer), ("sumy-lexrank", LexRankSummarizer)]:
        s = cls(Stemmer("english"))
        s.stop_words = get_stop_words("english")
        summarizers[name] = s
    totals = {name: [0.0, 0.0, 0.0] for name in ["stmd-model", "lead", "sumy-textrank", "sumy-lexrank"]}
    count = 0
    for topic, name in validation_articles(args.data):
        article = os.path.join(args.data, "articles", topic, name)
        reference = open(os.path.join(args.data, "summaries", topic, name), encoding="utf-8").read()
        candidates = [line.split("\t", 2)[2] for line in stmd_lines(args.stmd, args.model, article, "--ratio", "1", "--scores")]
        chosen = stmd_lines(args.stmd, args.model, article)
        k = len(chosen)
        document = ObjectDocumentModel([Paragraph([Sentence(text, tokenizer) for text in candidates])])
        picks = {"stmd-model": chosen, "lead": candidates[:k]}
        for peer, summarizer in summarizers.items():
            picks[peer] = [str(s) for s in summarizer(document, k)]
        for system, sentences in picks.items():
            scores = scorer.score(reference, "\n".join(sentences))
            for i, key in enumerate(["rouge1", "rouge2", "rougeL"]):
                totals[system][i] += scores[key].fmeasure
        count += 1
    print(f"{count} validation articles, ROUGE F1 (%) by rouge-score {getattr(rouge_scorer, '__version__', '')}".strip())
    print("| system | ROUGE-1 F1 | ROUGE-2 F1 | ROUGE-L F1 |")
    print("| --- | ---: | ---: | ---: |")
    for system, values in totals.items():
        print(f"| {system} | " + " | ".join(f"{100 * v / count:.2f}" for v in values) + " |")
    json.dump({s: [v / count for v in values] for s, values in totals.items()}, sys.stderr)
    print(file=sys.stderr)


if __name__ == "__main__":
    main()
