//! SPF macro strings (RFC 7208 §7): their syntax, and their expansion against the facts of
//! one SMTP transaction.
//!
//! ```text
//! macro-string = *( macro-expand / macro-literal )
//! macro-expand = ( "%{" macro-letter transformers *delimiter "}" ) / "%%" / "%_" / "%-"
//! macro-letter = s l o d i p h c r t v      (c r t only in explanation text)
//! transformers = *DIGIT [ "r" ]
//! delimiter    = "." / "-" / "+" / "," / "/" / "_" / "="
//! macro-literal = %x21-24 / %x26-7E         (visible characters except "%")
//! ```
//!
//! Pure: the one fact that needs DNS (`%{p}`, the validated name of the client) is asked of the
//! caller through a closure, and the clock (`%{t}`) is a field the caller fills in.

use std::fmt::Write as _;
use std::net::IpAddr;

use serde::Serialize;

/// Where a macro string stands: the letters `c`, `r` and `t` and spaces are allowed only in
/// the text of an explanation (the TXT record `exp=` points at).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MacroPlace {
    /// A domain-spec or an unknown modifier's value.
    Term,
    /// The explanation text fetched for `exp=`.
    Explanation,
}

/// One piece of a macro string.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Piece {
    /// Text taken as it is.
    Literal { text: String },
    /// `%%`, `%_` or `%-`: expands to `%`, a space, or `%20`.
    Escape { text: &'static str },
    /// `%{…}`.
    Macro(Macro),
}

/// A `%{…}` macro.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Macro {
    /// The macro letter, lower-cased.
    pub letter: char,
    /// Written in upper case: the value is URL-escaped (§7.3).
    pub url_escape: bool,
    /// Keep only this many right-hand parts.
    pub keep: Option<u32>,
    /// Reverse the parts first.
    pub reverse: bool,
    /// Split on these characters (default `.`).
    pub delimiters: String,
}

/// A parsed macro string.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MacroString {
    pub text: String,
    pub pieces: Vec<Piece>,
}

/// Why a macro string is malformed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MacroError {
    #[error("'%' at offset {at} must be followed by '{{', '%', '_' or '-' (write '%%' for a percent sign)")]
    BadPercent { at: usize },
    #[error("the macro at offset {at} is not closed with '}}'")]
    Unclosed { at: usize },
    #[error("'%{{{letter}' is not a macro letter (use s l o d i p h v, and c r t only in explanation text)")]
    BadLetter { letter: char },
    #[error("the macro '{text}' is malformed: after the letter come digits, an optional 'r', then delimiters from . - + , / _ =")]
    BadTransformer { text: String },
    #[error("the macro '{text}' keeps 0 parts; the digit count must be at least 1")]
    ZeroKeep { text: String },
    #[error("the character {0:?} is not allowed here (only visible ASCII)")]
    BadChar(char),
}

impl MacroString {
    /// Parses `text` as a macro string for `place`.
    pub fn parse(text: &str, place: MacroPlace) -> Result<MacroString, MacroError> {
        let bytes = text.as_bytes();
        let mut pieces = Vec::new();
        let mut literal = String::new();
        let mut i = 0;
        while i < bytes.len() {
            let c = bytes[i];
            if c != b'%' {
                let ok =
                    (0x21..=0x7e).contains(&c) || (c == b' ' && place == MacroPlace::Explanation);
                if !ok {
                    // Report the whole character, not a byte of it.
                    let ch = text[i..].chars().next().unwrap_or('?');
                    return Err(MacroError::BadChar(ch));
                }
                literal.push(c as char);
                i += 1;
                continue;
            }
            let escape = match bytes.get(i + 1) {
                Some(b'%') => Some("%"),
                Some(b'_') => Some(" "),
                Some(b'-') => Some("%20"),
                Some(b'{') => None,
                _ => return Err(MacroError::BadPercent { at: i }),
            };
            if !literal.is_empty() {
                pieces.push(Piece::Literal {
                    text: std::mem::take(&mut literal),
                });
            }
            if let Some(text) = escape {
                pieces.push(Piece::Escape { text });
                i += 2;
                continue;
            }
            let close = text[i..]
                .find('}')
                .map(|k| i + k)
                .ok_or(MacroError::Unclosed { at: i })?;
            pieces.push(Piece::Macro(parse_macro(&text[i..=close], place)?));
            i = close + 1;
        }
        if !literal.is_empty() {
            pieces.push(Piece::Literal { text: literal });
        }
        Ok(MacroString {
            text: text.to_string(),
            pieces,
        })
    }

