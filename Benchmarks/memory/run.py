#!/usr/bin/env python3
"""Stream-memory benchmark: bounded resources and the cost of the memory step, on the real `stmd run`.

    python3 Benchmarks/memory/run.py --stmd .build/release/stmd [--work DIR] [--only bounded,growth,speed]

Three measurements, each a fresh daemon on a fresh inbox and state folder with the shipped default tasks
(topic-news + sentiment-en) and the default `[memory]` settings (K = 32, max_streams = 256):

* bounded — 10,000 documents over 1,000 streams (10 each, all present at start: the catch-up path, which
  takes streams round-robin, so nearly every document reloads an evicted stream from the database). Peak RSS
  (VmHWM) of the daemon and the database size (ledger.sqlite + its WAL) once every output exists.
  Targets: RSS <= 150 MiB, database <= 50 MB.
* growth — 100,000 documents over 1,000 streams in two halves: 50,000 present at start; once they are
  annotated, RSS (VmRSS) is read, the other 50,000 are renamed in, and RSS is read again once they are done.
  Target: RSS grows by less than 5 % between the two readings. --growth-readings 3 adds a reading at 150,000;
  --growth-rest also reads RSS once it is steady; --probe adds smaps_rollup and malloc_stats (gdb) per reading.
* speed — 10,000 documents over 10 streams with memory on and with `[memory] enabled = false`, --pairs pairs (3)
  in the order off, on, on, off, …; the folders are deleted after the last run only. Per-document processing time
  = (last output's mtime - first output's mtime) / (n - 1) at the daemon's full rate, and the daemon's CPU time per
  document. Target: memory adds <= 10 %. (The component bench, stmd-memory-bench, measures the same more precisely.)

Documents are AG News snippets ($STMD_DATA or ../shared/data, topic/ag_news/train.tsv), each made unique by a
suffix, with strictly increasing mtimes. Results go to stdout and WORK/results-PARTS.json (--results FILE to choose).
"""
import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def load_texts():
    data = os.environ.get("STMD_DATA", os.path.join(os.path.dirname(ROOT), "shared", "data"))
    path = os.path.join(data, "topic", "ag_news", "train.tsv")
    if not os.path.exists(path):
        path = "/work/shared/data/topic/ag_news/train.tsv"
    with open(path, encoding="utf-8") as handle:
        texts = [line.split("\t")[0] for line in handle if "\t" in line]
    if not texts:
        sys.exit(f"no documents in {path}")
    return texts


def write_documents(inbox, streams, per_stream, texts, start_index=0, base_time=1_700_000_000, staging=None):
    """Writes per_stream documents into each stream (into staging first, then renamed in, when given)."""
    paths = []
    for s in range(streams):
        folder = os.path.join(inbox, f"s{s:04d}")
        os.makedirs(folder, exist_ok=True)
        for i in range(start_index, start_index + per_stream):
            n = s * 1_000_000 + i
            name = f"d{i:06d}.txt"
            text = texts[n % len(texts)] + f"\nref {n}\n"
            target = os.path.join(staging or folder, f"s{s:04d}-{name}" if staging else name)
            with open(target, "w", encoding="utf-8") as handle:
                handle.write(text)
            t = base_time + i * 60 + s * 0.001
            os.utime(target, (t, t))
            paths.append((target, os.path.join(folder, name)))
    if staging:
        for source, destination in paths:
            os.rename(source, destination)


def count_outputs(inbox):
    total = 0
    for entry in os.scandir(inbox):
        if entry.is_dir():
            total += sum(1 for name in os.listdir(entry.path) if name.endswith(".stm.json"))
    return total


def proc_status(pid):
    values = {}
    with open(f"/proc/{pid}/status") as handle:
        for line in handle:
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                values[key] = int(rest.split()[0]) / 1024  # MiB
    return values


def smaps_rollup(pid):
    """Rss split into anonymous and file-backed pages (MiB), from /proc/PID/smaps_rollup."""
    values = {}
    with open(f"/proc/{pid}/smaps_rollup") as handle:
        for line in handle:
            key, _, rest = line.partition(":")
            if key in ("Rss", "Anonymous", "Shared_Clean", "Private_Clean", "Private_Dirty", "Swap"):
                values[key] = round(int(rest.split()[0]) / 1024, 1)
    return values


