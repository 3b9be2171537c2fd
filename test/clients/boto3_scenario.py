"""The compatibility scenario, driven by boto3 (Debian's python3-boto3). Prints one JSON result."""
import hashlib
import json
import sys
import urllib.request

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config

endpoint, key_id, secret, bucket, big_path, out_path = sys.argv[1:7]
s3 = boto3.client(
    "s3",
    endpoint_url=endpoint,
    aws_access_key_id=key_id,
    aws_secret_access_key=secret,
    region_name="us-east-1",
    config=Config(s3={"addressing_style": "path"}, signature_version="s3v4"),
)
result = {}
s3.create_bucket(Bucket=bucket)
s3.put_object(Bucket=bucket, Key="docs/small.txt", Body=b"hello from boto3", ContentType="text/plain")
s3.upload_file(big_path, bucket, "big/blob.bin", Config=TransferConfig(multipart_threshold=8 * 1024 * 1024, multipart_chunksize=8 * 1024 * 1024))
listing = s3.list_objects_v2(Bucket=bucket, Prefix="", Delimiter="/")
result["prefixes"] = sorted(p["Prefix"] for p in listing.get("CommonPrefixes", []))
listing = s3.list_objects_v2(Bucket=bucket, Prefix="docs/", Delimiter="/")
result["docs_keys"] = sorted(o["Key"] for o in listing.get("Contents", []))
head = s3.head_object(Bucket=bucket, Key="big/blob.bin")
result["big_size"] = head["ContentLength"]
result["big_etag"] = head["ETag"]
result["range"] = s3.get_object(Bucket=bucket, Key="big/blob.bin", Range="bytes=0-9")["Body"].read().hex()
s3.copy_object(Bucket=bucket, Key="docs/copy.txt", CopySource={"Bucket": bucket, "Key": "docs/small.txt"})
result["copy"] = s3.get_object(Bucket=bucket, Key="docs/copy.txt")["Body"].read().decode()
result["presigned_url"] = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "docs/small.txt"}, ExpiresIn=300)
s3.download_file(bucket, "big/blob.bin", out_path)
digest = hashlib.sha256()
with open(out_path, "rb") as f:
    for block in iter(lambda: f.read(1 << 20), b""):
        digest.update(block)
result["download_sha256"] = digest.hexdigest()
print(json.dumps(result))
