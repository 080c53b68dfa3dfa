//! A forgiving XML reader for DMARC aggregate reports: an element tree of names and text, with
//! the recovery receivers' reports need.
//!
//! Real reports are not always well-formed: a `<` inside a value (`bad<xml.net`), an element
//! that is never closed, a schema element wrapped around `<feedback>`, an undeclared namespace
//! prefix (`ns1:feedback`), bytes that are not the declared encoding. A strict parser rejects
//! the whole report; this one keeps what can be read, as libxml2's recover mode (parsedmarc's)
//! does:
//! - a `<` that does not start a well-formed tag is text;
//! - an end tag closes the innermost open element of its name, and every element opened inside
//!   it; an end tag with no open element of its name is ignored;
//! - elements still open at the end are closed there;
//! - names are compared without their namespace prefix; attributes are not kept;
//! - elements nested more than [`MAX_NESTING`] deep are not kept.
//!
//! Bytes become text by their byte-order mark, else by the encoding the XML declaration names
//! (windows-1252 and ISO-8859-1 are read as windows-1252), else as UTF-8; a byte that is not
//! valid in that encoding becomes U+FFFD.
//!
//! Pure: imports `std` and `thiserror`.

/// One element: its local name (without a namespace prefix), its own text (the text directly
/// inside it, entities decoded), and its child elements.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Element {
    pub name: String,
    pub text: String,
    pub children: Vec<Element>,
}

impl Element {
    /// The first child element named `name`.
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    /// Every child element named `name`, in document order.
    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// The trimmed text of the first child named `name`, if that child exists and has text.
    pub fn child_text(&self, name: &str) -> Option<&str> {
        self.child(name)
            .map(|c| c.text.trim())
            .filter(|t| !t.is_empty())
    }

    /// Every element named `name` in this element's subtree, not looking inside a match.
    pub fn find_all<'a>(&'a self, name: &str, found: &mut Vec<&'a Element>) {
        for c in &self.children {
            if c.name == name {
                found.push(c);
            } else {
                c.find_all(name, found);
            }
        }
    }
}

/// Reads `bytes` as an XML document; the returned element (named "") holds its top-level
/// elements. What cannot be read as markup is text; the one failure is a document of more
/// than [`MAX_ELEMENTS`] elements.
pub fn parse(bytes: &[u8]) -> Result<Element, TooManyElements> {
    parse_text(&decode(bytes))
}

/// The most elements a document may have: a report of 100,000 records has about 1.5 million.
/// Each costs about 100 bytes in memory, so the cap bounds what a small compressed file of
/// `<a/><a/>…` can take.
pub const MAX_ELEMENTS: usize = 2_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "more than {} XML elements: not read (a report is far smaller)",
    MAX_ELEMENTS
)]
pub struct TooManyElements;

/// Text from bytes: byte-order mark, then the declared encoding, then UTF-8.
pub fn decode(bytes: &[u8]) -> String {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return String::from_utf8_lossy(rest).into_owned();
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        return utf16(rest, u16::from_le_bytes);
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        return utf16(rest, u16::from_be_bytes);
    }
    match declared_encoding(bytes).as_deref() {
        Some("windows-1252" | "cp1252" | "iso-8859-1" | "iso8859-1" | "latin1" | "latin-1") => {
            bytes.iter().map(|&b| windows_1252(b)).collect()
        }
        _ => String::from_utf8_lossy(bytes).into_owned(),
    }
}

fn utf16(bytes: &[u8], unit: fn([u8; 2]) -> u16) -> String {
    let units: Vec<u16> = bytes.chunks_exact(2).map(|c| unit([c[0], c[1]])).collect();
    String::from_utf16_lossy(&units)
}

/// The `encoding` of an `<?xml …?>` declaration at the start, lower-cased.
fn declared_encoding(bytes: &[u8]) -> Option<String> {
    let head = &bytes[..bytes.len().min(200)];
    let start = head.iter().position(|b| !b.is_ascii_whitespace())?;
    let head = head[start..].strip_prefix(b"<?xml")?;
    let end = head.windows(2).position(|w| w == b"?>")?;
    let decl = std::str::from_utf8(&head[..end]).ok()?;
    let at = decl.find("encoding")?;
    let rest = decl[at + "encoding".len()..]
        .trim_start()
        .strip_prefix('=')?;
    let rest = rest.trim_start();
    let quote = rest.chars().next().filter(|q| *q == '"' || *q == '\'')?;
    let value = &rest[1..];
    Some(value[..value.find(quote)?].to_ascii_lowercase())
}

