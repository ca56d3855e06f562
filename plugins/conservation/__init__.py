"""Built-in plugin ``conservation`` (hook implementations in :mod:`plugins.conservation.plugin`)."""
