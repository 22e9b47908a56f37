#!/usr/bin/env python3
"""Peer benchmark for stmd's RNN engine: PyTorch and onnxruntime on the same model.

Model: Embedding(20000, 128) -> one-layer unidirectional LSTM or GRU (hidden H), sequence length 64.

Modes
  stream   inference, batch 1, one 64-token document per call from a zero state
  batch32  inference on a batch of 32 documents of 64 tokens
  train32  one training step at batch 32 (Linear(H, 4) head on the last hidden state,
           cross-entropy, backward, torch.optim.Adam over all parameters incl. the embedding) -- PyTorch only

Output: one JSON object per line on stdout; progress and diagnostics on stderr.

By default every (peer, thread count) combination runs in its own subprocess so that the thread
settings (torch.set_num_threads / OMP pool, onnxruntime's intra-op pool) are fresh and cannot
leak from one measurement into the next; --in-process runs everything in one process instead.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

VOCAB = 20000
EMBED = 128
SEQ = 64
BATCH = 32
CLASSES = 4
POOL = 64  # pre-generated stream documents
BATCH_POOL = 4  # pre-generated batches for batch32 / train32
ENV_KEYS = (
    "OMP_NUM_THREADS", "OMP_PROC_BIND", "OMP_PLACES", "OMP_WAIT_POLICY", "GOMP_SPINCOUNT",
    "KMP_AFFINITY", "KMP_BLOCKTIME", "MKL_NUM_THREADS", "MKL_ENABLE_INSTRUCTIONS", "MKL_DEBUG_CPU_TYPE",
    "OPENBLAS_NUM_THREADS", "OPENBLAS_CORETYPE", "NVPL_BLAS_DEBUG_CPU_TYPE", "ONEDNN_MAX_CPU_ISA",
    "DNNL_MAX_CPU_ISA", "ATEN_CPU_CAPABILITY", "TORCH_NUM_THREADS",
)

ALL_PEERS = ("pytorch", "onnxruntime")
ALL_CELLS = ("lstm", "gru")
ALL_HIDDEN = (256, 512)
ALL_MODES = ("stream", "batch32", "train32")
ALL_THREADS = (1, 2)


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def csv_list(kind, allowed=None):
    def parse(text):
        items = [kind(x.strip()) for x in text.split(",") if x.strip()]
        if allowed is not None:
            bad = [x for x in items if x not in allowed]
            if bad:
                raise argparse.ArgumentTypeError(f"unknown value(s) {bad}; choose from {list(allowed)}")
        return items
    return parse


# --------------------------------------------------------------------------------------------
# timing


_CLK_TCK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def system_busy_seconds():
    """CPU seconds all processes (and the hypervisor's steal) have used so far, from /proc/stat."""
    try:
        with open("/proc/stat") as f:
            parts = f.readline().split()
    except OSError:
        return None
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(x) for x in parts[1:9])
    return (user + nice + system + irq + softirq + steal) / _CLK_TCK


def measure(fn, tokens_per_call, windows, window_s, warmup_s, patience_s, foreign_limit):
    """Warm up (>= 3 calls and >= warmup_s), then windows of >= window_s each.

    Each window also measures how much CPU *other* processes used meanwhile (system busy time from
    /proc/stat minus this process's CPU time).  A window where others used more than `foreign_limit`
    cores on average is "contended" (the machine is shared); contended windows are repeated, up to
    `patience_s` extra seconds per configuration, until `windows` clean ones are collected.

    Returns (best tokens/s, median tokens/s, seconds per call in the best window, all rates,
    number of clean windows, foreign load per window).  Best and median are taken over the clean
    windows if there are any, else over all.
    """
    t0 = time.perf_counter()
    calls = 0
    while calls < 3 or time.perf_counter() - t0 < warmup_s:
        fn()
        calls += 1
    rates, per_call, foreign, clean = [], [], [], []
    deadline = None
    while len(clean) < windows:
        n = 0
        busy0 = system_busy_seconds()
        cpu0 = time.process_time()
        start = time.perf_counter()
        while True:
            fn()
            n += 1
            elapsed = time.perf_counter() - start
            if elapsed >= window_s:
                break
        cpu1 = time.process_time()
        busy1 = system_busy_seconds()
        load = 0.0 if busy0 is None else max(0.0, ((busy1 - busy0) - (cpu1 - cpu0)) / elapsed)
        rates.append(n * tokens_per_call / elapsed)
        per_call.append(elapsed / n)
        foreign.append(load)
        if load <= foreign_limit:
            clean.append(len(rates) - 1)
        elif len(rates) >= windows:
            if deadline is None:
                deadline = time.perf_counter() + patience_s
            if time.perf_counter() > deadline:
                break
            time.sleep(min(0.5, window_s))  # let the other process's burst pass
    pick = clean if clean else list(range(len(rates)))
    best = max(pick, key=lambda i: rates[i])
    median = statistics.median(rates[i] for i in pick)
    return rates[best], median, per_call[best], rates, len(clean), foreign


