"""VAPID key pairs (RFC 8292): the server's identity towards the browsers' push services.

Kept free of Django models so settings.py can use it: a development server (DEBUG) with no keys in its
environment derives a pair from its SECRET_KEY, and tests/settings.py derives one from a fixed test
seed, so `make run` and the tests need no hand step while production must bring its own pair
(`manage.py vapid_keys`). A derived pair is only as secret as its seed: never use one in production.
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

# The order of the P-256 group: a private key is a number in [1, n - 1].
_P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def encode_pair(private_key: ec.EllipticCurvePrivateKey) -> tuple[str, str]:
    """(private, public) as the environment holds them: the raw 32-byte private number and the
    uncompressed public point (what the browser's `applicationServerKey` takes), base64url."""
    private = private_key.private_numbers().private_value.to_bytes(32, "big")
    public = private_key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return b64url(private), b64url(public)


def generate_key_pair() -> tuple[str, str]:
    return encode_pair(ec.generate_private_key(ec.SECP256R1()))


def derive_key_pair(*, seed: str) -> tuple[str, str]:
    """A pair that is the same for the same seed (development and tests only)."""
    digest = hashlib.sha256(f"walkandtalk-vapid:{seed}".encode()).digest()
    number = int.from_bytes(digest, "big") % (_P256_ORDER - 1) + 1
    return encode_pair(ec.derive_private_key(number, ec.SECP256R1()))


def public_key_of(private: str) -> str:
    number = int.from_bytes(b64url_decode(private), "big")
    return encode_pair(ec.derive_private_key(number, ec.SECP256R1()))[1]
