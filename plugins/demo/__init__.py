"""Built-in plugin ``demo``: the main job, ``loopledger demo``, on the bundled 2025–2026 history."""