# --------------------------------------------------------------------------------------------
# models


def build_models(torch, cell, hidden):
    nn = torch.nn

    class Encoder(nn.Module):
        """Embedding -> RNN; returns all hidden states and the final state(s)."""

        def __init__(self):
            super().__init__()
            self.embedding = nn.Embedding(VOCAB, EMBED)
            rnn = nn.LSTM if cell == "lstm" else nn.GRU
            self.rnn = rnn(EMBED, hidden, num_layers=1, batch_first=True)

        def forward(self, tokens):
            out, state = self.rnn(self.embedding(tokens))
            if cell == "lstm":
                h, c = state
                return out, h, c
            return out, state

    class Classifier(nn.Module):
        def __init__(self, encoder):
            super().__init__()
            self.encoder = encoder
            self.head = nn.Linear(hidden, CLASSES)

        def forward(self, tokens):
            outs = self.encoder(tokens)
            h_n = outs[1]  # [1, B, H]
            return self.head(h_n[-1])

    torch.manual_seed(1234 + hidden + (0 if cell == "lstm" else 1))
    enc = Encoder()
    clf = Classifier(enc)
    return enc, clf


def make_inputs(torch, seed=20240601):
    g = torch.Generator().manual_seed(seed)
    docs = [torch.randint(0, VOCAB, (1, SEQ), generator=g, dtype=torch.int64) for _ in range(POOL)]
    batches = [torch.randint(0, VOCAB, (BATCH, SEQ), generator=g, dtype=torch.int64) for _ in range(BATCH_POOL)]
    labels = [torch.randint(0, CLASSES, (BATCH,), generator=g, dtype=torch.int64) for _ in range(BATCH_POOL)]
    return docs, batches, labels


class Cycler:
    def __init__(self, items):
        self.items = items
        self.i = 0

    def next(self):
        item = self.items[self.i]
        self.i = (self.i + 1) % len(self.items)
        return item


# --------------------------------------------------------------------------------------------
# peers


def torch_configure(threads):
    import torch
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError as e:  # only settable once, before any inter-op work
        log(f"[pytorch] set_num_interop_threads(1) failed: {e}")
    torch.set_num_threads(threads)
    return torch


def run_pytorch(args, threads, emit):
    torch = torch_configure(threads)
    import torch.nn.functional as F
    log(f"[pytorch {torch.__version__}] threads={torch.get_num_threads()} "
        f"interop={torch.get_num_interop_threads()}")
    docs, batches, labels = make_inputs(torch)
    for cell in args.cells:
        for hidden in args.hidden:
            for mode in args.modes:
                enc, clf = build_models(torch, cell, hidden)
                if mode in ("stream", "batch32"):
                    enc.eval()
                    if mode == "stream":
                        cyc = Cycler(docs)
                        tokens_per_call = SEQ
                    else:
                        cyc = Cycler(batches)
                        tokens_per_call = BATCH * SEQ

                    def fn(enc=enc, cyc=cyc):
                        with torch.inference_mode():
                            enc(cyc.next())
                else:
                    clf.train()
                    adam_kw = {"default": {}, "foreach": {"foreach": True}, "fused": {"fused": True}}[args.adam]
                    opt = torch.optim.Adam(clf.parameters(), lr=1e-3, **adam_kw)
                    cyc = Cycler(list(zip(batches, labels)))
                    tokens_per_call = BATCH * SEQ

                    def fn(clf=clf, opt=opt, cyc=cyc):
                        x, y = cyc.next()
                        opt.zero_grad(set_to_none=True)
                        loss = F.cross_entropy(clf(x), y)
                        loss.backward()
                        opt.step()
                emit_result(args, emit, "pytorch", torch.__version__, cell, hidden, mode, threads, fn,
                            tokens_per_call)


