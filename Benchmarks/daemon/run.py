#!/usr/bin/env python3
"""The daemon benchmark: `stmd run` against a Python watchdog + onnxruntime daemon, whole path, in one run.

Systems, run alternately in every round so they see the same machine conditions:

  stmd-lstm256   stmd with one task, `topic`, served by a plain LSTM-256 classifier (f32) trained by stmd
  peer-lstm256   Benchmarks/daemon/peer_daemon.py: watchdog + onnxruntime running the same network exported
                 to ONNX (export_onnx.py), same tokenizer and vocabulary, same outputs with the same fsyncs
  stmd-default   stmd with its default tasks: topic (topic-news) + sentiment (sentiment-en), the shipped
                 etc/stmd/stmd.toml verbatim
  stmd-lstm256-bf16  for information: the same LSTM-256 with bf16 recurrent weights at inference (the
                 bundle's inferencePrecision; stmd's default precision), not part of the targets

Per system and round: a fresh inbox with 10 stream folders; the daemon is started and is ready when a probe
file renamed into a stream has its output; then `--idle-drops` single files are renamed into an idle daemon one
at a time (the next once the previous output is there and 0.2 s have passed); then the burst: `--files` files
of about 1 KB (AG News descriptions from .build/data/topic-news/train.tsv, concatenated), staged beforehand in
a folder on the same file system and synced, renamed into the streams round-robin as fast as Python renames.
Times are CLOCK_MONOTONIC: taken by this driver just before each rename, and by a separate watcher process
(this script with --watch) at the IN_MOVED_TO of each `<name>.stm.json` in the stream folders, the moment the
output becomes visible under its final name. Reported: documents/s = files / (last output - first rename),
per-document latency p50/p99, idle-drop latency p50, and peak RSS = VmHWM of the daemon's process at the end.
Every output is checked (all present, no error outputs), and stmd's and the peer's labels for the same files
are compared (they run the same model, so they agree but for ties in the last float bits).

    python3 Benchmarks/daemon/run.py [--stmd .build/release/stmd] [--python ~/.cache/stmd/venv/bin/python]
                                     [--rounds 3] [--files 10000] [--quick]

The LSTM-256 bundle is trained once (stmd train classify, ~1-2 min) into .build/bench-daemon/models/lstm256
and exported to .build/bench-daemon/lstm256.onnx. Results: printed, and .build/bench-daemon/results.json.
Standard library only; the peer runs in the venv given by --python (watchdog, onnxruntime, numpy; torch and
onnx only for the export).
"""
import argparse
import ctypes
import datetime
import json
import os
import platform
import random
import shutil
import signal
import struct
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
OUTPUT_SUFFIX = ".stm.json"
IN_MOVED_TO, IN_Q_OVERFLOW, IN_ONLYDIR = 0x80, 0x4000, 0x01000000
SYSTEMS = ("stmd-lstm256", "peer-lstm256", "stmd-default", "stmd-lstm256-bf16")
# Targets from issue 5 ("What it must show"): (metric, system, comparison against peer-lstm256).
TARGETS = [
    ("docs_per_second", "stmd-lstm256", ">=", 3.0, "≥ 3× the peer's documents/s (same model)"),
    ("latency_p99_ms", "stmd-lstm256", "<=", 1 / 3, "≤ 1/3 of the peer's p99 latency (same model)"),
    ("peak_rss_mib", "stmd-lstm256", "<=", 1 / 3, "≤ 1/3 of the peer's peak RSS (same model)"),
    ("docs_per_second", "stmd-default", ">=", 1.0, "default tasks (2 models): ≥ the peer's documents/s"),
    ("idle_p50_ms", "stmd-default", "<=", 1.0, "default tasks (2 models): idle drop ≤ the peer's"),
]


def log(*args):
    print(*args, file=sys.stderr, flush=True)


# ----------------------------------------------------------------------------------------------------------------
# The watcher process: inotify IN_MOVED_TO on every stream folder, one line per visible output.

