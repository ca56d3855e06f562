"""Built-in plugin ``reports`` (hook implementations in :mod:`plugins.reports.plugin`)."""
