#!/usr/bin/env python3
"""PyTorch's train32 step in float32 and under CPU bfloat16 autocast, side by side (information for issue 3).

The same model and step as peers.py's train32 (Embedding(20000, 128) -> LSTM/GRU -> Linear(H, 4) on the last
state, cross-entropy, backward, Adam over every parameter, batch 32 x 64 tokens). It shows what mixed precision
gives the peer, which is what a bf16 training path in stmd would have to be compared with.

    ~/.cache/stmd/venv/bin/python Benchmarks/peers/train_autocast.py --threads 1
Prints one line per cell, hidden size and precision: the best of five one-second windows, in tokens/s.
"""
import argparse
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Classifier(nn.Module):
    def __init__(self, cell, hidden):
        super().__init__()
        self.embedding = nn.Embedding(20000, 128)
        self.rnn = (nn.LSTM if cell == "lstm" else nn.GRU)(128, hidden, batch_first=True)
        self.head = nn.Linear(hidden, 4)

    def forward(self, x):
        outputs, _ = self.rnn(self.embedding(x))
        return self.head(outputs[:, -1])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    for cell in ("lstm", "gru"):
        for hidden in (256, 512):
            for autocast in (False, True):
                torch.manual_seed(0)
                model = Classifier(cell, hidden)
                optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
                x = torch.randint(0, 20000, (32, 64))
                y = torch.randint(0, 4, (32,))

                def step():
                    optimizer.zero_grad(set_to_none=True)
                    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=autocast):
                        loss = F.cross_entropy(model(x), y)
                    loss.backward()
                    optimizer.step()

                for _ in range(5):
                    step()
                best = 0.0
                for _ in range(5):
                    start, calls = time.perf_counter(), 0
                    while time.perf_counter() - start < 1.0:
                        step()
                        calls += 1
                    best = max(best, calls * 32 * 64 / (time.perf_counter() - start))
                print(f"{cell} {hidden} {'bf16-autocast' if autocast else 'f32'} threads={args.threads} "
                      f"{best:.0f} tokens/s", flush=True)


if __name__ == "__main__":
    main()
