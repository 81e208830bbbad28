"""Workflow definitions: stored versions, looked up by id or name, compiled once.

- `lookup.py` — find, resolve (latest version) and compile definitions, with the compiled-definition cache
- `create_definition.py` — store a new definition (version 1)
- `upgrade_definition.py` — store a new version of a project's definition (`add_version`: every change's path)
- `definition_parts.py` — read or change one part (plugins, context and custom data schemas, documents schema,
  statechart); each change a new version
- `copy_definition.py` — copy a visible definition as version 1 of a new name in the project
- `upload_definition.py` — the admin page's upload: a new version, or a new definition
- `queries.py` — read one definition, list them, list versions by name, one version's detail
"""
