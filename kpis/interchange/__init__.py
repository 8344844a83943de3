"""The plan interchange format (docs/open-data.md, docs/plan.schema.json): validate, import, export."""

FORMAT = "dxportal.plan/1"
