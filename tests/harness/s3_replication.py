"""A stand-in for S3's replication engine over a local S3 (moto), which stores a bucket's replication configuration
but never copies anything. It applies a configuration the way S3 documents it
(https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication.html):

- every rule with Status Enabled, lowest Priority first; a version is replicated by the first rule whose Filter
  prefix matches, once;
- objects encrypted with SSE-KMS only when the rule has SourceSelectionCriteria.SseKmsEncryptedObjects Enabled,
  and then re-encrypted under Destination.EncryptionConfiguration.ReplicaKmsKeyID;
- delete markers only with DeleteMarkerReplication Enabled; a permanent delete of a version never replicates;
- metadata and content type carried over.
The configuration is the one given to PutBucketReplication (moto's GetBucketReplication drops fields)."""

from __future__ import annotations

from typing import Any


class Replicator:
    def __init__(self, s3: Any, source_bucket: str, configuration: dict[str, Any]) -> None:
        self._s3 = s3
        self._source = source_bucket
        self._rules = sorted(
            (r for r in configuration["Rules"] if r["Status"] == "Enabled"),
            key=lambda rule: int(rule.get("Priority", 0)),
        )
        self._done: set[str] = set()
        self.skipped_kms: list[str] = []

    def run(self) -> int:
        """Replicates every source version not replicated yet; returns how many it copied."""
        copied = 0
        paginator = self._s3.get_paginator("list_object_versions")
        for page in paginator.paginate(Bucket=self._source):
            versions = [(v, False) for v in page.get("Versions", [])]
            versions += [(m, True) for m in page.get("DeleteMarkers", [])]
            for version, is_marker in sorted(versions, key=lambda item: item[0]["LastModified"]):
                if version["VersionId"] in self._done:
                    continue
                rule = self._rule_for(version["Key"])
                if rule is None:
                    continue
                self._done.add(version["VersionId"])
                copied += self._replicate(rule, version, is_marker)
        return copied

    def _rule_for(self, key: str) -> dict[str, Any] | None:
        for rule in self._rules:
            if key.startswith(rule.get("Filter", {}).get("Prefix", "")):
                return rule
        return None

    def _replicate(self, rule: dict[str, Any], version: dict[str, Any], is_marker: bool) -> int:
        destination = rule["Destination"]
        target = destination["Bucket"].split(":::", 1)[-1]
        if is_marker:
            if rule.get("DeleteMarkerReplication", {}).get("Status") != "Enabled":
                return 0
            self._s3.delete_object(Bucket=target, Key=version["Key"])
            return 1
        head = self._s3.head_object(Bucket=self._source, Key=version["Key"], VersionId=version["VersionId"])
        kms = head.get("ServerSideEncryption") == "aws:kms"
        selected = rule.get("SourceSelectionCriteria", {}).get("SseKmsEncryptedObjects", {}).get("Status")
        if kms and selected != "Enabled":
            self.skipped_kms.append(version["Key"])
            return 0
        body = self._s3.get_object(Bucket=self._source, Key=version["Key"], VersionId=version["VersionId"])["Body"]
        extra: dict[str, Any] = {"Metadata": head.get("Metadata", {})}
        if head.get("ContentType"):
            extra["ContentType"] = head["ContentType"]
        replica_key = destination.get("EncryptionConfiguration", {}).get("ReplicaKmsKeyID")
        if kms:
            extra.update(ServerSideEncryption="aws:kms", SSEKMSKeyId=replica_key)
        if destination.get("StorageClass"):
            extra["StorageClass"] = destination["StorageClass"]
        self._s3.put_object(Bucket=target, Key=version["Key"], Body=body.read(), **extra)
        return 1


def boto_replication_configuration(
    rules: list[dict[str, Any]], role: str, buckets: dict[str, str], keys: dict[str, str]
) -> dict[str, Any]:
    """A BucketReplicationConfig's registered `rules` (Pulumi's camelCase) as S3's PutBucketReplication body, with
    the mocks' bucket and key ARNs mapped onto the local S3's (`buckets`, `keys`: mock ARN -> local one)."""

    def status(block: dict[str, Any] | None) -> dict[str, str] | None:
        return {"Status": block["status"]} if block else None

    converted = []
    for rule in rules:
        destination: dict[str, Any] = {"Bucket": buckets[rule["destination"]["bucket"]]}
        if rule["destination"].get("storageClass"):
            destination["StorageClass"] = rule["destination"]["storageClass"]
        encryption = rule["destination"].get("encryptionConfiguration")
        if encryption:
            destination["EncryptionConfiguration"] = {"ReplicaKmsKeyID": keys[encryption["replicaKmsKeyId"]]}
        item: dict[str, Any] = {
            "ID": rule["id"],
            "Priority": int(rule["priority"]),
            "Status": rule["status"],
            "Filter": {"Prefix": rule["filter"].get("prefix", "")},
            "Destination": destination,
        }
        if rule.get("deleteMarkerReplication"):
            item["DeleteMarkerReplication"] = status(rule["deleteMarkerReplication"])
        criteria = rule.get("sourceSelectionCriteria", {}).get("sseKmsEncryptedObjects")
        if criteria:
            item["SourceSelectionCriteria"] = {"SseKmsEncryptedObjects": status(criteria)}
        converted.append(item)
    return {"Role": role, "Rules": converted}
