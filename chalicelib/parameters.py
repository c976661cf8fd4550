"""SSM parameters: where deployed stages keep their secrets, as SecureStrings."""

from __future__ import annotations


def read_parameter(name: str, region: str) -> str:
    """The decrypted value of the parameter `name`."""
    # Imported here: only a deployed stage reads parameters, and only once per container.
    import botocore.session

    client = botocore.session.get_session().create_client("ssm", region_name=region)
    value: str = client.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"]
    return value
