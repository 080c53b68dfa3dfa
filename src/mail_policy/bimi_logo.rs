//! A BIMI logo (the SVG a BIMI record's `l=` points to) checked against SVG Tiny
//! Portable/Secure (draft-svg-tiny-ps-abrotman), the profile receivers and mark verifying
//! authorities require: a receiver that finds the logo outside it shows no logo at all, and it
//! says nothing to the sender.
//!
//! SVG Tiny PS is SVG Tiny 1.2 with everything that could run, fetch or move taken out:
//!
//! - the root is `<svg>` in the SVG namespace with `version="1.2"` and `baseProfile="tiny-ps"`,
//!   and no `x=` or `y=`;
//! - a `<title>` child of the root names the brand;
//! - no scripts or event handlers (`<script>`, `<handler>`, `<listener>`, `on…=`), no
//!   animation (`<animate…>`, `<set>`, `<discard>`, `<animation>`), no raster images or media
//!   (`<image>`, `<video>`, `<audio>`), no `<foreignObject>`, no links (`<a>`), no
//!   `<?xml-stylesheet?>`, and no reference outside the document (an `href`, or a `url(…)` in
//!   a value, that is not `#id`);
//! - only SVG Tiny 1.2's static drawing elements: shapes, paths, text, gradients, `<g>`,
//!   `<defs>`, `<use>` of a local element, `<title>`, `<desc>`, `<metadata>`. What SVG 1.1 has
//!   and Tiny 1.2 lacks, such as `<style>`, the `style=` attribute, `<clipPath>`, `<mask>`,
//!   `<filter>` and `<pattern>`, is outside it, as are the elements and attributes editors add
//!   in their own namespaces (`inkscape:…`, `sodipodi:…`), except inside `<metadata>` (RDF, for
//!   one), where HTML is refused still. The root's attributes and what `<metadata>` holds are
//!   checked like the rest: a script there runs as anywhere.
//!
//! The file may be no larger than 32 KiB, the limit receivers and the BIMI group give; a larger
//! one is not parsed at all (the XML parser's cost grows faster than the file in places, and the
//! limit bounds it to a second or two). A file that declares entities or attribute lists
//! (`<!ENTITY`, `<!ATTLIST`) is refused unread: entities can expand a few kilobytes into
//! gigabytes, and a default attribute could add a handler. The elements are walked once, with
//! line numbers from a table of line ends. The logo is shown in a square or a circle: a `viewBox` that is not square is a
//! warning, as is a missing one, an empty title, a plain `DOCTYPE` (SVG Tiny 1.2 has none), and
//! a gzip-compressed file (an `.svgz`, which not every receiver decompresses; every member is
//! read, as `gzip -d` reads them).
//!
//! Pure: imports `std`, `flate2` (to read an `.svgz`), `roxmltree` and
//! [`crate::container::printable`].

use std::fmt;
use std::io::Read;

use crate::container::printable;

/// The largest logo receivers take, in bytes (32 KiB), counted after decompression.
pub const MAX_LOGO_BYTES: usize = 32 * 1024;

/// The most bytes a compressed logo is read to: beyond the limit anyway, so its size is known
/// to be too large without inflating a bomb.
const MAX_INFLATED_BYTES: usize = 1024 * 1024;

/// The markup declarations a DOCTYPE's internal subset may hold that change what is parsed:
/// entities (expansion) and attribute lists (default attributes).
const DECLARATIONS: [&str; 2] = ["<!ENTITY", "<!ATTLIST"];

const SVG_NS: &str = "http://www.w3.org/2000/svg";
const XLINK_NS: &str = "http://www.w3.org/1999/xlink";
const XML_NS: &str = "http://www.w3.org/XML/1998/namespace";
const XHTML_NS: &str = "http://www.w3.org/1999/xhtml";

/// SVG Tiny 1.2's static elements, the ones SVG Tiny PS keeps (`svg` is the root's alone).
const ALLOWED: [&str; 22] = [
    "g",
    "defs",
    "title",
    "desc",
    "metadata",
    "path",
    "rect",
    "circle",
    "ellipse",
    "line",
    "polyline",
    "polygon",
    "text",
    "tspan",
    "textArea",
    "tbreak",
    "linearGradient",
    "radialGradient",
    "stop",
    "solidColor",
    "use",
    "svg",
];

/// What a logo was found to be.
#[derive(Debug, Clone, PartialEq)]
pub struct Logo {
    /// The `<title>` text, trimmed, if there is one.
    pub title: Option<String>,
    /// The `viewBox`: min-x, min-y, width, height.
    pub view_box: Option<[f64; 4]>,
    /// The SVG's size in bytes (decompressed, if it came gzip-compressed).
    pub bytes: usize,
    /// Whether the file was gzip-compressed.
    pub compressed: bool,
    /// What makes receivers refuse it: empty if it is valid SVG Tiny PS.
    pub problems: Vec<LogoProblem>,
    /// What is allowed but unwise.
    pub warnings: Vec<LogoProblem>,
}

