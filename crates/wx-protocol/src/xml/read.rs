//! Reading a document into an [`Element`] tree under the hostile-input limits.

use quick_xml::events::Event;
use quick_xml::Reader;

use super::{Element, XmlError};

/// The largest XML document accepted, in bytes (1 MiB). WeChat's callbacks are a few KiB.
pub const MAX_XML_BYTES: usize = 1024 * 1024;

/// The deepest element nesting accepted; WeChat's own documents nest at most 5 levels.
pub const MAX_XML_DEPTH: usize = 32;

/// The most elements accepted in one document, bounding the memory a 1 MiB input can claim.
pub const MAX_XML_ELEMENTS: usize = 20_000;

/// One element being read. Whitespace next to a CDATA section is layout, not content, so
/// the text is kept twice only when a whitespace-only run actually occurs: `text` holds
/// everything, `significant` (when present) everything but whitespace-only runs.
struct Open {
    name: String,
    children: Vec<Element>,
    text: String,
    significant: Option<String>,
    has_cdata: bool,
}

impl Open {
    fn new(name: String) -> Self {
        Self {
            name,
            children: Vec::new(),
            text: String::new(),
            significant: None,
            has_cdata: false,
        }
    }

    fn push_text(&mut self, text: &str) {
        // Mixed content is not part of WeChat's format: once an element has children, its
        // text is dropped, so there is no need to collect it.
        if !self.children.is_empty() {
            return;
        }
        if text.trim().is_empty() {
            if self.significant.is_none() {
                self.significant = Some(self.text.clone());
            }
        } else if let Some(significant) = &mut self.significant {
            significant.push_str(text);
        }
        self.text.push_str(text);
    }

    fn push_cdata(&mut self, text: &str) {
        if !self.children.is_empty() {
            return;
        }
        self.text.push_str(text);
        if let Some(significant) = &mut self.significant {
            significant.push_str(text);
        }
        self.has_cdata = true;
    }

    fn finish(self) -> Element {
        let text = if !self.children.is_empty() {
            String::new()
        } else if self.has_cdata {
            self.significant.unwrap_or(self.text)
        } else {
            self.text
        };
        Element {
            name: self.name,
            text,
            children: self.children,
        }
    }
}

/// Parses `xml` into its root element, which must be `<xml>`.
///
/// Refuses documents over [`MAX_XML_BYTES`], nested deeper than [`MAX_XML_DEPTH`] or holding
/// more than [`MAX_XML_ELEMENTS`] elements, any `<!DOCTYPE` (and so any entity declaration),
/// unknown entity references, mismatched or unclosed tags, and content after the root.
pub fn parse_document(xml: &str) -> Result<Element, XmlError> {
    if xml.len() > MAX_XML_BYTES {
        return Err(XmlError::TooLarge);
    }
    let mut reader = Reader::from_str(xml);
    let config = reader.config_mut();
    config.trim_text(false);
    config.check_end_names = true;
    config.expand_empty_elements = false;

    let mut stack: Vec<Open> = Vec::new();
    let mut root: Option<Element> = None;
    let mut elements = 0usize;

    loop {
        let event = reader
            .read_event()
            .map_err(|e| XmlError::Malformed(e.to_string()))?;
        match event {
            Event::Start(start) | Event::Empty(start) if root.is_some() => {
                let _ = start;
                return Err(XmlError::Malformed("content after the root element".into()));
            }
            Event::Start(start) => {
                check_attributes(&start)?;
                let name = element_name(start.name().as_ref())?;
                open_element(&mut stack, &mut elements, name)?;
            }
            Event::Empty(start) => {
                check_attributes(&start)?;
                let name = element_name(start.name().as_ref())?;
                open_element(&mut stack, &mut elements, name)?;
                close_element(&mut stack, &mut root)?;
            }
            Event::End(_) => close_element(&mut stack, &mut root)?,
            Event::Text(text) => {
                let text = text
                    .unescape()
                    .map_err(|e| XmlError::Malformed(e.to_string()))?;
                match stack.last_mut() {
                    Some(open) => open.push_text(&text),
                    None if text.trim().is_empty() => {}
                    None => {
                        return Err(XmlError::Malformed("text outside the root element".into()))
                    }
                }
            }
            Event::CData(cdata) => {
                let text = cdata
                    .decode()
                    .map_err(|e| XmlError::Malformed(e.to_string()))?;
                match stack.last_mut() {
                    Some(open) => open.push_cdata(&text),
                    None => {
                        return Err(XmlError::Malformed("cdata outside the root element".into()))
                    }
                }
            }
            Event::DocType(_) => return Err(XmlError::Dtd),
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
            Event::Eof => break,
        }
    }
    if !stack.is_empty() {
        return Err(XmlError::Malformed("unexpected end of document".into()));
    }
    let root = root.ok_or_else(|| XmlError::Malformed("no root element".into()))?;
    if root.name != "xml" {
        return Err(XmlError::UnexpectedRoot { found: root.name });
    }
    Ok(root)
}

/// Attributes are not used, but a malformed one makes the document malformed.
fn check_attributes(start: &quick_xml::events::BytesStart<'_>) -> Result<(), XmlError> {
    for attribute in start.attributes() {
        attribute.map_err(|e| XmlError::Malformed(e.to_string()))?;
    }
    Ok(())
}

fn element_name(raw: &[u8]) -> Result<String, XmlError> {
    std::str::from_utf8(raw)
        .map(str::to_owned)
        .map_err(|_| XmlError::Malformed("element name is not utf-8".into()))
}

