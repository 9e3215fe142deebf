"""AWS Secrets Manager (boto3 name "secretsmanager")."""

from .service import SecretsManagerService as SERVICE

__all__ = ["SERVICE"]
