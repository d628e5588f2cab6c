//! WeChat Pay v2's flat XML: `<xml><name>value</name>…</xml>`, read into a sorted map (the
//! shape the MD5 signature is computed over) and written with every value in CDATA.

use std::collections::BTreeMap;
use wx_protocol::xml::parse_document;

/// Reads a flat pay document. Nested elements are refused (pay requests have none).
pub fn parse(body: &str) -> Option<BTreeMap<String, String>> {
    let root = parse_document(body).ok()?;
    let mut out = BTreeMap::new();
    for c in root.children {
        if !c.children.is_empty() {
            return None;
        }
        out.insert(c.name, c.text);
    }
    Some(out)
}

/// Writes `fields` in order, each value as CDATA (split so `]]>` survives).
pub fn write(fields: &[(&str, String)]) -> String {
    let mut s = String::from("<xml>");
    for (name, value) in fields {
        s.push('<');
        s.push_str(name);
        s.push_str("><![CDATA[");
        s.push_str(&value.replace("]]>", "]]]]><![CDATA[>"));
        s.push_str("]]></");
        s.push_str(name);
        s.push('>');
    }
    s.push_str("</xml>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_hostile_text() {
        let xml = write(&[("a", "x]]>y<z>&".to_owned()), ("b", String::new())]);
        let m = parse(&xml).unwrap_or_default();
        assert_eq!(m.get("a").map(String::as_str), Some("x]]>y<z>&"));
        assert_eq!(m.get("b").map(String::as_str), Some(""));
    }

    #[test]
    fn refuses_nested_and_broken_documents() {
        assert!(parse("<xml><a><b>1</b></a></xml>").is_none());
        assert!(parse("<xml><a>1</xml>").is_none());
        assert!(parse("not xml").is_none());
    }
}