fn open_element(stack: &mut Vec<Open>, elements: &mut usize, name: String) -> Result<(), XmlError> {
    if stack.len() >= MAX_XML_DEPTH {
        return Err(XmlError::TooDeep);
    }
    *elements += 1;
    if *elements > MAX_XML_ELEMENTS {
        return Err(XmlError::TooManyElements);
    }
    stack.push(Open::new(name));
    Ok(())
}

fn close_element(stack: &mut Vec<Open>, root: &mut Option<Element>) -> Result<(), XmlError> {
    let open = stack
        .pop()
        .ok_or_else(|| XmlError::Malformed("end tag without a start tag".into()))?;
    let element = open.finish();
    match stack.last_mut() {
        Some(parent) => parent.children.push(element),
        None => *root = Some(element),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_leaves_cdata_and_nesting() {
        let root = parse_document(
            "<xml>\n  <A><![CDATA[hello]]></A>\n  <B>42</B>\n  <C>  <![CDATA[x]]></C>\n  <L><item><V>1</V></item><item><V>2</V></item></L>\n</xml>",
        )
        .unwrap();
        assert_eq!(root.child_text("A"), Some("hello"));
        assert_eq!(root.child_text("B"), Some("42"));
        assert_eq!(root.child_text("C"), Some("x"));
        let list = root.child("L").unwrap();
        assert_eq!(list.text, "");
        assert_eq!(list.children.len(), 2);
        assert_eq!(list.children[1].child_text("V"), Some("2"));
    }

    #[test]
    fn unescapes_predefined_entities_and_keeps_leaf_whitespace() {
        let root = parse_document("<xml><A>a &amp; b &lt;c&gt;</A><B>  </B><E/></xml>").unwrap();
        assert_eq!(root.child_text("A"), Some("a & b <c>"));
        assert_eq!(root.child_text("B"), Some("  "));
        assert_eq!(root.child_text("E"), Some(""));
    }

    #[test]
    fn accepts_a_declaration_and_comments() {
        let root = parse_document(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><!-- c --><xml><A>1</A></xml>",
        )
        .unwrap();
        assert_eq!(root.child_text("A"), Some("1"));
    }

    #[test]
    fn refuses_a_doctype() {
        let xml = "<?xml version=\"1.0\"?><!DOCTYPE xml [<!ENTITY a \"b\">]><xml><A>&a;</A></xml>";
        assert_eq!(parse_document(xml), Err(XmlError::Dtd));
    }

    #[test]
    fn refuses_billion_laughs() {
        let xml = concat!(
            "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">",
            "<!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">",
            "<!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">]>",
            "<xml><Content>&lol3;</Content></xml>"
        );
        assert_eq!(parse_document(xml), Err(XmlError::Dtd));
    }

    #[test]
    fn refuses_undeclared_entities() {
        let err = parse_document("<xml><A>&lol;</A></xml>").unwrap_err();
        assert!(matches!(err, XmlError::Malformed(_)), "{err:?}");
    }

    #[test]
    fn refuses_external_entity_attempts_without_a_doctype() {
        let err = parse_document("<xml><!ENTITY x SYSTEM \"file:///etc/passwd\"><A>&x;</A></xml>")
            .unwrap_err();
        assert!(
            matches!(err, XmlError::Malformed(_) | XmlError::Dtd),
            "{err:?}"
        );
    }

    #[test]
    fn refuses_deep_nesting() {
        let depth = MAX_XML_DEPTH + 1;
        let mut xml = String::from("<xml>");
        for _ in 1..depth {
            xml.push_str("<a>");
        }
        for _ in 1..depth {
            xml.push_str("</a>");
        }
        xml.push_str("</xml>");
        assert_eq!(parse_document(&xml), Err(XmlError::TooDeep));
    }

    #[test]
    fn accepts_nesting_up_to_the_limit() {
        let mut xml = String::from("<xml>");
        for _ in 1..MAX_XML_DEPTH {
            xml.push_str("<a>");
        }
        for _ in 1..MAX_XML_DEPTH {
            xml.push_str("</a>");
        }
        xml.push_str("</xml>");
        assert!(parse_document(&xml).is_ok());
    }

    #[test]
    fn refuses_oversize_documents() {
        let xml = format!("<xml><A>{}</A></xml>", "a".repeat(MAX_XML_BYTES));
        assert_eq!(parse_document(&xml), Err(XmlError::TooLarge));
    }

    #[test]
    fn refuses_too_many_elements() {
        let xml = format!("<xml>{}</xml>", "<a/>".repeat(MAX_XML_ELEMENTS));
        assert_eq!(parse_document(&xml), Err(XmlError::TooManyElements));
    }

    #[test]
    fn refuses_truncated_and_mismatched_documents() {
        for xml in [
            "",
            "   ",
            "<xml>",
            "<xml><A>1</A>",
            "<xml><A>1</B></xml>",
            "<xml><A><![CDATA[abc</A></xml>",
            "</xml>",
            "<xml></xml><xml></xml>",
            "<xml></xml>trailing",
            "garbage",
            "<xml><A attr=></A></xml>",
            "<xml><A>1</A></xml",
        ] {
            let result = parse_document(xml);
            assert!(
                matches!(result, Err(XmlError::Malformed(_))),
                "{xml:?} gave {result:?}"
            );
        }
    }

    #[test]
    fn refuses_a_root_other_than_xml() {
        assert_eq!(
            parse_document("<html></html>"),
            Err(XmlError::UnexpectedRoot {
                found: "html".into()
            })
        );
    }
}
