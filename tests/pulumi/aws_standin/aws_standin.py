#!/usr/bin/env python3
"""Test-only stand-in for the pulumi-aws resource plugin (`pulumi-resource-aws`).

Its version is the pulumi-aws version the component's children are registered for,
`[workspace.metadata.release] pulumi-aws` of the workspace Cargo.toml (read by
scripts/project_meta.py, see aws_schema.py): GetPluginInfo and the served schema report it, and
the inputs are validated against the fixture extracted for that version.

The engine launches it like any resource plugin: the engine address as the last argument, and
the port printed as the only stdout line. It exists because the real pulumi-aws plugin cannot be
built here and plugin downloads do not work.

* `Check` refuses, like pulumi-aws would, any input name the real provider does not accept, a
  missing required input, and unknown or missing fields of nested input objects (from
  `fixtures/pulumi-aws-inputs-<version>.json`), and fills in auto-names (`<name>-<7 hex>`) the
  way the real provider does.
* `Create`/`Update`/`Delete` act on moto (AWS_ENDPOINT_URL) for `aws:secretsmanager/secret:Secret`,
  `aws:secretsmanager/secretVersion:SecretVersion`, `aws:s3/bucket:Bucket` and
  `aws:s3/bucketPolicy:BucketPolicy`; every other type gets realistic outputs (ids, ARNs, names)
  and touches nothing.
* `Read` (what `pulumi refresh` calls) reads those four from moto and returns their id,
  properties (in the shape `Create` returned: the old state with the values read from moto laid
  over it) and inputs, or an empty id when the object is gone, which is how a provider tells the
  engine that a resource was deleted out of band. As pulumi-aws does, a secret scheduled for
  deletion counts as gone, and a bucket policy that moto returns in another but equivalent JSON
  form keeps the text of the state.
  LIMITATION: every other type (the Lambda function, its role and policy, the log group, the
  rotation schedule, the event rule and target, the alarm, the bucket's ownership controls,
  public access block, CORS and objects, CloudFront) exists only in the Pulumi state, so `Read`
  returns the id, properties and inputs it is given, unchanged: a refresh never finds drift or
  deletion on them.
* `Diff` compares the checked inputs with the old ones, with replacement for the properties the
  real provider replaces on (names, the parent bucket or secret, ...).
* `CheckConfig` returns the provider configuration as given. `DiffConfig` (which the engine
  calls for the provider resource itself, and with a default provider's old and new inputs when
  the default provider's version changes) answers like pulumi-aws 7, a Terraform-bridged
  provider: every changed configuration key (`version` included) is an in-place update, and none
  asks for replacement (pulumi-aws 7 sets ForcesProviderReplace on no key; v6 had it on
  `region`), so moving the default provider from one version to another replaces no resource.
* `GetSchema` serves the partial aws schema of `aws_schema.py`.

Region us-east-1 and moto's account 123456789012 appear in every ARN.
"""

import base64
import hashlib
import json
import os
import signal
import sys
from concurrent import futures

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import boto3  # noqa: E402
import grpc  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402
from google.protobuf import empty_pb2, json_format, struct_pb2  # noqa: E402
from pulumi.runtime.proto import plugin_pb2, provider_pb2, provider_pb2_grpc  # noqa: E402

import aws_schema  # noqa: E402

VERSION = aws_schema.VERSION
REGION = "us-east-1"
ACCOUNT = "123456789012"
SIG = "4dabf18193072939515e22adb298388d"
ARCHIVE_SIG = "0def7320c3a5731c473e5ecbe6d01bc7"
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"

SECRET = "aws:secretsmanager/secret:Secret"
SECRET_VERSION = "aws:secretsmanager/secretVersion:SecretVersion"
BUCKET = "aws:s3/bucket:Bucket"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"

# The types whose objects the stand-in puts in moto; Read looks them up there.
IN_MOTO = {SECRET, SECRET_VERSION, BUCKET, BUCKET_POLICY}

