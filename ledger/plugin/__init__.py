"""The plugin system: hook specifications, the plugin manager and its typed facade, the
registries, and the value types plugins exchange (figures, reports).

May import every layer below it and ``invariants``; must not import ``plugins``, the API or faces.
"""
