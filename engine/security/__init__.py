"""Who is asking and what they may read: identity, tokens, request signatures, masking.

=============  ===============================================================
``identity``   the Actor (groups, regions, PII right) and the system actor
``tokens``     bearer tokens (JWT) minted and checked for the HTTP API
``macs``       keyed MACs (the audit chain, signed callbacks)
``masking``    personal data masked once, for the Python API and HTTP alike
=============  ===============================================================
"""
