use super::read::{MAX_XML_BYTES, MAX_XML_DEPTH, MAX_XML_ELEMENTS};

/// Why an XML document was refused. Every malformed or hostile input ends here, never in a panic.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum XmlError {
    #[error("xml document larger than {MAX_XML_BYTES} bytes")]
    TooLarge,
    #[error("xml holds more than {MAX_XML_ELEMENTS} elements")]
    TooManyElements,
    #[error("xml nested deeper than {MAX_XML_DEPTH} levels")]
    TooDeep,
    #[error("xml document type declarations are not allowed")]
    Dtd,
    #[error("malformed xml: {0}")]
    Malformed(String),
    #[error("root element must be <xml>, found <{found}>")]
    UnexpectedRoot { found: String },
    #[error("missing field {0}")]
    MissingField(&'static str),
    #[error("invalid field {field}: {reason}")]
    InvalidField { field: &'static str, reason: String },
}

impl XmlError {
    pub(crate) fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        Self::InvalidField {
            field,
            reason: reason.into(),
        }
    }
}
