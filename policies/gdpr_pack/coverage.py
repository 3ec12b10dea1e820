"""Which rules cover each type of the generated table, and why the others are left out.

``coverage_types.COVERAGE_TYPES`` lists, from the installed pulumi-aws, every type with an
at-rest encryption, a cross-region/outbound or a public-exposure input. Each (type,
category) is either covered by a rule of that category or excluded here for a written
reason; ``tests/policies/test_coverage.py`` fails on any that is neither (a pulumi-aws upgrade
that adds a data store), on an exclusion that a rule now covers, and on a stale exclusion.
"""

from __future__ import annotations

from collections.abc import Mapping

from .coverage_types import COVERAGE_TYPES
from .rule import Rule

CATEGORIES = ("encryption", "cross-region", "public")

#: The region rule covers every regional type; it says nothing about where copies go.
REGION_RULE = "aws-resource-require-region-in-jurisdiction"
#: Encryption-group rules about TLS in transit, not at rest.
TRANSIT_WORDS = ("-tls", "-https", "force-ssl")
PUBLIC_RULES = frozenset(
    {
        "aws-rds-instance-disallow-public-access",
        "aws-ec2-securitygroup-disallow-public-ingress",
        "aws-ec2-vpc-require-closed-default-security-group",
        "aws-eks-cluster-disallow-public-endpoint",
        "aws-s3-bucket-require-public-access-block",
        "aws-s3-bucketpublicaccessblock-require-all-flags",
        "aws-s3-bucketacl-disallow-public-acl",
        "aws-resource-disallow-publicly-accessible",
        "aws-secretsmanager-secretpolicy-require-block-public-policy",
    }
)


def category_of(rule: Rule) -> str | None:
    if rule.group == "operations":  # the operations pane's own residency and CMK rules
        return "encryption" if "cmk" in rule.name else "cross-region"
    if rule.group == "encryption" and not any(w in rule.name for w in TRANSIT_WORDS):
        return "encryption"
    if rule.group == "residency" and rule.name != REGION_RULE:
        return "cross-region"
    if rule.name in PUBLIC_RULES:
        return "public"
    return None


# -- exclusions, grouped by reason -------------------------------------------------------

OUTSIDE_DESIGN = (
    "A service no component of the platform uses (ML, media, analytics workspaces, agents, "
    "migration tools); its encryption is AWS-owned or off by default, so adopting it for "
    "personal data starts with a CMK rule here."
)
NOT_RECORDS = (
    "Holds configuration, code, build artefacts, rules or credentials-by-reference, not "
    "records of data subjects; AWS encrypts it at rest by default."
)
COPY_LANDS_IN_CHECKED_STORE = (
    "Exports, integrations and objects whose data lands in a store whose own rule checks its "
    "key (S3 default encryption, the Redshift cluster), or whose API requires a KMS key."
)
DEPRECATED_ALIAS = (
    "Deprecated alias in pulumi-aws 7 of aws:s3/bucket:Bucket (and its objects); the program "
    "and the S3 rules use Bucket and BucketObjectv2."
)
TELEMETRY = (
    "Moves telemetry about the service (metrics, traces, probes, scraper and query logs), "
    "not personal records; a destination in the stack is checked by the region rule."
)
NOT_A_PATH = (
    "Despite its name, the input moves no data: a flag or enum (KMS multi_region only makes a "
    "key replicable; its replicas are aws:kms/replicaKey, which the replica rule checks)."
)
OUTSIDE_DESIGN_PATH = (
    "A service no component uses, moving its own media/marketing/findings data to its own "
    "destinations; adopting it for personal data starts with a residency rule here."
)
PUBLIC_IP_ONLY = (
    "A public IP or a subnet's public-IP default opens nothing by itself: who may connect is "
    "decided by security groups, which aws-ec2-securitygroup-disallow-public-ingress checks."
)
NACL = (
    "Network ACLs are stateless subnet filters whose AWS default already admits all traffic; "
    "exposure is decided by security groups (checked)."
)
NOT_A_GRANT = (
    "The CIDR names a route, an egress destination, a routing location or narrows a portal's "
    "callers; it grants no one access to data."
)

