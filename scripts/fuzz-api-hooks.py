"""Schemathesis hooks for scripts/fuzz-api.sh (loaded through SCHEMATHESIS_HOOKS).

OpenAPI 3.0 has no `propertyNames`, so openapi.yaml cannot say that custom field keys are 1-40
characters, none of them a control character, and not only white space (keys are never trimmed;
any other character, `.`, `[` and `]` included, is fine), and JSON Schema cannot say that a number
must be 0 or of a magnitude DynamoDB stores exactly (1e-130 up to below 1e126, at most 38 digits).
Left alone, most generated PUT /v1/customers and POST /v1/orders bodies break one of those rules
and end in 400 VALIDATION_ERROR before reaching the store. This hook repairs those keys (and, in positive cases,
those numbers), so that cases exercise the update and order paths, and negative cases fail for
the reason they were made for; coverage cases aimed at customFields itself are left alone.

It also points most generated customer and order ids at the records fuzz-api.sh seeded
(FUZZ_CUSTOMER_IDS, FUZZ_ORDER_IDS: space-separated): schemathesis' dictionaries reach only the
fuzzing phase, and without this the coverage phase sends every body to customer "0" (404). Cases
of the coverage phase that target the id parameter itself, and stateful cases (which follow
links), keep their ids. It makes the Idempotency-Key of a positive POST /v1/orders or cancel
depend on the body, so that equal bodies replay and different bodies do not collide on one
generated key (422 IDEMPOTENCY_KEY_REUSED is documented, but would hide the paths behind it), and
turns most generated If-Match values of positive cases (always stale) into `*`.
"""

import hashlib
import json
import os
import unicodedata
import zlib

import schemathesis
from schemathesis import GenerationMode
from schemathesis.generation.meta import TestPhase

SEEDED = {
    "customerId": os.environ.get("FUZZ_CUSTOMER_IDS", "").split(),
    "orderId": os.environ.get("FUZZ_ORDER_IDS", "").split(),
}

MAX_KEY_LEN = 40


def _is_space(ch):
    """Go's unicode.IsSpace, which the service's strings.TrimSpace trims (str.isspace differs)."""
    return ch in "\t\n\v\f\r \x85\xa0" or unicodedata.category(ch) in ("Zs", "Zl", "Zp")


def _valid_key(key):
    """customer.ParseCustomFields' key rule: 1-40 characters (code points), none of them a control
    character (category Cc, Go's unicode.IsControl), not only white space. Never trimmed."""
    return (
        1 <= len(key) <= MAX_KEY_LEN
        and not any(unicodedata.category(ch) == "Cc" for ch in key)
        and not all(_is_space(ch) for ch in key)
    )


def _valid_number(value):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return True
    if value == 0:
        return True
    if isinstance(value, int) and len(str(abs(value))) > 38:
        return False
    return 1e-130 <= abs(value) < 1e125


def _repair(fields, numbers):
    repaired = {}
    for i, (key, value) in enumerate(fields.items()):
        if not _valid_key(key):
            key = f"k{i}"
        if numbers and not _valid_number(value):
            value = i
        repaired[key] = value
    return repaired


def _fingerprint(case):
    """A stable number from the generated request, so a run replays from its seed."""
    parts = (
        case.method,
        case.path,
        repr(case.body),
        repr(sorted(case.path_parameters.items())),
        repr(sorted(case.query.items())),
        repr(sorted((case.headers or {}).items())),
    )
    return zlib.crc32(repr(parts).encode())


def _targets(meta):
    """The parameter a coverage case is about, or None."""
    if meta.phase.name != TestPhase.COVERAGE:
        return None
    return getattr(meta.phase.data, "parameter", None)


def _location(meta):
    """Where in the request a coverage case is aimed (e.g. a JSON pointer into the body), or None."""
    if meta.phase.name != TestPhase.COVERAGE:
        return None
    return getattr(meta.phase.data, "location", None)


def _use_seeded_ids(case, meta):
    if meta.phase.name == TestPhase.STATEFUL:
        return
    target = _targets(meta)
    pick = _fingerprint(case)
    if pick % 4 == 0:  # a quarter keep their generated (mostly missing) ids
        return
    for container in (case.path_parameters, case.query):
        for name, ids in SEEDED.items():
            if ids and name in container and name != target:
                container[name] = ids[pick % len(ids)]


def _body_bound_idempotency_key(case):
    key = case.headers.get("Idempotency-Key") if case.headers else None
    if not key:
        return
    body = case.body if isinstance(case.body, (dict, list, str, int, float, bool)) else None
    digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:16]
    case.headers["Idempotency-Key"] = f"{key[:200].strip() or 'k'}-{digest}"


@schemathesis.hook
def map_case(context, case):
    meta = case.meta
    if meta is None:
        return case
    _use_seeded_ids(case, meta)
    positive = meta.generation.mode == GenerationMode.POSITIVE
    body = case.body
    if (
        isinstance(body, dict)
        and isinstance(body.get("customFields"), dict)
        and "customFields" not in str(_targets(meta) or "") + str(_location(meta) or "")
    ):
        body["customFields"] = _repair(body["customFields"], numbers=positive)
    if not positive:
        return case
    if case.method.upper() == "POST" and case.path in ("/v1/orders", "/v1/orders/{orderId}/cancel"):
        _body_bound_idempotency_key(case)
    if case.headers and case.headers.get("If-Match") not in (None, "*") and _fingerprint(case) % 3:
        case.headers["If-Match"] = "*"
    return case
