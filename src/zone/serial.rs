//! SOA serial arithmetic (RFC 1982) and serial policies.
