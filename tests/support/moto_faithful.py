#!/usr/bin/env python3
"""Start moto server on a loopback port, patched where moto differs from AWS.

Usage: moto_faithful.py PORT [HOST]

Code that would fail on AWS must fail here too, so these moto behaviours are brought in line
with AWS Secrets Manager (moto 5.2.5; see /work/shared/spec/TOOLCHAIN.md):

(a) PutSecretValue with a ClientRequestToken that already names a version holding a value:
    the same value is an idempotent no-op, a different value raises ResourceExistsException
    (moto overwrites an AWSPENDING version's value). A version created by RotateSecret has no
    value yet and is filled by the first put, as on AWS.
(b) RotateSecret with a rotation Lambda adds the new version id with the AWSPENDING label and
    no value, invokes nothing and leaves AWSCURRENT where it is (moto invokes the Lambda in
    Docker and then moves AWSCURRENT onto the empty version). The caller plays the Lambda
    service and runs the four steps. As on AWS, RotateSecret is refused while AWSPENDING sits
    on a version that is not AWSCURRENT (a previous rotation in progress); moto has that test
    inverted.
(c) UpdateSecretVersionStage moving any label (also custom ones such as NEXT) onto a version
    while the label is attached to another version requires RemoveFromVersionId naming that
    version (moto only enforces it for AWSCURRENT and lets custom labels sit on two versions).
(d) The current version is whichever version holds the AWSCURRENT label, never a cached id:
    moto keeps a "default version id" that UpdateSecretVersionStage does not move, so
    GetSecretValue without version arguments returned a stale version and a later
    PutSecretValue(VersionStages=[AWSCURRENT]) demoted the stale default and left AWSCURRENT on
    two versions. Here moto's default version id is derived from the labels on every read, so
    it is right whatever moved the label (UpdateSecretVersionStage with MoveToVersionId or only
    RemoveFromVersionId, PutSecretValue with custom labels, ...).
(e) PutSecretValue(VersionStages=[AWSCURRENT, ...]) moves AWSCURRENT onto the new version and
    AWSPREVIOUS onto the version that held AWSCURRENT (taken off wherever it was), and leaves
    every other label of that version in place (moto replaced its label list with
    ["AWSPREVIOUS"], dropping e.g. AWSPENDING or NEXT). So after a rotation that left AWSPENDING
    on the current version T, PutSecretValue(E, [AWSCURRENT]) leaves AWSPENDING alone on T, and
    RotateSecret is refused from then on, as on AWS. The other labels named in the call move
    off the versions that held them; filling a value-less version (RotateSecret's AWSPENDING)
    keeps the labels it had.
(f) UpdateSecretVersionStage with a RemoveFromVersionId that does not hold the label is refused
    with InvalidParameterException and changes nothing, also when it names the MoveToVersionId
    and no version holds the label (this launcher answered that with a no-op). moto itself
    already refuses the other cases ("Version stage ... not found in version ...").

(g) S3 bucket policies: a statement conditioned on `aws:SecureTransport` being "false" (the
    standard DenyInsecureTransport statement the provider puts on its bucket) does not apply:
    every call the SDK makes to AWS uses TLS, while moto serves plain HTTP on loopback and
    ignores policy conditions, so it denied every object request of the rotation function.
    Statements without that condition are evaluated by moto as before.

The patches are installed before the server starts; prints "moto_faithful ready" on stderr.
"""

import json
import sys
import time

from moto.s3 import models as s3_models
from moto.secretsmanager import models
from moto.secretsmanager.exceptions import (
    InvalidParameterException,
    InvalidRequestException,
    ResourceExistsException,
    SecretNotFoundException,
)
from moto.moto_api._internal import mock_random

Backend = models.SecretsManagerBackend
_orig_check = Backend._check_with_existing_secrets_and_versions
_orig_update_stage = Backend.update_secret_version_stage


def _has_value(version):
    return "secret_string" in version or "secret_binary" in version


