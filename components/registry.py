"""The API image's container registry: one ECR repository per region of the jurisdiction.

The image job pushes to the primary region; ECR replicates it to the jurisdiction's other
regions, and only there, so each cluster pulls from its own region through its VPC
endpoints and an image (which holds the code that reads personal data, not the data) stays
in the jurisdiction like everything else. Every repository exists before replication does:
ECR would otherwise create a missing destination itself, with AES-256 and mutable tags. A
REPLICATION creation template per destination region covers any other repository under the
same prefix with the same settings (CMK, immutable tags).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws


@dataclass(frozen=True)
class RegistryRegion:
    provider: aws.Provider
    #: The region's CMK for images (keys.py purpose ``images``).
    key_arn: pulumi.Input[str]


@dataclass
class ImageRegistryArgs:
    #: ECR repository name, the same in every region (config ``release.imageRepository``).
    repository_name: str
    primary_region: str
    regions: Mapping[str, RegistryRegion]
    #: The jurisdiction's allow-list; replication never names a region outside it.
    allowed_regions: Collection[str]


def replication_destinations(
    primary: str, regions: Sequence[str], allowed: Collection[str]
) -> list[str]:
    """The regions the primary replicates to: every other region, each inside ``allowed``."""
    outside = [r for r in regions if r not in allowed]
    if outside:
        raise ValueError(
            f"registry replication to {outside} would leave the jurisdiction; allowed: "
            f"{sorted(allowed)}"
        )
    if primary not in regions:
        raise ValueError(f"the primary region {primary!r} is not one of {list(regions)}")
    return [r for r in regions if r != primary]


class ImageRegistry(pulumi.ComponentResource):
    """Repositories (CMK, immutable tags, scan on push) and in-jurisdiction replication."""

    repositories: dict[str, aws.ecr.Repository]
    templates: dict[str, aws.ecr.RepositoryCreationTemplate]
    repository_urls: dict[str, pulumi.Output[str]]
    replication: aws.ecr.ReplicationConfiguration | None

    def __init__(
        self,
        name: str,
        args: ImageRegistryArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("gdpr-platform:registry:ImageRegistry", name, None, opts)
        self._name = name
        self._args = args
        destinations = replication_destinations(
            args.primary_region, list(args.regions), args.allowed_regions
        )
        self.repositories = {
            region: self._repository(region, placement)
            for region, placement in args.regions.items()
        }
        self.repository_urls = {r: repo.repository_url for r, repo in self.repositories.items()}
        self.templates = self._creation_templates(destinations) if destinations else {}
        self.replication = self._replication(destinations) if destinations else None
        self.register_outputs(
            {"repositoryUrls": self.repository_urls, "replicatesTo": destinations}
        )

    def _repository(self, region: str, placement: RegistryRegion) -> aws.ecr.Repository:
        return aws.ecr.Repository(
            f"{self._name}-{region}",
            name=self._args.repository_name,
            # A digest names one build for good; a tag must too, or "1.4.2" could change.
            image_tag_mutability="IMMUTABLE",
            image_scanning_configuration=aws.ecr.RepositoryImageScanningConfigurationArgs(
                scan_on_push=True
            ),
            encryption_configurations=[
                aws.ecr.RepositoryEncryptionConfigurationArgs(
                    encryption_type="KMS", kms_key=placement.key_arn
                )
            ],
            # Deleting the stack must not silently drop the images the clusters run.
            force_delete=False,
            opts=pulumi.ResourceOptions(parent=self, provider=placement.provider),
        )

    def _creation_templates(
        self, destinations: Sequence[str]
    ) -> dict[str, aws.ecr.RepositoryCreationTemplate]:
        """What ECR applies to a repository it creates by replication in each destination."""
        args = self._args
        primary = args.regions[args.primary_region].provider
        # ECR needs a role of its own to apply a template's KMS key (CreateGrant on it).
        role = aws.iam.Role(
            f"{self._name}-template-role",
            assume_role_policy=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "ecr.amazonaws.com"},
                            "Action": "sts:AssumeRole",
                        }
                    ],
                }
            ),
            opts=pulumi.ResourceOptions(parent=self, provider=primary),
        )
        keys = [args.regions[r].key_arn for r in destinations]
        aws.iam.RolePolicy(
            f"{self._name}-template-role",
            role=role.id,
            policy=pulumi.Output.all(*keys).apply(
                lambda arns: json.dumps(
                    {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Action": [
                                    "ecr:CreateRepository",
                                    "ecr:ReplicateImage",
                                    "ecr:TagResource",
                                ],
                                "Resource": "*",
                            },
                            {
                                "Effect": "Allow",
                                "Action": ["kms:CreateGrant", "kms:RetireGrant", "kms:DescribeKey"],
                                "Resource": sorted(arns),
                            },
                        ],
                    }
                )
            ),
            opts=pulumi.ResourceOptions(parent=self, provider=primary),
        )
        return {
            region: aws.ecr.RepositoryCreationTemplate(
                f"{self._name}-template-{region}",
                prefix=args.repository_name,
                applied_fors=["REPLICATION"],
                custom_role_arn=role.arn,
                image_tag_mutability="IMMUTABLE",
                encryption_configurations=[
                    aws.ecr.RepositoryCreationTemplateEncryptionConfigurationArgs(
                        encryption_type="KMS", kms_key=args.regions[region].key_arn
                    )
                ],
                opts=pulumi.ResourceOptions(parent=self, provider=args.regions[region].provider),
            )
            for region in destinations
        }

    def _replication(self, destinations: Sequence[str]) -> aws.ecr.ReplicationConfiguration:
        args = self._args
        primary = self.repositories[args.primary_region]
        # One replication configuration per registry (account and region): this stack owns
        # its primary region's, so one account per jurisdiction (as the operations pane).
        return aws.ecr.ReplicationConfiguration(
            f"{self._name}-replication",
            replication_configuration=aws.ecr.ReplicationConfigurationReplicationConfigurationArgs(
                rules=[
                    aws.ecr.ReplicationConfigurationReplicationConfigurationRuleArgs(
                        destinations=[
                            aws.ecr.ReplicationConfigurationReplicationConfigurationRuleDestinationArgs(
                                region=region, registry_id=primary.registry_id
                            )
                            for region in destinations
                        ],
                        repository_filters=[
                            aws.ecr.ReplicationConfigurationReplicationConfigurationRuleRepositoryFilterArgs(
                                filter=args.repository_name, filter_type="PREFIX_MATCH"
                            )
                        ],
                    )
                ]
            ),
            opts=pulumi.ResourceOptions(
                parent=self,
                provider=args.regions[args.primary_region].provider,
                # The destinations exist, CMK-encrypted and immutable, before the first push.
                depends_on=[self.repositories[r] for r in destinations]
                + list(self.templates.values()),
            ),
        )
