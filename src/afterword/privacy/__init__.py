"""Privacy: what is stored and for how long; anonymisation helpers every writer uses."""