/// Windows-1252: Latin-1 but for 0x80–0x9F (the five bytes it leaves undefined become U+FFFD).
fn windows_1252(b: u8) -> char {
    const HIGH: [char; 32] = [
        '€', '\u{FFFD}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{FFFD}', 'Ž',
        '\u{FFFD}', '\u{FFFD}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ',
        '\u{FFFD}', 'ž', 'Ÿ',
    ];
    match b {
        0x80..=0x9F => HIGH[usize::from(b - 0x80)],
        _ => char::from(b),
    }
}

/// What the tokenizer finds.
#[derive(Debug, PartialEq, Eq)]
enum Token<'a> {
    Start {
        name: &'a str,
        empty: bool,
    },
    End {
        name: &'a str,
    },
    Text(&'a str),
    /// Text taken as is: CDATA, or a `<` that does not start a tag.
    Raw(&'a str),
}

/// Elements nested deeper are not kept (their text goes to the deepest kept one). A report is
/// six deep; the cap bounds the tree's depth, and so the recursion that walks and drops it.
pub const MAX_NESTING: usize = 64;

/// Reads text as markup. See the module documentation for the recovery rules.
pub fn parse_text(text: &str) -> Result<Element, TooManyElements> {
    let mut stack = vec![Element::default()];
    let mut elements = 0usize;
    for token in (Tokens { rest: text }) {
        match token {
            Token::Start { name, empty } => {
                elements += 1;
                if elements > MAX_ELEMENTS {
                    return Err(TooManyElements);
                }
                let element = Element {
                    name: local(name).to_string(),
                    ..Element::default()
                };
                if empty {
                    top(&mut stack).children.push(element);
                } else if stack.len() <= MAX_NESTING {
                    stack.push(element);
                }
            }
            Token::End { name } => {
                let name = local(name);
                if let Some(at) = stack.iter().skip(1).rposition(|e| e.name == name) {
                    while stack.len() > at + 1 {
                        close(&mut stack);
                    }
                }
            }
            Token::Text(t) => decode_entities(t, &mut top(&mut stack).text),
            Token::Raw(t) => top(&mut stack).text.push_str(t),
        }
    }
    while stack.len() > 1 {
        close(&mut stack);
    }
    Ok(stack.pop().unwrap_or_default())
}

fn top(stack: &mut [Element]) -> &mut Element {
    stack.last_mut().expect("the root is never popped")
}

fn close(stack: &mut Vec<Element>) {
    if let Some(done) = stack.pop() {
        top(stack).children.push(done);
    }
}

fn local(name: &str) -> &str {
    name.rsplit_once(':').map_or(name, |(_, l)| l)
}

struct Tokens<'a> {
    rest: &'a str,
}

impl<'a> Iterator for Tokens<'a> {
    type Item = Token<'a>;

    fn next(&mut self) -> Option<Token<'a>> {
        loop {
            let s = self.rest;
            if s.is_empty() {
                return None;
            }
            if !s.starts_with('<') {
                let end = s.find('<').unwrap_or(s.len());
                self.rest = &s[end..];
                return Some(Token::Text(&s[..end]));
            }
            if let Some(body) = s.strip_prefix("<![CDATA[") {
                let end = body.find("]]>").unwrap_or(body.len());
                self.rest = body.get(end + 3..).unwrap_or("");
                return Some(Token::Raw(&body[..end]));
            }
            if let Some(body) = s.strip_prefix("<!--") {
                self.rest = body.find("-->").map_or("", |i| &body[i + 3..]);
            } else if let Some(body) = s.strip_prefix("<?") {
                self.rest = body.find("?>").map_or("", |i| &body[i + 2..]);
            } else if s.starts_with("<!") {
                self.rest = skip_declaration(s);
            } else if let Some((token, len)) = tag(s) {
                self.rest = &s[len..];
                return Some(token);
            } else {
                // Not a tag: the `<` is text, and so is what follows it up to the next `<`.
                self.rest = &s[1..];
                return Some(Token::Raw("<"));
            }
        }
    }
}

