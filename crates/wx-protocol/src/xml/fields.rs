//! Typed access to the child elements of a parsed [`Element`].

use std::str::FromStr;

use super::{Element, XmlError};

/// Reads the children of one element as typed fields, turning absence and bad values into
/// [`XmlError::MissingField`] and [`XmlError::InvalidField`].
#[derive(Clone, Copy)]
pub(crate) struct Fields<'a> {
    element: &'a Element,
}

impl<'a> Fields<'a> {
    pub(crate) fn new(element: &'a Element) -> Self {
        Self { element }
    }

    pub(crate) fn element(&self) -> &'a Element {
        self.element
    }

    pub(crate) fn child(&self, name: &'static str) -> Option<Fields<'a>> {
        self.element.child(name).map(Fields::new)
    }

    pub(crate) fn opt_str(&self, name: &str) -> Option<String> {
        self.element.child_text(name).map(str::to_owned)
    }

    pub(crate) fn req_str(&self, name: &'static str) -> Result<String, XmlError> {
        self.opt_str(name).ok_or(XmlError::MissingField(name))
    }

    /// A string field that WeChat always sends but whose absence we tolerate as empty.
    pub(crate) fn str_or_empty(&self, name: &str) -> String {
        self.opt_str(name).unwrap_or_default()
    }

    pub(crate) fn opt_parse<T: FromStr>(&self, name: &'static str) -> Result<Option<T>, XmlError>
    where
        T::Err: std::fmt::Display,
    {
        match self.element.child_text(name) {
            None => Ok(None),
            Some(text) => parse_value(name, text).map(Some),
        }
    }

    /// Like [`Self::opt_parse`], but an empty element also counts as absent.
    pub(crate) fn opt_parse_nonempty<T: FromStr>(
        &self,
        name: &'static str,
    ) -> Result<Option<T>, XmlError>
    where
        T::Err: std::fmt::Display,
    {
        match self.element.child_text(name) {
            Some(text) if !text.trim().is_empty() => parse_value(name, text).map(Some),
            _ => Ok(None),
        }
    }

    pub(crate) fn req_parse<T: FromStr>(&self, name: &'static str) -> Result<T, XmlError>
    where
        T::Err: std::fmt::Display,
    {
        self.opt_parse(name)?.ok_or(XmlError::MissingField(name))
    }

    /// A finite floating-point field (coordinates, precision, scale).
    pub(crate) fn req_f64(&self, name: &'static str) -> Result<f64, XmlError> {
        let value: f64 = self.req_parse(name)?;
        if value.is_finite() {
            Ok(value)
        } else {
            Err(XmlError::invalid(name, "not a finite number"))
        }
    }

    /// A comma-separated list (`1,2,3`); an empty element is an empty list.
    pub(crate) fn opt_list<T: FromStr>(
        &self,
        name: &'static str,
    ) -> Result<Option<Vec<T>>, XmlError>
    where
        T::Err: std::fmt::Display,
    {
        match self.element.child_text(name) {
            None => Ok(None),
            Some(text) => parse_list(name, text).map(Some),
        }
    }

    pub(crate) fn list_or_empty<T: FromStr>(&self, name: &'static str) -> Result<Vec<T>, XmlError>
    where
        T::Err: std::fmt::Display,
    {
        Ok(self.opt_list(name)?.unwrap_or_default())
    }

    /// All children except those named in `skip`, in document order.
    pub(crate) fn rest(&self, skip: &[&str]) -> Vec<Element> {
        self.element
            .children
            .iter()
            .filter(|c| !skip.contains(&c.name.as_str()))
            .cloned()
            .collect()
    }
}

fn parse_value<T: FromStr>(name: &'static str, text: &str) -> Result<T, XmlError>
where
    T::Err: std::fmt::Display,
{
    text.trim()
        .parse()
        .map_err(|e: T::Err| XmlError::invalid(name, e.to_string()))
}

fn parse_list<T: FromStr>(name: &'static str, text: &str) -> Result<Vec<T>, XmlError>
where
    T::Err: std::fmt::Display,
{
    let text = text.trim();
    if text.is_empty() {
        return Ok(Vec::new());
    }
    text.split(',')
        .map(|item| parse_value(name, item))
        .collect()
}