# The input that carries a resource's physical name, when pulumi-aws auto-names it, and its
# prefix input.
AUTONAME = {
    BUCKET: ("bucket", "bucketPrefix"),
    SECRET: ("name", "namePrefix"),
    "aws:iam/role:Role": ("name", "namePrefix"),
    "aws:iam/rolePolicy:RolePolicy": ("name", "namePrefix"),
    "aws:cloudwatch/logGroup:LogGroup": ("name", "namePrefix"),
    "aws:cloudwatch/eventRule:EventRule": ("name", "namePrefix"),
    "aws:lambda/function:Function": ("name", None),
    "aws:lambda/permission:Permission": ("statementId", "statementIdPrefix"),
    "aws:cloudwatch/metricAlarm:MetricAlarm": ("name", None),
    "aws:cloudfront/originAccessControl:OriginAccessControl": ("name", None),
    "aws:cloudwatch/eventTarget:EventTarget": ("targetId", None),
}

# Inputs whose change makes pulumi-aws replace the resource (ForceNew in the upstream schema).
REPLACE_ON = {
    BUCKET: {"bucket", "bucketPrefix", "region", "objectLockEnabled"},
    SECRET: {"name", "namePrefix", "region"},
    SECRET_VERSION: {"secretId", "secretString", "secretBinary", "region"},
    BUCKET_POLICY: {"bucket", "region"},
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": {"bucket", "region"},
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": {"bucket", "region"},
    "aws:s3/bucketCorsConfiguration:BucketCorsConfiguration": {"bucket", "region"},
    "aws:s3/bucketObjectv2:BucketObjectv2": {"bucket", "key", "region"},
    "aws:iam/role:Role": {"name", "namePrefix", "path"},
    "aws:iam/rolePolicy:RolePolicy": {"name", "namePrefix", "role"},
    "aws:cloudwatch/logGroup:LogGroup": {"name", "namePrefix", "region"},
    "aws:lambda/function:Function": {"name", "region"},
    "aws:lambda/permission:Permission": {
        "action", "function", "principal", "sourceArn", "sourceAccount", "statementId",
        "statementIdPrefix", "qualifier", "eventSourceToken", "region",
    },
    "aws:secretsmanager/secretRotation:SecretRotation": {"secretId", "region"},
    "aws:cloudwatch/eventRule:EventRule": {"name", "namePrefix", "region"},
    "aws:cloudwatch/eventTarget:EventTarget": {"rule", "targetId", "eventBusName", "region"},
}


def log(msg):
    print(f"[aws-standin] {msg}", file=sys.stderr, flush=True)


def to_dict(s):
    return json_format.MessageToDict(s) if s is not None else {}


def to_struct(d):
    st = struct_pb2.Struct()
    st.update(d)
    return st


def is_unknown(v):
    return v == UNKNOWN


def suffix(seed: bytes, urn: str) -> str:
    return hashlib.sha256(seed + urn.encode()).hexdigest()[:7]


class Fixture:
    def __init__(self, fx):
        self.fx = fx

    def nested(self, declared):
        for alt in declared.split("|"):
            alt = alt.strip().strip("()")
            is_list = alt.endswith("[]")
            name = alt[:-2] if is_list else alt
            if name in self.fx["types"]:
                return self.fx["types"][name], is_list
        return None, False

    def check_object(self, what, ty, value, failures):
        if not isinstance(value, dict) or SIG in value:
            return
        fields = ty.get("fields", [])
        for key in value:
            if key not in fields:
                failures.append((what, f"unknown field `{key}` (pulumi-aws accepts: {', '.join(fields)})"))
        for req in ty.get("required", []):
            if req not in value:
                failures.append((what, f"missing required field `{req}`"))
        for key, v in value.items():
            decl = ty.get("fieldTypes", {}).get(key)
            if decl:
                self.check_value(f"{what}.{key}", decl, v, failures)

    def check_value(self, what, declared, value, failures):
        ty, is_list = self.nested(declared)
        if ty is None:
            return
        if is_list:
            if isinstance(value, list):
                for i, item in enumerate(value):
                    self.check_object(f"{what}[{i}]", ty, item, failures)
        else:
            self.check_object(what, ty, value, failures)

    def check(self, token, inputs):
        res = self.fx["resources"].get(token)
        if res is None:
            return [("", f"{token} is not a resource type of pulumi-aws {self.fx['version']}")]
        failures = []
        accepted = set(res["inputs"])
        for key in inputs:
            if key not in accepted:
                failures.append((key, f"{token} has no input `{key}`"))
        for req in res.get("required", []):
            if req not in inputs:
                failures.append((req, f"Missing required property '{req}'"))
        for key, v in inputs.items():
            decl = res.get("inputTypes", {}).get(key)
            if decl:
                self.check_value(key, decl, v, failures)
        return failures


