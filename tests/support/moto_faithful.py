#!/usr/bin/env python3
"""Start moto server on a loopback port, patched where moto differs from AWS.

Usage: moto_faithful.py PORT [HOST]

Code that would fail on AWS must fail here too, so three moto behaviours are brought in line
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
(d) Moving AWSCURRENT with UpdateSecretVersionStage also moves moto's default version, so a
    later PutSecretValue(VersionStages=[AWSCURRENT]) demotes the right version to AWSPREVIOUS
    (moto would demote the stale default and leave AWSCURRENT on two versions).

The patches are installed before the server starts; prints "moto_faithful ready" on stderr.
"""

import sys
import time

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
            if others and remove_from_version_id != others[0]:
                raise InvalidParameterException(
                    f"The parameter RemoveFromVersionId can't be empty. Staging label "
                    f"{version_stage} is currently attached to version {others[0]}, so you "
                    f"must explicitly reference that version in RemoveFromVersionId."
                )
            if not others and move_to_version_id in holders and not remove_from_version_id:
                return secret.arn, secret.name  # already there: AWS no-op
            if remove_from_version_id == move_to_version_id:
                return secret.arn, secret.name
    result = _orig_update_stage(
        self, secret_id, version_stage, remove_from_version_id, move_to_version_id
    )
    secret = self.secrets[secret_id]
    # moto does not follow a moved AWSCURRENT with its default version, so a later
    # PutSecretValue([AWSCURRENT]) would demote the wrong version and leave two AWSCURRENT.
    if version_stage == "AWSCURRENT" and move_to_version_id:
        secret.set_default_version_id(move_to_version_id)
    # never the same label twice on one version
    for v in secret.versions.values():
        seen = []
        for s in v["version_stages"]:
            if s not in seen:
                seen.append(s)
        v["version_stages"][:] = seen
    return result


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
