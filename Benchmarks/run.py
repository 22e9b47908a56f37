#!/usr/bin/env python3
"""`make bench`: stmd's engine against PyTorch and onnxruntime on the same model, in one run.

Model: Embedding(20000, 128) -> one-layer LSTM or GRU, H = 256 and 512, sequence length 64.
Modes: stream (batch 1, one document after another), batch32 (inference), train32 (forward, backward, Adam).
Each at 1 and 2 threads, plus the machine's sgemm peak and GEMV rate measured in the same run.

Prints the table and rewrites the part of BENCHMARKS.md between its markers (the analysis around it is
written by hand). Standard library only; the peers run in the venv given by --python.
"""
import argparse
import datetime
import json
import os
import platform
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"
EMBEDDING = 128
GATES = {"lstm": 4, "gru": 3}
# Targets from the issue: ratio of stmd's best to the best peer.
TARGETS = {("stream", "lstm"): 1.5, ("stream", "gru"): 1.5, ("batch32", "lstm"): 1.0, ("batch32", "gru"): 1.0,
           ("train32", "lstm"): 1.0, ("train32", "gru"): 2.0}


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def json_lines(command, env=None):
    log("$", " ".join(command))
    result = subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT)
    if result.returncode != 0:
        log(result.stderr)
        raise SystemExit(f"failed: {' '.join(command)}")
    return [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]


