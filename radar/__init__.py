"""`radar`: the command line and the demo. Orchestrates features, model and portal; imported by nothing."""
