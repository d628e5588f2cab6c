//! Writing WeChat-shaped XML: string fields as CDATA, numbers bare.

use std::fmt::{Display, Write as _};

use super::Element;

/// Builds one document. Element names come from our own code (or from a parsed document, for
/// the `Other` variants), so they are written as they are.
pub(crate) struct XmlWriter {
    buf: String,
}

impl XmlWriter {
    pub(crate) fn new() -> Self {
        let mut buf = String::with_capacity(512);
        buf.push_str("<xml>");
        Self { buf }
    }

    pub(crate) fn finish(mut self) -> String {
        self.buf.push_str("</xml>");
        self.buf
    }

    pub(crate) fn open(&mut self, name: &str) {
        self.buf.push('<');
        self.buf.push_str(name);
        self.buf.push('>');
    }

    pub(crate) fn close(&mut self, name: &str) {
        self.buf.push_str("</");
        self.buf.push_str(name);
        self.buf.push('>');
    }

    /// `<name><![CDATA[text]]></name>`, splitting the section wherever `text` holds `]]>`.
    pub(crate) fn cdata(&mut self, name: &str, text: &str) {
        self.open(name);
        push_cdata(&mut self.buf, text);
        self.close(name);
    }

    pub(crate) fn opt_cdata(&mut self, name: &str, text: Option<&str>) {
        if let Some(text) = text {
            self.cdata(name, text);
        }
    }

    /// `<name>value</name>` for numbers and other values that never need escaping.
    pub(crate) fn bare(&mut self, name: &str, value: impl Display) {
        self.open(name);
        // Writing into a String cannot fail.
        let _ = write!(self.buf, "{value}");
        self.close(name);
    }

    pub(crate) fn opt_bare(&mut self, name: &str, value: Option<impl Display>) {
        if let Some(value) = value {
            self.bare(name, value);
        }
    }

    /// A value WeChat writes bare when it is all digits (a timestamp); anything else goes in
    /// CDATA so the document stays well-formed.
    pub(crate) fn digits(&mut self, name: &str, text: &str) {
        if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
            self.bare(name, text);
        } else {
            self.cdata(name, text);
        }
    }

    /// A comma-separated list, as WeCom writes `Department` or `AddUserItems`.
    pub(crate) fn list<T: Display>(&mut self, name: &str, items: &[T]) {
        let joined = items
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(",");
        self.cdata(name, &joined);
    }

    pub(crate) fn element(&mut self, element: &Element) {
        self.open(&element.name);
        if element.children.is_empty() {
            push_cdata(&mut self.buf, &element.text);
        } else {
            for child in &element.children {
                self.element(child);
            }
        }
        self.close(&element.name);
    }
}

fn push_cdata(buf: &mut String, text: &str) {
    if text.is_empty() {
        return;
    }
    buf.push_str("<![CDATA[");
    buf.push_str(&text.replace("]]>", "]]]]><![CDATA[>"));
    buf.push_str("]]>");
}

#[cfg(test)]
mod tests {
    use super::super::parse_document;
    use super::*;
    use proptest::prelude::*;

    fn roundtrip(text: &str) -> String {
        let mut w = XmlWriter::new();
        w.cdata("Content", text);
        let xml = w.finish();
        parse_document(&xml)
            .unwrap()
            .child_text("Content")
            .unwrap()
            .to_owned()
    }

    #[test]
    fn cdata_terminator_round_trips() {
        for text in [
            "]]>",
            "a]]>b",
            "]]>]]>",
            "]]]>>",
            "<![CDATA[x]]>",
            "]",
            "]]",
        ] {
            assert_eq!(roundtrip(text), text);
        }
    }

    #[test]
    fn markup_in_text_round_trips() {
        let text = "</Content><MsgType>evil</MsgType>&amp; <!-- -->";
        assert_eq!(roundtrip(text), text);
    }

    proptest! {
        #[test]
        fn any_text_round_trips_through_cdata(text in any::<String>()) {
            prop_assert_eq!(roundtrip(&text), text);
        }

        #[test]
        fn text_made_of_markup_characters_round_trips(text in "[\\]<>&!\\[CDAT a\n\t]{0,40}") {
            prop_assert_eq!(roundtrip(&text), text);
        }
    }
}