def _check_with_existing_secrets_and_versions(
    self, secret_name, client_request_token, secret_string, secret_binary, on_create=False
):
    if not on_create and secret_name in self.secrets.keys() and client_request_token:
        secret = self.secrets[secret_name]
        version = getattr(secret, "versions", {}).get(client_request_token)
        if version is not None and _has_value(version):
            if (
                version.get("secret_string") == secret_string
                and version.get("secret_binary") == secret_binary
            ):
                return secret  # AWS: same token and same value is a no-op
            raise ResourceExistsException(
                f"You can't use ClientRequestToken {client_request_token} because that value "
                f"is already in use for a version of secret {secret.arn}."
            )
        if version is not None:
            return None  # a value-less version (RotateSecret's AWSPENDING) is filled
    return _orig_check(
        self, secret_name, client_request_token, secret_string, secret_binary, on_create
    )


def rotate_secret(
    self,
    secret_id,
    client_request_token=None,
    rotation_lambda_arn=None,
    rotation_rules=None,
    rotate_immediately=True,
):
    if not self._is_valid_identifier(secret_id):
        raise SecretNotFoundException()
    secret = self.secrets[secret_id]
    lambda_arn = rotation_lambda_arn or getattr(secret, "rotation_lambda_arn", "")
    if not lambda_arn:
        return _orig_rotate(
            self,
            secret_id,
            client_request_token=client_request_token,
            rotation_lambda_arn=rotation_lambda_arn,
            rotation_rules=rotation_rules,
            rotate_immediately=rotate_immediately,
        )
    if secret.is_deleted():
        raise InvalidRequestException(
            "You tried to perform the operation on a secret that's currently marked deleted."
        )
    for version_id, version in secret.versions.items():
        stages = version["version_stages"]
        if "AWSPENDING" in stages and "AWSCURRENT" not in stages:
            if version_id != client_request_token:
                raise InvalidRequestException(
                    "A previous rotation isn't complete. That rotation will be reattempted."
                )
    if client_request_token:
        self._client_request_token_validator(client_request_token)
        new_version_id = client_request_token
    else:
        new_version_id = str(mock_random.uuid4())
    if new_version_id not in secret.versions:
        secret.remove_version_stages_from_old_versions(["AWSPENDING"])
        version = {
            "createdate": int(time.time()),
            "version_id": new_version_id,
            "version_stages": ["AWSPENDING"],
        }
        if not rotate_immediately:
            # AWS tests the configuration with testSecret on a copy of the current value.
            if secret.secret_string is not None:
                version["secret_string"] = secret.secret_string
        secret.versions[new_version_id] = version
    secret.rotation_requested = True
    secret.rotation_lambda_arn = lambda_arn
    if rotation_rules:
        secret.auto_rotate_after_days = rotation_rules.get("AutomaticallyAfterDays", 0)
        if rotation_rules.get("AutomaticallyAfterDays") or rotation_rules.get(
            "ScheduleExpression"
        ):
            secret.rotation_enabled = True
    secret.last_rotation_date = int(time.time())
    # The caller plays the Lambda service: nothing is invoked, AWSCURRENT stays.
    return secret.to_short_dict(version_id=new_version_id)


_orig_rotate = Backend.rotate_secret


def update_secret_version_stage(
    self, secret_id, version_stage, remove_from_version_id, move_to_version_id
):
    if secret_id in self.secrets:
        secret = self.secrets[secret_id]
        holders = [
            vid
            for vid, v in secret.versions.items()
            if version_stage in v["version_stages"]
        ]
        if move_to_version_id:
            if move_to_version_id not in secret.versions:
                raise InvalidParameterException(f"Not a valid version: {move_to_version_id}")
            others = [vid for vid in holders if vid != move_to_version_id]
            if others and not remove_from_version_id:
                raise InvalidParameterException(
                    f"The parameter RemoveFromVersionId can't be empty. Staging label "
                    f"{version_stage} is currently attached to version {others[0]}, so you "
                    f"must explicitly reference that version in RemoveFromVersionId."
                )
            if others and remove_from_version_id != others[0]:
                raise InvalidParameterException(
                    f"The parameter RemoveFromVersionId ({remove_from_version_id}) is not "
                    f"currently attached to the version that holds staging label "
                    f"{version_stage} ({others[0]})."
                )
            if remove_from_version_id and remove_from_version_id not in holders:
                raise InvalidParameterException(  # (f)
                    f"The parameter RemoveFromVersionId ({remove_from_version_id}) is not "
                    f"currently attached to the staging label {version_stage}."
                )
            if not others and move_to_version_id in holders and not remove_from_version_id:
                return secret.arn, secret.name  # already there: AWS no-op
            if remove_from_version_id == move_to_version_id:
                return secret.arn, secret.name
    result = _orig_update_stage(
        self, secret_id, version_stage, remove_from_version_id, move_to_version_id
    )
    secret = self.secrets[secret_id]
    # (moto's default version follows AWSCURRENT by itself: see (d), _current_version_id.)
    # never the same label twice on one version
    for v in secret.versions.values():
        seen = []
        for s in v["version_stages"]:
            if s not in seen:
                seen.append(s)
        v["version_stages"][:] = seen
    return result


