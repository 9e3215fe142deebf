"""AWS's service-linked roles: the role name each service gets, the AWS managed policies attached
to it, and whether it takes a CustomSuffix.

The table is from LocalStack's IAM provider (localstack/services/iam/resources/
service_linked_roles.py, Copyright (c) 2017+ LocalStack contributors, Apache License 2.0),
which records what AWS creates for each service.
"""

from __future__ import annotations

#: AWSServiceName → (role name, attached AWS managed policy ARNs, custom suffix allowed).
SERVICE_LINKED_ROLES: dict[str, tuple[str, tuple[str, ...], bool]] = {
    "accountdiscovery.ssm.amazonaws.com": (
        "AWSServiceRoleForAmazonSSM_AccountDiscovery",
        (
            "arn:aws:iam::aws:policy/aws-service-role/AWSSystemsManagerAccountDiscoveryServicePolicy",
        ),
        False,
    ),
    "acm.amazonaws.com": (
        "AWSServiceRoleForCertificateManager",
        ("arn:aws:iam::aws:policy/aws-service-role/CertificateManagerServiceRolePolicy",),
        False,
    ),
    "appmesh.amazonaws.com": (
        "AWSServiceRoleForAppMesh",
        ("arn:aws:iam::aws:policy/aws-service-role/AWSAppMeshServiceRolePolicy",),
        False,
    ),
    "autoscaling-plans.amazonaws.com": (
        "AWSServiceRoleForAutoScalingPlans_EC2AutoScaling",
        ("arn:aws:iam::aws:policy/aws-service-role/AWSAutoScalingPlansEC2AutoScalingPolicy",),
        False,
    ),
    "autoscaling.amazonaws.com": (
        "AWSServiceRoleForAutoScaling",
        ("arn:aws:iam::aws:policy/aws-service-role/AutoScalingServiceRolePolicy",),
        True,
    ),
    "backup.amazonaws.com": (
        "AWSServiceRoleForBackup",
        ("arn:aws:iam::aws:policy/aws-service-role/AWSBackupServiceLinkedRolePolicyForBackup",),
        False,
    ),
    "batch.amazonaws.com": (
        "AWSServiceRoleForBatch",
        ("arn:aws:iam::aws:policy/aws-service-role/BatchServiceRolePolicy",),
        False,
    ),
    "cassandra.application-autoscaling.amazonaws.com": (
        "AWSServiceRoleForApplicationAutoScaling_CassandraTable",
        ("arn:aws:iam::aws:policy/aws-service-role/AWSApplicationAutoscalingCassandraTablePolicy",),
        False,
    ),
    "cks.kms.amazonaws.com": (
        "AWSServiceRoleForKeyManagementServiceCustomKeyStores",
        (
            "arn:aws:iam::aws:policy/aws-service-role/AWSKeyManagementServiceCustomKeyStoresServiceRolePolicy",
        ),
        False,
    ),
    "cloudtrail.amazonaws.com": (
        "AWSServiceRoleForCloudTrail",
        ("arn:aws:iam::aws:policy/aws-service-role/CloudTrailServiceRolePolicy",),
        False,
    ),
    "codestar-notifications.amazonaws.com": (
        "AWSServiceRoleForCodeStarNotifications",
        ("arn:aws:iam::aws:policy/aws-service-role/AWSCodeStarNotificationsServiceRolePolicy",),
        False,
    ),
    "config.amazonaws.com": (
        "AWSServiceRoleForConfig",
        ("arn:aws:iam::aws:policy/aws-service-role/AWSConfigServiceRolePolicy",),
        False,
    ),
    "connect.amazonaws.com": (
        "AWSServiceRoleForAmazonConnect",
        ("arn:aws:iam::aws:policy/aws-service-role/AmazonConnectServiceLinkedRolePolicy",),
        True,
    ),
    "dms-fleet-advisor.amazonaws.com": (
        "AWSServiceRoleForDMSFleetAdvisor",
        ("arn:aws:iam::aws:policy/aws-service-role/AWSDMSFleetAdvisorServiceRolePolicy",),
        False,
    ),
    "dms.amazonaws.com": (
        "AWSServiceRoleForDMSServerless",
        ("arn:aws:iam::aws:policy/aws-service-role/AWSDMSServerlessServiceRolePolicy",),
        False,
    ),
    "docdb-elastic.amazonaws.com": (
        "AWSServiceRoleForDocDB-Elastic",
        ("arn:aws:iam::aws:policy/aws-service-role/AmazonDocDB-ElasticServiceRolePolicy",),
        False,
    ),
    "ec2-instance-connect.amazonaws.com": (
        "AWSServiceRoleForEc2InstanceConnect",
        ("arn:aws:iam::aws:policy/aws-service-role/Ec2InstanceConnectEndpoint",),
        False,
    ),
    "ec2.application-autoscaling.amazonaws.com": (
        "AWSServiceRoleForApplicationAutoScaling_EC2SpotFleetRequest",
        (
            "arn:aws:iam::aws:policy/aws-service-role/AWSApplicationAutoscalingEC2SpotFleetRequestPolicy",
        ),
        False,
    ),
    "ecr.amazonaws.com": (
        "AWSServiceRoleForECRTemplate",
        ("arn:aws:iam::aws:policy/aws-service-role/ECRTemplateServiceRolePolicy",),
        False,
    ),
    "ecs.amazonaws.com": (
        "AWSServiceRoleForECS",
        ("arn:aws:iam::aws:policy/aws-service-role/AmazonECSServiceRolePolicy",),
        False,
    ),
    "eks-connector.amazonaws.com": (
        "AWSServiceRoleForAmazonEKSConnector",
        ("arn:aws:iam::aws:policy/aws-service-role/AmazonEKSConnectorServiceRolePolicy",),
        False,
    ),
    "eks-fargate.amazonaws.com": (
        "AWSServiceRoleForAmazonEKSForFargate",
        ("arn:aws:iam::aws:policy/aws-service-role/AmazonEKSForFargateServiceRolePolicy",),
        False,
    ),
    "eks-nodegroup.amazonaws.com": (
        "AWSServiceRoleForAmazonEKSNodegroup",
        ("arn:aws:iam::aws:policy/aws-service-role/AWSServiceRoleForAmazonEKSNodegroup",),
        False,
    ),
    "eks.amazonaws.com": (
        "AWSServiceRoleForAmazonEKS",
        ("arn:aws:iam::aws:policy/aws-service-role/AmazonEKSServiceRolePolicy",),
        False,
    ),
    "elasticache.amazonaws.com": (
        "AWSServiceRoleForElastiCache",
        ("arn:aws:iam::aws:policy/aws-service-role/ElastiCacheServiceRolePolicy",),
        False,
    ),
    "elasticbeanstalk.amazonaws.com": (
        "AWSServiceRoleForElasticBeanstalk",
        ("arn:aws:iam::aws:policy/aws-service-role/AWSElasticBeanstalkServiceRolePolicy",),
        False,
    ),
    "elasticfilesystem.amazonaws.com": (
        "AWSServiceRoleForAmazonElasticFileSystem",
        ("arn:aws:iam::aws:policy/aws-service-role/AmazonElasticFileSystemServiceRolePolicy",),
        False,
    ),
    "elasticloadbalancing.amazonaws.com": (
        "AWSServiceRoleForElasticLoadBalancing",
        ("arn:aws:iam::aws:policy/aws-service-role/AWSElasticLoadBalancingServiceRolePolicy",),
        False,
    ),
    "email.cognito-idp.amazonaws.com": (
        "AWSServiceRoleForAmazonCognitoIdpEmailService",
        ("arn:aws:iam::aws:policy/aws-service-role/AmazonCognitoIdpEmailServiceRolePolicy",),
        False,
    ),
    "emr-containers.amazonaws.com": (
        "AWSServiceRoleForAmazonEMRContainers",
        ("arn:aws:iam::aws:policy/aws-service-role/AmazonEMRContainersServiceRolePolicy",),
        False,
    ),
    "emrwal.amazonaws.com": (
        "AWSServiceRoleForEMRWAL",
        ("arn:aws:iam::aws:policy/aws-service-role/EMRDescribeClusterPolicyForEMRWAL",),
        False,
    ),
    "fis.amazonaws.com": (
        "AWSServiceRoleForFIS",
        ("arn:aws:iam::aws:policy/aws-service-role/AmazonFISServiceRolePolicy",),
        False,
    ),
    "grafana.amazonaws.com": (
        "AWSServiceRoleForAmazonGrafana",
        ("arn:aws:iam::aws:policy/aws-service-role/AmazonGrafanaServiceLinkedRolePolicy",),
        False,
    ),
    "imagebuilder.amazonaws.com": (
        "AWSServiceRoleForImageBuilder",
        ("arn:aws:iam::aws:policy/aws-service-role/AWSServiceRoleForImageBuilder",),
        False,
    ),
    "iotmanagedintegrations.amazonaws.com": (
        "AWSServiceRoleForIoTManagedIntegrations",
        ("arn:aws:iam::aws:policy/aws-service-role/AWSIoTManagedIntegrationsRolePolicy",),
        False,
    ),
    "kafka.amazonaws.com": (
        "AWSServiceRoleForKafka",
        ("arn:aws:iam::aws:policy/aws-service-role/KafkaServiceRolePolicy",),
        False,
    ),
    "kafkaconnect.amazonaws.com": (
        "AWSServiceRoleForKafkaConnect",
        ("arn:aws:iam::aws:policy/aws-service-role/KafkaConnectServiceRolePolicy",),
        False,
    ),
    "lakeformation.amazonaws.com": (
        "AWSServiceRoleForLakeFormationDataAccess",
        ("arn:aws:iam::aws:policy/aws-service-role/LakeFormationDataAccessServiceRolePolicy",),
        False,
    ),
    "lex.amazonaws.com": (
        "AWSServiceRoleForLexBots",
        ("arn:aws:iam::aws:policy/aws-service-role/AmazonLexBotPolicy",),
        False,
    ),
    "lexv2.amazonaws.com": (
        "AWSServiceRoleForLexV2Bots",
        ("arn:aws:iam::aws:policy/aws-service-role/AmazonLexV2BotPolicy",),
        True,
    ),
    "lightsail.amazonaws.com": (
        "AWSServiceRoleForLightsail",
        ("arn:aws:iam::aws:policy/aws-service-role/LightsailExportAccess",),
        False,
    ),
    "m2.amazonaws.com": (
        "AWSServiceRoleForAWSM2",
        ("arn:aws:iam::aws:policy/aws-service-role/AWSM2ServicePolicy",),
        False,
    ),
    "memorydb.amazonaws.com": (
        "AWSServiceRoleForMemoryDB",
        ("arn:aws:iam::aws:policy/aws-service-role/MemoryDBServiceRolePolicy",),
        False,
    ),
    "mq.amazonaws.com": (
        "AWSServiceRoleForAmazonMQ",
        ("arn:aws:iam::aws:policy/aws-service-role/AmazonMQServiceRolePolicy",),
        False,
    ),
    "mrk.kms.amazonaws.com": (
        "AWSServiceRoleForKeyManagementServiceMultiRegionKeys",
        (
            "arn:aws:iam::aws:policy/aws-service-role/AWSKeyManagementServiceMultiRegionKeysServiceRolePolicy",
        ),
        False,
    ),
    "notifications.amazonaws.com": (
        "AWSServiceRoleForAwsUserNotifications",
        ("arn:aws:iam::aws:policy/aws-service-role/AWSUserNotificationsServiceLinkedRolePolicy",),
        False,
    ),
    "observability.aoss.amazonaws.com": (
        "AWSServiceRoleForAmazonOpenSearchServerless",
        ("arn:aws:iam::aws:policy/aws-service-role/AmazonOpenSearchServerlessServiceRolePolicy",),
        False,
    ),
    "opensearchservice.amazonaws.com": (
        "AWSServiceRoleForAmazonOpenSearchService",
        ("arn:aws:iam::aws:policy/aws-service-role/AmazonOpenSearchServiceRolePolicy",),
        False,
    ),
    "ops.apigateway.amazonaws.com": (
        "AWSServiceRoleForAPIGateway",
        ("arn:aws:iam::aws:policy/aws-service-role/APIGatewayServiceRolePolicy",),
        False,
    ),
    "ops.emr-serverless.amazonaws.com": (
        "AWSServiceRoleForAmazonEMRServerless",
        ("arn:aws:iam::aws:policy/aws-service-role/AmazonEMRServerlessServiceRolePolicy",),
        False,
    ),
    "opsdatasync.ssm.amazonaws.com": (
        "AWSServiceRoleForSystemsManagerOpsDataSync",
        ("arn:aws:iam::aws:policy/aws-service-role/AWSSystemsManagerOpsDataSyncServiceRolePolicy",),
        False,
    ),
    "opsinsights.ssm.amazonaws.com": (
        "AWSServiceRoleForAmazonSSM_OpsInsights",
        ("arn:aws:iam::aws:policy/aws-service-role/AWSSSMOpsInsightsServiceRolePolicy",),
        False,
    ),
    "pullthroughcache.ecr.amazonaws.com": (
        "AWSServiceRoleForECRPullThroughCache",
        ("arn:aws:iam::aws:policy/aws-service-role/AWSECRPullThroughCache_ServiceRolePolicy",),
        False,
    ),
    "ram.amazonaws.com": (
        "AWSServiceRoleForResourceAccessManager",
        ("arn:aws:iam::aws:policy/aws-service-role/AWSResourceAccessManagerServiceRolePolicy",),
        False,
    ),
    "rds.amazonaws.com": (
        "AWSServiceRoleForRDS",
        ("arn:aws:iam::aws:policy/aws-service-role/AmazonRDSServiceRolePolicy",),
        False,
    ),
    "redshift.amazonaws.com": (
        "AWSServiceRoleForRedshift",
        ("arn:aws:iam::aws:policy/aws-service-role/AmazonRedshiftServiceLinkedRolePolicy",),
        False,
    ),
    "replication.cassandra.amazonaws.com": (
        "AWSServiceRoleForKeyspacesReplication",
        ("arn:aws:iam::aws:policy/aws-service-role/KeyspacesReplicationServiceRolePolicy",),
        False,
    ),
    "replication.ecr.amazonaws.com": (
        "AWSServiceRoleForECRReplication",
        ("arn:aws:iam::aws:policy/aws-service-role/ECRReplicationServiceRolePolicy",),
        False,
    ),
    "repository.sync.codeconnections.amazonaws.com": (
        "AWSServiceRoleForGitSync",
        ("arn:aws:iam::aws:policy/aws-service-role/AWSGitSyncServiceRolePolicy",),
        False,
    ),
    "resource-explorer-2.amazonaws.com": (
        "AWSServiceRoleForResourceExplorer",
        ("arn:aws:iam::aws:policy/aws-service-role/AWSResourceExplorerServiceRolePolicy",),
        False,
    ),
    "rolesanywhere.amazonaws.com": (
        "AWSServiceRoleForRolesAnywhere",
        ("arn:aws:iam::aws:policy/aws-service-role/AWSRolesAnywhereServicePolicy",),
        False,
    ),
    "s3-outposts.amazonaws.com": (
        "AWSServiceRoleForS3OnOutposts",
        ("arn:aws:iam::aws:policy/aws-service-role/AWSS3OnOutpostsServiceRolePolicy",),
        False,
    ),
    "ses.amazonaws.com": (
        "AWSServiceRoleForAmazonSES",
        ("arn:aws:iam::aws:policy/aws-service-role/AmazonSESServiceRolePolicy",),
        False,
    ),
    "shield.amazonaws.com": (
        "AWSServiceRoleForAWSShield",
        ("arn:aws:iam::aws:policy/aws-service-role/AWSShieldServiceRolePolicy",),
        False,
    ),
    "ssm-incidents.amazonaws.com": (
        "AWSServiceRoleForIncidentManager",
        ("arn:aws:iam::aws:policy/aws-service-role/AWSIncidentManagerServiceRolePolicy",),
        False,
    ),
    "ssm-quicksetup.amazonaws.com": (
        "AWSServiceRoleForSSMQuickSetup",
        ("arn:aws:iam::aws:policy/aws-service-role/SSMQuickSetupRolePolicy",),
        False,
    ),
    "ssm.amazonaws.com": (
        "AWSServiceRoleForAmazonSSM",
        ("arn:aws:iam::aws:policy/aws-service-role/AmazonSSMServiceRolePolicy",),
        False,
    ),
    "sso.amazonaws.com": (
        "AWSServiceRoleForSSO",
        ("arn:aws:iam::aws:policy/aws-service-role/AWSSSOServiceRolePolicy",),
        False,
    ),
    "vpcorigin.cloudfront.amazonaws.com": (
        "AWSServiceRoleForCloudFrontVPCOrigin",
        ("arn:aws:iam::aws:policy/aws-service-role/AWSCloudFrontVPCOriginServiceRolePolicy",),
        False,
    ),
    "waf.amazonaws.com": (
        "AWSServiceRoleForWAFLogging",
        ("arn:aws:iam::aws:policy/aws-service-role/WAFLoggingServiceRolePolicy",),
        False,
    ),
    "wafv2.amazonaws.com": (
        "AWSServiceRoleForWAFV2Logging",
        ("arn:aws:iam::aws:policy/aws-service-role/WAFV2LoggingServiceRolePolicy",),
        False,
    ),
}
