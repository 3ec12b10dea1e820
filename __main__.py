"""gdpr-platform: one stack per jurisdiction. Config first, then resources, then outputs."""

import pulumi

from components.config import ConfigError, load_from_pulumi
from components.program import build

try:
    config = load_from_pulumi(pulumi.get_stack())
except ConfigError as err:
    # RunError prints just the message: the key and the fix, no traceback.
    raise pulumi.RunError(str(err)) from None

for output_name, value in build(config).items():
    pulumi.export(output_name, value)