def _current_version_id(self):
    """(d) moto's "default version id": the version holding AWSCURRENT, read from the labels."""
    for version_id, version in self.versions.items():
        if "AWSCURRENT" in version["version_stages"]:
            return version_id
    return None


def _ignore_default_version_id(self, version_id):
    """moto's own assignments of the default version id are ignored: the labels decide."""


def reset_default_version(self, secret_version, version_id):
    """(e) `version_id` becomes AWSCURRENT (PutSecretValue/UpdateSecret with AWSCURRENT).

    moto overwrote the cached default version's labels with ["AWSPREVIOUS"]. AWS moves only
    labels: AWSCURRENT from its holder (found from the labels) to this version, AWSPREVIOUS to
    that holder, and each other label named for this version off the version that had it.
    """
    stages = secret_version["version_stages"]
    existing = self.versions.get(version_id)
    if existing is not None and existing is not secret_version:
        # A value-less version (RotateSecret's AWSPENDING) being filled keeps its labels.
        stages.extend(existing["version_stages"])
    if "AWSCURRENT" not in stages:
        stages.append("AWSCURRENT")
    seen = []
    for s in stages:
        if s not in seen:
            seen.append(s)
    stages[:] = seen
    others = {vid: v for vid, v in self.versions.items() if vid != version_id}
    holders = [vid for vid, v in others.items() if "AWSCURRENT" in v["version_stages"]]
    for label in stages:
        if label == "AWSCURRENT":
            continue
        for v in others.values():
            if label in v["version_stages"]:
                v["version_stages"].remove(label)
    for vid in holders:
        others[vid]["version_stages"].remove("AWSCURRENT")
    if holders:
        # Whenever AWSCURRENT moves, AWSPREVIOUS moves to the version it was removed from.
        for v in others.values():
            if "AWSPREVIOUS" in v["version_stages"]:
                v["version_stages"].remove("AWSPREVIOUS")
        if "AWSPREVIOUS" in stages:
            stages.remove("AWSPREVIOUS")
        for vid in holders:
            others[vid]["version_stages"].append("AWSPREVIOUS")
    self.versions[version_id] = secret_version


def _only_over_plain_http(statement):
    """Whether a policy statement applies only to requests made without TLS."""
    condition = statement.get("Condition") or {}
    return condition == {"Bool": {"aws:SecureTransport": "false"}}


def get_permission(self, action, resource):
    """(g) moto's bucket-policy evaluation, without the statements that only concern plain-HTTP
    requests (the SDK reaches AWS over TLS)."""
    from moto.iam.access_control import IAMPolicy, PermissionResult

    if self.policy is None:
        return PermissionResult.NEUTRAL
    policy = json.loads(self.policy.decode())
    statements = policy.get("Statement", [])
    if isinstance(statements, dict):
        statements = [statements]
    policy["Statement"] = [st for st in statements if not _only_over_plain_http(st)]
    if not policy["Statement"]:
        return PermissionResult.NEUTRAL
    return IAMPolicy(json.dumps(policy)).is_action_permitted(action, resource)


s3_models.FakeBucket.get_permission = get_permission
models.FakeSecret.default_version_id = property(_current_version_id, _ignore_default_version_id)
models.FakeSecret.reset_default_version = reset_default_version
Backend._check_with_existing_secrets_and_versions = _check_with_existing_secrets_and_versions
Backend.rotate_secret = rotate_secret
Backend.update_secret_version_stage = update_secret_version_stage


def main():
    if len(sys.argv) < 2:
        print("usage: moto_faithful.py PORT [HOST]", file=sys.stderr)
        sys.exit(2)
    port = sys.argv[1]
    host = sys.argv[2] if len(sys.argv) > 2 else "127.0.0.1"
    from moto.server import main as moto_main

    print("moto_faithful ready", file=sys.stderr, flush=True)
    moto_main(["-H", host, "-p", port])


if __name__ == "__main__":
    main()
