"""The orchestrator's side of the security-proxy Worker (``edge/workers/security-proxy``).

With ``LN1_REQUIRE_EDGE_PROXY=true`` the API answers ``/v1`` requests only when they carry the
proxy's signed origin header, so nobody can go around the proxy's key check and rate limit by
calling the origin directly. ``signing`` rebuilds and checks that signature exactly as the
Worker computes it; ``middleware`` applies it to the routes that must come through the proxy.
"""

from ln1.proxy.middleware import ProxyCheck, guarded
from ln1.proxy.signing import NotThroughProxy, signed_headers, verify

__all__ = ["NotThroughProxy", "ProxyCheck", "guarded", "signed_headers", "verify"]
