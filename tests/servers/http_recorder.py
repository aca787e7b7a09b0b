#!/usr/bin/python3
"""HTTPS request recorder for tst_notify (Slack webhook and Twilio Messages API stand-in).

Usage: /usr/bin/python3 http_recorder.py OUT CERT KEY
Listens on a free loopback port with TLS (CERT/KEY), writes each request to OUT/req-N.json (method,
path, headers, body) and answers from OUT/responses.json ({"/path": {"status": 400, "body": "...",
"content_type": "..."}}; default 200 "ok"). Prints "READY port=<port>"; stops when stdin closes."""
import http.server
import json
import os
import ssl
import sys
import threading

out, cert, key = sys.argv[1], sys.argv[2], sys.argv[3]
lock = threading.Lock()
count = [0]


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        with lock:
            count[0] += 1
            n = count[0]
        record = {"method": "POST", "path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()},
                  "body": body.decode("utf-8", "replace")}
        base = os.path.join(out, "req-%d" % n)
        with open(base + ".json.tmp", "w") as f:
            json.dump(record, f)
        os.rename(base + ".json.tmp", base + ".json")
        answer = {"status": 200, "body": "ok", "content_type": "text/html"}
        try:
            with open(os.path.join(out, "responses.json")) as f:
                answer.update(json.load(f).get(self.path.split("?")[0], {}))
        except FileNotFoundError:
            pass
        data = answer["body"].encode()
        self.send_response(answer["status"])
        self.send_header("Content-Type", answer["content_type"])
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
ctx.load_cert_chain(cert, key)
httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
threading.Thread(target=httpd.serve_forever, daemon=True).start()
print("READY port=%d" % httpd.server_address[1], flush=True)
sys.stdin.read()
httpd.shutdown()