impl Logo {
    /// Would receivers show it?
    pub fn valid(&self) -> bool {
        self.problems.is_empty()
    }

    /// `SVG Tiny PS, "Apple", 100 by 100, 812 bytes` (`not SVG Tiny PS, …` when it is not).
    pub fn summary(&self) -> String {
        let mut out = if self.valid() {
            "SVG Tiny PS".to_owned()
        } else {
            "not SVG Tiny PS".to_owned()
        };
        if let Some(title) = &self.title {
            out.push_str(&format!(", {title:?}"));
        }
        if let Some([_, _, w, h]) = self.view_box {
            out.push_str(&format!(", {w} by {h}"));
        }
        out.push_str(&format!(", {} bytes", self.bytes));
        out
    }
}

/// One thing found in a logo, with the line it is on where it has one.
#[derive(Debug, Clone, PartialEq)]
pub enum LogoProblem {
    /// Larger than [`MAX_LOGO_BYTES`].
    TooLarge { bytes: usize },
    /// Gzip data that does not inflate.
    BadGzip(String),
    /// Not UTF-8 text.
    NotUtf8,
    /// Not well-formed XML.
    NotXml { line: u32, why: String },
    /// The root element is not SVG's `<svg>`.
    NotSvg { root: String },
    /// `version` is not `1.2`.
    Version(Option<String>),
    /// `baseProfile` is not `tiny-ps`.
    BaseProfile(Option<String>),
    /// `x=` or `y=` on the root.
    RootPosition(&'static str),
    /// No `<title>` child of the root.
    NoTitle,
    /// An element SVG Tiny PS does not have.
    Element {
        line: u32,
        name: String,
        why: &'static str,
    },
    /// An element outside the SVG namespace, not inside `<metadata>`.
    ForeignElement { line: u32, name: String },
    /// An attribute that is not allowed (`on…=`, `style=`, or an editor's own).
    Attribute {
        line: u32,
        name: String,
        why: &'static str,
    },
    /// An `href` to something outside the document.
    ExternalReference {
        line: u32,
        name: String,
        value: String,
    },
    /// A `viewBox` that is not four numbers, the last two positive.
    BadViewBox(String),
    /// A DOCTYPE with entity or attribute declarations.
    DoctypeSubset,
    /// An `<?xml-stylesheet …?>` processing instruction (its text).
    StyleSheet(String),
    // Warnings.
    /// The title is empty.
    EmptyTitle,
    /// No `viewBox`.
    NoViewBox,
    /// Not square.
    NotSquare { width: f64, height: f64 },
    /// A `DOCTYPE` declaration.
    Doctype,
    /// The file is gzip-compressed.
    Compressed,
}

impl fmt::Display for LogoProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use LogoProblem::*;
        match self {
            TooLarge { bytes } => write!(
                f,
                "{bytes} bytes: receivers take a logo of {MAX_LOGO_BYTES} bytes (32 KiB) at \
                 most; simplify its paths or drop what is not drawn"
            ),
            BadGzip(why) => write!(f, "gzip-compressed, but it does not inflate: {why}"),
            NotUtf8 => f.write_str("not UTF-8 text: save the SVG as UTF-8"),
            NotXml { line, why } => write!(f, "line {line}: not well-formed XML: {why}"),
            NotSvg { root } => write!(
                f,
                "the root element is <{root}>, not <svg> in the SVG namespace \
                 (xmlns=\"{SVG_NS}\")"
            ),
            Version(found) => write!(
                f,
                "the root has {}: SVG Tiny PS needs version=\"1.2\"",
                found
                    .as_ref()
                    .map_or("no version".to_owned(), |v| format!("version=\"{v}\""))
            ),
            BaseProfile(found) => write!(
                f,
                "the root has {}: SVG Tiny PS needs baseProfile=\"tiny-ps\"",
                found
                    .as_ref()
                    .map_or("no baseProfile".to_owned(), |v| format!(
                        "baseProfile=\"{v}\""
                    ))
            ),
            RootPosition(attr) => write!(
                f,
                "the root has {attr}=: SVG Tiny PS does not allow x= or y= on <svg>; remove it"
            ),
            NoTitle => {
                f.write_str("no <title> child of <svg>: SVG Tiny PS needs one, naming the brand")
            }
            Element { line, name, why } => write!(f, "line {line}: <{name}>: {why}"),
            ForeignElement { line, name } => write!(
                f,
                "line {line}: <{name}> is not an SVG element (only <metadata> may hold other \
                 XML, and HTML is allowed nowhere): remove it, or export as plain SVG Tiny 1.2"
            ),
            Attribute { line, name, why } => write!(f, "line {line}: {name}=: {why}"),
            ExternalReference { line, name, value } => write!(
                f,
                "line {line}: {name}=\"{}\" refers outside the logo: SVG Tiny PS allows only \
                 references to its own elements (#id)",
                printable(value)
            ),
            BadViewBox(value) => write!(
                f,
                "viewBox=\"{value}\" is not four numbers with a positive width and height"
            ),
            DoctypeSubset => f.write_str(
                "a DOCTYPE with declarations (<!ENTITY or <!ATTLIST): entities and default \
                 attributes are not read in a logo; remove the DOCTYPE",
            ),
            StyleSheet(text) => write!(
                f,
                "<?xml-stylesheet {}?>: style sheets are not part of SVG Tiny PS; remove it",
                printable(text)
            ),
            EmptyTitle => f.write_str("the <title> is empty: it should name the brand"),
            NoViewBox => f.write_str(
                "no viewBox: receivers scale the logo into a square or a circle; a square \
                 viewBox tells them what to fit",
            ),
            NotSquare { width, height } => write!(
                f,
                "the viewBox is {width} by {height}: receivers show the logo in a square or a \
                 circle, so it should be square and centred"
            ),
            Doctype => f.write_str(
                "a DOCTYPE declaration: SVG Tiny 1.2 has none, and some validators refuse it; \
                 remove it",
            ),
            Compressed => f.write_str(
                "gzip-compressed (an .svgz): not every receiver inflates a logo; serve the SVG \
                 itself",
            ),
        }
    }
}