def anonymous_mappings(pid):
    """Resident anonymous KiB per mapping (start address and name, "[heap]", "[stack:…]" or "" for plain mmaps),
    from /proc/PID/smaps: which mapping grew between two readings."""
    mappings, current = {}, None
    with open(f"/proc/{pid}/smaps") as handle:
        for line in handle:
            fields = line.split()
            if fields and "-" in fields[0] and len(fields) >= 5 and ":" not in fields[0]:
                current = fields[0].split("-")[0] + (" " + fields[5] if len(fields) > 5 else "")
            elif fields and fields[0] == "Anonymous:" and current is not None and int(fields[1]) > 0:
                mappings[current] = mappings.get(current, 0) + int(fields[1])
    return mappings


def gdb_call(pid, expression):
    """Calls a C function inside the daemon with gdb (diagnostics only: --probe); returns gdb's output."""
    result = subprocess.run(
        ["gdb", "-p", str(pid), "-batch", "-nx", "-ex", f"call {expression}"],
        capture_output=True, text=True, timeout=120)
    return result.stdout.strip().splitlines()[-1:] if result.stdout else []


def probe(pid, args, label):
    """--probe: the RSS split, glibc's malloc_stats (written to the daemon's log) and, with --probe-trim, the RSS
    after malloc_trim(0) (what the allocator held free)."""
    reading = {"smaps": smaps_rollup(pid), "anonymous_kib_by_mapping": anonymous_mappings(pid)}
    gdb_call(pid, f'(int)fprintf(stderr, "=== probe {label}\\n")')
    gdb_call(pid, "(void)malloc_stats()")
    if args.probe_trim:
        gdb_call(pid, "(int)malloc_trim(0)")
        reading["rss_mib_after_trim"] = round(proc_status(pid)["VmRSS"], 1)
    return reading


def database_bytes(state):
    return sum(
        os.path.getsize(os.path.join(state, name))
        for name in ("ledger.sqlite", "ledger.sqlite-wal")
        if os.path.exists(os.path.join(state, name))
    )


class Daemon:
    def __init__(self, stmd, inbox, state, config, log):
        self.log = open(log, "w")
        env = dict(os.environ)
        for key in ("STATE_DIRECTORY", "CONFIGURATION_DIRECTORY", "NOTIFY_SOCKET", "JOURNAL_STREAM"):
            env.pop(key, None)
        self.process = subprocess.Popen(
            [stmd, "run", "--inbox", inbox, "--state", state, "--config", config, "--models", os.path.join(ROOT, "Models")],
            stdout=self.log, stderr=self.log, env=env, cwd=os.path.dirname(state))

    def wait_for(self, inbox, count, timeout):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.process.poll() is not None:
                sys.exit(f"stmd exited with {self.process.returncode}; see {self.log.name}")
            done = count_outputs(inbox)
            if done >= count:
                return
            time.sleep(0.5)
        sys.exit(f"timeout: {count_outputs(inbox)} of {count} outputs after {timeout} s; see {self.log.name}")

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=30)
        self.log.close()


def fresh(work, name, memory=True):
    base = os.path.join(work, name)
    shutil.rmtree(base, ignore_errors=True)
    inbox, state, staging = (os.path.join(base, part) for part in ("inbox", "state", "staging"))
    for folder in (inbox, staging):
        os.makedirs(folder)
    config = os.path.join(base, "stmd.toml")
    with open(config, "w") as handle:
        handle.write("[memory]\nenabled = %s\n" % ("true" if memory else "false"))
    return base, inbox, state, staging, config


def bounded(args, texts):
    base, inbox, state, _, config = fresh(args.work, "bounded")
    write_documents(inbox, 1000, 10, texts)
    daemon = Daemon(args.stmd, inbox, state, config, os.path.join(base, "stmd.log"))
    started = time.time()
    daemon.wait_for(inbox, 10_000, 1800)
    seconds = time.time() - started
    status = proc_status(daemon.process.pid)
    size_running = database_bytes(state)
    daemon.stop()
    return {
        "documents": 10_000, "streams": 1000, "peak_rss_mib": round(status["VmHWM"], 1),
        "rss_mib": round(status["VmRSS"], 1), "database_mb_running": round(size_running / 1e6, 2),
        "database_mb_stopped": round(database_bytes(state) / 1e6, 2), "seconds": round(seconds, 1),
    }


