//! Domain names: uncompressed wire form, presentation-format parsing and printing, and the
//! case-insensitive comparisons the lookup path needs.
//!
//! Pure: imports nothing outside `std`.

use std::fmt;

/// Longest name in wire form (RFC 1035 §2.3.4).
pub const MAX_NAME_LEN: usize = 255;
/// Longest label (RFC 1035 §2.3.4).
pub const MAX_LABEL_LEN: usize = 63;

/// An absolute domain name, held in uncompressed wire form (length-prefixed labels ending in the
/// root label), with the case it was written in.
///
/// Equality and hashing are *byte-wise*: the zone model stores owner names lower-cased
/// (see [`Name::to_lowercase`]) so that the query path can hash and compare raw bytes.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Name(Box<[u8]>);

/// Why a name could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("empty label in name {0:?}")]
    EmptyLabel(String),
    #[error("label longer than 63 bytes in name {0:?}")]
    LabelTooLong(String),
    #[error("name {0:?} is longer than 255 bytes")]
    TooLong(String),
    #[error("bad escape in name {0:?}")]
    BadEscape(String),
    #[error("relative name {0:?} with no origin to complete it")]
    NoOrigin(String),
    #[error("malformed name in wire data")]
    BadWire,
}

impl Name {
    /// The root name `.`.
    pub fn root() -> Name {
        Name(Box::new([0]))
    }

    /// Wraps wire bytes that are already known to be a valid uncompressed name.
    ///
    /// Returns an error if `wire` is not exactly one well-formed name.
    pub fn from_wire(wire: &[u8]) -> Result<Name, NameError> {
        let len = wire_name_len(wire).ok_or(NameError::BadWire)?;
        if len != wire.len() {
            return Err(NameError::BadWire);
        }
        Ok(Name(wire.into()))
    }

    /// Parses a name in presentation format. `@` is the origin; a name without a trailing dot is
    /// relative to `origin`. Handles `\X` and `\DDD` escapes.
    pub fn parse(text: &str, origin: Option<&Name>) -> Result<Name, NameError> {
        if text == "@" {
            return origin
                .cloned()
                .ok_or_else(|| NameError::NoOrigin(text.into()));
        }
        if text == "." {
            return Ok(Name::root());
        }
        let bytes = text.as_bytes();
        let mut wire: Vec<u8> = Vec::with_capacity(bytes.len() + 2);
        let mut label: Vec<u8> = Vec::with_capacity(63);
        let mut absolute = false;
        let mut i = 0;
        while i < bytes.len() {
            let c = bytes[i];
            match c {
                b'.' => {
                    if label.is_empty() {
                        return Err(NameError::EmptyLabel(text.into()));
                    }
                    push_label(&mut wire, &label, text)?;
                    label.clear();
                    if i + 1 == bytes.len() {
                        absolute = true;
                    }
                    i += 1;
                }
                b'\\' => {
                    let (byte, used) = unescape(&bytes[i + 1..])
                        .ok_or_else(|| NameError::BadEscape(text.into()))?;
                    label.push(byte);
                    i += 1 + used;
                }
                _ => {
                    label.push(c);
                    i += 1;
                }
            }
        }
        if !label.is_empty() {
            push_label(&mut wire, &label, text)?;
        }
        if !absolute {
            let origin = origin.ok_or_else(|| NameError::NoOrigin(text.into()))?;
            wire.extend_from_slice(&origin.0[..origin.0.len() - 1]);
        }
        wire.push(0);
        if wire.len() > MAX_NAME_LEN {
            return Err(NameError::TooLong(text.into()));
        }
        Ok(Name(wire.into_boxed_slice()))
    }

    /// The uncompressed wire form, ending with the root label.
    pub fn as_wire(&self) -> &[u8] {
        &self.0
    }

    /// Length of the wire form.
    pub fn wire_len(&self) -> usize {
        self.0.len()
    }

    /// Is this the root name?
    pub fn is_root(&self) -> bool {
        self.0.len() == 1
    }

