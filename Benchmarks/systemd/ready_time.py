#!/usr/bin/env python3
"""Time from `stmd run` being spawned to its READY=1 (sd_notify) on an empty inbox, with the shipped models.

Usage: python3 Benchmarks/systemd/ready_time.py --stmd .build/release/stmd [--runs 20] [--documents 0]

Each run gets a fresh inbox (one stream, `--documents` files already in it for the catch-up scan) and state
folder, and a datagram socket as $NOTIFY_SOCKET, like systemd's for Type=notify. Prints the median, the 90th
percentile and the worst of the runs, in milliseconds. Standard library only.
"""
import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time


def one_run(stmd, documents, timeout):
    with tempfile.TemporaryDirectory(prefix="stmd-ready-") as base:
        inbox = os.path.join(base, "inbox")
        os.makedirs(os.path.join(inbox, "news"))
        for index in range(documents):
            with open(os.path.join(inbox, "news", f"d{index}.txt"), "w") as handle:
                handle.write(f"Markets rallied on {index} strong earnings reports from technology companies.\n")
        path = os.path.join(base, "notify.sock")
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        listener.bind(path)
        listener.settimeout(timeout)
        environment = dict(os.environ, NOTIFY_SOCKET=path)
        for key in ("WATCHDOG_USEC", "WATCHDOG_PID", "JOURNAL_STREAM"):
            environment.pop(key, None)
        start = time.monotonic()
        process = subprocess.Popen(
            [stmd, "run", "--inbox", inbox, "--state", os.path.join(base, "state"), "--log-target", "stderr"],
            env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        ready = None
        try:
            while ready is None:
                message = listener.recv(4096).decode()
                if "READY=1" in message.split("\n"):
                    ready = time.monotonic() - start
        except socket.timeout:
            pass
        process.send_signal(signal.SIGTERM)
        try:
            _, stderr = process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            trace = subprocess.run(["gdb", "-p", str(process.pid), "-batch", "-ex", "thread apply all bt"],
                                   capture_output=True, text=True).stdout
            process.kill()
            _, stderr = process.communicate()
            sys.exit(f"stmd did not stop within 30 s of SIGTERM; stderr:\n{stderr.decode()}\nthreads:\n{trace}")
        listener.close()
        if ready is None:
            sys.exit(f"no READY=1 within {timeout} s; stderr:\n{stderr.decode()}")
        return ready * 1000


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stmd", required=True)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--documents", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=30)
    arguments = parser.parse_args()
    times = sorted(one_run(arguments.stmd, arguments.documents, arguments.timeout) for _ in range(arguments.runs))
    p90 = times[min(len(times) - 1, int(round(0.9 * (len(times) - 1))))]
    print(f"spawn to READY=1, {arguments.runs} runs, {arguments.documents} documents in the inbox: "
          f"median {statistics.median(times):.0f} ms, p90 {p90:.0f} ms, worst {times[-1]:.0f} ms")


if __name__ == "__main__":
    main()
