//! WeChat wire formats.
#![forbid(unsafe_code)]
