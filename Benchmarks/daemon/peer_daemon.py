#!/usr/bin/env python3
"""The peer of `stmd run` in the daemon benchmark: what a Python engineer would write instead.

A `watchdog` Observer watches the inbox recursively; every first-level folder is a stream. A file that appears
in a stream (created or renamed into it — watchdog reports a rename from outside the inbox as a creation —,
closed after writing, or moved within the inbox) is read, tokenised with stmd's tokenizer port
(Scripts/data/stmtext.py) and the bundle's vocabulary.json (the same ids as stmd), classified by onnxruntime
(one InferenceSession shared by a small thread pool; onnxruntime releases the GIL while it runs), and its
annotation is written beside it as `<name>.stm.json` exactly the way stmd publishes: a hidden temporary file in
the same folder, fsync, rename, fsync of the folder. The annotation has stmd's keys (schema 1: input with size,
SHA-256, characters and tokens; tasks; models; timing; stream; daemon), sorted, on one line.

    ~/.cache/stmd/venv/bin/python Benchmarks/daemon/peer_daemon.py --inbox DIR --bundle MODEL_DIR --onnx MODEL.onnx

It prints `peer ready` on stderr once the watch is in place, and stops on SIGTERM/SIGINT after finishing the
documents it has taken. Hidden files, `*~`, `*.swp`, `*.tmp`, `*.part`, `*.crdownload` and its own outputs are
ignored; files directly in the inbox root are not documents.
"""
import argparse
import hashlib
import json
import os
import random
import signal
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import onnxruntime as ort
from watchdog.events import (DirCreatedEvent, FileClosedEvent, FileCreatedEvent, FileMovedEvent,
                             FileSystemEventHandler)
from watchdog.observers import Observer

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(HERE)), "Scripts", "data"))
import stmtext  # noqa: E402

IGNORED_SUFFIXES = ("~", ".swp", ".tmp", ".part", ".crdownload", ".stm.json", ".stm.error.json")
VERSION = "peer-1"


class Classifier:
    """The bundle's labels, vocabulary and feature settings, and the ONNX export of its network."""

    def __init__(self, bundle, onnx_path, intra_threads):
        config = json.load(open(os.path.join(bundle, "config.json")))
        self.name = config["name"]
        self.version = config["version"]
        self.labels = config["labels"]
        self.maximum_tokens = config["features"]["maximumTokens"]
        tokens = json.load(open(os.path.join(bundle, "vocabulary.json")))["tokens"]
        self.ids = {token: i for i, token in enumerate(tokens)}
        options = ort.SessionOptions()
        options.intra_op_num_threads = intra_threads
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = ort.InferenceSession(onnx_path, options, providers=["CPUExecutionProvider"])

    def classify(self, text):
        tokens = stmtext.tokens_of(text)
        ids = [self.ids.get(t, 1) for t in tokens[:self.maximum_tokens]] or [0]
        probabilities = self.session.run(None, {"ids": np.asarray([ids], dtype=np.int64)})[0][0]
        return len(tokens), [float(p) for p in probabilities]