/// Checks the bytes of a logo file.
pub fn check(bytes: &[u8]) -> Logo {
    let mut logo = Logo {
        title: None,
        view_box: None,
        bytes: bytes.len(),
        compressed: false,
        problems: Vec::new(),
        warnings: Vec::new(),
    };
    let inflated;
    let svg: &[u8] = if is_gzip(bytes) {
        logo.compressed = true;
        logo.warnings.push(LogoProblem::Compressed);
        match inflate(bytes) {
            Ok(out) => inflated = out,
            Err(why) => {
                logo.problems.push(LogoProblem::BadGzip(why));
                return logo;
            }
        }
        logo.bytes = inflated.len();
        &inflated
    } else {
        bytes
    };
    // Not parsed when too large: the XML parser's cost grows faster than the file in places
    // (namespace declarations nested deep, thousands of attributes on one element), and 32 KiB
    // bounds it to a second or two (1,450 nested namespace declarations: 1.8 s).
    if logo.bytes > MAX_LOGO_BYTES {
        logo.problems
            .push(LogoProblem::TooLarge { bytes: logo.bytes });
        return logo;
    }
    let Ok(text) = std::str::from_utf8(svg) else {
        logo.problems.push(LogoProblem::NotUtf8);
        return logo;
    };
    // Entity and attribute declarations are not read at all: they cost what they expand to
    // (a few kilobytes can declare gigabytes), and a default attribute could add a handler.
    // Looked for anywhere in the text, not by reading the prolog: the parser takes what a
    // prolog scanner might misread (`<?xml version="?>" ?>`).
    if DECLARATIONS.iter().any(|d| text.contains(d)) {
        logo.problems.push(LogoProblem::DoctypeSubset);
        return logo;
    }
    let options = roxmltree::ParsingOptions {
        allow_dtd: true,
        ..roxmltree::ParsingOptions::default()
    };
    let doc = match roxmltree::Document::parse_with_options(text, options) {
        Ok(doc) => doc,
        Err(e) => {
            let why = e.to_string();
            // roxmltree ends its message with the position: keep the words.
            let why = why
                .rsplit_once(" at ")
                .map_or(why.as_str(), |(words, _)| words)
                .to_owned();
            logo.problems.push(LogoProblem::NotXml {
                line: e.pos().row,
                why,
            });
            return logo;
        }
    };
    let root = doc.root_element();
    if text[..root.range().start].contains("<!DOCTYPE") {
        logo.warnings.push(LogoProblem::Doctype);
    }
    if let Some(pi) = doc
        .root()
        .children()
        .filter_map(|n| n.pi())
        .find(|pi| pi.target == "xml-stylesheet")
    {
        logo.problems.push(LogoProblem::StyleSheet(
            pi.value.unwrap_or_default().to_owned(),
        ));
    }
    if root.tag_name().namespace() != Some(SVG_NS) || root.tag_name().name() != "svg" {
        logo.problems.push(LogoProblem::NotSvg {
            root: qualified(&root),
        });
        return logo;
    }
    check_root(&root, &mut logo);
    let lines = Lines::of(text);
    check_attributes(&lines, &root, false, &mut logo);
    // Depth first, each element once, knowing whether it is inside <metadata> without looking
    // up its ancestors (which made deep nesting quadratic).
    let mut stack: Vec<(roxmltree::Node<'_, '_>, bool)> = root
        .children()
        .filter(|n| n.is_element())
        .map(|n| (n, false))
        .collect();
    stack.reverse();
    while let Some((node, in_metadata)) = stack.pop() {
        check_element(&lines, &node, in_metadata, &mut logo);
        let inside = in_metadata || is_svg(&node, "metadata");
        let first = stack.len();
        stack.extend(
            node.children()
                .filter(|n| n.is_element())
                .map(|n| (n, inside)),
        );
        stack[first..].reverse();
    }
    logo
}