def growth(args, texts):
    base, inbox, state, staging, config = fresh(args.work, "growth", memory=not args.growth_without_memory)
    write_documents(inbox, 1000, 50, texts)
    daemon = Daemon(args.stmd, inbox, state, config, os.path.join(base, "stmd.log"))
    readings = []
    started = time.time()
    for part in range(args.growth_readings):
        if part > 0:
            write_documents(inbox, 1000, 50, texts, start_index=50 * part, staging=staging)
        daemon.wait_for(inbox, 50_000 * (part + 1), 3600)
        time.sleep(args.growth_settle)
        status = proc_status(daemon.process.pid)
        reading = {
            "documents": 50_000 * (part + 1), "rss_mib": round(status["VmRSS"], 1),
            "seconds": round(time.time() - started, 1), "load": os.getloadavg()[0],
            "database_mb": round(database_bytes(state) / 1e6, 2)}
        if args.growth_rest:
            # What a user sees once the daemon is at rest: RSS steady (within 0.5 MiB over 30 s; a reconciliation's
            # checks of 100,000 files can hold RSS flat for 10 s before they finish), up to 360 s.
            samples, waited = [], 0
            while waited < 360:
                samples.append(proc_status(daemon.process.pid)["VmRSS"])
                if len(samples) >= 30 and max(samples[-30:]) - min(samples[-30:]) <= 0.5:
                    break
                time.sleep(1)
                waited += 1
            reading["rss_mib_rest"] = round(samples[-1], 1)
            reading["rest_seconds"] = waited
        if args.probe:
            reading.update(probe(daemon.process.pid, args, f"{50 * (part + 1)}k"))
        readings.append(reading)
        print(json.dumps(reading), flush=True)
    peak = proc_status(daemon.process.pid)["VmHWM"]
    daemon.stop()
    if not args.keep:
        shutil.rmtree(base, ignore_errors=True)
    first, second = readings[0]["rss_mib"], readings[1]["rss_mib"]
    rest = {}
    if args.growth_rest:
        rest_first, rest_second = readings[0]["rss_mib_rest"], readings[1]["rss_mib_rest"]
        rest = {"growth_percent_rest": round((rest_second - rest_first) / rest_first * 100, 2)}
    return {**rest,
        "rss_mib_at_50k": first, "rss_mib_at_100k": second,
        "growth_percent": round((second - first) / first * 100, 2),
        "peak_rss_mib": round(peak, 1), "database_mb_at_100k": readings[1]["database_mb"], "readings": readings,
    }


def process_cpu_seconds(pid):
    """User + system CPU time of a process so far (all its threads), from /proc/PID/stat."""
    with open(f"/proc/{pid}/stat") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def speed_run(args, texts, memory, index):
    """One daemon over 10,000 documents; (ms per document at full rate, CPU ms per document). The folder stays until
    every run is over: deleting 20,000 files just before the next run makes that run's file creations slower
    (ext4 skips recently deleted inodes), a cost that would fall on whichever variant came next."""
    base, inbox, state, _, config = fresh(args.work, f"speed-{'on' if memory else 'off'}-{index}", memory)
    write_documents(inbox, 10, 1000, texts)
    daemon = Daemon(args.stmd, inbox, state, config, os.path.join(base, "stmd.log"))
    daemon.wait_for(inbox, 10_000, 1800)
    cpu_seconds = process_cpu_seconds(daemon.process.pid)
    daemon.stop()
    times = []
    for entry in os.scandir(inbox):
        for name in os.listdir(entry.path):
            if name.endswith(".stm.json"):
                times.append(os.stat(os.path.join(entry.path, name)).st_mtime)
    times.sort()
    per_document_ms = (times[-1] - times[0]) / (len(times) - 1) * 1000
    return per_document_ms, cpu_seconds * 1000 / 10_000


