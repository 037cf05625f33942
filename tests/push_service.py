"""A local stand-in for a browser's push service (RFC 8030), checking what the real one would.

The real services (FCM, Mozilla's autopush, Apple's) cannot be reached from the test machines. This
one listens on 127.0.0.1 (the only host tests/settings.py allows as a push endpoint) and, for each
message:
- checks the VAPID header (RFC 8292): `Authorization: vapid t=<JWT>,k=<public key>`, the key being the
  server's VAPID public key, the JWT signed by it (ES256), `aud` this service's origin, `exp` in the
  future and within 24 hours, `sub` a mailto: or https: contact;
- checks `TTL` and `Content-Encoding: aes128gcm`, then decrypts the body (RFC 8291) with the private
  key and auth secret of the "browser" (a `Device`, whose keys the test made) using `http_ece`;
- answers what the test asked for that device (201 by default; 404, 410, 500…).
Everything received is kept in `received` (decrypted JSON) and `refused` (why a request was refused).
"""

from __future__ import annotations

import json
import os
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from django.conf import settings

from walkandtalk.outbox.vapid import b64url, b64url_decode


@dataclass
class Device:
    """A browser's side of a subscription: its ECDH key pair and auth secret (RFC 8291)."""

    name: str
    private_key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    auth_secret: bytes = field(default_factory=lambda: os.urandom(16))

    def keys(self) -> dict:
        from cryptography.hazmat.primitives import serialization

        public = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return {"p256dh": b64url(public), "auth": b64url(self.auth_secret)}


def verify_vapid(header: str, *, audience: str) -> str:
    """Why the Authorization header is not a valid VAPID one for this audience ("" when it is)."""
    scheme, _, params = header.partition(" ")
    if scheme.lower() != "vapid":
        return f"not the vapid scheme: {scheme!r}"
    parts = dict(item.strip().split("=", 1) for item in params.split(",") if "=" in item)
    if parts.get("k") != settings.VAPID_PUBLIC_KEY:
        return "k is not the server's VAPID public key"
    token = parts.get("t", "")
    try:
        head, claims, signature = token.split(".")
    except ValueError:
        return "t is not a JWT"
    if json.loads(b64url_decode(head)) != {"typ": "JWT", "alg": "ES256"}:
        return f"unexpected JWT header {b64url_decode(head)!r}"
    raw = b64url_decode(signature)
    if len(raw) != 64:
        return "the signature is not a raw ES256 (r, s) pair"
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b64url_decode(parts["k"]))
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    try:
        public.verify(der, f"{head}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return "the JWT signature does not verify against the VAPID public key"
    body = json.loads(b64url_decode(claims))
    now = time.time()
    if body.get("aud") != audience:
        return f"aud {body.get('aud')!r} is not {audience!r}"
    if not (now < int(body.get("exp", 0)) <= now + 24 * 3600):
        return f"exp {body.get('exp')} is not in the next 24 hours"
    if not str(body.get("sub", "")).startswith(("mailto:", "https://")):
        return f"sub {body.get('sub')!r} is not a contact"
    return ""


class PushService:
    def __init__(self) -> None:
        self.devices: dict[str, Device] = {}
        self.answers: dict[str, int] = {}  # device name → the status to answer with
        self.received: list[dict] = []  # {"device", "payload", "ttl", "urgency"}
        self.refused: list[str] = []
        self.requests = 0
        self._lock = threading.Lock()
        service = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # quiet
                pass

            def do_POST(self) -> None:
                service.handle(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> PushService:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def device(self, name: str) -> Device:
        self.devices[name] = Device(name)
        return self.devices[name]

    def subscription(self, device: Device) -> dict:
        """What the browser's PushSubscription.toJSON() gives for this device."""
        return {
            "endpoint": f"{self.origin}/push/{device.name}",
            "expirationTime": None,
            "keys": device.keys(),
        }

    def handle(self, request: BaseHTTPRequestHandler) -> None:
        with self._lock:
            self.requests += 1
        name = request.path.rsplit("/", 1)[-1]
        body = request.rfile.read(int(request.headers.get("Content-Length", 0)))
        problem = verify_vapid(request.headers.get("Authorization", ""), audience=self.origin)
        if not problem and request.headers.get("Content-Encoding") != "aes128gcm":
            problem = f"Content-Encoding {request.headers.get('Content-Encoding')!r}"
        if not problem and not request.headers.get("TTL", "").isdigit():
            problem = "no TTL"
        device = self.devices.get(name)
        if not problem and device is None:
            problem = f"no such device {name!r}"
        status = 400 if problem else self.answers.get(name, 201)
        if not problem and status == 201:
            try:
                plain = http_ece.decrypt(
                    body, private_key=device.private_key, auth_secret=device.auth_secret, version="aes128gcm"
                )
            except Exception as error:  # noqa: BLE001 — any failure to decrypt is the test's finding
                problem, status = f"does not decrypt: {error!r}", 400
            else:
                with self._lock:
                    self.received.append(
                        {
                            "device": name,
                            "payload": json.loads(plain),
                            "ttl": int(request.headers["TTL"]),
                            "urgency": request.headers.get("Urgency", ""),
                            "topic": request.headers.get("Topic", ""),
                        }
                    )
        if problem:
            with self._lock:
                self.refused.append(problem)
        request.send_response(status)
        if status == 201:
            request.send_header("Location", f"{self.origin}/message/{self.requests}")
        elif 300 <= status < 400:  # a push service that tries to send us elsewhere
            request.send_header("Location", f"{self.origin}/push/elsewhere")
        request.send_header("Content-Length", "0")
        request.end_headers()
