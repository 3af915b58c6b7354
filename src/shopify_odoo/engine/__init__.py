"""Workers, pollers and reconcile sweeps that apply plans through the clients."""
