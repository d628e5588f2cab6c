//! wxhub.
#![forbid(unsafe_code)]