def watch(folders):
    libc = ctypes.CDLL(None, use_errno=True)
    fd = libc.inotify_init1(os.O_CLOEXEC)
    if fd < 0:
        raise SystemExit(f"inotify_init1: {os.strerror(ctypes.get_errno())}")
    names = {}
    for folder in folders:
        wd = libc.inotify_add_watch(fd, os.fsencode(folder), IN_MOVED_TO | IN_ONLYDIR)
        if wd < 0:
            raise SystemExit(f"inotify_add_watch {folder}: {os.strerror(ctypes.get_errno())}")
        names[wd] = os.path.basename(folder)
    out = sys.stdout.buffer
    out.write(b"ready\n")
    out.flush()
    header = struct.Struct("iIII")
    suffix = OUTPUT_SUFFIX.encode()
    while True:
        data = os.read(fd, 1 << 20)
        now = time.monotonic_ns()
        lines = []
        offset = 0
        while offset < len(data):
            wd, mask, _, length = header.unpack_from(data, offset)
            name = data[offset + 16: offset + 16 + length].rstrip(b"\0")
            offset += 16 + length
            if mask & IN_Q_OVERFLOW:
                lines.append(b"overflow\n")
            elif name.endswith(suffix) and not name.startswith(b"."):
                lines.append(b"%d %s/%s\n" % (now, names[wd].encode(), name[:-len(suffix)]))
        if lines:
            out.write(b"".join(lines))
            out.flush()


class Watcher:
    """Runs `run.py --watch` and collects (stream/name) -> monotonic ns of the output's appearance."""

    def __init__(self, folders):
        self.process = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--watch"] + folders,
                                        stdout=subprocess.PIPE)
        self.seen = {}
        self.overflowed = False
        self.condition = threading.Condition()
        if self.process.stdout.readline().strip() != b"ready":
            raise SystemExit("watcher did not start")
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        for line in self.process.stdout:
            with self.condition:
                if line.startswith(b"overflow"):
                    self.overflowed = True
                else:
                    stamp, name = line.rstrip(b"\n").split(b" ", 1)
                    self.seen.setdefault(os.fsdecode(name), int(stamp))
                self.condition.notify_all()

    def wait_for(self, predicate, timeout):
        deadline = time.monotonic() + timeout
        with self.condition:
            while not predicate(self.seen):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self.condition.wait(min(remaining, 1.0))
        return True

    def stop(self):
        self.process.terminate()
        self.process.wait()


# ----------------------------------------------------------------------------------------------------------------
# Setup: the LSTM-256 model, its ONNX export, the documents.

