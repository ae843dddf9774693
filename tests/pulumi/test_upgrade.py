"""The upgrade from the previous release: a stack written by jwks-rotation 0.1.0, previewed with
the current provider (bin/) and the current pulumi-aws stand-in.

The state (fixtures/upgrade/state-0.1.0.json) was written by `pulumi up` of
fixtures/upgrade/Pulumi.yaml with the provider built at the 0.1.0 commit, against moto, the way
that release's test_examples.py runs the examples (scripts/make-upgrade-fixture.py; provenance in
fixtures/upgrade/provenance.json), release 0.1.0 being commit 4e77af1 (before the key registry
moved to a private S3 object). Its three components cover every group of children 0.1.0 registers
(created and existing bucket, CloudFront, the alarm, the OpenID configuration, KMS), and
ask for version 0.1.0 as the 0.1.0 SDKs do. The test imports it into a new stack (its own file
backend and PULUMI_HOME), moves the program to the current version, as upgrading the SDK does, and
runs `pulumi preview --json --show-sames` with the current provider.

What must hold:

* neither a secret (`aws:secretsmanager/secret:Secret`: losing it loses every key) nor a bucket
  (`aws:s3/bucket:Bucket`) is replaced or deleted;
* the other children replaced or deleted, those created and those updated in place are exactly
  the lists below (the upgrade notes in CHANGELOG.md repeat them): a change to any is a change to
  the upgrade;
* the upgrade did happen: every pulumi-aws child moves from the default provider of 0.1.0
  (pulumi-aws 7.0.0) to that of the current release, which the engine allows without replacing
  the child because the new provider's DiffConfig asks for no replacement (the stand-in answers
  as pulumi-aws does for a version-only change).

Which binaries ran (read from the engine's log): the program names bin/ in plugins.providers
without a version, so the engine takes bin/ for any version of jwks-rotation, including the
state's 0.1.0 (`ensurePluginsAreInstalled` counts 0.1.0 as installed). The test checks that the
only jwks-rotation plugin launched is bin/, that it reported the current version, and that the
state's `default_0_1_0` provider is only deleted, never called: the preview runs no code of 0.1.0
and needs none (nothing in the state is read through it; components are not diffed by their
provider). On a machine without the 0.1.0 plugin the engine would try to install it for the old
state (not testable here: no downloads).

moto is not used: the preview reads nothing from AWS (the stand-in's Check and Diff, and the
provider's Construct, work on the inputs), so AWS_ENDPOINT_URL points at a closed port and any AWS
call would fail the preview. The test does not apply the upgrade (`pulumi up`): the moto account
that held the fixture's resources is gone, and moto cannot recreate secrets with the ARNs (random
suffixes) the state records.

`test_a_secret_replacement_is_seen` is the control: the same preview of a copy of the state in
which one secret's name differs reports that secret's replacement, so the checks above can fail.
"""

import copy
import json
import re
import sys

from conftest import PROVIDER_BIN, ROOT, STANDIN_BIN, Pulumi, free_port

sys.path.insert(0, str(ROOT / "scripts"))
import project_meta  # noqa: E402

FIXTURE = ROOT / "tests" / "pulumi" / "fixtures" / "upgrade"
PREVIOUS = "0.1.0"
PREVIOUS_AWS = "7.0.0"
STATE = FIXTURE / f"state-{PREVIOUS}.json"
STACK = "upgrade"
STANDIN = STANDIN_BIN / "pulumi-resource-aws"

# Children whose loss is never acceptable.
KEPT = {"aws:secretsmanager/secret:Secret", "aws:s3/bucket:Bucket"}
REPLACING = {"replace", "create-replacement", "delete-replaced"}
DELETING = {"delete", "discard"}