/// Skips `<!DOCTYPE …>` and its internal subset in brackets.
fn skip_declaration(s: &str) -> &str {
    let mut depth = 0usize;
    for (i, c) in s.char_indices() {
        match c {
            '[' => depth += 1,
            ']' => depth = depth.saturating_sub(1),
            '>' if depth == 0 => return &s[i + 1..],
            _ => {}
        }
    }
    ""
}

/// A start or end tag at the start of `s` (which starts with `<`), and its length; None if
/// it is not well-formed: no name, or a `<` or the end of text before its `>`.
fn tag(s: &str) -> Option<(Token<'_>, usize)> {
    let (end_tag, body_at) = match s.as_bytes().get(1) {
        Some(b'/') => (true, 2),
        _ => (false, 1),
    };
    let body = &s[body_at..];
    let name_len = body
        .char_indices()
        .find(|&(i, c)| !is_name_char(c) || (i == 0 && !is_name_start(c)))
        .map_or(body.len(), |(i, _)| i);
    if name_len == 0 {
        return None;
    }
    let name = &body[..name_len];
    let mut quote = None;
    for (i, c) in body[name_len..].char_indices() {
        match (quote, c) {
            // A `<` cannot be in a tag, not even quoted: stopping there keeps a broken
            // document's reading linear.
            (_, '<') => return None,
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') if !end_tag => quote = Some(c),
            (None, '>') => {
                let len = body_at + name_len + i + 1;
                let empty = !end_tag && body[name_len..name_len + i].trim_end().ends_with('/');
                let token = if end_tag {
                    Token::End { name }
                } else {
                    Token::Start { name, empty }
                };
                return Some((token, len));
            }
            _ => {}
        }
    }
    None
}

fn is_name_start(c: char) -> bool {
    c.is_alphabetic() || c == '_' || c == ':'
}

fn is_name_char(c: char) -> bool {
    is_name_start(c) || c.is_ascii_digit() || matches!(c, '-' | '.' | '\u{B7}') || c.is_numeric()
}