def speed(args, texts):
    """Pairs in the order off, on, on, off, …: neither variant always runs first (the first run of a series pays for
    cold caches)."""
    on, off, on_cpu, off_cpu = [], [], [], []
    for index in range(args.pairs):
        for memory in ((False, True) if index % 2 == 0 else (True, False)):
            wall, cpu = speed_run(args, texts, memory, index)
            (on if memory else off).append(wall)
            (on_cpu if memory else off_cpu).append(cpu)
    if not args.keep:
        for index in range(args.pairs):
            for variant in ("on", "off"):
                shutil.rmtree(os.path.join(args.work, f"speed-{variant}-{index}"), ignore_errors=True)
    median_on, median_off = statistics.median(on), statistics.median(off)
    ratios = [a / b for a, b in zip(on, off)]
    cpu_ratios = [a / b for a, b in zip(on_cpu, off_cpu)]
    return {
        "pair_ratios": [round(r, 3) for r in ratios], "median_pair_ratio": round(statistics.median(ratios), 3),
        "cpu_pair_ratios": [round(r, 3) for r in cpu_ratios],
        "median_cpu_pair_ratio": round(statistics.median(cpu_ratios), 3),
        "documents": 10_000, "streams": 10, "ms_per_document_memory_on": [round(x, 4) for x in on],
        "ms_per_document_memory_off": [round(x, 4) for x in off],
        "cpu_ms_per_document_memory_on": [round(x, 4) for x in on_cpu],
        "cpu_ms_per_document_memory_off": [round(x, 4) for x in off_cpu], "median_on": round(median_on, 4),
        "median_off": round(median_off, 4), "added_percent": round((median_on - median_off) / median_off * 100, 2),
        "cpu_added_percent": round((statistics.median(on_cpu) - statistics.median(off_cpu)) / statistics.median(off_cpu) * 100, 2),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stmd", default=os.path.join(ROOT, ".build", "release", "stmd"))
    parser.add_argument("--work", default=os.path.join(ROOT, ".build", "bench-memory"))
    parser.add_argument("--only", default="bounded,growth,speed")
    parser.add_argument("--pairs", type=int, default=3, help="speed: memory off/on runs, alternated")
    parser.add_argument(
        "--growth-without-memory", action="store_true",
        help="run the growth part with [memory] enabled = false (to see what the rest of the daemon adds)")
    parser.add_argument("--growth-readings", type=int, default=2, help="growth: RSS readings, one per 50,000 documents")
    parser.add_argument("--growth-settle", type=float, default=2, help="growth: seconds to wait before each reading")
    parser.add_argument(
        "--growth-rest", action="store_true",
        help="growth: also read RSS once it is steady (0.5 MiB over 30 s, at most 360 s): the daemon at rest")
    parser.add_argument("--probe", action="store_true", help="growth: RSS split and malloc_stats (gdb) at each reading")
    parser.add_argument("--probe-trim", action="store_true", help="with --probe: also malloc_trim(0) and read RSS again")
    parser.add_argument("--keep", action="store_true", help="keep the work folders (logs) after the run")
    parser.add_argument(
        "--results", help="where to write the results JSON (default: WORK/results-PARTS.json; the results-*.json files "
        "in this folder are the measurements BENCHMARKS.md cites, so a run never overwrites them unless told to)")
    args = parser.parse_args()
    args.stmd = os.path.abspath(args.stmd)
    os.makedirs(args.work, exist_ok=True)
    texts = load_texts()
    results = {"stmd": args.stmd, "cpus": os.cpu_count(), "growth_without_memory": args.growth_without_memory}
    for part in args.only.split(","):
        results[part] = {"bounded": bounded, "growth": growth, "speed": speed}[part](args, texts)
        print(json.dumps({part: results[part]}), flush=True)
    suffix = "-" + args.only.replace(",", "-") + ("-no-memory" if args.growth_without_memory else "")
    path = args.results or os.path.join(args.work, f"results{suffix}.json")
    with open(path, "w") as handle:
        json.dump(results, handle, indent=2, sort_keys=True)
        handle.write("\n")
    print(f"wrote {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