    /// The labels from left to right, without the root label.
    pub fn labels(&self) -> Labels<'_> {
        Labels { rest: &self.0 }
    }

    /// Number of labels, not counting the root.
    pub fn label_count(&self) -> usize {
        self.labels().count()
    }

    /// A copy with ASCII letters lower-cased: the form zone owners are stored and looked up in.
    pub fn to_lowercase(&self) -> Name {
        let mut v = self.0.clone();
        lowercase_wire(&mut v);
        Name(v)
    }

    /// Has the name no upper-case ASCII letter (so [`Name::to_lowercase`] would copy it as is)?
    pub fn is_lowercase(&self) -> bool {
        // Label lengths are at most 63, below b'A', so only letters can match.
        !has_ascii_uppercase(&self.0)
    }

    /// Wraps the wire bytes of a suffix of a valid, lower-cased name (no validation).
    pub(crate) fn from_lowercase_wire(wire: &[u8]) -> Name {
        debug_assert_eq!(wire_name_len(wire), Some(wire.len()));
        Name(wire.into())
    }

    /// Is the first label `*`?
    pub fn is_wildcard(&self) -> bool {
        self.0.len() >= 2 && self.0[0] == 1 && self.0[1] == b'*'
    }

    /// The name with its first label removed; `None` for the root.
    pub fn parent(&self) -> Option<Name> {
        if self.is_root() {
            return None;
        }
        let skip = 1 + self.0[0] as usize;
        Some(Name(self.0[skip..].into()))
    }

    /// Is `self` equal to or below `ancestor` (ASCII case-insensitively)?
    pub fn is_subdomain_of(&self, ancestor: &Name) -> bool {
        wire_is_subdomain(&self.0, &ancestor.0)
    }

    /// Prepends one label (e.g. `*`), failing if the result is too long.
    pub fn prepend_label(&self, label: &[u8]) -> Result<Name, NameError> {
        if label.is_empty() || label.len() > MAX_LABEL_LEN {
            return Err(NameError::LabelTooLong(
                String::from_utf8_lossy(label).into(),
            ));
        }
        let mut v = Vec::with_capacity(self.0.len() + label.len() + 1);
        v.push(label.len() as u8);
        v.extend_from_slice(label);
        v.extend_from_slice(&self.0);
        if v.len() > MAX_NAME_LEN {
            return Err(NameError::TooLong(format!(
                "{}{}",
                String::from_utf8_lossy(label),
                self
            )));
        }
        Ok(Name(v.into_boxed_slice()))
    }

    /// Replaces the suffix `old` (which `self` must be below) with `new`, as DNAME does
    /// (RFC 6672 §2.2). Fails with [`NameError::TooLong`] when the result exceeds 255 bytes.
    pub fn replace_suffix(&self, old: &Name, new: &Name) -> Result<Name, NameError> {
        debug_assert!(self.is_subdomain_of(old));
        let keep = self.0.len() - old.0.len();
        let mut v = Vec::with_capacity(keep + new.0.len());
        v.extend_from_slice(&self.0[..keep]);
        v.extend_from_slice(&new.0);
        if v.len() > MAX_NAME_LEN {
            return Err(NameError::TooLong(self.to_string()));
        }
        Ok(Name(v.into_boxed_slice()))
    }

    /// Case-insensitive equality.
    pub fn eq_ignore_case(&self, other: &Name) -> bool {
        self.0.eq_ignore_ascii_case(&other.0)
    }

    /// This name relative to `origin` in presentation format (`@` for the origin itself), or the
    /// absolute form if it is not below `origin`.
    pub fn to_relative_string(&self, origin: &Name) -> String {
        if self.eq_ignore_case(origin) {
            return "@".into();
        }
        if self.is_subdomain_of(origin) && !origin.is_root() {
            let keep = self.0.len() - origin.0.len();
            let mut s = String::new();
            let mut rest = &self.0[..keep];
            while !rest.is_empty() {
                let len = rest[0] as usize;
                if !s.is_empty() {
                    s.push('.');
                }
                write_label(&mut s, &rest[1..1 + len]);
                rest = &rest[1 + len..];
            }
            return s;
        }
        self.to_string()
    }

    /// RFC 4034 §6.1 canonical ordering (labels compared right to left, case-insensitively).
    pub fn canonical_cmp(&self, other: &Name) -> std::cmp::Ordering {
        let a: Vec<&[u8]> = self.labels().collect();
        let b: Vec<&[u8]> = other.labels().collect();
        for (x, y) in a.iter().rev().zip(b.iter().rev()) {
            let ord = x
                .iter()
                .map(u8::to_ascii_lowercase)
                .cmp(y.iter().map(u8::to_ascii_lowercase));
            if ord != std::cmp::Ordering::Equal {
                return ord;
            }
        }
        a.len().cmp(&b.len())
    }
}

