"""invoke task modules (one per namespace); `tasks.py` at the repo root assembles them.

Named `ops`, not `tasks`, because invoke imports the root `tasks.py` as the module `tasks`.
"""