# (kind, type, name, replace reasons) of the children the upgrade from 0.1.0 replaces or deletes.
# Empty: upgrading from 0.1.0 replaces and deletes nothing. Change it with CHANGELOG.md.
EXPECTED_REPLACED_OR_DELETED = []
# (type, name) of the children the upgrade creates.
EXPECTED_CREATED = []
# (type, name, diff reasons) of the children the preview updates in place, and why:
# * the three rotation role policies: 0.2.0 grants s3:GetObject/PutObject on the private key
#   registry object (.jwks-rotation/<bucketPath>.registry.json, statement KeepPrivateKeyRegistry)
#   and lists it under s3:ListBucket (SeeJwksKeyOnly becomes SeeOwnKeysOnly);
# * full's function: 512 MB instead of 256 (sized by the RSA modulus, 3072 bits here);
# * full's OpenID configuration object: the discovery document gains
#   id_token_signing_alg_values_supported, response_types_supported, subject_types_supported;
# * every rotation function's code (see RELEASE_ZIP_HASH);
# * the cleanup event targets and rotation schedules: only because the functions are updated,
#   their ARNs are unknown during the preview (the same ARNs after the update: same at `pulumi up`).
EXPECTED_UPDATED = [
    ("aws:cloudwatch/eventTarget:EventTarget", "existing-cleanup-target", ("arn",)),
    ("aws:cloudwatch/eventTarget:EventTarget", "full-cleanup-target", ("arn",)),
    ("aws:cloudwatch/eventTarget:EventTarget", "signing-cleanup-target", ("arn",)),
    ("aws:iam/rolePolicy:RolePolicy", "existing-rotation-policy", ("policy",)),
    ("aws:iam/rolePolicy:RolePolicy", "full-rotation-policy", ("policy",)),
    ("aws:iam/rolePolicy:RolePolicy", "signing-rotation-policy", ("policy",)),
    ("aws:lambda/function:Function", "existing-rotation", ("code",)),
    ("aws:lambda/function:Function", "full-rotation", ("code", "memorySize")),
    ("aws:lambda/function:Function", "signing-rotation", ("code",)),
    ("aws:s3/bucketObjectv2:BucketObjectv2", "full-openid-configuration", ("content",)),
    ("aws:secretsmanager/secretRotation:SecretRotation", "existing-rotation-schedule",
     ("rotationLambdaArn",)),
    ("aws:secretsmanager/secretRotation:SecretRotation", "full-rotation-schedule",
     ("rotationLambdaArn",)),
    ("aws:secretsmanager/secretRotation:SecretRotation", "signing-rotation-schedule",
     ("rotationLambdaArn",)),
]

# The fixture's 0.1.0 build embedded the Lambda zips of the checkout that made it, and a zip's
# bytes depend on the checkout's path, so the code hashes in the state are replaced by this one,
# standing for 0.1.0's own zips (whose Lambda kept the registry in the JWKS object's metadata):
# every rotation function's code is then updated, on every machine, as in a real upgrade.
RELEASE_ZIP_HASH = "0" * 64


def with_release_zips(state):
    """The state with every rotation function's code hash set to RELEASE_ZIP_HASH."""
    state = copy.deepcopy(state)
    functions = [r for r in state["deployment"]["resources"]
                 if r["type"] == "aws:lambda/function:Function"]
    assert len(functions) == 3, [r["urn"] for r in functions]
    for r in functions:
        for props in (r["inputs"], r["outputs"]):
            assert "hash" in props["code"], props["code"]
            props["code"]["hash"] = RELEASE_ZIP_HASH
    return state

# What must never be in a state: PEM private keys, and the private members of a JWK.
PRIVATE = re.compile(r'PRIVATE KEY|privateKeyPem|\\?"(d|p|q|dp|dq|qi)\\?"\s*:')


def name_of(urn):
    return urn.split("::")[-1]


def type_of(urn):
    return urn.split("::")[-2].split("$")[-1]


def provider_name(ref):
    """`default_7_0_0` of `urn:...::pulumi:providers:aws::default_7_0_0::<id>`."""
    return ref.split("::")[-2] if ref else None


