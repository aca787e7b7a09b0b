#!/usr/bin/python3
"""SMTP test server for the notification suites (tests/notifytestbase.cpp, tst_gui_notifications):
Debian's aiosmtpd (python3-aiosmtpd 1.4) on two free loopback ports, one with STARTTLS (required) +
AUTH, one with implicit TLS + AUTH, both with a certificate generated now by the openssl CLI. Every
message received is written to OUT/msg-N.eml (the raw bytes after dot-unstuffing) and OUT/msg-N.json
(envelope, port, login, decoded subject and body).

Usage: /usr/bin/python3 smtp_server.py OUT USER PASSWORD
Prints "READY starttls=<port> tls=<port> ca=<cert.pem>" when both listen; stops when stdin closes.
Run it with /usr/bin/python3: a python3 first on PATH may lack aiosmtpd."""
import email
import warnings
import email.policy
import json
import logging
import os
import socket
import ssl
import subprocess
import sys
import threading

warnings.simplefilter("ignore")
logging.getLogger("mail.log").setLevel(logging.CRITICAL)  # expected TLS failures are not news

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

out, user, password = sys.argv[1], sys.argv[2].encode(), sys.argv[3].encode()
cert, key = os.path.join(out, "cert.pem"), os.path.join(out, "key.pem")
subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                "-days", "2", "-subj", "/CN=localhost",
                "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
               check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
lock = threading.Lock()
count = [0]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and auth_data.login == user and auth_data.password == password
    # handled=False: aiosmtpd itself answers 535 on failure; auth_data keeps the login for the record.
    return AuthResult(success=ok, handled=False, auth_data=auth_data)


class Recorder:
    def __init__(self, name):
        self.name = name

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        with lock:
            count[0] += 1
            n = count[0]
        base = os.path.join(out, "msg-%d" % n)
        with open(base + ".eml", "wb") as f:
            f.write(raw)
        info = {"server": self.name, "mail_from": envelope.mail_from, "rcpt_tos": envelope.rcpt_tos,
                "login": session.auth_data.login.decode() if isinstance(session.auth_data, LoginPassword) else "",
                "subject": str(msg["subject"]), "body": msg.get_content().replace("\r\n", "\n")}
        with open(base + ".json.tmp", "w") as f:
            json.dump(info, f)
        os.rename(base + ".json.tmp", base + ".json")  # the test polls for complete files only
        return "250 2.0.0 Ok: queued as TEST%d" % n


server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
server_ctx.load_cert_chain(cert, key)
# Controller's start-up probe wraps a client socket with the implicit-TLS context, so that one must be
# usable on both sides (PROTOCOL_TLS); it never verifies anything the tests depend on.
implicit_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS)
implicit_ctx.load_cert_chain(cert, key)



def started(make):
    # free_port() lets the port go before aiosmtpd binds it, and a suite running beside this one
    # (ctest -j) may take it in between: then try another.
    for attempt in range(10):
        controller = make(free_port())
        try:
            controller.start()
            return controller
        except Exception:
            if attempt == 9:
                raise


starttls = started(lambda port: Controller(Recorder("starttls"), hostname="127.0.0.1", port=port,
                                           tls_context=server_ctx, require_starttls=True,
                                           authenticator=authenticator, auth_require_tls=True))
implicit = started(lambda port: Controller(Recorder("tls"), hostname="127.0.0.1", port=port,
                                           ssl_context=implicit_ctx, authenticator=authenticator,
                                           auth_require_tls=False))
print("READY starttls=%d tls=%d ca=%s" % (starttls.port, implicit.port, cert), flush=True)
sys.stdin.read()
starttls.stop()
implicit.stop()
