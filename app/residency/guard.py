"""Decide, from the token and the user ID alone, whether a request may reach a shard.

Pure and synchronous on purpose: it holds the shard map and the peers table, never a
connection, so a refusal provably costs no database work.
"""

from __future__ import annotations

from collections.abc import Mapping

from app.auth.tokens import Principal, Role
from app.errors import ApiError
from app.settings import Peer
from app.shardmap import Shard, ShardMap, UserOutsideBlockError


class ResidencyGuard:
    def __init__(self, shard_map: ShardMap, peers: Mapping[str, Peer]) -> None:
        self.shard_map = shard_map
        self.jurisdiction = shard_map.jurisdiction
        self._peers = dict(peers)

    def _peer_for_user(self, user_id: int) -> tuple[str | None, str | None]:
        for name, peer in self._peers.items():
            if peer.id_block_start <= user_id < peer.id_block_end:
                return name, peer.url
        return None, None

    def check_principal(self, principal: Principal) -> None:
        """The token must be of this jurisdiction and, for a user, name one of its users."""
        if principal.jurisdiction != self.jurisdiction:
            peer = self._peers.get(principal.jurisdiction)
            raise ApiError(
                403,
                "wrong_jurisdiction",
                f"this API serves jurisdiction {self.jurisdiction!r}; use the "
                f"{principal.jurisdiction!r} API",
                jurisdiction=principal.jurisdiction,
                api=peer.url if peer else None,
            )
        if principal.role is Role.USER:
            own = principal.user_id
            if own is None:
                raise ApiError(403, "invalid_subject", "a user token's subject must be a user ID")
            if not self.shard_map.owns(own):
                jurisdiction, api = self._peer_for_user(own)
                raise ApiError(
                    403,
                    "subject_outside_jurisdiction",
                    "the token's user belongs to another jurisdiction",
                    jurisdiction=jurisdiction,
                    api=api,
                )

    def require_operator(self, principal: Principal) -> None:
        self.check_principal(principal)
        if principal.role is not Role.OPERATOR:
            raise ApiError(403, "operator_only", "this operation needs an operator token")

    def check_user(self, principal: Principal, user_id: int) -> Shard:
        """The shard that holds ``user_id``, if ``principal`` may act on that user."""
        self.check_principal(principal)
        if not self.shard_map.owns(user_id):
            jurisdiction, api = self._peer_for_user(user_id)
            raise ApiError(
                403,
                "user_outside_jurisdiction",
                f"user belongs to another jurisdiction's ID block, not {self.jurisdiction!r}",
                jurisdiction=jurisdiction,
                api=api,
            )
        if principal.role is Role.USER and principal.user_id != user_id:
            raise ApiError(403, "not_your_record", "a user may act on their own record only")
        try:
            return self.shard_map.lookup(user_id)
        except UserOutsideBlockError:
            # Inside our block but past the last shard: nobody can have that ID yet.
            raise ApiError(404, "user_not_found", "no such user") from None
