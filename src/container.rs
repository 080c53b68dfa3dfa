//! What a mailed report arrives in: a document as is (XML for DMARC aggregate reports, JSON for
//! SMTP TLS reports), gzip (RFC 7489 §7.2.1.1 and RFC 8460 §5.3 name it), zip (what Google and
//! others send DMARC reports in), or the mail message that carried either (a saved `.eml` or an
//! mbox folder; attachments in base64 or quoted-printable, `message/rfc822` forwards included).
//! The format is told by the bytes, not the file's name.
//!
//! One member or attachment that cannot be read does not lose the others: it is an error of
//! its own ([`Unpacked::errors`]). What is uncompressed from one file is capped in total
//! ([`MAX_UNPACKED`]), and so is the nesting ([`MAX_DEPTH`]): a report is kilobytes to a few
//! megabytes, and a zip bomb must not take the machine down.
//!
//! Pure: works on bytes in memory; imports `flate2` and `zip` for the decompression. Used by
//! [`crate::dmarc::aggregate`] and [`crate::tlsrpt`].

use std::io::{Cursor, Read};

/// The most bytes uncompressed from one file, all documents together (64 MiB): far above any
/// real report.
pub const MAX_UNPACKED: u64 = 64 << 20;

/// Attachments, archives and compression inside each other (a forwarded mail's zip's member)
/// read before giving up.
pub const MAX_DEPTH: usize = 8;

/// One document found ([`Format::Xml`] or [`Format::Json`]), and where: the names of the
/// attachments and archive members it was inside, outermost first (empty for a plain file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    pub inside: Vec<String>,
    pub format: Format,
    pub bytes: Vec<u8>,
    /// A mail's attachment (or what it uncompressed to), rather than a file or a zip member:
    /// one that is no report of any kind is passed over, as a mail's text is.
    pub attached: bool,
}

/// What a file held: its documents, and the members or attachments that could not be read
/// (each with where it was).
#[derive(Debug, Default)]
pub struct Unpacked {
    pub documents: Vec<Document>,
    pub errors: Vec<(Vec<String>, UnpackError)>,
}

#[derive(Debug, thiserror::Error)]
pub enum UnpackError {
    #[error("the file is empty")]
    Empty,
    #[error(
        "not a report: it is not XML, JSON, gzip, zip or a mail message (it starts with {start:?})"
    )]
    Unknown { start: String },
    #[error("gzip data that cannot be read: {0}")]
    Gzip(std::io::Error),
    #[error("zip archive that cannot be read: {0}")]
    Zip(String),
    #[error("over the {} MiB one file may uncompress to, all parts together: not read (a report is far smaller)", MAX_UNPACKED >> 20)]
    TooLarge,
    #[error("nested more than {MAX_DEPTH} deep (attachments, archives, compression): not read")]
    TooDeep,
    #[error("a mail message with no report attached (no XML, JSON, gzip or zip attachment)")]
    NoReportInMail,
    #[error("a zip archive with no file in it")]
    EmptyZip,
}

/// The format `bytes` are in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Xml,
    Json,
    Gzip,
    Zip,
    Mail,
}

/// Tells the format by the first bytes; None for empty input or something else.
pub fn sniff(bytes: &[u8]) -> Option<Format> {
    if bytes.starts_with(&[0x1f, 0x8b]) {
        return Some(Format::Gzip);
    }
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        return Some(Format::Zip);
    }
    if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") {
        return Some(Format::Xml); // UTF-16, by its byte-order mark
    }
    let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let start = text.iter().position(|b| !b.is_ascii_whitespace())?;
    let text = &text[start..];
    if text.starts_with(b"<") {
        return Some(Format::Xml);
    }
    if text.starts_with(b"{") || text.starts_with(b"[") {
        return Some(Format::Json);
    }
    is_header_line(text).then_some(Format::Mail)
}

