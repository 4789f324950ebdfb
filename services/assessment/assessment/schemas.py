"""What leaves assessment."""
from marshmallow import Schema, fields


class CountOut(Schema):
    received = fields.Integer(load_default=0)
    dispositioned = fields.Integer(load_default=0)
    triage = fields.Integer(load_default=0)


class CountsOut(Schema):
    hubs = fields.Dict(keys=fields.String(), values=fields.Nested(CountOut))
    regions = fields.Dict(keys=fields.String(), values=fields.Nested(CountOut))
    agencies = fields.Dict(keys=fields.String(), values=fields.Nested(CountOut))


OPENAPI_SCHEMAS = {"Counts": CountsOut}
OPENAPI_PATHS = {
    "/stats/counts": {"get": {
        "summary": "Reports received per hub and region, dispositioned per agency",
        "responses": {"200": {"description": "Counters kept live from events",
                              "content": {"application/json": {"schema": "Counts"}}}}}},
}