    /// Does the string hold any `%{…}` macro (so its value depends on the message)?
    pub fn has_macros(&self) -> bool {
        self.pieces.iter().any(|p| matches!(p, Piece::Macro(_)))
    }

    /// Expands the string. `validated` computes `%{p}` (asked at most once, and only if used).
    pub fn expand(&self, facts: &MacroFacts, validated: &mut dyn FnMut() -> String) -> String {
        let mut out = String::new();
        let mut p_value: Option<String> = None;
        for piece in &self.pieces {
            match piece {
                Piece::Literal { text } => out.push_str(text),
                Piece::Escape { text } => out.push_str(text),
                Piece::Macro(m) => {
                    let value = match m.letter {
                        'p' => p_value.get_or_insert_with(&mut *validated).clone(),
                        letter => facts.value(letter),
                    };
                    out.push_str(&m.transform(&value));
                }
            }
        }
        out
    }
}

/// `%{…}` (the whole text, braces included) into a [`Macro`].
fn parse_macro(text: &str, place: MacroPlace) -> Result<Macro, MacroError> {
    let inner = &text[2..text.len() - 1];
    let mut chars = inner.chars();
    let letter_raw = chars.next().ok_or_else(|| MacroError::BadTransformer {
        text: text.to_string(),
    })?;
    let letter = letter_raw.to_ascii_lowercase();
    let allowed = match place {
        MacroPlace::Term => "slodiphv",
        MacroPlace::Explanation => "slodiphvcrt",
    };
    if !letter_raw.is_ascii_alphabetic() || !allowed.contains(letter) {
        return Err(MacroError::BadLetter { letter: letter_raw });
    }
    let rest = chars.as_str();
    let digits_end = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    let keep = if digits_end == 0 {
        None
    } else {
        let n: u32 = rest[..digits_end]
            .parse()
            .map_err(|_| MacroError::BadTransformer {
                text: text.to_string(),
            })?;
        if n == 0 {
            return Err(MacroError::ZeroKeep {
                text: text.to_string(),
            });
        }
        Some(n)
    };
    let mut rest = &rest[digits_end..];
    let reverse = matches!(rest.chars().next(), Some('r' | 'R'));
    if reverse {
        rest = &rest[1..];
    }
    if !rest.chars().all(|c| ".-+,/_=".contains(c)) {
        return Err(MacroError::BadTransformer {
            text: text.to_string(),
        });
    }
    Ok(Macro {
        letter,
        url_escape: letter_raw.is_ascii_uppercase(),
        keep,
        reverse,
        delimiters: rest.to_string(),
    })
}

impl Macro {
    /// Splits, reverses, keeps the right-hand parts, joins with dots, URL-escapes (§7.3).
    pub fn transform(&self, value: &str) -> String {
        let delimiters = if self.delimiters.is_empty() {
            "."
        } else {
            &self.delimiters
        };
        let mut parts: Vec<&str> = value.split(|c| delimiters.contains(c)).collect();
        if self.reverse {
            parts.reverse();
        }
        if let Some(keep) = self.keep {
            let keep = keep as usize;
            if parts.len() > keep {
                parts.drain(..parts.len() - keep);
            }
        }
        let joined = parts.join(".");
        if self.url_escape {
            url_escape(&joined)
        } else {
            joined
        }
    }
}

/// Escapes every byte outside the URI unreserved set (RFC 3986) as `%XX`.
pub fn url_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// The facts of one check that macros expand to.
#[derive(Debug, Clone)]
pub struct MacroFacts {
    /// The local part of the sender (`l`).
    pub local: String,
    /// The sender's domain (`o`).
    pub sender_domain: String,
    /// The domain whose record is being evaluated (`d`).
    pub domain: String,
    /// The client address (`i`, `c`, `v`); an IPv4-mapped IPv6 address is given as IPv4.
    pub ip: IpAddr,
    /// The HELO/EHLO name (`h`).
    pub helo: String,
    /// The receiving host's name (`r`).
    pub receiver: String,
    /// Seconds since 1970 (`t`).
    pub now: u64,
}

impl MacroFacts {
    /// The value of a macro letter other than `p`.
    fn value(&self, letter: char) -> String {
        match letter {
            's' => format!("{}@{}", self.local, self.sender_domain),
            'l' => self.local.clone(),
            'o' => self.sender_domain.clone(),
            'd' => self.domain.clone(),
            'i' => dotted_ip(self.ip),
            'v' => match self.ip {
                IpAddr::V4(_) => "in-addr".into(),
                IpAddr::V6(_) => "ip6".into(),
            },
            'h' => self.helo.clone(),
            'c' => self.ip.to_string(),
            'r' => self.receiver.clone(),
            't' => self.now.to_string(),
            // The parser admits no other letter.
            _ => String::new(),
        }
    }
}