/// `Name: value` or `From sender date` (an mbox separator) on the first line.
fn is_header_line(text: &[u8]) -> bool {
    if text.starts_with(b"From ") {
        return true;
    }
    let line = text.split(|&b| b == b'\n').next().unwrap_or_default();
    match line.iter().position(|&b| b == b':') {
        Some(colon) => colon > 0 && line[..colon].iter().all(|&b| b.is_ascii_graphic()),
        None => false,
    }
}

/// The XML and JSON documents in `bytes`, and what could not be read inside; an error if the file
/// itself is not one of the formats or cannot be read at all.
pub fn unpack(bytes: &[u8]) -> Result<Unpacked, UnpackError> {
    Unpacker::new(MAX_UNPACKED).unpack(bytes)
}

/// Walks containers, keeping the documents found.
struct Unpacker {
    /// Bytes that may still be uncompressed.
    budget: u64,
    found: Unpacked,
    /// Inside a mail's attachment (and not a zip member in it): see [`Document::attached`].
    attached: bool,
}

impl Unpacker {
    fn new(budget: u64) -> Unpacker {
        Unpacker {
            budget,
            found: Unpacked::default(),
            attached: false,
        }
    }

    /// [`Unpacker::inner`] with [`Unpacker::attached`] set to `attached` meanwhile.
    fn inner_as(&mut self, attached: bool, bytes: &[u8], inside: Vec<String>, depth: usize) {
        let was = std::mem::replace(&mut self.attached, attached);
        self.inner(bytes, inside, depth);
        self.attached = was;
    }

    fn unpack(mut self, bytes: &[u8]) -> Result<Unpacked, UnpackError> {
        self.any(bytes, &[], 0)?;
        Ok(self.found)
    }

    /// A member or attachment inside the file: its failure is recorded, and the walk goes on.
    fn inner(&mut self, bytes: &[u8], inside: Vec<String>, depth: usize) {
        if let Err(e) = self.any(bytes, &inside, depth) {
            self.found.errors.push((inside, e));
        }
    }

    /// `bytes` in whatever format they are, found `inside` those attachments and members.
    fn any(&mut self, bytes: &[u8], inside: &[String], depth: usize) -> Result<(), UnpackError> {
        if depth > MAX_DEPTH {
            return Err(UnpackError::TooDeep);
        }
        let format = match sniff(bytes) {
            Some(f) => f,
            None if bytes.iter().all(u8::is_ascii_whitespace) => return Err(UnpackError::Empty),
            None => {
                let start = String::from_utf8_lossy(&bytes[..bytes.len().min(16)]).into_owned();
                return Err(UnpackError::Unknown { start });
            }
        };
        match format {
            Format::Xml | Format::Json => self.found.documents.push(Document {
                inside: inside.to_vec(),
                format,
                bytes: bytes.to_vec(),
                attached: self.attached,
            }),
            Format::Gzip => {
                let data = self.gunzip(bytes).map_err(|e| e.or(UnpackError::Gzip))?;
                self.any(&data, inside, depth + 1)?;
            }
            Format::Zip => self.zip(bytes, inside, depth)?,
            Format::Mail => {
                let before = (self.found.documents.len(), self.found.errors.len());
                for message in mbox_messages(bytes) {
                    self.mail_part(message, inside, depth);
                }
                if (self.found.documents.len(), self.found.errors.len()) == before {
                    return Err(UnpackError::NoReportInMail);
                }
            }
        }
        Ok(())
    }