class Aws:
    """boto3 clients on moto, built once."""

    def __init__(self):
        kw = {"region_name": os.environ.get("AWS_REGION", REGION)}
        self.sm = boto3.client("secretsmanager", **kw)
        self.s3 = boto3.client("s3", **kw)


def arn(service, resource, region=REGION):
    return f"arn:aws:{service}:{region}:{ACCOUNT}:{resource}"


def tags_all(inputs):
    return dict(inputs.get("tags") or {})


def archive_hash(code):
    if isinstance(code, dict) and code.get(SIG) == ARCHIVE_SIG:
        h = code.get("hash")
        if h:
            return base64.b64encode(bytes.fromhex(h)).decode()
    return ""


def computed_outputs(token, rid, inputs):
    """Realistic computed outputs of a type that does not touch moto."""
    name = inputs.get("name") or rid
    out = {}
    if token == "aws:iam/role:Role":
        out = {"arn": f"arn:aws:iam::{ACCOUNT}:role{inputs.get('path', '/')}{name}",
               "createDate": "2026-01-01T00:00:00Z", "uniqueId": "AROA" + hashlib.sha1(name.encode()).hexdigest()[:17].upper(),
               "tagsAll": tags_all(inputs)}
    elif token == "aws:iam/rolePolicy:RolePolicy":
        out = {}
    elif token == "aws:cloudwatch/logGroup:LogGroup":
        out = {"arn": arn("logs", f"log-group:{name}"), "tagsAll": tags_all(inputs)}
    elif token == "aws:lambda/function:Function":
        fn = arn("lambda", f"function:{name}")
        out = {"arn": fn, "invokeArn": f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{fn}/invocations",
               "qualifiedArn": f"{fn}:$LATEST", "qualifiedInvokeArn": f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{fn}:$LATEST/invocations",
               "version": "$LATEST", "lastModified": "2026-01-01T00:00:00.000+0000",
               "sourceCodeHash": archive_hash(inputs.get("code")), "sourceCodeSize": 0,
               "codeSha256": archive_hash(inputs.get("code")), "signingJobArn": "", "signingProfileVersionArn": "",
               "tagsAll": tags_all(inputs)}
    elif token == "aws:cloudwatch/eventRule:EventRule":
        out = {"arn": arn("events", f"rule/{name}"), "tagsAll": tags_all(inputs)}
    elif token == "aws:cloudwatch/metricAlarm:MetricAlarm":
        out = {"arn": arn("cloudwatch", f"alarm:{name}"), "tagsAll": tags_all(inputs)}
    elif token == "aws:secretsmanager/secretRotation:SecretRotation":
        out = {"rotationEnabled": True}
    elif token == "aws:cloudfront/originAccessControl:OriginAccessControl":
        out = {"etag": "E" + rid[:12].upper()}
    elif token == "aws:cloudfront/distribution:Distribution":
        out = {"arn": f"arn:aws:cloudfront::{ACCOUNT}:distribution/{rid}", "domainName": f"{rid.lower()}.cloudfront.net",
               "hostedZoneId": "Z2FDTNDATAQYW2", "status": "Deployed", "etag": "E1", "tagsAll": tags_all(inputs)}
    elif token == "aws:s3/bucketObjectv2:BucketObjectv2":
        out = {"etag": hashlib.md5(str(inputs.get("content", "")).encode()).hexdigest(), "versionId": "",
               "arn": f"arn:aws:s3:::{inputs.get('bucket')}/{inputs.get('key')}", "tagsAll": tags_all(inputs)}
    return out