/// Iterator over a name's labels, left to right.
pub struct Labels<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for Labels<'a> {
    type Item = &'a [u8];
    fn next(&mut self) -> Option<&'a [u8]> {
        let len = *self.rest.first()? as usize;
        if len == 0 {
            return None;
        }
        let label = &self.rest[1..1 + len];
        self.rest = &self.rest[1 + len..];
        Some(label)
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_root() {
            return f.write_str(".");
        }
        let mut s = String::with_capacity(self.0.len());
        for label in self.labels() {
            write_label(&mut s, label);
            s.push('.');
        }
        f.write_str(&s)
    }
}

impl fmt::Debug for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Name({self})")
    }
}

impl std::borrow::Borrow<[u8]> for Name {
    fn borrow(&self) -> &[u8] {
        &self.0
    }
}

/// Appends a label in presentation format, escaping what must be escaped.
pub fn write_label(out: &mut String, label: &[u8]) {
    for &b in label {
        match b {
            b'.' | b'\\' | b'"' | b'(' | b')' | b';' | b'@' | b'$' => {
                out.push('\\');
                out.push(b as char);
            }
            0x21..=0x7e => out.push(b as char),
            _ => out.push_str(&format!("\\{b:03}")),
        }
    }
}

/// Decodes the escape after a backslash: `\DDD` (decimal byte) or `\X` (the character itself).
/// Returns the byte and how many input bytes it used.
pub fn unescape(rest: &[u8]) -> Option<(u8, usize)> {
    let first = *rest.first()?;
    if first.is_ascii_digit() {
        if rest.len() < 3 || !rest[..3].iter().all(u8::is_ascii_digit) {
            return None;
        }
        let v =
            (rest[0] - b'0') as u32 * 100 + (rest[1] - b'0') as u32 * 10 + (rest[2] - b'0') as u32;
        if v > 255 {
            return None;
        }
        Some((v as u8, 3))
    } else {
        Some((first, 1))
    }
}

fn push_label(wire: &mut Vec<u8>, label: &[u8], text: &str) -> Result<(), NameError> {
    if label.len() > MAX_LABEL_LEN {
        return Err(NameError::LabelTooLong(text.into()));
    }
    wire.push(label.len() as u8);
    wire.extend_from_slice(label);
    if wire.len() > MAX_NAME_LEN {
        return Err(NameError::TooLong(text.into()));
    }
    Ok(())
}

/// Lower-cases the ASCII letters of an uncompressed wire name in place (length bytes are < 64,
/// so they are never letters).
pub fn lowercase_wire(wire: &mut [u8]) {
    wire.make_ascii_lowercase();
}

/// Reads a possibly compressed name at `pos`; returns it and the position after it (after the
/// first pointer, if any). Pointers must point backwards, so a loop cannot last.
pub fn read_compressed(msg: &[u8], pos: usize) -> Result<(Name, usize), String> {
    let mut wire = Vec::with_capacity(64);
    let mut at = pos;
    let mut after = None;
    loop {
        let len = *msg
            .get(at)
            .ok_or("a name runs past the end of the message")?;
        match len & 0xC0 {
            0x00 => {
                wire.push(len);
                if len == 0 {
                    break;
                }
                let label = msg
                    .get(at + 1..at + 1 + usize::from(len))
                    .ok_or("a label runs past the end of the message")?;
                wire.extend_from_slice(label);
                at += 1 + usize::from(len);
            }
            0xC0 => {
                let low = *msg.get(at + 1).ok_or("a pointer runs past the end")?;
                let target = usize::from(u16::from_be_bytes([len & 0x3F, low]));
                if target >= at {
                    return Err("a compression pointer that does not point backwards".into());
                }
                after.get_or_insert(at + 2);
                at = target;
            }
            _ => return Err(format!("unknown label type {len:#04x}")),
        }
        if wire.len() > 255 {
            return Err("a name longer than 255 bytes".into());
        }
    }
    let next = after.unwrap_or(at + 1);
    let name = Name::from_wire(&wire).map_err(|e| format!("bad name: {e}"))?;
    Ok((name, next))
}

