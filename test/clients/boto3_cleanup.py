"""Deletes the scenario's objects and bucket with boto3 (batch delete), printing what remains."""
import json
import sys

import boto3
from botocore.config import Config

endpoint, key_id, secret, bucket = sys.argv[1:5]
s3 = boto3.client("s3", endpoint_url=endpoint, aws_access_key_id=key_id, aws_secret_access_key=secret,
                  region_name="us-east-1", config=Config(s3={"addressing_style": "path"}))
keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
deleted = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in keys], "Quiet": False})
s3.delete_bucket(Bucket=bucket)
names = [b["Name"] for b in s3.list_buckets()["Buckets"]]
print(json.dumps({"deleted": sorted(d["Key"] for d in deleted.get("Deleted", [])), "buckets_left": names}))