/// Is `node` the SVG element `name`?
fn is_svg(node: &roxmltree::Node<'_, '_>, name: &str) -> bool {
    node.tag_name().namespace() == Some(SVG_NS) && node.tag_name().name() == name
}

/// Does `bytes` start like gzip data?
pub(super) fn is_gzip(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0x1f, 0x8b])
}

/// Gzip data inflated, every member of it, to [`MAX_INFLATED_BYTES`] and one more at most (so
/// a larger one is seen as too large); or why it does not inflate.
pub(super) fn inflate(bytes: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(bytes)
        .take(MAX_INFLATED_BYTES as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| e.to_string())?;
    Ok(out)
}

/// The root's own rules: version, profile, position, title, viewBox.
fn check_root(root: &roxmltree::Node<'_, '_>, logo: &mut Logo) {
    let version = root.attribute("version");
    if version != Some("1.2") {
        logo.problems
            .push(LogoProblem::Version(version.map(str::to_owned)));
    }
    let profile = root.attribute("baseProfile");
    if profile != Some("tiny-ps") {
        logo.problems
            .push(LogoProblem::BaseProfile(profile.map(str::to_owned)));
    }
    for attr in ["x", "y"] {
        if root.has_attribute(attr) {
            logo.problems.push(LogoProblem::RootPosition(attr));
        }
    }
    let title = root
        .children()
        .find(|c| c.tag_name().namespace() == Some(SVG_NS) && c.tag_name().name() == "title");
    match title {
        None => logo.problems.push(LogoProblem::NoTitle),
        Some(title) => {
            let text: String = title
                .descendants()
                .filter(|n| n.is_text())
                .filter_map(|n| n.text())
                .collect();
            let text = text.trim();
            if text.is_empty() {
                logo.warnings.push(LogoProblem::EmptyTitle);
            } else {
                logo.title = Some(text.to_owned());
            }
        }
    }
    match root.attribute("viewBox") {
        None => logo.warnings.push(LogoProblem::NoViewBox),
        Some(value) => match view_box(value) {
            None => logo
                .problems
                .push(LogoProblem::BadViewBox(value.to_owned())),
            Some(vb) => {
                logo.view_box = Some(vb);
                let [_, _, width, height] = vb;
                if width != height {
                    logo.warnings.push(LogoProblem::NotSquare { width, height });
                }
            }
        },
    }
}

/// `min-x min-y width height`, separated by spaces or commas, width and height positive.
fn view_box(value: &str) -> Option<[f64; 4]> {
    let numbers: Vec<f64> = value
        .split(|c: char| c == ',' || c.is_ascii_whitespace())
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<f64>().ok().filter(|n| n.is_finite()))
        .collect::<Option<_>>()?;
    let vb: [f64; 4] = numbers.try_into().ok()?;
    (vb[2] > 0.0 && vb[3] > 0.0).then_some(vb)
}

/// Why SVG Tiny PS leaves out the SVG element `name`, if it does.
fn not_allowed(name: &str) -> Option<&'static str> {
    if ALLOWED.contains(&name) {
        return None;
    }
    Some(match name {
        "script" | "handler" | "listener" => "scripts are not allowed",
        "animate" | "animateColor" | "animateMotion" | "animateTransform" | "set" | "discard"
        | "mpath" | "animation" => "animation is not allowed",
        "image" | "video" | "audio" => {
            "raster images and media are not allowed: the logo is drawn with vectors only"
        }
        "foreignObject" => "foreign content is not allowed",
        "a" => "links are not allowed",
        "style" => {
            "CSS is not part of SVG Tiny 1.2: use presentation attributes (fill=, stroke=) instead"
        }
        "font" | "font-face" | "font-face-src" | "font-face-uri" | "glyph" | "missing-glyph"
        | "hkern" => "embedded fonts are not allowed: convert the text to paths",
        "switch" | "prefetch" => "not allowed in SVG Tiny PS",
        _ => "not part of SVG Tiny 1.2, which SVG Tiny PS is a part of",
    })
}

/// Line numbers of byte offsets in a document, from the offsets of its line ends: roxmltree
/// counts them from the start of the text for each position asked, which made a check of
/// every element quadratic in the size of the file.
struct Lines(Vec<usize>);

