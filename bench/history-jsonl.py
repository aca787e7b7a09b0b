#!/usr/bin/python3
"""Writes N finished jobs as JSON lines for `hcmctl jobs import` (docs/benchmarks.md, "Importing history").

Half completed, a quarter failed, a quarter cancelled; ids 1..N kept; about 420 bytes a line.
Usage: bench/history-jsonl.py N > history.jsonl
"""
import datetime
import json
import sys


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100000
    start = datetime.datetime(2025, 1, 1, tzinfo=datetime.timezone.utc)
    out = sys.stdout
    for i in range(1, n + 1):
        status = ("completed", "completed", "failed", "cancelled")[i % 4]
        created = start + datetime.timedelta(seconds=30 * i)
        fmt = lambda t: t.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (t.microsecond // 1000)
        job = {
            "id": "job_%d" % i,
            "job_type": ("report.export", "legacy.mail", "cache_flush")[i % 3],
            "status": status,
            "priority": ("low", "normal", "high")[i % 3],
            "payload": {"file": "export-%06d.csv" % i, "rows": i % 5000, "requested_by": "finance@example.com"},
            "result": {"rows": i % 5000, "bytes": 1000 + i, "path": "/srv/exports/export-%06d.csv" % i}
            if status == "completed" else None,
            "error_message": "connection reset by peer after 30 s" if status == "failed" else None,
            "retry_count": 1 if status == "failed" else 0,
            "max_retries": 3,
            "attempts": 2 if status == "failed" else 1,
            "run_at": fmt(created),
            "created_at": fmt(created),
            "started_at": fmt(created + datetime.timedelta(seconds=1)),
            "completed_at": fmt(created + datetime.timedelta(seconds=9, milliseconds=500)),
            "created_by": "legacy-import",
            "worker_id": "old-worker-%d" % (i % 8),
        }
        out.write(json.dumps(job, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main()
