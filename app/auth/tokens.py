"""Verify bearer JWTs with PyJWT against a configured public key or a JWKS URL.

Only asymmetric algorithms are accepted (see ``settings.ASYMMETRIC_ALGORITHMS``); the
verifier never holds anything that could sign a token.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import jwt
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from jwt import PyJWK, PyJWKClient

from app.settings import ASYMMETRIC_ALGORITHMS, Settings

JWKS_TTL_S = 300.0
REQUIRED_CLAIMS = ("exp", "iat", "sub", "iss", "aud", "jurisdiction", "role")


class Role(StrEnum):
    USER = "user"  # acts on its own record only; ``sub`` is the user ID
    OPERATOR = "operator"  # back-office staff or a service; ``sub`` is an operator ID


@dataclass(frozen=True, slots=True)
class Principal:
    subject: str
    jurisdiction: str
    role: Role

    @property
    def user_id(self) -> int | None:
        """The caller's own user ID, for user tokens whose subject is a number."""
        if self.role is Role.USER and self.subject.isdecimal():
            return int(self.subject)
        return None


class TokenError(Exception):
    """The token is not acceptable; ``message`` says why without repeating the token."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class KeySourceUnavailable(Exception):
    """The keys cannot be fetched now: not the caller's fault, so not a 401."""


class TokenVerifier:
    def __init__(
        self,
        *,
        issuer: str,
        audience: str,
        algorithms: tuple[str, ...],
        public_key: str | None = None,
        jwks_url: str | None = None,
        leeway_s: int = 30,
        cache_size: int = 10_000,
    ) -> None:
        if not set(algorithms) <= ASYMMETRIC_ALGORITHMS:
            raise ValueError(f"only asymmetric algorithms are allowed, got {algorithms}")
        if (public_key is None) == (jwks_url is None):
            raise ValueError("give exactly one of public_key and jwks_url")
        self._issuer = issuer
        self._audience = audience
        self._algorithms = list(algorithms)
        self._leeway = leeway_s
        # Parsed once: handing PyJWT the PEM text would re-parse it on every request.
        self._static_key = load_pem_public_key(public_key.encode()) if public_key else None
        self._jwks = (
            PyJWKClient(jwks_url, cache_keys=False, lifespan=JWKS_TTL_S) if jwks_url else None
        )
        # kid -> (key, when fetched); refetched after JWKS_TTL_S so a key the provider
        # withdrew stops verifying without a restart.
        self._keys_by_kid: dict[str, tuple[PyJWK, float]] = {}
        # Verified tokens, until they expire: a client sends the same token for many
        # requests, and a signature check costs more than the rest of the request's CPU.
        self._verified: OrderedDict[str, tuple[Principal, float]] = OrderedDict()
        self._cache_size = cache_size

    @classmethod
    def from_settings(cls, settings: Settings) -> TokenVerifier:
        return cls(
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
            algorithms=settings.jwt_algorithms,
            public_key=settings.jwt_public_key,
            jwks_url=settings.jwt_jwks_url,
            leeway_s=settings.jwt_leeway_s,
        )

    async def _key_for(self, token: str) -> Any:
        if self._jwks is None:
            return self._static_key
        try:
            kid = jwt.get_unverified_header(token).get("kid")
        except jwt.PyJWTError as exc:
            raise TokenError("malformed token") from exc
        if not isinstance(kid, str):
            raise TokenError("token header has no key id (kid)")
        cached = self._keys_by_kid.get(kid)
        if cached is not None and time.monotonic() - cached[1] < JWKS_TTL_S:
            return cached[0]
        # The JWKS fetch blocks; keep it off the event loop, and only on a miss or expiry.
        try:
            key = await asyncio.to_thread(self._jwks.get_signing_key, kid)
        except jwt.PyJWKClientConnectionError as exc:
            raise KeySourceUnavailable("the identity provider's JWKS is unreachable") from exc
        except jwt.PyJWTError as exc:  # no such kid, or an empty / malformed key set
            self._keys_by_kid.pop(kid, None)
            raise TokenError("token signed by an unknown key") from exc
        self._keys_by_kid[kid] = (key, time.monotonic())
        return key

    async def verify(self, token: str) -> Principal:
        cached = self._verified.get(token)
        if cached is not None:
            principal, expires = cached
            if time.time() < expires + self._leeway:
                return principal
            del self._verified[token]
        principal, expires = await self._verify_signature(token)
        if self._cache_size:
            self._verified[token] = (principal, expires)
            if len(self._verified) > self._cache_size:
                self._verified.popitem(last=False)  # oldest first
        return principal

    async def _verify_signature(self, token: str) -> tuple[Principal, float]:
        key = await self._key_for(token)
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=self._algorithms,
                audience=self._audience,
                issuer=self._issuer,
                leeway=self._leeway,
                options={"require": list(REQUIRED_CLAIMS)},
            )
        except jwt.ExpiredSignatureError as exc:
            raise TokenError("token expired") from exc
        except jwt.InvalidAlgorithmError as exc:
            raise TokenError("token algorithm not allowed") from exc
        except jwt.InvalidSignatureError as exc:
            raise TokenError("token signature does not verify") from exc
        except jwt.PyJWTError as exc:
            raise TokenError(f"invalid token: {type(exc).__name__}") from exc
        except (TypeError, ValueError) as exc:
            # An allowed algorithm that does not fit the key (ES256 against an RSA key) makes
            # the crypto layer raise outside PyJWT's own errors: still the caller's token.
            raise TokenError("token cannot be verified with the configured key") from exc
        subject, jurisdiction, role = claims["sub"], claims["jurisdiction"], claims["role"]
        if not (isinstance(subject, str) and subject and isinstance(jurisdiction, str)):
            raise TokenError("token subject and jurisdiction must be non-empty strings")
        try:
            principal = Principal(subject=subject, jurisdiction=jurisdiction, role=Role(role))
        except ValueError as exc:
            raise TokenError("token role must be 'user' or 'operator'") from exc
        return principal, float(claims["exp"])
