"""Versioning and object lock driven by boto3 through one endpoint. Prints one JSON result.

argv: endpoint, key id, secret (a key without bypass permission), bypass key id, bypass secret, bucket prefix.
"""
import json
import sys
from datetime import datetime, timedelta, timezone

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

endpoint, key_id, secret, bypass_id, bypass_secret, prefix = sys.argv[1:7]


def client(kid, sec):
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=kid,
        aws_secret_access_key=sec,
        region_name="us-east-1",
        config=Config(s3={"addressing_style": "path"}, signature_version="s3v4", retries={"max_attempts": 1}),
    )


s3 = client(key_id, secret)
admin = client(bypass_id, bypass_secret)
result = {}


def error_of(call):
    try:
        call()
        return None
    except ClientError as e:
        return e.response["Error"]["Code"]


locked = f"{prefix}-locked"
plain = f"{prefix}-plain"
s3.create_bucket(Bucket=locked, ObjectLockEnabledForBucket=True)
s3.create_bucket(Bucket=plain)
result["versioning"] = s3.get_bucket_versioning(Bucket=locked).get("Status")
result["lock_config"] = s3.get_object_lock_configuration(Bucket=locked)["ObjectLockConfiguration"]
result["suspend"] = error_of(lambda: s3.put_bucket_versioning(Bucket=locked, VersioningConfiguration={"Status": "Suspended"}))

v1 = s3.put_object(Bucket=locked, Key="doc.txt", Body=b"first")["VersionId"]
v2 = s3.put_object(Bucket=locked, Key="doc.txt", Body=b"second")["VersionId"]
result["versions_distinct"] = v1 != v2
result["v1_body"] = s3.get_object(Bucket=locked, Key="doc.txt", VersionId=v1)["Body"].read().decode()
listed = s3.list_object_versions(Bucket=locked)
result["listed"] = [[v["VersionId"] == v2, v["IsLatest"]] for v in listed.get("Versions", [])]

until = datetime.now(timezone.utc) + timedelta(days=1)
s3.put_object_retention(Bucket=locked, Key="doc.txt", VersionId=v1, Retention={"Mode": "GOVERNANCE", "RetainUntilDate": until})
result["retention_mode"] = s3.get_object_retention(Bucket=locked, Key="doc.txt", VersionId=v1)["Retention"]["Mode"]
result["delete_governed"] = error_of(lambda: s3.delete_object(Bucket=locked, Key="doc.txt", VersionId=v1))
result["bypass_without_permission"] = error_of(lambda: s3.delete_object(Bucket=locked, Key="doc.txt", VersionId=v1, BypassGovernanceRetention=True))
result["bypass_with_permission"] = error_of(lambda: admin.delete_object(Bucket=locked, Key="doc.txt", VersionId=v1, BypassGovernanceRetention=True))

c = s3.put_object(Bucket=locked, Key="evidence.bin", Body=b"proof", ObjectLockMode="COMPLIANCE", ObjectLockRetainUntilDate=until, ObjectLockLegalHoldStatus="OFF")["VersionId"]
head = s3.head_object(Bucket=locked, Key="evidence.bin", VersionId=c)
result["head_lock"] = [head.get("ObjectLockMode"), head.get("ObjectLockLegalHoldStatus")]
result["downgrade"] = error_of(lambda: admin.put_object_retention(Bucket=locked, Key="evidence.bin", VersionId=c, BypassGovernanceRetention=True, Retention={"Mode": "GOVERNANCE", "RetainUntilDate": until}))
result["delete_compliance"] = error_of(lambda: admin.delete_object(Bucket=locked, Key="evidence.bin", VersionId=c, BypassGovernanceRetention=True))
marker = s3.delete_object(Bucket=locked, Key="evidence.bin")
result["marker"] = marker.get("DeleteMarker")
result["get_after_marker"] = error_of(lambda: s3.get_object(Bucket=locked, Key="evidence.bin"))
result["old_version_still_readable"] = s3.get_object(Bucket=locked, Key="evidence.bin", VersionId=c)["Body"].read().decode()

s3.put_object(Bucket=plain, Key="k", Body=b"x")
result["hold_on_plain"] = error_of(lambda: s3.put_object_legal_hold(Bucket=plain, Key="k", LegalHold={"Status": "ON"}))
result["lock_headers_on_plain"] = error_of(lambda: s3.put_object(Bucket=plain, Key="k2", Body=b"x", ObjectLockMode="GOVERNANCE", ObjectLockRetainUntilDate=until))
result["no_such_version"] = error_of(lambda: s3.get_object(Bucket=locked, Key="doc.txt", VersionId="A" * 32))
print(json.dumps(result))
