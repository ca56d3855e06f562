"""Built-in plugin ``scenarios``: what-if scenarios that branch the history and diff every figure,
and sensitivity sweeps (hook implementations in :mod:`plugins.scenarios.plugin`)."""
