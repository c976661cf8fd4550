"""The file fields' bucket on the embedded moto (S3 on the same endpoint as DynamoDB), made as the
stage's template makes it (tooling/deploy/bucket.py): private, orphan uploads expiring."""

from __future__ import annotations

from botocore.exceptions import ClientError

from chalicelib.files.layout import PUBLIC_ACCESS_BLOCK, lifecycle_rules
from chalicelib.files.objects import Objects


def create_bucket(objects: Objects) -> None:
    """Create the bucket if it is not there yet, and set its access block and lifecycle rules."""
    client, name = objects.client, objects.bucket
    region = client.meta.region_name
    located = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
    try:
        client.create_bucket(Bucket=name, **located)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
            raise
    client.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=PUBLIC_ACCESS_BLOCK)
    client.put_bucket_lifecycle_configuration(Bucket=name, LifecycleConfiguration={"Rules": lifecycle_rules()})