impl Lines {
    fn of(text: &str) -> Lines {
        Lines(
            text.bytes()
                .enumerate()
                .filter(|&(_, b)| b == b'\n')
                .map(|(k, _)| k)
                .collect(),
        )
    }

    /// The line (from 1) of the byte at `pos`.
    fn at(&self, pos: usize) -> u32 {
        u32::try_from(self.0.partition_point(|&end| end < pos) + 1).unwrap_or(u32::MAX)
    }
}

/// The rules for one element below the root. Inside `<metadata>`, elements and attributes of
/// other namespaces (RDF, say) are allowed, but SVG's own rules still hold: a script there runs
/// as anywhere else.
fn check_element(
    lines: &Lines,
    node: &roxmltree::Node<'_, '_>,
    in_metadata: bool,
    logo: &mut Logo,
) {
    let line = lines.at(node.range().start);
    let name = node.tag_name();
    if name.namespace() != Some(SVG_NS) {
        // Inside <metadata> other vocabularies are fine, but not HTML, whose scripts and frames
        // run when the file is opened as a document.
        if !in_metadata || name.namespace() == Some(XHTML_NS) {
            logo.problems.push(LogoProblem::ForeignElement {
                line,
                name: qualified(node),
            });
            return;
        }
    } else {
        let why = if name.name() == "svg" {
            Some("an <svg> inside the logo is not part of SVG Tiny 1.2")
        } else {
            not_allowed(name.name())
        };
        if let Some(why) = why {
            logo.problems.push(LogoProblem::Element {
                line,
                name: name.name().to_owned(),
                why,
            });
            return;
        }
    }
    check_attributes(lines, node, in_metadata, logo);
}

/// Event handlers, `style=`, editors' attributes (allowed inside `<metadata>`) and references
/// out of the document (`href=`, and `url(…)` in a value, as paint servers are named).
fn check_attributes(
    lines: &Lines,
    node: &roxmltree::Node<'_, '_>,
    in_metadata: bool,
    logo: &mut Logo,
) {
    for attr in node.attributes() {
        let line = lines.at(attr.range().start);
        let local = attr.name();
        let value = attr.value();
        let href = local == "href" && matches!(attr.namespace(), None | Some(XLINK_NS));
        let external = if href {
            !value.trim_start().starts_with('#')
        } else {
            url_targets(value).any(|target| !target.starts_with('#'))
        };
        if external {
            logo.problems.push(LogoProblem::ExternalReference {
                line,
                name: qualified_attribute(node, &attr),
                value: value.to_owned(),
            });
        }
        if href {
            continue;
        }
        let why = match attr.namespace() {
            None if local.to_ascii_lowercase().starts_with("on") => {
                "event handlers (scripts) are not allowed"
            }
            None if local == "style" => {
                "CSS is not part of SVG Tiny 1.2: use presentation attributes (fill=, stroke=) \
                 instead"
            }
            None | Some(XLINK_NS | XML_NS) => continue,
            Some(_) if in_metadata => continue,
            Some(_) => {
                "an editor's attribute, not part of SVG Tiny PS: remove it, or export as plain \
                 SVG Tiny 1.2"
            }
        };
        logo.problems.push(LogoProblem::Attribute {
            line,
            name: qualified_attribute(node, &attr),
            why,
        });
    }
}

/// The targets of the `url(…)` references in an attribute value (`url(#g)` → `#g`), quotes and
/// spaces taken off.
fn url_targets(value: &str) -> impl Iterator<Item = String> {
    // CSS function names are case-insensitive: URL( is url(.
    let value = value.to_ascii_lowercase();
    let targets: Vec<String> = value
        .split("url(")
        .skip(1)
        .map(|rest| {
            rest.split(')')
                .next()
                .unwrap_or("")
                .trim()
                .trim_matches(|c| c == '"' || c == '\'')
                .to_owned()
        })
        .collect();
    targets.into_iter()
}

/// An element's name as written: `prefix:local`, or `local`.
fn qualified(node: &roxmltree::Node<'_, '_>) -> String {
    let name = node.tag_name();
    match name.namespace().and_then(|ns| node.lookup_prefix(ns)) {
        Some(prefix) if !prefix.is_empty() => format!("{prefix}:{}", name.name()),
        _ => name.name().to_owned(),
    }
}

