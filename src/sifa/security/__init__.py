"""安全监测、通报、响应、处置: security events derived from what Sifa already records, rules that
raise incidents, and the security administrator's handling of them (docs/security.md)."""