def ensure_model(args):
    models = os.path.join(args.work, "models")
    bundle = os.path.join(models, "lstm256")
    onnx = os.path.join(args.work, "lstm256.onnx")
    data = os.path.join(ROOT, ".build/data/topic-news")
    if not os.path.exists(os.path.join(bundle, "config.json")):
        if not os.path.exists(os.path.join(data, "train.tsv")):
            raise SystemExit(f"{data}/train.tsv is missing: run `make data` first")
        os.makedirs(models, exist_ok=True)
        command = [args.stmd, "train", "classify", "--data", f"{data}/train.tsv", "--valid", f"{data}/valid.tsv",
                   "--out", bundle, "--cell", "lstm", "--hidden", "256", "--no-bidirectional", "--pooling", "last",
                   "--bag-size", "0", "--subword-buckets", "0", "--embedding-size", "64", "--epochs", "2",
                   "--dtype", "f32", "--precision", "f32"]
        log("$", " ".join(command))
        subprocess.run(command, check=True, env=dict(os.environ, STMD_THREADS="2"))
    if not os.path.exists(onnx) or os.path.getmtime(onnx) < os.path.getmtime(os.path.join(bundle, "weights.safetensors")):
        command = [args.python, os.path.join(HERE, "export_onnx.py"), "--bundle", bundle, "--out", onnx,
                   "--check-stmd", args.stmd, "--check-data", os.path.join(data, "valid.tsv")]
        log("$", " ".join(command))
        subprocess.run(command, check=True)
    # The same weights served with bf16 recurrent weights (informational row).
    bf16 = os.path.join(models, "lstm256-bf16")
    os.makedirs(bf16, exist_ok=True)
    for name in ("vocabulary.json", "weights.safetensors"):
        shutil.copyfile(os.path.join(bundle, name), os.path.join(bf16, name))
    config = json.load(open(os.path.join(bundle, "config.json")))
    config.update(name="lstm256-bf16", inferencePrecision="bf16")
    with open(os.path.join(bf16, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    return models, bundle, onnx


def make_documents(count, size, seed):
    """`count` texts of about `size` bytes: AG News descriptions drawn at random and joined by spaces."""
    path = os.path.join(ROOT, ".build/data/topic-news/train.tsv")
    lines = [line.split("\t")[0].strip() for line in open(path, encoding="utf-8")]
    lines = [line for line in lines if line]
    rng = random.Random(seed)
    documents = []
    for _ in range(count):
        parts, length = [], 0
        while length < size - 100:
            line = rng.choice(lines)
            parts.append(line)
            length += len(line.encode()) + 1
        text = " ".join(parts)
        encoded = text.encode()
        if len(encoded) > size + 100:  # cut at a space so no document is much over the size
            cut = encoded.rfind(b" ", 0, size + 100)
            text = encoded[:cut if cut > size // 2 else size + 100].decode("utf-8", errors="ignore")
        documents.append(text + "\n")
    return documents


# ----------------------------------------------------------------------------------------------------------------
# One system, one round.

def read_status(pid):
    values = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key in ("VmHWM", "VmRSS"):
                    values[key] = int(value.split()[0]) / 1024  # kB -> MiB
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        ticks = os.sysconf("SC_CLK_TCK")
        values["cpu_seconds"] = (int(fields[11]) + int(fields[12])) / ticks
    except OSError:
        pass
    return values


def busy_seconds():
    """CPU time the whole machine spent busy (user, nice, system, irq, softirq, steal), in seconds."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    return (fields[0] + fields[1] + fields[2] + fields[5] + fields[6] + fields[7]) / os.sysconf("SC_CLK_TCK")


def process_cpu(pid):
    return read_status(pid).get("cpu_seconds", 0.0)


def percentile(values, q):
    ordered = sorted(values)
    if not ordered:
        return None
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def daemon_command(system, args, inbox, state, setup):
    if system == "peer-lstm256":
        return [args.python, os.path.join(HERE, "peer_daemon.py"), "--inbox", inbox, "--bundle", setup["bundle"],
                "--onnx", setup["onnx"], "--workers", str(args.peer_workers),
                "--intra-threads", str(args.peer_intra_threads)]
    command = [args.stmd, "run", "--inbox", inbox, "--state", state, "--config", setup["configs"][system]]
    if system != "stmd-default":
        command += ["--models", setup["models"]]
    if args.stmd_workers:
        command += ["--workers", str(args.stmd_workers)]
    return command


def run_system(system, args, setup, documents, round_index):
    base = os.path.join(args.work, "run")
    shutil.rmtree(base, ignore_errors=True)
    inbox, staging, state = (os.path.join(base, x) for x in ("inbox", "staging", "state"))
    streams = [f"s{i:02d}" for i in range(args.streams)]
    for stream in streams:
        os.makedirs(os.path.join(inbox, stream))
    os.makedirs(staging)
    names = [f"doc-{i:05d}.txt" for i in range(len(documents))]
    for name, text in zip(names, documents):
        with open(os.path.join(staging, name), "w", encoding="utf-8") as f:
            f.write(text)
    idle_names = [f"idle-{i:02d}.txt" for i in range(args.idle_drops)]
    idle_texts = make_documents(args.idle_drops + 1, args.size, seed=1000 + round_index)
    for name, text in zip(idle_names + ["probe.txt"], idle_texts):
        with open(os.path.join(staging, name), "w", encoding="utf-8") as f:
            f.write(text)
    os.sync()  # nothing of the staging left to write back during the measurement

    watcher = Watcher([os.path.join(inbox, s) for s in streams])
    environment = dict(os.environ)
    for key in ("CONFIGURATION_DIRECTORY", "STATE_DIRECTORY", "STMD_MODELS"):
        environment.pop(key, None)
    command = daemon_command(system, args, inbox, state, setup)
    log_path = os.path.join(args.work, f"{system}.round{round_index + 1}.log")
    log_file = open(log_path, "w")
    load_before = os.getloadavg()
    started = time.monotonic()
    daemon = subprocess.Popen(command, stdout=log_file, stderr=subprocess.STDOUT, env=environment, cwd=base)
    result = {"system": system, "round": round_index + 1, "command": command, "log": log_path,
              "load_before": load_before}
    try:
        # Ready: a probe renamed into a stream has its output (whether the watch or the start-up scan took it).
        os.rename(os.path.join(staging, "probe.txt"), os.path.join(inbox, streams[0], "probe.txt"))
        if not watcher.wait_for(lambda seen: f"{streams[0]}/probe.txt" in seen, 120):
            raise RuntimeError(f"{system} did not answer the probe within 120 s (log: {log_path})")
        result["ready_seconds"] = round(time.monotonic() - started, 3)
        time.sleep(0.5)

        idle = []
        for i, name in enumerate(idle_names):
            stream = streams[i % len(streams)]
            key = f"{stream}/{name}"
            t0 = time.monotonic_ns()
            os.rename(os.path.join(staging, name), os.path.join(inbox, stream, name))
            if not watcher.wait_for(lambda seen: key in seen, 30):
                raise RuntimeError(f"{system}: no output for idle drop {key} within 30 s")
            idle.append((watcher.seen[key] - t0) / 1e6)
            time.sleep(0.2)
        time.sleep(0.3)

        renamed = {}
        ours = [daemon.pid, watcher.process.pid, os.getpid()]
        cpu_before = busy_seconds(), sum(process_cpu(pid) for pid in ours)
        for i, name in enumerate(names):
            stream = streams[i % len(streams)]
            source, target = os.path.join(staging, name), os.path.join(inbox, stream, name)
            renamed[f"{stream}/{name}"] = time.monotonic_ns()
            os.rename(source, target)
        rename_seconds = (time.monotonic_ns() - min(renamed.values())) / 1e9
        keys = list(renamed)
        expected = len(keys) + len(idle_names) + 1  # every output seen so far is one of ours, none twice
        last_count, last_progress = -1, time.monotonic()
        while True:
            done = watcher.wait_for(lambda seen: len(seen) >= expected, 2.0)
            if done:
                break
            count = len(watcher.seen) - len(idle_names) - 1
            if count != last_count:
                last_count, last_progress = count, time.monotonic()
            elif time.monotonic() - last_progress > args.stall_timeout:
                raise RuntimeError(f"{system}: stalled at {count} of {len(keys)} outputs for {args.stall_timeout} s")
        status = read_status(daemon.pid)
        # CPU that other processes used during the burst: the machine's busy time minus the daemon's, the
        # watcher's and this driver's (a quiet machine gives ~0; kernel work for our I/O counts as ours or not).
        foreign = (busy_seconds() - cpu_before[0]) - (sum(process_cpu(pid) for pid in ours) - cpu_before[1])
        latencies = [(watcher.seen[k] - renamed[k]) / 1e6 for k in keys]
        first, last = min(renamed.values()), max(watcher.seen[k] for k in keys)
        result.update({
            "files": len(keys),
            "docs_per_second": len(keys) / ((last - first) / 1e9),
            "latency_p50_ms": percentile(latencies, 0.50),
            "latency_p90_ms": percentile(latencies, 0.90),
            "latency_p99_ms": percentile(latencies, 0.99),
            "latency_max_ms": max(latencies),
            "idle_p50_ms": percentile(idle, 0.50),
            "idle_p90_ms": percentile(idle, 0.90),
            "idle_ms": [round(x, 3) for x in idle],
            "rename_seconds": rename_seconds,
            "peak_rss_mib": status.get("VmHWM"),
            "rss_end_mib": status.get("VmRSS"),
            "cpu_seconds": status.get("cpu_seconds"),
            "watcher_overflowed": watcher.overflowed,
            "foreign_cpu_seconds": round(foreign, 2),
            "burst_seconds": (last - first) / 1e9,
            "load_after": os.getloadavg(),
        })
    finally:
        if daemon.poll() is None:
            daemon.send_signal(signal.SIGTERM)
            try:
                daemon.wait(timeout=15)
            except subprocess.TimeoutExpired:
                daemon.kill()
                daemon.wait()
        watcher.stop()
        log_file.close()
    result["exit_status"] = daemon.returncode

    # Check the outputs: every file has one, no error outputs, and collect the labels.
    labels, errors, missing = {}, 0, 0
    for stream in streams:
        folder = os.path.join(inbox, stream)
        for entry in os.listdir(folder):
            if entry.endswith(".stm.error.json"):
                errors += 1
            elif entry.startswith("doc-") and entry.endswith(OUTPUT_SUFFIX):
                with open(os.path.join(folder, entry), "rb") as f:
                    annotation = json.loads(f.read())
                labels[entry[:-len(OUTPUT_SUFFIX)]] = annotation["tasks"]["topic"]["label"]
    missing = len(names) - len(labels)
    result.update({"error_outputs": errors, "missing_outputs": missing})
    if errors or missing:
        log(f"warning: {system}: {errors} error outputs, {missing} missing outputs")
    leftovers = [e for s in streams for e in os.listdir(os.path.join(inbox, s)) if e.startswith(".")]
    result["temporary_files_left"] = len(leftovers)
    return result, labels


# ----------------------------------------------------------------------------------------------------------------
# Report.

def median(values):
    values = [v for v in values if v is not None]
    return percentile(values, 0.5) if values else None


def summarise(results, systems):
    metrics = ("docs_per_second", "latency_p50_ms", "latency_p99_ms", "idle_p50_ms", "peak_rss_mib", "cpu_seconds")
    summary = {}
    for system in systems:
        rows = [r for r in results if r["system"] == system and "docs_per_second" in r]
        summary[system] = {m: median([r.get(m) for r in rows]) for m in metrics}
        summary[system]["rounds"] = len(rows)
        summary[system]["docs_per_second_all"] = [round(r["docs_per_second"], 1) for r in rows]
        summary[system]["latency_p99_ms_all"] = [round(r["latency_p99_ms"], 1) for r in rows]
    return summary


def report(summary, args, started, files, results):
    def fmt(value, digits=1):
        return "–" if value is None else f"{value:,.{digits}f}"

    lines = [f"Measured {started:%Y-%m-%d %H:%M} UTC by `python3 Benchmarks/daemon/run.py"
             f"{' ' + ' '.join(args.argv) if args.argv else ''}`, on {cpu_model()}; {args.rounds} round(s), medians.",
             "",
             f"{files:,} files of ~{args.size} B over {args.streams} streams, renamed in as fast as possible; "
             f"idle drop: {args.idle_drops} single files into an idle daemon.",
             "",
             "| system | docs/s | p50 ms | p99 ms | idle drop p50 ms | peak RSS MiB | CPU s |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for system, s in summary.items():
        lines.append(f"| {system} | {fmt(s['docs_per_second'], 0)} | {fmt(s['latency_p50_ms'])} | "
                     f"{fmt(s['latency_p99_ms'])} | {fmt(s['idle_p50_ms'], 2)} | {fmt(s['peak_rss_mib'])} | "
                     f"{fmt(s['cpu_seconds'])} |")
    foreign = [r["foreign_cpu_seconds"] for r in results if "foreign_cpu_seconds" in r]
    loads = [r["load_before"][0] for r in results]
    if foreign:
        reruns = sum(r.get("attempt", 1) - 1 for r in results)
        lines += ["", f"Other processes used {max(0.0, min(foreign)):.1f}–{max(foreign):.1f} CPU s during the kept bursts "
                      f"(of {sum(r['burst_seconds'] for r in results if 'burst_seconds' in r) * os.cpu_count():.0f} "
                      f"available); {reruns} burst(s) rerun because others used more than {args.max_foreign_cores} "
                      f"cores. 1-minute load average before each system: {min(loads):.2f}–{max(loads):.2f} (it "
                      f"carries over the previous system's run)."]
    peer = summary.get("peer-lstm256")
    verdicts = []
    if peer:
        lines += ["", "| target | measured | met |", "|---|---|---|"]
        for metric, system, comparison, bound, text in TARGETS:
            ours = summary.get(system, {}).get(metric)
            theirs = peer.get(metric)
            if ours is None or not theirs:
                continue
            ratio = ours / theirs
            met = ratio >= bound if comparison == ">=" else ratio <= bound
            verdicts.append({"target": text, "system": system, "metric": metric, "ratio": ratio, "bound": bound,
                             "met": met})
            lines.append(f"| {text} | {system} {fmt(ours, 2)} vs peer {fmt(theirs, 2)}: **{ratio:.2f}×** "
                         f"(bound {comparison} {bound:.2f}×) | {'✓' if met else '✗'} |")
    return "\n".join(lines), verdicts


def cpu_model():
    try:
        info = {}
        with open("/proc/cpuinfo") as f:
            for line in f:
                if ":" in line:
                    key, value = (x.strip() for x in line.split(":", 1))
                    info.setdefault(key, value)
        return f"{info.get('model name', '?')}, {os.cpu_count()} cores"
    except OSError:
        return platform.processor()


def versions(args):
    found = {}
    try:
        found["stmd"] = subprocess.run([args.stmd, "--version"], capture_output=True, text=True).stdout.strip()
        found["peer"] = subprocess.run(
            [args.python, "-c", "import onnxruntime, watchdog.version, numpy, sys; "
                                "print(sys.version.split()[0], onnxruntime.__version__, watchdog.version.VERSION_STRING, numpy.__version__)"],
            capture_output=True, text=True).stdout.split()
        found["peer"] = dict(zip(("python", "onnxruntime", "watchdog", "numpy"), found["peer"]))
    except OSError:
        pass
    return found


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--watch":
        try:
            watch(sys.argv[2:])
        except KeyboardInterrupt:
            pass
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stmd", default=os.path.join(ROOT, ".build/release/stmd"))
    parser.add_argument("--python", default=os.path.expanduser("~/.cache/stmd/venv/bin/python"))
    parser.add_argument("--work", default=os.path.join(ROOT, ".build/bench-daemon"))
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--streams", type=int, default=10)
    parser.add_argument("--size", type=int, default=1024, help="approximate bytes per document")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--idle-drops", type=int, default=20)
    parser.add_argument("--systems", default=",".join(SYSTEMS), help=f"default: {','.join(SYSTEMS)}")
    parser.add_argument("--peer-workers", type=int, default=4, help="the peer's thread pool (default 4: its best here)")
    parser.add_argument("--stmd-workers", type=int, help="stmd run --workers (default: stmd's own, one per CPU)")
    parser.add_argument("--peer-intra-threads", type=int, default=1)
    parser.add_argument("--stall-timeout", type=float, default=60.0)
    parser.add_argument("--max-foreign-cores", type=float, default=0.15,
                        help="a burst during which other processes used more CPU than this is run again")
    parser.add_argument("--retries", type=int, default=3, help="at most this many reruns per system and round")
    parser.add_argument("--retry-pause", type=float, default=20.0, help="seconds to wait before a rerun")
    parser.add_argument("--quick", action="store_true", help="2,000 files, 1 round (noisier)")
    args = parser.parse_args()
    args.argv = sys.argv[1:]
    if args.quick:
        args.files, args.rounds = 2_000, 1
    args.stmd = os.path.abspath(args.stmd)
    args.work = os.path.abspath(args.work)
    systems = [s for s in args.systems.split(",") if s]
    for system in systems:
        if system not in SYSTEMS:
            raise SystemExit(f"unknown system {system}; known: {', '.join(SYSTEMS)}")
    os.makedirs(args.work, exist_ok=True)
    started = datetime.datetime.now(datetime.timezone.utc)

    models, bundle, onnx = ensure_model(args)
    default_config = os.path.join(ROOT, "etc/stmd/stmd.toml")  # the documented defaults, verbatim
    text = open(default_config).read()
    if 'tasks = { topic = "topic-news", sentiment = "sentiment-en" }' not in text:
        raise SystemExit(f"{default_config}: the default tasks line changed; update run.py")
    configs = {"stmd-default": default_config}
    for system, model in (("stmd-lstm256", "lstm256"), ("stmd-lstm256-bf16", "lstm256-bf16")):
        configs[system] = os.path.join(args.work, f"{system}.toml")
        with open(configs[system], "w") as f:
            f.write(text.replace('tasks = { topic = "topic-news", sentiment = "sentiment-en" }',
                                 f'tasks = {{ topic = "{model}" }}'))
    setup = {"models": models, "bundle": bundle, "onnx": onnx, "configs": configs}

    documents = make_documents(args.files, args.size, seed=1)
    sizes = sorted(len(d.encode()) for d in documents)
    log(f"{len(documents)} documents, bytes: min {sizes[0]}, median {sizes[len(sizes) // 2]}, max {sizes[-1]}; "
        f"load average {os.getloadavg()[0]:.2f}")

    results, labels = [], {}
    for round_index in range(args.rounds):
        for system in systems:
            for attempt in range(1 + args.retries):
                log(f"round {round_index + 1}/{args.rounds}: {system} (load {os.getloadavg()[0]:.2f})")
                result, system_labels = run_system(system, args, setup, documents, round_index)
                result["attempt"] = attempt + 1
                foreign_cores = result.get("foreign_cpu_seconds", 0) / max(result.get("burst_seconds", 1), 1e-9)
                if foreign_cores <= args.max_foreign_cores or attempt == args.retries:
                    break
                log(f"  other processes used {foreign_cores:.2f} cores during the burst "
                    f"(limit {args.max_foreign_cores}); running this one again")
                time.sleep(args.retry_pause)
            results.append(result)
            labels.setdefault(system, system_labels)
            log(f"  {result.get('docs_per_second', 0):,.0f} docs/s, p50 {result.get('latency_p50_ms', 0):.1f} ms, "
                f"p99 {result.get('latency_p99_ms', 0):.1f} ms, idle p50 {result.get('idle_p50_ms', 0):.2f} ms, "
                f"peak RSS {result.get('peak_rss_mib') or 0:.1f} MiB, CPU {result.get('cpu_seconds') or 0:.1f} s, "
                f"ready in {result.get('ready_seconds', 0):.2f} s, other processes used "
                f"{result.get('foreign_cpu_seconds', 0):.1f} CPU s during the {result.get('burst_seconds', 0):.1f} s burst")

    agreement = {}
    for system in ("stmd-lstm256", "stmd-lstm256-bf16"):
        if system in labels and "peer-lstm256" in labels:
            a, b = labels[system], labels["peer-lstm256"]
            common = set(a) & set(b)
            same = sum(1 for k in common if a[k] == b[k])
            agreement[system] = {"documents": len(common), "same_label": same}
            log(f"{system} and the peer give the same label on {same} of {len(common)} documents")

    summary = summarise(results, systems)
    table, verdicts = report(summary, args, started, args.files, results)
    if agreement:
        table += "\n\nSame model check (labels of the first round's files): " + "; ".join(
            f"{system} agrees with peer-lstm256 on {a['same_label']:,} of {a['documents']:,}"
            for system, a in agreement.items()) + "."
    print(table)
    out = {"started": started.isoformat(), "machine": cpu_model(), "versions": versions(args),
           "settings": {k: v for k, v in vars(args).items() if k != "argv"}, "argv": args.argv,
           "summary": summary, "targets": verdicts, "label_agreement": agreement, "runs": results,
           "table": table}
    with open(os.path.join(args.work, "results.json"), "w") as f:
        json.dump(out, f, indent=1)
    log(f"wrote {os.path.join(args.work, 'results.json')}")


if __name__ == "__main__":
    main()
