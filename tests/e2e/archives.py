"""Readers of an archive, independent of logpipe: the local folder as files, S3 with boto3."""

import gzip
import json
from pathlib import Path

import boto3
import zstandard
from botocore.config import Config

BUCKET = "logs-archive"


class LocalArchive:
    def __init__(self, folder):
        self.folder = Path(folder) / BUCKET

    def objects(self):
        """{key: (body bytes, metadata)} of every object."""
        found = {}
        if not self.folder.exists():
            return found
        for path in sorted(self.folder.rglob("*")):
            name = path.name
            if path.is_file() and not name.endswith(".meta.json") and ".tmp-" not in name:
                metadata = json.loads(Path(str(path) + ".meta.json").read_text())
                found[path.relative_to(self.folder).as_posix()] = (path.read_bytes(), metadata)
        return found


class S3Archive:
    def __init__(self, env):
        self.client = boto3.client(
            "s3", endpoint_url=env["S3_ENDPOINT"], region_name=env["S3_REGION"],
            aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
            verify=env.get("S3_CA_FILE"),
            config=Config(s3={"addressing_style": "path"}))
        self.bucket = env["S3_BUCKET"]

    def objects(self):
        found = {}
        try:
            pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket)
            keys = [item["Key"] for page in pages for item in page.get("Contents", [])]
        except self.client.exceptions.NoSuchBucket:
            return found
        for key in keys:
            answer = self.client.get_object(Bucket=self.bucket, Key=key)
            found[key] = (answer["Body"].read(), answer["Metadata"])
        return found


def archived_lines(archive):
    """[(key, line)] of every archived event."""
    lines = []
    for key, (body, metadata) in archive.objects().items():
        data = gzip.decompress(body) if key.endswith(".gz") else zstandard.ZstdDecompressor().decompressobj().decompress(body)
        object_lines = data.decode().splitlines()
        assert int(metadata["count"]) == len(object_lines), key
        lines.extend((key, line) for line in object_lines)
    return lines
