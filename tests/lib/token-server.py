#!/usr/bin/python3
"""A small bearer-token server for the token-auth test registry (Docker token protocol).

    token-server.py --port-file FILE --key KEY.pem --cert CERT.pem --issuer ISS \
                    --service SVC --log FILE

The user name and password come from DEN_TOKEN_USER and DEN_TOKEN_PASS. It listens on a
free port of 127.0.0.1 (written to --port-file once it listens) and answers

    GET  /token?service=...&scope=repository:NAME:ACTIONS[&scope=...]   (Basic auth optional)
    POST /token  (OAuth2 form: grant_type=password or refresh_token)

A correct user gets every action asked for; an anonymous client gets pull on repositories
under public/ and nothing else; a wrong password gets 401. Tokens are JWTs signed RS256 by
`openssl dgst` with the x5c header carrying the signing certificate, which chains to the
registry's rootcertbundle. Every request is appended to --log, one line each, so tests can
see which scopes a client asked for.
"""

import argparse
import base64
import datetime
import hmac
import http.server
import json
import os
import secrets
import subprocess
import sys
import threading
import time
import urllib.parse

ACTIONS = {"pull", "push", "delete", "*"}
TTL = 300


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Issuer:
    def __init__(self, key, cert, issuer, service):
        self.key = key
        self.issuer = issuer
        self.service = service
        der = subprocess.run(["openssl", "x509", "-in", cert, "-outform", "DER"],
                             stdout=subprocess.PIPE, check=True).stdout
        self.header = b64url(json.dumps({"typ": "JWT", "alg": "RS256",
                                         "x5c": [base64.b64encode(der).decode()]}).encode())

    def token(self, subject, access):
        now = int(time.time())
        claims = {"iss": self.issuer, "sub": subject, "aud": self.service, "exp": now + TTL,
                  "nbf": now - 10, "iat": now, "jti": secrets.token_hex(16), "access": access}
        signing_input = self.header + "." + b64url(json.dumps(claims).encode())
        sig = subprocess.run(["openssl", "dgst", "-sha256", "-binary", "-sign", self.key],
                             input=signing_input.encode(), stdout=subprocess.PIPE,
                             check=True).stdout
        return signing_input + "." + b64url(sig)


def parse_scope(scope):
    """'repository:test/busybox:pull,push' -> (type, name, [actions]); None if malformed."""
    parts = scope.split(":")
    if len(parts) < 3:
        return None
    typ, actions = parts[0], parts[-1]
    name = ":".join(parts[1:-1])
    if not typ or not name:
        return None
    return typ, name, [a for a in actions.split(",") if a]


def grant(user, scopes):
    access = []
    for s in scopes:
        p = parse_scope(s)
        if p is None:
            continue
        typ, name, actions = p
        if user:
            allowed = [a for a in actions if a in ACTIONS]
        elif typ == "repository" and name.startswith("public/"):
            allowed = [a for a in actions if a == "pull"]
        else:
            allowed = []
        if allowed:
            access.append({"type": typ, "name": name, "actions": allowed})
    return access


class Handler(http.server.BaseHTTPRequestHandler):
    server_version = "den-test-token/1"
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def record(self, line):
        with self.server.log_lock, open(self.server.log_path, "a") as f:
            f.write(line + "\n")

    def reply(self, code, obj, extra_headers=()):
        body = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in extra_headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def check_password(self, user, password):
        ok_user = hmac.compare_digest(user.encode(), self.server.user.encode())
        ok_pass = hmac.compare_digest(password.encode(), self.server.password.encode())
        return ok_user and ok_pass

    def basic_user(self):
        """'' for anonymous, the user name for good credentials, None for bad ones."""
        h = self.headers.get("Authorization", "")
        if not h:
            return ""
        if not h.lower().startswith("basic "):
            return None
        try:
            user, _, password = base64.b64decode(h[6:].strip(), validate=True).decode().partition(":")
        except Exception:
            return None
        return user if self.check_password(user, password) else None

    def issue(self, user, scopes, method, refresh=False):
        access = grant(user, scopes)
        tok = self.server.issuer.token(user, access)
        now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        body = {"token": tok, "access_token": tok, "expires_in": TTL, "issued_at": now}
        if refresh and user:
            body["refresh_token"] = self.server.refresh_token
        self.record("%s user=%s scopes=%s granted=%s" % (
            method, user or "-", ",".join(scopes) or "-",
            ";".join("%s:%s:%s" % (a["type"], a["name"], ",".join(a["actions"])) for a in access) or "-"))
        self.reply(200, body)

    def unauthorized(self, method, why):
        self.record("%s refused: %s" % (method, why))
        self.reply(401, {"errors": [{"code": "UNAUTHORIZED", "message": why}]},
                   [("WWW-Authenticate", 'Basic realm="den-test-token"')])

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        if url.path != "/token":
            self.reply(404, {"errors": [{"code": "NOT_FOUND", "message": "no such endpoint"}]})
            return
        q = urllib.parse.parse_qs(url.query)
        user = self.basic_user()
        if user is None:
            self.unauthorized("GET", "invalid username or password")
            return
        self.issue(user, q.get("scope", []), "GET",
                   refresh=q.get("offline_token", [""])[0] == "true")

    def do_POST(self):
        url = urllib.parse.urlsplit(self.path)
        n = int(self.headers.get("Content-Length") or 0)
        if url.path != "/token" or n > 65536:
            self.reply(404, {"errors": [{"code": "NOT_FOUND", "message": "no such endpoint"}]})
            return
        form = urllib.parse.parse_qs(self.rfile.read(n).decode(errors="replace"))
        grant_type = form.get("grant_type", [""])[0]
        scopes = " ".join(form.get("scope", [])).split()
        if grant_type == "password":
            user = form.get("username", [""])[0]
            if not self.check_password(user, form.get("password", [""])[0]):
                self.unauthorized("POST", "invalid username or password")
                return
        elif grant_type == "refresh_token":
            if not hmac.compare_digest(form.get("refresh_token", [""])[0].encode(),
                                       self.server.refresh_token.encode()):
                self.unauthorized("POST", "invalid refresh token")
                return
            user = self.server.user
        else:
            self.reply(400, {"error": "unsupported_grant_type"})
            return
        self.issue(user, scopes, "POST", refresh=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--issuer", required=True)
    ap.add_argument("--service", required=True)
    ap.add_argument("--log", required=True)
    a = ap.parse_args()

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    srv.issuer = Issuer(a.key, a.cert, a.issuer, a.service)
    srv.user = os.environ.get("DEN_TOKEN_USER", "")
    srv.password = os.environ.get("DEN_TOKEN_PASS", "")
    if not srv.user or not srv.password:
        sys.exit("token-server: DEN_TOKEN_USER and DEN_TOKEN_PASS must be set")
    srv.refresh_token = secrets.token_hex(24)
    srv.log_path = a.log
    srv.log_lock = threading.Lock()
    tmp = a.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(tmp, a.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    main()