    fn zip(&mut self, bytes: &[u8], inside: &[String], depth: usize) -> Result<(), UnpackError> {
        let zip_error = |e: zip::result::ZipError| UnpackError::Zip(e.to_string());
        let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(zip_error)?;
        let mut files = 0;
        for i in 0..archive.len() {
            let mut path = inside.to_vec();
            let data = match archive.by_index(i) {
                Err(e) => Err(zip_error(e)),
                Ok(file) if file.is_dir() || is_finder_metadata(file.name()) => continue,
                Ok(file) => {
                    path.push(printable(file.name()));
                    self.read_capped(file)
                        .map_err(|e| e.or(|e| UnpackError::Zip(e.to_string())))
                }
            };
            files += 1;
            match data {
                Ok(data) => self.inner_as(false, &data, path, depth + 1),
                Err(e) => self.found.errors.push((path, e)),
            }
        }
        if files == 0 {
            return Err(UnpackError::EmptyZip);
        }
        Ok(())
    }

    /// Every gzip member in turn; bytes after the last are ignored, as gzip(1) does
    /// (Mimecast's reports end their gzip with a CRLF).
    fn gunzip(&mut self, bytes: &[u8]) -> Result<Vec<u8>, Capped> {
        let mut data = Vec::new();
        let mut rest = bytes;
        while rest.starts_with(&[0x1f, 0x8b]) {
            let mut member = flate2::bufread::GzDecoder::new(rest);
            let room = (self.budget + 1).saturating_sub(data.len() as u64);
            (&mut member)
                .take(room)
                .read_to_end(&mut data)
                .map_err(Capped::Io)?;
            if data.len() as u64 > self.budget {
                return Err(Capped::TooLarge);
            }
            rest = member.into_inner();
        }
        self.budget -= data.len() as u64;
        Ok(data)
    }

    fn read_capped(&mut self, reader: impl Read) -> Result<Vec<u8>, Capped> {
        let mut data = Vec::new();
        reader
            .take(self.budget + 1)
            .read_to_end(&mut data)
            .map_err(Capped::Io)?;
        if data.len() as u64 > self.budget {
            return Err(Capped::TooLarge);
        }
        self.budget -= data.len() as u64;
        Ok(data)
    }

    /// One MIME entity (RFC 2045/2046): a multipart's parts each in turn, a forwarded message
    /// as a message, an attachment that may hold a report decoded and unpacked, anything else
    /// (the text, a PDF, an image) passed over.
    fn mail_part(&mut self, entity: &[u8], inside: &[String], depth: usize) {
        if depth > MAX_DEPTH {
            self.found
                .errors
                .push((inside.to_vec(), UnpackError::TooDeep));
            return;
        }
        let (headers, body) = split_headers(entity);
        let content_type = header(&headers, "content-type").unwrap_or_default();
        let (media, params) = media_type(&content_type);
        if media.starts_with("multipart/") {
            if let Some(boundary) = param(&params, "boundary") {
                for part in multipart_parts(body, boundary.as_bytes()) {
                    self.mail_part(part, inside, depth + 1);
                }
            }
            return;
        }
        if media == "message/rfc822" {
            return self.mail_part(body, inside, depth + 1);
        }
        let filename = header(&headers, "content-disposition")
            .and_then(|d| param(&media_type(&d).1, "filename"))
            .or_else(|| param(&params, "name"));
        if !may_hold_report(&media, filename.as_deref()) {
            return;
        }
        let encoding = header(&headers, "content-transfer-encoding")
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        let data = match encoding.as_str() {
            "base64" => base64_lenient(body),
            "quoted-printable" => quoted_printable(body),
            _ => body.to_vec(),
        };
        if matches!(sniff(&data), Some(f) if f != Format::Mail) {
            let mut path = inside.to_vec();
            path.push(printable(&filename.unwrap_or(media)));
            self.inner_as(true, &data, path, depth + 1);
        }
    }
}

/// The `__MACOSX/` and `._NAME` members macOS's Finder adds to a zip it makes.
fn is_finder_metadata(name: &str) -> bool {
    name.starts_with("__MACOSX/") || name.rsplit('/').next().is_some_and(|f| f.starts_with("._"))
}