def export_onnx(torch, enc, cell, example, path, opset):
    names = ["output", "h_n"] + (["c_n"] if cell == "lstm" else [])
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            torch.onnx.export(enc, (example,), path, dynamo=False, opset_version=opset,
                              input_names=["tokens"], output_names=names, do_constant_folding=True)
            exporter = "torchscript (dynamo=False)"
        except Exception as e:  # noqa: BLE001 -- fall back to the dynamo exporter
            log(f"[onnxruntime] legacy exporter failed ({type(e).__name__}: {e}); trying dynamo=True")
            torch.onnx.export(enc, (example,), path, dynamo=True, opset_version=opset,
                              input_names=["tokens"], output_names=names)
            exporter = "dynamo"
    return names, exporter


def run_onnxruntime(args, threads, emit):
    import numpy as np
    import onnx
    import onnxruntime as ort
    # torch is only needed to export and to produce reference outputs; keep it single-threaded.
    torch = torch_configure(1)
    log(f"[onnxruntime {ort.__version__}] onnx {onnx.__version__}, torch {torch.__version__} (export only), "
        f"intra_op_num_threads={threads}")
    docs, batches, _ = make_inputs(torch)
    tmp = tempfile.mkdtemp(prefix="stmd-peers-")
    for cell in args.cells:
        for hidden in args.hidden:
            enc, _ = build_models(torch, cell, hidden)
            enc.eval()
            for mode in args.modes:
                if mode == "train32":
                    continue
                pool = docs if mode == "stream" else batches
                tokens_per_call = SEQ if mode == "stream" else BATCH * SEQ
                path = os.path.join(tmp, f"{cell}{hidden}-{mode}.onnx")
                names, exporter = export_onnx(torch, enc, cell, pool[0], path, args.opset)
                model = onnx.load(path)
                ops = [n.op_type for n in model.graph.node]
                rnn_op = "LSTM" if cell == "lstm" else "GRU"
                if rnn_op not in ops:
                    log(f"[onnxruntime] ERROR: exported {cell}{hidden}-{mode} has no {rnn_op} node: {ops}")
                    emit_error(emit, "onnxruntime", ort.__version__, cell, hidden, mode, threads,
                               f"no {rnn_op} node in exported graph")
                    continue
                so = ort.SessionOptions()
                so.intra_op_num_threads = threads
                so.inter_op_num_threads = 1
                so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
                so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
                so.log_severity_level = 3  # hide the "optimized model is hardware specific" warning
                if args.verbose:
                    so.optimized_model_filepath = path + ".opt.onnx"
                sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
                if args.verbose:
                    opt_ops = [n.op_type for n in onnx.load(path + ".opt.onnx").graph.node]
                    log(f"[onnxruntime] {cell}{hidden}-{mode}: exporter={exporter} opset={args.opset} "
                        f"exported nodes={ops}")
                    log(f"[onnxruntime] {cell}{hidden}-{mode}: after ORT optimization nodes={opt_ops}")
                # verify against torch on a few inputs
                worst = 0.0
                for x in pool[:3]:
                    with torch.inference_mode():
                        ref = [t.numpy() for t in enc(x)]
                    got = sess.run(names, {"tokens": x.numpy()})
                    for r, g in zip(ref, got):
                        if r.shape != g.shape:
                            raise RuntimeError(f"shape mismatch {r.shape} vs {g.shape} for {cell}{hidden}-{mode}")
                        worst = max(worst, float(np.max(np.abs(r - g))))
                log(f"[onnxruntime] {cell}{hidden}-{mode}: {exporter} exporter, opset {args.opset}, "
                    f"{rnn_op} node present, max |ort - torch| = {worst:.2e}")
                if not worst < 1e-4:
                    log(f"[onnxruntime] ERROR: outputs differ from torch by {worst} >= 1e-4; not timing")
                    emit_error(emit, "onnxruntime", ort.__version__, cell, hidden, mode, threads,
                               f"max abs diff {worst}")
                    continue
                feeds = [{"tokens": x.numpy()} for x in pool]
                cyc = Cycler(feeds)

                def fn(sess=sess, cyc=cyc, names=names):
                    sess.run(names, cyc.next())
                emit_result(args, emit, "onnxruntime", ort.__version__, cell, hidden, mode, threads, fn,
                            tokens_per_call)
                del sess, fn, cyc  # free the session (and its thread pool) before building the next one