def underscored(version):
    return version.replace(".", "_")


def previewed(tmp_path, env, state_file):
    """Imports `state_file` into a new stack of the fixture's program, moved to the current
    version and bin/; returns the preview's steps, the engine log and `pulumi` for more."""
    env = dict(env)
    (tmp_path / "home").mkdir()
    (tmp_path / "backend").mkdir()
    env.update({
        "PULUMI_HOME": str(tmp_path / "home"),
        "PULUMI_BACKEND_URL": f"file://{tmp_path / 'backend'}",
        # nothing may reach AWS: a closed port
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{free_port()}",
    })
    work = tmp_path / "program"
    work.mkdir()
    program = (FIXTURE / "Pulumi.yaml").read_text()
    assert program.count(f"version: {PREVIOUS}") == 3, program
    program = program.replace(f"version: {PREVIOUS}", f"version: {project_meta.version()}")
    program = program.replace("path: ../../../../bin", f"path: {PROVIDER_BIN}")
    (work / "Pulumi.yaml").write_text(program)

    p = Pulumi(work, env, STACK)
    p.run("stack", "init", STACK)
    p.run("stack", "import", "--file", str(state_file))
    config = json.loads((FIXTURE / "provenance.json").read_text())["config"]
    for key, value in config.items():
        p.run("config", "set", key, value)
    pre = p.run("preview", "--json", "--diff", "--show-sames",
                "--logflow", "--logtostderr", "-v=9")
    return json.loads(pre.stdout)["steps"], pre.stderr, p


def losses_and_creates(steps):
    """(kind, type, name, replace reasons) of the children replaced or deleted, and (type, name)
    of those created; each child once."""
    losses, created = set(), set()
    for s in steps:
        urn = s["urn"]
        if type_of(urn).startswith("pulumi:"):
            continue
        reasons = tuple(sorted(s.get("replaceReasons") or []))
        if s["op"] in REPLACING:
            losses.add(("replaced", type_of(urn), name_of(urn), reasons))
        elif s["op"] in DELETING:
            losses.add(("deleted", type_of(urn), name_of(urn), ()))
        elif s["op"] == "create":
            created.add((type_of(urn), name_of(urn)))
    # a replacement shows as replace + create-replacement + delete-replaced with the same reasons;
    # a delete-replaced step alone carries none
    replaced = {(t, n) for k, t, n, r in losses if k == "replaced" and r}
    losses = {x for x in losses if not (x[0] == "replaced" and not x[3] and x[1:3] in replaced)}
    return sorted(losses), sorted(created)