/// Whether a mail part of this media type and file name can be a report: XML, JSON, gzip or
/// zip by either (RFC 8460 §5.3's `application/tlsrpt+gzip` and `+json` too), or an untyped
/// body. A document, image or signature is not looked into.
fn may_hold_report(media: &str, filename: Option<&str>) -> bool {
    const MEDIA: [&str; 13] = [
        "",
        "application/zip",
        "application/x-zip",
        "application/x-zip-compressed",
        "application/gzip",
        "application/x-gzip",
        "application/xml",
        "text/xml",
        "application/octet-stream",
        "application/x-gzip-compressed",
        "application/tlsrpt+gzip",
        "application/tlsrpt+json",
        "application/json",
    ];
    let name = filename.unwrap_or_default().to_ascii_lowercase();
    MEDIA.contains(&media)
        || [".xml", ".json", ".gz", ".zip"]
            .iter()
            .any(|e| name.ends_with(e))
}

/// The messages of an mbox folder (each after its `From ` line), or the one message.
fn mbox_messages(bytes: &[u8]) -> Vec<&[u8]> {
    if !bytes.starts_with(b"From ") {
        return vec![bytes];
    }
    between_lines(bytes, |line| {
        if line.starts_with(b"From ") {
            Line::Delimiter
        } else {
            Line::Content
        }
    })
}

/// What a line is to [`between_lines`].
enum Line {
    Content,
    /// Ends the stretch before it and starts the next.
    Delimiter,
    /// Ends the stretch before it, and the splitting.
    Last,
}

/// The stretches of `bytes` between the lines `kind` calls delimiters (each line taken with
/// its line end), from the first delimiter on, up to a [`Line::Last`] or the end: the parts of
/// a multipart body, the messages of an mbox folder.
fn between_lines(bytes: &[u8], kind: impl Fn(&[u8]) -> Line) -> Vec<&[u8]> {
    let mut parts = Vec::new();
    let mut start: Option<usize> = None;
    let mut at = 0;
    while at < bytes.len() {
        let end = bytes[at..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(bytes.len(), |i| at + i + 1);
        let line = kind(&bytes[at..end]);
        if !matches!(line, Line::Content) {
            if let Some(s) = start {
                parts.push(&bytes[s..at]);
            }
            if matches!(line, Line::Last) {
                return parts;
            }
            start = Some(end);
        }
        at = end;
    }
    if let Some(s) = start {
        parts.push(&bytes[s..]);
    }
    parts
}

/// Why a capped read stopped.
enum Capped {
    TooLarge,
    Io(std::io::Error),
}

impl Capped {
    /// The error, with an I/O failure described by `io`.
    fn or(self, io: impl FnOnce(std::io::Error) -> UnpackError) -> UnpackError {
        match self {
            Capped::TooLarge => UnpackError::TooLarge,
            Capped::Io(e) => io(e),
        }
    }
}

/// Text as printable: a control character (a terminal escape sequence in a hostile report,
/// or in an attachment's or member's name) or a bidirectional override (which reorders what a
/// terminal shows after it) becomes U+FFFD.
pub fn printable(text: &str) -> String {
    let hidden = |c: char| {
        c.is_control()
            || matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
    };
    text.chars()
        .map(|c| if hidden(c) { '\u{FFFD}' } else { c })
        .collect()
}

/// Headers (unfolded, as `(lower-cased name, value)`) and the body after the first empty line.
fn split_headers(entity: &[u8]) -> (Vec<(String, String)>, &[u8]) {
    let mut headers: Vec<(String, String)> = Vec::new();
    let mut rest = entity;
    loop {
        let (line, next) = match rest.iter().position(|&b| b == b'\n') {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => (rest, &rest[rest.len()..]),
        };
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            return (headers, next);
        }
        let text = String::from_utf8_lossy(line);
        if line[0] == b' ' || line[0] == b'\t' {
            if let Some((_, value)) = headers.last_mut() {
                value.push(' ');
                value.push_str(text.trim());
            }
        } else if let Some((name, value)) = text.split_once(':') {
            headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
        }
        if next.is_empty() {
            return (headers, next);
        }
        rest = next;
    }
}

