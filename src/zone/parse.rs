//! Zone-file (RFC 1035 §5 master file) reader.
//!
//! Pure: imports only `std` and the other `zone` modules.

/// One token of a record's text: a word or a quoted string, with escapes left as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// The token's text without surrounding quotes; backslash escapes are kept as written so the
    /// RDATA parser can tell `\.` from `.`.
    pub text: String,
    /// Was it written between double quotes?
    pub quoted: bool,
}
