#!/usr/bin/python3
"""HTTPS stand-in for Slack incoming webhooks and the Twilio Messages API (tests/notifytestbase.cpp,
tst_gui_notifications).

Usage: /usr/bin/python3 http_recorder.py OUT CERT KEY
Listens on a free loopback port with TLS (CERT/KEY) and writes each request to OUT/req-N.json (method,
path, headers, body, and "problems": how the request departs from the provider's documentation).

It checks what the providers document and answers as they do when a request breaks it:
- Twilio, POST /2010-04-01/Accounts/{AccountSid}/Messages.json: HTTP Basic auth whose user is the
  AccountSid of the path (else 401, error 20003), a form-encoded body (application/x-www-form-urlencoded)
  with To, From and Body (else 400, errors 21604, 21603, 21602). A good request gets 201 and a message
  resource as JSON.
- Slack, POST /services/...: a JSON body (application/json) that is an object with a non-empty "text"
  (else 400 "invalid_payload" or "no_text"). A good request gets 200 "ok".
OUT/responses.json ({"/path": {"status": 401, "body": "...", "content_type": "..."}}) overrides the answer
to a well-formed request: the provider's own errors (a revoked webhook, a wrong token) are configured there.
Prints "READY port=<port>"; stops when stdin closes."""
import base64
import http.server
import json
import os
import re
import secrets
import ssl
import sys
import threading
import urllib.parse

out, cert, key = sys.argv[1], sys.argv[2], sys.argv[3]
lock = threading.Lock()
count = [0]
TWILIO_PATH = re.compile(r"^/2010-04-01/Accounts/(AC[0-9a-fA-F]{32})/Messages\.json$")


def twilio_error(status, code, message):
    return {"status": status, "content_type": "application/json",
            "body": json.dumps({"code": code, "message": message, "status": status,
                                "more_info": "https://www.twilio.com/docs/errors/%d" % code})}


def check_twilio(sid, headers, body, problems):
    auth = headers.get("authorization", "")
    user = ""
    if auth.startswith("Basic "):
        try:
            user = base64.b64decode(auth[6:]).decode().split(":", 1)[0]
        except ValueError:
            pass
    if user != sid:
        problems.append("no HTTP Basic authentication as the account SID of the path")
        return twilio_error(401, 20003, "Authenticate")
    if headers.get("content-type", "").split(";")[0].strip() != "application/x-www-form-urlencoded":
        problems.append("the body is not application/x-www-form-urlencoded")
    form = urllib.parse.parse_qs(body, keep_blank_values=True)
    for field, code in (("To", 21604), ("From", 21603), ("Body", 21602)):
        if not form.get(field, [""])[0]:
            problems.append("no %s parameter" % field)
            return twilio_error(400, code, "A '%s' parameter is required." % field)
    if problems:
        return twilio_error(400, 21620, "Invalid request")
    return {"status": 201, "content_type": "application/json",
            "body": json.dumps({"sid": "SM" + secrets.token_hex(16), "account_sid": sid, "status": "queued",
                                "to": form["To"][0], "from": form["From"][0], "body": form["Body"][0]})}


def check_slack(headers, body, problems):
    if headers.get("content-type", "").split(";")[0].strip() != "application/json":
        problems.append("the body is not application/json")
    try:
        payload = json.loads(body)
    except ValueError:
        payload = None
    if not isinstance(payload, dict):
        problems.append("the body is not a JSON object")
        return {"status": 400, "body": "invalid_payload", "content_type": "text/html"}
    if not isinstance(payload.get("text"), str) or not payload["text"]:
        problems.append("no text")
        return {"status": 400, "body": "no_text", "content_type": "text/html"}
    if problems:
        return {"status": 400, "body": "invalid_payload", "content_type": "text/html"}
    return {"status": 200, "body": "ok", "content_type": "text/html"}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length).decode("utf-8", "replace")
        headers = {k.lower(): v for k, v in self.headers.items()}
        path = self.path.split("?")[0]
        problems = []
        twilio = TWILIO_PATH.match(path)
        if twilio:
            answer = check_twilio(twilio.group(1), headers, body, problems)
        elif path.startswith("/services/"):
            answer = check_slack(headers, body, problems)
        else:
            answer = {"status": 200, "body": "ok", "content_type": "text/html"}
        if not problems:
            try:
                with open(os.path.join(out, "responses.json")) as f:
                    answer.update(json.load(f).get(path, {}))
            except FileNotFoundError:
                pass
        with lock:
            count[0] += 1
            n = count[0]
        record = {"method": "POST", "path": self.path, "headers": headers, "body": body, "problems": problems,
                  "status": answer["status"]}
        base = os.path.join(out, "req-%d" % n)
        with open(base + ".json.tmp", "w") as f:
            json.dump(record, f)
        os.rename(base + ".json.tmp", base + ".json")
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
