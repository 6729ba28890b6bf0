"""A throwaway OpenID Connect provider for sign-in tests: discovery, authorization (it signs in
one person, set by the test, without asking), token (an RS256-signed id_token with the request's
nonce), JWKS and userinfo. Just enough of the protocol for a real client (Streamlit's `st.login`,
through Authlib) to run the whole redirect flow against it; nothing outside tests uses it.
"""
from __future__ import annotations

import base64
import json
import secrets
import threading
import time
import urllib.parse
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Iterator

from authlib.jose import JsonWebKey, jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

KID = "test-key"


@dataclass
class Provider:
    """The provider's state: its address, the client it knows, who signs in next, what it issued."""
    url: str
    client_id: str
    client_secret: str
    person: dict = field(default_factory=dict)  # the claims of whoever signs in next (email, name)
    codes: dict = field(default_factory=dict)  # code -> (claims, nonce, redirect_uri)
    sign_ins: int = 0  # codes exchanged for tokens

    @property
    def metadata_url(self) -> str:
        return f"{self.url}/.well-known/openid-configuration"


def _handler(p: Provider, private_pem: bytes, jwks: dict):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # quiet
            pass

        def _json(self, body: dict, status: int = 200) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            url = urllib.parse.urlsplit(self.path)
            q = dict(urllib.parse.parse_qsl(url.query))
            if url.path == "/.well-known/openid-configuration":
                return self._json({
                    "issuer": p.url, "authorization_endpoint": f"{p.url}/authorize",
                    "token_endpoint": f"{p.url}/token", "jwks_uri": f"{p.url}/jwks",
                    "userinfo_endpoint": f"{p.url}/userinfo", "response_types_supported": ["code"],
                    "subject_types_supported": ["public"], "id_token_signing_alg_values_supported": ["RS256"],
                    "scopes_supported": ["openid", "email", "profile"],
                    "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"]})
            if url.path == "/jwks":
                return self._json(jwks)
            if url.path == "/authorize":
                if q.get("client_id") != p.client_id or q.get("response_type") != "code":
                    return self._json({"error": "unauthorized_client"}, 400)
                code = secrets.token_urlsafe(16)
                p.codes[code] = (dict(p.person), q.get("nonce"), q.get("redirect_uri"))
                back = q["redirect_uri"] + "?" + urllib.parse.urlencode({"code": code, "state": q.get("state", "")})
                self.send_response(302)
                self.send_header("Location", back)
                self.end_headers()
                return None
            if url.path == "/userinfo":
                return self._json(dict(p.person))
            return self._json({"error": "not_found"}, 404)

        def do_POST(self):
            if urllib.parse.urlsplit(self.path).path != "/token":
                return self._json({"error": "not_found"}, 404)
            form = dict(urllib.parse.parse_qsl(self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()))
            client = (form.get("client_id"), form.get("client_secret"))
            basic = self.headers.get("Authorization", "")
            if basic.startswith("Basic "):
                user, _, secret = base64.b64decode(basic[6:]).decode().partition(":")
                client = (urllib.parse.unquote(user), urllib.parse.unquote(secret))
            if client != (p.client_id, p.client_secret):
                return self._json({"error": "invalid_client"}, 401)
            issued = p.codes.pop(form.get("code", ""), None)
            if issued is None or issued[2] != form.get("redirect_uri"):
                return self._json({"error": "invalid_grant"}, 400)
            claims, nonce, _ = issued
            now = int(time.time())
            token = jwt.encode({"alg": "RS256", "kid": KID},
                               {"iss": p.url, "aud": p.client_id, "sub": claims.get("email", "someone"),
                                "iat": now, "exp": now + 600, **({"nonce": nonce} if nonce else {}), **claims},
                               private_pem)
            p.sign_ins += 1
            return self._json({"access_token": secrets.token_urlsafe(16), "token_type": "Bearer",
                               "expires_in": 600, "id_token": token.decode()})
    return Handler


@contextmanager
def provider(client_id: str = "account-radar", client_secret: str = "test-secret") -> Iterator[Provider]:
    """A provider on a free localhost port, serving until the block ends."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
    public = JsonWebKey.import_key(key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo), {"kty": "RSA"}).as_dict()
    jwks = {"keys": [public | {"kid": KID, "use": "sig", "alg": "RS256"}]}
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    p = Provider(f"http://127.0.0.1:{server.server_address[1]}", client_id, client_secret)
    server.RequestHandlerClass = _handler(p, private_pem, jwks)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield p
    finally:
        server.shutdown()
        server.server_close()