#: reason -> category -> types
EXCLUSIONS: Mapping[str, Mapping[str, frozenset[str]]] = {
    OUTSIDE_DESIGN: {
        "encryption": frozenset(
            {
                "aws:agentregistry/registry:Registry",
                "aws:appflow/connectorProfile:ConnectorProfile",
                "aws:appflow/flow:Flow",
                "aws:appintegrations/dataIntegration:DataIntegration",
                "aws:appsync/apiCache:ApiCache",
                "aws:auditmanager/accountRegistration:AccountRegistration",
                "aws:bedrock/agentDataSource:AgentDataSource",
                "aws:bedrock/agentFlow:AgentFlow",
                "aws:bedrock/agentPrompt:AgentPrompt",
                "aws:bedrock/agentcoreEvaluator:AgentcoreEvaluator",
                "aws:bedrock/agentcoreGateway:AgentcoreGateway",
                "aws:bedrock/agentcorePolicyEngine:AgentcorePolicyEngine",
                "aws:bedrock/agentcoreTokenVaultCmk:AgentcoreTokenVaultCmk",
                "aws:bedrock/customModel:CustomModel",
                "aws:bedrock/evaluationJob:EvaluationJob",
                "aws:bedrock/guardrail:Guardrail",
                "aws:chime/sdkvoiceVoiceProfileDomain:SdkvoiceVoiceProfileDomain",
                "aws:cloudwatchomni/space:Space",
                "aws:comprehend/documentClassifier:DocumentClassifier",
                "aws:comprehend/entityRecognizer:EntityRecognizer",
                "aws:datazone/domain:Domain",
                "aws:dax/cluster:Cluster",
                "aws:devopsagent/agentSpace:AgentSpace",
                "aws:dms/endpoint:Endpoint",
                "aws:dms/instanceProfile:InstanceProfile",
                "aws:dms/s3Endpoint:S3Endpoint",
                "aws:elastictranscoder/pipeline:Pipeline",
                "aws:emr/cluster:Cluster",
                "aws:finspace/kxEnvironment:KxEnvironment",
                "aws:glue/dataCatalogEncryptionSettings:DataCatalogEncryptionSettings",
                "aws:glue/securityConfiguration:SecurityConfiguration",
                "aws:guardduty/publishingDestination:PublishingDestination",
                "aws:m2/environment:Environment",
                "aws:msk/channel:Channel",
                "aws:mwaa/environment:Environment",
                "aws:odb/autonomousDatabase:AutonomousDatabase",
                "aws:opensearch/application:Application",
                "aws:opensearch/serverlessCollection:ServerlessCollection",
                "aws:opensearchingest/pipeline:Pipeline",
                "aws:qbusiness/application:Application",
                "aws:rekognition/streamProcessor:StreamProcessor",
                "aws:s3/filesFileSystem:FilesFileSystem",
                "aws:s3/vectorsIndex:VectorsIndex",
                "aws:s3/vectorsVectorBucket:VectorsVectorBucket",
                "aws:s3tables/table:Table",
                "aws:storagegateway/cachesIscsiVolume:CachesIscsiVolume",
                "aws:storagegateway/storedIscsiVolume:StoredIscsiVolume",
                "aws:timestreamquery/scheduledQuery:ScheduledQuery",
                "aws:workspaces/workspace:Workspace",
            }
        ),
    },
    NOT_RECORDS: {
        "encryption": frozenset(
            {
                "aws:appconfig/configurationProfile:ConfigurationProfile",
                "aws:appconfig/deployment:Deployment",
                "aws:apprunner/service:Service",
                "aws:athena/database:Database",
                "aws:cloudwatch/eventConnection:EventConnection",
                "aws:cloudwatch/logAnomalyDetector:LogAnomalyDetector",
                "aws:codeartifact/domain:Domain",
                "aws:codebuild/project:Project",
                "aws:docdb/clusterInstance:ClusterInstance",
                "aws:emr/studio:Studio",
                "aws:emrcontainers/jobTemplate:JobTemplate",
                "aws:imagebuilder/component:Component",
                "aws:imagebuilder/containerRecipe:ContainerRecipe",
                "aws:imagebuilder/workflow:Workflow",
                "aws:lambda/capacityProvider:CapacityProvider",
                "aws:lambda/eventSourceMapping:EventSourceMapping",
                "aws:m2/application:Application",
                "aws:networkfirewall/firewall:Firewall",
                "aws:networkfirewall/firewallPolicy:FirewallPolicy",
                "aws:networkfirewall/ruleGroup:RuleGroup",
                "aws:networkfirewall/tlsInspectionConfiguration:TlsInspectionConfiguration",
                "aws:pipes/pipe:Pipe",
                "aws:rds/customDbEngineVersion:CustomDbEngineVersion",
                "aws:resiliencehub/v2Policy:V2Policy",
                "aws:resiliencehub/v2Service:V2Service",
                "aws:resiliencehub/v2System:V2System",
                "aws:sagemaker/endpointConfiguration:EndpointConfiguration",
                "aws:securityhub/connectorV2:ConnectorV2",
                "aws:sfn/activity:Activity",
                "aws:synthetics/canary:Canary",
                "aws:verifiedaccess/endpoint:Endpoint",
                "aws:verifiedaccess/group:Group",
                "aws:verifiedaccess/trustProvider:TrustProvider",
            }
        ),
    },
    COPY_LANDS_IN_CHECKED_STORE: {
        "encryption": frozenset(
            {
                "aws:rds/clusterActivityStream:ClusterActivityStream",
                "aws:rds/exportTask:ExportTask",
                "aws:rds/integration:Integration",
                "aws:redshift/integration:Integration",
                "aws:redshift/snapshotCopyGrant:SnapshotCopyGrant",
                "aws:s3/bucketObjectv2:BucketObjectv2",
                "aws:s3/objectCopy:ObjectCopy",
            }
        ),
    },
    DEPRECATED_ALIAS: {
        "encryption": frozenset({"aws:s3/bucketV2:BucketV2", "aws:s3/bucketObject:BucketObject"}),
    },
    TELEMETRY: {
        "cross-region": frozenset(
            {
                "aws:amp/queryLoggingConfiguration:QueryLoggingConfiguration",
                "aws:amp/scraper:Scraper",
                "aws:ec2/networkInsightsPath:NetworkInsightsPath",
                "aws:ec2/vpcNetworkPerformanceMetricSubscription:VpcNetworkPerformanceMetricSubscription",
                "aws:networkmonitor/probe:Probe",
                "aws:rum/metricsDestination:MetricsDestination",
                "aws:signer/signingJob:SigningJob",
                "aws:storagegateway/fileSystemAssociation:FileSystemAssociation",
                "aws:xray/traceSegmentDestination:TraceSegmentDestination",
            }
        ),
    },
    NOT_A_PATH: {
        "cross-region": frozenset(
            {
                "aws:appconfig/deploymentStrategy:DeploymentStrategy",
                "aws:kms/externalKey:ExternalKey",
                "aws:kms/key:Key",
                "aws:resiliencehub/v2Policy:V2Policy",
            }
        ),
    },
    OUTSIDE_DESIGN_PATH: {
        "cross-region": frozenset(
            {
                "aws:appfabric/ingestionDestination:IngestionDestination",
                "aws:appflow/flow:Flow",
                "aws:gamelift/gameSessionQueue:GameSessionQueue",
                "aws:ivs/recordingConfiguration:RecordingConfiguration",
                "aws:ivschat/loggingConfiguration:LoggingConfiguration",
                "aws:macie2/classificationExportConfiguration:ClassificationExportConfiguration",
                "aws:medialive/channel:Channel",
                "aws:medialive/input:Input",
                "aws:msk/channel:Channel",
                "aws:pinpoint/smsvoicev2EventDestination:Smsvoicev2EventDestination",
            }
        ),
    },
    PUBLIC_IP_ONLY: {
        "public": frozenset(
            {
                "aws:ec2/defaultSubnet:DefaultSubnet",
                "aws:ec2/instance:Instance",
                "aws:ec2/launchConfiguration:LaunchConfiguration",
                "aws:ec2/spotInstanceRequest:SpotInstanceRequest",
                "aws:ec2/subnet:Subnet",
            }
        ),
    },
    NACL: {
        "public": frozenset(
            {"aws:ec2/defaultNetworkAcl:DefaultNetworkAcl", "aws:ec2/networkAcl:NetworkAcl"}
        ),
    },
    NOT_A_GRANT: {
        "public": frozenset(
            {
                "aws:directoryservice/ipRoute:IpRoute",
                "aws:route53/cidrLocation:CidrLocation",
                "aws:sagemaker/workforce:Workforce",
                "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
            }
        ),
    },
}


