"""Built-in plugin ``metrics`` (hook implementations in :mod:`plugins.metrics.plugin`)."""
