"""Development signing keys and tokens, for the local run, the tests and the benchmark.

Production tokens come from the identity provider; this module is never used by the
service itself to accept a token, only to mint one where no provider exists.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from app.auth.tokens import Role

DEV_ISSUER = "https://id.dev.gdpr-platform.local"
DEV_AUDIENCE = "gdpr-platform-api"


@dataclass(frozen=True)
class DevSigner:
    private_pem: bytes
    public_pem: str
    algorithm: str = "RS256"  # what most identity providers issue
    issuer: str = DEV_ISSUER
    audience: str = DEV_AUDIENCE

    @classmethod
    def generate(cls) -> DevSigner:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        private_pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        public_pem = (
            key.public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode()
        )
        return cls(private_pem=private_pem, public_pem=public_pem)

    def token(
        self,
        subject: str | int,
        jurisdiction: str,
        role: Role | str = Role.USER,
        *,
        ttl_s: int = 3600,
        now: float | None = None,
    ) -> str:
        issued = int(now if now is not None else time.time())
        claims = {
            "sub": str(subject),
            "jurisdiction": jurisdiction,
            "role": str(role),
            "iss": self.issuer,
            "aud": self.audience,
            "iat": issued,
            "exp": issued + ttl_s,
        }
        return jwt.encode(claims, self.private_pem, algorithm=self.algorithm)
