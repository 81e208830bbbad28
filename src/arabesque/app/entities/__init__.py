"""Entities (businesses and end users): upserted by `workflows/run_workflow.py`, or managed through the API.

- `queries.py` — read a business or an end user by id or correlation id, a page of them, the workflows of one
- `create_entity.py` — create an end user, a business, or an end user with its business (linked)
- `update_entity.py` — change an end user's or a business's fields
- `business_information.py` — a company's record from the registry the project's secrets configure
"""
