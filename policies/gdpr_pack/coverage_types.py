"""AWS resource types with an at-rest encryption, cross-region/outbound or public
exposure input, and those inputs (generated from pulumi-aws 7.51.1).

Do not edit: run ``tools/gen_coverage_types.py`` after upgrading pulumi-aws.
"""

PULUMI_AWS_VERSION = "7.51.1"

#: type -> category -> the type's inputs (snake_case, as the SDK names them) in it.
COVERAGE_TYPES: dict[str, dict[str, tuple[str, ...]]] = {
    "aws:agentregistry/registry:Registry": {
        "encryption": ("encryption_configuration",),
    },
    "aws:amp/queryLoggingConfiguration:QueryLoggingConfiguration": {
        "cross-region": ("destinations",),
    },
    "aws:amp/scraper:Scraper": {
        "cross-region": ("destination",),
    },
    "aws:amp/workspace:Workspace": {
        "encryption": ("kms_key_arn",),
    },
    "aws:appconfig/configurationProfile:ConfigurationProfile": {
        "encryption": ("kms_key_identifier",),
    },
    "aws:appconfig/deployment:Deployment": {
        "encryption": ("kms_key_identifier",),
    },
    "aws:appconfig/deploymentStrategy:DeploymentStrategy": {
        "cross-region": ("replicate_to",),
    },
    "aws:appfabric/ingestionDestination:IngestionDestination": {
        "cross-region": ("destination_configuration",),
    },
    "aws:appflow/connectorProfile:ConnectorProfile": {
        "encryption": ("kms_arn",),
    },
    "aws:appflow/flow:Flow": {
        "encryption": ("kms_arn",),
        "cross-region": ("destination_flow_configs",),
    },
    "aws:appintegrations/dataIntegration:DataIntegration": {
        "encryption": ("kms_key",),
    },
    "aws:apprunner/service:Service": {
        "encryption": ("encryption_configuration",),
    },
    "aws:appsync/apiCache:ApiCache": {
        "encryption": ("at_rest_encryption_enabled",),
    },
    "aws:athena/database:Database": {
        "encryption": ("encryption_configuration",),
    },
    "aws:auditmanager/accountRegistration:AccountRegistration": {
        "encryption": ("kms_key",),
    },
    "aws:auditmanager/frameworkShare:FrameworkShare": {
        "cross-region": ("destination_region",),
    },
    "aws:backup/logicallyAirGappedVault:LogicallyAirGappedVault": {
        "encryption": ("encryption_key_arn",),
    },
    "aws:backup/vault:Vault": {
        "encryption": ("kms_key_arn",),
    },
    "aws:bedrock/agentAgent:AgentAgent": {
        "encryption": ("customer_encryption_key_arn",),
    },
    "aws:bedrock/agentDataSource:AgentDataSource": {
        "encryption": ("server_side_encryption_configuration",),
    },
    "aws:bedrock/agentFlow:AgentFlow": {
        "encryption": ("customer_encryption_key_arn",),
    },
    "aws:bedrock/agentPrompt:AgentPrompt": {
        "encryption": ("customer_encryption_key_arn",),
    },
    "aws:bedrock/agentcoreEvaluator:AgentcoreEvaluator": {
        "encryption": ("kms_key_arn",),
    },
    "aws:bedrock/agentcoreGateway:AgentcoreGateway": {
        "encryption": ("kms_key_arn",),
    },
    "aws:bedrock/agentcoreMemory:AgentcoreMemory": {
        "encryption": ("encryption_key_arn",),
    },
    "aws:bedrock/agentcorePolicyEngine:AgentcorePolicyEngine": {
        "encryption": ("encryption_key_arn",),
    },
    "aws:bedrock/agentcoreTokenVaultCmk:AgentcoreTokenVaultCmk": {
        "encryption": ("kms_configuration",),
    },
    "aws:bedrock/customModel:CustomModel": {
        "encryption": ("custom_model_kms_key_id",),
    },
    "aws:bedrock/evaluationJob:EvaluationJob": {
        "encryption": ("customer_encryption_key_id",),
    },
    "aws:bedrock/guardrail:Guardrail": {
        "encryption": ("kms_key_arn",),
    },
    "aws:cfg/deliveryChannel:DeliveryChannel": {
        "encryption": ("s3_kms_key_arn",),
    },
    "aws:chime/sdkvoiceVoiceProfileDomain:SdkvoiceVoiceProfileDomain": {
        "encryption": ("server_side_encryption_configuration",),
    },
    "aws:cloudtrail/eventDataStore:EventDataStore": {
        "encryption": ("kms_key_id",),
    },
    "aws:cloudtrail/trail:Trail": {
        "encryption": ("kms_key_id",),
    },
    "aws:cloudwatch/eventApiDestination:EventApiDestination": {
        "cross-region": ("invocation_endpoint",),
    },
    "aws:cloudwatch/eventArchive:EventArchive": {
        "encryption": ("kms_key_identifier",),
    },
    "aws:cloudwatch/eventBus:EventBus": {
        "encryption": ("kms_key_identifier",),
    },
    "aws:cloudwatch/eventConnection:EventConnection": {
        "encryption": ("kms_key_identifier",),
    },
    "aws:cloudwatch/eventEndpoint:EventEndpoint": {
        "cross-region": ("replication_config",),
    },
    "aws:cloudwatch/logAnomalyDetector:LogAnomalyDetector": {
        "encryption": ("kms_key_id",),
    },
    "aws:cloudwatch/logDelivery:LogDelivery": {
        "cross-region": ("delivery_destination_arn",),
    },
    "aws:cloudwatch/logGroup:LogGroup": {
        "encryption": ("kms_key_id",),
    },
    "aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter": {
        "cross-region": ("destination_arn",),
    },
    "aws:cloudwatchomni/space:Space": {
        "encryption": ("encryption_configuration",),
    },
    "aws:codeartifact/domain:Domain": {
        "encryption": ("encryption_key",),
    },
    "aws:codebuild/project:Project": {
        "encryption": ("encryption_key",),
    },
    "aws:codecommit/repository:Repository": {
        "encryption": ("kms_key_id",),
    },
    "aws:comprehend/documentClassifier:DocumentClassifier": {
        "encryption": (
            "model_kms_key_id",
            "volume_kms_key_id",
        ),
    },
    "aws:comprehend/entityRecognizer:EntityRecognizer": {
        "encryption": (
            "model_kms_key_id",
            "volume_kms_key_id",
        ),
    },
    "aws:customerprofiles/domain:Domain": {
        "encryption": ("default_encryption_key",),
    },
    "aws:datazone/domain:Domain": {
        "encryption": ("kms_key_identifier",),
    },
    "aws:dax/cluster:Cluster": {
        "encryption": ("server_side_encryption",),
    },
    "aws:devopsagent/agentSpace:AgentSpace": {
        "encryption": ("kms_key_arn",),
    },
    "aws:directoryservice/ipRoute:IpRoute": {
        "public": ("cidr_ipv6",),
    },
    "aws:dms/endpoint:Endpoint": {
        "encryption": ("kms_key_arn",),
    },
    "aws:dms/instanceProfile:InstanceProfile": {
        "encryption": ("kms_key_arn",),
        "public": ("publicly_accessible",),
    },
    "aws:dms/replicationInstance:ReplicationInstance": {
        "encryption": ("kms_key_arn",),
        "public": ("publicly_accessible",),
    },
    "aws:dms/s3Endpoint:S3Endpoint": {
        "encryption": (
            "kms_key_arn",
            "server_side_encryption_kms_key_id",
        ),
    },
    "aws:docdb/cluster:Cluster": {
        "encryption": (
            "kms_key_id",
            "storage_encrypted",
        ),
        "cross-region": ("global_cluster_identifier",),
    },
    "aws:docdb/clusterInstance:ClusterInstance": {
        "encryption": ("performance_insights_kms_key_id",),
    },
    "aws:docdb/elasticCluster:ElasticCluster": {
        "encryption": ("kms_key_id",),
    },
    "aws:docdb/globalCluster:GlobalCluster": {
        "encryption": ("storage_encrypted",),
        "cross-region": ("global_cluster_identifier",),
    },
    "aws:dsql/cluster:Cluster": {
        "encryption": ("kms_encryption_key",),
    },
    "aws:dsql/clusterPeering:ClusterPeering": {
        "cross-region": ("witness_region",),
    },
    "aws:dynamodb/globalTable:GlobalTable": {
        "cross-region": ("replicas",),
    },
    "aws:dynamodb/table:Table": {
        "encryption": ("server_side_encryption",),
        "cross-region": ("replicas",),
    },
    "aws:dynamodb/tableExport:TableExport": {
        "encryption": ("s3_sse_kms_key_id",),
    },
    "aws:dynamodb/tableReplica:TableReplica": {
        "encryption": ("kms_key_arn",),
        "cross-region": ("global_table_arn",),
    },
    "aws:ebs/snapshotCopy:SnapshotCopy": {
        "encryption": (
            "encrypted",
            "kms_key_id",
        ),
        "cross-region": ("source_region",),
    },
    "aws:ebs/snapshotImport:SnapshotImport": {
        "encryption": (
            "encrypted",
            "kms_key_id",
        ),
    },
    "aws:ebs/volume:Volume": {
        "encryption": (
            "encrypted",
            "kms_key_id",
        ),
    },
    "aws:ec2/amiCopy:AmiCopy": {
        "encryption": (
            "encrypted",
            "kms_key_id",
        ),
        "cross-region": ("source_ami_region",),
    },
    "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl": {
        "public": ("ingress",),
    },
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": {
        "public": ("ingress",),
    },
    "aws:ec2/defaultSubnet:DefaultSubnet": {
        "public": ("map_public_ip_on_launch",),
    },
    "aws:ec2/flowLog:FlowLog": {
        "cross-region": ("log_destination",),
    },
    "aws:ec2/instance:Instance": {
        "public": ("associate_public_ip_address",),
    },
    "aws:ec2/launchConfiguration:LaunchConfiguration": {
        "public": ("associate_public_ip_address",),
    },
    "aws:ec2/networkAcl:NetworkAcl": {
        "public": ("ingress",),
    },
    "aws:ec2/networkInsightsPath:NetworkInsightsPath": {
        "cross-region": ("destination",),
    },
    "aws:ec2/securityGroup:SecurityGroup": {
        "public": ("ingress",),
    },
    "aws:ec2/securityGroupRule:SecurityGroupRule": {
        "public": (
            "cidr_blocks",
            "ipv6_cidr_blocks",
        ),
    },
    "aws:ec2/spotInstanceRequest:SpotInstanceRequest": {
        "public": ("associate_public_ip_address",),
    },
    "aws:ec2/subnet:Subnet": {
        "public": ("map_public_ip_on_launch",),
    },
    "aws:ec2/vpcNetworkPerformanceMetricSubscription:VpcNetworkPerformanceMetricSubscription": {
        "cross-region": ("destination",),
    },
    "aws:ec2/vpcPeeringConnection:VpcPeeringConnection": {
        "cross-region": ("peer_region",),
    },
    "aws:ec2transitgateway/peeringAttachment:PeeringAttachment": {
        "cross-region": ("peer_region",),
    },
    "aws:ecr/replicationConfiguration:ReplicationConfiguration": {
        "cross-region": ("replication_configuration",),
    },
    "aws:ecr/repository:Repository": {
        "encryption": ("encryption_configurations",),
    },
    "aws:ecr/repositoryCreationTemplate:RepositoryCreationTemplate": {
        "encryption": ("encryption_configurations",),
    },
    "aws:efs/fileSystem:FileSystem": {
        "encryption": (
            "encrypted",
            "kms_key_id",
        ),
    },
    "aws:efs/replicationConfiguration:ReplicationConfiguration": {
        "cross-region": ("destination",),
    },
    "aws:eks/cluster:Cluster": {
        "encryption": ("encryption_config",),
    },
    "aws:elasticache/replicationGroup:ReplicationGroup": {
        "encryption": (
            "at_rest_encryption_enabled",
            "kms_key_id",
        ),
        "cross-region": ("global_replication_group_id",),
    },
    "aws:elasticache/serverlessCache:ServerlessCache": {
        "encryption": ("kms_key_id",),
    },
    "aws:elasticsearch/domain:Domain": {
        "encryption": ("encrypt_at_rest",),
    },
    "aws:elastictranscoder/pipeline:Pipeline": {
        "encryption": ("aws_kms_key_arn",),
    },
    "aws:emr/cluster:Cluster": {
        "encryption": ("log_encryption_kms_key_id",),
    },
    "aws:emr/studio:Studio": {
        "encryption": ("encryption_key_arn",),
    },
    "aws:emrcontainers/jobTemplate:JobTemplate": {
        "encryption": ("kms_key_arn",),
    },
    "aws:finspace/kxEnvironment:KxEnvironment": {
        "encryption": ("kms_key_id",),
    },
    "aws:fsx/fileCache:FileCache": {
        "encryption": ("kms_key_id",),
    },
    "aws:fsx/lustreFileSystem:LustreFileSystem": {
        "encryption": ("kms_key_id",),
    },
    "aws:fsx/ontapFileSystem:OntapFileSystem": {
        "encryption": ("kms_key_id",),
    },
    "aws:fsx/openZfsFileSystem:OpenZfsFileSystem": {
        "encryption": ("kms_key_id",),
    },
    "aws:fsx/windowsFileSystem:WindowsFileSystem": {
        "encryption": ("kms_key_id",),
    },
    "aws:gamelift/gameSessionQueue:GameSessionQueue": {
        "cross-region": ("destinations",),
    },
    "aws:glue/dataCatalogEncryptionSettings:DataCatalogEncryptionSettings": {
        "encryption": ("data_catalog_encryption_settings",),
    },
    "aws:glue/securityConfiguration:SecurityConfiguration": {
        "encryption": ("encryption_configuration",),
    },
    "aws:grafana/workspace:Workspace": {
        "encryption": ("kms_key_id",),
    },
    "aws:guardduty/publishingDestination:PublishingDestination": {
        "encryption": ("kms_key_arn",),
        "cross-region": ("destination_arn",),
    },
    "aws:imagebuilder/component:Component": {
        "encryption": ("kms_key_id",),
    },
    "aws:imagebuilder/containerRecipe:ContainerRecipe": {
        "encryption": ("kms_key_id",),
    },
    "aws:imagebuilder/workflow:Workflow": {
        "encryption": ("kms_key_id",),
    },
    "aws:ivs/recordingConfiguration:RecordingConfiguration": {
        "cross-region": ("destination_configuration",),
    },
    "aws:ivschat/loggingConfiguration:LoggingConfiguration": {
        "cross-region": ("destination_configuration",),
    },
    "aws:kendra/index:Index": {
        "encryption": ("server_side_encryption_configuration",),
    },
    "aws:keyspaces/keyspace:Keyspace": {
        "cross-region": ("replication_specification",),
    },
    "aws:keyspaces/table:Table": {
        "encryption": ("encryption_specification",),
    },
    "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream": {
        "encryption": ("server_side_encryption",),
        "cross-region": (
            "destination",
            "http_endpoint_configuration",
        ),
    },
    "aws:kinesis/stream:Stream": {
        "encryption": (
            "encryption_type",
            "kms_key_id",
        ),
    },
    "aws:kinesis/videoStream:VideoStream": {
        "encryption": ("kms_key_id",),
    },
    "aws:kms/externalKey:ExternalKey": {
        "cross-region": ("multi_region",),
    },
    "aws:kms/key:Key": {
        "cross-region": ("multi_region",),
    },
    "aws:kms/replicaExternalKey:ReplicaExternalKey": {
        "cross-region": ("primary_key_arn",),
    },
    "aws:kms/replicaKey:ReplicaKey": {
        "cross-region": ("primary_key_arn",),
    },
    "aws:lambda/capacityProvider:CapacityProvider": {
        "encryption": ("kms_key_arn",),
    },
    "aws:lambda/eventSourceMapping:EventSourceMapping": {
        "encryption": ("kms_key_arn",),
        "cross-region": ("destination_config",),
    },
    "aws:lambda/function:Function": {
        "encryption": (
            "kms_key_arn",
            "source_kms_key_arn",
        ),
    },
    "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig": {
        "cross-region": ("destination_config",),
    },
    "aws:lightsail/database:Database": {
        "public": ("publicly_accessible",),
    },
    "aws:location/geofenceCollection:GeofenceCollection": {
        "encryption": ("kms_key_id",),
    },
    "aws:location/tracker:Tracker": {
        "encryption": ("kms_key_id",),
    },
    "aws:m2/application:Application": {
        "encryption": ("kms_key_id",),
    },
    "aws:m2/environment:Environment": {
        "encryption": ("kms_key_id",),
        "public": ("publicly_accessible",),
    },
    "aws:macie2/classificationExportConfiguration:ClassificationExportConfiguration": {
        "cross-region": ("s3_destination",),
    },
    "aws:mailmanager/archive:Archive": {
        "encryption": ("kms_key_arn",),
    },
    "aws:medialive/channel:Channel": {
        "cross-region": ("destinations",),
    },
    "aws:medialive/input:Input": {
        "cross-region": ("destinations",),
    },
    "aws:memorydb/cluster:Cluster": {
        "encryption": ("kms_key_arn",),
    },
    "aws:memorydb/snapshot:Snapshot": {
        "encryption": ("kms_key_arn",),
    },
    "aws:mq/broker:Broker": {
        "encryption": ("encryption_options",),
        "public": ("publicly_accessible",),
    },
    "aws:msk/channel:Channel": {
        "encryption": ("encryption_configuration",),
        "cross-region": ("s3_destination",),
    },
    "aws:msk/cluster:Cluster": {
        "encryption": ("encryption_info",),
    },
    "aws:msk/replicator:Replicator": {
        "cross-region": ("replication_info_list",),
    },
    "aws:mwaa/environment:Environment": {
        "encryption": ("kms_key",),
    },
    "aws:neptune/cluster:Cluster": {
        "encryption": (
            "kms_key_arn",
            "storage_encrypted",
        ),
        "cross-region": (
            "global_cluster_identifier",
            "replication_source_identifier",
        ),
    },
    "aws:neptune/clusterInstance:ClusterInstance": {
        "public": ("publicly_accessible",),
    },
    "aws:neptune/globalCluster:GlobalCluster": {
        "encryption": ("storage_encrypted",),
        "cross-region": ("global_cluster_identifier",),
    },
    "aws:neptunegraph/graph:Graph": {
        "encryption": ("kms_key_identifier",),
        "public": ("public_connectivity",),
    },
    "aws:networkfirewall/firewall:Firewall": {
        "encryption": ("encryption_configuration",),
    },
    "aws:networkfirewall/firewallPolicy:FirewallPolicy": {
        "encryption": ("encryption_configuration",),
    },
    "aws:networkfirewall/ruleGroup:RuleGroup": {
        "encryption": ("encryption_configuration",),
    },
    "aws:networkfirewall/tlsInspectionConfiguration:TlsInspectionConfiguration": {
        "encryption": ("encryption_configurations",),
    },
    "aws:networkmonitor/probe:Probe": {
        "cross-region": ("destination",),
    },
    "aws:odb/autonomousDatabase:AutonomousDatabase": {
        "encryption": ("kms_key_id",),
    },
    "aws:opensearch/application:Application": {
        "encryption": ("kms_key_arn",),
    },
    "aws:opensearch/domain:Domain": {
        "encryption": ("encrypt_at_rest",),
    },
    "aws:opensearch/serverlessCollection:ServerlessCollection": {
        "encryption": ("encryption_configs",),
    },
    "aws:opensearchingest/pipeline:Pipeline": {
        "encryption": ("encryption_at_rest_options",),
    },
    "aws:pinpoint/eventStream:EventStream": {
        "cross-region": ("destination_stream_arn",),
    },
    "aws:pinpoint/smsvoicev2EventDestination:Smsvoicev2EventDestination": {
        "cross-region": ("sns_destination",),
    },
    "aws:pipes/pipe:Pipe": {
        "encryption": ("kms_key_identifier",),
    },
    "aws:qbusiness/application:Application": {
        "encryption": ("encryption_configuration",),
    },
    "aws:qldb/ledger:Ledger": {
        "encryption": ("kms_key",),
    },
    "aws:rds/cluster:Cluster": {
        "encryption": (
            "kms_key_id",
            "master_user_secret_kms_key_id",
            "performance_insights_kms_key_id",
            "storage_encrypted",
        ),
        "cross-region": (
            "global_cluster_identifier",
            "replication_source_identifier",
            "source_region",
        ),
        "public": ("publicly_accessible",),
    },
    "aws:rds/clusterActivityStream:ClusterActivityStream": {
        "encryption": ("kms_key_id",),
    },
    "aws:rds/clusterInstance:ClusterInstance": {
        "encryption": ("performance_insights_kms_key_id",),
        "public": ("publicly_accessible",),
    },
    "aws:rds/clusterSnapshotCopy:ClusterSnapshotCopy": {
        "encryption": ("kms_key_id",),
        "cross-region": ("destination_region",),
    },
    "aws:rds/customDbEngineVersion:CustomDbEngineVersion": {
        "encryption": ("kms_key_id",),
    },
    "aws:rds/exportTask:ExportTask": {
        "encryption": ("kms_key_id",),
    },
    "aws:rds/globalCluster:GlobalCluster": {
        "encryption": ("storage_encrypted",),
        "cross-region": ("global_cluster_identifier",),
    },
    "aws:rds/instance:Instance": {
        "encryption": (
            "kms_key_id",
            "master_user_secret_kms_key_id",
            "performance_insights_kms_key_id",
            "storage_encrypted",
        ),
        "cross-region": ("replicate_source_db",),
        "public": ("publicly_accessible",),
    },
    "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication": {
        "encryption": ("kms_key_id",),
    },
    "aws:rds/integration:Integration": {
        "encryption": ("kms_key_id",),
    },
    "aws:rds/shardGroup:ShardGroup": {
        "public": ("publicly_accessible",),
    },
    "aws:rds/snapshotCopy:SnapshotCopy": {
        "encryption": ("kms_key_id",),
        "cross-region": ("destination_region",),
    },
    "aws:redshift/cluster:Cluster": {
        "encryption": (
            "encrypted",
            "kms_key_id",
            "master_password_secret_kms_key_id",
        ),
        "public": ("publicly_accessible",),
    },
    "aws:redshift/dataShareConsumerAssociation:DataShareConsumerAssociation": {
        "cross-region": ("consumer_region",),
    },
    "aws:redshift/integration:Integration": {
        "encryption": ("kms_key_id",),
    },
    "aws:redshift/snapshotCopy:SnapshotCopy": {
        "cross-region": ("destination_region",),
    },
    "aws:redshift/snapshotCopyGrant:SnapshotCopyGrant": {
        "encryption": ("kms_key_id",),
    },
    "aws:redshiftserverless/namespace:Namespace": {
        "encryption": (
            "admin_password_secret_kms_key_id",
            "kms_key_id",
        ),
    },
    "aws:redshiftserverless/workgroup:Workgroup": {
        "public": ("publicly_accessible",),
    },
    "aws:rekognition/streamProcessor:StreamProcessor": {
        "encryption": ("kms_key_id",),
    },
    "aws:resiliencehub/v2Policy:V2Policy": {
        "encryption": ("kms_key_id",),
        "cross-region": ("multi_region",),
    },
    "aws:resiliencehub/v2Service:V2Service": {
        "encryption": ("kms_key_id",),
    },
    "aws:resiliencehub/v2System:V2System": {
        "encryption": ("kms_key_id",),
    },
    "aws:route53/cidrLocation:CidrLocation": {
        "public": ("cidr_blocks",),
    },
    "aws:route53/resolverQueryLogConfig:ResolverQueryLogConfig": {
        "cross-region": ("destination_arn",),
    },
    "aws:rum/metricsDestination:MetricsDestination": {
        "cross-region": (
            "destination",
            "destination_arn",
        ),
    },
    "aws:s3/accessPoint:AccessPoint": {
        "public": ("public_access_block_configuration",),
    },
    "aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock": {
        "public": (
            "block_public_acls",
            "block_public_policy",
            "ignore_public_acls",
            "restrict_public_buckets",
        ),
    },
    "aws:s3/bucket:Bucket": {
        "encryption": ("server_side_encryption_configuration",),
        "cross-region": ("replication_configuration",),
        "public": ("acl",),
    },
    "aws:s3/bucketAcl:BucketAcl": {
        "public": ("acl",),
    },
    "aws:s3/bucketAclV2:BucketAclV2": {
        "public": ("acl",),
    },
    "aws:s3/bucketObject:BucketObject": {
        "encryption": (
            "kms_key_id",
            "server_side_encryption",
        ),
        "public": ("acl",),
    },
    "aws:s3/bucketObjectv2:BucketObjectv2": {
        "encryption": (
            "kms_key_id",
            "server_side_encryption",
        ),
        "public": ("acl",),
    },
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": {
        "public": (
            "block_public_acls",
            "block_public_policy",
            "ignore_public_acls",
            "restrict_public_buckets",
        ),
    },
    "aws:s3/bucketV2:BucketV2": {
        "encryption": ("server_side_encryption_configurations",),
        "cross-region": ("replication_configurations",),
        "public": ("acl",),
    },
    "aws:s3/filesFileSystem:FilesFileSystem": {
        "encryption": ("kms_key_id",),
    },
    "aws:s3/inventory:Inventory": {
        "cross-region": ("destination",),
    },
    "aws:s3/objectCopy:ObjectCopy": {
        "encryption": (
            "kms_key_id",
            "server_side_encryption",
        ),
        "public": ("acl",),
    },
    "aws:s3/vectorsIndex:VectorsIndex": {
        "encryption": ("encryption_configurations",),
    },
    "aws:s3/vectorsVectorBucket:VectorsVectorBucket": {
        "encryption": ("encryption_configurations",),
    },
    "aws:s3tables/table:Table": {
        "encryption": ("encryption_configuration",),
    },
    "aws:s3tables/tableBucket:TableBucket": {
        "encryption": ("encryption_configuration",),
    },
    "aws:sagemaker/domain:Domain": {
        "encryption": ("kms_key_id",),
    },
    "aws:sagemaker/endpointConfiguration:EndpointConfiguration": {
        "encryption": ("kms_key_arn",),
    },
    "aws:sagemaker/notebookInstance:NotebookInstance": {
        "encryption": ("kms_key_id",),
    },
    "aws:sagemaker/workforce:Workforce": {
        "public": ("source_ip_config",),
    },
    "aws:scheduler/schedule:Schedule": {
        "encryption": ("kms_key_arn",),
    },
    "aws:secretsmanager/secret:Secret": {
        "encryption": ("kms_key_id",),
        "cross-region": ("replicas",),
    },
    "aws:secretsmanager/secretPolicy:SecretPolicy": {
        "public": ("block_public_policy",),
    },
    "aws:securityhub/connectorV2:ConnectorV2": {
        "encryption": ("kms_key_arn",),
    },
    "aws:ses/eventDestination:EventDestination": {
        "cross-region": (
            "kinesis_destination",
            "sns_destination",
        ),
    },
    "aws:sesv2/configurationSetEventDestination:ConfigurationSetEventDestination": {
        "cross-region": ("event_destination",),
    },
    "aws:sfn/activity:Activity": {
        "encryption": ("encryption_configuration",),
    },
    "aws:sfn/stateMachine:StateMachine": {
        "encryption": ("encryption_configuration",),
    },
    "aws:signer/signingJob:SigningJob": {
        "cross-region": ("destination",),
    },
    "aws:sns/topic:Topic": {
        "encryption": ("kms_master_key_id",),
    },
    "aws:sqs/queue:Queue": {
        "encryption": ("kms_master_key_id",),
    },
    "aws:ssm/resourceDataSync:ResourceDataSync": {
        "cross-region": ("s3_destination",),
    },
    "aws:storagegateway/cachesIscsiVolume:CachesIscsiVolume": {
        "encryption": (
            "kms_encrypted",
            "kms_key",
        ),
    },
    "aws:storagegateway/fileSystemAssociation:FileSystemAssociation": {
        "cross-region": ("audit_destination_arn",),
    },
    "aws:storagegateway/nfsFileShare:NfsFileShare": {
        "encryption": (
            "kms_encrypted",
            "kms_key_arn",
        ),
        "cross-region": (
            "audit_destination_arn",
            "bucket_region",
        ),
    },
    "aws:storagegateway/smbFileShare:SmbFileShare": {
        "encryption": (
            "kms_encrypted",
            "kms_key_arn",
        ),
        "cross-region": (
            "audit_destination_arn",
            "bucket_region",
        ),
    },
    "aws:storagegateway/storedIscsiVolume:StoredIscsiVolume": {
        "encryption": (
            "kms_encrypted",
            "kms_key",
        ),
    },
    "aws:synthetics/canary:Canary": {
        "encryption": ("kms_key_arn",),
    },
    "aws:timestreaminfluxdb/dbCluster:DbCluster": {
        "public": ("publicly_accessible",),
    },
    "aws:timestreaminfluxdb/dbInstance:DbInstance": {
        "public": ("publicly_accessible",),
    },
    "aws:timestreamquery/scheduledQuery:ScheduledQuery": {
        "encryption": ("kms_key_id",),
    },
    "aws:timestreamwrite/database:Database": {
        "encryption": ("kms_key_id",),
    },
    "aws:verifiedaccess/endpoint:Endpoint": {
        "encryption": ("sse_specification",),
    },
    "aws:verifiedaccess/group:Group": {
        "encryption": ("sse_configuration",),
    },
    "aws:verifiedaccess/trustProvider:TrustProvider": {
        "encryption": ("sse_specification",),
    },
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": {
        "public": (
            "cidr_ipv4",
            "cidr_ipv6",
        ),
    },
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": {
        "public": (
            "cidr_ipv4",
            "cidr_ipv6",
        ),
    },
    "aws:vpclattice/accessLogSubscription:AccessLogSubscription": {
        "cross-region": ("destination_arn",),
    },
    "aws:workmail/organization:Organization": {
        "encryption": ("kms_key_arn",),
    },
    "aws:workspaces/workspace:Workspace": {
        "encryption": ("volume_encryption_key",),
    },
    "aws:xray/traceSegmentDestination:TraceSegmentDestination": {
        "cross-region": ("destination",),
    },
}