def flops_per_token(cell, hidden, mode):
    """Multiply-adds x 2 of the input projection and the recurrence; training counts forward + 2 backward GEMMs."""
    forward = 2 * GATES[cell] * hidden * (EMBEDDING + hidden)
    return 3 * forward if mode == "train32" else forward


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            info = {}
            for line in f:
                if ":" in line:
                    key, value = (x.strip() for x in line.split(":", 1))
                    info.setdefault(key, value)
        flags = info.get("flags", "").split()
        isa = [f for f in ("avx2", "fma", "avx512f", "avx512_bf16", "avx512_vnni") if f in flags]
        return f"{info.get('model name', '?')} (family {info.get('cpu family')}, model {info.get('model')}), " \
               f"{os.cpu_count()} cores, {' '.join(isa)}"
    except OSError:
        return platform.processor()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--python", default=os.path.expanduser("~/.cache/stmd/venv/bin/python"))
    parser.add_argument("--bench", default=os.path.join(ROOT, ".build/release/stmd-bench"))
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--quick", action="store_true", help="shorter windows (numbers are noisier)")
    parser.add_argument("--no-write", action="store_true", help="print only; leave BENCHMARKS.md alone")
    args = parser.parse_args()
    threads_list = [int(x) for x in args.threads.split(",")]
    window = ["--windows", "3", "--window", "0.3"] if args.quick else ["--windows", "5", "--window", "0.5"]
    started = datetime.datetime.now(datetime.timezone.utc)

    peaks, rows = [], []
    for threads in threads_list:
        peaks += json_lines([args.bench, "peak", "--threads", str(threads)] + window)
        peer_command = [args.python, "Benchmarks/peers/peers.py", "--threads", str(threads)]
        rows += json_lines(peer_command + (["--quick"] if args.quick else []))
        for cell in ("lstm", "gru"):
            for hidden in (256, 512):
                for mode in ("stream", "batch32", "train32"):
                    for precision in (("f32", "bf16") if mode != "train32" else ("f32",)):
                        rows += json_lines([args.bench, "rnn", "--cell", cell, "--hidden", str(hidden), "--mode", mode,
                                            "--threads", str(threads), "--precision", precision] + window)

    precision = json_lines([args.bench, "precision"])
    peak = {(p["what"], p["threads"]): p for p in peaks}
    lines = [f"Measured {started:%Y-%m-%d %H:%M} UTC by `make bench` (`python3 Benchmarks/run.py"
             f"{' --quick' if args.quick else ''}`), on {cpu_model()}.", ""]
    versions = sorted({f"{r['peer']} {r.get('version', '')}".strip() for r in rows})
    lines += ["Versions: " + "; ".join(versions) + ".", ""]
    lines += ["| cell | H | mode | threads | stmd f32 | stmd bf16 | best peer | ratio | target | GFLOP/s | of sgemm peak |",
              "|---|---|---|---|---|---|---|---|---|---|---|"]
    verdicts = []
    for cell in ("lstm", "gru"):
        for hidden in (256, 512):
            for mode in ("stream", "batch32", "train32"):
                for threads in threads_list:
                    def pick(peer, precision=None):
                        found = [r for r in rows if r["peer"] == peer and r["cell"] == cell and r["hidden"] == hidden
                                 and r["mode"] == mode and r["threads"] == threads
                                 and (precision is None or r.get("precision") == precision)]
                        return found[0]["tokens_per_second"] if found else None
                    f32, bf16 = pick("stmd", "f32"), pick("stmd", "bf16")
                    peers = {p: pick(p) for p in ("pytorch", "onnxruntime")}
                    peers = {p: v for p, v in peers.items() if v}
                    ours = max(x for x in (f32, bf16) if x)
                    best_peer = max(peers, key=peers.get) if peers else None
                    ratio = ours / peers[best_peer] if best_peer else None
                    target = TARGETS[(mode, cell)]
                    gflops = ours * flops_per_token(cell, hidden, mode) / 1e9
                    sgemm = peak.get(("sgemm 1024x1024x1024", threads), {}).get("gflops")
                    met = ratio is not None and ratio >= target
                    verdicts.append((cell, hidden, mode, threads, ratio, target, met))
                    fmt = lambda v: f"{v / 1000:,.1f}k" if v else "–"
                    lines.append(
                        f"| {cell} | {hidden} | {mode} | {threads} | {fmt(f32)} | {fmt(bf16)} | "
                        f"{best_peer} {fmt(peers.get(best_peer))} | **{ratio:.2f}×** | ≥ {target}× {'✓' if met else '✗'} | "
                        f"{gflops:.0f} | {gflops / sgemm:.0%} |" if ratio else
                        f"| {cell} | {hidden} | {mode} | {threads} | {fmt(f32)} | {fmt(bf16)} | – | – | ≥ {target}× | {gflops:.0f} | – |")
    lines += ["", "Tokens per second, best of the measurement windows. *Ratio* = stmd's best precision over the best "
              "peer at the same thread count; *GFLOP/s* counts 2·G·H·(128 + H) per token (×3 for training) and is "
              "compared with the sgemm peak below at the same thread count.", ""]
    lines += ["| machine rate | threads | GFLOP/s | GB/s | µs |", "|---|---|---|---|---|"]
    for p in peaks:
        lines.append(f"| {p['what']} | {p['threads']} | {p['gflops']:.1f} | "
                     f"{p.get('gigabytes_per_second', 0):.1f} | {p.get('microseconds', 0):.1f} |"
                     if "microseconds" in p else f"| {p['what']} | {p['threads']} | {p['gflops']:.1f} | – | – |")
    lines += ["", "bf16 against f32 weights on the benchmark models (random weights, 64 documents, a 4-way head; until a "
              "trained model exists to compare accuracies on):", "",
              "| model | max probability difference | same argmax |", "|---|---|---|"]
    for p in precision:
        lines.append(f"| {p['cell']}-{p['hidden']} | {p['max_probability_difference']:.1e} | {p['argmax_agreement']:.0%} |")
    missed = [v for v in verdicts if not v[6]]
    lines += ["", f"Targets met: {len(verdicts) - len(missed)} of {len(verdicts)}."]
    for cell, hidden, mode, threads, ratio, target, _ in missed:
        gap = f"{ratio:.2f}× against ≥ {target}× ({(target / ratio - 1) * 100:.0f}% short)" if ratio else "no peer number"
        lines.append(f"- missed: {cell}-{hidden} {mode} at {threads} thread(s): {gap}")
    table = "\n".join(lines)
    print(table)
    if not args.no_write:
        path = os.path.join(ROOT, "BENCHMARKS.md")
        text = open(path).read() if os.path.exists(path) else f"# Benchmarks\n\n{BEGIN}\n{END}\n"
        head, _, rest = text.partition(BEGIN)
        _, _, tail = rest.partition(END)
        open(path, "w").write(f"{head}{BEGIN}\n{table}\n{END}{tail}")
        log(f"wrote {path}")


if __name__ == "__main__":
    main()