fn header(headers: &[(String, String)], name: &str) -> Option<String> {
    headers
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.clone())
}

/// `type/subtype; a=b; c="d"` → the lower-cased type and its parameters (names lower-cased).
fn media_type(value: &str) -> (String, Vec<(String, String)>) {
    let mut parts = split_params(value).into_iter();
    let media = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
    let params = parts
        .filter_map(|p| {
            let (name, value) = p.split_once('=')?;
            let value = value.trim();
            let value = value
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .unwrap_or(value);
            Some((name.trim().to_ascii_lowercase(), value.to_string()))
        })
        .collect();
    (media, params)
}

/// Splits at `;` outside quotes.
fn split_params(value: &str) -> Vec<String> {
    let mut parts = vec![String::new()];
    let mut quoted = false;
    for c in value.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                parts.last_mut().expect("never empty").push(c);
            }
            ';' if !quoted => parts.push(String::new()),
            _ => parts.last_mut().expect("never empty").push(c),
        }
    }
    parts
}

fn param(params: &[(String, String)], name: &str) -> Option<String> {
    params
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.clone())
}

/// The parts between `--boundary` lines, up to `--boundary--`.
fn multipart_parts<'a>(body: &'a [u8], boundary: &[u8]) -> Vec<&'a [u8]> {
    let mut delimiter = b"--".to_vec();
    delimiter.extend_from_slice(boundary);
    between_lines(body, |line| {
        // The delimiter line is `--BOUNDARY`, or `--BOUNDARY--` at the end, then only
        // whitespace (RFC 2046 §5.1.1): `--b10` is not a delimiter of boundary `b1`.
        match line.trim_ascii_end().strip_prefix(delimiter.as_slice()) {
            Some(b"") => Line::Delimiter,
            Some(b"--") => Line::Last,
            _ => Line::Content,
        }
    })
}

/// Base64 with line breaks and other stray bytes skipped, as mail readers do.
fn base64_lenient(body: &[u8]) -> Vec<u8> {
    use base64::Engine;
    let clean: Vec<u8> = body
        .iter()
        .copied()
        .filter(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/'))
        .collect();
    let engine = base64::engine::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent)
            .with_decode_allow_trailing_bits(true),
    );
    // A length of 4n+1 cannot be base64; its last character is dropped.
    let usable = clean.len() - usize::from(clean.len() % 4 == 1);
    engine.decode(&clean[..usable]).unwrap_or_default()
}

