"""Peer for stmd-logs-bench: the same work in Python, one thread — Drain3 (PyPI drain3 0.9.11, with masking
instructions for the same variables stmd masks) for the templates, and a PyTorch LSTMCell step (embedding 16,
hidden 64, linear head, top-9 check) per line carrying its state, like the detector.
Usage: peer.py LOGHUB_DIR [--rounds N] [--json]"""
import argparse
import json
import os
import time

import torch
from drain3 import TemplateMiner
from drain3.masking import MaskingInstruction
from drain3.template_miner_config import TemplateMinerConfig

parser = argparse.ArgumentParser()
parser.add_argument("root")
parser.add_argument("--rounds", type=int, default=2)
parser.add_argument("--hidden", type=int, default=64)
parser.add_argument("--json", action="store_true")
args = parser.parse_args()
torch.set_num_threads(1)

streams = []
for system in sorted(os.listdir(args.root)):
    path = os.path.join(args.root, system, f"{system}_2k.log")
    if os.path.exists(path):
        with open(path, encoding="utf-8", errors="replace") as f:
            streams.append([line.rstrip("\r\n") for line in f if line.strip()])
lines_per_round = sum(len(s) for s in streams)


def make_miner():
    config = TemplateMinerConfig()
    config.drain_sim_th = 0.5
    config.drain_depth = 4
    config.drain_max_children = 100
    config.masking_instructions = [
        MaskingInstruction(r"((?<=[^A-Za-z0-9])|^)(\S*\d\S*)((?=[^A-Za-z0-9])|$)", "*"),
        MaskingInstruction(r"((?<=[^A-Za-z0-9])|^)(/\S+)((?=[^A-Za-z0-9])|$)", "*"),
    ]
    config.profiling_enabled = False
    return TemplateMiner(config=config)


def measure(body):
    start = time.perf_counter()
    for _ in range(args.rounds):
        for index, stream in enumerate(streams):
            for line in stream:
                body(index, line)
    return args.rounds * lines_per_round / (time.perf_counter() - start)


miners = [make_miner() for _ in streams]
template_rate = measure(lambda i, line: miners[i].add_log_message(line))


class Detector:
    def __init__(self, classes):
        torch.manual_seed(1)
        self.embedding = torch.nn.Embedding(classes + 1, 16)
        self.cell = torch.nn.LSTMCell(16, args.hidden)
        self.head = torch.nn.Linear(args.hidden, classes)
        self.h = torch.zeros(1, args.hidden)
        self.c = torch.zeros(1, args.hidden)
        self.scores = self.head(self.h)

    @torch.no_grad()
    def observe(self, cls):
        anomalous = cls not in torch.topk(self.scores, 9).indices[0].tolist()
        self.h, self.c = self.cell(self.embedding(torch.tensor([cls])), (self.h, self.c))
        self.scores = self.head(self.h)
        return anomalous


detectors = [Detector(len(m.drain.clusters) + 17) for m in miners]
anomalies = 0


def full(i, line):
    global anomalies
    cluster = miners[i].add_log_message(line)["cluster_id"]
    anomalies += detectors[i].observe(min(cluster, detectors[i].head.out_features - 1))


full_rate = measure(full)
result = {"lines_per_round": lines_per_round, "rounds": args.rounds, "template_lines_per_second": int(template_rate),
          "full_lines_per_second": int(full_rate), "torch": torch.__version__}
if args.json:
    print(json.dumps(result))
else:
    print(f"peer (drain3 + torch {torch.__version__}), {len(streams)} streams, {lines_per_round} lines x {args.rounds} rounds")
    print(f"template mining only        {int(template_rate)} lines/s")
    print(f"template + detector step    {int(full_rate)} lines/s")
