"""Collection-flow UI definitions: validation on upload, and the rules, pages and navigation the portal
renders (collection-flow reference §3). Pure: no I/O, no clock."""

from arabesque.engine.ui_definition._validate import validate_ui_definition

__all__ = ["validate_ui_definition"]