/// Length of the uncompressed wire name at the start of `wire`, or `None` if malformed
/// (compression pointers are not allowed here).
pub fn wire_name_len(wire: &[u8]) -> Option<usize> {
    let mut pos = 0;
    loop {
        let len = *wire.get(pos)? as usize;
        if len == 0 {
            pos += 1;
            break;
        }
        if len > MAX_LABEL_LEN {
            return None;
        }
        pos += 1 + len;
        if pos > MAX_NAME_LEN {
            return None;
        }
    }
    if pos > MAX_NAME_LEN {
        return None;
    }
    Some(pos)
}

/// Does `bytes` hold an ASCII upper-case letter? Eight bytes at a time.
pub fn has_ascii_uppercase(bytes: &[u8]) -> bool {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    const ONES: u64 = 0x0101_0101_0101_0101;
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let x = u64::from_le_bytes(chunk.try_into().expect("8 bytes"));
        // Per byte, without carries between bytes: the high bit of `ge_a` is set when the low
        // seven bits are >= b'A', that of `gt_z` when they are > b'Z'; `!x` rules out bytes >= 0x80.
        let low = x & LOW7;
        let ge_a = low + ONES * (0x80 - u64::from(b'A'));
        let gt_z = low + ONES * (0x80 - u64::from(b'Z') - 1);
        if ge_a & !gt_z & !x & HIGH != 0 {
            return true;
        }
    }
    chunks.remainder().iter().any(u8::is_ascii_uppercase)
}

/// The wire bytes of wire name `wire` after its first `n` labels (the root if it has fewer).
pub fn suffix_wire_at(wire: &[u8], n: usize) -> &[u8] {
    let mut pos = 0;
    for _ in 0..n {
        if wire[pos] == 0 {
            break;
        }
        pos += 1 + wire[pos] as usize;
    }
    &wire[pos..]
}

/// The strict ancestors of wire name `wire`, nearest first, as suffixes of it, down to the
/// last that is at least `floor_len` bytes long: for a name in a zone, the apex's wire length
/// stops the walk at the apex. Zone builders use it to add a new name's empty non-terminals.
pub fn wire_ancestors(wire: &[u8], floor_len: usize) -> impl Iterator<Item = &[u8]> {
    let mut pos = 0;
    std::iter::from_fn(move || {
        let label = *wire.get(pos)?;
        if label == 0 {
            return None;
        }
        pos += 1 + label as usize;
        let rest = &wire[pos..];
        if rest.len() < floor_len {
            pos = wire.len();
            return None;
        }
        Some(rest)
    })
}

