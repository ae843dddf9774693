"""The Node.js and Go SDKs' own unit tests, and type checks, run from pytest.

* `node --test` on sdk_tests/jwksRotation.test.js (real @pulumi/pulumi mocks) inside .tools/node
  with the SDK built from sdk/nodejs;
* `tsc --noEmit` (strict) on the Node.js SDK and on examples/typescript against that SDK;
* `go test` on sdk_tests/go (real Go SDK mocks) in a module that uses sdk/go.
The Python SDK's tests are test_sdk_python.py.
"""

import os
import re
import shutil
from pathlib import Path

from conftest import ROOT, run_checked
import sdkbuild

HERE = Path(__file__).parent


def test_nodejs_sdk_unit_tests():
    node = sdkbuild.node_workspace()
    work = node / "work" / "sdk-test"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    shutil.copy(HERE / "sdk_tests" / "jwksRotation.test.js", work)
    p = run_checked(["node", "--test", "jwksRotation.test.js"], cwd=work)
    print(p.stdout[-400:])
    assert re.search(r"^# pass 4$", p.stdout, re.M), p.stdout
    assert re.search(r"^# fail 0$", p.stdout, re.M), p.stdout


def test_nodejs_sdk_and_example_typecheck():
    node = sdkbuild.node_workspace()
    tsc = str(node / "node_modules" / ".bin" / "tsc")
    run_checked([tsc, "--noEmit", "-p", str(node / "build" / "sdk-nodejs")], cwd=node)
    work = node / "work" / "typecheck-example"
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(ROOT / "examples" / "typescript", work,
                    ignore=shutil.ignore_patterns("node_modules", "bin", "package.json"))
    run_checked([tsc, "--noEmit", "-p", str(work)], cwd=work)


def test_go_sdk_unit_tests(tmp_path):
    work = tmp_path / "sdk-go-test"
    work.mkdir()
    for f in (HERE / "sdk_tests" / "go").glob("*.go"):
        shutil.copy(f, work)
    sdkbuild.go_module(work, "sdktest")
    env = dict(os.environ, GOWORK="off", GOFLAGS="-mod=mod")
    p = run_checked(["go", "test", "-count=1", "-v", "./..."], cwd=work, env=env, timeout=1800)
    print(p.stdout[-600:])
    assert "--- PASS: TestInputsReachTheRegistrationWithDefaults" in p.stdout
    assert "--- PASS: TestMissingRequiredArgumentsAreRefused" in p.stdout
    assert "--- PASS: TestEnumsAreTypedConstants" in p.stdout