/// Appends `text` with its character and entity references decoded; a reference that is not
/// one is kept as written.
fn decode_entities(text: &str, out: &mut String) {
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        // A reference is at most 10 bytes to its `;`: looking further would make a text of
        // many `&` quadratic.
        let window = &rest.as_bytes()[1..rest.len().min(12)];
        let decoded = window.iter().position(|&b| b == b';').and_then(|n| {
            let c = match &rest[1..=n] {
                "lt" => '<',
                "gt" => '>',
                "amp" => '&',
                "quot" => '"',
                "apos" => '\'',
                r => {
                    let code = match r.strip_prefix("#x").or_else(|| r.strip_prefix("#X")) {
                        Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                        None => r.strip_prefix('#')?.parse().ok()?,
                    };
                    char::from_u32(code)?
                }
            };
            Some((c, n + 2))
        });
        match decoded {
            Some((c, len)) => {
                out.push(c);
                rest = &rest[len..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(bytes: &[u8]) -> Element {
        super::parse(bytes).expect("under the element cap")
    }

    fn text_at<'a>(root: &'a Element, path: &[&str]) -> Option<&'a str> {
        let (last, parents) = path.split_last()?;
        let mut e = root;
        for p in parents {
            e = e.child(p)?;
        }
        e.child_text(last)
    }

    #[test]
    fn a_well_formed_document_becomes_its_tree() {
        let root = parse(
            b"<?xml version=\"1.0\"?>\n<!-- c --><feedback a=\"1\"><x>one &amp; two</x>\
              <y><z>&#65;&#x42;</z><w/></y></feedback>",
        );
        assert_eq!(root.children.len(), 1);
        assert_eq!(text_at(&root, &["feedback", "x"]), Some("one & two"));
        assert_eq!(text_at(&root, &["feedback", "y", "z"]), Some("AB"));
        let y = root.child("feedback").and_then(|f| f.child("y")).unwrap();
        assert_eq!(y.children.len(), 2);
        assert_eq!(y.children[1].name, "w");
    }

    #[test]
    fn a_less_than_that_starts_no_tag_is_text() {
        // parsedmarc's invalid_xml.xml.
        let root =
            parse(b"<r><email><bad-xml@bad-xml.net></email><h>bad<xml.net</h><n>1 < 2</n></r>");
        assert_eq!(text_at(&root, &["r", "h"]), Some("bad<xml.net"));
        assert_eq!(text_at(&root, &["r", "n"]), Some("1 < 2"));
        // `<bad-xml@…>` is read as an element, closed with its parent.
        assert_eq!(root.child("r").unwrap().children.len(), 3);
    }

    #[test]
    fn an_end_tag_closes_what_was_opened_inside_it_and_a_stray_one_is_ignored() {
        let root = parse(b"<a><b><c>1</b></nothing><d>2</d></a>");
        let a = root.child("a").unwrap();
        assert_eq!(a.children.len(), 2);
        assert_eq!(text_at(a, &["b", "c"]), Some("1"));
        assert_eq!(a.child_text("d"), Some("2"));
    }

    #[test]
    fn elements_left_open_are_closed_at_the_end() {
        // parsedmarc's ikea.com report: an xs:schema element that is never closed.
        let root = parse(b"<xs:schema xmlns:xs=\"u\"><feedback><p>none</p>");
        let mut found = Vec::new();
        root.find_all("feedback", &mut found);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].child_text("p"), Some("none"));
        assert_eq!(root.children[0].name, "schema");
    }

    #[test]
    fn namespace_prefixes_cdata_and_doctype_are_read() {
        let root = parse(
            b"<!DOCTYPE feedback [<!ENTITY x \"y\">]><ns1:feedback xmlns:ns1=\"u\">\
              <ns1:p><![CDATA[a<b]]></ns1:p></ns1:feedback>",
        );
        assert_eq!(text_at(&root, &["feedback", "p"]), Some("a<b"));
    }

    #[test]
    fn a_reference_that_is_not_one_is_kept_as_written() {
        let root = parse(b"<a>AT&T &bogus; &#xZZ; &amp</a>");
        assert_eq!(root.child_text("a"), Some("AT&T &bogus; &#xZZ; &amp"));
    }

    #[test]
    fn bytes_are_read_in_the_declared_encoding() {
        let root = parse(b"<?xml version='1.0' encoding='windows-1252'?><a>M\xfcller \x80</a>");
        assert_eq!(root.child_text("a"), Some("M\u{fc}ller \u{20ac}"));
        let root = parse(b"<?xml version=\"1.0\" encoding=\"UTF-8\"?><a>bad_byte\x91</a>");
        assert_eq!(root.child_text("a"), Some("bad_byte\u{FFFD}"));
        let root = parse(b"\xEF\xBB\xBF<a>\xc3\xa9</a>");
        assert_eq!(root.child_text("a"), Some("\u{e9}"));
        let utf16: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain("<a>é</a>".encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        assert_eq!(parse(&utf16).child_text("a"), Some("\u{e9}"));
    }

    #[test]
    fn hostile_nesting_and_unclosed_quotes_are_read_in_bounded_depth_and_time() {
        let deep = "<a>".repeat(200_000) + "x" + &"</b>".repeat(200_000);
        let root = parse(deep.as_bytes());
        let mut depth = 0;
        let mut e = &root;
        while let Some(c) = e.children.first() {
            depth += 1;
            e = c;
        }
        assert_eq!(depth, MAX_NESTING);
        assert_eq!(e.text, "x");
        let quotes = "<a \"".repeat(200_000);
        assert_eq!(parse(quotes.as_bytes()).text, quotes);
    }

    #[test]
    fn many_ampersands_and_too_many_elements_are_bounded() {
        let amps = format!("<a>{}</a>", "&".repeat(1 << 20));
        assert_eq!(
            parse(amps.as_bytes()).child_text("a").map(str::len),
            Some(1 << 20)
        );
        let many = "<a/>".repeat(MAX_ELEMENTS);
        assert_eq!(parse(many.as_bytes()).children.len(), MAX_ELEMENTS);
        let more = many + "<a/>";
        assert_eq!(super::parse(more.as_bytes()), Err(TooManyElements));
    }

    #[test]
    fn truncated_markup_ends_quietly() {
        for doc in [
            &b"<a><b>1</b"[..],
            b"<a><!-- never closed",
            b"<a><![CDATA[never",
            b"<a x=\"never",
            b"<",
            b"",
        ] {
            let _ = parse(doc);
        }
        // Markup cut off is text: a count read from it is not a number, and says so.
        assert_eq!(text_at(&parse(b"<a><b>1</b"), &["a", "b"]), Some("1</b"));
    }
}