def keep_absent(read, props, key, value):
    """Sets read[key] to the live value, unless the live value is empty and the state has none."""
    if value or key in props:
        read[key] = value


def s3_missing(e):
    err = e.response.get("Error", {})
    return err.get("Code") in ("404", "NoSuchBucket", "NotFound")


def _normal_policy(v):
    """A policy document in a form where equivalent documents are equal: a one-element list is
    its element, and the order of list elements (statements, actions, resources) is ignored, as
    in the policy equivalence pulumi-aws applies when reading policies back."""
    if isinstance(v, dict):
        return {k: _normal_policy(x) for k, x in v.items()}
    if isinstance(v, list):
        items = [_normal_policy(x) for x in v]
        if len(items) == 1:
            return items[0]
        return sorted(items, key=lambda x: json.dumps(x, sort_keys=True))
    return v


def policies_equivalent(state, live):
    if state is None:
        return False
    try:
        a = json.loads(state) if isinstance(state, str) else state
        b = json.loads(live)
    except (TypeError, ValueError):
        return state == live
    return _normal_policy(a) == _normal_policy(b)


def physical_id(token, inputs, urn):
    name = inputs.get("name")
    if token == "aws:lambda/permission:Permission":
        return inputs.get("statementId") or name
    if token == "aws:iam/rolePolicy:RolePolicy":
        return f"{inputs.get('role')}:{name}"
    if token == "aws:cloudwatch/eventTarget:EventTarget":
        return f"{inputs.get('eventBusName', 'default')}-{inputs.get('rule')}-{inputs.get('targetId')}"
    if token in ("aws:s3/bucketOwnershipControls:BucketOwnershipControls",
                 "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
                 "aws:s3/bucketCorsConfiguration:BucketCorsConfiguration"):
        return str(inputs.get("bucket"))
    if token == "aws:s3/bucketObjectv2:BucketObjectv2":
        return f"{inputs.get('bucket')}/{inputs.get('key')}"
    if token == "aws:secretsmanager/secretRotation:SecretRotation":
        return str(inputs.get("secretId"))
    if token == "aws:cloudfront/distribution:Distribution":
        return "E" + hashlib.sha1(urn.encode()).hexdigest()[:13].upper()
    if token == "aws:cloudfront/originAccessControl:OriginAccessControl":
        return "E" + hashlib.sha1(urn.encode()).hexdigest()[:13].upper()
    return name or hashlib.sha1(urn.encode()).hexdigest()[:16]