/// Quoted-printable (RFC 2045 §6.7): `=XX` bytes and `=` soft line breaks (with the
/// transport padding some mailers leave before the line end).
fn quoted_printable(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len());
    let mut i = 0;
    while i < body.len() {
        if body[i] == b'=' {
            let rest = &body[i + 1..];
            // A soft line break: `=`, transport padding (spaces or tabs), then the line end.
            let padding = rest
                .iter()
                .take_while(|&&b| b == b' ' || b == b'\t')
                .count();
            let after = &rest[padding..];
            if after.starts_with(b"\r\n") {
                i += 1 + padding + 2;
                continue;
            }
            if after.starts_with(b"\n") {
                i += 1 + padding + 1;
                continue;
            }
            let hex = rest
                .get(..2)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            if let Some(b) = hex {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(body[i]);
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    const XML: &[u8] = b"<?xml version=\"1.0\"?><feedback><a>1</a></feedback>";

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(data).unwrap();
        enc.finish().unwrap()
    }

    fn zip_of(files: &[(&str, &[u8])]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, data) in files {
            w.start_file(*name, zip::write::SimpleFileOptions::default())
                .unwrap();
            w.write_all(data).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    fn base64(data: &[u8]) -> String {
        use base64::Engine;
        let text = base64::engine::general_purpose::STANDARD.encode(data);
        let lines: Vec<&str> = text
            .as_bytes()
            .chunks(76)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect();
        lines.join("\r\n")
    }

    #[test]
    fn each_format_is_told_by_its_bytes() {
        assert_eq!(sniff(XML), Some(Format::Xml));
        assert_eq!(sniff(b"\xEF\xBB\xBF \n<feedback/>"), Some(Format::Xml));
        assert_eq!(sniff(&gzip(XML)), Some(Format::Gzip));
        assert_eq!(sniff(&zip_of(&[("r.xml", XML)])), Some(Format::Zip));
        assert_eq!(sniff(b"Return-Path: <a@b>\r\n"), Some(Format::Mail));
        assert_eq!(
            sniff(b"From a@b Mon Jan  1 00:00:00 2024\n"),
            Some(Format::Mail)
        );
        assert_eq!(sniff(b"v=DMARC1; p=none"), None);
        assert_eq!(sniff(b"%PDF-1.4"), None);
        assert_eq!(sniff(b""), None);
    }

    #[test]
    fn xml_gzip_and_zip_give_the_same_document() {
        for bytes in [XML.to_vec(), gzip(XML), zip_of(&[("r.xml", XML)])] {
            let docs = unpack(&bytes).unwrap().documents;
            assert_eq!(docs.len(), 1);
            assert_eq!(docs[0].bytes, XML);
        }
        let docs = unpack(&zip_of(&[("a.xml", XML), ("b.xml.gz", &gzip(XML))]))
            .unwrap()
            .documents;
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[1].inside, ["b.xml.gz"]);
    }

    #[test]
    fn gzip_members_are_read_in_turn_and_bytes_after_them_ignored() {
        let (head, tail) = XML.split_at(20);
        let mut two = gzip(head);
        two.extend(gzip(tail));
        two.extend(b"\r\n");
        assert_eq!(unpack(&two).unwrap().documents[0].bytes, XML);
        let mut cut = gzip(XML);
        cut.truncate(cut.len() - 4);
        assert!(matches!(unpack(&cut), Err(UnpackError::Gzip(_))));
    }

    #[test]
    fn printable_hides_controls_and_bidirectional_overrides() {
        assert_eq!(printable("a\u{1b}[31mb"), "a\u{FFFD}[31mb");
        assert_eq!(printable("evil\u{202E}gpj.exe"), "evil\u{FFFD}gpj.exe");
        assert_eq!(printable("Ünïcödé"), "Ünïcödé");
        assert_eq!(sniff(b"  [1, 2]"), Some(Format::Json));
    }

    #[test]
    fn an_smtp_tls_report_mail_gives_its_json() {
        // RFC 8460 §5.3: the report gzipped, as application/tlsrpt+gzip, beside a text part.
        let json = b"{\"organization-name\": \"x\"}";
        assert_eq!(sniff(json), Some(Format::Json));
        let mail = format!(
            "From: tlsrpt@example.net\r\nTLS-Report-Domain: example.com\r\n\
             TLS-Report-Submitter: example.net\r\nMIME-Version: 1.0\r\n\
             Content-Type: multipart/report; report-type=\"tlsrpt\"; boundary=\"b\"\r\n\r\n\
             --b\r\nContent-Type: text/plain\r\n\r\n{{ not this }}\r\n--b\r\n\
             Content-Type: application/tlsrpt+gzip\r\nContent-Transfer-Encoding: base64\r\n\
             Content-Disposition: attachment;\r\n filename=\"example.net!example.com!1!2!0.json.gz\"\r\n\
             \r\n{}\r\n--b--\r\n",
            base64(&gzip(json))
        );
        let docs = unpack(mail.as_bytes()).unwrap().documents;
        assert_eq!(docs.len(), 1);
        assert_eq!(docs[0].format, Format::Json);
        assert_eq!(docs[0].bytes, json);
        assert_eq!(docs[0].inside, ["example.net!example.com!1!2!0.json.gz"]);
    }

    #[test]
    fn a_mail_gives_its_attached_reports_and_skips_its_text() {
        let zip = zip_of(&[("google.com!example.com!1!2.xml", XML)]);
        let mail = format!(
            "From: noreply-dmarc-support@google.com\r\nSubject: Report domain: example.com\r\n\
             MIME-Version: 1.0\r\nContent-Type: multipart/mixed;\r\n\tboundary=\"b1\"\r\n\r\n\
             preamble\r\n--b1\r\nContent-Type: text/plain\r\n\r\n<p>not a report</p>\r\n\
             --b1\r\nContent-Type: application/zip; name=\"r.zip\"\r\nContent-Disposition: \
             attachment;\r\n filename=\"google.com!example.com!1!2.zip\"\r\n\
             Content-Transfer-Encoding: base64\r\n\r\n{}\r\n--b1--\r\nepilogue\r\n",
            base64(&zip)
        );
        let docs = unpack(mail.as_bytes()).unwrap().documents;
        assert_eq!(docs.len(), 1);
        assert_eq!(
            docs[0].inside,
            [
                "google.com!example.com!1!2.zip",
                "google.com!example.com!1!2.xml"
            ]
        );
        assert_eq!(docs[0].bytes, XML);
    }

    #[test]
    fn quoted_printable_decodes_bytes_and_soft_breaks_with_padding() {
        let qp = b"<a>=3D=\r\nx=  \t\r\ny= \nz</a>=4 =ZZ";
        assert_eq!(quoted_printable(qp), b"<a>=xyz</a>=4 =ZZ");
    }

    #[test]
    fn a_boundary_is_a_whole_line_not_a_prefix() {
        let body = b"--b1\r\nA\r\n--b10\r\nstill A\r\n--b1  \r\nB\r\n--b1--\r\nepilogue\r\n";
        let parts = multipart_parts(body, b"b1");
        assert_eq!(parts, [&b"A\r\n--b10\r\nstill A\r\n"[..], b"B\r\n"]);
    }

    #[test]
    fn a_forwarded_mail_and_a_quoted_printable_part_are_read() {
        let inner = format!(
            "From: a@b\nContent-Type: application/gzip\nContent-Transfer-Encoding: base64\n\n{}\n",
            base64(&gzip(XML))
        );
        let outer = format!(
            "From: c@d\nContent-Type: multipart/mixed; boundary=x\n\n--x\nContent-Type: \
             message/rfc822\n\n{inner}\n--x\nContent-Type: text/xml\nContent-Transfer-Encoding: \
             quoted-printable\n\n<feedback><a>=31</a>=\n</feedback>\n--x--\n"
        );
        let docs = unpack(outer.as_bytes()).unwrap().documents;
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[0].bytes, XML);
        assert_eq!(docs[1].bytes, b"<feedback><a>1</a></feedback>\n");
    }

    #[test]
    fn what_holds_no_report_is_an_error_that_says_what_it_is() {
        let cases: [(&[u8], &str); 5] = [
            (b"", "empty"),
            (b"  \n", "empty"),
            (
                b"%PDF-1.4 ...",
                "not XML, JSON, gzip, zip or a mail message",
            ),
            (
                b"From: a@b\nContent-Type: text/plain\n\nhello\n",
                "no report attached",
            ),
            (b"\x1f\x8b\x08\x00garbage", "gzip data that cannot be read"),
        ];
        for (bytes, want) in cases {
            let err = unpack(bytes).unwrap_err().to_string();
            assert!(err.contains(want), "{err} lacks {want}");
        }
        let zip = zip_of(&[("r.xml", XML)]);
        let err = unpack(&zip[..zip.len() - 10]).unwrap_err().to_string();
        assert!(err.contains("zip archive that cannot be read"), "{err}");
    }

    #[test]
    fn what_is_uncompressed_from_one_file_is_capped_in_total() {
        let big = vec![b'<'; 600];
        let err = Unpacker::new(1000).unpack(&gzip(&[big.clone(), big.clone()].concat()));
        assert!(matches!(err, Err(UnpackError::TooLarge)), "{err:?}");
        // Two members of 600 bytes: the first is read, the second is over what is left.
        let two = zip_of(&[("a.xml", &big), ("b.xml", &big)]);
        let found = Unpacker::new(1000).unpack(&two).unwrap();
        assert_eq!(found.documents.len(), 1);
        assert_eq!(found.errors.len(), 1);
        assert_eq!(found.errors[0].0, ["b.xml"]);
        assert!(matches!(found.errors[0].1, UnpackError::TooLarge));
        assert_eq!(Unpacker::new(1200).unpack(&two).unwrap().documents.len(), 2);
    }

    #[test]
    fn a_member_that_is_not_a_report_does_not_lose_the_others() {
        let found = unpack(&zip_of(&[
            ("__MACOSX/._r.xml", b"\x00\x05\x16\x07junk"),
            ("r.xml", XML),
            ("notes.pdf", b"%PDF-1.4"),
        ]))
        .unwrap();
        assert_eq!(found.documents.len(), 1);
        assert_eq!(found.errors.len(), 1, "{:?}", found.errors);
        assert_eq!(found.errors[0].0, ["notes.pdf"]);
    }

    #[test]
    fn a_mail_passes_over_attachments_that_cannot_be_reports() {
        let docx = zip_of(&[("word/document.xml", b"<w:document/>")]);
        let mail = format!(
            "From: a@b\nContent-Type: multipart/mixed; boundary=x\n\n--x\nContent-Type: \
             application/vnd.openxmlformats-officedocument.wordprocessingml.document\n\
             Content-Transfer-Encoding: base64\n\n{}\n--x\nContent-Type: application/gzip\n\
             Content-Transfer-Encoding: base64\n\n{}\n--x--\n",
            base64(&docx),
            base64(&gzip(XML))
        );
        let found = unpack(mail.as_bytes()).unwrap();
        assert_eq!(found.documents.len(), 1);
        assert!(found.errors.is_empty(), "{:?}", found.errors);
    }

    #[test]
    fn a_forwarded_report_mail_and_an_mbox_folder_are_read() {
        let report_mail = format!(
            "From: noreply@google.com\nContent-Type: multipart/mixed; boundary=inner\n\n\
             --inner\nContent-Type: text/plain\n\nthe report\n--inner\nContent-Type: \
             application/zip\nContent-Disposition: attachment; filename=r.zip\n\
             Content-Transfer-Encoding: base64\n\n{}\n--inner--\n",
            base64(&zip_of(&[("r.xml", XML)]))
        );
        let forward = format!(
            "From: postmaster@example.com\nContent-Type: multipart/mixed; boundary=outer\n\n\
             --outer\nContent-Type: text/plain\n\nFYI\n--outer\nContent-Type: message/rfc822\n\n\
             {report_mail}\n--outer--\n"
        );
        let found = unpack(forward.as_bytes()).unwrap();
        assert_eq!(found.documents.len(), 1, "{:?}", found.errors);
        assert_eq!(found.documents[0].inside, ["r.zip", "r.xml"]);
        let mbox = format!(
            "From noreply@google.com Sun Nov 29 07:00:00 2026\n{report_mail}\n\
             From postmaster@example.com Sun Nov 29 08:00:00 2026\n{forward}\n"
        );
        assert_eq!(unpack(mbox.as_bytes()).unwrap().documents.len(), 2);
    }

    #[test]
    fn nesting_is_bounded() {
        let mut bytes = XML.to_vec();
        for _ in 0..=MAX_DEPTH {
            bytes = gzip(&bytes);
        }
        assert!(matches!(unpack(&bytes), Err(UnpackError::TooDeep)));
    }
}