/// `%{i}`: dotted quad, or for IPv6 the 32 nibbles as upper-case hex separated by dots.
pub fn dotted_ip(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let mut out = String::with_capacity(63);
            for (k, byte) in v6.octets().iter().enumerate() {
                if k > 0 {
                    out.push('.');
                }
                let _ = write!(out, "{:X}.{:X}", byte >> 4, byte & 0xf);
            }
            out
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> MacroFacts {
        // The example of RFC 7208 §7.4.
        MacroFacts {
            local: "strong-bad".into(),
            sender_domain: "email.example.com".into(),
            domain: "email.example.com".into(),
            ip: "192.0.2.3".parse().unwrap(),
            helo: "mx.example.org".into(),
            receiver: "unknown".into(),
            now: 1_000_000_000,
        }
    }

    fn expand(s: &str) -> String {
        MacroString::parse(s, MacroPlace::Term)
            .unwrap()
            .expand(&facts(), &mut || "mx.example.org".into())
    }

    #[test]
    fn rfc7208_section_7_4_examples() {
        assert_eq!(expand("%{s}"), "strong-bad@email.example.com");
        assert_eq!(expand("%{o}"), "email.example.com");
        assert_eq!(expand("%{d}"), "email.example.com");
        assert_eq!(expand("%{d4}"), "email.example.com");
        assert_eq!(expand("%{d3}"), "email.example.com");
        assert_eq!(expand("%{d2}"), "example.com");
        assert_eq!(expand("%{d1}"), "com");
        assert_eq!(expand("%{dr}"), "com.example.email");
        assert_eq!(expand("%{d2r}"), "example.email");
        assert_eq!(expand("%{l}"), "strong-bad");
        assert_eq!(expand("%{l-}"), "strong.bad");
        assert_eq!(expand("%{lr}"), "strong-bad");
        assert_eq!(expand("%{lr-}"), "bad.strong");
        assert_eq!(expand("%{l1r-}"), "strong");
        assert_eq!(
            expand("%{ir}.%{v}._spf.%{d2}"),
            "3.2.0.192.in-addr._spf.example.com"
        );
        assert_eq!(
            expand("%{lr-}.lp._spf.%{d2}"),
            "bad.strong.lp._spf.example.com"
        );
        assert_eq!(expand("%{p}.x"), "mx.example.org.x");
        assert_eq!(expand("a%%b%_c%-d"), "a%b c%20d");
        let mut f = facts();
        f.ip = "2001:db8::cb01".parse().unwrap();
        let s = MacroString::parse("%{ir}.%{v}._spf.%{d2}", MacroPlace::Term).unwrap();
        assert_eq!(
            s.expand(&f, &mut String::new),
            "1.0.B.C.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.B.D.0.1.0.0.2.ip6._spf.example.com"
        );
    }

    #[test]
    fn upper_case_letters_url_escape() {
        let mut f = facts();
        f.local = "~jack&jill=up-a_b3.c".into();
        let s = MacroString::parse("l=%{L}", MacroPlace::Term).unwrap();
        assert_eq!(s.expand(&f, &mut String::new), "l=~jack%26jill%3Dup-a_b3.c");
    }

    #[test]
    fn explanation_only_letters_and_spaces() {
        assert!(matches!(
            MacroString::parse("%{r}.example.com", MacroPlace::Term),
            Err(MacroError::BadLetter { letter: 'r' })
        ));
        assert!(MacroString::parse("a b", MacroPlace::Term).is_err());
        let s = MacroString::parse("from %{c} at %{t} via %{r}", MacroPlace::Explanation).unwrap();
        assert_eq!(
            s.expand(&facts(), &mut String::new),
            "from 192.0.2.3 at 1000000000 via unknown"
        );
    }

    #[test]
    fn malformed_macros() {
        for bad in [
            "%(ir).x", "foo%.x", "%", "%{", "%{a}", "%{x}", "%{d0}", "%{d2q}", "%{dr-x}",
            "a\u{80}", "a\rb",
        ] {
            assert!(
                MacroString::parse(bad, MacroPlace::Term).is_err(),
                "{bad:?} parsed"
            );
        }
        assert!(!MacroString::parse("a.b", MacroPlace::Term)
            .unwrap()
            .has_macros());
        assert!(!MacroString::parse("a%%b", MacroPlace::Term)
            .unwrap()
            .has_macros());
        assert!(MacroString::parse("%{d}", MacroPlace::Term)
            .unwrap()
            .has_macros());
    }
}
