//! The hardened XML layer every wire type is built on.
//!
//! WeChat's XML is flat and small: an `<xml>` root, leaf elements holding text or CDATA,
//! and a few nested lists (`SendPicsInfo/PicList/item`). So every document is read into one
//! small [`Element`] tree first ([`parse_document`]), with the hostile-input rules applied in
//! one place: a size limit, a depth limit, and no DTD (so no entity can ever be declared or
//! expanded). The typed modules then map that tree to their structs, and write their XML back
//! with [`XmlWriter`], which emits CDATA that survives any text, `]]>` included.

mod element;
mod error;
mod fields;
mod read;
mod write;

pub use element::Element;
pub use error::XmlError;
pub(crate) use fields::Fields;
pub use read::{parse_document, MAX_XML_BYTES, MAX_XML_DEPTH, MAX_XML_ELEMENTS};
pub(crate) use write::XmlWriter;