def emit_error(emit, peer, version, cell, hidden, mode, threads, message):
    emit({"peer": peer, "version": version, "cell": cell, "hidden": hidden, "mode": mode,
          "threads": threads, "error": message})


def emit_result(args, emit, peer, version, cell, hidden, mode, threads, fn, tokens_per_call):
    best, median, spc, rates, n_clean, foreign = measure(
        fn, tokens_per_call, args.windows, args.window, args.warmup, args.patience, args.foreign_limit)
    note = "" if n_clean >= args.windows else f"  WARNING: only {n_clean} uncontended window(s)"
    log(f"[{peer}] {cell}{hidden} {mode:8s} t={threads}: best {best:10.0f} tok/s  median {median:10.0f}  "
        f"windows {[round(r) for r in rates]}  other-process load {[round(f, 2) for f in foreign]}{note}")
    emit({"peer": peer, "version": version, "cell": cell, "hidden": hidden, "mode": mode,
          "threads": threads, "tokens_per_second": best, "median_tokens_per_second": median,
          "seconds_per_call": spc, "windows": len(rates), "clean_windows": n_clean})


# --------------------------------------------------------------------------------------------
# driver


def print_environment():
    log("== environment ==")
    log(f"python {sys.version.split()[0]} at {sys.executable}")
    for k in ENV_KEYS:
        if k in os.environ:
            log(f"  {k}={os.environ[k]}")
    others = sorted(k for k in os.environ if k not in ENV_KEYS and any(
        s in k for s in ("OMP", "MKL", "BLAS", "KMP", "DNNL", "ONEDNN", "ORT_", "THREAD")))
    for k in others:
        log(f"  {k}={os.environ[k]}")
    try:
        log(f"os.cpu_count()={os.cpu_count()} sched_getaffinity={sorted(os.sched_getaffinity(0))}")
    except AttributeError:
        pass
    try:
        import torch
        info = torch.__config__.parallel_info().strip().splitlines()
        log("torch.__config__.parallel_info():")
        for line in info:
            log("  " + line.strip())
        log(f"torch CPU capability: {torch.backends.cpu.get_cpu_capability()}, "
            f"mkldnn available: {torch.backends.mkldnn.is_available()}")
    except Exception as e:  # noqa: BLE001
        log(f"torch not importable: {e}")
    try:
        import onnxruntime as ort
        log(f"onnxruntime {ort.__version__} providers {ort.get_available_providers()}")
    except Exception as e:  # noqa: BLE001
        log(f"onnxruntime not importable: {e}")
    log("=================")


def child_args(args, peer, threads):
    out = [sys.executable, os.path.abspath(__file__), "--child",
           "--peers", peer, "--threads", str(threads),
           "--cells", ",".join(args.cells), "--hidden", ",".join(map(str, args.hidden)),
           "--modes", ",".join(args.modes),
           "--windows", str(args.windows), "--window", str(args.window), "--warmup", str(args.warmup),
           "--opset", str(args.opset), "--adam", args.adam, "--patience", str(args.patience),
           "--foreign-limit", str(args.foreign_limit)]
    if args.verbose:
        out.append("--verbose")
    return out