def decode(data):
    """stmd's rule: UTF-16 when a BOM says so, else UTF-8 (a UTF-8 BOM dropped); invalid bytes replaced."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        encoding = "utf-16le" if data[:2] == b"\xff\xfe" else "utf-16be"
        body = data[2:]
    else:
        encoding = "utf-8"
        body = data[3:] if data[:3] == b"\xef\xbb\xbf" else data
    try:
        return body.decode(encoding), encoding, False
    except UnicodeDecodeError:
        return body.decode(encoding, errors="replace"), encoding, True


def fsync_folder(folder):
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def publish(path, data):
    """`<path>.stm.json` through a hidden temporary file: write, fsync, rename, fsync the folder."""
    folder, name = os.path.split(path)
    temporary = os.path.join(folder, f".{name}.stm.json.{random.getrandbits(64):016x}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        os.unlink(temporary)
        raise
    os.close(fd)
    os.rename(temporary, path + ".stm.json")
    fsync_folder(folder)


class Daemon(FileSystemEventHandler):
    def __init__(self, inbox, classifier, workers, task):
        self.inbox = os.path.abspath(inbox)
        self.classifier = classifier
        self.task = task
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="peer-worker")
        self.lock = threading.Lock()
        self.pending = set()   # paths queued or being processed
        self.done = {}         # path -> (inode, size, mtime_ns) of the version annotated
        self.published = 0

    # --- watchdog callbacks (on the observer's thread) ---
    def on_created(self, event):
        if not event.is_directory:
            self.submit(event.src_path, created=True)
        else:
            self.scan(event.src_path)  # files written before the new folder's watch was in place

    def on_closed(self, event):
        self.submit(event.src_path)

    def on_moved(self, event):
        if not event.is_directory:
            self.submit(event.dest_path)

    # --- the work ---
    def stream_of(self, path):
        relative = os.path.relpath(path, self.inbox)
        parts = relative.split(os.sep)
        if len(parts) < 2 or parts[0] in (".", ".."):
            return None, None
        return parts[0], os.sep.join(parts[1:])

    def wanted(self, path):
        name = os.path.basename(path)
        return not name.startswith(".") and not name.endswith(IGNORED_SUFFIXES)

    def submit(self, path, created=False):
        if isinstance(path, bytes):
            path = os.fsdecode(path)
        if not self.wanted(path) or self.stream_of(path)[0] is None:
            return
        if created:
            # A file created by open(O_CREAT) is still being written: IN_CLOSE_WRITE will follow. A file renamed
            # in from outside the inbox (watchdog reports that as a creation too) is complete and has a size.
            try:
                if os.lstat(path).st_size == 0:
                    return
            except OSError:
                return
        with self.lock:
            if path in self.pending:
                return
            self.pending.add(path)
        self.pool.submit(self.process, path)

    def scan(self, folder):
        for directory, _, names in os.walk(folder):
            for name in names:
                self.submit(os.path.join(directory, name))

    def process(self, path):
        try:
            self.annotate(path)
        except FileNotFoundError:
            pass
        except Exception as error:  # one bad document never stops the daemon
            print(f"peer: {path}: {error!r}", file=sys.stderr, flush=True)
        finally:
            with self.lock:
                self.pending.discard(path)

    def annotate(self, path):
        started = time.perf_counter()
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        try:
            info = os.fstat(fd)
            if not (info.st_mode & 0o170000) == 0o100000:
                return
            identity = (info.st_ino, info.st_size, info.st_mtime_ns)
            if self.done.get(path) == identity:
                return
            chunks = []
            while True:
                chunk = os.read(fd, 1 << 16)
                if not chunk:
                    break
                chunks.append(chunk)
            data = b"".join(chunks)
        finally:
            os.close(fd)
        stream, relative = self.stream_of(path)
        text, encoding, invalid = decode(data)
        classify_started = time.perf_counter()
        token_count, probabilities = self.classifier.classify(text)
        classify_ms = (time.perf_counter() - classify_started) * 1000
        best = max(range(len(probabilities)), key=lambda i: (probabilities[i], -i))
        labels = self.classifier.labels
        model = self.classifier.name
        annotation = {
            "schema": "stmd.annotation", "schema_version": 1, "stream": stream,
            "input": {"name": os.path.basename(path), "size": len(data), "sha256": hashlib.sha256(data).hexdigest(),
                      "encoding": encoding, "invalid_utf8": invalid, "characters": len(text), "tokens": token_count},
            "tasks": {self.task: {"kind": "classify", "model": model, "model_version": self.classifier.version,
                                  "label": labels[best], "score": round(probabilities[best], 6),
                                  "scores": {label: round(p, 6) for label, p in zip(labels, probabilities)}}},
            "models": {model: self.classifier.version},
            "timing": {"tasks_ms": {self.task: round(classify_ms, 3)},
                       "total_ms": round((time.perf_counter() - started) * 1000, 3)},
            "daemon": {"version": VERSION, "relative_path": relative},
        }
        data_out = json.dumps(annotation, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
        publish(path, data_out)
        with self.lock:
            self.done[path] = identity
            self.published += 1


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--inbox", required=True)
    parser.add_argument("--bundle", required=True, help="stmd model bundle (config.json, vocabulary.json)")
    parser.add_argument("--onnx", required=True, help="the bundle's network exported by export_onnx.py")
    parser.add_argument("--task", default="topic")
    parser.add_argument("--workers", type=int, default=4,
                        help="document threads (default 4: two per core, so one can compute while another waits "
                             "in fsync; measured here with 3,000 files: 2 -> 326-339, 4 -> 335-379 documents/s)")
    parser.add_argument("--intra-threads", type=int, default=1,
                        help="onnxruntime intra-op threads per run (default 1: the workers already fill the cores)")
    args = parser.parse_args()

    classifier = Classifier(args.bundle, args.onnx, args.intra_threads)
    daemon = Daemon(args.inbox, classifier, args.workers, args.task)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    observer = Observer()
    # Only the events the daemon acts on: watchdog then asks inotify for just those (no IN_OPEN, IN_MODIFY,
    # IN_ACCESS, ... to turn into Python objects and drop).
    observer.schedule(daemon, daemon.inbox, recursive=True,
                      event_filter=[FileCreatedEvent, FileMovedEvent, FileClosedEvent, DirCreatedEvent])
    observer.start()
    for entry in sorted(os.scandir(daemon.inbox), key=lambda e: e.name):  # catch up on what is already there
        if entry.is_dir(follow_symlinks=False):
            daemon.scan(entry.path)
    print(f"peer ready: {daemon.inbox}, model {classifier.name}, {args.workers} workers, "
          f"{args.intra_threads} intra-op thread(s), onnxruntime {ort.__version__}", file=sys.stderr, flush=True)
    while not stop.wait(1.0):
        pass
    observer.stop()
    observer.join()
    daemon.pool.shutdown(wait=True)
    print(f"peer stopped: {daemon.published} documents annotated", file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
