use serde::{Deserialize, Serialize};

/// One XML element: its name, its text (CDATA and character data, unescaped) and its child
/// elements. Attributes are not kept: WeChat's callback XML has none.
///
/// Text between child elements (mixed content) is dropped; a leaf's text is kept exactly,
/// except that whitespace around a CDATA section (`<A>  <![CDATA[x]]></A>`, as in WeChat's own
/// sample) is dropped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Element {
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub text: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<Element>,
}

impl Element {
    /// A leaf element holding `text`.
    pub fn leaf(name: impl Into<String>, text: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            text: text.into(),
            children: Vec::new(),
        }
    }

    /// An element holding child elements.
    pub fn parent(name: impl Into<String>, children: Vec<Element>) -> Self {
        Self {
            name: name.into(),
            text: String::new(),
            children,
        }
    }

    /// The first child element called `name`.
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    /// The text of the first child element called `name`.
    pub fn child_text(&self, name: &str) -> Option<&str> {
        self.child(name).map(|c| c.text.as_str())
    }
}
