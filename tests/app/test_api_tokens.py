"""The token verifier on its own: claims, roles, and its cache of verified tokens."""

from __future__ import annotations

import asyncio

import pytest

from app.auth.dev import DevSigner
from app.auth.tokens import Principal, Role, TokenError, TokenVerifier


def _verifier(signer: DevSigner, **kwargs: object) -> TokenVerifier:
    return TokenVerifier(
        issuer=signer.issuer,
        audience=signer.audience,
        algorithms=(signer.algorithm,),
        public_key=signer.public_pem,
        leeway_s=0,
        **kwargs,  # type: ignore[arg-type]
    )


def test_claims_become_a_principal(signer: DevSigner) -> None:
    principal = asyncio.run(_verifier(signer).verify(signer.token(42, "eu")))
    assert principal == Principal(subject="42", jurisdiction="eu", role=Role.USER)
    assert principal.user_id == 42


def test_operator_has_no_user_id(signer: DevSigner) -> None:
    token = signer.token("ops-7", "eu", Role.OPERATOR)
    assert asyncio.run(_verifier(signer).verify(token)).user_id is None


def test_unknown_role_is_refused(signer: DevSigner) -> None:
    with pytest.raises(TokenError, match="role"):
        asyncio.run(_verifier(signer).verify(signer.token(1, "eu", "admin")))


def test_a_cached_token_still_expires(signer: DevSigner) -> None:
    verifier = _verifier(signer)
    token = signer.token(1, "eu", ttl_s=1)

    async def twice() -> None:
        await verifier.verify(token)
        await verifier.verify(token)  # from the cache
        await asyncio.sleep(2.1)  # exp has whole-second resolution
        await verifier.verify(token)

    with pytest.raises(TokenError, match="expired"):
        asyncio.run(twice())


def test_cache_is_bounded(signer: DevSigner) -> None:
    verifier = _verifier(signer, cache_size=3)

    async def many() -> None:
        for user_id in range(10):
            await verifier.verify(signer.token(user_id, "eu"))

    asyncio.run(many())
    assert len(verifier._verified) == 3


def test_only_asymmetric_algorithms(signer: DevSigner) -> None:
    with pytest.raises(ValueError, match="asymmetric"):
        TokenVerifier(issuer="i", audience="a", algorithms=("HS256",), public_key=signer.public_pem)
