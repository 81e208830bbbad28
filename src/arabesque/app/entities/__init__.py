"""Entities (businesses and end users), upserted by `workflows/run_workflow.py`.

- `queries.py` — read a business or an end user by id or correlation id
"""
