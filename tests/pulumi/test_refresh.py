"""`pulumi refresh` with the real CLI on the YAML example: the pulumi-aws stand-in's Read finds
the objects it keeps in moto as they are, sees what was changed or deleted out of band, and the
next preview plans putting it back.

1. up; a refresh finds nothing to change: `refresh --preview-only --expect-no-changes` passes,
   and the applied refresh reports every resource `same` (`--json`) and leaves the ids and
   properties of the objects in moto as they were in the state.
2. Out of band, in moto: the bucket policy (the one that makes jwks.json public) is deleted and
   the bucket's tags are replaced. The same `refresh --preview-only --expect-no-changes` now
   exits with the CLI's no-changes-expected code, and the refresh plan finds the policy gone and
   one update; nothing else changes (the Lambda function, role, schedule... exist only in the
   state: their Read returns the state as given, a limitation written down in aws_standin.py).
3. The refresh applied (`--json` events): the policy deleted from the state, the bucket updated,
   its tags in the state now moto's. The preview after it plans creating the policy and
   updating the bucket (its tags back), `up` does both in moto, and a last refresh finds nothing.
"""

import json

from conftest import copy_example

SECRET_NAME = "jwks-refresh-yaml"
BUCKET_T = "aws:s3/bucket:Bucket"
POLICY_T = "aws:s3/bucketPolicy:BucketPolicy"
SECRET_T = "aws:secretsmanager/secret:Secret"
VERSION_T = "aws:secretsmanager/secretVersion:SecretVersion"
# the CLI's exit code when --expect-no-changes meets changes (cmdutil.ExitNoChanges, part of the
# CLI's stable exit code taxonomy)
EXIT_NO_CHANGES = 7


def json_run(p, *args):
    """Runs the CLI with --json, which prints a JSON document (the plan) and, for a run that is
    not a preview, then the engine events, one a line. Returns (what changed, the change
    summary): {(type, op)} of the events' results when there are events, else of the plan's
    steps (where a refresh preview lists `delete` for a resource found gone and `refresh` for
    every other); and {op: count} of the summary event, else of the plan."""
    r = p.run(*args)
    doc, end = json.JSONDecoder().raw_decode(r.stdout)
    events = [json.loads(line) for line in r.stdout[end:].splitlines() if line.strip()]
    results = [e["resOutputsEvent"]["metadata"] for e in events if "resOutputsEvent" in e]
    summary = [e["summaryEvent"]["resourceChanges"] for e in events if "summaryEvent" in e]
    if results:
        steps = {(m["type"], m["op"]) for m in results}
    else:
        steps = {(s["urn"].split("::")[2].split("$")[-1], s["op"]) for s in doc.get("steps", [])}
    changed = {st for st in steps if st[1] not in ("same", "refresh")}
    return changed, (summary[0] if summary else doc.get("changeSummary", {}))


def state_resources(p):
    exported = json.loads(p.run("stack", "export", "--stack", p.stack).stdout)
    return exported["deployment"]["resources"]


def of_type(resources, token):
    return [r for r in resources if r["type"] == token]


def test_refresh_reads_moto(tmp_path, pulumi_factory, aws):
    work = copy_example("yaml", tmp_path / "refresh-yaml")
    p = pulumi_factory(work, stack="refresh")
    p.run("stack", "init", "refresh")
    p.run("config", "set", "--plaintext", "secretName", SECRET_NAME)
    p.run("up", "--yes", "--skip-preview")
    bucket = p.outputs()["bucketName"]
    assert json.loads(aws.s3.get_bucket_policy(Bucket=bucket)["Policy"])["Statement"]
    before = state_resources(p)
    assert len(of_type(before, POLICY_T)) == 1

    # a refresh that only shows its plan: without PULUMI_SKIP_CONFIRMATIONS (the same as --yes,
    # which --preview-only refuses)
    pv = pulumi_factory(work, stack="refresh")
    pv.env = {k: v for k, v in p.env.items() if k != "PULUMI_SKIP_CONFIRMATIONS"}

    # 1. nothing changed out of band: the refresh finds nothing (every resource `same`), and
    # the objects in moto keep their ids and properties in the state
    pv.run("refresh", "--preview-only", "--expect-no-changes")
    resources = [r for r in before if not r["type"].startswith("pulumi:providers:")]
    changed, summary = json_run(p, "refresh", "--yes", "--expect-no-changes", "--json")
    assert changed == set() and summary == {"same": len(resources)}, (changed, summary)
    after = state_resources(p)
    for token in (BUCKET_T, POLICY_T, SECRET_T, VERSION_T):
        (old,), (new,) = of_type(before, token), of_type(after, token)
        assert new["id"] == old["id"], token
        if token != VERSION_T:  # its outputs hold a secret, encrypted anew in each state
            assert new["outputs"] == old["outputs"], token

    # 2. out of band: the JWKS-serving bucket policy deleted, the bucket's tags replaced
    aws.s3.delete_bucket_policy(Bucket=bucket)
    aws.s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [{"Key": "team", "Value": "oob"}]})
    nop = pv.run("refresh", "--preview-only", "--expect-no-changes", check=False)
    assert nop.returncode == EXIT_NO_CHANGES, (nop.stdout, nop.stderr)  # it passed in 1.
    changed, summary = json_run(pv, "refresh", "--preview-only", "--json")
    assert changed == {(POLICY_T, "delete")}, changed
    assert summary == {"same": len(resources) - 2, "update": 1, "delete": 1}, summary

    # 3. the refresh applied: the state follows moto
    changed, summary = json_run(p, "refresh", "--yes", "--json")
    assert changed == {(POLICY_T, "delete"), (BUCKET_T, "update")}, changed
    assert summary == {"same": len(resources) - 2, "update": 1, "delete": 1}, summary
    refreshed = state_resources(p)
    assert of_type(refreshed, POLICY_T) == []
    (b,) = of_type(refreshed, BUCKET_T)
    assert b["outputs"]["tags"] == {"team": "oob"} and b["inputs"]["tags"] == {"team": "oob"}

    # the preview after the refresh puts the program's state back: the policy created again and
    # the bucket's tags updated (in place)
    changed, summary = json_run(p, "preview", "--json")
    assert changed == {(POLICY_T, "create"), (BUCKET_T, "update")}, changed
    p.run("up", "--yes", "--skip-preview")
    policy = json.loads(aws.s3.get_bucket_policy(Bucket=bucket)["Policy"])
    public = [st for st in policy["Statement"] if st.get("Principal") in ("*", {"AWS": "*"})]
    assert public, policy
    tags = aws.s3.get_bucket_tagging(Bucket=bucket)["TagSet"]
    assert {"Key": "team", "Value": "identity"} in tags
    changed, summary = json_run(p, "refresh", "--yes", "--expect-no-changes", "--json")
    assert changed == set() and summary == {"same": len(resources)}, (changed, summary)

    p.run("destroy", "--yes", "--skip-preview")
    p.run("stack", "rm", "--yes", "refresh")
