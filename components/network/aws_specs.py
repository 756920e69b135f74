"""Pure pieces of the AWS side: the ARN partition of a region, the statement every KMS key policy of
the stack starts with, and AwsNetwork's IAM documents.

No Pulumi types here, so each document can be tested as plain JSON.
"""

from __future__ import annotations

import json
from typing import Any


def partition_of(region: str) -> str:
    """The ARN partition a region belongs to."""
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def key_administration_statement(account_id: str, partition: str) -> dict[str, Any]:
    """The account administers the key, and grants its use, through IAM. Without it nobody could
    manage the key; with it, no other principal needs naming unless a service uses the key itself."""
    return {
        "Sid": "AccountAdministers",
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:{partition}:iam::{account_id}:root"},
        "Action": "kms:*",
        "Resource": "*",
    }


def logs_key_policy(account_id: str, region: str) -> str:
    """The account administers the key; CloudWatch Logs may use it only for this account's log groups."""
    partition = partition_of(region)
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                key_administration_statement(account_id, partition),
                {
                    "Sid": "CloudWatchLogsUse",
                    "Effect": "Allow",
                    "Principal": {"Service": f"logs.{region}.amazonaws.com"},
                    "Action": [
                        "kms:Encrypt*",
                        "kms:Decrypt*",
                        "kms:ReEncrypt*",
                        "kms:GenerateDataKey*",
                        "kms:Describe*",
                    ],
                    "Resource": "*",
                    "Condition": {
                        "ArnLike": {
                            "kms:EncryptionContext:aws:logs:arn": (
                                f"arn:{partition}:logs:{region}:{account_id}:log-group:*"
                            )
                        }
                    },
                },
            ],
        }
    )


def flow_logs_trust_policy() -> str:
    """Trust for VPC Flow Logs, which assumes the role to write into the log group."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "vpc-flow-logs.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
    )


def flow_log_write_policy(log_group_arn: str) -> str:
    """Write access to the flow log group and its streams, nothing else."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                    "Resource": [log_group_arn, f"{log_group_arn}:*"],
                }
            ],
        }
    )
