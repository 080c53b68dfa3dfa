//! Zone checks run before a zone is served or written.