def thread_check(results):
    """Report how much a second thread helped; flag configurations where it did not at all."""
    by_key = {}
    for r in results:
        if "tokens_per_second" in r:
            by_key[(r["peer"], r["cell"], r["hidden"], r["mode"], r["threads"])] = r["tokens_per_second"]
    lines = []
    for (peer, cell, hidden, mode, threads), tps in sorted(by_key.items()):
        if threads != 1 or (peer, cell, hidden, mode, 2) not in by_key:
            continue
        ratio = by_key[(peer, cell, hidden, mode, 2)] / tps
        flag = ""
        if mode == "batch32" and hidden == 512 and ratio < 1.2:
            flag = "  <-- 2 threads should clearly beat 1 here: thread setting not effective or CPU busy?"
        lines.append(f"  {peer:11s} {cell}{hidden} {mode:8s} 2 threads / 1 thread = {ratio:.2f}{flag}")
    if lines:
        log("== thread scaling (best tokens/s, 2 threads over 1) ==")
        for line in lines:
            log(line)


def run_worker(args, emit):
    for peer in args.peers:
        for threads in args.threads:
            if peer == "pytorch":
                run_pytorch(args, threads, emit)
            else:
                run_onnxruntime(args, threads, emit)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--peers", type=csv_list(str, ALL_PEERS), default=list(ALL_PEERS))
    p.add_argument("--cells", type=csv_list(str, ALL_CELLS), default=list(ALL_CELLS))
    p.add_argument("--hidden", type=csv_list(int), default=list(ALL_HIDDEN))
    p.add_argument("--modes", type=csv_list(str, ALL_MODES), default=list(ALL_MODES))
    p.add_argument("--threads", type=csv_list(int), default=list(ALL_THREADS))
    p.add_argument("--quick", action="store_true", help="shorter run: 2 windows of 0.2 s, 0.1 s warm-up")
    p.add_argument("--windows", type=int, default=None, help="measurement windows (default 5)")
    p.add_argument("--window", type=float, default=None, help="seconds per window (default 0.5)")
    p.add_argument("--warmup", type=float, default=None, help="warm-up seconds, >= 3 calls (default 0.3)")
    p.add_argument("--patience", type=float, default=None,
                   help="extra seconds per configuration to wait out other processes' CPU load (default 5)")
    p.add_argument("--foreign-limit", type=float, default=0.15,
                   help="a window during which other processes used more than this many cores is "
                        "repeated (default 0.15)")
    p.add_argument("--adam", choices=("default", "foreach", "fused"), default="default",
                   help="torch.optim.Adam implementation for train32 (default: torch's default, the "
                        "for-loop one on CPU)")
    p.add_argument("--opset", type=int, default=17)
    p.add_argument("--in-process", action="store_true",
                   help="run all (peer, threads) combinations in this process instead of one subprocess each")
    p.add_argument("--verbose", action="store_true", help="print exported/optimized ONNX node types etc.")
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.windows is None:
        args.windows = 2 if args.quick else 5
    if args.window is None:
        args.window = 0.2 if args.quick else 0.5
    if args.warmup is None:
        args.warmup = 0.1 if args.quick else 0.3
    if args.patience is None:
        args.patience = 2.0 if args.quick else 5.0

    results = []

    def emit(obj):
        results.append(obj)
        sys.stdout.write(json.dumps(obj) + "\n")
        sys.stdout.flush()

    if args.child:
        run_worker(args, emit)
        return 0

    print_environment()
    start = time.perf_counter()
    status = 0
    if args.in_process:
        run_worker(args, emit)
    else:
        for peer in args.peers:
            for threads in args.threads:
                cmd = child_args(args, peer, threads)
                log(f"== {peer}, {threads} thread(s): subprocess ==")
                # stdout of the child is the JSON lines; pass them through (and keep them for the summary).
                proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=sys.stderr, text=True)
                for line in proc.stdout:
                    line = line.strip()
                    if line:
                        emit(json.loads(line))
                rc = proc.wait()
                if rc != 0:
                    log(f"{peer} threads={threads} exited with {rc}")
                    status = 1
    thread_check(results)
    if any("error" in r for r in results):
        status = 1
    log(f"total {time.perf_counter() - start:.1f} s")
    return status


if __name__ == "__main__":
    sys.exit(main())
