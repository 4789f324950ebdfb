"""Every tracking ID shown as an example (OpenAPI, error messages, ids docstring) passes its own check."""
import json
import re

import contract.ids
from contract.ids import parse_tracking_id
from intake import exceptions, openapi_doc

EXAMPLE = re.compile(r"\b[A-Z0-9]{2,8}-[0-9A-Z]{5}-[0-9A-Z]{5}\b")


def test_documented_tracking_ids_are_valid():
    texts = [json.dumps(vars(openapi_doc), default=str), contract.ids.__doc__,
             json.dumps(exceptions.invalid_tracking_id().errors)]
    examples = {m for text in texts for m in EXAMPLE.findall(text)}
    assert examples, "no example found"
    assert {e for e in examples if parse_tracking_id(e) is None} == set()
