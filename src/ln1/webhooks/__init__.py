"""Events forwarded by the edge (``edge/workers/webhook-ingest``): ``POST /v1/webhooks/{source}``.

The edge verifies each provider's own signature (GitHub, Stripe, a generic HMAC scheme),
normalises the event into one envelope and forwards it here signed with the shared
edge-to-origin secret (``LN1_EDGE_SECRET``). This package checks that signature and the
timestamp, validates the envelope and stores the event once per ``(source, delivery_id)``.

A company's admins can make rules (``rules``) that start a task when an event of theirs is
stored for the first time (``flows``), and read their events back (``company_views``).
"""
