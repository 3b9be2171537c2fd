"""SSE-C and SSE-KMS put/get/head driven by boto3, with the refusals a client must see.

Usage: boto3_sse.py ENDPOINT KEY_ID SECRET BUCKET KMS_KEY_ID
Prints one JSON object: what each call answered (headers, bodies, error codes).
"""
import json
import os
import sys

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

endpoint, key_id, secret, bucket, kms_key_id = sys.argv[1:6]
s3 = boto3.client(
    "s3",
    endpoint_url=endpoint,
    aws_access_key_id=key_id,
    aws_secret_access_key=secret,
    region_name="us-east-1",
    # One attempt: a refusal must not be retried away.
    config=Config(s3={"addressing_style": "path"}, signature_version="s3v4", retries={"max_attempts": 1, "mode": "standard"}),
)


def refusal(call, **kwargs):
    """The HTTP status and error code a call failed with, or "ok"."""
    try:
        call(**kwargs)
        return "ok"
    except ClientError as e:
        return f"{e.response['ResponseMetadata']['HTTPStatusCode']} {e.response['Error']['Code']}"


key = os.urandom(32)
other = os.urandom(32)
ssec = {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": key}
wrong = {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": other}
result = {}
s3.create_bucket(Bucket=bucket)

put = s3.put_object(Bucket=bucket, Key="ssec.txt", Body=b"sse-c by boto3", **ssec)
result["ssec_put"] = {"algorithm": put.get("SSECustomerAlgorithm"), "has_md5": bool(put.get("SSECustomerKeyMD5")), "sse": put.get("ServerSideEncryption")}
got = s3.get_object(Bucket=bucket, Key="ssec.txt", **ssec)
result["ssec_get"] = {"body": got["Body"].read().decode(), "algorithm": got.get("SSECustomerAlgorithm"), "md5_matches": got.get("SSECustomerKeyMD5") == put.get("SSECustomerKeyMD5")}
head = s3.head_object(Bucket=bucket, Key="ssec.txt", **ssec)
result["ssec_head"] = {"length": head["ContentLength"], "algorithm": head.get("SSECustomerAlgorithm")}
result["ssec_get_no_key"] = refusal(s3.get_object, Bucket=bucket, Key="ssec.txt")
result["ssec_get_wrong_key"] = refusal(s3.get_object, Bucket=bucket, Key="ssec.txt", **wrong)
result["ssec_head_no_key"] = refusal(s3.head_object, Bucket=bucket, Key="ssec.txt")
result["ssec_head_wrong_key"] = refusal(s3.head_object, Bucket=bucket, Key="ssec.txt", **wrong)

put = s3.put_object(Bucket=bucket, Key="kms.txt", Body=b"sse-kms by boto3", ServerSideEncryption="aws:kms", SSEKMSKeyId=kms_key_id)
result["kms_put"] = {"sse": put.get("ServerSideEncryption"), "key": put.get("SSEKMSKeyId")}
got = s3.get_object(Bucket=bucket, Key="kms.txt")
result["kms_get"] = {"body": got["Body"].read().decode(), "sse": got.get("ServerSideEncryption"), "key": got.get("SSEKMSKeyId")}
head = s3.head_object(Bucket=bucket, Key="kms.txt")
result["kms_head"] = {"sse": head.get("ServerSideEncryption"), "key": head.get("SSEKMSKeyId")}
result["kms_unknown_key"] = refusal(s3.put_object, Bucket=bucket, Key="x.txt", Body=b"x", ServerSideEncryption="aws:kms", SSEKMSKeyId="00000000-0000-4000-8000-000000000000")
# SSE-C headers on an SSE-KMS object are refused, not ignored.
result["kms_get_with_ssec"] = refusal(s3.get_object, Bucket=bucket, Key="kms.txt", **ssec)
print(json.dumps(result))
