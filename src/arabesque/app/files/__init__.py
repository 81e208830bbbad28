"""Document files: uploaded, stored on disk (0600) under the data directory, scoped to the project.

- `store_file.py` — store an upload (type and size checked)
- `queries.py` — read a stored file's metadata and path
- `remote_pages.py` — copy document pages given by `uri` (`https://`, `data:`) into the store for `/run` and PATCH
"""