/// Is wire name `name` equal to or below wire name `ancestor`, ASCII case-insensitively?
pub fn wire_is_subdomain(name: &[u8], ancestor: &[u8]) -> bool {
    if name.len() < ancestor.len() {
        return false;
    }
    let start = name.len() - ancestor.len();
    // The suffix must start on a label boundary.
    let mut pos = 0;
    while pos < start {
        pos += 1 + name[pos] as usize;
    }
    pos == start && (name[start..] == *ancestor || name[start..].eq_ignore_ascii_case(ancestor))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> Name {
        Name::parse(s, None).unwrap()
    }

    #[test]
    fn wire_ancestors_walk_up_to_the_floor_nearest_first() {
        let name = n("a.b.c.example.");
        let apex = n("c.example.");
        let up: Vec<Name> = wire_ancestors(name.as_wire(), apex.wire_len())
            .map(Name::from_lowercase_wire)
            .collect();
        assert_eq!(up, [n("b.c.example."), n("c.example.")]);
        // No floor: up to and including the root.
        let all: Vec<Name> = wire_ancestors(name.as_wire(), 0)
            .map(Name::from_lowercase_wire)
            .collect();
        assert_eq!(
            all,
            [n("b.c.example."), n("c.example."), n("example."), n(".")]
        );
        // The apex itself and the root have none below their floor.
        assert_eq!(wire_ancestors(apex.as_wire(), apex.wire_len()).count(), 0);
        assert_eq!(wire_ancestors(n(".").as_wire(), 0).count(), 0);
    }

    #[test]
    fn parse_and_print_round_trip() {
        for s in [
            ".",
            "example.",
            "a.b.example.",
            "*.example.",
            "a\\.b.example.",
            "a\\032b.example.",
        ] {
            assert_eq!(n(s).to_string(), s);
        }
    }

    #[test]
    fn relative_names_complete_with_origin() {
        let origin = n("apple.example.");
        assert_eq!(
            Name::parse("_dmarc", Some(&origin)).unwrap(),
            n("_dmarc.apple.example.")
        );
        assert_eq!(Name::parse("@", Some(&origin)).unwrap(), origin);
        assert!(matches!(
            Name::parse("www", None),
            Err(NameError::NoOrigin(_))
        ));
    }

    #[test]
    fn rejects_bad_names() {
        assert!(matches!(
            Name::parse("a..b.", None),
            Err(NameError::EmptyLabel(_))
        ));
        let long = "a".repeat(64) + ".";
        assert!(matches!(
            Name::parse(&long, None),
            Err(NameError::LabelTooLong(_))
        ));
        let too_long = "abcdefghi.".repeat(26);
        assert!(matches!(
            Name::parse(&too_long, None),
            Err(NameError::TooLong(_))
        ));
        assert!(matches!(
            Name::parse("a\\25.", None),
            Err(NameError::BadEscape(_))
        ));
        assert!(matches!(
            Name::parse("a\\300.", None),
            Err(NameError::BadEscape(_))
        ));
    }

    #[test]
    fn subdomain_is_label_aligned_and_case_insensitive() {
        assert!(n("WWW.Example.").is_subdomain_of(&n("example.")));
        assert!(n("example.").is_subdomain_of(&n("example.")));
        assert!(!n("badexample.").is_subdomain_of(&n("example.")));
        assert!(n("x.").is_subdomain_of(&Name::root()));
    }

    #[test]
    fn relative_printing() {
        let origin = n("apple.example.");
        assert_eq!(
            n("_dmarc.apple.example.").to_relative_string(&origin),
            "_dmarc"
        );
        assert_eq!(n("apple.example.").to_relative_string(&origin), "@");
        assert_eq!(
            n("orange.example.").to_relative_string(&origin),
            "orange.example."
        );
    }

    #[test]
    fn canonical_order_matches_rfc4034_example() {
        // RFC 4034 §6.1 example order.
        let ordered = [
            "example.",
            "a.example.",
            "yljkjljk.a.example.",
            "Z.a.example.",
            "zABC.a.EXAMPLE.",
            "z.example.",
            "\\001.z.example.",
            "*.z.example.",
            "\\200.z.example.",
        ];
        for pair in ordered.windows(2) {
            assert_eq!(
                n(pair[0]).canonical_cmp(&n(pair[1])),
                std::cmp::Ordering::Less,
                "{pair:?}"
            );
        }
    }

    #[test]
    fn dname_suffix_replacement() {
        let q = n("a.b.old.example.");
        let r = q
            .replace_suffix(&n("old.example."), &n("new.test."))
            .unwrap();
        assert_eq!(r, n("a.b.new.test."));
    }

    #[test]
    fn has_ascii_uppercase_matches_the_bytewise_test() {
        let mut all: Vec<u8> = (0..=255).collect();
        all.extend((0..=255).rev());
        for len in 0..all.len().min(40) {
            for start in 0..all.len() - len {
                let s = &all[start..start + len];
                assert_eq!(
                    has_ascii_uppercase(s),
                    s.iter().any(u8::is_ascii_uppercase),
                    "{s:?}"
                );
            }
        }
    }
}
