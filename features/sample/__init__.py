"""A synthetic B2B portfolio whose files carry only what a real company would export.

Behaviour comes from a hidden per-account state (`portfolio.simulate_state`) that drifts
with shocks; usage, tickets, CSM touchpoints, manual traits and renewals all read it.
"""