def test_upgrade_from_0_1_0_keeps_the_secrets_and_buckets(tmp_path, pulumi_env, provider_bin):
    state = with_release_zips(json.loads(STATE.read_text()))
    old = state["deployment"]["resources"]
    state_file = tmp_path / "state-0.1.0-release-zips.json"
    state_file.write_text(json.dumps(state))
    steps, log, p = previewed(tmp_path, pulumi_env, state_file)

    # the committed state holds no private key material, its secrets (Pulumi ciphertexts) included
    shown = p.run("stack", "export", "--show-secrets").stdout
    assert not PRIVATE.search(shown), PRIVATE.search(shown).group(0)

    # every child of the old state is in the plan (a dropped child would be a delete step)
    planned = {s["urn"] for s in steps}
    children = [r for r in old if not r["type"].startswith("pulumi:")]
    assert {r["urn"] for r in children} <= planned, sorted({r["urn"] for r in children} - planned)

    # the upgrade happened: each pulumi-aws child moves to the current release's default provider
    aws_now = f"default_{underscored(project_meta.aws_version())}"
    aws_children = [s for s in steps if type_of(s["urn"]).startswith("aws:")]
    assert len(aws_children) == sum(r["type"].startswith("aws:") for r in old)
    moves = {(provider_name(s["oldState"]["provider"]), provider_name(s.get("provider")))
             for s in aws_children if s.get("oldState")}
    assert moves == {(f"default_{underscored(PREVIOUS_AWS)}", aws_now)}, moves

    summary = {}
    for s in steps:
        summary[s["op"]] = summary.get(s["op"], 0) + 1
    print(f"steps: {summary}")
    for s in steps:
        if s["op"] == "update":
            print(f"  updated {type_of(s['urn'])} {name_of(s['urn'])}: {s.get('diffReasons')}")

    losses, created = losses_and_creates(steps)
    print(f"replaced or deleted: {losses or 'none'}")
    print(f"created: {created or 'none'}")
    kept_lost = [x for x in losses if x[1] in KEPT]
    assert not kept_lost, f"the upgrade replaces or deletes a secret or a bucket: {kept_lost}"
    assert losses == sorted(EXPECTED_REPLACED_OR_DELETED), losses
    assert created == sorted(EXPECTED_CREATED), created
    updated = sorted({(type_of(s["urn"]), name_of(s["urn"]),
                       tuple(sorted(s.get("diffReasons") or [])))
                      for s in steps
                      if s["op"] == "update" and not type_of(s["urn"]).startswith("pulumi:")})
    assert updated == sorted(EXPECTED_UPDATED), updated

    # which binaries ran: bin/ alone for jwks-rotation and the stand-in for aws, each reporting
    # the current version (no plugin reported 0.1.0 or 7.0.0); the old default providers are
    # deleted (no plugin call), the current ones created
    assert f"plugin jwks-rotation {PREVIOUS} already installed" in log  # bin/, by the path
    launched = set(re.findall(r"Launching plugin '([^ ']+) \(resource\)' from '([^']+)'", log))
    assert launched == {("jwks-rotation", str(provider_bin)), ("aws", str(STANDIN))}, launched
    reported = set(re.findall(r"GetPluginInfo\(\) success \(#version=([^)]+)\)", log))
    assert reported == {project_meta.version(), project_meta.aws_version()}, reported
    planned_providers = set(re.findall(
        r"Planner decided to (create|delete) 'urn:[^']*::pulumi:providers:([^:']+)::([^':]+)'", log))
    assert planned_providers == {
        ("delete", "jwks-rotation", f"default_{underscored(PREVIOUS)}"),
        ("delete", "aws", f"default_{underscored(PREVIOUS_AWS)}"),
        ("create", "jwks-rotation", f"default_{underscored(project_meta.version())}"),
        ("create", "aws", aws_now),
    }, planned_providers
    # pulumi-aws's DiffConfig was asked about the move (once per child) and asked for no replacement
    asked = re.findall(r"DiffConfig\(urn:[^)]*::pulumi:providers:aws::" + aws_now
                       + r"\) success: changes=\d+ #replaces=\[([^\]]*)\]", log)
    assert len(asked) == len(aws_children) and set(asked) == {""}, (len(asked), set(asked))


def test_a_secret_replacement_is_seen(tmp_path, pulumi_env, provider_bin):
    """The control: the same preview of a state in which the `full` component's secret had another
    name reports that secret's replacement."""
    state = json.loads(STATE.read_text())
    changed = copy.deepcopy(state)
    (secret,) = [r for r in changed["deployment"]["resources"]
                 if r["type"] == "aws:secretsmanager/secret:Secret" and name_of(r["urn"]) == "full-secret"]
    for props in (secret["inputs"], secret["outputs"]):
        props["name"] = "jwks-upgrade-full-renamed"
    state_file = tmp_path / "state-renamed.json"
    state_file.write_text(json.dumps(changed))
    steps, _, _ = previewed(tmp_path, pulumi_env, state_file)
    losses, _ = losses_and_creates(steps)
    print(f"replaced or deleted: {losses}")
    assert ("replaced", "aws:secretsmanager/secret:Secret", "full-secret", ("name",)) in losses
    assert [x for x in losses if x[1] in KEPT], losses

