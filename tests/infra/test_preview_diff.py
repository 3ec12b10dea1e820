"""tools.preview_diff: what two previews of a stack differ in, dependency order aside."""

from __future__ import annotations

import copy
from typing import Any

from tools.preview_diff import diff


def document() -> dict[str, Any]:
    return {
        "resources": [
            {
                "urn": "urn:a",
                "type": "aws:kms/key:Key",
                "inputs": {"description": "k"},
                "options": {"protect": False},
                "dependencies": ["urn:x", "urn:y"],
                "propertyDependencies": {"policy": ["urn:x", "urn:y"]},
            },
            {"urn": "urn:b", "type": "aws:sqs/queue:Queue", "inputs": {}, "options": {}},
        ],
        "outputs": {"regions": ["eu-central-1"]},
    }


def test_dependency_order_is_no_difference() -> None:
    after = document()
    after["resources"][0]["dependencies"].reverse()
    after["resources"][0]["propertyDependencies"]["policy"].reverse()
    assert diff(document(), after) == []


def test_each_change_is_one_line() -> None:
    after = copy.deepcopy(document())
    after["resources"][0]["options"]["protect"] = True
    after["resources"][0]["options"]["retainOnDelete"] = True
    del after["resources"][1]
    after["resources"].append({"urn": "urn:c", "type": "t", "inputs": {}, "options": {}})
    after["outputs"]["regions"] = ["eu-west-1"]
    assert diff(document(), after) == [
        "- urn:b",
        "+ urn:c",
        "~ urn:a options.protect: false -> true",
        "~ urn:a options.retainOnDelete: (absent) -> true",
        '~ outputs.regions: ["eu-central-1"] -> ["eu-west-1"]',
    ]
