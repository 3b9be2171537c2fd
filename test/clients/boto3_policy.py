"""Bucket policy through the global endpoint with boto3: each step's outcome as JSON.

argv: endpoint key_id secret bucket policy_json [spoofed X-Forwarded-For]
"""
import json
import sys

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

endpoint, key_id, secret, bucket, policy = sys.argv[1:6]
spoof = sys.argv[6] if len(sys.argv) > 6 else None
s3 = boto3.client("s3", endpoint_url=endpoint, aws_access_key_id=key_id, aws_secret_access_key=secret,
                  region_name="us-east-1", config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}))
if spoof:
    # Added after signing, as a proxy in front of the client could: the router appends the peer it saw.
    s3.meta.events.register("before-send.s3.GetObject", lambda request, **_: request.headers.__setitem__("X-Forwarded-For", spoof))


def outcome(call):
    try:
        result = call()
        return {"ok": True, "value": result}
    except ClientError as e:
        return {"ok": False, "code": e.response["Error"]["Code"], "status": e.response["ResponseMetadata"]["HTTPStatusCode"]}


out = {}
out["put_policy"] = outcome(lambda: s3.put_bucket_policy(Bucket=bucket, Policy=policy)["ResponseMetadata"]["HTTPStatusCode"])
out["get_policy"] = outcome(lambda: json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"]))
out["status"] = outcome(lambda: s3.get_bucket_policy_status(Bucket=bucket)["PolicyStatus"]["IsPublic"])
out["get_object"] = outcome(lambda: s3.get_object(Bucket=bucket, Key="doc.txt")["Body"].read().decode())
out["acl"] = outcome(lambda: [g["Permission"] for g in s3.get_bucket_acl(Bucket=bucket)["Grants"]])
out["public_acl"] = outcome(lambda: s3.put_bucket_acl(Bucket=bucket, ACL="public-read"))
print(json.dumps(out))
