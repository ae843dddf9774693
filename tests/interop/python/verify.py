#!/usr/bin/env python3
"""Python verifiers of the interop matrix, each used as a relying party uses it.

    verify.py CASES.json   ->  JSON on stdout: {"libraries": [{name, version, results}]}

PyJWT: one `PyJWKClient(jwks_url)` per JWKS (it fetches over HTTP, caches the set and refetches
once on an unknown kid), `get_signing_key_from_jwt(token)` selects the key by kid, then
`jwt.decode(token, key, algorithms=[alg], audience=...)`. PyJWT has no clock option: it reads
`datetime.now()` in `jwt.api_jwt`, so the corpus clock is put there with unittest.mock.

joserfc: no HTTP client of its own; the relying party fetches the JWKS over HTTP once per URL
(urllib), imports it as a `KeySet`, `jwt.decode(token, keyset, algorithms=[alg])` selects the
key by kid, and `JWTClaimsRegistry(now=clock, exp essential, aud)` checks the claims.
"""

from __future__ import annotations

import json
import sys
import urllib.request
from datetime import datetime, timezone
from importlib.metadata import version
from unittest import mock


def detail(err: Exception) -> str:
    return f"{type(err).__name__}: {err}"[:300]


def with_pyjwt(corpus: dict) -> dict:
    import jwt
    import jwt.api_jwt

    clock = corpus["clock"]

    class CorpusClock(datetime):
        @classmethod
        def now(cls, tz=None):
            return datetime.fromtimestamp(clock, tz or timezone.utc)

    clients: dict[str, jwt.PyJWKClient] = {}
    results = []
    with mock.patch.object(jwt.api_jwt, "datetime", CorpusClock):
        for case in corpus["cases"]:
            client = clients.setdefault(case["jwks_url"], jwt.PyJWKClient(case["jwks_url"]))
            try:
                key = client.get_signing_key_from_jwt(case["token"])
                jwt.decode(
                    case["token"],
                    key.key,
                    algorithms=[case["alg"]],
                    audience=corpus["audience"],
                    options={"require": ["exp"]},
                )
                results.append({"id": case["id"], "mode": "default", "result": "accept", "detail": ""})
            except Exception as err:  # noqa: BLE001 - every refusal is an outcome
                results.append({"id": case["id"], "mode": "default", "result": "refuse", "detail": detail(err)})
    return {"name": "PyJWT", "version": version("PyJWT"), "results": results}


def with_joserfc(corpus: dict) -> dict:
    from joserfc import jwt
    from joserfc.jwk import KeySet

    sets: dict[str, KeySet] = {}
    results = []
    for case in corpus["cases"]:
        try:
            if case["jwks_url"] not in sets:
                with urllib.request.urlopen(case["jwks_url"], timeout=10) as response:
                    sets[case["jwks_url"]] = KeySet.import_key_set(json.load(response))
            token = jwt.decode(case["token"], sets[case["jwks_url"]], algorithms=[case["alg"]])
            registry = jwt.JWTClaimsRegistry(
                now=corpus["clock"],
                leeway=0,
                exp={"essential": True},
                aud={"essential": True, "value": corpus["audience"]},
            )
            registry.validate(token.claims)
            results.append({"id": case["id"], "mode": "default", "result": "accept", "detail": ""})
        except Exception as err:  # noqa: BLE001 - every refusal is an outcome
            results.append({"id": case["id"], "mode": "default", "result": "refuse", "detail": detail(err)})
    return {"name": "joserfc", "version": version("joserfc"), "results": results}


def main() -> int:
    with open(sys.argv[1]) as f:
        corpus = json.load(f)
    print(json.dumps({"libraries": [with_pyjwt(corpus), with_joserfc(corpus)]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