class Provider(provider_pb2_grpc.ResourceProviderServicer):
    def __init__(self, fixture):
        self.fixture = Fixture(fixture)
        self.schema = json.dumps(aws_schema.build(fixture))
        self._aws = None

    @property
    def aws(self):
        if self._aws is None:
            self._aws = Aws()
        return self._aws

    # --- plugin plumbing -------------------------------------------------------------------
    def GetPluginInfo(self, request, context):
        return plugin_pb2.PluginInfo(version=VERSION)

    def GetSchema(self, request, context):
        return provider_pb2.GetSchemaResponse(schema=self.schema)

    def CheckConfig(self, request, context):
        return provider_pb2.CheckResponse(inputs=request.news)

    def DiffConfig(self, request, context):
        """As pulumi-terraform-bridge's DiffConfig for pulumi-aws 7.

        The old inputs are compared with the new ones key by key (ignoreChanges applied; an
        unknown new value is not reported, as in the bridge's planning). A changed key is an
        in-place update: only keys marked ForcesProviderReplace would ask for replacement, and
        pulumi-aws 7 marks none. No change gives the bridge's empty answer (DIFF_UNKNOWN with
        nothing listed), which the engine settles by comparing old outputs with new inputs.
        """
        olds = to_dict(request.old_inputs) if request.HasField("old_inputs") else to_dict(request.olds)
        news = to_dict(request.news)
        ignored = set(request.ignoreChanges)
        detailed = {}
        for key in sorted(set(olds) | set(news)):
            if key in ignored or is_unknown(news.get(key)):
                continue
            if key not in olds:
                kind = provider_pb2.PropertyDiff.ADD
            elif key not in news:
                kind = provider_pb2.PropertyDiff.DELETE
            elif olds[key] != news[key]:
                kind = provider_pb2.PropertyDiff.UPDATE
            else:
                continue
            detailed[key] = provider_pb2.PropertyDiff(kind=kind, inputDiff=True)
        if not detailed:
            return provider_pb2.DiffResponse()
        log(f"DiffConfig {request.urn}: changed {sorted(detailed)}, replaces nothing")
        return provider_pb2.DiffResponse(
            changes=provider_pb2.DiffResponse.DIFF_SOME, diffs=sorted(detailed), detailedDiff=detailed,
        )

    def Configure(self, request, context):
        return provider_pb2.ConfigureResponse(
            acceptSecrets=False, supportsPreview=False, acceptResources=False, acceptOutputs=False
        )

    def Cancel(self, request, context):
        return empty_pb2.Empty()

    # --- resources -----------------------------------------------------------------------
    def Check(self, request, context):
        token = request.type or request.urn.split("::")[2]
        news = to_dict(request.news)
        olds = to_dict(request.olds)
        failures = self.fixture.check(token, news)
        if failures:
            log(f"Check {request.urn}: {failures}")
            return provider_pb2.CheckResponse(
                inputs=request.news,
                failures=[provider_pb2.CheckFailure(property=p, reason=r) for p, r in failures],
            )
        auto = AUTONAME.get(token)
        if auto:
            field, prefix = auto
            if field not in news and not (prefix and prefix in news):
                if olds.get(field):
                    news[field] = olds[field]  # keep the name chosen at creation
                elif request.HasField("autonaming") and request.autonaming.proposed_name:
                    news[field] = request.autonaming.proposed_name
                else:
                    base = request.name or request.urn.split("::")[-1]
                    name = f"{base}-{suffix(request.randomSeed, request.urn)}"
                    news[field] = name.lower() if token == BUCKET else name
        if token == SECRET and "recoveryWindowInDays" not in news:
            news["recoveryWindowInDays"] = 30
        if token == BUCKET and "forceDestroy" not in news:
            news["forceDestroy"] = False
        return provider_pb2.CheckResponse(inputs=to_struct(news))

    def Diff(self, request, context):
        token = request.type or request.urn.split("::")[2]
        news = to_dict(request.news)
        olds = to_dict(request.old_inputs) if request.HasField("old_inputs") else to_dict(request.olds)
        changed = sorted(k for k in set(news) | set(olds) if news.get(k) != olds.get(k)
                         and k not in request.ignoreChanges)
        if not changed:
            return provider_pb2.DiffResponse(changes=provider_pb2.DiffResponse.DIFF_NONE)
        replaces = [k for k in changed if k in REPLACE_ON.get(token, set())]
        log(f"Diff {request.urn}: changed {changed}, replaces {replaces}")
        return provider_pb2.DiffResponse(
            changes=provider_pb2.DiffResponse.DIFF_SOME, diffs=changed, replaces=replaces
        )

    def Create(self, request, context):
        token = request.type or request.urn.split("::")[2]
        inputs = to_dict(request.properties)
        try:
            rid, out = self._create(token, inputs, request.urn)
        except Exception as e:  # an AWS error fails the step, as with the real provider
            context.abort(grpc.StatusCode.UNKNOWN, f"creating {request.urn}: {e}")
        log(f"Create {token} {rid}")
        return provider_pb2.CreateResponse(id=rid, properties=to_struct({**inputs, **out}))

    def _create(self, token, inputs, urn):
        if token == SECRET:
            kw = {"Name": inputs["name"]}
            if inputs.get("description"):
                kw["Description"] = inputs["description"]
            if inputs.get("kmsKeyId"):
                kw["KmsKeyId"] = inputs["kmsKeyId"]
            if inputs.get("tags"):
                kw["Tags"] = [{"Key": k, "Value": v} for k, v in inputs["tags"].items()]
            r = self.aws.sm.create_secret(**kw)
            return r["ARN"], {"arn": r["ARN"], "tagsAll": tags_all(inputs)}
        if token == SECRET_VERSION:
            kw = {"SecretId": inputs["secretId"]}
            if "secretString" in inputs:
                kw["SecretString"] = inputs["secretString"]
            if inputs.get("versionStages"):
                kw["VersionStages"] = inputs["versionStages"]
            r = self.aws.sm.put_secret_value(**kw)
            stages = self.aws.sm.describe_secret(SecretId=r["ARN"])["VersionIdsToStages"][r["VersionId"]]
            return f"{r['ARN']}|{r['VersionId']}", {
                "arn": r["ARN"], "versionId": r["VersionId"], "versionStages": stages,
                "hasSecretStringWo": False,
            }
        if token == BUCKET:
            name = inputs["bucket"]
            self.aws.s3.create_bucket(Bucket=name)
            if inputs.get("tags"):
                self.aws.s3.put_bucket_tagging(
                    Bucket=name,
                    Tagging={"TagSet": [{"Key": k, "Value": v} for k, v in inputs["tags"].items()]},
                )
            return name, {
                "arn": f"arn:aws:s3:::{name}",
                "bucketDomainName": f"{name}.s3.amazonaws.com",
                "bucketRegionalDomainName": f"{name}.s3.{REGION}.amazonaws.com",
                "bucketRegion": REGION, "region": REGION,
                "hostedZoneId": "Z3AQBSTGFYJSTF", "tagsAll": tags_all(inputs),
                "websiteDomain": "", "websiteEndpoint": "",
            }
        if token == BUCKET_POLICY:
            self.aws.s3.put_bucket_policy(Bucket=inputs["bucket"], Policy=inputs["policy"])
            return inputs["bucket"], {}
        rid = physical_id(token, inputs, urn)
        return rid, computed_outputs(token, rid, inputs)

    def Read(self, request, context):
        token = request.type or request.urn.split("::")[2]
        has_inputs = request.HasField("inputs")
        if token not in IN_MOTO:
            # Only in the Pulumi state: nothing to read, the state is returned as given.
            resp = provider_pb2.ReadResponse(id=request.id, properties=request.properties)
            if has_inputs:
                resp.inputs.CopyFrom(request.inputs)
            return resp
        props = to_dict(request.properties)
        inputs = to_dict(request.inputs) if has_inputs else None
        try:
            live = self._read(token, request.id, props)
        except Exception as e:
            context.abort(grpc.StatusCode.UNKNOWN, f"reading {request.urn}: {e}")
        if live is None:
            log(f"Read {token} {request.id}: gone")
            return provider_pb2.ReadResponse(id="")
        rid, read = live
        out = {**props, **read}
        accepted = set(self.fixture.fx["resources"].get(token, {}).get("inputs", []))
        if inputs is None:
            # no inputs given (a read by id): the inputs are those of the read properties
            new_inputs = {k: v for k, v in out.items() if k in accepted}
        else:
            new_inputs = {**inputs, **{k: v for k, v in read.items() if k in accepted}}
        changed = sorted(k for k in out if out.get(k) != props.get(k))
        log(f"Read {token} {rid}" + (f": changed {changed}" if changed and props else ""))
        resp = provider_pb2.ReadResponse(id=rid, properties=to_struct(out))
        if inputs is not None or new_inputs:
            resp.inputs.CopyFrom(to_struct(new_inputs))
        return resp

    def _read(self, token, rid, props):
        """(id, the values read from moto) of a live object, or None when it is gone."""
        if token == SECRET:
            try:
                d = self.aws.sm.describe_secret(SecretId=rid)
            except self.aws.sm.exceptions.ResourceNotFoundException:
                return None
            if d.get("DeletedDate"):
                return None  # pulumi-aws: a secret scheduled for deletion is not found
            tags = {t["Key"]: t["Value"] for t in d.get("Tags") or []}
            read = {"arn": d["ARN"], "name": d["Name"], "tagsAll": tags}
            keep_absent(read, props, "description", d.get("Description"))
            keep_absent(read, props, "kmsKeyId", d.get("KmsKeyId"))
            keep_absent(read, props, "tags", tags)
            return d["ARN"], read
        if token == SECRET_VERSION:
            secret_arn, version_id = rid.split("|", 1)
            try:
                v = self.aws.sm.get_secret_value(SecretId=secret_arn, VersionId=version_id)
            except (self.aws.sm.exceptions.ResourceNotFoundException,
                    self.aws.sm.exceptions.InvalidRequestException):
                return None  # no such secret or version, or the secret is scheduled for deletion
            read = {"arn": v["ARN"], "secretId": props.get("secretId", v["ARN"]),
                    "versionId": v["VersionId"], "versionStages": v.get("VersionStages", [])}
            if "SecretString" in v:
                read["secretString"] = v["SecretString"]
            return f"{v['ARN']}|{v['VersionId']}", read
        if token == BUCKET:
            try:
                self.aws.s3.head_bucket(Bucket=rid)
            except ClientError as e:
                if s3_missing(e):
                    return None
                raise
            try:
                tagset = self.aws.s3.get_bucket_tagging(Bucket=rid)["TagSet"]
            except ClientError as e:
                if e.response.get("Error", {}).get("Code") != "NoSuchTagSet":
                    raise
                tagset = []
            tags = {t["Key"]: t["Value"] for t in tagset}
            read = {"bucket": rid, "arn": f"arn:aws:s3:::{rid}", "tagsAll": tags}
            keep_absent(read, props, "tags", tags)
            return rid, read
        if token == BUCKET_POLICY:
            try:
                policy = self.aws.s3.get_bucket_policy(Bucket=rid)["Policy"]
            except ClientError as e:
                if s3_missing(e) or e.response.get("Error", {}).get("Code") == "NoSuchBucketPolicy":
                    return None
                raise
            if policies_equivalent(props.get("policy"), policy):
                policy = props["policy"]  # as pulumi-aws: an equivalent policy keeps the state's text
            return rid, {"bucket": rid, "policy": policy}
        raise AssertionError(token)

    def Update(self, request, context):
        token = request.type or request.urn.split("::")[2]
        news = to_dict(request.news)
        olds = to_dict(request.olds)
        try:
            out = self._update(token, request.id, olds, news, request.urn)
        except Exception as e:
            context.abort(grpc.StatusCode.UNKNOWN, f"updating {request.urn}: {e}")
        log(f"Update {token} {request.id}")
        return provider_pb2.UpdateResponse(properties=to_struct(out))

    def _update(self, token, rid, olds, news, urn):
        computed = {k: v for k, v in olds.items() if k not in news}
        if token == SECRET:
            kw = {}
            if news.get("description") != olds.get("description"):
                kw["Description"] = news.get("description", "")
            if news.get("kmsKeyId") != olds.get("kmsKeyId") and news.get("kmsKeyId"):
                kw["KmsKeyId"] = news["kmsKeyId"]
            if kw:
                self.aws.sm.update_secret(SecretId=rid, **kw)
            if news.get("tags") != olds.get("tags"):
                if olds.get("tags"):
                    self.aws.sm.untag_resource(SecretId=rid, TagKeys=list(olds["tags"]))
                if news.get("tags"):
                    self.aws.sm.tag_resource(
                        SecretId=rid, Tags=[{"Key": k, "Value": v} for k, v in news["tags"].items()]
                    )
            return {**computed, **news, "tagsAll": tags_all(news)}
        if token == BUCKET:
            if news.get("tags") != olds.get("tags"):
                if news.get("tags"):
                    self.aws.s3.put_bucket_tagging(
                        Bucket=rid,
                        Tagging={"TagSet": [{"Key": k, "Value": v} for k, v in news["tags"].items()]},
                    )
                else:
                    self.aws.s3.delete_bucket_tagging(Bucket=rid)
            return {**computed, **news, "tagsAll": tags_all(news)}
        if token == BUCKET_POLICY:
            self.aws.s3.put_bucket_policy(Bucket=news["bucket"], Policy=news["policy"])
            return news
        if token == SECRET_VERSION:
            return {**computed, **news}
        return {**computed, **news, **computed_outputs(token, rid, news)}

    def Delete(self, request, context):
        token = request.type or request.urn.split("::")[2]
        props = to_dict(request.properties)
        try:
            self._delete(token, request.id, props)
        except Exception as e:
            context.abort(grpc.StatusCode.UNKNOWN, f"deleting {request.urn}: {e}")
        log(f"Delete {token} {request.id}")
        return empty_pb2.Empty()

    def _delete(self, token, rid, props):
        if token == SECRET:
            days = int(props.get("recoveryWindowInDays", 30))
            if days == 0:
                self.aws.sm.delete_secret(SecretId=rid, ForceDeleteWithoutRecovery=True)
            else:
                self.aws.sm.delete_secret(SecretId=rid, RecoveryWindowInDays=days)
        elif token == SECRET_VERSION:
            secret_arn, version_id = rid.split("|", 1)
            try:
                desc = self.aws.sm.describe_secret(SecretId=secret_arn)
            except self.aws.sm.exceptions.ResourceNotFoundException:
                return
            if desc.get("DeletedDate"):
                return
            for stage in desc.get("VersionIdsToStages", {}).get(version_id, []):
                if stage == "AWSCURRENT":
                    continue  # pulumi-aws leaves AWSCURRENT, which cannot be removed
                self.aws.sm.update_secret_version_stage(
                    SecretId=secret_arn, VersionStage=stage, RemoveFromVersionId=version_id
                )
        elif token == BUCKET:
            if props.get("forceDestroy"):
                paginator = self.aws.s3.get_paginator("list_object_versions")
                for page in paginator.paginate(Bucket=rid):
                    objs = [{"Key": v["Key"], "VersionId": v["VersionId"]}
                            for v in page.get("Versions", []) + page.get("DeleteMarkers", [])]
                    if objs:
                        self.aws.s3.delete_objects(Bucket=rid, Delete={"Objects": objs})
            self.aws.s3.delete_bucket(Bucket=rid)
        elif token == BUCKET_POLICY:
            self.aws.s3.delete_bucket_policy(Bucket=rid)


