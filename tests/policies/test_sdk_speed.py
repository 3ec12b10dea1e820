"""The memo that lets the SDK decode a resource once per request, not once per policy."""

from __future__ import annotations

from typing import Any

from policies.gdpr_pack import sdk_speed


def test_memo_returns_the_first_result_for_the_same_object_only() -> None:
    calls: list[Any] = []

    def decode(value: dict[str, int]) -> dict[str, int]:
        calls.append(value)
        return dict(value)

    memo = sdk_speed.Memo(decode)
    first = {"a": 1}
    assert memo(first) is memo(first)
    equal_but_other = {"a": 1}
    assert memo(equal_but_other) == {"a": 1}
    assert len(calls) == 2  # equal content, other object: decoded again


def test_memo_keeps_what_it_caches_alive_and_starts_over_when_full(monkeypatch: Any) -> None:
    monkeypatch.setattr(sdk_speed, "MAX_ENTRIES", 3)
    memo = sdk_speed.Memo(lambda value: [value])
    for _ in range(3):
        memo(object())
    assert len(memo.cache) == 3
    assert all(held is not None for held, _ in memo.cache.values())
    memo(object())
    assert len(memo.cache) == 1


def test_install_is_idempotent() -> None:
    import pulumi_policy.policy as sdk

    sdk_speed.install()
    once: Any = sdk.json_format  # type: ignore[attr-defined]
    sdk_speed.install()
    assert sdk.json_format is once  # type: ignore[attr-defined]
    assert isinstance(once, sdk_speed._JsonFormat)