#: reason -> the short label the README's coverage table shows
LABELS: Mapping[str, str] = {
    OUTSIDE_DESIGN: "outside-design",
    NOT_RECORDS: "not-records",
    COPY_LANDS_IN_CHECKED_STORE: "lands-in-checked-store",
    DEPRECATED_ALIAS: "deprecated-alias",
    TELEMETRY: "telemetry",
    NOT_A_PATH: "not-a-path",
    OUTSIDE_DESIGN_PATH: "outside-design-path",
    PUBLIC_IP_ONLY: "public-ip-only",
    NACL: "nacl",
    NOT_A_GRANT: "not-a-grant",
}


def covering(rules: list[Rule], type_token: str, category: str) -> list[str]:
    """Names of the rules of ``category`` that check ``type_token``."""
    return [r.name for r in rules if category_of(r) == category and type_token in r.types]


def exclusion(type_token: str, category: str) -> str | None:
    for reason, by_category in EXCLUSIONS.items():
        if type_token in by_category.get(category, frozenset()):
            return reason
    return None


def table(rules: list[Rule]) -> list[tuple[str, str, list[str], str | None]]:
    """(type, category, covering rules, exclusion reason) for every entry of the table."""
    return [
        (t, c, covering(rules, t, c), exclusion(t, c))
        for t, cats in COVERAGE_TYPES.items()
        for c in CATEGORIES
        if c in cats
    ]


def readme_rows(rules: list[Rule]) -> list[str]:
    """The README's coverage tables (a test keeps README.md in step with this)."""
    rows = [
        "| exclusion | types | reason |",
        "|---|---|---|",
    ]
    for reason, label in LABELS.items():
        count = sum(len(types) for types in EXCLUSIONS[reason].values())
        rows.append(f"| `{label}` | {count} | {reason} |")
    rows += [
        "",
        "| type | category | inputs | covered by / excluded as |",
        "|---|---|---|---|",
    ]
    for type_token, category, names, why in table(rules):
        inputs = ", ".join(f"`{i}`" for i in COVERAGE_TYPES[type_token][category])
        verdict = ", ".join(f"`{n}`" for n in names) if names else f"excluded: `{LABELS[str(why)]}`"
        rows.append(f"| `{type_token}` | {category} | {inputs} | {verdict} |")
    return rows