/// An attribute's name as written: `prefix:local`, or `local`.
fn qualified_attribute(
    node: &roxmltree::Node<'_, '_>,
    attr: &roxmltree::Attribute<'_, '_>,
) -> String {
    match attr.namespace().and_then(|ns| node.lookup_prefix(ns)) {
        Some(prefix) if !prefix.is_empty() => format!("{prefix}:{}", attr.name()),
        _ => attr.name().to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use LogoProblem::*;

    /// A valid logo around `body`, with `root` as extra attributes of `<svg>`.
    fn svg(root: &str, body: &str) -> String {
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
             <svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.2\" baseProfile=\"tiny-ps\" \
             viewBox=\"0 0 100 100\"{root}>\n<title>Apple</title>\n{body}\n</svg>\n"
        )
    }

    fn problems(text: &str) -> Vec<LogoProblem> {
        check(text.as_bytes()).problems
    }

    #[test]
    fn a_valid_logo_and_what_is_read_from_it() {
        let text = svg(
            " xmlns:xlink=\"http://www.w3.org/1999/xlink\" xml:space=\"preserve\"",
            "<defs><linearGradient id=\"g\"><stop offset=\"0\" stop-color=\"#fff\"/>\
             </linearGradient></defs>\n\
             <rect width=\"100\" height=\"100\" fill=\"url(#g)\"/>\n\
             <path id=\"p\" d=\"M10 10 L90 90\" stroke=\"#000\"/><use xlink:href=\"#p\"/>\n\
             <metadata><rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\"/>\
             </metadata>",
        );
        let logo = check(text.as_bytes());
        assert_eq!(logo.problems, []);
        assert_eq!(logo.warnings, []);
        assert!(logo.valid());
        assert_eq!(logo.title.as_deref(), Some("Apple"));
        assert_eq!(logo.view_box, Some([0.0, 0.0, 100.0, 100.0]));
        assert_eq!(logo.bytes, text.len());
        assert!(!logo.compressed);
    }

    #[test]
    fn the_root_must_say_tiny_ps() {
        let bare = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 1 1\" x=\"0\" y=\"0\">\
                    </svg>";
        assert_eq!(
            problems(bare),
            [
                Version(None),
                BaseProfile(None),
                RootPosition("x"),
                RootPosition("y"),
                NoTitle
            ]
        );
        let tiny = "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" \
                    baseProfile=\"tiny\" viewBox=\"0 0 1 1\"><title>T</title></svg>";
        assert_eq!(
            problems(tiny),
            [
                Version(Some("1.1".into())),
                BaseProfile(Some("tiny".into()))
            ]
        );
        // Without the namespace, it is not SVG.
        assert_eq!(
            problems("<svg version=\"1.2\" baseProfile=\"tiny-ps\"><title>T</title></svg>"),
            [NotSvg { root: "svg".into() }]
        );
        assert_eq!(
            problems("<html xmlns=\"http://www.w3.org/2000/svg\"/>"),
            [NotSvg {
                root: "html".into()
            }]
        );
        // A title deeper down is not the document's title.
        let deep = svg("", "").replace("<title>Apple</title>", "<g><title>Apple</title></g>");
        assert_eq!(problems(&deep), [NoTitle]);
    }

    #[test]
    fn what_could_run_fetch_or_move_is_named_with_its_line() {
        let cases: [(&str, LogoProblem); 8] = [
            (
                "<script>alert(1)</script>",
                Element {
                    line: 4,
                    name: "script".into(),
                    why: "scripts are not allowed",
                },
            ),
            (
                "<rect width=\"1\" height=\"1\" onclick=\"x()\"/>",
                Attribute {
                    line: 4,
                    name: "onclick".into(),
                    why: "event handlers (scripts) are not allowed",
                },
            ),
            (
                "<animate attributeName=\"x\" to=\"1\"/>",
                Element {
                    line: 4,
                    name: "animate".into(),
                    why: "animation is not allowed",
                },
            ),
            (
                "<image width=\"1\" height=\"1\" href=\"#x\"/>",
                Element {
                    line: 4,
                    name: "image".into(),
                    why: "raster images and media are not allowed: the logo is drawn with \
                          vectors only",
                },
            ),
            (
                "<use href=\"https://brand.example/logo.svg#a\"/>",
                ExternalReference {
                    line: 4,
                    name: "href".into(),
                    value: "https://brand.example/logo.svg#a".into(),
                },
            ),
            (
                "<use xmlns:xlink=\"http://www.w3.org/1999/xlink\" xlink:href=\"data:x\"/>",
                ExternalReference {
                    line: 4,
                    name: "xlink:href".into(),
                    value: "data:x".into(),
                },
            ),
            (
                "<g>\n<style>.a{fill:red}</style></g>",
                Element {
                    line: 5,
                    name: "style".into(),
                    why: "CSS is not part of SVG Tiny 1.2: use presentation attributes \
                          (fill=, stroke=) instead",
                },
            ),
            (
                "<clipPath id=\"c\"/>",
                Element {
                    line: 4,
                    name: "clipPath".into(),
                    why: "not part of SVG Tiny 1.2, which SVG Tiny PS is a part of",
                },
            ),
        ];
        for (body, want) in cases {
            assert_eq!(problems(&svg("", body)), [want], "{body}");
        }
    }

    #[test]
    fn editors_leftovers_are_outside_the_profile_but_metadata_may_hold_them() {
        let text = svg(
            " xmlns:inkscape=\"http://www.inkscape.org/namespaces/inkscape\" \
             xmlns:sodipodi=\"http://sodipodi.sourceforge.net/DTD/sodipodi-0.dtd\"",
            "<sodipodi:namedview/>\n<g inkscape:label=\"Layer\" style=\"fill:red\"/>\n\
             <metadata><sodipodi:x inkscape:y=\"z\"/></metadata>",
        );
        assert_eq!(
            problems(&text),
            [
                ForeignElement {
                    line: 4,
                    name: "sodipodi:namedview".into()
                },
                Attribute {
                    line: 5,
                    name: "inkscape:label".into(),
                    why: "an editor's attribute, not part of SVG Tiny PS: remove it, or export \
                          as plain SVG Tiny 1.2",
                },
                Attribute {
                    line: 5,
                    name: "style".into(),
                    why: "CSS is not part of SVG Tiny 1.2: use presentation attributes (fill=, \
                          stroke=) instead",
                },
            ]
        );
    }

    #[test]
    fn the_root_and_metadata_are_checked_too() {
        let root = svg(
            " onload=\"alert(1)\" style=\"fill:red\" \
             xmlns:inkscape=\"http://www.inkscape.org/namespaces/inkscape\" inkscape:version=\"1.3\"",
            "",
        );
        let found = problems(&root);
        assert_eq!(found.len(), 3, "{found:?}");
        assert!(found.iter().all(|p| matches!(p, Attribute { line: 2, .. })));
        // In <metadata>, other namespaces are fine, SVG's rules are not lifted.
        let meta = svg(
            "",
            "<metadata>\n<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\" \
             rdf:about=\"\" onclick=\"x()\"/>\n<script>alert(1)</script></metadata>",
        );
        assert_eq!(
            problems(&meta),
            [
                Attribute {
                    line: 5,
                    name: "onclick".into(),
                    why: "event handlers (scripts) are not allowed",
                },
                Element {
                    line: 6,
                    name: "script".into(),
                    why: "scripts are not allowed",
                },
            ]
        );
        // Paint from another file, and a style sheet instruction.
        let paint = svg(
            "",
            "<rect width=\"1\" height=\"1\" fill=\"url( 'https://e.example/p.svg#g' )\"/>",
        );
        assert_eq!(
            problems(&paint),
            [ExternalReference {
                line: 4,
                name: "fill".into(),
                value: "url( 'https://e.example/p.svg#g' )".into()
            }]
        );
        let local = svg(
            "",
            "<rect width=\"1\" height=\"1\" fill=\"url(#g)\" stroke=\"url( '#h' )\"/>",
        );
        assert_eq!(problems(&local), []);
        let upper = svg(
            "",
            "<rect width=\"1\" height=\"1\" mask=\"URL(https://e.example/m#m)\"/>",
        );
        assert!(matches!(
            &problems(&upper)[..],
            [ExternalReference { name, .. }] if name == "mask"
        ));
        // An XHTML script or frame is refused in <metadata> too.
        let xhtml = svg(
            "",
            "<metadata><h:script xmlns:h=\"http://www.w3.org/1999/xhtml\">alert(1)</h:script>\
             </metadata>",
        );
        assert_eq!(
            problems(&xhtml),
            [ForeignElement {
                line: 4,
                name: "h:script".into()
            }]
        );
        let sheet = svg("", "").replace(
            "?>\n",
            "?>\n<?xml-stylesheet href=\"https://e.example/s.css\"?>\n",
        );
        assert_eq!(
            problems(&sheet),
            [StyleSheet("href=\"https://e.example/s.css\"".into())]
        );
    }

    #[test]
    fn declarations_are_not_read_and_size_depth_and_count_are_bounded() {
        // Entities that would expand to gigabytes, and a default attribute adding a handler.
        let amplify = format!(
            "<!DOCTYPE svg [<!ENTITY a \"{}\"><!ENTITY b \"{}\">]>\n{}",
            "A".repeat(1000),
            "&a;".repeat(255),
            svg("", &format!("<desc>{}</desc>", "&b;".repeat(5000)))
                .replace("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", "")
        );
        assert_eq!(problems(&amplify), [DoctypeSubset]);
        let attlist = "<?xml version=\"1.0\"?><!-- x --><!DOCTYPE svg PUBLIC \"-//a[b\" \"c\" \
                       [<!ATTLIST svg onload CDATA \"alert(1)\">]><svg/>";
        assert_eq!(problems(attlist), [DoctypeSubset]);
        // Looked for in the whole text: a prolog a scanner might misread does not hide them.
        let hidden = format!("<?xml version=\"?>\" ?>\n{amplify}");
        assert_eq!(problems(&hidden), [DoctypeSubset]);
        // Over 32 KiB is not parsed at all (a script in it is not looked for).
        let deep = svg(
            "<script/>",
            &format!("{}{}", "<g>".repeat(100_000), "</g>".repeat(100_000)),
        )
        .replace("<script/>", "");
        assert_eq!(problems(&deep), [TooLarge { bytes: deep.len() }]);
        // What fits in 32 KiB is read, however deep: each element once.
        let nested = svg(
            "",
            &format!("{}{}", "<g>".repeat(4_000), "</g>".repeat(4_000)),
        );
        assert!(nested.len() < MAX_LOGO_BYTES);
        assert_eq!(problems(&nested), []);
    }

    #[test]
    fn warnings_leave_the_logo_valid() {
        let text = format!(
            "<!DOCTYPE svg PUBLIC \"-//W3C//DTD SVG 1.1//EN\" \
             \"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd\">\n{}",
            svg("", "")
                .replace("viewBox=\"0 0 100 100\"", "viewBox=\"0,0 200 100\"")
                .replace("<title>Apple</title>", "<title> </title>")
                .replace("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", "")
        );
        let logo = check(text.as_bytes());
        assert_eq!(logo.problems, []);
        assert_eq!(
            logo.warnings,
            [
                Doctype,
                EmptyTitle,
                NotSquare {
                    width: 200.0,
                    height: 100.0
                }
            ]
        );
        assert_eq!(logo.title, None);
        let none = svg("", "").replace(" viewBox=\"0 0 100 100\"", "");
        assert_eq!(check(none.as_bytes()).warnings, [NoViewBox]);
        for bad in ["0 0 100", "0 0 -1 1", "0 0 a 1", "0 0 0 0", "0 0 inf 1"] {
            let text = svg("", "").replace("0 0 100 100", bad);
            assert_eq!(problems(&text), [BadViewBox(bad.into())], "{bad}");
        }
    }

    #[test]
    fn size_encoding_and_well_formedness() {
        let big = svg("", &format!("<desc>{}</desc>", "x".repeat(MAX_LOGO_BYTES)));
        assert_eq!(problems(&big), [TooLarge { bytes: big.len() }]);
        let exact = svg("", "<desc></desc>");
        let pad = MAX_LOGO_BYTES - exact.len();
        let exact = svg("", &format!("<desc>{}</desc>", "x".repeat(pad)));
        assert_eq!(exact.len(), MAX_LOGO_BYTES);
        assert_eq!(problems(&exact), []);
        assert_eq!(check(b"<svg>\xff</svg>").problems, [NotUtf8]);
        assert_eq!(
            problems("<svg xmlns=\"http://www.w3.org/2000/svg\">\n<g>\n</svg>"),
            [NotXml {
                line: 3,
                why: "expected 'g' tag, not 'svg'".into()
            }]
        );
        // Entity declarations are not read at all (more below).
        let laughs = "<!DOCTYPE svg [<!ENTITY a \"&a;\">]><svg>&a;</svg>";
        assert_eq!(problems(laughs), [DoctypeSubset]);
        assert!(matches!(
            problems("<svg>&undeclared;</svg>")[..],
            [NotXml { line: 1, .. }]
        ));
    }

    #[test]
    fn a_gzip_logo_is_read_inflated_and_counted_so() {
        use std::io::Write;
        let text = svg("", "");
        let mut z = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        z.write_all(text.as_bytes()).unwrap();
        let logo = check(&z.finish().unwrap());
        assert_eq!(logo.problems, []);
        assert_eq!(logo.warnings, [Compressed]);
        assert_eq!(logo.bytes, text.len());
        assert!(logo.compressed);
        // Every member is read, as gzip -d reads them; what follows the data must be gzip too.
        let mut second = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        second.write_all(b"<script>alert(1)</script>").unwrap();
        let mut two = {
            let mut z = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            z.write_all(svg("", "").replace("</svg>\n", "").as_bytes())
                .unwrap();
            z.finish().unwrap()
        };
        two.extend(second.finish().unwrap());
        let mut third = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        third.write_all(b"</svg>").unwrap();
        two.extend(third.finish().unwrap());
        assert!(matches!(
            check(&two).problems[..],
            [Element { ref name, .. }] if name == "script"
        ));
        let mut garbage = {
            let mut z = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            z.write_all(text.as_bytes()).unwrap();
            z.finish().unwrap()
        };
        garbage.extend(b"GARBAGE");
        assert!(matches!(check(&garbage).problems[..], [BadGzip(_)]));
        // A bomb is read only to a bound.
        let mut z = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        z.write_all(&vec![b' '; 8 * MAX_INFLATED_BYTES]).unwrap();
        let logo = check(&z.finish().unwrap());
        assert_eq!(
            logo.problems,
            [TooLarge {
                bytes: MAX_INFLATED_BYTES + 1
            }]
        );
        assert!(matches!(
            check(&[0x1f, 0x8b, 0, 0]).problems[..],
            [BadGzip(_)]
        ));
    }
}
