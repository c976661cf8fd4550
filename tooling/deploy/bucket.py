"""The stage's bucket of file fields (chalicelib/files) as CloudFormation, in the merged template
when the schema has a File field: private (public access blocked, objects owned by the bucket's
account, encrypted at rest), orphan uploads expiring, and posts and downloads from the pages the
stage's CORS allows."""

from __future__ import annotations

from typing import Any

from chalicelib.files.layout import ORPHAN_DAYS, PUBLIC_ACCESS_BLOCK, UPLOADS

BUCKET = "FilesBucket"


def bucket(name: str, origins: list[str], *, protect: bool) -> dict[str, Any]:
    policy = "Retain" if protect else "Delete"
    return {
        "Type": "AWS::S3::Bucket",
        "DeletionPolicy": policy,
        "UpdateReplacePolicy": policy,
        "Properties": {
            "BucketName": name,
            "PublicAccessBlockConfiguration": PUBLIC_ACCESS_BLOCK,
            "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
            "BucketEncryption": {
                "ServerSideEncryptionConfiguration": [{"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
            },
            "LifecycleConfiguration": {
                "Rules": [
                    {
                        "Id": "orphan-uploads",
                        "Status": "Enabled",
                        "Prefix": UPLOADS,
                        "ExpirationInDays": ORPHAN_DAYS,
                        "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": ORPHAN_DAYS},
                    }
                ]
            },
            "CorsConfiguration": {
                "CorsRules": [
                    {
                        "AllowedMethods": ["GET", "POST"],
                        "AllowedOrigins": origins,
                        "AllowedHeaders": ["*"],
                        "MaxAge": 3600,
                    }
                ]
            },
        },
    }
