"""Built-in plugin ``balances`` (hook implementations in :mod:`plugins.balances.plugin`)."""