def drop_stale_schema_caches(schema):
    """Removes the schema caches next to this file that differ from the schema served now.

    Older Pulumi plugin loaders (pulumi-language-yaml 1.25 is built on pulumi 3.206) cache a
    plugin's schema as `schema-<name>[-<version>-].json` in the folder above the plugin's
    folder, here this one, and use it for as long as it is newer than bin/, so without this a
    schema cached before a version or fixture change would go on being served instead of
    GetSchema's. The cache is a by-product, not a source file."""
    folder = os.path.dirname(os.path.abspath(__file__))
    for name in os.listdir(folder):
        if name.startswith("schema-aws") and name.endswith(".json"):
            path = os.path.join(folder, name)
            try:
                with open(path) as f:
                    stale = f.read() != schema
                if stale:
                    os.remove(path)
                    log(f"removed the stale schema cache {name}")
            except OSError:
                pass


def main():
    fixture = aws_schema.load_fixture(os.environ.get("JWKS_AWS_INPUTS", aws_schema.FIXTURE))
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=8),
        options=[("grpc.max_receive_message_length", 400 * 1024 * 1024)],
    )
    provider = Provider(fixture)
    drop_stale_schema_caches(provider.schema)
    provider_pb2_grpc.add_ResourceProviderServicer_to_server(provider, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    print(port, flush=True)

    def stop(*_):
        server.stop(0)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    server.wait_for_termination()


if __name__ == "__main__":
    main()
